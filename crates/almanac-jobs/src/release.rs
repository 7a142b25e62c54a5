//! A new release of Almanac changes templates, styles or scripts, so the public site must be
//! rebuilt with it even when no content changed. Each finished build records the release
//! that made it (`stats.release`); a worker that starts with a different release asks for a
//! build, once, whichever of several workers starts first.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};

#[derive(QueryableByName)]
struct LastRelease {
    #[diesel(sql_type = Nullable<Text>)]
    release: Option<String>,
}

/// Requests a build when the newest finished build was made by another release and no
/// request is waiting (a waiting one will be built by this release anyway). Returns whether
/// it asked.
pub fn request_if_new(conn: &mut PgConnection, release: &str) -> QueryResult<bool> {
    conn.transaction(|conn| {
        // Two workers starting together must not both ask: serialise on the queue.
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended('release-build', 0))")
            .execute(conn)?;
        let waiting: i64 = almanac_content::schema::build::table
            .filter(almanac_content::schema::build::status.eq("PENDING"))
            .count()
            .get_result(conn)?;
        let last: Option<LastRelease> = diesel::sql_query(
            "SELECT stats->>'release' AS release FROM build
             WHERE status = 'DONE' ORDER BY succeeded_at DESC LIMIT 1",
        )
        .get_result(conn)
        .optional()?;
        let built_by_this_release = last.and_then(|row| row.release).as_deref() == Some(release);
        if waiting > 0 || built_by_this_release {
            return Ok(false);
        }
        almanac_content::builds::request(
            conn,
            "site-builder",
            &format!("deploy of release {release}"),
        )?;
        Ok(true)
    })
}

/// Records which release made a finished build (read by [`request_if_new`]).
pub fn record(conn: &mut PgConnection, build_id: uuid::Uuid, release: &str) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE build SET stats = coalesce(stats, '{}'::jsonb) || jsonb_build_object('release', $1::text)
         WHERE id = $2",
    )
    .bind::<Text, _>(release)
    .bind::<diesel::sql_types::Uuid, _>(build_id)
    .execute(conn)
    .map(drop)
}
