//! Reference data: organisations, ethnicity classifications, the ethnicity lookup and the
//! fixed lookup lists. The CSVs in `data/reference/` are compiled in, so every binary can
//! load them; loading is idempotent (upserts in one transaction).

use std::collections::{BTreeMap, BTreeSet};

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::upsert::excluded;

use crate::schema::{
    classification, ethnicity, ethnicity_in_classification, ethnicity_lookup, frequency_of_release,
    lowest_level_of_geography, organisation, parent_ethnicity_in_classification, type_of_statistic,
};

const ORGANISATIONS_CSV: &str = include_str!("../../../data/reference/organisations.csv");
const CLASSIFICATIONS_CSV: &str =
    include_str!("../../../data/reference/classification_definitions.csv");
const LOOKUP_CSV: &str = include_str!("../../../data/reference/classification_lookup.csv");

/// How often a data source is published, in the order editors see the options.
pub const FREQUENCIES_OF_RELEASE: [&str; 11] = [
    "Monthly",
    "Quarterly",
    "3 times a year",
    "Twice a year",
    "Yearly",
    "Every 2 years",
    "Every 3 years",
    "Every 4 years",
    "Every 5 years",
    "Ad-hoc",
    "Other",
];

/// Types of statistic: (label for editors, label for readers).
pub const TYPES_OF_STATISTIC: [(&str, &str); 4] = [
    (
        "National Statistics (certified against a Code of Practice)",
        "National statistics",
    ),
    ("Official statistics", "Official statistics"),
    (
        "Official statistics in development (formerly experimental statistics)",
        "Official statistics in development",
    ),
    ("Non-official statistics", "Non-official statistics"),
];

/// The finest geography a measure breaks its data down by: (name, example).
pub const LOWEST_LEVELS_OF_GEOGRAPHY: [(&str, Option<&str>); 9] = [
    ("UK and overseas", None),
    ("United Kingdom", None),
    ("Country", Some("for example, England and Wales")),
    ("Region", Some("for example, North East, London")),
    (
        "Local authority upper",
        Some("county councils and unitary authorities"),
    ),
    ("Local authority lower", Some("district councils")),
    ("Police force area", None),
    ("Clinical commissioning group", None),
    ("Fire and rescue service area", None),
];

#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    #[error("{file}, line {line}: {message}")]
    BadRow {
        file: &'static str,
        line: u64,
        message: String,
    },
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Row counts after a load.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReferenceCounts {
    pub organisations: usize,
    pub classifications: usize,
    pub ethnicities: usize,
    pub lookup_entries: usize,
    pub frequencies_of_release: usize,
    pub types_of_statistic: usize,
    pub levels_of_geography: usize,
}

/// Loads (or refreshes) all reference data in one transaction.
pub fn load_reference_data(conn: &mut PgConnection) -> Result<ReferenceCounts, ReferenceError> {
    let organisations = parse_organisations()?;
    let classifications = parse_classifications()?;
    let lookup = parse_lookup()?;
    conn.transaction(|conn| {
        load_lookups(conn)?;
        load_organisations(conn, &organisations)?;
        load_classifications(conn, &classifications)?;
        load_ethnicity_lookup(conn, &lookup)?;
        Ok(ReferenceCounts {
            organisations: organisation::table.count().get_result::<i64>(conn)? as usize,
            classifications: classification::table.count().get_result::<i64>(conn)? as usize,
            ethnicities: ethnicity::table.count().get_result::<i64>(conn)? as usize,
            lookup_entries: ethnicity_lookup::table.count().get_result::<i64>(conn)? as usize,
            frequencies_of_release: frequency_of_release::table
                .count()
                .get_result::<i64>(conn)? as usize,
            types_of_statistic: type_of_statistic::table.count().get_result::<i64>(conn)? as usize,
            levels_of_geography: lowest_level_of_geography::table
                .count()
                .get_result::<i64>(conn)? as usize,
        })
    })
}

fn load_lookups(conn: &mut PgConnection) -> QueryResult<()> {
    for (position, description) in (0..).zip(FREQUENCIES_OF_RELEASE) {
        diesel::insert_into(frequency_of_release::table)
            .values((
                frequency_of_release::description.eq(description),
                frequency_of_release::position.eq(position),
            ))
            .on_conflict(frequency_of_release::description)
            .do_update()
            .set(frequency_of_release::position.eq(position))
            .execute(conn)?;
    }
    for (position, (internal, external)) in (0..).zip(TYPES_OF_STATISTIC) {
        diesel::insert_into(type_of_statistic::table)
            .values((
                type_of_statistic::internal.eq(internal),
                type_of_statistic::external.eq(external),
                type_of_statistic::position.eq(position),
            ))
            .on_conflict(type_of_statistic::internal)
            .do_update()
            .set((
                type_of_statistic::external.eq(external),
                type_of_statistic::position.eq(position),
            ))
            .execute(conn)?;
    }
    for (position, (name, description)) in (1..).zip(LOWEST_LEVELS_OF_GEOGRAPHY) {
        diesel::insert_into(lowest_level_of_geography::table)
            .values((
                lowest_level_of_geography::name.eq(name),
                lowest_level_of_geography::description.eq(description),
                lowest_level_of_geography::position.eq(position),
            ))
            .on_conflict(lowest_level_of_geography::name)
            .do_update()
            .set((
                lowest_level_of_geography::description.eq(description),
                lowest_level_of_geography::position.eq(position),
            ))
            .execute(conn)?;
    }
    Ok(())
}

#[derive(Debug, Insertable)]
#[diesel(table_name = organisation)]
struct OrganisationRow {
    id: String,
    name: String,
    other_names: Vec<String>,
    abbreviations: Vec<String>,
    organisation_type: String,
    start_date: Option<String>,
    end_date: Option<String>,
    parent_ids: Vec<String>,
}

fn load_organisations(conn: &mut PgConnection, rows: &[OrganisationRow]) -> QueryResult<()> {
    for chunk in rows.chunks(500) {
        diesel::insert_into(organisation::table)
            .values(chunk)
            .on_conflict(organisation::id)
            .do_update()
            .set((
                organisation::name.eq(excluded(organisation::name)),
                organisation::other_names.eq(excluded(organisation::other_names)),
                organisation::abbreviations.eq(excluded(organisation::abbreviations)),
                organisation::organisation_type.eq(excluded(organisation::organisation_type)),
                organisation::start_date.eq(excluded(organisation::start_date)),
                organisation::end_date.eq(excluded(organisation::end_date)),
                organisation::parent_ids.eq(excluded(organisation::parent_ids)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// One classification as defined by the CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassificationDefinition {
    pub id: String,
    pub title: String,
    pub long_title: String,
    /// Display values the data must contain, in display order, with their sort position.
    pub members: Vec<(String, i32)>,
    /// Broader groups the data may also contain (e.g. "Asian" above "Indian").
    pub parents: Vec<(String, i32)>,
}

fn load_classifications(
    conn: &mut PgConnection,
    definitions: &[ClassificationDefinition],
) -> QueryResult<()> {
    // Every value gets the lowest sort position it has in any classification.
    let mut positions: BTreeMap<&str, i32> = BTreeMap::new();
    for definition in definitions {
        for (value, position) in definition.members.iter().chain(&definition.parents) {
            let entry = positions.entry(value).or_insert(*position);
            *entry = (*entry).min(*position);
        }
    }
    for (value, position) in &positions {
        diesel::insert_into(ethnicity::table)
            .values((ethnicity::value.eq(value), ethnicity::position.eq(position)))
            .on_conflict(ethnicity::value)
            .do_update()
            .set(ethnicity::position.eq(position))
            .execute(conn)?;
    }
    let ids: BTreeMap<String, i32> = ethnicity::table
        .select((ethnicity::value, ethnicity::id))
        .load::<(String, i32)>(conn)?
        .into_iter()
        .collect();
    for (position, definition) in (0..).zip(definitions) {
        diesel::insert_into(classification::table)
            .values((
                classification::id.eq(&definition.id),
                classification::title.eq(&definition.title),
                classification::long_title.eq(&definition.long_title),
                classification::position.eq(position),
            ))
            .on_conflict(classification::id)
            .do_update()
            .set((
                classification::title.eq(&definition.title),
                classification::long_title.eq(&definition.long_title),
                classification::position.eq(position),
            ))
            .execute(conn)?;
        // Memberships are replaced wholesale: the CSV is the source of truth.
        diesel::delete(
            ethnicity_in_classification::table
                .filter(ethnicity_in_classification::classification_id.eq(&definition.id)),
        )
        .execute(conn)?;
        diesel::delete(
            parent_ethnicity_in_classification::table
                .filter(parent_ethnicity_in_classification::classification_id.eq(&definition.id)),
        )
        .execute(conn)?;
        let members: Vec<_> = definition
            .members
            .iter()
            .map(|(value, _)| {
                (
                    ethnicity_in_classification::classification_id.eq(&definition.id),
                    ethnicity_in_classification::ethnicity_id.eq(ids[value.as_str()]),
                )
            })
            .collect();
        diesel::insert_into(ethnicity_in_classification::table)
            .values(&members)
            .execute(conn)?;
        let parents: Vec<_> = definition
            .parents
            .iter()
            .map(|(value, _)| {
                (
                    parent_ethnicity_in_classification::classification_id.eq(&definition.id),
                    parent_ethnicity_in_classification::ethnicity_id.eq(ids[value.as_str()]),
                )
            })
            .collect();
        diesel::insert_into(parent_ethnicity_in_classification::table)
            .values(&parents)
            .execute(conn)?;
    }
    Ok(())
}

fn load_ethnicity_lookup(conn: &mut PgConnection, rows: &[(String, String)]) -> QueryResult<()> {
    let values: Vec<_> = rows
        .iter()
        .map(|(raw, standard)| {
            (
                ethnicity_lookup::raw_value.eq(raw),
                ethnicity_lookup::standard_value.eq(standard),
            )
        })
        .collect();
    diesel::insert_into(ethnicity_lookup::table)
        .values(&values)
        .on_conflict(ethnicity_lookup::raw_value)
        .do_update()
        .set(ethnicity_lookup::standard_value.eq(excluded(ethnicity_lookup::standard_value)))
        .execute(conn)?;
    Ok(())
}

fn reader(text: &'static str) -> csv::Reader<&'static [u8]> {
    csv::ReaderBuilder::new().from_reader(text.as_bytes())
}

fn records(
    file: &'static str,
    text: &'static str,
) -> Result<Vec<(u64, csv::StringRecord)>, ReferenceError> {
    reader(text)
        .records()
        .map(|record| {
            let record = record.map_err(|error| ReferenceError::BadRow {
                file,
                line: error.position().map_or(0, |position| position.line()),
                message: error.to_string(),
            })?;
            let line = record.position().map_or(0, |position| position.line());
            Ok((line, record))
        })
        .collect()
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, with a real month and day where given.
fn is_partial_date(text: &str) -> bool {
    let padded = match text.len() {
        4 => format!("{text}-01-01"),
        7 => format!("{text}-01"),
        10 => text.to_owned(),
        _ => return false,
    };
    chrono::NaiveDate::parse_from_str(&padded, "%Y-%m-%d").is_ok()
}

fn split_list(text: &str, separator: &str) -> Vec<String> {
    text.split(separator)
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(str::to_owned)
        .collect()
}

fn parse_organisations() -> Result<Vec<OrganisationRow>, ReferenceError> {
    const FILE: &str = "organisations.csv";
    records(FILE, ORGANISATIONS_CSV)?
        .into_iter()
        .map(|(line, record)| {
            let field = |index: usize| record.get(index).unwrap_or("").trim();
            let date = |index: usize| -> Result<Option<String>, ReferenceError> {
                match field(index) {
                    // The register writes "unknown" where a body's dates were not recorded.
                    "" | "unknown" => Ok(None),
                    text if is_partial_date(text) => Ok(Some(text.to_owned())),
                    text => Err(ReferenceError::BadRow {
                        file: FILE,
                        line,
                        message: format!("“{text}” is not a date (YYYY, YYYY-MM or YYYY-MM-DD)"),
                    }),
                }
            };
            if field(0).is_empty() || field(1).is_empty() {
                return Err(ReferenceError::BadRow {
                    file: FILE,
                    line,
                    message: "id and name are required".to_owned(),
                });
            }
            Ok(OrganisationRow {
                id: field(0).to_owned(),
                name: field(1).to_owned(),
                // The file separates other names with a literal backslash-n.
                other_names: split_list(field(2), "\\n"),
                abbreviations: split_list(field(3), ","),
                organisation_type: field(4).to_owned(),
                start_date: date(5)?,
                end_date: date(6)?,
                parent_ids: split_list(field(7), ","),
            })
        })
        .collect()
}

/// Parses `classification_definitions.csv`. Codes ending in `+` are aggregate variants of
/// another classification and are not classifications of their own.
pub fn parse_classifications() -> Result<Vec<ClassificationDefinition>, ReferenceError> {
    const FILE: &str = "classification_definitions.csv";
    let mut by_code: BTreeMap<String, ClassificationDefinition> = BTreeMap::new();
    for (line, record) in records(FILE, CLASSIFICATIONS_CSV)? {
        let field = |index: usize| record.get(index).unwrap_or("").trim();
        let code = field(0);
        if code.ends_with('+') {
            continue;
        }
        let position: i32 = field(6).parse().map_err(|_| ReferenceError::BadRow {
            file: FILE,
            line,
            message: format!("Order “{}” is not a whole number", field(6)),
        })?;
        let definition =
            by_code
                .entry(code.to_owned())
                .or_insert_with(|| ClassificationDefinition {
                    id: code.to_owned(),
                    title: field(1).to_owned(),
                    long_title: field(2).to_owned(),
                    members: Vec::new(),
                    parents: Vec::new(),
                });
        if !field(7).eq_ignore_ascii_case("true") {
            continue;
        }
        let (display, parent) = (field(4), field(5));
        if !definition.members.iter().any(|(value, _)| value == display) {
            definition.members.push((display.to_owned(), position));
        }
        if parent != display && !definition.parents.iter().any(|(value, _)| value == parent) {
            // A parent sorts just before its first member.
            definition.parents.push((parent.to_owned(), position - 1));
        }
    }
    let mut definitions: Vec<_> = by_code.into_values().collect();
    for definition in &mut definitions {
        definition.members.sort_by_key(|(_, position)| *position);
        definition.parents.sort_by_key(|(_, position)| *position);
    }
    // 2A, 2B, 4A … 18B: by number of groups, then letter.
    definitions.sort_by_key(|definition| {
        let digits: String = definition
            .id
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        (
            digits.parse::<u32>().unwrap_or(u32::MAX),
            definition.id.clone(),
        )
    });
    Ok(definitions)
}

fn parse_lookup() -> Result<Vec<(String, String)>, ReferenceError> {
    const FILE: &str = "classification_lookup.csv";
    let mut seen = BTreeSet::new();
    let mut rows = Vec::new();
    for (line, record) in records(FILE, LOOKUP_CSV)? {
        let raw = record.get(0).unwrap_or("").trim().to_lowercase();
        let standard = record.get(1).unwrap_or("").trim().to_owned();
        if raw.is_empty() || standard.is_empty() {
            return Err(ReferenceError::BadRow {
                file: FILE,
                line,
                message: "both columns are required".to_owned(),
            });
        }
        if seen.insert(raw.clone()) {
            rows.push((raw, standard));
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_organisation() {
        let organisations = parse_organisations().unwrap();
        assert_eq!(organisations.len(), 1042);
        let dwp = organisations.iter().find(|o| o.id == "D10").unwrap();
        assert_eq!(dwp.abbreviations, ["DWP"]);
        assert_eq!(dwp.other_names, ["Department for Work & Pensions"]);
    }

    #[test]
    fn parses_the_21_base_classifications_in_order() {
        let definitions = parse_classifications().unwrap();
        assert_eq!(definitions.len(), 21);
        let ids: Vec<&str> = definitions.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids.first(), Some(&"2A"));
        assert_eq!(ids.last(), Some(&"18B"));
        let five_a = definitions.iter().find(|d| d.id == "5A").unwrap();
        let members: Vec<&str> = five_a.members.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(
            members,
            ["Asian", "Black", "Mixed", "White", "Other inc Chinese"]
        );
        assert!(five_a.parents.is_empty());
        let eighteen_b = definitions.iter().find(|d| d.id == "18B").unwrap();
        let parents: Vec<&str> = eighteen_b.parents.iter().map(|(v, _)| v.as_str()).collect();
        assert!(
            parents.contains(&"Asian") && parents.contains(&"White"),
            "{parents:?}"
        );
    }

    #[test]
    fn organisation_dates_keep_their_precision() {
        assert!(
            is_partial_date("1999") && is_partial_date("2004-07") && is_partial_date("2004-07-05")
        );
        assert!(
            !is_partial_date("2004-13")
                && !is_partial_date("unknown")
                && !is_partial_date("04-07-2004")
        );
    }

    #[test]
    fn lookup_keys_are_lower_case_and_unique() {
        let lookup = parse_lookup().unwrap();
        assert!(lookup.len() >= 280);
        assert!(lookup.iter().all(|(raw, _)| *raw == raw.to_lowercase()));
    }
}
