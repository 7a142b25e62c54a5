//! Managing topics and subtopics (MANAGE_TOPICS): titles, descriptions, and the redirects
//! that keep old addresses working after a rename.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use diesel::prelude::*;
use serde::Deserialize;

use almanac_content::Capability;
use almanac_content::models::{Subtopic, Topic};
use almanac_content::schema::{subtopic, topic};
use almanac_editorial::topics::{self, TopicError, TopicInput};

use crate::AppState;
use crate::auth::SignedIn;
use crate::error::AppError;
use crate::pages::{Chrome, Form, FormErrors, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/topics", get(list))
        .route("/admin/redirects", post(add_redirect))
        .route("/admin/redirects/remove", post(remove_redirect))
        .route("/admin/topics/{id}", get(topic_form).post(update_topic))
        .route(
            "/admin/subtopics/{id}",
            get(subtopic_form).post(rename_subtopic),
        )
}

#[derive(Template)]
#[template(path = "publisher/topics/list.html")]
struct ListPage {
    chrome: Chrome,
    errors: FormErrors,
    topics: Vec<(Topic, Vec<Subtopic>)>,
    redirects: Vec<(String, String)>,
    new_redirect: RedirectForm,
}

async fn list(State(state): State<AppState>, user: SignedIn) -> Result<Html<String>, AppError> {
    user.require(Capability::ManageTopics)?;
    list_page(
        &state,
        &user,
        FormErrors::default(),
        RedirectForm::default(),
    )
    .await
}

async fn list_page(
    state: &AppState,
    user: &SignedIn,
    errors: FormErrors,
    new_redirect: RedirectForm,
) -> Result<Html<String>, AppError> {
    let (topics, redirects) = state
        .db
        .run(|conn| {
            let topics: Vec<Topic> = topic::table
                .order(topic::title)
                .select(Topic::as_select())
                .load(conn)?;
            let subtopics: Vec<Subtopic> = subtopic::table
                .order((subtopic::position, subtopic::title))
                .select(Subtopic::as_select())
                .load(conn)?;
            let grouped = topics
                .into_iter()
                .map(|topic| {
                    let children = subtopics
                        .iter()
                        .filter(|s| s.topic_id == topic.id)
                        .cloned()
                        .collect();
                    (topic, children)
                })
                .collect();
            Ok((grouped, topics::redirects(conn)?))
        })
        .await?;
    render(&ListPage {
        chrome: user.chrome(),
        errors,
        topics,
        redirects,
        new_redirect,
    })
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
struct RedirectForm {
    from: String,
    to: String,
}

async fn add_redirect(
    State(state): State<AppState>,
    user: SignedIn,
    Form(form): Form<RedirectForm>,
) -> Result<Response, AppError> {
    user.require(Capability::ManageTopics)?;
    let (actor, origin, submitted) = (user.user.clone(), user.origin(), form.clone());
    let outcome = state
        .db
        .run(move |conn| {
            refusal(topics::add_redirect(
                conn,
                &actor,
                &origin,
                &submitted.from,
                &submitted.to,
            ))
        })
        .await?;
    match outcome {
        Ok(()) => Ok(Redirect::to("/admin/topics#redirects").into_response()),
        Err(errors) => {
            let page = list_page(&state, &user, errors, form).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RemoveRedirectForm {
    from: String,
}

async fn remove_redirect(
    State(state): State<AppState>,
    user: SignedIn,
    Form(form): Form<RemoveRedirectForm>,
) -> Result<Response, AppError> {
    user.require(Capability::ManageTopics)?;
    let (actor, origin) = (user.user.clone(), user.origin());
    state
        .db
        .run(move |conn| refusal(topics::remove_redirect(conn, &actor, &origin, &form.from)))
        .await?
        .map_err(|_| AppError::NotFound)?;
    Ok(Redirect::to("/admin/topics#redirects").into_response())
}

#[derive(Template)]
#[template(path = "publisher/topics/topic.html")]
struct TopicPage {
    chrome: Chrome,
    errors: FormErrors,
    id: i32,
    input: TopicInput,
}

async fn topic_form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<i32>,
) -> Result<Html<String>, AppError> {
    user.require(Capability::ManageTopics)?;
    let current: Topic = state
        .db
        .run(move |conn| {
            topic::table
                .find(id)
                .select(Topic::as_select())
                .first(conn)
                .optional()?
                .ok_or(AppError::NotFound)
        })
        .await?;
    let input = TopicInput {
        title: current.title,
        short_title: current.short_title.unwrap_or_default(),
        description: current.description.unwrap_or_default(),
        additional_description: current.additional_description.unwrap_or_default(),
        meta_description: current.meta_description.unwrap_or_default(),
    };
    render(&TopicPage {
        chrome: user.chrome(),
        errors: FormErrors::default(),
        id,
        input,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TopicForm {
    title: String,
    short_title: String,
    description: String,
    additional_description: String,
    meta_description: String,
}

async fn update_topic(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<i32>,
    Form(form): Form<TopicForm>,
) -> Result<Response, AppError> {
    user.require(Capability::ManageTopics)?;
    let input = TopicInput {
        title: form.title,
        short_title: form.short_title,
        description: form.description,
        additional_description: form.additional_description,
        meta_description: form.meta_description,
    };
    let (actor, origin, submitted) = (user.user.clone(), user.origin(), input.clone());
    let outcome = state
        .db
        .run(move |conn| {
            refusal(topics::update_topic(conn, &actor, &origin, id, &submitted).map(drop))
        })
        .await?;
    match outcome {
        Ok(()) => Ok(Redirect::to("/admin/topics").into_response()),
        Err(errors) => {
            let page = render(&TopicPage {
                chrome: user.chrome(),
                errors,
                id,
                input,
            })?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// A refusal the editor can act on becomes form errors; anything else an error page.
fn refusal(result: Result<(), TopicError>) -> Result<Result<(), FormErrors>, AppError> {
    match result {
        Ok(()) => Ok(Ok(())),
        Err(TopicError::Invalid(problems)) => {
            let mut errors = FormErrors::default();
            for problem in problems {
                errors.add(problem.field, problem.message);
            }
            Ok(Err(errors))
        }
        Err(TopicError::Forbidden) => Err(AppError::Forbidden),
        Err(TopicError::Unknown) => Err(AppError::NotFound),
        Err(TopicError::Database(error)) => Err(error.into()),
    }
}

#[derive(Template)]
#[template(path = "publisher/topics/subtopic.html")]
struct SubtopicPage {
    chrome: Chrome,
    errors: FormErrors,
    id: i32,
    title: String,
}

async fn subtopic_form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<i32>,
) -> Result<Html<String>, AppError> {
    user.require(Capability::ManageTopics)?;
    let title: String = state
        .db
        .run(move |conn| {
            subtopic::table
                .find(id)
                .select(subtopic::title)
                .first(conn)
                .optional()?
                .ok_or(AppError::NotFound)
        })
        .await?;
    render(&SubtopicPage {
        chrome: user.chrome(),
        errors: FormErrors::default(),
        id,
        title,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SubtopicForm {
    title: String,
}

async fn rename_subtopic(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<i32>,
    Form(form): Form<SubtopicForm>,
) -> Result<Response, AppError> {
    user.require(Capability::ManageTopics)?;
    let (actor, origin, title) = (user.user.clone(), user.origin(), form.title.clone());
    let outcome = state
        .db
        .run(move |conn| {
            refusal(topics::rename_subtopic(conn, &actor, &origin, id, &title).map(drop))
        })
        .await?;
    match outcome {
        Ok(()) => Ok(Redirect::to("/admin/topics").into_response()),
        Err(errors) => {
            let page = render(&SubtopicPage {
                chrome: user.chrome(),
                errors,
                id,
                title: form.title,
            })?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}
