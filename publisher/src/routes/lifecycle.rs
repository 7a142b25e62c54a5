//! Deleting a version, archiving a measure and copying one.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use serde::Deserialize;

use almanac_content::measures::{self, MeasureListing};
use almanac_content::pages::MeasurePage;
use almanac_editorial::lifecycle::{self, Deleted, LifecycleError};

use crate::AppState;
use crate::auth::SignedIn;
use crate::error::AppError;
use crate::pages::{Chrome, Form, FormErrors, render};
use crate::routes::versions::{VersionPath, load};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/cms/{topic}/{subtopic}/{measure}/{version}/delete",
            get(delete_form).post(delete),
        )
        .route(
            "/cms/{topic}/{subtopic}/{measure}/{version}/copy",
            post(copy),
        )
        .route(
            "/cms/{topic}/{subtopic}/{measure}/{version}/archive",
            get(archive_form).post(archive),
        )
}

/// A refusal the editor can read, or an error page.
fn refusal<T>(result: Result<T, LifecycleError>) -> Result<Result<T, String>, AppError> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(LifecycleError::Forbidden) => Err(AppError::Forbidden),
        Err(LifecycleError::Unknown) => Err(AppError::NotFound),
        Err(LifecycleError::Database(error)) => Err(error.into()),
        Err(other) => Ok(Err(other.to_string())),
    }
}

#[derive(Template)]
#[template(path = "publisher/cms/delete.html")]
struct DeletePage {
    chrome: Chrome,
    errors: FormErrors,
    page: MeasurePage,
    url: String,
    whole_measure: bool,
}

async fn delete_form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<VersionPath>,
) -> Result<Response, AppError> {
    user.require(almanac_content::Capability::DeleteMeasure)?;
    let (page, _) = load(&state, &user, &path).await?;
    let whole_measure = page.version.version_major == 1 && page.version.version_minor == 0;
    Ok(render(&DeletePage {
        chrome: user.chrome(),
        errors: FormErrors::default(),
        page,
        url: path.url(),
        whole_measure,
    })?
    .into_response())
}

async fn delete(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<VersionPath>,
) -> Result<Response, AppError> {
    let (page, _) = load(&state, &user, &path).await?;
    let (actor, origin, version_id) = (user.user.clone(), user.origin(), page.version.id);
    let outcome = state
        .db
        .run(move |conn| {
            let deleted = refusal(lifecycle::delete_version(conn, &actor, &origin, version_id))?;
            Ok(match deleted {
                Ok(Deleted::Version { latest_id }) => {
                    let version = almanac_content::pages::measure_page(conn, latest_id)?
                        .map(|latest| latest.version.version().to_string())
                        .unwrap_or_default();
                    Ok(Some(version))
                }
                Ok(Deleted::Measure) => Ok(None),
                Err(reason) => Err(reason),
            })
        })
        .await?;
    match outcome {
        Ok(Some(latest)) => Ok(Redirect::to(&format!(
            "/cms/{}/{}/{}/{latest}",
            path.topic, path.subtopic, path.measure
        ))
        .into_response()),
        Ok(None) => Ok(Redirect::to("/").into_response()),
        Err(reason) => {
            let whole_measure = page.version.version_major == 1 && page.version.version_minor == 0;
            let body = render(&DeletePage {
                chrome: user.chrome(),
                errors: FormErrors::one("delete", reason),
                page,
                url: path.url(),
                whole_measure,
            })?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
        }
    }
}

async fn copy(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<VersionPath>,
) -> Result<Response, AppError> {
    let (page, _) = load(&state, &user, &path).await?;
    let (actor, origin, version_id) = (user.user.clone(), user.origin(), page.version.id);
    let copied = state
        .db
        .run(move |conn| {
            let copy = refusal(lifecycle::copy_measure(
                conn,
                &actor,
                &origin,
                version_id,
                Utc::now(),
            ))?;
            Ok(match copy {
                Ok(copy) => Ok(almanac_content::pages::measure_page(conn, copy.id)?
                    .ok_or(AppError::NotFound)?),
                Err(reason) => Err(reason),
            })
        })
        .await?;
    match copied {
        Ok(copy) => Ok(Redirect::to(&format!("/cms{}/1.0/edit", copy.path())).into_response()),
        Err(reason) => Err(AppError::BadRequest(reason)),
    }
}

#[derive(Template)]
#[template(path = "publisher/cms/archive.html")]
struct ArchivePage {
    chrome: Chrome,
    errors: FormErrors,
    page: MeasurePage,
    url: String,
    others: Vec<MeasureListing>,
}

async fn archive_page(
    state: &AppState,
    user: &SignedIn,
    page: MeasurePage,
    url: String,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let measure_id = page.version.measure_id;
    let others = state
        .db
        .run(move |conn| {
            Ok(measures::all(conn)?
                .into_iter()
                .filter(|m| m.id != measure_id)
                .collect())
        })
        .await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = render(&ArchivePage {
        chrome: user.chrome(),
        errors,
        page,
        url,
        others,
    })?;
    Ok((status, body).into_response())
}

async fn archive_form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<VersionPath>,
) -> Result<Response, AppError> {
    user.require(almanac_content::Capability::Publish)?;
    let (page, _) = load(&state, &user, &path).await?;
    archive_page(&state, &user, page, path.url(), FormErrors::default()).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ArchiveForm {
    replaced_by: String,
}

async fn archive(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<VersionPath>,
    Form(form): Form<ArchiveForm>,
) -> Result<Response, AppError> {
    user.require(almanac_content::Capability::Publish)?;
    let (page, _) = load(&state, &user, &path).await?;
    let replaced_by = match form.replaced_by.trim() {
        "" => None,
        id => match id.parse::<i32>() {
            Ok(id) => Some(id),
            Err(_) => {
                let errors = FormErrors::one("replaced_by", "Choose a page from the list, or none");
                return archive_page(&state, &user, page, path.url(), errors).await;
            }
        },
    };
    let (actor, origin, measure_id) = (user.user.clone(), user.origin(), page.version.measure_id);
    let outcome = state
        .db
        .run(move |conn| {
            refusal(lifecycle::archive(
                conn,
                &actor,
                &origin,
                measure_id,
                replaced_by,
            ))
        })
        .await?;
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("{}?done=archived", path.url())).into_response()),
        Err(reason) => {
            archive_page(
                &state,
                &user,
                page,
                path.url(),
                FormErrors::one("replaced_by", reason),
            )
            .await
        }
    }
}
