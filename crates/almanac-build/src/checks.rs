//! Checks of the built site before anything is deployed: every internal link and anchor
//! resolves to a file of the site, and every page has a title. A failing check fails the
//! build with the whole list of problems.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use scraper::Html;

use almanac_site::Site;

/// One broken thing, on one page.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// The page's path in the site.
    pub page: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "/{}: {}", self.page, self.message)
    }
}

struct Parsed {
    ids: BTreeSet<String>,
    links: Vec<String>,
    title: String,
}

/// What the checks need from one page, in one walk over its elements (a selector per kind
/// would walk the tree once for each).
fn parse(html: &str) -> Parsed {
    let document = Html::parse_document(html);
    let mut parsed = Parsed {
        ids: BTreeSet::new(),
        links: Vec::new(),
        title: String::new(),
    };
    let mut title_seen = false;
    for node in document.root_element().descendants() {
        let Some(element) = scraper::ElementRef::wrap(node) else {
            continue;
        };
        let value = element.value();
        if let Some(id) = value.attr("id") {
            parsed.ids.insert(id.to_owned());
        }
        let link = match value.name() {
            "a" | "link" => value.attr("href"),
            "script" | "img" => value.attr("src"),
            "title" if !title_seen => {
                // Only the document's own title, in <head> (an SVG's <title> is a label).
                if element
                    .parent()
                    .and_then(scraper::ElementRef::wrap)
                    .is_some_and(|parent| parent.value().name() == "head")
                {
                    title_seen = true;
                    parsed.title = element.text().collect::<String>().trim().to_owned();
                }
                None
            }
            _ => None,
        };
        if let Some(link) = link {
            parsed.links.push(link.to_owned());
        }
    }
    parsed
}

/// The site file an address refers to: `/a/b/` is `a/b/index.html`, `/a/b.csv` is itself.
fn target_file(site: &Site, path: &str) -> Option<String> {
    let relative = path.trim_start_matches('/');
    let wanted = if relative.is_empty() || relative.ends_with('/') {
        format!("{relative}index.html")
    } else {
        relative.to_owned()
    };
    if site.contains(&wanted) {
        return Some(wanted);
    }
    if relative.is_empty() || relative.ends_with('/') {
        return None;
    }
    let folder = format!("{relative}/index.html");
    site.contains(&folder).then_some(folder)
}

/// Everything wrong with the site's pages, sorted by page.
pub fn check(site: &Site) -> Vec<Problem> {
    let html: Vec<(&str, &almanac_site::SiteFile)> = site
        .iter()
        .filter(|(path, _)| path.ends_with(".html"))
        .collect();
    // Parsing is nearly all the work: on every core.
    let pages: BTreeMap<&str, Parsed> = html
        .par_iter()
        .map(|(path, file)| (*path, parse(&String::from_utf8_lossy(&file.bytes))))
        .collect();
    let mut problems = Vec::new();
    for (page, parsed) in &pages {
        let problem = |message: String| Problem {
            page: (*page).to_owned(),
            message,
        };
        if parsed.title.is_empty() || parsed.title.starts_with(" - ") {
            problems.push(problem("the page has no title".to_owned()));
        }
        for link in &parsed.links {
            // External addresses, mail links and the like are not ours to check.
            if link.starts_with("//") || link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            let (address, fragment) = match link.split_once('#') {
                Some((address, fragment)) => (address, Some(fragment)),
                None => (link.as_str(), None),
            };
            let address = address.split('?').next().unwrap_or_default();
            let file = if address.is_empty() {
                Some((*page).to_owned())
            } else if address.starts_with('/') {
                target_file(site, address)
            } else {
                // A relative link: resolve it against the page's folder.
                let folder = page.rsplit_once('/').map_or("", |(folder, _)| folder);
                target_file(site, &format!("/{folder}/{address}"))
            };
            let Some(file) = file else {
                problems.push(problem(format!(
                    "links to {link}, which is not in the site"
                )));
                continue;
            };
            if let Some(fragment) = fragment.filter(|fragment| !fragment.is_empty()) {
                let found = pages
                    .get(file.as_str())
                    .is_some_and(|target| target.ids.contains(fragment));
                if !found {
                    problems.push(problem(format!(
                        "links to {link}, but that page has no element with id “{fragment}”"
                    )));
                }
            }
        }
    }
    problems.sort();
    problems.dedup();
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(pages: &[(&str, &str)]) -> Site {
        let mut site = Site::new();
        for (path, html) in pages {
            site.add(*path, html.as_bytes().to_vec()).unwrap();
        }
        site
    }

    const HEAD: &str = "<head><title>A page - Site</title></head>";

    #[test]
    fn links_and_anchors_that_resolve_pass() {
        let site = site(&[
            (
                "index.html",
                &format!(
                    "<html>{HEAD}<body><a href=\"/health/\">x</a><a href=\"/health/#rates\">y</a><a href=\"#top\" id=\"top\">z</a><a href=\"https://example.com/\">e</a></body></html>"
                ),
            ),
            (
                "health/index.html",
                &format!(
                    "<html>{HEAD}<body><h2 id=\"rates\">R</h2><a href=\"data/rates.csv\">csv</a></body></html>"
                ),
            ),
            ("health/data/rates.csv", "a,b"),
        ]);
        assert_eq!(check(&site), []);
    }

    #[test]
    fn broken_links_missing_anchors_and_titles_are_listed() {
        let site = site(&[
            (
                "index.html",
                &format!(
                    "<html>{HEAD}<body><a href=\"/nowhere/\">x</a><a href=\"/about/#missing\">y</a></body></html>"
                ),
            ),
            (
                "about/index.html",
                "<html><head><title></title></head><body></body></html>",
            ),
        ]);
        let messages: Vec<String> = check(&site).iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "/about/index.html: the page has no title",
                "/index.html: links to /about/#missing, but that page has no element with id “missing”",
                "/index.html: links to /nowhere/, which is not in the site",
            ]
        );
    }
}
