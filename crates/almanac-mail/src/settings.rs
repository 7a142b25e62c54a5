//! Mail settings from the environment (`SMTP_*`, `MAIL_FROM`, `MAIL_DIR`; see `.env.example`).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use almanac_config::{ConfigError, VarSource, optional, parsed};
use lettre::message::Mailbox;

pub const DEFAULT_FROM: &str = "Almanac <noreply@almanac.localhost>";
pub const DEFAULT_MAIL_DIR: &str = ".data/mail";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// The From mailbox, e.g. `Almanac <noreply@example.org>`.
    pub from: String,
    pub transport: TransportSettings,
}

#[derive(Clone, PartialEq, Eq)]
pub enum TransportSettings {
    Smtp {
        host: String,
        port: u16,
        tls: SmtpTls,
        /// Username and password; SMTP AUTH is used only when they are given.
        credentials: Option<(String, String)>,
    },
    /// Development: every message becomes an `.eml` file in `dir`.
    Files { dir: PathBuf },
}

/// How the SMTP connection is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text throughout: only for a relay on the same host or in tests.
    None,
    /// Plain connection upgraded with STARTTLS, which the server must offer.
    StartTls,
    /// TLS from the first byte ("implicit TLS", SMTPS).
    Tls,
}

impl MailSettings {
    /// Without `SMTP_HOST`, mail goes to files under `MAIL_DIR`, so that development needs no
    /// mail server; the other `SMTP_*` variables are read only when `SMTP_HOST` is set.
    pub fn from_source(source: &dyn VarSource) -> Result<MailSettings, ConfigError> {
        let from = optional(source, "MAIL_FROM").unwrap_or_else(|| DEFAULT_FROM.to_owned());
        if let Err(error) = from.parse::<Mailbox>() {
            return Err(ConfigError::Invalid {
                name: "MAIL_FROM".to_owned(),
                value: from,
                reason: format!(
                    "not a mailbox ({error}): use an address, optionally with a name, \
                     e.g. Almanac <noreply@example.org>"
                ),
            });
        }
        let transport = match optional(source, "SMTP_HOST") {
            None => TransportSettings::Files {
                dir: optional(source, "MAIL_DIR")
                    .unwrap_or_else(|| DEFAULT_MAIL_DIR.to_owned())
                    .into(),
            },
            Some(host) => {
                let tls = parsed(source, "SMTP_TLS", SmtpTls::StartTls)?;
                let port = parsed(source, "SMTP_PORT", tls.default_port())?;
                if port == 0 {
                    return Err(ConfigError::Invalid {
                        name: "SMTP_PORT".to_owned(),
                        value: "0".to_owned(),
                        reason: "use a port between 1 and 65535".to_owned(),
                    });
                }
                TransportSettings::Smtp {
                    host,
                    port,
                    tls,
                    credentials: credentials(source)?,
                }
            }
        };
        Ok(MailSettings { from, transport })
    }
}

/// `SMTP_USERNAME` and `SMTP_PASSWORD` together, or neither: one alone is almost always a
/// deployment mistake that would otherwise surface only as a refused login at the first send.
fn credentials(source: &dyn VarSource) -> Result<Option<(String, String)>, ConfigError> {
    let username = optional(source, "SMTP_USERNAME");
    // Not trimmed like the other variables: spaces may be part of a password.
    let password = source
        .get("SMTP_PASSWORD")
        .filter(|password| !password.is_empty());
    let missing = |name: &str, other: &str| ConfigError::Missing {
        name: name.to_owned(),
        hint: format!("{other} is set; give both SMTP_USERNAME and SMTP_PASSWORD, or neither"),
    };
    match (username, password) {
        (Some(username), Some(password)) => Ok(Some((username, password))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(missing("SMTP_PASSWORD", "SMTP_USERNAME")),
        (None, Some(_)) => Err(missing("SMTP_USERNAME", "SMTP_PASSWORD")),
    }
}

impl SmtpTls {
    /// The port each mode conventionally uses: submission (587), submissions (465), smtp (25).
    pub fn default_port(self) -> u16 {
        match self {
            SmtpTls::None => 25,
            SmtpTls::StartTls => 587,
            SmtpTls::Tls => 465,
        }
    }
}

impl FromStr for SmtpTls {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "none" => Ok(SmtpTls::None),
            "starttls" => Ok(SmtpTls::StartTls),
            "tls" => Ok(SmtpTls::Tls),
            _ => Err("use none, starttls or tls".to_owned()),
        }
    }
}

impl fmt::Display for SmtpTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SmtpTls::None => "no TLS",
            SmtpTls::StartTls => "STARTTLS",
            SmtpTls::Tls => "TLS",
        })
    }
}

// By hand so that logging the settings never prints the SMTP password.
impl fmt::Debug for TransportSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportSettings::Smtp {
                host,
                port,
                tls,
                credentials,
            } => f
                .debug_struct("Smtp")
                .field("host", host)
                .field("port", port)
                .field("tls", tls)
                .field(
                    "credentials",
                    &credentials.as_ref().map(|(username, _)| (username, "…")),
                )
                .finish(),
            TransportSettings::Files { dir } => f.debug_struct("Files").field("dir", dir).finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn settings(vars: &[(&'static str, &'static str)]) -> Result<MailSettings, ConfigError> {
        MailSettings::from_source(&vars.iter().copied().collect::<BTreeMap<_, _>>())
    }

    fn smtp(host: &str, port: u16, tls: SmtpTls) -> TransportSettings {
        TransportSettings::Smtp {
            host: host.to_owned(),
            port,
            tls,
            credentials: None,
        }
    }

    #[test]
    fn without_smtp_host_mail_goes_to_files() {
        assert_eq!(
            settings(&[]),
            Ok(MailSettings {
                from: DEFAULT_FROM.to_owned(),
                transport: TransportSettings::Files {
                    dir: PathBuf::from(".data/mail")
                },
            })
        );
        let custom = settings(&[("MAIL_DIR", "/tmp/outbox"), ("SMTP_TLS", "ignored")]);
        assert_eq!(
            custom.unwrap().transport,
            TransportSettings::Files {
                dir: PathBuf::from("/tmp/outbox")
            }
        );
    }

    #[test]
    fn the_port_defaults_from_the_tls_mode() {
        let host = ("SMTP_HOST", "smtp.example.org");
        let transport = |tls: &'static str| settings(&[host, ("SMTP_TLS", tls)]).unwrap().transport;
        assert_eq!(
            settings(&[host]).unwrap().transport,
            smtp("smtp.example.org", 587, SmtpTls::StartTls)
        );
        assert_eq!(
            transport("STARTTLS"),
            smtp("smtp.example.org", 587, SmtpTls::StartTls)
        );
        assert_eq!(
            transport("tls"),
            smtp("smtp.example.org", 465, SmtpTls::Tls)
        );
        assert_eq!(
            transport("none"),
            smtp("smtp.example.org", 25, SmtpTls::None)
        );
        let explicit = settings(&[host, ("SMTP_TLS", "none"), ("SMTP_PORT", "2525")]);
        assert_eq!(
            explicit.unwrap().transport,
            smtp("smtp.example.org", 2525, SmtpTls::None)
        );
    }

    #[test]
    fn bad_tls_mode_and_port_are_named() {
        let host = ("SMTP_HOST", "smtp.example.org");
        assert_eq!(
            settings(&[host, ("SMTP_TLS", "ssl")])
                .unwrap_err()
                .to_string(),
            "configuration: SMTP_TLS=\"ssl\" is invalid: use none, starttls or tls"
        );
        for port in ["0", "70000", "submission"] {
            let error = settings(&[host, ("SMTP_PORT", port)])
                .unwrap_err()
                .to_string();
            assert!(
                error.starts_with(&format!("configuration: SMTP_PORT=\"{port}\" is invalid")),
                "{error}"
            );
        }
    }

    #[test]
    fn credentials_come_in_pairs() {
        let host = ("SMTP_HOST", "smtp.example.org");
        let both = settings(&[
            host,
            ("SMTP_USERNAME", "almanac"),
            ("SMTP_PASSWORD", " secret "),
        ]);
        let TransportSettings::Smtp { credentials, .. } = both.unwrap().transport else {
            panic!("expected SMTP");
        };
        assert_eq!(
            credentials,
            Some(("almanac".to_owned(), " secret ".to_owned()))
        );

        let error = settings(&[host, ("SMTP_USERNAME", "almanac")])
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "configuration: SMTP_PASSWORD is not set (SMTP_USERNAME is set; give both \
             SMTP_USERNAME and SMTP_PASSWORD, or neither)"
        );
        let error = settings(&[host, ("SMTP_PASSWORD", "secret")]).unwrap_err();
        assert!(
            matches!(&error, ConfigError::Missing { name, .. } if name == "SMTP_USERNAME"),
            "{error}"
        );
    }

    #[test]
    fn mail_from_must_be_a_mailbox() {
        for from in [
            "noreply@example.org",
            "Statistics Unit <stats@example.gov.uk>",
        ] {
            assert_eq!(settings(&[("MAIL_FROM", from)]).unwrap().from, from);
        }
        let error = settings(&[("MAIL_FROM", "Almanac")]).unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("configuration: MAIL_FROM=\"Almanac\" is invalid: not a mailbox"),
            "{message}"
        );
        assert!(!message.contains('\n'));
    }

    #[test]
    fn debug_output_hides_the_password() {
        let settings = settings(&[
            ("SMTP_HOST", "smtp.example.org"),
            ("SMTP_USERNAME", "almanac"),
            ("SMTP_PASSWORD", "hunter2"),
        ])
        .unwrap();
        let debug = format!("{settings:?}");
        assert!(
            debug.contains("almanac") && !debug.contains("hunter2"),
            "{debug}"
        );
    }
}
