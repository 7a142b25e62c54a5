//! Account administration, for users with MANAGE_USERS: the user list, invites, what can be
//! done to an account, measure shares for departmental users, and the audit log.

use crate::pages::Form;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;

use almanac_accounts::audit::{self, Actor, AuditEvent, Origin, Subject};
use almanac_accounts::emails;
use almanac_accounts::tokens::TOKEN_LIFETIME;
use almanac_accounts::users::{self, AccountError, Invitation};
use almanac_content::measures::{self, MeasureListing};
use almanac_content::models::User;
use almanac_content::{Capability, UserType};

use crate::AppState;
use crate::auth::SignedIn;
use crate::error::AppError;
use crate::pages::{Chrome, FormErrors, render};
use crate::routes::auth::send;

#[derive(Template)]
#[template(path = "publisher/admin/index.html")]
struct IndexPage {
    chrome: Chrome,
}

pub async fn index(user: SignedIn) -> Result<Html<String>, AppError> {
    user.require(Capability::ManageUsers)?;
    render(&IndexPage {
        chrome: user.chrome(),
    })
}

/// A user as the admin pages show them.
pub struct UserRow {
    pub id: i32,
    pub email: String,
    pub role: &'static str,
    pub status: &'static str,
    pub two_factor: bool,
    pub last_login: String,
}

impl UserRow {
    fn from(user: &User) -> UserRow {
        UserRow {
            id: user.id,
            email: user.email.clone(),
            role: user
                .user_type()
                .map(|kind| kind.label())
                .unwrap_or("Unknown"),
            status: if user.locked_at.is_some() {
                "Locked"
            } else if user.active {
                "Active"
            } else if user.confirmed_at.is_none() {
                "Invited"
            } else {
                "Deactivated"
            },
            two_factor: user.totp_enabled_at.is_some(),
            last_login: user
                .current_login_at
                .map(|at| at.format("%-d %B %Y %H:%M UTC").to_string())
                .unwrap_or_else(|| "Never".to_owned()),
        }
    }
}

#[derive(Template)]
#[template(path = "publisher/admin/users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserRow>,
}

pub async fn users(
    State(state): State<AppState>,
    user: SignedIn,
) -> Result<Html<String>, AppError> {
    user.require(Capability::ManageUsers)?;
    let all = state.db.run(|conn| Ok(users::list(conn)?)).await?;
    render(&UsersPage {
        chrome: user.chrome(),
        users: all.iter().map(UserRow::from).collect(),
    })
}

// ---- Invite ----------------------------------------------------------------------------

/// The types an admin can invite; admins come from promoting a central editor.
const INVITABLE: [UserType; 3] = [
    UserType::Departmental,
    UserType::CentralEditor,
    UserType::Developer,
];

#[derive(Template)]
#[template(path = "publisher/admin/add_user.html")]
struct AddUserPage {
    chrome: Chrome,
    errors: FormErrors,
    email: String,
    user_type: String,
    types: Vec<(&'static str, &'static str)>,
}

fn invitable_types() -> Vec<(&'static str, &'static str)> {
    INVITABLE
        .iter()
        .map(|kind| (kind.as_str(), kind.label()))
        .collect()
}

pub async fn add_form(user: SignedIn) -> Result<Html<String>, AppError> {
    user.require(Capability::ManageUsers)?;
    render(&AddUserPage {
        chrome: user.chrome(),
        errors: FormErrors::default(),
        email: String::new(),
        user_type: String::new(),
        types: invitable_types(),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AddUserForm {
    email: String,
    user_type: String,
}

pub async fn add(
    State(state): State<AppState>,
    user: SignedIn,
    Form(form): Form<AddUserForm>,
) -> Result<Response, AppError> {
    user.require(Capability::ManageUsers)?;
    let mut errors = FormErrors::default();
    let email = form.email.trim().to_owned();
    if email.is_empty() {
        errors.add("email", "Enter an email address");
    }
    let user_type = form
        .user_type
        .parse::<UserType>()
        .ok()
        .filter(|kind| INVITABLE.contains(kind));
    if user_type.is_none() {
        errors.add("user_type", "Choose the type of account");
    }
    let page = |errors: FormErrors| -> Result<Response, AppError> {
        let page = render(&AddUserPage {
            chrome: user.chrome(),
            errors,
            email: email.clone(),
            user_type: form.user_type.clone(),
            types: invitable_types(),
        })?;
        Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    let Some(user_type) = user_type.filter(|_| errors.is_empty()) else {
        return page(errors);
    };
    let keys = state.config.secret_key.clone();
    let policy = state.config.accounts.clone();
    let address = email.clone();
    let invite = action(move |conn, origin, actor| {
        users::invite(
            conn,
            &keys,
            &policy,
            origin,
            Actor::User(actor),
            &address,
            user_type,
            Utc::now(),
        )
    });
    match attempt(&state, &user, invite).await? {
        Ok(invitation) => {
            let sent = send_invite(&state, &user.user, &invitation).await?;
            let notice = invite_notice(sent);
            let id = invitation.user.id;
            Ok(Redirect::to(&format!("/admin/users/{id}?notice={notice}")).into_response())
        }
        Err(message) => page(FormErrors::one("email", message)),
    }
}

async fn send_invite(
    state: &AppState,
    inviter: &User,
    invitation: &Invitation,
) -> Result<bool, AppError> {
    let user_type = invitation
        .user
        .user_type()
        .unwrap_or(UserType::Departmental);
    let link = state.link(&format!("/register/confirm-account/{}", invitation.token));
    let email = emails::invite(
        &invitation.user.email,
        &inviter.email,
        user_type,
        &link,
        Utc::now() + TOKEN_LIFETIME,
    )?;
    Ok(send(state, &email).await)
}

// ---- One user --------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "publisher/admin/user.html")]
struct UserPage {
    chrome: Chrome,
    notice: &'static str,
    errors: FormErrors,
    account: UserRow,
    is_self: bool,
    is_departmental: bool,
    is_central_editor: bool,
    is_admin: bool,
    is_active: bool,
    shared: Vec<MeasureListing>,
    shareable: Vec<MeasureListing>,
    events: Vec<AuditEvent>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NoticeQuery {
    notice: String,
}

fn notice_text(key: &str) -> &'static str {
    match key {
        "invite-sent" => "Invitation sent.",
        "invite-not-sent" => {
            "The account was created, but the invitation email could not be sent. Try “Resend invitation”."
        }
        "deactivated" => "Account deactivated. Its sessions have ended.",
        "type-changed" => "Account type changed.",
        "two-factor-reset" => {
            "Two-factor authentication reset. The user sets it up again at their next sign-in."
        }
        "shared" => "Measure shared.",
        "unshared" => "Measure no longer shared.",
        _ => "",
    }
}

pub async fn user(
    State(state): State<AppState>,
    admin: SignedIn,
    Path(id): Path<i32>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    admin.require(Capability::ManageUsers)?;
    user_page(
        &state,
        &admin,
        id,
        notice_text(&query.notice),
        FormErrors::default(),
    )
    .await
}

async fn user_page(
    state: &AppState,
    admin: &SignedIn,
    id: i32,
    notice: &'static str,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let (account, shared, shareable, events) = state
        .db
        .run(move |conn| {
            let account = users::get(conn, id)?;
            let (shared, shareable) = if account.user_type() == Some(UserType::Departmental) {
                let ids = users::shared_measure_ids(conn, id)?;
                let all = measures::all(conn)?;
                all.into_iter()
                    .partition(|measure| ids.contains(&measure.id))
            } else {
                (Vec::new(), Vec::new())
            };
            let events = audit::about(conn, &Subject::user(id))?;
            Ok((account, shared, shareable, events))
        })
        .await?;
    let kind = account.user_type();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = render(&UserPage {
        chrome: admin.chrome(),
        notice,
        errors,
        account: UserRow::from(&account),
        is_self: account.id == admin.user.id,
        is_departmental: kind == Some(UserType::Departmental),
        is_central_editor: kind == Some(UserType::CentralEditor),
        is_admin: kind == Some(UserType::Admin),
        is_active: account.active,
        shared,
        shareable,
        events,
    })?;
    Ok((status, page).into_response())
}

type AccountAction<T> =
    Box<dyn FnOnce(&mut diesel::PgConnection, &Origin, &User) -> Result<T, AccountError> + Send>;

fn action<T>(
    work: impl FnOnce(&mut diesel::PgConnection, &Origin, &User) -> Result<T, AccountError>
    + Send
    + 'static,
) -> AccountAction<T> {
    Box::new(work)
}

/// Runs an account action as the signed-in admin. A refusal the admin should read (their
/// own account, a taken address, ...) comes back as `Ok(Err(reason))`; a missing account
/// is a 404 and anything else a failure.
async fn attempt<T: Send + 'static>(
    state: &AppState,
    admin: &SignedIn,
    action: AccountAction<T>,
) -> Result<Result<T, String>, AppError> {
    admin.require(Capability::ManageUsers)?;
    let origin = admin.origin();
    let actor = admin.user.clone();
    state
        .db
        .run(move |conn| match action(conn, &origin, &actor) {
            Ok(done) => Ok(Ok(done)),
            Err(AccountError::Database(error)) => Err(error.into()),
            Err(AccountError::UnknownUser) => Err(AppError::NotFound),
            Err(other) => Ok(Err(other.to_string())),
        })
        .await
}

/// Runs one account action and answers with the user page: a redirect with a notice on
/// success, the page with the reason (against `field`) when the action is refused.
async fn act(
    state: &AppState,
    admin: &SignedIn,
    id: i32,
    field: &'static str,
    notice: &'static str,
    action: AccountAction<()>,
) -> Result<Response, AppError> {
    match attempt(state, admin, action).await? {
        Ok(()) => Ok(Redirect::to(&format!("/admin/users/{id}?notice={notice}")).into_response()),
        Err(reason) => user_page(state, admin, id, "", FormErrors::one(field, reason)).await,
    }
}

fn invite_notice(sent: bool) -> &'static str {
    if sent {
        "invite-sent"
    } else {
        "invite-not-sent"
    }
}

pub async fn resend_invite(
    State(state): State<AppState>,
    admin: SignedIn,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let keys = state.config.secret_key.clone();
    let resend = action(move |conn, origin, actor| {
        users::resend_invite(conn, &keys, origin, actor, id, Utc::now())
    });
    match attempt(&state, &admin, resend).await? {
        Ok(invitation) => {
            let sent = send_invite(&state, &admin.user, &invitation).await?;
            let notice = invite_notice(sent);
            Ok(Redirect::to(&format!("/admin/users/{id}?notice={notice}")).into_response())
        }
        Err(reason) => user_page(&state, &admin, id, "", FormErrors::one("actions", reason)).await,
    }
}

pub async fn deactivate(
    State(state): State<AppState>,
    admin: SignedIn,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let deactivate =
        action(move |conn, origin, actor| users::deactivate(conn, origin, actor, id).map(drop));
    act(&state, &admin, id, "actions", "deactivated", deactivate).await
}

pub async fn delete(
    State(state): State<AppState>,
    admin: SignedIn,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let delete =
        action(move |conn, origin, actor| users::delete(conn, origin, actor, id).map(drop));
    match attempt(&state, &admin, delete).await? {
        Ok(()) => Ok(Redirect::to("/admin/users").into_response()),
        Err(reason) => user_page(&state, &admin, id, "", FormErrors::one("actions", reason)).await,
    }
}

pub async fn make_admin(
    State(state): State<AppState>,
    admin: SignedIn,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    change_type(state, admin, id, UserType::Admin).await
}

pub async fn make_central_editor(
    State(state): State<AppState>,
    admin: SignedIn,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    change_type(state, admin, id, UserType::CentralEditor).await
}

async fn change_type(
    state: AppState,
    admin: SignedIn,
    id: i32,
    to: UserType,
) -> Result<Response, AppError> {
    let change = action(move |conn, origin, actor| {
        users::change_type(conn, origin, actor, id, to).map(drop)
    });
    act(&state, &admin, id, "actions", "type-changed", change).await
}

pub async fn reset_two_factor(
    State(state): State<AppState>,
    admin: SignedIn,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let reset = action(move |conn, origin, actor| {
        users::reset_two_factor(conn, origin, actor, id).map(drop)
    });
    act(&state, &admin, id, "actions", "two-factor-reset", reset).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ShareForm {
    measure_id: String,
}

pub async fn share(
    State(state): State<AppState>,
    admin: SignedIn,
    Path(id): Path<i32>,
    Form(form): Form<ShareForm>,
) -> Result<Response, AppError> {
    admin.require(Capability::ManageUsers)?;
    let Ok(measure_id) = form.measure_id.trim().parse::<i32>() else {
        let errors = FormErrors::one("measure_id", "Choose a measure to share");
        return user_page(&state, &admin, id, "", errors).await;
    };
    let share = action(move |conn, origin, actor| {
        users::set_shared(conn, origin, actor, id, measure_id, true)
    });
    act(&state, &admin, id, "measure_id", "shared", share).await
}

pub async fn unshare(
    State(state): State<AppState>,
    admin: SignedIn,
    Path((id, measure_id)): Path<(i32, i32)>,
) -> Result<Response, AppError> {
    let unshare = action(move |conn, origin, actor| {
        users::set_shared(conn, origin, actor, id, measure_id, false)
    });
    act(&state, &admin, id, "actions", "unshared", unshare).await
}

// ---- Audit log ---------------------------------------------------------------------------

const EVENTS_PER_PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "publisher/admin/audit.html")]
struct AuditPage {
    chrome: Chrome,
    events: Vec<AuditEvent>,
    page: i64,
    pages: i64,
    total: i64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PageQuery {
    page: Option<String>,
}

pub async fn audit(
    State(state): State<AppState>,
    admin: SignedIn,
    Query(query): Query<PageQuery>,
) -> Result<Html<String>, AppError> {
    admin.require(Capability::ManageUsers)?;
    let page = match query.page.as_deref().map(str::parse::<i64>) {
        None => 1,
        Some(Ok(page)) if page >= 1 => page,
        Some(_) => {
            return Err(AppError::BadRequest(
                "The page number must be a whole number, 1 or more.".to_owned(),
            ));
        }
    };
    let (events, total) = state
        .db
        .run(move |conn| Ok(audit::page(conn, page, EVENTS_PER_PAGE)?))
        .await?;
    render(&AuditPage {
        chrome: admin.chrome(),
        events,
        page,
        pages: (total + EVENTS_PER_PAGE - 1) / EVENTS_PER_PAGE,
        total,
    })
}
