//! Creating publisher accounts and hashing their passwords.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use diesel::pg::PgConnection;
use diesel::prelude::*;

use crate::UserType;
use crate::models::User;
use crate::schema::users;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("“{0}” is not an email address")]
    InvalidEmail(String),
    #[error("an account for {0} already exists")]
    AlreadyExists(String),
    #[error("could not hash the password: {0}")]
    Hashing(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// An account to create. With a password it is active at once (demo and command-line
/// accounts); without one it waits for its invite to be accepted.
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub user_type: UserType,
    pub password: Option<&'a str>,
}

/// Argon2id with the crate's defaults (OWASP's recommended parameters) and a random salt.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| AccountError::Hashing(error.to_string()))
}

/// Whether `password` matches a stored hash; a malformed hash never matches.
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

pub fn create_account(conn: &mut PgConnection, account: &NewAccount) -> Result<User, AccountError> {
    let email = account.email.trim();
    let well_formed = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !email.contains(char::is_whitespace)
    });
    if !well_formed {
        return Err(AccountError::InvalidEmail(email.to_owned()));
    }
    let exists: i64 = users::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(email) = lower(")
                .bind::<diesel::sql_types::Text, _>(email)
                .sql(")"),
        )
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Err(AccountError::AlreadyExists(email.to_owned()));
    }
    let password_hash = account.password.map(hash_password).transpose()?;
    let capabilities: Vec<Option<String>> = account
        .user_type
        .capabilities()
        .into_iter()
        .map(|capability| Some(capability.as_str().to_owned()))
        .collect();
    let active = password_hash.is_some();
    let user = diesel::insert_into(users::table)
        .values((
            users::email.eq(email),
            users::password_hash.eq(password_hash),
            users::active.eq(active),
            users::confirmed_at.eq(active.then(chrono::Utc::now)),
            users::user_type.eq(account.user_type.as_str()),
            users::capabilities.eq(capabilities),
        ))
        .returning(User::as_returning())
        .get_result(conn)?;
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_the_right_password() {
        let hash = hash_password("correct horse battery staple").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery staple", &hash));
        assert!(!verify_password("Correct horse battery staple", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }
}
