//! The signed-in user's own account: two-factor set-up and recovery codes.

use crate::pages::Form;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use chrono::Utc;
use serde::Deserialize;

use almanac_accounts::audit::{self, Actor, AuditAction, Subject};
use almanac_accounts::two_factor::{self, Enrolment, TwoFactorError};
use almanac_accounts::{login, sessions};

use crate::AppState;
use crate::auth::{PartSignedIn, SignedIn, Stage, session_cookie};
use crate::error::AppError;
use crate::pages::{Chrome, FormErrors, render};

#[derive(Template)]
#[template(path = "publisher/account/overview.html")]
struct OverviewPage {
    chrome: Chrome,
    email: String,
    role: &'static str,
    two_factor_on: bool,
    two_factor_required: bool,
    recovery_codes_left: i64,
    tokens: Vec<almanac_accounts::api_tokens::ApiToken>,
    errors: FormErrors,
    new_token: String,
}

pub async fn overview(State(state): State<AppState>, user: SignedIn) -> Result<Response, AppError> {
    overview_page(&state, &user, FormErrors::default(), String::new()).await
}

async fn overview_page(
    state: &AppState,
    user: &SignedIn,
    errors: FormErrors,
    new_token: String,
) -> Result<Response, AppError> {
    let user_id = user.user.id;
    let (recovery_codes_left, tokens) = state
        .db
        .run(move |conn| {
            Ok((
                two_factor::remaining_recovery_codes(conn, user_id)?,
                almanac_accounts::api_tokens::list(conn, user_id)?,
            ))
        })
        .await?;
    let kind = user.user.user_type();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = render(&OverviewPage {
        chrome: user.chrome(),
        email: user.user.email.clone(),
        role: kind.map(|kind| kind.label()).unwrap_or("Unknown"),
        two_factor_on: user.user.totp_enabled_at.is_some(),
        two_factor_required: kind
            .is_some_and(|kind| state.config.accounts.requires_two_factor(kind)),
        recovery_codes_left,
        tokens,
        errors,
        new_token,
    })?;
    Ok((status, body).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenForm {
    name: String,
}

/// Makes an API token and shows it, once.
pub async fn new_api_token(
    State(state): State<AppState>,
    user: SignedIn,
    Form(form): Form<TokenForm>,
) -> Result<Response, AppError> {
    let (account, origin) = (user.user.clone(), user.origin());
    let made = state
        .db
        .run(move |conn| {
            match almanac_accounts::api_tokens::issue(conn, &account, &origin, &form.name) {
                Ok(token) => Ok(Ok(token)),
                Err(almanac_accounts::api_tokens::ApiTokenError::Database(error)) => {
                    Err(error.into())
                }
                Err(other) => Ok(Err(other.to_string())),
            }
        })
        .await?;
    match made {
        Ok(token) => overview_page(&state, &user, FormErrors::default(), token).await,
        Err(message) => {
            overview_page(
                &state,
                &user,
                FormErrors::one("token_name", message),
                String::new(),
            )
            .await
        }
    }
}

pub async fn revoke_api_token(
    State(state): State<AppState>,
    user: SignedIn,
    axum::extract::Path(id): axum::extract::Path<i32>,
) -> Result<Response, AppError> {
    let (account, origin) = (user.user.clone(), user.origin());
    state
        .db
        .run(move |conn| {
            match almanac_accounts::api_tokens::revoke(conn, &account, &origin, id, Utc::now()) {
                Ok(()) => Ok(()),
                Err(almanac_accounts::api_tokens::ApiTokenError::Database(error)) => {
                    Err(error.into())
                }
                Err(_) => Err(AppError::NotFound),
            }
        })
        .await?;
    Ok(Redirect::to("/account").into_response())
}

#[derive(Template)]
#[template(path = "publisher/account/enrol.html")]
struct EnrolPage {
    chrome: Chrome,
    errors: FormErrors,
    enrolment: Enrolment,
    required: bool,
}

#[derive(Template)]
#[template(path = "publisher/account/recovery_codes.html")]
struct RecoveryCodesPage {
    chrome: Chrome,
    codes: Vec<String>,
    just_enrolled: bool,
}

pub async fn enrol_form(
    State(state): State<AppState>,
    part: PartSignedIn,
) -> Result<Response, AppError> {
    match part.live.stage {
        Stage::NeedsCode => return Ok(Redirect::to("/auth/two-factor").into_response()),
        _ if part.live.user.totp_enabled_at.is_some() => {
            return Ok(Redirect::to("/account").into_response());
        }
        _ => {}
    }
    let keys = state.config.secret_key.clone();
    let user = part.live.user.clone();
    let enrolment = state
        .db
        .run(move |conn| Ok(two_factor::begin_enrolment(conn, &keys, &user)?))
        .await?;
    Ok(render(&EnrolPage {
        chrome: enrol_chrome(&part),
        errors: FormErrors::default(),
        enrolment,
        required: part.live.stage == Stage::NeedsEnrolment,
    })?
    .into_response())
}

/// Someone still enrolling has no navigation: there is nowhere else they may go yet.
fn enrol_chrome(part: &PartSignedIn) -> Chrome {
    if part.live.stage == Stage::Complete {
        Chrome::signed_in(&part.live.user, &part.csrf_token)
    } else {
        Chrome::anonymous(&part.csrf_token)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    code: String,
}

pub async fn enrol(
    State(state): State<AppState>,
    part: PartSignedIn,
    Form(form): Form<CodeForm>,
) -> Result<Response, AppError> {
    if part.live.stage == Stage::NeedsCode {
        return Ok(Redirect::to("/auth/two-factor").into_response());
    }
    if part.live.user.totp_enabled_at.is_some() {
        return Ok(Redirect::to("/account").into_response());
    }
    let keys = state.config.secret_key.clone();
    let session_policy = state.config.sessions;
    let origin = part.origin();
    let client = part.client.clone();
    let user = part.live.user.clone();
    let old_cookie = part.live.cookie_value.clone();
    let was_complete = part.live.stage == Stage::Complete;
    let code = form.code.clone();
    let outcome = state
        .db
        .run(move |conn| {
            let now = Utc::now();
            match two_factor::confirm_enrolment(conn, &keys, &user, &code, now) {
                Ok(codes) => {
                    audit::record(
                        conn,
                        &origin,
                        Actor::User(&user),
                        AuditAction::TwoFactorEnabled,
                        Some(Subject::user(user.id)),
                        serde_json::json!({}),
                    )?;
                    // A new session id now that the session has its second factor.
                    let cookie = sessions::replace(
                        conn,
                        Some(&old_cookie),
                        user.id,
                        true,
                        &client,
                        &session_policy,
                        now,
                    )?;
                    if !was_complete {
                        login::record_sign_in(conn, &origin, &user, "enrolment", now)?;
                    }
                    Ok(Ok((codes, cookie)))
                }
                Err(error @ (TwoFactorError::Missing | TwoFactorError::WrongCode)) => {
                    let enrolment = two_factor::begin_enrolment(conn, &keys, &user)?;
                    Ok(Err((error.to_string(), enrolment)))
                }
                Err(other) => Err(other.into()),
            }
        })
        .await?;
    match outcome {
        Ok((codes, cookie)) => {
            let chrome = Chrome::signed_in(&part.live.user, &part.csrf_token);
            let jar = CookieJar::new().add(session_cookie(cookie, state.config.is_https()));
            let page = render(&RecoveryCodesPage {
                chrome,
                codes,
                just_enrolled: true,
            })?;
            Ok((jar, page).into_response())
        }
        Err((message, enrolment)) => {
            let page = render(&EnrolPage {
                chrome: enrol_chrome(&part),
                errors: FormErrors::one("code", message),
                enrolment,
                required: part.live.stage == Stage::NeedsEnrolment,
            })?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

pub async fn new_recovery_codes(
    State(state): State<AppState>,
    user: SignedIn,
) -> Result<Response, AppError> {
    if user.user.totp_enabled_at.is_none() {
        return Ok(Redirect::to("/account/two-factor/setup").into_response());
    }
    let origin = user.origin();
    let account = user.user.clone();
    let codes = state
        .db
        .run(move |conn| {
            let codes = two_factor::regenerate_recovery_codes(conn, &account)?;
            audit::record(
                conn,
                &origin,
                Actor::User(&account),
                AuditAction::RecoveryCodesRegenerated,
                Some(Subject::user(account.id)),
                serde_json::json!({}),
            )?;
            Ok(codes)
        })
        .await?;
    Ok(render(&RecoveryCodesPage {
        chrome: user.chrome(),
        codes,
        just_enrolled: false,
    })?
    .into_response())
}
