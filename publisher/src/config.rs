//! The publisher's settings, read once at start-up (see `.env.example`).

use std::net::SocketAddr;
use std::path::PathBuf;

use almanac_accounts::sessions::SessionPolicy;
use almanac_accounts::{AccountPolicy, SecretKey, TwoFactorRule};
use almanac_config::{
    ConfigError, Environment, VarSource, database_url, optional, parsed, required,
};
use almanac_mail::MailSettings;

#[derive(Debug, Clone)]
pub struct PublisherConfig {
    pub environment: Environment,
    pub database_url: String,
    /// `DATABASE_READ_URL` (optional): a read-only replica for the dashboards and the read
    /// API; they fall back to `database_url` when it cannot be reached.
    pub database_read_url: Option<String>,
    /// `PUBLISHER_BIND`: the address to listen on.
    pub bind: SocketAddr,
    /// `DATABASE_POOL_SIZE`: connections kept to Postgres.
    pub pool_size: u32,
    /// `GOVUK_FRONTEND_DIR`: the `dist/govuk` folder of the govuk-frontend npm package.
    pub govuk_frontend_dir: PathBuf,
    /// `STATIC_DIR`: Almanac's own CSS and JavaScript.
    pub static_dir: PathBuf,
    /// `SECRET_KEY`: signs links and CSRF tokens and encrypts two-factor secrets.
    pub secret_key: SecretKey,
    /// `PUBLIC_URL`: where users reach the publisher; the base of links in emails. With
    /// `https`, cookies are `Secure` and responses carry HSTS.
    pub public_url: String,
    /// `ALLOWED_EMAIL_DOMAINS`, `ACCOUNT_ALLOWLIST`, `TWO_FACTOR_REQUIRED_FOR`.
    pub accounts: AccountPolicy,
    /// `SESSION_IDLE_MINUTES`, `SESSION_MAX_HOURS`.
    pub sessions: SessionPolicy,
    /// `LOGIN_ATTEMPTS_PER_MINUTE`: sign-in and emailed-link requests allowed per client
    /// address per minute.
    pub login_attempts_per_minute: u32,
    /// `TRUSTED_PROXY_HOPS`: how many reverse proxies in front add to `X-Forwarded-For`;
    /// 0 means the connection's own address is the client's.
    pub trusted_proxy_hops: usize,
    /// `SMTP_*`, `MAIL_FROM`, `MAIL_DIR`.
    pub mail: MailSettings,
    /// `REVIEW_LINK_DAYS`: how long a review link works.
    pub review_link_days: i64,
    /// `UPLOAD_MAX_BYTES`, `CLAMD_ADDRESS`, `UPLOAD_DIR`: source-data uploads.
    pub uploads: almanac_uploads::UploadSettings,
    /// `SITE_CHART_PNG` (`true`/`false`, default false): offer each chart as PNG as well as
    /// SVG. Must match the site builder's, so the preview shows what the site will.
    pub chart_png: bool,
    /// `SENTRY_DSN`, `LOG_FORMAT`, `METRICS_ADDR`: error reports, log lines and metrics.
    pub telemetry: almanac_telemetry::TelemetrySettings,
}

impl PublisherConfig {
    pub fn from_source(source: &dyn VarSource) -> Result<PublisherConfig, ConfigError> {
        // Outside production: no production database, checked first so that the refusal is
        // the one message even when other settings are missing too.
        let guard = almanac_config::guard::Guard::from_source(source)?;
        let database_url = database_url(source)?;
        guard.check_database("DATABASE_URL", &database_url)?;
        let database_read_url = database_read_url(source)?;
        if let Some(read_url) = &database_read_url {
            guard.check_database("DATABASE_READ_URL", read_url)?;
        }
        let config = PublisherConfig {
            environment: guard.environment,
            database_url,
            database_read_url,
            bind: parsed(
                source,
                "PUBLISHER_BIND",
                SocketAddr::from(([127, 0, 0, 1], 8000)),
            )?,
            pool_size: parsed(source, "DATABASE_POOL_SIZE", 10)?,
            govuk_frontend_dir: parsed(
                source,
                "GOVUK_FRONTEND_DIR",
                PathBuf::from("node_modules/govuk-frontend/dist/govuk"),
            )?,
            static_dir: parsed(source, "STATIC_DIR", PathBuf::from("static"))?,
            secret_key: secret_key(source)?,
            public_url: public_url(source)?,
            accounts: AccountPolicy {
                allowed_domains: list(source, "ALLOWED_EMAIL_DOMAINS")
                    .unwrap_or_else(|| AccountPolicy::default().allowed_domains),
                allowed_addresses: list(source, "ACCOUNT_ALLOWLIST").unwrap_or_default(),
                two_factor: parsed(
                    source,
                    "TWO_FACTOR_REQUIRED_FOR",
                    TwoFactorRule::AdminsAndDevelopers,
                )?,
            },
            sessions: SessionPolicy {
                idle: chrono::Duration::minutes(positive(source, "SESSION_IDLE_MINUTES", 60)?),
                absolute: chrono::Duration::hours(positive(source, "SESSION_MAX_HOURS", 12)?),
            },
            login_attempts_per_minute: positive(source, "LOGIN_ATTEMPTS_PER_MINUTE", 10)? as u32,
            trusted_proxy_hops: parsed(source, "TRUSTED_PROXY_HOPS", 0)?,
            mail: MailSettings::from_source(source)?,
            review_link_days: positive(source, "REVIEW_LINK_DAYS", 14)?,
            uploads: almanac_uploads::UploadSettings::from_source(source)?,
            chart_png: parsed(source, "SITE_CHART_PNG", false)?,
            telemetry: almanac_telemetry::TelemetrySettings::from_source(source)?,
        };
        // In production: none of the development defaults.
        almanac_config::guard::check_production_mail(source)?;
        almanac_config::guard::check_production_url(
            config.environment,
            "PUBLIC_URL",
            &config.public_url,
        )?;
        if let Some(key) = optional(source, "SECRET_KEY") {
            almanac_config::guard::check_production_secret_key(config.environment, &key)?;
        }
        if config.pool_size == 0 {
            return Err(ConfigError::Invalid {
                name: "DATABASE_POOL_SIZE".to_owned(),
                value: "0".to_owned(),
                reason: "must be at least 1".to_owned(),
            });
        }
        let stylesheet = config.govuk_frontend_dir.join("govuk-frontend.min.css");
        if !stylesheet.is_file() {
            return Err(ConfigError::Invalid {
                name: "GOVUK_FRONTEND_DIR".to_owned(),
                value: config.govuk_frontend_dir.display().to_string(),
                reason: "holds no govuk-frontend.min.css: run `npm ci` or point it at node_modules/govuk-frontend/dist/govuk".to_owned(),
            });
        }
        Ok(config)
    }

    /// Whether users reach the publisher over HTTPS.
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

fn secret_key(source: &dyn VarSource) -> Result<SecretKey, ConfigError> {
    let value = required(
        source,
        "SECRET_KEY",
        "a random string of at least 32 characters, e.g. from `openssl rand -base64 48`",
    )?;
    SecretKey::new(value.as_bytes()).map_err(|error| ConfigError::Invalid {
        name: "SECRET_KEY".to_owned(),
        value: "(hidden)".to_owned(),
        reason: error.to_string(),
    })
}

fn database_read_url(source: &dyn VarSource) -> Result<Option<String>, ConfigError> {
    match optional(source, "DATABASE_READ_URL") {
        None => Ok(None),
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Some(url))
        }
        Some(url) => Err(ConfigError::Invalid {
            name: "DATABASE_READ_URL".to_owned(),
            value: url,
            reason: "must start with postgres:// or postgresql://".to_owned(),
        }),
    }
}

fn public_url(source: &dyn VarSource) -> Result<String, ConfigError> {
    let url = optional(source, "PUBLIC_URL").unwrap_or_else(|| "http://127.0.0.1:8000".to_owned());
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(['?', '#', ' ']) => {
            Ok(url.trim_end_matches('/').to_owned())
        }
        _ => Err(ConfigError::Invalid {
            name: "PUBLIC_URL".to_owned(),
            value: url,
            reason: "must be an http:// or https:// address, like https://publisher.example.gov.uk"
                .to_owned(),
        }),
    }
}

/// A comma-separated list, lower-cased; `None` when unset.
fn list(source: &dyn VarSource, name: &str) -> Option<Vec<String>> {
    optional(source, name).map(|value| {
        value
            .split(',')
            .map(|item| item.trim().trim_start_matches('@').to_lowercase())
            .filter(|item| !item.is_empty())
            .collect()
    })
}

fn positive(source: &dyn VarSource, name: &str, default: i64) -> Result<i64, ConfigError> {
    let value: i64 = parsed(source, name, default)?;
    if value < 1 {
        return Err(ConfigError::Invalid {
            name: name.to_owned(),
            value: value.to_string(),
            reason: "must be at least 1".to_owned(),
        });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn names_the_bad_variable() {
        let env = BTreeMap::from([
            ("DATABASE_URL", "postgres://app@127.0.0.1/almanac"),
            ("SECRET_KEY", "0123456789abcdef0123456789abcdef"),
            ("PUBLISHER_BIND", "localhost"),
        ]);
        let error = PublisherConfig::from_source(&env).unwrap_err().to_string();
        assert!(
            error.contains("PUBLISHER_BIND=\"localhost\" is invalid"),
            "{error}"
        );
    }

    #[test]
    fn secret_key_must_be_long_and_is_never_echoed() {
        let env = BTreeMap::from([
            ("DATABASE_URL", "postgres://app@127.0.0.1/almanac"),
            ("SECRET_KEY", "hunter2"),
        ]);
        let error = PublisherConfig::from_source(&env).unwrap_err().to_string();
        assert!(
            error.contains(
                "SECRET_KEY=\"(hidden)\" is invalid: the secret key must be at least 32 bytes"
            ),
            "{error}"
        );
        assert!(!error.contains("hunter2"));
    }

    #[test]
    fn bad_account_settings_are_named() {
        for (name, value) in [
            ("PUBLIC_URL", "publisher.gov.uk"),
            ("TWO_FACTOR_REQUIRED_FOR", "nobody"),
            ("SESSION_IDLE_MINUTES", "0"),
            ("LOGIN_ATTEMPTS_PER_MINUTE", "lots"),
        ] {
            let env = BTreeMap::from([
                ("DATABASE_URL", "postgres://app@127.0.0.1/almanac"),
                ("SECRET_KEY", "0123456789abcdef0123456789abcdef"),
                (name, value),
            ]);
            let error = PublisherConfig::from_source(&env).unwrap_err().to_string();
            assert!(error.contains(&format!("{name}=")), "{error}");
        }
    }

    #[test]
    fn bad_telemetry_settings_are_named() {
        for (name, value) in [
            ("LOG_FORMAT", "xml"),
            ("METRICS_ADDR", "metrics:9100"),
            ("SENTRY_DSN", "not a dsn"),
        ] {
            let env = BTreeMap::from([
                ("DATABASE_URL", "postgres://app@127.0.0.1/almanac"),
                ("SECRET_KEY", "0123456789abcdef0123456789abcdef"),
                (name, value),
            ]);
            let error = PublisherConfig::from_source(&env).unwrap_err().to_string();
            assert!(
                error.starts_with(&format!("configuration: {name}=")),
                "{error}"
            );
        }
    }

    #[test]
    fn telemetry_settings_are_optional() {
        let env = BTreeMap::from([
            ("DATABASE_URL", "postgres://app@127.0.0.1/almanac"),
            ("SECRET_KEY", "0123456789abcdef0123456789abcdef"),
            (
                "GOVUK_FRONTEND_DIR",
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../node_modules/govuk-frontend/dist/govuk"
                ),
            ),
            ("SENTRY_DSN", "https://public@sentry.example.org/7"),
            ("METRICS_ADDR", "0.0.0.0:9100"),
        ]);
        let config = PublisherConfig::from_source(&env).unwrap();
        assert!(config.telemetry.sentry_dsn.is_some());
        assert_eq!(
            config.telemetry.metrics_addr,
            Some("0.0.0.0:9100".parse().unwrap())
        );
        assert_eq!(config.telemetry.log_format, None);
    }

    #[test]
    fn staging_refuses_production_database_and_production_refuses_debug_settings() {
        let base = [
            ("SECRET_KEY", "0123456789abcdef0123456789abcdef"),
            ("PRODUCTION_DATABASE_HOSTS", "prod-db.internal"),
            ("DATABASE_URL", "postgres://app@prod-db.internal/almanac"),
            ("CLAMD_ADDRESS", "127.0.0.1:3310"),
        ];
        let staging: BTreeMap<_, _> = base
            .into_iter()
            .chain([("ENVIRONMENT", "staging")])
            .collect();
        let error = PublisherConfig::from_source(&staging)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("configuration: DATABASE_URL=")
                && error.contains("PRODUCTION_DATABASE_HOSTS"),
            "{error}"
        );
        let replica: BTreeMap<_, _> = base
            .into_iter()
            .chain([
                ("ENVIRONMENT", "staging"),
                ("DATABASE_URL", "postgres://app@staging-db.internal/almanac"),
                (
                    "DATABASE_READ_URL",
                    "postgres://app@prod-db.internal/almanac",
                ),
            ])
            .collect();
        let error = PublisherConfig::from_source(&replica)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("configuration: DATABASE_READ_URL="),
            "{error}"
        );

        let production: BTreeMap<_, _> = base
            .into_iter()
            .chain([
                ("ENVIRONMENT", "production"),
                ("PUBLIC_URL", "https://publisher.example.gov.uk"),
            ])
            .collect();
        let error = PublisherConfig::from_source(&production)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("configuration: SMTP_HOST is not set"),
            "{error}"
        );
        let mut with_smtp = production.clone();
        with_smtp.insert("SMTP_HOST", "smtp.example.org");
        let error = PublisherConfig::from_source(&with_smtp)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("configuration: SECRET_KEY=\"(hidden)\""),
            "{error}"
        );
    }

    #[test]
    fn requires_the_database_url() {
        let env = BTreeMap::new();
        let error = PublisherConfig::from_source(&env).unwrap_err().to_string();
        assert!(
            error.starts_with("configuration: DATABASE_URL is not set"),
            "{error}"
        );
    }
}
