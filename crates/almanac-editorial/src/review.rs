//! Review links: a page in department review can be read, without an account, by whoever
//! holds its link, until the link expires (14 days by default) or is replaced. Replacing it
//! revokes the old one: only one link per version works at a time.
//!
//! The token is `<random>.<signature>`: the signature (under a key derived from
//! `SECRET_KEY`) turns away made-up links before any query.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde_json::json;

use almanac_accounts::SecretKey;
use almanac_accounts::audit::{self, Actor, AuditAction, Origin, Subject};
use almanac_accounts::keys::random_token;
use almanac_accounts::users::can_access_measure;
use almanac_content::models::{MeasureVersion, User};
use almanac_content::schema::measure_version;

const PURPOSE: &str = "review-link";

/// How review links are made: the key that signs them and how long they last
/// (`REVIEW_LINK_DAYS`, 14 by default as in the model).
#[derive(Debug, Clone)]
pub struct ReviewLinks {
    pub keys: SecretKey,
    pub lifetime: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("there is no such measure version")]
    UnknownVersion,
    #[error("You do not have permission to make a review link for this page")]
    Forbidden,
    /// Unknown, tampered with, replaced or expired: the reviewer is told the same thing.
    #[error("This review link is not valid: it may have expired or been replaced")]
    InvalidLink,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Makes a new review link for a version, replacing (and so revoking) any earlier one.
pub fn issue(
    conn: &mut PgConnection,
    links: &ReviewLinks,
    actor: Option<&User>,
    origin: &Origin,
    version_id: i32,
    now: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>), ReviewError> {
    let (keys, lifetime) = (&links.keys, links.lifetime);
    conn.transaction(|conn| {
        let measure_id: i32 = measure_version::table
            .find(version_id)
            .select(measure_version::measure_id)
            .first(conn)
            .optional()?
            .ok_or(ReviewError::UnknownVersion)?;
        if let Some(user) = actor
            && !can_access_measure(conn, user, measure_id)?
        {
            return Err(ReviewError::Forbidden);
        }
        let random = random_token(24);
        let signature = URL_SAFE_NO_PAD.encode(&keys.sign(PURPOSE, random.as_bytes())[..16]);
        let token = format!("{random}.{signature}");
        let expires_at = now + lifetime;
        diesel::update(measure_version::table.find(version_id))
            .set((
                measure_version::review_token.eq(&token),
                measure_version::review_token_expires_at.eq(expires_at),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            origin,
            actor.map_or(Actor::System, Actor::User),
            AuditAction::ReviewLinkIssued,
            Some(Subject::measure_version(version_id)),
            json!({ "expires_at": expires_at }),
        )?;
        Ok((token, expires_at))
    })
}

/// The version a review link shows, while the link is valid.
pub fn find(
    conn: &mut PgConnection,
    keys: &SecretKey,
    token: &str,
    now: DateTime<Utc>,
) -> Result<MeasureVersion, ReviewError> {
    let (random, signature) = token.split_once('.').ok_or(ReviewError::InvalidLink)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| ReviewError::InvalidLink)?;
    if !keys.verify(PURPOSE, random.as_bytes(), &signature) {
        return Err(ReviewError::InvalidLink);
    }
    let version: MeasureVersion = measure_version::table
        .filter(measure_version::review_token.eq(token))
        .select(MeasureVersion::as_select())
        .first(conn)
        .optional()?
        .ok_or(ReviewError::InvalidLink)?;
    if version
        .review_token_expires_at
        .is_none_or(|expires| expires <= now)
    {
        return Err(ReviewError::InvalidLink);
    }
    Ok(version)
}
