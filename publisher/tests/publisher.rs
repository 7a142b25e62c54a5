//! The publisher against a real database: health, login page, homepage preview, errors, and
//! start-up refusing bad configuration.

mod common;

use std::process::Command;

use almanac_seed::{SeedOptions, seed};
use almanac_test_support::TestDatabase;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use publisher::{AppState, Db, PublisherConfig};
use tower::ServiceExt;

fn app(database: &TestDatabase) -> axum::Router {
    let env = std::collections::BTreeMap::from([
        ("DATABASE_URL", database.url()),
        (
            "GOVUK_FRONTEND_DIR",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../node_modules/govuk-frontend/dist/govuk"
            ),
        ),
        (
            "STATIC_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../static"),
        ),
        ("SECRET_KEY", "test-secret-key-0123456789abcdef-0123456789"),
        ("MAIL_DIR", env!("CARGO_TARGET_TMPDIR")),
    ]);
    let config = PublisherConfig::from_source(&env).expect("valid configuration");
    publisher::app(AppState::new(Db::new(database.pool()), config).expect("mailer"))
}

async fn get(app: axum::Router, uri: &str) -> (StatusCode, String) {
    let response = app
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn health_check_reports_the_database() {
    let database = TestDatabase::new();
    let (status, body) = get(app(&database), "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        r#"{"status":"ok","database":"ok","pending_migrations":0,"queue":{"pending":0,"oldest_pending_age_seconds":null,"started":null}}"#
    );
}

#[tokio::test]
async fn homepage_preview_is_rendered_from_the_database_for_signed_in_users() {
    let app = common::TestApp::new();
    seed(
        &mut app.conn(),
        SeedOptions {
            measures: 40,
            seed: 3,
        },
    )
    .unwrap();
    let mut visitor = app.client();
    visitor.get("/").await.assert_redirect("/auth/login");
    let editor = app.user(
        "editor@ons.gov.uk",
        almanac_content::UserType::CentralEditor,
    );
    let page = app.signed_in(&editor).get("/").await;
    let (status, html) = (page.status, page.body);
    assert_eq!(status, StatusCode::OK);
    for topic in [
        "Crime, justice and the law",
        "Housing",
        "Health",
        "Work, pay and benefits",
    ] {
        let escaped = topic.replace(',', "&#44;");
        assert!(
            html.contains(topic) || html.contains(&escaped),
            "{topic} missing"
        );
    }
    // The preview shows the unpublished testing space, marked, and is never indexed.
    assert!(html.contains(r#"href="/testing-space/""#));
    assert!(html.contains("Not published"));
    assert!(html.contains(r#"<meta name="robots" content="noindex">"#));
    assert!(html.contains("/assets/govuk-frontend/govuk-frontend.min.css"));
}

#[tokio::test]
async fn login_page_and_assets_are_served() {
    let database = TestDatabase::new();
    let (status, html) = get(app(&database), "/auth/login").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"<form method="post" action="/auth/login""#));
    assert!(html.contains(r#"autocomplete="current-password""#));
    assert!(html.contains("<title>Sign in - Almanac publisher</title>"));
    assert!(html.contains(r#"<meta name="robots" content="noindex, nofollow">"#));
    let (status, css) = get(
        app(&database),
        "/assets/govuk-frontend/govuk-frontend.min.css",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(css.contains("govuk-header"));
    let (status, _) = get(app(&database), "/assets/fonts/bold-b542beb274-v2.woff2").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = get(app(&database), "/assets/almanac/js/init.mjs").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_pages_get_a_404_page() {
    let database = TestDatabase::new();
    let (status, html) = get(app(&database), "/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Page not found"));
}

fn publisher(env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_publisher"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    command.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    for (name, value) in env {
        command.env(name, value);
    }
    command.arg("serve").output().unwrap()
}

#[test]
fn start_up_stops_on_a_missing_variable_with_one_line_naming_it() {
    let output = publisher(&[]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("DATABASE_URL is not set"), "{stderr}");
}

#[test]
fn start_up_stops_on_an_unreachable_database() {
    // Nothing listens on port 1.
    let output = publisher(&[
        ("DATABASE_URL", "postgres://app:secret@127.0.0.1:1/almanac"),
        ("SECRET_KEY", "test-secret-key-0123456789abcdef-0123456789"),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("cannot connect to the database at postgres://app:***@127.0.0.1:1/almanac"),
        "{stderr}"
    );
    assert!(!stderr.contains("secret"));
}

#[test]
fn start_up_stops_on_a_malformed_variable() {
    let output = publisher(&[
        ("DATABASE_URL", "postgres://app@127.0.0.1:1/x"),
        ("PUBLISHER_BIND", "everywhere"),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("PUBLISHER_BIND=\"everywhere\" is invalid"),
        "{stderr}"
    );
}

fn publisher_command(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_publisher"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args(args);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

#[tokio::test]
async fn create_user_invites_the_first_admin_and_prints_the_link_without_smtp() {
    let app = common::TestApp::new();
    let mail = tempfile::tempdir().unwrap();
    let env = [
        ("DATABASE_URL", app.database.url()),
        ("SECRET_KEY", common::SECRET_KEY),
        ("PUBLIC_URL", "https://publisher.example.gov.uk"),
        ("MAIL_DIR", mail.path().to_str().unwrap()),
    ];
    let output = publisher_command(
        &[
            "create-user",
            "--email",
            "first.admin@cabinetoffice.gov.uk",
            "--type",
            "ADMIN_USER",
        ],
        &env,
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("invited first.admin@cabinetoffice.gov.uk (Admin)"),
        "{stdout}"
    );
    let link = stdout
        .lines()
        .find(|line| line.starts_with("https://publisher.example.gov.uk/register/confirm-account/"))
        .expect("the link is printed");
    let written: Vec<_> = std::fs::read_dir(mail.path()).unwrap().collect();
    assert_eq!(written.len(), 1, "the email is written to MAIL_DIR");
    let user = app
        .user_by_email("first.admin@cabinetoffice.gov.uk")
        .unwrap();
    assert!(!user.active);
    assert_eq!(user.user_type(), Some(almanac_content::UserType::Admin));
    // The printed link works: the first admin sets a password and must then set up two-factor.
    let path = link.trim_start_matches("https://publisher.example.gov.uk");
    let mut browser = app.client();
    browser
        .post(
            path,
            &[
                ("password", common::PASSWORD),
                ("confirm_password", common::PASSWORD),
            ],
        )
        .await
        .assert_redirect("/account/two-factor/setup");

    // Bad input: a clear message, nothing created.
    for (args, message) in [
        (
            vec![
                "create-user",
                "--email",
                "someone@example.com",
                "--type",
                "ADMIN_USER",
            ],
            "Accounts can only be created for government or NHS email addresses",
        ),
        (
            vec![
                "create-user",
                "--email",
                "x@cabinetoffice.gov.uk",
                "--type",
                "ROOT",
            ],
            "unknown user type “ROOT”",
        ),
        (
            vec![
                "create-user",
                "--email",
                "FIRST.ADMIN@cabinetoffice.gov.uk",
                "--type",
                "RDU_USER",
            ],
            "An account for FIRST.ADMIN@cabinetoffice.gov.uk already exists",
        ),
    ] {
        let output = publisher_command(&args, &env);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success());
        assert!(stderr.contains(message), "{stderr}");
    }
    assert!(app.user_by_email("someone@example.com").is_none());
}
