//! Publishing at a set time against a real Postgres: setting, moving and cancelling a time,
//! the refusals, and exactly one publish (and one build request) per schedule however many
//! workers run the job at once.

use almanac_accounts::audit::Origin;
use almanac_content::models::MeasureVersion;
use almanac_content::schema::{build, measure_version, users};
use almanac_content::{PublishStatus, UserType};
use almanac_editorial::review::ReviewLinks;
use almanac_editorial::scheduled_publishing::{
    ScheduleError, ScheduledOutcome, cancel, publish_due, schedule,
};
use almanac_editorial::workflow::{Action, apply};
use almanac_test_support::TestDatabase;
use almanac_test_support::fixtures::{account, page};
use chrono::{Duration, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;

fn links() -> ReviewLinks {
    ReviewLinks {
        keys: almanac_accounts::SecretKey::new(b"editorial-test-secret-key-0123456789").unwrap(),
        lifetime: Duration::days(14),
    }
}

fn version(conn: &mut PgConnection, id: i32) -> MeasureVersion {
    measure_version::table
        .find(id)
        .select(MeasureVersion::as_select())
        .first(conn)
        .unwrap()
}

fn build_count(conn: &mut PgConnection) -> i64 {
    build::table.count().get_result(conn).unwrap()
}

#[test]
fn a_scheduled_version_is_published_once_when_its_time_comes() {
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let admin = account(conn, "admin@x.gov.uk", UserType::Admin);
    let page = page(conn, "health", "DEPARTMENT_REVIEW", true);
    let now = Utc::now();
    let at = now + Duration::hours(3);

    let scheduled = schedule(conn, &admin, &Origin::default(), page.version_id, at, now).unwrap();
    assert_eq!(
        scheduled.publish_scheduled_at.map(|t| t.timestamp()),
        Some(at.timestamp())
    );
    assert_eq!(
        scheduled.publish_scheduled_by.as_deref(),
        Some("admin@x.gov.uk")
    );
    assert_eq!(scheduled.status(), PublishStatus::DepartmentReview);

    // Not yet due: nothing happens, however often the job runs.
    for minutes in [0, 60, 179] {
        let outcomes = publish_due(conn, now + Duration::minutes(minutes)).unwrap();
        assert!(outcomes.is_empty());
    }
    assert_eq!(build_count(conn), 0);

    let outcomes = publish_due(conn, at + Duration::seconds(1)).unwrap();
    assert_eq!(
        outcomes,
        [ScheduledOutcome::Published {
            version_id: page.version_id,
            title: "Employment by ethnicity".to_owned()
        }]
    );
    let published = version(conn, page.version_id);
    assert_eq!(published.status(), PublishStatus::Approved);
    assert_eq!(published.published_by.as_deref(), Some("admin@x.gov.uk"));
    assert_eq!(
        published.publish_scheduled_at, None,
        "the schedule is used up"
    );
    assert_eq!(build_count(conn), 1);

    // A later run (a restart, another worker) finds nothing left to do.
    assert!(
        publish_due(conn, at + Duration::minutes(5))
            .unwrap()
            .is_empty()
    );
    assert_eq!(build_count(conn), 1);
}

#[test]
fn schedules_are_refused_too_soon_outside_review_and_to_non_publishers_and_can_be_cancelled() {
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let admin = account(conn, "admin@x.gov.uk", UserType::Admin);
    let editor = account(conn, "editor@x.gov.uk", UserType::CentralEditor);
    let in_review = page(conn, "health", "DEPARTMENT_REVIEW", true);
    let draft = page(conn, "housing", "DRAFT", true);
    let now = Utc::now();
    let origin = Origin::default();

    assert!(matches!(
        schedule(
            conn,
            &admin,
            &origin,
            in_review.version_id,
            now + Duration::seconds(30),
            now
        ),
        Err(ScheduleError::TooSoon)
    ));
    assert!(matches!(
        schedule(
            conn,
            &admin,
            &origin,
            draft.version_id,
            now + Duration::hours(1),
            now
        ),
        Err(ScheduleError::NotInReview("Draft"))
    ));
    assert!(matches!(
        schedule(
            conn,
            &editor,
            &origin,
            in_review.version_id,
            now + Duration::hours(1),
            now
        ),
        Err(ScheduleError::Forbidden)
    ));
    assert!(matches!(
        cancel(conn, &admin, &origin, in_review.version_id),
        Err(ScheduleError::NotScheduled)
    ));

    schedule(
        conn,
        &admin,
        &origin,
        in_review.version_id,
        now + Duration::hours(1),
        now,
    )
    .unwrap();
    let cancelled = cancel(conn, &admin, &origin, in_review.version_id).unwrap();
    assert_eq!(cancelled.publish_scheduled_at, None);
    assert!(
        publish_due(conn, now + Duration::hours(2))
            .unwrap()
            .is_empty()
    );

    // Leaving department review (a rejection) clears the time with it.
    schedule(
        conn,
        &admin,
        &origin,
        in_review.version_id,
        now + Duration::hours(1),
        now,
    )
    .unwrap();
    apply(
        conn,
        &admin,
        &origin,
        in_review.version_id,
        Action::Reject,
        &links(),
        now,
    )
    .unwrap();
    assert_eq!(
        version(conn, in_review.version_id).publish_scheduled_at,
        None
    );
    assert!(
        publish_due(conn, now + Duration::hours(2))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_schedule_set_by_someone_since_deactivated_is_cleared_not_published() {
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let admin = account(conn, "admin@x.gov.uk", UserType::Admin);
    let page = page(conn, "health", "DEPARTMENT_REVIEW", true);
    let now = Utc::now();
    schedule(
        conn,
        &admin,
        &Origin::default(),
        page.version_id,
        now + Duration::hours(1),
        now,
    )
    .unwrap();
    diesel::update(users::table.filter(users::email.eq("admin@x.gov.uk")))
        .set(users::active.eq(false))
        .execute(conn)
        .unwrap();
    let outcomes = publish_due(conn, now + Duration::hours(2)).unwrap();
    assert!(matches!(
        &outcomes[..],
        [ScheduledOutcome::Refused { reason, .. }] if reason.contains("no longer has an active account")
    ));
    let kept = version(conn, page.version_id);
    assert_eq!(kept.status(), PublishStatus::DepartmentReview);
    assert_eq!(kept.publish_scheduled_at, None);
    assert_eq!(build_count(conn), 0);
}

#[test]
fn two_workers_running_the_job_together_publish_each_version_exactly_once() {
    let database = TestDatabase::new();
    let now = Utc::now();
    let at = now + Duration::minutes(10);
    let mut version_ids = Vec::new();
    {
        let conn = &mut database.conn();
        let admin = account(conn, "admin@x.gov.uk", UserType::Admin);
        for topic in ["health", "housing", "crime", "education", "work", "culture"] {
            let page = page(conn, topic, "DEPARTMENT_REVIEW", true);
            schedule(conn, &admin, &Origin::default(), page.version_id, at, now).unwrap();
            version_ids.push(page.version_id);
        }
    }
    let published: Vec<ScheduledOutcome> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let conn = &mut database.conn();
                    let mut mine = Vec::new();
                    // Each worker runs the job repeatedly across the due time.
                    for seconds in 0..5 {
                        mine.extend(publish_due(conn, at + Duration::seconds(seconds)).unwrap());
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let mut ids: Vec<i32> = published
        .iter()
        .map(|outcome| match outcome {
            ScheduledOutcome::Published { version_id, .. } => *version_id,
            other => panic!("{other:?}"),
        })
        .collect();
    ids.sort();
    assert_eq!(ids, version_ids, "every version once, none twice");
    let conn = &mut database.conn();
    assert_eq!(build_count(conn), version_ids.len() as i64);
    let published_events: i64 = almanac_content::schema::audit_event::table
        .filter(almanac_content::schema::audit_event::action.eq("version_published"))
        .count()
        .get_result(conn)
        .unwrap();
    assert_eq!(published_events, version_ids.len() as i64);
}
