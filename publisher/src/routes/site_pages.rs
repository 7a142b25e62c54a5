//! The site's own pages (EDIT_SITE_PAGES to write, PUBLISH to publish): the list, a form for
//! a new page and for a draft, publish / unpublish / delete, and a preview through the site
//! build's renderer. Also the preview of the public corrections list.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use serde::Deserialize;

use almanac_content::Capability;
use almanac_content::site_pages::{self, SitePage};
use almanac_editorial::edit::FieldChange;
use almanac_editorial::site_pages::{self as editorial, SaveOutcome, SitePageError, SitePageInput};

use crate::AppState;
use crate::auth::SignedIn;
use crate::error::AppError;
use crate::pages::{Chrome, Form, FormErrors, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cms/pages", get(list))
        .route("/cms/pages/new", get(new_form).post(create))
        .route("/cms/pages/{id}", get(edit_form).post(save))
        .route("/cms/pages/{id}/preview", get(preview))
        .route("/cms/pages/{id}/publish", post(publish))
        .route("/cms/pages/{id}/unpublish", post(unpublish))
        .route("/cms/pages/{id}/delete", post(delete))
        .route("/corrections", get(corrections_preview))
}

pub struct PageRow {
    pub id: i32,
    pub title: String,
    pub url: String,
    pub state: &'static str,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "publisher/site_pages/list.html")]
struct ListPage {
    chrome: Chrome,
    notice: String,
    pages: Vec<PageRow>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NoticeQuery {
    done: String,
}

fn notice(done: &str) -> String {
    match done {
        "created" => "The page has been created as a draft.",
        "saved" => "Your changes have been saved. The public site still shows the published copy.",
        "published" => "Published. The site will be rebuilt with it.",
        "unpublished" => "Unpublished. The site will be rebuilt without it.",
        "deleted" => "The page has been deleted.",
        _ => "",
    }
    .to_owned()
}

async fn list(
    State(state): State<AppState>,
    user: SignedIn,
    Query(query): Query<NoticeQuery>,
) -> Result<Html<String>, AppError> {
    user.require(Capability::EditSitePages)?;
    let pages = state.db.run(|conn| Ok(site_pages::all(conn)?)).await?;
    render(&ListPage {
        chrome: user.chrome(),
        notice: notice(&query.done),
        pages: pages
            .iter()
            .map(|page| PageRow {
                id: page.id,
                title: page.title.clone(),
                url: page.draft().url(),
                state: page.state().label(),
                updated: page.updated_at.format("%-d %B %Y").to_string(),
            })
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "publisher/site_pages/edit.html")]
struct EditPage {
    chrome: Chrome,
    notice: String,
    errors: FormErrors,
    conflict: Vec<FieldChange>,
    /// Who saved last, named on a conflict.
    updated_by: String,
    /// `None` for a new page.
    page: Option<SitePage>,
    input: SitePageInput,
    path_editable: bool,
    can_publish: bool,
}

impl EditPage {
    fn state_label(&self) -> &'static str {
        self.page
            .as_ref()
            .map_or("Not created yet", |page| page.state().label())
    }

    fn action(&self) -> String {
        self.page
            .as_ref()
            .map_or("/cms/pages/new".to_owned(), |page| {
                format!("/cms/pages/{}", page.id)
            })
    }

    fn published_note(&self) -> String {
        match self.page.as_ref() {
            Some(SitePage {
                published_at: Some(at),
                published_by,
                ..
            }) => format!(
                "Last published {} by {}",
                at.format("%-d %B %Y at %H:%M UTC"),
                published_by.as_deref().unwrap_or("someone")
            ),
            _ => String::new(),
        }
    }
}

fn edit_page(
    user: &SignedIn,
    page: Option<SitePage>,
    input: SitePageInput,
    notice: String,
    errors: FormErrors,
    conflict: Vec<FieldChange>,
) -> Result<Response, AppError> {
    let status = if errors.is_empty() && conflict.is_empty() {
        StatusCode::OK
    } else if conflict.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::CONFLICT
    };
    let path_editable = page
        .as_ref()
        .is_none_or(|page| !page.is_homepage() && page.published_at.is_none());
    let updated_by = page
        .as_ref()
        .and_then(|page| page.updated_by.clone())
        .unwrap_or_else(|| "Someone".to_owned());
    let body = render(&EditPage {
        chrome: user.chrome(),
        notice,
        errors,
        conflict,
        updated_by,
        path_editable,
        can_publish: user.user.can(Capability::Publish),
        page,
        input,
    })?;
    Ok((status, body).into_response())
}

async fn load(state: &AppState, id: i32) -> Result<SitePage, AppError> {
    state
        .db
        .run(move |conn| site_pages::find(conn, id)?.ok_or(AppError::NotFound))
        .await
}

async fn new_form(user: SignedIn) -> Result<Response, AppError> {
    user.require(Capability::EditSitePages)?;
    edit_page(
        &user,
        None,
        SitePageInput::default(),
        String::new(),
        FormErrors::default(),
        Vec::new(),
    )
}

async fn edit_form(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<i32>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    user.require(Capability::EditSitePages)?;
    let page = load(&state, id).await?;
    let input = SitePageInput::from_page(&page);
    edit_page(
        &user,
        Some(page),
        input,
        notice(&query.done),
        FormErrors::default(),
        Vec::new(),
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PageForm {
    path: String,
    title: String,
    summary: String,
    body: String,
    lock_version: String,
}

impl PageForm {
    fn input(self) -> Result<SitePageInput, AppError> {
        let lock_version = match self.lock_version.trim() {
            "" => 0,
            text => text.parse().map_err(|_| {
                AppError::BadRequest("The form is damaged (lock_version). Reload the page.".into())
            })?,
        };
        Ok(SitePageInput {
            path: self.path,
            title: self.title,
            summary: self.summary,
            body: self.body,
            lock_version,
        })
    }
}

/// Problems the editor can fix become form errors; anything else an error page.
fn form_errors(error: SitePageError) -> Result<FormErrors, AppError> {
    match error {
        SitePageError::Invalid(problems) => {
            let mut errors = FormErrors::default();
            for problem in problems {
                errors.add(problem.field, problem.message);
            }
            Ok(errors)
        }
        SitePageError::Refused(message) => Ok(FormErrors::one("page", message)),
        SitePageError::Forbidden => Err(AppError::Forbidden),
        SitePageError::Unknown => Err(AppError::NotFound),
        SitePageError::Database(error) => Err(error.into()),
    }
}

async fn create(
    State(state): State<AppState>,
    user: SignedIn,
    Form(form): Form<PageForm>,
) -> Result<Response, AppError> {
    user.require(Capability::EditSitePages)?;
    let input = form.input()?;
    let (actor, origin, submitted) = (user.user.clone(), user.origin(), input.clone());
    let outcome = state
        .db
        .run(move |conn| {
            Ok(editorial::create(
                conn,
                &actor,
                &origin,
                &submitted,
                Utc::now(),
            ))
        })
        .await?;
    match outcome {
        Ok(page) => {
            Ok(Redirect::to(&format!("/cms/pages/{}?done=created", page.id)).into_response())
        }
        Err(error) => edit_page(
            &user,
            None,
            input,
            String::new(),
            form_errors(error)?,
            Vec::new(),
        ),
    }
}

async fn save(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<i32>,
    Form(form): Form<PageForm>,
) -> Result<Response, AppError> {
    user.require(Capability::EditSitePages)?;
    let input = form.input()?;
    let (actor, origin, submitted) = (user.user.clone(), user.origin(), input.clone());
    let outcome = state
        .db
        .run(move |conn| {
            Ok(editorial::save(
                conn,
                &actor,
                &origin,
                id,
                &submitted,
                Utc::now(),
            ))
        })
        .await?;
    match outcome {
        Ok(SaveOutcome::Saved(_)) => {
            Ok(Redirect::to(&format!("/cms/pages/{id}?done=saved")).into_response())
        }
        Ok(SaveOutcome::Conflict { current, changes }) => {
            // Keep what the editor typed, but against the stored lock version, so saving
            // again (after reading the diff) goes through.
            let input = SitePageInput {
                lock_version: current.lock_version,
                ..input
            };
            edit_page(
                &user,
                Some(current),
                input,
                String::new(),
                FormErrors::default(),
                changes,
            )
        }
        Err(error) => {
            let errors = form_errors(error)?;
            let page = load(&state, id).await?;
            edit_page(&user, Some(page), input, String::new(), errors, Vec::new())
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PublishForm {
    lock_version: String,
}

/// Publish, unpublish and delete share their shape: one editorial call, then back to the
/// page (or the list) with a notice, or the page again with the refusal.
async fn act(
    state: AppState,
    user: SignedIn,
    id: i32,
    action: &'static str,
    lock_version: Option<i32>,
) -> Result<Response, AppError> {
    let (actor, origin) = (user.user.clone(), user.origin());
    let outcome = state
        .db
        .run(move |conn| {
            let now = Utc::now();
            Ok(match action {
                "published" => editorial::publish(
                    conn,
                    &actor,
                    &origin,
                    id,
                    lock_version.unwrap_or_default(),
                    now,
                )
                .map(drop),
                "unpublished" => editorial::unpublish(conn, &actor, &origin, id).map(drop),
                _ => editorial::delete(conn, &actor, &origin, id),
            })
        })
        .await?;
    match outcome {
        Ok(()) if action == "deleted" => {
            Ok(Redirect::to("/cms/pages?done=deleted").into_response())
        }
        Ok(()) => Ok(Redirect::to(&format!("/cms/pages/{id}?done={action}")).into_response()),
        Err(error) => {
            let errors = form_errors(error)?;
            let page = load(&state, id).await?;
            let input = SitePageInput::from_page(&page);
            edit_page(&user, Some(page), input, String::new(), errors, Vec::new())
        }
    }
}

async fn publish(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<i32>,
    Form(form): Form<PublishForm>,
) -> Result<Response, AppError> {
    user.require(Capability::Publish)?;
    let lock_version = form.lock_version.trim().parse().map_err(|_| {
        AppError::BadRequest("The form is damaged (lock_version). Reload the page.".into())
    })?;
    act(state, user, id, "published", Some(lock_version)).await
}

async fn unpublish(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    user.require(Capability::Publish)?;
    act(state, user, id, "unpublished", None).await
}

async fn delete(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    user.require(Capability::EditSitePages)?;
    act(state, user, id, "deleted", None).await
}

/// The draft as the public site would show it, through the site build's renderer.
async fn preview(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<i32>,
) -> Result<Html<String>, AppError> {
    user.require(Capability::EditSitePages)?;
    let (page, topics) = state
        .db
        .run(move |conn| {
            let page = site_pages::find(conn, id)?.ok_or(AppError::NotFound)?;
            let topics = if page.is_homepage() {
                almanac_content::site::topic_summaries(conn)?
            } else {
                Vec::new()
            };
            Ok((page, topics))
        })
        .await?;
    let draft = page.draft();
    let mode = almanac_render::Mode::Preview;
    let html = if page.is_homepage() {
        almanac_render::homepage(&topics, Some(&draft), mode, &state.site)?
    } else {
        almanac_render::site_page(&draft, mode, &state.site)?
    };
    Ok(Html(html))
}

/// The public corrections list, through the site build's renderer.
async fn corrections_preview(
    State(state): State<AppState>,
    _user: SignedIn,
) -> Result<Html<String>, AppError> {
    let corrections = state
        .db
        .run(|conn| Ok(almanac_content::site::corrections(conn)?))
        .await?;
    let html =
        almanac_render::corrections_page(&corrections, almanac_render::Mode::Preview, &state.site)?;
    Ok(Html(html))
}
