//! Builds through the queue to a real S3 API server (primary and mirror) and a git history
//! with a bare remote: a full deploy, a republish that sends nothing, a one-measure edit that
//! sends only what changed, and an archived measure deleted from both buckets.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use almanac_build::queue;
use almanac_build::run::{self, Source, Summary, Targets};
use almanac_deploy::{DeployOptions, GitConfig, GitHistory, S3Config, S3Target, VerifyOptions};
use almanac_render::SiteSettings;
use almanac_test_support::TestDatabase;
use almanac_test_support::s3::{ACCESS_KEY, S3Server, SECRET_KEY};
use chrono::Utc;
use diesel::prelude::*;

const LEASE: Duration = Duration::from_secs(60);

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

async fn build(
    database: &TestDatabase,
    inputs: &almanac_build::pipeline::BuildInputs,
    targets: &Targets,
    why: &str,
) -> Summary {
    let mut conn = database.conn();
    queue::request(&mut conn, "test", why).unwrap();
    let claim = queue::claim(&mut conn, "test", LEASE, Utc::now())
        .unwrap()
        .unwrap();
    run::run(
        &mut conn,
        database.url(),
        &claim,
        LEASE,
        Source::Render(inputs),
        targets,
    )
    .await
    .unwrap_or_else(|error| panic!("{why}: {error}"))
}

async fn keys(target: &S3Target) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let mut token = None;
    loop {
        let page = target
            .client()
            .list_objects_v2()
            .bucket(target.bucket())
            .set_continuation_token(token)
            .send()
            .await
            .unwrap();
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
        match page.next_continuation_token() {
            Some(next) => token = Some(next.to_owned()),
            None => return keys,
        }
    }
}

#[tokio::test]
async fn builds_reach_both_buckets_and_git_and_send_only_what_changed() {
    let database = TestDatabase::new();
    let folders = tempfile::tempdir().unwrap();
    let inputs = common::seeded_site(
        &database,
        &folders.path().join("uploads"),
        8,
        SiteSettings::default(),
    )
    .await;
    shorten_keys(&database, &folders.path().join("uploads"));
    let server = S3Server::on_folder(&folders.path().join("s3")).await;
    let remote = folders.path().join("remote.git");
    git2::Repository::init_bare(&remote).unwrap();
    let mut git = GitConfig::new(folders.path().join("history"));
    git.remote_url = Some(remote.display().to_string());
    let targets = Targets {
        local: None,
        git: Some(GitHistory::open(git).unwrap()),
        buckets: Some((
            bucket(&server, "primary").await,
            bucket(&server, "mirror").await,
        )),
        deploy_options: DeployOptions::default(),
    };
    let (primary, mirror) = targets.buckets.as_ref().unwrap();

    let first = build(&database, &inputs, &targets, "first").await;
    assert_eq!(first.buckets.len(), 2);
    for figures in &first.buckets {
        assert_eq!(figures.uploaded, first.files, "{}", figures.bucket);
    }
    assert!(first.git.as_ref().unwrap().commit.is_some());
    assert_eq!(keys(primary).await.len(), first.files);
    assert_eq!(keys(primary).await, keys(mirror).await);

    let again = build(&database, &inputs, &targets, "nothing changed").await;
    for figures in &again.buckets {
        assert_eq!(
            (figures.uploaded, figures.updated, figures.deleted),
            (0, 0, 0)
        );
    }
    assert_eq!(again.git.as_ref().unwrap().commit, None, "no commit");

    // One measure's title changes: its pages, its topic page and the search index change.
    let mut conn = database.conn();
    let measure: (i32, String, String, String) = diesel::sql_query(
        "SELECT m.id AS id, t.slug AS topic, s.slug AS subtopic, m.slug AS slug
         FROM measure m JOIN subtopic s ON s.id = m.subtopic_id JOIN topic t ON t.id = s.topic_id
         WHERE EXISTS (SELECT 1 FROM measure_version mv WHERE mv.measure_id = m.id AND mv.status = 'APPROVED')
           AND t.slug <> 'testing-space'
         ORDER BY m.id LIMIT 1",
    )
    .get_result::<MeasureRow>(&mut conn)
    .map(|row| (row.id, row.topic, row.subtopic, row.slug))
    .unwrap();
    let (measure_id, topic, subtopic, slug) = measure;
    diesel::sql_query(format!(
        "UPDATE measure_version SET title = title || ' (revised)'
         WHERE measure_id = {measure_id} AND status = 'APPROVED'"
    ))
    .execute(&mut conn)
    .unwrap();
    let stored = |conn: &mut diesel::PgConnection| {
        almanac_deploy::ManifestStore::new("primary")
            .unwrap()
            .load(conn)
            .unwrap()
            .manifest
    };
    let before = stored(&mut conn);
    let edited = build(&database, &inputs, &targets, "one measure edited").await;
    let prefix = format!("{topic}/{subtopic}/{slug}/");
    let after = stored(&mut conn);
    // The files whose bytes changed (a header change alone would not be an upload).
    let sent: Vec<&str> = after
        .entries
        .iter()
        .filter(|(path, entry)| {
            before
                .entries
                .get(*path)
                .is_none_or(|old| old.sha256 != entry.sha256)
        })
        .map(|(path, _)| path.as_str())
        .collect();
    let deleted = before
        .entries
        .keys()
        .filter(|path| !after.entries.contains_key(*path))
        .count();
    // Exactly these objects changed, and only these were sent: the measure's own pages and
    // files, and the pages that show its title (its topic page, the search index, the
    // dashboards that list it).
    let shows_the_title = |path: &str| {
        path.starts_with(&prefix)
            || path == format!("{topic}/index.html")
            || path.starts_with("search/")
            || path.starts_with("dashboards/")
    };
    assert!(
        sent.iter().all(|path| shows_the_title(path)),
        "only the changed objects: {sent:#?}"
    );
    assert!(sent.contains(&format!("{prefix}latest/index.html").as_str()));
    assert!(sent.contains(&format!("{topic}/index.html").as_str()));
    assert!(sent.contains(&"search/index.json"));
    assert_eq!(deleted, 0);
    let primary_report = &edited.buckets[0];
    assert_eq!(primary_report.uploaded, sent.len(), "{sent:#?}");
    assert_eq!(edited.buckets[1].uploaded, primary_report.uploaded);
    assert_eq!(primary_report.deleted, 0);
    assert!(edited.git.as_ref().unwrap().commit.is_some());

    // Archived: every object of the measure leaves both buckets.
    diesel::sql_query(format!(
        "UPDATE measure SET retired = true WHERE id = {measure_id}"
    ))
    .execute(&mut conn)
    .unwrap();
    let archived = build(&database, &inputs, &targets, "measure archived").await;
    assert!(archived.buckets.iter().all(|figures| figures.deleted > 0));
    for target in [primary, mirror] {
        assert!(
            !keys(target)
                .await
                .iter()
                .any(|key| key.starts_with(&prefix)),
            "no object of {prefix} is left in {}",
            target.bucket()
        );
    }
    // Both buckets hold exactly what their manifests say.
    for (name, target) in [("primary", primary), ("mirror", mirror)] {
        let stored = almanac_deploy::ManifestStore::new(name)
            .unwrap()
            .load(&mut conn)
            .unwrap();
        let drift = target
            .verify(&stored.manifest, &VerifyOptions::default())
            .await
            .unwrap();
        assert!(drift.is_clean(), "{name}: {drift:?}");
    }
}

/// s3s-fs names a metadata file after the whole object key, so keys past about 180
/// characters fail on ext4 (real S3 takes 1,024 bytes). The seed's real measure titles make
/// longer keys: give measures and their upload files short names for this server.
fn shorten_keys(database: &TestDatabase, uploads: &std::path::Path) {
    let mut conn = database.conn();
    diesel::sql_query("UPDATE measure SET slug = 'measure-' || id")
        .execute(&mut conn)
        .unwrap();
    let rows: Vec<UploadRow> = diesel::sql_query(
        "SELECT u.guid::text AS guid, mv.measure_id, mv.version_major || '.' || mv.version_minor AS version,
                u.file_name
         FROM upload u JOIN measure_version mv ON mv.id = u.measure_version_id",
    )
    .load(&mut conn)
    .unwrap();
    for (n, row) in rows.iter().enumerate() {
        let folder = uploads
            .join(row.measure_id.to_string())
            .join(&row.version)
            .join("source");
        let short = format!("source-{n}.csv");
        std::fs::rename(folder.join(&row.file_name), folder.join(&short)).unwrap();
        diesel::sql_query(format!(
            "UPDATE upload SET file_name = '{short}' WHERE guid = '{}'",
            row.guid
        ))
        .execute(&mut conn)
        .unwrap();
    }
}

#[derive(QueryableByName)]
struct UploadRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    guid: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    measure_id: i32,
    #[diesel(sql_type = diesel::sql_types::Text)]
    version: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    file_name: String,
}

#[derive(QueryableByName)]
struct MeasureRow {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    id: i32,
    #[diesel(sql_type = diesel::sql_types::Text)]
    topic: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    subtopic: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    slug: String,
}
