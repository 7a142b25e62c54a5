//! Runs one claimed build to the end: render and check the site, deploy it to every
//! configured target, and record the outcome — while a heartbeat renews the claim's lease.
//!
//! Targets are updated in this order: the local folder, the git history (one commit when the
//! site changed), then the S3 primary and mirror together. A failing git push does not stop
//! the S3 deploy: it is reported and retried by the next build. The build is DONE only when
//! every bucket holds the new site.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use diesel::pg::PgConnection;
use serde::Serialize;

use almanac_deploy::{
    Bucket, CommitInfo, CommitOutcome, DeployOptions, GitHistory, Holds, LocalFolder,
    ManifestStore, S3Target,
};

use almanac_site::Site;

use crate::pipeline::{BuildError, BuildInputs, Stage, build_site_into};
use crate::queue::{self, Claim, Outcome};

/// Where a build goes; any combination.
pub struct Targets {
    pub local: Option<LocalFolder>,
    pub git: Option<GitHistory>,
    /// The primary bucket and its mirror.
    pub buckets: Option<(S3Target, S3Target)>,
    pub deploy_options: DeployOptions,
}

/// What a finished build did, stored on its row and printed by the CLI.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub stages: Vec<Stage>,
    pub pages: usize,
    pub files: usize,
    pub bytes: u64,
    pub local: Option<LocalFigures>,
    pub git: Option<GitFigures>,
    pub buckets: Vec<BucketFigures>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LocalFigures {
    pub changed: bool,
    pub files_written: usize,
    /// Unchanged files hard-linked from the previous build instead of written.
    pub files_linked: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct GitFigures {
    pub commit: Option<String>,
    pub changed_pages: usize,
    /// Why the push failed; the next build pushes again.
    pub push_error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BucketFigures {
    pub bucket: String,
    pub uploaded: usize,
    pub updated: usize,
    pub deleted: usize,
    pub bytes_uploaded: u64,
    pub retries: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error("the local folder: {0}")]
    Local(#[from] almanac_deploy::LocalError),
    #[error("the git history: {0}")]
    Git(#[from] almanac_deploy::GitError),
    #[error("the buckets: {0}")]
    Buckets(#[from] almanac_deploy::RecordedError),
    #[error(transparent)]
    Queue(#[from] queue::QueueError),
    #[error("the build lost its claim (lease expired or replaced); it stopped without finishing")]
    LostClaim,
}

/// Renews the claim's lease every third of its length on a connection of its own, until
/// dropped; `lost` turns true if the claim is no longer ours.
struct Heartbeat {
    stop: Arc<AtomicBool>,
    lost: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Heartbeat {
    fn start(database_url: &str, claim: &Claim, lease: Duration) -> Heartbeat {
        let (stop, lost) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicBool::new(false)),
        );
        let (url, claim) = (database_url.to_owned(), claim.clone());
        let (stopping, losing) = (stop.clone(), lost.clone());
        let thread = std::thread::spawn(move || {
            let Ok(mut conn) = almanac_content::db::connect(&url) else {
                losing.store(true, Ordering::SeqCst);
                return;
            };
            let interval = lease / 3;
            let mut next = Instant::now() + interval;
            while !stopping.load(Ordering::SeqCst) {
                if Instant::now() >= next {
                    if queue::renew(&mut conn, &claim, lease, Utc::now()).is_err() {
                        losing.store(true, Ordering::SeqCst);
                        return;
                    }
                    next = Instant::now() + interval;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        Heartbeat {
            stop,
            lost,
            thread: Some(thread),
        }
    }

    fn lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What a build deploys.
pub enum Source<'a> {
    /// The site as the database holds it now.
    Render(&'a BuildInputs),
    /// An earlier site, taken back from the git history: a rollback.
    Given(Box<almanac_site::Site>),
}

/// Runs the claimed build and records DONE (with the summary) or FAILED (with the reason).
pub async fn run(
    conn: &mut PgConnection,
    database_url: &str,
    claim: &Claim,
    lease: Duration,
    source: Source<'_>,
    targets: &Targets,
) -> Result<Summary, RunError> {
    let heartbeat = Heartbeat::start(database_url, claim, lease);
    let outcome = deploy(conn, claim, source, targets, &heartbeat).await;
    drop(heartbeat);
    match outcome {
        Ok(summary) => {
            let stats = serde_json::to_value(&summary).unwrap_or_default();
            queue::finish(conn, claim, &Outcome::Done { stats })?;
            Ok(summary)
        }
        Err(RunError::LostClaim) => Err(RunError::LostClaim),
        Err(error) => {
            // A fenced-off builder cannot record anything, and must not.
            let _ = queue::finish(
                conn,
                claim,
                &Outcome::Failed {
                    reason: error.to_string(),
                },
            );
            Err(error)
        }
    }
}

async fn deploy(
    conn: &mut PgConnection,
    claim: &Claim,
    source: Source<'_>,
    targets: &Targets,
    heartbeat: &Heartbeat,
) -> Result<Summary, RunError> {
    let build_id = claim.build_id.to_string();
    // The site is written as it renders: straight into the local folder's next build when
    // there is one, else into a temporary folder that goes when the deploy ends.
    let mut scratch = None;
    let (mut site, mut stages) = match source {
        Source::Render(inputs) => {
            let output = match &targets.local {
                Some(folder) => {
                    let staging = folder.staging(&build_id)?;
                    Site::in_folder(staging.folder, staging.base).map_err(BuildError::from)?
                }
                None => {
                    let dir = tempfile::Builder::new()
                        .prefix("almanac-build-")
                        .tempdir()
                        .map_err(|source| {
                            BuildError::from(almanac_site::SiteError::Io {
                                path: std::env::temp_dir(),
                                source,
                            })
                        })?;
                    let site =
                        Site::in_folder(dir.path().join("site"), None).map_err(BuildError::from)?;
                    scratch = Some(dir);
                    site
                }
            };
            let built = build_site_into(conn, inputs, output).await?;
            (built.site, built.stages)
        }
        Source::Given(site) => (*site, Vec::new()),
    };
    if heartbeat.lost() {
        return Err(RunError::LostClaim);
    }

    let started = Instant::now();
    let local = match &targets.local {
        Some(folder) => {
            let report = folder.deploy(&mut site, &build_id)?;
            Some(LocalFigures {
                changed: report.changed,
                files_written: report.files_written,
                files_linked: report.files_linked,
            })
        }
        None => None,
    };
    stages.push(Stage::new(
        "local folder",
        started.elapsed(),
        local.as_ref().map_or(0, |local| local.files_written),
        0,
    ));

    let started = Instant::now();
    let mut git_commit = None;
    let git = match &targets.git {
        Some(history) => {
            let report = history.commit_and_push(
                &site,
                &CommitInfo {
                    build_id: &build_id,
                    requester: &claim.requested_by,
                    time: Utc::now(),
                },
            )?;
            let (commit, changed_pages) = match &report.commit {
                CommitOutcome::Committed { commit, changed } => {
                    git_commit = Some(commit.clone());
                    (Some(commit.clone()), changed.pages().count())
                }
                CommitOutcome::Unchanged { head } => {
                    git_commit = Some(head.clone());
                    (None, 0)
                }
            };
            Some(GitFigures {
                commit,
                changed_pages,
                push_error: report
                    .push
                    .and_then(|push| push.err())
                    .map(|error| error.to_string()),
            })
        }
        None => None,
    };
    stages.push(Stage::new(
        "git",
        started.elapsed(),
        git.as_ref().map_or(0, |git| git.changed_pages),
        0,
    ));

    let started = Instant::now();
    let mut buckets = Vec::new();
    if let Some((primary, mirror)) = &targets.buckets {
        if heartbeat.lost() {
            return Err(RunError::LostClaim);
        }
        let lost = heartbeat.lost.clone();
        let mut options = targets.deploy_options.clone();
        options.progress = Some(Arc::new(move |_| {
            if lost.load(Ordering::SeqCst) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }));
        let (primary_store, mirror_store) = (
            ManifestStore::new("primary").map_err(almanac_deploy::RecordedError::Store)?,
            ManifestStore::new("mirror").map_err(almanac_deploy::RecordedError::Store)?,
        );
        let reports = almanac_deploy::deploy_recorded(
            conn,
            &[
                Bucket {
                    store: &primary_store,
                    target: primary,
                },
                Bucket {
                    store: &mirror_store,
                    target: mirror,
                },
            ],
            &site,
            claim.fence,
            &Holds {
                build_id: Some(claim.build_id),
                git_commit,
            },
            &options,
        )
        .await?;
        for report in reports {
            buckets.push(BucketFigures {
                bucket: report.bucket.clone(),
                uploaded: report.uploaded.len(),
                updated: report.updated.len(),
                deleted: report.deleted.len(),
                bytes_uploaded: report.bytes_uploaded,
                retries: report.retries as usize,
            });
        }
    }
    stages.push(Stage::new(
        "buckets",
        started.elapsed(),
        buckets
            .iter()
            .map(|bucket| bucket.uploaded + bucket.deleted)
            .sum(),
        buckets.iter().map(|bucket| bucket.bytes_uploaded).sum(),
    ));
    drop(scratch);

    Ok(Summary {
        pages: site
            .iter()
            .filter(|(path, _)| path.ends_with(".html"))
            .count(),
        files: site.len(),
        bytes: site.total_bytes(),
        stages,
        local,
        git,
        buckets,
    })
}
