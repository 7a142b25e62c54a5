//! `site-builder build | run | request | status | acknowledge | verify | rollback |
//! load-reference | seed | refresh-views | pull-data`
//!
//! The site build (ADR 0011): `build` claims the newest request (making one if asked), renders
//! and checks the whole site, and deploys it to the configured targets. The data-loading
//! commands every environment needs live here too.

mod config;
mod telemetry;
mod worker;

use std::process::ExitCode;
use std::time::Instant;

use almanac_config::ProcessEnv;
use almanac_content::{db, reference};
use almanac_seed::SeedOptions;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(version, about = "The Almanac site builder")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load or refresh organisations, classifications, the ethnicity lookup and the fixed
    /// lookup lists. Safe to run any number of times.
    LoadReference,
    /// Fill an empty database with a realistic demo site.
    Seed {
        /// How many measures to create.
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        measures: u32,
        /// Random seed: the same value gives the same content.
        #[arg(long, default_value_t = 2019)]
        seed: u64,
    },
    /// Refresh the dashboard materialized views.
    RefreshViews,
    /// Build the site now: request a build, claim it (with every older request), render,
    /// check and deploy it to the local folder, the git history and the buckets.
    Build {
        /// Deploy even if it deletes more objects than `SITE_DELETE_CAP`.
        #[arg(long)]
        allow_deletes: bool,
        /// Who asks, recorded on the build.
        #[arg(long, default_value = "site-builder build")]
        requested_by: String,
    },
    /// The long-running builder: waits for requests (announced by the database, picked up
    /// within a second; every 10 minutes it looks anyway) and builds each.
    Run,
    /// Compare each bucket with the manifest recorded for it, and list the differences.
    Verify,
    /// Deploy an earlier site again, from the git history: to the local folder, the buckets
    /// (through the same manifest diff) and as a new commit.
    Rollback {
        /// A build id, or a commit of the history repository.
        build_or_commit: String,
        /// Deploy even if it deletes more objects than `SITE_DELETE_CAP`.
        #[arg(long)]
        allow_deletes: bool,
    },
    /// Ask for a build (the running builder picks it up).
    Request {
        /// Why, recorded on the build.
        #[arg(long, default_value = "requested from the command line")]
        reason: String,
    },
    /// Acknowledge a failed build: its alert emails stop.
    Acknowledge {
        /// The build id, or its first eight characters as the alert's subject shows them.
        build: String,
        /// Who acknowledges, recorded on the build.
        #[arg(long, env = "USER", default_value = "site-builder")]
        by: String,
    },
    /// Replace this environment's content with another database's (production's replica),
    /// with every email replaced, every password hash, two-factor secret, session and token
    /// removed, and the test accounts (`<type>@almanac.gov.uk`) made. Never in production.
    PullData {
        /// The database to copy from.
        #[arg(long)]
        source: String,
        /// Keep at most two measures per subtopic (for review environments).
        #[arg(long)]
        sample: bool,
        /// The source's upload folder: the remaining uploads' files are copied into UPLOAD_DIR.
        #[arg(long)]
        uploads_from: Option<std::path::PathBuf>,
        /// The test accounts' password.
        #[arg(long, env = "ALMANAC_TEST_PASSWORD", hide_env_values = true)]
        test_password: String,
    },
    /// The latest builds, newest first.
    Status {
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(i64).range(1..=1000))]
        limit: i64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Kept until `main` returns: dropping it sends the reports still queued.
    let _telemetry = match telemetry::init() {
        Ok(telemetry) => telemetry,
        Err(error) => {
            eprintln!(
                "site-builder: {}",
                almanac_telemetry::describe_error(&*error)
            );
            return ExitCode::FAILURE;
        }
    };
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!(
                "site-builder: {}",
                almanac_telemetry::describe_error(&*error)
            );
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    let database_url = almanac_config::database_url(&ProcessEnv)?;
    almanac_config::guard::Guard::from_source(&ProcessEnv)?
        .check_database("DATABASE_URL", &database_url)?;
    let mut conn = db::connect(&database_url)?;
    let pending = db::pending_migrations(&mut conn)?;
    if !pending.is_empty() {
        anyhow::bail!(
            "the database has {} pending migrations: run `publisher migrate` first",
            pending.len()
        );
    }
    let started = Instant::now();
    match command {
        Command::LoadReference => {
            let counts = reference::load_reference_data(&mut conn)?;
            println!(
                "reference data loaded in {:.1}s: {} organisations, {} classifications, {} ethnicities, \
                 {} lookup entries, {} frequencies of release, {} types of statistic, {} levels of geography",
                started.elapsed().as_secs_f64(),
                counts.organisations,
                counts.classifications,
                counts.ethnicities,
                counts.lookup_entries,
                counts.frequencies_of_release,
                counts.types_of_statistic,
                counts.levels_of_geography,
            );
        }
        Command::Seed { measures, seed } => {
            let spinner = indicatif::ProgressBar::new_spinner()
                .with_message(format!("seeding {measures} measures (seed {seed})"));
            spinner.enable_steady_tick(std::time::Duration::from_millis(120));
            let summary = almanac_seed::seed(
                &mut conn,
                SeedOptions {
                    measures: measures as usize,
                    seed,
                },
            )?;
            db::refresh_dashboard_views(&mut conn)?;
            spinner.set_message("writing the demo source-data files");
            let stored = store_demo_uploads(&mut conn)?;
            spinner.finish_and_clear();
            println!(
                "seeded in {:.1}s: {} topics, {} subtopics, {} measures, {} versions ({} published), \
                 {} dimensions, {} uploads ({} files stored), {} data sources, {} site pages",
                started.elapsed().as_secs_f64(),
                summary.topics,
                summary.subtopics,
                summary.measures,
                summary.versions,
                summary.published_versions,
                summary.dimensions,
                summary.uploads,
                stored,
                summary.data_sources,
                summary.site_pages,
            );
        }
        Command::Build {
            allow_deletes,
            requested_by,
        } => build(&mut conn, &database_url, allow_deletes, &requested_by)?,
        Command::Run => worker::run(&mut conn, &database_url)?,
        Command::Verify => verify(&mut conn)?,
        Command::Rollback {
            build_or_commit,
            allow_deletes,
        } => rollback(&mut conn, &database_url, &build_or_commit, allow_deletes)?,
        Command::Request { reason } => {
            let id = almanac_build::queue::request(&mut conn, "site-builder request", &reason)?;
            println!("build {id} requested");
        }
        Command::Status { limit } => status(&mut conn, limit)?,
        Command::PullData {
            source,
            sample,
            uploads_from,
            test_password,
        } => {
            let options = almanac_jobs::pull::PullOptions {
                source_url: source,
                sample,
                uploads_from,
                uploads_to: almanac_uploads::UploadSettings::from_source(&ProcessEnv)?.upload_dir,
                test_password,
            };
            let environment = almanac_config::Environment::from_source(&ProcessEnv)?;
            let summary = almanac_jobs::pull::pull(&mut conn, environment, &options)?;
            println!(
                "pulled in {:.1}s: {} measures ({} left out by --sample), {} accounts and {} other \
                 addresses anonymised, {} upload files copied ({} missing at the source); \
                 test accounts: {}",
                started.elapsed().as_secs_f64(),
                summary.measures,
                summary.measures_removed_by_sample,
                summary.users_anonymised,
                summary.other_addresses_anonymised,
                summary.upload_files_copied,
                summary.upload_files_missing,
                summary.test_accounts.join(", "),
            );
        }
        Command::Acknowledge { build, by } => {
            let id =
                almanac_content::builds::acknowledge(&mut conn, &build, &by, chrono::Utc::now())?;
            println!("build {id} acknowledged by {by}; its alerts stop");
        }
        Command::RefreshViews => {
            db::refresh_dashboard_views(&mut conn)?;
            println!(
                "dashboard views refreshed in {:.1}s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

/// What every build reads and where it deploys, from the configuration.
pub(crate) fn build_setup(
    config: &config::BuilderConfig,
    allow_deletes: bool,
) -> anyhow::Result<(
    almanac_build::pipeline::BuildInputs,
    almanac_build::run::Targets,
)> {
    use almanac_build::{pipeline::BuildInputs, run};

    let inputs = BuildInputs {
        settings: almanac_render::SiteSettings {
            public_url: config.public_url.clone(),
            chart_png: config.chart_png,
            ..almanac_render::SiteSettings::default()
        },
        govuk_dir: config.govuk_dir.clone(),
        static_dir: config.static_dir.clone(),
        uploads: almanac_uploads::FileStore::Local(almanac_uploads::LocalStore::new(
            config.uploads.upload_dir.clone(),
        )),
        page_batch: almanac_content::snapshot::PAGE_BATCH,
    };
    let targets = run::Targets {
        local: Some(almanac_deploy::LocalFolder::new(&config.site_dir)),
        git: config
            .git
            .clone()
            .map(almanac_deploy::GitHistory::open)
            .transpose()?,
        buckets: config.buckets.as_ref().map(|(primary, mirror)| {
            (
                almanac_deploy::S3Target::new(primary),
                almanac_deploy::S3Target::new(mirror),
            )
        }),
        deploy_options: config.deploy_options(allow_deletes),
    };
    if let Some((primary, mirror)) = &targets.buckets {
        check_bucket_markers(config.environment, primary, mirror)?;
    }
    Ok((inputs, targets))
}

/// Reads each bucket's `.almanac-environment` marker before anything is deployed: refuses a
/// bucket that belongs to another environment, and marks a new bucket as this one's.
fn check_bucket_markers(
    environment: almanac_config::Environment,
    primary: &almanac_deploy::S3Target,
    mirror: &almanac_deploy::S3Target,
) -> anyhow::Result<()> {
    use almanac_config::guard::{MarkerCheck, check_marker};

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let retry = almanac_deploy::RetryPolicy::default();
    runtime.block_on(async {
        for (variable, bucket) in [("S3_PRIMARY_BUCKET", primary), ("S3_MIRROR_BUCKET", mirror)] {
            let marker = bucket.environment_marker(&retry).await?;
            if check_marker(environment, variable, bucket.bucket(), marker.as_deref())?
                == MarkerCheck::Absent
            {
                bucket
                    .write_environment_marker(environment.as_str(), &retry)
                    .await?;
            }
        }
        Ok(())
    })
}

fn verify(conn: &mut diesel::PgConnection) -> anyhow::Result<()> {
    let config = config::BuilderConfig::from_source(&ProcessEnv)?;
    let Some((primary, mirror)) = &config.buckets else {
        anyhow::bail!("no buckets are configured (S3_PRIMARY_BUCKET, S3_MIRROR_BUCKET)");
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let mut drifted = false;
    for (name, bucket) in [("primary", primary), ("mirror", mirror)] {
        let stored = almanac_deploy::ManifestStore::new(name)?.load(conn)?;
        let target = almanac_deploy::S3Target::new(bucket);
        let drift = runtime
            .block_on(target.verify(&stored.manifest, &almanac_deploy::VerifyOptions::default()))?;
        if drift.is_clean() {
            println!(
                "{name} ({}): {} objects, as recorded",
                bucket.bucket, drift.objects
            );
            continue;
        }
        drifted = true;
        println!(
            "{name} ({}): {} missing, {} extra, {} changed",
            bucket.bucket,
            drift.missing.len(),
            drift.extra.len(),
            drift.changed.len()
        );
        for path in &drift.missing {
            println!("  missing  {path}");
        }
        for path in &drift.extra {
            println!("  extra    {path}");
        }
        for object in &drift.changed {
            println!("  changed  {} {:?}", object.path, object.differences);
        }
    }
    if drifted {
        anyhow::bail!(
            "the buckets differ from their manifests; the next build repairs what it sends"
        );
    }
    Ok(())
}

fn rollback(
    conn: &mut diesel::PgConnection,
    database_url: &str,
    build_or_commit: &str,
    allow_deletes: bool,
) -> anyhow::Result<()> {
    use almanac_build::{queue, run};

    let config = config::BuilderConfig::from_source(&ProcessEnv)?;
    let Some(git) = &config.git else {
        anyhow::bail!("rollback takes earlier sites from the git history, and SITE_GIT_DIR is off");
    };
    let site = almanac_deploy::GitHistory::open(git.clone())?.site_at(build_or_commit)?;
    let (_, targets) = build_setup(&config, allow_deletes)?;
    let reason = format!("rollback to {build_or_commit}");
    queue::request(conn, "site-builder rollback", &reason)?;
    let Some(claim) = queue::claim(conn, &builder_name(), config.lease, chrono::Utc::now())? else {
        anyhow::bail!("another build is running; try again when it has finished");
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let summary = runtime.block_on(run::run(
        conn,
        database_url,
        &claim,
        config.lease,
        run::Source::Given(Box::new(site)),
        &targets,
    ))?;
    println!(
        "rolled back to {build_or_commit} as build {}: {} files",
        claim.build_id, summary.files
    );
    for bucket in &summary.buckets {
        println!(
            "  bucket {}: {} uploaded, {} deleted",
            bucket.bucket, bucket.uploaded, bucket.deleted
        );
    }
    Ok(())
}

fn build(
    conn: &mut diesel::PgConnection,
    database_url: &str,
    allow_deletes: bool,
    requested_by: &str,
) -> anyhow::Result<()> {
    use almanac_build::{queue, run};

    let config = config::BuilderConfig::from_source(&ProcessEnv)?;
    let (inputs, targets) = build_setup(&config, allow_deletes)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let started = Instant::now();
    queue::request(conn, requested_by, "a build from the command line")?;
    let spinner = indicatif::ProgressBar::new_spinner().with_message("claiming a build");
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let Some(claim) = queue::claim(conn, &builder_name(), config.lease, chrono::Utc::now())? else {
        spinner.finish_and_clear();
        anyhow::bail!(
            "another build is running; the request is queued and the running builder will \
             cover it (see `site-builder status`)"
        );
    };
    spinner.set_message(format!("building {} ({})", claim.build_id, claim.reason));
    let summary = runtime.block_on(run::run(
        conn,
        database_url,
        &claim,
        config.lease,
        run::Source::Render(&inputs),
        &targets,
    ));
    spinner.finish_and_clear();
    let summary = summary.inspect_err(|error| {
        almanac_telemetry::report_build_failure(claim.build_id, &error.to_string());
    })?;
    almanac_jobs::release::record(conn, claim.build_id, &config::release(&ProcessEnv))?;
    println!(
        "build {} done in {:.1}s: {} pages, {} files, {:.1} MB",
        claim.build_id,
        started.elapsed().as_secs_f64(),
        summary.pages,
        summary.files,
        summary.bytes as f64 / 1_000_000.0
    );
    if !claim.covered.is_empty() {
        println!("  covered {} earlier requests", claim.covered.len());
    }
    for stage in &summary.stages {
        let peak = stage
            .peak_memory_mb
            .map(|mb| format!("  peak memory {mb} MB"))
            .unwrap_or_default();
        println!(
            "  {:<13} {:>7.2}s  {:>7} files  {:>9.1} MB{peak}",
            stage.name,
            stage.seconds,
            stage.files,
            stage.bytes as f64 / 1_000_000.0
        );
    }
    if let Some(local) = &summary.local {
        if local.changed {
            println!(
                "  local folder {}: updated, {} files written, {} unchanged files linked",
                config.site_dir.display(),
                local.files_written,
                local.files_linked
            );
        } else {
            println!("  local folder {}: unchanged", config.site_dir.display());
        }
    }
    if let Some(git) = &summary.git {
        match &git.commit {
            Some(commit) => println!(
                "  git: commit {commit} ({} pages changed)",
                git.changed_pages
            ),
            None => println!("  git: no change, no commit"),
        }
        if let Some(error) = &git.push_error {
            println!("  git push failed (the next build pushes again): {error}");
        }
    }
    for bucket in &summary.buckets {
        println!(
            "  bucket {}: {} uploaded, {} headers updated, {} deleted, {:.1} MB, {} retries",
            bucket.bucket,
            bucket.uploaded,
            bucket.updated,
            bucket.deleted,
            bucket.bytes_uploaded as f64 / 1_000_000.0,
            bucket.retries
        );
    }
    Ok(())
}

/// Writes the files behind the seeded uploads into `UPLOAD_DIR`, where the publisher and
/// the site build read them; returns how many.
fn store_demo_uploads(conn: &mut diesel::PgConnection) -> anyhow::Result<usize> {
    let settings = almanac_uploads::UploadSettings::from_source(&ProcessEnv)?;
    let store = almanac_uploads::FileStore::Local(almanac_uploads::LocalStore::new(
        settings.upload_dir.clone(),
    ));
    let files = almanac_seed::demo_upload_files(conn)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        for file in &files {
            let key = almanac_uploads::StoreKey::new(
                file.measure_id,
                file.version.clone(),
                file.file_name.clone(),
            );
            store.put(&key, &file.bytes).await?;
        }
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(files.len())
}

/// `host:pid`, recorded on the builds this process claims.
pub(crate) fn builder_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|name| name.trim().to_owned())
        .unwrap_or_else(|_| "localhost".to_owned());
    format!("{host}:{}", std::process::id())
}

fn status(conn: &mut diesel::PgConnection, limit: i64) -> anyhow::Result<()> {
    use almanac_content::schema::build;
    use diesel::prelude::*;

    type Row = (
        uuid::Uuid,
        String,
        chrono::DateTime<chrono::Utc>,
        String,
        String,
        Option<String>,
    );
    let rows: Vec<Row> = build::table
        .order(build::created_at.desc())
        .limit(limit)
        .select((
            build::id,
            build::status,
            build::created_at,
            build::requested_by,
            build::reason,
            build::failure_reason,
        ))
        .load(conn)?;
    if rows.is_empty() {
        println!("no builds yet");
    }
    for (id, status, created_at, requested_by, reason, failure) in rows {
        println!(
            "{id}  {status:<10}  {}  {requested_by}: {reason}",
            created_at.format("%Y-%m-%d %H:%M:%S")
        );
        if let Some(failure) = failure {
            println!("      {failure}");
        }
    }
    Ok(())
}
