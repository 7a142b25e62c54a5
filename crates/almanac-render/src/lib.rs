//! Renders the public site's pages. Every function here is pure: it takes data already
//! loaded from the database and returns HTML, so the publisher's preview and the site
//! build produce the same bytes from the same data.

pub mod dashboards;
pub mod figures;

use askama::Template;

mod measure;
mod site_build;

pub use site_build::{SiteError, SiteRender, render_site};

pub use measure::{
    MeasureFile, PageAddress, TextSection, dimension_stems, measure_file, measure_files,
    measure_page, review_page, site_measure_page, text_sections,
};

use almanac_content::site::{Correction, TopicSummary};
use almanac_content::site_pages::SitePageContent;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("template {template}: {source}")]
    Template {
        template: &'static str,
        source: askama::Error,
    },
    /// A stored chart or table that this release cannot read or draw.
    #[error("dimension “{dimension}”: {message}")]
    Figure { dimension: String, message: String },
}

/// Whether a page is rendered for the public site or previewed in the publisher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Exactly what the public sees: unpublished content is left out.
    Published,
    /// For editors: unpublished content is shown and marked, under a preview banner.
    Preview,
}

/// Settings that are the same for every page of a site.
#[derive(Debug, Clone)]
pub struct SiteSettings {
    pub site_name: String,
    /// The public site's address, without a trailing slash (for the sitemap and robots.txt).
    pub public_url: String,
    pub assets: AssetUrls,
    /// Whether each chart is also offered as a PNG. Drawing a PNG costs far more than the
    /// rest of a page, so it is a choice; every chart is always offered as SVG.
    pub chart_png: bool,
}

impl Default for SiteSettings {
    fn default() -> Self {
        SiteSettings {
            site_name: "Ethnicity facts and figures".to_owned(),
            public_url: "http://localhost:8000".to_owned(),
            assets: AssetUrls::default(),
            chart_png: false,
        }
    }
}

/// Where pages load their stylesheets and script from. The publisher serves them at fixed
/// paths; the site build gives them names with a content hash, cached for a year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetUrls {
    pub govuk_stylesheet: String,
    pub site_stylesheet: String,
    pub script: String,
}

impl Default for AssetUrls {
    fn default() -> Self {
        AssetUrls {
            govuk_stylesheet: "/assets/govuk-frontend/govuk-frontend.min.css".to_owned(),
            site_stylesheet: "/assets/almanac/css/site.css".to_owned(),
            script: "/assets/almanac/js/init.mjs".to_owned(),
        }
    }
}

/// What the base template needs from every page.
pub struct Layout {
    pub site_name: String,
    pub meta_description: Option<String>,
    /// False adds `<meta name="robots" content="noindex">`.
    pub indexable: bool,
    /// The address search engines should index for this content.
    pub canonical: Option<String>,
    pub preview_banner: Option<String>,
    pub assets: AssetUrls,
}

impl Layout {
    pub(crate) fn new(settings: &SiteSettings, mode: Mode) -> Layout {
        Layout {
            site_name: settings.site_name.clone(),
            meta_description: None,
            indexable: mode == Mode::Published,
            canonical: None,
            preview_banner: (mode == Mode::Preview).then(|| {
                "This is a preview: it shows unpublished content that the public site does not."
                    .to_owned()
            }),
            assets: settings.assets.clone(),
        }
    }
}

pub struct TopicLink {
    pub title: String,
    pub url: String,
    pub description: Option<String>,
    pub published: bool,
}

#[derive(Template)]
#[template(path = "site/homepage.html")]
struct HomepageTemplate {
    layout: Layout,
    introduction_html: String,
    topics: Vec<TopicLink>,
}

/// The homepage: the editors' introduction (the site page at the root, if published or
/// previewed) and every topic with something published (in preview, every topic), by title.
pub fn homepage(
    topics: &[TopicSummary],
    introduction: Option<&SitePageContent>,
    mode: Mode,
    settings: &SiteSettings,
) -> Result<String, RenderError> {
    let mut layout = Layout::new(settings, mode);
    layout.meta_description = introduction
        .and_then(|page| page.summary.clone())
        .or_else(|| {
            Some(format!(
                "{}: official statistics on ethnicity, by topic.",
                settings.site_name
            ))
        });
    let mut links: Vec<TopicLink> = topics
        .iter()
        .filter(|topic| mode == Mode::Preview || topic.is_published())
        .map(|topic| TopicLink {
            title: topic.display_title().to_owned(),
            url: format!("/{}/", topic.slug),
            description: topic.description.clone(),
            published: topic.is_published(),
        })
        .collect();
    links.sort_by(|a, b| a.title.cmp(&b.title));
    render(
        "site/homepage.html",
        &HomepageTemplate {
            layout,
            introduction_html: introduction
                .map(|page| almanac_markdown::render_page(&page.body))
                .unwrap_or_default(),
            topics: links,
        },
    )
}

#[derive(Template)]
#[template(path = "site/page.html")]
struct SitePageTemplate<'a> {
    layout: Layout,
    page: &'a SitePageContent,
    body_html: String,
}

/// One of the site's own pages (about, cookies, a methodology guide…): the editors' markdown
/// under the page title.
pub fn site_page(
    page: &SitePageContent,
    mode: Mode,
    settings: &SiteSettings,
) -> Result<String, RenderError> {
    let mut layout = Layout::new(settings, mode);
    layout.meta_description = page.summary.clone();
    render(
        "site/page.html",
        &SitePageTemplate {
            layout,
            page,
            body_html: almanac_markdown::render_page(&page.body),
        },
    )
}

pub struct CorrectionView {
    pub title: String,
    pub url: String,
    pub version: String,
    pub published_on: String,
    pub summary: Option<String>,
}

#[derive(Template)]
#[template(path = "site/corrections.html")]
struct CorrectionsTemplate {
    layout: Layout,
    corrections: Vec<CorrectionView>,
}

/// The public list of published versions that correct a data mistake, newest first.
pub fn corrections_page(
    corrections: &[Correction],
    mode: Mode,
    settings: &SiteSettings,
) -> Result<String, RenderError> {
    let mut layout = Layout::new(settings, mode);
    layout.meta_description = Some(
        "Pages where we corrected a mistake in the data, with what changed, newest first."
            .to_owned(),
    );
    let corrections = corrections
        .iter()
        .map(|correction| CorrectionView {
            title: correction.measure_title.clone(),
            url: correction.url(),
            version: format!("{}.{}", correction.version_major, correction.version_minor),
            published_on: correction.published_at.format("%-d %B %Y").to_string(),
            summary: correction.external_edit_summary.clone(),
        })
        .collect();
    render(
        "site/corrections.html",
        &CorrectionsTemplate {
            layout,
            corrections,
        },
    )
}

pub(crate) fn render(
    template_name: &'static str,
    template: &impl Template,
) -> Result<String, RenderError> {
    template.render().map_err(|source| RenderError::Template {
        template: template_name,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(slug: &str, title: &str, published_measures: i64) -> TopicSummary {
        TopicSummary {
            slug: slug.to_owned(),
            title: title.to_owned(),
            short_title: None,
            description: Some(format!("About {title} & more")),
            published_measures,
        }
    }

    #[test]
    fn published_homepage_lists_only_topics_with_published_measures() {
        let topics = [topic("health", "Health", 3), topic("housing", "Housing", 0)];
        let html = homepage(&topics, None, Mode::Published, &SiteSettings::default()).unwrap();
        assert!(html.contains(r#"href="/health/""#));
        assert!(!html.contains("/housing/"));
        assert!(!html.contains("noindex"));
        assert!(html.contains("<title>Home - Ethnicity facts and figures</title>"));
        assert!(html.contains(
            r#"<span class="govuk-header__product-name">Ethnicity facts and figures</span>"#
        ));
        assert!(html.contains("Open Government Licence"));
        assert!(
            html.contains("About Health &#38; more") || html.contains("About Health &amp; more")
        );
    }

    #[test]
    fn preview_shows_unpublished_topics_marked_and_not_indexed() {
        let topics = [topic("housing", "Housing", 0)];
        let html = homepage(&topics, None, Mode::Preview, &SiteSettings::default()).unwrap();
        assert!(html.contains(r#"href="/housing/""#));
        assert!(html.contains("Not published"));
        assert!(html.contains(r#"id="preview-banner-title""#));
        assert!(html.contains(r#"<meta name="robots" content="noindex">"#));
    }

    #[test]
    fn topics_are_sorted_by_title() {
        let topics = [topic("w", "Work", 1), topic("c", "Crime", 1)];
        let html = homepage(&topics, None, Mode::Published, &SiteSettings::default()).unwrap();
        assert!(html.find("Crime").unwrap() < html.find("Work").unwrap());
    }
}
