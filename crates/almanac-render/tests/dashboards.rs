//! The dashboards of a seeded site, rendered as the site build renders them: every page is
//! there, every link from a dashboard leads to a page of the site, titles are unique, and the
//! same database gives the same bytes.

use std::collections::BTreeSet;

use almanac_content::dashboards;
use almanac_render::{SiteSettings, render_site};
use almanac_seed::{SeedOptions, seed};
use almanac_test_support::TestDatabase;

fn hrefs(html: &str) -> Vec<&str> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect()
}

#[test]
fn every_dashboard_renders_from_seeded_data_with_working_links() {
    let database = TestDatabase::new();
    let mut conn = database.conn();
    seed(
        &mut conn,
        SeedOptions {
            measures: 25,
            seed: 9,
        },
    )
    .unwrap();
    almanac_content::db::refresh_dashboard_views(&mut conn).unwrap();
    let (snapshot, measure_pages) = almanac_content::snapshot::load(&mut conn).unwrap();
    let settings = SiteSettings::default();
    let site = render_site(&snapshot, &measure_pages, &settings).unwrap();

    let dashboards = &snapshot.dashboards;
    assert!(!dashboards.ethnic_groups.is_empty());
    let expected = 6
        + dashboards.ethnic_groups.len()
        + dashboards.classifications.len()
        + dashboards.geography_levels.len();
    let pages: Vec<(String, String)> = site
        .iter()
        .filter(|(path, _)| path.starts_with("dashboards/"))
        .map(|(path, _)| {
            let text = String::from_utf8(site.read(&path).unwrap().into_owned()).unwrap();
            (path, text)
        })
        .collect();
    assert_eq!(pages.len(), expected);
    assert!(!site.contains("dashboards/planned-pages/index.html"));
    assert!(!site.contains("dashboards/measures/index.html"));

    let mut titles = BTreeSet::new();
    let mut measure_links = 0;
    for (path, html) in &pages {
        let title = html
            .split("<title>")
            .nth(1)
            .and_then(|rest| rest.split("</title>").next())
            .unwrap();
        assert!(
            titles.insert(title.to_owned()),
            "{path}: title {title} again"
        );
        assert!(!html.contains("noindex"), "{path}");
        for href in hrefs(html).into_iter().filter(|href| href.starts_with('/')) {
            if href.starts_with("/assets/") {
                continue;
            }
            let target = format!("{}index.html", href.trim_start_matches('/'));
            assert!(
                site.contains(&target),
                "{path} links to {href}, not on the site"
            );
            if href.ends_with("/latest/") {
                measure_links += 1;
            }
        }
    }
    assert!(measure_links > 0);
    let classifications = pages
        .iter()
        .find(|(path, _)| path == "dashboards/ethnicity-classifications/index.html")
        .unwrap();
    assert_eq!(
        classifications.1.matches("<th scope=\"row\"").count(),
        dashboards.classifications.len(),
        "every classification, used or not"
    );
    assert!(
        site.contains("dashboards/published/index.html")
            && String::from_utf8_lossy(&site.read("dashboards/published/index.html").unwrap())
                .contains("Week starting")
    );

    // Publisher-only pages render from the same database.
    let planned = dashboards::planned_pages(&mut conn).unwrap();
    let html = almanac_render::dashboards::planned_pages_page(&planned, &settings).unwrap();
    let total: usize = planned.iter().map(|stage| stage.pages.len()).sum();
    assert!(total > 0);
    assert!(html.contains(&format!(
        "<td class=\"govuk-table__cell govuk-table__cell--numeric\">{total}</td>"
    )));
    let all = dashboards::all_measures(&mut conn).unwrap();
    let html = almanac_render::dashboards::all_measures_page(&all, &settings).unwrap();
    assert!(html.contains("Every measure (25)"));

    // The same database gives the same bytes.
    let (again, again_pages) = almanac_content::snapshot::load(&mut conn).unwrap();
    let site_again = render_site(&again, &again_pages, &settings).unwrap();
    for (path, html) in &pages {
        assert_eq!(
            String::from_utf8_lossy(&site_again.read(path).unwrap()),
            html.as_str()
        );
    }
}
