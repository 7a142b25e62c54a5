//! Seeding a real database: realistic, deterministic, and refusing to overwrite content.

use almanac_seed::{SeedError, SeedOptions, seed};
use almanac_test_support::TestDatabase;
use diesel::prelude::*;

#[derive(QueryableByName)]
struct Fingerprint {
    #[diesel(sql_type = diesel::sql_types::Text)]
    digest: String,
}

/// A digest of all generated content, independent of row ids (which depend on sequences).
fn content_fingerprint(conn: &mut PgConnection) -> String {
    diesel::sql_query(
        "SELECT md5(string_agg(row, E'\\n' ORDER BY row)) AS digest FROM (
            SELECT concat_ws('|', t.slug, s.slug, m.slug, m.position, mv.version_major, mv.version_minor,
                   mv.status, mv.published_at, mv.title, mv.summary, mv.area_covered::text, mv.latest) AS row
            FROM measure_version mv JOIN measure m ON m.id = mv.measure_id
            JOIN subtopic s ON s.id = m.subtopic_id JOIN topic t ON t.id = s.topic_id
            UNION ALL
            SELECT concat_ws('|', m.slug, mv.version_major, mv.version_minor, d.guid, d.title, d.position,
                   c.chart_object::text, tb.table_object::text, dc.classification_id)
            FROM dimension d JOIN measure_version mv ON mv.id = d.measure_version_id
            JOIN measure m ON m.id = mv.measure_id
            JOIN dimension_chart c ON c.dimension_guid = d.guid
            JOIN dimension_table tb ON tb.dimension_guid = d.guid
            JOIN dimension_categorisation dc ON dc.dimension_guid = d.guid
            UNION ALL
            SELECT concat_ws('|', ds.title, ds.publisher_id, m.slug, mv.version_major, mv.version_minor, l.position)
            FROM data_source_in_measure_version l JOIN data_source ds ON ds.id = l.data_source_id
            JOIN measure_version mv ON mv.id = l.measure_version_id JOIN measure m ON m.id = mv.measure_id
            UNION ALL
            SELECT concat_ws('|', u.guid, u.title, u.file_name, u.size_bytes) FROM upload u
        ) rows",
    )
    .get_result::<Fingerprint>(conn)
    .unwrap()
    .digest
}

#[test]
fn same_seed_gives_the_same_site_and_another_seed_does_not() {
    let options = SeedOptions {
        measures: 200,
        seed: 7,
    };
    let first = TestDatabase::new();
    let second = TestDatabase::new();
    let third = TestDatabase::new();
    let summary = seed(&mut first.conn(), options).unwrap();
    seed(&mut second.conn(), options).unwrap();
    seed(&mut third.conn(), SeedOptions { seed: 8, ..options }).unwrap();
    assert_eq!(
        content_fingerprint(&mut first.conn()),
        content_fingerprint(&mut second.conn())
    );
    assert_ne!(
        content_fingerprint(&mut first.conn()),
        content_fingerprint(&mut third.conn())
    );

    assert_eq!(summary.measures, 200);
    assert_eq!(summary.topics, 9, "8 public topics and the testing space");
    assert!(summary.versions >= 200 && summary.versions <= 600);
    assert!(summary.published_versions > 0 && summary.published_versions < summary.versions);
    assert!(summary.dimensions >= 2 * summary.versions);
}

#[test]
fn seeded_site_is_realistic() {
    let database = TestDatabase::new();
    let mut conn = database.conn();
    seed(
        &mut conn,
        SeedOptions {
            measures: 180,
            seed: 1,
        },
    )
    .unwrap();

    // The first measures carry the real 2019 titles, with their real dimension titles.
    let absence: i64 = count(&mut conn, "SELECT count(*) AS n FROM measure_version mv JOIN dimension d ON d.measure_version_id = mv.id
         WHERE mv.title = 'Absence from school' AND d.title = 'Persistent absence by ethnicity'");
    assert!(absence >= 1);

    // Every status occurs, every version has 1 or 2 data sources and an upload, and every
    // measure has exactly one latest version.
    let statuses: Vec<String> =
        diesel::sql_query("SELECT DISTINCT status AS name FROM measure_version ORDER BY 1")
            .load::<Name>(&mut conn)
            .unwrap()
            .into_iter()
            .map(|row| row.name)
            .collect();
    assert_eq!(
        statuses,
        [
            "APPROVED",
            "DEPARTMENT_REVIEW",
            "DRAFT",
            "INTERNAL_REVIEW",
            "REJECTED"
        ]
    );
    let badly_sourced: i64 = count(&mut conn, "SELECT count(*) AS n FROM measure_version mv WHERE
           (SELECT count(*) FROM data_source_in_measure_version l WHERE l.measure_version_id = mv.id) NOT IN (1, 2)
           OR NOT EXISTS (SELECT 1 FROM upload u WHERE u.measure_version_id = mv.id)");
    assert_eq!(badly_sourced, 0);
    let without_latest: i64 = count(
        &mut conn,
        "SELECT count(*) AS n FROM measure m WHERE NOT EXISTS
           (SELECT 1 FROM measure_version mv WHERE mv.measure_id = m.id AND mv.latest)",
    );
    assert_eq!(without_latest, 0);

    // The dashboards have something to show.
    almanac_content::db::refresh_dashboard_views(&mut conn).unwrap();
    let groups: i64 = count(
        &mut conn,
        "SELECT count(*) AS n FROM ethnic_groups_by_dimension",
    );
    assert!(groups > 0);
}

#[test]
fn refuses_a_database_that_already_has_content() {
    let database = TestDatabase::new();
    let mut conn = database.conn();
    seed(
        &mut conn,
        SeedOptions {
            measures: 3,
            seed: 1,
        },
    )
    .unwrap();
    let again = seed(
        &mut conn,
        SeedOptions {
            measures: 3,
            seed: 1,
        },
    );
    assert!(matches!(again, Err(SeedError::NotEmpty(3))), "{again:?}");
}

#[test]
fn needs_reference_data() {
    let database = TestDatabase::empty();
    let mut conn = database.conn();
    almanac_content::db::run_pending_migrations(&mut conn).unwrap();
    let result = seed(
        &mut conn,
        SeedOptions {
            measures: 3,
            seed: 1,
        },
    );
    let message = result.unwrap_err().to_string();
    assert_eq!(
        message,
        "reference data is missing: run `site-builder load-reference` first"
    );
}

/// The single `n` that a `SELECT count(*) AS n …` query returns.
fn count(conn: &mut PgConnection, query: &str) -> i64 {
    diesel::sql_query(query)
        .get_result::<Count>(conn)
        .unwrap()
        .n
}

#[test]
fn names_a_missing_topic() {
    let database = TestDatabase::new();
    let mut conn = database.conn();
    diesel::sql_query("INSERT INTO topic (slug, title) VALUES ('health', 'Health')")
        .execute(&mut conn)
        .unwrap();
    let message = seed(
        &mut conn,
        SeedOptions {
            measures: 3,
            seed: 1,
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        message.contains("not “crime-justice-and-the-law” with subtopics"),
        "{message}"
    );
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}
