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
