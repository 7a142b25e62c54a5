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
