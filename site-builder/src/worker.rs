//! `site-builder run`: the long-running builder. One thread builds (claims a request as soon
//! as the database announces it, then renders and deploys under a lease); the scheduler runs
//! the jobs of `config::JOBS` on their cron schedules beside it, each on a blocking thread
//! with a connection of its own and through `run_exclusive`, so several workers can run
//! without any job running twice at once.

use std::sync::Arc;
use std::time::Instant;

use almanac_build::{queue, run};
use almanac_config::ProcessEnv;
use almanac_content::db::{self, PgPool};
use almanac_jobs::alerts::{self, AlertSettings};
use almanac_jobs::{JobRun, release, retention, run_exclusive};
use almanac_mail::Mailer;
use almanac_telemetry::{BuildOutcome, Metrics};
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::config::{BuilderConfig, JobKind, Schedule, WorkerConfig};
use crate::telemetry;

/// Waits for requests and builds them, running the scheduled jobs beside, until stopped.
pub fn run(conn: &mut diesel::PgConnection, database_url: &str) -> anyhow::Result<()> {
    let builder = BuilderConfig::from_source(&ProcessEnv)?;
    let worker = WorkerConfig::from_source(&ProcessEnv)?;
    let (inputs, targets) = crate::build_setup(&builder, false)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let metrics = Arc::new(Metrics::new());
    if let Some(address) = telemetry::metrics_addr(&ProcessEnv)? {
        runtime.spawn(telemetry::serve_metrics(
            address,
            database_url.to_owned(),
            metrics.clone(),
        ));
    }
    if release::request_if_new(conn, &worker.release)? {
        println!(
            "release {} has not built the site yet: build requested",
            worker.release
        );
    }
    let pool = db::pool(database_url, 4)?;
    let _scheduler = runtime.block_on(start_jobs(&worker, pool))?;

    let mut listener = db::connect(database_url)?;
    queue::listen(&mut listener)?;
    let name = crate::builder_name();
    println!("site-builder {name} waiting for build requests");
    loop {
        while let Some(claim) = queue::claim(conn, &name, builder.lease, chrono::Utc::now())? {
            let _span = telemetry::build_span(claim.build_id).entered();
            let started = Instant::now();
            match runtime.block_on(run::run(
                conn,
                database_url,
                &claim,
                builder.lease,
                run::Source::Render(&inputs),
                &targets,
            )) {
                Ok(summary) => {
                    release::record(conn, claim.build_id, &worker.release)?;
                    metrics.record_build(BuildOutcome::Done, started.elapsed());
                    println!(
                        "build {} done in {:.1}s: {} pages, {} files ({})",
                        claim.build_id,
                        started.elapsed().as_secs_f64(),
                        summary.pages,
                        summary.files,
                        claim.reason
                    );
                }
                Err(error) => {
                    metrics.record_build(BuildOutcome::Failed, started.elapsed());
                    // Logs it and sends it to Sentry; the alerts job emails developers.
                    almanac_telemetry::report_build_failure(claim.build_id, &error.to_string());
                }
            }
        }
        // Announcements wake this at once; the safety-net job re-announces waiting requests.
        queue::wait_for_request(&mut listener, std::time::Duration::from_secs(600))?;
    }
}

/// Everything a job needs, shared by the scheduler's closures.
struct JobContext {
    pool: PgPool,
    mailer: Mailer,
    alerts: AlertSettings,
    keep_builds: i64,
    runtime: tokio::runtime::Handle,
    environment: almanac_config::Environment,
    pull: Option<almanac_jobs::pull::PullOptions>,
}

async fn start_jobs(worker: &WorkerConfig, pool: PgPool) -> anyhow::Result<JobScheduler> {
    let context = Arc::new(JobContext {
        pool,
        mailer: Mailer::from_settings(&worker.mail)?,
        alerts: AlertSettings {
            environment: worker.environment.to_string(),
            publisher_url: worker.publisher_url.clone(),
            repeat: worker.alert_repeat,
        },
        keep_builds: worker.keep_builds,
        runtime: tokio::runtime::Handle::current(),
        environment: worker.environment,
        pull: worker.pull.clone(),
    });
    let scheduler = JobScheduler::new().await?;
    for (name, schedule) in &worker.schedules {
        let Schedule::Cron(cron) = schedule else {
            println!("job {}: off", name.name());
            continue;
        };
        let (job_kind, context) = (*name, context.clone());
        let job = Job::new_async(cron.as_str(), move |_, _| {
            let context = context.clone();
            Box::pin(async move {
                let ran = tokio::task::spawn_blocking(move || run_job(job_kind, &context)).await;
                if let Err(error) = ran {
                    tracing::error!(job = job_kind.name(), %error, "job panicked");
                }
            })
        })?;
        scheduler.add(job).await?;
        println!("job {}: {cron}", name.name());
    }
    scheduler.start().await?;
    Ok(scheduler)
}

/// One run of a job, unless another process is running it.
fn run_job(job: JobKind, context: &JobContext) {
    let name = job.name();
    let mut conn = match context.pool.get() {
        Ok(conn) => conn,
        Err(error) => {
            tracing::warn!(job = name, %error, "no database connection; the job waits for its next run");
            return;
        }
    };
    let now = chrono::Utc::now();
    let outcome = run_exclusive(&mut conn, name, now, |conn| -> anyhow::Result<String> {
        Ok(match job {
            JobKind::BuildSafetyNet => {
                let woken = almanac_build::queue::announce_waiting(conn)?;
                format!("{woken} waiting requests announced")
            }
            JobKind::BuildAlerts => {
                let run = alerts::run(
                    conn,
                    &context.mailer,
                    &context.runtime,
                    &context.alerts,
                    now,
                )?;
                // A stalled builder could not report its own failure.
                for build_id in &run.stalled {
                    almanac_telemetry::report_build_failure(
                        *build_id,
                        almanac_build::queue::STALLED_REASON,
                    );
                }
                if !run.send_failures.is_empty() {
                    anyhow::bail!("could not send: {}", run.send_failures.join("; "));
                }
                format!(
                    "{} stalled, {} reported",
                    run.stalled.len(),
                    run.reported.len()
                )
            }
            JobKind::ScheduledPublishing => {
                let outcomes = almanac_editorial::scheduled_publishing::publish_due(conn, now)?;
                format!("{} due versions handled", outcomes.len())
            }
            JobKind::RefreshViews => {
                db::refresh_dashboard_views(conn)?;
                "views refreshed".to_owned()
            }
            JobKind::DeleteOldBuilds => {
                let deleted = retention::delete_old_builds(conn, context.keep_builds)?;
                format!("{deleted} old builds deleted")
            }
            JobKind::StagingDataPull => {
                let Some(options) = &context.pull else {
                    anyhow::bail!("the data pull is scheduled without its settings");
                };
                let summary = almanac_jobs::pull::pull(conn, context.environment, options)?;
                format!(
                    "{} measures pulled, {} accounts anonymised, {} upload files copied",
                    summary.measures, summary.users_anonymised, summary.upload_files_copied
                )
            }
        })
    });
    match outcome {
        Ok(JobRun::Ran(detail)) => tracing::debug!(job = name, detail, "job ran"),
        Ok(JobRun::Skipped) => tracing::debug!(job = name, "job running elsewhere"),
        Err(error) => tracing::error!(job = name, %error, "job failed"),
    }
}
