//! Upload settings from the environment (`UPLOAD_MAX_BYTES`, `CLAMD_ADDRESS`, `UPLOAD_DIR`;
//! see `.env.example`). Read by the publisher.

use std::path::PathBuf;

use almanac_config::{ConfigError, Environment, VarSource, optional};

use crate::{ClamdAddress, DEFAULT_MAX_BYTES, UploadLimits};

pub const DEFAULT_UPLOAD_DIR: &str = ".data/uploads";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadSettings {
    pub limits: UploadLimits,
    /// clamd to scan every upload with. `None` only in development (see
    /// [`UploadSettings::from_source`]).
    pub clamd: Option<ClamdAddress>,
    /// The root of the [`crate::LocalStore`].
    pub upload_dir: PathBuf,
}

impl UploadSettings {
    /// `UPLOAD_MAX_BYTES` is a byte count, optionally with the suffix `K`, `M` or `G`
    /// (binary multiples, as in clamd.conf); default 50M.
    ///
    /// `CLAMD_ADDRESS` is required unless `ENVIRONMENT` is development: a deployment that
    /// forgot it would otherwise store files nobody scanned. In development it may be unset,
    /// so that `./dev run` works without ClamAV; the publisher then decides what an upload
    /// without a scanner does (it should say so on the page and in the log).
    pub fn from_source(source: &dyn VarSource) -> Result<UploadSettings, ConfigError> {
        let max_bytes = match optional(source, "UPLOAD_MAX_BYTES") {
            None => DEFAULT_MAX_BYTES,
            Some(value) => parse_size(&value).map_err(|reason| ConfigError::Invalid {
                name: "UPLOAD_MAX_BYTES".to_owned(),
                value,
                reason,
            })?,
        };
        let clamd = match optional(source, "CLAMD_ADDRESS") {
            Some(value) => Some(value.parse().map_err(|reason| ConfigError::Invalid {
                name: "CLAMD_ADDRESS".to_owned(),
                value,
                reason,
            })?),
            None if Environment::from_source(source)? == Environment::Development => None,
            None => {
                return Err(ConfigError::Missing {
                    name: "CLAMD_ADDRESS".to_owned(),
                    hint: "clamd's host:port or unix socket path; uploads are scanned for \
                           viruses outside development"
                        .to_owned(),
                });
            }
        };
        let upload_dir = optional(source, "UPLOAD_DIR")
            .unwrap_or_else(|| DEFAULT_UPLOAD_DIR.to_owned())
            .into();
        Ok(UploadSettings {
            limits: UploadLimits { max_bytes },
            clamd,
            upload_dir,
        })
    }
}

/// `52428800`, `51200K`, `50M`, `1G`.
fn parse_size(text: &str) -> Result<u64, String> {
    let (digits, multiplier) = match text.as_bytes().last() {
        Some(b'K' | b'k') => (&text[..text.len() - 1], 1u64 << 10),
        Some(b'M' | b'm') => (&text[..text.len() - 1], 1 << 20),
        Some(b'G' | b'g') => (&text[..text.len() - 1], 1 << 30),
        _ => (text, 1),
    };
    let help = "use a number of bytes, optionally with K, M or G (e.g. 50M)";
    let number: u64 = digits.trim().parse().map_err(|_| help.to_owned())?;
    match number.checked_mul(multiplier) {
        Some(0) => Err("must be more than 0".to_owned()),
        Some(bytes) => Ok(bytes),
        None => Err(help.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn settings(vars: &[(&'static str, &'static str)]) -> Result<UploadSettings, ConfigError> {
        UploadSettings::from_source(&vars.iter().copied().collect::<BTreeMap<_, _>>())
    }

    #[test]
    fn defaults_suit_development() {
        assert_eq!(
            settings(&[]),
            Ok(UploadSettings {
                limits: UploadLimits {
                    max_bytes: 50 * 1024 * 1024
                },
                clamd: None,
                upload_dir: PathBuf::from(".data/uploads"),
            })
        );
    }

    #[test]
    fn reads_every_variable() {
        let read = settings(&[
            ("UPLOAD_MAX_BYTES", "10M"),
            ("CLAMD_ADDRESS", "/run/clamav/clamd.ctl"),
            ("UPLOAD_DIR", "/srv/almanac/uploads"),
        ])
        .unwrap();
        assert_eq!(read.limits.max_bytes, 10 * 1024 * 1024);
        assert_eq!(
            read.clamd,
            Some(ClamdAddress::Unix("/run/clamav/clamd.ctl".into()))
        );
        assert_eq!(read.upload_dir, PathBuf::from("/srv/almanac/uploads"));
        assert_eq!(
            settings(&[("UPLOAD_MAX_BYTES", "1000")])
                .unwrap()
                .limits
                .max_bytes,
            1000
        );
    }

    #[test]
    fn a_deployment_needs_a_scanner() {
        let error = settings(&[("ENVIRONMENT", "production")]).unwrap_err();
        assert!(
            error.to_string().contains("CLAMD_ADDRESS is not set"),
            "{error}"
        );
        assert!(settings(&[("ENVIRONMENT", "staging"), ("CLAMD_ADDRESS", "clamav:3310")]).is_ok());
    }

    #[test]
    fn names_bad_values() {
        for (name, value) in [
            ("UPLOAD_MAX_BYTES", "lots"),
            ("UPLOAD_MAX_BYTES", "0"),
            ("UPLOAD_MAX_BYTES", "99999999999G"),
            ("CLAMD_ADDRESS", "clamav"),
        ] {
            let error = settings(&[(name, value)]).unwrap_err().to_string();
            assert!(
                error.starts_with(&format!("configuration: {name}=")),
                "{error}"
            );
        }
    }
}
