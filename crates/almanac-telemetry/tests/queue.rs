//! The build queue read from a real database, as the health checks and `/metrics` show it.

use almanac_content::schema::build;
use almanac_telemetry::{LeaseState, Metrics, QueueState};
use almanac_test_support::TestDatabase;
use chrono::{Duration, Utc};
use diesel::prelude::*;

#[test]
fn an_empty_queue() {
    let database = TestDatabase::new();
    let queue = QueueState::read(&mut database.conn(), Utc::now()).unwrap();
    assert_eq!(queue.pending, 0);
    assert_eq!(queue.oldest_pending_age_seconds, None);
    assert_eq!(queue.started, None);
}

#[test]
fn pending_requests_their_age_and_a_running_build_whose_lease_ran_out() {
    let database = TestDatabase::new();
    let mut conn = database.conn();
    let now = Utc::now();
    for (minutes_ago, status) in [
        (30, "PENDING"),
        (5, "PENDING"),
        (60, "DONE"),
        (50, "FAILED"),
    ] {
        diesel::insert_into(build::table)
            .values((
                build::requested_by.eq("test"),
                build::reason.eq("test"),
                build::status.eq(status),
                build::created_at.eq(now - Duration::minutes(minutes_ago)),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    let running: uuid::Uuid = diesel::insert_into(build::table)
        .values((
            build::requested_by.eq("test"),
            build::reason.eq("test"),
            build::status.eq("STARTED"),
            build::builder.eq("worker-1"),
            build::fence.eq(1_i64),
            build::started_at.eq(now - Duration::minutes(4)),
            build::lease_expires_at.eq(now - Duration::minutes(1)),
        ))
        .returning(build::id)
        .get_result(&mut conn)
        .unwrap();

    let queue = QueueState::read(&mut conn, now).unwrap();
    assert_eq!(queue.pending, 2);
    let age = queue.oldest_pending_age_seconds.unwrap();
    assert!((1799.0..=1801.0).contains(&age), "{age}");
    let started = queue.started.as_ref().expect("the running build");
    assert_eq!(started.id, running);
    assert_eq!(started.builder.as_deref(), Some("worker-1"));
    assert_eq!(started.lease, LeaseState::Expired);
    assert_eq!(queue.by_status["DONE"], 1);

    let earlier = QueueState::read(&mut conn, now - Duration::minutes(2)).unwrap();
    assert_eq!(earlier.started.unwrap().lease, LeaseState::Held);

    let json = serde_json::to_value(&queue).unwrap();
    assert_eq!(json["pending"], 2);
    assert_eq!(json["started"]["lease"], "expired");
    assert_eq!(json["started"]["builder"], "worker-1");

    let metrics = Metrics::new();
    metrics.set_queue(Some(&queue));
    let text = metrics.encode();
    assert!(
        text.contains(r#"almanac_builds{status="PENDING"} 2"#),
        "{text}"
    );
    assert!(text.contains("almanac_build_lease_expired 1"), "{text}");
}
