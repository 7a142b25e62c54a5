//! Renders the public site's pages. Every function here is pure: it takes data already
//! loaded from the database and returns HTML, so the publisher's preview and the site
//! build produce the same bytes from the same data.

pub mod figures;

use askama::Template;

use almanac_content::pages::MeasurePage;
use almanac_content::site::{Correction, TopicSummary};
use almanac_content::site_pages::SitePageContent;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("template {template}: {source}")]
    Template {
        template: &'static str,
        source: askama::Error,
    },
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
}

impl Default for SiteSettings {
    fn default() -> Self {
        SiteSettings {
            site_name: "Ethnicity facts and figures".to_owned(),
        }
    }
}

/// What the base template needs from every page.
pub struct Layout {
    pub site_name: String,
    pub meta_description: Option<String>,
    /// False adds `<meta name="robots" content="noindex">`.
    pub indexable: bool,
    pub preview_banner: Option<String>,
}

impl Layout {
    fn new(settings: &SiteSettings, mode: Mode) -> Layout {
        Layout {
            site_name: settings.site_name.clone(),
            meta_description: None,
            indexable: mode == Mode::Published,
            preview_banner: (mode == Mode::Preview).then(|| {
                "This is a preview: it shows unpublished content that the public site does not."
                    .to_owned()
            }),
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
                .map(|page| almanac_markdown::render(&page.body))
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
            body_html: almanac_markdown::render(&page.body),
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

/// A section of a measure page: a heading and editor-written markdown, rendered.
pub struct Section {
    pub id: &'static str,
    pub heading: &'static str,
    pub html: String,
}

pub struct DimensionView {
    pub title: String,
    pub time_period: Option<String>,
    pub summary_html: String,
}

pub struct DownloadView {
    pub title: String,
    pub url: Option<String>,
    pub description: Option<String>,
    pub size: String,
    /// Shown in preview only: why there is no link yet.
    pub note: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "site/measure.html")]
struct MeasureTemplate<'a> {
    layout: Layout,
    page: &'a MeasurePage,
    status_label: &'static str,
    published_on: Option<String>,
    area_covered: String,
    main_points: String,
    sections: Vec<Section>,
    dimensions: Vec<DimensionView>,
    downloads: Vec<DownloadView>,
}

/// A measure page. In preview it shows the version whatever its status, under a banner
/// naming the status; files that have not passed their virus scan are listed but never
/// linked, in either mode.
pub fn measure_page(
    page: &MeasurePage,
    mode: Mode,
    settings: &SiteSettings,
) -> Result<String, RenderError> {
    let downloads = format!("{}/{}/downloads", page.path(), page.version.version());
    render_measure_page(page, mode, settings, &downloads)
}

/// A measure page as a review link shows it: a preview whose download links go through the
/// link (`/review/<token>/downloads/…`), so a reviewer without an account can open them.
pub fn review_page(
    page: &MeasurePage,
    settings: &SiteSettings,
    token: &str,
) -> Result<String, RenderError> {
    render_measure_page(
        page,
        Mode::Preview,
        settings,
        &format!("/review/{token}/downloads"),
    )
}

fn render_measure_page(
    page: &MeasurePage,
    mode: Mode,
    settings: &SiteSettings,
    downloads_prefix: &str,
) -> Result<String, RenderError> {
    let version = &page.version;
    let status = version.status();
    let mut layout = Layout::new(settings, mode);
    layout.meta_description = version
        .description
        .as_deref()
        .map(almanac_markdown::to_plain_text)
        .filter(|text| !text.is_empty());
    if mode == Mode::Preview {
        layout.preview_banner = Some(format!(
            "This is a preview of version {} ({}). The public sees only published versions.",
            version.version(),
            status.label()
        ));
    }
    let markdown = |text: &Option<String>| {
        text.as_deref()
            .map(almanac_markdown::render)
            .unwrap_or_default()
    };
    let mut sections = Vec::new();
    for (id, heading, text) in [
        (
            "things-you-need-to-know",
            "Things you need to know",
            &version.need_to_know,
        ),
        (
            "what-the-data-measures",
            "What the data measures",
            &version.measure_summary,
        ),
        (
            "ethnic-categories",
            "The ethnic categories used in this data",
            &version.ethnicity_definition_summary,
        ),
        ("methodology", "Methodology", &version.methodology),
        (
            "suppression-rules",
            "Suppression rules and disclosure control",
            &version.suppression_and_disclosure,
        ),
        ("rounding", "Rounding", &version.estimation),
        (
            "related-publications",
            "Related publications",
            &version.related_publications,
        ),
        (
            "further-information",
            "Further technical information",
            &version.further_technical_information,
        ),
    ] {
        let html = markdown(text);
        if !html.is_empty() {
            sections.push(Section { id, heading, html });
        }
    }
    let dimensions = page
        .dimensions
        .iter()
        .map(|dimension| DimensionView {
            title: dimension.title.clone(),
            time_period: dimension.time_period.clone(),
            summary_html: markdown(&dimension.summary),
        })
        .collect();
    let downloads = page
        .uploads
        .iter()
        .filter(|upload| mode == Mode::Preview || upload.is_clean())
        .map(|upload| DownloadView {
            title: upload.title.clone(),
            url: upload
                .is_clean()
                .then(|| format!("{downloads_prefix}/{}", upload.file_name)),
            description: upload.description.clone(),
            size: human_size(upload.size_bytes),
            note: (!upload.is_clean()).then_some("Not available until it passes its virus scan"),
        })
        .collect();
    render(
        "site/measure.html",
        &MeasureTemplate {
            layout,
            page,
            status_label: status.label(),
            published_on: version
                .published_at
                .map(|date| date.format("%-d %B %Y").to_string()),
            area_covered: almanac_content::describe_area_covered(&version.areas()),
            main_points: markdown(&version.summary),
            sections,
            dimensions,
            downloads,
        },
    )
}

/// "12 KB", "3.4 MB": as GOV.UK shows file sizes.
fn human_size(bytes: i64) -> String {
    const KB: f64 = 1024.0;
    let bytes = bytes.max(0) as f64;
    if bytes < KB {
        format!("{bytes} bytes")
    } else if bytes < KB * KB {
        format!("{:.0} KB", (bytes / KB).ceil())
    } else {
        format!("{:.1} MB", bytes / (KB * KB))
    }
}

fn render(template_name: &'static str, template: &impl Template) -> Result<String, RenderError> {
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
