//! The built site as data, shared by the renderer that makes it and the targets that deploy
//! it (a local folder, S3 buckets, a git history).
//!
//! - [`Site`]: every output file by path, with its size and hash (its content type and cache
//!   rule follow from the path), its bytes in memory or in a folder;
//! - [`Manifest`]: what a deployed copy holds (path → SHA-256, size, headers), so a deploy
//!   sends only what changed;
//! - [`ManifestDiff`]: the uploads, header-only updates and deletes that turn a deployed copy
//!   into the site, in the order that never leaves a page pointing at something missing. It
//!   is made by walking the copy's record and the site side by side in path order, so neither
//!   is held whole, and names the site's files by [`FileId`].

mod index;
mod manifest;
mod site;

pub use manifest::{
    DeployStep, DiffBuilder, Manifest, ManifestDiff, ManifestEntry, OutOfOrder, Phase, StepKind,
};
pub use site::{
    FileId, Prepared, Site, SiteError, SiteFile, cache_control_for, content_type_for,
    is_fingerprinted,
};
