//! Signing in: the password step, lockout after repeated failures, and the same treatment for
//! addresses that have no account, so that nothing a visitor sees or times tells them which
//! addresses have accounts.

use chrono::{DateTime, Duration, Utc};
use diesel::dsl::sql;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use serde_json::json;

use almanac_content::models::User;
use almanac_content::schema::{invalid_user_login_attempt, users};

use crate::audit::{self, Actor, AuditAction, Origin, Subject};
use crate::keys::SecretKey;
use crate::password::{verify_nothing, verify_password};
use crate::policy::AccountPolicy;
use crate::tokens::{self, TokenPurpose};

/// Failures in a row (password or second factor) that lock an account.
pub const LOCK_AFTER_FAILURES: i32 = 3;
/// Failed logins for an address with no usable account count over this window; after
/// `LOCK_AFTER_FAILURES` of them the address is refused exactly as a locked account is.
pub const UNKNOWN_ADDRESS_WINDOW: Duration = Duration::hours(24);

#[derive(Debug)]
pub enum LoginOutcome {
    /// The password is right; `next` says what the session still needs.
    Accepted {
        user: User,
        next: NextStep,
    },
    WrongCredentials,
    /// The account is locked, or the address has failed too often. `reactivation` is set
    /// when this very attempt locked a real account: the caller emails the link.
    Locked {
        reactivation: Option<Reactivation>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    SignedIn,
    EnterCode,
    EnrolTwoFactor,
}

/// A freshly locked account and the token for its reactivation link.
#[derive(Debug)]
pub struct Reactivation {
    pub user: User,
    pub token: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// The account with this email address, compared case-insensitively.
pub fn find_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(email_matches(email.trim()))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub(crate) fn email_matches(
    email: &str,
) -> Box<dyn BoxableExpression<users::table, diesel::pg::Pg, SqlType = Bool>> {
    Box::new(
        sql::<Bool>("lower(users.email) = lower(")
            .bind::<Text, _>(email.to_owned())
            .sql(")"),
    )
}

/// What comes after the password for this user under this policy.
pub fn next_step(policy: &AccountPolicy, user: &User) -> NextStep {
    if user.totp_enabled_at.is_some() {
        NextStep::EnterCode
    } else if user
        .user_type()
        .is_some_and(|user_type| policy.requires_two_factor(user_type))
    {
        NextStep::EnrolTwoFactor
    } else {
        NextStep::SignedIn
    }
}

pub fn check_password(
    conn: &mut PgConnection,
    keys: &SecretKey,
    policy: &AccountPolicy,
    origin: &Origin,
    email: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<LoginOutcome, LoginError> {
    let email = email.trim();
    let account = find_by_email(conn, email)?;
    let usable = account.filter(|user| user.active && user.password_hash.is_some());
    let Some(user) = usable else {
        verify_nothing(password);
        return unknown_address_failed(conn, origin, email, now);
    };
    if user.locked_at.is_some() {
        verify_nothing(password);
        audit::record(
            conn,
            origin,
            Actor::Visitor { email },
            AuditAction::LoginFailed,
            Some(Subject::user(user.id)),
            json!({ "reason": "account locked" }),
        )?;
        return Ok(LoginOutcome::Locked { reactivation: None });
    }
    let hash = user.password_hash.as_deref().unwrap_or_default();
    if verify_password(password, hash) {
        diesel::update(users::table.find(user.id))
            .set(users::failed_login_count.eq(0))
            .execute(conn)?;
        let next = next_step(policy, &user);
        return Ok(LoginOutcome::Accepted { user, next });
    }
    match record_failure(conn, keys, origin, &user, "wrong password", now)? {
        Some(reactivation) => Ok(LoginOutcome::Locked {
            reactivation: Some(reactivation),
        }),
        None => Ok(LoginOutcome::WrongCredentials),
    }
}

/// Counts a failed password or second-factor attempt against an account, and locks it at
/// the limit: every session ends and a reactivation token is issued.
pub fn record_failure(
    conn: &mut PgConnection,
    keys: &SecretKey,
    origin: &Origin,
    user: &User,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Option<Reactivation>, LoginError> {
    conn.transaction(|conn| {
        let failures: i32 = diesel::update(users::table.find(user.id))
            .set(users::failed_login_count.eq(users::failed_login_count + 1))
            .returning(users::failed_login_count)
            .get_result(conn)?;
        audit::record(
            conn,
            origin,
            Actor::Visitor { email: &user.email },
            AuditAction::LoginFailed,
            Some(Subject::user(user.id)),
            json!({ "reason": reason, "failures_in_a_row": failures }),
        )?;
        if failures < LOCK_AFTER_FAILURES {
            return Ok(None);
        }
        let locked: User = diesel::update(users::table.find(user.id))
            .set((
                users::locked_at.eq(now),
                users::failed_login_count.eq(LOCK_AFTER_FAILURES),
            ))
            .returning(User::as_returning())
            .get_result(conn)?;
        crate::sessions::end_all(conn, user.id)?;
        let token = tokens::issue(conn, keys, user.id, TokenPurpose::Reactivate, now)?;
        audit::record(
            conn,
            origin,
            Actor::System,
            AuditAction::AccountLocked,
            Some(Subject::user(user.id)),
            json!({ "after_failures": failures }),
        )?;
        Ok(Some(Reactivation {
            user: locked,
            token,
        }))
    })
}

fn unknown_address_failed(
    conn: &mut PgConnection,
    origin: &Origin,
    email: &str,
    now: DateTime<Utc>,
) -> Result<LoginOutcome, LoginError> {
    let email: String = email.chars().take(254).collect();
    diesel::insert_into(invalid_user_login_attempt::table)
        .values((
            invalid_user_login_attempt::email.eq(&email),
            invalid_user_login_attempt::ip.eq(origin.ip.as_deref()),
            invalid_user_login_attempt::attempted_at.eq(now),
        ))
        .execute(conn)?;
    let recent: i64 = invalid_user_login_attempt::table
        .filter(
            sql::<Bool>("lower(email) = lower(")
                .bind::<Text, _>(&email)
                .sql(")"),
        )
        .filter(invalid_user_login_attempt::attempted_at.gt(now - UNKNOWN_ADDRESS_WINDOW))
        .count()
        .get_result(conn)?;
    audit::record(
        conn,
        origin,
        Actor::Visitor { email: &email },
        AuditAction::LoginFailed,
        None,
        json!({ "reason": "no active account with this address" }),
    )?;
    if recent >= i64::from(LOCK_AFTER_FAILURES) {
        Ok(LoginOutcome::Locked { reactivation: None })
    } else {
        Ok(LoginOutcome::WrongCredentials)
    }
}

/// Records a completed sign-in (after the second factor, if any) on the account.
pub fn record_sign_in(
    conn: &mut PgConnection,
    origin: &Origin,
    user: &User,
    second_factor: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(users::table.find(user.id))
        .set((
            users::failed_login_count.eq(0),
            users::last_login_at.eq(users::current_login_at),
            users::last_login_ip.eq(users::current_login_ip),
            users::current_login_at.eq(now),
            users::current_login_ip.eq(origin.ip.as_deref()),
            users::login_count.eq(users::login_count + 1),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        origin,
        Actor::User(user),
        AuditAction::Login,
        Some(Subject::user(user.id)),
        json!({ "second_factor": second_factor }),
    )
}
