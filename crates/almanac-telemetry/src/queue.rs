//! The build queue as operators see it: read at scrape or health-check time from the
//! `build` table, so every process reports the same queue whoever runs the builds.

use std::collections::BTreeMap;

use almanac_content::schema::build;
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

/// Every status a build can have (see the `build` table's check constraint).
pub(crate) const BUILD_STATUSES: [&str; 5] = ["PENDING", "STARTED", "DONE", "SUPERSEDED", "FAILED"];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueState {
    /// Requests waiting for a builder.
    pub pending: i64,
    /// How long the oldest waiting request has waited; `None` when none waits.
    pub oldest_pending_age_seconds: Option<f64>,
    /// The build running now, if any (at most one runs at a time).
    pub started: Option<StartedBuild>,
    /// How many builds the table holds, by status.
    #[serde(skip)]
    pub by_status: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StartedBuild {
    pub id: Uuid,
    /// The builder that claimed it.
    pub builder: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub lease: LeaseState,
}

/// Whether a running build's builder is still renewing its lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaseState {
    Held,
    /// The lease ran out: the builder stopped (crashed, was killed, or lost the database).
    /// The next claim fails the build.
    Expired,
}

impl QueueState {
    /// The queue as it stands at `now` (by the caller's clock, like the leases themselves).
    pub fn read(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<QueueState> {
        let by_status: BTreeMap<String, i64> = build::table
            .group_by(build::status)
            .select((build::status, diesel::dsl::count_star()))
            .load::<(String, i64)>(conn)?
            .into_iter()
            .collect();
        let oldest_pending: Option<DateTime<Utc>> = build::table
            .filter(build::status.eq("PENDING"))
            .select(diesel::dsl::min(build::created_at))
            .first(conn)?;
        let started = build::table
            .filter(build::status.eq("STARTED"))
            .order(build::started_at.desc())
            .select((
                build::id,
                build::builder,
                build::started_at,
                build::lease_expires_at,
            ))
            .first::<(
                Uuid,
                Option<String>,
                Option<DateTime<Utc>>,
                Option<DateTime<Utc>>,
            )>(conn)
            .optional()?;
        Ok(QueueState {
            pending: by_status.get("PENDING").copied().unwrap_or(0),
            oldest_pending_age_seconds: oldest_pending
                .map(|created| ((now - created).num_milliseconds().max(0) as f64) / 1000.0),
            started: started.map(|(id, builder, started_at, lease_expires_at)| StartedBuild {
                id,
                builder,
                started_at,
                lease: match lease_expires_at {
                    Some(end) if end < now => LeaseState::Expired,
                    _ => LeaseState::Held,
                },
                lease_expires_at,
            }),
            by_status,
        })
    }
}
