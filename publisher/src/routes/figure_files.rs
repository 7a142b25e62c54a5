//! The files a measure page links to for each dimension — its data and table layout as CSV,
//! its chart as SVG and PNG — made on request by the renderer the site build uses, for the
//! preview (signed in, same access as the version) and for review links.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde::Deserialize;

use almanac_content::pages::MeasurePage;
use almanac_editorial::review::{self, ReviewError};

use crate::AppState;
use crate::auth::{SignedIn, Visitor};
use crate::error::AppError;
use crate::routes::versions::VersionPath;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/{topic}/{subtopic}/{measure}/{version}/data/{file}",
            get(preview_data),
        )
        .route(
            "/{topic}/{subtopic}/{measure}/{version}/charts/{file}",
            get(preview_chart),
        )
        .route("/review/{token}/data/{file}", get(review_data))
        .route("/review/{token}/charts/{file}", get(review_chart))
}

#[derive(Debug, Deserialize)]
struct FilePath {
    topic: String,
    subtopic: String,
    measure: String,
    version: String,
    file: String,
}

async fn preview_file(
    state: AppState,
    user: SignedIn,
    path: FilePath,
    folder: &str,
) -> Result<Response, AppError> {
    let version_path = VersionPath {
        topic: path.topic,
        subtopic: path.subtopic,
        measure: path.measure,
        version: path.version,
    };
    let (page, _) = super::versions::load(&state, &user, &version_path).await?;
    serve(&state, page, format!("{folder}/{}", path.file)).await
}

async fn preview_data(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<FilePath>,
) -> Result<Response, AppError> {
    preview_file(state, user, path, "data").await
}

async fn preview_chart(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<FilePath>,
) -> Result<Response, AppError> {
    preview_file(state, user, path, "charts").await
}

async fn review_file(
    state: AppState,
    token: String,
    file: String,
    folder: &str,
) -> Result<Response, AppError> {
    let keys = state.review_links.keys.clone();
    let page = state
        .db
        .run(
            move |conn| match review::find(conn, &keys, &token, Utc::now()) {
                Ok(version) => Ok(almanac_content::pages::measure_page(conn, version.id)?),
                Err(ReviewError::Database(error)) => Err(error.into()),
                Err(_) => Ok(None),
            },
        )
        .await?
        .ok_or(AppError::LinkNotValid)?;
    let mut response = serve(&state, page, format!("{folder}/{file}")).await?;
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}

async fn review_data(
    State(state): State<AppState>,
    _visitor: Visitor,
    Path((token, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    review_file(state, token, file, "data").await
}

async fn review_chart(
    State(state): State<AppState>,
    _visitor: Visitor,
    Path((token, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    review_file(state, token, file, "charts").await
}

/// Makes the file (a PNG is drawn on the blocking pool) and sends it as a download.
async fn serve(state: &AppState, page: MeasurePage, path: String) -> Result<Response, AppError> {
    let settings = state.site.clone();
    let file =
        tokio::task::spawn_blocking(move || almanac_render::measure_file(&page, &path, &settings))
            .await
            .map_err(|error| AppError::Internal(format!("making a figure file: {error}")))??
            .ok_or(AppError::NotFound)?;
    let name = file.path.rsplit('/').next().unwrap_or("download");
    // Names come from the renderer (slugs), but the header is built defensively all the same.
    let safe_name: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{safe_name}\""))
        .map_err(|error| AppError::Internal(error.to_string()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(file.content_type),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        file.bytes,
    )
        .into_response())
}
