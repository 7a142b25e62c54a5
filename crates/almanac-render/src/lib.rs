//! Renders the public site's pages. Every function here is pure: it takes data already
//! loaded from the database and returns HTML, so the publisher's preview and the site
//! build produce the same bytes from the same data.

use askama::Template;

use almanac_content::site::TopicSummary;

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
    topics: Vec<TopicLink>,
}

/// The homepage: every topic with something published (in preview, every topic), by title.
pub fn homepage(
    topics: &[TopicSummary],
    mode: Mode,
    settings: &SiteSettings,
) -> Result<String, RenderError> {
    let mut layout = Layout::new(settings, mode);
    layout.meta_description = Some(format!(
        "{}: official statistics on ethnicity, by topic.",
        settings.site_name
    ));
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
            topics: links,
        },
    )
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
        let html = homepage(&topics, Mode::Published, &SiteSettings::default()).unwrap();
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
        let html = homepage(&topics, Mode::Preview, &SiteSettings::default()).unwrap();
        assert!(html.contains(r#"href="/housing/""#));
        assert!(html.contains("Not published"));
        assert!(html.contains(r#"id="preview-banner-title""#));
        assert!(html.contains(r#"<meta name="robots" content="noindex">"#));
    }

    #[test]
    fn topics_are_sorted_by_title() {
        let topics = [topic("w", "Work", 1), topic("c", "Crime", 1)];
        let html = homepage(&topics, Mode::Published, &SiteSettings::default()).unwrap();
        assert!(html.find("Crime").unwrap() < html.find("Work").unwrap());
    }
}
