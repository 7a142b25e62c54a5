//! The site-builder's data commands, run as a user would run them.

use std::process::{Command, Output};

use almanac_test_support::TestDatabase;
use diesel::RunQueryDsl;

fn site_builder(database_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_site-builder"))
        .env("DATABASE_URL", database_url)
        .args(args)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn loads_reference_data_and_seeds() {
    let database = TestDatabase::new();
    let loaded = stdout(&site_builder(database.url(), &["load-reference"]));
    assert!(
        loaded.contains("1042 organisations, 21 classifications"),
        "{loaded}"
    );
    let seeded = stdout(&site_builder(
        database.url(),
        &["seed", "--measures", "25", "--seed", "4"],
    ));
    assert!(seeded.contains("25 measures"), "{seeded}");
    let refused = site_builder(database.url(), &["seed", "--measures", "25"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("already holds 25 measures"));
}

#[test]
fn refuses_an_unmigrated_database() {
    let database = TestDatabase::empty();
    let output = site_builder(database.url(), &["load-reference"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("pending migrations: run `publisher migrate` first"),
        "{stderr}"
    );
}

#[test]
fn rejects_bad_flags_clearly() {
    let database = TestDatabase::new();
    let output = site_builder(database.url(), &["seed", "--measures", "0"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--measures"), "{stderr}");
}

fn build_env<'a>(
    command: &'a mut Command,
    database_url: &str,
    folders: &std::path::Path,
) -> &'a mut Command {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    command
        .env("DATABASE_URL", database_url)
        .env("UPLOAD_DIR", folders.join("uploads"))
        .env("SITE_DIR", folders.join("site"))
        .env("SITE_GIT_DIR", folders.join("history"))
        .env("SITE_GIT_REMOTE", folders.join("remote.git"))
        .env("SITE_PUBLIC_URL", "https://www.example.gov.uk")
        .env(
            "GOVUK_FRONTEND_DIR",
            format!("{root}/node_modules/govuk-frontend/dist/govuk"),
        )
        .env("STATIC_DIR", format!("{root}/static"))
}

#[test]
fn builds_the_site_into_a_folder_and_a_git_history_and_a_second_build_changes_nothing() {
    let database = TestDatabase::new();
    let folders = tempfile::tempdir().unwrap();
    git2::Repository::init_bare(folders.path().join("remote.git")).unwrap();
    stdout(&site_builder(database.url(), &["load-reference"]));
    let seeded = stdout(
        &build_env(
            &mut Command::new(env!("CARGO_BIN_EXE_site-builder")),
            database.url(),
            folders.path(),
        )
        .args(["seed", "--measures", "8", "--seed", "3"])
        .output()
        .unwrap(),
    );
    assert!(seeded.contains("files stored"), "{seeded}");

    let run = |args: &[&str]| {
        build_env(
            &mut Command::new(env!("CARGO_BIN_EXE_site-builder")),
            database.url(),
            folders.path(),
        )
        .args(args)
        .output()
        .unwrap()
    };
    let first = stdout(&run(&["build"]));
    assert!(first.contains("done in"), "{first}");
    assert!(first.contains("git: commit"), "{first}");
    let site = folders.path().join("site/current");
    assert!(site.join("index.html").is_file());
    assert!(site.join("sitemap.xml").is_file());
    let remote = git2::Repository::open_bare(folders.path().join("remote.git")).unwrap();
    let pushed = remote
        .find_reference("refs/heads/main")
        .unwrap()
        .target()
        .unwrap();

    let second = stdout(&run(&["build"]));
    assert!(second.contains("git: no change, no commit"), "{second}");
    assert!(second.contains("unchanged"), "{second}");
    let remote = git2::Repository::open_bare(folders.path().join("remote.git")).unwrap();
    assert_eq!(
        remote
            .find_reference("refs/heads/main")
            .unwrap()
            .target()
            .unwrap(),
        pushed
    );

    // A change, built, then rolled back to the first build from the git history.
    let first_id = first
        .split_whitespace()
        .nth(1)
        .expect("build <id> done")
        .to_owned();
    let cookies = site.join("cookies/index.html");
    let before = std::fs::read_to_string(&cookies).unwrap();
    let mut conn = database.conn();
    diesel::sql_query(
        "UPDATE site_page SET published_body = 'We changed this.' WHERE path = 'cookies'",
    )
    .execute(&mut conn)
    .unwrap();
    let third = stdout(&run(&["build"]));
    assert!(third.contains("(1 pages changed)"), "{third}");
    assert!(
        std::fs::read_to_string(&cookies)
            .unwrap()
            .contains("We changed this.")
    );
    let rolled = stdout(&run(&["rollback", &first_id]));
    assert!(rolled.contains("rolled back"), "{rolled}");
    assert_eq!(std::fs::read_to_string(&cookies).unwrap(), before);
    let unknown = run(&["rollback", "no-such-build"]);
    assert!(!unknown.status.success());

    let status = stdout(&run(&["status"]));
    assert_eq!(status.matches("DONE").count(), 4, "{status}");
    let requested = stdout(&run(&["request", "--reason", "testing"]));
    assert!(requested.contains("requested"));
    assert!(stdout(&run(&["status", "--limit", "1"])).contains("PENDING"));

    let bad = build_env(
        &mut Command::new(env!("CARGO_BIN_EXE_site-builder")),
        database.url(),
        folders.path(),
    )
    .env("S3_PRIMARY_BUCKET", "primary")
    .arg("build")
    .output()
    .unwrap();
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("S3_MIRROR_BUCKET"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}
