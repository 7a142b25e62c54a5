//! The builds page (MANAGE_SYSTEM): every recent build with who asked for it and why, its
//! timings and figures, and why it failed; and a button to ask for one.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Deserialize;

use almanac_content::Capability;
use almanac_content::schema::build;

use crate::AppState;
use crate::auth::SignedIn;
use crate::error::AppError;
use crate::pages::{Chrome, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/builds", get(list))
        .route("/admin/builds/request", post(request))
}

type BuildRow = (
    uuid::Uuid,
    String,
    DateTime<Utc>,
    String,
    String,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<String>,
    Option<serde_json::Value>,
);

pub struct BuildView {
    pub id: String,
    pub status: String,
    pub tag: &'static str,
    pub requested: String,
    pub requested_by: String,
    pub reason: String,
    pub took: String,
    pub figures: String,
    pub failure: Option<String>,
}

fn view(row: BuildRow) -> BuildView {
    let (id, status, created, by, reason, started, succeeded, failed, failure, stats) = row;
    let ended = succeeded.or(failed);
    let took = match (started, ended) {
        (Some(start), Some(end)) => {
            format!("{:.1} s", (end - start).num_milliseconds() as f64 / 1000.0)
        }
        (Some(_), None) if status == "STARTED" => "running".to_owned(),
        _ => String::new(),
    };
    let figures = stats
        .map(|stats| {
            let number = |key: &str| stats.get(key).and_then(serde_json::Value::as_u64);
            let mut parts = Vec::new();
            if let Some(pages) = number("pages") {
                parts.push(format!("{pages} pages"));
            }
            if let Some(files) = number("files") {
                parts.push(format!("{files} files"));
            }
            if let Some(bytes) = number("bytes") {
                parts.push(format!("{:.1} MB", bytes as f64 / 1_000_000.0));
            }
            for bucket in stats
                .get("buckets")
                .and_then(serde_json::Value::as_array)
                .into_iter()
                .flatten()
            {
                let field = |key: &str| {
                    bucket
                        .get(key)
                        .and_then(serde_json::Value::as_u64)
                        .unwrap_or(0)
                };
                parts.push(format!(
                    "{}: {} uploaded, {} deleted",
                    bucket
                        .get("bucket")
                        .and_then(serde_json::Value::as_str)
                        .unwrap_or("bucket"),
                    field("uploaded"),
                    field("deleted")
                ));
            }
            parts.join(", ")
        })
        .unwrap_or_default();
    BuildView {
        id: id.to_string(),
        tag: match status.as_str() {
            "DONE" => "govuk-tag--green",
            "FAILED" => "govuk-tag--red",
            "STARTED" => "govuk-tag--blue",
            "PENDING" => "govuk-tag--yellow",
            _ => "govuk-tag--grey",
        },
        status,
        requested: created.format("%-d %B %Y %H:%M:%S UTC").to_string(),
        requested_by: by,
        reason,
        took,
        figures,
        failure,
    }
}

#[derive(Template)]
#[template(path = "publisher/admin/builds.html")]
struct BuildsPage {
    chrome: Chrome,
    notice: String,
    builds: Vec<BuildView>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NoticeQuery {
    done: String,
}

async fn list(
    State(state): State<AppState>,
    user: SignedIn,
    Query(query): Query<NoticeQuery>,
) -> Result<Html<String>, AppError> {
    user.require(Capability::ManageSystem)?;
    let rows: Vec<BuildRow> = state
        .db
        .run(|conn| {
            Ok(build::table
                .order(build::created_at.desc())
                .limit(100)
                .select((
                    build::id,
                    build::status,
                    build::created_at,
                    build::requested_by,
                    build::reason,
                    build::started_at,
                    build::succeeded_at,
                    build::failed_at,
                    build::failure_reason,
                    build::stats,
                ))
                .load(conn)?)
        })
        .await?;
    render(&BuildsPage {
        chrome: user.chrome(),
        notice: if query.done == "requested" {
            "A build has been requested. The builder starts it within seconds.".to_owned()
        } else {
            String::new()
        },
        builds: rows.into_iter().map(view).collect(),
    })
}

async fn request(State(state): State<AppState>, user: SignedIn) -> Result<Response, AppError> {
    user.require(Capability::ManageSystem)?;
    let email = user.user.email.clone();
    state
        .db
        .run(move |conn| {
            almanac_content::builds::request(conn, &email, "requested on the builds page")?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to("/admin/builds?done=requested").into_response())
}
