//! What the binaries tell their operators: error reports to Sentry, logs (human or JSON) and
//! Prometheus metrics.
//!
//! - [`init`] installs the Sentry client and the global `tracing` subscriber, once, at the
//!   start of `main`.
//! - [`report_server_error`] and [`report_build_failure`] send what must reach a developer.
//!   Besides those, panics and every `error!` event become Sentry events; client errors (4xx)
//!   are never reported because nothing on their path logs at `ERROR` or calls a report.
//! - [`Metrics`] is the registry each binary serves on `/metrics`; [`QueueState`] is the build
//!   queue as the metrics and the health checks show it.
//!
//! Like every library here, this one knows nothing of axum: the binaries wire it into their
//! routers.

mod logs;
mod metrics;
mod queue;
mod reports;
mod settings;

use std::borrow::Cow;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub use logs::{log_layer, sentry_layer};
pub use metrics::{BuildOutcome, CONTENT_TYPE, Metrics, UploadOutcome};
pub use queue::{LeaseState, QueueState, StartedBuild};
pub use reports::{
    REPORTED_TARGET, describe_error, identify_user, report_build_failure, report_server_error,
    sentry_options,
};
pub use settings::{LogFormat, TelemetrySettings};

#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("RUST_LOG is not a valid log filter: {0}")]
    LogFilter(#[from] tracing_subscriber::filter::ParseError),
    #[error("a logger was already installed: {0}")]
    AlreadyInstalled(#[from] tracing_subscriber::util::TryInitError),
}

/// Keeps the Sentry client alive. Dropping it waits (up to two seconds) for queued reports
/// to be sent, so keep it in `main` until the process ends.
pub struct Telemetry {
    sentry: sentry::ClientInitGuard,
}

impl Telemetry {
    /// Whether reports go anywhere: false without `SENTRY_DSN`.
    pub fn sends_reports(&self) -> bool {
        self.sentry.is_enabled()
    }
}

/// Installs the Sentry client and the global log subscriber for `service` ("publisher" or
/// "site-builder") in `environment` (`ENVIRONMENT`, as text). `release` is usually
/// `sentry::release_name!()` from the binary, so the version is the binary's own.
///
/// Without a DSN the client is disabled: nothing is sent and no connection is made.
pub fn init(
    service: &'static str,
    environment: &str,
    settings: &TelemetrySettings,
    release: Option<Cow<'static, str>>,
) -> Result<Telemetry, TelemetryError> {
    // Sentry first, before any runtime starts, so that its panic hook and main hub cover
    // every thread spawned afterwards.
    let sentry = sentry::init(sentry_options(
        service,
        environment,
        settings.sentry_dsn.clone(),
        release,
    ));
    // RUST_LOG is the one setting read here rather than through a config struct (ADR 0005):
    // it belongs to tracing. A mistyped filter stops start-up like any other bad setting.
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.trim().is_empty() => EnvFilter::try_new(directives)?,
        _ => EnvFilter::new("info"),
    };
    tracing_subscriber::registry()
        .with(log_layer(settings.log_format_for(environment), std::io::stdout).with_filter(filter))
        .with(sentry_layer())
        .try_init()?;
    Ok(Telemetry { sentry })
}
