//! `site-builder run` as operators run it: two workers against one database, with the jobs
//! on short schedules. A new release is built once; a version scheduled for publishing goes
//! live once, on time; a failed build reaches every developer by email once per interval.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use almanac_content::UserType;
use almanac_test_support::TestDatabase;
use almanac_test_support::fixtures::account;
use almanac_test_support::smtp::SmtpServer;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn worker(database_url: &str, folders: &std::path::Path, smtp: &SmtpServer, n: usize) -> Worker {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let log = std::fs::File::create(folders.join(format!("worker-{n}.log"))).unwrap();
    Worker(
        Command::new(env!("CARGO_BIN_EXE_site-builder"))
            .arg("run")
            .env("DATABASE_URL", database_url)
            .env("UPLOAD_DIR", folders.join("uploads"))
            .env("SITE_DIR", folders.join(format!("site-{n}")))
            .env("SITE_GIT_DIR", "off")
            .env("SITE_PUBLIC_URL", "https://www.example.gov.uk")
            .env(
                "GOVUK_FRONTEND_DIR",
                format!("{root}/node_modules/govuk-frontend/dist/govuk"),
            )
            .env("STATIC_DIR", format!("{root}/static"))
            .env("SMTP_HOST", smtp.host())
            .env("SMTP_PORT", smtp.port().to_string())
            .env("SMTP_TLS", "none")
            .env("MAIL_FROM", "almanac@x.gov.uk")
            .env("ALMANAC_RELEASE", "2026.11-test")
            .env("BUILD_LEASE_SECONDS", "15")
            .env("JOB_BUILD_ALERTS_SCHEDULE", "*/2 * * * * *")
            .env("JOB_SCHEDULED_PUBLISHING_SCHEDULE", "*/2 * * * * *")
            .env("RUST_LOG", "info")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap(),
    )
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n
}

fn wait_until(what: &str, folders: &std::path::Path, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while !done() {
        if Instant::now() > deadline {
            let logs: String = (0..2)
                .map(|n| {
                    std::fs::read_to_string(folders.join(format!("worker-{n}.log")))
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
                .join("\n---\n");
            panic!("timed out waiting for {what}; worker logs:\n{logs}");
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn two_workers_build_a_release_once_publish_on_time_once_and_alert_once() {
    let database = TestDatabase::new();
    let folders = tempfile::tempdir().unwrap();
    let conn = &mut database.conn();
    let setup = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_site-builder"))
            .env("DATABASE_URL", database.url())
            .env("UPLOAD_DIR", folders.path().join("uploads"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    setup(&["load-reference"]);
    setup(&["seed", "--measures", "12", "--seed", "3"]);
    account(conn, "dev@x.gov.uk", UserType::Developer);
    account(conn, "admin@x.gov.uk", UserType::Admin);
    // A version in review, due to be published a few seconds from now.
    let version_id: i32 = diesel::sql_query(
        "UPDATE measure_version SET status = 'DEPARTMENT_REVIEW',
                publish_scheduled_at = now() + interval '6 seconds',
                publish_scheduled_by = 'admin@x.gov.uk'
         WHERE id = (SELECT id FROM measure_version WHERE status <> 'APPROVED' ORDER BY id LIMIT 1)
         RETURNING id",
    )
    .get_result::<Id>(conn)
    .unwrap()
    .id;
    let smtp = SmtpServer::start();
    let _workers = [
        worker(database.url(), folders.path(), &smtp, 0),
        worker(database.url(), folders.path(), &smtp, 1),
    ];

    // The new release is built, by one of the two, from one request.
    wait_until("the release build", folders.path(), || {
        count(
            conn,
            "SELECT count(*) AS n FROM build WHERE status = 'DONE' AND stats->>'release' = '2026.11-test'",
        ) >= 1
    });
    assert_eq!(
        count(
            conn,
            "SELECT count(*) AS n FROM build WHERE reason = 'deploy of release 2026.11-test'"
        ),
        1
    );

    // The scheduled version goes live once, as the admin who set the time, then is built.
    wait_until("the scheduled publish", folders.path(), || {
        count(
            conn,
            &format!(
                "SELECT count(*) AS n FROM measure_version WHERE id = {version_id} AND status = 'APPROVED'"
            ),
        ) == 1
    });
    let published_by: String = diesel::sql_query(format!(
        "SELECT published_by AS text FROM measure_version WHERE id = {version_id}"
    ))
    .get_result::<TextRow>(conn)
    .unwrap()
    .text;
    assert_eq!(published_by, "admin@x.gov.uk");
    wait_until("the publish's build", folders.path(), || {
        count(
            conn,
            "SELECT count(*) AS n FROM build b WHERE b.reason LIKE 'published %'
             AND (b.status = 'DONE' OR b.covered_by IN (SELECT id FROM build WHERE status = 'DONE'))",
        ) == 1
    });
    assert_eq!(
        count(
            conn,
            &format!(
                "SELECT count(*) AS n FROM audit_event WHERE action = 'version_published'
                 AND subject_id = '{version_id}'"
            )
        ),
        1,
        "published exactly once"
    );

    // A build fails: the developer hears of it once (not once per worker), within seconds.
    let failed: String = diesel::sql_query(
        "INSERT INTO build (requested_by, reason, status, failed_at, failure_reason)
         VALUES ('editor@x.gov.uk', 'a test', 'FAILED', now(), '2 broken links')
         RETURNING id::text AS text",
    )
    .get_result::<TextRow>(conn)
    .unwrap()
    .text;
    let messages = smtp.wait_for_messages(1);
    assert_eq!(messages[0].to, ["dev@x.gov.uk"]);
    assert_eq!(
        messages[0].subject,
        format!(
            "[development] Site build {} failed",
            &failed.replace('-', "")[..8]
        )
    );
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(
        smtp.messages().len(),
        1,
        "one report per interval, whichever worker sends it"
    );
    let jobs = count(
        conn,
        "SELECT count(*) AS n FROM scheduled_job WHERE last_outcome = 'OK'
         AND name IN ('build-alerts', 'scheduled-publishing')",
    );
    assert_eq!(jobs, 2, "each job's last run is recorded");
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    id: i32,
}

#[derive(QueryableByName)]
struct TextRow {
    #[diesel(sql_type = Text)]
    text: String,
}
