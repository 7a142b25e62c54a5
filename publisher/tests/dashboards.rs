//! The dashboards in the publisher: every page renders from a seeded site (the public ones as
//! the site renders them, but linking to the publisher's previews), the publisher-only pages
//! list what is not yet published, and access follows VIEW_DASHBOARDS.

mod common;

use almanac_content::UserType;
use almanac_content::dashboards;
use almanac_seed::{SeedOptions, seed};
use axum::http::StatusCode;
use common::TestApp;

/// Every `<title>` of the pages, to check that each is unique.
fn title(body: &str) -> String {
    let start = body.find("<title>").expect("a title") + "<title>".len();
    let end = body[start..].find("</title>").unwrap() + start;
    body[start..end].to_owned()
}

#[tokio::test]
async fn every_dashboard_renders_from_seeded_data() {
    let app = TestApp::new();
    seed(
        &mut app.conn(),
        SeedOptions {
            measures: 30,
            seed: 5,
        },
    )
    .unwrap();
    almanac_content::db::refresh_dashboard_views(&mut app.conn()).unwrap();
    let loaded = dashboards::Dashboards::load(&mut app.conn()).unwrap();
    let group = loaded
        .ethnic_groups
        .first()
        .expect("the seed categorises dimensions");
    let classification = loaded
        .classifications
        .iter()
        .find(|c| c.dimension_count > 0)
        .unwrap();
    let unused = loaded
        .classifications
        .iter()
        .find(|c| c.dimension_count == 0)
        .unwrap();
    let level = loaded
        .geography_levels
        .iter()
        .find(|level| level.measure_count > 0)
        .unwrap();
    let planned = dashboards::planned_pages(&mut app.conn()).unwrap();
    let first_planned = planned
        .iter()
        .flat_map(|stage| &stage.pages)
        .next()
        .expect("the seed leaves some pages unpublished");

    let editor = app.user("editor@centre.gov.uk", UserType::CentralEditor);
    let mut client = app.signed_in(&editor);
    let pages: Vec<(String, Vec<String>)> = vec![
        (
            "/dashboards".to_owned(),
            vec!["Planned pages".to_owned(), "All measures".to_owned()],
        ),
        (
            "/dashboards/whats-new/".to_owned(),
            vec![format!(
                "href=\"/cms{}/{}/preview\"",
                loaded.major_publications[0].measure.path(),
                loaded.major_publications[0].measure.version()
            )],
        ),
        (
            "/dashboards/published/".to_owned(),
            vec!["Week starting".to_owned()],
        ),
        (
            "/dashboards/ethnic-groups/".to_owned(),
            vec![format!(
                "href=\"/dashboards/ethnic-groups/{}/\"",
                group.slug
            )],
        ),
        (
            format!("/dashboards/ethnic-groups/{}/", group.slug),
            vec![group.topics[0].subtopics[0].measures[0].dimensions[0].clone()],
        ),
        (
            "/dashboards/ethnicity-classifications/".to_owned(),
            vec![format!("({})", unused.id)],
        ),
        (
            format!(
                "/dashboards/ethnicity-classifications/{}",
                classification.path_segment()
            ),
            vec![classification.long_title.clone()],
        ),
        (
            format!(
                "/dashboards/ethnicity-classifications/{}/",
                unused.path_segment()
            ),
            vec!["No published page uses this classification.".to_owned()],
        ),
        (
            "/dashboards/geographic-breakdown/".to_owned(),
            vec![level.name.clone()],
        ),
        (
            format!("/dashboards/geographic-breakdown/{}/", level.slug),
            vec![
                level.topics[0].subtopics[0].measures[0]
                    .measure
                    .title
                    .clone(),
            ],
        ),
        (
            "/dashboards/planned-pages/".to_owned(),
            vec![format!(
                "href=\"/cms{}/{}\"",
                first_planned.measure.path(),
                first_planned.measure.version()
            )],
        ),
        (
            "/dashboards/measures/".to_owned(),
            vec!["Published version".to_owned()],
        ),
    ];
    let mut titles = Vec::new();
    for (path, expected) in pages {
        let page = client.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        page.assert_contains("noindex");
        for text in expected {
            assert!(
                page.body.contains(&text) || page.body.contains(&text.replace('\'', "&#39;")),
                "{path} lacks {text}"
            );
        }
        titles.push(title(&page.body));
    }
    let count = titles.len();
    titles.sort();
    titles.dedup();
    assert_eq!(titles.len(), count, "titles are unique: {titles:?}");

    client
        .get("/dashboards/ethnic-groups/no-such-group/")
        .await
        .status
        .eq(&StatusCode::NOT_FOUND)
        .then_some(())
        .expect("an unknown group is not found");
    client
        .get("/account")
        .await
        .assert_contains("href=\"/dashboards/\"");

    // Departmental users read what's new only, and have no link to the dashboards.
    let departmental = app.user("someone@dept.gov.uk", UserType::Departmental);
    let mut client = app.signed_in(&departmental);
    assert_eq!(
        client.get("/dashboards/whats-new/").await.status,
        StatusCode::OK
    );
    assert_eq!(
        client.get("/dashboards/planned-pages/").await.status,
        StatusCode::FORBIDDEN
    );
    assert!(
        !client
            .get("/account")
            .await
            .body
            .contains("href=\"/dashboards/\"")
    );
}
