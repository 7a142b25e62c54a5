//! `site-builder load-reference | seed | refresh-views`
//!
//! The site build itself (queue, render, S3, git) arrives with issue 6; today the builder
//! owns the data-loading commands that every environment needs.

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("site-builder: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    let database_url = almanac_config::database_url(&ProcessEnv)?;
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
            spinner.finish_and_clear();
            println!(
                "seeded in {:.1}s: {} topics, {} subtopics, {} measures, {} versions ({} published), \
                 {} dimensions, {} uploads, {} data sources, {} site pages",
                started.elapsed().as_secs_f64(),
                summary.topics,
                summary.subtopics,
                summary.measures,
                summary.versions,
                summary.published_versions,
                summary.dimensions,
                summary.uploads,
                summary.data_sources,
                summary.site_pages,
            );
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
