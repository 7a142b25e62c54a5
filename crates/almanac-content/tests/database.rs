//! The schema on a real PostgreSQL: migrations, the generated schema file, the dashboard
//! views, reference data and the constraints that carry domain rules.

use almanac_content::dashboard_views::{
    classifications_by_dimension, ethnic_groups_by_dimension, latest_published_measure_versions,
    latest_published_measure_versions_by_geography,
};
use almanac_content::db;
use almanac_content::reference::load_reference_data;
use almanac_content::schema::{build, measure, measure_version, subtopic, topic};
use almanac_test_support::TestDatabase;
use diesel::prelude::*;

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

fn relations(conn: &mut PgConnection) -> Vec<String> {
    diesel::sql_query(
        "SELECT c.relname::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'm', 'v') AND c.relname <> '__diesel_schema_migrations'
         ORDER BY 1",
    )
    .load::<Name>(conn)
    .unwrap()
    .into_iter()
    .map(|row| row.name)
    .collect()
}

#[test]
fn migrations_go_up_down_and_up_again() {
    let database = TestDatabase::empty();
    let mut conn = database.conn();
    let migrations = db::pending_migrations(&mut conn).unwrap().len();
    assert!(migrations >= 5);
    let applied = db::run_pending_migrations(&mut conn).unwrap();
    assert_eq!(applied.len(), migrations);
    let created = relations(&mut conn);
    for expected in [
        "measure_version",
        "users",
        "audit_event",
        "build",
        "ethnic_groups_by_dimension",
    ] {
        assert!(
            created.iter().any(|name| name == expected),
            "{expected} missing: {created:?}"
        );
    }
    let reverted = db::revert_all_migrations(&mut conn).unwrap();
    assert_eq!(reverted.len(), migrations);
    assert_eq!(
        relations(&mut conn),
        Vec::<String>::new(),
        "a down.sql left something behind"
    );
    db::run_pending_migrations(&mut conn).unwrap();
    assert_eq!(relations(&mut conn), created);
    assert!(db::pending_migrations(&mut conn).unwrap().is_empty());
}

/// `schema.rs` must be exactly what `diesel print-schema` makes of the migrations.
#[test]
fn schema_is_generated_from_migrations() {
    let database = TestDatabase::new();
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = std::process::Command::new("diesel")
        .args(["print-schema", "--database-url", database.url()])
        .current_dir(&workspace)
        .output()
        .expect("the diesel CLI runs (./dev test installs it: cargo install diesel_cli --version 2.3.4)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let generated = String::from_utf8(output.stdout).unwrap();
    let committed =
        std::fs::read_to_string(workspace.join("crates/almanac-content/src/schema.rs")).unwrap();
    assert!(
        generated == committed,
        "crates/almanac-content/src/schema.rs has drifted from the migrations: \
         regenerate it with `diesel print-schema > crates/almanac-content/src/schema.rs`"
    );
}

#[test]
fn dashboard_views_refresh_concurrently_and_match_their_definitions() {
    let database = TestDatabase::new();
    let mut conn = database.conn();
    almanac_seed_minimal(&mut conn);
    db::refresh_dashboard_views(&mut conn).unwrap();
    // Selecting every declared column proves the hand-written definitions match the views.
    let latest: Vec<(i32, i32, i32)> = latest_published_measure_versions::table
        .select((
            latest_published_measure_versions::measure_id,
            latest_published_measure_versions::version_major,
            latest_published_measure_versions::version_minor,
        ))
        .load(&mut conn)
        .unwrap();
    // 10.0 is newer than 9.0: versions compare as numbers.
    assert_eq!(latest, [(latest[0].0, 10, 0)]);
    latest_published_measure_versions::table
        .select(latest_published_measure_versions::all_columns)
        .load::<(
            i32,
            i32,
            i32,
            i32,
            String,
            Option<chrono::NaiveDate>,
            Option<String>,
        )>(&mut conn)
        .unwrap();
    assert_eq!(
        latest_published_measure_versions_by_geography::table
            .count()
            .get_result::<i64>(&mut conn)
            .unwrap(),
        1
    );
    ethnic_groups_by_dimension::table
        .select(ethnic_groups_by_dimension::ethnicity_value)
        .load::<String>(&mut conn)
        .unwrap();
    classifications_by_dimension::table
        .select(classifications_by_dimension::classification_id)
        .load::<String>(&mut conn)
        .unwrap();
}

/// One measure with versions 9.0 and 10.0 published and 10.1 in draft.
fn almanac_seed_minimal(conn: &mut PgConnection) {
    let topic_id: i32 = diesel::insert_into(topic::table)
        .values((topic::slug.eq("health"), topic::title.eq("Health")))
        .returning(topic::id)
        .get_result(conn)
        .unwrap();
    let subtopic_id: i32 = diesel::insert_into(subtopic::table)
        .values((
            subtopic::topic_id.eq(topic_id),
            subtopic::slug.eq("care"),
            subtopic::title.eq("Care"),
        ))
        .returning(subtopic::id)
        .get_result(conn)
        .unwrap();
    let measure_id: i32 = diesel::insert_into(measure::table)
        .values((
            measure::subtopic_id.eq(subtopic_id),
            measure::slug.eq("waiting-times"),
        ))
        .returning(measure::id)
        .get_result(conn)
        .unwrap();
    let today = chrono::Utc::now().date_naive();
    for (major, minor, status, latest) in [
        (9, 0, "APPROVED", false),
        (10, 0, "APPROVED", false),
        (10, 1, "DRAFT", true),
    ] {
        diesel::insert_into(measure_version::table)
            .values((
                measure_version::measure_id.eq(measure_id),
                measure_version::version_major.eq(major),
                measure_version::version_minor.eq(minor),
                measure_version::status.eq(status),
                measure_version::latest.eq(latest),
                measure_version::title.eq("Waiting times"),
                measure_version::published_at.eq((status == "APPROVED").then_some(today)),
                measure_version::lowest_level_of_geography_id.eq("Region"),
            ))
            .execute(conn)
            .unwrap();
    }
}

#[test]
fn reference_data_loads_idempotently() {
    let database = TestDatabase::new(); // the template already holds one load
    let mut conn = database.conn();
    let first = load_reference_data(&mut conn).unwrap();
    let second = load_reference_data(&mut conn).unwrap();
    assert_eq!(first, second);
    assert_eq!(first.organisations, 1042);
    assert_eq!(first.classifications, 21);
    assert_eq!(first.frequencies_of_release, 11);
    assert_eq!(first.levels_of_geography, 9);
    assert!(first.lookup_entries >= 280);
}

#[test]
fn constraints_carry_the_domain_rules() {
    let database = TestDatabase::new();
    let mut conn = database.conn();
    almanac_seed_minimal(&mut conn);

    // One latest version per measure.
    let duplicate_latest =
        diesel::sql_query("UPDATE measure_version SET latest = true").execute(&mut conn);
    assert!(duplicate_latest.is_err());

    // Published versions have a publication date.
    let undated = diesel::sql_query(
        "UPDATE measure_version SET published_at = NULL WHERE status = 'APPROVED'",
    )
    .execute(&mut conn);
    assert!(undated.is_err());

    // Unknown statuses and areas are refused.
    assert!(
        diesel::sql_query("UPDATE measure_version SET status = 'PUBLISHED'")
            .execute(&mut conn)
            .is_err()
    );
    assert!(
        diesel::sql_query("UPDATE measure_version SET area_covered = '{MARS}'")
            .execute(&mut conn)
            .is_err()
    );

    // The audit log is append-only.
    diesel::sql_query("INSERT INTO audit_event (action) VALUES ('login')")
        .execute(&mut conn)
        .unwrap();
    assert!(
        diesel::sql_query("UPDATE audit_event SET action = 'x'")
            .execute(&mut conn)
            .is_err()
    );
    assert!(
        diesel::sql_query("DELETE FROM audit_event")
            .execute(&mut conn)
            .is_err()
    );
    assert!(
        diesel::sql_query("TRUNCATE audit_event")
            .execute(&mut conn)
            .is_err()
    );

    // At most one build runs at a time.
    for _ in 0..2 {
        diesel::insert_into(build::table)
            .values((build::requested_by.eq("test"), build::reason.eq("test")))
            .execute(&mut conn)
            .unwrap();
    }
    let started = diesel::update(build::table)
        .set(build::status.eq("STARTED"))
        .execute(&mut conn);
    assert!(started.is_err(), "two builds marked STARTED at once");
}
