//! Read models of the dashboards (the model's `/dashboards` pages): what's new, publications by
//! week, ethnic groups, ethnicity classifications and geographic breakdown (public and in the
//! publisher), and the publisher-only planned pages and list of all measures.
//!
//! The ethnic-group, classification and geography dashboards read the materialized views of
//! `dashboard_views.rs`, which are refreshed nightly and before every build. Their rows are
//! joined back to the live tables, so a page unpublished, retired or moved since the last
//! refresh is never listed with a stale address (the site build would otherwise link to a page
//! it does not render). Like the rest of the public site, the testing space and retired
//! measures are left out everywhere.
//!
//! Nothing here reads the clock: the publications-by-week figures run up to a date the caller
//! gives, so the site build can use the newest publication date and stay reproducible.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, Duration, NaiveDate};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Int4, Nullable, Text, Timestamptz};

use crate::site::TESTING_SPACE_SLUG;
use crate::status::PublishStatus;

/// A measure version as a dashboard links to it, with where it sits on the site.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct MeasureVersionRef {
    #[diesel(sql_type = Text)]
    pub topic_slug: String,
    #[diesel(sql_type = Text)]
    pub topic_title: String,
    #[diesel(sql_type = Int4)]
    pub topic_position: i32,
    #[diesel(sql_type = Text)]
    pub subtopic_slug: String,
    #[diesel(sql_type = Text)]
    pub subtopic_title: String,
    #[diesel(sql_type = Int4)]
    pub subtopic_position: i32,
    #[diesel(sql_type = Int4)]
    pub measure_id: i32,
    #[diesel(sql_type = Text)]
    pub measure_slug: String,
    #[diesel(sql_type = Int4)]
    pub measure_position: i32,
    /// The version's title (titles belong to versions).
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Int4)]
    pub version_major: i32,
    #[diesel(sql_type = Int4)]
    pub version_minor: i32,
}

impl MeasureVersionRef {
    /// `/<topic>/<subtopic>/<measure>`, without a trailing slash.
    pub fn path(&self) -> String {
        format!(
            "/{}/{}/{}",
            self.topic_slug, self.subtopic_slug, self.measure_slug
        )
    }

    /// `X.Y`.
    pub fn version(&self) -> String {
        format!("{}.{}", self.version_major, self.version_minor)
    }

    /// The site's order: topic, subtopic, then measure position.
    fn sort_key(&self) -> (i32, &str, i32, &str, i32, &str, i32) {
        (
            self.topic_position,
            &self.topic_title,
            self.subtopic_position,
            &self.subtopic_title,
            self.measure_position,
            &self.title,
            self.measure_id,
        )
    }
}

// --- Measures grouped by topic and subtopic -------------------------------------------------

/// A measure listed on a dashboard, with the titles of the dimensions that put it there
/// (empty where the dashboard is about whole pages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedMeasure {
    pub measure: MeasureVersionRef,
    pub dimensions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubtopicGroup {
    pub slug: String,
    pub title: String,
    pub measures: Vec<ListedMeasure>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicGroup {
    pub slug: String,
    pub title: String,
    pub subtopics: Vec<SubtopicGroup>,
}

/// Nests (measure, dimension title) pairs as topic → subtopic → measure → dimensions, in the
/// site's order; dimensions keep the order given.
fn group_by_topic<'a>(
    rows: impl IntoIterator<Item = (&'a MeasureVersionRef, Option<&'a str>)>,
) -> Vec<TopicGroup> {
    let mut measures: Vec<ListedMeasure> = Vec::new();
    let mut index: HashMap<i32, usize> = HashMap::new();
    for (measure, dimension) in rows {
        let at = *index.entry(measure.measure_id).or_insert_with(|| {
            measures.push(ListedMeasure {
                measure: measure.clone(),
                dimensions: Vec::new(),
            });
            measures.len() - 1
        });
        if let Some(dimension) = dimension {
            measures[at].dimensions.push(dimension.to_owned());
        }
    }
    measures.sort_by(|a, b| a.measure.sort_key().cmp(&b.measure.sort_key()));
    let mut topics: Vec<TopicGroup> = Vec::new();
    for listed in measures {
        let measure = &listed.measure;
        if topics
            .last()
            .is_none_or(|topic| topic.slug != measure.topic_slug)
        {
            topics.push(TopicGroup {
                slug: measure.topic_slug.clone(),
                title: measure.topic_title.clone(),
                subtopics: Vec::new(),
            });
        }
        let topic = topics.last_mut().expect("pushed above");
        if topic
            .subtopics
            .last()
            .is_none_or(|subtopic| subtopic.slug != measure.subtopic_slug)
        {
            topic.subtopics.push(SubtopicGroup {
                slug: measure.subtopic_slug.clone(),
                title: measure.subtopic_title.clone(),
                measures: Vec::new(),
            });
        }
        topic
            .subtopics
            .last_mut()
            .expect("pushed above")
            .measures
            .push(listed);
    }
    topics
}

/// Gives each name a slug unique among them: the first keeps the plain slug, later ones that
/// would collide get `-2`, `-3`…, in the order given (which is the dashboard's stable order).
fn unique_slugs<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut taken: BTreeSet<String> = BTreeSet::new();
    names
        .into_iter()
        .map(|name| {
            let base = match slug::slugify(name) {
                empty if empty.is_empty() => "group".to_owned(),
                base => base,
            };
            let mut candidate = base.clone();
            let mut n = 2;
            while !taken.insert(candidate.clone()) {
                candidate = format!("{base}-{n}");
                n += 1;
            }
            candidate
        })
        .collect()
}

/// The joins and filters that take a version id to its live measure, subtopic and topic,
/// keeping only what the public site shows. Expects `$1` bound to the testing space's slug.
const LIVE_MEASURE_JOINS: &str = "
    JOIN measure_version mv ON mv.id = {version_id}
        AND mv.status = 'APPROVED' AND mv.published_at IS NOT NULL
    JOIN measure m ON m.id = mv.measure_id AND NOT m.retired
    JOIN subtopic s ON s.id = m.subtopic_id
    JOIN topic t ON t.id = s.topic_id AND t.slug <> $1";

const MEASURE_VERSION_COLUMNS: &str = "
    t.slug AS topic_slug, t.title AS topic_title, t.position AS topic_position,
    s.slug AS subtopic_slug, s.title AS subtopic_title, s.position AS subtopic_position,
    m.id AS measure_id, m.slug AS measure_slug, m.position AS measure_position,
    mv.title, mv.version_major, mv.version_minor";

fn live_measure_joins(version_id: &str) -> String {
    LIVE_MEASURE_JOINS.replace("{version_id}", version_id)
}

// --- What's new and publications by week ----------------------------------------------------

/// A published major version (1.0, 2.0…): a new page or a major update.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct MajorPublication {
    #[diesel(embed)]
    pub measure: MeasureVersionRef,
    #[diesel(sql_type = Date)]
    pub published_at: NaiveDate,
    /// What changed, as the editor told the public.
    #[diesel(sql_type = Nullable<Text>)]
    pub external_edit_summary: Option<String>,
}

impl MajorPublication {
    /// A first publication (1.0) rather than a major update.
    pub fn is_new_page(&self) -> bool {
        self.measure.version_major == 1
    }
}

/// Every published major version, newest first.
pub fn major_publications(conn: &mut PgConnection) -> QueryResult<Vec<MajorPublication>> {
    diesel::sql_query(format!(
        "SELECT {MEASURE_VERSION_COLUMNS}, mv.published_at, mv.external_edit_summary
         FROM measure_version v {joins}
         WHERE mv.version_minor = 0
         ORDER BY mv.published_at DESC, mv.title, mv.id",
        joins = live_measure_joins("v.id"),
    ))
    .bind::<Text, _>(TESTING_SPACE_SLUG)
    .load(conn)
}

/// The newest publication date of any published version (minor ones too), if any.
pub fn latest_publication_date(conn: &mut PgConnection) -> QueryResult<Option<NaiveDate>> {
    #[derive(QueryableByName)]
    struct Latest {
        #[diesel(sql_type = Nullable<Date>)]
        latest: Option<NaiveDate>,
    }
    let row: Latest = diesel::sql_query(format!(
        "SELECT max(mv.published_at) AS latest FROM measure_version v {joins}",
        joins = live_measure_joins("v.id"),
    ))
    .bind::<Text, _>(TESTING_SPACE_SLUG)
    .get_result(conn)?;
    Ok(row.latest)
}

/// The published major versions of one calendar month, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicationMonth {
    /// The first day of the month.
    pub month: NaiveDate,
    pub publications: Vec<MajorPublication>,
}

/// What's new, by year and month: `publications` newest first in, months newest first out.
pub fn by_month(publications: &[MajorPublication]) -> Vec<(i32, Vec<PublicationMonth>)> {
    let mut years: Vec<(i32, Vec<PublicationMonth>)> = Vec::new();
    for publication in publications {
        let date = publication.published_at;
        let month = date.with_day(1).expect("every month has a first day");
        if years.last().is_none_or(|(year, _)| *year != date.year()) {
            years.push((date.year(), Vec::new()));
        }
        let (_, months) = years.last_mut().expect("pushed above");
        match months.last_mut() {
            Some(last) if last.month == month => last.publications.push(publication.clone()),
            _ => months.push(PublicationMonth {
                month,
                publications: vec![publication.clone()],
            }),
        }
    }
    years
}

/// One week of the publications-by-week table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicationWeek {
    /// The Monday the week starts on.
    pub week_starting: NaiveDate,
    pub new_pages: u32,
    pub major_updates: u32,
    /// Totals up to and including this week.
    pub new_pages_to_date: u32,
    pub major_updates_to_date: u32,
}

/// First publications and major updates week by week, from the week of the first publication
/// to the week holding `today`, oldest first. Empty when nothing is published. Publications
/// after `today` count in its week's totals, so the totals always add up.
pub fn weekly_publications(
    publications: &[MajorPublication],
    today: NaiveDate,
) -> Vec<PublicationWeek> {
    let monday =
        |date: NaiveDate| date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
    let Some(first) = publications.iter().map(|p| p.published_at).min() else {
        return Vec::new();
    };
    let first_week = monday(first);
    let last_week = monday(today).max(first_week);
    let mut counts: BTreeMap<NaiveDate, (u32, u32)> = BTreeMap::new();
    for publication in publications {
        let week = monday(publication.published_at).min(last_week);
        let entry = counts.entry(week).or_default();
        if publication.is_new_page() {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
    }
    let mut weeks = Vec::new();
    let (mut new_to_date, mut updates_to_date) = (0, 0);
    let mut week = first_week;
    while week <= last_week {
        let (new_pages, major_updates) = counts.get(&week).copied().unwrap_or_default();
        new_to_date += new_pages;
        updates_to_date += major_updates;
        weeks.push(PublicationWeek {
            week_starting: week,
            new_pages,
            major_updates,
            new_pages_to_date: new_to_date,
            major_updates_to_date: updates_to_date,
        });
        week += Duration::weeks(1);
    }
    weeks
}

// --- Ethnic groups ----------------------------------------------------------------------------

/// A published dimension, with its measure version, in a dashboard's list.
#[derive(QueryableByName)]
struct DimensionUseRow {
    #[diesel(embed)]
    measure: MeasureVersionRef,
    #[diesel(sql_type = Text)]
    dimension_title: String,
}

/// An ethnic group and the published dimensions that give figures for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EthnicGroup {
    pub value: String,
    /// Unique among the groups; the group's page is `/dashboards/ethnic-groups/<slug>/`.
    pub slug: String,
    pub measure_count: usize,
    pub dimension_count: usize,
    /// Titles of the classifications those dimensions use, in the classifications' order.
    pub classifications: Vec<String>,
    pub topics: Vec<TopicGroup>,
}

/// Every ethnic group that some published dimension covers, in the reference order, with its
/// dimensions by topic. One group's rows are in memory at a time.
pub fn ethnic_groups(conn: &mut PgConnection) -> QueryResult<Vec<EthnicGroup>> {
    let mut groups = ethnic_group_summaries(conn)?;
    for group in &mut groups {
        load_ethnic_group_topics(conn, group)?;
    }
    Ok(groups)
}

/// One ethnic group by its slug, with its dimensions by topic.
pub fn ethnic_group(conn: &mut PgConnection, slug: &str) -> QueryResult<Option<EthnicGroup>> {
    let Some(mut group) = ethnic_group_summaries(conn)?
        .into_iter()
        .find(|group| group.slug == slug)
    else {
        return Ok(None);
    };
    load_ethnic_group_topics(conn, &mut group)?;
    Ok(Some(group))
}

#[derive(QueryableByName)]
struct EthnicGroupCounts {
    #[diesel(sql_type = Text)]
    ethnicity_value: String,
    #[diesel(sql_type = BigInt)]
    measure_count: i64,
    #[diesel(sql_type = BigInt)]
    dimension_count: i64,
}

#[derive(QueryableByName)]
struct EthnicGroupClassification {
    #[diesel(sql_type = Text)]
    ethnicity_value: String,
    #[diesel(sql_type = Text)]
    classification_title: String,
}

/// Every ethnic group with its counts and classifications, counted by the database, and
/// `topics` left empty: what the groups' index page shows, without a row per dimension.
pub fn ethnic_group_summaries(conn: &mut PgConnection) -> QueryResult<Vec<EthnicGroup>> {
    let joins = live_measure_joins("v.measure_version_id");
    let counts: Vec<EthnicGroupCounts> = diesel::sql_query(format!(
        "SELECT v.ethnicity_value, count(DISTINCT m.id) AS measure_count,
                count(DISTINCT v.dimension_guid) AS dimension_count
         FROM ethnic_groups_by_dimension v
         JOIN classification c ON c.id = v.classification_id {joins}
         GROUP BY v.ethnicity_position, v.ethnicity_value
         ORDER BY v.ethnicity_position, v.ethnicity_value"
    ))
    .bind::<Text, _>(TESTING_SPACE_SLUG)
    .load(conn)?;
    let used: Vec<EthnicGroupClassification> = diesel::sql_query(format!(
        "SELECT v.ethnicity_value, v.classification_title
         FROM ethnic_groups_by_dimension v
         JOIN classification c ON c.id = v.classification_id {joins}
         GROUP BY v.ethnicity_value, v.classification_title, c.position, c.id
         ORDER BY v.ethnicity_value, c.position, c.id"
    ))
    .bind::<Text, _>(TESTING_SPACE_SLUG)
    .load(conn)?;
    let mut classifications: HashMap<String, Vec<String>> = HashMap::new();
    for row in used {
        let titles = classifications.entry(row.ethnicity_value).or_default();
        if !titles.contains(&row.classification_title) {
            titles.push(row.classification_title);
        }
    }
    let slugs = unique_slugs(counts.iter().map(|group| group.ethnicity_value.as_str()));
    Ok(counts
        .into_iter()
        .zip(slugs)
        .map(|(group, slug)| EthnicGroup {
            classifications: classifications
                .remove(&group.ethnicity_value)
                .unwrap_or_default(),
            value: group.ethnicity_value,
            slug,
            measure_count: usize::try_from(group.measure_count).unwrap_or_default(),
            dimension_count: usize::try_from(group.dimension_count).unwrap_or_default(),
            topics: Vec::new(),
        })
        .collect())
}

/// Fills `group.topics` with the group's published dimensions, grouped by topic.
pub fn load_ethnic_group_topics(
    conn: &mut PgConnection,
    group: &mut EthnicGroup,
) -> QueryResult<()> {
    group.topics = dimension_topics(
        conn,
        "ethnic_groups_by_dimension v JOIN classification c ON c.id = v.classification_id",
        "v.ethnicity_value = $2",
        "c.position, c.id, v.dimension_position, v.dimension_guid",
        &group.value,
    )?;
    Ok(())
}

/// The published dimensions of a dashboard view `v` that match `filter` (with `$2` bound to
/// `key`), in `order`, grouped by topic.
fn dimension_topics(
    conn: &mut PgConnection,
    view: &str,
    filter: &str,
    order: &str,
    key: &str,
) -> QueryResult<Vec<TopicGroup>> {
    let rows: Vec<DimensionUseRow> = diesel::sql_query(format!(
        "SELECT {MEASURE_VERSION_COLUMNS}, v.dimension_title
         FROM {view} {joins}
         WHERE {filter}
         ORDER BY {order}",
        joins = live_measure_joins("v.measure_version_id"),
    ))
    .bind::<Text, _>(TESTING_SPACE_SLUG)
    .bind::<Text, _>(key)
    .load(conn)?;
    Ok(group_by_topic(rows.iter().map(|row| {
        (&row.measure, Some(row.dimension_title.as_str()))
    })))
}

// --- Ethnicity classifications ----------------------------------------------------------------

#[derive(QueryableByName)]
struct ClassificationRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    long_title: String,
}

/// A classification and the published dimensions that use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassificationUsage {
    /// The reference code, such as `5A`; its page is
    /// `/dashboards/ethnicity-classifications/<path_segment>/`.
    pub id: String,
    pub title: String,
    pub long_title: String,
    pub measure_count: usize,
    pub dimension_count: usize,
    /// Dimensions that also show the classification's parent groups.
    pub with_parents: usize,
    /// Dimensions with an "All" row.
    pub with_all: usize,
    /// Dimensions with an "Unknown" row.
    pub with_unknown: usize,
    pub topics: Vec<TopicGroup>,
}

impl ClassificationUsage {
    /// The id as a path segment: `+` (as in `10B+`) becomes `-plus`, since some servers and
    /// S3 read a `+` in a path as a space.
    pub fn path_segment(&self) -> String {
        self.id.replace('+', "-plus")
    }
}

/// Every classification, used or not (the model lists unused ones too), in reference order,
/// with the published dimensions that use it.
pub fn classifications(conn: &mut PgConnection) -> QueryResult<Vec<ClassificationUsage>> {
    let mut all = classification_summaries(conn)?;
    for classification in &mut all {
        load_classification_topics(conn, classification)?;
    }
    Ok(all)
}

#[derive(QueryableByName)]
struct ClassificationCounts {
    #[diesel(embed)]
    classification: ClassificationRow,
    #[diesel(sql_type = BigInt)]
    measure_count: i64,
    #[diesel(sql_type = BigInt)]
    dimension_count: i64,
    #[diesel(sql_type = BigInt)]
    with_parents: i64,
    #[diesel(sql_type = BigInt)]
    with_all: i64,
    #[diesel(sql_type = BigInt)]
    with_unknown: i64,
}

/// Every classification with its counts, counted by the database, and `topics` left empty:
/// what the classifications' index page shows, without a row per dimension.
pub fn classification_summaries(conn: &mut PgConnection) -> QueryResult<Vec<ClassificationUsage>> {
    let counts: Vec<ClassificationCounts> = diesel::sql_query(format!(
        "SELECT c.id, c.title, c.long_title,
                count(DISTINCT used.measure_id) AS measure_count,
                count(used.measure_id) AS dimension_count,
                count(*) FILTER (WHERE used.includes_parents) AS with_parents,
                count(*) FILTER (WHERE used.includes_all) AS with_all,
                count(*) FILTER (WHERE used.includes_unknown) AS with_unknown
         FROM classification c
         LEFT JOIN (
             SELECT v.classification_id, m.id AS measure_id, v.includes_parents,
                    v.includes_all, v.includes_unknown
             FROM classifications_by_dimension v {joins}
         ) used ON used.classification_id = c.id
         GROUP BY c.id, c.title, c.long_title, c.position
         ORDER BY c.position, c.id",
        joins = live_measure_joins("v.measure_version_id"),
    ))
    .bind::<Text, _>(TESTING_SPACE_SLUG)
    .load(conn)?;
    let count = |n: i64| usize::try_from(n).unwrap_or_default();
    Ok(counts
        .into_iter()
        .map(|row| ClassificationUsage {
            id: row.classification.id,
            title: row.classification.title,
            long_title: row.classification.long_title,
            measure_count: count(row.measure_count),
            dimension_count: count(row.dimension_count),
            with_parents: count(row.with_parents),
            with_all: count(row.with_all),
            with_unknown: count(row.with_unknown),
            topics: Vec::new(),
        })
        .collect())
}

/// Fills `classification.topics` with the published dimensions that use it, by topic.
pub fn load_classification_topics(
    conn: &mut PgConnection,
    classification: &mut ClassificationUsage,
) -> QueryResult<()> {
    classification.topics = dimension_topics(
        conn,
        "classifications_by_dimension v",
        "v.classification_id = $2",
        "v.dimension_position, v.dimension_guid",
        &classification.id,
    )?;
    Ok(())
}

// --- Geographic breakdown ---------------------------------------------------------------------

#[derive(QueryableByName)]
struct GeographyLevelRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Text>)]
    description: Option<String>,
    #[diesel(sql_type = BigInt)]
    measure_count: i64,
}

/// A lowest level of geography and the published pages that go down to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeographyLevel {
    pub name: String,
    /// Unique among the levels; the level's page is `/dashboards/geographic-breakdown/<slug>/`.
    pub slug: String,
    pub description: Option<String>,
    pub measure_count: usize,
    pub topics: Vec<TopicGroup>,
}

/// Every lowest level of geography, with or without pages, in reference order, with the
/// published pages that go down to it.
pub fn geography_levels(conn: &mut PgConnection) -> QueryResult<Vec<GeographyLevel>> {
    let mut levels = geography_summaries(conn)?;
    for level in &mut levels {
        load_geography_topics(conn, level)?;
    }
    Ok(levels)
}

/// Every lowest level of geography with its count of pages, and `topics` left empty.
pub fn geography_summaries(conn: &mut PgConnection) -> QueryResult<Vec<GeographyLevel>> {
    let levels: Vec<GeographyLevelRow> = diesel::sql_query(format!(
        "SELECT l.name, l.description, count(used.geography_name) AS measure_count
         FROM lowest_level_of_geography l
         LEFT JOIN (
             SELECT v.geography_name
             FROM latest_published_measure_versions_by_geography v {joins}
         ) used ON used.geography_name = l.name
         GROUP BY l.name, l.description, l.position
         ORDER BY l.position, l.name",
        joins = live_measure_joins("v.measure_version_id"),
    ))
    .bind::<Text, _>(TESTING_SPACE_SLUG)
    .load(conn)?;
    let slugs = unique_slugs(levels.iter().map(|level| level.name.as_str()));
    Ok(levels
        .into_iter()
        .zip(slugs)
        .map(|(level, slug)| GeographyLevel {
            measure_count: usize::try_from(level.measure_count).unwrap_or_default(),
            topics: Vec::new(),
            name: level.name,
            slug,
            description: level.description,
        })
        .collect())
}

/// Fills `level.topics` with the published pages that go down to it, by topic.
pub fn load_geography_topics(
    conn: &mut PgConnection,
    level: &mut GeographyLevel,
) -> QueryResult<()> {
    let rows: Vec<GeographyUseRow> = diesel::sql_query(format!(
        "SELECT {MEASURE_VERSION_COLUMNS}
         FROM latest_published_measure_versions_by_geography v {joins}
         WHERE v.geography_name = $2",
        joins = live_measure_joins("v.measure_version_id"),
    ))
    .bind::<Text, _>(TESTING_SPACE_SLUG)
    .bind::<Text, _>(&level.name)
    .load(conn)?;
    level.topics = group_by_topic(rows.iter().map(|row| (&row.measure, None)));
    Ok(())
}

#[derive(QueryableByName)]
struct GeographyUseRow {
    #[diesel(embed)]
    measure: MeasureVersionRef,
}

// --- One dashboard page at a time -------------------------------------------------------------

/// A dashboard page about one thing, which lists the published pages or dimensions about it:
/// an ethnic group, a classification or a level of geography. Together their lists are a row
/// for every group, classification and level of every published dimension, so the site build
/// loads and renders them one at a time ([`DashboardDetail::load_topics`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DashboardDetail {
    EthnicGroup(EthnicGroup),
    Classification(ClassificationUsage),
    GeographyLevel(GeographyLevel),
}

impl DashboardDetail {
    /// Fills in the list of pages or dimensions, by topic.
    pub fn load_topics(&mut self, conn: &mut PgConnection) -> QueryResult<()> {
        match self {
            DashboardDetail::EthnicGroup(group) => load_ethnic_group_topics(conn, group),
            DashboardDetail::Classification(classification) => {
                load_classification_topics(conn, classification)
            }
            DashboardDetail::GeographyLevel(level) => load_geography_topics(conn, level),
        }
    }
}

// --- Everything the public site shows -------------------------------------------------------

/// The public dashboards' data, loaded together (inside the site snapshot's transaction).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dashboards {
    /// Published major versions, newest first.
    pub major_publications: Vec<MajorPublication>,
    /// The newest publication date: the "today" of the public publications-by-week table,
    /// so a build depends on the data alone and never on the day it runs.
    pub latest_publication: Option<NaiveDate>,
    pub ethnic_groups: Vec<EthnicGroup>,
    pub classifications: Vec<ClassificationUsage>,
    pub geography_levels: Vec<GeographyLevel>,
}

impl Dashboards {
    pub fn load(conn: &mut PgConnection) -> QueryResult<Dashboards> {
        let mut dashboards = Dashboards::load_outline(conn)?;
        let details = dashboards
            .details()
            .map(|mut detail| detail.load_topics(conn).map(|()| detail))
            .collect::<QueryResult<Vec<_>>>()?;
        dashboards.set_details(details);
        Ok(dashboards)
    }

    /// Everything but the lists of the ethnic groups', classifications' and geography
    /// levels' pages (their `topics` are empty): the site build loads each with
    /// [`DashboardDetail::load_topics`] as it renders its page.
    pub fn load_outline(conn: &mut PgConnection) -> QueryResult<Dashboards> {
        Ok(Dashboards {
            major_publications: major_publications(conn)?,
            latest_publication: latest_publication_date(conn)?,
            ethnic_groups: ethnic_group_summaries(conn)?,
            classifications: classification_summaries(conn)?,
            geography_levels: geography_summaries(conn)?,
        })
    }

    /// Every ethnic group, classification and level of geography, as held here (with their
    /// lists only when loaded), in the dashboards' order.
    pub fn details(&self) -> impl Iterator<Item = DashboardDetail> + '_ {
        let groups = self
            .ethnic_groups
            .iter()
            .cloned()
            .map(DashboardDetail::EthnicGroup);
        let classifications = self
            .classifications
            .iter()
            .cloned()
            .map(DashboardDetail::Classification);
        let levels = self
            .geography_levels
            .iter()
            .cloned()
            .map(DashboardDetail::GeographyLevel);
        groups.chain(classifications).chain(levels)
    }

    /// Puts loaded details back in place of the summaries.
    pub fn set_details(&mut self, details: impl IntoIterator<Item = DashboardDetail>) {
        self.ethnic_groups.clear();
        self.classifications.clear();
        self.geography_levels.clear();
        for detail in details {
            match detail {
                DashboardDetail::EthnicGroup(group) => self.ethnic_groups.push(group),
                DashboardDetail::Classification(classification) => {
                    self.classifications.push(classification)
                }
                DashboardDetail::GeographyLevel(level) => self.geography_levels.push(level),
            }
        }
    }

    /// The publications-by-week table up to the newest publication.
    pub fn weekly_publications(&self) -> Vec<PublicationWeek> {
        match self.latest_publication {
            Some(today) => weekly_publications(&self.major_publications, today),
            None => Vec::new(),
        }
    }
}

// --- Publisher only ---------------------------------------------------------------------------

/// A measure that has never been published, with its newest version.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct PlannedPage {
    #[diesel(embed)]
    pub measure: MeasureVersionRef,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: chrono::DateTime<chrono::Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    pub last_updated_by: Option<String>,
}

/// The planned pages in one workflow stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedStage {
    pub status: PublishStatus,
    pub pages: Vec<PlannedPage>,
}

/// The stages a never-published page can be in, in workflow order. An approved version of
/// an unpublished page does not occur (approving publishes), so it is not a stage.
const PLANNED_STAGES: [PublishStatus; 4] = [
    PublishStatus::Draft,
    PublishStatus::Rejected,
    PublishStatus::InternalReview,
    PublishStatus::DepartmentReview,
];

/// Measures with no published version yet, by the workflow status of their newest version
/// (the model kept these on a Trello board; here they come from the database). Every stage is
/// listed, empty or not, so the counts read as a pipeline.
pub fn planned_pages(conn: &mut PgConnection) -> QueryResult<Vec<PlannedStage>> {
    let pages: Vec<PlannedPage> = diesel::sql_query(format!(
        "SELECT {MEASURE_VERSION_COLUMNS}, mv.status, mv.updated_at, mv.last_updated_by
         FROM (
             SELECT DISTINCT ON (measure_id) *
             FROM measure_version
             ORDER BY measure_id, version_major DESC, version_minor DESC
         ) mv
         JOIN measure m ON m.id = mv.measure_id AND NOT m.retired
         JOIN subtopic s ON s.id = m.subtopic_id
         JOIN topic t ON t.id = s.topic_id AND t.slug <> $1
         WHERE NOT EXISTS (
             SELECT 1 FROM measure_version published
             WHERE published.measure_id = m.id AND published.status = 'APPROVED'
         )
         ORDER BY mv.updated_at DESC, mv.id"
    ))
    .bind::<Text, _>(TESTING_SPACE_SLUG)
    .load(conn)?;
    Ok(PLANNED_STAGES
        .iter()
        .map(|&status| PlannedStage {
            status,
            pages: pages
                .iter()
                .filter(|page| page.status == status.as_str())
                .cloned()
                .collect(),
        })
        .collect())
}

/// A measure as the all-measures dashboard lists it: its newest version, and its newest
/// published version if it has one.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct MeasureStatus {
    #[diesel(embed)]
    pub newest: MeasureVersionRef,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub published_version: Option<String>,
    #[diesel(sql_type = Nullable<Date>)]
    pub first_published: Option<NaiveDate>,
}

/// A topic's measures on the all-measures dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicMeasures {
    pub slug: String,
    pub title: String,
    pub measures: Vec<MeasureStatus>,
}

/// Every measure that is not retired, by topic (testing space included: this is the editors'
/// view), each with its newest version's status and its published version.
pub fn all_measures(conn: &mut PgConnection) -> QueryResult<Vec<TopicMeasures>> {
    let mut rows: Vec<MeasureStatus> = diesel::sql_query(format!(
        "SELECT {MEASURE_VERSION_COLUMNS}, mv.status,
                (SELECT p.version_major || '.' || p.version_minor FROM measure_version p
                 WHERE p.measure_id = m.id AND p.status = 'APPROVED'
                 ORDER BY p.version_major DESC, p.version_minor DESC LIMIT 1)
                    AS published_version,
                (SELECT min(p.published_at) FROM measure_version p
                 WHERE p.measure_id = m.id AND p.status = 'APPROVED') AS first_published
         FROM (
             SELECT DISTINCT ON (measure_id) *
             FROM measure_version
             ORDER BY measure_id, version_major DESC, version_minor DESC
         ) mv
         JOIN measure m ON m.id = mv.measure_id AND NOT m.retired
         JOIN subtopic s ON s.id = m.subtopic_id
         JOIN topic t ON t.id = s.topic_id"
    ))
    .load(conn)?;
    rows.sort_by(|a, b| a.newest.sort_key().cmp(&b.newest.sort_key()));
    let mut topics: Vec<TopicMeasures> = Vec::new();
    for row in rows {
        match topics.last_mut() {
            Some(topic) if topic.slug == row.newest.topic_slug => topic.measures.push(row),
            _ => topics.push(TopicMeasures {
                slug: row.newest.topic_slug.clone(),
                title: row.newest.topic_title.clone(),
                measures: vec![row],
            }),
        }
    }
    Ok(topics)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn measure(
        id: i32,
        topic: (&str, i32),
        subtopic: (&str, i32),
        major: i32,
    ) -> MeasureVersionRef {
        MeasureVersionRef {
            topic_slug: topic.0.to_lowercase(),
            topic_title: topic.0.to_owned(),
            topic_position: topic.1,
            subtopic_slug: subtopic.0.to_lowercase(),
            subtopic_title: subtopic.0.to_owned(),
            subtopic_position: subtopic.1,
            measure_id: id,
            measure_slug: format!("measure-{id}"),
            measure_position: id,
            title: format!("Measure {id}"),
            version_major: major,
            version_minor: 0,
        }
    }

    fn publication(id: i32, major: i32, on: &str) -> MajorPublication {
        MajorPublication {
            measure: measure(id, ("Work", 0), ("Pay", 0), major),
            published_at: date(on),
            external_edit_summary: None,
        }
    }

    #[test]
    fn weeks_run_from_the_first_publication_to_today_with_running_totals() {
        // 2026-01-07 is a Wednesday: its week starts on Monday 5 January.
        let publications = [
            publication(1, 1, "2026-01-07"),
            publication(2, 1, "2026-01-11"),
            publication(1, 2, "2026-01-20"),
        ];
        let weeks = weekly_publications(&publications, date("2026-01-28"));
        let starts: Vec<String> = weeks.iter().map(|w| w.week_starting.to_string()).collect();
        assert_eq!(
            starts,
            ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26"]
        );
        assert_eq!((weeks[0].new_pages, weeks[0].major_updates), (2, 0));
        assert_eq!((weeks[1].new_pages, weeks[1].major_updates), (0, 0));
        assert_eq!((weeks[2].new_pages, weeks[2].major_updates), (0, 1));
        let last = weeks.last().unwrap();
        assert_eq!((last.new_pages_to_date, last.major_updates_to_date), (2, 1));
    }

    #[test]
    fn no_publications_give_no_weeks_and_a_past_today_still_counts_everything() {
        assert!(weekly_publications(&[], date("2026-01-01")).is_empty());
        let publications = [
            publication(1, 1, "2026-01-07"),
            publication(2, 1, "2026-03-01"),
        ];
        let weeks = weekly_publications(&publications, date("2025-12-01"));
        assert_eq!(weeks.len(), 1);
        assert_eq!(weeks[0].new_pages_to_date, 2);
    }

    #[test]
    fn whats_new_groups_by_year_then_month_newest_first() {
        let publications = [
            publication(3, 1, "2026-02-03"),
            publication(2, 2, "2026-01-30"),
            publication(1, 1, "2026-01-02"),
            publication(4, 1, "2025-12-31"),
        ];
        let years = by_month(&publications);
        assert_eq!(years.len(), 2);
        assert_eq!(years[0].0, 2026);
        let months: Vec<(String, usize)> = years[0]
            .1
            .iter()
            .map(|m| (m.month.to_string(), m.publications.len()))
            .collect();
        assert_eq!(
            months,
            [("2026-02-01".to_owned(), 1), ("2026-01-01".to_owned(), 2)]
        );
        assert_eq!(years[1].0, 2025);
    }

    #[test]
    fn slugs_are_unique_and_stable() {
        assert_eq!(
            unique_slugs(["White British", "White: British", "Any other", "!!"]),
            ["white-british", "white-british-2", "any-other", "group"]
        );
    }

    #[test]
    fn measures_nest_by_topic_and_subtopic_in_site_order() {
        let a = measure(1, ("Work", 2), ("Pay", 0), 1);
        let b = measure(2, ("Health", 1), ("Care", 0), 1);
        let c = measure(3, ("Work", 2), ("Jobs", 1), 1);
        let topics = group_by_topic([
            (&a, Some("By age")),
            (&c, Some("By sex")),
            (&b, None),
            (&a, Some("By region")),
        ]);
        // (topic slug, [(subtopic slug, [measure id])])
        type Shape = Vec<(String, Vec<(String, Vec<i32>)>)>;
        let shape: Shape = topics
            .iter()
            .map(|t| {
                (
                    t.slug.clone(),
                    t.subtopics
                        .iter()
                        .map(|s| {
                            (
                                s.slug.clone(),
                                s.measures.iter().map(|m| m.measure.measure_id).collect(),
                            )
                        })
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            [
                ("health".to_owned(), vec![("care".to_owned(), vec![2])]),
                (
                    "work".to_owned(),
                    vec![("pay".to_owned(), vec![1]), ("jobs".to_owned(), vec![3])]
                ),
            ]
        );
        assert_eq!(
            topics[1].subtopics[0].measures[0].dimensions,
            ["By age", "By region"]
        );
    }
}
