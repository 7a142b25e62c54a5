//! Connections, the connection pool, migrations and the dashboard views.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// Every migration in `migrations/`, compiled into the binaries so that no CLI is needed to
/// migrate a database.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// The dashboard materialized views, in the order they must be refreshed: the first is read
/// by the others.
pub const DASHBOARD_VIEWS: [&str; 4] = [
    "latest_published_measure_versions",
    "latest_published_measure_versions_by_geography",
    "ethnic_groups_by_dimension",
    "classifications_by_dimension",
];

pub type PgPool = Pool<ConnectionManager<PgConnection>>;
pub type PooledPg = PooledConnection<ConnectionManager<PgConnection>>;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot connect to the database at {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("database connection pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// Opens one connection, with an error that names the (password-free) URL.
pub fn connect(url: &str) -> Result<PgConnection, DbError> {
    PgConnection::establish(url).map_err(|error| DbError::Connect {
        url: redact_password(url),
        reason: error.to_string().trim().replace('\n', " "),
    })
}

/// A pool of up to `max_size` connections. Connects once first, so that a wrong or
/// unreachable database fails at start-up with a clear message instead of on first use.
pub fn pool(url: &str, max_size: u32) -> Result<PgPool, DbError> {
    drop(connect(url)?);
    let pool = Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .connection_timeout(std::time::Duration::from_secs(10))
        .build(ConnectionManager::new(url))
        .map_err(|error| DbError::Connect {
            url: redact_password(url),
            reason: error.to_string(),
        })?;
    Ok(pool)
}

/// Applies every migration not yet applied; returns their names.
pub fn run_pending_migrations(conn: &mut PgConnection) -> Result<Vec<String>, DbError> {
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|error| DbError::Migration(error.to_string()))?;
    Ok(applied.iter().map(ToString::to_string).collect())
}

/// Reverts every applied migration, newest first; returns their names.
pub fn revert_all_migrations(conn: &mut PgConnection) -> Result<Vec<String>, DbError> {
    let reverted = conn
        .revert_all_migrations(MIGRATIONS)
        .map_err(|error| DbError::Migration(error.to_string()))?;
    Ok(reverted.iter().map(ToString::to_string).collect())
}

/// Names of migrations not yet applied to this database.
pub fn pending_migrations(conn: &mut PgConnection) -> Result<Vec<String>, DbError> {
    let pending = conn
        .pending_migrations(MIGRATIONS)
        .map_err(|error| DbError::Migration(error.to_string()))?;
    Ok(pending
        .iter()
        .map(|migration| migration.name().to_string())
        .collect())
}

/// Refreshes the dashboard views without blocking readers (hence the unique indexes).
pub fn refresh_dashboard_views(conn: &mut PgConnection) -> QueryResult<()> {
    for view in DASHBOARD_VIEWS {
        diesel::sql_query(format!("REFRESH MATERIALIZED VIEW CONCURRENTLY {view}"))
            .execute(conn)?;
    }
    Ok(())
}

/// The URL with any password replaced by `***`, for messages and logs.
pub fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(
            redact_password("postgres://app:secret@db:5432/almanac"),
            "postgres://app:***@db:5432/almanac"
        );
        assert_eq!(
            redact_password("postgres://app@db/almanac"),
            "postgres://app@db/almanac"
        );
        assert_eq!(redact_password("not a url"), "not a url");
    }
}
