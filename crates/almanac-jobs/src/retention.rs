//! Old builds are deleted nightly so the queue table stays small. Kept whatever their age:
//! the newest `keep`, anything waiting or running, any failure nobody has acknowledged yet
//! (its alerts are still going out), and the builds the deploy targets hold now.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

/// Deletes builds beyond the newest `keep`, returning how many went.
pub fn delete_old_builds(conn: &mut PgConnection, keep: i64) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM build
         WHERE id NOT IN (SELECT id FROM build ORDER BY created_at DESC, id LIMIT $1)
           AND status NOT IN ('PENDING', 'STARTED')
           AND NOT (status = 'FAILED' AND acknowledged_at IS NULL)
           AND id NOT IN (SELECT build_id FROM deploy_target WHERE build_id IS NOT NULL)",
    )
    .bind::<BigInt, _>(keep)
    .execute(conn)
}
