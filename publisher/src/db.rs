//! Database access from async handlers. Diesel is synchronous; every query runs on tokio's
//! blocking thread pool so that a slow query never stalls the async workers (ADR 0003).

//!
//! With `DATABASE_READ_URL`, [`Db::run_read`] sends read-only work (the dashboards and the
//! read API) to a replica, and to the primary when the replica cannot be reached.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use almanac_content::db::{DbError, PgPool, PooledPg};
use diesel::r2d2::{ConnectionManager, Pool};

use crate::error::AppError;

/// How long a request waits for a replica connection before using the primary: short, so a
/// replica that is down costs a dashboard little.
const REPLICA_CONNECT_TIMEOUT: Duration = Duration::from_millis(1500);

/// After a failed replica connection, reads go to the primary for this long before the
/// replica is tried again, so that an outage does not add the timeout to every request.
const REPLICA_RETRY_AFTER: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct Db {
    pool: PgPool,
    replica: Option<Replica>,
}

#[derive(Clone)]
struct Replica {
    pool: PgPool,
    /// Set when a connection failed: until then, reads skip the replica.
    skip_until: Arc<Mutex<Option<Instant>>>,
}

impl Db {
    pub fn new(pool: PgPool) -> Db {
        Db {
            pool,
            replica: None,
        }
    }

    /// Adds a read replica at `url`, connected lazily: a replica that is down when the
    /// publisher starts (or later) only sends reads to the primary.
    pub fn with_replica(self, url: &str, max_size: u32) -> Db {
        let pool = Pool::builder()
            .max_size(max_size.max(1))
            .min_idle(Some(0))
            .connection_timeout(REPLICA_CONNECT_TIMEOUT)
            .build_unchecked(ConnectionManager::new(url));
        Db {
            replica: Some(Replica {
                pool,
                skip_until: Arc::new(Mutex::new(None)),
            }),
            ..self
        }
    }

    /// Runs read-only `work` on the replica when there is one and it answers, otherwise on
    /// the primary. The replica may lag the primary by a moment: use [`Db::run`] for reads
    /// that must see the caller's own writes (sessions, tokens, forms).
    pub async fn run_read<T, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut PooledPg) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let primary = self.pool.clone();
        let replica = self.replica.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = match replica.and_then(|replica| replica.connection()) {
                Some(conn) => conn,
                None => primary.get().map_err(DbError::Pool)?,
            };
            work(&mut conn)
        })
        .await
        .map_err(|error| AppError::Internal(format!("database task failed: {error}")))?
    }

    /// Runs `work` with a pooled connection on the blocking pool.
    pub async fn run<T, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut PooledPg) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(DbError::Pool)?;
            work(&mut conn)
        })
        .await
        .map_err(|error| AppError::Internal(format!("database task failed: {error}")))?
    }
}

impl Replica {
    /// A replica connection, or `None` (and the replica skipped for a while) when it cannot
    /// be had.
    fn connection(&self) -> Option<PooledPg> {
        let now = Instant::now();
        let mut skip_until = self.skip_until.lock().unwrap_or_else(|e| e.into_inner());
        if skip_until.is_some_and(|until| now < until) {
            return None;
        }
        drop(skip_until);
        match self.pool.get() {
            Ok(conn) => Some(conn),
            Err(error) => {
                tracing::warn!(%error, "the read replica is unreachable: reading from the primary");
                skip_until = self.skip_until.lock().unwrap_or_else(|e| e.into_inner());
                *skip_until = Some(Instant::now() + REPLICA_RETRY_AFTER);
                None
            }
        }
    }
}
