//! The publisher's routes.

use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use diesel::prelude::*;
use serde::Serialize;
use tower_http::services::ServeDir;

use crate::AppState;
use crate::error::AppError;

pub fn router(state: AppState) -> Router {
    let govuk = &state.config.govuk_frontend_dir;
    Router::new()
        .route("/", get(homepage_preview))
        .route("/healthz", get(health))
        .route("/auth/login", get(login_page))
        // GOV.UK Frontend's stylesheet refers to /assets/fonts and /assets/images.
        .nest_service("/assets/fonts", ServeDir::new(govuk.join("assets/fonts")))
        .nest_service("/assets/images", ServeDir::new(govuk.join("assets/images")))
        .nest_service("/assets/govuk-frontend", ServeDir::new(govuk))
        .nest_service("/assets/almanac", ServeDir::new(&state.config.static_dir))
        .fallback(not_found)
        .with_state(state)
}

async fn not_found() -> AppError {
    AppError::NotFound
}

/// The homepage as the public site would show it, with unpublished topics marked.
async fn homepage_preview(State(state): State<AppState>) -> Result<Html<String>, AppError> {
    let topics = state
        .db
        .run(|conn| Ok(almanac_content::site::topic_summaries(conn)?))
        .await?;
    let html = almanac_render::homepage(&topics, almanac_render::Mode::Preview, &state.site)?;
    Ok(Html(html))
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    database: &'static str,
    pending_migrations: usize,
}

/// 200 when the database answers and is fully migrated, 503 otherwise.
async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let checked = state
        .db
        .run(|conn| {
            diesel::sql_query("SELECT 1").execute(conn)?;
            Ok(almanac_content::db::pending_migrations(conn)?.len())
        })
        .await;
    match checked {
        Ok(0) => (
            StatusCode::OK,
            Json(Health {
                status: "ok",
                database: "ok",
                pending_migrations: 0,
            }),
        ),
        Ok(pending) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "degraded",
                database: "ok",
                pending_migrations: pending,
            }),
        ),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "unavailable",
                database: "unreachable",
                pending_migrations: 0,
            }),
        ),
    }
}

#[derive(Template)]
#[template(path = "publisher/login.html")]
struct LoginPage;

async fn login_page() -> Result<Html<String>, AppError> {
    LoginPage
        .render()
        .map(Html)
        .map_err(|error| AppError::Internal(error.to_string()))
}
