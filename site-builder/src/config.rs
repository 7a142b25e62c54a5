//! The site builder's configuration, from environment variables (ADR 0005). Everything has
//! an embedded default except S3, which is off until both buckets are named.

use std::path::PathBuf;
use std::time::Duration;

use almanac_config::{ConfigError, VarSource, optional, parsed, required};
use almanac_deploy::{DeleteCap, DeployOptions, GitConfig, S3Config};

pub struct BuilderConfig {
    /// `SITE_DIR` (default `.data/site`): the local folder target.
    pub site_dir: PathBuf,
    /// `SITE_PUBLIC_URL` (default `http://localhost:8000`): the public address, for the
    /// sitemap and canonical links.
    pub public_url: String,
    /// `SITE_GIT_DIR` (default `.data/site-history`): the history repository; `SITE_GIT_DIR=off`
    /// turns it off.
    pub git: Option<GitConfig>,
    /// `S3_PRIMARY_BUCKET` and `S3_MIRROR_BUCKET`, with `S3_ENDPOINT`, `S3_REGION`,
    /// `S3_ACCESS_KEY_ID`, `S3_SECRET_ACCESS_KEY`, `S3_PATH_STYLE`.
    pub buckets: Option<(S3Config, S3Config)>,
    /// `SITE_DELETE_CAP` (default 256): more deletes than this in one deploy need
    /// `--allow-deletes`.
    pub delete_cap: usize,
    /// `BUILD_LEASE_SECONDS` (default 120).
    pub lease: Duration,
    /// `GOVUK_FRONTEND_DIR`, `STATIC_DIR`, `UPLOAD_DIR`, `SITE_CHART_PNG` as for the publisher.
    pub govuk_dir: PathBuf,
    pub static_dir: PathBuf,
    pub uploads: almanac_uploads::UploadSettings,
    pub chart_png: bool,
}

impl BuilderConfig {
    pub fn from_source(source: &dyn VarSource) -> Result<BuilderConfig, ConfigError> {
        let public_url: String = parsed(
            source,
            "SITE_PUBLIC_URL",
            "http://localhost:8000".to_owned(),
        )?;
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(ConfigError::Invalid {
                name: "SITE_PUBLIC_URL".to_owned(),
                value: public_url,
                reason: "it must start with http:// or https://".to_owned(),
            });
        }
        let git = match optional(source, "SITE_GIT_DIR").as_deref() {
            Some("off") => None,
            other => {
                let mut config = GitConfig::new(other.unwrap_or(".data/site-history"));
                config.remote_url = optional(source, "SITE_GIT_REMOTE");
                Some(config)
            }
        };
        let buckets = match (
            optional(source, "S3_PRIMARY_BUCKET"),
            optional(source, "S3_MIRROR_BUCKET"),
        ) {
            (None, None) => None,
            (Some(primary), Some(mirror)) => {
                let bucket = |name: String| -> Result<S3Config, ConfigError> {
                    Ok(S3Config {
                        endpoint: optional(source, "S3_ENDPOINT"),
                        region: parsed(source, "S3_REGION", "eu-west-2".to_owned())?,
                        bucket: name,
                        access_key_id: required(
                            source,
                            "S3_ACCESS_KEY_ID",
                            "the key of an account that may write both buckets",
                        )?,
                        secret_access_key: required(
                            source,
                            "S3_SECRET_ACCESS_KEY",
                            "the secret of S3_ACCESS_KEY_ID",
                        )?,
                        path_style: parsed(source, "S3_PATH_STYLE", false)?,
                        ..S3Config::default()
                    })
                };
                Some((bucket(primary)?, bucket(mirror)?))
            }
            (primary, mirror) => {
                let missing = if primary.is_none() {
                    "S3_PRIMARY_BUCKET"
                } else {
                    "S3_MIRROR_BUCKET"
                };
                return Err(ConfigError::Invalid {
                    name: missing.to_owned(),
                    value: String::new(),
                    reason: format!(
                        "{} is set, so {missing} must be too: the site always goes to a \
                         primary and a mirror bucket",
                        primary.or(mirror).unwrap_or_default()
                    ),
                });
            }
        };
        let lease_seconds: u64 = parsed(source, "BUILD_LEASE_SECONDS", 120)?;
        if lease_seconds < 15 {
            return Err(ConfigError::Invalid {
                name: "BUILD_LEASE_SECONDS".to_owned(),
                value: lease_seconds.to_string(),
                reason: "a lease shorter than 15 seconds would expire between heartbeats".into(),
            });
        }
        Ok(BuilderConfig {
            site_dir: parsed(source, "SITE_DIR", PathBuf::from(".data/site"))?,
            public_url: public_url.trim_end_matches('/').to_owned(),
            git,
            buckets,
            delete_cap: parsed(source, "SITE_DELETE_CAP", 256)?,
            lease: Duration::from_secs(lease_seconds),
            govuk_dir: parsed(
                source,
                "GOVUK_FRONTEND_DIR",
                PathBuf::from("node_modules/govuk-frontend/dist/govuk"),
            )?,
            static_dir: parsed(source, "STATIC_DIR", PathBuf::from("static"))?,
            uploads: almanac_uploads::UploadSettings::from_source(source)?,
            chart_png: parsed(source, "SITE_CHART_PNG", false)?,
        })
    }

    pub fn deploy_options(&self, allow_deletes: bool) -> DeployOptions {
        DeployOptions {
            delete_cap: DeleteCap {
                at_least: self.delete_cap,
                percent: 0,
            },
            allow_deletes,
            ..DeployOptions::default()
        }
    }
}
