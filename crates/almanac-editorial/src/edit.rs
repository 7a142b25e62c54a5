//! Editing a version's fields, and creating a measure.
//!
//! Saves are guarded by optimistic locking: the form carries the `lock_version` it was
//! loaded with, and a save from an older one is a conflict unless it changes nothing the
//! other person changed. A conflict never overwrites: the editor gets, field by field, what
//! is stored now next to what they typed, and a form carrying the new `lock_version`, so a
//! second save is a deliberate choice.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde_json::json;

use almanac_accounts::audit::{self, Actor, AuditAction, Origin, Subject};
use almanac_content::models::{MeasureVersion, User};
use almanac_content::schema::{lowest_level_of_geography, measure, measure_version, subtopic};
use almanac_content::{Area, Capability, PublishStatus};

use crate::guard::{Refusal, lock_editable_version};
use crate::workflow::Problem;

/// Longest text accepted in one field: long enough for any methodology section, short
/// enough that rendering it stays fast (deeply nested markdown is slow to sanitise).
pub const MAX_FIELD_CHARS: usize = 20_000;

/// The text fields of a version as the edit form names them: (name, label, is markdown).
pub const TEXT_FIELDS: [(&str, &str, bool); 15] = [
    ("title", "Title", false),
    ("time_covered", "Time period covered", false),
    ("summary", "Main points", true),
    ("description", "Description for search engines", false),
    ("need_to_know", "Things you need to know", true),
    ("measure_summary", "What the data measures", true),
    (
        "ethnicity_definition_summary",
        "The ethnic categories used in this data",
        true,
    ),
    ("methodology", "Methodology", true),
    (
        "suppression_and_disclosure",
        "Suppression rules and disclosure control",
        true,
    ),
    ("estimation", "Rounding", true),
    ("related_publications", "Related publications", true),
    (
        "qmi_url",
        "Quality and methodology information (link)",
        false,
    ),
    (
        "further_technical_information",
        "Further technical information",
        true,
    ),
    (
        "external_edit_summary",
        "Summary of changes, for the public",
        false,
    ),
    ("internal_edit_summary", "Notes for other editors", false),
];

/// What the edit form submits.
#[derive(Debug, Clone, Default)]
pub struct VersionInput {
    /// Keyed by the names in `TEXT_FIELDS`; a missing field counts as empty.
    pub text: Vec<(String, String)>,
    pub area_covered: Vec<String>,
    pub lowest_level_of_geography_id: String,
    pub update_corrects_data_mistake: Option<bool>,
    pub lock_version: i32,
}

impl VersionInput {
    pub fn get(&self, name: &str) -> &str {
        self.text
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
            .unwrap_or("")
    }

    /// The form's values for a stored version (what the edit page starts with).
    pub fn from_version(version: &MeasureVersion) -> VersionInput {
        VersionInput {
            text: TEXT_FIELDS
                .iter()
                .map(|(name, _, _)| {
                    (
                        (*name).to_owned(),
                        stored(version, name).unwrap_or("").to_owned(),
                    )
                })
                .collect(),
            area_covered: version.area_covered.iter().flatten().cloned().collect(),
            lowest_level_of_geography_id: version
                .lowest_level_of_geography_id
                .clone()
                .unwrap_or_default(),
            update_corrects_data_mistake: version.update_corrects_data_mistake,
            lock_version: version.lock_version,
        }
    }
}

/// A field the other person changed, as the conflict page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: &'static str,
    pub label: &'static str,
    /// What is stored now.
    pub theirs: String,
    /// What the editor typed.
    pub yours: String,
    /// `theirs` → `yours` as HTML with `<del>` and `<ins>` around the changed words.
    pub diff_html: String,
}

#[derive(Debug)]
pub enum SaveOutcome {
    Saved(MeasureVersion),
    /// Someone saved since the form was loaded: nothing was written.
    Conflict {
        current: MeasureVersion,
        changes: Vec<FieldChange>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("there is no such measure version")]
    UnknownVersion,
    #[error("You do not have permission to edit this page")]
    Forbidden,
    #[error("This version cannot be changed while it is {0}")]
    NotEditable(&'static str),
    #[error("{}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Problem>),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Saves the form onto a DRAFT or REJECTED version (a REJECTED one goes back to DRAFT).
pub fn save(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    version_id: i32,
    input: &VersionInput,
    now: DateTime<Utc>,
) -> Result<SaveOutcome, EditError> {
    conn.transaction(|conn| {
        let current =
            lock_editable_version(conn, actor, version_id)?.map_err(|refusal| match refusal {
                Refusal::UnknownVersion => EditError::UnknownVersion,
                Refusal::Forbidden => EditError::Forbidden,
                Refusal::NotEditable(status) => EditError::NotEditable(status.label()),
            })?;
        let cleaned = clean(input);
        validate(conn, &current, &cleaned)?;
        if cleaned.lock_version != current.lock_version {
            let changes = conflicting_changes(&current, &cleaned);
            if !changes.is_empty() {
                return Ok(SaveOutcome::Conflict { current, changes });
            }
        }
        let changed: Vec<&str> = TEXT_FIELDS
            .iter()
            .filter(|(name, _, _)| stored(&current, name).unwrap_or("") != cleaned.get(name))
            .map(|(name, _, _)| *name)
            .collect();
        let text =
            |name: &str| Some(cleaned.get(name).to_owned()).filter(|value| !value.is_empty());
        let areas: Vec<Option<String>> = cleaned.area_covered.iter().cloned().map(Some).collect();
        let saved: MeasureVersion = diesel::update(measure_version::table.find(version_id))
            .set((
                (
                    measure_version::title.eq(cleaned.get("title")),
                    measure_version::time_covered.eq(text("time_covered")),
                    measure_version::summary.eq(text("summary")),
                    measure_version::description.eq(text("description")),
                    measure_version::need_to_know.eq(text("need_to_know")),
                    measure_version::measure_summary.eq(text("measure_summary")),
                    measure_version::ethnicity_definition_summary
                        .eq(text("ethnicity_definition_summary")),
                    measure_version::methodology.eq(text("methodology")),
                ),
                (
                    measure_version::suppression_and_disclosure
                        .eq(text("suppression_and_disclosure")),
                    measure_version::estimation.eq(text("estimation")),
                    measure_version::related_publications.eq(text("related_publications")),
                    measure_version::qmi_url.eq(text("qmi_url")),
                    measure_version::further_technical_information
                        .eq(text("further_technical_information")),
                    measure_version::external_edit_summary.eq(text("external_edit_summary")),
                    measure_version::internal_edit_summary.eq(text("internal_edit_summary")),
                ),
                (
                    measure_version::area_covered.eq(areas),
                    measure_version::lowest_level_of_geography_id
                        .eq(Some(cleaned.lowest_level_of_geography_id.clone())
                            .filter(|id| !id.is_empty())),
                    measure_version::update_corrects_data_mistake
                        .eq(cleaned.update_corrects_data_mistake),
                    measure_version::status.eq(PublishStatus::Draft.as_str()),
                    measure_version::last_updated_by.eq(&actor.email),
                    measure_version::updated_at.eq(now),
                    measure_version::lock_version.eq(measure_version::lock_version + 1),
                ),
            ))
            .returning(MeasureVersion::as_returning())
            .get_result(conn)?;
        // Version 1.0 takes its address from its title (only when the title changes, so a
        // save never moves a page needlessly); later versions keep theirs.
        if saved.version_major == 1 && saved.version_minor == 0 && saved.title != current.title {
            set_slug_from_title(conn, saved.measure_id, &saved.title)?;
        }
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::VersionEdited,
            Some(Subject::measure_version(version_id)),
            json!({ "fields": changed, "was": current.status }),
        )?;
        Ok(SaveOutcome::Saved(saved))
    })
}

/// Markdown fields lose leading indentation (so text never becomes a code block); every
/// field loses surrounding whitespace.
fn clean(input: &VersionInput) -> VersionInput {
    let mut cleaned = input.clone();
    cleaned.text = TEXT_FIELDS
        .iter()
        .map(|(name, _, markdown)| {
            let value = input.get(name);
            let value = if *markdown {
                almanac_markdown::normalise_input(value)
            } else {
                value.trim().to_owned()
            };
            ((*name).to_owned(), value)
        })
        .collect();
    cleaned.area_covered.sort();
    cleaned.area_covered.dedup();
    cleaned
}

fn validate(
    conn: &mut PgConnection,
    current: &MeasureVersion,
    input: &VersionInput,
) -> Result<(), EditError> {
    let mut problems = Vec::new();
    let mut problem =
        |field: &'static str, message: String| problems.push(Problem { field, message });
    if input.get("title").is_empty() {
        problem("title", "Enter a title".to_owned());
    } else if input.get("title").chars().count() > 255 {
        problem(
            "title",
            "The title must be 255 characters or fewer".to_owned(),
        );
    }
    for (name, label, _) in TEXT_FIELDS {
        if input.get(name).chars().count() > MAX_FIELD_CHARS {
            problem(
                name,
                format!("{label} must be {MAX_FIELD_CHARS} characters or fewer"),
            );
        }
    }
    let url = input.get("qmi_url").to_ascii_lowercase();
    if !(url.is_empty() || url.starts_with("https://") || url.starts_with("http://")) {
        problem(
            "qmi_url",
            "Enter a web address that starts with https://".to_owned(),
        );
    }
    if input
        .area_covered
        .iter()
        .any(|area| area.parse::<Area>().is_err())
    {
        problem("area_covered", "Choose areas from the list".to_owned());
    }
    if !input.lowest_level_of_geography_id.is_empty() {
        let known: i64 = lowest_level_of_geography::table
            .find(&input.lowest_level_of_geography_id)
            .count()
            .get_result(conn)?;
        if known == 0 {
            problem(
                "lowest_level_of_geography_id",
                "Choose a level of geography from the list".to_owned(),
            );
        }
    }
    let retitled = input.get("title") != current.title;
    if current.version_major == 1
        && current.version_minor == 0
        && retitled
        && !input.get("title").is_empty()
    {
        let slug = slug::slugify(input.get("title"));
        let subtopic_id: i32 = measure::table
            .find(current.measure_id)
            .select(measure::subtopic_id)
            .first(conn)?;
        let clash: i64 = measure::table
            .filter(measure::subtopic_id.eq(subtopic_id))
            .filter(measure::slug.eq(&slug))
            .filter(measure::id.ne(current.measure_id))
            .count()
            .get_result(conn)?;
        if clash > 0 {
            problem(
                "title",
                "A page with this title already exists in this subtopic".to_owned(),
            );
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(EditError::Invalid(problems))
    }
}

/// Fields where what is stored now differs from what the editor submitted. An empty stored
/// value is not a conflict (the model's rule): nobody's work is lost by filling it in.
fn conflicting_changes(current: &MeasureVersion, input: &VersionInput) -> Vec<FieldChange> {
    TEXT_FIELDS
        .iter()
        .filter_map(|(name, label, _)| {
            let theirs = stored(current, name).unwrap_or("");
            let yours = input.get(name);
            (!theirs.is_empty() && theirs != yours).then(|| FieldChange {
                field: name,
                label,
                theirs: theirs.to_owned(),
                yours: yours.to_owned(),
                diff_html: word_diff(theirs, yours),
            })
        })
        .collect()
}

/// `from` → `to` as HTML with `<del>` and `<ins>` around the changed words.
pub(crate) fn word_diff(from: &str, to: &str) -> String {
    use similar::{ChangeTag, TextDiff};
    let diff = TextDiff::from_words(from, to);
    let mut html = String::new();
    for change in diff.iter_all_changes() {
        let text = escape(change.value());
        match change.tag() {
            ChangeTag::Equal => html.push_str(&text),
            ChangeTag::Delete => html.push_str(&format!("<del>{text}</del>")),
            ChangeTag::Insert => html.push_str(&format!("<ins>{text}</ins>")),
        }
    }
    html
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn stored<'a>(version: &'a MeasureVersion, name: &str) -> Option<&'a str> {
    match name {
        "title" => Some(&version.title),
        "time_covered" => version.time_covered.as_deref(),
        "summary" => version.summary.as_deref(),
        "description" => version.description.as_deref(),
        "need_to_know" => version.need_to_know.as_deref(),
        "measure_summary" => version.measure_summary.as_deref(),
        "ethnicity_definition_summary" => version.ethnicity_definition_summary.as_deref(),
        "methodology" => version.methodology.as_deref(),
        "suppression_and_disclosure" => version.suppression_and_disclosure.as_deref(),
        "estimation" => version.estimation.as_deref(),
        "related_publications" => version.related_publications.as_deref(),
        "qmi_url" => version.qmi_url.as_deref(),
        "further_technical_information" => version.further_technical_information.as_deref(),
        "external_edit_summary" => version.external_edit_summary.as_deref(),
        "internal_edit_summary" => version.internal_edit_summary.as_deref(),
        _ => None,
    }
}

fn set_slug_from_title(conn: &mut PgConnection, measure_id: i32, title: &str) -> QueryResult<()> {
    diesel::update(measure::table.find(measure_id))
        .set(measure::slug.eq(slug::slugify(title)))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("You do not have permission to create pages")]
    Forbidden,
    #[error("there is no such subtopic")]
    UnknownSubtopic,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Creates a measure with version 1.0 as a draft, at the end of its subtopic; its address
/// comes from the title.
pub fn create_measure(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    subtopic_id: i32,
    title: &str,
    now: DateTime<Utc>,
) -> Result<MeasureVersion, CreateError> {
    let title = title.trim();
    if !actor.can(Capability::CreateMeasure) {
        return Err(CreateError::Forbidden);
    }
    if title.is_empty() {
        return Err(CreateError::Invalid("Enter a title".to_owned()));
    }
    if title.chars().count() > 255 {
        return Err(CreateError::Invalid(
            "The title must be 255 characters or fewer".to_owned(),
        ));
    }
    let slug = slug::slugify(title);
    if slug.is_empty() {
        return Err(CreateError::Invalid(
            "The title needs at least one letter or number".to_owned(),
        ));
    }
    conn.transaction(|conn| {
        let exists: i64 = subtopic::table.find(subtopic_id).count().get_result(conn)?;
        if exists == 0 {
            return Err(CreateError::UnknownSubtopic);
        }
        let siblings: i64 = measure::table
            .filter(measure::subtopic_id.eq(subtopic_id))
            .count()
            .get_result(conn)?;
        let clash: i64 = measure::table
            .filter(measure::subtopic_id.eq(subtopic_id))
            .filter(measure::slug.eq(&slug))
            .count()
            .get_result(conn)?;
        if clash > 0 {
            return Err(CreateError::Invalid(
                "A page with this title already exists in this subtopic".to_owned(),
            ));
        }
        let measure_id: i32 = diesel::insert_into(measure::table)
            .values((
                measure::subtopic_id.eq(subtopic_id),
                measure::slug.eq(&slug),
                measure::position.eq(siblings as i32),
            ))
            .returning(measure::id)
            .get_result(conn)?;
        let version: MeasureVersion = diesel::insert_into(measure_version::table)
            .values((
                measure_version::measure_id.eq(measure_id),
                measure_version::version_major.eq(1),
                measure_version::version_minor.eq(0),
                measure_version::latest.eq(true),
                measure_version::status.eq(PublishStatus::Draft.as_str()),
                measure_version::title.eq(title),
                measure_version::created_at.eq(now),
                measure_version::created_by.eq(&actor.email),
                measure_version::updated_at.eq(now),
                measure_version::last_updated_by.eq(&actor.email),
                measure_version::internal_edit_summary.eq("Initial version"),
                measure_version::external_edit_summary.eq("First published"),
            ))
            .returning(MeasureVersion::as_returning())
            .get_result(conn)?;
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::MeasureCreated,
            Some(Subject::measure(measure_id)),
            json!({ "title": title, "subtopic_id": subtopic_id }),
        )?;
        Ok(version)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_diff_marks_changed_words_and_escapes() {
        assert_eq!(
            word_diff("Rates rose in <2019>", "Rates fell in <2019>"),
            "Rates <del>rose</del><ins>fell</ins> in &lt;2019&gt;"
        );
    }
}
