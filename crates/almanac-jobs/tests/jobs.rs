//! Each job's effect on a real database, and build alerts received by a real SMTP server.

use std::time::Duration;

use almanac_build::queue::{self, Outcome};
use almanac_content::UserType;
use almanac_content::builds::{AcknowledgeError, acknowledge, request};
use almanac_content::schema::build;
use almanac_jobs::alerts::{self, AlertSettings};
use almanac_jobs::exclusive::{self, JobRun, run_exclusive};
use almanac_jobs::{release, retention};
use almanac_mail::Mailer;
use almanac_test_support::TestDatabase;
use almanac_test_support::fixtures::account;
use almanac_test_support::smtp::SmtpServer;
use chrono::Utc;
use diesel::prelude::*;

fn settings() -> AlertSettings {
    AlertSettings {
        environment: "staging".to_owned(),
        publisher_url: "https://publisher.staging.example".to_owned(),
        repeat: chrono::Duration::hours(1),
    }
}

fn failed_build(conn: &mut PgConnection, reason: &str) -> uuid::Uuid {
    request(conn, "editor@x.gov.uk", "published “Employment”").unwrap();
    let claim = queue::claim(conn, "worker-1", Duration::from_secs(60), Utc::now())
        .unwrap()
        .unwrap();
    queue::finish(
        conn,
        &claim,
        &Outcome::Failed {
            reason: reason.to_owned(),
        },
    )
    .unwrap();
    claim.build_id
}

use diesel::pg::PgConnection;

#[test]
fn failed_and_stalled_builds_are_emailed_to_developers_until_acknowledged() {
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    for (email, user_type) in [
        ("dev1@x.gov.uk", UserType::Developer),
        ("dev2@x.gov.uk", UserType::Developer),
        ("admin@x.gov.uk", UserType::Admin),
        ("editor@x.gov.uk", UserType::CentralEditor),
    ] {
        account(conn, email, user_type);
    }
    let smtp = SmtpServer::start();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // The SMTP connection pool is dropped (and closed) inside the runtime.
    let _inside = runtime.enter();
    let mailer = Mailer::from_settings(&smtp.settings("almanac@x.gov.uk")).unwrap();

    // One build fails outright.
    let failed = failed_build(conn, "3 broken links, first: /health/ → /nowhere/");
    // Another stalls: its builder holds a two-second lease and dies.
    request(conn, "editor@x.gov.uk", "published “Housing”").unwrap();
    let stalled = queue::claim(conn, "worker-2", Duration::from_secs(2), Utc::now())
        .unwrap()
        .unwrap()
        .build_id;
    std::thread::sleep(Duration::from_secs(3));

    let now = Utc::now();
    let first = runtime.handle().clone();
    let run = std::thread::scope(|scope| {
        scope
            .spawn(|| alerts::run(conn, &mailer, &first, &settings(), now))
            .join()
            .unwrap()
    })
    .unwrap();
    assert_eq!(
        run.stalled,
        [stalled],
        "the expired lease is noticed by this run"
    );
    assert_eq!(run.reported.len(), 2);
    assert!(run.reported.iter().all(|(_, first)| *first));
    assert!(run.send_failures.is_empty());

    let messages = smtp.wait_for_messages(4);
    assert_eq!(messages.len(), 4, "two builds, two developers each");
    let mut subjects: Vec<(String, String)> = messages
        .iter()
        .map(|m| (m.to.join(","), m.subject.clone()))
        .collect();
    subjects.sort();
    let short = |id: uuid::Uuid| id.simple().to_string()[..8].to_owned();
    let mut expected = vec![
        (
            "dev1@x.gov.uk".to_owned(),
            format!("[staging] Site build {} failed", short(failed)),
        ),
        (
            "dev1@x.gov.uk".to_owned(),
            format!("[staging] Site build {} stalled", short(stalled)),
        ),
        (
            "dev2@x.gov.uk".to_owned(),
            format!("[staging] Site build {} failed", short(failed)),
        ),
        (
            "dev2@x.gov.uk".to_owned(),
            format!("[staging] Site build {} stalled", short(stalled)),
        ),
    ];
    expected.sort();
    assert_eq!(
        subjects, expected,
        "developers only, never admins or editors"
    );
    let failed_mail = messages
        .iter()
        .find(|m| m.subject.ends_with("failed"))
        .unwrap();
    assert!(
        failed_mail
            .text
            .contains("3 broken links, first: /health/ → /nowhere/")
    );
    assert!(
        failed_mail
            .text
            .contains(&format!("site-builder acknowledge {failed}"))
    );

    let again = |at: chrono::DateTime<Utc>, conn: &mut PgConnection| {
        let handle = runtime.handle().clone();
        std::thread::scope(|scope| {
            scope
                .spawn(|| alerts::run(conn, &mailer, &handle, &settings(), at))
                .join()
                .unwrap()
        })
        .unwrap()
    };
    // Within the hour: nothing new.
    assert!(
        again(now + chrono::Duration::minutes(59), conn)
            .reported
            .is_empty()
    );
    // An hour on, both are reported again; then one is acknowledged and only the other repeats.
    let repeat = again(now + chrono::Duration::minutes(61), conn);
    assert_eq!(repeat.reported.len(), 2);
    assert!(repeat.reported.iter().all(|(_, first)| !*first));
    smtp.wait_for_messages(8);
    acknowledge(conn, &short(failed), "dev1@x.gov.uk", now).unwrap();
    let later = again(now + chrono::Duration::minutes(125), conn);
    assert_eq!(
        later
            .reported
            .iter()
            .map(|(a, _)| a.build_id)
            .collect::<Vec<_>>(),
        [stalled]
    );
    let messages = smtp.wait_for_messages(10);
    assert!(
        messages[8..]
            .iter()
            .all(|m| m.subject.contains("stalled (still unacknowledged)"))
    );
}

#[test]
fn acknowledging_takes_a_full_id_or_a_prefix_and_refuses_unknown_or_running_builds() {
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let failed = failed_build(conn, "boom");
    let pending = request(conn, "editor@x.gov.uk", "later").unwrap();
    let now = Utc::now();
    assert!(matches!(
        acknowledge(conn, "zzzz", "dev@x.gov.uk", now),
        Err(AcknowledgeError::Unknown(_))
    ));
    assert!(matches!(
        acknowledge(conn, &pending.to_string(), "dev@x.gov.uk", now),
        Err(AcknowledgeError::NotFailed(_))
    ));
    assert_eq!(
        acknowledge(conn, &failed.to_string(), "dev@x.gov.uk", now).unwrap(),
        failed
    );
    // A second acknowledgement keeps the first one's name.
    acknowledge(conn, &failed.to_string()[..8], "other@x.gov.uk", now).unwrap();
    let by: Option<String> = build::table
        .find(failed)
        .select(build::acknowledged_by)
        .first(conn)
        .unwrap();
    assert_eq!(by.as_deref(), Some("dev@x.gov.uk"));
}

#[test]
fn a_job_runs_in_one_process_at_a_time_and_records_each_run() {
    let database = TestDatabase::new();
    let holder = &mut database.conn();
    let other = &mut database.conn();
    let now = Utc::now();
    // While one connection runs the job, another is turned away.
    let outcome = run_exclusive(holder, "delete-old-builds", now, |_| {
        let inner = run_exclusive(other, "delete-old-builds", now, |_| Ok::<_, String>(()))?;
        assert_eq!(inner, JobRun::Skipped);
        // A different job is not blocked.
        let different = run_exclusive(other, "refresh-views", now, |_| Ok::<_, String>(1))?;
        assert_eq!(different, JobRun::Ran(1));
        Ok::<_, exclusive::JobError>(7)
    })
    .unwrap();
    assert_eq!(outcome, JobRun::Ran(7));
    // Released afterwards, even after a failure, which is recorded.
    let failure = run_exclusive(other, "delete-old-builds", now, |_| {
        Err::<(), _>("disk full")
    });
    assert!(failure.unwrap_err().to_string().contains("disk full"));
    let records = exclusive::records(holder).unwrap();
    let record = records
        .iter()
        .find(|r| r.name == "delete-old-builds")
        .unwrap();
    assert_eq!(record.last_outcome.as_deref(), Some("FAILED"));
    assert_eq!(record.last_detail.as_deref(), Some("disk full"));
    assert!(record.last_finished_at >= record.last_started_at);
    assert_eq!(
        run_exclusive(holder, "delete-old-builds", now, |_| Ok::<_, String>(())).unwrap(),
        JobRun::Ran(())
    );
}

#[test]
fn old_builds_go_but_recent_running_unacknowledged_and_deployed_ones_stay() {
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let unacknowledged = failed_build(conn, "old failure");
    let acknowledged = failed_build(conn, "old, seen");
    acknowledge(conn, &acknowledged.to_string(), "dev@x.gov.uk", Utc::now()).unwrap();
    let mut done = Vec::new();
    for n in 0..6 {
        request(conn, "editor@x.gov.uk", &format!("change {n}")).unwrap();
        let claim = queue::claim(conn, "w", Duration::from_secs(60), Utc::now())
            .unwrap()
            .unwrap();
        queue::finish(
            conn,
            &claim,
            &Outcome::Done {
                stats: serde_json::json!({}),
            },
        )
        .unwrap();
        done.push(claim.build_id);
    }
    // The oldest successful build is what a deploy target holds (a rollback, say).
    diesel::sql_query(format!(
        "INSERT INTO deploy_target (name, fencing, build_id) VALUES ('primary', 1, '{}')",
        done[0]
    ))
    .execute(conn)
    .unwrap();
    let waiting = request(conn, "editor@x.gov.uk", "waiting").unwrap();
    // Spread the creation times so "newest" is unambiguous.
    diesel::sql_query(
        "UPDATE build SET created_at = now() - (interval '1 minute' * (SELECT count(*) FROM build b2 WHERE b2.created_at > build.created_at OR (b2.created_at = build.created_at AND b2.id > build.id)))",
    )
    .execute(conn)
    .unwrap();

    let deleted = retention::delete_old_builds(conn, 3).unwrap();
    let left: Vec<uuid::Uuid> = build::table.select(build::id).load(conn).unwrap();
    assert!(left.contains(&waiting));
    assert!(left.contains(&unacknowledged), "alerts still going out");
    assert!(left.contains(&done[0]), "a deploy target holds it");
    assert!(
        left.contains(&done[5]) && left.contains(&done[4]),
        "the newest"
    );
    assert!(!left.contains(&acknowledged));
    assert!(!left.contains(&done[1]) && !left.contains(&done[2]));
    assert_eq!(deleted, 9 - left.len());
}

#[test]
fn a_new_release_asks_for_one_build_and_the_same_release_asks_for_none() {
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    assert!(
        release::request_if_new(conn, "1.4.0").unwrap(),
        "never built"
    );
    assert!(
        !release::request_if_new(conn, "1.4.0").unwrap(),
        "one is waiting"
    );
    let claim = queue::claim(conn, "w", Duration::from_secs(60), Utc::now())
        .unwrap()
        .unwrap();
    assert_eq!(claim.reason, "deploy of release 1.4.0");
    queue::finish(
        conn,
        &claim,
        &Outcome::Done {
            stats: serde_json::json!({ "release": "1.4.0" }),
        },
    )
    .unwrap();
    assert!(
        !release::request_if_new(conn, "1.4.0").unwrap(),
        "already built by it"
    );
    assert!(
        release::request_if_new(conn, "1.5.0").unwrap(),
        "a new release"
    );
}
