//! The telemetry settings both binaries share: `SENTRY_DSN`, `LOG_FORMAT`, `METRICS_ADDR`.

use std::net::SocketAddr;
use std::str::FromStr;

use almanac_config::{ConfigError, VarSource, optional, parsed};
use sentry::types::Dsn;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One readable line per event, for a terminal.
    Human,
    /// One JSON object per line, with the fields of the enclosing spans (request id, user id,
    /// build id), for a log collector.
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "human" => Ok(LogFormat::Human),
            "json" => Ok(LogFormat::Json),
            _ => Err("use human or json".to_owned()),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct TelemetrySettings {
    /// `SENTRY_DSN`: where error reports go; unset, nothing is sent.
    pub sentry_dsn: Option<Dsn>,
    /// `LOG_FORMAT`: `human` or `json`; unset, see [`TelemetrySettings::log_format_for`].
    pub log_format: Option<LogFormat>,
    /// `METRICS_ADDR`: the address of the separate listener serving `/metrics` (and, in the
    /// site builder, `/health`); unset, no metrics are served.
    pub metrics_addr: Option<SocketAddr>,
}

impl TelemetrySettings {
    pub fn from_source(source: &dyn VarSource) -> Result<TelemetrySettings, ConfigError> {
        let sentry_dsn = match optional(source, "SENTRY_DSN") {
            None => None,
            Some(value) => Some(value.parse::<Dsn>().map_err(|error| ConfigError::Invalid {
                name: "SENTRY_DSN".to_owned(),
                // A DSN may carry a secret key, so it is not repeated in the message.
                value: "(hidden)".to_owned(),
                reason: format!(
                    "{error}; copy it from the Sentry project's Client Keys, like \
                     https://KEY@o0.ingest.sentry.io/0"
                ),
            })?),
        };
        Ok(TelemetrySettings {
            sentry_dsn,
            log_format: parsed(source, "LOG_FORMAT", Unset::<LogFormat>(None))?.0,
            metrics_addr: parsed(source, "METRICS_ADDR", Unset::<SocketAddr>(None))?.0,
        })
    }

    /// `LOG_FORMAT`, or by default readable lines in development and JSON everywhere else,
    /// where a collector reads them.
    pub fn log_format_for(&self, environment: &str) -> LogFormat {
        self.log_format.unwrap_or(if environment == "development" {
            LogFormat::Human
        } else {
            LogFormat::Json
        })
    }
}

/// An optional value for `almanac_config::parsed`, whose default must be a `T`.
struct Unset<T>(Option<T>);

impl<T: FromStr> FromStr for Unset<T> {
    type Err = T::Err;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse().map(|value| Unset(Some(value)))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn everything_is_optional() {
        let settings = TelemetrySettings::from_source(&BTreeMap::new()).unwrap();
        assert!(settings.sentry_dsn.is_none());
        assert_eq!(settings.metrics_addr, None);
        assert_eq!(settings.log_format_for("development"), LogFormat::Human);
        assert_eq!(settings.log_format_for("production"), LogFormat::Json);
    }

    #[test]
    fn reads_each_variable() {
        let env = BTreeMap::from([
            ("SENTRY_DSN", "https://public@sentry.example.org/42"),
            ("LOG_FORMAT", "JSON"),
            ("METRICS_ADDR", "127.0.0.1:9100"),
        ]);
        let settings = TelemetrySettings::from_source(&env).unwrap();
        assert_eq!(
            settings.sentry_dsn.as_ref().unwrap().project_id().value(),
            "42"
        );
        assert_eq!(settings.log_format_for("development"), LogFormat::Json);
        assert_eq!(
            settings.metrics_addr,
            Some("127.0.0.1:9100".parse().unwrap())
        );
    }

    #[test]
    fn names_a_bad_value() {
        for (name, value, expected) in [
            (
                "LOG_FORMAT",
                "yaml",
                "configuration: LOG_FORMAT=\"yaml\" is invalid: use human or json",
            ),
            (
                "METRICS_ADDR",
                "9100",
                "configuration: METRICS_ADDR=\"9100\" is invalid",
            ),
            (
                "SENTRY_DSN",
                "sentry.example.org/42",
                "configuration: SENTRY_DSN=\"(hidden)\" is invalid",
            ),
        ] {
            let env = BTreeMap::from([(name, value)]);
            let error = TelemetrySettings::from_source(&env)
                .unwrap_err()
                .to_string();
            assert!(error.starts_with(expected), "{error}");
            assert!(!error.contains('\n'), "{error}");
        }
    }
}
