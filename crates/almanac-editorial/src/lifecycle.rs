//! The life of a measure as a whole: deleting a version (and with 1.0 the measure), archiving
//! a measure (optionally pointing readers to the one that replaces it), and copying one.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde_json::json;

use almanac_accounts::audit::{self, Actor, AuditAction, Origin, Subject};
use almanac_accounts::users::can_access_measure;
use almanac_content::models::{MeasureVersion, User};
use almanac_content::schema::{measure, measure_version, user_measure};
use almanac_content::{Capability, PublishStatus};

use crate::builds;

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error("there is no such page")]
    Unknown,
    #[error("You do not have permission to do this")]
    Forbidden,
    #[error("Only draft versions can be deleted: unpublish this one first")]
    NotDraft,
    #[error("{0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// What is left after a delete.
#[derive(Debug, PartialEq, Eq)]
pub enum Deleted {
    /// Version 1.0 went, and the measure with it.
    Measure,
    /// A later version went; this one is the latest again.
    Version { latest_id: i32 },
}

/// Deletes a draft version (DELETE_MEASURE). Deleting 1.0 deletes the measure, as in the
/// model; otherwise the previous version becomes the latest again.
pub fn delete_version(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    version_id: i32,
) -> Result<Deleted, LifecycleError> {
    conn.transaction(|conn| {
        let version: MeasureVersion = measure_version::table
            .find(version_id)
            .select(MeasureVersion::as_select())
            .for_update()
            .first(conn)
            .optional()?
            .ok_or(LifecycleError::Unknown)?;
        if !actor.can(Capability::DeleteMeasure) || !can_access_measure(conn, actor, version.measure_id)? {
            return Err(LifecycleError::Forbidden);
        }
        if version.status() != PublishStatus::Draft {
            return Err(LifecycleError::NotDraft);
        }
        let first = version.version_major == 1 && version.version_minor == 0;
        let outcome = if first {
            // Versions, dimensions, uploads and shares go with the measure (ON DELETE CASCADE
            // on the version side; the shares explicitly).
            diesel::delete(user_measure::table.filter(user_measure::measure_id.eq(version.measure_id))).execute(conn)?;
            diesel::delete(measure_version::table.filter(measure_version::measure_id.eq(version.measure_id)))
                .execute(conn)?;
            diesel::delete(measure::table.find(version.measure_id)).execute(conn)?;
            Deleted::Measure
        } else {
            diesel::delete(measure_version::table.find(version.id)).execute(conn)?;
            let latest_id: i32 = measure_version::table
                .filter(measure_version::measure_id.eq(version.measure_id))
                .order((measure_version::version_major.desc(), measure_version::version_minor.desc()))
                .select(measure_version::id)
                .first(conn)?;
            diesel::update(measure_version::table.find(latest_id))
                .set(measure_version::latest.eq(true))
                .execute(conn)?;
            Deleted::Version { latest_id }
        };
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::VersionDeleted,
            Some(Subject::measure_version(version.id)),
            json!({ "measure_id": version.measure_id, "version": version.version().to_string(), "title": version.title, "measure_deleted": first }),
        )?;
        Ok(outcome)
    })
}

/// Archives a measure (PUBLISH): it leaves the topic pages but its pages stay built, with a
/// banner naming `replaced_by` when given. A build is requested because the site changes.
pub fn archive(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    measure_id: i32,
    replaced_by: Option<i32>,
) -> Result<(), LifecycleError> {
    if !actor.can(Capability::Publish) {
        return Err(LifecycleError::Forbidden);
    }
    if replaced_by == Some(measure_id) {
        return Err(LifecycleError::Invalid("A page cannot replace itself"));
    }
    conn.transaction(|conn| {
        let exists: i64 = measure::table.find(measure_id).count().get_result(conn)?;
        if exists == 0 {
            return Err(LifecycleError::Unknown);
        }
        if let Some(replacement) = replaced_by {
            let live: i64 = measure::table
                .find(replacement)
                .filter(measure::retired.eq(false))
                .count()
                .get_result(conn)?;
            if live == 0 {
                return Err(LifecycleError::Invalid(
                    "Choose a replacement that exists and is not archived",
                ));
            }
        }
        diesel::update(measure::table.find(measure_id))
            .set((
                measure::retired.eq(true),
                measure::replaced_by_measure_id.eq(replaced_by),
            ))
            .execute(conn)?;
        builds::request(
            conn,
            &actor.email,
            &format!("archived measure {measure_id}"),
        )?;
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::MeasureArchived,
            Some(Subject::measure(measure_id)),
            json!({ "replaced_by": replaced_by }),
        )?;
        Ok(())
    })
}

/// Copies a measure (COPY_MEASURE, developers) into the same subtopic as a new draft 1.0:
/// slug `<slug>-copy` (more `-copy` until free), title "COPY OF …", dimensions deep-copied;
/// no uploads, data sources or history.
pub fn copy_measure(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    version_id: i32,
    now: DateTime<Utc>,
) -> Result<MeasureVersion, LifecycleError> {
    if !actor.can(Capability::CopyMeasure) {
        return Err(LifecycleError::Forbidden);
    }
    conn.transaction(|conn| {
        let source: MeasureVersion = measure_version::table
            .find(version_id)
            .select(MeasureVersion::as_select())
            .first(conn)
            .optional()?
            .ok_or(LifecycleError::Unknown)?;
        let (subtopic_id, slug): (i32, String) = measure::table
            .find(source.measure_id)
            .select((measure::subtopic_id, measure::slug))
            .first(conn)?;
        let mut new_slug = format!("{slug}-copy");
        while measure::table
            .filter(measure::subtopic_id.eq(subtopic_id))
            .filter(measure::slug.eq(&new_slug))
            .count()
            .get_result::<i64>(conn)?
            > 0
        {
            new_slug.push_str("-copy");
        }
        let siblings: i64 = measure::table
            .filter(measure::subtopic_id.eq(subtopic_id))
            .count()
            .get_result(conn)?;
        let measure_id: i32 = diesel::insert_into(measure::table)
            .values((
                measure::subtopic_id.eq(subtopic_id),
                measure::slug.eq(&new_slug),
                measure::position.eq(siblings as i32),
            ))
            .returning(measure::id)
            .get_result(conn)?;
        let copy: MeasureVersion = diesel::insert_into(measure_version::table)
            .values((
                measure_version::measure_id.eq(measure_id),
                measure_version::version_major.eq(1),
                measure_version::version_minor.eq(0),
                measure_version::latest.eq(true),
                measure_version::status.eq(PublishStatus::Draft.as_str()),
                measure_version::template_version.eq(source.template_version),
                measure_version::title.eq(format!("COPY OF {}", source.title)),
                measure_version::summary.eq(&source.summary),
                measure_version::description.eq(&source.description),
                measure_version::need_to_know.eq(&source.need_to_know),
                measure_version::measure_summary.eq(&source.measure_summary),
                measure_version::ethnicity_definition_summary
                    .eq(&source.ethnicity_definition_summary),
                measure_version::methodology.eq(&source.methodology),
                measure_version::area_covered.eq(&source.area_covered),
                measure_version::time_covered.eq(&source.time_covered),
                measure_version::lowest_level_of_geography_id
                    .eq(&source.lowest_level_of_geography_id),
                measure_version::created_at.eq(now),
                measure_version::created_by.eq(&actor.email),
                measure_version::updated_at.eq(now),
                measure_version::last_updated_by.eq(&actor.email),
                measure_version::internal_edit_summary.eq("Initial version"),
                measure_version::external_edit_summary.eq("First published"),
            ))
            .returning(MeasureVersion::as_returning())
            .get_result(conn)?;
        crate::versions::copy_dimensions(conn, source.id, copy.id, now)?;
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::MeasureCopied,
            Some(Subject::measure(measure_id)),
            json!({ "from_version_id": source.id }),
        )?;
        Ok(copy)
    })
}

/// Moves a measure one place up or down among its subtopic's measures (ORDER_MEASURES) and
/// requests a build, since topic pages list measures in this order. Positions are renumbered
/// 0, 1, 2… so that gaps and ties from older data disappear.
pub fn move_measure(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    measure_id: i32,
    up: bool,
) -> Result<(), LifecycleError> {
    if !actor.can(Capability::OrderMeasures) {
        return Err(LifecycleError::Forbidden);
    }
    conn.transaction(|conn| {
        let subtopic_id: i32 = measure::table
            .find(measure_id)
            .select(measure::subtopic_id)
            .first(conn)
            .optional()?
            .ok_or(LifecycleError::Unknown)?;
        let mut order: Vec<i32> = measure::table
            .filter(measure::subtopic_id.eq(subtopic_id))
            .order((measure::position, measure::id))
            .select(measure::id)
            .for_update()
            .load(conn)?;
        let at = order
            .iter()
            .position(|id| *id == measure_id)
            .ok_or(LifecycleError::Unknown)?;
        let to = if up {
            at.checked_sub(1)
        } else {
            Some(at + 1).filter(|to| *to < order.len())
        };
        let Some(to) = to else {
            return Err(LifecycleError::Invalid(if up {
                "This page is already first"
            } else {
                "This page is already last"
            }));
        };
        order.swap(at, to);
        for (position, id) in order.iter().enumerate() {
            diesel::update(measure::table.find(id))
                .set(measure::position.eq(position as i32))
                .execute(conn)?;
        }
        builds::request(
            conn,
            &actor.email,
            &format!("reordered the measures of subtopic {subtopic_id}"),
        )?;
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::MeasuresReordered,
            Some(Subject {
                kind: "subtopic",
                id: subtopic_id.to_string(),
            }),
            json!({ "order": order }),
        )?;
        Ok(())
    })
}
