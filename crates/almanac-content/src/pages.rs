//! Everything one measure page shows, loaded for the renderer: the version, where it sits in
//! the site, its dimensions, source data files and data sources.

use chrono::NaiveDate;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Date, Int2, Int4, Jsonb, Nullable, Text};

use crate::models::MeasureVersion;
use crate::schema::{measure, measure_version, subtopic, topic};

#[derive(Debug, Clone)]
pub struct MeasurePage {
    pub topic_slug: String,
    pub topic_title: String,
    pub subtopic_slug: String,
    pub subtopic_title: String,
    pub measure_slug: String,
    pub version: MeasureVersion,
    /// The description of the version's lowest level of geography, e.g. "Region".
    pub lowest_level_of_geography: Option<String>,
    pub dimensions: Vec<DimensionSummary>,
    pub uploads: Vec<UploadSummary>,
    pub data_sources: Vec<DataSourceSummary>,
    /// Every published version of the measure, oldest first: the page history, previous
    /// editions and the corrections banner come from it.
    pub published_versions: Vec<PublishedVersion>,
}

/// A published version of the measure, as the page history lists it.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct PublishedVersion {
    #[diesel(sql_type = Int4)]
    pub id: i32,
    #[diesel(sql_type = Int4)]
    pub version_major: i32,
    #[diesel(sql_type = Int4)]
    pub version_minor: i32,
    #[diesel(sql_type = Date)]
    pub published_at: NaiveDate,
    #[diesel(sql_type = Nullable<Text>)]
    pub external_edit_summary: Option<String>,
    #[diesel(sql_type = Bool)]
    pub corrects_data_mistake: bool,
}

impl PublishedVersion {
    pub fn version(&self) -> crate::VersionNumber {
        crate::VersionNumber {
            major: self.version_major,
            minor: self.version_minor,
        }
    }
}

impl MeasurePage {
    /// The newest published version, if any.
    pub fn latest_published(&self) -> Option<&PublishedVersion> {
        self.published_versions.last()
    }

    /// The model's `has_known_statistical_corrections`: this version, or an earlier
    /// published minor version of the same edition, corrects a mistake in the data.
    pub fn has_known_corrections(&self) -> bool {
        let this = self.version.version();
        self.version.update_corrects_data_mistake == Some(true)
            || self.published_versions.iter().any(|published| {
                published.version_major == this.major
                    && published.version() <= this
                    && published.corrects_data_mistake
            })
    }
}

impl MeasurePage {
    /// `/<topic>/<subtopic>/<measure>`, the page's address without the version.
    pub fn path(&self) -> String {
        format!(
            "/{}/{}/{}",
            self.topic_slug, self.subtopic_slug, self.measure_slug
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct DimensionSummary {
    #[diesel(sql_type = Text)]
    pub guid: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub time_period: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub summary: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub location: Option<String>,
    /// The stored chart (`almanac-charts`' `Chart` as JSON), if the dimension has one.
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub chart_object: Option<serde_json::Value>,
    /// The stored table (`almanac-figures`' `Table` as JSON), if the dimension has one.
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub table_object: Option<serde_json::Value>,
}

impl DimensionSummary {
    pub fn has_chart(&self) -> bool {
        self.chart_object.is_some()
    }

    pub fn has_table(&self) -> bool {
        self.table_object.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct UploadSummary {
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub file_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub description: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub size_bytes: i64,
    #[diesel(sql_type = Text)]
    pub scan_status: String,
}

impl UploadSummary {
    /// Only files that passed the virus scan are ever offered for download.
    pub fn is_clean(&self) -> bool {
        self.scan_status == "CLEAN"
    }
}

#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct DataSourceSummary {
    #[diesel(sql_type = Int4)]
    pub id: i32,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub publisher: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub source_url: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub publication_date: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub frequency: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub purpose: Option<String>,
    #[diesel(sql_type = Int2)]
    pub position: i16,
}

impl DataSourceSummary {
    /// The source's address, only when it is an http(s) link: whatever was typed into the
    /// field, a page never links to `javascript:` or `data:`.
    pub fn web_url(&self) -> Option<&str> {
        self.source_url.as_deref().map(str::trim).filter(|url| {
            let lower = url.to_ascii_lowercase();
            lower.starts_with("https://") || lower.starts_with("http://")
        })
    }
}

/// The page of one measure version, or `None` when there is no such version.
pub fn measure_page(conn: &mut PgConnection, version_id: i32) -> QueryResult<Option<MeasurePage>> {
    let found: Option<(MeasureVersion, String, String, String, String, String)> =
        measure_version::table
            .inner_join(measure::table.inner_join(subtopic::table.inner_join(topic::table)))
            .filter(measure_version::id.eq(version_id))
            .select((
                MeasureVersion::as_select(),
                topic::slug,
                topic::title,
                subtopic::slug,
                subtopic::title,
                measure::slug,
            ))
            .first(conn)
            .optional()?;
    let Some((version, topic_slug, topic_title, subtopic_slug, subtopic_title, measure_slug)) =
        found
    else {
        return Ok(None);
    };
    let lowest_level_of_geography = match &version.lowest_level_of_geography_id {
        Some(name) => crate::schema::lowest_level_of_geography::table
            .find(name)
            .select(crate::schema::lowest_level_of_geography::description)
            .first::<Option<String>>(conn)
            .optional()?
            .map(|description| description.unwrap_or_else(|| name.clone())),
        None => None,
    };
    let dimensions = diesel::sql_query(
        "SELECT d.guid::text AS guid, d.title, d.time_period, d.summary, d.location,
                c.chart_object, t.table_object
         FROM dimension d
         LEFT JOIN dimension_chart c ON c.dimension_guid = d.guid
         LEFT JOIN dimension_table t ON t.dimension_guid = d.guid
         WHERE d.measure_version_id = $1 ORDER BY d.position, d.title",
    )
    .bind::<Int4, _>(version_id)
    .load(conn)?;
    let uploads = diesel::sql_query(
        "SELECT title, file_name, description, size_bytes, scan_status
         FROM upload WHERE measure_version_id = $1 ORDER BY title",
    )
    .bind::<Int4, _>(version_id)
    .load(conn)?;
    let data_sources = diesel::sql_query(
        "SELECT s.id, s.title, o.name AS publisher, s.source_url, s.publication_date,
                COALESCE(s.frequency_of_release_other, f.description) AS frequency, s.purpose, l.position
         FROM data_source_in_measure_version l
         JOIN data_source s ON s.id = l.data_source_id
         LEFT JOIN organisation o ON o.id = s.publisher_id
         LEFT JOIN frequency_of_release f ON f.id = s.frequency_of_release_id
         WHERE l.measure_version_id = $1 ORDER BY l.position",
    )
    .bind::<Int4, _>(version_id)
    .load(conn)?;
    let published_versions = diesel::sql_query(
        "SELECT id, version_major, version_minor, published_at, external_edit_summary,
                coalesce(update_corrects_data_mistake, false) AS corrects_data_mistake
         FROM measure_version
         WHERE measure_id = $1 AND status = 'APPROVED' AND published_at IS NOT NULL
         ORDER BY version_major, version_minor",
    )
    .bind::<Int4, _>(version.measure_id)
    .load(conn)?;
    Ok(Some(MeasurePage {
        topic_slug,
        topic_title,
        subtopic_slug,
        subtopic_title,
        measure_slug,
        version,
        lowest_level_of_geography,
        dimensions,
        uploads,
        data_sources,
        published_versions,
    }))
}

/// The levels of geography an editor can choose from, in their order: (name, description).
pub fn geography_levels(conn: &mut PgConnection) -> QueryResult<Vec<(String, String)>> {
    use crate::schema::lowest_level_of_geography::dsl::*;
    let rows: Vec<(String, Option<String>)> = lowest_level_of_geography
        .order(position)
        .select((name, description))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(key, text)| (key.clone(), text.unwrap_or(key)))
        .collect())
}
