//! Everything the public site shows, loaded in one consistent snapshot for the site build.
//!
//! [`read`] works inside one REPEATABLE READ, read-only transaction, so a publish that commits
//! while the build reads is either wholly in the snapshot or wholly out of it. The snapshot
//! holds the site's outline (topics, the measures each lists, site pages, dashboards); the
//! measure pages, which are most of its size, come in batches from [`PageReader`] in the
//! same transaction, so a build holds a batch at a time however large the site.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Int4, Nullable, Text};

use crate::dashboards::DashboardDetail;
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
    /// The version ids of every published version of every listed measure, in id order:
    /// each renders at its own address, the newest also at `latest`. The pages themselves
    /// come from [`PageReader`].
    pub measure_page_ids: Vec<i32>,
    pub homepage_introduction: Option<SitePageContent>,
    /// Published site pages other than the homepage's introduction.
    pub site_pages: Vec<SitePageContent>,
    pub corrections: Vec<Correction>,
    /// `from` → `to`, both site paths.
    pub redirects: Vec<(String, String)>,
    /// The public dashboards, from the materialized views as last refreshed; the ethnic
    /// groups, classifications and geography levels without their lists, which
    /// [`PageReader::load_dashboard_detail`] loads one at a time.
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

/// How many measure pages [`PageReader`] loads at a time: enough that a query's cost is
/// spread, few enough that a batch is a few tens of megabytes.
pub const PAGE_BATCH: usize = 500;

/// The parts of a snapshot that are read piece by piece in its transaction: the measure
/// pages, batch by batch, and the list of each dashboard detail page.
pub struct PageReader<'a> {
    conn: &'a mut PgConnection,
    ids: &'a [i32],
    batch: usize,
}

impl PageReader<'_> {
    /// The next batch of pages in version id order, or `None` after the last.
    pub fn next_batch(&mut self) -> QueryResult<Option<Vec<MeasurePage>>> {
        if self.ids.is_empty() {
            return Ok(None);
        }
        let (batch, rest) = self.ids.split_at(self.batch.min(self.ids.len()));
        self.ids = rest;
        pages::measure_pages(self.conn, batch).map(Some)
    }

    /// Fills in an ethnic group, classification or geography level of the outline's
    /// dashboards with its list of pages.
    pub fn load_dashboard_detail(&mut self, detail: &mut DashboardDetail) -> QueryResult<()> {
        detail.load_topics(self.conn)
    }
}

/// Reads the site in one REPEATABLE READ, read-only transaction and gives `work` its outline
/// and its measure pages, `batch` at a time, inside that transaction. Returns the outline
/// with what `work` made.
pub fn read<T, E>(
    conn: &mut PgConnection,
    batch: usize,
    work: impl FnOnce(&SiteSnapshot, &mut PageReader<'_>) -> Result<T, E>,
) -> Result<(SiteSnapshot, T), E>
where
    E: From<diesel::result::Error>,
{
    conn.build_transaction()
        .repeatable_read()
        .read_only()
        .run(|conn| {
            let snapshot = outline(conn)?;
            let mut pages = PageReader {
                conn,
                ids: &snapshot.measure_page_ids,
                batch: batch.max(1),
            };
            let made = work(&snapshot, &mut pages)?;
            Ok((snapshot, made))
        })
}

/// The snapshot, its dashboards' lists included, and every measure page at once: for tests
/// and tools on small sites.
pub fn load(conn: &mut PgConnection) -> QueryResult<(SiteSnapshot, Vec<MeasurePage>)> {
    let (mut snapshot, (all, details)) = read(conn, PAGE_BATCH, |snapshot, pages| {
        let mut all = Vec::with_capacity(snapshot.measure_page_ids.len());
        while let Some(batch) = pages.next_batch()? {
            all.extend(batch);
        }
        let mut details: Vec<DashboardDetail> = snapshot.dashboards.details().collect();
        for detail in &mut details {
            pages.load_dashboard_detail(detail)?;
        }
        Ok::<_, diesel::result::Error>((all, details))
    })?;
    snapshot.dashboards.set_details(details);
    Ok((snapshot, all))
}

/// Everything but the measure pages.
fn outline(conn: &mut PgConnection) -> QueryResult<SiteSnapshot> {
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
    let measure_page_ids: Vec<i32> = diesel::sql_query(
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
        measure_page_ids,
        homepage_introduction: introduction.into_iter().next(),
        site_pages,
        corrections: site::corrections(conn)?,
        redirects,
        dashboards: crate::dashboards::Dashboards::load_outline(conn)?,
    })
}

#[derive(QueryableByName)]
struct VersionId {
    #[diesel(sql_type = Int4)]
    id: i32,
}
