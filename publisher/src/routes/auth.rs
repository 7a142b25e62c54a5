//! Signing in and out, the second factor, and the pages behind emailed links (invites,
//! password resets, reactivation after a lockout).

use crate::pages::Form;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get};
use axum_extra::extract::CookieJar;
use chrono::Utc;
use serde::Deserialize;

use almanac_accounts::audit::{self, Actor, AuditAction, Subject};
use almanac_accounts::login::{self, LoginOutcome, NextStep};
use almanac_accounts::password::PasswordProblem;
use almanac_accounts::policy::is_well_formed_email;
use almanac_accounts::sessions;
use almanac_accounts::tokens::{self, TOKEN_LIFETIME, TokenError, TokenFailure, TokenPurpose};
use almanac_accounts::two_factor::{self, SecondFactor, TwoFactorError};
use almanac_accounts::users::{self, AccountError};
use almanac_accounts::{emails, login::Reactivation};
use almanac_mail::Email;

use crate::AppState;
use crate::auth::{
    PartSignedIn, Stage, Visitor, expired_session_cookie, safe_next, session_cookie,
};
use crate::error::AppError;
use crate::pages::{Chrome, FormErrors, render};
use crate::security::csrf;

/// The same words whether or not the address has an account.
pub const LOCKED_MESSAGE: &str = "Too many failed attempts to sign in with this email address. \
     If it has an account, the account is now locked and we have emailed it a link to unlock it.";
const WRONG_CREDENTIALS: &str = "Enter a correct email address and password";

/// Sends an email, logging rather than failing: the caller decides what the user is told.
pub async fn send(state: &AppState, email: &Email) -> bool {
    match state.mailer.send(email).await {
        Ok(_) => true,
        Err(error) => {
            tracing::error!(%error, subject = %email.subject, "could not send email");
            false
        }
    }
}

/// A response that signs the browser in with a new session (and a new CSRF cookie).
fn signed_in_response(state: &AppState, cookie_value: String, to: &str) -> Response {
    let secure = state.config.is_https();
    let jar = CookieJar::new()
        .add(session_cookie(cookie_value, secure))
        .add(csrf::new_cookie(secure));
    (jar, Redirect::to(to)).into_response()
}

fn where_next(step: NextStep, next: &str) -> String {
    match step {
        NextStep::SignedIn => safe_next(Some(next)),
        NextStep::EnterCode => {
            let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
            format!("/auth/two-factor?next={next}")
        }
        NextStep::EnrolTwoFactor => "/account/two-factor/setup".to_owned(),
    }
}

fn reactivation_email(state: &AppState, reactivation: &Reactivation) -> Result<Email, AppError> {
    let link = state.link(&format!("/register/reactivate/{}", reactivation.token));
    Ok(emails::reactivate(
        &reactivation.user.email,
        &link,
        Utc::now() + TOKEN_LIFETIME,
    )?)
}

// ---- Sign in ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "publisher/auth/login.html")]
struct LoginPage {
    chrome: Chrome,
    errors: FormErrors,
    email: String,
    next: String,
    notice: &'static str,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginQuery {
    next: String,
    signed_out: Option<String>,
    timed_out: Option<String>,
}

pub async fn login_form(
    visitor: Visitor,
    Query(query): Query<LoginQuery>,
) -> Result<Response, AppError> {
    if visitor
        .session
        .as_ref()
        .is_some_and(|live| live.stage == Stage::Complete)
    {
        return Ok(Redirect::to(&safe_next(Some(&query.next))).into_response());
    }
    let notice = if query.signed_out.is_some() {
        "You have been signed out."
    } else if query.timed_out.is_some() {
        "Your session has ended: it was unused for a while, or you signed out on another device. Sign in again to carry on."
    } else {
        ""
    };
    Ok(render(&LoginPage {
        chrome: Chrome::anonymous(&visitor.csrf_token),
        errors: FormErrors::default(),
        email: String::new(),
        next: query.next,
        notice,
    })?
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
    next: String,
}

enum LoginResult {
    SignedIn { cookie: String, step: NextStep },
    Wrong,
    Locked(Option<Box<Reactivation>>),
}

pub async fn login(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let mut errors = FormErrors::default();
    let email = form.email.trim().to_owned();
    if email.is_empty() {
        errors.add("email", "Enter your email address");
    } else if !is_well_formed_email(&email) {
        errors.add(
            "email",
            "Enter an email address in the correct format, like name@department.gov.uk",
        );
    }
    if form.password.is_empty() {
        errors.add("password", "Enter your password");
    }
    let page = |errors: FormErrors| {
        let body = render(&LoginPage {
            chrome: Chrome::anonymous(&visitor.csrf_token),
            errors,
            email: email.clone(),
            next: form.next.clone(),
            notice: "",
        })?;
        Ok::<_, AppError>((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
    };
    if !errors.is_empty() {
        return page(errors);
    }
    let keys = state.config.secret_key.clone();
    let policy = state.config.accounts.clone();
    let session_policy = state.config.sessions;
    let origin = visitor.origin();
    let client = visitor.client.clone();
    let old_cookie = visitor
        .session
        .as_ref()
        .map(|live| live.cookie_value.clone());
    let (typed_email, password) = (email.clone(), form.password.clone());
    let result = state
        .db
        .run(move |conn| {
            let now = Utc::now();
            let outcome =
                login::check_password(conn, &keys, &policy, &origin, &typed_email, &password, now)?;
            Ok(match outcome {
                LoginOutcome::Accepted { user, next } => {
                    let cookie = sessions::replace(
                        conn,
                        old_cookie.as_deref(),
                        user.id,
                        false,
                        &client,
                        &session_policy,
                        now,
                    )?;
                    if next == NextStep::SignedIn {
                        login::record_sign_in(conn, &origin, &user, "none", now)?;
                    }
                    LoginResult::SignedIn { cookie, step: next }
                }
                LoginOutcome::WrongCredentials => LoginResult::Wrong,
                LoginOutcome::Locked { reactivation } => {
                    LoginResult::Locked(reactivation.map(Box::new))
                }
            })
        })
        .await?;
    match result {
        LoginResult::SignedIn { cookie, step } => Ok(signed_in_response(
            &state,
            cookie,
            &where_next(step, &form.next),
        )),
        LoginResult::Wrong => page(FormErrors::one("email", WRONG_CREDENTIALS)),
        LoginResult::Locked(reactivation) => {
            if let Some(reactivation) = reactivation {
                send(&state, &reactivation_email(&state, &reactivation)?).await;
            }
            page(FormErrors::one("email", LOCKED_MESSAGE))
        }
    }
}

// ---- Second factor -----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "publisher/auth/two_factor.html")]
struct TwoFactorPage {
    chrome: Chrome,
    errors: FormErrors,
    next: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NextQuery {
    next: String,
}

pub async fn two_factor_form(
    part: PartSignedIn,
    Query(query): Query<NextQuery>,
) -> Result<Response, AppError> {
    match part.live.stage {
        Stage::NeedsCode => Ok(render(&TwoFactorPage {
            chrome: Chrome::anonymous(&part.csrf_token),
            errors: FormErrors::default(),
            next: query.next,
        })?
        .into_response()),
        Stage::NeedsEnrolment => Ok(Redirect::to("/account/two-factor/setup").into_response()),
        Stage::Complete => Ok(Redirect::to(&safe_next(Some(&query.next))).into_response()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    code: String,
    next: String,
}

enum CodeResult {
    SignedIn(String),
    Wrong(String),
    Locked(Option<Box<Reactivation>>),
}

pub async fn two_factor(
    State(state): State<AppState>,
    part: PartSignedIn,
    Form(form): Form<CodeForm>,
) -> Result<Response, AppError> {
    if part.live.stage != Stage::NeedsCode {
        return Ok(Redirect::to(&safe_next(Some(&form.next))).into_response());
    }
    let keys = state.config.secret_key.clone();
    let session_policy = state.config.sessions;
    let origin = part.origin();
    let client = part.client.clone();
    let user = part.live.user.clone();
    let old_cookie = part.live.cookie_value.clone();
    let code = form.code.clone();
    let result = state
        .db
        .run(move |conn| {
            let now = Utc::now();
            match two_factor::verify(conn, &keys, &user, &code, now) {
                Ok(factor) => {
                    let cookie = sessions::replace(
                        conn,
                        Some(&old_cookie),
                        user.id,
                        true,
                        &client,
                        &session_policy,
                        now,
                    )?;
                    let how = match factor {
                        SecondFactor::Code => "authenticator code",
                        SecondFactor::RecoveryCode { .. } => "recovery code",
                    };
                    login::record_sign_in(conn, &origin, &user, how, now)?;
                    if let SecondFactor::RecoveryCode { remaining } = factor {
                        audit::record(
                            conn,
                            &origin,
                            Actor::User(&user),
                            AuditAction::RecoveryCodeUsed,
                            Some(Subject::user(user.id)),
                            serde_json::json!({ "remaining": remaining }),
                        )?;
                    }
                    Ok(CodeResult::SignedIn(cookie))
                }
                Err(TwoFactorError::Missing) => {
                    Ok(CodeResult::Wrong(TwoFactorError::Missing.to_string()))
                }
                Err(TwoFactorError::WrongCode) => {
                    match login::record_failure(
                        conn,
                        &keys,
                        &origin,
                        &user,
                        "wrong second factor",
                        now,
                    )? {
                        Some(reactivation) => Ok(CodeResult::Locked(Some(Box::new(reactivation)))),
                        None => Ok(CodeResult::Wrong(TwoFactorError::WrongCode.to_string())),
                    }
                }
                Err(other) => Err(other.into()),
            }
        })
        .await?;
    match result {
        CodeResult::SignedIn(cookie) => Ok(signed_in_response(
            &state,
            cookie,
            &safe_next(Some(&form.next)),
        )),
        CodeResult::Wrong(message) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&TwoFactorPage {
                chrome: Chrome::anonymous(&part.csrf_token),
                errors: FormErrors::one("code", message),
                next: form.next,
            })?,
        )
            .into_response()),
        CodeResult::Locked(reactivation) => {
            if let Some(reactivation) = reactivation {
                send(&state, &reactivation_email(&state, &reactivation)?).await;
            }
            let page = render(&LoginPage {
                chrome: Chrome::anonymous(&part.csrf_token),
                errors: FormErrors::one("email", LOCKED_MESSAGE),
                email: part.live.user.email.clone(),
                next: String::new(),
                notice: "",
            })?;
            let jar = CookieJar::new().add(expired_session_cookie());
            Ok((StatusCode::UNPROCESSABLE_ENTITY, jar, page).into_response())
        }
    }
}

// ---- Sign out --------------------------------------------------------------------------

/// Ends every session of the user (all their browsers), not only this one.
pub async fn logout(State(state): State<AppState>, visitor: Visitor) -> Result<Response, AppError> {
    let origin = visitor.origin();
    if let Some(live) = visitor.session {
        state
            .db
            .run(move |conn| {
                let ended = sessions::end_all(conn, live.user.id)?;
                audit::record(
                    conn,
                    &origin,
                    Actor::User(&live.user),
                    AuditAction::Logout,
                    Some(Subject::user(live.user.id)),
                    serde_json::json!({ "sessions_ended": ended }),
                )?;
                Ok(())
            })
            .await?;
    }
    let jar = CookieJar::new()
        .add(expired_session_cookie())
        .add(csrf::new_cookie(state.config.is_https()));
    Ok((jar, Redirect::to("/auth/login?signed_out=1")).into_response())
}

// ---- Forgotten password --------------------------------------------------------------------

#[derive(Template)]
#[template(path = "publisher/auth/forgot.html")]
struct ForgotPage {
    chrome: Chrome,
    errors: FormErrors,
    email: String,
    sent: bool,
}

pub async fn forgot_form(visitor: Visitor) -> Result<Response, AppError> {
    Ok(render(&ForgotPage {
        chrome: Chrome::anonymous(&visitor.csrf_token),
        errors: FormErrors::default(),
        email: String::new(),
        sent: false,
    })?
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ForgotForm {
    email: String,
}

/// Says "sent" whether or not the address has an account, so the form cannot be used to
/// find out which addresses do.
pub async fn forgot(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<ForgotForm>,
) -> Result<Response, AppError> {
    let email = form.email.trim().to_owned();
    let problem = if email.is_empty() {
        Some("Enter your email address")
    } else if !is_well_formed_email(&email) {
        Some("Enter an email address in the correct format, like name@department.gov.uk")
    } else {
        None
    };
    if let Some(problem) = problem {
        let page = render(&ForgotPage {
            chrome: Chrome::anonymous(&visitor.csrf_token),
            errors: FormErrors::one("email", problem),
            email,
            sent: false,
        })?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let keys = state.config.secret_key.clone();
    let policy = state.config.accounts.clone();
    let origin = visitor.origin();
    let lookup = email.clone();
    let reset = state
        .db
        .run(move |conn| {
            Ok(users::request_password_reset(
                conn,
                &keys,
                &policy,
                &origin,
                &lookup,
                Utc::now(),
            )?)
        })
        .await?;
    if let Some(reset) = reset {
        let link = state.link(&format!("/auth/reset/{}", reset.token));
        let message =
            emails::password_reset(&reset.user.email, &link, Utc::now() + TOKEN_LIFETIME)?;
        send(&state, &message).await;
    }
    Ok(render(&ForgotPage {
        chrome: Chrome::anonymous(&visitor.csrf_token),
        errors: FormErrors::default(),
        email,
        sent: true,
    })?
    .into_response())
}

// ---- Pages behind emailed links ----------------------------------------------------------

/// The words of one kind of link page.
pub struct LinkKind {
    purpose: TokenPurpose,
    path: &'static str,
    title: &'static str,
    intro: &'static str,
    button: &'static str,
}

pub const INVITE: LinkKind = LinkKind {
    purpose: TokenPurpose::Invite,
    path: "/register/confirm-account",
    title: "Create your password",
    intro: "Choose a password to activate your account.",
    button: "Activate account",
};
pub const RESET: LinkKind = LinkKind {
    purpose: TokenPurpose::PasswordReset,
    path: "/auth/reset",
    title: "Choose a new password",
    intro: "Your old password stops working when you save the new one.",
    button: "Save password",
};
pub const REACTIVATE: LinkKind = LinkKind {
    purpose: TokenPurpose::Reactivate,
    path: "/register/reactivate",
    title: "Unlock your account",
    intro: "Your account was locked after too many failed attempts to sign in. Choose a new password to unlock it.",
    button: "Unlock account",
};

#[derive(Template)]
#[template(path = "publisher/auth/set_password.html")]
struct SetPasswordPage {
    chrome: Chrome,
    errors: FormErrors,
    email: String,
    action: String,
    title: &'static str,
    intro: &'static str,
    button: &'static str,
}

#[derive(Template)]
#[template(path = "publisher/auth/link_problem.html")]
struct LinkProblemPage {
    chrome: Chrome,
    title: &'static str,
    message: String,
    is_invite: bool,
}

fn link_problem(
    kind: &LinkKind,
    error: TokenError,
    csrf_token: &str,
) -> Result<Response, AppError> {
    let (status, title) = match error {
        TokenError::Invalid => (StatusCode::NOT_FOUND, "This link is not valid"),
        TokenError::Expired => (StatusCode::GONE, "This link has expired"),
        TokenError::Used => (StatusCode::GONE, "This link has already been used"),
    };
    let is_invite = kind.purpose == TokenPurpose::Invite;
    let next_step = if is_invite {
        "Ask the admin who invited you to send a new invitation."
    } else {
        "You can ask for a new link from the “Forgotten your password?” page."
    };
    let page = render(&LinkProblemPage {
        chrome: Chrome::anonymous(csrf_token),
        title,
        message: format!("{error} {next_step}"),
        is_invite,
    })?;
    Ok((status, page).into_response())
}

async fn link_form(
    state: AppState,
    visitor: Visitor,
    kind: &'static LinkKind,
    token: String,
) -> Result<Response, AppError> {
    let keys = state.config.secret_key.clone();
    let lookup = token.clone();
    let checked = state
        .db
        .run(
            move |conn| match tokens::check(conn, &keys, &lookup, kind.purpose, Utc::now()) {
                Ok(user) => Ok(Ok(user)),
                Err(TokenFailure::Refused(error)) => Ok(Err(error)),
                Err(TokenFailure::Database(error)) => Err(error.into()),
            },
        )
        .await?;
    match checked {
        Ok(user) => Ok(render(&SetPasswordPage {
            chrome: Chrome::anonymous(&visitor.csrf_token),
            errors: FormErrors::default(),
            email: user.email,
            action: format!("{}/{token}", kind.path),
            title: kind.title,
            intro: kind.intro,
            button: kind.button,
        })?
        .into_response()),
        Err(error) => link_problem(kind, error, &visitor.csrf_token),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    password: String,
    confirm_password: String,
}

/// Sets the password, then signs the browser in: the link proved the mailbox, and the
/// second factor (if the account has or needs one) is still asked for.
async fn link_submit(
    state: AppState,
    visitor: Visitor,
    kind: &'static LinkKind,
    token: String,
    form: PasswordForm,
) -> Result<Response, AppError> {
    let keys = state.config.secret_key.clone();
    let policy = state.config.accounts.clone();
    let session_policy = state.config.sessions;
    let origin = visitor.origin();
    let client = visitor.client.clone();
    let old_cookie = visitor
        .session
        .as_ref()
        .map(|live| live.cookie_value.clone());
    let used = token.clone();
    let result = state
        .db
        .run(move |conn| {
            let now = Utc::now();
            let outcome = users::set_password_from_link(
                conn,
                &keys,
                &origin,
                &used,
                kind.purpose,
                &form.password,
                &form.confirm_password,
                now,
            );
            match outcome {
                Ok(user) => {
                    let cookie = sessions::replace(
                        conn,
                        old_cookie.as_deref(),
                        user.id,
                        false,
                        &client,
                        &session_policy,
                        now,
                    )?;
                    let step = login::next_step(&policy, &user);
                    if step == NextStep::SignedIn {
                        login::record_sign_in(conn, &origin, &user, "none", now)?;
                    }
                    Ok(Ok((cookie, step)))
                }
                Err(AccountError::Password(problem)) => {
                    // The form is shown again, for the same account.
                    let user = tokens::check(conn, &keys, &used, kind.purpose, now)
                        .map_err(|_| AppError::Internal("token vanished".to_owned()))?;
                    Ok(Err(Err((problem, user.email))))
                }
                Err(AccountError::Token(error)) => Ok(Err(Ok(error))),
                Err(other) => Err(other.into()),
            }
        })
        .await?;
    match result {
        Ok((cookie, step)) => Ok(signed_in_response(&state, cookie, &where_next(step, "/"))),
        Err(Ok(token_error)) => link_problem(kind, token_error, &visitor.csrf_token),
        Err(Err((problem, email))) => {
            let field = match problem {
                PasswordProblem::Mismatch => "confirm_password",
                _ => "password",
            };
            let page = render(&SetPasswordPage {
                chrome: Chrome::anonymous(&visitor.csrf_token),
                errors: FormErrors::one(field, problem.to_string()),
                email,
                action: format!("{}/{token}", kind.path),
                title: kind.title,
                intro: kind.intro,
                button: kind.button,
            })?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// The page behind one kind of emailed link: the form, and its submission.
pub fn link_page(kind: &'static LinkKind) -> MethodRouter<AppState> {
    get(
        move |State(state): State<AppState>, visitor: Visitor, Path(token): Path<String>| {
            link_form(state, visitor, kind, token)
        },
    )
    .post(
        move |State(state): State<AppState>,
              visitor: Visitor,
              Path(token): Path<String>,
              Form(form): Form<PasswordForm>| {
            link_submit(state, visitor, kind, token, form)
        },
    )
}
