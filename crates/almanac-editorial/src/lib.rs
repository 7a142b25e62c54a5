//! The editorial workflow of Almanac: what can happen to a measure version, who may do it,
//! and what else must change in the same transaction (the build request when something is
//! published or unpublished, the audit event for every step).
//!
//! - `workflow`: the state machine, its guards and the send-to-review checks;
//! - `versions`: minor and major updates, with the model's copy semantics;
//! - `review`: review links for readers without an account.
//!
//! Like `almanac-accounts`, every function takes a connection and `now`, and knows nothing
//! of HTTP.

pub mod builds;
pub mod data_sources;
pub mod dimensions;
pub mod edit;
mod guard;
pub mod lifecycle;
pub mod review;
pub mod scheduled_publishing;
pub mod site_pages;
pub mod topics;
pub mod uploads;
pub mod versions;
pub mod workflow;

pub use workflow::{Action, WorkflowError};
