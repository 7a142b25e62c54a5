//! Read models of measures for the publisher: lists, lookup by URL path, version history.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, Int4, Nullable, Text, Timestamptz};

use crate::VersionNumber;

/// A measure, named by its newest version's title.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct MeasureListing {
    #[diesel(sql_type = Int4)]
    pub id: i32,
    #[diesel(sql_type = Text)]
    pub topic_slug: String,
    #[diesel(sql_type = Text)]
    pub topic_title: String,
    #[diesel(sql_type = Text)]
    pub subtopic_slug: String,
    #[diesel(sql_type = Text)]
    pub subtopic_title: String,
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    /// The newest version's status.
    #[diesel(sql_type = Text)]
    pub status: String,
}

impl MeasureListing {
    /// The measure's path below `/cms`.
    pub fn path(&self) -> String {
        format!("{}/{}/{}", self.topic_slug, self.subtopic_slug, self.slug)
    }
}

const LISTING: &str = "
    SELECT DISTINCT ON (m.id) m.id, t.slug AS topic_slug, t.title AS topic_title,
           s.slug AS subtopic_slug, s.title AS subtopic_title, m.slug, mv.title, mv.status
    FROM measure m
    JOIN subtopic s ON s.id = m.subtopic_id
    JOIN topic t ON t.id = s.topic_id
    JOIN measure_version mv ON mv.measure_id = m.id";
const NEWEST_FIRST: &str = "ORDER BY m.id, mv.version_major DESC, mv.version_minor DESC";

/// Every measure, ordered by topic, subtopic and title.
pub fn all(conn: &mut PgConnection) -> QueryResult<Vec<MeasureListing>> {
    sorted(diesel::sql_query(format!("{LISTING} {NEWEST_FIRST}")).load(conn)?)
}

/// The measures with these ids, ordered by topic, subtopic and title.
pub fn with_ids(conn: &mut PgConnection, ids: &[i32]) -> QueryResult<Vec<MeasureListing>> {
    sorted(
        diesel::sql_query(format!("{LISTING} WHERE m.id = ANY($1) {NEWEST_FIRST}"))
            .bind::<Array<Int4>, _>(ids)
            .load(conn)?,
    )
}

/// The measure at `/<topic>/<subtopic>/<measure>`.
pub fn find_by_path(
    conn: &mut PgConnection,
    topic: &str,
    subtopic: &str,
    measure: &str,
) -> QueryResult<Option<MeasureListing>> {
    diesel::sql_query(format!(
        "{LISTING} WHERE t.slug = $1 AND s.slug = $2 AND m.slug = $3 {NEWEST_FIRST}"
    ))
    .bind::<Text, _>(topic)
    .bind::<Text, _>(subtopic)
    .bind::<Text, _>(measure)
    .get_result(conn)
    .optional()
}

fn sorted(mut measures: Vec<MeasureListing>) -> QueryResult<Vec<MeasureListing>> {
    measures.sort_by(|a, b| {
        (&a.topic_title, &a.subtopic_title, &a.title).cmp(&(
            &b.topic_title,
            &b.subtopic_title,
            &b.title,
        ))
    });
    Ok(measures)
}

/// One version in a measure's history.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct VersionListing {
    #[diesel(sql_type = Int4)]
    pub id: i32,
    #[diesel(sql_type = Int4)]
    pub version_major: i32,
    #[diesel(sql_type = Int4)]
    pub version_minor: i32,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    pub last_updated_by: Option<String>,
}

impl VersionListing {
    /// The version number; the table's CHECK constraint keeps it valid.
    pub fn version(&self) -> VersionNumber {
        VersionNumber {
            major: self.version_major,
            minor: self.version_minor,
        }
    }
}

/// Every version of a measure, newest first.
pub fn versions(conn: &mut PgConnection, measure_id: i32) -> QueryResult<Vec<VersionListing>> {
    diesel::sql_query(
        "SELECT id, version_major, version_minor, title, status, updated_at, last_updated_by
         FROM measure_version WHERE measure_id = $1
         ORDER BY version_major DESC, version_minor DESC",
    )
    .bind::<Int4, _>(measure_id)
    .load(conn)
}

/// The measure at `/<topic>/<subtopic>/<measure>` and the id of its version `number`.
pub fn find_version(
    conn: &mut PgConnection,
    topic: &str,
    subtopic: &str,
    measure: &str,
    number: VersionNumber,
) -> QueryResult<Option<(MeasureListing, i32)>> {
    let Some(listing) = find_by_path(conn, topic, subtopic, measure)? else {
        return Ok(None);
    };
    use crate::schema::measure_version;
    let id: Option<i32> = measure_version::table
        .filter(measure_version::measure_id.eq(listing.id))
        .filter(measure_version::version_major.eq(number.major))
        .filter(measure_version::version_minor.eq(number.minor))
        .select(measure_version::id)
        .first(conn)
        .optional()?;
    Ok(id.map(|id| (listing, id)))
}
