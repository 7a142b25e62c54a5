//! Every page of a seeded demo site renders as the site build would render it, and so do
//! the files each page links to: the seed and the renderer agree on the stored figures.

use almanac_content::schema::measure_version;
use almanac_render::{Mode, SiteSettings, measure_files, measure_page};
use almanac_seed::{SeedOptions, seed};
use almanac_test_support::TestDatabase;
use diesel::prelude::*;

#[test]
fn every_seeded_published_page_and_its_files_render() {
    let database = TestDatabase::new();
    let mut conn = database.conn();
    almanac_content::reference::load_reference_data(&mut conn).unwrap();
    seed(
        &mut conn,
        SeedOptions {
            measures: 12,
            seed: 7,
        },
    )
    .unwrap();
    let published: Vec<i32> = measure_version::table
        .filter(measure_version::status.eq("APPROVED"))
        .select(measure_version::id)
        .load(&mut conn)
        .unwrap();
    assert!(!published.is_empty());
    let settings = SiteSettings::default();
    let mut figures = 0;
    for id in published {
        let page = almanac_content::pages::measure_page(&mut conn, id)
            .unwrap()
            .unwrap();
        let html = measure_page(&page, Mode::Published, &settings).unwrap();
        assert!(!html.contains("cannot be shown"));
        figures += html.matches("role=\"img\"").count();
        let files = measure_files(&page, &settings).unwrap();
        assert_eq!(
            files.len(),
            page.dimensions.len() * 3,
            "CSV, table CSV, SVG"
        );
        let with_png = SiteSettings {
            chart_png: true,
            ..SiteSettings::default()
        };
        if id % 5 == 0 {
            let files = measure_files(&page, &with_png).unwrap();
            assert_eq!(files.len(), page.dimensions.len() * 4, "and PNG");
        }
    }
    assert!(figures > 0);
}
