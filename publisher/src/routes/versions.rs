//! One measure version in the CMS: its page with the workflow actions, the preview, review
//! links, and starting a minor or major update.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;

use almanac_accounts::users::can_access_measure;
use almanac_content::measures;
use almanac_content::pages::{MeasurePage, measure_page};
use almanac_content::{UpdateKind, UserType, VersionNumber};
use almanac_editorial::review::{self, ReviewError};
use almanac_editorial::versions::{self, VersionError};
use almanac_editorial::workflow::{self, Action, WorkflowError, available_actions};

use crate::AppState;
use crate::auth::{SignedIn, Visitor};
use crate::error::AppError;
use crate::pages::{Chrome, Form, FormErrors, render};
use crate::routes::scheduling::{self, ScheduleFormView};

#[derive(Debug, Deserialize)]
pub struct VersionPath {
    pub topic: String,
    pub subtopic: String,
    pub measure: String,
    pub version: String,
}

impl VersionPath {
    pub fn url(&self) -> String {
        format!(
            "/cms/{}/{}/{}/{}",
            self.topic, self.subtopic, self.measure, self.version
        )
    }
}

/// The page of a version the signed-in user may see. Departmental users get the same 403
/// whether the measure is missing or not shared with them.
pub(super) async fn load(
    state: &AppState,
    user: &SignedIn,
    path: &VersionPath,
) -> Result<(MeasurePage, bool), AppError> {
    let number: VersionNumber = path.version.parse().map_err(|_| AppError::NotFound)?;
    let (topic, subtopic, measure) = (
        path.topic.clone(),
        path.subtopic.clone(),
        path.measure.clone(),
    );
    let found = state
        .db
        .run(move |conn| {
            Ok(measures::find_version(
                conn, &topic, &subtopic, &measure, number,
            )?)
        })
        .await?;
    match found {
        Some((_, version_id)) => load_by_id(state, user, version_id).await,
        None => Err(missing(&user.user)),
    }
}

/// What a version the user cannot find is: to departmental users, the same 403 as one not
/// shared with them, so that it says nothing of what exists.
fn missing(user: &almanac_content::models::User) -> AppError {
    if user.user_type() == Some(UserType::Departmental) {
        AppError::Forbidden
    } else {
        AppError::NotFound
    }
}

/// The same, found by the version's id (which never changes, unlike its address).
pub(super) async fn load_by_id(
    state: &AppState,
    user: &SignedIn,
    version_id: i32,
) -> Result<(MeasurePage, bool), AppError> {
    let reader = user.user.clone();
    state
        .db
        .run(move |conn| {
            let page = measure_page(conn, version_id)?.ok_or_else(|| missing(&reader))?;
            if !can_access_measure(conn, &reader, page.version.measure_id)? {
                return Err(AppError::Forbidden);
            }
            let testing = workflow::in_testing_space(conn, page.version.measure_id)?;
            Ok((page, testing))
        })
        .await
}

#[derive(Template)]
#[template(path = "publisher/cms/version.html")]
struct VersionPage {
    chrome: Chrome,
    notice: String,
    errors: FormErrors,
    page: MeasurePage,
    url: String,
    status_label: &'static str,
    actions: Vec<(&'static str, &'static str)>,
    review_link: Option<String>,
    review_link_expires: Option<String>,
    /// For a published version: when its last publish reached the public site.
    live: Option<String>,
    can_update: bool,
    editable: bool,
    can_delete: bool,
    can_archive: bool,
    can_copy: bool,
    /// The "Publish at a set time" form, with what was entered and its errors.
    schedule: ScheduleFormView,
    can_schedule: bool,
    /// "This page will be published on … (UK time) by …", while a time is set.
    scheduled: Option<String>,
    can_cancel_schedule: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NoticeQuery {
    done: String,
}

fn notice(done: &str) -> String {
    match done {
        "save-and-review" => "Sent to internal review.".to_owned(),
        "send-to-department-review" => {
            "Sent to department review. Share the review link with the department.".to_owned()
        }
        "send-to-approved" => "Published. The site will be rebuilt with it.".to_owned(),
        "reject-measure" => "Rejected.".to_owned(),
        "send-back-to-draft" => "Returned to draft.".to_owned(),
        "unpublish" => "Unpublished. The site will be rebuilt without it.".to_owned(),
        "review-link" => {
            "A new review link has been made. The old link no longer works.".to_owned()
        }
        "new-version" => "New version created.".to_owned(),
        "saved" => "Your changes have been saved.".to_owned(),
        "upload" => "The file passed its virus scan and has been added.".to_owned(),
        "archived" => "Archived. The site will be rebuilt without it on its topic page.".to_owned(),
        "scheduled" => "The page will be published at the time you set.".to_owned(),
        "schedule-cancelled" => {
            "The scheduled publishing has been cancelled. The page stays in department review."
                .to_owned()
        }
        _ => String::new(),
    }
}

async fn version_page(
    state: &AppState,
    user: &SignedIn,
    page: MeasurePage,
    testing: bool,
    url: String,
    notice: String,
    errors: FormErrors,
) -> Result<Response, AppError> {
    render_version_page(
        state,
        user,
        (page, testing),
        url,
        notice,
        errors,
        ScheduleFormView::default(),
    )
    .await
}

/// The version page shown again after the schedule form was refused, with what was entered.
pub(super) async fn version_page_with_schedule(
    state: &AppState,
    user: &SignedIn,
    page: MeasurePage,
    testing: bool,
    url: String,
    errors: FormErrors,
    schedule: ScheduleFormView,
) -> Result<Response, AppError> {
    render_version_page(
        state,
        user,
        (page, testing),
        url,
        String::new(),
        errors,
        schedule,
    )
    .await
}

async fn render_version_page(
    state: &AppState,
    user: &SignedIn,
    (page, testing): (MeasurePage, bool),
    url: String,
    notice: String,
    errors: FormErrors,
    schedule: ScheduleFormView,
) -> Result<Response, AppError> {
    let status = page.version.status();
    let in_review = status == almanac_content::PublishStatus::DepartmentReview;
    let can_publish = user.user.can(almanac_content::Capability::Publish);
    // A time left on a version that has since moved on is never acted on: not shown either.
    let scheduled = page
        .version
        .publish_scheduled_at
        .filter(|_| in_review)
        .map(|at| {
            format!(
                "This page will be published on {} (UK time) by {}",
                scheduling::uk_time(at),
                page.version.publish_scheduled_by.as_deref().unwrap_or("")
            )
        });
    let actions = available_actions(&user.user, status, testing)
        .into_iter()
        .map(|action| (action.form_value(), action.label()))
        .collect();
    let live_link = page
        .version
        .review_token
        .as_ref()
        .zip(page.version.review_token_expires_at)
        .filter(|(_, expires)| {
            *expires > Utc::now() && status == almanac_content::PublishStatus::DepartmentReview
        });
    let can_update = status.is_published()
        && page.version.latest
        && user.user.can(almanac_content::Capability::CreateVersion);
    let version_id = page.version.id;
    let live = if status.is_published() {
        state
            .db
            .run(move |conn| Ok(almanac_content::builds::live_status(conn, version_id)?))
            .await?
            .map(|live| match live {
                almanac_content::builds::LiveStatus::LiveSince(at) => format!(
                    "On the public site since {}.",
                    at.format("%H:%M UTC on %-d %B %Y")
                ),
                almanac_content::builds::LiveStatus::Waiting => {
                    "Published: waiting for the site build to put it on the public site.".to_owned()
                }
            })
    } else {
        None
    };
    let http_status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = render(&VersionPage {
        chrome: user.chrome(),
        notice,
        errors,
        url,
        status_label: status.label(),
        actions,
        review_link: live_link.map(|(token, _)| state.link(&format!("/review/{token}"))),
        review_link_expires: live_link
            .map(|(_, expires)| expires.format("%H:%M UTC on %-d %B %Y").to_string()),
        live,
        can_update,
        editable: status.is_editable() && user.user.can(almanac_content::Capability::UpdateMeasure),
        can_delete: status == almanac_content::PublishStatus::Draft
            && user.user.can(almanac_content::Capability::DeleteMeasure),
        can_archive: can_publish,
        can_copy: user.user.can(almanac_content::Capability::CopyMeasure),
        schedule,
        can_schedule: in_review && can_publish && !testing,
        scheduled,
        can_cancel_schedule: can_publish,
        page,
    })?;
    Ok((http_status, body).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<VersionPath>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let (page, testing) = load(&state, &user, &path).await?;
    version_page(
        &state,
        &user,
        page,
        testing,
        path.url(),
        notice(&query.done),
        FormErrors::default(),
    )
    .await
}

/// The page as the public site will show it, through the site build's own renderer.
pub async fn preview(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<VersionPath>,
) -> Result<Html<String>, AppError> {
    let (page, _) = load(&state, &user, &path).await?;
    Ok(Html(almanac_render::measure_page(
        &page,
        almanac_render::Mode::Preview,
        &state.site,
    )?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ActionForm {
    #[serde(rename = "measure-action")]
    action: String,
}

pub async fn act(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<VersionPath>,
    Form(form): Form<ActionForm>,
) -> Result<Response, AppError> {
    let (page, testing) = load(&state, &user, &path).await?;
    let Some(action) = Action::from_form_value(&form.action) else {
        return Err(AppError::BadRequest(format!(
            "“{}” is not an action the publisher knows.",
            form.action
        )));
    };
    let (actor, origin, links) = (user.user.clone(), user.origin(), state.review_links.clone());
    let version_id = page.version.id;
    let outcome = state
        .db
        .run(move |conn| {
            match workflow::apply(
                conn,
                &actor,
                &origin,
                version_id,
                action,
                &links,
                Utc::now(),
            ) {
                Ok(_) => Ok(Ok(())),
                Err(WorkflowError::Database(error)) => Err(error.into()),
                Err(WorkflowError::Forbidden(_)) => Err(AppError::Forbidden),
                Err(WorkflowError::UnknownVersion) => Err(AppError::NotFound),
                Err(WorkflowError::Incomplete(problems)) => {
                    let mut errors = FormErrors::default();
                    for problem in problems {
                        errors.add(problem.field, problem.message);
                    }
                    Ok(Err(errors))
                }
                Err(other) => Ok(Err(FormErrors::one("actions", other.to_string()))),
            }
        })
        .await?;
    match outcome {
        Ok(()) => Ok(
            Redirect::to(&format!("{}?done={}", path.url(), action.form_value())).into_response(),
        ),
        Err(errors) => {
            version_page(
                &state,
                &user,
                page,
                testing,
                path.url(),
                String::new(),
                errors,
            )
            .await
        }
    }
}

pub async fn new_review_link(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<VersionPath>,
) -> Result<Response, AppError> {
    let (page, testing) = load(&state, &user, &path).await?;
    if page.version.status() != almanac_content::PublishStatus::DepartmentReview {
        let errors = FormErrors::one(
            "review-link",
            "Review links are for pages in department review",
        );
        return version_page(
            &state,
            &user,
            page,
            testing,
            path.url(),
            String::new(),
            errors,
        )
        .await;
    }
    let (actor, origin, links, version_id) = (
        user.user.clone(),
        user.origin(),
        state.review_links.clone(),
        page.version.id,
    );
    state
        .db
        .run(move |conn| {
            match review::issue(conn, &links, Some(&actor), &origin, version_id, Utc::now()) {
                Ok(_) => Ok(()),
                Err(ReviewError::Database(error)) => Err(error.into()),
                Err(ReviewError::Forbidden) => Err(AppError::Forbidden),
                Err(other) => Err(AppError::Internal(other.to_string())),
            }
        })
        .await?;
    Ok(Redirect::to(&format!("{}?done=review-link", path.url())).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewVersionForm {
    update_type: String,
}

pub async fn new_version(
    State(state): State<AppState>,
    user: SignedIn,
    Path(path): Path<VersionPath>,
    Form(form): Form<NewVersionForm>,
) -> Result<Response, AppError> {
    let (page, testing) = load(&state, &user, &path).await?;
    let kind = match form.update_type.as_str() {
        "minor" => UpdateKind::Minor,
        "major" => UpdateKind::Major,
        _ => {
            let errors = FormErrors::one("update_type", "Choose a minor or a major update");
            return version_page(
                &state,
                &user,
                page,
                testing,
                path.url(),
                String::new(),
                errors,
            )
            .await;
        }
    };
    let (actor, origin, version_id) = (user.user.clone(), user.origin(), page.version.id);
    let created = state
        .db
        .run(move |conn| {
            match versions::create_update(conn, &actor, &origin, version_id, kind, Utc::now()) {
                Ok(new) => Ok(Ok((new.version.version(), new.file_copies))),
                Err(VersionError::Database(error)) => Err(error.into()),
                Err(VersionError::Forbidden) => Err(AppError::Forbidden),
                Err(VersionError::UnknownVersion) => Err(AppError::NotFound),
                Err(other) => Ok(Err(other.to_string())),
            }
        })
        .await?;
    match created {
        Ok((number, file_copies)) => {
            // The minor version's upload rows were copied in the transaction; its files
            // follow now. A file that cannot be copied is reported, not hidden: the editor
            // can upload it again.
            for copy in file_copies {
                let from = almanac_uploads::StoreKey::new(
                    copy.measure_id,
                    copy.from_version,
                    copy.file_name.clone(),
                );
                let to = almanac_uploads::StoreKey::new(
                    copy.measure_id,
                    copy.to_version,
                    copy.file_name,
                );
                if let Err(error) = state.files.copy(&from, &to).await {
                    tracing::error!(%error, %from, %to, "could not copy an upload to the new version");
                }
            }
            Ok(Redirect::to(&format!(
                "/cms/{}/{}/{}/{number}?done=new-version",
                path.topic, path.subtopic, path.measure
            ))
            .into_response())
        }
        Err(reason) => {
            let errors = FormErrors::one("update_type", reason);
            version_page(
                &state,
                &user,
                page,
                testing,
                path.url(),
                String::new(),
                errors,
            )
            .await
        }
    }
}

/// The page a review link opens, for readers without an account. Never indexed, never cached.
pub async fn review_page(
    State(state): State<AppState>,
    _visitor: Visitor,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let keys = state.review_links.keys.clone();
    let lookup = token.clone();
    let page = state
        .db
        .run(
            move |conn| match review::find(conn, &keys, &lookup, Utc::now()) {
                Ok(version) => Ok(measure_page(conn, version.id)?),
                Err(ReviewError::Database(error)) => Err(error.into()),
                Err(_) => Ok(None),
            },
        )
        .await?;
    let mut response = match page {
        Some(page) => {
            Html(almanac_render::review_page(&page, &state.site, &token)?).into_response()
        }
        None => AppError::LinkNotValid.into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    headers.insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow"),
    );
    Ok(response)
}

/// A source-data file, for a reader who holds the review link; the same rules as the page.
pub async fn review_download(
    State(state): State<AppState>,
    _visitor: Visitor,
    Path((token, file_name)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let keys = state.review_links.keys.clone();
    let version = state
        .db
        .run(
            move |conn| match review::find(conn, &keys, &token, Utc::now()) {
                Ok(version) => Ok(Some(version)),
                Err(ReviewError::Database(error)) => Err(error.into()),
                Err(_) => Ok(None),
            },
        )
        .await?
        .ok_or(AppError::LinkNotValid)?;
    let mut response =
        crate::routes::uploads::serve_clean_file(&state, &version, &file_name).await?;
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}
