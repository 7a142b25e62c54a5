//! The links sent by email: invites, password resets and reactivation after a lockout.
//!
//! A token is `<random>.<signature>`. The signature (under a key derived from `SECRET_KEY`
//! for the token's purpose) turns away forged or mistyped links before any database work,
//! and makes a reset link useless as an invite. The row, found by the SHA-256 of the random
//! part, makes the token expire and single-use: `redeem` marks it used in the transaction
//! that acts on it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;

use almanac_content::models::User;
use almanac_content::schema::{account_token, users};

use crate::keys::{SecretKey, random_token, sha256_hex};

/// How long an emailed link works.
pub const TOKEN_LIFETIME: Duration = Duration::hours(48);

almanac_content::stored_enum! {
    /// What an emailed link is for.
    pub enum TokenPurpose ("token purpose") {
        Invite => "INVITE",
        PasswordReset => "PASSWORD_RESET",
        Reactivate => "REACTIVATE",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("This link is not valid. Check you copied the whole link from the email.")]
    Invalid,
    #[error("This link has expired.")]
    Expired,
    #[error("This link has already been used, or a newer one has been sent since.")]
    Used,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenFailure {
    #[error(transparent)]
    Refused(#[from] TokenError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Issues a new token for `user_id`, retiring any unused one of the same purpose so that
/// only the newest emailed link works.
pub fn issue(
    conn: &mut PgConnection,
    keys: &SecretKey,
    user_id: i32,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> Result<String, diesel::result::Error> {
    let random = random_token(24);
    let signature =
        URL_SAFE_NO_PAD.encode(&keys.sign(signing_purpose(purpose), random.as_bytes())[..16]);
    conn.transaction(|conn| {
        diesel::update(
            account_token::table
                .filter(account_token::user_id.eq(user_id))
                .filter(account_token::purpose.eq(purpose.as_str()))
                .filter(account_token::used_at.is_null()),
        )
        .set(account_token::used_at.eq(now))
        .execute(conn)?;
        diesel::insert_into(account_token::table)
            .values((
                account_token::user_id.eq(user_id),
                account_token::purpose.eq(purpose.as_str()),
                account_token::token_hash.eq(sha256_hex(random.as_bytes())),
                account_token::created_at.eq(now),
                account_token::expires_at.eq(now + TOKEN_LIFETIME),
            ))
            .execute(conn)
    })?;
    Ok(format!("{random}.{signature}"))
}

/// The account a token is for, if the token is still good; changes nothing. For showing the
/// form behind a link.
pub fn check(
    conn: &mut PgConnection,
    keys: &SecretKey,
    token: &str,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> Result<User, TokenFailure> {
    find_usable(conn, keys, token, purpose, now, false).map(|(_, user)| user)
}

/// Marks the token used and returns its account. Call inside the transaction that acts on
/// the token: the row stays locked until it commits, so two uses cannot both succeed.
pub fn redeem(
    conn: &mut PgConnection,
    keys: &SecretKey,
    token: &str,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> Result<User, TokenFailure> {
    let (row_id, user) = find_usable(conn, keys, token, purpose, now, true)?;
    diesel::update(account_token::table.find(row_id))
        .set(account_token::used_at.eq(now))
        .execute(conn)?;
    Ok(user)
}

fn find_usable(
    conn: &mut PgConnection,
    keys: &SecretKey,
    token: &str,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
    lock: bool,
) -> Result<(i64, User), TokenFailure> {
    let (random, signature) = token.split_once('.').ok_or(TokenError::Invalid)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenError::Invalid)?;
    if !keys.verify(signing_purpose(purpose), random.as_bytes(), &signature) {
        return Err(TokenError::Invalid.into());
    }
    let query = account_token::table
        .inner_join(users::table)
        .filter(account_token::token_hash.eq(sha256_hex(random.as_bytes())))
        .filter(account_token::purpose.eq(purpose.as_str()))
        .select((
            account_token::id,
            account_token::expires_at,
            account_token::used_at,
            User::as_select(),
        ));
    let found: Option<TokenRow> = if lock {
        query.for_update().first(conn).optional()?
    } else {
        query.first(conn).optional()?
    };
    let (id, expires_at, used_at, user) = found.ok_or(TokenError::Invalid)?;
    if used_at.is_some() {
        return Err(TokenError::Used.into());
    }
    if expires_at <= now {
        return Err(TokenError::Expired.into());
    }
    Ok((id, user))
}

/// Id, expiry and use of a token, and its account.
type TokenRow = (i64, DateTime<Utc>, Option<DateTime<Utc>>, User);

fn signing_purpose(purpose: TokenPurpose) -> &'static str {
    match purpose {
        TokenPurpose::Invite => "token:invite",
        TokenPurpose::PasswordReset => "token:password-reset",
        TokenPurpose::Reactivate => "token:reactivate",
    }
}
