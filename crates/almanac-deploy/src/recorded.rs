//! The whole bucket deploy protocol in one call: load, plan, begin, deploy, then save or
//! record progress, for any number of buckets (the primary and the mirror).

use almanac_site::Site;
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
/// 5. if all succeeded, records every diff as done, with `holds`; otherwise records the steps each
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
    let mut plans = Vec::with_capacity(buckets.len());
    for bucket in buckets {
        let diff = bucket.store.diff(conn, site)?;
        bucket
            .target
            .check_deletes(&diff, options)
            .map_err(RecordedError::Refused)?;
        plans.push(diff);
    }
    for (bucket, diff) in buckets.iter().zip(&plans) {
        bucket.store.begin(conn, fence, site, diff)?;
    }
    let results = join_all(
        buckets
            .iter()
            .zip(&plans)
            .map(|(bucket, diff)| bucket.target.run(site, diff, options)),
    )
    .await;
    if results.iter().all(Result::is_ok) {
        for (bucket, diff) in buckets.iter().zip(&plans) {
            bucket.store.finish(conn, fence, site, diff, holds)?;
        }
        return Ok(results.into_iter().map(Result::unwrap_or_default).collect());
    }
    for (bucket, result) in buckets.iter().zip(&results) {
        let report = match result {
            Ok(report) => Some(report),
            Err(error) => error.completed(),
        };
        if let Some(report) = report {
            bucket.store.record_progress(
                conn,
                fence,
                site,
                report.written(),
                report.deleted.iter().map(String::as_str),
            )?;
        }
    }
    Err(RecordedError::Failed {
        results: buckets
            .iter()
            .map(|bucket| bucket.store.target().to_owned())
            .zip(results)
            .collect(),
    })
}
