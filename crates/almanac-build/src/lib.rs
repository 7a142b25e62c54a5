//! The site build (issue 6, ADR 0011).
//!
//! - [`queue`]: build requests in Postgres. A builder claims the newest request with
//!   `FOR UPDATE SKIP LOCKED`, which covers every older one; the database allows one STARTED
//!   build at a time; a claim carries a lease the builder renews and a fencing number that
//!   later writes must present.
//! - [`assets`]: GOV.UK Frontend's and Almanac's assets, stylesheets and scripts named by
//!   their content hash.
//! - [`checks`]: every internal link and anchor resolves and every page has a title, or the
//!   build fails before deploying anything.
//! - [`pipeline`]: one build's stages, from the snapshot to the checked site.
//! - [`run`]: a claimed build to the end — local folder, git history, S3 primary and
//!   mirror — under a heartbeat, recorded as DONE or FAILED.

pub mod assets;
pub mod checks;
pub mod pipeline;
pub mod queue;
pub mod run;
