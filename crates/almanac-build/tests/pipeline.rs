//! A whole build of a seeded site against a real Postgres: every page and file renders,
//! every internal link resolves, the same database gives the same bytes, and a broken link
//! fails the build.

mod common;

use almanac_build::pipeline::{BuildError, BuildInputs, build_site, build_site_into};
use almanac_content::schema::{measure_version, redirect};
use almanac_render::SiteSettings;
use almanac_site::{Manifest, Site};
use almanac_test_support::TestDatabase;
use diesel::prelude::*;

async fn seeded(database: &TestDatabase, uploads: &tempfile::TempDir) -> BuildInputs {
    common::seeded_site(
        database,
        uploads.path(),
        30,
        SiteSettings {
            public_url: "https://www.example.gov.uk".to_owned(),
            ..SiteSettings::default()
        },
    )
    .await
}

#[tokio::test]
async fn a_seeded_site_builds_checks_clean_and_is_byte_identical_twice() {
    let database = TestDatabase::new();
    let uploads = tempfile::tempdir().unwrap();
    let inputs = seeded(&database, &uploads).await;
    let mut conn = database.conn();
    let built = match build_site(&mut conn, &inputs).await {
        Ok(built) => built,
        Err(error) => panic!("{error}"),
    };
    let site = &built.site;
    for path in [
        "index.html",
        "404.html",
        "robots.txt",
        "sitemap.xml",
        "corrections/index.html",
        "search/index.html",
        "search/index.json",
        "cookies/index.html",
        "understanding-our-data/how-to-read-survey-data/index.html",
    ] {
        assert!(site.contains(path), "{path} is built");
    }
    let latest = &built.snapshot.measures[0];
    let latest_path = format!(
        "{}/{}/{}/latest/index.html",
        latest.topic_slug, latest.subtopic_slug, latest.slug
    );
    let latest_page = String::from_utf8_lossy(&site.read(&latest_path).unwrap()).into_owned();
    assert!(!latest_page.contains("noindex"));
    let topic = format!("{}/index.html", latest.topic_slug);
    assert!(site.contains(&topic), "topic page {topic}");
    let version: (i32, i32) = measure_version::table
        .find(latest.version_id)
        .select((
            measure_version::version_major,
            measure_version::version_minor,
        ))
        .first(&mut conn)
        .unwrap();
    let versioned = format!(
        "{}/{}/{}/{}.{}/index.html",
        latest.topic_slug, latest.subtopic_slug, latest.slug, version.0, version.1
    );
    let versioned_page = String::from_utf8_lossy(&site.read(&versioned).unwrap()).into_owned();
    assert!(versioned_page.contains("<meta name=\"robots\" content=\"noindex\">"));
    assert!(versioned_page.contains(&format!(
        "<link rel=\"canonical\" href=\"https://www.example.gov.uk/{}/{}/{}/latest/\">",
        latest.topic_slug, latest.subtopic_slug, latest.slug
    )));
    let sitemap = String::from_utf8_lossy(&site.read("sitemap.xml").unwrap()).into_owned();
    assert!(sitemap.contains(&format!(
        "<loc>https://www.example.gov.uk/{}</loc>",
        latest_path.trim_end_matches("index.html")
    )));
    assert!(!sitemap.contains(&versioned.replace("index.html", "")));
    assert!(site.iter().any(|(path, _)| path.starts_with("assets/site-")
        && almanac_site::cache_control_for(&path).contains("immutable")));
    assert!(site.iter().any(|(path, _)| path.ends_with(".png")));
    assert!(site.iter().any(|(path, _)| path.contains("/downloads/")));
    let stages: Vec<&str> = built.stages.iter().map(|stage| stage.name).collect();
    assert_eq!(stages, ["views", "snapshot", "render", "files", "check"]);

    let again = build_site(&mut conn, &inputs).await.unwrap();
    assert_eq!(
        Manifest::of(&again.site),
        Manifest::of(site),
        "the same database gives the same bytes"
    );

    // Written to a folder as it renders (as the builder does), and in one batch instead of
    // many: the same files.
    let output = tempfile::tempdir().unwrap();
    let one_batch = BuildInputs {
        page_batch: 10_000,
        ..inputs.clone()
    };
    let in_folder = build_site_into(
        &mut conn,
        &one_batch,
        Site::in_folder(output.path().join("site"), None).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(in_folder.site, *site);
    assert_eq!(
        std::fs::read(output.path().join("site").join(&latest_path)).unwrap(),
        site.read(&latest_path).unwrap().as_ref()
    );
    let peak = built
        .stages
        .iter()
        .filter_map(|stage| stage.peak_memory_mb)
        .max();
    assert!(
        peak.is_some_and(|mb| mb > 0),
        "peak memory is reported: {peak:?}"
    );
}

#[tokio::test]
async fn a_broken_internal_link_fails_the_build_with_the_list_of_problems() {
    let database = TestDatabase::new();
    let uploads = tempfile::tempdir().unwrap();
    let inputs = seeded(&database, &uploads).await;
    let mut conn = database.conn();
    diesel::insert_into(redirect::table)
        .values((
            redirect::from_uri.eq("/old-topic"),
            redirect::to_uri.eq("/a-topic-that-does-not-exist"),
        ))
        .execute(&mut conn)
        .unwrap();
    match build_site(&mut conn, &inputs).await {
        Err(BuildError::Checks(problems)) => {
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert_eq!(problems[0].page, "old-topic/index.html");
            assert!(
                problems[0]
                    .message
                    .contains("/a-topic-that-does-not-exist/")
            );
        }
        other => panic!(
            "expected the checks to fail, got {:?}",
            other.map(|b| b.site.len())
        ),
    }
}
