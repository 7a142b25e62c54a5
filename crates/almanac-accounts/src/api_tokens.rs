//! Tokens for the JSON API. A token acts as the user who made it, with their capabilities and
//! shares, for as long as the user can sign in and the token is not revoked. Only its SHA-256
//! is stored; the token itself is shown once.

use chrono::{DateTime, Duration, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde_json::json;

use almanac_content::models::User;
use almanac_content::schema::{api_token, users};

use crate::audit::{self, Actor, AuditAction, Origin, Subject};
use crate::keys::{random_token, sha256_hex};

/// Tokens start with this, so that a leaked one is recognisable (secret scanners look for
/// prefixes like it).
pub const PREFIX: &str = "almanac_";
/// `last_used_at` is written at most this often.
const TOUCH_INTERVAL: Duration = Duration::seconds(60);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_token)]
pub struct ApiToken {
    pub id: i32,
    pub user_id: i32,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiTokenError {
    #[error("Give the token a name, so you know later what uses it")]
    NameMissing,
    #[error("The name must be 100 characters or fewer")]
    NameTooLong,
    #[error("there is no such token")]
    Unknown,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Makes a token for `user`; returns it in full, the only time it is available.
pub fn issue(
    conn: &mut PgConnection,
    user: &User,
    origin: &Origin,
    name: &str,
) -> Result<String, ApiTokenError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ApiTokenError::NameMissing);
    }
    if name.chars().count() > 100 {
        return Err(ApiTokenError::NameTooLong);
    }
    let token = format!("{PREFIX}{}", random_token(32));
    let id: i32 = diesel::insert_into(api_token::table)
        .values((
            api_token::user_id.eq(user.id),
            api_token::name.eq(name),
            api_token::token_hash.eq(sha256_hex(token.as_bytes())),
        ))
        .returning(api_token::id)
        .get_result(conn)?;
    audit::record(
        conn,
        origin,
        Actor::User(user),
        AuditAction::ApiTokenIssued,
        Some(Subject {
            kind: "api_token",
            id: id.to_string(),
        }),
        json!({ "name": name }),
    )?;
    Ok(token)
}

/// The user a presented token acts as, if it is live and its user can sign in.
pub fn authenticate(
    conn: &mut PgConnection,
    token: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<User>> {
    if !token.starts_with(PREFIX) {
        return Ok(None);
    }
    let found: Option<(ApiToken, User)> = api_token::table
        .inner_join(users::table)
        .filter(api_token::token_hash.eq(sha256_hex(token.as_bytes())))
        .filter(api_token::revoked_at.is_null())
        .select((ApiToken::as_select(), User::as_select()))
        .first(conn)
        .optional()?;
    let Some((record, user)) = found else {
        return Ok(None);
    };
    if !user.active || user.locked_at.is_some() {
        return Ok(None);
    }
    if record
        .last_used_at
        .is_none_or(|last| now - last >= TOUCH_INTERVAL)
    {
        diesel::update(api_token::table.find(record.id))
            .set(api_token::last_used_at.eq(now))
            .execute(conn)?;
    }
    Ok(Some(user))
}

/// The user's tokens, live ones first.
pub fn list(conn: &mut PgConnection, user_id: i32) -> QueryResult<Vec<ApiToken>> {
    api_token::table
        .filter(api_token::user_id.eq(user_id))
        .order((
            api_token::revoked_at.is_not_null(),
            api_token::created_at.desc(),
        ))
        .select(ApiToken::as_select())
        .load(conn)
}

/// Revokes one of the user's own tokens.
pub fn revoke(
    conn: &mut PgConnection,
    user: &User,
    origin: &Origin,
    token_id: i32,
    now: DateTime<Utc>,
) -> Result<(), ApiTokenError> {
    let revoked = diesel::update(
        api_token::table
            .find(token_id)
            .filter(api_token::user_id.eq(user.id))
            .filter(api_token::revoked_at.is_null()),
    )
    .set(api_token::revoked_at.eq(now))
    .execute(conn)?;
    if revoked == 0 {
        return Err(ApiTokenError::Unknown);
    }
    audit::record(
        conn,
        origin,
        Actor::User(user),
        AuditAction::ApiTokenRevoked,
        Some(Subject {
            kind: "api_token",
            id: token_id.to_string(),
        }),
        json!({}),
    )?;
    Ok(())
}
