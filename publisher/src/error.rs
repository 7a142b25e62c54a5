//! Errors as the publisher answers them. Libraries return narrow error types; this is the
//! one place they become HTTP statuses and pages.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("page not found")]
    NotFound,
    /// The user may not do this. Says nothing of whether the thing exists.
    #[error("forbidden")]
    Forbidden,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("the form's CSRF token is missing or wrong")]
    CsrfRefused,
    /// A review link that is unknown, expired or replaced: 404 with what to do next.
    #[error("review link not valid")]
    LinkNotValid,
    #[error("too many requests")]
    TooManyRequests { retry_after_seconds: u64 },
    #[error("the database is unavailable: {0}")]
    DatabaseUnavailable(String),
    #[error("{0}")]
    Internal(String),
}

impl From<almanac_content::db::DbError> for AppError {
    fn from(error: almanac_content::db::DbError) -> Self {
        use almanac_content::db::DbError;
        match error {
            DbError::Pool(_) | DbError::Connect { .. } => {
                AppError::DatabaseUnavailable(error.to_string())
            }
            DbError::Query(diesel::result::Error::NotFound) => AppError::NotFound,
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> Self {
        almanac_content::db::DbError::Query(error).into()
    }
}

impl From<almanac_render::RenderError> for AppError {
    fn from(error: almanac_render::RenderError) -> Self {
        AppError::Internal(error.to_string())
    }
}

#[derive(Template)]
#[template(path = "publisher/error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

const INTERNAL_TITLE: &str = "Sorry, there is a problem with the service";
const INTERNAL_MESSAGE: &str = "Try again later. The developers have been told.";

fn page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = ErrorPage { title, message }
        .render()
        .unwrap_or_else(|_| title.to_owned());
    (status, Html(body)).into_response()
}

/// The 500 page for a handler that panicked. Not reported here: Sentry's panic hook has
/// already sent the panic with its stack.
pub fn panic_page() -> Response {
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        INTERNAL_TITLE,
        INTERNAL_MESSAGE,
    )
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, title, message): (StatusCode, &str, String) = match &self {
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "If you typed the web address, check it is correct. If you pasted it, check you copied the entire address.".to_owned(),
            ),
            AppError::Forbidden => (
                StatusCode::FORBIDDEN,
                "You do not have permission to see this page",
                "If you think you should, ask an admin of the publisher.".to_owned(),
            ),
            AppError::BadRequest(reason) => (
                StatusCode::BAD_REQUEST,
                "Sorry, the publisher could not understand that request",
                reason.clone(),
            ),
            AppError::LinkNotValid => (
                StatusCode::NOT_FOUND,
                "This review link is not valid",
                "It may have expired, or a newer link may have replaced it. Ask the person who sent it to you for a new link.".to_owned(),
            ),
            AppError::CsrfRefused => (
                StatusCode::FORBIDDEN,
                "This form has expired",
                "Go back, reload the page and try again. Nothing was changed.".to_owned(),
            ),
            AppError::TooManyRequests { retry_after_seconds } => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                format!(
                    "There have been too many attempts from your network. Wait {} and try again.",
                    if *retry_after_seconds < 90 {
                        format!("{retry_after_seconds} seconds")
                    } else {
                        format!("{} minutes", retry_after_seconds.div_ceil(60))
                    }
                ),
            ),
            AppError::DatabaseUnavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Sorry, the service is unavailable",
                "The publisher cannot reach its database. Try again in a few minutes.".to_owned(),
            ),
            AppError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                INTERNAL_TITLE,
                INTERNAL_MESSAGE.to_owned(),
            ),
        };
        // Only server errors reach the developers; a 4xx is the client's to fix.
        if status.is_server_error() {
            almanac_telemetry::report_server_error(status.as_u16(), &self);
        }
        let mut response = page(status, title, &message);
        if let AppError::TooManyRequests {
            retry_after_seconds,
        } = self
        {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after_seconds),
            );
        }
        response
    }
}

impl From<almanac_accounts::users::AccountError> for AppError {
    fn from(error: almanac_accounts::users::AccountError) -> Self {
        use almanac_accounts::users::AccountError;
        match error {
            AccountError::UnknownUser | AccountError::UnknownMeasure => AppError::NotFound,
            AccountError::Database(error) => error.into(),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<almanac_accounts::login::LoginError> for AppError {
    fn from(error: almanac_accounts::login::LoginError) -> Self {
        match error {
            almanac_accounts::login::LoginError::Database(error) => error.into(),
        }
    }
}

impl From<almanac_accounts::two_factor::TwoFactorError> for AppError {
    fn from(error: almanac_accounts::two_factor::TwoFactorError) -> Self {
        match error {
            almanac_accounts::two_factor::TwoFactorError::Database(error) => error.into(),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<almanac_accounts::emails::EmailRenderError> for AppError {
    fn from(error: almanac_accounts::emails::EmailRenderError) -> Self {
        AppError::Internal(error.to_string())
    }
}
