//! Measure pages of the CMS. Departmental users reach only the measures shared with them.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};

use almanac_accounts::users::{can_access_measure, shared_measure_ids};
use almanac_content::UserType;
use almanac_content::measures::{self, MeasureListing, VersionListing};

use crate::AppState;
use crate::auth::SignedIn;
use crate::error::AppError;
use crate::pages::{Chrome, render};

#[derive(Template)]
#[template(path = "publisher/cms/your_measures.html")]
struct YourMeasuresPage {
    chrome: Chrome,
    measures: Vec<MeasureListing>,
}

/// Departmental users' start page: the measures shared with them. Everyone else works from
/// the site preview, as in the model.
pub async fn your_measures(
    State(state): State<AppState>,
    user: SignedIn,
) -> Result<Response, AppError> {
    if user.user.user_type() != Some(UserType::Departmental) {
        return Ok(Redirect::to("/").into_response());
    }
    let user_id = user.user.id;
    let measures = state
        .db
        .run(move |conn| {
            let ids = shared_measure_ids(conn, user_id)?;
            Ok(measures::with_ids(conn, &ids)?)
        })
        .await?;
    Ok(render(&YourMeasuresPage {
        chrome: user.chrome(),
        measures,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "publisher/cms/versions.html")]
struct VersionsPage {
    chrome: Chrome,
    measure: MeasureListing,
    versions: Vec<VersionListing>,
}

pub async fn versions(
    State(state): State<AppState>,
    user: SignedIn,
    Path((topic, subtopic, slug)): Path<(String, String, String)>,
) -> Result<Html<String>, AppError> {
    let reader = user.user.clone();
    let (measure, versions) = state
        .db
        .run(move |conn| {
            let measure = measures::find_by_path(conn, &topic, &subtopic, &slug)?;
            // A departmental user learns nothing from the status: missing and not shared
            // look the same.
            let Some(measure) = measure else {
                return Err(if reader.user_type() == Some(UserType::Departmental) {
                    AppError::Forbidden
                } else {
                    AppError::NotFound
                });
            };
            if !can_access_measure(conn, &reader, measure.id)? {
                return Err(AppError::Forbidden);
            }
            let versions = measures::versions(conn, measure.id)?;
            Ok((measure, versions))
        })
        .await?;
    render(&VersionsPage {
        chrome: user.chrome(),
        measure,
        versions,
    })
}

/// A measure as the subtopic page lists it.
pub struct SubtopicMeasure {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub status: String,
    pub version: String,
    pub retired: bool,
}

#[derive(Template)]
#[template(path = "publisher/cms/subtopic.html")]
struct SubtopicPage {
    chrome: Chrome,
    errors: crate::pages::FormErrors,
    topic_slug: String,
    topic_title: String,
    subtopic_slug: String,
    subtopic_title: String,
    measures: Vec<SubtopicMeasure>,
    can_order: bool,
    can_create: bool,
}

#[derive(Debug, serde::Deserialize)]
pub struct SubtopicPath {
    topic: String,
    subtopic: String,
}

/// A subtopic's measures in their order, each with its newest version; departmental users
/// see only the ones shared with them.
async fn subtopic_page(
    state: &AppState,
    user: &SignedIn,
    path: &SubtopicPath,
    errors: crate::pages::FormErrors,
) -> Result<Response, AppError> {
    use almanac_content::schema::{measure, measure_version, subtopic, topic};
    use diesel::prelude::*;
    let (topic_slug, subtopic_slug, reader) =
        (path.topic.clone(), path.subtopic.clone(), user.user.clone());
    let (titles, rows) = state
        .db
        .run(move |conn| {
            let titles: (i32, String, String) = subtopic::table
                .inner_join(topic::table)
                .filter(topic::slug.eq(&topic_slug))
                .filter(subtopic::slug.eq(&subtopic_slug))
                .select((subtopic::id, topic::title, subtopic::title))
                .first(conn)
                .optional()?
                .ok_or(AppError::NotFound)?;
            let shared = shared_measure_ids(conn, reader.id)?;
            let rows: Vec<(i32, String, bool, String, String, i32, i32)> = measure::table
                .inner_join(measure_version::table)
                .filter(measure::subtopic_id.eq(titles.0))
                .filter(measure_version::latest.eq(true))
                .order((measure::position, measure::id))
                .select((
                    measure::id,
                    measure::slug,
                    measure::retired,
                    measure_version::title,
                    measure_version::status,
                    measure_version::version_major,
                    measure_version::version_minor,
                ))
                .load(conn)?;
            let visible = rows
                .into_iter()
                .filter(|row| {
                    reader.user_type() != Some(UserType::Departmental) || shared.contains(&row.0)
                })
                .map(
                    |(id, slug, retired, title, status, major, minor)| SubtopicMeasure {
                        id,
                        slug,
                        title,
                        status,
                        version: format!("{major}.{minor}"),
                        retired,
                    },
                )
                .collect::<Vec<_>>();
            Ok(((titles.1, titles.2), visible))
        })
        .await?;
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = render(&SubtopicPage {
        chrome: user.chrome(),
        errors,
        topic_slug: path.topic.clone(),
        topic_title: titles.0,
        subtopic_slug: path.subtopic.clone(),
        subtopic_title: titles.1,
        measures: rows,
        can_order: user.user.can(almanac_content::Capability::OrderMeasures),
        can_create: user.user.can(almanac_content::Capability::CreateMeasure),
    })?;
    Ok((status, body).into_response())
}

pub async fn subtopic(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<SubtopicPath>,
) -> Result<Response, AppError> {
    subtopic_page(&state, &user, &path, crate::pages::FormErrors::default()).await
}

#[derive(Debug, serde::Deserialize)]
pub struct MovePath {
    topic: String,
    subtopic: String,
    id: i32,
    direction: String,
}

/// Moves a measure up or down its subtopic (ORDER_MEASURES); the site is rebuilt.
pub async fn move_measure(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<MovePath>,
) -> Result<Response, AppError> {
    user.require(almanac_content::Capability::OrderMeasures)?;
    let up = match path.direction.as_str() {
        "up" => true,
        "down" => false,
        _ => return Err(AppError::NotFound),
    };
    let (actor, origin, id) = (user.user.clone(), user.origin(), path.id);
    let refused = state
        .db
        .run(move |conn| {
            match almanac_editorial::lifecycle::move_measure(conn, &actor, &origin, id, up) {
                Ok(()) => Ok(None),
                Err(almanac_editorial::lifecycle::LifecycleError::Invalid(reason)) => {
                    Ok(Some(reason))
                }
                Err(almanac_editorial::lifecycle::LifecycleError::Forbidden) => {
                    Err(AppError::Forbidden)
                }
                Err(almanac_editorial::lifecycle::LifecycleError::Unknown) => {
                    Err(AppError::NotFound)
                }
                Err(almanac_editorial::lifecycle::LifecycleError::Database(error)) => {
                    Err(error.into())
                }
                Err(other) => Err(AppError::Internal(other.to_string())),
            }
        })
        .await?;
    let page = SubtopicPath {
        topic: path.topic,
        subtopic: path.subtopic,
    };
    match refused {
        None => Ok(Redirect::to(&format!("/cms/{}/{}", page.topic, page.subtopic)).into_response()),
        Some(reason) => {
            subtopic_page(
                &state,
                &user,
                &page,
                crate::pages::FormErrors::one("order", reason),
            )
            .await
        }
    }
}
