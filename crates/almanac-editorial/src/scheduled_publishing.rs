//! Publishing at a set time. A publisher approves a version in department review for
//! publishing at a future time instead of now; the site builder's scheduler then takes the
//! same `Publish` step as the person who set the time, within a minute of it.
//!
//! Exactly once, whatever runs: `publish_due` locks each due row with `FOR UPDATE SKIP
//! LOCKED`, so two workers never take the same version, and the publish clears the schedule
//! in the same transaction as the status change and the build request, so a worker that
//! dies half-way leaves the row due and the next run publishes it.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde_json::json;

use almanac_accounts::audit::{self, Actor, AuditAction, Origin, Subject};
use almanac_accounts::users::can_access_measure;
use almanac_content::models::{MeasureVersion, User};
use almanac_content::schema::{measure_version, users};
use almanac_content::{Capability, PublishStatus};

use crate::workflow::{self, WorkflowError};

/// The earliest a schedule may be set: far enough ahead that the scheduler, which runs at
/// least every minute, cannot be late because of it.
const MINIMUM_LEAD: chrono::Duration = chrono::Duration::minutes(2);

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("You do not have permission to publish pages")]
    Forbidden,
    #[error("there is no such version")]
    UnknownVersion,
    #[error("Only a page in department review can be scheduled (this one is {0})")]
    NotInReview(&'static str),
    #[error("Choose a time at least 2 minutes from now")]
    TooSoon,
    #[error("This page has no publishing time set")]
    NotScheduled,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Sets (or moves) the time at which a version in department review is published.
pub fn schedule(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    version_id: i32,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<MeasureVersion, ScheduleError> {
    if at < now + MINIMUM_LEAD {
        return Err(ScheduleError::TooSoon);
    }
    conn.transaction(|conn| {
        let version = locked_version(conn, actor, version_id)?;
        if version.status() != PublishStatus::DepartmentReview {
            return Err(ScheduleError::NotInReview(version.status().label()));
        }
        let updated = diesel::update(measure_version::table.find(version_id))
            .set((
                measure_version::publish_scheduled_at.eq(at),
                measure_version::publish_scheduled_by.eq(&actor.email),
            ))
            .returning(MeasureVersion::as_returning())
            .get_result(conn)?;
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::PublishScheduled,
            Some(Subject::measure_version(version_id)),
            json!({ "at": at.to_rfc3339() }),
        )?;
        Ok(updated)
    })
}

/// Clears a version's publishing time; it stays in department review.
pub fn cancel(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    version_id: i32,
) -> Result<MeasureVersion, ScheduleError> {
    conn.transaction(|conn| {
        let version = locked_version(conn, actor, version_id)?;
        let Some(at) = version.publish_scheduled_at else {
            return Err(ScheduleError::NotScheduled);
        };
        let updated = clear(conn, version_id)?;
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::PublishScheduleCancelled,
            Some(Subject::measure_version(version_id)),
            json!({ "at": at.to_rfc3339() }),
        )?;
        Ok(updated)
    })
}

fn locked_version(
    conn: &mut PgConnection,
    actor: &User,
    version_id: i32,
) -> Result<MeasureVersion, ScheduleError> {
    let version: MeasureVersion = measure_version::table
        .find(version_id)
        .select(MeasureVersion::as_select())
        .for_update()
        .first(conn)
        .optional()?
        .ok_or(ScheduleError::UnknownVersion)?;
    if !actor.can(Capability::Publish) || !can_access_measure(conn, actor, version.measure_id)? {
        return Err(ScheduleError::Forbidden);
    }
    Ok(version)
}

fn clear(conn: &mut PgConnection, version_id: i32) -> QueryResult<MeasureVersion> {
    diesel::update(measure_version::table.find(version_id))
        .set((
            measure_version::publish_scheduled_at.eq(None::<DateTime<Utc>>),
            measure_version::publish_scheduled_by.eq(None::<String>),
        ))
        .returning(MeasureVersion::as_returning())
        .get_result(conn)
}

/// What became of one due version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduledOutcome {
    Published {
        version_id: i32,
        title: String,
    },
    /// The person who set the time can no longer publish (their account was deactivated,
    /// or their rights changed): the schedule is cleared and the page stays in review.
    Refused {
        version_id: i32,
        reason: String,
    },
}

/// Publishes every version whose time has come, each in its own transaction, as the person
/// who scheduled it. Safe to run from any number of workers at once.
pub fn publish_due(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
) -> QueryResult<Vec<ScheduledOutcome>> {
    let mut outcomes = Vec::new();
    loop {
        let outcome = conn.transaction(|conn| {
            let due: Option<(i32, String)> = measure_version::table
                .filter(measure_version::publish_scheduled_at.le(now))
                .filter(measure_version::status.eq(PublishStatus::DepartmentReview.as_str()))
                .order(measure_version::publish_scheduled_at)
                .select((
                    measure_version::id,
                    measure_version::publish_scheduled_by.assume_not_null(),
                ))
                .for_update()
                .skip_locked()
                .first(conn)
                .optional()?;
            let Some((version_id, scheduled_by)) = due else {
                return Ok(None);
            };
            let publisher: Option<User> = users::table
                .filter(users::email.eq(&scheduled_by))
                .filter(users::active.eq(true))
                .select(User::as_select())
                .first(conn)
                .optional()?;
            let refused = |conn: &mut PgConnection, reason: String| {
                clear(conn, version_id)?;
                audit::record(
                    conn,
                    &Origin::default(),
                    Actor::System,
                    AuditAction::PublishScheduleCancelled,
                    Some(Subject::measure_version(version_id)),
                    json!({ "reason": reason }),
                )?;
                Ok::<_, diesel::result::Error>(Some(ScheduledOutcome::Refused {
                    version_id,
                    reason,
                }))
            };
            let Some(publisher) = publisher else {
                return refused(
                    conn,
                    format!("{scheduled_by} no longer has an active account"),
                );
            };
            match workflow::publish_as(conn, &publisher, &Origin::default(), version_id, now) {
                Ok(version) => Ok(Some(ScheduledOutcome::Published {
                    version_id,
                    title: version.title,
                })),
                Err(WorkflowError::Database(error)) => Err(error),
                Err(refusal) => refused(conn, refusal.to_string()),
            }
        })?;
        match outcome {
            Some(outcome) => outcomes.push(outcome),
            None => return Ok(outcomes),
        }
    }
}
