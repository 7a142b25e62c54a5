//! The public site's own pages (about, methodology guides, cookies, privacy, accessibility,
//! style guide) and the homepage's introduction. Each row holds the editors' draft and,
//! once published, the published copy that the site build renders.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;

use crate::schema::site_page;

/// The path of the homepage's introduction.
pub const HOMEPAGE_PATH: &str = "";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = site_page)]
pub struct SitePage {
    pub id: i32,
    pub path: String,
    pub title: String,
    pub summary: Option<String>,
    pub body: String,
    pub published_title: Option<String>,
    pub published_summary: Option<String>,
    pub published_body: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub published_by: Option<String>,
    pub lock_version: i32,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<String>,
}

/// What a renderer needs of a site page: one copy of it, draft or published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitePageContent {
    pub path: String,
    pub title: String,
    pub summary: Option<String>,
    /// Markdown.
    pub body: String,
}

impl SitePageContent {
    /// The public address, with slashes at both ends.
    pub fn url(&self) -> String {
        if self.path.is_empty() {
            "/".to_owned()
        } else {
            format!("/{}/", self.path)
        }
    }
}

/// Where a page stands, as the publisher shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SitePageState {
    NeverPublished,
    Published,
    /// Published, and the draft differs from what the site shows.
    PublishedWithChanges,
}

impl SitePageState {
    pub fn label(self) -> &'static str {
        match self {
            SitePageState::NeverPublished => "Not published",
            SitePageState::Published => "Published",
            SitePageState::PublishedWithChanges => "Published, with unpublished changes",
        }
    }
}

impl SitePage {
    pub fn is_homepage(&self) -> bool {
        self.path == HOMEPAGE_PATH
    }

    pub fn draft(&self) -> SitePageContent {
        SitePageContent {
            path: self.path.clone(),
            title: self.title.clone(),
            summary: self.summary.clone(),
            body: self.body.clone(),
        }
    }

    /// The copy the public site shows, if any.
    pub fn published(&self) -> Option<SitePageContent> {
        self.published_at?;
        Some(SitePageContent {
            path: self.path.clone(),
            title: self.published_title.clone()?,
            summary: self.published_summary.clone(),
            body: self.published_body.clone()?,
        })
    }

    pub fn state(&self) -> SitePageState {
        match self.published() {
            None => SitePageState::NeverPublished,
            Some(published) if published == self.draft() => SitePageState::Published,
            Some(_) => SitePageState::PublishedWithChanges,
        }
    }
}

/// Every site page, the homepage first, then by address.
pub fn all(conn: &mut PgConnection) -> QueryResult<Vec<SitePage>> {
    site_page::table
        .order(site_page::path)
        .select(SitePage::as_select())
        .load(conn)
}

/// The published copies, by address: what the site build renders.
pub fn published(conn: &mut PgConnection) -> QueryResult<Vec<SitePageContent>> {
    Ok(all(conn)?.iter().filter_map(SitePage::published).collect())
}

pub fn find(conn: &mut PgConnection, id: i32) -> QueryResult<Option<SitePage>> {
    site_page::table
        .find(id)
        .select(SitePage::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_path(conn: &mut PgConnection, path: &str) -> QueryResult<Option<SitePage>> {
    site_page::table
        .filter(site_page::path.eq(path))
        .select(SitePage::as_select())
        .first(conn)
        .optional()
}
