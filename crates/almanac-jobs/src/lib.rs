//! The site builder's scheduled jobs, as plain functions over a database connection (and a
//! mailer for the alerts); the worker in `site-builder` runs them on their schedules, each
//! through [`exclusive::run_exclusive`] so no job runs twice at once across processes.
//!
//! - `alerts`: fail stalled builds, report failed ones to developers until acknowledged;
//! - `retention`: delete old builds;
//! - `release`: request a build when a new release starts;
//! - `pull`: the staging data pull (`site-builder pull-data`), anonymised;
//! - publishing at a set time is `almanac_editorial::scheduled_publishing::publish_due`, and
//!   the view refresh `almanac_content::db::refresh_dashboard_views`.

pub mod alerts;
pub mod exclusive;
pub mod pull;
pub mod release;
pub mod retention;

pub use exclusive::{JobError, JobRun, run_exclusive};
