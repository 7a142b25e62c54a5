//! `publisher serve | migrate | create-user | create-demo-users`

use std::process::ExitCode;

use almanac_config::ProcessEnv;
use almanac_content::accounts::{NewAccount, create_account};
use almanac_content::{UserType, db};
use clap::{Parser, Subcommand};
use publisher::{AppState, Db, PublisherConfig};

#[derive(Parser)]
#[command(version, about = "The Almanac publisher")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the publisher (the default).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Create an active account with a password.
    CreateUser {
        #[arg(long)]
        email: String,
        /// DEPT_USER, RDU_USER, ADMIN_USER or DEV_USER.
        #[arg(long = "type", value_parser = parse_user_type)]
        user_type: UserType,
        /// The password; read from the ALMANAC_NEW_USER_PASSWORD variable when omitted.
        #[arg(long, env = "ALMANAC_NEW_USER_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Create one demo account per user type (skipping existing ones) and print the logins.
    CreateDemoUsers {
        #[arg(long, env = "ALMANAC_DEMO_PASSWORD", hide_env_values = true)]
        password: String,
    },
}

fn parse_user_type(text: &str) -> Result<UserType, String> {
    text.parse()
        .map_err(|error: almanac_content::stored_enum::UnknownValue| error.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=info".into()),
        )
        .init();
    match run(cli.command.unwrap_or(Command::Serve)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("publisher: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    // `serve` validates its whole configuration; the other commands need only the database.
    let connect =
        || -> anyhow::Result<_> { Ok(db::connect(&almanac_config::database_url(&ProcessEnv)?)?) };
    match command {
        Command::Serve => serve(PublisherConfig::from_source(&ProcessEnv)?),
        Command::Migrate => {
            let mut conn = connect()?;
            let applied = db::run_pending_migrations(&mut conn)?;
            println!("applied {} migrations", applied.len());
            for name in applied {
                println!("  {name}");
            }
            Ok(())
        }
        Command::CreateUser {
            email,
            user_type,
            password,
        } => {
            let mut conn = connect()?;
            let user = create_account(
                &mut conn,
                &NewAccount {
                    email: &email,
                    user_type,
                    password: Some(&password),
                },
            )?;
            println!("created {} ({})", user.email, user_type.label());
            Ok(())
        }
        Command::CreateDemoUsers { password } => {
            let mut conn = connect()?;
            println!("Demo logins (password: {password}):");
            for &user_type in UserType::ALL {
                let email = demo_email(user_type);
                let account = NewAccount {
                    email: &email,
                    user_type,
                    password: Some(&password),
                };
                match create_account(&mut conn, &account) {
                    Ok(_) | Err(almanac_content::accounts::AccountError::AlreadyExists(_)) => {
                        println!("  {:<18} {email}", user_type.label());
                    }
                    Err(error) => return Err(error.into()),
                }
            }
            Ok(())
        }
    }
}

fn demo_email(user_type: UserType) -> String {
    let name = match user_type {
        UserType::Departmental => "dept",
        UserType::CentralEditor => "editor",
        UserType::Admin => "admin",
        UserType::Developer => "dev",
    };
    format!("{name}@almanac.gov.uk")
}

#[tokio::main]
async fn serve(config: PublisherConfig) -> anyhow::Result<()> {
    let pool = {
        let url = config.database_url.clone();
        let size = config.pool_size;
        tokio::task::spawn_blocking(move || db::pool(&url, size)).await??
    };
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|error| {
            anyhow::anyhow!("cannot listen on PUBLISHER_BIND={}: {error}", config.bind)
        })?;
    tracing::info!(address = %config.bind, environment = %config.environment, "publisher listening");
    let app = publisher::app(AppState::new(Db::new(pool), config))
        .layer(tower_http::trace::TraceLayer::new_for_http());
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            drop(tokio::signal::ctrl_c().await);
        })
        .await?;
    Ok(())
}
