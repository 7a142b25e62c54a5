//! Rows of the content tables, for reading (`Queryable`) and inserting (`New*`).

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::{
    data_source, data_source_in_measure_version, dimension, dimension_categorisation,
    dimension_chart, dimension_table, measure, measure_version, subtopic, topic, upload, users,
};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = topic)]
pub struct Topic {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub short_title: Option<String>,
    pub description: Option<String>,
    pub additional_description: Option<String>,
    pub meta_description: Option<String>,
    pub position: i32,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = topic)]
pub struct NewTopic<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub short_title: Option<&'a str>,
    pub description: Option<&'a str>,
    pub additional_description: Option<&'a str>,
    pub meta_description: Option<&'a str>,
    pub position: i32,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Associations)]
#[diesel(table_name = subtopic, belongs_to(Topic))]
pub struct Subtopic {
    pub id: i32,
    pub topic_id: i32,
    pub slug: String,
    pub title: String,
    pub position: i32,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = subtopic)]
pub struct NewSubtopic<'a> {
    pub topic_id: i32,
    pub slug: &'a str,
    pub title: &'a str,
    pub position: i32,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Associations)]
#[diesel(table_name = measure, belongs_to(Subtopic))]
pub struct Measure {
    pub id: i32,
    pub subtopic_id: i32,
    pub slug: String,
    pub position: i32,
    pub reference: Option<String>,
    pub retired: bool,
    pub replaced_by_measure_id: Option<i32>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = measure)]
pub struct NewMeasure {
    pub id: i32,
    pub subtopic_id: i32,
    pub slug: String,
    pub position: i32,
    pub reference: Option<String>,
}

/// Every column of a measure version. Statuses, versions and areas are stored as text and
/// integers; use [`MeasureVersion::version`] and friends for the typed values.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Associations)]
#[diesel(table_name = measure_version, belongs_to(Measure))]
pub struct MeasureVersion {
    pub id: i32,
    pub measure_id: i32,
    pub version_major: i32,
    pub version_minor: i32,
    pub template_version: i16,
    pub latest: bool,
    pub lock_version: i32,
    pub status: String,
    pub review_token: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub last_updated_by: Option<String>,
    pub published_at: Option<NaiveDate>,
    pub published_by: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub summary: Option<String>,
    pub need_to_know: Option<String>,
    pub measure_summary: Option<String>,
    pub ethnicity_definition_summary: Option<String>,
    pub area_covered: Vec<Option<String>>,
    pub time_covered: Option<String>,
    pub lowest_level_of_geography_id: Option<String>,
    pub external_edit_summary: Option<String>,
    pub internal_edit_summary: Option<String>,
    pub update_corrects_data_mistake: Option<bool>,
    pub update_corrects_measure_version_id: Option<i32>,
    pub methodology: Option<String>,
    pub suppression_and_disclosure: Option<String>,
    pub estimation: Option<String>,
    pub related_publications: Option<String>,
    pub qmi_url: Option<String>,
    pub further_technical_information: Option<String>,
    pub review_token_expires_at: Option<DateTime<Utc>>,
    /// Set while the version waits in department review to be published at this time.
    pub publish_scheduled_at: Option<DateTime<Utc>>,
    pub publish_scheduled_by: Option<String>,
}

impl MeasureVersion {
    pub fn version(&self) -> crate::VersionNumber {
        crate::VersionNumber {
            major: self.version_major,
            minor: self.version_minor,
        }
    }

    /// The workflow status; the database's CHECK constraint guarantees a known value.
    pub fn status(&self) -> crate::PublishStatus {
        self.status.parse().unwrap_or(crate::PublishStatus::Draft)
    }

    pub fn areas(&self) -> Vec<crate::Area> {
        self.area_covered
            .iter()
            .flatten()
            .filter_map(|area| area.parse().ok())
            .collect()
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = measure_version)]
pub struct NewMeasureVersion {
    pub id: i32,
    pub measure_id: i32,
    pub version_major: i32,
    pub version_minor: i32,
    pub template_version: i16,
    pub latest: bool,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub last_updated_by: Option<String>,
    pub published_at: Option<NaiveDate>,
    pub published_by: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub summary: Option<String>,
    pub need_to_know: Option<String>,
    pub measure_summary: Option<String>,
    pub ethnicity_definition_summary: Option<String>,
    pub area_covered: Vec<Option<String>>,
    pub time_covered: Option<String>,
    pub lowest_level_of_geography_id: Option<String>,
    pub external_edit_summary: Option<String>,
    pub internal_edit_summary: Option<String>,
    pub update_corrects_data_mistake: Option<bool>,
    pub methodology: Option<String>,
    pub suppression_and_disclosure: Option<String>,
    pub estimation: Option<String>,
    pub related_publications: Option<String>,
    pub qmi_url: Option<String>,
    pub further_technical_information: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = dimension)]
pub struct NewDimension {
    pub guid: Uuid,
    pub measure_version_id: i32,
    pub title: String,
    pub time_period: Option<String>,
    pub summary: Option<String>,
    pub position: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = dimension_chart)]
pub struct NewDimensionChart {
    pub dimension_guid: Uuid,
    pub classification_id: Option<String>,
    pub includes_parents: bool,
    pub includes_all: bool,
    pub includes_unknown: bool,
    pub settings_and_source_data: serde_json::Value,
    pub chart_object: serde_json::Value,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = dimension_table)]
pub struct NewDimensionTable {
    pub dimension_guid: Uuid,
    pub classification_id: Option<String>,
    pub includes_parents: bool,
    pub includes_all: bool,
    pub includes_unknown: bool,
    pub settings_and_source_data: serde_json::Value,
    pub table_object: serde_json::Value,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = dimension_categorisation)]
pub struct NewDimensionCategorisation {
    pub dimension_guid: Uuid,
    pub classification_id: String,
    pub includes_parents: bool,
    pub includes_all: bool,
    pub includes_unknown: bool,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = upload)]
pub struct NewUpload {
    pub guid: Uuid,
    pub measure_version_id: i32,
    pub title: String,
    pub file_name: String,
    pub description: Option<String>,
    pub size_bytes: i64,
    pub scan_status: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = data_source)]
pub struct NewDataSource {
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

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = data_source_in_measure_version)]
pub struct NewDataSourceLink {
    pub data_source_id: i32,
    pub measure_version_id: i32,
    pub position: i16,
}

/// A publisher account. `Debug` leaves out the password hash and the TOTP secret so that
/// neither reaches a log.
#[derive(Clone, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i32,
    pub email: String,
    pub password_hash: Option<String>,
    pub active: bool,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub user_type: String,
    pub capabilities: Vec<Option<String>>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub current_login_at: Option<DateTime<Utc>>,
    pub last_login_ip: Option<String>,
    pub current_login_ip: Option<String>,
    pub login_count: i32,
    pub failed_login_count: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub locked_at: Option<DateTime<Utc>>,
    pub totp_secret: Option<Vec<u8>>,
    pub totp_enabled_at: Option<DateTime<Utc>>,
    pub totp_last_step: Option<i64>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("user_type", &self.user_type)
            .field("active", &self.active)
            .field("locked_at", &self.locked_at)
            .field("totp_enabled_at", &self.totp_enabled_at)
            .finish_non_exhaustive()
    }
}

impl User {
    pub fn user_type(&self) -> Option<crate::UserType> {
        self.user_type.parse().ok()
    }

    pub fn can(&self, capability: crate::Capability) -> bool {
        self.capabilities
            .iter()
            .flatten()
            .any(|held| held == capability.as_str())
    }
}
