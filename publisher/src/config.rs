//! The publisher's settings, read once at start-up (see `.env.example`).

use std::net::SocketAddr;
use std::path::PathBuf;

use almanac_config::{ConfigError, Environment, VarSource, database_url, parsed};

#[derive(Debug, Clone)]
pub struct PublisherConfig {
    pub environment: Environment,
    pub database_url: String,
    /// `PUBLISHER_BIND`: the address to listen on.
    pub bind: SocketAddr,
    /// `DATABASE_POOL_SIZE`: connections kept to Postgres.
    pub pool_size: u32,
    /// `GOVUK_FRONTEND_DIR`: the `dist/govuk` folder of the govuk-frontend npm package.
    pub govuk_frontend_dir: PathBuf,
    /// `STATIC_DIR`: Almanac's own CSS and JavaScript.
    pub static_dir: PathBuf,
}

impl PublisherConfig {
    pub fn from_source(source: &dyn VarSource) -> Result<PublisherConfig, ConfigError> {
        let config = PublisherConfig {
            environment: Environment::from_source(source)?,
            database_url: database_url(source)?,
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
        };
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
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn names_the_bad_variable() {
        let env = BTreeMap::from([
            ("DATABASE_URL", "postgres://app@127.0.0.1/almanac"),
            ("PUBLISHER_BIND", "localhost"),
        ]);
        let error = PublisherConfig::from_source(&env).unwrap_err().to_string();
        assert!(
            error.contains("PUBLISHER_BIND=\"localhost\" is invalid"),
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
