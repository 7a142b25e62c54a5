//! Database access from async handlers. Diesel is synchronous; every query runs on tokio's
//! blocking thread pool so that a slow query never stalls the async workers (ADR 0003).

use almanac_content::db::{DbError, PgPool, PooledPg};

use crate::error::AppError;

#[derive(Clone)]
pub struct Db {
    pool: PgPool,
}

impl Db {
    pub fn new(pool: PgPool) -> Db {
        Db { pool }
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
