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
    Ok(measure_pages(conn, &[version_id])?.pop())
}

/// Rows of a per-version list, with the version (or measure) they belong to.
#[derive(QueryableByName)]
struct Owned<T: QueryableByName<diesel::pg::Pg>> {
    #[diesel(sql_type = Int4)]
    owner: i32,
    #[diesel(embed)]
    row: T,
}

/// Groups rows by owner, keeping their order within each owner.
fn by_owner<T: QueryableByName<diesel::pg::Pg>>(
    rows: Vec<Owned<T>>,
) -> std::collections::HashMap<i32, Vec<T>> {
    let mut grouped: std::collections::HashMap<i32, Vec<T>> = std::collections::HashMap::new();
    for Owned { owner, row } in rows {
        grouped.entry(owner).or_default().push(row);
    }
    grouped
}

/// The pages of many versions at once, in the order of `version_ids` (unknown ids are
/// skipped): one query per kind of row rather than per version, which is what makes
/// loading every page of a large site for a build fast.
pub fn measure_pages(
    conn: &mut PgConnection,
    version_ids: &[i32],
) -> QueryResult<Vec<MeasurePage>> {
    let found: Vec<(MeasureVersion, String, String, String, String, String)> =
        measure_version::table
            .inner_join(measure::table.inner_join(subtopic::table.inner_join(topic::table)))
            .filter(measure_version::id.eq_any(version_ids))
            .select((
                MeasureVersion::as_select(),
                topic::slug,
                topic::title,
                subtopic::slug,
                subtopic::title,
                measure::slug,
            ))
            .load(conn)?;
    let geography: std::collections::HashMap<String, String> =
        crate::schema::lowest_level_of_geography::table
            .select((
                crate::schema::lowest_level_of_geography::name,
                crate::schema::lowest_level_of_geography::description,
            ))
            .load::<(String, Option<String>)>(conn)?
            .into_iter()
            .map(|(name, description)| (name.clone(), description.unwrap_or(name)))
            .collect();
    let mut dimensions = by_owner::<DimensionSummary>(
        diesel::sql_query(
            "SELECT d.measure_version_id AS owner, d.guid::text AS guid, d.title, d.time_period,
                    d.summary, d.location, c.chart_object, t.table_object
             FROM dimension d
             LEFT JOIN dimension_chart c ON c.dimension_guid = d.guid
             LEFT JOIN dimension_table t ON t.dimension_guid = d.guid
             WHERE d.measure_version_id = ANY($1) ORDER BY d.position, d.title",
        )
        .bind::<diesel::sql_types::Array<Int4>, _>(version_ids)
        .load(conn)?,
    );
    let mut uploads = by_owner::<UploadSummary>(
        diesel::sql_query(
            "SELECT measure_version_id AS owner, title, file_name, description, size_bytes,
                    scan_status
             FROM upload WHERE measure_version_id = ANY($1) ORDER BY title",
        )
        .bind::<diesel::sql_types::Array<Int4>, _>(version_ids)
        .load(conn)?,
    );
    let mut data_sources = by_owner::<DataSourceSummary>(
        diesel::sql_query(
            "SELECT l.measure_version_id AS owner, s.id, s.title, o.name AS publisher,
                    s.source_url, s.publication_date,
                    COALESCE(s.frequency_of_release_other, f.description) AS frequency,
                    s.purpose, l.position
             FROM data_source_in_measure_version l
             JOIN data_source s ON s.id = l.data_source_id
             LEFT JOIN organisation o ON o.id = s.publisher_id
             LEFT JOIN frequency_of_release f ON f.id = s.frequency_of_release_id
             WHERE l.measure_version_id = ANY($1) ORDER BY l.position",
        )
        .bind::<diesel::sql_types::Array<Int4>, _>(version_ids)
        .load(conn)?,
    );
    let measure_ids: Vec<i32> = found
        .iter()
        .map(|(version, ..)| version.measure_id)
        .collect();
    let published_versions = by_owner::<PublishedVersion>(
        diesel::sql_query(
            "SELECT measure_id AS owner, id, version_major, version_minor, published_at,
                    external_edit_summary,
                    coalesce(update_corrects_data_mistake, false) AS corrects_data_mistake
             FROM measure_version
             WHERE measure_id = ANY($1) AND status = 'APPROVED' AND published_at IS NOT NULL
             ORDER BY version_major, version_minor",
        )
        .bind::<diesel::sql_types::Array<Int4>, _>(&measure_ids)
        .load(conn)?,
    );
    let mut pages: std::collections::HashMap<i32, MeasurePage> = found
        .into_iter()
        .map(
            |(version, topic_slug, topic_title, subtopic_slug, subtopic_title, measure_slug)| {
                let id = version.id;
                let page = MeasurePage {
                    topic_slug,
                    topic_title,
                    subtopic_slug,
                    subtopic_title,
                    measure_slug,
                    lowest_level_of_geography: version
                        .lowest_level_of_geography_id
                        .as_ref()
                        .and_then(|name| geography.get(name).cloned()),
                    dimensions: dimensions.remove(&id).unwrap_or_default(),
                    uploads: uploads.remove(&id).unwrap_or_default(),
                    data_sources: data_sources.remove(&id).unwrap_or_default(),
                    published_versions: published_versions
                        .get(&version.measure_id)
                        .cloned()
                        .unwrap_or_default(),
                    version,
                };
                (id, page)
            },
        )
        .collect();
    Ok(version_ids
        .iter()
        .filter_map(|id| pages.remove(id))
        .collect())
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
