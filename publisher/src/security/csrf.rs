//! Cross-site request forgery protection for every state-changing request.
//!
//! Every visitor gets a random `almanac_csrf` cookie (HttpOnly, SameSite=Lax). Forms carry
//! the HMAC of that value under a key derived from `SECRET_KEY` (the `csrf_token` field, or
//! the `X-CSRF-Token` header for fetch calls). Another site can make the browser send the
//! cookie but can neither read it nor compute its HMAC. Signing in and out replaces the
//! cookie, so a token seen before sign-in is useless after it.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use almanac_accounts::SecretKey;
use almanac_accounts::keys::random_token;

use crate::AppState;
use crate::error::AppError;

pub const COOKIE: &str = "almanac_csrf";
pub const FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";
/// Forms larger than this are refused before their token is looked for.
const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;
const PURPOSE: &str = "csrf";

/// The token for this request's forms, put into the request by `guard`.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

pub fn token_for(keys: &SecretKey, cookie_value: &str) -> String {
    URL_SAFE_NO_PAD.encode(keys.sign(PURPOSE, cookie_value.as_bytes()))
}

fn token_matches(keys: &SecretKey, cookie_value: &str, submitted: &str) -> bool {
    URL_SAFE_NO_PAD
        .decode(submitted.trim())
        .is_ok_and(|signature| {
            signature.len() == 32 && keys.verify(PURPOSE, cookie_value.as_bytes(), &signature)
        })
}

/// A new CSRF cookie, for a visitor who has none or who has just signed in or out.
pub fn new_cookie(secure: bool) -> Cookie<'static> {
    Cookie::build((COOKIE, random_token(32)))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .build()
}

pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let keys = &state.config.secret_key;
    let existing = cookie_value(request.headers());
    let (cookie_value, fresh_cookie) = match existing {
        Some(value) => (value, None),
        None => {
            let cookie = new_cookie(state.config.is_https());
            (cookie.value().to_owned(), Some(cookie))
        }
    };
    let mut request = request;
    if is_state_changing(request.method()) && !is_token_api_call(request.uri().path()) {
        if fresh_cookie.is_some() || !same_origin(request.headers()) {
            return AppError::CsrfRefused.into_response();
        }
        let (rebuilt, submitted) = match submitted_token(request).await {
            Ok(found) => found,
            Err(response) => return response,
        };
        request = rebuilt;
        let valid = submitted.is_some_and(|token| token_matches(keys, &cookie_value, &token));
        if !valid {
            return AppError::CsrfRefused.into_response();
        }
    }
    request
        .extensions_mut()
        .insert(CsrfToken(token_for(keys, &cookie_value)));
    let mut response = next.run(request).await;
    if let Some(cookie) = fresh_cookie {
        // A handler that rotated the cookie (sign-in) already set its own.
        let already_set = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .any(|value| {
                value
                    .as_bytes()
                    .starts_with(format!("{COOKIE}=").as_bytes())
            });
        if !already_set && let Ok(value) = cookie.encoded().to_string().parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == COOKIE)
        .map(|cookie| cookie.value().to_owned())
        .filter(|value| value.len() >= 32 && value.len() <= 64)
}

/// The JSON API authenticates only by bearer token, never by cookie (see
/// `routes::api::ApiUser`), and a browser never adds a bearer token to a request on its own:
/// a forged cross-site call carries no credentials there, so CSRF does not apply.
fn is_token_api_call(path: &str) -> bool {
    path.starts_with("/api/")
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Browsers send `Origin` with every cross-site POST; when present it must name this host.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .unwrap_or_default();
    !host.is_empty() && origin_host == host
}

/// The submitted token: the header, else the form field of a URL-encoded body (which is
/// read and put back for the handler), else a `csrf_token` query parameter (for multipart
/// uploads, whose bodies are not buffered here).
async fn submitted_token(request: Request) -> Result<(Request, Option<String>), Response> {
    if let Some(value) = request.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        let token = value.to_owned();
        return Ok((request, Some(token)));
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        let (parts, body) = request.into_parts();
        let bytes = to_bytes(body, MAX_FORM_BYTES).await.map_err(|_| {
            AppError::BadRequest("The form is too large.".to_owned()).into_response()
        })?;
        let token = form_urlencoded::parse(&bytes)
            .find(|(name, _)| name == FIELD)
            .map(|(_, value)| value.into_owned());
        return Ok((Request::from_parts(parts, Body::from(bytes)), token));
    }
    let token = request.uri().query().and_then(|query| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == FIELD)
            .map(|(_, value)| value.into_owned())
    });
    Ok((request, token))
}
