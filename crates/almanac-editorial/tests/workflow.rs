//! The workflow and versioning against a real Postgres: the model's key behaviours (§11 of
//! the inventory: publishing, refusals, send-to-review checks, copy semantics) and ours
//! (unpublish, audit events, the build request in the same transaction).

use almanac_accounts::audit::Origin;
use almanac_accounts::users::set_shared;
use almanac_content::models::{MeasureVersion, User};
use almanac_content::schema::{audit_event, build, measure_version};
use almanac_content::{PublishStatus, UpdateKind, UserType};
use almanac_editorial::review::{self, ReviewError, ReviewLinks};
use almanac_editorial::versions::{FileCopy, VersionError, create_update};
use almanac_editorial::workflow::{Action, WorkflowError, apply, available_actions};
use almanac_test_support::TestDatabase;
use chrono::Utc;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::Int4;

use almanac_test_support::fixtures::{self, page};

fn links() -> ReviewLinks {
    ReviewLinks {
        keys: almanac_accounts::SecretKey::new(b"editorial-test-secret-key-0123456789").unwrap(),
        lifetime: chrono::Duration::days(14),
    }
}

fn user(conn: &mut PgConnection, email: &str, user_type: UserType) -> User {
    almanac_test_support::fixtures::account(conn, email, user_type)
}

fn version(conn: &mut PgConnection, id: i32) -> MeasureVersion {
    measure_version::table
        .find(id)
        .select(MeasureVersion::as_select())
        .first(conn)
        .unwrap()
}

fn builds(conn: &mut PgConnection) -> Vec<(String, String)> {
    build::table
        .select((build::requested_by, build::reason))
        .load(conn)
        .unwrap()
}

#[test]
fn an_admin_publishes_a_page_in_department_review_and_one_build_is_requested() {
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let admin = user(conn, "admin@x.gov.uk", UserType::Admin);
    let page = page(conn, "health", "DEPARTMENT_REVIEW", true);
    let published = apply(
        conn,
        &admin,
        &Origin::default(),
        page.version_id,
        Action::Publish,
        &links(),
        Utc::now(),
    )
    .unwrap();
    assert_eq!(published.status(), PublishStatus::Approved);
    assert_eq!(published.published_by.as_deref(), Some("admin@x.gov.uk"));
    assert_eq!(published.last_updated_by.as_deref(), Some("admin@x.gov.uk"));
    assert_eq!(published.published_at, Some(Utc::now().date_naive()));
    assert!(published.latest);
    assert_eq!(
        builds(conn),
        [(
            "admin@x.gov.uk".to_owned(),
            "published “Employment by ethnicity” version 1.0".to_owned()
        )]
    );
    let actions: Vec<String> = audit_event::table
        .select(audit_event::action)
        .load(conn)
        .unwrap();
    assert_eq!(actions, ["version_published"]);
}

#[test]
fn publishing_is_refused_from_the_wrong_status_and_to_non_publishers() {
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let admin = user(conn, "admin@x.gov.uk", UserType::Admin);
    for status in ["DRAFT", "INTERNAL_REVIEW", "APPROVED", "REJECTED"] {
        let page = page(conn, "health", status, true);
        let refused = apply(
            conn,
            &admin,
            &Origin::default(),
            page.version_id,
            Action::Publish,
            &links(),
            Utc::now(),
        );
        assert!(
            matches!(refused, Err(WorkflowError::NotAllowed { .. })),
            "{status}: {refused:?}"
        );
        assert_eq!(version(conn, page.version_id).status, status);
    }
    let editor = user(conn, "editor@x.gov.uk", UserType::CentralEditor);
    let dept = user(conn, "dept@x.gov.uk", UserType::Departmental);
    let page = page(conn, "health", "DEPARTMENT_REVIEW", true);
    set_shared(
        conn,
        &Origin::default(),
        &admin,
        dept.id,
        page.measure_id,
        true,
    )
    .unwrap();
    for who in [&editor, &dept] {
        let refused = apply(
            conn,
            who,
            &Origin::default(),
            page.version_id,
            Action::Publish,
            &links(),
            Utc::now(),
        );
        assert!(
            matches!(refused, Err(WorkflowError::Forbidden(_))),
            "{refused:?}"
        );
    }
    assert!(builds(conn).is_empty());
    // A departmental user may reject a shared page, but not an unshared one.
    let other = page_for(conn);
    assert!(matches!(
        apply(
            conn,
            &dept,
            &Origin::default(),
            other,
            Action::Reject,
            &links(),
            Utc::now()
        ),
        Err(WorkflowError::Forbidden(_))
    ));
    assert!(
        apply(
            conn,
            &dept,
            &Origin::default(),
            page.version_id,
            Action::Reject,
            &links(),
            Utc::now()
        )
        .is_ok()
    );
}

fn page_for(conn: &mut PgConnection) -> i32 {
    page(conn, "housing", "DEPARTMENT_REVIEW", true).version_id
}

#[test]
fn sending_to_review_needs_a_complete_page_with_data() {
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let editor = user(conn, "editor@x.gov.uk", UserType::CentralEditor);
    let page = page(conn, "health", "DRAFT", false);
    let refused = apply(
        conn,
        &editor,
        &Origin::default(),
        page.version_id,
        Action::SendToInternalReview,
        &links(),
        Utc::now(),
    );
    let Err(WorkflowError::Incomplete(problems)) = refused else {
        panic!("{refused:?}")
    };
    let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(
        messages,
        ["Upload the source data", "Add at least one data source"]
    );

    diesel::sql_query(format!(
        "UPDATE measure_version SET summary = '  ', area_covered = '{{}}' WHERE id = {}",
        page.version_id
    ))
    .execute(conn)
    .unwrap();
    diesel::sql_query(format!(
        "UPDATE dimension SET summary = NULL WHERE measure_version_id = {}",
        page.version_id
    ))
    .execute(conn)
    .unwrap();
    let Err(WorkflowError::Incomplete(problems)) = apply(
        conn,
        &editor,
        &Origin::default(),
        page.version_id,
        Action::SendToInternalReview,
        &links(),
        Utc::now(),
    ) else {
        panic!()
    };
    let fields: Vec<&str> = problems.iter().map(|p| p.field).collect();
    assert_eq!(
        fields,
        [
            "area_covered",
            "summary",
            "dimensions",
            "uploads",
            "data_sources"
        ]
    );

    let complete = fixtures::page(conn, "health", "DRAFT", true);
    let lock_before = version(conn, complete.version_id).lock_version;
    let reviewed = apply(
        conn,
        &editor,
        &Origin::default(),
        complete.version_id,
        Action::SendToInternalReview,
        &links(),
        Utc::now(),
    )
    .unwrap();
    assert_eq!(reviewed.status(), PublishStatus::InternalReview);
    assert_eq!(
        reviewed.lock_version,
        lock_before + 1,
        "every change bumps the lock"
    );
    // From internal to department review there is nothing more to check.
    let department = apply(
        conn,
        &editor,
        &Origin::default(),
        complete.version_id,
        Action::SendToDepartmentReview,
        &links(),
        Utc::now(),
    )
    .unwrap();
    assert_eq!(department.status(), PublishStatus::DepartmentReview);
    // Rejected pages go back to draft.
    apply(
        conn,
        &editor,
        &Origin::default(),
        complete.version_id,
        Action::Reject,
        &links(),
        Utc::now(),
    )
    .unwrap();
    let draft = apply(
        conn,
        &editor,
        &Origin::default(),
        complete.version_id,
        Action::ReturnToDraft,
        &links(),
        Utc::now(),
    )
    .unwrap();
    assert_eq!(draft.status(), PublishStatus::Draft);
    assert!(builds(conn).is_empty(), "no build for review steps");
}

#[test]
fn uploads_that_have_not_passed_their_scan_block_review() {
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let editor = user(conn, "editor@x.gov.uk", UserType::CentralEditor);
    let page = page(conn, "health", "DRAFT", true);
    diesel::sql_query(format!(
        "UPDATE upload SET scan_status = 'PENDING' WHERE measure_version_id = {}",
        page.version_id
    ))
    .execute(conn)
    .unwrap();
    let Err(WorkflowError::Incomplete(problems)) = apply(
        conn,
        &editor,
        &Origin::default(),
        page.version_id,
        Action::SendToInternalReview,
        &links(),
        Utc::now(),
    ) else {
        panic!()
    };
    assert_eq!(
        problems[0].message,
        "Wait for every upload to pass its virus scan, or remove it"
    );
}

#[test]
fn unpublishing_takes_the_page_off_the_site_with_a_build() {
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let admin = user(conn, "admin@x.gov.uk", UserType::Admin);
    let editor = user(conn, "editor@x.gov.uk", UserType::CentralEditor);
    let page = page(conn, "health", "APPROVED", true);
    assert!(matches!(
        apply(
            conn,
            &editor,
            &Origin::default(),
            page.version_id,
            Action::Unpublish,
            &links(),
            Utc::now()
        ),
        Err(WorkflowError::Forbidden(_))
    ));
    let draft = apply(
        conn,
        &admin,
        &Origin::default(),
        page.version_id,
        Action::Unpublish,
        &links(),
        Utc::now(),
    )
    .unwrap();
    assert_eq!(draft.status(), PublishStatus::Draft);
    assert_eq!(draft.published_at, None);
    assert_eq!(draft.published_by, None);
    assert_eq!(
        builds(conn),
        [(
            "admin@x.gov.uk".to_owned(),
            "unpublished “Employment by ethnicity” version 1.0".to_owned()
        )]
    );
}

#[test]
fn the_testing_space_has_no_workflow() {
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let admin = user(conn, "admin@x.gov.uk", UserType::Admin);
    let page = page(conn, "testing-space", "DEPARTMENT_REVIEW", true);
    assert!(matches!(
        apply(
            conn,
            &admin,
            &Origin::default(),
            page.version_id,
            Action::Publish,
            &links(),
            Utc::now()
        ),
        Err(WorkflowError::TestingSpace)
    ));
    assert!(available_actions(&admin, PublishStatus::DepartmentReview, true).is_empty());
    assert_eq!(
        available_actions(&admin, PublishStatus::DepartmentReview, false),
        [Action::Publish, Action::Reject]
    );
    let editor = user(conn, "editor@x.gov.uk", UserType::CentralEditor);
    assert_eq!(
        available_actions(&editor, PublishStatus::DepartmentReview, false),
        [Action::Reject]
    );
}

#[derive(QueryableByName, Debug, PartialEq)]
struct Counts {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    dimensions: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    charts: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    uploads: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    sources: i64,
}

fn counts(conn: &mut PgConnection, version_id: i32) -> Counts {
    diesel::sql_query(
        "SELECT (SELECT count(*) FROM dimension WHERE measure_version_id = $1) AS dimensions,
                (SELECT count(*) FROM dimension_chart c JOIN dimension d ON d.guid = c.dimension_guid WHERE d.measure_version_id = $1) AS charts,
                (SELECT count(*) FROM upload WHERE measure_version_id = $1) AS uploads,
                (SELECT count(*) FROM data_source_in_measure_version WHERE measure_version_id = $1) AS sources",
    )
    .bind::<Int4, _>(version_id)
    .get_result(conn)
    .unwrap()
}

#[test]
fn minor_updates_keep_the_data_and_major_updates_start_without_it() {
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let editor = user(conn, "editor@x.gov.uk", UserType::CentralEditor);
    let page = page(conn, "health", "APPROVED", true);
    let minor = create_update(
        conn,
        &editor,
        &Origin::default(),
        page.version_id,
        UpdateKind::Minor,
        Utc::now(),
    )
    .unwrap();
    let v = &minor.version;
    assert_eq!((v.version_major, v.version_minor), (1, 1));
    assert_eq!(v.status(), PublishStatus::Draft);
    assert!(v.latest && !version(conn, page.version_id).latest);
    assert_eq!(v.title, "Employment by ethnicity");
    assert_eq!(
        (v.external_edit_summary.as_deref(), v.published_at),
        (None, None)
    );
    assert_eq!(
        counts(conn, v.id),
        Counts {
            dimensions: 1,
            charts: 1,
            uploads: 1,
            sources: 1
        }
    );
    assert_eq!(
        minor.file_copies,
        [FileCopy {
            measure_id: page.measure_id,
            from_version: "1.0".into(),
            to_version: "1.1".into(),
            file_name: "data.csv".into()
        }]
    );
    // The dimensions are copies, not shared rows; the data source is the same row.
    let shared_guids: i64 = diesel::sql_query(format!(
        "SELECT count(*) AS count FROM dimension a JOIN dimension b ON a.guid = b.guid WHERE a.measure_version_id = {} AND b.measure_version_id = {}",
        page.version_id, v.id
    ))
    .get_result::<CountRow>(conn)
    .unwrap()
    .count;
    assert_eq!(shared_guids, 0);
    // Updating again while 1.1 exists is refused.
    assert!(matches!(
        create_update(
            conn,
            &editor,
            &Origin::default(),
            page.version_id,
            UpdateKind::Minor,
            Utc::now()
        ),
        Err(VersionError::AlreadyBeingUpdated(_))
    ));

    let other = fixtures::page(conn, "housing", "APPROVED", true);
    let major = create_update(
        conn,
        &editor,
        &Origin::default(),
        other.version_id,
        UpdateKind::Major,
        Utc::now(),
    )
    .unwrap();
    assert_eq!(
        (major.version.version_major, major.version.version_minor),
        (2, 0)
    );
    assert_eq!(
        counts(conn, major.version.id),
        Counts {
            dimensions: 1,
            charts: 1,
            uploads: 0,
            sources: 0
        }
    );
    assert!(major.file_copies.is_empty());
    // A draft cannot be updated.
    let draft = fixtures::page(conn, "housing", "DRAFT", true);
    assert!(matches!(
        create_update(
            conn,
            &editor,
            &Origin::default(),
            draft.version_id,
            UpdateKind::Minor,
            Utc::now()
        ),
        Err(VersionError::NotLatestPublished)
    ));
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    count: i64,
}

#[test]
fn department_review_makes_a_review_link_that_expires_and_is_revoked_by_a_new_one() {
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let editor = user(conn, "editor@x.gov.uk", UserType::CentralEditor);
    let page = page(conn, "health", "INTERNAL_REVIEW", true);
    // Postgres keeps microseconds.
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 6);
    let sent = apply(
        conn,
        &editor,
        &Origin::default(),
        page.version_id,
        Action::SendToDepartmentReview,
        &links(),
        now,
    )
    .unwrap();
    let token = sent.review_token.clone().expect("a review link");
    let expires = sent.review_token_expires_at.unwrap();
    assert_eq!(expires, now + chrono::Duration::days(14));
    assert_eq!(
        review::find(conn, &links().keys, &token, now).unwrap().id,
        page.version_id
    );
    assert!(matches!(
        review::find(conn, &links().keys, &token, expires),
        Err(ReviewError::InvalidLink)
    ));
    // Tampered with, or signed by another deployment.
    assert!(matches!(
        review::find(conn, &links().keys, &format!("{token}x"), now),
        Err(ReviewError::InvalidLink)
    ));
    let other = almanac_accounts::SecretKey::new(b"another-deployment-key-0123456789abc").unwrap();
    assert!(matches!(
        review::find(conn, &other, &token, now),
        Err(ReviewError::InvalidLink)
    ));
    // A new link revokes the old one.
    let (fresh, _) = review::issue(
        conn,
        &links(),
        Some(&editor),
        &Origin::default(),
        page.version_id,
        now,
    )
    .unwrap();
    assert!(matches!(
        review::find(conn, &links().keys, &token, now),
        Err(ReviewError::InvalidLink)
    ));
    assert!(review::find(conn, &links().keys, &fresh, now).is_ok());
    // Departmental users make links only for pages shared with them.
    let dept = user(conn, "dept@x.gov.uk", UserType::Departmental);
    assert!(matches!(
        review::issue(
            conn,
            &links(),
            Some(&dept),
            &Origin::default(),
            page.version_id,
            now
        ),
        Err(ReviewError::Forbidden)
    ));
}
