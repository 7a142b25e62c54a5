//! Content for tests that need a measure page in a given state, made with plain SQL so that
//! the fixture does not depend on the code under test.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Int4};

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = Int4)]
    id: i32,
}

fn insert(conn: &mut PgConnection, sql: &str) -> i32 {
    diesel::sql_query(sql)
        .get_result::<Id>(conn)
        .unwrap_or_else(|error| panic!("fixture: {error}\n{sql}"))
        .id
}

fn execute(conn: &mut PgConnection, sql: &str) {
    diesel::sql_query(sql)
        .execute(conn)
        .unwrap_or_else(|error| panic!("fixture: {error}\n{sql}"));
}

/// The fixture's chart, as `almanac-charts` stores a bar chart (written out, so that the
/// fixture does not depend on the code under test).
pub const CHART_OBJECT: &str = r#"{"version":1,"type":"bar","title":"Employment by region","description":"Employment rate by region.","category_heading":"Region","value_heading":"Rate","number_format":{"suffix":"%"},"categories":["North East","London"],"series":["Rate"],"panels":[{"name":"","values":[[{"kind":"number","value":61.2,"text":"61.2"},{"kind":"number","value":58.4,"text":"58.4"}]]}]}"#;

/// The settings and data the fixture's chart was built from (`almanac-figures`' stored source).
pub const CHART_SOURCE: &str = r#"{"version":1,"settings":{"version":1,"type":"bar","title":"Employment by region","description":"Employment rate by region.","category_column":"Region","value_column":"Rate","number_format":{"suffix":"%"}},"data":{"headings":["Region","Rate"],"rows":[["North East","61.2"],["London","58.4"]]},"origin":{"kind":"pasted"}}"#;

/// A measure with one version 1.0.
#[derive(Debug, Clone)]
pub struct Page {
    pub measure_id: i32,
    pub version_id: i32,
    /// `<topic>/<subtopic>/<measure>`, the path below `/cms`.
    pub path: String,
}

/// A measure titled "Employment by ethnicity" in topic `topic_slug` (created if needed),
/// with version 1.0 in `status` and one dimension with a chart. `complete` adds what sending
/// to review needs: a clean upload and a data source.
pub fn page(conn: &mut PgConnection, topic_slug: &str, status: &str, complete: bool) -> Page {
    let topic = insert(
        conn,
        &format!(
            "INSERT INTO topic (slug, title) VALUES ('{topic_slug}', 'Topic {topic_slug}')
             ON CONFLICT (slug) DO UPDATE SET title = topic.title RETURNING id"
        ),
    );
    let subtopic = insert(
        conn,
        &format!(
            "INSERT INTO subtopic (topic_id, slug, title) VALUES ({topic}, 'sub', 'Sub')
             ON CONFLICT (topic_id, slug) DO UPDATE SET title = subtopic.title RETURNING id"
        ),
    );
    let n: i64 = diesel::select(diesel::dsl::sql::<BigInt>("nextval('measure_id_seq')"))
        .get_result(conn)
        .expect("next measure id");
    let measure_id = insert(
        conn,
        &format!(
            "INSERT INTO measure (id, subtopic_id, slug) VALUES ({n}, {subtopic}, 'measure-{n}') RETURNING id"
        ),
    );
    let published_at = if status == "APPROVED" {
        "current_date"
    } else {
        "NULL"
    };
    let version_id = insert(
        conn,
        &format!(
            "INSERT INTO measure_version (measure_id, version_major, version_minor, latest, status, title, published_at,
                 time_covered, area_covered, lowest_level_of_geography_id, summary, description, need_to_know, external_edit_summary)
             VALUES ({measure_id}, 1, 0, true, '{status}', 'Employment by ethnicity', {published_at},
                 '2019', ARRAY['ENGLAND'], (SELECT name FROM lowest_level_of_geography ORDER BY position LIMIT 1),
                 'Main points', 'About employment', 'Things to know', 'First published')
             RETURNING id"
        ),
    );
    execute(
        conn,
        &format!(
            "INSERT INTO dimension (guid, measure_version_id, title, summary, position)
             VALUES (gen_random_uuid(), {version_id}, 'By region', 'Regional figures', 0)"
        ),
    );
    execute(
        conn,
        &format!(
            "INSERT INTO dimension_chart (dimension_guid, settings_and_source_data, chart_object)
             SELECT guid, '{CHART_SOURCE}', '{CHART_OBJECT}' FROM dimension WHERE measure_version_id = {version_id}"
        ),
    );
    if complete {
        execute(
            conn,
            &format!(
                "INSERT INTO upload (measure_version_id, title, file_name, size_bytes, scan_status)
                 VALUES ({version_id}, 'Data', 'data.csv', 10, 'CLEAN')"
            ),
        );
        let source = insert(
            conn,
            "INSERT INTO data_source (title) VALUES ('Labour Force Survey') RETURNING id",
        );
        execute(
            conn,
            &format!(
                "INSERT INTO data_source_in_measure_version (data_source_id, measure_version_id, position)
                 VALUES ({source}, {version_id}, 0)"
            ),
        );
    }
    Page {
        measure_id,
        version_id,
        path: format!("{topic_slug}/sub/measure-{n}"),
    }
}

/// An active account of `user_type` with no password (for tests that act as a user without
/// signing in), with the capabilities of its type.
pub fn account(
    conn: &mut PgConnection,
    email: &str,
    user_type: almanac_content::UserType,
) -> almanac_content::models::User {
    use almanac_content::schema::users;
    let capabilities: Vec<Option<String>> = user_type
        .capabilities()
        .into_iter()
        .map(|capability| Some(capability.as_str().to_owned()))
        .collect();
    diesel::insert_into(users::table)
        .values((
            users::email.eq(email),
            users::active.eq(true),
            users::user_type.eq(user_type.as_str()),
            users::capabilities.eq(capabilities),
        ))
        .returning(almanac_content::models::User::as_returning())
        .get_result(conn)
        .unwrap_or_else(|error| panic!("fixture account {email}: {error}"))
}
