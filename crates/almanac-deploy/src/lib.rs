//! The deploy targets of the site build (issue 6): where a built [`Site`] goes.
//!
//! - [`ManifestStore`]: what each target holds, in Postgres (`deploy_target`,
//!   `deploy_file`), fenced against superseded builders and repairable after a crash;
//! - [`LocalFolder`]: a folder written whole, then swapped in with one rename;
//! - [`S3Target`]: a bucket, changed by the manifest diff (uploads, header-only copies,
//!   deletes in the safe order, with a delete cap, concurrency and retries), and checked by
//!   [`S3Target::verify`]; [`deploy_both`] does the primary and the mirror together;
//! - [`GitHistory`]: one commit per build that changes the site, pushed to a remote, and
//!   [`GitHistory::site_at`] to get an earlier site back for a rollback.
//!
//! Everything but S3 is synchronous (diesel, the file system, libgit2): run it on a blocking
//! thread from async code.
//!
//! # Deploying to a bucket
//!
//! ```text
//! let store = ManifestStore::new("primary")?;
//! let diff = store.diff(conn, &site)?;                   // the record beside the site, in path order
//! bucket.check_deletes(&diff, &options)?;                // delete cap, before any write
//! store.begin(conn, fence, &site, &diff)?;               // fenced; marks the diff's files pending
//! match bucket.run(&site, &diff, &options).await {
//!     Ok(_) => store.finish(conn, fence, &site, &diff, &Holds { build_id, git_commit })?,
//!     Err(error) => {
//!         if let Some(done) = error.completed() {        // not after a crash, of course
//!             let deleted = done.deleted.iter().map(String::as_str);
//!             store.record_progress(conn, fence, &site, done.written(), deleted)?;
//!         }
//!     }
//! }
//! ```
//!
//! # Memory
//!
//! A deploy never holds a whole manifest. `diff` reads the target's record a page at a time in
//! path order (`deploy_file.path` sorts in byte order, `COLLATE "C"`) and walks the site beside
//! it in the same order; the diff keeps each upload as the site's four-byte
//! [`almanac_site::FileId`] and only deletes as paths. Each step's path and bytes are put
//! together as it is sent, reports list written files by number, and `finish` writes the diff's
//! rows without reading the record again (`save`, for a record with no diff at hand, walks it
//! again). So a deploy costs about eight bytes per changed file beyond the site's index, where
//! two whole manifests of a 100,000-page site took about 900 MB.
//!
//! [`deploy_recorded`] does all of this for any number of buckets at once (the primary and
//! the mirror): it saves the manifests only when every bucket holds the new site (a build is
//! DONE only then), and otherwise records what each bucket did. [`deploy_both`] is the bare
//! two-bucket deploy without the store.
//!
//! # Fencing
//!
//! The caller passes the fencing number of its build claim (from the build queue; larger is
//! newer). `begin`, `record_progress`, `finish` and `save` lock the target's row, refuse a number lower
//! than the stored one with [`StoreError::Fenced`], and store the caller's. A builder that lost
//! its lease to a newer one can therefore never record its manifest over the newer deploy's.
//! [`ManifestStore::check`] tests the number without writing, for use between stages.
//!
//! S3 cannot fence the object writes themselves. A superseded builder stops at its next
//! fenced write, and earlier if its [`DeployOptions::progress`] callback returns `Break` once
//! its lease is lost (have the heartbeat set a flag the callback reads). Requests already in
//! flight finish within [`S3Config::attempt_timeout`]; with a lease longer than the heartbeat
//! interval plus that timeout, the old builder is silent before a new one can claim. Anything
//! it still sent is invisible to the manifest diff, but [`S3Target::verify`] reports it.
//!
//! # Crash repair
//!
//! The stored manifest describes what the target is known to hold. Before a deploy sends
//! anything, `begin` marks every file its diff touches as `pending` (inserting rows for new
//! files). A pending file may hold the old bytes, the new ones or nothing, so `diff` (and
//! `load`) gives it the impossible hash [`PENDING_SHA256`]: the next diff uploads it again if the site still
//! has it, and deletes it (idempotently) if not. Files the interrupted deploy did not touch
//! keep their real entries and are not sent again, and nothing is deleted that the site
//! still wants. `finish` (or `save`) makes the record match the site and clears every pending mark.
//! `record_progress` clears the marks of steps known to have finished (when a deploy fails
//! with an error rather than a crash), so only the rest is repeated.
//!
//! # The local folder
//!
//! See [`local`]: `current` is a symlink to `builds/<n>-<build>`, replaced by renaming a new
//! symlink over it; the last `keep` build folders stay for rollback and diagnosis.
//!
//! # The git history
//!
//! See [`git`]: commits are written from the site without a checkout, carry the trailer
//! `Almanac-Build: <id>` (so `site_at` finds a build), and are skipped when the tree is the
//! head's. A failed push is returned apart ([`GitReport::push`]) and never fails the deploy.
//! To fence it, treat the history as a target named `git`: [`ManifestStore::check`] before
//! the commit, and [`ManifestStore::save`] after, with the commit in [`Holds::git_commit`].

pub mod git;
pub mod local;
pub mod recorded;
pub mod s3;
pub mod store;

pub use almanac_site::{Manifest, Site};
pub use git::{
    BUILD_TRAILER, Change, ChangedFiles, CommitInfo, CommitOutcome, GitConfig, GitError,
    GitHistory, GitReport, PushError, PushReport,
};
pub use local::{LocalError, LocalFolder, LocalReport, Staging};
pub use recorded::{Bucket, RecordedError, deploy_recorded};
pub use s3::{
    BothError, BothReport, DeleteCap, DeployError, DeployOptions, DeployReport, Difference, Drift,
    ENVIRONMENT_MARKER, ObjectDrift, Progress, ProgressFn, RetryPolicy, S3Config, S3Error,
    S3Target, VerifyOptions, deploy_both,
};
pub use store::{Holds, ManifestStore, PENDING_SHA256, StoreError, StoredManifest};
