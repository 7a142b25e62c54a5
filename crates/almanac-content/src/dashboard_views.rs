//! Diesel definitions of the dashboard materialized views. `diesel print-schema` prints
//! tables only, so these are written by hand; they declare the columns the code reads.
//! `tests/database.rs` selects through them against a migrated database.

diesel::table! {
    latest_published_measure_versions (id) {
        id -> Int4,
        measure_id -> Int4,
        version_major -> Int4,
        version_minor -> Int4,
        title -> Text,
        published_at -> Nullable<Date>,
        lowest_level_of_geography_id -> Nullable<Text>,
    }
}

diesel::table! {
    latest_published_measure_versions_by_geography (measure_version_id) {
        topic_id -> Int4,
        topic_title -> Text,
        topic_slug -> Varchar,
        subtopic_id -> Int4,
        subtopic_title -> Text,
        subtopic_slug -> Varchar,
        subtopic_position -> Int4,
        measure_id -> Int4,
        measure_slug -> Varchar,
        measure_position -> Int4,
        measure_version_id -> Int4,
        measure_version_title -> Text,
        geography_name -> Text,
        geography_position -> Int4,
    }
}

diesel::table! {
    ethnic_groups_by_dimension (dimension_guid, ethnicity_value) {
        topic_id -> Int4,
        topic_title -> Text,
        topic_slug -> Varchar,
        subtopic_id -> Int4,
        subtopic_title -> Text,
        subtopic_slug -> Varchar,
        subtopic_position -> Int4,
        measure_id -> Int4,
        measure_slug -> Varchar,
        measure_position -> Int4,
        measure_version_id -> Int4,
        measure_version_title -> Text,
        dimension_guid -> Uuid,
        dimension_title -> Text,
        dimension_position -> Int4,
        classification_id -> Varchar,
        classification_title -> Text,
        ethnicity_value -> Text,
        ethnicity_position -> Int4,
    }
}

diesel::table! {
    classifications_by_dimension (dimension_guid, classification_id) {
        topic_id -> Int4,
        topic_title -> Text,
        topic_slug -> Varchar,
        subtopic_id -> Int4,
        subtopic_title -> Text,
        subtopic_slug -> Varchar,
        subtopic_position -> Int4,
        measure_id -> Int4,
        measure_slug -> Varchar,
        measure_position -> Int4,
        measure_version_id -> Int4,
        measure_version_title -> Text,
        dimension_guid -> Uuid,
        dimension_title -> Text,
        dimension_position -> Int4,
        classification_id -> Varchar,
        classification_title -> Text,
        classification_position -> Int4,
        includes_parents -> Bool,
        includes_all -> Bool,
        includes_unknown -> Bool,
    }
}
