//! Who is asking: the session cookie, the session it names, and what the session may do.
//!
//! `Visitor` is anyone; `PartSignedIn` is someone who has given their password but may still
//! owe a second factor; `SignedIn` has done everything the account policy asks and is what
//! almost every handler takes.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};

use almanac_accounts::audit::Origin;
use almanac_accounts::sessions::{self, Client, Session};
use almanac_content::Capability;
use almanac_content::models::User;

use crate::AppState;
use crate::error::AppError;
use crate::pages::Chrome;
use crate::security::client_ip;
use crate::security::csrf::CsrfToken;

pub const SESSION_COOKIE: &str = "almanac_session";

/// How far a session has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Password given; the account has two-factor on and the code is still owed.
    NeedsCode,
    /// Password given; the account must set up two-factor before anything else.
    NeedsEnrolment,
    Complete,
}

pub fn stage(state: &AppState, user: &User, session: &Session) -> Stage {
    if user.totp_enabled_at.is_some() {
        if session.second_factor_at.is_some() {
            Stage::Complete
        } else {
            Stage::NeedsCode
        }
    } else if user
        .user_type()
        .is_some_and(|kind| state.config.accounts.requires_two_factor(kind))
    {
        Stage::NeedsEnrolment
    } else {
        Stage::Complete
    }
}

/// Anyone, signed in or not.
pub struct Visitor {
    pub session: Option<LiveSession>,
    /// The browser sent a session cookie that names no live session (it timed out, or the
    /// user was signed out elsewhere).
    pub session_ended: bool,
    pub csrf_token: String,
    pub client: Client,
}

pub struct LiveSession {
    pub cookie_value: String,
    pub session: Session,
    pub user: User,
    pub stage: Stage,
}

impl Visitor {
    pub fn origin(&self) -> Origin {
        Origin {
            ip: self.client.ip.clone(),
        }
    }
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let csrf_token = parts
            .extensions
            .get::<CsrfToken>()
            .map(|CsrfToken(token)| token.clone())
            .unwrap_or_default();
        let client = Client {
            ip: client_ip(parts, state.config.trusted_proxy_hops).map(|ip| ip.to_string()),
            user_agent: parts
                .headers
                .get(axum::http::header::USER_AGENT)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
        };
        let cookie_value = parts
            .headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(Cookie::split_parse)
            .filter_map(Result::ok)
            .find(|cookie| cookie.name() == SESSION_COOKIE)
            .map(|cookie| cookie.value().to_owned());
        let had_cookie = cookie_value.is_some();
        let session = match cookie_value {
            None => None,
            Some(cookie_value) => {
                let policy = state.config.sessions;
                let lookup = cookie_value.clone();
                let found = state
                    .db
                    .run(move |conn| {
                        Ok(sessions::find(conn, &lookup, &policy, chrono::Utc::now())?)
                    })
                    .await?;
                if let Some((_, user)) = &found {
                    almanac_telemetry::identify_user(user.id);
                }
                found.map(|(session, user)| LiveSession {
                    stage: stage(state, &user, &session),
                    cookie_value,
                    session,
                    user,
                })
            }
        };
        Ok(Visitor {
            session_ended: had_cookie && session.is_none(),
            session,
            csrf_token,
            client,
        })
    }
}

/// Someone who has given their password, whatever they still owe.
pub struct PartSignedIn {
    pub live: LiveSession,
    pub csrf_token: String,
    pub client: Client,
}

impl PartSignedIn {
    pub fn origin(&self) -> Origin {
        Origin {
            ip: self.client.ip.clone(),
        }
    }
}

impl FromRequestParts<AppState> for PartSignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let visitor = Visitor::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match visitor.session {
            Some(live) => Ok(PartSignedIn {
                live,
                csrf_token: visitor.csrf_token,
                client: visitor.client,
            }),
            None => Err(to_sign_in(parts, visitor.session_ended)),
        }
    }
}

/// A fully signed-in user.
pub struct SignedIn {
    pub user: User,
    pub cookie_value: String,
    pub csrf_token: String,
    pub client: Client,
}

impl SignedIn {
    /// 403 unless the user holds `capability`.
    pub fn require(&self, capability: Capability) -> Result<(), AppError> {
        if self.user.can(capability) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn origin(&self) -> Origin {
        Origin {
            ip: self.client.ip.clone(),
        }
    }

    pub fn chrome(&self) -> Chrome {
        Chrome::signed_in(&self.user, &self.csrf_token)
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let part = PartSignedIn::from_request_parts(parts, state).await?;
        match part.live.stage {
            Stage::Complete => Ok(SignedIn {
                user: part.live.user,
                cookie_value: part.live.cookie_value,
                csrf_token: part.csrf_token,
                client: part.client,
            }),
            Stage::NeedsCode => Err(Redirect::to("/auth/two-factor").into_response()),
            Stage::NeedsEnrolment => Err(Redirect::to("/account/two-factor/setup").into_response()),
        }
    }
}

/// Sends a visitor to sign in, coming back here afterwards (for pages they asked for). A
/// browser whose session has ended is told so, and its stale cookie removed.
fn to_sign_in(parts: &Parts, session_ended: bool) -> Response {
    let here = parts
        .uri
        .path_and_query()
        .map(|path| path.as_str())
        .unwrap_or("/");
    let mut query = Vec::new();
    if session_ended {
        query.push("timed_out=1".to_owned());
    }
    if parts.method == axum::http::Method::GET && here != "/" {
        let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
        query.push(format!("next={next}"));
    }
    let target = if query.is_empty() {
        "/auth/login".to_owned()
    } else {
        format!("/auth/login?{}", query.join("&"))
    };
    if session_ended {
        let jar = axum_extra::extract::CookieJar::new().add(expired_session_cookie());
        (jar, Redirect::to(&target)).into_response()
    } else {
        Redirect::to(&target).into_response()
    }
}

/// The session cookie: HttpOnly, SameSite=Lax (so links from emails still arrive signed
/// in), Secure over HTTPS, and no expiry date (a browser restart ends it; the server's
/// timeouts apply regardless).
pub fn session_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, value))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .build()
}

pub fn expired_session_cookie() -> Cookie<'static> {
    let mut cookie = Cookie::build((SESSION_COOKIE, "")).path("/").build();
    cookie.make_removal();
    cookie
}

/// Only same-site paths are followed after sign-in: `//evil.example` and `https://…` are not.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.starts_with("/auth/") =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/admin/users")), "/admin/users");
        assert_eq!(safe_next(Some("//evil.example/x")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("/auth/logout")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
