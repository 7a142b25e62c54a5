//! The site as editors preview it, and the health check.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use diesel::prelude::*;
use serde::Serialize;

use crate::AppState;
use crate::auth::SignedIn;
use crate::error::AppError;

/// The homepage as the public site would show it, with unpublished topics marked and the
/// introduction's draft.
pub async fn homepage_preview(
    State(state): State<AppState>,
    _user: SignedIn,
) -> Result<Html<String>, AppError> {
    let (topics, introduction) = state
        .db
        .run(|conn| {
            let topics = almanac_content::site::topic_summaries(conn)?;
            let introduction = almanac_content::site_pages::find_by_path(
                conn,
                almanac_content::site_pages::HOMEPAGE_PATH,
            )?;
            Ok((topics, introduction))
        })
        .await?;
    let draft = introduction.map(|page| page.draft());
    let html = almanac_render::homepage(
        &topics,
        draft.as_ref(),
        almanac_render::Mode::Preview,
        &state.site,
    )?;
    Ok(Html(html))
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    database: &'static str,
    pending_migrations: usize,
    /// The build queue; `null` when it could not be read. A stalled builder shows here but
    /// does not make the publisher unhealthy: restarting publishers would not help it.
    queue: Option<almanac_telemetry::QueueState>,
}

/// 200 when the database answers and is fully migrated, 503 otherwise; with the state of
/// the build queue.
pub async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let checked = state
        .db
        .run(|conn| {
            diesel::sql_query("SELECT 1").execute(conn)?;
            let pending = almanac_content::db::pending_migrations(conn)?.len();
            // Before the migrations that make the queue have run, there is no queue to show.
            let queue = almanac_telemetry::QueueState::read(conn, chrono::Utc::now()).ok();
            Ok((pending, queue))
        })
        .await;
    let (status, health) = match checked {
        Ok((0, queue)) => (
            StatusCode::OK,
            Health {
                status: "ok",
                database: "ok",
                pending_migrations: 0,
                queue,
            },
        ),
        Ok((pending, queue)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Health {
                status: "degraded",
                database: "ok",
                pending_migrations: pending,
                queue,
            },
        ),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Health {
                status: "unavailable",
                database: "unreachable",
                pending_migrations: 0,
                queue: None,
            },
        ),
    };
    (status, Json(health))
}
