//! Read models of the public site, loaded from the database for the renderer.

use chrono::NaiveDate;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer, Nullable, Text};

/// The topic that holds editors' experiments: never on the public site.
pub const TESTING_SPACE_SLUG: &str = "testing-space";

/// A topic as the homepage lists it.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct TopicSummary {
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub short_title: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub description: Option<String>,
    /// Measures in this topic with at least one published version.
    #[diesel(sql_type = BigInt)]
    pub published_measures: i64,
}

impl TopicSummary {
    /// Whether the public site shows the topic.
    pub fn is_published(&self) -> bool {
        self.published_measures > 0 && self.slug != TESTING_SPACE_SLUG
    }

    /// The homepage uses the short title where there is one.
    pub fn display_title(&self) -> &str {
        self.short_title.as_deref().unwrap_or(&self.title)
    }
}

/// Every topic, with how many of its measures are published.
pub fn topic_summaries(conn: &mut PgConnection) -> QueryResult<Vec<TopicSummary>> {
    diesel::sql_query(
        "SELECT t.slug, t.title, t.short_title, t.description,
                count(DISTINCT m.id) FILTER (WHERE mv.status = 'APPROVED') AS published_measures
         FROM topic t
         LEFT JOIN subtopic s ON s.topic_id = t.id
         LEFT JOIN measure m ON m.subtopic_id = s.id AND NOT m.retired
         LEFT JOIN measure_version mv ON mv.measure_id = m.id
         GROUP BY t.id
         ORDER BY t.title",
    )
    .load(conn)
}

/// A published version that corrects a mistake in an earlier one, as the public corrections
/// page lists it.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Correction {
    #[diesel(sql_type = Text)]
    pub measure_title: String,
    #[diesel(sql_type = Text)]
    pub topic_slug: String,
    #[diesel(sql_type = Text)]
    pub subtopic_slug: String,
    #[diesel(sql_type = Text)]
    pub measure_slug: String,
    #[diesel(sql_type = Integer)]
    pub version_major: i32,
    #[diesel(sql_type = Integer)]
    pub version_minor: i32,
    #[diesel(sql_type = Date)]
    pub published_at: NaiveDate,
    /// What changed, as the editor told the public.
    #[diesel(sql_type = Nullable<Text>)]
    pub external_edit_summary: Option<String>,
}

impl Correction {
    /// The corrected version's own address (not `latest`: the correction is in this one).
    pub fn url(&self) -> String {
        format!(
            "/{}/{}/{}/{}.{}/",
            self.topic_slug,
            self.subtopic_slug,
            self.measure_slug,
            self.version_major,
            self.version_minor
        )
    }
}

/// Published versions that correct a data mistake, newest first (the model's
/// `/corrections` page). Retired measures and the testing space are left out, as the site
/// leaves them out.
pub fn corrections(conn: &mut PgConnection) -> QueryResult<Vec<Correction>> {
    diesel::sql_query(
        "SELECT mv.title AS measure_title, t.slug AS topic_slug, s.slug AS subtopic_slug,
                m.slug AS measure_slug, mv.version_major, mv.version_minor, mv.published_at,
                mv.external_edit_summary
         FROM measure_version mv
         JOIN measure m ON m.id = mv.measure_id
         JOIN subtopic s ON s.id = m.subtopic_id
         JOIN topic t ON t.id = s.topic_id
         WHERE mv.status = 'APPROVED' AND mv.update_corrects_data_mistake
           AND mv.published_at IS NOT NULL AND NOT m.retired AND t.slug <> $1
         ORDER BY mv.published_at DESC, mv.id DESC",
    )
    .bind::<Text, _>(TESTING_SPACE_SLUG)
    .load(conn)
}
