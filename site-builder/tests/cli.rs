//! The site-builder's data commands, run as a user would run them.

use std::process::{Command, Output};

use almanac_test_support::TestDatabase;

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
