//! Editing a version's page text, and creating a measure.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;

use almanac_content::Area;
use almanac_content::pages::{MeasurePage, geography_levels};
use almanac_content::schema::{subtopic, topic};
use almanac_editorial::edit::{
    self, CreateError, EditError, FieldChange, SaveOutcome, TEXT_FIELDS, VersionInput,
};
use diesel::prelude::*;

use crate::AppState;
use crate::auth::SignedIn;
use crate::error::AppError;
use crate::pages::{Chrome, Form, FormErrors, render};
use crate::routes::versions::{VersionPath, load, load_by_id};

/// One text field of the form, ready for the template.
pub struct FieldView {
    pub name: &'static str,
    pub label: &'static str,
    pub markdown: bool,
    pub value: String,
    pub error: String,
}

#[derive(Template)]
#[template(path = "publisher/cms/edit.html")]
struct EditPage {
    chrome: Chrome,
    errors: FormErrors,
    page: MeasurePage,
    url: String,
    fields: Vec<FieldView>,
    areas: Vec<(&'static str, &'static str, bool)>,
    geography: Vec<(String, String, bool)>,
    is_minor: bool,
    corrects_mistake: Option<bool>,
    lock_version: i32,
    conflict: Vec<FieldChange>,
    updated_by: String,
}

async fn edit_page(
    state: &AppState,
    user: &SignedIn,
    page: MeasurePage,
    url: String,
    input: VersionInput,
    errors: FormErrors,
    conflict: Vec<FieldChange>,
) -> Result<Response, AppError> {
    let levels = state.db.run(|conn| Ok(geography_levels(conn)?)).await?;
    let fields = TEXT_FIELDS
        .iter()
        .map(|(name, label, markdown)| FieldView {
            name,
            label,
            markdown: *markdown,
            value: input.get(name).to_owned(),
            error: errors.get(name).to_owned(),
        })
        .collect();
    let areas = Area::ALL
        .iter()
        .map(|area| {
            (
                area.as_str(),
                area.label(),
                input.area_covered.iter().any(|a| a == area.as_str()),
            )
        })
        .collect();
    let geography = levels
        .into_iter()
        .map(|(name, description)| {
            let chosen = name == input.lowest_level_of_geography_id;
            (name, description, chosen)
        })
        .collect();
    let status = if errors.is_empty() && conflict.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = render(&EditPage {
        chrome: user.chrome(),
        errors,
        is_minor: page.version.version_minor > 0,
        updated_by: page
            .version
            .last_updated_by
            .clone()
            .unwrap_or_else(|| "another editor".to_owned()),
        page,
        url,
        fields,
        areas,
        geography,
        corrects_mistake: input.update_corrects_data_mistake,
        lock_version: input.lock_version,
        conflict,
    })?;
    Ok((status, body).into_response())
}

pub async fn form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<VersionPath>,
) -> Result<Response, AppError> {
    let (page, _) = load(&state, &user, &path).await?;
    if !page.version.status().is_editable() {
        return Ok(Redirect::to(&path.url()).into_response());
    }
    let input = VersionInput::from_version(&page.version);
    edit_page(
        &state,
        &user,
        page,
        path.url(),
        input,
        FormErrors::default(),
        Vec::new(),
    )
    .await
}

/// The submitted form, read as pairs so that repeated checkboxes (`area_covered`) survive.
fn input_from(pairs: Vec<(String, String)>) -> VersionInput {
    let mut input = VersionInput::default();
    for (name, value) in pairs {
        match name.as_str() {
            "area_covered" => input.area_covered.push(value),
            "lowest_level_of_geography_id" => input.lowest_level_of_geography_id = value,
            "update_corrects_data_mistake" => {
                input.update_corrects_data_mistake = match value.as_str() {
                    "yes" => Some(true),
                    "no" => Some(false),
                    _ => None,
                }
            }
            "lock_version" => input.lock_version = value.trim().parse().unwrap_or(-1),
            _ if TEXT_FIELDS.iter().any(|(field, _, _)| *field == name) => {
                input.text.push((name, value))
            }
            _ => {}
        }
    }
    input
}

pub async fn save(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<VersionPath>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (page, _) = load(&state, &user, &path).await?;
    save_page(&state, &user, page, pairs).await
}

/// The edit form posts here, by the version's id, so a save still lands when someone else
/// has renamed the page (and so moved its address) since the form was opened.
pub async fn save_by_id(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<i32>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (page, _) = load_by_id(&state, &user, id).await?;
    save_page(&state, &user, page, pairs).await
}

async fn save_page(
    state: &AppState,
    user: &SignedIn,
    page: MeasurePage,
    pairs: Vec<(String, String)>,
) -> Result<Response, AppError> {
    let url = format!("/cms{}/{}", page.path(), page.version.version());
    let input = input_from(pairs);
    let (actor, origin, version_id, submitted) = (
        user.user.clone(),
        user.origin(),
        page.version.id,
        input.clone(),
    );
    let outcome = state
        .db
        .run(move |conn| {
            match edit::save(conn, &actor, &origin, version_id, &submitted, Utc::now()) {
                Ok(outcome) => Ok(Ok(outcome)),
                Err(EditError::Invalid(problems)) => {
                    let mut errors = FormErrors::default();
                    for problem in problems {
                        errors.add(problem.field, problem.message);
                    }
                    Ok(Err(errors))
                }
                Err(EditError::NotEditable(status)) => Ok(Err(FormErrors::one(
                    "title",
                    format!("This version cannot be changed while it is {status}"),
                ))),
                Err(EditError::Forbidden) => Err(AppError::Forbidden),
                Err(EditError::UnknownVersion) => Err(AppError::NotFound),
                Err(EditError::Database(error)) => Err(error.into()),
            }
        })
        .await?;
    match outcome {
        Ok(SaveOutcome::Saved(saved)) => {
            // Version 1.0's address follows its title, so go to wherever it now is.
            let measure = if saved.version_major == 1 && saved.version_minor == 0 {
                slug_of(state, saved.measure_id).await?
            } else {
                page.measure_slug.clone()
            };
            Ok(Redirect::to(&format!(
                "/cms/{}/{}/{measure}/{}?done=saved",
                page.topic_slug,
                page.subtopic_slug,
                saved.version()
            ))
            .into_response())
        }
        Ok(SaveOutcome::Conflict { current, changes }) => {
            // The form keeps what was typed, with the new lock so a second save is deliberate.
            let mut kept = input;
            kept.lock_version = current.lock_version;
            let mut page = page;
            page.version = current;
            edit_page(state, user, page, url, kept, FormErrors::default(), changes).await
        }
        Err(errors) => edit_page(state, user, page, url, input, errors, Vec::new()).await,
    }
}

#[derive(serde::Serialize)]
struct AutosaveReply {
    saved: bool,
    lock_version: i32,
    message: String,
}

/// Saves a draft in the background (the edit page calls this at most every 10 seconds while
/// someone types). The same rules as the Save button: a stale save is not written, and the
/// editor is told to save by hand to see the other person's changes. Answers JSON.
pub async fn autosave(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<VersionPath>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (page, _) = load(&state, &user, &path).await?;
    autosave_page(&state, &user, page, pairs).await
}

pub async fn autosave_by_id(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<i32>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (page, _) = load_by_id(&state, &user, id).await?;
    autosave_page(&state, &user, page, pairs).await
}

async fn autosave_page(
    state: &AppState,
    user: &SignedIn,
    page: MeasurePage,
    pairs: Vec<(String, String)>,
) -> Result<Response, AppError> {
    let input = input_from(pairs);
    let (actor, origin, version_id) = (user.user.clone(), user.origin(), page.version.id);
    let outcome = state
        .db
        .run(move |conn| {
            Ok(edit::save(
                conn,
                &actor,
                &origin,
                version_id,
                &input,
                Utc::now(),
            ))
        })
        .await?;
    let (status, reply) = match outcome {
        Ok(SaveOutcome::Saved(saved)) => (
            StatusCode::OK,
            AutosaveReply {
                saved: true,
                lock_version: saved.lock_version,
                message: format!("Draft saved at {} UTC", saved.updated_at.format("%H:%M:%S")),
            },
        ),
        Ok(SaveOutcome::Conflict { current, .. }) => (
            StatusCode::CONFLICT,
            AutosaveReply {
                saved: false,
                lock_version: current.lock_version,
                message: format!(
                    "Not saved: {} has changed this page. Press Save to see their changes next to yours.",
                    current
                        .last_updated_by
                        .as_deref()
                        .unwrap_or("another editor")
                ),
            },
        ),
        Err(EditError::Invalid(problems)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            AutosaveReply {
                saved: false,
                lock_version: page.version.lock_version,
                message: format!(
                    "Not saved: {}",
                    problems
                        .iter()
                        .map(|p| p.message.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            },
        ),
        Err(EditError::NotEditable(status)) => (
            StatusCode::CONFLICT,
            AutosaveReply {
                saved: false,
                lock_version: page.version.lock_version,
                message: format!("Not saved: the page is now {status}"),
            },
        ),
        Err(EditError::Forbidden) => return Err(AppError::Forbidden),
        Err(EditError::UnknownVersion) => return Err(AppError::NotFound),
        Err(EditError::Database(error)) => return Err(error.into()),
    };
    Ok((status, axum::Json(reply)).into_response())
}

async fn slug_of(state: &AppState, measure_id: i32) -> Result<String, AppError> {
    state
        .db
        .run(move |conn| {
            use almanac_content::schema::measure;
            Ok(measure::table
                .find(measure_id)
                .select(measure::slug)
                .first(conn)?)
        })
        .await
}

#[derive(Template)]
#[template(path = "publisher/cms/new_measure.html")]
struct NewMeasurePage {
    chrome: Chrome,
    errors: FormErrors,
    topic_title: String,
    subtopic_title: String,
    action: String,
    title: String,
}

#[derive(Debug, Deserialize)]
pub struct SubtopicPath {
    topic: String,
    subtopic: String,
}

async fn find_subtopic(
    state: &AppState,
    path: &SubtopicPath,
) -> Result<(i32, String, String), AppError> {
    let (topic_slug, subtopic_slug) = (path.topic.clone(), path.subtopic.clone());
    state
        .db
        .run(move |conn| {
            subtopic::table
                .inner_join(topic::table)
                .filter(topic::slug.eq(&topic_slug))
                .filter(subtopic::slug.eq(&subtopic_slug))
                .select((subtopic::id, topic::title, subtopic::title))
                .first(conn)
                .optional()?
                .ok_or(AppError::NotFound)
        })
        .await
}

pub async fn new_measure_form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<SubtopicPath>,
) -> Result<Response, AppError> {
    user.require(almanac_content::Capability::CreateMeasure)?;
    let (_, topic_title, subtopic_title) = find_subtopic(&state, &path).await?;
    Ok(render(&NewMeasurePage {
        chrome: user.chrome(),
        errors: FormErrors::default(),
        topic_title,
        subtopic_title,
        action: format!("/cms/{}/{}/measure/new", path.topic, path.subtopic),
        title: String::new(),
    })?
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewMeasureForm {
    title: String,
}

pub async fn new_measure(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<SubtopicPath>,
    Form(form): Form<NewMeasureForm>,
) -> Result<Response, AppError> {
    user.require(almanac_content::Capability::CreateMeasure)?;
    let (subtopic_id, topic_title, subtopic_title) = find_subtopic(&state, &path).await?;
    let (actor, origin, title) = (user.user.clone(), user.origin(), form.title.clone());
    let created = state
        .db
        .run(move |conn| {
            match edit::create_measure(conn, &actor, &origin, subtopic_id, &title, Utc::now()) {
                Ok(version) => Ok(Ok(version.measure_id)),
                Err(CreateError::Invalid(message)) => Ok(Err(message)),
                Err(CreateError::Forbidden) => Err(AppError::Forbidden),
                Err(CreateError::UnknownSubtopic) => Err(AppError::NotFound),
                Err(CreateError::Database(error)) => Err(error.into()),
            }
        })
        .await?;
    match created {
        Ok(measure_id) => {
            let slug = slug_of(&state, measure_id).await?;
            Ok(Redirect::to(&format!(
                "/cms/{}/{}/{slug}/1.0/edit",
                path.topic, path.subtopic
            ))
            .into_response())
        }
        Err(message) => {
            let page = render(&NewMeasurePage {
                chrome: user.chrome(),
                errors: FormErrors::one("title", message),
                topic_title,
                subtopic_title,
                action: format!("/cms/{}/{}/measure/new", path.topic, path.subtopic),
                title: form.title,
            })?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}
