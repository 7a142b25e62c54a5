//! A publisher over a real database and a real SMTP server, and a cookie-keeping client that
//! drives it through its routes as a browser would (without the browser).

#![allow(dead_code)] // Each test file uses its own part of the harness.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use almanac_accounts::SecretKey;
use almanac_accounts::sessions::{self, Client as SessionClient, SessionPolicy};
use almanac_accounts::two_factor;
use almanac_accounts::users::{NewAccount, create_account};
use almanac_content::UserType;
use almanac_content::models::User;
use almanac_test_support::TestDatabase;
use almanac_test_support::clamd::ClamdServer;
use almanac_test_support::smtp::{ReceivedEmail, SmtpServer};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::Utc;
use diesel::pg::PgConnection;
use http_body_util::BodyExt;
use publisher::security::csrf;
use publisher::{AppState, Db, PublisherConfig};
use tower::ServiceExt;

pub const PASSWORD: &str = "violet kettle orbit 42";
pub const SECRET_KEY: &str = "test-secret-key-0123456789abcdef-0123456789";

pub struct TestApp {
    pub database: TestDatabase,
    pub smtp: SmtpServer,
    pub router: axum::Router,
    pub config: PublisherConfig,
    /// `UPLOAD_DIR`: this app's own file store.
    pub upload_dir: tempfile::TempDir,
    /// A clamd for tests that upload (`TestApp::with_clamd`); `None` otherwise, so other
    /// tests do not pay for starting one.
    pub clamd: Option<ClamdServer>,
}

pub fn base_env(
    database: &TestDatabase,
    upload_dir: &std::path::Path,
) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("UPLOAD_DIR", upload_dir.display().to_string()),
        ("DATABASE_URL", database.url().to_owned()),
        ("SECRET_KEY", SECRET_KEY.to_owned()),
        ("PUBLIC_URL", "http://publisher.test".to_owned()),
        (
            "GOVUK_FRONTEND_DIR",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../node_modules/govuk-frontend/dist/govuk"
            )
            .to_owned(),
        ),
        (
            "STATIC_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../static").to_owned(),
        ),
        ("LOGIN_ATTEMPTS_PER_MINUTE", "10000".to_owned()),
    ])
}

impl TestApp {
    pub fn new() -> TestApp {
        TestApp::with(&[])
    }

    /// With extra or replaced environment variables.
    pub fn with(overrides: &[(&'static str, &str)]) -> TestApp {
        TestApp::build(None, overrides)
    }

    /// With a real clamd (EICAR-only signatures) as the upload scanner.
    pub fn with_clamd() -> TestApp {
        TestApp::with_clamd_and(&[])
    }

    pub fn with_clamd_and(overrides: &[(&'static str, &str)]) -> TestApp {
        TestApp::build(Some(ClamdServer::start()), overrides)
    }

    fn build(clamd: Option<ClamdServer>, overrides: &[(&'static str, &str)]) -> TestApp {
        let database = TestDatabase::new();
        let smtp = SmtpServer::start();
        let upload_dir = tempfile::Builder::new()
            .prefix("almanac-uploads-")
            .tempdir()
            .expect("temporary upload folder");
        let mut env = base_env(&database, upload_dir.path());
        if let Some(clamd) = &clamd {
            env.insert("CLAMD_ADDRESS", clamd.address().to_string());
        }
        env.insert("SMTP_HOST", smtp.host().to_owned());
        env.insert("SMTP_PORT", smtp.port().to_string());
        env.insert("SMTP_TLS", "none".to_owned());
        for (name, value) in overrides {
            env.insert(name, (*value).to_owned());
        }
        let source: BTreeMap<&str, &str> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let config = PublisherConfig::from_source(&source).expect("valid test configuration");
        let state = AppState::new(Db::new(database.pool()), config.clone()).expect("mailer");
        TestApp {
            router: publisher::app(state),
            database,
            smtp,
            config,
            upload_dir,
            clamd,
        }
    }

    pub fn keys(&self) -> &SecretKey {
        &self.config.secret_key
    }

    pub fn conn(&self) -> PgConnection {
        self.database.conn()
    }

    pub fn client(&self) -> Client {
        Client::new(self, "127.0.0.1:50000".parse().unwrap())
    }

    pub fn client_from(&self, address: &str) -> Client {
        Client::new(self, address.parse().unwrap())
    }

    /// An active account with `PASSWORD`, and two-factor on when its type requires it.
    pub fn user(&self, email: &str, user_type: UserType) -> User {
        let mut conn = self.conn();
        let user = create_account(
            &mut conn,
            &NewAccount {
                email,
                user_type,
                password: Some(PASSWORD),
            },
        )
        .expect("create account");
        if self.config.accounts.requires_two_factor(user_type) {
            self.enrol(&user)
        } else {
            user
        }
    }

    /// Turns two-factor on for a user, as the set-up page would; returns the updated user.
    pub fn enrol(&self, user: &User) -> User {
        let mut conn = self.conn();
        two_factor::begin_enrolment(&mut conn, self.keys(), user).expect("begin enrolment");
        let pending = self.reload(user);
        // A step well in the past, so the sign-in codes that follow are newer.
        let earlier = Utc::now() - chrono::Duration::minutes(5);
        let code = two_factor::current_code(self.keys(), &pending, earlier).unwrap();
        two_factor::confirm_enrolment(&mut conn, self.keys(), &pending, &code, earlier)
            .expect("confirm enrolment");
        self.reload(user)
    }

    pub fn reload(&self, user: &User) -> User {
        almanac_accounts::users::get(&mut self.conn(), user.id).expect("user")
    }

    pub fn user_by_email(&self, email: &str) -> Option<User> {
        almanac_accounts::login::find_by_email(&mut self.conn(), email).unwrap()
    }

    /// A client already signed in as `user` (session made directly, second factor done).
    pub fn signed_in(&self, user: &User) -> Client {
        let mut client = self.client();
        let cookie = sessions::start(
            &mut self.conn(),
            user.id,
            true,
            &SessionClient::default(),
            &SessionPolicy::default(),
            Utc::now(),
        )
        .unwrap();
        client.cookies.insert("almanac_session".to_owned(), cookie);
        client
    }

    /// The emails received so far, waiting for at least `count`.
    pub fn emails(&self, count: usize) -> Vec<ReceivedEmail> {
        self.smtp.wait_for_messages(count)
    }

    /// The only link to this publisher in an email's text body.
    pub fn link_in(email: &ReceivedEmail) -> String {
        let start = email
            .text
            .find("http://publisher.test")
            .expect("a link in the email");
        let link = email.text[start..].split_whitespace().next().unwrap();
        link.trim_start_matches("http://publisher.test").to_owned()
    }

    pub fn audit_actions(&self) -> Vec<String> {
        use diesel::prelude::*;
        almanac_content::schema::audit_event::table
            .order(almanac_content::schema::audit_event::id)
            .select(almanac_content::schema::audit_event::action)
            .load(&mut self.conn())
            .unwrap()
    }
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }

    #[track_caller]
    pub fn assert_redirect(&self, to: &str) {
        assert_eq!(self.status, StatusCode::SEE_OTHER, "{}", self.body);
        assert_eq!(self.location(), to);
    }

    #[track_caller]
    pub fn assert_contains(&self, text: &str) {
        assert!(
            self.body.contains(text),
            "{text:?} is not in the page ({}):\n{}",
            self.status,
            self.body
        );
    }
}

/// Keeps cookies between requests, sends the CSRF token with every form, and comes from a
/// fixed client address.
pub struct Client {
    router: axum::Router,
    keys: SecretKey,
    address: SocketAddr,
    pub cookies: BTreeMap<String, String>,
}

impl Client {
    fn new(app: &TestApp, address: SocketAddr) -> Client {
        Client {
            router: app.router.clone(),
            keys: app.config.secret_key.clone(),
            address,
            cookies: BTreeMap::new(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let request = Request::get(path).body(Body::empty()).unwrap();
        self.send(request).await
    }

    /// A form post with this client's CSRF token added.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        if !self.cookies.contains_key(csrf::COOKIE) {
            self.get("/auth/login").await;
        }
        let token = csrf::token_for(&self.keys, &self.cookies[csrf::COOKIE]);
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all, &[]).await
    }

    /// A form post exactly as given: no token added.
    pub async fn post_raw(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Page {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let mut request =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::from(body)).unwrap()).await
    }

    pub async fn send(&mut self, mut request: Request<Body>) -> Page {
        request.extensions_mut().insert(ConnectInfo(self.address));
        if !self.cookies.is_empty() {
            let cookie = self
                .cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; ");
            request
                .headers_mut()
                .insert(header::COOKIE, cookie.parse().unwrap());
        }
        let response = self.router.clone().oneshot(request).await.unwrap();
        for set in response.headers().get_all(header::SET_COOKIE) {
            let cookie =
                axum_extra::extract::cookie::Cookie::parse(set.to_str().unwrap().to_owned())
                    .unwrap();
            let removed =
                cookie.value().is_empty() || cookie.max_age().is_some_and(|age| age.is_zero());
            if removed {
                self.cookies.remove(cookie.name());
            } else {
                self.cookies
                    .insert(cookie.name().to_owned(), cookie.value().to_owned());
            }
        }
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// Signs in through the pages: password, then the code when two-factor is on.
    pub async fn sign_in(&mut self, app: &TestApp, email: &str) -> Page {
        let page = self
            .post("/auth/login", &[("email", email), ("password", PASSWORD)])
            .await;
        if page.location().starts_with("/auth/two-factor") {
            let user = app.user_by_email(email).unwrap();
            let code = two_factor::current_code(app.keys(), &user, Utc::now()).unwrap();
            return self.post("/auth/two-factor", &[("code", &code)]).await;
        }
        page
    }
}
