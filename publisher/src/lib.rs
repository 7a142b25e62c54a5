//! The Almanac publisher: the web application in which editors write, review and publish
//! pages. This crate is the HTTP edge: it turns requests into calls on the libraries and
//! their errors into responses. `main.rs` only parses the command line.

pub mod config;
pub mod db;
pub mod error;
pub mod routes;

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
}

impl AppState {
    pub fn new(db: Db, config: PublisherConfig) -> AppState {
        AppState {
            db,
            config: Arc::new(config),
            site: Arc::new(almanac_render::SiteSettings::default()),
        }
    }
}

/// The whole application, ready to serve.
pub fn app(state: AppState) -> Router {
    routes::router(state)
}
