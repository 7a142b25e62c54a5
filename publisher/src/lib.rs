//! The Almanac publisher: the web application in which editors write, review and publish
//! pages. This crate is the HTTP edge: it turns requests into calls on the libraries and
//! their errors into responses. `main.rs` only parses the command line.

pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod observability;
pub mod pages;
pub mod routes;
pub mod security;

use std::sync::Arc;

use axum::Router;

pub use config::PublisherConfig;
pub use db::Db;

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<PublisherConfig>,
    pub site: Arc<almanac_render::SiteSettings>,
    pub mailer: almanac_mail::Mailer,
    pub rate_limits: security::rate_limit::RateLimits,
    pub review_links: almanac_editorial::review::ReviewLinks,
    /// Where source-data files are kept (`UPLOAD_DIR`).
    pub files: almanac_uploads::FileStore,
    /// The virus scanner; `None` only in development without `CLAMD_ADDRESS`, and then
    /// uploads are refused rather than stored unscanned.
    pub scanner: Option<almanac_uploads::Clamd>,
    /// This instance's Prometheus metrics, served on `METRICS_ADDR`.
    pub metrics: Arc<almanac_telemetry::Metrics>,
}

impl AppState {
    /// With `DATABASE_READ_URL` set, `db` gains the read replica (connected lazily).
    pub fn new(db: Db, config: PublisherConfig) -> Result<AppState, almanac_mail::MailError> {
        let db = match &config.database_read_url {
            Some(url) => db.with_replica(url, config.pool_size),
            None => db,
        };
        Ok(AppState {
            db,
            mailer: almanac_mail::Mailer::from_settings(&config.mail)?,
            rate_limits: security::rate_limit::RateLimits::new(config.login_attempts_per_minute),
            review_links: almanac_editorial::review::ReviewLinks {
                keys: config.secret_key.clone(),
                lifetime: chrono::Duration::days(config.review_link_days),
            },
            files: almanac_uploads::FileStore::Local(almanac_uploads::LocalStore::new(
                config.uploads.upload_dir.clone(),
            )),
            scanner: config
                .uploads
                .clamd
                .clone()
                .map(almanac_uploads::Clamd::new),
            metrics: Arc::new(almanac_telemetry::Metrics::new()),
            site: Arc::new(almanac_render::SiteSettings {
                chart_png: config.chart_png,
                ..almanac_render::SiteSettings::default()
            }),
            config: Arc::new(config),
        })
    }

    /// An absolute link for an email: `PUBLIC_URL` followed by `path`.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.config.public_url)
    }
}

/// The whole application, ready to serve.
pub fn app(state: AppState) -> Router {
    let metrics = state.metrics.clone();
    observability::observed(routes::router(state), metrics)
}
