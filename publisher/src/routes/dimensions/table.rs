//! The table builder: step 1 the data (pasted, or a source-data upload), step 2 the
//! settings, with a preview that is `almanac_render::figures::dimension_table_html`, the
//! function the published page uses. Without JavaScript every step posts the whole form
//! (the data travels in its textarea, or as the chosen upload); with it, `builders.mjs`
//! posts the form to `…/table/preview` as the editor types and shows the fragment.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use uuid::Uuid;

use almanac_content::pages::MeasurePage;
use almanac_editorial::dimensions::{self, Dimension, DimensionError, detect_table_classification};
use almanac_figures::table::TABLE_SETTINGS_VERSION;
use almanac_figures::{
    FigureSource, Grid, SettingsError, Table, TableError, TableSettings, TableType, build_table,
};
use almanac_render::figures::dimension_table_html;

use super::builder::{
    ClassificationForm, DataStep, DetectionView, Fields, UploadOption, check_column,
    classification_options, column_options, data_error_field, detection_header, lines, non_blank,
    preview_errors, upload_options,
};
use super::{DimensionPath, editable, list_url, load_dimension, outcome};
use crate::AppState;
use crate::auth::SignedIn;
use crate::error::AppError;
use crate::pages::{Chrome, Form, FormErrors, render};

const ORDERS: [&str; 2] = ["category_order", "group_order"];

/// The table form, as typed.
#[derive(Debug, Clone)]
struct TableForm {
    data: DataStep,
    /// "simple" or "grouped".
    table_type: String,
    caption: String,
    category_column: String,
    category_caption: String,
    /// In display order.
    value_columns: Vec<String>,
    group_column: String,
    group_caption: String,
    category_order: String,
    group_order: String,
    classification: ClassificationForm,
}

impl TableForm {
    fn from_fields(fields: &Fields) -> TableForm {
        let mut slots: Vec<(usize, String)> = fields
            .0
            .iter()
            .filter_map(|(name, value)| {
                let slot = name.strip_prefix("value_column_")?.parse().ok()?;
                Some((slot, value.trim().to_owned()))
            })
            .collect();
        slots.sort_by_key(|(slot, _)| *slot);
        TableForm {
            data: DataStep::from_fields(fields),
            table_type: match fields.get("table_type") {
                "grouped" => "grouped",
                _ => "simple",
            }
            .to_owned(),
            caption: fields.get("caption").to_owned(),
            category_column: fields.get("category_column").to_owned(),
            category_caption: fields.get("category_caption").to_owned(),
            value_columns: slots
                .into_iter()
                .map(|(_, value)| value)
                .filter(|value| !value.is_empty())
                .collect(),
            group_column: fields.get("group_column").to_owned(),
            group_caption: fields.get("group_caption").to_owned(),
            category_order: fields.get("category_order").to_owned(),
            group_order: fields.get("group_order").to_owned(),
            classification: ClassificationForm::from_fields(fields),
        }
    }

    fn from_stored(
        source: &FigureSource<TableSettings>,
        uploads: &[UploadOption],
        classification: ClassificationForm,
    ) -> TableForm {
        let settings = &source.settings;
        TableForm {
            data: DataStep::from_stored(&source.data, &source.origin, uploads),
            table_type: match settings.table_type {
                TableType::Simple => "simple",
                TableType::Grouped => "grouped",
            }
            .to_owned(),
            caption: settings.caption.clone(),
            category_column: settings.category_column.clone(),
            category_caption: settings.category_caption.clone().unwrap_or_default(),
            value_columns: settings.value_columns.clone(),
            group_column: settings.group_column.clone().unwrap_or_default(),
            group_caption: settings.group_caption.clone().unwrap_or_default(),
            category_order: settings
                .category_order
                .as_ref()
                .map(|order| order.join("\n"))
                .unwrap_or_default(),
            group_order: settings
                .group_order
                .as_ref()
                .map(|order| order.join("\n"))
                .unwrap_or_default(),
            classification,
        }
    }

    fn empty() -> TableForm {
        TableForm::from_fields(&Fields::default())
    }

    /// Columns for data just read: the first column as categories and the rest as values,
    /// unless the editor chose columns the data has.
    fn fill_defaults(&mut self, grid: &Grid) {
        let headings = grid.headings();
        let known = |heading: &str| headings.iter().any(|h| h.eq_ignore_ascii_case(heading));
        if !known(&self.category_column) {
            self.category_column = headings[0].clone();
        }
        self.value_columns.retain(|column| known(column));
        if self.value_columns.is_empty() {
            self.value_columns = headings
                .iter()
                .filter(|h| {
                    !h.eq_ignore_ascii_case(&self.category_column)
                        && !h.eq_ignore_ascii_case(&self.group_column)
                })
                .cloned()
                .collect();
        }
    }

    fn grouped(&self) -> bool {
        self.table_type == "grouped"
    }

    /// The settings, or the problems with them added to `errors`.
    fn settings(&self, grid: &Grid, errors: &mut FormErrors) -> Option<TableSettings> {
        let before = errors.all().len();
        let headings = grid.headings();
        if self.caption.trim().is_empty() {
            errors.add(
                "caption",
                "Enter a caption: it says what the table shows, for example “Employment rate \
                 by ethnicity”",
            );
        }
        if self.category_column.trim().is_empty() {
            errors.add("category_column", "Choose the column of categories");
        }
        check_column(headings, &self.category_column, "category_column", errors);
        if self.value_columns.is_empty() {
            errors.add(
                "value_column_1",
                "Choose at least one column of values to show",
            );
        }
        for column in &self.value_columns {
            check_column(headings, column, "value_column_1", errors);
        }
        if self.grouped() {
            if self.group_column.trim().is_empty() {
                errors.add(
                    "group_column",
                    "Choose the column of groups (for example, sex or year), or make the table \
                     simple",
                );
            }
            check_column(headings, &self.group_column, "group_column", errors);
        }
        if errors.all().len() > before {
            return None;
        }
        let grouped = self.grouped();
        let settings = TableSettings {
            version: TABLE_SETTINGS_VERSION,
            table_type: if grouped {
                TableType::Grouped
            } else {
                TableType::Simple
            },
            caption: self.caption.trim().to_owned(),
            category_column: self.category_column.trim().to_owned(),
            category_caption: non_blank(&self.category_caption),
            value_columns: self.value_columns.clone(),
            group_column: grouped.then(|| self.group_column.trim().to_owned()),
            group_caption: grouped.then(|| non_blank(&self.group_caption)).flatten(),
            category_order: lines(&self.category_order),
            group_order: grouped.then(|| lines(&self.group_order)).flatten(),
        };
        match settings.validate() {
            Ok(()) => Some(settings),
            Err(error) => {
                errors.add(settings_field(&error), error.to_string());
                None
            }
        }
    }

    /// The table built from the data, or the problems added to `errors`.
    fn build(&self, grid: &Grid, errors: &mut FormErrors) -> Option<(TableSettings, Table)> {
        let settings = self.settings(grid, errors)?;
        match build_table(grid, &settings) {
            Ok(table) => Some((settings, table)),
            Err(TableError::Data(error)) => {
                let message = error.to_string();
                errors.add(
                    data_error_field(&message, &ORDERS, self.data.field()),
                    message,
                );
                None
            }
            Err(TableError::Settings(error)) => {
                errors.add(settings_field(&error), error.to_string());
                None
            }
        }
    }
}

/// The form field a settings problem is about.
fn settings_field(error: &SettingsError) -> &'static str {
    let message = error.to_string();
    for (words, field) in [
        ("caption", "caption"),
        ("group_order", "group_order"),
        ("category_order", "category_order"),
        ("group", "group_column"),
        ("value column", "value_column_1"),
        ("categories", "category_column"),
    ] {
        if message.contains(words) {
            return field;
        }
    }
    "table_type"
}

/// A value column select: its id, its label, and the headings with whether each is chosen.
type ValueSelect = (String, String, Vec<(String, bool)>);

#[derive(Template)]
#[template(path = "publisher/dimensions/table.html")]
struct TablePage {
    chrome: Chrome,
    errors: FormErrors,
    dimension_url: String,
    action: String,
    preview_url: String,
    page_title: String,
    version: String,
    dimension_title: String,
    uploads: Vec<UploadOption>,
    data: DataStep,
    /// Empty until the data has been read: step 2 is shown with it.
    headings: Vec<String>,
    form: TableForm,
    /// One select per possible value column, each with the headings and its choice.
    value_selects: Vec<ValueSelect>,
    category_options: Vec<(String, bool)>,
    group_options: Vec<(String, bool)>,
    preview: String,
    detection: DetectionView,
    classification: ClassificationForm,
    classification_options: Vec<(String, String, bool)>,
    has_table: bool,
}

struct Context<'a> {
    page: &'a MeasurePage,
    dimension: &'a Dimension,
    path: &'a DimensionPath,
}

#[allow(clippy::too_many_arguments)] // The page's parts, each shown again after an error.
async fn builder_page(
    state: &AppState,
    user: &SignedIn,
    context: &Context<'_>,
    status: StatusCode,
    errors: FormErrors,
    form: TableForm,
    grid: Option<&Grid>,
    table: Option<&Table>,
) -> Result<Response, AppError> {
    let uploads = upload_options(state, context.page).await?;
    let guid = context.dimension.guid;
    let has_table = state
        .db
        .run(move |conn| Ok(dimensions::figures(conn, guid)?.table.is_some()))
        .await?;
    let headings: Vec<String> = grid.map(|g| g.headings().to_vec()).unwrap_or_default();
    let value_selects = (0..headings.len().saturating_sub(1).max(1))
        .map(|slot| {
            (
                format!("value_column_{}", slot + 1),
                format!("Value column {}", slot + 1),
                column_options(
                    &headings,
                    form.value_columns.get(slot).map_or("", String::as_str),
                ),
            )
        })
        .collect();
    let list = list_url(&context.path.version_path());
    let dimension_url = format!("{list}/{guid}");
    let guid_text = guid.to_string();
    let body = render(&TablePage {
        chrome: user.chrome(),
        errors,
        action: format!("{dimension_url}/table"),
        preview_url: format!("{dimension_url}/table/preview"),
        dimension_url,
        page_title: context.page.version.title.clone(),
        version: context.page.version.version().to_string(),
        dimension_title: context.dimension.title.clone(),
        uploads,
        data: form.data.clone(),
        category_options: column_options(&headings, &form.category_column),
        group_options: column_options(&headings, &form.group_column),
        value_selects,
        headings,
        preview: table
            .map(|table| dimension_table_html(table, &guid_text))
            .unwrap_or_default(),
        detection: table
            .map(|table| DetectionView::of(&detect_table_classification(table)))
            .unwrap_or_default(),
        classification_options: classification_options(&form.classification.code),
        classification: form.classification.clone(),
        form,
        has_table,
    })?;
    Ok((status, body).into_response())
}

pub async fn form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<DimensionPath>,
) -> Result<Response, AppError> {
    let (page, dimension) = load_dimension(&state, &user, &path).await?;
    if !editable(&page, &user) {
        return Ok(Redirect::to(&list_url(&path.version_path())).into_response());
    }
    let guid = dimension.guid;
    let stored = state
        .db
        .run(move |conn| Ok(dimensions::figures(conn, guid)?.table))
        .await?;
    let context = Context {
        page: &page,
        dimension: &dimension,
        path: &path,
    };
    let uploads = upload_options(&state, &page).await?;
    let source = stored.as_ref().and_then(|stored| stored.source());
    let Some(source) = source else {
        let mut errors = FormErrors::default();
        if stored.is_some() {
            errors.add(
                "pasted",
                "The stored table cannot be read by this version of the publisher. Build it \
                 again from its data.",
            );
        }
        // A page asked for, with what is wrong with the stored figure in its summary.
        let status = StatusCode::OK;
        return builder_page(
            &state,
            &user,
            &context,
            status,
            errors,
            TableForm::empty(),
            None,
            None,
        )
        .await;
    };
    let built = build_table(&source.data, &source.settings).ok();
    let detected = built
        .as_ref()
        .and_then(|table| detect_table_classification(table).detection.best);
    let stored_classification = stored.as_ref().and_then(|s| s.classification.as_ref());
    let classification = ClassificationForm::from_stored(stored_classification, detected.as_ref());
    let form = TableForm::from_stored(&source, &uploads, classification);
    // The stored table is what the page shows; the preview shows it as it is.
    let table = stored.as_ref().and_then(|s| s.table()).or(built);
    builder_page(
        &state,
        &user,
        &context,
        StatusCode::OK,
        FormErrors::default(),
        form,
        Some(&source.data),
        table.as_ref(),
    )
    .await
}

/// Every button of the builder form: "load" (use this data), "preview" and "save".
pub async fn submit(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<DimensionPath>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (page, dimension) = load_dimension(&state, &user, &path).await?;
    let fields = Fields(fields);
    let mut form = TableForm::from_fields(&fields);
    let context = Context {
        page: &page,
        dimension: &dimension,
        path: &path,
    };
    let mut errors = FormErrors::default();
    if !editable(&page, &user) {
        errors.add("heading", DimensionError::NotEditable.to_string());
        return builder_page(
            &state,
            &user,
            &context,
            StatusCode::UNPROCESSABLE_ENTITY,
            errors,
            form,
            None,
            None,
        )
        .await;
    }
    let grid = form.data.read(&state, &page, &mut errors).await?;
    let Some(grid) = grid else {
        return builder_page(
            &state,
            &user,
            &context,
            StatusCode::UNPROCESSABLE_ENTITY,
            errors,
            form,
            None,
            None,
        )
        .await;
    };
    let action = fields.get("action");
    if action == "load" {
        form.fill_defaults(&grid);
        // A preview if the settings already make a table; no complaints if not yet.
        let built = form.build(&grid, &mut FormErrors::default());
        return builder_page(
            &state,
            &user,
            &context,
            StatusCode::OK,
            errors,
            form,
            Some(&grid),
            built.as_ref().map(|(_, table)| table),
        )
        .await;
    }
    let built = form.build(&grid, &mut errors);
    let choice = form.classification.choice(&mut errors);
    let (Some((settings, table)), Some(choice)) = (built.clone(), choice) else {
        return builder_page(
            &state,
            &user,
            &context,
            StatusCode::UNPROCESSABLE_ENTITY,
            errors,
            form,
            Some(&grid),
            built.as_ref().map(|(_, table)| table),
        )
        .await;
    };
    if action != "save" {
        return builder_page(
            &state,
            &user,
            &context,
            StatusCode::OK,
            errors,
            form,
            Some(&grid),
            Some(&table),
        )
        .await;
    }
    let source = FigureSource::new(settings, grid.clone(), form.data.origin());
    let (actor, origin, version_id, guid) = (
        user.user.clone(),
        user.origin(),
        page.version.id,
        dimension.guid,
    );
    let saved = state
        .db
        .run(move |conn| {
            outcome(dimensions::save_table(
                conn,
                &actor,
                &origin,
                version_id,
                guid,
                &source,
                &choice,
                Utc::now(),
            ))
        })
        .await?;
    match saved {
        Ok(_) => Ok(Redirect::to(&format!(
            "{}/{guid}?done=table-saved",
            list_url(&path.version_path())
        ))
        .into_response()),
        Err((field, message)) => {
            errors.add(field, message);
            builder_page(
                &state,
                &user,
                &context,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                form,
                Some(&grid),
                Some(&table),
            )
            .await
        }
    }
}

/// The live preview: the table's HTML fragment, exactly as the page will show it (with what
/// classification detection found URL-encoded in `X-Classification`), or the problems as a
/// fragment (422).
pub async fn preview(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<DimensionPath>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (page, dimension) = load_dimension(&state, &user, &path).await?;
    let form = TableForm::from_fields(&Fields(fields));
    let mut errors = FormErrors::default();
    let Some(grid) = form.data.read(&state, &page, &mut errors).await? else {
        return Ok(preview_errors(&errors));
    };
    match form.build(&grid, &mut errors) {
        Some((_, table)) => Ok((
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                ),
                (
                    header::HeaderName::from_static("x-classification"),
                    detection_header(&detect_table_classification(&table)),
                ),
            ],
            dimension_table_html(&table, &dimension.guid.to_string()),
        )
            .into_response()),
        None => Ok(preview_errors(&errors)),
    }
}

pub async fn remove(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<DimensionPath>,
) -> Result<Response, AppError> {
    let (page, dimension) = load_dimension(&state, &user, &path).await?;
    remove_figure(&state, &user, &path, &page, dimension.guid, false).await
}

/// Removes the table or (`chart`) the chart, back to the dimension's page.
pub(super) async fn remove_figure(
    state: &AppState,
    user: &SignedIn,
    path: &DimensionPath,
    page: &MeasurePage,
    guid: Uuid,
    chart: bool,
) -> Result<Response, AppError> {
    let (actor, origin, version_id) = (user.user.clone(), user.origin(), page.version.id);
    let removed = state
        .db
        .run(move |conn| {
            let now = Utc::now();
            outcome(if chart {
                dimensions::remove_chart(conn, &actor, &origin, version_id, guid, now)
            } else {
                dimensions::remove_table(conn, &actor, &origin, version_id, guid, now)
            })
        })
        .await?;
    let version_path = path.version_path();
    match removed {
        Ok(_) => Ok(Redirect::to(&format!(
            "{}/{guid}?done={}-removed",
            list_url(&version_path),
            if chart { "chart" } else { "table" }
        ))
        .into_response()),
        Err((field, message)) => {
            super::list_page(
                state,
                user,
                &version_path,
                page,
                StatusCode::UNPROCESSABLE_ENTITY,
                String::new(),
                FormErrors::one(field, message),
            )
            .await
        }
    }
}
