//! Account administration: creating and inviting accounts, accepting invites, resetting
//! passwords, and what admins do to accounts (deactivate, delete, change type, share
//! measures, reset two-factor). Every change is written to the audit log.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde_json::json;

use almanac_content::UserType;
use almanac_content::models::User;
use almanac_content::schema::{measure, user_measure, users};

use crate::audit::{self, Actor, AuditAction, Origin, Subject};
use crate::keys::SecretKey;
use crate::login::find_by_email;
use crate::password::{
    HashingFailed, PasswordProblem, check_new_password, email_words, hash_password,
};
use crate::policy::{AccountPolicy, is_well_formed_email};
use crate::tokens::{self, TokenError, TokenFailure, TokenPurpose};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("Enter an email address in the correct format, like name@department.gov.uk")]
    InvalidEmail,
    #[error("Accounts can only be created for government or NHS email addresses")]
    EmailNotAllowed,
    #[error("An account for {0} already exists")]
    AlreadyExists(String),
    #[error("Invite a central editor, then make them an admin from their account page")]
    CannotInviteAdmin,
    #[error("{0} has already activated their account")]
    AlreadyActive(String),
    #[error("You cannot {0} your own account")]
    OwnAccount(&'static str),
    #[error("Only departmental users have measures shared with them")]
    NotDepartmental,
    #[error("{0}")]
    NotAllowed(&'static str),
    #[error("there is no such account")]
    UnknownUser,
    #[error("there is no such measure")]
    UnknownMeasure,
    #[error(transparent)]
    Password(#[from] PasswordProblem),
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Hashing(#[from] HashingFailed),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl From<TokenFailure> for AccountError {
    fn from(failure: TokenFailure) -> Self {
        match failure {
            TokenFailure::Refused(error) => AccountError::Token(error),
            TokenFailure::Database(error) => AccountError::Database(error),
        }
    }
}

/// An account and the token for the link to email to it.
#[derive(Debug)]
pub struct Invitation {
    pub user: User,
    pub token: String,
}

/// An account to create directly (command line, demo data, tests). With a password it is
/// active at once; without one it waits for an invite to be accepted. The allow-list is not
/// applied: whoever runs the command line decides.
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub user_type: UserType,
    pub password: Option<&'a str>,
}

pub fn create_account(conn: &mut PgConnection, account: &NewAccount) -> Result<User, AccountError> {
    let email = account.email.trim();
    if !is_well_formed_email(email) {
        return Err(AccountError::InvalidEmail);
    }
    if find_by_email(conn, email)?.is_some() {
        return Err(AccountError::AlreadyExists(email.to_owned()));
    }
    let password_hash = account.password.map(hash_password).transpose()?;
    let active = password_hash.is_some();
    let user = diesel::insert_into(users::table)
        .values((
            users::email.eq(email),
            users::password_hash.eq(password_hash),
            users::active.eq(active),
            users::confirmed_at.eq(active.then(Utc::now)),
            users::user_type.eq(account.user_type.as_str()),
            users::capabilities.eq(stored_capabilities(account.user_type)),
        ))
        .returning(User::as_returning())
        .get_result(conn)?;
    Ok(user)
}

fn stored_capabilities(user_type: UserType) -> Vec<Option<String>> {
    user_type
        .capabilities()
        .into_iter()
        .map(|capability| Some(capability.as_str().to_owned()))
        .collect()
}

/// Invites someone: creates their inactive account and a token for the invite link.
/// Admin accounts come from promoting a central editor, as in the model; the command line
/// may create the first admin with `Actor::System`.
#[allow(clippy::too_many_arguments)]
pub fn invite(
    conn: &mut PgConnection,
    keys: &SecretKey,
    policy: &AccountPolicy,
    origin: &Origin,
    actor: Actor,
    email: &str,
    user_type: UserType,
    now: DateTime<Utc>,
) -> Result<Invitation, AccountError> {
    let email = email.trim();
    if !is_well_formed_email(email) {
        return Err(AccountError::InvalidEmail);
    }
    if !policy.allows_email(email) {
        return Err(AccountError::EmailNotAllowed);
    }
    if user_type == UserType::Admin && !matches!(actor, Actor::System) {
        return Err(AccountError::CannotInviteAdmin);
    }
    conn.transaction(|conn| {
        let user = create_account(
            conn,
            &NewAccount {
                email,
                user_type,
                password: None,
            },
        )?;
        let token = tokens::issue(conn, keys, user.id, TokenPurpose::Invite, now)?;
        audit::record(
            conn,
            origin,
            actor,
            AuditAction::InviteSent,
            Some(Subject::user(user.id)),
            json!({ "email": user.email, "user_type": user_type.as_str() }),
        )?;
        Ok(Invitation { user, token })
    })
}

/// A new invite link for an account that is not active (never activated, or deactivated);
/// the previous link stops working.
pub fn resend_invite(
    conn: &mut PgConnection,
    keys: &SecretKey,
    origin: &Origin,
    actor: &User,
    user_id: i32,
    now: DateTime<Utc>,
) -> Result<Invitation, AccountError> {
    conn.transaction(|conn| {
        let user = get(conn, user_id)?;
        if user.active {
            return Err(AccountError::AlreadyActive(user.email));
        }
        let token = tokens::issue(conn, keys, user.id, TokenPurpose::Invite, now)?;
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::InviteSent,
            Some(Subject::user(user.id)),
            json!({ "email": user.email, "resent": true }),
        )?;
        Ok(Invitation { user, token })
    })
}

/// Sets the password of an account from an emailed link: accepting an invite (which
/// activates the account), a password reset, or reactivation after a lockout. The token is
/// used up only if the password is accepted. Every other session of the account ends.
#[allow(clippy::too_many_arguments)]
pub fn set_password_from_link(
    conn: &mut PgConnection,
    keys: &SecretKey,
    origin: &Origin,
    token: &str,
    purpose: TokenPurpose,
    password: &str,
    confirmation: &str,
    now: DateTime<Utc>,
) -> Result<User, AccountError> {
    conn.transaction(|conn| {
        let user = tokens::check(conn, keys, token, purpose, now)?;
        check_new_password(password, confirmation, &email_words(&user.email))?;
        let user = tokens::redeem(conn, keys, token, purpose, now)?;
        if purpose != TokenPurpose::Invite && !user.active {
            // Deactivated since the link was sent: only an admin's new invite brings it back.
            return Err(TokenError::Invalid.into());
        }
        let hash = hash_password(password)?;
        let updated: User = diesel::update(users::table.find(user.id))
            .set((
                users::password_hash.eq(hash),
                users::active.eq(true),
                users::confirmed_at.eq(user.confirmed_at.unwrap_or(now)),
                users::locked_at.eq(None::<DateTime<Utc>>),
                users::failed_login_count.eq(0),
                users::updated_at.eq(now),
            ))
            .returning(User::as_returning())
            .get_result(conn)?;
        crate::sessions::end_all(conn, user.id)?;
        let action = match purpose {
            TokenPurpose::Invite => AuditAction::InviteAccepted,
            TokenPurpose::PasswordReset => AuditAction::PasswordReset,
            TokenPurpose::Reactivate => AuditAction::AccountReactivated,
        };
        audit::record(
            conn,
            origin,
            Actor::User(&updated),
            action,
            Some(Subject::user(user.id)),
            json!({}),
        )?;
        Ok(updated)
    })
}

/// A password-reset link for an active account with this address, or `None` (the caller
/// says the same thing either way). Also the way out of a lockout whose email was lost.
pub fn request_password_reset(
    conn: &mut PgConnection,
    keys: &SecretKey,
    policy: &AccountPolicy,
    origin: &Origin,
    email: &str,
    now: DateTime<Utc>,
) -> Result<Option<Invitation>, AccountError> {
    let email = email.trim();
    if !is_well_formed_email(email) {
        return Err(AccountError::InvalidEmail);
    }
    let Some(user) = find_by_email(conn, email)? else {
        return Ok(None);
    };
    if !user.active || !policy.allows_email(&user.email) {
        return Ok(None);
    }
    let token = tokens::issue(conn, keys, user.id, TokenPurpose::PasswordReset, now)?;
    audit::record(
        conn,
        origin,
        Actor::Visitor { email },
        AuditAction::PasswordResetRequested,
        Some(Subject::user(user.id)),
        json!({}),
    )?;
    Ok(Some(Invitation { user, token }))
}

pub fn get(conn: &mut PgConnection, user_id: i32) -> Result<User, AccountError> {
    users::table
        .find(user_id)
        .select(User::as_select())
        .first(conn)
        .optional()?
        .ok_or(AccountError::UnknownUser)
}

/// Every account, ordered as the admin list shows them: by type, active first, then email.
pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<User>> {
    users::table
        .order((
            users::user_type.asc(),
            users::active.desc(),
            diesel::dsl::sql::<diesel::sql_types::Text>("lower(users.email)").asc(),
        ))
        .select(User::as_select())
        .load(conn)
}

pub fn deactivate(
    conn: &mut PgConnection,
    origin: &Origin,
    actor: &User,
    user_id: i32,
) -> Result<User, AccountError> {
    if actor.id == user_id {
        return Err(AccountError::OwnAccount("deactivate"));
    }
    conn.transaction(|conn| {
        let user: User = diesel::update(users::table.find(user_id))
            .set((users::active.eq(false), users::updated_at.eq(Utc::now())))
            .returning(User::as_returning())
            .get_result(conn)
            .optional()?
            .ok_or(AccountError::UnknownUser)?;
        let ended = crate::sessions::end_all(conn, user_id)?;
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::UserDeactivated,
            Some(Subject::user(user_id)),
            json!({ "email": user.email, "sessions_ended": ended }),
        )?;
        Ok(user)
    })
}

pub fn delete(
    conn: &mut PgConnection,
    origin: &Origin,
    actor: &User,
    user_id: i32,
) -> Result<User, AccountError> {
    if actor.id == user_id {
        return Err(AccountError::OwnAccount("delete"));
    }
    conn.transaction(|conn| {
        // Shares, sessions, tokens and recovery codes go with the row (ON DELETE CASCADE);
        // the audit log keeps the history (it has no foreign key).
        let user: User = diesel::delete(users::table.find(user_id))
            .returning(User::as_returning())
            .get_result(conn)
            .optional()?
            .ok_or(AccountError::UnknownUser)?;
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::UserDeleted,
            Some(Subject::user(user_id)),
            json!({ "email": user.email, "user_type": user.user_type }),
        )?;
        Ok(user)
    })
}

/// Promotes a central editor to admin, or demotes an admin to central editor; nobody can
/// demote themselves. The stored capabilities are replaced with the new type's.
pub fn change_type(
    conn: &mut PgConnection,
    origin: &Origin,
    actor: &User,
    user_id: i32,
    to: UserType,
) -> Result<User, AccountError> {
    conn.transaction(|conn| {
        let user = get(conn, user_id)?;
        let from = user.user_type();
        let allowed = matches!(
            (from, to),
            (Some(UserType::CentralEditor), UserType::Admin)
                | (Some(UserType::Admin), UserType::CentralEditor)
        );
        if !allowed {
            return Err(AccountError::NotAllowed(
                "Only central editors can be made admins, and only admins made central editors",
            ));
        }
        if actor.id == user_id {
            return Err(AccountError::OwnAccount("change the type of"));
        }
        let updated: User = diesel::update(users::table.find(user_id))
            .set((
                users::user_type.eq(to.as_str()),
                users::capabilities.eq(stored_capabilities(to)),
                users::updated_at.eq(Utc::now()),
            ))
            .returning(User::as_returning())
            .get_result(conn)?;
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::UserTypeChanged,
            Some(Subject::user(user_id)),
            json!({ "email": user.email, "from": user.user_type, "to": to.as_str() }),
        )?;
        Ok(updated)
    })
}

/// Shares a measure with a departmental user, or stops sharing it. Doing what is already
/// done changes nothing and records nothing.
pub fn set_shared(
    conn: &mut PgConnection,
    origin: &Origin,
    actor: &User,
    user_id: i32,
    measure_id: i32,
    shared: bool,
) -> Result<(), AccountError> {
    conn.transaction(|conn| {
        let user = get(conn, user_id)?;
        let link = user_measure::table
            .filter(user_measure::user_id.eq(user_id))
            .filter(user_measure::measure_id.eq(measure_id));
        let changed = if shared {
            if user.user_type() != Some(UserType::Departmental) {
                return Err(AccountError::NotDepartmental);
            }
            let exists: i64 = measure::table.find(measure_id).count().get_result(conn)?;
            if exists == 0 {
                return Err(AccountError::UnknownMeasure);
            }
            diesel::insert_into(user_measure::table)
                .values((
                    user_measure::user_id.eq(user_id),
                    user_measure::measure_id.eq(measure_id),
                ))
                .on_conflict_do_nothing()
                .execute(conn)?
        } else {
            diesel::delete(link).execute(conn)?
        };
        if changed > 0 {
            let action = if shared {
                AuditAction::MeasureShared
            } else {
                AuditAction::MeasureUnshared
            };
            audit::record(
                conn,
                origin,
                Actor::User(actor),
                action,
                Some(Subject::measure(measure_id)),
                json!({ "with_user_id": user_id, "with": user.email }),
            )?;
        }
        Ok(())
    })
}

/// Turns off someone's two-factor authentication (a lost phone) and signs them out; they
/// enrol again at their next sign-in if their type requires it.
pub fn reset_two_factor(
    conn: &mut PgConnection,
    origin: &Origin,
    actor: &User,
    user_id: i32,
) -> Result<User, AccountError> {
    if actor.id == user_id {
        return Err(AccountError::OwnAccount(
            "reset two-factor authentication for",
        ));
    }
    conn.transaction(|conn| {
        let user = get(conn, user_id)?;
        crate::two_factor::remove(conn, user_id)?;
        crate::sessions::end_all(conn, user_id)?;
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::TwoFactorReset,
            Some(Subject::user(user_id)),
            json!({ "email": user.email }),
        )?;
        get(conn, user_id)
    })
}

/// Whether `user` may see and edit a measure: everyone but departmental users may; they
/// only where it is shared with them.
pub fn can_access_measure(
    conn: &mut PgConnection,
    user: &User,
    measure_id: i32,
) -> QueryResult<bool> {
    if user.user_type() != Some(UserType::Departmental) {
        return Ok(true);
    }
    let shared: i64 = user_measure::table
        .filter(user_measure::user_id.eq(user.id))
        .filter(user_measure::measure_id.eq(measure_id))
        .count()
        .get_result(conn)?;
    Ok(shared > 0)
}

/// The ids of the measures shared with a user.
pub fn shared_measure_ids(conn: &mut PgConnection, user_id: i32) -> QueryResult<Vec<i32>> {
    user_measure::table
        .filter(user_measure::user_id.eq(user_id))
        .select(user_measure::measure_id)
        .load(conn)
}
