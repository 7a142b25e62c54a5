//! The generator behind [`crate::seed`].

use std::collections::{BTreeMap, HashSet};

use almanac_charts::{ChartSettings, build_chart};
use almanac_content::models::{
    NewDataSource, NewDataSourceLink, NewDimension, NewDimensionCategorisation, NewDimensionChart,
    NewDimensionTable, NewMeasure, NewMeasureVersion, NewTopic, NewUpload,
};
use almanac_content::reference::{ClassificationDefinition, parse_classifications};
use almanac_content::schema::{
    data_source, data_source_in_measure_version, dimension, dimension_categorisation,
    dimension_chart, dimension_table, frequency_of_release, lowest_level_of_geography, measure,
    measure_version, subtopic, topic, type_of_statistic, upload,
};
use almanac_content::site::TESTING_SPACE_SLUG;
use almanac_content::{Area, PublishStatus, VersionNumber};
use almanac_figures::{DataOrigin, FigureSource, Grid, TableSettings, build_table};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::catalogue::{CLASSIFICATION_IDS, TOPICS, topic_for_title};
use crate::{RealMeasure, SeedError, SeedOptions};

/// Rows per INSERT: well under PostgreSQL's 65,535 bind parameters for the widest table.
const BATCH: usize = 1000;

/// What a seed run created.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SeedSummary {
    pub topics: usize,
    pub subtopics: usize,
    pub measures: usize,
    pub versions: usize,
    pub published_versions: usize,
    pub dimensions: usize,
    pub uploads: usize,
    pub data_sources: usize,
    pub site_pages: usize,
}

pub struct Generator<'a> {
    rng: ChaCha8Rng,
    options: SeedOptions,
    real: &'a [RealMeasure],
    organisations: Vec<String>,
    create_topics: bool,
    classifications: Vec<ClassificationDefinition>,
    summary: SeedSummary,
    pending: Pending,
}

/// Rows waiting to be inserted, flushed a batch at a time in foreign-key order.
#[derive(Default)]
struct Pending {
    measures: Vec<NewMeasure>,
    versions: Vec<NewMeasureVersion>,
    dimensions: Vec<NewDimension>,
    charts: Vec<NewDimensionChart>,
    tables: Vec<NewDimensionTable>,
    categorisations: Vec<NewDimensionCategorisation>,
    uploads: Vec<NewUpload>,
    links: Vec<NewDataSourceLink>,
}

struct Lookups {
    /// Subtopic ids of each entry of TOPICS, in position order.
    subtopics: Vec<Vec<i32>>,
    types_of_statistic: Vec<i32>,
    frequencies: Vec<i32>,
    geographies: Vec<String>,
}

impl<'a> Generator<'a> {
    pub fn new(
        options: SeedOptions,
        real: &'a [RealMeasure],
        organisations: Vec<String>,
        create_topics: bool,
    ) -> Generator<'a> {
        let classifications = parse_classifications()
            .unwrap_or_default()
            .into_iter()
            .filter(|definition| CLASSIFICATION_IDS.contains(&definition.id.as_str()))
            .collect();
        Generator {
            rng: ChaCha8Rng::seed_from_u64(options.seed),
            options,
            real,
            organisations,
            create_topics,
            classifications,
            summary: SeedSummary::default(),
            pending: Pending::default(),
        }
    }

    pub fn run(mut self, conn: &mut PgConnection) -> Result<SeedSummary, SeedError> {
        if self.create_topics {
            self.insert_topics(conn)?;
        }
        let lookups = self.lookups(conn)?;
        if lookups.types_of_statistic.is_empty() || self.classifications.is_empty() {
            return Err(SeedError::NoReferenceData);
        }
        let data_sources = self.insert_data_sources(conn, &lookups)?;
        let measure_ids = allocate_ids(conn, "measure_id_seq", self.options.measures)?;
        let mut slugs: HashSet<(i32, String)> = HashSet::new();
        let mut positions: BTreeMap<i32, i32> = BTreeMap::new();
        for (index, measure_id) in measure_ids.into_iter().enumerate() {
            let (title, dimension_titles, topic_index) = self.measure_outline(index);
            let subtopic_id = *lookups.subtopics[topic_index]
                .choose(&mut self.rng)
                .expect("every topic has subtopics");
            let slug = unique_slug(&mut slugs, subtopic_id, &title);
            let position = positions.entry(subtopic_id).or_insert(0);
            self.pending.measures.push(NewMeasure {
                id: measure_id,
                subtopic_id,
                slug,
                position: *position,
                reference: Some(format!("M{:05}", index + 1)),
            });
            *position += 1;
            self.generate_versions(
                conn,
                measure_id,
                &title,
                &dimension_titles,
                &lookups,
                &data_sources,
            )?;
            if self.pending.versions.len() >= BATCH {
                self.flush(conn)?;
            }
        }
        self.flush(conn)?;
        self.summary.measures = self.options.measures;
        self.summary.data_sources = data_sources.len();
        Ok(self.summary)
    }

    fn insert_topics(&mut self, conn: &mut PgConnection) -> QueryResult<()> {
        for (position, spec) in (0..).zip(&TOPICS) {
            let topic_id: i32 = diesel::insert_into(topic::table)
                .values(NewTopic {
                    slug: spec.slug,
                    title: spec.title,
                    short_title: spec.short_title,
                    description: Some(spec.description),
                    additional_description: None,
                    meta_description: Some(spec.description),
                    position,
                })
                .returning(topic::id)
                .get_result(conn)?;
            self.insert_subtopics(conn, topic_id, spec.subtopics)?;
            self.summary.topics += 1;
        }
        let testing_id: i32 = diesel::insert_into(topic::table)
            .values(NewTopic {
                slug: TESTING_SPACE_SLUG,
                title: "Testing space",
                short_title: None,
                description: Some("A place for editors to try things out. Never published."),
                additional_description: None,
                meta_description: None,
                position: TOPICS.len() as i32,
            })
            .returning(topic::id)
            .get_result(conn)?;
        self.insert_subtopics(conn, testing_id, &["Testing area"])?;
        self.summary.topics += 1;
        Ok(())
    }

    fn insert_subtopics(
        &mut self,
        conn: &mut PgConnection,
        topic_id: i32,
        titles: &[&str],
    ) -> QueryResult<()> {
        for (position, title) in (0..).zip(titles) {
            diesel::insert_into(subtopic::table)
                .values((
                    subtopic::topic_id.eq(topic_id),
                    subtopic::slug.eq(slug::slugify(title)),
                    subtopic::title.eq(title),
                    subtopic::position.eq(position),
                ))
                .execute(conn)?;
            self.summary.subtopics += 1;
        }
        Ok(())
    }

    fn lookups(&self, conn: &mut PgConnection) -> Result<Lookups, SeedError> {
        let mut subtopics = Vec::new();
        for spec in &TOPICS {
            let ids: Vec<i32> = subtopic::table
                .inner_join(topic::table)
                .filter(topic::slug.eq(spec.slug))
                .order((subtopic::position, subtopic::id))
                .select(subtopic::id)
                .load(conn)?;
            if ids.is_empty() {
                // Topics were already there (seed creates them only in an empty database)
                // but this one is missing or has no subtopics to put measures in.
                return Err(SeedError::MissingTopic(spec.slug));
            }
            subtopics.push(ids);
        }
        Ok(Lookups {
            subtopics,
            types_of_statistic: type_of_statistic::table
                .order(type_of_statistic::position)
                .select(type_of_statistic::id)
                .load(conn)?,
            frequencies: frequency_of_release::table
                .order(frequency_of_release::position)
                .select(frequency_of_release::id)
                .load(conn)?,
            geographies: lowest_level_of_geography::table
                .order(lowest_level_of_geography::position)
                .select(lowest_level_of_geography::name)
                .load(conn)?,
        })
    }

    fn insert_data_sources(
        &mut self,
        conn: &mut PgConnection,
        lookups: &Lookups,
    ) -> QueryResult<Vec<i32>> {
        let count = (self.options.measures / 4).max(20);
        let ids = allocate_ids(conn, "data_source_id_seq", count)?;
        let mut rows = Vec::with_capacity(count);
        let survey_names = [
            "Annual Population Survey",
            "Labour Force Survey",
            "Family Resources Survey",
            "Census",
            "Crime Survey",
            "Health Survey",
            "English Housing Survey",
            "Community Life Survey",
        ];
        let admin_names = [
            "School Census",
            "Hospital Episode Statistics",
            "Police Workforce",
            "Offender Management Statistics",
            "Apprenticeship Statistics",
            "Civil Service Statistics",
            "Homelessness Statistics",
            "Benefit Claimant Records",
        ];
        for (index, id) in ids.iter().copied().enumerate() {
            let survey = self.rng.random_bool(0.5);
            let base = if survey {
                survey_names.choose(&mut self.rng)
            } else {
                admin_names.choose(&mut self.rng)
            }
            .expect("non-empty");
            let year = self.rng.random_range(2012..=2025);
            let publisher = self.organisations.choose(&mut self.rng).cloned();
            let date = self.date_between(2013, 2025);
            let frequency = *lookups.frequencies.choose(&mut self.rng).expect("loaded");
            rows.push(NewDataSource {
                id,
                title: format!("{base} {year} (release {})", index + 1),
                type_of_data: vec![Some(
                    if survey { "SURVEY" } else { "ADMINISTRATIVE" }.to_owned(),
                )],
                type_of_statistic_id: lookups.types_of_statistic.choose(&mut self.rng).copied(),
                publisher_id: publisher,
                source_url: Some(format!(
                    "https://www.gov.uk/government/statistics/{}-{year}-release-{}",
                    slug::slugify(base),
                    index + 1
                )),
                publication_date: Some(date.format("%-d %B %Y").to_string()),
                note_on_corrections_or_updates: None,
                frequency_of_release_id: Some(frequency),
                frequency_of_release_other: (Some(&frequency) == lookups.frequencies.last())
                    .then(|| "When funding allows".to_owned()),
                purpose: Some(format!(
                    "Collected to monitor {} across England.",
                    base.to_lowercase()
                )),
                created_at: at_noon(date),
                updated_at: at_noon(date),
            });
        }
        for chunk in rows.chunks(BATCH) {
            diesel::insert_into(data_source::table)
                .values(chunk)
                .execute(conn)?;
        }
        Ok(ids)
    }

    /// Title, dimension titles and topic of the `index`th measure.
    fn measure_outline(&mut self, index: usize) -> (String, Vec<String>, usize) {
        if let Some(real) = self.real.get(index) {
            let mut dimensions = real.dimensions.clone();
            // Every demo measure has at least two dimensions; pad with breakdowns it lacks.
            for extra in [
                "By ethnicity",
                "By ethnicity and sex",
                "By ethnicity over time",
            ] {
                if dimensions.len() >= 2 {
                    break;
                }
                if !dimensions.iter().any(|title| title == extra) {
                    dimensions.push(extra.to_owned());
                }
            }
            return (real.title.clone(), dimensions, topic_for_title(&real.title));
        }
        let topic_index = self.rng.random_range(0..TOPICS.len());
        let subject = *TOPICS[topic_index]
            .subjects
            .choose(&mut self.rng)
            .expect("non-empty");
        let area = [
            "England",
            "Wales",
            "English regions",
            "local authorities",
            "urban areas",
            "rural areas",
        ]
        .choose(&mut self.rng)
        .expect("non-empty");
        let title = format!("{subject} in {area} ({})", index + 1);
        let count = self.rng.random_range(2..=4);
        let breakdowns = [
            "by ethnicity",
            "by ethnicity and sex",
            "by ethnicity and age group",
            "by ethnicity and region",
            "by ethnicity over time",
        ];
        let dimensions = breakdowns[..count]
            .iter()
            .map(|breakdown| format!("{subject} {breakdown}"))
            .collect();
        (title, dimensions, topic_index)
    }

    fn generate_versions(
        &mut self,
        conn: &mut PgConnection,
        measure_id: i32,
        title: &str,
        dimension_titles: &[String],
        lookups: &Lookups,
        data_sources: &[i32],
    ) -> QueryResult<()> {
        let count = match self.rng.random_range(0..100) {
            0..50 => 1,
            50..85 => 2,
            _ => 3,
        };
        let ids = allocate_ids(conn, "measure_version_id_seq", count)?;
        let mut number = VersionNumber::FIRST;
        let mut date = self.date_between(2017, 2024);
        let areas = self.areas();
        let geography = lookups.geographies.choose(&mut self.rng).cloned();
        let editor = format!("editor{}@department.gov.uk", self.rng.random_range(1..=40));
        let source_count = self.rng.random_range(1..=2);
        let sources: Vec<i32> = data_sources
            .choose_multiple(&mut self.rng, source_count)
            .copied()
            .collect();
        for (position, id) in ids.iter().copied().enumerate() {
            let last = position + 1 == count;
            let status = if last {
                self.final_status()
            } else {
                PublishStatus::Approved
            };
            let published = status.is_published();
            let is_minor_update = !number.is_major();
            let summary = self.main_points(title);
            let upload_guid = self.uuid();
            let upload_size = self.rng.random_range(2_000..400_000);
            let corrects_mistake = is_minor_update.then(|| self.rng.random_bool(0.3));
            let time_covered = format!(
                "{} to {}",
                date.format("%Y"),
                (date + Duration::days(365)).format("%Y")
            );
            self.pending.versions.push(NewMeasureVersion {
                id,
                measure_id,
                version_major: number.major,
                version_minor: number.minor,
                template_version: 2,
                latest: last,
                status: status.as_str().to_owned(),
                created_at: at_noon(date - Duration::days(30)),
                created_by: Some(editor.clone()),
                updated_at: at_noon(date),
                last_updated_by: Some(editor.clone()),
                published_at: published.then_some(date),
                published_by: published.then(|| "admin@almanac.gov.uk".to_owned()),
                title: title.to_owned(),
                description: Some(format!("Data on {} by ethnicity, from {time_covered}.", title.to_lowercase())),
                summary: Some(summary),
                need_to_know: Some("The figures are rounded to the nearest whole number, so totals may not add up to 100%.\n\nSmall numbers have been withheld to protect confidentiality.".to_owned()),
                measure_summary: Some(format!("This data shows {} for people of different ethnicities.", title.to_lowercase())),
                ethnicity_definition_summary: Some("The data uses the 2011 Census ethnic groups, combined into 5 broad groups where numbers are small.".to_owned()),
                area_covered: areas.iter().map(|area| Some(area.as_str().to_owned())).collect(),
                time_covered: Some(time_covered),
                lowest_level_of_geography_id: geography.clone(),
                external_edit_summary: Some(if number.is_first() { "First published".to_owned() } else if is_minor_update { "Corrected a figure in the second table.".to_owned() } else { "Updated with the latest data.".to_owned() }),
                internal_edit_summary: Some(if number.is_first() { "Initial version".to_owned() } else { "Routine update".to_owned() }),
                update_corrects_data_mistake: corrects_mistake,
                methodology: Some("The figures come from the sources below. Percentages are calculated from unrounded numbers.".to_owned()),
                suppression_and_disclosure: Some("Figures based on fewer than 10 people are not shown.".to_owned()),
                estimation: Some("Percentages are rounded to 1 decimal place.".to_owned()),
                related_publications: None,
                qmi_url: Some("https://www.gov.uk/government/publications/quality-and-methodology".to_owned()),
                further_technical_information: None,
            });
            self.summary.versions += 1;
            self.summary.published_versions += usize::from(published);
            for (dimension_position, dimension_title) in (0..).zip(dimension_titles) {
                self.generate_dimension(id, dimension_position, dimension_title, date);
            }
            self.pending.uploads.push(NewUpload {
                guid: upload_guid,
                measure_version_id: id,
                title: format!("Source data for {title}"),
                file_name: format!("{}.csv", slug::slugify(format!("source data for {title}"))),
                description: Some(
                    "All the figures on this page, one row per ethnic group and year.".to_owned(),
                ),
                size_bytes: upload_size,
                scan_status: "CLEAN".to_owned(),
                created_at: at_noon(date - Duration::days(20)),
            });
            self.summary.uploads += 1;
            for (link_position, data_source_id) in (0..).zip(&sources) {
                self.pending.links.push(NewDataSourceLink {
                    data_source_id: *data_source_id,
                    measure_version_id: id,
                    position: link_position,
                });
            }
            number = if self.rng.random_bool(0.6) {
                number.next_minor()
            } else {
                number.next_major()
            };
            date += Duration::days(self.rng.random_range(30..400));
        }
        Ok(())
    }

    fn generate_dimension(
        &mut self,
        measure_version_id: i32,
        position: i32,
        title: &str,
        date: NaiveDate,
    ) {
        let guid = self.uuid();
        let definition = self
            .classifications
            .choose(&mut self.rng)
            .expect("classifications loaded")
            .clone();
        let categories: Vec<String> = definition
            .members
            .iter()
            .map(|(value, _)| value.clone())
            .collect();
        let values: Vec<f64> = categories
            .iter()
            .map(|_| (self.rng.random_range(0.0..100.0f64) * 10.0).round() / 10.0)
            .collect();
        let includes_all = self.rng.random_bool(0.5);
        let time_period = format!("{}", date.format("%Y"));
        self.pending.dimensions.push(NewDimension {
            guid,
            measure_version_id,
            title: title.to_owned(),
            time_period: Some(time_period.clone()),
            summary: Some(format!(
                "- the {} group had the highest rate\n- the {} group had the lowest rate",
                highest(&categories, &values, true),
                highest(&categories, &values, false)
            )),
            position,
            created_at: at_noon(date),
            updated_at: at_noon(date),
        });
        let figures = Figures::new(title, &categories, &values);
        self.pending.charts.push(NewDimensionChart {
            dimension_guid: guid,
            classification_id: Some(definition.id.clone()),
            includes_parents: false,
            includes_all,
            includes_unknown: false,
            settings_and_source_data: figures.chart_source,
            chart_object: figures.chart,
        });
        self.pending.tables.push(NewDimensionTable {
            dimension_guid: guid,
            classification_id: Some(definition.id.clone()),
            includes_parents: false,
            includes_all,
            includes_unknown: false,
            settings_and_source_data: figures.table_source,
            table_object: figures.table,
        });
        self.pending
            .categorisations
            .push(NewDimensionCategorisation {
                dimension_guid: guid,
                classification_id: definition.id,
                includes_parents: false,
                includes_all,
                includes_unknown: false,
            });
        self.summary.dimensions += 1;
    }

    fn flush(&mut self, conn: &mut PgConnection) -> QueryResult<()> {
        let pending = std::mem::take(&mut self.pending);
        for chunk in pending.measures.chunks(BATCH) {
            diesel::insert_into(measure::table)
                .values(chunk)
                .execute(conn)?;
        }
        for chunk in pending.versions.chunks(BATCH) {
            diesel::insert_into(measure_version::table)
                .values(chunk)
                .execute(conn)?;
        }
        for chunk in pending.dimensions.chunks(BATCH) {
            diesel::insert_into(dimension::table)
                .values(chunk)
                .execute(conn)?;
        }
        for chunk in pending.charts.chunks(BATCH) {
            diesel::insert_into(dimension_chart::table)
                .values(chunk)
                .execute(conn)?;
        }
        for chunk in pending.tables.chunks(BATCH) {
            diesel::insert_into(dimension_table::table)
                .values(chunk)
                .execute(conn)?;
        }
        for chunk in pending.categorisations.chunks(BATCH) {
            diesel::insert_into(dimension_categorisation::table)
                .values(chunk)
                .execute(conn)?;
        }
        for chunk in pending.uploads.chunks(BATCH) {
            diesel::insert_into(upload::table)
                .values(chunk)
                .execute(conn)?;
        }
        for chunk in pending.links.chunks(BATCH) {
            diesel::insert_into(data_source_in_measure_version::table)
                .values(chunk)
                .execute(conn)?;
        }
        Ok(())
    }

    /// Most measures end published; the rest are somewhere in the workflow.
    fn final_status(&mut self) -> PublishStatus {
        match self.rng.random_range(0..100) {
            0..75 => PublishStatus::Approved,
            75..85 => PublishStatus::Draft,
            85..90 => PublishStatus::InternalReview,
            90..95 => PublishStatus::DepartmentReview,
            _ => PublishStatus::Rejected,
        }
    }

    fn areas(&mut self) -> Vec<Area> {
        match self.rng.random_range(0..10) {
            0..4 => vec![Area::England],
            4..6 => vec![Area::England, Area::Wales],
            6..8 => vec![
                Area::England,
                Area::Wales,
                Area::Scotland,
                Area::NorthernIreland,
            ],
            8 => Area::ALL.to_vec(),
            _ => vec![Area::Scotland],
        }
    }

    fn main_points(&mut self, title: &str) -> String {
        let share = self.rng.random_range(5..60);
        format!(
            "- {share}% of people in the White British group were counted in {}\n- rates were higher than average for the Black and Mixed ethnic groups\n- the gap between the highest and lowest groups narrowed since the previous release",
            title.to_lowercase()
        )
    }

    fn date_between(&mut self, first_year: i32, last_year: i32) -> NaiveDate {
        let start = NaiveDate::from_ymd_opt(first_year, 1, 1).expect("valid date");
        let end = NaiveDate::from_ymd_opt(last_year, 12, 31).expect("valid date");
        start + Duration::days(self.rng.random_range(0..=(end - start).num_days()))
    }

    fn uuid(&mut self) -> Uuid {
        uuid::Builder::from_random_bytes(self.rng.random()).into_uuid()
    }
}

/// Takes `count` values from a sequence: ids known before the rows are built, so children
/// can point at parents without a round trip per row.
fn allocate_ids(conn: &mut PgConnection, sequence: &str, count: usize) -> QueryResult<Vec<i32>> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        id: i32,
    }
    let ids: Vec<Id> = diesel::sql_query(format!(
        "SELECT nextval('{sequence}')::integer AS id FROM generate_series(1, $1)"
    ))
    .bind::<diesel::sql_types::Integer, _>(count as i32)
    .load(conn)?;
    Ok(ids.into_iter().map(|row| row.id).collect())
}

fn unique_slug(taken: &mut HashSet<(i32, String)>, subtopic_id: i32, title: &str) -> String {
    let base: String = slug::slugify(title).chars().take(200).collect();
    let mut candidate = base.clone();
    let mut suffix = 2;
    while !taken.insert((subtopic_id, candidate.clone())) {
        candidate = format!("{base}-{suffix}");
        suffix += 1;
    }
    candidate
}

fn at_noon(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(12, 0, 0).expect("valid time").and_utc()
}

fn highest<'v>(categories: &'v [String], values: &[f64], highest: bool) -> &'v str {
    let mut best = 0;
    for (index, value) in values.iter().enumerate() {
        if (highest && *value > values[best]) || (!highest && *value < values[best]) {
            best = index;
        }
    }
    categories.get(best).map_or("", String::as_str)
}

/// A dimension's bar chart and simple table, built by the same code the publisher's
/// builders use, so the demo's figures are always ones the renderer can draw.
struct Figures {
    chart_source: Value,
    chart: Value,
    table_source: Value,
    table: Value,
}

impl Figures {
    fn new(title: &str, categories: &[String], values: &[f64]) -> Figures {
        let rows = std::iter::once(vec!["Ethnicity".to_owned(), "Percentage".to_owned()])
            .chain(
                categories
                    .iter()
                    .zip(values)
                    .map(|(category, value)| vec![category.clone(), format!("{value:.1}")]),
            )
            .collect();
        let grid = Grid::from_rows(rows).expect("generated data forms a grid");
        let chart_settings = ChartSettings::from_value(json!({
            "version": 1,
            "type": "bar",
            "title": title,
            "description": format!("{title}, percentage by ethnic group"),
            "category_column": "Ethnicity",
            "value_column": "Percentage",
            "value_axis_label": "Percentage",
            "number_format": { "suffix": "%", "decimal_places": 1, "min": 0, "max": 100 },
        }))
        .expect("generated chart settings are valid");
        let chart = build_chart(&grid, &chart_settings).expect("generated chart builds");
        let table_settings = TableSettings::from_json(
            &json!({
                "version": 1,
                "type": "simple",
                "caption": title,
                "category_column": "Ethnicity",
                "category_caption": "Ethnicity",
                "value_columns": ["Percentage"],
            })
            .to_string(),
        )
        .expect("generated table settings are valid");
        let table = build_table(&grid, &table_settings).expect("generated table builds");
        Figures {
            chart_source: FigureSource::new(chart_settings, grid.clone(), DataOrigin::Pasted)
                .to_value(),
            chart: serde_json::from_str(&chart.to_json()).expect("a chart is JSON"),
            table_source: FigureSource::new(table_settings, grid, DataOrigin::Pasted).to_value(),
            table: serde_json::from_str(&table.to_json()).expect("a table is JSON"),
        }
    }
}
