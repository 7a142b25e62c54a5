//! The demo site's own pages: the homepage's introduction, about, a methodology guide,
//! cookies, privacy, the accessibility statement and the style guide, all published.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;

use almanac_content::schema::site_page;

/// (path, title, summary, markdown)
const PAGES: [(&str, &str, &str, &str); 7] = [
    (
        "",
        "Homepage",
        "Official statistics on ethnicity from across government, by topic.",
        include_str!("../site-pages/homepage.md"),
    ),
    (
        "background",
        "About this site",
        "Why this site exists and who publishes it.",
        include_str!("../site-pages/background.md"),
    ),
    (
        "understanding-our-data/how-to-read-survey-data",
        "How to read survey data",
        "What survey estimates, confidence intervals and small samples mean for the figures.",
        include_str!("../site-pages/understanding-our-data/how-to-read-survey-data.md"),
    ),
    (
        "cookies",
        "Cookies",
        "The cookies this site sets.",
        include_str!("../site-pages/cookies.md"),
    ),
    (
        "privacy-policy",
        "Privacy notice",
        "What personal data this site holds and why.",
        include_str!("../site-pages/privacy-policy.md"),
    ),
    (
        "accessibility-statement",
        "Accessibility statement",
        "How accessible this site is and how to report a problem.",
        include_str!("../site-pages/accessibility-statement.md"),
    ),
    (
        "style-guide",
        "Style guide",
        "How we write about ethnicity on this site.",
        include_str!("../site-pages/style-guide.md"),
    ),
];

/// Writes and publishes the demo pages, replacing any page at the same address (the
/// homepage's row always exists: the migration makes it). `published_at` is fixed by the
/// caller so that seeding stays deterministic.
pub fn seed_site_pages(conn: &mut PgConnection, published_at: DateTime<Utc>) -> QueryResult<usize> {
    let paths: Vec<&str> = PAGES.iter().map(|(path, ..)| *path).collect();
    diesel::delete(site_page::table.filter(site_page::path.eq_any(&paths))).execute(conn)?;
    let rows: Vec<_> = PAGES
        .iter()
        .map(|(path, title, summary, body)| {
            (
                site_page::path.eq(*path),
                site_page::title.eq(*title),
                site_page::summary.eq(*summary),
                site_page::body.eq(*body),
                site_page::published_title.eq(*title),
                site_page::published_summary.eq(*summary),
                site_page::published_body.eq(*body),
                site_page::published_at.eq(published_at),
                site_page::published_by.eq("seed"),
                site_page::updated_at.eq(published_at),
                site_page::updated_by.eq("seed"),
            )
        })
        .collect();
    diesel::insert_into(site_page::table)
        .values(&rows)
        .execute(conn)
}
