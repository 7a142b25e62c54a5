//! `publisher serve | migrate | create-user | create-demo-users`

use std::process::ExitCode;

use almanac_accounts::audit::{Actor, Origin};
use almanac_accounts::users::{AccountError, NewAccount, create_account, invite};
use almanac_config::ProcessEnv;
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
    /// Invite someone (the first admin, say): creates the account and emails the link to set
    /// its password. Without SMTP_HOST the email is written to MAIL_DIR and the link printed.
    CreateUser {
        #[arg(long)]
        email: String,
        /// DEPT_USER, RDU_USER, ADMIN_USER or DEV_USER.
        #[arg(long = "type", value_parser = parse_user_type)]
        user_type: UserType,
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
    // Kept until `main` returns: dropping it sends the reports still queued.
    let _telemetry = match publisher::observability::init_telemetry(&ProcessEnv) {
        Ok(telemetry) => telemetry,
        Err(error) => {
            eprintln!("publisher: {}", almanac_telemetry::describe_error(&*error));
            return ExitCode::FAILURE;
        }
    };
    match run(cli.command.unwrap_or(Command::Serve)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("publisher: {}", almanac_telemetry::describe_error(&*error));
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    // `serve` validates its whole configuration; the other commands need only the database,
    // which must not be production's outside production (`almanac_config::guard`).
    let connect = || -> anyhow::Result<_> {
        let url = almanac_config::database_url(&ProcessEnv)?;
        almanac_config::guard::Guard::from_source(&ProcessEnv)?
            .check_database("DATABASE_URL", &url)?;
        Ok(db::connect(&url)?)
    };
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
        Command::CreateUser { email, user_type } => create_user(
            PublisherConfig::from_source(&ProcessEnv)?,
            &email,
            user_type,
        ),
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
                    Ok(_) | Err(AccountError::AlreadyExists(_)) => {
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
async fn create_user(
    config: PublisherConfig,
    email: &str,
    user_type: UserType,
) -> anyhow::Result<()> {
    let mut conn = db::connect(&config.database_url)?;
    let now = chrono::Utc::now();
    let invitation = invite(
        &mut conn,
        &config.secret_key,
        &config.accounts,
        &Origin::default(),
        Actor::System,
        email,
        user_type,
        now,
    )?;
    let link = format!(
        "{}/register/confirm-account/{}",
        config.public_url, invitation.token
    );
    let message = almanac_accounts::emails::invite(
        &invitation.user.email,
        "The Almanac team",
        user_type,
        &link,
        now + almanac_accounts::tokens::TOKEN_LIFETIME,
    )?;
    let mailer = almanac_mail::Mailer::from_settings(&config.mail)?;
    println!("invited {} ({})", invitation.user.email, user_type.label());
    match mailer.send(&message).await {
        Ok(almanac_mail::Delivery::Sent) => {
            println!("invitation emailed through {}", mailer.describe())
        }
        Ok(almanac_mail::Delivery::Written(path)) => {
            println!(
                "no SMTP server is configured: the email is in {}",
                path.display()
            );
            println!("link to set the password (valid for 48 hours, once):\n{link}");
        }
        Err(error) => {
            println!(
                "the invitation email could not be sent ({error}); give them this link (valid for 48 hours, once):\n{link}"
            );
        }
    }
    Ok(())
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
    let metrics_addr = config.telemetry.metrics_addr;
    let state = AppState::new(Db::new(pool), config)?;
    tracing::info!(mail = %state.mailer.describe(), "outgoing email");
    if let Some(address) = metrics_addr {
        let metrics_listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|error| anyhow::anyhow!("cannot listen on METRICS_ADDR={address}: {error}"))?;
        tracing::info!(%address, "metrics listening");
        tokio::spawn(publisher::observability::serve_metrics(
            metrics_listener,
            state.clone(),
        ));
    }
    let app = publisher::app(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        drop(tokio::signal::ctrl_c().await);
    })
    .await?;
    Ok(())
}
