//! Demo and synthetic content: fills an empty database with a realistic site.
//!
//! The first measures carry the real titles of the 174 measures (and their 527 dimensions)
//! that the model published in May 2019; the rest are synthetic. Everything — titles,
//! statuses, dates, figures, UUIDs — comes from one seeded random generator, so the same
//! seed value always gives the same content. Rows go in with multi-row inserts of
//! pre-allocated ids, which keeps 10,000 measures well under a minute.

mod catalogue;
mod generate;
mod site_pages;

use std::collections::BTreeMap;

use almanac_content::schema::{measure, organisation, topic};
use diesel::pg::PgConnection;
use diesel::prelude::*;

pub use catalogue::TOPICS;
pub use generate::SeedSummary;

const TITLES_CSV: &str = include_str!("../../../data/reference/measure_dimension_titles_2019.csv");

#[derive(Debug, Clone, Copy)]
pub struct SeedOptions {
    /// How many measures to create (not counting versions).
    pub measures: usize,
    /// The random seed: the same value gives the same content.
    pub seed: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(
        "the database already holds {0} measures: seed only fills an empty database \
         (create a new one, or drop the content first)"
    )]
    NotEmpty(i64),
    #[error("reference data is missing: run `site-builder load-reference` first")]
    NoReferenceData,
    #[error(
        "the database has topics but not “{0}” with subtopics: seed an empty database, \
         or create that topic and its subtopics first"
    )]
    MissingTopic(&'static str),
    #[error("measure titles file: {0}")]
    Titles(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// A real measure of May 2019 with its dimension titles, in file order.
#[derive(Debug, Clone)]
pub struct RealMeasure {
    pub title: String,
    pub dimensions: Vec<String>,
}

/// The 174 real measures with their dimension titles (the newer title where one was set).
pub fn real_measures() -> Result<Vec<RealMeasure>, SeedError> {
    let mut reader = csv::Reader::from_reader(TITLES_CSV.as_bytes());
    let mut order: Vec<String> = Vec::new();
    let mut dimensions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for record in reader.records() {
        let record = record.map_err(|error| SeedError::Titles(error.to_string()))?;
        let measure = record.get(1).unwrap_or("").trim().to_owned();
        let current = record.get(2).unwrap_or("").trim();
        let new = record.get(3).unwrap_or("").trim();
        let title = if new.is_empty() { current } else { new };
        if measure.is_empty() || title.is_empty() {
            continue;
        }
        let titles = dimensions.entry(measure.clone()).or_insert_with(|| {
            order.push(measure.clone());
            Vec::new()
        });
        if !titles.iter().any(|existing| existing == title) {
            titles.push(title.to_owned());
        }
    }
    Ok(order
        .into_iter()
        .map(|title| RealMeasure {
            dimensions: dimensions.remove(&title).unwrap_or_default(),
            title,
        })
        .collect())
}

/// Fills an empty database (reference data loaded) with topics, subtopics and
/// `options.measures` measures, in one transaction.
pub fn seed(conn: &mut PgConnection, options: SeedOptions) -> Result<SeedSummary, SeedError> {
    let real = real_measures()?;
    conn.transaction(|conn| {
        let existing: i64 = measure::table.count().get_result(conn)?;
        if existing > 0 {
            return Err(SeedError::NotEmpty(existing));
        }
        let organisations: Vec<String> = organisation::table
            .select(organisation::id)
            .order(organisation::id)
            .load(conn)?;
        if organisations.is_empty() {
            return Err(SeedError::NoReferenceData);
        }
        let topics_exist: i64 = topic::table.count().get_result(conn)?;
        let mut summary =
            generate::Generator::new(options, &real, organisations, topics_exist == 0).run(conn)?;
        // A fixed date, like every other date the seed writes, so runs are repeatable.
        let published_at = chrono::NaiveDate::from_ymd_opt(2026, 1, 5)
            .and_then(|date| date.and_hms_opt(9, 30, 0))
            .expect("a valid date")
            .and_utc();
        summary.site_pages = site_pages::seed_site_pages(conn, published_at)?;
        Ok(summary)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_174_real_measures_and_their_527_dimensions() {
        let measures = real_measures().unwrap();
        assert_eq!(measures.len(), 174);
        let dimensions: usize = measures.iter().map(|m| m.dimensions.len()).sum();
        assert!(dimensions >= 500, "{dimensions}");
        assert_eq!(measures[0].title, "Absence from school");
    }
}

/// A demo source-data file to store: where, and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoUploadFile {
    pub measure_id: i32,
    /// The version number as shown, e.g. `1.0`.
    pub version: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The files behind the seeded uploads (the seed makes the rows): for each, a CSV of the
/// version's figures, one row per dimension and ethnic group. The rows' sizes are set to the
/// files' real sizes. The caller stores the files (the store is asynchronous).
pub fn demo_upload_files(conn: &mut PgConnection) -> Result<Vec<DemoUploadFile>, SeedError> {
    use almanac_content::schema::{dimension, dimension_table, measure_version, upload};

    let uploads: Vec<(uuid::Uuid, i32, String, i32, i32, i32)> = upload::table
        .inner_join(measure_version::table)
        .select((
            upload::guid,
            measure_version::id,
            upload::file_name,
            measure_version::measure_id,
            measure_version::version_major,
            measure_version::version_minor,
        ))
        .order(upload::guid)
        .load(conn)?;
    let mut files = Vec::with_capacity(uploads.len());
    for (guid, version_id, file_name, measure_id, major, minor) in uploads {
        let tables: Vec<(String, serde_json::Value)> = dimension::table
            .inner_join(dimension_table::table)
            .filter(dimension::measure_version_id.eq(version_id))
            .order(dimension::position)
            .select((dimension::title, dimension_table::table_object))
            .load(conn)?;
        let mut rows = vec![vec![
            "Dimension".to_owned(),
            "Ethnicity".to_owned(),
            "Value".to_owned(),
        ]];
        for (title, json) in tables {
            let Ok(table) = almanac_figures::Table::from_json(&json.to_string()) else {
                continue;
            };
            for row in table.dimension_rows().into_iter().skip(1) {
                rows.push(std::iter::once(title.clone()).chain(row).collect());
            }
        }
        let bytes = almanac_figures::write_csv(&rows);
        diesel::update(upload::table.find(guid))
            .set(upload::size_bytes.eq(bytes.len() as i64))
            .execute(conn)?;
        files.push(DemoUploadFile {
            measure_id,
            version: format!("{major}.{minor}"),
            file_name,
            bytes,
        });
    }
    Ok(files)
}
