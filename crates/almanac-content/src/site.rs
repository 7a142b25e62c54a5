//! Read models of the public site, loaded from the database for the renderer.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

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
