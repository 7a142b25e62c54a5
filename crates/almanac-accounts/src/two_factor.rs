//! Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30 seconds, as every
//! authenticator app expects) and one-time recovery codes.
//!
//! The secret is stored encrypted under a key derived from `SECRET_KEY`, so a copy of the
//! database alone does not give anyone's codes. Each accepted code's time step is recorded
//! and later codes must be newer: a code seen over someone's shoulder cannot be replayed.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use rand::RngCore;
use totp_rs::{Algorithm, Secret, TOTP};

use almanac_content::models::User;
use almanac_content::schema::{recovery_code, users};

use crate::keys::{SecretKey, sha256_hex};

const STEP_SECONDS: u64 = 30;
const DIGITS: usize = 6;
/// Codes from one step either side are accepted, for clocks a little out.
const SKEW_STEPS: i64 = 1;
const RECOVERY_CODE_COUNT: usize = 10;
/// Unambiguous characters only (no 0/o, 1/l/i), so codes can be read off paper.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
const ISSUER: &str = "Almanac";

#[derive(Debug, thiserror::Error)]
pub enum TwoFactorError {
    #[error("Enter the 6-digit code from your authenticator app")]
    Missing,
    #[error(
        "The code is not correct, or has already been used. Check your authenticator app and try again"
    )]
    WrongCode,
    #[error("Two-factor authentication is already set up for this account")]
    AlreadyEnabled,
    #[error("Two-factor authentication is not set up for this account")]
    NotEnabled,
    #[error("the stored two-factor secret cannot be read (was SECRET_KEY changed?)")]
    UnreadableSecret,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// What the user needs to add the account to an authenticator app.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// Base32, for typing in by hand.
    pub secret: String,
    pub otpauth_url: String,
    /// An SVG QR code of `otpauth_url`, safe to inline (no scripts).
    pub qr_svg: String,
}

/// How the second factor was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactor {
    Code,
    RecoveryCode { remaining: i64 },
}

/// Starts (or continues) enrolment: keeps a pending secret on the account until a code
/// from it is confirmed. Reloading the page shows the same secret, so an app that has
/// already scanned it keeps working.
pub fn begin_enrolment(
    conn: &mut PgConnection,
    keys: &SecretKey,
    user: &User,
) -> Result<Enrolment, TwoFactorError> {
    if user.totp_enabled_at.is_some() {
        return Err(TwoFactorError::AlreadyEnabled);
    }
    let secret = match &user.totp_secret {
        Some(sealed) => open(keys, sealed)?,
        None => {
            let mut secret = vec![0u8; 20];
            rand::rng().fill_bytes(&mut secret);
            diesel::update(users::table.find(user.id))
                .set(users::totp_secret.eq(seal(keys, &secret)))
                .execute(conn)?;
            secret
        }
    };
    let totp = totp(secret, &user.email)?;
    let otpauth_url = totp.get_url();
    let qr_svg = qrcode::QrCode::new(otpauth_url.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build()
        })
        .unwrap_or_default();
    Ok(Enrolment {
        secret: totp.get_secret_base32(),
        otpauth_url,
        qr_svg: strip_xml_declaration(&qr_svg),
    })
}

/// Confirms enrolment with a code from the app, turns two-factor on and returns the
/// recovery codes, which are shown once and stored only as hashes.
pub fn confirm_enrolment(
    conn: &mut PgConnection,
    keys: &SecretKey,
    user: &User,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>, TwoFactorError> {
    if user.totp_enabled_at.is_some() {
        return Err(TwoFactorError::AlreadyEnabled);
    }
    let sealed = user
        .totp_secret
        .as_ref()
        .ok_or(TwoFactorError::NotEnabled)?;
    let step = matching_step(keys, sealed, user, code, now)?;
    conn.transaction(|conn| {
        diesel::update(users::table.find(user.id))
            .set((
                users::totp_enabled_at.eq(now),
                users::totp_last_step.eq(step),
            ))
            .execute(conn)?;
        replace_recovery_codes(conn, user.id)
    })
}

/// Checks a second factor at sign-in: a code from the app, or an unused recovery code.
pub fn verify(
    conn: &mut PgConnection,
    keys: &SecretKey,
    user: &User,
    input: &str,
    now: DateTime<Utc>,
) -> Result<SecondFactor, TwoFactorError> {
    let sealed = match (&user.totp_secret, user.totp_enabled_at) {
        (Some(sealed), Some(_)) => sealed,
        _ => return Err(TwoFactorError::NotEnabled),
    };
    let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.is_empty() {
        return Err(TwoFactorError::Missing);
    }
    if digits.len() == DIGITS && digits.chars().all(|c| c.is_ascii_digit()) {
        let step = matching_step(keys, sealed, user, &digits, now)?;
        // The condition makes two requests racing with one code accept it only once.
        let accepted = diesel::update(
            users::table.find(user.id).filter(
                users::totp_last_step
                    .is_null()
                    .or(users::totp_last_step.lt(step)),
            ),
        )
        .set(users::totp_last_step.eq(step))
        .execute(conn)?;
        return if accepted == 1 {
            Ok(SecondFactor::Code)
        } else {
            Err(TwoFactorError::WrongCode)
        };
    }
    let hash = sha256_hex(normalise_recovery_code(input).as_bytes());
    let used = diesel::update(
        recovery_code::table
            .filter(recovery_code::user_id.eq(user.id))
            .filter(recovery_code::code_hash.eq(hash))
            .filter(recovery_code::used_at.is_null()),
    )
    .set(recovery_code::used_at.eq(now))
    .execute(conn)?;
    if used == 0 {
        return Err(TwoFactorError::WrongCode);
    }
    Ok(SecondFactor::RecoveryCode {
        remaining: remaining_recovery_codes(conn, user.id)?,
    })
}

/// New recovery codes for an account with two-factor on; the old ones stop working.
pub fn regenerate_recovery_codes(
    conn: &mut PgConnection,
    user: &User,
) -> Result<Vec<String>, TwoFactorError> {
    if user.totp_enabled_at.is_none() {
        return Err(TwoFactorError::NotEnabled);
    }
    conn.transaction(|conn| replace_recovery_codes(conn, user.id))
}

pub fn remaining_recovery_codes(conn: &mut PgConnection, user_id: i32) -> QueryResult<i64> {
    recovery_code::table
        .filter(recovery_code::user_id.eq(user_id))
        .filter(recovery_code::used_at.is_null())
        .count()
        .get_result(conn)
}

/// Turns two-factor off and forgets the secret and codes (an admin's remedy for a lost phone).
pub fn remove(conn: &mut PgConnection, user_id: i32) -> QueryResult<()> {
    conn.transaction(|conn| {
        diesel::delete(recovery_code::table.filter(recovery_code::user_id.eq(user_id)))
            .execute(conn)?;
        diesel::update(users::table.find(user_id))
            .set((
                users::totp_secret.eq(None::<Vec<u8>>),
                users::totp_enabled_at.eq(None::<DateTime<Utc>>),
                users::totp_last_step.eq(None::<i64>),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// The code an authenticator app shows at `now` for a stored secret (for tests and tools).
pub fn current_code(keys: &SecretKey, user: &User, now: DateTime<Utc>) -> Option<String> {
    let secret = open(keys, user.totp_secret.as_ref()?).ok()?;
    Some(
        totp(secret, &user.email)
            .ok()?
            .generate(now.timestamp() as u64),
    )
}

fn matching_step(
    keys: &SecretKey,
    sealed: &[u8],
    user: &User,
    code: &str,
    now: DateTime<Utc>,
) -> Result<i64, TwoFactorError> {
    let code = code.trim();
    if code.is_empty() {
        return Err(TwoFactorError::Missing);
    }
    let totp = totp(open(keys, sealed)?, &user.email)?;
    let current = now.timestamp() / STEP_SECONDS as i64;
    (current - SKEW_STEPS..=current + SKEW_STEPS)
        .filter(|step| user.totp_last_step.is_none_or(|last| *step > last))
        .find(|step| {
            let expected = totp.generate(*step as u64 * STEP_SECONDS);
            constant_time_eq(expected.as_bytes(), code.as_bytes())
        })
        .ok_or(TwoFactorError::WrongCode)
}

fn totp(secret: Vec<u8>, email: &str) -> Result<TOTP, TwoFactorError> {
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        0,
        STEP_SECONDS,
        Secret::Raw(secret)
            .to_bytes()
            .map_err(|_| TwoFactorError::UnreadableSecret)?,
        Some(ISSUER.to_owned()),
        email.to_owned(),
    )
    .map_err(|_| TwoFactorError::UnreadableSecret)
}

fn replace_recovery_codes(
    conn: &mut PgConnection,
    user_id: i32,
) -> Result<Vec<String>, TwoFactorError> {
    diesel::delete(recovery_code::table.filter(recovery_code::user_id.eq(user_id)))
        .execute(conn)?;
    let codes: Vec<String> = (0..RECOVERY_CODE_COUNT)
        .map(|_| new_recovery_code())
        .collect();
    let rows: Vec<_> = codes
        .iter()
        .map(|code| {
            (
                recovery_code::user_id.eq(user_id),
                recovery_code::code_hash.eq(sha256_hex(normalise_recovery_code(code).as_bytes())),
            )
        })
        .collect();
    diesel::insert_into(recovery_code::table)
        .values(rows)
        .execute(conn)?;
    Ok(codes)
}

/// Ten characters from a 31-letter alphabet (about 50 bits), shown as `xxxxx-xxxxx`.
fn new_recovery_code() -> String {
    let mut bytes = [0u8; 10];
    rand::rng().fill_bytes(&mut bytes);
    let letters: String = bytes
        .iter()
        .map(|byte| RECOVERY_ALPHABET[*byte as usize % RECOVERY_ALPHABET.len()] as char)
        .collect();
    format!("{}-{}", &letters[..5], &letters[5..])
}

fn normalise_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn cipher(keys: &SecretKey) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(&keys.derive("two-factor-secret").into())
}

/// Nonce followed by ciphertext.
fn seal(keys: &SecretKey, secret: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; 24];
    rand::rng().fill_bytes(&mut nonce);
    let ciphertext = cipher(keys)
        .encrypt(XNonce::from_slice(&nonce), secret)
        .expect("encryption of a short secret cannot fail");
    [nonce.as_slice(), &ciphertext].concat()
}

fn open(keys: &SecretKey, sealed: &[u8]) -> Result<Vec<u8>, TwoFactorError> {
    if sealed.len() <= 24 {
        return Err(TwoFactorError::UnreadableSecret);
    }
    let (nonce, ciphertext) = sealed.split_at(24);
    cipher(keys)
        .decrypt(XNonce::from_slice(nonce), ciphertext)
        .map_err(|_| TwoFactorError::UnreadableSecret)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn strip_xml_declaration(svg: &str) -> String {
    match svg.find("<svg") {
        Some(start) => svg[start..].to_owned(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_round_trip_only_under_their_key() {
        let keys = SecretKey::new(&[1; 32]).unwrap();
        let sealed = seal(&keys, b"twenty bytes secret!");
        assert_eq!(open(&keys, &sealed).unwrap(), b"twenty bytes secret!");
        let other = SecretKey::new(&[2; 32]).unwrap();
        assert!(open(&other, &sealed).is_err());
    }

    #[test]
    fn recovery_codes_are_normalised() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 11);
        assert_eq!(
            normalise_recovery_code(&code.to_uppercase().replace('-', " ")),
            code.replace('-', "")
        );
    }
}
