//! The whole public site from one snapshot: a pure function, so the same database always
//! gives byte-identical files (nothing here reads the clock or the disk). Measure pages come
//! in batches and render in parallel across cores; the site is ordered by path, so the order
//! of work never shows.

use std::collections::HashSet;

use askama::Template;
use rayon::prelude::*;

use almanac_content::pages::MeasurePage;
use almanac_content::snapshot::SiteSnapshot;
use almanac_site::Site;
use serde::Serialize;

use crate::measure::{PageAddress, measure_files, site_measure_page};
use crate::{Layout, Mode, RenderError, SiteSettings, render};

#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Output(#[from] almanac_site::SiteError),
}

/// Renders every page of the site (not the assets or the source uploads, which the build
/// adds from files) into a [`Site`]: each published version of each measure at its
/// version's address and the newest again at `latest`, with their figure files, batch by
/// batch ([`SiteRender::measure_pages`]); then ([`SiteRender::finish`]) the homepage, topic
/// pages, the site's own pages, corrections, the dashboards, search, redirects, 404, sitemap
/// and robots.txt.
pub struct SiteRender<'a> {
    snapshot: &'a SiteSnapshot,
    settings: &'a SiteSettings,
    /// Pages marked `noindex`, left out of the sitemap.
    unlisted: HashSet<String>,
}

impl<'a> SiteRender<'a> {
    pub fn new(snapshot: &'a SiteSnapshot, settings: &'a SiteSettings) -> SiteRender<'a> {
        SiteRender {
            snapshot,
            settings,
            unlisted: HashSet::new(),
        }
    }

    /// Renders a batch of measure pages, on every core, into `site`.
    pub fn measure_pages(
        &mut self,
        pages: &[MeasurePage],
        site: &mut Site,
    ) -> Result<(), SiteError> {
        let site_ref = &*site;
        let prepared: Vec<Result<Vec<(almanac_site::Prepared, bool)>, SiteError>> = pages
            .par_iter()
            .map(|page| {
                measure_outputs(page, self.snapshot.is_latest(page), self.settings)?
                    .into_iter()
                    .map(|(path, bytes)| {
                        let unlisted = is_unlisted(&path, &bytes);
                        Ok((site_ref.prepare(path, bytes)?, unlisted))
                    })
                    .collect()
            })
            .collect();
        for outputs in prepared {
            for (file, unlisted) in outputs? {
                if unlisted {
                    self.unlisted.insert(file.path().to_owned());
                }
                site.insert(file)?;
            }
        }
        Ok(())
    }

    /// Renders the page of one ethnic group, classification or geography level, its list
    /// loaded.
    pub fn dashboard_detail_page(
        &mut self,
        detail: &almanac_content::dashboards::DashboardDetail,
        site: &mut Site,
    ) -> Result<(), SiteError> {
        let (path, html) = crate::dashboards::detail_site_page(detail, self.settings)?;
        self.add(site, path, html.into_bytes())
    }

    /// Adds a page, noting it for the sitemap's list of pages not to index.
    fn add(
        &mut self,
        site: &mut Site,
        path: impl Into<String>,
        bytes: Vec<u8>,
    ) -> Result<(), SiteError> {
        let path = path.into();
        if is_unlisted(&path, &bytes) {
            self.unlisted.insert(path.clone());
        }
        site.add(path, bytes)?;
        Ok(())
    }

    /// Renders the pages made from the whole site: everything but the measure pages and the
    /// dashboards' detail pages.
    pub fn finish(mut self, site: &mut Site) -> Result<(), SiteError> {
        let (snapshot, settings) = (self.snapshot, self.settings);
        self.add(
            site,
            "index.html",
            crate::homepage(
                &snapshot.topics,
                snapshot.homepage_introduction.as_ref(),
                Mode::Published,
                settings,
            )?
            .into_bytes(),
        )?;
        for (path, html) in topic_pages(snapshot, settings)? {
            self.add(site, path, html.into_bytes())?;
        }
        for page in &snapshot.site_pages {
            self.add(
                site,
                format!("{}/index.html", page.path),
                crate::site_page(page, Mode::Published, settings)?.into_bytes(),
            )?;
        }
        self.add(
            site,
            "corrections/index.html",
            crate::corrections_page(&snapshot.corrections, Mode::Published, settings)?.into_bytes(),
        )?;
        for (path, html) in crate::dashboards::dashboard_site_pages(&snapshot.dashboards, settings)?
        {
            self.add(site, path, html.into_bytes())?;
        }
        self.add(
            site,
            "search/index.html",
            search_page(settings)?.into_bytes(),
        )?;
        self.add(site, "search/index.json", search_index(snapshot))?;
        for (from, to) in redirected_pages(site, &snapshot.redirects) {
            self.add(site, from, redirect_page(&to, settings)?.into_bytes())?;
        }
        self.add(site, "404.html", not_found_page(settings)?.into_bytes())?;
        self.add(site, "robots.txt", robots(settings).into_bytes())?;
        for (path, xml) in sitemaps(site, &self.unlisted, settings, SITEMAP_MAX_URLS) {
            self.add(site, path, xml.into_bytes())?;
        }
        Ok(())
    }
}

/// The whole site in memory at once, from a snapshot with its dashboards' lists loaded
/// (`snapshot::load`): for tests and small sites.
pub fn render_site(
    snapshot: &SiteSnapshot,
    pages: &[MeasurePage],
    settings: &SiteSettings,
) -> Result<Site, SiteError> {
    let mut site = Site::new();
    let mut render = SiteRender::new(snapshot, settings);
    render.measure_pages(pages, &mut site)?;
    for detail in snapshot.dashboards.details() {
        render.dashboard_detail_page(&detail, &mut site)?;
    }
    render.finish(&mut site)?;
    Ok(site)
}

/// Whether a folder's page asks not to be indexed, and so stays out of the sitemap: the
/// robots meta is in the head, so only that is looked through.
fn is_unlisted(path: &str, html: &[u8]) -> bool {
    if !path.ends_with("index.html") {
        return false;
    }
    let head = memchr::memmem::find(html, b"</head>").map_or(html, |end| &html[..end]);
    memchr::memmem::find(head, br#"<meta name="robots" content="noindex">"#).is_some()
}

/// Files by path, as one page's rendering produces them.
type Outputs = Vec<(String, Vec<u8>)>;

fn measure_outputs(
    page: &MeasurePage,
    latest: bool,
    settings: &SiteSettings,
) -> Result<Outputs, RenderError> {
    let mut outputs = Vec::new();
    let files = measure_files(page, settings)?;
    let path = page.path();
    let path = path.trim_start_matches('/');
    let mut folders = vec![(
        format!("{path}/{}", page.version.version()),
        PageAddress::Version,
    )];
    if latest {
        folders.push((format!("{path}/latest"), PageAddress::Latest));
    }
    for (folder, address) in folders {
        outputs.push((
            format!("{folder}/index.html"),
            site_measure_page(page, settings, address)?.into_bytes(),
        ));
        for file in &files {
            outputs.push((format!("{folder}/{}", file.path), file.bytes.clone()));
        }
    }
    Ok(outputs)
}

struct MeasureLink {
    title: String,
    url: String,
    summary: String,
}

struct SubtopicSection {
    slug: String,
    title: String,
    measures: Vec<MeasureLink>,
}

#[derive(Template)]
#[template(path = "site/topic.html")]
struct TopicTemplate<'a> {
    layout: Layout,
    topic: &'a almanac_content::snapshot::TopicPage,
    introduction_html: String,
    subtopics: Vec<SubtopicSection>,
}

/// A page for each topic with something published, listing its subtopics' measures.
fn topic_pages(
    snapshot: &SiteSnapshot,
    settings: &SiteSettings,
) -> Result<Vec<(String, String)>, RenderError> {
    let mut pages = Vec::new();
    for topic in &snapshot.topic_pages {
        let mut subtopics: Vec<SubtopicSection> = Vec::new();
        for measure in snapshot
            .measures
            .iter()
            .filter(|measure| measure.topic_slug == topic.slug)
        {
            let link = MeasureLink {
                title: measure.title.clone(),
                url: format!(
                    "/{}/{}/{}/latest/",
                    measure.topic_slug, measure.subtopic_slug, measure.slug
                ),
                summary: measure
                    .description
                    .as_deref()
                    .map(almanac_markdown::to_plain_text)
                    .unwrap_or_default(),
            };
            match subtopics.last_mut() {
                Some(section) if section.slug == measure.subtopic_slug => {
                    section.measures.push(link)
                }
                _ => subtopics.push(SubtopicSection {
                    slug: measure.subtopic_slug.clone(),
                    title: measure.subtopic_title.clone(),
                    measures: vec![link],
                }),
            }
        }
        if subtopics.is_empty() {
            continue;
        }
        let mut layout = Layout::new(settings, Mode::Published);
        layout.meta_description = topic
            .meta_description
            .clone()
            .or_else(|| topic.description.clone());
        let html = render(
            "site/topic.html",
            &TopicTemplate {
                layout,
                topic,
                introduction_html: topic
                    .additional_description
                    .as_deref()
                    .map(almanac_markdown::render_page)
                    .unwrap_or_default(),
                subtopics,
            },
        )?;
        pages.push((format!("{}/index.html", topic.slug), html));
    }
    Ok(pages)
}

#[derive(Template)]
#[template(path = "site/not_found.html")]
struct NotFoundTemplate {
    layout: Layout,
}

fn not_found_page(settings: &SiteSettings) -> Result<String, RenderError> {
    let mut layout = Layout::new(settings, Mode::Published);
    layout.indexable = false;
    render("site/not_found.html", &NotFoundTemplate { layout })
}

/// The redirect pages a set of address moves needs, as (old page path, new address). A
/// move covers its whole subtree: a renamed topic redirects every page under it, page by
/// page, because a static host has no prefix rules we can rely on. A live page at an old
/// address wins over a redirect away from it.
fn redirected_pages(site: &Site, moves: &[(String, String)]) -> Vec<(String, String)> {
    let mut pages = std::collections::BTreeMap::new();
    for (from, to) in moves {
        let (from, to) = (from.trim_matches('/'), to.trim_matches('/'));
        if from.is_empty() {
            continue;
        }
        let moved_here = site
            .iter()
            .filter(|_| !to.is_empty())
            .filter_map(|(path, _)| {
                let folder = path.strip_suffix("index.html")?;
                Some(folder.strip_prefix(to)?.strip_prefix('/')?.to_owned())
            })
            .collect::<Vec<_>>();
        // The old address itself always redirects, even when nothing lives at the new one
        // yet (a topic with no published measure).
        let rests = std::iter::once(String::new()).chain(moved_here);
        for rest in rests {
            let old = format!("{from}/{rest}index.html");
            if !site.contains(&old) {
                pages
                    .entry(old)
                    .or_insert_with(|| format!("/{to}/{rest}").replace("//", "/"));
            }
        }
    }
    pages.into_iter().collect()
}

#[derive(Template)]
#[template(path = "site/redirect.html")]
struct RedirectTemplate<'a> {
    layout: Layout,
    to: &'a str,
    canonical: String,
}

fn redirect_page(to: &str, settings: &SiteSettings) -> Result<String, RenderError> {
    let to = if to.ends_with('/') {
        to.to_owned()
    } else {
        format!("{to}/")
    };
    render(
        "site/redirect.html",
        &RedirectTemplate {
            layout: Layout::new(settings, Mode::Published),
            canonical: format!("{}{to}", settings.public_url),
            to: &to,
        },
    )
}

#[derive(Template)]
#[template(path = "site/search.html")]
struct SearchTemplate {
    layout: Layout,
}

fn search_page(settings: &SiteSettings) -> Result<String, RenderError> {
    let mut layout = Layout::new(settings, Mode::Published);
    layout.meta_description = Some(format!("Search {}", settings.site_name));
    render("site/search.html", &SearchTemplate { layout })
}

#[derive(Serialize)]
struct SearchEntry<'a> {
    title: &'a str,
    url: String,
    topic: &'a str,
    summary: String,
}

/// What the search page searches: every measure's latest page and every site page, with a
/// plain-text summary. Built here, so search needs no server.
fn search_index(snapshot: &SiteSnapshot) -> Vec<u8> {
    let topic_title = |slug: &str| {
        snapshot
            .topic_pages
            .iter()
            .find(|topic| topic.slug == slug)
            .map_or("", |topic| topic.title.as_str())
    };
    let mut entries: Vec<SearchEntry> = snapshot
        .measures
        .iter()
        .map(|measure| SearchEntry {
            title: &measure.title,
            url: format!(
                "/{}/{}/{}/latest/",
                measure.topic_slug, measure.subtopic_slug, measure.slug
            ),
            topic: topic_title(&measure.topic_slug),
            summary: measure
                .description
                .as_deref()
                .map(almanac_markdown::to_plain_text)
                .unwrap_or_default(),
        })
        .collect();
    entries.extend(snapshot.site_pages.iter().map(|page| SearchEntry {
        title: &page.title,
        url: page.url(),
        topic: "",
        summary: page.summary.clone().unwrap_or_default(),
    }));
    serde_json::to_vec(&entries).expect("search entries serialise")
}

fn robots(settings: &SiteSettings) -> String {
    format!(
        "User-agent: *\nDisallow: /search/index.json\n\nSitemap: {}/sitemap.xml\n",
        settings.public_url
    )
}

/// The most addresses one sitemap may list (sitemaps.org; search engines ignore the rest).
const SITEMAP_MAX_URLS: usize = 50_000;

/// Every indexable page (not `unlisted`), by its folder address: in `sitemap.xml`, or, when
/// there are more than `per_file`, in `sitemap-1.xml`, `sitemap-2.xml`, … with `sitemap.xml`
/// their index (the address robots.txt gives either way).
fn sitemaps(
    site: &Site,
    unlisted: &HashSet<String>,
    settings: &SiteSettings,
    per_file: usize,
) -> Vec<(String, String)> {
    let base = xml_escape(&settings.public_url);
    let urls: Vec<String> = site
        .iter()
        .filter(|(path, _)| !unlisted.contains(path))
        .filter_map(|(path, _)| {
            let folder = path.strip_suffix("index.html")?;
            Some(format!(
                "  <url><loc>{base}/{}</loc></url>\n",
                xml_escape(folder)
            ))
        })
        .collect();
    let urlset = |urls: &[String]| {
        let mut xml = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
        );
        urls.iter().for_each(|url| xml.push_str(url));
        xml.push_str("</urlset>\n");
        xml
    };
    if urls.len() <= per_file {
        return vec![("sitemap.xml".to_owned(), urlset(&urls))];
    }
    let mut index = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let mut files = Vec::new();
    for (number, part) in urls.chunks(per_file.max(1)).enumerate() {
        let path = format!("sitemap-{}.xml", number + 1);
        index.push_str(&format!("  <sitemap><loc>{base}/{path}</loc></sitemap>\n"));
        files.push((path, urlset(part)));
    }
    index.push_str("</sitemapindex>\n");
    files.push(("sitemap.xml".to_owned(), index));
    files
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::{redirected_pages, sitemaps};
    use almanac_site::Site;
    use std::collections::HashSet;

    #[test]
    fn a_site_past_the_sitemap_limit_gets_numbered_sitemaps_and_an_index() {
        let mut site = Site::new();
        for path in [
            "index.html",
            "a/index.html",
            "a/1.0/index.html",
            "b/index.html",
            "c/index.html",
        ] {
            site.add(path, Vec::new()).unwrap();
        }
        site.add("a/data.csv", Vec::new()).unwrap();
        let unlisted: HashSet<String> = ["a/1.0/index.html".to_owned()].into();
        let settings = crate::SiteSettings {
            public_url: "https://example.gov.uk".to_owned(),
            ..Default::default()
        };
        let one = sitemaps(&site, &unlisted, &settings, 4);
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].0, "sitemap.xml");
        assert_eq!(one[0].1.matches("<url>").count(), 4);

        let split = sitemaps(&site, &unlisted, &settings, 3);
        let paths: Vec<&str> = split.iter().map(|(path, _)| path.as_str()).collect();
        assert_eq!(paths, ["sitemap-1.xml", "sitemap-2.xml", "sitemap.xml"]);
        assert_eq!(split[0].1.matches("<url>").count(), 3);
        assert!(split[1].1.contains("<loc>https://example.gov.uk/</loc>"));
        let index = &split[2].1;
        assert!(index.contains("<sitemapindex"));
        assert!(index.contains("<loc>https://example.gov.uk/sitemap-1.xml</loc>"));
        assert!(index.contains("<loc>https://example.gov.uk/sitemap-2.xml</loc>"));
        assert!(split.iter().all(|(_, xml)| !xml.contains("/a/1.0/")));
    }

    #[test]
    fn a_moved_topic_redirects_every_page_under_it_but_never_over_a_live_page() {
        let mut site = Site::new();
        for path in [
            "index.html",
            "homes/index.html",
            "homes/rent/index.html",
            "homes/rent/renting/latest/index.html",
            "homes/rent/renting/latest/data/x.csv",
            "homes-and-land/index.html",
            "housing/rent/index.html",
        ] {
            site.add(path, b"x".to_vec()).unwrap();
        }
        let moves = [
            ("/housing".to_owned(), "/homes".to_owned()),
            ("/gone".to_owned(), "/".to_owned()),
        ];
        assert_eq!(
            redirected_pages(&site, &moves),
            [
                ("gone/index.html".to_owned(), "/".to_owned()),
                ("housing/index.html".to_owned(), "/homes/".to_owned()),
                (
                    "housing/rent/renting/latest/index.html".to_owned(),
                    "/homes/rent/renting/latest/".to_owned()
                ),
            ],
            "not homes-and-land, not over the live housing/rent page, not the CSV"
        );
    }
}
