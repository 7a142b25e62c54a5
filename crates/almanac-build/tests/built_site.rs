//! The built demo site as readers get it: the Nu HTML Checker finds no errors in any page,
//! and axe-core in Chromium finds no accessibility violations on any kind of page.

mod common;

use std::process::Command;

use almanac_build::pipeline::build_site;
use almanac_deploy::LocalFolder;
use almanac_render::SiteSettings;
use almanac_test_support::TestDatabase;
use almanac_test_support::browser::Browser;
use common::root;

#[tokio::test]
async fn every_page_kind_is_valid_html_and_accessible() {
    let database = TestDatabase::new();
    let folders = tempfile::tempdir().unwrap();
    let inputs = common::seeded_site(
        &database,
        &folders.path().join("uploads"),
        12,
        SiteSettings::default(),
    )
    .await;
    let mut conn = database.conn();
    let mut built = build_site(&mut conn, &inputs).await.unwrap();
    let folder = LocalFolder::new(folders.path().join("site"));
    let report = folder.deploy(&mut built.site, "test").unwrap();

    // vnu reads every HTML file of the folder; --errors-only leaves warnings out.
    let vnu = Command::new("java")
        .arg("-jar")
        .arg(root().join("node_modules/vnu-jar/build/dist/vnu.jar"))
        .args(["--skip-non-html", "--errors-only"])
        .arg(&report.folder)
        .output()
        .expect("run java (./dev test installs it)");
    assert!(
        vnu.status.success(),
        "the Nu HTML Checker found errors:\n{}",
        String::from_utf8_lossy(&vnu.stderr)
    );

    let measure = &built.snapshot.measures[0];
    let latest = format!(
        "/{}/{}/{}/latest/",
        measure.topic_slug, measure.subtopic_slug, measure.slug
    );
    let versioned = almanac_content::pages::measure_page(&mut conn, measure.version_id)
        .unwrap()
        .map(|page| format!("{}/{}/", page.path(), page.version.version()))
        .unwrap();
    let dashboards = &built.snapshot.dashboards;
    let dashboard_pages = [
        "/dashboards/".to_owned(),
        "/dashboards/whats-new/".to_owned(),
        "/dashboards/published/".to_owned(),
        "/dashboards/ethnic-groups/".to_owned(),
        almanac_render::dashboards::ethnic_group_url(&dashboards.ethnic_groups[0]),
        "/dashboards/ethnicity-classifications/".to_owned(),
        almanac_render::dashboards::classification_url(&dashboards.classifications[0]),
        "/dashboards/geographic-breakdown/".to_owned(),
        almanac_render::dashboards::geography_level_url(&dashboards.geography_levels[0]),
    ];
    let router =
        axum::Router::new().fallback_service(tower_http::services::ServeDir::new(&report.folder));
    let (base, server) = almanac_test_support::http::serve(router).await;
    let browser = Browser::start().await;
    for path in [
        "/".to_owned(),
        format!("/{}/", measure.topic_slug),
        latest,
        versioned,
        "/cookies/".to_owned(),
        "/corrections/".to_owned(),
        "/search/?q=employment".to_owned(),
        "/404.html".to_owned(),
    ]
    .into_iter()
    .chain(dashboard_pages)
    {
        browser.goto(&format!("{base}{path}")).await;
        let violations = browser.accessibility_violations().await;
        assert!(violations.is_empty(), "{path}: {violations:#?}");
    }
    browser.close().await;
    server.abort();
}
