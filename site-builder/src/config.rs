//! The site builder's configuration, from environment variables (ADR 0005). Everything has
//! an embedded default except S3, which is off until both buckets are named.

use std::path::PathBuf;
use std::time::Duration;

use almanac_config::{ConfigError, VarSource, optional, parsed, required};
use almanac_deploy::{DeleteCap, DeployOptions, GitConfig, S3Config};

pub struct BuilderConfig {
    /// `ENVIRONMENT`: written to each bucket's `.almanac-environment` marker and checked
    /// against it before deploying.
    pub environment: almanac_config::Environment,
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
    /// Refuses, outside production, a bucket or git remote listed as production's, and in
    /// production the development defaults: the `localhost` address and a site that reaches
    /// no bucket (`almanac_config::guard`).
    pub fn from_source(source: &dyn VarSource) -> Result<BuilderConfig, ConfigError> {
        let guard = almanac_config::guard::Guard::from_source(source)?;
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
                if let Some(remote) = &config.remote_url {
                    guard.check_git_remote("SITE_GIT_REMOTE", remote)?;
                }
                Some(config)
            }
        };
        let buckets = match (
            optional(source, "S3_PRIMARY_BUCKET"),
            optional(source, "S3_MIRROR_BUCKET"),
        ) {
            (None, None) => None,
            (Some(primary), Some(mirror)) => {
                guard.check_bucket("S3_PRIMARY_BUCKET", &primary)?;
                guard.check_bucket("S3_MIRROR_BUCKET", &mirror)?;
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
        almanac_config::guard::check_production_url(
            guard.environment,
            "SITE_PUBLIC_URL",
            &public_url,
        )?;
        if guard.environment == almanac_config::Environment::Production && buckets.is_none() {
            return Err(ConfigError::Missing {
                name: "S3_PRIMARY_BUCKET".to_owned(),
                hint: "production deploys the site to its primary and mirror buckets; without \
                       them a build would only reach this machine's SITE_DIR"
                    .to_owned(),
            });
        }
        let lease_seconds: u64 = parsed(source, "BUILD_LEASE_SECONDS", 120)?;
        if lease_seconds < 15 {
            return Err(ConfigError::Invalid {
                name: "BUILD_LEASE_SECONDS".to_owned(),
                value: lease_seconds.to_string(),
                reason: "a lease shorter than 15 seconds would expire between heartbeats".into(),
            });
        }
        Ok(BuilderConfig {
            environment: guard.environment,
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

/// A job's schedule: a 6-field cron expression (seconds first, in UTC), or off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    Cron(String),
    Off,
}

/// The scheduled jobs of `site-builder run`. Each has `JOB_<NAME>_SCHEDULE` to change when it
/// runs (`off` stops it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Re-announces waiting requests, in case one was never announced (the model's
    /// 10-minute poll, kept as a safety net).
    BuildSafetyNet,
    /// Fails stalled builds and reports failed ones; each is reported again every
    /// `ALERT_REPEAT_MINUTES` until acknowledged.
    BuildAlerts,
    /// Publishes versions whose publishing time has come.
    ScheduledPublishing,
    /// Refreshes the dashboards' materialized views (every build refreshes them too).
    RefreshViews,
    /// Deletes old builds (see `BUILD_KEEP`).
    DeleteOldBuilds,
    /// The staging data pull from `PULL_SOURCE_URL` (off unless scheduled; never in
    /// production).
    StagingDataPull,
}

impl JobKind {
    pub const ALL: [JobKind; 6] = [
        JobKind::BuildSafetyNet,
        JobKind::BuildAlerts,
        JobKind::ScheduledPublishing,
        JobKind::RefreshViews,
        JobKind::DeleteOldBuilds,
        JobKind::StagingDataPull,
    ];

    /// The name in logs, in `scheduled_job` and in the advisory lock.
    pub fn name(self) -> &'static str {
        match self {
            JobKind::BuildSafetyNet => "build-safety-net",
            JobKind::BuildAlerts => "build-alerts",
            JobKind::ScheduledPublishing => "scheduled-publishing",
            JobKind::RefreshViews => "refresh-views",
            JobKind::DeleteOldBuilds => "delete-old-builds",
            JobKind::StagingDataPull => "staging-data-pull",
        }
    }

    fn variable(self) -> String {
        format!(
            "JOB_{}_SCHEDULE",
            self.name().to_uppercase().replace('-', "_")
        )
    }

    /// Every 20 seconds for alerts (a stall is noticed well within a minute), every 15 for
    /// publishing (within a minute of the time set), nightly for the housekeeping; the data
    /// pull only where an environment asks for it (staging: `0 0 3 * * *`).
    fn default_schedule(self) -> &'static str {
        match self {
            JobKind::BuildSafetyNet => "0 */10 * * * *",
            JobKind::BuildAlerts => "*/20 * * * * *",
            JobKind::ScheduledPublishing => "*/15 * * * * *",
            JobKind::RefreshViews => "0 0 2 * * *",
            JobKind::DeleteOldBuilds => "0 30 2 * * *",
            JobKind::StagingDataPull => "off",
        }
    }
}

/// `ALMANAC_RELEASE` (default the package version): recorded on each finished build, so a
/// worker started by a new release knows the site has not been built by it yet.
pub fn release(source: &dyn VarSource) -> String {
    optional(source, "ALMANAC_RELEASE").unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_owned())
}

pub struct WorkerConfig {
    /// Every job, with its schedule.
    pub schedules: Vec<(JobKind, Schedule)>,
    /// `ENVIRONMENT`, in alert subjects.
    pub environment: almanac_config::Environment,
    /// `PUBLIC_URL`: the publisher's address, for the builds page link in alerts.
    pub publisher_url: String,
    /// `ALERT_REPEAT_MINUTES` (default 60).
    pub alert_repeat: chrono::Duration,
    /// `BUILD_KEEP` (default 200): finished builds kept by the nightly clean-up.
    pub keep_builds: i64,
    /// `ALMANAC_RELEASE` (default the package version): a worker starting with a release
    /// that has not built the site yet asks for a build.
    pub release: String,
    pub mail: almanac_mail::MailSettings,
    /// The scheduled data pull's settings, when it is scheduled: `PULL_SOURCE_URL`,
    /// `PULL_SAMPLE`, `PULL_UPLOADS_FROM`, `ALMANAC_TEST_PASSWORD`, and `UPLOAD_DIR`.
    pub pull: Option<almanac_jobs::pull::PullOptions>,
}

impl WorkerConfig {
    pub fn from_source(source: &dyn VarSource) -> Result<WorkerConfig, ConfigError> {
        let mut schedules = Vec::new();
        for job in JobKind::ALL {
            let variable = job.variable();
            let text =
                optional(source, &variable).unwrap_or_else(|| job.default_schedule().to_owned());
            let schedule = if text.trim().eq_ignore_ascii_case("off") {
                Schedule::Off
            } else {
                tokio_cron_scheduler::Job::new(text.trim(), |_, _| {}).map_err(|error| {
                    ConfigError::Invalid {
                        name: variable.clone(),
                        value: text.clone(),
                        reason: format!(
                            "not a 6-field cron expression (seconds minutes hours day month \
                             weekday) or “off”: {error}"
                        ),
                    }
                })?;
                Schedule::Cron(text.trim().to_owned())
            };
            schedules.push((job, schedule));
        }
        let alert_minutes: i64 = parsed(source, "ALERT_REPEAT_MINUTES", 60)?;
        if alert_minutes < 1 {
            return Err(ConfigError::Invalid {
                name: "ALERT_REPEAT_MINUTES".to_owned(),
                value: alert_minutes.to_string(),
                reason: "reports must repeat at least a minute apart".into(),
            });
        }
        let keep_builds: i64 = parsed(source, "BUILD_KEEP", 200)?;
        if keep_builds < 1 {
            return Err(ConfigError::Invalid {
                name: "BUILD_KEEP".to_owned(),
                value: keep_builds.to_string(),
                reason: "keep at least the latest build".into(),
            });
        }
        // The worker emails developers about failed builds: in production that must really
        // reach them.
        almanac_config::guard::check_production_mail(source)?;
        let environment = almanac_config::Environment::from_source(source)?;
        let pull = if schedules.contains(&(JobKind::StagingDataPull, Schedule::Off)) {
            None
        } else {
            let variable = JobKind::StagingDataPull.variable();
            if environment == almanac_config::Environment::Production {
                return Err(ConfigError::Invalid {
                    value: optional(source, &variable).unwrap_or_default(),
                    name: variable,
                    reason: "the data pull replaces the whole database and never runs in \
                             production: set it to off"
                        .into(),
                });
            }
            Some(almanac_jobs::pull::PullOptions {
                source_url: required(
                    source,
                    "PULL_SOURCE_URL",
                    "the database the scheduled data pull copies (production's replica)",
                )?,
                sample: parsed(source, "PULL_SAMPLE", false)?,
                uploads_from: optional(source, "PULL_UPLOADS_FROM").map(PathBuf::from),
                uploads_to: almanac_uploads::UploadSettings::from_source(source)?.upload_dir,
                test_password: required(
                    source,
                    "ALMANAC_TEST_PASSWORD",
                    "the password of the test accounts the data pull makes",
                )?,
            })
        };
        Ok(WorkerConfig {
            schedules,
            environment,
            publisher_url: parsed(source, "PUBLIC_URL", "http://127.0.0.1:8000".to_owned())?,
            alert_repeat: chrono::Duration::minutes(alert_minutes),
            keep_builds,
            release: release(source),
            mail: almanac_mail::MailSettings::from_source(source)?,
            pull,
        })
    }
}

#[cfg(test)]
mod worker_tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn jobs_have_working_defaults_and_refuse_bad_schedules_by_name() {
        let config =
            WorkerConfig::from_source(&BTreeMap::from([("JOB_REFRESH_VIEWS_SCHEDULE", "off")]))
                .unwrap();
        assert_eq!(config.schedules.len(), JobKind::ALL.len());
        assert!(
            config
                .schedules
                .contains(&(JobKind::RefreshViews, Schedule::Off))
        );
        assert!(config.schedules.contains(&(
            JobKind::BuildAlerts,
            Schedule::Cron("*/20 * * * * *".to_owned())
        )));
        assert_eq!(
            JobKind::ScheduledPublishing.variable(),
            "JOB_SCHEDULED_PUBLISHING_SCHEDULE"
        );
        assert_eq!(config.alert_repeat, chrono::Duration::hours(1));

        for (name, value) in [
            ("JOB_BUILD_ALERTS_SCHEDULE", "every minute"),
            ("ALERT_REPEAT_MINUTES", "0"),
            ("BUILD_KEEP", "none"),
        ] {
            let error = WorkerConfig::from_source(&BTreeMap::from([(name, value)]))
                .err()
                .unwrap_or_else(|| panic!("{name}={value} accepted"));
            assert!(error.to_string().contains(name), "{error}");
        }
    }

    #[test]
    fn the_data_pull_is_off_by_default_needs_a_source_and_never_runs_in_production() {
        assert!(
            WorkerConfig::from_source(&BTreeMap::new())
                .unwrap()
                .pull
                .is_none()
        );
        let nightly = ("JOB_STAGING_DATA_PULL_SCHEDULE", "0 0 3 * * *");
        let error = WorkerConfig::from_source(&BTreeMap::from([nightly]))
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("PULL_SOURCE_URL is not set"), "{error}");
        let staging = BTreeMap::from([
            nightly,
            ("ENVIRONMENT", "staging"),
            ("CLAMD_ADDRESS", "127.0.0.1:3310"),
            (
                "PULL_SOURCE_URL",
                "postgres://reader@replica.internal/almanac",
            ),
            ("ALMANAC_TEST_PASSWORD", "violet kettle orbit 42"),
            ("PULL_SAMPLE", "true"),
        ]);
        let pull = WorkerConfig::from_source(&staging).unwrap().pull.unwrap();
        assert!(pull.sample);
        let mut production = staging.clone();
        production.insert("ENVIRONMENT", "production");
        production.insert("SMTP_HOST", "smtp.example.org");
        let error = WorkerConfig::from_source(&production)
            .err()
            .unwrap()
            .to_string();
        assert!(
            error.contains("JOB_STAGING_DATA_PULL_SCHEDULE")
                && error.contains("never runs in production"),
            "{error}"
        );
    }
}
