//! The environment guard, through the site-builder binary: a staging builder refuses a bucket
//! named as production's, and a bucket whose `.almanac-environment` marker names another
//! environment; a new bucket is marked as its builder's.

use std::path::Path;
use std::process::{Command, Output};

use almanac_deploy::{ENVIRONMENT_MARKER, RetryPolicy, S3Config, S3Target};
use almanac_test_support::TestDatabase;
use almanac_test_support::s3::{ACCESS_KEY, S3Server, SECRET_KEY};

fn staging_builder(database_url: &str, folders: &Path, endpoint: &str) -> Command {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut command = Command::new(env!("CARGO_BIN_EXE_site-builder"));
    command
        .env("ENVIRONMENT", "staging")
        .env("DATABASE_URL", database_url)
        .env("UPLOAD_DIR", folders.join("uploads"))
        .env("SITE_DIR", folders.join("site"))
        .env("SITE_GIT_DIR", "off")
        .env("SITE_PUBLIC_URL", "https://staging.example.gov.uk")
        .env(
            "GOVUK_FRONTEND_DIR",
            format!("{root}/node_modules/govuk-frontend/dist/govuk"),
        )
        .env("STATIC_DIR", format!("{root}/static"))
        // Outside development the upload settings need clamd; the builder never scans.
        .env("CLAMD_ADDRESS", "127.0.0.1:9")
        .env("S3_ENDPOINT", endpoint)
        .env("S3_REGION", "us-east-1")
        .env("S3_ACCESS_KEY_ID", ACCESS_KEY)
        .env("S3_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("S3_PATH_STYLE", "true")
        .env(
            "PRODUCTION_BUCKETS",
            "almanac-production, almanac-production-mirror",
        )
        .env("PRODUCTION_DATABASE_HOSTS", "prod-db.internal");
    command
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

async fn bucket(server: &S3Server, name: &str) -> S3Target {
    let target = S3Target::new(&S3Config {
        endpoint: Some(server.endpoint.clone()),
        region: "us-east-1".to_owned(),
        bucket: name.to_owned(),
        access_key_id: ACCESS_KEY.to_owned(),
        secret_access_key: SECRET_KEY.to_owned(),
        path_style: true,
        ..S3Config::default()
    });
    target
        .client()
        .create_bucket()
        .bucket(name)
        .send()
        .await
        .unwrap();
    target
}

#[test]
fn staging_refuses_a_production_bucket_before_building() {
    let database = TestDatabase::new();
    let folders = tempfile::tempdir().unwrap();
    let output = staging_builder(database.url(), folders.path(), "http://127.0.0.1:9")
        .env("S3_PRIMARY_BUCKET", "Almanac-Production")
        .env("S3_MIRROR_BUCKET", "almanac-staging-mirror")
        .arg("build")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("S3_PRIMARY_BUCKET=\"almanac-production\" is invalid")
            && message.contains("PRODUCTION_BUCKETS")
            && message.contains("ENVIRONMENT is staging"),
        "{message}"
    );
    assert!(!folders.path().join("site").exists(), "something was built");
}

#[test]
fn staging_refuses_a_production_database() {
    let folders = tempfile::tempdir().unwrap();
    let output = staging_builder(
        "postgres://almanac@prod-db.internal:5432/almanac",
        folders.path(),
        "http://127.0.0.1:9",
    )
    .arg("status")
    .output()
    .unwrap();
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("DATABASE_URL=") && message.contains("PRODUCTION_DATABASE_HOSTS"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bucket_marker_is_written_once_and_refuses_another_environment() {
    let database = TestDatabase::new();
    let folders = tempfile::tempdir().unwrap();
    let server = S3Server::on_folder(&folders.path().join("s3")).await;
    let primary = bucket(&server, "almanac-staging").await;
    let mirror = bucket(&server, "almanac-staging-mirror").await;
    let retry = RetryPolicy::default();

    // A new pair of buckets is marked as staging's by the first build.
    let database_url = database.url().to_owned();
    let folder = folders.path().to_owned();
    let endpoint = server.endpoint.clone();
    let build = move |primary: &'static str| {
        let (database_url, folder, endpoint) =
            (database_url.clone(), folder.clone(), endpoint.clone());
        tokio::task::spawn_blocking(move || {
            staging_builder(&database_url, &folder, &endpoint)
                .env("S3_PRIMARY_BUCKET", primary)
                .env("S3_MIRROR_BUCKET", "almanac-staging-mirror")
                .arg("build")
                .output()
                .unwrap()
        })
    };
    let first = build("almanac-staging").await.unwrap();
    assert!(first.status.success(), "{}", stderr(&first));
    for target in [&primary, &mirror] {
        assert_eq!(
            target.environment_marker(&retry).await.unwrap().as_deref(),
            Some("staging")
        );
    }
    let second = build("almanac-staging").await.unwrap();
    assert!(second.status.success(), "{}", stderr(&second));

    // A bucket marked by production (its name not in PRODUCTION_BUCKETS: the marker is the
    // second line of defence) is refused before anything is written.
    let theirs = bucket(&server, "almanac-renamed").await;
    theirs
        .write_environment_marker("production", &retry)
        .await
        .unwrap();
    let refused = build("almanac-renamed").await.unwrap();
    assert!(!refused.status.success());
    let message = stderr(&refused);
    assert!(
        message.contains("S3_PRIMARY_BUCKET=\"almanac-renamed\" is invalid")
            && message.contains(&format!(
                "{ENVIRONMENT_MARKER} object says it belongs to “production”"
            )),
        "{message}"
    );
    let listed = theirs
        .client()
        .list_objects_v2()
        .bucket("almanac-renamed")
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, [ENVIRONMENT_MARKER]);
}

#[test]
fn production_refuses_the_data_pull_and_staging_runs_it() {
    let source = TestDatabase::new();
    let target = TestDatabase::new();
    let folders = tempfile::tempdir().unwrap();
    let refused = staging_builder(target.url(), folders.path(), "http://127.0.0.1:9")
        .env("ENVIRONMENT", "production")
        .env("ALMANAC_TEST_PASSWORD", "violet kettle orbit 42")
        .args(["pull-data", "--source", source.url()])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let message = stderr(&refused);
    assert!(message.contains("never runs in production"), "{message}");

    let pulled = staging_builder(target.url(), folders.path(), "http://127.0.0.1:9")
        .env("ALMANAC_TEST_PASSWORD", "violet kettle orbit 42")
        .args(["pull-data", "--sample", "--source", source.url()])
        .output()
        .unwrap();
    assert!(pulled.status.success(), "{}", stderr(&pulled));
    let printed = String::from_utf8_lossy(&pulled.stdout);
    assert!(
        printed.contains("test accounts: dept@almanac.gov.uk"),
        "{printed}"
    );
}
