//! One run of a job at a time across every process. Any number of site builders may run the
//! scheduler (for availability); each run takes a Postgres advisory lock named after the job
//! and skips when another process holds it. The lock is tied to the database session, so a
//! worker that dies mid-run releases it with its connection. Every run is recorded in
//! `scheduled_job`, which the builds page and the health check read.

use std::fmt::Display;

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use almanac_content::schema::scheduled_job;

/// What became of an attempt to run a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobRun<T> {
    Ran(T),
    /// Another process is running this job now.
    Skipped,
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("job {job} failed: {detail}")]
    Failed { job: String, detail: String },
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

fn try_lock(conn: &mut PgConnection, name: &str) -> QueryResult<bool> {
    diesel::sql_query("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked")
        .bind::<Text, _>(name)
        .get_result::<Locked>(conn)
        .map(|row| row.locked)
}

fn unlock(conn: &mut PgConnection, name: &str) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_unlock(hashtextextended($1, 0)) AS locked")
        .bind::<Text, _>(name)
        .get_result::<Locked>(conn)
        .map(drop)
}

/// Runs `job` unless another process is running the job called `name`; records the run.
pub fn run_exclusive<T, E: Display>(
    conn: &mut PgConnection,
    name: &str,
    now: DateTime<Utc>,
    job: impl FnOnce(&mut PgConnection) -> Result<T, E>,
) -> Result<JobRun<T>, JobError> {
    if !try_lock(conn, name)? {
        return Ok(JobRun::Skipped);
    }
    let outcome = (|| {
        diesel::insert_into(scheduled_job::table)
            .values((
                scheduled_job::name.eq(name),
                scheduled_job::last_started_at.eq(now),
            ))
            .on_conflict(scheduled_job::name)
            .do_update()
            .set(scheduled_job::last_started_at.eq(now))
            .execute(conn)?;
        let started = std::time::Instant::now();
        let result = job(conn);
        let finished = now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
        let (status, detail) = match &result {
            Ok(_) => ("OK", None),
            Err(error) => ("FAILED", Some(error.to_string())),
        };
        diesel::update(scheduled_job::table.find(name))
            .set((
                scheduled_job::last_finished_at.eq(finished),
                scheduled_job::last_outcome.eq(status),
                scheduled_job::last_detail.eq(&detail),
            ))
            .execute(conn)?;
        result.map_err(|error| JobError::Failed {
            job: name.to_owned(),
            detail: error.to_string(),
        })
    })();
    // Unlock whatever happened; a lost connection releases the lock anyway.
    let unlocked = unlock(conn, name);
    let value = outcome?;
    unlocked?;
    Ok(JobRun::Ran(value))
}

/// The last run of each job, by name.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = scheduled_job)]
pub struct JobRecord {
    pub name: String,
    pub last_started_at: Option<DateTime<Utc>>,
    pub last_finished_at: Option<DateTime<Utc>>,
    pub last_outcome: Option<String>,
    pub last_detail: Option<String>,
}

pub fn records(conn: &mut PgConnection) -> QueryResult<Vec<JobRecord>> {
    scheduled_job::table
        .order(scheduled_job::name)
        .select(JobRecord::as_select())
        .load(conn)
}
