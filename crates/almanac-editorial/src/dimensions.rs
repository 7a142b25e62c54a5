//! A version's dimensions (its numbered sections of figures), and each dimension's chart and
//! table, as the chart and table builders save them.
//!
//! - A dimension has a title (unique within its version, compared without case or extra
//!   spaces), a time period, a summary (markdown) and a location. Positions are always
//!   `0..n` in display order: every create, delete, move and reorder renumbers them.
//! - A chart or table is saved from its [`FigureSource`] (the editor's settings plus the data
//!   they were built from). The figure is built here from that source, so the stored
//!   `chart_object` / `table_object` always matches the stored `settings_and_source_data`.
//! - Each chart and table may carry a classification ([`ClassificationChoice`]): the one
//!   detected from its ethnicity values, one the editor chose, or none. The dimension's
//!   `dimension_categorisation` (which feeds the dashboards) is derived from them with
//!   [`Classifier::dimension_classification`] after every change, and removed when neither
//!   has one.
//!
//! Everything changes only on editable versions (draft or rejected), by users who may update
//! the measure (departmental users only on measures shared with them). Every change is an
//! audit event about the version.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde_json::json;
use uuid::Uuid;

use almanac_accounts::audit::{self, Actor, AuditAction, Origin, Subject};
use almanac_charts::{Chart, ChartError, ChartSettings, build_chart};
use almanac_content::models::{MeasureVersion, User};
use almanac_content::schema::{
    dimension, dimension_categorisation, dimension_chart, dimension_table,
};
use almanac_figures::{
    ClassificationFlags, ClassificationMatch, ClassificationSource, Classifier, ClassifyError,
    Detection, FigureSource, Table, TableError, TableSettings, build_table,
};

use crate::guard::{Refusal, lock_editable_version};

/// Longest dimension title: it heads a section of the page and names its downloads.
pub const MAX_TITLE_LENGTH: usize = 255;

/// One dimension row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = dimension)]
pub struct Dimension {
    pub guid: Uuid,
    pub measure_version_id: i32,
    pub title: String,
    pub time_period: Option<String>,
    pub summary: Option<String>,
    pub location: Option<String>,
    pub position: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What the editor typed for a dimension. Blank optional fields are stored as none.
#[derive(Debug, Clone, Copy, Default)]
pub struct DimensionInput<'a> {
    pub title: &'a str,
    pub time_period: &'a str,
    /// Markdown.
    pub summary: &'a str,
    pub location: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum DimensionError {
    #[error("there is no such measure version")]
    UnknownVersion,
    #[error("there is no such dimension")]
    UnknownDimension,
    #[error("You do not have permission to change the dimensions of this page")]
    Forbidden,
    #[error(
        "Dimensions, charts and tables can only be changed while the page is a draft or has \
         been rejected. Return it to draft first."
    )]
    NotEditable,
    #[error("Enter a title for the dimension")]
    TitleMissing,
    #[error("The title is {0} characters long; it can be at most {MAX_TITLE_LENGTH}.")]
    TitleTooLong(usize),
    #[error("This page already has a dimension called “{0}”. Choose another title.")]
    TitleTaken(String),
    #[error(
        "The new order must list every dimension of this page exactly once. Someone may have \
         added or removed one: reload the page and try again."
    )]
    OrderMismatch,
    #[error(transparent)]
    Chart(#[from] ChartError),
    #[error(transparent)]
    Table(#[from] TableError),
    #[error(transparent)]
    Classification(#[from] ClassifyError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

fn refused(refusal: Refusal) -> DimensionError {
    match refusal {
        Refusal::UnknownVersion => DimensionError::UnknownVersion,
        Refusal::Forbidden => DimensionError::Forbidden,
        Refusal::NotEditable(_) => DimensionError::NotEditable,
    }
}

/// Locks the version and checks that `actor` may change its dimensions now.
fn editable_version(
    conn: &mut PgConnection,
    actor: &User,
    version_id: i32,
) -> Result<MeasureVersion, DimensionError> {
    lock_editable_version(conn, actor, version_id)?.map_err(refused)
}

/// Checks, without changing anything, that `actor` may change the dimensions of the version:
/// for the publisher to decide whether to offer the forms.
pub fn check_editable(
    conn: &mut PgConnection,
    actor: &User,
    version_id: i32,
) -> Result<(), DimensionError> {
    conn.transaction(|conn| editable_version(conn, actor, version_id).map(drop))
}

/// The dimensions of a version, in display order.
pub fn list_dimensions(conn: &mut PgConnection, version_id: i32) -> QueryResult<Vec<Dimension>> {
    dimension::table
        .filter(dimension::measure_version_id.eq(version_id))
        .order((dimension::position, dimension::created_at, dimension::title))
        .select(Dimension::as_select())
        .load(conn)
}

/// The dimension `guid` of version `version_id` (none if it belongs to another version).
pub fn find_dimension(
    conn: &mut PgConnection,
    version_id: i32,
    guid: Uuid,
) -> QueryResult<Option<Dimension>> {
    dimension::table
        .find(guid)
        .filter(dimension::measure_version_id.eq(version_id))
        .select(Dimension::as_select())
        .first(conn)
        .optional()
}

fn existing_dimension(
    conn: &mut PgConnection,
    version_id: i32,
    guid: Uuid,
) -> Result<Dimension, DimensionError> {
    find_dimension(conn, version_id, guid)?.ok_or(DimensionError::UnknownDimension)
}

/// Titles readers would take for the same: without case, runs of spaces as one.
fn title_key(title: &str) -> String {
    title
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// The trimmed title, if it is present, short enough and unused by the version's other
/// dimensions (`except` is the dimension being changed).
fn checked_title(
    conn: &mut PgConnection,
    version_id: i32,
    title: &str,
    except: Option<Uuid>,
) -> Result<String, DimensionError> {
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.is_empty() {
        return Err(DimensionError::TitleMissing);
    }
    let length = title.chars().count();
    if length > MAX_TITLE_LENGTH {
        return Err(DimensionError::TitleTooLong(length));
    }
    let key = title_key(&title);
    let taken = list_dimensions(conn, version_id)?
        .into_iter()
        .any(|other| Some(other.guid) != except && title_key(&other.title) == key);
    if taken {
        return Err(DimensionError::TitleTaken(title));
    }
    Ok(title)
}

/// A unique violation on (version, title) from a concurrent change is the same refusal.
fn title_race(error: diesel::result::Error, title: &str) -> DimensionError {
    match error {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => DimensionError::TitleTaken(title.to_owned()),
        other => DimensionError::Database(other),
    }
}

/// Writes positions `0..n` in the order given.
fn write_positions(conn: &mut PgConnection, order: &[Dimension]) -> QueryResult<()> {
    for (index, row) in order.iter().enumerate() {
        let position = i32::try_from(index).unwrap_or(i32::MAX);
        if row.position != position {
            diesel::update(dimension::table.find(row.guid))
                .set(dimension::position.eq(position))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Renumbers the version's dimensions `0..n`, keeping their order.
fn renumber(conn: &mut PgConnection, version_id: i32) -> QueryResult<()> {
    let rows = list_dimensions(conn, version_id)?;
    write_positions(conn, &rows)
}

fn version_details(version: &MeasureVersion) -> serde_json::Value {
    json!({
        "measure_id": version.measure_id,
        "version": version.version().to_string(),
    })
}

fn record(
    conn: &mut PgConnection,
    origin: &Origin,
    actor: &User,
    action: AuditAction,
    version: &MeasureVersion,
    extra: serde_json::Value,
) -> QueryResult<()> {
    let mut details = version_details(version);
    if let (Some(details), serde_json::Value::Object(extra)) = (details.as_object_mut(), extra) {
        details.extend(extra);
    }
    audit::record(
        conn,
        origin,
        Actor::User(actor),
        action,
        Some(Subject::measure_version(version.id)),
        details,
    )
}

/// Adds a dimension at the end of the version's dimensions.
pub fn create_dimension(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    version_id: i32,
    input: &DimensionInput,
    now: DateTime<Utc>,
) -> Result<Dimension, DimensionError> {
    conn.transaction(|conn| {
        let version = editable_version(conn, actor, version_id)?;
        let title = checked_title(conn, version_id, input.title, None)?;
        let count = list_dimensions(conn, version_id)?.len();
        let created: Dimension = diesel::insert_into(dimension::table)
            .values((
                dimension::guid.eq(Uuid::new_v4()),
                dimension::measure_version_id.eq(version_id),
                dimension::title.eq(&title),
                dimension::time_period.eq(optional(input.time_period)),
                dimension::summary.eq(optional(input.summary)),
                dimension::location.eq(optional(input.location)),
                dimension::position.eq(i32::try_from(count).unwrap_or(i32::MAX)),
                dimension::created_at.eq(now),
                dimension::updated_at.eq(now),
            ))
            .returning(Dimension::as_returning())
            .get_result(conn)
            .map_err(|error| title_race(error, &title))?;
        renumber(conn, version_id)?;
        record(
            conn,
            origin,
            actor,
            AuditAction::DimensionCreated,
            &version,
            json!({"dimension": created.guid, "title": created.title}),
        )?;
        existing_dimension(conn, version_id, created.guid)
    })
}

/// Changes a dimension's title, time period, summary and location.
pub fn update_dimension(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    version_id: i32,
    guid: Uuid,
    input: &DimensionInput,
    now: DateTime<Utc>,
) -> Result<Dimension, DimensionError> {
    conn.transaction(|conn| {
        let version = editable_version(conn, actor, version_id)?;
        let before = existing_dimension(conn, version_id, guid)?;
        let title = checked_title(conn, version_id, input.title, Some(guid))?;
        let after: Dimension = diesel::update(dimension::table.find(guid))
            .set((
                dimension::title.eq(&title),
                dimension::time_period.eq(optional(input.time_period)),
                dimension::summary.eq(optional(input.summary)),
                dimension::location.eq(optional(input.location)),
                dimension::updated_at.eq(now),
            ))
            .returning(Dimension::as_returning())
            .get_result(conn)
            .map_err(|error| title_race(error, &title))?;
        record(
            conn,
            origin,
            actor,
            AuditAction::DimensionUpdated,
            &version,
            json!({
                "dimension": guid,
                "title": after.title,
                "previous_title": before.title,
            }),
        )?;
        Ok(after)
    })
}

/// Deletes a dimension with its chart, table and classification, and renumbers the rest.
pub fn delete_dimension(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    version_id: i32,
    guid: Uuid,
    _now: DateTime<Utc>,
) -> Result<Dimension, DimensionError> {
    conn.transaction(|conn| {
        let version = editable_version(conn, actor, version_id)?;
        let row = existing_dimension(conn, version_id, guid)?;
        let figures = figures(conn, guid)?;
        // The foreign keys cascade, but saying so here keeps the rule visible.
        diesel::delete(dimension_categorisation::table)
            .filter(dimension_categorisation::dimension_guid.eq(guid))
            .execute(conn)?;
        diesel::delete(dimension_chart::table.find(guid)).execute(conn)?;
        diesel::delete(dimension_table::table.find(guid)).execute(conn)?;
        diesel::delete(dimension::table.find(guid)).execute(conn)?;
        renumber(conn, version_id)?;
        record(
            conn,
            origin,
            actor,
            AuditAction::DimensionDeleted,
            &version,
            json!({
                "dimension": guid,
                "title": row.title,
                "had_chart": figures.chart.is_some(),
                "had_table": figures.table.is_some(),
            }),
        )?;
        Ok(row)
    })
}

/// Moves a dimension one place up (towards the top of the page) or down. Moving the first
/// up or the last down changes nothing.
pub fn move_dimension(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    version_id: i32,
    guid: Uuid,
    up: bool,
    now: DateTime<Utc>,
) -> Result<Vec<Dimension>, DimensionError> {
    conn.transaction(|conn| {
        let version = editable_version(conn, actor, version_id)?;
        let mut rows = list_dimensions(conn, version_id)?;
        let index = rows
            .iter()
            .position(|row| row.guid == guid)
            .ok_or(DimensionError::UnknownDimension)?;
        let other = if up {
            index.checked_sub(1)
        } else {
            Some(index + 1).filter(|&next| next < rows.len())
        };
        if let Some(other) = other {
            rows.swap(index, other);
        }
        write_positions(conn, &rows)?;
        if other.is_some() {
            record_order(conn, origin, actor, &version, &rows, now)?;
        }
        Ok(list_dimensions(conn, version_id)?)
    })
}

/// Puts the version's dimensions in the order given, which must list each of them exactly
/// once (the drag-and-drop list sends the whole order).
pub fn reorder_dimensions(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    version_id: i32,
    order: &[Uuid],
    now: DateTime<Utc>,
) -> Result<Vec<Dimension>, DimensionError> {
    conn.transaction(|conn| {
        let version = editable_version(conn, actor, version_id)?;
        let rows = list_dimensions(conn, version_id)?;
        let distinct: HashSet<Uuid> = order.iter().copied().collect();
        if distinct.len() != order.len()
            || order.len() != rows.len()
            || rows.iter().any(|row| !distinct.contains(&row.guid))
        {
            return Err(DimensionError::OrderMismatch);
        }
        let ordered: Vec<Dimension> = order
            .iter()
            .filter_map(|guid| rows.iter().find(|row| row.guid == *guid).cloned())
            .collect();
        let changed = ordered
            .iter()
            .zip(&rows)
            .any(|(wanted, current)| wanted.guid != current.guid);
        write_positions(conn, &ordered)?;
        if changed {
            record_order(conn, origin, actor, &version, &ordered, now)?;
        }
        Ok(list_dimensions(conn, version_id)?)
    })
}

fn record_order(
    conn: &mut PgConnection,
    origin: &Origin,
    actor: &User,
    version: &MeasureVersion,
    rows: &[Dimension],
    _now: DateTime<Utc>,
) -> QueryResult<()> {
    let titles: Vec<&str> = rows.iter().map(|row| row.title.as_str()).collect();
    record(
        conn,
        origin,
        actor,
        AuditAction::DimensionsReordered,
        version,
        json!({ "order": titles }),
    )
}

// ---------------------------------------------------------------------------------------
// Charts, tables and their classification
// ---------------------------------------------------------------------------------------

/// A stored chart: its source (settings and data) and chart object as stored, and its
/// classification.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredChart {
    pub settings_and_source_data: serde_json::Value,
    pub chart_object: serde_json::Value,
    pub classification: Option<ClassificationMatch>,
}

impl StoredChart {
    /// The settings and data, when they are in the format this release reads.
    pub fn source(&self) -> Option<FigureSource<ChartSettings>> {
        FigureSource::from_value(&self.settings_and_source_data).ok()
    }

    /// The chart, when it is in the format this release reads.
    pub fn chart(&self) -> Option<Chart> {
        Chart::from_json(&self.chart_object.to_string()).ok()
    }
}

/// A stored table, like [`StoredChart`].
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTable {
    pub settings_and_source_data: serde_json::Value,
    pub table_object: serde_json::Value,
    pub classification: Option<ClassificationMatch>,
}

impl StoredTable {
    pub fn source(&self) -> Option<FigureSource<TableSettings>> {
        FigureSource::from_value(&self.settings_and_source_data).ok()
    }

    pub fn table(&self) -> Option<Table> {
        Table::from_json(&self.table_object.to_string()).ok()
    }
}

/// A dimension's chart, table and derived classification.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DimensionFigures {
    pub chart: Option<StoredChart>,
    pub table: Option<StoredTable>,
    /// The `dimension_categorisation`, as stored.
    pub categorisation: Option<ClassificationMatch>,
}

impl DimensionFigures {
    /// The dimension's classification and where it came from ("Table", "Chart" or
    /// "Manually selected"), as the edit-dimension page says.
    pub fn classification(&self) -> Option<(&ClassificationMatch, ClassificationSource)> {
        let categorisation = self.categorisation.as_ref()?;
        let chart = self.chart.as_ref().and_then(|c| c.classification.as_ref());
        let table = self.table.as_ref().and_then(|t| t.classification.as_ref());
        Some((
            categorisation,
            ClassificationSource::of(categorisation, chart, table),
        ))
    }
}

/// A classification as the database stores it (a base code and three flags), with its name
/// from the reference data.
fn stored_match(code: Option<String>, flags: ClassificationFlags) -> Option<ClassificationMatch> {
    let code = code?;
    let name = Classifier::reference()
        .classification(&code)
        .map_or_else(|| code.clone(), |c| c.name.clone());
    Some(ClassificationMatch {
        code,
        name,
        includes_parents: flags.includes_parents,
        includes_all: flags.includes_all,
        includes_unknown: flags.includes_unknown,
    })
}

fn flags(parents: bool, all: bool, unknown: bool) -> ClassificationFlags {
    ClassificationFlags {
        includes_parents: parents,
        includes_all: all,
        includes_unknown: unknown,
    }
}

type StoredRow = (
    Option<String>,
    bool,
    bool,
    bool,
    serde_json::Value,
    serde_json::Value,
);

/// The chart, table and classification of a dimension.
pub fn figures(conn: &mut PgConnection, guid: Uuid) -> QueryResult<DimensionFigures> {
    let chart: Option<StoredRow> = dimension_chart::table
        .find(guid)
        .select((
            dimension_chart::classification_id,
            dimension_chart::includes_parents,
            dimension_chart::includes_all,
            dimension_chart::includes_unknown,
            dimension_chart::settings_and_source_data,
            dimension_chart::chart_object,
        ))
        .first(conn)
        .optional()?;
    let table: Option<StoredRow> = dimension_table::table
        .find(guid)
        .select((
            dimension_table::classification_id,
            dimension_table::includes_parents,
            dimension_table::includes_all,
            dimension_table::includes_unknown,
            dimension_table::settings_and_source_data,
            dimension_table::table_object,
        ))
        .first(conn)
        .optional()?;
    let categorisation: Option<(String, bool, bool, bool)> = dimension_categorisation::table
        .filter(dimension_categorisation::dimension_guid.eq(guid))
        .select((
            dimension_categorisation::classification_id,
            dimension_categorisation::includes_parents,
            dimension_categorisation::includes_all,
            dimension_categorisation::includes_unknown,
        ))
        .first(conn)
        .optional()?;
    Ok(DimensionFigures {
        chart: chart.map(
            |(code, parents, all, unknown, source, object)| StoredChart {
                settings_and_source_data: source,
                chart_object: object,
                classification: stored_match(code, flags(parents, all, unknown)),
            },
        ),
        table: table.map(
            |(code, parents, all, unknown, source, object)| StoredTable {
                settings_and_source_data: source,
                table_object: object,
                classification: stored_match(code, flags(parents, all, unknown)),
            },
        ),
        categorisation: categorisation.and_then(|(code, parents, all, unknown)| {
            stored_match(Some(code), flags(parents, all, unknown))
        }),
    })
}

/// Which classification a chart or table is saved with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClassificationChoice {
    /// The best match for the figure's ethnicity values (none if nothing matches).
    Detected,
    /// The editor's own choice: a known base code and the three facts about the data.
    Custom {
        code: String,
        flags: ClassificationFlags,
    },
    /// No classification.
    None,
}

impl ClassificationChoice {
    fn resolve(&self, detection: &Detection) -> Result<Option<ClassificationMatch>, ClassifyError> {
        match self {
            ClassificationChoice::Detected => Ok(detection.best.clone()),
            ClassificationChoice::Custom { code, flags } => {
                ClassificationMatch::custom(code, *flags).map(Some)
            }
            ClassificationChoice::None => Ok(None),
        }
    }
}

/// What detection found in a figure, and in which of its columns: the model classifies the
/// figure's ethnicity column, which is usually the categories, but may be the series or the
/// panels of a chart, or the groups of a grouped table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FigureDetection {
    /// The heading, in the data, of the column that was classified.
    pub column: String,
    pub detection: Detection,
}

/// Detects over each candidate column in turn: the first whose values match a
/// classification; else the one with the fewest values the lookup does not know (the
/// first, when they tie).
fn detect_columns(columns: Vec<(String, Vec<String>)>) -> FigureDetection {
    let classifier = Classifier::reference();
    let detections: Vec<FigureDetection> = columns
        .into_iter()
        .map(|(column, values)| FigureDetection {
            column,
            detection: classifier.detect(values),
        })
        .collect();
    if let Some(found) = detections.iter().find(|d| d.detection.best.is_some()) {
        return found.clone();
    }
    detections
        .into_iter()
        .min_by_key(|d| d.detection.unrecognised.len())
        .unwrap_or_else(|| FigureDetection {
            column: String::new(),
            detection: classifier.detect(Vec::<String>::new()),
        })
}

/// Classification detection over a chart's categories, then its series, then its panels.
pub fn detect_chart_classification(chart: &Chart) -> FigureDetection {
    let mut columns = vec![(chart.category_heading.clone(), chart.categories.clone())];
    if let Some(heading) = &chart.series_heading {
        columns.push((heading.clone(), chart.series.clone()));
    }
    if let Some(heading) = &chart.panel_heading {
        let names = chart
            .panels
            .iter()
            .map(|panel| panel.name.clone())
            .collect();
        columns.push((heading.clone(), names));
    }
    detect_columns(columns)
}

/// Classification detection over a table's categories, then (grouped tables) its groups.
pub fn detect_table_classification(table: &Table) -> FigureDetection {
    let categories = table.categories().into_iter().map(str::to_owned).collect();
    let columns = match table {
        Table::Simple(simple) => vec![(simple.category.clone(), categories)],
        Table::Grouped(grouped) => vec![
            (grouped.category.clone(), categories),
            (grouped.group.clone(), grouped.group_columns.clone()),
        ],
    };
    detect_columns(columns)
}

/// Sets the dimension's `dimension_categorisation` from its chart's and table's
/// classifications, or removes it when neither has one. Returns what it is now.
fn refresh_categorisation(
    conn: &mut PgConnection,
    guid: Uuid,
) -> QueryResult<Option<ClassificationMatch>> {
    let stored = figures(conn, guid)?;
    let derived = Classifier::reference().dimension_classification(
        stored
            .chart
            .as_ref()
            .and_then(|c| c.classification.as_ref()),
        stored
            .table
            .as_ref()
            .and_then(|t| t.classification.as_ref()),
    );
    diesel::delete(dimension_categorisation::table)
        .filter(dimension_categorisation::dimension_guid.eq(guid))
        .execute(conn)?;
    if let Some(found) = &derived {
        diesel::insert_into(dimension_categorisation::table)
            .values((
                dimension_categorisation::dimension_guid.eq(guid),
                dimension_categorisation::classification_id.eq(&found.code),
                dimension_categorisation::includes_parents.eq(found.includes_parents),
                dimension_categorisation::includes_all.eq(found.includes_all),
                dimension_categorisation::includes_unknown.eq(found.includes_unknown),
            ))
            .execute(conn)?;
    }
    Ok(derived)
}

fn touch(conn: &mut PgConnection, guid: Uuid, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(dimension::table.find(guid))
        .set(dimension::updated_at.eq(now))
        .execute(conn)
        .map(drop)
}

/// A saved figure: what was stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Saved<F> {
    pub figure: F,
    pub classification: Option<ClassificationMatch>,
    /// The dimension's classification after the save.
    pub categorisation: Option<ClassificationMatch>,
}

/// Which of a dimension's two figures.
#[derive(Debug, Clone, Copy)]
enum Figure {
    Chart,
    Table,
}

impl Figure {
    /// Static names only: they go into SQL text.
    fn table_and_object_column(self) -> (&'static str, &'static str) {
        match self {
            Figure::Chart => ("dimension_chart", "chart_object"),
            Figure::Table => ("dimension_table", "table_object"),
        }
    }
}

/// What saving a chart and saving a table share: in one transaction, check the version and
/// dimension, store the figure with its source and classification (replacing any), derive
/// the dimension's classification again, and record the audit event with `details`.
#[allow(clippy::too_many_arguments)] // conn, actor, origin, the ids, the figure, now.
fn store_figure<F: Clone>(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    (version_id, guid): (i32, Uuid),
    kind: Figure,
    (figure, figure_json, source): (&F, String, serde_json::Value),
    chosen: Option<ClassificationMatch>,
    audit: (AuditAction, serde_json::Value),
    now: DateTime<Utc>,
) -> Result<Saved<F>, DimensionError> {
    conn.transaction(|conn| {
        let version = editable_version(conn, actor, version_id)?;
        let row = existing_dimension(conn, version_id, guid)?;
        let object: serde_json::Value = serde_json::from_str(&figure_json)
            .map_err(|error| diesel::result::Error::SerializationError(Box::new(error)))?;
        let code = chosen.as_ref().map(|c| c.code.clone());
        let flags = chosen
            .as_ref()
            .map(ClassificationMatch::flags)
            .unwrap_or_default();
        let (table, object_column) = kind.table_and_object_column();
        diesel::sql_query(format!(
            "INSERT INTO {table} (dimension_guid, classification_id, includes_parents,
                 includes_all, includes_unknown, settings_and_source_data, {object_column})
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (dimension_guid) DO UPDATE SET
                 classification_id = EXCLUDED.classification_id,
                 includes_parents = EXCLUDED.includes_parents,
                 includes_all = EXCLUDED.includes_all,
                 includes_unknown = EXCLUDED.includes_unknown,
                 settings_and_source_data = EXCLUDED.settings_and_source_data,
                 {object_column} = EXCLUDED.{object_column}"
        ))
        .bind::<diesel::sql_types::Uuid, _>(guid)
        .bind::<diesel::sql_types::Nullable<diesel::sql_types::Text>, _>(&code)
        .bind::<diesel::sql_types::Bool, _>(flags.includes_parents)
        .bind::<diesel::sql_types::Bool, _>(flags.includes_all)
        .bind::<diesel::sql_types::Bool, _>(flags.includes_unknown)
        .bind::<diesel::sql_types::Jsonb, _>(&source)
        .bind::<diesel::sql_types::Jsonb, _>(&object)
        .execute(conn)?;
        let categorisation = refresh_categorisation(conn, guid)?;
        touch(conn, guid, now)?;
        let (action, mut details) = audit.clone();
        details["dimension"] = json!(guid);
        details["title"] = json!(row.title);
        details["classification"] = json!(code);
        record(conn, origin, actor, action, &version, details)?;
        Ok(Saved {
            figure: figure.clone(),
            classification: chosen.clone(),
            categorisation,
        })
    })
}

/// Builds the chart from `source` and stores it with its source on the dimension, replacing
/// any chart it had, with the classification chosen; then derives the dimension's
/// classification again.
#[allow(clippy::too_many_arguments)] // conn, actor, origin, the ids, the input, now.
pub fn save_chart(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    version_id: i32,
    guid: Uuid,
    source: &FigureSource<ChartSettings>,
    classification: &ClassificationChoice,
    now: DateTime<Utc>,
) -> Result<Saved<Chart>, DimensionError> {
    let chart = build_chart(&source.data, &source.settings)?;
    let chosen = classification.resolve(&detect_chart_classification(&chart).detection)?;
    let audit = json!({ "chart_type": chart.chart_type.code() });
    store_figure(
        conn,
        actor,
        origin,
        (version_id, guid),
        Figure::Chart,
        (&chart, chart.to_json(), source.to_value()),
        chosen,
        (AuditAction::ChartSaved, audit),
        now,
    )
}

/// Builds the table from `source` and stores it, like [`save_chart`].
#[allow(clippy::too_many_arguments)] // conn, actor, origin, the ids, the input, now.
pub fn save_table(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    version_id: i32,
    guid: Uuid,
    source: &FigureSource<TableSettings>,
    classification: &ClassificationChoice,
    now: DateTime<Utc>,
) -> Result<Saved<Table>, DimensionError> {
    let table = build_table(&source.data, &source.settings)?;
    let chosen = classification.resolve(&detect_table_classification(&table).detection)?;
    let table_type = match table.table_type() {
        almanac_figures::TableType::Simple => "simple",
        almanac_figures::TableType::Grouped => "grouped",
    };
    store_figure(
        conn,
        actor,
        origin,
        (version_id, guid),
        Figure::Table,
        (&table, table.to_json(), source.to_value()),
        chosen,
        (AuditAction::TableSaved, json!({ "table_type": table_type })),
        now,
    )
}

/// Removes the dimension's chart (if it has one) and derives its classification again.
/// Returns whether there was a chart.
pub fn remove_chart(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    version_id: i32,
    guid: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DimensionError> {
    remove_figure(conn, actor, origin, version_id, guid, Figure::Chart, now)
}

/// Removes the dimension's table, like [`remove_chart`].
pub fn remove_table(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    version_id: i32,
    guid: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DimensionError> {
    remove_figure(conn, actor, origin, version_id, guid, Figure::Table, now)
}

fn remove_figure(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    version_id: i32,
    guid: Uuid,
    figure: Figure,
    now: DateTime<Utc>,
) -> Result<bool, DimensionError> {
    conn.transaction(|conn| {
        let version = editable_version(conn, actor, version_id)?;
        let row = existing_dimension(conn, version_id, guid)?;
        let (removed, action) = match figure {
            Figure::Chart => (
                diesel::delete(dimension_chart::table.find(guid)).execute(conn)?,
                AuditAction::ChartRemoved,
            ),
            Figure::Table => (
                diesel::delete(dimension_table::table.find(guid)).execute(conn)?,
                AuditAction::TableRemoved,
            ),
        };
        if removed == 0 {
            return Ok(false);
        }
        refresh_categorisation(conn, guid)?;
        touch(conn, guid, now)?;
        record(
            conn,
            origin,
            actor,
            action,
            &version,
            json!({"dimension": guid, "title": row.title}),
        )?;
        Ok(true)
    })
}

#[cfg(test)]
mod tests {
    use almanac_accounts::users::set_shared;
    use almanac_content::UserType;
    use almanac_content::schema::audit_event;
    use almanac_figures::{DataOrigin, Grid};
    use almanac_test_support::TestDatabase;
    use almanac_test_support::fixtures::{account, page};

    use super::*;

    fn input(title: &str) -> DimensionInput<'_> {
        DimensionInput {
            title,
            time_period: " 2019 ",
            summary: "",
            location: "England",
        }
    }

    fn create(
        conn: &mut PgConnection,
        actor: &User,
        version_id: i32,
        title: &str,
    ) -> Result<Dimension, DimensionError> {
        create_dimension(
            conn,
            actor,
            &Origin::default(),
            version_id,
            &input(title),
            Utc::now(),
        )
    }

    fn titles(conn: &mut PgConnection, version_id: i32) -> Vec<(String, i32)> {
        list_dimensions(conn, version_id)
            .unwrap()
            .into_iter()
            .map(|row| (row.title, row.position))
            .collect()
    }

    fn actions(conn: &mut PgConnection) -> Vec<String> {
        audit_event::table
            .order(audit_event::id)
            .select(audit_event::action)
            .load::<String>(conn)
            .unwrap()
            .into_iter()
            .filter(|action| {
                action.starts_with("dimension")
                    || action.starts_with("chart")
                    || action.starts_with("table")
            })
            .collect()
    }

    #[test]
    fn titles_are_unique_and_positions_stay_0_to_n() {
        let database = TestDatabase::new();
        let conn = &mut database.conn();
        let editor = account(conn, "editor@x.gov.uk", UserType::CentralEditor);
        // The fixture's version has one dimension already, "By region".
        let draft = page(conn, "health", "DRAFT", false);
        let id = draft.version_id;

        let first = create(conn, &editor, id, "  By   sex ").unwrap();
        assert_eq!(first.title, "By sex", "spaces are tidied");
        assert_eq!(first.time_period.as_deref(), Some("2019"));
        assert_eq!(first.summary, None, "a blank summary is none");
        assert_eq!(first.location.as_deref(), Some("England"));
        let second = create(conn, &editor, id, "By age").unwrap();
        assert_eq!(
            titles(conn, id),
            [
                ("By region".into(), 0),
                ("By sex".into(), 1),
                ("By age".into(), 2)
            ]
        );

        let taken = create(conn, &editor, id, "by SEX");
        assert!(
            matches!(&taken, Err(DimensionError::TitleTaken(title)) if title == "by SEX"),
            "{taken:?}"
        );
        assert_eq!(
            taken.unwrap_err().to_string(),
            "This page already has a dimension called “by SEX”. Choose another title."
        );
        assert!(matches!(
            create(conn, &editor, id, "   "),
            Err(DimensionError::TitleMissing)
        ));
        assert!(matches!(
            create(conn, &editor, id, &"x".repeat(256)),
            Err(DimensionError::TitleTooLong(256))
        ));

        let renamed = update_dimension(
            conn,
            &editor,
            &Origin::default(),
            id,
            second.guid,
            &input("By sex"),
            Utc::now(),
        );
        assert!(matches!(renamed, Err(DimensionError::TitleTaken(_))));
        // Keeping its own title (in another case) is fine.
        let renamed = update_dimension(
            conn,
            &editor,
            &Origin::default(),
            id,
            second.guid,
            &DimensionInput {
                title: "By AGE",
                summary: "Older people *more*",
                ..DimensionInput::default()
            },
            Utc::now(),
        )
        .unwrap();
        assert_eq!(renamed.title, "By AGE");
        assert_eq!(renamed.summary.as_deref(), Some("Older people *more*"));
        assert_eq!(renamed.time_period, None);

        // Moves: the first cannot go up; moving changes neighbours only.
        move_dimension(
            conn,
            &editor,
            &Origin::default(),
            id,
            second.guid,
            true,
            Utc::now(),
        )
        .unwrap();
        assert_eq!(
            titles(conn, id),
            [
                ("By region".into(), 0),
                ("By AGE".into(), 1),
                ("By sex".into(), 2)
            ]
        );
        let rows = list_dimensions(conn, id).unwrap();
        move_dimension(
            conn,
            &editor,
            &Origin::default(),
            id,
            rows[0].guid,
            true,
            Utc::now(),
        )
        .unwrap();
        move_dimension(
            conn,
            &editor,
            &Origin::default(),
            id,
            rows[2].guid,
            false,
            Utc::now(),
        )
        .unwrap();
        assert_eq!(list_dimensions(conn, id).unwrap(), rows, "nothing moved");

        // A whole new order, as drag and drop sends it.
        let order = [rows[2].guid, rows[0].guid, rows[1].guid];
        reorder_dimensions(conn, &editor, &Origin::default(), id, &order, Utc::now()).unwrap();
        assert_eq!(
            titles(conn, id),
            [
                ("By sex".into(), 0),
                ("By region".into(), 1),
                ("By AGE".into(), 2)
            ]
        );
        for bad in [
            vec![rows[0].guid, rows[1].guid],
            vec![rows[0].guid, rows[0].guid, rows[1].guid],
            vec![rows[0].guid, rows[1].guid, Uuid::new_v4()],
        ] {
            let refused =
                reorder_dimensions(conn, &editor, &Origin::default(), id, &bad, Utc::now());
            assert!(matches!(refused, Err(DimensionError::OrderMismatch)));
        }

        // Deleting renumbers the rest.
        let deleted = delete_dimension(
            conn,
            &editor,
            &Origin::default(),
            id,
            rows[0].guid,
            Utc::now(),
        )
        .unwrap();
        assert_eq!(deleted.title, "By region");
        assert_eq!(
            titles(conn, id),
            [("By sex".into(), 0), ("By AGE".into(), 1)]
        );
        let again = delete_dimension(
            conn,
            &editor,
            &Origin::default(),
            id,
            rows[0].guid,
            Utc::now(),
        );
        assert!(matches!(again, Err(DimensionError::UnknownDimension)));

        // A dimension of another version is not found through this one.
        let other = page(conn, "crime", "DRAFT", false);
        let foreign = list_dimensions(conn, other.version_id).unwrap()[0].guid;
        assert!(find_dimension(conn, id, foreign).unwrap().is_none());
        let refused = update_dimension(
            conn,
            &editor,
            &Origin::default(),
            id,
            foreign,
            &input("Stolen"),
            Utc::now(),
        );
        assert!(matches!(refused, Err(DimensionError::UnknownDimension)));

        assert_eq!(
            actions(conn),
            [
                "dimension_created",
                "dimension_created",
                "dimension_updated",
                "dimensions_reordered",
                "dimensions_reordered",
                "dimension_deleted",
            ]
        );
    }

    #[test]
    fn only_editable_versions_and_editors_with_access_change_dimensions() {
        let database = TestDatabase::new();
        let conn = &mut database.conn();
        let admin = account(conn, "admin@x.gov.uk", UserType::Admin);
        let departmental = account(conn, "someone@dept.gov.uk", UserType::Departmental);
        let review = page(conn, "health", "DEPARTMENT_REVIEW", true);
        let existing = list_dimensions(conn, review.version_id).unwrap()[0].guid;

        let refused = create(conn, &admin, review.version_id, "Late");
        assert!(
            matches!(refused, Err(DimensionError::NotEditable)),
            "{refused:?}"
        );
        let refused = delete_dimension(
            conn,
            &admin,
            &Origin::default(),
            review.version_id,
            existing,
            Utc::now(),
        );
        assert!(matches!(refused, Err(DimensionError::NotEditable)));
        let refused = remove_chart(
            conn,
            &admin,
            &Origin::default(),
            review.version_id,
            existing,
            Utc::now(),
        );
        assert!(matches!(refused, Err(DimensionError::NotEditable)));
        assert!(matches!(
            check_editable(conn, &admin, review.version_id),
            Err(DimensionError::NotEditable)
        ));
        assert_eq!(list_dimensions(conn, review.version_id).unwrap().len(), 1);

        let draft = page(conn, "crime", "DRAFT", false);
        let refused = create(conn, &departmental, draft.version_id, "By sex");
        assert!(
            matches!(refused, Err(DimensionError::Forbidden)),
            "{refused:?}"
        );
        assert!(matches!(
            check_editable(conn, &departmental, draft.version_id),
            Err(DimensionError::Forbidden)
        ));
        set_shared(
            conn,
            &Origin::default(),
            &admin,
            departmental.id,
            draft.measure_id,
            true,
        )
        .unwrap();
        create(conn, &departmental, draft.version_id, "By sex").unwrap();
        assert!(matches!(
            create(conn, &departmental, -1, "By sex"),
            Err(DimensionError::UnknownVersion)
        ));
    }

    fn table_source(text: &str) -> FigureSource<TableSettings> {
        let settings = TableSettings::from_json(
            r#"{"version":1,"type":"simple","caption":"Rates","category_column":"Ethnicity","value_columns":["Value"]}"#,
        )
        .unwrap();
        FigureSource::new(
            settings,
            Grid::from_pasted(text).unwrap(),
            DataOrigin::Pasted,
        )
    }

    fn chart_source(text: &str) -> FigureSource<ChartSettings> {
        let settings = ChartSettings::from_json(
            r#"{"version":1,"type":"bar","title":"Rates","description":"Rates by ethnicity.","category_column":"Ethnicity","value_column":"Value"}"#,
        )
        .unwrap();
        FigureSource::new(
            settings,
            Grid::from_pasted(text).unwrap(),
            DataOrigin::Upload {
                file_name: "rates.csv".into(),
            },
        )
    }

    const FIVE: &str = "Ethnicity\tValue\nAsian\t1\nBlack\t2\nMixed\t3\nWhite\t4\nOther\t5\n";

    #[test]
    fn the_dimension_takes_its_classification_from_its_chart_or_table() {
        let database = TestDatabase::new();
        let conn = &mut database.conn();
        let editor = account(conn, "editor@x.gov.uk", UserType::CentralEditor);
        let draft = page(conn, "health", "DRAFT", false);
        let id = draft.version_id;
        let guid = create(conn, &editor, id, "By ethnicity").unwrap().guid;
        let origin = Origin::default();

        let saved = save_table(
            conn,
            &editor,
            &origin,
            id,
            guid,
            &table_source(FIVE),
            &ClassificationChoice::Detected,
            Utc::now(),
        )
        .unwrap();
        let detected = saved
            .classification
            .clone()
            .expect("five groups are detected");
        assert_eq!(detected.code, "5B");
        assert_eq!(saved.categorisation, Some(detected.clone()));
        let stored = figures(conn, guid).unwrap();
        let table = stored.table.as_ref().unwrap();
        assert_eq!(table.table(), Some(saved.figure.clone()));
        assert_eq!(table.source(), Some(table_source(FIVE)));
        assert_eq!(
            stored
                .classification()
                .map(|(c, source)| (c.code.clone(), source.label())),
            Some(("5B".to_owned(), "Table"))
        );

        // A chart with the editor's own, more detailed, classification wins.
        let custom = ClassificationChoice::Custom {
            code: "18b".into(),
            flags: ClassificationFlags {
                includes_all: true,
                ..ClassificationFlags::default()
            },
        };
        let saved = save_chart(
            conn,
            &editor,
            &origin,
            id,
            guid,
            &chart_source(FIVE),
            &custom,
            Utc::now(),
        )
        .unwrap();
        assert_eq!(saved.classification.as_ref().unwrap().code, "18B");
        assert!(saved.classification.as_ref().unwrap().includes_all);
        let stored = figures(conn, guid).unwrap();
        assert_eq!(stored.chart.as_ref().unwrap().chart(), Some(saved.figure));
        assert_eq!(
            stored
                .classification()
                .map(|(c, source)| (c.code.clone(), source.label())),
            Some(("18B".to_owned(), "Chart"))
        );

        // An unknown code is refused, and nothing changes.
        let refused = save_chart(
            conn,
            &editor,
            &origin,
            id,
            guid,
            &chart_source(FIVE),
            &ClassificationChoice::Custom {
                code: "6B+".into(),
                flags: ClassificationFlags::default(),
            },
            Utc::now(),
        );
        assert!(
            matches!(refused, Err(DimensionError::Classification(_))),
            "{refused:?}"
        );
        assert_eq!(figures(conn, guid).unwrap(), stored);

        // Without the chart the table's classification is the dimension's again; without
        // either the dimension has none.
        assert!(remove_chart(conn, &editor, &origin, id, guid, Utc::now()).unwrap());
        assert!(!remove_chart(conn, &editor, &origin, id, guid, Utc::now()).unwrap());
        assert_eq!(figures(conn, guid).unwrap().categorisation, Some(detected));
        let saved = save_table(
            conn,
            &editor,
            &origin,
            id,
            guid,
            &table_source(FIVE),
            &ClassificationChoice::None,
            Utc::now(),
        )
        .unwrap();
        assert_eq!(saved.categorisation, None);
        assert!(remove_table(conn, &editor, &origin, id, guid, Utc::now()).unwrap());
        let stored = figures(conn, guid).unwrap();
        assert_eq!(stored, DimensionFigures::default());

        // Data that cannot be built is refused with the row and column.
        let refused = save_table(
            conn,
            &editor,
            &origin,
            id,
            guid,
            &table_source("Ethnicity\tValue\nAsian\tlots\n"),
            &ClassificationChoice::Detected,
            Utc::now(),
        )
        .unwrap_err();
        assert!(
            refused.to_string().starts_with("Row 2, column 2 (“Value”)"),
            "{refused}"
        );

        // Deleting the dimension takes its figures and classification along.
        save_table(
            conn,
            &editor,
            &origin,
            id,
            guid,
            &table_source(FIVE),
            &ClassificationChoice::Detected,
            Utc::now(),
        )
        .unwrap();
        delete_dimension(conn, &editor, &origin, id, guid, Utc::now()).unwrap();
        assert_eq!(figures(conn, guid).unwrap(), DimensionFigures::default());
        assert_eq!(
            actions(conn),
            [
                "dimension_created",
                "table_saved",
                "chart_saved",
                "chart_removed",
                "table_saved",
                "table_removed",
                "table_saved",
                "dimension_deleted",
            ]
        );
    }

    #[test]
    fn detection_looks_for_the_ethnicity_column() {
        let grid = Grid::from_pasted(
            "Sex\tEthnicity\tValue\nMen\tAsian\t1\nMen\tBlack\t2\nMen\tMixed\t3\n\
             Men\tWhite\t4\nMen\tOther\t5\nWomen\tAsian\t1\nWomen\tBlack\t2\n\
             Women\tMixed\t3\nWomen\tWhite\t4\nWomen\tOther\t5\n",
        )
        .unwrap();
        let settings = ChartSettings::from_json(
            r#"{"version":1,"type":"bar","title":"T","description":"D","category_column":"Sex","series_column":"Ethnicity","value_column":"Value"}"#,
        )
        .unwrap();
        let chart = build_chart(&grid, &settings).unwrap();
        let found = detect_chart_classification(&chart);
        assert_eq!(found.column, "Ethnicity");
        assert_eq!(found.detection.best.unwrap().code, "5B");

        let settings = TableSettings::from_json(
            r#"{"version":1,"type":"grouped","caption":"T","category_column":"Sex","group_column":"Ethnicity","value_columns":["Value"]}"#,
        )
        .unwrap();
        let table = build_table(&grid, &settings).unwrap();
        let found = detect_table_classification(&table);
        assert_eq!(found.column, "Ethnicity");
        assert_eq!(found.detection.best.unwrap().code, "5B");

        // Nothing recognised: the category column, with its unknown values.
        let grid = Grid::from_pasted("Region\tValue\nNorth\t1\nSouth\t2\n").unwrap();
        let settings = ChartSettings::from_json(
            r#"{"version":1,"type":"bar","title":"T","description":"D","category_column":"Region","value_column":"Value"}"#,
        )
        .unwrap();
        let found = detect_chart_classification(&build_chart(&grid, &settings).unwrap());
        assert_eq!(found.column, "Region");
        assert_eq!(found.detection.best, None);
        assert_eq!(found.detection.unrecognised, ["North", "South"]);
    }
}
