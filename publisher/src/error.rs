//! Errors as the publisher answers them. Libraries return narrow error types; this is the
//! one place they become HTTP statuses and pages.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("page not found")]
    NotFound,
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
struct ErrorPage {
    title: &'static str,
    message: &'static str,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "If you typed the web address, check it is correct. If you pasted it, check you copied the entire address.",
            ),
            AppError::DatabaseUnavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Sorry, the service is unavailable",
                "The publisher cannot reach its database. Try again in a few minutes.",
            ),
            AppError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, there is a problem with the service",
                "Try again later. The developers have been told.",
            ),
        };
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let body = ErrorPage { title, message }
            .render()
            .unwrap_or_else(|_| title.to_owned());
        (status, Html(body)).into_response()
    }
}
