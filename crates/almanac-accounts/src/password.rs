//! Password hashing (argon2id) and the rules a new password must meet.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Shorter passwords are refused whatever their strength.
pub const MIN_PASSWORD_LEN: usize = 12;
/// Longer ones are refused so that hashing stays cheap for us and costly for no one.
pub const MAX_PASSWORD_LEN: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error("Enter a password")]
    Missing,
    #[error("Your password must be at least {MIN_PASSWORD_LEN} characters long")]
    TooShort,
    #[error("Your password must be {MAX_PASSWORD_LEN} characters or fewer")]
    TooLong,
    #[error("The passwords you entered do not match")]
    Mismatch,
    /// `advice` is zxcvbn's warning and suggestions, in plain English.
    #[error("Your password is too easy to guess. {advice}")]
    TooWeak { advice: String },
}

#[derive(Debug, thiserror::Error)]
#[error("could not hash the password: {0}")]
pub struct HashingFailed(String);

/// Argon2id with the crate's defaults (OWASP's recommended parameters) and a random salt.
pub fn hash_password(password: &str) -> Result<String, HashingFailed> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| HashingFailed(error.to_string()))
}

/// Whether `password` matches a stored hash; a malformed hash never matches.
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// Spends the time of one real verification, for logins with no account to check against,
/// so that response times do not tell which email addresses have accounts.
pub fn verify_nothing(password: &str) {
    static DUMMY_HASH: LazyLock<String> =
        LazyLock::new(|| hash_password("almanac timing equaliser").expect("hash a constant"));
    let _ = verify_password(password, &DUMMY_HASH);
}

/// Checks a new password and its confirmation. `context` holds words specific to the
/// account (the email address and its parts) that make a password easy to guess.
pub fn check_new_password(
    password: &str,
    confirmation: &str,
    context: &[&str],
) -> Result<(), PasswordProblem> {
    if password.is_empty() {
        return Err(PasswordProblem::Missing);
    }
    let length = password.chars().count();
    if length < MIN_PASSWORD_LEN {
        return Err(PasswordProblem::TooShort);
    }
    if length > MAX_PASSWORD_LEN {
        return Err(PasswordProblem::TooLong);
    }
    if password != confirmation {
        return Err(PasswordProblem::Mismatch);
    }
    let mut inputs: Vec<&str> = context.to_vec();
    inputs.extend(["almanac", "statistics", "ethnicity", "publisher"]);
    let estimate = zxcvbn::zxcvbn(password, &inputs);
    if estimate.score() >= zxcvbn::Score::Three {
        return Ok(());
    }
    let mut advice = Vec::new();
    if let Some(feedback) = estimate.feedback() {
        if let Some(warning) = feedback.warning() {
            advice.push(format!("{warning}."));
        }
        advice.extend(feedback.suggestions().iter().map(|s| s.to_string()));
    }
    if advice.is_empty() {
        advice.push("Add another word or two: uncommon words are better.".to_owned());
    }
    Err(PasswordProblem::TooWeak {
        advice: advice.join(" ").replace("..", "."),
    })
}

/// The words of an email address, for `check_new_password`'s context.
pub fn email_words(email: &str) -> Vec<&str> {
    email
        .split(['@', '.', '-', '_', '+'])
        .filter(|word| word.len() > 2)
        .chain(std::iter::once(email))
        .collect()
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

    #[test]
    fn new_passwords_must_be_long_strong_and_confirmed() {
        let context = email_words("jo.bloggs@dept.gov.uk");
        assert_eq!(
            check_new_password("", "", &context),
            Err(PasswordProblem::Missing)
        );
        assert_eq!(
            check_new_password("Short1!", "Short1!", &context),
            Err(PasswordProblem::TooShort)
        );
        assert!(matches!(
            check_new_password("password1234", "password1234", &context),
            Err(PasswordProblem::TooWeak { .. })
        ));
        assert!(matches!(
            check_new_password("jo.bloggs@dept.gov.uk", "jo.bloggs@dept.gov.uk", &context),
            Err(PasswordProblem::TooWeak { .. })
        ));
        assert_eq!(
            check_new_password("violet kettle orbit 42", "violet kettle orbit 43", &context),
            Err(PasswordProblem::Mismatch)
        );
        assert_eq!(
            check_new_password("violet kettle orbit 42", "violet kettle orbit 42", &context),
            Ok(())
        );
    }

    #[test]
    fn weak_password_message_gives_advice() {
        let problem = check_new_password("aaaaaaaaaaaa", "aaaaaaaaaaaa", &[]).unwrap_err();
        let message = problem.to_string();
        assert!(
            message.starts_with("Your password is too easy to guess. "),
            "{message}"
        );
        assert!(message.len() > 40, "{message}");
    }
}
