//! Typed configuration from environment variables, validated at start-up.
//!
//! Each binary reads its settings into a struct once, at start-up, through these helpers, so
//! that a missing or malformed variable stops the process with one line naming it. Every
//! variable is documented in `.env.example`.

pub mod guard;

use std::collections::BTreeMap;
use std::fmt::Display;
use std::str::FromStr;

/// Where variables come from: the process environment, or a map in tests.
pub trait VarSource {
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl VarSource for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl VarSource for BTreeMap<&str, &str> {
    fn get(&self, name: &str) -> Option<String> {
        BTreeMap::get(self, name).map(|value| (*value).to_owned())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {name} is not set ({hint})")]
    Missing { name: String, hint: String },
    #[error("configuration: {name}={value:?} is invalid: {reason}")]
    Invalid {
        name: String,
        value: String,
        reason: String,
    },
}

/// A variable that must be set and not empty. `hint` says what it is for.
pub fn required(source: &dyn VarSource, name: &str, hint: &str) -> Result<String, ConfigError> {
    optional(source, name).ok_or_else(|| ConfigError::Missing {
        name: name.to_owned(),
        hint: hint.to_owned(),
    })
}

/// A variable that may be unset; an empty value counts as unset.
pub fn optional(source: &dyn VarSource, name: &str) -> Option<String> {
    source
        .get(name)
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// A variable parsed into `T`, or `default` when unset.
pub fn parsed<T>(source: &dyn VarSource, name: &str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: Display,
{
    match optional(source, name) {
        None => Ok(default),
        Some(value) => value.parse().map_err(|error: T::Err| ConfigError::Invalid {
            name: name.to_owned(),
            reason: error.to_string(),
            value,
        }),
    }
}

/// `DATABASE_URL`: required, and a PostgreSQL URL.
pub fn database_url(source: &dyn VarSource) -> Result<String, ConfigError> {
    let url = required(
        source,
        "DATABASE_URL",
        "the PostgreSQL URL, e.g. postgres://user@127.0.0.1:5432/almanac",
    )?;
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(url)
    } else {
        Err(ConfigError::Invalid {
            name: "DATABASE_URL".to_owned(),
            value: url,
            reason: "must start with postgres:// or postgresql://".to_owned(),
        })
    }
}

/// Which deployment this process belongs to (`ENVIRONMENT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Review,
    Staging,
    Production,
}

impl Environment {
    pub fn from_source(source: &dyn VarSource) -> Result<Environment, ConfigError> {
        parsed(source, "ENVIRONMENT", Environment::Development)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Development => "development",
            Environment::Review => "review",
            Environment::Staging => "staging",
            Environment::Production => "production",
        }
    }
}

impl FromStr for Environment {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "development" => Ok(Environment::Development),
            "review" => Ok(Environment::Review),
            "staging" => Ok(Environment::Staging),
            "production" => Ok(Environment::Production),
            _ => Err("use development, review, staging or production".to_owned()),
        }
    }
}

impl Display for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_variable_names_itself_on_one_line() {
        let env = BTreeMap::new();
        let error = database_url(&env).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("DATABASE_URL is not set"), "{message}");
        assert!(!message.contains('\n'));
    }

    #[test]
    fn empty_counts_as_missing() {
        let env = BTreeMap::from([("DATABASE_URL", "  ")]);
        assert!(matches!(
            database_url(&env),
            Err(ConfigError::Missing { .. })
        ));
    }

    #[test]
    fn rejects_a_non_postgres_url() {
        let env = BTreeMap::from([("DATABASE_URL", "mysql://x")]);
        let error = database_url(&env).unwrap_err().to_string();
        assert_eq!(
            error,
            "configuration: DATABASE_URL=\"mysql://x\" is invalid: must start with postgres:// or postgresql://"
        );
    }

    #[test]
    fn parses_with_default_and_names_bad_values() {
        let env = BTreeMap::from([("PORT", "eighty"), ("ENVIRONMENT", "Staging")]);
        assert_eq!(parsed(&env, "WORKERS", 4u16), Ok(4));
        let error = parsed(&env, "PORT", 80u16).unwrap_err().to_string();
        assert!(
            error.starts_with("configuration: PORT=\"eighty\" is invalid"),
            "{error}"
        );
        assert_eq!(Environment::from_source(&env), Ok(Environment::Staging));
    }
}
