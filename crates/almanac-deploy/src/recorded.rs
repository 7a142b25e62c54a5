//! The whole bucket deploy protocol in one call: load, plan, begin, deploy, then save or
//! record progress, for any number of buckets (the primary and the mirror).

use almanac_site::{Manifest, Site};
use diesel::pg::PgConnection;
use futures_util::future::join_all;

use crate::s3::{DeployError, DeployOptions, DeployReport, S3Target};
use crate::store::{Holds, ManifestStore, StoreError};

/// A bucket and the manifest it is recorded under.
#[derive(Debug, Clone, Copy)]
pub struct Bucket<'a> {
    pub store: &'a ManifestStore,
    pub target: &'a S3Target,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordedError {
    /// Superseded (`Fenced`) or a database failure; when it happens before the deploy,
    /// nothing was sent.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A delete cap refused the deploy before anything was marked or sent.
    #[error(transparent)]
    Refused(DeployError),
    /// At least one bucket failed. Every bucket's finished steps are recorded; none of the
    /// manifests is saved as complete, so the next build finishes the job.
    #[error("{}", describe(results))]
    Failed {
        /// Per bucket, in the order given: the store's target name and its outcome.
        results: Vec<(String, Result<DeployReport, DeployError>)>,
    },
}

fn describe(results: &[(String, Result<DeployReport, DeployError>)]) -> String {
    results
        .iter()
        .map(|(name, result)| match result {
            Ok(_) => format!("{name}: deployed"),
            Err(error) => format!("{name}: {error}"),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Deploys `site` to every bucket at once under fencing number `fence`, following the
/// protocol in the crate documentation:
///
/// 1. loads each manifest (pending files come back to be sent again);
/// 2. checks every delete cap (`Refused` before anything changes);
/// 3. `begin`s each target (`Fenced` if a newer build has written any of them);
/// 4. deploys to all buckets concurrently;
/// 5. if all succeeded, saves every manifest with `holds`; otherwise records the steps each
///    bucket finished and returns `Failed`.
///
/// The database calls are synchronous diesel on `conn`, made between the awaits.
pub async fn deploy_recorded(
    conn: &mut PgConnection,
    buckets: &[Bucket<'_>],
    site: &Site,
    fence: i64,
    holds: &Holds,
    options: &DeployOptions,
) -> Result<Vec<DeployReport>, RecordedError> {
    let wanted = Manifest::of(site);
    let mut previous = Vec::with_capacity(buckets.len());
    for bucket in buckets {
        previous.push(bucket.store.load(conn)?.manifest);
    }
    let mut plans = Vec::with_capacity(buckets.len());
    for (bucket, previous) in buckets.iter().zip(&previous) {
        plans.push(
            bucket
                .target
                .plan(previous, &wanted, options)
                .map_err(RecordedError::Refused)?,
        );
    }
    for (bucket, diff) in buckets.iter().zip(&plans) {
        bucket.store.begin(conn, fence, diff, &wanted)?;
    }
    let results = join_all(
        buckets
            .iter()
            .zip(plans)
            .map(|(bucket, diff)| bucket.target.run(site, &wanted, diff.steps, options)),
    )
    .await;
    if results.iter().all(Result::is_ok) {
        for bucket in buckets {
            bucket.store.save(conn, fence, &wanted, holds)?;
        }
        return Ok(results.into_iter().map(Result::unwrap_or_default).collect());
    }
    for (bucket, result) in buckets.iter().zip(&results) {
        let done: Vec<&str> = match result {
            Ok(report) => report.done_paths().collect(),
            Err(error) => error
                .completed()
                .map(|report| report.done_paths().collect())
                .unwrap_or_default(),
        };
        bucket
            .store
            .record_progress(conn, fence, &wanted, done.iter().copied())?;
    }
    Err(RecordedError::Failed {
        results: buckets
            .iter()
            .map(|bucket| bucket.store.target().to_owned())
            .zip(results)
            .collect(),
    })
}
