//! Everything the public site shows, loaded in one consistent snapshot for the site build.
//!
//! [`load`] reads inside one REPEATABLE READ, read-only transaction, so a publish that commits
//! while the build reads is either wholly in the snapshot or wholly out of it. The renderer
//! then works from this value alone.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Int4, Nullable, Text};

use crate::pages::{self, MeasurePage};
use crate::site::{self, Correction, TESTING_SPACE_SLUG, TopicSummary};
use crate::site_pages::{self, HOMEPAGE_PATH, SitePageContent};

/// A measure as its topic page lists it: its newest published version.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct PublishedMeasure {
    #[diesel(sql_type = Int4)]
    pub version_id: i32,
    #[diesel(sql_type = Text)]
    pub topic_slug: String,
    #[diesel(sql_type = Text)]
    pub subtopic_slug: String,
    #[diesel(sql_type = Text)]
    pub subtopic_title: String,
    #[diesel(sql_type = Int4)]
    pub subtopic_position: i32,
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Int4)]
    pub position: i32,
    /// The version's short description, markdown.
    #[diesel(sql_type = Nullable<Text>)]
    pub description: Option<String>,
}

/// A topic with what its page needs.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct TopicPage {
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub description: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub additional_description: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub meta_description: Option<String>,
}

/// The whole public site's content.
#[derive(Debug, Clone)]
pub struct SiteSnapshot {
    pub topics: Vec<TopicSummary>,
    pub topic_pages: Vec<TopicPage>,
    /// The newest published version of every measure the site lists, in topic, subtopic and
    /// measure order.
    pub measures: Vec<PublishedMeasure>,
    /// Every published version of every listed measure (each renders at its own address;
    /// the newest also at `latest`).
    pub measure_pages: Vec<MeasurePage>,
    pub homepage_introduction: Option<SitePageContent>,
    /// Published site pages other than the homepage's introduction.
    pub site_pages: Vec<SitePageContent>,
    pub corrections: Vec<Correction>,
    /// `from` → `to`, both site paths.
    pub redirects: Vec<(String, String)>,
    /// The public dashboards, from the materialized views as last refreshed.
    pub dashboards: crate::dashboards::Dashboards,
    /// The version ids of `measures`, for `is_latest` (asked once per page: a scan of
    /// `measures` each time made the build quadratic in the site's size).
    latest_version_ids: std::collections::HashSet<i32>,
}

impl SiteSnapshot {
    /// Whether this page is the newest published version of its measure.
    pub fn is_latest(&self, page: &MeasurePage) -> bool {
        self.latest_version_ids.contains(&page.version.id)
    }
}

const PUBLISHED_MEASURES: &str = "
    SELECT DISTINCT ON (m.id) mv.id AS version_id, t.slug AS topic_slug, s.slug AS subtopic_slug,
           s.title AS subtopic_title, s.position AS subtopic_position, m.slug, mv.title,
           m.position, mv.description
    FROM measure m
    JOIN subtopic s ON s.id = m.subtopic_id
    JOIN topic t ON t.id = s.topic_id
    JOIN measure_version mv ON mv.measure_id = m.id
    WHERE mv.status = 'APPROVED' AND mv.published_at IS NOT NULL AND NOT m.retired
      AND t.slug <> $1
    ORDER BY m.id, mv.version_major DESC, mv.version_minor DESC";

/// Loads the snapshot in one REPEATABLE READ, read-only transaction.
pub fn load(conn: &mut PgConnection) -> QueryResult<SiteSnapshot> {
    conn.build_transaction()
        .repeatable_read()
        .read_only()
        .run(|conn| {
            let topics = site::topic_summaries(conn)?;
            let topic_pages: Vec<TopicPage> = diesel::sql_query(
                "SELECT slug, title, description, additional_description, meta_description
                 FROM topic ORDER BY position, title",
            )
            .load(conn)?;
            let mut measures: Vec<PublishedMeasure> = diesel::sql_query(PUBLISHED_MEASURES)
                .bind::<Text, _>(TESTING_SPACE_SLUG)
                .load(conn)?;
            measures.sort_by(|a, b| {
                (
                    &a.topic_slug,
                    a.subtopic_position,
                    &a.subtopic_slug,
                    a.position,
                    &a.title,
                )
                    .cmp(&(
                        &b.topic_slug,
                        b.subtopic_position,
                        &b.subtopic_slug,
                        b.position,
                        &b.title,
                    ))
            });
            let version_ids: Vec<i32> = diesel::sql_query(
                "SELECT mv.id AS id FROM measure_version mv
                 JOIN measure m ON m.id = mv.measure_id
                 JOIN subtopic s ON s.id = m.subtopic_id
                 JOIN topic t ON t.id = s.topic_id
                 WHERE mv.status = 'APPROVED' AND mv.published_at IS NOT NULL AND NOT m.retired
                   AND t.slug <> $1
                 ORDER BY mv.id",
            )
            .bind::<Text, _>(TESTING_SPACE_SLUG)
            .load::<VersionId>(conn)?
            .into_iter()
            .map(|row| row.id)
            .collect();
            // In chunks, so no one query carries an unbounded array.
            let mut measure_pages = Vec::with_capacity(version_ids.len());
            for chunk in version_ids.chunks(2_000) {
                measure_pages.extend(pages::measure_pages(conn, chunk)?);
            }
            let published = site_pages::published(conn)?;
            let (introduction, site_pages): (Vec<_>, Vec<_>) = published
                .into_iter()
                .partition(|page| page.path == HOMEPAGE_PATH);
            let redirects = crate::schema::redirect::table
                .order(crate::schema::redirect::from_uri)
                .select((
                    crate::schema::redirect::from_uri,
                    crate::schema::redirect::to_uri,
                ))
                .load(conn)?;
            Ok(SiteSnapshot {
                topics,
                topic_pages,
                latest_version_ids: measures.iter().map(|measure| measure.version_id).collect(),
                measures,
                measure_pages,
                homepage_introduction: introduction.into_iter().next(),
                site_pages,
                corrections: site::corrections(conn)?,
                redirects,
                dashboards: crate::dashboards::Dashboards::load(conn)?,
            })
        })
}

#[derive(QueryableByName)]
struct VersionId {
    #[diesel(sql_type = Int4)]
    id: i32,
}
