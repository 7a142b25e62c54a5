//! Deleting versions and measures, archiving and copying, against a real Postgres.

use almanac_accounts::audit::Origin;
use almanac_content::models::User;
use almanac_content::schema::{build, dimension, measure, measure_version};
use almanac_content::{UpdateKind, UserType};
use almanac_editorial::lifecycle::{
    Deleted, LifecycleError, archive, copy_measure, delete_version,
};
use almanac_editorial::versions::create_update;
use almanac_test_support::TestDatabase;
use almanac_test_support::fixtures::page;
use chrono::Utc;
use diesel::pg::PgConnection;
use diesel::prelude::*;

fn user(conn: &mut PgConnection, email: &str, user_type: UserType) -> User {
    almanac_test_support::fixtures::account(conn, email, user_type)
}

#[test]
fn deleting_a_first_version_deletes_the_measure_and_a_later_one_restores_latest() {
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let editor = user(conn, "editor@x.gov.uk", UserType::CentralEditor);
    let draft = page(conn, "health", "DRAFT", true);
    assert_eq!(
        delete_version(conn, &editor, &Origin::default(), draft.version_id).unwrap(),
        Deleted::Measure
    );
    let left: i64 = measure::table
        .find(draft.measure_id)
        .count()
        .get_result(conn)
        .unwrap();
    assert_eq!(left, 0);

    let published = page(conn, "health", "APPROVED", true);
    assert!(matches!(
        delete_version(conn, &editor, &Origin::default(), published.version_id),
        Err(LifecycleError::NotDraft)
    ));
    let update = create_update(
        conn,
        &editor,
        &Origin::default(),
        published.version_id,
        UpdateKind::Minor,
        Utc::now(),
    )
    .unwrap();
    assert_eq!(
        delete_version(conn, &editor, &Origin::default(), update.version.id).unwrap(),
        Deleted::Version {
            latest_id: published.version_id
        }
    );
    let latest: bool = measure_version::table
        .find(published.version_id)
        .select(measure_version::latest)
        .first(conn)
        .unwrap();
    assert!(latest);
    let dept = user(conn, "dept@x.gov.uk", UserType::Departmental);
    let another = page(conn, "health", "DRAFT", true);
    assert!(matches!(
        delete_version(conn, &dept, &Origin::default(), another.version_id),
        Err(LifecycleError::Forbidden)
    ));
}

#[test]
fn archiving_hides_a_measure_points_to_its_replacement_and_requests_a_build() {
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let admin = user(conn, "admin@x.gov.uk", UserType::Admin);
    let editor = user(conn, "editor@x.gov.uk", UserType::CentralEditor);
    let old = page(conn, "health", "APPROVED", true);
    let new = page(conn, "health", "APPROVED", true);
    assert!(matches!(
        archive(conn, &editor, &Origin::default(), old.measure_id, None),
        Err(LifecycleError::Forbidden)
    ));
    assert!(matches!(
        archive(
            conn,
            &admin,
            &Origin::default(),
            old.measure_id,
            Some(old.measure_id)
        ),
        Err(LifecycleError::Invalid(_))
    ));
    assert!(matches!(
        archive(
            conn,
            &admin,
            &Origin::default(),
            old.measure_id,
            Some(999_999)
        ),
        Err(LifecycleError::Invalid(_))
    ));
    archive(
        conn,
        &admin,
        &Origin::default(),
        old.measure_id,
        Some(new.measure_id),
    )
    .unwrap();
    let (retired, replaced_by): (bool, Option<i32>) = measure::table
        .find(old.measure_id)
        .select((measure::retired, measure::replaced_by_measure_id))
        .first(conn)
        .unwrap();
    assert!(retired);
    assert_eq!(replaced_by, Some(new.measure_id));
    let builds: i64 = build::table.count().get_result(conn).unwrap();
    assert_eq!(builds, 1);
    // An archived measure cannot be named as a replacement.
    let third = page(conn, "health", "APPROVED", true);
    assert!(
        archive(
            conn,
            &admin,
            &Origin::default(),
            third.measure_id,
            Some(old.measure_id)
        )
        .is_err()
    );
}

#[test]
fn developers_copy_a_measure_as_a_new_draft() {
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let developer = user(conn, "dev@x.gov.uk", UserType::Developer);
    let admin = user(conn, "admin@x.gov.uk", UserType::Admin);
    let source = page(conn, "health", "APPROVED", true);
    assert!(matches!(
        copy_measure(
            conn,
            &admin,
            &Origin::default(),
            source.version_id,
            Utc::now()
        ),
        Err(LifecycleError::Forbidden)
    ));
    let copy = copy_measure(
        conn,
        &developer,
        &Origin::default(),
        source.version_id,
        Utc::now(),
    )
    .unwrap();
    assert_eq!(copy.title, "COPY OF Employment by ethnicity");
    assert_eq!(
        (copy.version_major, copy.version_minor, copy.status.as_str()),
        (1, 0, "DRAFT")
    );
    let slug: String = measure::table
        .find(copy.measure_id)
        .select(measure::slug)
        .first(conn)
        .unwrap();
    assert!(slug.ends_with("-copy"), "{slug}");
    let dimensions: i64 = dimension::table
        .filter(dimension::measure_version_id.eq(copy.id))
        .count()
        .get_result(conn)
        .unwrap();
    assert_eq!(dimensions, 1);
    let again = copy_measure(
        conn,
        &developer,
        &Origin::default(),
        source.version_id,
        Utc::now(),
    )
    .unwrap();
    let slug_again: String = measure::table
        .find(again.measure_id)
        .select(measure::slug)
        .first(conn)
        .unwrap();
    assert_eq!(slug_again, format!("{slug}-copy"));
}

#[test]
fn measures_move_up_and_down_within_their_subtopic_with_a_build() {
    use almanac_editorial::lifecycle::move_measure;
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let admin = user(conn, "admin@x.gov.uk", UserType::Admin);
    let editor = user(conn, "editor@x.gov.uk", UserType::CentralEditor);
    let pages: Vec<i32> = (0..3)
        .map(|_| page(conn, "health", "APPROVED", true).measure_id)
        .collect();
    let order = |conn: &mut PgConnection| -> Vec<i32> {
        measure::table
            .order((measure::position, measure::id))
            .select(measure::id)
            .load(conn)
            .unwrap()
    };
    assert!(matches!(
        move_measure(conn, &editor, &Origin::default(), pages[2], true),
        Err(LifecycleError::Forbidden)
    ));
    move_measure(conn, &admin, &Origin::default(), pages[2], true).unwrap();
    assert_eq!(order(conn), [pages[0], pages[2], pages[1]]);
    move_measure(conn, &admin, &Origin::default(), pages[0], false).unwrap();
    assert_eq!(order(conn), [pages[2], pages[0], pages[1]]);
    assert!(matches!(
        move_measure(conn, &admin, &Origin::default(), pages[2], true),
        Err(LifecycleError::Invalid("This page is already first"))
    ));
    let builds: i64 = build::table.count().get_result(conn).unwrap();
    assert_eq!(builds, 2);
}
