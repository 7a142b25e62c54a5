//! The build queue against a real Postgres: covering, leases, fencing, announcements, and two
//! builders racing over many requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use almanac_build::queue::{self, Outcome, QueueError};
use almanac_content::schema::build;
use almanac_test_support::TestDatabase;
use chrono::Utc;
use diesel::prelude::*;
use uuid::Uuid;

const LEASE: Duration = Duration::from_secs(30);

fn request(conn: &mut PgConnection, reason: &str) -> Uuid {
    diesel::insert_into(build::table)
        .values((build::requested_by.eq("test"), build::reason.eq(reason)))
        .returning(build::id)
        .get_result(conn)
        .unwrap()
}

fn status(conn: &mut PgConnection, id: Uuid) -> String {
    build::table
        .find(id)
        .select(build::status)
        .first(conn)
        .unwrap()
}

#[test]
fn a_claim_covers_every_older_request_and_runs_alone() {
    let database = TestDatabase::new();
    let mut conn = database.conn();
    let first = request(&mut conn, "one");
    let second = request(&mut conn, "two");
    let newest = request(&mut conn, "three");
    let claim = queue::claim(&mut conn, "builder-a", LEASE, Utc::now())
        .unwrap()
        .unwrap();
    assert_eq!(claim.build_id, newest);
    assert_eq!(claim.reason, "three");
    let mut covered = claim.covered.clone();
    covered.sort();
    let mut expected = vec![first, second];
    expected.sort();
    assert_eq!(covered, expected);
    assert_eq!(status(&mut conn, first), "SUPERSEDED");

    // While it runs, a new request waits.
    let later = request(&mut conn, "four");
    assert!(
        queue::claim(&mut conn, "builder-b", LEASE, Utc::now())
            .unwrap()
            .is_none()
    );
    queue::finish(
        &mut conn,
        &claim,
        &Outcome::Done {
            stats: serde_json::json!({ "files": 3 }),
        },
    )
    .unwrap();
    assert_eq!(status(&mut conn, newest), "DONE");
    let next = queue::claim(&mut conn, "builder-b", LEASE, Utc::now())
        .unwrap()
        .unwrap();
    assert_eq!(next.build_id, later);
    assert!(next.fence > claim.fence, "every claim gets a larger fence");
}

#[test]
fn an_expired_lease_fails_the_build_and_fences_off_its_builder() {
    let database = TestDatabase::new();
    let mut conn = database.conn();
    let stuck = request(&mut conn, "stuck");
    let long_ago = Utc::now() - chrono::Duration::minutes(10);
    let dead = queue::claim(&mut conn, "builder-a", LEASE, long_ago)
        .unwrap()
        .unwrap();
    let waiting = request(&mut conn, "waiting");

    let claim = queue::claim(&mut conn, "builder-b", LEASE, Utc::now())
        .unwrap()
        .unwrap();
    assert_eq!(claim.expired, [stuck]);
    assert_eq!(claim.build_id, waiting);
    assert_eq!(status(&mut conn, stuck), "FAILED");
    let reason: Option<String> = build::table
        .find(stuck)
        .select(build::failure_reason)
        .first(&mut conn)
        .unwrap();
    assert!(reason.unwrap().contains("lease"));

    // The dead builder wakes up: it can neither renew nor finish.
    assert!(matches!(
        queue::renew(&mut conn, &dead, LEASE, Utc::now()),
        Err(QueueError::Fenced(_))
    ));
    assert!(matches!(
        queue::finish(
            &mut conn,
            &dead,
            &Outcome::Done {
                stats: serde_json::json!({})
            },
        ),
        Err(QueueError::Fenced(_))
    ));
    queue::renew(&mut conn, &claim, LEASE, Utc::now()).unwrap();
    assert_eq!(queue::current_fence(&mut conn).unwrap(), claim.fence);
}

#[test]
fn a_request_is_announced_to_a_listening_builder() {
    let database = TestDatabase::new();
    let mut listener = database.conn();
    queue::listen(&mut listener).unwrap();
    assert!(!queue::wait_for_request(&mut listener, Duration::from_millis(300)).unwrap());
    let mut conn = database.conn();
    let started = std::time::Instant::now();
    request(&mut conn, "announced");
    assert!(queue::wait_for_request(&mut listener, Duration::from_secs(5)).unwrap());
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn two_builders_racing_over_200_requests_never_overlap_and_cover_every_request() {
    let database = Arc::new(TestDatabase::new());
    let done = Arc::new(AtomicBool::new(false));
    let requester = {
        let database = database.clone();
        std::thread::spawn(move || {
            let mut conn = database.conn();
            for n in 0..200 {
                request(&mut conn, &format!("request {n}"));
                if n % 7 == 0 {
                    std::thread::sleep(Duration::from_millis(3));
                }
            }
        })
    };
    let builders: Vec<_> = ["builder-a", "builder-b"]
        .into_iter()
        .map(|name| {
            let (database, done) = (database.clone(), done.clone());
            std::thread::spawn(move || {
                let mut conn = database.conn();
                let mut built = 0;
                loop {
                    match queue::claim(&mut conn, name, LEASE, Utc::now()).unwrap() {
                        Some(claim) => {
                            std::thread::sleep(Duration::from_millis(5));
                            queue::finish(
                                &mut conn,
                                &claim,
                                &Outcome::Done {
                                    stats: serde_json::json!({}),
                                },
                            )
                            .unwrap();
                            built += 1;
                        }
                        None if done.load(Ordering::SeqCst) => return built,
                        None => std::thread::sleep(Duration::from_millis(1)),
                    }
                }
            })
        })
        .collect();
    requester.join().unwrap();
    // Let the builders drain the queue, then stop them.
    let mut conn = database.conn();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let open: i64 = build::table
            .filter(build::status.eq_any(["PENDING", "STARTED"]))
            .count()
            .get_result(&mut conn)
            .unwrap();
        if open == 0 || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done.store(true, Ordering::SeqCst);
    let built: i32 = builders.into_iter().map(|b| b.join().unwrap()).sum();
    assert!(built >= 1);

    type Time = chrono::DateTime<Utc>;
    type Row = (Uuid, String, Option<Uuid>, Option<Time>, Option<Time>);
    let rows: Vec<Row> = build::table
        .select((
            build::id,
            build::status,
            build::covered_by,
            build::started_at,
            build::succeeded_at,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(rows.len(), 200);
    let done_ids: Vec<Uuid> = rows
        .iter()
        .filter(|row| row.1 == "DONE")
        .map(|row| row.0)
        .collect();
    for (id, status, covered_by, _, _) in &rows {
        match status.as_str() {
            "DONE" => {}
            "SUPERSEDED" => assert!(
                covered_by.is_some_and(|by| done_ids.contains(&by)),
                "{id} is covered by a finished build"
            ),
            other => panic!("{id} left {other}"),
        }
    }
    // No two builds ran at once.
    let mut spans: Vec<_> = rows
        .iter()
        .filter_map(|row| Some((row.3?, row.4?)))
        .collect();
    spans.sort();
    for pair in spans.windows(2) {
        assert!(pair[0].1 <= pair[1].0, "builds overlapped: {pair:?}");
    }
}
