//! Updating a published page: a minor version (`X.Y` → `X.(Y+1)`, for clarifications and
//! corrections) or a major one (`X.Y` → `(X+1).0`, a new edition with new data).
//!
//! The new version copies the page text and deep-copies every dimension with its chart,
//! table and classification (new ids, so editing the copy never touches the published
//! page). A minor version also copies the uploads and links the same data sources; a major
//! version starts with neither, because a new edition always has new data.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Int4, Text, Timestamptz, Uuid as SqlUuid};
use serde_json::json;
use uuid::Uuid;

use almanac_accounts::audit::{self, Actor, AuditAction, Origin, Subject};
use almanac_accounts::users::can_access_measure;
use almanac_content::models::{MeasureVersion, User};
use almanac_content::schema::{dimension, measure_version, upload};
use almanac_content::{Capability, PublishStatus, UpdateKind, VersionNumber};

/// A file that the new version's uploads need in the file store (minor versions only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCopy {
    pub measure_id: i32,
    pub from_version: String,
    pub to_version: String,
    pub file_name: String,
}

#[derive(Debug)]
pub struct NewVersion {
    pub version: MeasureVersion,
    /// Copy these in the file store after the transaction commits.
    pub file_copies: Vec<FileCopy>,
}

#[derive(Debug, thiserror::Error)]
pub enum VersionError {
    #[error("there is no such measure version")]
    UnknownVersion,
    #[error("You do not have permission to create new versions of this page")]
    Forbidden,
    #[error("Only the latest published version of a page can be updated")]
    NotLatestPublished,
    #[error("Version {0} is already being updated")]
    AlreadyBeingUpdated(VersionNumber),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Starts a minor or major update of the published, latest version `from_version_id`.
pub fn create_update(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    from_version_id: i32,
    kind: UpdateKind,
    now: DateTime<Utc>,
) -> Result<NewVersion, VersionError> {
    conn.transaction(|conn| {
        let from: MeasureVersion = measure_version::table
            .find(from_version_id)
            .select(MeasureVersion::as_select())
            .for_update()
            .first(conn)
            .optional()?
            .ok_or(VersionError::UnknownVersion)?;
        if !actor.can(Capability::CreateVersion)
            || !can_access_measure(conn, actor, from.measure_id)?
        {
            return Err(VersionError::Forbidden);
        }
        let number = from.version().next(kind);
        let taken: i64 = measure_version::table
            .filter(measure_version::measure_id.eq(from.measure_id))
            .filter(measure_version::version_major.eq(number.major))
            .filter(measure_version::version_minor.eq(number.minor))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            return Err(VersionError::AlreadyBeingUpdated(number));
        }
        if from.status() != PublishStatus::Approved || !from.latest {
            return Err(VersionError::NotLatestPublished);
        }
        diesel::update(
            measure_version::table.filter(measure_version::measure_id.eq(from.measure_id)),
        )
        .set(measure_version::latest.eq(false))
        .execute(conn)?;
        let new_id = copy_version_row(conn, &from, number, &actor.email, now)?;
        copy_dimensions(conn, from.id, new_id, now)?;
        let file_copies = match kind {
            UpdateKind::Minor => copy_uploads_and_sources(conn, &from, new_id, number)?,
            UpdateKind::Major => Vec::new(),
        };
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::VersionCreated,
            Some(Subject::measure_version(new_id)),
            json!({
                "measure_id": from.measure_id,
                "from": from.version().to_string(),
                "version": number.to_string(),
                "kind": match kind { UpdateKind::Minor => "minor", UpdateKind::Major => "major" },
            }),
        )?;
        let version = measure_version::table
            .find(new_id)
            .select(MeasureVersion::as_select())
            .first(conn)?;
        Ok(NewVersion {
            version,
            file_copies,
        })
    })
}

#[derive(QueryableByName)]
struct NewId {
    #[diesel(sql_type = Int4)]
    id: i32,
}

/// Copies the page text; status, publication, review link, edit summaries and the
/// correction answer start afresh.
fn copy_version_row(
    conn: &mut PgConnection,
    from: &MeasureVersion,
    number: VersionNumber,
    by: &str,
    now: DateTime<Utc>,
) -> QueryResult<i32> {
    let row: NewId = diesel::sql_query(
        "INSERT INTO measure_version (
             measure_id, version_major, version_minor, template_version, latest, status,
             created_at, created_by, updated_at, last_updated_by,
             title, description, summary, need_to_know, measure_summary,
             ethnicity_definition_summary, area_covered, time_covered,
             lowest_level_of_geography_id, methodology, suppression_and_disclosure, estimation,
             related_publications, qmi_url, further_technical_information)
         SELECT measure_id, $2, $3, template_version, true, 'DRAFT',
                $4, $5, $4, $5,
                title, description, summary, need_to_know, measure_summary,
                ethnicity_definition_summary, area_covered, time_covered,
                lowest_level_of_geography_id, methodology, suppression_and_disclosure, estimation,
                related_publications, qmi_url, further_technical_information
         FROM measure_version WHERE id = $1
         RETURNING id",
    )
    .bind::<Int4, _>(from.id)
    .bind::<Int4, _>(number.major)
    .bind::<Int4, _>(number.minor)
    .bind::<Timestamptz, _>(now)
    .bind::<Text, _>(by)
    .get_result(conn)?;
    Ok(row.id)
}

/// Each dimension gets a new id; its chart, table and classification are copied with it.
pub(crate) fn copy_dimensions(
    conn: &mut PgConnection,
    from_id: i32,
    to_id: i32,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let old: Vec<Uuid> = dimension::table
        .filter(dimension::measure_version_id.eq(from_id))
        .order(dimension::position)
        .select(dimension::guid)
        .load(conn)?;
    for old_guid in old {
        let new_guid = Uuid::new_v4();
        diesel::sql_query(
            "INSERT INTO dimension (guid, measure_version_id, title, time_period, summary, location, position, created_at, updated_at)
             SELECT $2, $3, title, time_period, summary, location, position, $4, $4 FROM dimension WHERE guid = $1",
        )
        .bind::<SqlUuid, _>(old_guid)
        .bind::<SqlUuid, _>(new_guid)
        .bind::<Int4, _>(to_id)
        .bind::<Timestamptz, _>(now)
        .execute(conn)?;
        for statement in [
            "INSERT INTO dimension_chart (dimension_guid, classification_id, includes_parents, includes_all, includes_unknown, settings_and_source_data, chart_object)
             SELECT $2, classification_id, includes_parents, includes_all, includes_unknown, settings_and_source_data, chart_object
             FROM dimension_chart WHERE dimension_guid = $1",
            "INSERT INTO dimension_table (dimension_guid, classification_id, includes_parents, includes_all, includes_unknown, settings_and_source_data, table_object)
             SELECT $2, classification_id, includes_parents, includes_all, includes_unknown, settings_and_source_data, table_object
             FROM dimension_table WHERE dimension_guid = $1",
            "INSERT INTO dimension_categorisation (dimension_guid, classification_id, includes_parents, includes_all, includes_unknown)
             SELECT $2, classification_id, includes_parents, includes_all, includes_unknown
             FROM dimension_categorisation WHERE dimension_guid = $1",
        ] {
            diesel::sql_query(statement)
                .bind::<SqlUuid, _>(old_guid)
                .bind::<SqlUuid, _>(new_guid)
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Minor versions keep the data: upload rows are copied (the files follow, see
/// `FileCopy`) and the same data-source rows are linked, not copied.
fn copy_uploads_and_sources(
    conn: &mut PgConnection,
    from: &MeasureVersion,
    to_id: i32,
    number: VersionNumber,
) -> QueryResult<Vec<FileCopy>> {
    diesel::sql_query(
        "INSERT INTO upload (guid, measure_version_id, title, file_name, description, size_bytes, scan_status, created_at)
         SELECT gen_random_uuid(), $2, title, file_name, description, size_bytes, scan_status, created_at
         FROM upload WHERE measure_version_id = $1",
    )
    .bind::<Int4, _>(from.id)
    .bind::<Int4, _>(to_id)
    .execute(conn)?;
    diesel::sql_query(
        "INSERT INTO data_source_in_measure_version (data_source_id, measure_version_id, position)
         SELECT data_source_id, $2, position FROM data_source_in_measure_version WHERE measure_version_id = $1",
    )
    .bind::<Int4, _>(from.id)
    .bind::<Int4, _>(to_id)
    .execute(conn)?;
    let files: Vec<String> = upload::table
        .filter(upload::measure_version_id.eq(to_id))
        .order(upload::file_name)
        .select(upload::file_name)
        .load(conn)?;
    Ok(files
        .into_iter()
        .map(|file_name| FileCopy {
            measure_id: from.measure_id,
            from_version: from.version().to_string(),
            to_version: number.to_string(),
            file_name,
        })
        .collect())
}
