//! Data sources: the references listed under each statistics page (at most two per version,
//! position 0 the primary source, 1 the secondary).
//!
//! - `search` finds sources by every keyword of a query (title, publisher name, other names
//!   and abbreviations, purpose) or by their exact URL, most used first;
//! - `create` and `update` validate an editor's form; editing a source that a published
//!   version shows requests a site build in the same transaction;
//! - `link` and `unlink` attach sources to an editable version;
//! - `merge` folds duplicates into one source (MANAGE_DATA_SOURCES), irreversibly.
//!
//! Every change is an audit event.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Float4, Int4, Nullable, Text};
use serde_json::json;

use almanac_accounts::audit::{self, Actor, AuditAction, Origin, Subject};
use almanac_content::models::{MeasureVersion, User};
use almanac_content::schema::{
    data_source, data_source_in_measure_version, frequency_of_release, measure_version,
    organisation, type_of_statistic,
};
use almanac_content::{Capability, PublishStatus};

use crate::builds;
use crate::guard::{Refusal, lock_editable_version};
pub use crate::workflow::Problem;

/// The most sources a version can have: a primary and a secondary.
pub const MAX_PER_VERSION: i64 = 2;

/// The kinds of data a source can hold.
pub const TYPES_OF_DATA: [(&str, &str); 2] = [
    ("ADMINISTRATIVE", "Administrative data"),
    ("SURVEY", "Survey data"),
];

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = data_source)]
pub struct DataSource {
    pub id: i32,
    pub title: String,
    pub type_of_data: Vec<Option<String>>,
    pub type_of_statistic_id: Option<i32>,
    pub publisher_id: Option<String>,
    pub source_url: Option<String>,
    pub publication_date: Option<String>,
    pub note_on_corrections_or_updates: Option<String>,
    pub frequency_of_release_id: Option<i32>,
    pub frequency_of_release_other: Option<String>,
    pub purpose: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl DataSource {
    /// The source as its form shows it, for editing.
    pub fn input(&self) -> DataSourceInput {
        DataSourceInput {
            title: self.title.clone(),
            type_of_data: self.type_of_data.iter().flatten().cloned().collect(),
            type_of_statistic_id: self
                .type_of_statistic_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            publisher_id: self.publisher_id.clone().unwrap_or_default(),
            source_url: self.source_url.clone().unwrap_or_default(),
            publication_date: self.publication_date.clone().unwrap_or_default(),
            note_on_corrections_or_updates: self
                .note_on_corrections_or_updates
                .clone()
                .unwrap_or_default(),
            frequency_of_release_id: self
                .frequency_of_release_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            frequency_of_release_other: self.frequency_of_release_other.clone().unwrap_or_default(),
            purpose: self.purpose.clone().unwrap_or_default(),
        }
    }
}

/// A data source form as typed: every value is kept as text so a refused form can be shown
/// again exactly as it was.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataSourceInput {
    pub title: String,
    pub type_of_data: Vec<String>,
    /// The id of a `type_of_statistic` row, or "".
    pub type_of_statistic_id: String,
    /// The id of an `organisation`, or "".
    pub publisher_id: String,
    pub source_url: String,
    pub publication_date: String,
    pub note_on_corrections_or_updates: String,
    /// The id of a `frequency_of_release` row, or "".
    pub frequency_of_release_id: String,
    /// Required when the frequency chosen is "Other".
    pub frequency_of_release_other: String,
    pub purpose: String,
}

/// A source found by `search` or linked to a version.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct DataSourceHit {
    #[diesel(sql_type = Int4)]
    pub id: i32,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub publisher_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub source_url: Option<String>,
    /// How many measure versions link it.
    #[diesel(sql_type = BigInt)]
    pub usage: i64,
    #[diesel(sql_type = Float4)]
    pub rank: f32,
}

/// The choices the data source form offers.
#[derive(Debug, Clone, Default)]
pub struct FormOptions {
    /// (id, name), by name.
    pub organisations: Vec<(String, String)>,
    /// (id, label for editors), in order.
    pub types_of_statistic: Vec<(i32, String)>,
    /// (id, description), in order; one of them is "Other".
    pub frequencies: Vec<(i32, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum DataSourceError {
    #[error("there is no such data source")]
    UnknownDataSource,
    #[error("there is no such measure version")]
    UnknownVersion,
    #[error("You do not have permission to {0}")]
    Forbidden(&'static str),
    #[error("The data source is not valid: {}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Problem>),
    #[error("Data sources cannot be changed while the page is {0}")]
    NotEditable(&'static str),
    #[error("A page can have at most two data sources. Remove one before adding another")]
    TooMany,
    #[error("This data source is already linked to the page")]
    AlreadyLinked,
    #[error("This data source is not linked to the page")]
    NotLinked,
    #[error("Choose at least one other data source to merge")]
    NothingToMerge,
    #[error("A data source cannot be merged with itself")]
    MergeWithItself,
    #[error("There is no data source with id {0}")]
    UnknownInMerge(i32),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

fn subject(id: i32) -> Subject {
    Subject {
        kind: "data_source",
        id: id.to_string(),
    }
}

const SEARCH_SQL: &str = "
WITH q AS (SELECT plainto_tsquery('english', $1) AS query),
found AS (
    SELECT ds.id, ds.title::text AS title, o.name AS publisher_name, ds.source_url,
        to_tsvector('english',
            ds.title || ' ' || coalesce(o.name, '') || ' '
            || coalesce(array_to_string(o.other_names, ' '), '') || ' '
            || coalesce(array_to_string(o.abbreviations, ' '), '') || ' '
            || coalesce(ds.purpose, '')) AS document
    FROM data_source ds LEFT JOIN organisation o ON o.id = ds.publisher_id
)
SELECT found.id, found.title, found.publisher_name, found.source_url,
    (SELECT count(*) FROM data_source_in_measure_version l WHERE l.data_source_id = found.id) AS usage,
    ts_rank(found.document, q.query) AS rank
FROM found, q
WHERE $1 = '' OR found.document @@ q.query OR found.source_url = $1
ORDER BY usage DESC, rank DESC, found.title, found.id
LIMIT $2";

/// Sources matching every keyword of `query` (over the title, the publisher's name, other
/// names and abbreviations, and the purpose) or whose URL is exactly `query`; the most used
/// first. An empty query lists every source.
pub fn search(conn: &mut PgConnection, query: &str, limit: i64) -> QueryResult<Vec<DataSourceHit>> {
    diesel::sql_query(SEARCH_SQL)
        .bind::<Text, _>(query.trim())
        .bind::<BigInt, _>(limit)
        .load(conn)
}

/// The sources linked to a version, primary first.
pub fn linked(conn: &mut PgConnection, version_id: i32) -> QueryResult<Vec<DataSourceHit>> {
    diesel::sql_query(
        "SELECT ds.id, ds.title::text AS title, o.name AS publisher_name, ds.source_url,
             (SELECT count(*) FROM data_source_in_measure_version u WHERE u.data_source_id = ds.id) AS usage,
             0::real AS rank
         FROM data_source_in_measure_version l
         JOIN data_source ds ON ds.id = l.data_source_id
         LEFT JOIN organisation o ON o.id = ds.publisher_id
         WHERE l.measure_version_id = $1
         ORDER BY l.position",
    )
    .bind::<Int4, _>(version_id)
    .load(conn)
}

pub fn find(conn: &mut PgConnection, id: i32) -> QueryResult<Option<DataSource>> {
    data_source::table
        .find(id)
        .select(DataSource::as_select())
        .first(conn)
        .optional()
}

pub fn form_options(conn: &mut PgConnection) -> QueryResult<FormOptions> {
    Ok(FormOptions {
        organisations: organisation::table
            .order((organisation::name, organisation::id))
            .select((organisation::id, organisation::name))
            .load(conn)?,
        types_of_statistic: type_of_statistic::table
            .order(type_of_statistic::position)
            .select((type_of_statistic::id, type_of_statistic::internal))
            .load(conn)?,
        frequencies: frequency_of_release::table
            .order(frequency_of_release::position)
            .select((frequency_of_release::id, frequency_of_release::description))
            .load(conn)?,
    })
}

/// The values to store, once a form has passed validation.
struct Valid {
    title: String,
    type_of_data: Vec<Option<String>>,
    type_of_statistic_id: Option<i32>,
    publisher_id: Option<String>,
    source_url: Option<String>,
    publication_date: Option<String>,
    note_on_corrections_or_updates: Option<String>,
    frequency_of_release_id: Option<i32>,
    frequency_of_release_other: Option<String>,
    purpose: Option<String>,
}

fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Whether `url` is an absolute http or https URL with a host (never `javascript:` or any
/// other scheme).
pub fn is_web_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let rest = if let Some(rest) = lower.strip_prefix("https://") {
        rest
    } else if let Some(rest) = lower.strip_prefix("http://") {
        rest
    } else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    !host.is_empty()
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == '"')
}

fn validate(conn: &mut PgConnection, form: &DataSourceInput) -> Result<Valid, DataSourceError> {
    let mut problems = Vec::new();
    let mut problem = |field: &'static str, message: &str| {
        problems.push(Problem {
            field,
            message: message.to_owned(),
        })
    };
    let title = form.title.trim().to_owned();
    if title.is_empty() {
        problem("title", "Enter the title of the data source");
    } else if title.chars().count() > 255 {
        problem("title", "The title must be 255 characters or fewer");
    }
    let mut type_of_data = Vec::new();
    for kind in &form.type_of_data {
        if !TYPES_OF_DATA.iter().any(|(value, _)| value == kind) {
            problem(
                "type_of_data",
                "Choose administrative data, survey data or both",
            );
        } else if !type_of_data.contains(&Some(kind.clone())) {
            type_of_data.push(Some(kind.clone()));
        }
    }
    let type_of_statistic_id = match form.type_of_statistic_id.trim() {
        "" => None,
        text => {
            let known = match text.parse::<i32>() {
                Ok(id) => {
                    type_of_statistic::table
                        .find(id)
                        .count()
                        .get_result::<i64>(conn)?
                        > 0
                }
                Err(_) => false,
            };
            if !known {
                problem(
                    "type_of_statistic_id",
                    "Choose a type of statistic from the list",
                );
            }
            text.parse().ok()
        }
    };
    let publisher_id = optional(&form.publisher_id);
    if let Some(id) = &publisher_id {
        let known: i64 = organisation::table.find(id).count().get_result(conn)?;
        if known == 0 {
            problem("publisher_id", "Choose a publisher from the list");
        }
    }
    let source_url = optional(&form.source_url);
    if let Some(url) = &source_url
        && !is_web_url(url)
    {
        problem(
            "source_url",
            "Enter a web address starting with http:// or https://",
        );
    }
    let mut frequency_of_release_other = None;
    let frequency_of_release_id = match form.frequency_of_release_id.trim() {
        "" => None,
        text => {
            let description: Option<String> = match text.parse::<i32>() {
                Ok(id) => frequency_of_release::table
                    .find(id)
                    .select(frequency_of_release::description)
                    .first(conn)
                    .optional()?,
                Err(_) => None,
            };
            match description.as_deref() {
                None => problem("frequency_of_release_id", "Choose a frequency of release"),
                Some("Other") => {
                    frequency_of_release_other = optional(&form.frequency_of_release_other);
                    if frequency_of_release_other.is_none() {
                        problem(
                            "frequency_of_release_other",
                            "Enter how often the data is released",
                        );
                    }
                }
                Some(_) => {}
            }
            text.parse().ok()
        }
    };
    if !problems.is_empty() {
        return Err(DataSourceError::Invalid(problems));
    }
    Ok(Valid {
        title,
        type_of_data,
        type_of_statistic_id,
        publisher_id,
        source_url,
        publication_date: optional(&form.publication_date),
        note_on_corrections_or_updates: optional(&form.note_on_corrections_or_updates),
        frequency_of_release_id,
        frequency_of_release_other,
        purpose: optional(&form.purpose),
    })
}

/// Creates a data source from an editor's form.
pub fn create(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    form: &DataSourceInput,
    now: DateTime<Utc>,
) -> Result<DataSource, DataSourceError> {
    if !actor.can(Capability::UpdateMeasure) {
        return Err(DataSourceError::Forbidden("create data sources"));
    }
    conn.transaction(|conn| {
        let valid = validate(conn, form)?;
        let created: DataSource = diesel::insert_into(data_source::table)
            .values((
                data_source::title.eq(&valid.title),
                data_source::type_of_data.eq(&valid.type_of_data),
                data_source::type_of_statistic_id.eq(valid.type_of_statistic_id),
                data_source::publisher_id.eq(&valid.publisher_id),
                data_source::source_url.eq(&valid.source_url),
                data_source::publication_date.eq(&valid.publication_date),
                data_source::note_on_corrections_or_updates
                    .eq(&valid.note_on_corrections_or_updates),
                data_source::frequency_of_release_id.eq(valid.frequency_of_release_id),
                data_source::frequency_of_release_other.eq(&valid.frequency_of_release_other),
                data_source::purpose.eq(&valid.purpose),
                data_source::created_at.eq(now),
                data_source::updated_at.eq(now),
            ))
            .returning(DataSource::as_returning())
            .get_result(conn)?;
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::DataSourceCreated,
            Some(subject(created.id)),
            json!({ "title": created.title }),
        )?;
        Ok(created)
    })
}

/// Changes a data source. When a published version links it, the public site shows it, so
/// a build is requested in the same transaction.
pub fn update(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    id: i32,
    form: &DataSourceInput,
    now: DateTime<Utc>,
) -> Result<DataSource, DataSourceError> {
    if !actor.can(Capability::UpdateMeasure) {
        return Err(DataSourceError::Forbidden("change data sources"));
    }
    conn.transaction(|conn| {
        let before: DataSource = data_source::table
            .find(id)
            .select(DataSource::as_select())
            .for_update()
            .first(conn)
            .optional()?
            .ok_or(DataSourceError::UnknownDataSource)?;
        let valid = validate(conn, form)?;
        let updated: DataSource = diesel::update(data_source::table.find(id))
            .set((
                data_source::title.eq(&valid.title),
                data_source::type_of_data.eq(&valid.type_of_data),
                data_source::type_of_statistic_id.eq(valid.type_of_statistic_id),
                data_source::publisher_id.eq(&valid.publisher_id),
                data_source::source_url.eq(&valid.source_url),
                data_source::publication_date.eq(&valid.publication_date),
                data_source::note_on_corrections_or_updates
                    .eq(&valid.note_on_corrections_or_updates),
                data_source::frequency_of_release_id.eq(valid.frequency_of_release_id),
                data_source::frequency_of_release_other.eq(&valid.frequency_of_release_other),
                data_source::purpose.eq(&valid.purpose),
                data_source::updated_at.eq(now),
            ))
            .returning(DataSource::as_returning())
            .get_result(conn)?;
        let published: i64 = data_source_in_measure_version::table
            .inner_join(measure_version::table)
            .filter(data_source_in_measure_version::data_source_id.eq(id))
            .filter(measure_version::status.eq(PublishStatus::Approved.as_str()))
            .count()
            .get_result(conn)?;
        if published > 0 {
            let reason = format!("edited data source “{}”", updated.title);
            builds::request(conn, &actor.email, &reason)?;
        }
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::DataSourceUpdated,
            Some(subject(id)),
            json!({
                "title_before": before.title,
                "title": updated.title,
                "published_versions": published,
            }),
        )?;
        Ok(updated)
    })
}

/// Locks an editable version the actor may change.
fn editable_version(
    conn: &mut PgConnection,
    actor: &User,
    version_id: i32,
) -> Result<MeasureVersion, DataSourceError> {
    lock_editable_version(conn, actor, version_id)?.map_err(|refusal| match refusal {
        Refusal::UnknownVersion => DataSourceError::UnknownVersion,
        Refusal::Forbidden => DataSourceError::Forbidden("change this page"),
        Refusal::NotEditable(status) => DataSourceError::NotEditable(status.label()),
    })
}

/// Adds a source to a version, after the ones it has (primary, then secondary).
pub fn link(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    version_id: i32,
    data_source_id: i32,
) -> Result<(), DataSourceError> {
    conn.transaction(|conn| {
        let version = editable_version(conn, actor, version_id)?;
        let title: String = data_source::table
            .find(data_source_id)
            .select(data_source::title)
            .first(conn)
            .optional()?
            .ok_or(DataSourceError::UnknownDataSource)?;
        let positions: Vec<(i32, i16)> = data_source_in_measure_version::table
            .filter(data_source_in_measure_version::measure_version_id.eq(version_id))
            .select((
                data_source_in_measure_version::data_source_id,
                data_source_in_measure_version::position,
            ))
            .load(conn)?;
        if positions.iter().any(|(id, _)| *id == data_source_id) {
            return Err(DataSourceError::AlreadyLinked);
        }
        if positions.len() as i64 >= MAX_PER_VERSION {
            return Err(DataSourceError::TooMany);
        }
        let position = positions.len() as i16;
        diesel::insert_into(data_source_in_measure_version::table)
            .values((
                data_source_in_measure_version::data_source_id.eq(data_source_id),
                data_source_in_measure_version::measure_version_id.eq(version_id),
                data_source_in_measure_version::position.eq(position),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::DataSourceLinked,
            Some(Subject::measure_version(version_id)),
            json!({
                "measure_id": version.measure_id,
                "data_source_id": data_source_id,
                "title": title,
                "position": position,
            }),
        )?;
        Ok(())
    })
}

/// Removes a source from a version (the source itself stays); the others move up so the
/// positions stay 0..n.
pub fn unlink(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    version_id: i32,
    data_source_id: i32,
) -> Result<(), DataSourceError> {
    conn.transaction(|conn| {
        let version = editable_version(conn, actor, version_id)?;
        let removed: Option<i16> = diesel::delete(
            data_source_in_measure_version::table
                .filter(data_source_in_measure_version::measure_version_id.eq(version_id))
                .filter(data_source_in_measure_version::data_source_id.eq(data_source_id)),
        )
        .returning(data_source_in_measure_version::position)
        .get_result(conn)
        .optional()?;
        let Some(position) = removed else {
            return Err(DataSourceError::NotLinked);
        };
        repack(conn, version_id)?;
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::DataSourceUnlinked,
            Some(Subject::measure_version(version_id)),
            json!({
                "measure_id": version.measure_id,
                "data_source_id": data_source_id,
                "position": position,
            }),
        )?;
        Ok(())
    })
}

/// Renumbers a version's links 0..n in their current order.
fn repack(conn: &mut PgConnection, version_id: i32) -> QueryResult<()> {
    let links: Vec<(i32, i16)> = data_source_in_measure_version::table
        .filter(data_source_in_measure_version::measure_version_id.eq(version_id))
        .order(data_source_in_measure_version::position)
        .select((
            data_source_in_measure_version::data_source_id,
            data_source_in_measure_version::position,
        ))
        .load(conn)?;
    for (index, (id, position)) in links.into_iter().enumerate() {
        let wanted = index as i16;
        if position != wanted {
            diesel::update(
                data_source_in_measure_version::table
                    .filter(data_source_in_measure_version::measure_version_id.eq(version_id))
                    .filter(data_source_in_measure_version::data_source_id.eq(id)),
            )
            .set(data_source_in_measure_version::position.eq(wanted))
            .execute(conn)?;
        }
    }
    Ok(())
}

/// What a merge did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// The versions whose links changed.
    pub versions: usize,
    pub deleted: Vec<i32>,
}

/// Points every link to one of `others` at `keep`, then deletes `others`, in one
/// transaction. Irreversible, and the metadata of the others is not kept. A version that
/// linked several of them ends with `keep` once, in the first of their positions. If a
/// published version's links changed, a build is requested.
pub fn merge(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    keep: i32,
    others: &[i32],
) -> Result<Merged, DataSourceError> {
    if !actor.can(Capability::ManageDataSources) {
        return Err(DataSourceError::Forbidden("merge data sources"));
    }
    let mut others: Vec<i32> = others.to_vec();
    others.sort_unstable();
    others.dedup();
    if others.contains(&keep) {
        return Err(DataSourceError::MergeWithItself);
    }
    if others.is_empty() {
        return Err(DataSourceError::NothingToMerge);
    }
    conn.transaction(|conn| {
        let mut all = others.clone();
        all.push(keep);
        let found: Vec<(i32, String)> = data_source::table
            .filter(data_source::id.eq_any(&all))
            .order(data_source::id)
            .select((data_source::id, data_source::title))
            .for_update()
            .load(conn)?;
        if let Some(missing) = all.iter().find(|id| !found.iter().any(|(f, _)| f == *id)) {
            return Err(DataSourceError::UnknownInMerge(*missing));
        }
        let affected: Vec<i32> = data_source_in_measure_version::table
            .filter(data_source_in_measure_version::data_source_id.eq_any(&others))
            .select(data_source_in_measure_version::measure_version_id)
            .distinct()
            .load(conn)?;
        for version_id in &affected {
            let links: Vec<i32> = data_source_in_measure_version::table
                .filter(data_source_in_measure_version::measure_version_id.eq(version_id))
                .order(data_source_in_measure_version::position)
                .select(data_source_in_measure_version::data_source_id)
                .load(conn)?;
            let mut wanted: Vec<i32> = Vec::new();
            for id in links {
                let id = if others.contains(&id) { keep } else { id };
                if !wanted.contains(&id) {
                    wanted.push(id);
                }
            }
            diesel::delete(
                data_source_in_measure_version::table
                    .filter(data_source_in_measure_version::measure_version_id.eq(version_id)),
            )
            .execute(conn)?;
            for (position, id) in wanted.into_iter().enumerate() {
                diesel::insert_into(data_source_in_measure_version::table)
                    .values((
                        data_source_in_measure_version::data_source_id.eq(id),
                        data_source_in_measure_version::measure_version_id.eq(version_id),
                        data_source_in_measure_version::position.eq(position as i16),
                    ))
                    .execute(conn)?;
            }
        }
        let published: i64 = measure_version::table
            .filter(measure_version::id.eq_any(&affected))
            .filter(measure_version::status.eq(PublishStatus::Approved.as_str()))
            .count()
            .get_result(conn)?;
        diesel::delete(data_source::table.filter(data_source::id.eq_any(&others))).execute(conn)?;
        let kept_title = found
            .iter()
            .find(|(id, _)| *id == keep)
            .map(|(_, title)| title.clone())
            .unwrap_or_default();
        if published > 0 {
            let reason = format!("merged data sources into “{kept_title}”");
            builds::request(conn, &actor.email, &reason)?;
        }
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::DataSourcesMerged,
            Some(subject(keep)),
            json!({
                "kept": keep,
                "kept_title": kept_title,
                "merged": found
                    .iter()
                    .filter(|(id, _)| *id != keep)
                    .map(|(id, title)| json!({ "id": id, "title": title }))
                    .collect::<Vec<_>>(),
                "versions": affected.len(),
            }),
        )?;
        Ok(Merged {
            versions: affected.len(),
            deleted: others,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::is_web_url;

    #[test]
    fn only_web_urls_are_accepted() {
        for good in [
            "https://www.ons.gov.uk/survey",
            "http://example.org",
            "HTTPS://EXAMPLE.ORG/a?b#c",
        ] {
            assert!(is_web_url(good), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,<script>",
            "ftp://example.org",
            "//example.org",
            "https://",
            "http:///path",
            "www.ons.gov.uk",
            "https://exa mple.org",
            "https://example.org/\"onmouseover=",
            " vbscript:x",
        ] {
            assert!(!is_web_url(bad), "{bad}");
        }
    }
}
