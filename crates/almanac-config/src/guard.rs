//! The environment guard: keeps environments apart, and production away from development
//! shortcuts.
//!
//! Every environment's configuration names production's resources (`PRODUCTION_DATABASE_HOSTS`,
//! `PRODUCTION_BUCKETS`, `PRODUCTION_GIT_REMOTES`, comma-separated), so a staging or review
//! process that was given a production URL by mistake refuses to start instead of writing to
//! it. In production the lists are harmless: production may of course use its own resources.
//!
//! Production in turn refuses the defaults that make development easy and would be unsafe
//! there: mail written to files, SMTP without TLS, a secret key from a test or an example, and
//! an `http://` address.
//!
//! Everything here is a pure function of the variables; the one check that needs the network,
//! the bucket's environment marker, is made by the site builder with
//! `almanac_deploy::S3Target::environment_marker` and decided by [`check_marker`].

use crate::{ConfigError, Environment, VarSource, optional};

pub const PRODUCTION_DATABASE_HOSTS: &str = "PRODUCTION_DATABASE_HOSTS";
pub const PRODUCTION_BUCKETS: &str = "PRODUCTION_BUCKETS";
pub const PRODUCTION_GIT_REMOTES: &str = "PRODUCTION_GIT_REMOTES";

/// The shortest `SECRET_KEY` production accepts (the publisher's own minimum is 32 bytes; a
/// production key comes from `openssl rand -base64 48`, which gives 64 characters).
pub const PRODUCTION_MIN_SECRET_KEY_LEN: usize = 48;

/// Secret keys that appear in this repository's tests and examples. Anyone can read them, so
/// production refuses them whatever their length.
const PUBLISHED_SECRET_KEYS: &[&str] = &[
    "0123456789abcdef0123456789abcdef",
    "test-secret-key-0123456789abcdef-0123456789",
    "almanac-test-secret",
];

/// Words that mark a key typed by hand for a test or a demo rather than generated.
const PLACEHOLDER_WORDS: &[&str] = &[
    "changeme",
    "change-me",
    "secret",
    "example",
    "password",
    "test",
    "development",
    "debug",
    "insecure",
    "almanac",
];

/// Which environment this process is, and what production's resources are called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guard {
    pub environment: Environment,
    /// `PRODUCTION_DATABASE_HOSTS`: `host`, `host:port` or `host/database` (lower-cased).
    pub database_hosts: Vec<String>,
    /// `PRODUCTION_BUCKETS`: bucket names (lower-cased; S3 names are).
    pub buckets: Vec<String>,
    /// `PRODUCTION_GIT_REMOTES`: remote URLs or paths, compared without a trailing `/` or
    /// `.git`.
    pub git_remotes: Vec<String>,
}

impl Guard {
    pub fn from_source(source: &dyn VarSource) -> Result<Guard, ConfigError> {
        let list = |name: &str, lower: bool| -> Vec<String> {
            optional(source, name)
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| {
                    if lower {
                        item.to_lowercase()
                    } else {
                        item.to_owned()
                    }
                })
                .collect()
        };
        Ok(Guard {
            environment: Environment::from_source(source)?,
            database_hosts: list(PRODUCTION_DATABASE_HOSTS, true),
            buckets: list(PRODUCTION_BUCKETS, true),
            git_remotes: list(PRODUCTION_GIT_REMOTES, false)
                .iter()
                .map(|remote| normalise_remote(remote))
                .collect(),
        })
    }

    fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }

    /// Refuses, outside production, a database URL (in variable `name`) whose host, host and
    /// port, or host and database is listed in `PRODUCTION_DATABASE_HOSTS`.
    pub fn check_database(&self, name: &str, url: &str) -> Result<(), ConfigError> {
        if self.is_production() {
            return Ok(());
        }
        let Some(target) = DatabaseTarget::parse(url) else {
            return Ok(());
        };
        match self
            .database_hosts
            .iter()
            .find(|listed| target.matches(listed))
        {
            Some(listed) => {
                Err(self.refusal(name, &target.describe(), PRODUCTION_DATABASE_HOSTS, listed))
            }
            None => Ok(()),
        }
    }

    /// Refuses, outside production, a bucket (in variable `name`) listed in
    /// `PRODUCTION_BUCKETS`.
    pub fn check_bucket(&self, name: &str, bucket: &str) -> Result<(), ConfigError> {
        if self.is_production() {
            return Ok(());
        }
        let bucket = bucket.trim().to_lowercase();
        match self.buckets.iter().find(|listed| **listed == bucket) {
            Some(listed) => Err(self.refusal(name, &bucket, PRODUCTION_BUCKETS, listed)),
            None => Ok(()),
        }
    }

    /// Refuses, outside production, a git remote (in variable `name`) listed in
    /// `PRODUCTION_GIT_REMOTES`.
    pub fn check_git_remote(&self, name: &str, remote: &str) -> Result<(), ConfigError> {
        if self.is_production() {
            return Ok(());
        }
        let remote = normalise_remote(remote);
        match self.git_remotes.iter().find(|listed| **listed == remote) {
            Some(listed) => Err(self.refusal(name, &remote, PRODUCTION_GIT_REMOTES, listed)),
            None => Ok(()),
        }
    }

    fn refusal(&self, name: &str, value: &str, list: &str, listed: &str) -> ConfigError {
        ConfigError::Invalid {
            name: name.to_owned(),
            value: value.to_owned(),
            reason: format!(
                "it is production's ({list} lists “{listed}”), and ENVIRONMENT is {}: \
                 a non-production environment never writes to production",
                self.environment
            ),
        }
    }
}

/// What a bucket's environment marker means for a deploy from `environment`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerCheck {
    /// The marker names this environment: deploy.
    Ours,
    /// The bucket has no marker yet: write ours, then deploy.
    Absent,
}

/// Decides on the marker object read from `bucket` (in variable `name`): refuses a bucket
/// that names another environment.
pub fn check_marker(
    environment: Environment,
    name: &str,
    bucket: &str,
    marker: Option<&str>,
) -> Result<MarkerCheck, ConfigError> {
    match marker.map(str::trim) {
        None => Ok(MarkerCheck::Absent),
        Some(found) if found.eq_ignore_ascii_case(environment.as_str()) => Ok(MarkerCheck::Ours),
        Some(found) => Err(ConfigError::Invalid {
            name: name.to_owned(),
            value: bucket.to_owned(),
            reason: format!(
                "the bucket's .almanac-environment object says it belongs to “{found}”, and \
                 ENVIRONMENT is {environment}: point the builder at this environment's own \
                 bucket (or, if the bucket really is being reused, delete the object)"
            ),
        }),
    }
}

/// Production's refusals of development defaults, for the settings both binaries share: mail
/// must go through SMTP, with TLS. Nothing is refused in other environments.
pub fn check_production_mail(source: &dyn VarSource) -> Result<(), ConfigError> {
    if Environment::from_source(source)? != Environment::Production {
        return Ok(());
    }
    if optional(source, "SMTP_HOST").is_none() {
        return Err(ConfigError::Missing {
            name: "SMTP_HOST".to_owned(),
            hint: "production sends mail through SMTP; without SMTP_HOST it would be written to \
                   files in MAIL_DIR that nobody reads"
                .to_owned(),
        });
    }
    if optional(source, "SMTP_TLS").is_some_and(|tls| tls.eq_ignore_ascii_case("none")) {
        return Err(ConfigError::Invalid {
            name: "SMTP_TLS".to_owned(),
            value: "none".to_owned(),
            reason: "production sends sign-in links by mail, which must be encrypted: use \
                     starttls or tls"
                .to_owned(),
        });
    }
    Ok(())
}

/// Production refuses a `SECRET_KEY` shorter than [`PRODUCTION_MIN_SECRET_KEY_LEN`], published
/// in this repository, or typed by hand (a placeholder word, or few distinct characters).
pub fn check_production_secret_key(environment: Environment, key: &str) -> Result<(), ConfigError> {
    if environment != Environment::Production {
        return Ok(());
    }
    let refuse = |reason: String| ConfigError::Invalid {
        name: "SECRET_KEY".to_owned(),
        value: "(hidden)".to_owned(),
        reason,
    };
    if key.len() < PRODUCTION_MIN_SECRET_KEY_LEN {
        return Err(refuse(format!(
            "production needs at least {PRODUCTION_MIN_SECRET_KEY_LEN} characters; make one \
             with `openssl rand -base64 48`"
        )));
    }
    let lower = key.to_lowercase();
    if PUBLISHED_SECRET_KEYS
        .iter()
        .any(|known| lower.contains(known))
        || PLACEHOLDER_WORDS.iter().any(|word| lower.contains(word))
    {
        return Err(refuse(
            "it is a test, example or placeholder key; make one with `openssl rand -base64 48`"
                .to_owned(),
        ));
    }
    let mut distinct: Vec<char> = key.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 16 {
        return Err(refuse(format!(
            "it has only {} distinct characters, so it was not generated at random; make one \
             with `openssl rand -base64 48`",
            distinct.len()
        )));
    }
    Ok(())
}

/// Production refuses an address (in variable `name`) that is not `https://` or points at
/// this machine: it is the default, left unset.
pub fn check_production_url(
    environment: Environment,
    name: &str,
    url: &str,
) -> Result<(), ConfigError> {
    if environment != Environment::Production {
        return Ok(());
    }
    let host = url.strip_prefix("https://").map(|rest| {
        rest.split(['/', ':'])
            .next()
            .unwrap_or_default()
            .to_lowercase()
    });
    match host {
        Some(host) if !(host == "localhost" || host.starts_with("127.") || host == "[") => Ok(()),
        _ => Err(ConfigError::Invalid {
            name: name.to_owned(),
            value: url.to_owned(),
            reason: "production is reached over https at its public name, not over http or at \
                     localhost"
                .to_owned(),
        }),
    }
}

/// The host, port and database of a `postgres://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DatabaseTarget {
    host: String,
    port: Option<String>,
    database: String,
}

impl DatabaseTarget {
    fn parse(url: &str) -> Option<DatabaseTarget> {
        let rest = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))?;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        // Credentials may hold any character but '@' is the last separator before the host.
        let address = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host);
        let (host, port) = if let Some(bracketed) = address.strip_prefix('[') {
            let (host, after) = bracketed.split_once(']')?;
            (host, after.strip_prefix(':'))
        } else {
            match address.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (address, None),
            }
        };
        let database = path.split('?').next().unwrap_or_default();
        Some(DatabaseTarget {
            host: host.to_lowercase(),
            port: port.filter(|port| !port.is_empty()).map(str::to_owned),
            database: database.to_owned(),
        })
    }

    /// `listed` is `host`, `host:port`, `host/database` or `host:port/database`; the parts
    /// it names must all match.
    fn matches(&self, listed: &str) -> bool {
        let (address, database) = match listed.split_once('/') {
            Some((address, database)) => (address, Some(database)),
            None => (listed, None),
        };
        let (host, port) = match address.rsplit_once(':') {
            Some((host, port)) => (host.trim_matches(['[', ']']), Some(port)),
            None => (address, None),
        };
        host == self.host
            && port.is_none_or(|port| Some(port) == self.port.as_deref())
            && database.is_none_or(|database| database == self.database)
    }

    /// The URL without its credentials, for the error message.
    fn describe(&self) -> String {
        match &self.port {
            Some(port) => format!("{}:{port}/{}", self.host, self.database),
            None => format!("{}/{}", self.host, self.database),
        }
    }
}

fn normalise_remote(remote: &str) -> String {
    let trimmed = remote.trim().trim_end_matches('/');
    trimmed.strip_suffix(".git").unwrap_or(trimmed).to_owned()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn guard(vars: &[(&'static str, &'static str)]) -> Guard {
        let mut map: BTreeMap<&str, &str> = vars.iter().copied().collect();
        map.entry(PRODUCTION_DATABASE_HOSTS)
            .or_insert("prod-db.internal, Replica.internal:6432, shared.internal/almanac");
        map.entry(PRODUCTION_BUCKETS)
            .or_insert("almanac-site-production,almanac-site-production-mirror");
        map.entry(PRODUCTION_GIT_REMOTES)
            .or_insert("git@github.com:almanac/site-history.git");
        Guard::from_source(&map).unwrap()
    }

    #[test]
    fn staging_refuses_production_database_hosts() {
        let staging = guard(&[("ENVIRONMENT", "staging")]);
        for url in [
            "postgres://app:pa@ss@prod-db.internal/almanac",
            "postgresql://PROD-DB.internal:5432/other",
            "postgres://app@replica.internal:6432/almanac?sslmode=require",
            "postgres://app@shared.internal/almanac",
        ] {
            let error = staging.check_database("DATABASE_URL", url).unwrap_err();
            let message = error.to_string();
            assert!(
                message.contains("DATABASE_URL=")
                    && message.contains("PRODUCTION_DATABASE_HOSTS")
                    && message.contains("ENVIRONMENT is staging"),
                "{message}"
            );
            assert!(!message.contains("pa@ss"), "credentials echoed: {message}");
        }
    }

    #[test]
    fn staging_accepts_its_own_database() {
        let staging = guard(&[("ENVIRONMENT", "staging")]);
        for url in [
            "postgres://app@staging-db.internal/almanac",
            // Same host as production's replica, another port: another server.
            "postgres://app@replica.internal:5432/almanac",
            // A shared server, another database.
            "postgres://app@shared.internal/almanac_staging",
        ] {
            assert_eq!(staging.check_database("DATABASE_URL", url), Ok(()), "{url}");
        }
    }

    #[test]
    fn review_refuses_production_buckets_and_remotes() {
        let review = guard(&[("ENVIRONMENT", "review")]);
        let error = review
            .check_bucket("S3_MIRROR_BUCKET", "Almanac-Site-Production-Mirror")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("configuration: S3_MIRROR_BUCKET=\"almanac-site-production-mirror\"")
                && error.contains("PRODUCTION_BUCKETS"),
            "{error}"
        );
        assert_eq!(
            review.check_bucket("S3_PRIMARY_BUCKET", "almanac-site-review"),
            Ok(())
        );
        let error = review
            .check_git_remote("SITE_GIT_REMOTE", "git@github.com:almanac/site-history/")
            .unwrap_err()
            .to_string();
        assert!(error.contains("PRODUCTION_GIT_REMOTES"), "{error}");
        assert_eq!(
            review.check_git_remote("SITE_GIT_REMOTE", "git@github.com:almanac/site-review.git"),
            Ok(())
        );
    }

    #[test]
    fn production_may_use_its_own_resources() {
        let production = guard(&[("ENVIRONMENT", "production")]);
        assert_eq!(
            production.check_database("DATABASE_URL", "postgres://app@prod-db.internal/almanac"),
            Ok(())
        );
        assert_eq!(
            production.check_bucket("S3_PRIMARY_BUCKET", "almanac-site-production"),
            Ok(())
        );
        assert_eq!(
            production
                .check_git_remote("SITE_GIT_REMOTE", "git@github.com:almanac/site-history.git"),
            Ok(())
        );
    }

    #[test]
    fn development_without_lists_accepts_anything() {
        let development = Guard::from_source(&BTreeMap::new()).unwrap();
        assert_eq!(development.environment, Environment::Development);
        assert_eq!(
            development.check_database("DATABASE_URL", "postgres://prod-db.internal/almanac"),
            Ok(())
        );
        assert_eq!(development.check_bucket("S3_PRIMARY_BUCKET", "x"), Ok(()));
    }

    #[test]
    fn marker_naming_another_environment_is_refused() {
        let staging = Environment::Staging;
        assert_eq!(
            check_marker(staging, "S3_PRIMARY_BUCKET", "b", None),
            Ok(MarkerCheck::Absent)
        );
        assert_eq!(
            check_marker(staging, "S3_PRIMARY_BUCKET", "b", Some("staging\n")),
            Ok(MarkerCheck::Ours)
        );
        let error = check_marker(staging, "S3_PRIMARY_BUCKET", "b", Some("production"))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("belongs to “production”") && error.contains("ENVIRONMENT is staging"),
            "{error}"
        );
    }

    #[test]
    fn production_refuses_file_mail_and_plain_smtp() {
        let production = ("ENVIRONMENT", "production");
        let files = BTreeMap::from([production]);
        let error = check_production_mail(&files).unwrap_err().to_string();
        assert!(
            error.starts_with("configuration: SMTP_HOST is not set"),
            "{error}"
        );
        let plain = BTreeMap::from([
            production,
            ("SMTP_HOST", "smtp.example.org"),
            ("SMTP_TLS", "NONE"),
        ]);
        let error = check_production_mail(&plain).unwrap_err().to_string();
        assert!(error.contains("SMTP_TLS=\"none\""), "{error}");
        let good = BTreeMap::from([production, ("SMTP_HOST", "smtp.example.org")]);
        assert_eq!(check_production_mail(&good), Ok(()));
        // Staging may write mail to files.
        assert_eq!(
            check_production_mail(&BTreeMap::from([("ENVIRONMENT", "staging")])),
            Ok(())
        );
    }

    #[test]
    fn production_refuses_debug_secret_keys() {
        let production = Environment::Production;
        for key in [
            "0123456789abcdef0123456789abcdef",
            "test-secret-key-0123456789abcdef-0123456789",
            "test-secret-key-0123456789abcdef-0123456789-and-some-more",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "changeme-changeme-changeme-changeme-changeme-changeme",
        ] {
            let error = check_production_secret_key(production, key)
                .unwrap_err()
                .to_string();
            assert!(
                error.starts_with("configuration: SECRET_KEY=\"(hidden)\""),
                "{error}"
            );
            assert!(!error.contains(key), "{error}");
        }
        let generated = "Zq3v9Lk2Xw8Rt5Yp1Mn7Bc4Hd6Jf0Gs+Ua/Ie2Ko9Pl3Qr8St5Uv1Wx7Yz4Ab6Cd0Ef";
        assert_eq!(check_production_secret_key(production, generated), Ok(()));
        assert_eq!(
            check_production_secret_key(Environment::Staging, "0123456789abcdef0123456789abcdef"),
            Ok(())
        );
    }

    #[test]
    fn production_refuses_http_and_localhost_addresses() {
        let production = Environment::Production;
        for url in [
            "http://publisher.example.gov.uk",
            "https://localhost:8000",
            "https://127.0.0.1",
        ] {
            assert!(
                check_production_url(production, "PUBLIC_URL", url).is_err(),
                "{url}"
            );
        }
        assert_eq!(
            check_production_url(production, "PUBLIC_URL", "https://publisher.example.gov.uk"),
            Ok(())
        );
        assert_eq!(
            check_production_url(Environment::Review, "PUBLIC_URL", "http://127.0.0.1:8000"),
            Ok(())
        );
    }
}
