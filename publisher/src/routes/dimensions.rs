//! A version's dimensions: the list (with up/down buttons, and drag and drop with
//! JavaScript), creating, editing and deleting one, and (in the submodules) the table and
//! chart builders.
//!
//! Every page needs access to the version (`versions::load`: 403/404 as the version page).
//! Changes need an editable version and UPDATE_MEASURE, which `almanac_editorial::dimensions`
//! checks in the same transaction as the change; a refused form is shown again (422) with
//! everything typed kept. Forms are not offered on versions that cannot change: asking for
//! one leads back to the list.

mod builder;
mod chart;
mod table;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use serde::Deserialize;
use uuid::Uuid;

use almanac_content::Capability;
use almanac_content::pages::MeasurePage;
use almanac_editorial::dimensions::{self, Dimension, DimensionError, DimensionInput};

use crate::AppState;
use crate::auth::SignedIn;
use crate::error::AppError;
use crate::pages::{Chrome, Form, FormErrors, render};
use crate::routes::versions::VersionPath;

pub fn routes() -> Router<AppState> {
    const BASE: &str = "/cms/{topic}/{subtopic}/{measure}/{version}/dimensions";
    Router::new()
        .route(BASE, get(list))
        .route(&format!("{BASE}/new"), get(new_form).post(create))
        .route(&format!("{BASE}/order"), post(reorder))
        .route(&format!("{BASE}/{{guid}}"), get(edit_form).post(update))
        .route(
            &format!("{BASE}/{{guid}}/delete"),
            get(delete_form).post(delete),
        )
        .route(
            &format!("{BASE}/{{guid}}/move/{{direction}}"),
            post(move_one),
        )
        .route(
            &format!("{BASE}/{{guid}}/table"),
            get(table::form).post(table::submit),
        )
        .route(
            &format!("{BASE}/{{guid}}/table/preview"),
            post(table::preview),
        )
        .route(
            &format!("{BASE}/{{guid}}/table/remove"),
            post(table::remove),
        )
        .route(
            &format!("{BASE}/{{guid}}/chart"),
            get(chart::form).post(chart::submit),
        )
        .route(
            &format!("{BASE}/{{guid}}/chart/preview"),
            post(chart::preview),
        )
        .route(
            &format!("{BASE}/{{guid}}/chart/remove"),
            post(chart::remove),
        )
}

#[derive(Debug, Deserialize)]
pub struct DimensionPath {
    topic: String,
    subtopic: String,
    measure: String,
    version: String,
    guid: String,
}

impl DimensionPath {
    fn version_path(&self) -> VersionPath {
        VersionPath {
            topic: self.topic.clone(),
            subtopic: self.subtopic.clone(),
            measure: self.measure.clone(),
            version: self.version.clone(),
        }
    }

    /// The dimension's id; a path that is not one names no dimension.
    fn guid(&self) -> Result<Uuid, AppError> {
        self.guid.parse().map_err(|_| AppError::NotFound)
    }
}

#[derive(Debug, Deserialize)]
pub struct MovePath {
    topic: String,
    subtopic: String,
    measure: String,
    version: String,
    guid: String,
    direction: String,
}

/// The version page's address.
fn version_url(path: &VersionPath) -> String {
    path.url()
}

fn list_url(path: &VersionPath) -> String {
    format!("{}/dimensions", path.url())
}

/// Whether the user may change this version's dimensions now (the library checks again).
fn editable(page: &MeasurePage, user: &SignedIn) -> bool {
    page.version.status().is_editable() && user.user.can(Capability::UpdateMeasure)
}

/// A version's page, as `versions::load` gives it.
async fn load_page(
    state: &AppState,
    user: &SignedIn,
    path: &VersionPath,
) -> Result<MeasurePage, AppError> {
    crate::routes::versions::load(state, user, path)
        .await
        .map(|(page, _)| page)
}

/// The version's page and the dimension, which must belong to it (404 otherwise).
async fn load_dimension(
    state: &AppState,
    user: &SignedIn,
    path: &DimensionPath,
) -> Result<(MeasurePage, Dimension), AppError> {
    let page = load_page(state, user, &path.version_path()).await?;
    let (version_id, guid) = (page.version.id, path.guid()?);
    let found = state
        .db
        .run(move |conn| Ok(dimensions::find_dimension(conn, version_id, guid)?))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((page, found))
}

/// A library answer as: done, a message for a field of the form, or an HTTP error.
#[allow(clippy::type_complexity)]
fn outcome<T>(
    result: Result<T, DimensionError>,
) -> Result<Result<T, (&'static str, String)>, AppError> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(DimensionError::Database(error)) => Err(error.into()),
        Err(DimensionError::Forbidden) => Err(AppError::Forbidden),
        Err(DimensionError::UnknownVersion | DimensionError::UnknownDimension) => {
            Err(AppError::NotFound)
        }
        Err(
            error @ (DimensionError::TitleMissing
            | DimensionError::TitleTaken(_)
            | DimensionError::TitleTooLong(_)),
        ) => Ok(Err(("title", error.to_string()))),
        Err(error @ (DimensionError::NotEditable | DimensionError::OrderMismatch)) => {
            Ok(Err(("heading", error.to_string())))
        }
        Err(error @ (DimensionError::Chart(_) | DimensionError::Table(_))) => {
            Ok(Err(("pasted", error.to_string())))
        }
        Err(error @ DimensionError::Classification(_)) => {
            Ok(Err(("classification_code", error.to_string())))
        }
    }
}

// ---------------------------------------------------------------------------------------
// The list
// ---------------------------------------------------------------------------------------

struct DimensionRow {
    guid: String,
    title: String,
    time_period: String,
    has_chart: bool,
    has_table: bool,
    first: bool,
    last: bool,
}

#[derive(Template)]
#[template(path = "publisher/dimensions/list.html")]
struct ListPage {
    chrome: Chrome,
    notice: String,
    errors: FormErrors,
    url: String,
    version_url: String,
    page_title: String,
    version: String,
    editable: bool,
    rows: Vec<DimensionRow>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NoticeQuery {
    done: String,
}

fn notice(done: &str) -> String {
    match done {
        "created" => "The dimension has been added.",
        "deleted" => "The dimension has been deleted, with its chart and table.",
        "moved" => "The order of the dimensions has been saved.",
        "saved" => "The dimension has been saved.",
        "table-saved" => "The table has been saved.",
        "table-removed" => "The table has been removed.",
        "chart-saved" => "The chart has been saved.",
        "chart-removed" => "The chart has been removed.",
        _ => "",
    }
    .to_owned()
}

async fn list_page(
    state: &AppState,
    user: &SignedIn,
    path: &VersionPath,
    page: &MeasurePage,
    status: StatusCode,
    notice: String,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let version_id = page.version.id;
    let rows = state
        .db
        .run(move |conn| {
            let rows = dimensions::list_dimensions(conn, version_id)?;
            let mut out = Vec::with_capacity(rows.len());
            let count = rows.len();
            for (index, row) in rows.into_iter().enumerate() {
                let figures = dimensions::figures(conn, row.guid)?;
                out.push(DimensionRow {
                    guid: row.guid.to_string(),
                    title: row.title,
                    time_period: row.time_period.unwrap_or_default(),
                    has_chart: figures.chart.is_some(),
                    has_table: figures.table.is_some(),
                    first: index == 0,
                    last: index + 1 == count,
                });
            }
            Ok(out)
        })
        .await?;
    let body = render(&ListPage {
        chrome: user.chrome(),
        notice,
        errors,
        url: list_url(path),
        version_url: version_url(path),
        page_title: page.version.title.clone(),
        version: page.version.version().to_string(),
        editable: editable(page, user),
        rows,
    })?;
    Ok((status, body).into_response())
}

pub async fn list(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<VersionPath>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let page = load_page(&state, &user, &path).await?;
    list_page(
        &state,
        &user,
        &path,
        &page,
        StatusCode::OK,
        notice(&query.done),
        FormErrors::default(),
    )
    .await
}

/// Moves one dimension up or down: the list's buttons, which work without JavaScript.
pub async fn move_one(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<MovePath>,
) -> Result<Response, AppError> {
    let version_path = VersionPath {
        topic: path.topic.clone(),
        subtopic: path.subtopic.clone(),
        measure: path.measure.clone(),
        version: path.version.clone(),
    };
    let page = load_page(&state, &user, &version_path).await?;
    let up = match path.direction.as_str() {
        "up" => true,
        "down" => false,
        _ => return Err(AppError::NotFound),
    };
    let guid: Uuid = path.guid.parse().map_err(|_| AppError::NotFound)?;
    let (actor, origin, version_id) = (user.user.clone(), user.origin(), page.version.id);
    let moved = state
        .db
        .run(move |conn| {
            outcome(dimensions::move_dimension(
                conn,
                &actor,
                &origin,
                version_id,
                guid,
                up,
                Utc::now(),
            ))
        })
        .await?;
    match moved {
        Ok(_) => Ok(Redirect::to(&format!(
            "{}?done=moved#dimension-{guid}",
            list_url(&version_path)
        ))
        .into_response()),
        Err((field, message)) => {
            list_page(
                &state,
                &user,
                &version_path,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                String::new(),
                FormErrors::one(field, message),
            )
            .await
        }
    }
}

/// The new order from drag and drop: `{"dimensions": ["<guid>", …]}`, every dimension once.
#[derive(Debug, Deserialize)]
pub struct OrderBody {
    dimensions: Vec<String>,
}

pub async fn reorder(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<VersionPath>,
    body: Result<axum::Json<OrderBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, AppError> {
    let page = load_page(&state, &user, &path).await?;
    let axum::Json(body) = body.map_err(|rejection| {
        AppError::BadRequest(format!(
            "The new order could not be read ({}).",
            rejection.body_text()
        ))
    })?;
    let order: Vec<Uuid> = body
        .dimensions
        .iter()
        .map(|guid| guid.parse())
        .collect::<Result<_, _>>()
        .map_err(|_| AppError::BadRequest("The new order names an unknown dimension.".into()))?;
    let (actor, origin, version_id) = (user.user.clone(), user.origin(), page.version.id);
    let reordered = state
        .db
        .run(move |conn| {
            outcome(dimensions::reorder_dimensions(
                conn,
                &actor,
                &origin,
                version_id,
                &order,
                Utc::now(),
            ))
        })
        .await?;
    Ok(match reordered {
        Ok(rows) => Json(serde_json::json!({
            "saved": true,
            "message": "The new order has been saved.",
            "dimensions": rows.iter().map(|row| row.guid.to_string()).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err((_, message)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(serde_json::json!({"saved": false, "message": message})),
        )
            .into_response(),
    })
}

// ---------------------------------------------------------------------------------------
// Creating and editing a dimension
// ---------------------------------------------------------------------------------------

/// What the dimension form holds.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DimensionForm {
    title: String,
    time_period: String,
    summary: String,
    location: String,
}

impl DimensionForm {
    fn of(row: &Dimension) -> DimensionForm {
        DimensionForm {
            title: row.title.clone(),
            time_period: row.time_period.clone().unwrap_or_default(),
            summary: row.summary.clone().unwrap_or_default(),
            location: row.location.clone().unwrap_or_default(),
        }
    }
}

/// What the edit page says of the dimension's figures.
struct FiguresView {
    guid: String,
    has_chart: bool,
    has_table: bool,
    /// "ONS 2011 - 5+1 (5B)", empty when the dimension has none.
    classification: String,
    /// "Table", "Chart" or "Manually selected".
    classification_source: String,
}

#[derive(Template)]
#[template(path = "publisher/dimensions/form.html")]
struct DimensionFormPage {
    chrome: Chrome,
    notice: String,
    errors: FormErrors,
    list_url: String,
    page_title: String,
    version: String,
    /// Where the form posts.
    action: String,
    form: DimensionForm,
    /// None when creating.
    figures: Option<FiguresView>,
    /// The version's area covered, which an empty location stands for.
    area_covered: String,
}

#[allow(clippy::too_many_arguments)] // The page's parts, each shown again after an error.
async fn form_page(
    state: &AppState,
    user: &SignedIn,
    path: &VersionPath,
    page: &MeasurePage,
    status: StatusCode,
    notice: String,
    errors: FormErrors,
    form: DimensionForm,
    guid: Option<Uuid>,
) -> Result<Response, AppError> {
    let figures = match guid {
        Some(guid) => {
            let stored = state
                .db
                .run(move |conn| Ok(dimensions::figures(conn, guid)?))
                .await?;
            let (classification, source) = match stored.classification() {
                Some((found, source)) => (
                    format!("{} ({})", found.name, found.code),
                    source.label().to_owned(),
                ),
                None => (String::new(), String::new()),
            };
            Some(FiguresView {
                guid: guid.to_string(),
                has_chart: stored.chart.is_some(),
                has_table: stored.table.is_some(),
                classification,
                classification_source: source,
            })
        }
        None => None,
    };
    let list_url = list_url(path);
    let action = match guid {
        Some(guid) => format!("{list_url}/{guid}"),
        None => format!("{list_url}/new"),
    };
    let body = render(&DimensionFormPage {
        chrome: user.chrome(),
        notice,
        errors,
        page_title: page.version.title.clone(),
        version: page.version.version().to_string(),
        action,
        list_url,
        form,
        figures,
        area_covered: page
            .version
            .areas()
            .iter()
            .map(|area| area.label())
            .collect::<Vec<_>>()
            .join(", "),
    })?;
    Ok((status, body).into_response())
}

pub async fn new_form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<VersionPath>,
) -> Result<Response, AppError> {
    let page = load_page(&state, &user, &path).await?;
    if !editable(&page, &user) {
        return Ok(Redirect::to(&list_url(&path)).into_response());
    }
    form_page(
        &state,
        &user,
        &path,
        &page,
        StatusCode::OK,
        String::new(),
        FormErrors::default(),
        DimensionForm::default(),
        None,
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<VersionPath>,
    Form(form): Form<DimensionForm>,
) -> Result<Response, AppError> {
    let page = load_page(&state, &user, &path).await?;
    let (actor, origin, version_id) = (user.user.clone(), user.origin(), page.version.id);
    let (title, time_period, summary, location) = (
        form.title.clone(),
        form.time_period.clone(),
        form.summary.clone(),
        form.location.clone(),
    );
    let created = state
        .db
        .run(move |conn| {
            let input = DimensionInput {
                title: &title,
                time_period: &time_period,
                summary: &summary,
                location: &location,
            };
            outcome(dimensions::create_dimension(
                conn,
                &actor,
                &origin,
                version_id,
                &input,
                Utc::now(),
            ))
        })
        .await?;
    match created {
        Ok(row) => Ok(
            Redirect::to(&format!("{}/{}?done=created", list_url(&path), row.guid)).into_response(),
        ),
        Err((field, message)) => {
            form_page(
                &state,
                &user,
                &path,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                String::new(),
                FormErrors::one(field, message),
                form,
                None,
            )
            .await
        }
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<DimensionPath>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let (page, row) = load_dimension(&state, &user, &path).await?;
    let version_path = path.version_path();
    if !editable(&page, &user) {
        return Ok(Redirect::to(&list_url(&version_path)).into_response());
    }
    form_page(
        &state,
        &user,
        &version_path,
        &page,
        StatusCode::OK,
        notice(&query.done),
        FormErrors::default(),
        DimensionForm::of(&row),
        Some(row.guid),
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<DimensionPath>,
    Form(form): Form<DimensionForm>,
) -> Result<Response, AppError> {
    let (page, row) = load_dimension(&state, &user, &path).await?;
    let version_path = path.version_path();
    let (actor, origin, version_id, guid) =
        (user.user.clone(), user.origin(), page.version.id, row.guid);
    let (title, time_period, summary, location) = (
        form.title.clone(),
        form.time_period.clone(),
        form.summary.clone(),
        form.location.clone(),
    );
    let updated = state
        .db
        .run(move |conn| {
            let input = DimensionInput {
                title: &title,
                time_period: &time_period,
                summary: &summary,
                location: &location,
            };
            outcome(dimensions::update_dimension(
                conn,
                &actor,
                &origin,
                version_id,
                guid,
                &input,
                Utc::now(),
            ))
        })
        .await?;
    match updated {
        Ok(_) => Ok(Redirect::to(&format!(
            "{}?done=saved#dimension-{guid}",
            list_url(&version_path)
        ))
        .into_response()),
        Err((field, message)) => {
            form_page(
                &state,
                &user,
                &version_path,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                String::new(),
                FormErrors::one(field, message),
                form,
                Some(guid),
            )
            .await
        }
    }
}

// ---------------------------------------------------------------------------------------
// Deleting a dimension
// ---------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "publisher/dimensions/delete.html")]
struct DeletePage {
    chrome: Chrome,
    errors: FormErrors,
    list_url: String,
    action: String,
    title: String,
}

pub async fn delete_form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<DimensionPath>,
) -> Result<Response, AppError> {
    let (page, row) = load_dimension(&state, &user, &path).await?;
    let list = list_url(&path.version_path());
    if !editable(&page, &user) {
        return Ok(Redirect::to(&list).into_response());
    }
    let body = render(&DeletePage {
        chrome: user.chrome(),
        errors: FormErrors::default(),
        action: format!("{list}/{}/delete", row.guid),
        list_url: list,
        title: row.title,
    })?;
    Ok(body.into_response())
}

pub async fn delete(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<DimensionPath>,
) -> Result<Response, AppError> {
    let (page, row) = load_dimension(&state, &user, &path).await?;
    let version_path = path.version_path();
    let (actor, origin, version_id, guid) =
        (user.user.clone(), user.origin(), page.version.id, row.guid);
    let deleted = state
        .db
        .run(move |conn| {
            outcome(dimensions::delete_dimension(
                conn,
                &actor,
                &origin,
                version_id,
                guid,
                Utc::now(),
            ))
        })
        .await?;
    match deleted {
        Ok(_) => {
            Ok(Redirect::to(&format!("{}?done=deleted", list_url(&version_path))).into_response())
        }
        Err((field, message)) => {
            list_page(
                &state,
                &user,
                &version_path,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                String::new(),
                FormErrors::one(field, message),
            )
            .await
        }
    }
}
