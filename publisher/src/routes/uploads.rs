//! Source-data files of a measure version: the upload page (list, form, delete), the page
//! that changes a file's title and description or replaces the file, and the download of a
//! stored file.
//!
//! An upload is read from a multipart body with a size budget, checked by `check_csv` on the
//! blocking pool, scanned by clamd, and only when the scan is clean recorded and stored at
//! `<measure_id>/<version>/source/<file name>`. Nothing is stored for a file that is not
//! clean. A file is downloadable only when its row says CLEAN. The CSRF token of the
//! multipart form travels in the action URL (`?csrf_token=…`), as `security::csrf` expects.

use askama::Template;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use serde::Deserialize;

use almanac_content::Capability;
use almanac_content::pages::MeasurePage;
use almanac_editorial::uploads::{self, ScanStatus, Upload, UploadRowError};
use almanac_telemetry::UploadOutcome;
use almanac_uploads::{ScanVerdict, StoreKey, UploadError, check_csv, stored_file_name};

use crate::AppState;
use crate::auth::SignedIn;
use crate::error::AppError;
use crate::pages::{Chrome, FormErrors, render};
use crate::routes::versions::VersionPath;

/// Text fields (title, description) and multipart framing allowed on top of the file.
const FORM_ALLOWANCE: u64 = 64 * 1024;
const SCANNING_OFF: &str = "Virus scanning is not configured: uploads are switched off.";

pub fn routes() -> Router<AppState> {
    const BASE: &str = "/cms/{topic}/{subtopic}/{measure}/{version}";
    Router::new()
        .route(
            &format!("{BASE}/upload"),
            // The handler enforces `UPLOAD_MAX_BYTES` itself while it reads the body, so it
            // can answer with the upload page (413) rather than a bare error.
            get(form).post(upload).layer(DefaultBodyLimit::disable()),
        )
        .route(
            &format!("{BASE}/uploads/{{file_name}}/delete"),
            post(delete),
        )
        .route(
            &format!("{BASE}/uploads/{{file_name}}/edit"),
            get(edit_form).post(edit).layer(DefaultBodyLimit::disable()),
        )
        .route(&format!("{BASE}/downloads/{{file_name}}"), get(download))
        // The preview renders download links with the public site's paths (no `/cms`):
        // they reach the same handler, with the same sign-in and access rules.
        .route(
            "/{topic}/{subtopic}/{measure}/{version}/downloads/{file_name}",
            get(download),
        )
}

#[derive(Debug, Deserialize)]
pub struct FilePath {
    topic: String,
    subtopic: String,
    measure: String,
    version: String,
    file_name: String,
}

impl FilePath {
    fn version_path(&self) -> VersionPath {
        VersionPath {
            topic: self.topic.clone(),
            subtopic: self.subtopic.clone(),
            measure: self.measure.clone(),
            version: self.version.clone(),
        }
    }
}

/// The page of a version the signed-in user may see, with the same rules as the version
/// page: departmental users get 403 whether the measure is missing or not shared.
async fn load(
    state: &AppState,
    user: &SignedIn,
    path: &VersionPath,
) -> Result<MeasurePage, AppError> {
    crate::routes::versions::load(state, user, path)
        .await
        .map(|(page, _)| page)
}

struct UploadRow {
    title: String,
    description: Option<String>,
    file_name: String,
    size: String,
    clean: bool,
}

#[derive(Template)]
#[template(path = "publisher/uploads/upload.html")]
struct UploadPage {
    chrome: Chrome,
    notice: String,
    errors: FormErrors,
    url: String,
    page_title: String,
    version: String,
    uploads: Vec<UploadRow>,
    editable: bool,
    scanning: bool,
    max_size: String,
    title: String,
    description: String,
}

/// What the form held, kept when it is shown again.
#[derive(Debug, Default)]
struct Submitted {
    title: String,
    description: String,
}

async fn upload_page(
    state: &AppState,
    user: &SignedIn,
    page: &MeasurePage,
    status: StatusCode,
    notice: String,
    errors: FormErrors,
    submitted: Submitted,
) -> Result<Response, AppError> {
    let version_id = page.version.id;
    let url = version_url(page);
    let rows = state
        .db
        .run(move |conn| Ok(uploads::list_uploads(conn, version_id)?))
        .await?;
    let body = render(&UploadPage {
        chrome: user.chrome(),
        notice,
        errors,
        url,
        page_title: page.version.title.clone(),
        version: page.version.version().to_string(),
        uploads: rows
            .into_iter()
            .map(|row: Upload| UploadRow {
                clean: row.is_clean(),
                size: size_text(row.size_bytes.max(0) as u64),
                title: row.title,
                description: row.description,
                file_name: row.file_name,
            })
            .collect(),
        editable: page.version.status().is_editable() && user.user.can(Capability::UpdateMeasure),
        scanning: state.scanner.is_some(),
        max_size: size_text(state.config.uploads.limits.max_bytes),
        title: submitted.title,
        description: submitted.description,
    })?;
    Ok((status, body).into_response())
}

/// `/cms/<topic>/<subtopic>/<measure>/<version>`, the version page.
fn version_url(page: &MeasurePage) -> String {
    format!(
        "/cms/{}/{}/{}/{}",
        page.topic_slug,
        page.subtopic_slug,
        page.measure_slug,
        page.version.version()
    )
}

/// `52428800` → `50 MB`.
fn size_text(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB {
        if bytes.is_multiple_of(MIB) {
            format!("{} MB", bytes / MIB)
        } else {
            format!("{:.1} MB", bytes as f64 / MIB as f64)
        }
    } else if bytes >= KIB {
        format!("{} KB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NoticeQuery {
    done: String,
}

pub async fn form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<VersionPath>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let page = load(&state, &user, &path).await?;
    let notice = match query.done.as_str() {
        "delete" => "The file was deleted.".to_owned(),
        "edited" => "The file’s details have been saved.".to_owned(),
        _ => String::new(),
    };
    upload_page(
        &state,
        &user,
        &page,
        StatusCode::OK,
        notice,
        FormErrors::default(),
        Submitted::default(),
    )
    .await
}

/// The fields of the upload form.
struct UploadForm {
    title: String,
    description: String,
    /// The name the browser gave the file, and its bytes; `None` when no file was chosen.
    file: Option<(String, Vec<u8>)>,
}

enum ReadError {
    TooLarge,
    Unreadable(String),
}

/// Reads the multipart body, refusing it once it holds more than `budget` bytes.
async fn read_form(mut multipart: Multipart, budget: u64) -> Result<UploadForm, ReadError> {
    let mut form = UploadForm {
        title: String::new(),
        description: String::new(),
        file: None,
    };
    let mut used: u64 = 0;
    let unreadable = |error: axum::extract::multipart::MultipartError| {
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ReadError::TooLarge
        } else {
            ReadError::Unreadable(error.body_text())
        }
    };
    while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            used += chunk.len() as u64;
            if used > budget {
                return Err(ReadError::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "title" => form.title = String::from_utf8_lossy(&bytes).trim().to_owned(),
            "description" => form.description = String::from_utf8_lossy(&bytes).trim().to_owned(),
            "file" => {
                let chosen = file_name.filter(|name| !name.is_empty());
                form.file = chosen.map(|name| (name, bytes));
            }
            _ => {}
        }
    }
    Ok(form)
}

pub async fn upload(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<VersionPath>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    let page = load(&state, &user, &path).await?;
    if !user.user.can(Capability::UpdateMeasure) {
        return Err(AppError::Forbidden);
    }
    let refuse = |status: StatusCode, field: &'static str, message: String, kept: Submitted| {
        let (state, user, page) = (&state, &user, &page);
        async move {
            upload_page(
                state,
                user,
                page,
                status,
                String::new(),
                FormErrors::one(field, message),
                kept,
            )
            .await
        }
    };
    if !page.version.status().is_editable() {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "file",
            UploadRowError::NotEditable.to_string(),
            Submitted::default(),
        )
        .await;
    }
    let multipart = multipart.map_err(|rejection| {
        AppError::BadRequest(format!(
            "The upload could not be read ({}). Go back and submit it again.",
            rejection.body_text()
        ))
    })?;
    let limits = state.config.uploads.limits;
    let too_large = UploadError::TooLarge {
        limit: limits.max_bytes,
    }
    .to_string();
    let form = match read_form(multipart, limits.max_bytes + FORM_ALLOWANCE).await {
        Ok(form) => form,
        Err(ReadError::TooLarge) => {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "file",
                too_large,
                Submitted::default(),
            )
            .await;
        }
        Err(ReadError::Unreadable(reason)) => {
            return Err(AppError::BadRequest(format!(
                "The upload could not be read ({reason}). Go back and submit it again."
            )));
        }
    };
    let kept = || Submitted {
        title: form.title.clone(),
        description: form.description.clone(),
    };

    let mut errors = FormErrors::default();
    if form.title.is_empty() {
        errors.add("title", UploadRowError::TitleMissing.to_string());
    }
    if form.file.is_none() {
        errors.add("file", "Choose a CSV file to upload");
    }
    if state.scanner.is_none() {
        errors.add("file", SCANNING_OFF);
        return invalid(&state, &user, &page, errors, kept()).await;
    }
    let Some((original_name, bytes)) = form.file.clone().filter(|_| errors.is_empty()) else {
        return invalid(&state, &user, &page, errors, kept()).await;
    };

    // Title and stored name first: nothing is read further for a form that cannot be saved.
    let file_name = stored_file_name(&form.title);
    let (actor, version_id) = (user.user.clone(), page.version.id);
    let (title, name) = (form.title.clone(), file_name.clone());
    let checked = state
        .db
        .run(move |conn| {
            row_outcome(uploads::check_new_upload(
                conn, &actor, version_id, &title, &name,
            ))
        })
        .await?;
    if let Err((field, message)) = checked {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, field, message, kept()).await;
    }

    let bytes = match checked_and_scanned(&state, &user, original_name, bytes).await? {
        Ok(bytes) => bytes,
        Err((status, message)) => return refuse(status, "file", message, kept()).await,
    };

    // The row first: its unique constraints keep two uploads from sharing a stored file.
    let (actor, origin) = (user.user.clone(), user.origin());
    let (title, description, name) = (
        form.title.clone(),
        form.description.clone(),
        file_name.clone(),
    );
    let size = bytes.len() as i64;
    let recorded = state
        .db
        .run(move |conn| {
            row_outcome(uploads::record_upload(
                conn,
                &actor,
                &origin,
                version_id,
                &title,
                Some(description.as_str()),
                &name,
                size,
                ScanStatus::Clean,
                Utc::now(),
            ))
        })
        .await?;
    if let Err((field, message)) = recorded {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, field, message, kept()).await;
    }
    let key = StoreKey::new(
        page.version.measure_id,
        page.version.version().to_string(),
        file_name.clone(),
    );
    if let Err(error) = state.files.put(&key, &bytes).await {
        tracing::error!(%error, %key, "storing an upload failed");
        let (actor, origin) = (user.user.clone(), user.origin());
        state
            .db
            .run(move |conn| {
                uploads::delete_upload(conn, &actor, &origin, version_id, &file_name, Utc::now())
                    .map(drop)
                    .map_err(|error| AppError::Internal(error.to_string()))
            })
            .await?;
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "file",
            error.to_string(),
            kept(),
        )
        .await;
    }
    Ok(Redirect::to(&format!("{}?done=upload", path.url())).into_response())
}

/// A file's bytes checked as CSV (with formula injection neutralised) and scanned clean by
/// clamd; or the status and message to show on the form.
async fn checked_and_scanned(
    state: &AppState,
    user: &SignedIn,
    original_name: String,
    bytes: Vec<u8>,
) -> Result<Result<Vec<u8>, (StatusCode, String)>, AppError> {
    let Some(scanner) = state.scanner.clone() else {
        return Ok(Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            SCANNING_OFF.to_owned(),
        )));
    };
    let limits = state.config.uploads.limits;
    let csv = tokio::task::spawn_blocking(move || check_csv(&original_name, &bytes, &limits))
        .await
        .map_err(|error| AppError::Internal(format!("CSV check: {error}")))?;
    let csv = match csv {
        Ok(csv) => csv,
        Err(error @ UploadError::TooLarge { .. }) => {
            state.metrics.record_upload(UploadOutcome::Rejected);
            return Ok(Err((StatusCode::PAYLOAD_TOO_LARGE, error.to_string())));
        }
        Err(error) => {
            state.metrics.record_upload(UploadOutcome::Rejected);
            return Ok(Err((StatusCode::UNPROCESSABLE_ENTITY, error.to_string())));
        }
    };
    let verdict = scanner.scan(&csv.bytes).await;
    state.metrics.record_upload(match &verdict {
        Ok(ScanVerdict::Clean) => UploadOutcome::Accepted,
        Ok(ScanVerdict::Infected { .. }) => UploadOutcome::Infected,
        Err(_) => UploadOutcome::Unscanned,
    });
    match verdict {
        Ok(ScanVerdict::Clean) => Ok(Ok(csv.bytes)),
        Ok(ScanVerdict::Infected { signature }) => {
            tracing::warn!(%signature, user = %user.user.email, "refused an infected upload");
            let message = UploadError::Infected { signature }.to_string();
            Ok(Err((StatusCode::UNPROCESSABLE_ENTITY, message)))
        }
        Err(error) => {
            tracing::error!(%error, "an upload could not be scanned");
            Ok(Err((StatusCode::SERVICE_UNAVAILABLE, error.to_string())))
        }
    }
}

async fn invalid(
    state: &AppState,
    user: &SignedIn,
    page: &MeasurePage,
    errors: FormErrors,
    kept: Submitted,
) -> Result<Response, AppError> {
    upload_page(
        state,
        user,
        page,
        StatusCode::UNPROCESSABLE_ENTITY,
        String::new(),
        errors,
        kept,
    )
    .await
}

/// A library answer as: done, a message for a field of the form, or an HTTP error.
#[allow(clippy::type_complexity)]
fn row_outcome<T>(
    result: Result<T, UploadRowError>,
) -> Result<Result<T, (&'static str, String)>, AppError> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(UploadRowError::Database(error)) => Err(error.into()),
        Err(UploadRowError::Forbidden) => Err(AppError::Forbidden),
        Err(UploadRowError::UnknownVersion | UploadRowError::UnknownUpload) => {
            Err(AppError::NotFound)
        }
        Err(
            error @ (UploadRowError::TitleMissing
            | UploadRowError::TitleTaken(_)
            | UploadRowError::FileNameTaken(_)),
        ) => Ok(Err(("title", error.to_string()))),
        Err(error @ UploadRowError::NotEditable) => Ok(Err(("file", error.to_string()))),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<FilePath>,
) -> Result<Response, AppError> {
    let version_path = path.version_path();
    let page = load(&state, &user, &version_path).await?;
    let (actor, origin, version_id, file_name) = (
        user.user.clone(),
        user.origin(),
        page.version.id,
        path.file_name.clone(),
    );
    let deleted = state
        .db
        .run(move |conn| {
            row_outcome(uploads::delete_upload(
                conn,
                &actor,
                &origin,
                version_id,
                &file_name,
                Utc::now(),
            ))
        })
        .await?;
    match deleted {
        Ok(row) => {
            let key = StoreKey::new(
                page.version.measure_id,
                page.version.version().to_string(),
                row.file_name,
            );
            if let Err(error) = state.files.delete(&key).await {
                // The row is gone, so the file can no longer be downloaded or published.
                tracing::error!(%error, %key, "deleting a stored upload failed");
            }
            Ok(Redirect::to(&format!("{}/upload?done=delete", version_path.url())).into_response())
        }
        Err((_, message)) => {
            upload_page(
                &state,
                &user,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                String::new(),
                FormErrors::one("actions", message),
                Submitted::default(),
            )
            .await
        }
    }
}

/// A stored file, only when its row says it was scanned clean; 404 otherwise.
pub async fn download(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<FilePath>,
) -> Result<Response, AppError> {
    let page = load(&state, &user, &path.version_path()).await?;
    serve_clean_file(&state, &page.version, &path.file_name).await
}

/// The stored file of a CLEAN upload of `version`, as a CSV attachment; 404 otherwise.
pub(crate) async fn serve_clean_file(
    state: &AppState,
    version: &almanac_content::models::MeasureVersion,
    file_name: &str,
) -> Result<Response, AppError> {
    let (version_id, file_name) = (version.id, file_name.to_owned());
    let row = state
        .db
        .run(move |conn| Ok(uploads::find_upload(conn, version_id, &file_name)?))
        .await?
        .filter(Upload::is_clean)
        .ok_or(AppError::NotFound)?;
    let key = StoreKey::new(
        version.measure_id,
        version.version().to_string(),
        row.file_name.clone(),
    );
    let bytes = state
        .files
        .get(&key)
        .await
        .map_err(|_| AppError::NotFound)?;
    let safe_name: String = row
        .file_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{safe_name}\""))
        .map_err(|error| AppError::Internal(error.to_string()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "publisher/uploads/edit.html")]
struct EditUploadPage {
    chrome: Chrome,
    errors: FormErrors,
    url: String,
    page_title: String,
    version: String,
    file_name: String,
    title: String,
    description: String,
    scanning: bool,
    max_size: String,
}

#[allow(clippy::too_many_arguments)] // The page's parts, each shown again after an error.
async fn edit_upload_page(
    state: &AppState,
    user: &SignedIn,
    page: &MeasurePage,
    status: StatusCode,
    file_name: String,
    errors: FormErrors,
    submitted: Submitted,
) -> Result<Response, AppError> {
    let body = render(&EditUploadPage {
        chrome: user.chrome(),
        errors,
        url: version_url(page),
        page_title: page.version.title.clone(),
        version: page.version.version().to_string(),
        file_name,
        title: submitted.title,
        description: submitted.description,
        scanning: state.scanner.is_some(),
        max_size: size_text(state.config.uploads.limits.max_bytes),
    })?;
    Ok((status, body).into_response())
}

/// The form for a file's title and description, with an optional replacement file.
pub async fn edit_form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<FilePath>,
) -> Result<Response, AppError> {
    let page = load(&state, &user, &path.version_path()).await?;
    if !page.version.status().is_editable() || !user.user.can(Capability::UpdateMeasure) {
        return Err(AppError::Forbidden);
    }
    let (version_id, file_name) = (page.version.id, path.file_name.clone());
    let row = state
        .db
        .run(move |conn| Ok(uploads::find_upload(conn, version_id, &file_name)?))
        .await?
        .ok_or(AppError::NotFound)?;
    edit_upload_page(
        &state,
        &user,
        &page,
        StatusCode::OK,
        row.file_name,
        FormErrors::default(),
        Submitted {
            title: row.title,
            description: row.description.unwrap_or_default(),
        },
    )
    .await
}

/// Saves a new title and description and, when a file was chosen, replaces the stored file
/// with it once it has been checked and scanned clean. A replacement is stored under a name
/// made from the (new) title; the old file is removed after the row points at the new one.
pub async fn edit(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<FilePath>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    let version_path = path.version_path();
    let page = load(&state, &user, &version_path).await?;
    if !user.user.can(Capability::UpdateMeasure) {
        return Err(AppError::Forbidden);
    }
    let multipart = multipart.map_err(|rejection| {
        AppError::BadRequest(format!(
            "The form could not be read ({}). Go back and submit it again.",
            rejection.body_text()
        ))
    })?;
    let limits = state.config.uploads.limits;
    let form = match read_form(multipart, limits.max_bytes + FORM_ALLOWANCE).await {
        Ok(form) => form,
        Err(ReadError::TooLarge) => {
            let message = UploadError::TooLarge {
                limit: limits.max_bytes,
            }
            .to_string();
            return edit_upload_page(
                &state,
                &user,
                &page,
                StatusCode::PAYLOAD_TOO_LARGE,
                path.file_name,
                FormErrors::one("file", message),
                Submitted::default(),
            )
            .await;
        }
        Err(ReadError::Unreadable(reason)) => {
            return Err(AppError::BadRequest(format!(
                "The form could not be read ({reason}). Go back and submit it again."
            )));
        }
    };
    let kept = Submitted {
        title: form.title.clone(),
        description: form.description.clone(),
    };
    let refuse = |status: StatusCode, field: &'static str, message: String, kept: Submitted| {
        let (state, user, page, file_name) = (&state, &user, &page, path.file_name.clone());
        async move {
            edit_upload_page(
                state,
                user,
                page,
                status,
                file_name,
                FormErrors::one(field, message),
                kept,
            )
            .await
        }
    };

    // Check the row change first: nothing is scanned or stored for a form that cannot be saved.
    let new_name = form.file.as_ref().map(|_| stored_file_name(&form.title));
    let (actor, version_id, file_name) =
        (user.user.clone(), page.version.id, path.file_name.clone());
    let (title, description, name) = (
        form.title.clone(),
        form.description.clone(),
        new_name.clone(),
    );
    let checked = state
        .db
        .run(move |conn| {
            let change = uploads::UploadChange {
                title: &title,
                description: Some(&description),
                replacement: name.as_deref().map(|name| (name, 0)),
            };
            row_outcome(uploads::check_upload_change(
                conn, &actor, version_id, &file_name, &change,
            ))
        })
        .await?;
    let before = match checked {
        Ok(row) => row,
        Err((field, message)) => {
            return refuse(StatusCode::UNPROCESSABLE_ENTITY, field, message, kept).await;
        }
    };

    let mut replacement = None;
    if let (Some((original_name, bytes)), Some(new_name)) = (form.file.clone(), new_name) {
        let bytes = match checked_and_scanned(&state, &user, original_name, bytes).await? {
            Ok(bytes) => bytes,
            Err((status, message)) => return refuse(status, "file", message, kept).await,
        };
        let key = StoreKey::new(
            page.version.measure_id,
            page.version.version().to_string(),
            new_name.clone(),
        );
        if let Err(error) = state.files.put(&key, &bytes).await {
            tracing::error!(%error, %key, "storing a replacement upload failed");
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "file",
                error.to_string(),
                kept,
            )
            .await;
        }
        replacement = Some((new_name, bytes.len() as i64));
    }

    let (actor, origin, file_name) = (user.user.clone(), user.origin(), path.file_name.clone());
    let (title, description, stored) = (
        form.title.clone(),
        form.description.clone(),
        replacement.clone(),
    );
    let updated = state
        .db
        .run(move |conn| {
            let change = uploads::UploadChange {
                title: &title,
                description: Some(&description),
                replacement: stored.as_ref().map(|(name, size)| (name.as_str(), *size)),
            };
            row_outcome(uploads::update_upload(
                conn, &actor, &origin, version_id, &file_name, &change,
            ))
        })
        .await?;
    match updated {
        Ok((before, after)) if before.file_name != after.file_name => {
            let old = StoreKey::new(
                page.version.measure_id,
                page.version.version().to_string(),
                before.file_name,
            );
            if let Err(error) = state.files.delete(&old).await {
                // The row points at the new file: the old one can no longer be reached.
                tracing::error!(%error, key = %old, "deleting a replaced upload failed");
            }
        }
        Ok(_) => {}
        Err((field, message)) => {
            // Someone changed the files meanwhile. Remove a replacement stored under a name
            // no row uses, so no stored file is left that nothing points at.
            if let Some((name, _)) = replacement.filter(|(name, _)| *name != before.file_name) {
                let key = StoreKey::new(
                    page.version.measure_id,
                    page.version.version().to_string(),
                    name,
                );
                if let Err(error) = state.files.delete(&key).await {
                    tracing::error!(%error, %key, "removing an unused replacement failed");
                }
            }
            return refuse(StatusCode::UNPROCESSABLE_ENTITY, field, message, kept).await;
        }
    }
    Ok(Redirect::to(&format!("{}/upload?done=edited", version_path.url())).into_response())
}
