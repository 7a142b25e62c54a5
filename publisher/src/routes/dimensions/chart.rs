//! The chart builder: step 1 the data, step 2 the chart type, columns, texts and number
//! format. The preview is `almanac_render::figures::dimension_chart_svg`, the exact SVG the
//! published page shows. Without JavaScript the Preview button posts the form and the page
//! comes back with the SVG; with it, `builders.mjs` posts the form to `…/chart/preview` as
//! the editor types, which answers with the SVG itself (warnings in a header).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;

use almanac_charts::settings::{ColumnRule, SETTINGS_VERSION};
use almanac_charts::{
    Chart, ChartError, ChartSettings, ChartType, NumberFormat, SettingsError, build_chart,
};
use almanac_content::pages::MeasurePage;
use almanac_editorial::dimensions::{self, Dimension, DimensionError, detect_chart_classification};
use almanac_figures::{FigureSource, Grid};
use almanac_render::figures::dimension_chart_svg;

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

const ORDERS: [&str; 3] = ["category_order", "series_order", "panel_order"];

const TYPES: [(ChartType, &str, &str); 6] = [
    (
        ChartType::Bar,
        "Bar chart",
        "Horizontal bars, one per category; clustered when there is a series column.",
    ),
    (
        ChartType::SmallBar,
        "Small bar chart",
        "Compact bars, one per category, for a handful of groups.",
    ),
    (
        ChartType::Line,
        "Line chart",
        "Lines over the category column (usually time), one line per series.",
    ),
    (
        ChartType::Component,
        "Component chart",
        "100% stacked bars: each category split into the parts in the series column.",
    ),
    (
        ChartType::PanelBar,
        "Panel bar chart",
        "One small bar chart per value of the panel column, all on one scale.",
    ),
    (
        ChartType::PanelLine,
        "Panel line chart",
        "One small line chart per value of the panel column, all on one scale.",
    ),
];

fn rule_code(rule: ColumnRule) -> &'static str {
    match rule {
        ColumnRule::Required => "required",
        ColumnRule::Optional => "optional",
        ColumnRule::NotAllowed => "not_allowed",
    }
}

fn chart_type(code: &str) -> Option<ChartType> {
    TYPES
        .iter()
        .map(|(chart_type, ..)| *chart_type)
        .find(|chart_type| chart_type.code() == code)
}

/// The chart form, as typed.
#[derive(Debug, Clone)]
struct ChartForm {
    data: DataStep,
    chart_type: String,
    title: String,
    description: String,
    category_column: String,
    value_column: String,
    series_column: String,
    panel_column: String,
    value_axis_label: String,
    category_axis_label: String,
    prefix: String,
    suffix: String,
    decimal_places: String,
    min: String,
    max: String,
    category_order: String,
    series_order: String,
    panel_order: String,
    classification: ClassificationForm,
}

fn joined(order: Option<&Vec<String>>) -> String {
    order.map(|order| order.join("\n")).unwrap_or_default()
}

fn number_text(number: Option<f64>) -> String {
    number.map(|n| n.to_string()).unwrap_or_default()
}

impl ChartForm {
    fn from_fields(fields: &Fields) -> ChartForm {
        let text = |name: &str| fields.get(name).to_owned();
        ChartForm {
            data: DataStep::from_fields(fields),
            chart_type: chart_type(fields.get("chart_type"))
                .map_or(ChartType::Bar.code(), ChartType::code)
                .to_owned(),
            title: text("title"),
            description: text("description"),
            category_column: text("category_column"),
            value_column: text("value_column"),
            series_column: text("series_column"),
            panel_column: text("panel_column"),
            value_axis_label: text("value_axis_label"),
            category_axis_label: text("category_axis_label"),
            prefix: text("prefix"),
            suffix: text("suffix"),
            decimal_places: text("decimal_places"),
            min: text("min"),
            max: text("max"),
            category_order: text("category_order"),
            series_order: text("series_order"),
            panel_order: text("panel_order"),
            classification: ClassificationForm::from_fields(fields),
        }
    }

    fn from_stored(
        source: &FigureSource<ChartSettings>,
        uploads: &[UploadOption],
        classification: ClassificationForm,
    ) -> ChartForm {
        let settings = &source.settings;
        let format = &settings.number_format;
        ChartForm {
            data: DataStep::from_stored(&source.data, &source.origin, uploads),
            chart_type: settings.chart_type.code().to_owned(),
            title: settings.title.clone(),
            description: settings.description.clone(),
            category_column: settings.category_column.clone(),
            value_column: settings.value_column.clone(),
            series_column: settings.series_column.clone().unwrap_or_default(),
            panel_column: settings.panel_column.clone().unwrap_or_default(),
            value_axis_label: settings.value_axis_label.clone().unwrap_or_default(),
            category_axis_label: settings.category_axis_label.clone().unwrap_or_default(),
            prefix: format.prefix.clone(),
            suffix: format.suffix.clone(),
            decimal_places: format
                .decimal_places
                .map(|places| places.to_string())
                .unwrap_or_default(),
            min: number_text(format.min),
            max: number_text(format.max),
            category_order: joined(settings.category_order.as_ref()),
            series_order: joined(settings.series_order.as_ref()),
            panel_order: joined(settings.panel_order.as_ref()),
            classification,
        }
    }

    /// Columns for data just read: the first column as categories and the last as values,
    /// unless the editor chose columns the data has.
    fn fill_defaults(&mut self, grid: &Grid) {
        let headings = grid.headings();
        let known = |heading: &str| headings.iter().any(|h| h.eq_ignore_ascii_case(heading));
        if !known(&self.category_column) {
            self.category_column = headings[0].clone();
        }
        if !known(&self.value_column) {
            self.value_column = headings[headings.len() - 1].clone();
        }
        if !known(&self.series_column) {
            self.series_column.clear();
        }
        if !known(&self.panel_column) {
            self.panel_column.clear();
        }
    }

    fn settings(&self, grid: &Grid, errors: &mut FormErrors) -> Option<ChartSettings> {
        let before = errors.all().len();
        let headings = grid.headings();
        let Some(chart_type) = chart_type(&self.chart_type) else {
            errors.add("chart_type", "Choose a type of chart");
            return None;
        };
        for (value, field) in [
            (&self.category_column, "category_column"),
            (&self.value_column, "value_column"),
            (&self.series_column, "series_column"),
            (&self.panel_column, "panel_column"),
        ] {
            check_column(headings, value, field, errors);
        }
        let decimal_places = match self.decimal_places.trim() {
            "" => None,
            text => match text.parse::<u8>() {
                Ok(places) => Some(places),
                Err(_) => {
                    errors.add(
                        "decimal_places",
                        "Enter the decimal places as a whole number from 0 to 6, or leave it \
                         empty to show values as written",
                    );
                    None
                }
            },
        };
        let mut bound = |text: &str, field: &'static str, what: &str| match text.trim() {
            "" => None,
            text => match text.replace(',', "").parse::<f64>() {
                Ok(number) if number.is_finite() => Some(number),
                _ => {
                    errors.add(
                        field,
                        format!(
                            "Enter the {what} of the value axis as a number, or leave it empty"
                        ),
                    );
                    None
                }
            },
        };
        let min = bound(&self.min, "min", "start");
        let max = bound(&self.max, "max", "end");
        if errors.all().len() > before {
            return None;
        }
        let settings = ChartSettings {
            version: SETTINGS_VERSION,
            chart_type,
            title: self.title.trim().to_owned(),
            description: self.description.trim().to_owned(),
            category_column: self.category_column.trim().to_owned(),
            value_column: self.value_column.trim().to_owned(),
            series_column: non_blank(&self.series_column),
            panel_column: non_blank(&self.panel_column),
            value_axis_label: non_blank(&self.value_axis_label),
            category_axis_label: non_blank(&self.category_axis_label),
            number_format: NumberFormat {
                prefix: self.prefix.trim().to_owned(),
                suffix: self.suffix.trim().to_owned(),
                decimal_places,
                min,
                max,
            },
            category_order: lines(&self.category_order),
            series_order: lines(&self.series_order),
            panel_order: lines(&self.panel_order),
        };
        match settings.validate() {
            Ok(()) => Some(settings),
            Err(error) => {
                errors.add(settings_field(&error), error.to_string());
                None
            }
        }
    }

    fn build(&self, grid: &Grid, errors: &mut FormErrors) -> Option<(ChartSettings, Chart)> {
        let settings = self.settings(grid, errors)?;
        match build_chart(grid, &settings) {
            Ok(chart) => Some((settings, chart)),
            Err(ChartError::Data(error)) => {
                let message = error.to_string();
                errors.add(
                    data_error_field(&message, &ORDERS, self.data.field()),
                    message,
                );
                None
            }
            Err(ChartError::Settings(error)) => {
                errors.add(settings_field(&error), error.to_string());
                None
            }
            Err(error @ ChartError::Png(_)) => {
                errors.add("chart_type", error.to_string());
                None
            }
        }
    }
}

/// The form field a settings problem is about.
fn settings_field(error: &SettingsError) -> &'static str {
    let field = match error {
        SettingsError::Blank { field, .. }
        | SettingsError::TooLong { field, .. }
        | SettingsError::Missing { field, .. }
        | SettingsError::NotAllowed { field, .. }
        | SettingsError::RepeatedInOrder { field, .. } => *field,
        SettingsError::SameColumn { second, .. } => *second,
        SettingsError::NumberFormat(message) if message.starts_with("decimal_places") => {
            "decimal_places"
        }
        SettingsError::NumberFormat(message) if message.starts_with("max") => "max",
        SettingsError::NumberFormat(_) => "min",
        _ => "chart_type",
    };
    match field {
        "number_format.prefix" => "prefix",
        "number_format.suffix" => "suffix",
        "series_order without series_column" => "series_order",
        "panel_order without panel_column" => "panel_order",
        "title"
        | "description"
        | "category_column"
        | "value_column"
        | "series_column"
        | "panel_column"
        | "value_axis_label"
        | "category_axis_label"
        | "category_order"
        | "series_order"
        | "panel_order" => field,
        _ => "chart_type",
    }
}

/// A chart type radio: code, label, hint, checked, and the rules for the series and panel
/// columns (for `builders.mjs`, which hides the columns a type cannot have).
struct TypeOption {
    code: &'static str,
    label: &'static str,
    hint: &'static str,
    checked: bool,
    series: &'static str,
    panel: &'static str,
}

#[derive(Template)]
#[template(path = "publisher/dimensions/chart.html")]
struct ChartPage {
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
    headings: Vec<String>,
    form: ChartForm,
    types: Vec<TypeOption>,
    category_options: Vec<(String, bool)>,
    value_options: Vec<(String, bool)>,
    series_options: Vec<(String, bool)>,
    panel_options: Vec<(String, bool)>,
    /// The series and panel rules of the chosen type: the fields a type forbids start
    /// hidden when JavaScript runs.
    series_rule: &'static str,
    panel_rule: &'static str,
    preview: String,
    warnings: Vec<String>,
    detection: DetectionView,
    classification: ClassificationForm,
    classification_options: Vec<(String, String, bool)>,
    has_chart: bool,
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
    form: ChartForm,
    grid: Option<&Grid>,
    chart: Option<&Chart>,
) -> Result<Response, AppError> {
    let uploads = upload_options(state, context.page).await?;
    let guid = context.dimension.guid;
    let has_chart = state
        .db
        .run(move |conn| Ok(dimensions::figures(conn, guid)?.chart.is_some()))
        .await?;
    let headings: Vec<String> = grid.map(|g| g.headings().to_vec()).unwrap_or_default();
    let chosen = chart_type(&form.chart_type).unwrap_or(ChartType::Bar);
    let list = list_url(&context.path.version_path());
    let dimension_url = format!("{list}/{guid}");
    let guid_text = guid.to_string();
    let body = render(&ChartPage {
        chrome: user.chrome(),
        errors,
        action: format!("{dimension_url}/chart"),
        preview_url: format!("{dimension_url}/chart/preview"),
        dimension_url,
        page_title: context.page.version.title.clone(),
        version: context.page.version.version().to_string(),
        dimension_title: context.dimension.title.clone(),
        uploads,
        data: form.data.clone(),
        types: TYPES
            .iter()
            .map(|(chart_type, label, hint)| TypeOption {
                code: chart_type.code(),
                label,
                hint,
                checked: *chart_type == chosen,
                series: rule_code(chart_type.series_column()),
                panel: rule_code(chart_type.panel_column()),
            })
            .collect(),
        category_options: column_options(&headings, &form.category_column),
        value_options: column_options(&headings, &form.value_column),
        series_options: column_options(&headings, &form.series_column),
        panel_options: column_options(&headings, &form.panel_column),
        series_rule: rule_code(chosen.series_column()),
        panel_rule: rule_code(chosen.panel_column()),
        headings,
        preview: chart
            .map(|chart| dimension_chart_svg(chart, &guid_text))
            .unwrap_or_default(),
        warnings: chart
            .map(|chart| {
                chart
                    .warnings()
                    .into_iter()
                    .map(|warning| warning.message)
                    .collect()
            })
            .unwrap_or_default(),
        detection: chart
            .map(|chart| DetectionView::of(&detect_chart_classification(chart)))
            .unwrap_or_default(),
        classification_options: classification_options(&form.classification.code),
        classification: form.classification.clone(),
        form,
        has_chart,
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
        .run(move |conn| Ok(dimensions::figures(conn, guid)?.chart))
        .await?;
    let context = Context {
        page: &page,
        dimension: &dimension,
        path: &path,
    };
    let uploads = upload_options(&state, &page).await?;
    let Some(source) = stored.as_ref().and_then(|stored| stored.source()) else {
        let mut errors = FormErrors::default();
        if stored.is_some() {
            errors.add(
                "pasted",
                "The stored chart cannot be read by this version of the publisher. Build it \
                 again from its data.",
            );
        }
        // A page asked for, with what is wrong with the stored figure in its summary.
        let status = StatusCode::OK;
        let form = ChartForm::from_fields(&Fields::default());
        return builder_page(&state, &user, &context, status, errors, form, None, None).await;
    };
    let built = build_chart(&source.data, &source.settings).ok();
    let detected = built
        .as_ref()
        .and_then(|chart| detect_chart_classification(chart).detection.best);
    let stored_classification = stored.as_ref().and_then(|s| s.classification.as_ref());
    let classification = ClassificationForm::from_stored(stored_classification, detected.as_ref());
    let form = ChartForm::from_stored(&source, &uploads, classification);
    let chart = stored.as_ref().and_then(|s| s.chart()).or(built);
    builder_page(
        &state,
        &user,
        &context,
        StatusCode::OK,
        FormErrors::default(),
        form,
        Some(&source.data),
        chart.as_ref(),
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
    let mut form = ChartForm::from_fields(&fields);
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
    let Some(grid) = form.data.read(&state, &page, &mut errors).await? else {
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
        let built = form.build(&grid, &mut FormErrors::default());
        return builder_page(
            &state,
            &user,
            &context,
            StatusCode::OK,
            errors,
            form,
            Some(&grid),
            built.as_ref().map(|(_, chart)| chart),
        )
        .await;
    }
    let built = form.build(&grid, &mut errors);
    let choice = form.classification.choice(&mut errors);
    let (Some((settings, chart)), Some(choice)) = (built.clone(), choice) else {
        return builder_page(
            &state,
            &user,
            &context,
            StatusCode::UNPROCESSABLE_ENTITY,
            errors,
            form,
            Some(&grid),
            built.as_ref().map(|(_, chart)| chart),
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
            Some(&chart),
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
            outcome(dimensions::save_chart(
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
            "{}/{guid}?done=chart-saved",
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
                Some(&chart),
            )
            .await
        }
    }
}

/// The live preview: the chart's SVG exactly as the page will show it, with the editor's
/// warnings URL-encoded in `X-Chart-Warnings` (`warning=…&warning=…`) and what classification
/// detection found in `X-Classification` (`summary=…`); or the problems as an HTML fragment
/// (422).
pub async fn preview(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<DimensionPath>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (page, dimension) = load_dimension(&state, &user, &path).await?;
    let form = ChartForm::from_fields(&Fields(fields));
    let mut errors = FormErrors::default();
    let Some(grid) = form.data.read(&state, &page, &mut errors).await? else {
        return Ok(preview_errors(&errors));
    };
    let Some((_, chart)) = form.build(&grid, &mut errors) else {
        return Ok(preview_errors(&errors));
    };
    let warnings = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            chart
                .warnings()
                .iter()
                .map(|warning| ("warning", warning.message.as_str())),
        )
        .finish();
    let warnings =
        HeaderValue::from_str(&warnings).map_err(|error| AppError::Internal(error.to_string()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml; charset=utf-8"),
            ),
            (
                header::HeaderName::from_static("x-chart-warnings"),
                warnings,
            ),
            (
                header::HeaderName::from_static("x-classification"),
                detection_header(&detect_chart_classification(&chart)),
            ),
        ],
        dimension_chart_svg(&chart, &dimension.guid.to_string()),
    )
        .into_response())
}

pub async fn remove(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<DimensionPath>,
) -> Result<Response, AppError> {
    let (page, dimension) = load_dimension(&state, &user, &path).await?;
    super::table::remove_figure(&state, &user, &path, &page, dimension.guid, true).await
}
