//! Data sources: on a version, search for sources and link them (at most two), remove them,
//! create a new one or edit a linked one; for admins (MANAGE_DATA_SOURCES), search every
//! source and merge duplicates.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use diesel::prelude::*;
use serde::Deserialize;

use almanac_content::Capability;
use almanac_content::models::MeasureVersion;
use almanac_content::schema::{data_source_in_measure_version, organisation};
use almanac_editorial::data_sources::{
    self, DataSourceError, DataSourceHit, DataSourceInput, FormOptions, TYPES_OF_DATA,
};

use crate::AppState;
use crate::auth::SignedIn;
use crate::error::AppError;
use crate::pages::{Chrome, Form, FormErrors, render};
use crate::routes::versions::VersionPath;

/// How many results a search shows (the model's limit).
const SEARCH_LIMIT: i64 = 100;

pub fn routes() -> Router<AppState> {
    const VERSION: &str = "/cms/{topic}/{subtopic}/{measure}/{version}";
    Router::new()
        .route(&format!("{VERSION}/data-sources"), get(version_sources))
        .route(&format!("{VERSION}/data-sources/link"), post(link))
        .route(
            &format!("{VERSION}/data-sources/new"),
            get(new_form).post(create),
        )
        .route(
            &format!("{VERSION}/data-sources/{{id}}"),
            get(edit_form).post(edit),
        )
        .route(
            &format!("{VERSION}/data-sources/{{id}}/remove"),
            post(remove),
        )
        .route("/admin/data-sources", get(admin_list))
        .route("/admin/data-sources/merge", get(merge_form).post(merge))
}

// ---- The version a page is about ---------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct SourcePath {
    topic: String,
    subtopic: String,
    measure: String,
    version: String,
    id: String,
}

impl SourcePath {
    fn version(&self) -> VersionPath {
        VersionPath {
            topic: self.topic.clone(),
            subtopic: self.subtopic.clone(),
            measure: self.measure.clone(),
            version: self.version.clone(),
        }
    }

    fn id(&self) -> Result<i32, AppError> {
        self.id.parse().map_err(|_| AppError::NotFound)
    }
}

/// The version at `path`, if the user may see it: the same rules as the version page
/// (departmental users get 403 whether the measure is missing or not shared with them).
async fn load(
    state: &AppState,
    user: &SignedIn,
    path: &VersionPath,
) -> Result<MeasureVersion, AppError> {
    crate::routes::versions::load(state, user, path)
        .await
        .map(|(page, _)| page.version)
}

/// A library error as the page shows it, or as an HTTP error when it is not the user's to fix.
fn problem(error: DataSourceError) -> Result<FormErrors, AppError> {
    match error {
        DataSourceError::Database(error) => Err(error.into()),
        DataSourceError::Forbidden(_) => Err(AppError::Forbidden),
        DataSourceError::UnknownVersion => Err(AppError::NotFound),
        DataSourceError::Invalid(problems) => {
            let mut errors = FormErrors::default();
            for problem in problems {
                errors.add(problem.field, problem.message);
            }
            Ok(errors)
        }
        DataSourceError::UnknownInMerge(_)
        | DataSourceError::NothingToMerge
        | DataSourceError::MergeWithItself => Ok(FormErrors::one("keep", error.to_string())),
        other => Ok(FormErrors::one("linked", other.to_string())),
    }
}

fn status_for(errors: &FormErrors) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

// ---- Search, link and remove --------------------------------------------------------------

#[derive(Template)]
#[template(path = "publisher/data_sources/version.html")]
struct VersionSourcesPage {
    chrome: Chrome,
    notice: String,
    errors: FormErrors,
    url: String,
    title: String,
    number: String,
    editable: bool,
    status_label: &'static str,
    linked: Vec<DataSourceHit>,
    full: bool,
    query: String,
    searched: bool,
    results: Vec<DataSourceHit>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SearchQuery {
    q: String,
    done: String,
}

fn done_notice(done: &str) -> String {
    match done {
        "linked" => "Data source added to the page.".to_owned(),
        "removed" => {
            "Data source removed from the page. The source itself still exists.".to_owned()
        }
        "created" => "Data source created and added to the page.".to_owned(),
        "saved" => "Data source saved.".to_owned(),
        "merged" => "Data sources merged.".to_owned(),
        _ => String::new(),
    }
}

async fn sources_page(
    state: &AppState,
    user: &SignedIn,
    path: &VersionPath,
    version: MeasureVersion,
    query: String,
    notice: String,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let (version_id, search_for) = (version.id, query.trim().to_owned());
    let (linked, results) = state
        .db
        .run(move |conn| {
            let linked = data_sources::linked(conn, version_id)?;
            let results = if search_for.is_empty() {
                Vec::new()
            } else {
                data_sources::search(conn, &search_for, SEARCH_LIMIT)?
                    .into_iter()
                    .filter(|hit| !linked.iter().any(|l| l.id == hit.id))
                    .collect()
            };
            Ok((linked, results))
        })
        .await?;
    let status = version.status();
    let body = render(&VersionSourcesPage {
        chrome: user.chrome(),
        notice,
        url: path.url(),
        title: version.title.clone(),
        number: version.version().to_string(),
        editable: status.is_editable(),
        status_label: status.label(),
        full: linked.len() as i64 >= data_sources::MAX_PER_VERSION,
        linked,
        searched: !query.trim().is_empty(),
        query,
        results,
        errors: errors.clone(),
    })?;
    Ok((status_for(&errors), body).into_response())
}

pub async fn version_sources(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<VersionPath>,
    Query(query): Query<SearchQuery>,
) -> Result<Response, AppError> {
    let version = load(&state, &user, &path).await?;
    sources_page(
        &state,
        &user,
        &path,
        version,
        query.q,
        done_notice(&query.done),
        FormErrors::default(),
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LinkForm {
    data_source_id: String,
    q: String,
}

pub async fn link(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<VersionPath>,
    Form(form): Form<LinkForm>,
) -> Result<Response, AppError> {
    let version = load(&state, &user, &path).await?;
    let Ok(id) = form.data_source_id.trim().parse::<i32>() else {
        let errors = FormErrors::one("linked", "Choose a data source to add");
        return sources_page(&state, &user, &path, version, form.q, String::new(), errors).await;
    };
    let (actor, origin, version_id) = (user.user.clone(), user.origin(), version.id);
    let outcome = state
        .db
        .run(
            move |conn| match data_sources::link(conn, &actor, &origin, version_id, id) {
                Ok(()) => Ok(Ok(())),
                Err(error) => problem(error).map(Err),
            },
        )
        .await?;
    match outcome {
        Ok(()) => {
            Ok(Redirect::to(&format!("{}/data-sources?done=linked", path.url())).into_response())
        }
        Err(errors) => {
            sources_page(&state, &user, &path, version, form.q, String::new(), errors).await
        }
    }
}

pub async fn remove(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<SourcePath>,
) -> Result<Response, AppError> {
    let id = path.id()?;
    let path = path.version();
    let version = load(&state, &user, &path).await?;
    let (actor, origin, version_id) = (user.user.clone(), user.origin(), version.id);
    let outcome = state
        .db
        .run(
            move |conn| match data_sources::unlink(conn, &actor, &origin, version_id, id) {
                Ok(()) => Ok(Ok(())),
                Err(DataSourceError::NotLinked) => Err(AppError::NotFound),
                Err(error) => problem(error).map(Err),
            },
        )
        .await?;
    match outcome {
        Ok(()) => {
            Ok(Redirect::to(&format!("{}/data-sources?done=removed", path.url())).into_response())
        }
        Err(errors) => {
            sources_page(
                &state,
                &user,
                &path,
                version,
                String::new(),
                String::new(),
                errors,
            )
            .await
        }
    }
}

// ---- Create and edit ------------------------------------------------------------------------

/// A choice in a list of radios, checkboxes or options.
struct Choice {
    value: String,
    label: String,
    checked: bool,
}

/// Choices from (value, label) pairs, the one whose value is `selected` checked.
fn choices<V: ToString>(items: Vec<(V, String)>, selected: &str) -> Vec<Choice> {
    items
        .into_iter()
        .map(|(value, label)| {
            let value = value.to_string();
            Choice {
                checked: value == selected,
                value,
                label,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "publisher/data_sources/form.html")]
struct SourceFormPage {
    chrome: Chrome,
    errors: FormErrors,
    heading: String,
    caption: String,
    action: String,
    back: String,
    button: &'static str,
    /// Why the form cannot be saved now, if it cannot.
    warning: String,
    form: DataSourceInput,
    types_of_data: Vec<Choice>,
    types_of_statistic: Vec<Choice>,
    publishers: Vec<Choice>,
    frequencies: Vec<Choice>,
}

struct FormContext {
    heading: String,
    action: String,
    button: &'static str,
}

fn source_form(
    user: &SignedIn,
    path: &VersionPath,
    version: &MeasureVersion,
    context: FormContext,
    options: FormOptions,
    form: DataSourceInput,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let status = version.status();
    let warning = if status.is_editable() {
        String::new()
    } else {
        format!(
            "This page is {}, so its data sources cannot be changed.",
            status.label().to_lowercase()
        )
    };
    let types_of_data = TYPES_OF_DATA
        .iter()
        .map(|(value, label)| Choice {
            value: (*value).to_owned(),
            label: (*label).to_owned(),
            checked: form.type_of_data.iter().any(|chosen| chosen == value),
        })
        .collect();
    let types_of_statistic = choices(options.types_of_statistic, &form.type_of_statistic_id);
    let publishers = choices(options.organisations, &form.publisher_id);
    let frequencies = choices(options.frequencies, &form.frequency_of_release_id);
    let body = render(&SourceFormPage {
        chrome: user.chrome(),
        heading: context.heading,
        caption: format!("{} (version {})", version.title, version.version()),
        action: context.action,
        back: format!("{}/data-sources", path.url()),
        button: context.button,
        warning,
        form,
        types_of_data,
        types_of_statistic,
        publishers,
        frequencies,
        errors: errors.clone(),
    })?;
    Ok((status_for(&errors), body).into_response())
}

/// The form's fields as submitted (checkboxes repeat their name).
fn read_form(fields: Vec<(String, String)>) -> DataSourceInput {
    let mut form = DataSourceInput::default();
    for (name, value) in fields {
        match name.as_str() {
            "title" => form.title = value,
            "type_of_data" => form.type_of_data.push(value),
            "type_of_statistic_id" => form.type_of_statistic_id = value,
            "publisher_id" => form.publisher_id = value,
            "source_url" => form.source_url = value,
            "publication_date" => form.publication_date = value,
            "note_on_corrections_or_updates" => form.note_on_corrections_or_updates = value,
            "frequency_of_release_id" => form.frequency_of_release_id = value,
            "frequency_of_release_other" => form.frequency_of_release_other = value,
            "purpose" => form.purpose = value,
            _ => {}
        }
    }
    form
}

async fn options(state: &AppState) -> Result<FormOptions, AppError> {
    state
        .db
        .run(|conn| Ok(data_sources::form_options(conn)?))
        .await
}

fn new_context(path: &VersionPath) -> FormContext {
    FormContext {
        heading: "Create a data source".to_owned(),
        action: format!("{}/data-sources/new", path.url()),
        button: "Create and add to the page",
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<VersionPath>,
) -> Result<Response, AppError> {
    let version = load(&state, &user, &path).await?;
    let options = options(&state).await?;
    source_form(
        &user,
        &path,
        &version,
        new_context(&path),
        options,
        DataSourceInput::default(),
        FormErrors::default(),
    )
}

pub async fn create(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<VersionPath>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let version = load(&state, &user, &path).await?;
    let form = read_form(fields);
    let (actor, origin, version_id, input) =
        (user.user.clone(), user.origin(), version.id, form.clone());
    let outcome = state
        .db
        .run(move |conn| {
            // Create and link together: a source is never left behind by a refused link.
            let result = conn.transaction(|conn| {
                let created = data_sources::create(conn, &actor, &origin, &input, Utc::now())?;
                data_sources::link(conn, &actor, &origin, version_id, created.id)?;
                Ok::<_, DataSourceError>(created.id)
            });
            match result {
                Ok(id) => Ok(Ok(id)),
                Err(error) => problem(error).map(Err),
            }
        })
        .await?;
    match outcome {
        Ok(_) => {
            Ok(Redirect::to(&format!("{}/data-sources?done=created", path.url())).into_response())
        }
        Err(errors) => {
            let options = options(&state).await?;
            source_form(
                &user,
                &path,
                &version,
                new_context(&path),
                options,
                form,
                errors,
            )
        }
    }
}

fn edit_context(path: &VersionPath, id: i32) -> FormContext {
    FormContext {
        heading: "Edit a data source".to_owned(),
        action: format!("{}/data-sources/{id}", path.url()),
        button: "Save",
    }
}

/// A source linked to the version: only those can be edited from its pages.
async fn linked_source(
    state: &AppState,
    version_id: i32,
    id: i32,
) -> Result<data_sources::DataSource, AppError> {
    state
        .db
        .run(move |conn| {
            let linked: i64 = data_source_in_measure_version::table
                .filter(data_source_in_measure_version::measure_version_id.eq(version_id))
                .filter(data_source_in_measure_version::data_source_id.eq(id))
                .count()
                .get_result(conn)?;
            if linked == 0 {
                return Err(AppError::NotFound);
            }
            data_sources::find(conn, id)?.ok_or(AppError::NotFound)
        })
        .await
}

pub async fn edit_form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<SourcePath>,
) -> Result<Response, AppError> {
    let id = path.id()?;
    let path = path.version();
    let version = load(&state, &user, &path).await?;
    let source = linked_source(&state, version.id, id).await?;
    let options = options(&state).await?;
    source_form(
        &user,
        &path,
        &version,
        edit_context(&path, id),
        options,
        source.input(),
        FormErrors::default(),
    )
}

pub async fn edit(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<SourcePath>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path.id()?;
    let path = path.version();
    let version = load(&state, &user, &path).await?;
    linked_source(&state, version.id, id).await?;
    let form = read_form(fields);
    let outcome = if !version.status().is_editable() {
        Err(FormErrors::one(
            "title",
            format!(
                "Data sources cannot be changed while the page is {}",
                version.status().label()
            ),
        ))
    } else {
        let (actor, origin, input) = (user.user.clone(), user.origin(), form.clone());
        state
            .db
            .run(move |conn| {
                match data_sources::update(conn, &actor, &origin, id, &input, Utc::now()) {
                    Ok(_) => Ok(Ok(())),
                    Err(error) => problem(error).map(Err),
                }
            })
            .await?
    };
    match outcome {
        Ok(()) => {
            Ok(Redirect::to(&format!("{}/data-sources?done=saved", path.url())).into_response())
        }
        Err(errors) => {
            let options = options(&state).await?;
            source_form(
                &user,
                &path,
                &version,
                edit_context(&path, id),
                options,
                form,
                errors,
            )
        }
    }
}

// ---- Admin: search and merge ----------------------------------------------------------------

#[derive(Template)]
#[template(path = "publisher/data_sources/admin_list.html")]
struct AdminListPage {
    chrome: Chrome,
    notice: String,
    errors: FormErrors,
    query: String,
    sources: Vec<DataSourceHit>,
}

pub async fn admin_list(
    State(state): State<AppState>,
    user: SignedIn,
    Query(query): Query<SearchQuery>,
) -> Result<Response, AppError> {
    user.require(Capability::ManageDataSources)?;
    admin_list_page(
        &state,
        &user,
        query.q,
        done_notice(&query.done),
        FormErrors::default(),
    )
    .await
}

async fn admin_list_page(
    state: &AppState,
    user: &SignedIn,
    query: String,
    notice: String,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let search_for = query.clone();
    let sources = state
        .db
        .run(move |conn| Ok(data_sources::search(conn, &search_for, SEARCH_LIMIT)?))
        .await?;
    let body = render(&AdminListPage {
        chrome: user.chrome(),
        notice,
        query,
        sources,
        errors: errors.clone(),
    })?;
    Ok((status_for(&errors), body).into_response())
}

#[derive(Template)]
#[template(path = "publisher/data_sources/admin_merge.html")]
struct MergePage {
    chrome: Chrome,
    errors: FormErrors,
    sources: Vec<(data_sources::DataSource, Option<String>, bool)>,
}

/// The ids named by the repeated `data_sources` field (ids that are not numbers are dropped).
fn chosen_ids(fields: &[(String, String)]) -> Vec<i32> {
    let mut ids: Vec<i32> = fields
        .iter()
        .filter(|(name, _)| name == "data_sources")
        .filter_map(|(_, value)| value.trim().parse().ok())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

async fn merge_page(
    state: &AppState,
    user: &SignedIn,
    ids: Vec<i32>,
    keep: Option<i32>,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let sources = state
        .db
        .run(move |conn| {
            let mut found = Vec::new();
            for id in ids {
                if let Some(source) = data_sources::find(conn, id)? {
                    let publisher: Option<String> = match &source.publisher_id {
                        Some(publisher_id) => organisation::table
                            .find(publisher_id)
                            .select(organisation::name)
                            .first(conn)
                            .optional()?,
                        None => None,
                    };
                    found.push((source, publisher));
                }
            }
            Ok(found)
        })
        .await?;
    if sources.len() < 2 {
        return admin_list_page(
            state,
            user,
            String::new(),
            String::new(),
            FormErrors::one("data_sources", "Choose at least two data sources to merge"),
        )
        .await;
    }
    let sources = sources
        .into_iter()
        .map(|(source, publisher)| {
            let checked = keep == Some(source.id);
            (source, publisher, checked)
        })
        .collect();
    let body = render(&MergePage {
        chrome: user.chrome(),
        sources,
        errors: errors.clone(),
    })?;
    Ok((status_for(&errors), body).into_response())
}

pub async fn merge_form(
    State(state): State<AppState>,
    user: SignedIn,
    Query(fields): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Capability::ManageDataSources)?;
    merge_page(
        &state,
        &user,
        chosen_ids(&fields),
        None,
        FormErrors::default(),
    )
    .await
}

pub async fn merge(
    State(state): State<AppState>,
    user: SignedIn,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Capability::ManageDataSources)?;
    let ids = chosen_ids(&fields);
    let keep: Option<i32> = fields
        .iter()
        .find(|(name, _)| name == "keep")
        .and_then(|(_, value)| value.trim().parse().ok());
    let Some(keep) = keep.filter(|keep| ids.contains(keep)) else {
        let errors = FormErrors::one("keep", "Choose the data source to keep");
        return merge_page(&state, &user, ids, None, errors).await;
    };
    let others: Vec<i32> = ids.iter().copied().filter(|id| *id != keep).collect();
    let (actor, origin) = (user.user.clone(), user.origin());
    let outcome = state
        .db
        .run(
            move |conn| match data_sources::merge(conn, &actor, &origin, keep, &others) {
                Ok(_) => Ok(Ok(())),
                Err(error) => problem(error).map(Err),
            },
        )
        .await?;
    match outcome {
        Ok(()) => Ok(Redirect::to("/admin/data-sources?done=merged").into_response()),
        Err(errors) => merge_page(&state, &user, ids, Some(keep), errors).await,
    }
}
