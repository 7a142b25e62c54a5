//! The build queue: requests are rows of `build`, inserted in the same transaction as the
//! change that needs them (`almanac_editorial::builds::request`), and announced on the
//! `build_requested` channel by a trigger.
//!
//! A claim takes the newest PENDING request and marks every older one SUPERSEDED (covered
//! by it): one build renders the whole site, so it includes their changes. Before claiming,
//! builds whose lease ran out are marked FAILED, so a builder that died never blocks the
//! queue. The partial unique index `build_at_most_one_started` makes a second concurrent
//! claim fail in the database, whatever the builders believe.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use uuid::Uuid;

use almanac_content::schema::build;

/// The channel a trigger notifies on every new request.
pub const CHANNEL: &str = "build_requested";

/// A build this builder now runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub build_id: Uuid,
    /// Presented with every later write; a newer claim has a larger one.
    pub fence: i64,
    pub requested_by: String,
    pub reason: String,
    /// Older requests this build covers (now SUPERSEDED).
    pub covered: Vec<Uuid>,
    /// Builds found with an expired lease and failed by this claim.
    pub expired: Vec<Uuid>,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// This builder's claim is no longer the current one: its lease ran out and the build was
    /// failed, or another claim replaced it. It must stop without writing anything.
    #[error("build {0} is no longer ours (lease lost or fenced off); stopping without writing")]
    Fenced(Uuid),
    #[error(transparent)]
    Database(#[from] DieselError),
}

/// When something happened, by the database's clock at that moment: builders on different
/// machines then agree on the order of events. (Leases are reckoned from the caller's `now`,
/// so tests can move time.)
fn database_clock()
-> diesel::expression::SqlLiteral<diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>> {
    diesel::dsl::sql("clock_timestamp()")
}

fn lease_end(now: DateTime<Utc>, lease: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60))
}

/// Announces waiting requests again, for builders that missed the first announcement (they
/// were restarting, or the connection dropped): the safety net behind LISTEN/NOTIFY.
/// Returns how many requests are waiting.
pub fn announce_waiting(conn: &mut PgConnection) -> QueryResult<i64> {
    let waiting: i64 = build::table
        .filter(build::status.eq("PENDING"))
        .count()
        .get_result(conn)?;
    if waiting > 0 {
        diesel::sql_query("SELECT pg_notify('build_requested', 'safety-net')").execute(conn)?;
    }
    Ok(waiting)
}

/// Why a stalled build failed: the alerts tell a stall from a failure by this reason.
pub const STALLED_REASON: &str = "The builder stopped renewing its lease (it crashed, was killed or lost the \
     database); the next build takes over.";

/// Fails every STARTED build whose lease ended before `now`, returning their ids.
pub fn fail_expired(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<Vec<Uuid>> {
    diesel::update(
        build::table
            .filter(build::status.eq("STARTED"))
            .filter(build::lease_expires_at.lt(now)),
    )
    .set((
        build::status.eq("FAILED"),
        build::failed_at.eq(now),
        build::failure_reason.eq(STALLED_REASON),
    ))
    .returning(build::id)
    .get_results(conn)
}

/// Claims the newest PENDING request, if there is one and no build is running.
pub fn claim(
    conn: &mut PgConnection,
    builder: &str,
    lease: Duration,
    now: DateTime<Utc>,
) -> Result<Option<Claim>, QueueError> {
    let outcome = conn.transaction::<_, DieselError, _>(|conn| {
        let expired = fail_expired(conn, now)?;
        let running: i64 = build::table
            .filter(build::status.eq("STARTED"))
            .count()
            .get_result(conn)?;
        if running > 0 {
            return Ok(None);
        }
        let newest: Option<(Uuid, DateTime<Utc>, String, String)> = build::table
            .filter(build::status.eq("PENDING"))
            .order((build::created_at.desc(), build::id.desc()))
            .select((
                build::id,
                build::created_at,
                build::requested_by,
                build::reason,
            ))
            .for_update()
            .skip_locked()
            .first(conn)
            .optional()?;
        let Some((build_id, created_at, requested_by, reason)) = newest else {
            return Ok(None);
        };
        let fence: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "nextval('build_fence_seq')",
        ))
        .get_result(conn)?;
        diesel::update(build::table.find(build_id))
            .set((
                build::status.eq("STARTED"),
                build::started_at.eq(database_clock()),
                build::fence.eq(fence),
                build::builder.eq(builder),
                build::lease_expires_at.eq(lease_end(now, lease)),
            ))
            .execute(conn)?;
        // Older requests, and any of the same instant, are covered by this build. Rows
        // another claimer holds locked are left for it (SKIP LOCKED keeps claims apart).
        let older: Vec<Uuid> = build::table
            .filter(build::status.eq("PENDING"))
            .filter(build::created_at.le(created_at))
            .select(build::id)
            .for_update()
            .skip_locked()
            .load(conn)?;
        diesel::update(build::table.filter(build::id.eq_any(&older)))
            .set((
                build::status.eq("SUPERSEDED"),
                build::covered_by.eq(build_id),
            ))
            .execute(conn)?;
        Ok(Some(Claim {
            build_id,
            fence,
            requested_by,
            reason,
            covered: older,
            expired,
        }))
    });
    match outcome {
        Ok(claim) => Ok(claim),
        // Another builder claimed at the same moment: the unique index refused ours.
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(None),
        Err(DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _)) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// Extends the lease of a running build; fails when the claim is no longer current.
pub fn renew(
    conn: &mut PgConnection,
    claim: &Claim,
    lease: Duration,
    now: DateTime<Utc>,
) -> Result<(), QueueError> {
    let renewed = diesel::update(
        build::table
            .find(claim.build_id)
            .filter(build::status.eq("STARTED"))
            .filter(build::fence.eq(claim.fence)),
    )
    .set(build::lease_expires_at.eq(lease_end(now, lease)))
    .execute(conn)?;
    if renewed == 1 {
        Ok(())
    } else {
        Err(QueueError::Fenced(claim.build_id))
    }
}

/// How a build ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    Done { stats: serde_json::Value },
    Failed { reason: String },
}

/// Records the end of a build, only if this claim still holds it.
pub fn finish(conn: &mut PgConnection, claim: &Claim, outcome: &Outcome) -> Result<(), QueueError> {
    let target = build::table
        .find(claim.build_id)
        .filter(build::status.eq("STARTED"))
        .filter(build::fence.eq(claim.fence));
    let updated = match outcome {
        Outcome::Done { stats } => diesel::update(target)
            .set((
                build::status.eq("DONE"),
                build::succeeded_at.eq(database_clock()),
                build::stats.eq(stats),
                build::lease_expires_at.eq(None::<DateTime<Utc>>),
            ))
            .execute(conn)?,
        Outcome::Failed { reason } => diesel::update(target)
            .set((
                build::status.eq("FAILED"),
                build::failed_at.eq(database_clock()),
                build::failure_reason.eq(reason),
                build::lease_expires_at.eq(None::<DateTime<Utc>>),
            ))
            .execute(conn)?,
    };
    if updated == 1 {
        Ok(())
    } else {
        Err(QueueError::Fenced(claim.build_id))
    }
}

/// The largest fencing number handed out so far (0 before the first claim): what a deploy
/// target compares against.
pub fn current_fence(conn: &mut PgConnection) -> QueryResult<i64> {
    build::table
        .select(diesel::dsl::max(build::fence))
        .first::<Option<i64>>(conn)
        .map(|fence| fence.unwrap_or(0))
}

/// Starts listening for requests on this connection (keep it for [`wait_for_request`]).
pub fn listen(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(conn)?;
    Ok(())
}

/// Waits up to `timeout` for a request to be announced, checking every 200 ms (libpq reads
/// notifications without blocking). True when one arrived; every pending announcement is
/// consumed, since one build covers them all.
pub fn wait_for_request(conn: &mut PgConnection, timeout: Duration) -> QueryResult<bool> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let mut announced = false;
        for notification in conn.notifications_iter() {
            announced |= notification?.channel == CHANNEL;
        }
        if announced {
            return Ok(true);
        }
        if std::time::Instant::now() >= deadline {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(200).min(deadline - std::time::Instant::now()));
    }
}

pub use almanac_content::builds::request;
