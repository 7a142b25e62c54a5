//! Build requests: a row in `build` that the site builder picks up. Written in the same
//! transaction as the change that needs it, so a build is requested exactly when the change
//! commits.

use diesel::pg::PgConnection;
use diesel::prelude::*;

use crate::schema::build;

/// Asks for a site build; `requested_by` is a user's email or a job's name.
pub fn request(
    conn: &mut PgConnection,
    requested_by: &str,
    reason: &str,
) -> QueryResult<uuid::Uuid> {
    diesel::insert_into(build::table)
        .values((
            build::requested_by.eq(requested_by),
            build::reason.eq(reason),
        ))
        .returning(build::id)
        .get_result(conn)
}

#[derive(Debug, thiserror::Error)]
pub enum AcknowledgeError {
    #[error("there is no build {0}")]
    Unknown(String),
    #[error("build {0} has not failed: only failed builds are acknowledged")]
    NotFailed(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Acknowledges a failed build: its alerts stop. `build` is the full id or a unique prefix
/// of it (the first eight characters, as the alert's subject shows). Acknowledging twice
/// keeps the first acknowledgement.
pub fn acknowledge(
    conn: &mut PgConnection,
    build: &str,
    who: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<uuid::Uuid, AcknowledgeError> {
    let prefix = build.trim().to_lowercase().replace('-', "");
    if prefix.len() < 4 || !prefix.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(AcknowledgeError::Unknown(build.to_owned()));
    }
    let matches: Vec<(uuid::Uuid, String)> = build::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("replace(id::text, '-', '') LIKE ")
                .bind::<diesel::sql_types::Text, _>(format!("{prefix}%")),
        )
        .select((build::id, build::status))
        .limit(2)
        .load(conn)?;
    let [(id, status)] = &matches[..] else {
        return Err(AcknowledgeError::Unknown(build.to_owned()));
    };
    if status != "FAILED" {
        return Err(AcknowledgeError::NotFailed(build.to_owned()));
    }
    diesel::update(build::table.find(id))
        .filter(build::acknowledged_at.is_null())
        .set((
            build::acknowledged_at.eq(now),
            build::acknowledged_by.eq(who),
        ))
        .execute(conn)?;
    Ok(*id)
}

/// Whether the last publish of a version has reached the public site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveStatus {
    /// The first build that started after the publish finished at this time.
    LiveSince(chrono::DateTime<chrono::Utc>),
    /// Published, and no build since has finished yet.
    Waiting,
}

#[derive(diesel::QueryableByName)]
struct Finished {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    published: Option<chrono::DateTime<chrono::Utc>>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    live: Option<chrono::DateTime<chrono::Utc>>,
}

/// When the version's last publish went live: the first DONE build that started after its
/// `version_published` event. `None` when the version was never published through the
/// publisher (seeded content has no such event).
pub fn live_status(conn: &mut PgConnection, version_id: i32) -> QueryResult<Option<LiveStatus>> {
    let found: Finished = diesel::sql_query(
        "WITH published AS (
             SELECT max(occurred_at) AS at FROM audit_event
             WHERE action = 'version_published' AND subject_type = 'measure_version'
               AND subject_id = $1::text
         )
         SELECT published.at AS published,
                (SELECT b.succeeded_at FROM build b
                 WHERE b.status = 'DONE' AND b.started_at >= published.at
                 ORDER BY b.started_at LIMIT 1) AS live
         FROM published",
    )
    .bind::<diesel::sql_types::Integer, _>(version_id)
    .get_result(conn)?;
    Ok(match (found.published, found.live) {
        (None, _) => None,
        (Some(_), Some(at)) => Some(LiveStatus::LiveSince(at)),
        (Some(_), None) => Some(LiveStatus::Waiting),
    })
}
