//! The content model of Almanac: the generated diesel schema, the domain rules of measures,
//! versions and users, reference data, and the queries the publisher and builder share.
//!
//! This crate knows nothing of HTTP: errors are narrow types that the publisher maps to
//! responses.

pub mod area;
pub mod builds;
pub mod dashboard_views;
pub mod dashboards;
pub mod db;
pub mod measures;
pub mod models;
pub mod pages;
pub mod reference;
pub mod schema;
pub mod site;
pub mod site_pages;
pub mod snapshot;
pub mod status;
pub mod stored_enum;
pub mod users;
pub mod version;

pub use area::{Area, describe_area_covered};
pub use status::PublishStatus;
pub use users::{Capability, UserType};
pub use version::{UpdateKind, VersionNumber};
