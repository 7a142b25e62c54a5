//! The builds page (MANAGE_SYSTEM): every recent build with who asked for it and why, its
//! timings and figures, and why it failed; a button to ask for one; acknowledging a failed
//! build, which stops its alert emails; and the last run of each of the builder's scheduled
//! jobs.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Deserialize;

use almanac_content::Capability;
use almanac_content::builds::AcknowledgeError;
use almanac_content::schema::build;

use crate::AppState;
use crate::auth::SignedIn;
use crate::error::AppError;
use crate::pages::{Chrome, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/builds", get(list))
        .route("/admin/builds/request", post(request))
        .route("/admin/builds/{id}/acknowledge", post(acknowledge))
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = build)]
struct BuildRow {
    id: uuid::Uuid,
    status: String,
    created_at: DateTime<Utc>,
    requested_by: String,
    reason: String,
    started_at: Option<DateTime<Utc>>,
    succeeded_at: Option<DateTime<Utc>>,
    failed_at: Option<DateTime<Utc>>,
    failure_reason: Option<String>,
    stats: Option<serde_json::Value>,
    acknowledged_at: Option<DateTime<Utc>>,
    acknowledged_by: Option<String>,
    alerts_sent: i32,
}

/// What the page says of a failed build's alerts: how many went out, and who stopped them.
pub enum Alerts {
    /// Not a failed build: nothing to acknowledge.
    None,
    Unacknowledged {
        sent: String,
    },
    Acknowledged {
        by: String,
        on: String,
        sent: String,
    },
}

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
    pub alerts: Alerts,
}

fn alert_emails(sent: i32) -> String {
    match sent {
        0 => "No alert emails have been sent yet.".to_owned(),
        1 => "1 alert email was sent.".to_owned(),
        n => format!("{n} alert emails were sent."),
    }
}

fn view(row: BuildRow) -> BuildView {
    let BuildRow {
        id,
        status,
        created_at: created,
        requested_by: by,
        reason,
        started_at: started,
        succeeded_at: succeeded,
        failed_at: failed,
        failure_reason: failure,
        stats,
        acknowledged_at,
        acknowledged_by,
        alerts_sent,
    } = row;
    let alerts = match (status.as_str(), acknowledged_at) {
        ("FAILED", None) => Alerts::Unacknowledged {
            sent: alert_emails(alerts_sent),
        },
        ("FAILED", Some(on)) => Alerts::Acknowledged {
            by: acknowledged_by.unwrap_or_default(),
            on: on.format("%-d %B %Y at %H:%M UTC").to_string(),
            sent: alert_emails(alerts_sent),
        },
        _ => Alerts::None,
    };
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
        alerts,
    }
}

/// One scheduled job's last run, as the page shows it.
pub struct JobView {
    pub name: String,
    pub started: String,
    pub finished: String,
    pub outcome: String,
    pub tag: &'static str,
    pub detail: String,
}

fn job_view(record: almanac_jobs::exclusive::JobRecord) -> JobView {
    let when = |at: Option<DateTime<Utc>>| {
        at.map(|at| at.format("%-d %B %Y %H:%M:%S UTC").to_string())
            .unwrap_or_default()
    };
    // A run that started after the last one finished is still going (or died: the next
    // run says which).
    let running = match (record.last_started_at, record.last_finished_at) {
        (Some(started), Some(finished)) => started > finished,
        (Some(_), None) => true,
        _ => false,
    };
    let (outcome, tag) = match record.last_outcome.as_deref() {
        _ if running => ("RUNNING".to_owned(), "govuk-tag--blue"),
        Some("OK") => ("OK".to_owned(), "govuk-tag--green"),
        Some("FAILED") => ("FAILED".to_owned(), "govuk-tag--red"),
        Some(other) => (other.to_owned(), "govuk-tag--grey"),
        None => ("NEVER RUN".to_owned(), "govuk-tag--grey"),
    };
    JobView {
        name: record.name,
        started: when(record.last_started_at),
        finished: when(record.last_finished_at),
        outcome,
        tag,
        detail: record.last_detail.unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "publisher/admin/builds.html")]
struct BuildsPage {
    chrome: Chrome,
    notice: String,
    error: String,
    builds: Vec<BuildView>,
    jobs: Vec<JobView>,
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
    let notice = match query.done.as_str() {
        "requested" => "A build has been requested. The builder starts it within seconds.",
        "acknowledged" => "The build has been acknowledged. Its alert emails have stopped.",
        _ => "",
    };
    builds_page(&state, &user, notice.to_owned(), String::new()).await
}

async fn builds_page(
    state: &AppState,
    user: &SignedIn,
    notice: String,
    error: String,
) -> Result<Html<String>, AppError> {
    let (rows, jobs) = state
        .db
        .run(|conn| {
            let rows: Vec<BuildRow> = build::table
                .order(build::created_at.desc())
                .limit(100)
                .select(BuildRow::as_select())
                .load(conn)?;
            Ok((rows, almanac_jobs::exclusive::records(conn)?))
        })
        .await?;
    render(&BuildsPage {
        chrome: user.chrome(),
        notice,
        error,
        builds: rows.into_iter().map(view).collect(),
        jobs: jobs.into_iter().map(job_view).collect(),
    })
}

/// Stops a failed build's alert emails (as `site-builder acknowledge` does). Acknowledging
/// one already acknowledged keeps the first acknowledgement.
async fn acknowledge(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    user.require(Capability::ManageSystem)?;
    // The full id only: the library also takes a prefix, which is for the command line.
    let id: uuid::Uuid = id.parse().map_err(|_| AppError::NotFound)?;
    let who = user.user.email.clone();
    let refused = state
        .db
        .run(move |conn| {
            match almanac_content::builds::acknowledge(conn, &id.to_string(), &who, Utc::now()) {
                Ok(_) => Ok(None),
                Err(AcknowledgeError::Unknown(_)) => Err(AppError::NotFound),
                Err(AcknowledgeError::Database(error)) => Err(error.into()),
                Err(AcknowledgeError::NotFailed(_)) => {
                    Ok(Some("Only a failed build can be acknowledged".to_owned()))
                }
            }
        })
        .await?;
    match refused {
        None => Ok(Redirect::to("/admin/builds?done=acknowledged").into_response()),
        Some(reason) => {
            let page = builds_page(&state, &user, String::new(), reason).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
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
