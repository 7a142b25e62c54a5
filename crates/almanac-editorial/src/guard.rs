//! The check every change to a version's content starts with.

use diesel::pg::PgConnection;
use diesel::prelude::*;

use almanac_accounts::users::can_access_measure;
use almanac_content::models::{MeasureVersion, User};
use almanac_content::schema::measure_version;
use almanac_content::{Capability, PublishStatus};

/// Why a version's content cannot be changed by this actor.
pub(crate) enum Refusal {
    UnknownVersion,
    Forbidden,
    NotEditable(PublishStatus),
}

/// Locks the version (until the transaction ends) if `actor` may change its content now:
/// UPDATE_MEASURE, access to the measure, and a DRAFT or REJECTED status.
pub(crate) fn lock_editable_version(
    conn: &mut PgConnection,
    actor: &User,
    version_id: i32,
) -> QueryResult<Result<MeasureVersion, Refusal>> {
    let Some(version) = measure_version::table
        .find(version_id)
        .select(MeasureVersion::as_select())
        .for_update()
        .first(conn)
        .optional()?
    else {
        return Ok(Err(Refusal::UnknownVersion));
    };
    if !actor.can(Capability::UpdateMeasure)
        || !can_access_measure(conn, actor, version.measure_id)?
    {
        return Ok(Err(Refusal::Forbidden));
    }
    if !version.status().is_editable() {
        return Ok(Err(Refusal::NotEditable(version.status())));
    }
    Ok(Ok(version))
}
