//! `almanac-pg start DIR [--port N]` prints the cluster's DATABASE_URL; `almanac-pg stop DIR`.
//! Used by `./dev run` for the development cluster under `.data/pg`.

use std::path::PathBuf;
use std::process::ExitCode;

use almanac_pgcluster::Cluster;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Start or stop a private PostgreSQL cluster")]
struct Cli {
    #[command(subcommand)]
    command: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Create the cluster if needed, start it, and print its DATABASE_URL.
    Start {
        dir: PathBuf,
        #[arg(long)]
        port: Option<u16>,
        /// Database to create if missing, and name in the printed URL.
        #[arg(long, default_value = "almanac")]
        database: String,
    },
    /// Stop the cluster.
    Stop { dir: PathBuf },
}

fn main() -> ExitCode {
    let outcome = match Cli::parse().command {
        Action::Start {
            dir,
            port,
            database,
        } => Cluster::start(&dir, port).and_then(|cluster| {
            cluster.ensure_database(&database)?;
            println!("{}", cluster.url(&database));
            Ok(())
        }),
        Action::Stop { dir } => Cluster::at(&dir).and_then(|cluster| {
            if cluster.is_running() {
                cluster.stop()
            } else {
                Ok(())
            }
        }),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("almanac-pg: {error}");
            ExitCode::FAILURE
        }
    }
}
