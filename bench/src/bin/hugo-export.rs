//! Exports the published site as a Hugo site, for the "full build vs Hugo" benchmark
//! (issue 8): the same snapshot `site-builder build` renders (`almanac_content::snapshot`),
//! every page it renders, with the same text (editors' markdown, rendered by Hugo's goldmark)
//! and the same tables (as front-matter data that Hugo's templates lay out). Charts are passed
//! as the SVG Almanac draws, since Hugo has no chart engine. Downloads (CSV, SVG, PNG files and
//! the source uploads) and the assets are not pages and are left out; see
//! `bench/hugo/README.md`.
//!
//!   DATABASE_URL=… hugo-export --out DIR
//!   hugo --source DIR --destination OUT --quiet
//!
//! Prints one line of JSON at the end: `{"pages": N, "content_bytes": M}`, where N is the
//! number of content files (each renders to one `index.html`) and M their total size.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result, bail};
use clap::{ArgAction, Parser};
use diesel::Connection;
use diesel::pg::PgConnection;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};

use almanac_charts::Chart;
use almanac_content::dashboards::{
    ClassificationUsage, Dashboards, EthnicGroup, GeographyLevel, MajorPublication,
    MeasureVersionRef, TopicGroup, by_month, weekly_publications,
};
use almanac_content::pages::MeasurePage;
use almanac_content::snapshot::{PAGE_BATCH, PageReader, SiteSnapshot};
use almanac_figures::{SpecialValue, Table, TableRow, TableValue};
use almanac_render::SiteSettings;

/// The Hugo templates, compiled in so the binary needs nothing beside it.
const LAYOUTS: &[(&str, &str)] = &[
    (
        "_default/baseof.html",
        include_str!("../../hugo/layouts/_default/baseof.html"),
    ),
    (
        "_default/single.html",
        include_str!("../../hugo/layouts/_default/single.html"),
    ),
    (
        "_default/_markup/render-heading.html",
        include_str!("../../hugo/layouts/_default/_markup/render-heading.html"),
    ),
    (
        "_default/_markup/render-link.html",
        include_str!("../../hugo/layouts/_default/_markup/render-link.html"),
    ),
    (
        "_default/_markup/render-image.html",
        include_str!("../../hugo/layouts/_default/_markup/render-image.html"),
    ),
    ("index.html", include_str!("../../hugo/layouts/index.html")),
    ("404.html", include_str!("../../hugo/layouts/404.html")),
    ("robots.txt", include_str!("../../hugo/layouts/robots.txt")),
    (
        "sitemap.xml",
        include_str!("../../hugo/layouts/sitemap.xml"),
    ),
    (
        "partials/markdown.html",
        include_str!("../../hugo/layouts/partials/markdown.html"),
    ),
    (
        "partials/body.html",
        include_str!("../../hugo/layouts/partials/body.html"),
    ),
    (
        "partials/table.html",
        include_str!("../../hugo/layouts/partials/table.html"),
    ),
    (
        "partials/breadcrumbs.html",
        include_str!("../../hugo/layouts/partials/breadcrumbs.html"),
    ),
    (
        "partials/measure-tree.html",
        include_str!("../../hugo/layouts/partials/measure-tree.html"),
    ),
    (
        "topic/single.html",
        include_str!("../../hugo/layouts/topic/single.html"),
    ),
    (
        "measure/single.html",
        include_str!("../../hugo/layouts/measure/single.html"),
    ),
    (
        "sitepage/single.html",
        include_str!("../../hugo/layouts/sitepage/single.html"),
    ),
    (
        "corrections/single.html",
        include_str!("../../hugo/layouts/corrections/single.html"),
    ),
    (
        "search/single.html",
        include_str!("../../hugo/layouts/search/single.html"),
    ),
    (
        "search/single.json",
        include_str!("../../hugo/layouts/search/single.json"),
    ),
    (
        "redirect/single.html",
        include_str!("../../hugo/layouts/redirect/single.html"),
    ),
    (
        "dashboards/single.html",
        include_str!("../../hugo/layouts/dashboards/single.html"),
    ),
    (
        "whatsnew/single.html",
        include_str!("../../hugo/layouts/whatsnew/single.html"),
    ),
    (
        "published/single.html",
        include_str!("../../hugo/layouts/published/single.html"),
    ),
    (
        "dashlist/single.html",
        include_str!("../../hugo/layouts/dashlist/single.html"),
    ),
    (
        "dashdetail/single.html",
        include_str!("../../hugo/layouts/dashdetail/single.html"),
    ),
];

const HUGO_TOML: &str = include_str!("../../hugo/hugo.toml");

/// Exports the site's published content as a Hugo site.
#[derive(Parser)]
#[command(name = "hugo-export")]
struct Args {
    /// The folder to write the Hugo site into (created if missing; must be empty).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The publisher's database.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// The public site's address, as the site builder's SITE_PUBLIC_URL.
    #[arg(long, env = "SITE_PUBLIC_URL", default_value = "http://localhost:8000")]
    public_url: String,
    /// Whether pages link each chart's PNG, as the site builder's SITE_CHART_PNG.
    #[arg(long, env = "SITE_CHART_PNG", default_value = "false", action = ArgAction::Set)]
    chart_png: bool,
    /// Do not refresh the dashboard views first (the site build refreshes them).
    #[arg(long)]
    no_refresh_views: bool,
}

fn main() {
    if let Err(error) = run() {
        eprintln!("hugo-export: error: {error:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args = Args::parse();
    let public_url = args.public_url.trim_end_matches('/').to_owned();
    if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
        bail!("--public-url must start with http:// or https:// (got {public_url:?})");
    }
    let Some(database_url) = args.database_url.as_deref().filter(|url| !url.is_empty()) else {
        bail!("DATABASE_URL is not set: give the publisher's database (or --database-url)");
    };
    // Refused before anything is read, created only once the snapshot is loaded.
    check_out(&args.out)?;
    let mut conn = PgConnection::establish(database_url)
        .context("cannot connect to the database in DATABASE_URL")?;
    if !args.no_refresh_views {
        almanac_content::db::refresh_dashboard_views(&mut conn)
            .context("refreshing the dashboard views")?;
    }
    prepare_out(&args.out)?;
    let settings = SiteSettings {
        public_url: public_url.clone(),
        chart_png: args.chart_png,
        ..SiteSettings::default()
    };

    let exporter = Exporter {
        root: args.out.clone(),
        bytes: AtomicU64::new(0),
        pages: AtomicU64::new(0),
    };
    exporter.write_config(&settings)?;
    exporter.write_layouts()?;
    // Page by page, in the site build's batches: the export holds as little as the build.
    almanac_content::snapshot::read(&mut conn, PAGE_BATCH, |snapshot, pages| {
        exporter.write_content(snapshot, pages, &settings)
    })
    .context("exporting the site snapshot")?;
    println!(
        "{}",
        json!({
            "pages": exporter.pages.load(Ordering::Relaxed),
            "content_bytes": exporter.bytes.load(Ordering::Relaxed),
        })
    );
    Ok(())
}

/// Refuses an `out` that exists and is not an empty folder.
fn check_out(out: &Path) -> Result<()> {
    if out.exists() {
        if !out.is_dir() {
            bail!("--out {} exists and is not a folder", out.display());
        }
        let mut entries =
            fs::read_dir(out).with_context(|| format!("cannot read --out {}", out.display()))?;
        if entries.next().is_some() {
            bail!(
                "--out {} is not empty: give a new or empty folder",
                out.display()
            );
        }
    }
    Ok(())
}

/// Creates `out` if missing, and checks that it is an empty, writable folder.
fn prepare_out(out: &Path) -> Result<()> {
    check_out(out)?;
    if !out.exists() {
        fs::create_dir_all(out)
            .with_context(|| format!("cannot create --out {}", out.display()))?;
    }
    let probe = out.join(".hugo-export-probe");
    fs::write(&probe, b"").with_context(|| format!("--out {} is not writable", out.display()))?;
    fs::remove_file(&probe).ok();
    Ok(())
}

struct Exporter {
    root: PathBuf,
    /// Bytes written under `content/`.
    bytes: AtomicU64,
    /// Content files written (each is one page).
    pages: AtomicU64,
}

impl Exporter {
    fn write_file(&self, relative: &str, bytes: &[u8]) -> Result<()> {
        let path = self.root.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let mut file =
            fs::File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
        file.write_all(bytes)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(())
    }

    fn write_config(&self, settings: &SiteSettings) -> Result<()> {
        let config = HUGO_TOML
            .replace("@BASE_URL@", &format!("{}/", settings.public_url))
            .replace("@SITE_NAME@", &settings.site_name);
        self.write_file("hugo.toml", config.as_bytes())
    }

    fn write_layouts(&self) -> Result<()> {
        for (path, text) in LAYOUTS {
            self.write_file(&format!("layouts/{path}"), text.as_bytes())?;
        }
        Ok(())
    }

    /// One content file: JSON front matter, then the markdown body. A body Hugo would read
    /// as shortcodes goes into the front matter instead, rendered by the template.
    fn page(&self, file: &str, mut front: Value, body: &str) -> Result<()> {
        let mut body = body.to_owned();
        if body.contains("{{<") || body.contains("{{%") {
            front["body_markdown"] = Value::String(std::mem::take(&mut body));
        }
        let mut text = serde_json::to_string(&front).context("front matter")?;
        text.push('\n');
        text.push_str(&body);
        if !text.ends_with('\n') {
            text.push('\n');
        }
        self.write_file(&format!("content/{file}"), text.as_bytes())?;
        self.bytes.fetch_add(text.len() as u64, Ordering::Relaxed);
        self.pages.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Writes every page.
    fn write_content(
        &self,
        snapshot: &SiteSnapshot,
        pages: &mut PageReader<'_>,
        settings: &SiteSettings,
    ) -> Result<()> {
        // The folder of every page, as the site build's paths (`a/b/`, "" for the homepage),
        // for the redirects, which never replace a live page.
        let mut folders: BTreeSet<String> = BTreeSet::new();

        self.homepage(snapshot, settings)?;
        folders.insert(String::new());
        for folder in self.topic_pages(snapshot)? {
            folders.insert(folder);
        }

        let search_order: BTreeMap<i32, usize> = snapshot
            .measures
            .iter()
            .enumerate()
            .map(|(index, measure)| (measure.version_id, index))
            .collect();
        while let Some(batch) = pages.next_batch()? {
            let measure_folders: Vec<Vec<String>> = batch
                .par_iter()
                .map(|page| {
                    let order = search_order.get(&page.version.id).copied();
                    self.measure_pages(snapshot, page, order, settings)
                        .with_context(|| format!("exporting {}", page.path()))
                })
                .collect::<Result<_>>()?;
            folders.extend(measure_folders.into_iter().flatten());
        }

        for (index, page) in snapshot.site_pages.iter().enumerate() {
            let file = format!("page/{}.md", content_name(&page.path));
            self.page(
                &file,
                json!({
                    "title": page.title,
                    "type": "sitepage",
                    "url": page.url(),
                    "description": page.summary,
                    "lead": page.summary,
                    "search_order": snapshot.measures.len() + index,
                    "search_topic": "",
                    "search_summary": page.summary.clone().unwrap_or_default(),
                    "heading_raise": heading_raise(&page.body),
                }),
                &page.body,
            )?;
            folders.insert(format!("{}/", page.path));
        }

        self.corrections(snapshot)?;
        folders.insert("corrections/".to_owned());
        // The outline's dashboards come without their lists: load them (the export holds
        // them all, as Hugo will).
        let mut dashboards = snapshot.dashboards.clone();
        let mut details: Vec<_> = dashboards.details().collect();
        for detail in &mut details {
            pages.load_dashboard_detail(detail)?;
        }
        dashboards.set_details(details);
        for folder in self.dashboards(&dashboards)? {
            folders.insert(folder);
        }
        self.page(
            "search.md",
            json!({
                "title": "Search",
                "type": "search",
                "url": "/search/",
                "description": format!("Search {}", settings.site_name),
                "outputs": ["html", "json"],
            }),
            "",
        )?;
        folders.insert("search/".to_owned());

        let redirects = redirected_pages(&folders, &snapshot.redirects);
        for (index, (from, to)) in redirects.iter().enumerate() {
            let to = if to.ends_with('/') {
                to.clone()
            } else {
                format!("{to}/")
            };
            self.page(
                &format!("redirect/{index}.md"),
                json!({
                    "title": "This page has moved",
                    "type": "redirect",
                    "url": format!("/{from}"),
                    "to": to,
                    "canonical": format!("{}{to}", settings.public_url),
                }),
                "",
            )?;
        }
        Ok(())
    }

    fn homepage(&self, snapshot: &SiteSnapshot, settings: &SiteSettings) -> Result<()> {
        let introduction = snapshot.homepage_introduction.as_ref();
        let mut topics: Vec<Value> = snapshot
            .topics
            .iter()
            .filter(|topic| topic.is_published())
            .map(|topic| {
                json!({
                    "title": topic.display_title(),
                    "url": format!("/{}/", topic.slug),
                    "description": topic.description,
                })
            })
            .collect();
        topics.sort_by(|a, b| a["title"].as_str().cmp(&b["title"].as_str()));
        let description = introduction
            .and_then(|page| page.summary.clone())
            .unwrap_or_else(|| {
                format!(
                    "{}: official statistics on ethnicity, by topic.",
                    settings.site_name
                )
            });
        self.page(
            "_index.md",
            json!({
                "title": "Home",
                "description": description,
                "has_introduction": introduction.is_some(),
                "heading_raise": introduction.map_or(0, |page| heading_raise(&page.body)),
                "topics": topics,
            }),
            introduction.map_or("", |page| page.body.as_str()),
        )
    }

    fn topic_pages(&self, snapshot: &SiteSnapshot) -> Result<Vec<String>> {
        let mut folders = Vec::new();
        for topic in &snapshot.topic_pages {
            let mut subtopics: Vec<Value> = Vec::new();
            let mut current: Option<(String, String, Vec<Value>)> = None;
            for measure in snapshot
                .measures
                .iter()
                .filter(|measure| measure.topic_slug == topic.slug)
            {
                let link = json!({
                    "title": measure.title,
                    "url": format!(
                        "/{}/{}/{}/latest/",
                        measure.topic_slug, measure.subtopic_slug, measure.slug
                    ),
                    "summary": measure
                        .description
                        .as_deref()
                        .map(almanac_markdown::to_plain_text)
                        .unwrap_or_default(),
                });
                match &mut current {
                    Some((slug, _, links)) if *slug == measure.subtopic_slug => links.push(link),
                    _ => {
                        if let Some((slug, title, measures)) = current.take() {
                            subtopics
                                .push(json!({"slug": slug, "title": title, "measures": measures}));
                        }
                        current = Some((
                            measure.subtopic_slug.clone(),
                            measure.subtopic_title.clone(),
                            vec![link],
                        ));
                    }
                }
            }
            if let Some((slug, title, measures)) = current {
                subtopics.push(json!({"slug": slug, "title": title, "measures": measures}));
            }
            if subtopics.is_empty() {
                continue;
            }
            self.page(
                &format!("topic/{}.md", content_name(&topic.slug)),
                json!({
                    "title": topic.title,
                    "type": "topic",
                    "url": format!("/{}/", topic.slug),
                    "description": topic.meta_description.clone().or_else(|| topic.description.clone()),
                    "lead": topic.description,
                    "subtopics": subtopics,
                    "heading_raise": heading_raise(topic.additional_description.as_deref().unwrap_or("")),
                }),
                topic.additional_description.as_deref().unwrap_or(""),
            )?;
            folders.push(format!("{}/", topic.slug));
        }
        Ok(folders)
    }

    /// A published version at its own address and, if it is the newest, at `latest`.
    fn measure_pages(
        &self,
        snapshot: &SiteSnapshot,
        page: &MeasurePage,
        search_order: Option<usize>,
        settings: &SiteSettings,
    ) -> Result<Vec<String>> {
        let figures = page_figures(page)?;
        let path = page.path();
        let version = page.version.version().to_string();
        let mut addresses = vec![(version.clone(), false)];
        if snapshot.is_latest(page) {
            addresses.push(("latest".to_owned(), true));
        }
        let canonical = format!("{}{path}/latest/", settings.public_url);
        let mut folders = Vec::new();
        for (folder, latest) in addresses {
            let base = format!("{path}/{folder}");
            let mut front = measure_front(page, &figures, &base, settings);
            front["url"] = Value::String(format!("{base}/"));
            front["canonical"] = Value::String(canonical.clone());
            front["noindex"] = Value::Bool(!latest);
            if latest {
                front["latest"] = Value::Bool(true);
                if let Some(order) = search_order {
                    front["search_order"] = json!(order);
                    front["search_topic"] = json!(page.topic_title);
                    front["search_summary"] = json!(
                        page.version
                            .description
                            .as_deref()
                            .map(almanac_markdown::to_plain_text)
                            .unwrap_or_default()
                    );
                }
            }
            let file = format!(
                "measure/{}/{}.md",
                content_name(path.trim_start_matches('/')),
                if latest {
                    "latest".to_owned()
                } else {
                    format!(
                        "v{}-{}",
                        page.version.version_major, page.version.version_minor
                    )
                }
            );
            self.page(&file, front, page.version.summary.as_deref().unwrap_or(""))?;
            folders.push(format!("{}/", base.trim_start_matches('/')));
        }
        Ok(folders)
    }

    fn corrections(&self, snapshot: &SiteSnapshot) -> Result<()> {
        let corrections: Vec<Value> = snapshot
            .corrections
            .iter()
            .map(|correction| {
                json!({
                    "title": correction.measure_title,
                    "url": correction.url(),
                    "version": format!("{}.{}", correction.version_major, correction.version_minor),
                    "published_on": long_date(correction.published_at),
                    "summary": correction.external_edit_summary,
                })
            })
            .collect();
        self.page(
            "corrections.md",
            json!({
                "title": "Corrections",
                "type": "corrections",
                "url": "/corrections/",
                "description": "Pages where we corrected a mistake in the data, with what changed, newest first.",
                "corrections": corrections,
            }),
            "",
        )
    }

    /// The public dashboards, as `almanac_render::dashboards::dashboard_site_pages`.
    fn dashboards(&self, dashboards: &Dashboards) -> Result<Vec<String>> {
        let mut folders = Vec::new();
        let mut add = |file: &str, url: &str, front: Value| -> Result<()> {
            let mut front = front;
            front["url"] = json!(url);
            self.page(&format!("dashboards/{file}.md"), front, "")?;
            folders.push(url.trim_start_matches('/').to_owned());
            Ok(())
        };
        let home = json!({"title": "Home", "url": "/"});
        let dash = json!({"title": "Dashboards", "url": "/dashboards/"});
        // Not `index.md`: that would make the folder a leaf bundle, its other pages resources.
        add(
            "dashboards",
            "/dashboards/",
            json!({
                "title": "Dashboards",
                "type": "dashboards",
                "description": "Figures about what we publish: new pages, ethnic groups, classifications and geography.",
                "crumbs": [home],
                "dashboards": [
                    {"title": "What’s new", "url": "/dashboards/whats-new/", "description": "New pages and major updates, by month."},
                    {"title": "Published pages by week", "url": "/dashboards/published/", "description": "How many pages were first published or updated each week."},
                    {"title": "Ethnic groups", "url": "/dashboards/ethnic-groups/", "description": "Each ethnic group and the pages with figures for it."},
                    {"title": "Ethnicity classifications", "url": "/dashboards/ethnicity-classifications/", "description": "Each ethnicity classification and the pages that use it."},
                    {"title": "Geographic breakdown", "url": "/dashboards/geographic-breakdown/", "description": "Pages by the most detailed level of geography they cover."},
                ],
            }),
        )?;
        add(
            "whats-new",
            "/dashboards/whats-new/",
            whats_new(&dashboards.major_publications, &home, &dash),
        )?;
        add(
            "published",
            "/dashboards/published/",
            published(
                &dashboards.major_publications,
                dashboards.latest_publication,
                &home,
                &dash,
            ),
        )?;

        const GROUPS_URL: &str = "/dashboards/ethnic-groups/";
        const CLASSIFICATIONS_URL: &str = "/dashboards/ethnicity-classifications/";
        const GEOGRAPHY_URL: &str = "/dashboards/geographic-breakdown/";
        let group_url = |group: &EthnicGroup| format!("{GROUPS_URL}{}/", group.slug);
        let classification_url = |classification: &ClassificationUsage| {
            format!("{CLASSIFICATIONS_URL}{}/", classification.path_segment())
        };
        let level_url = |level: &GeographyLevel| format!("{GEOGRAPHY_URL}{}/", level.slug);

        add(
            "ethnic-groups",
            GROUPS_URL,
            json!({
                "title": "Ethnic groups",
                "type": "dashlist",
                "description": "Each ethnic group, with how many pages and tables or charts give figures for it.",
                "crumbs": [home, dash],
                "lead": "Each ethnic group that published figures cover, with the number of pages and of charts or tables that include it, and the classifications they use.",
                "caption": "Ethnic groups in published figures",
                "first_column": "Ethnic group",
                "columns": ["Pages", "Charts or tables", "Classifications"],
                "rows": dashboards.ethnic_groups.iter().map(|group| json!({
                    "title": group.value,
                    "url": group_url(group),
                    "cells": [
                        group.measure_count.to_string(),
                        group.dimension_count.to_string(),
                        group.classifications.join("; "),
                    ],
                })).collect::<Vec<_>>(),
            }),
        )?;
        add(
            "ethnicity-classifications",
            CLASSIFICATIONS_URL,
            json!({
                "title": "Ethnicity classifications",
                "type": "dashlist",
                "description": "Each ethnicity classification, with how many pages and charts or tables use it.",
                "crumbs": [home, dash],
                "lead": "Every ethnicity classification, including those no published figures use yet, with the number of pages and charts or tables that use it, and how many of those also show the parent groups, a total for all groups, or an unknown group.",
                "caption": "Ethnicity classifications in published figures",
                "first_column": "Classification",
                "columns": ["Pages", "Charts or tables", "With parent groups", "With all groups", "With unknown"],
                "rows": dashboards.classifications.iter().map(|classification| json!({
                    "title": format!("{} ({})", classification.title, classification.id),
                    "url": classification_url(classification),
                    "cells": [
                        classification.measure_count.to_string(),
                        classification.dimension_count.to_string(),
                        classification.with_parents.to_string(),
                        classification.with_all.to_string(),
                        classification.with_unknown.to_string(),
                    ],
                })).collect::<Vec<_>>(),
            }),
        )?;
        add(
            "geographic-breakdown",
            GEOGRAPHY_URL,
            json!({
                "title": "Geographic breakdown",
                "type": "dashlist",
                "description": "Published pages by the most detailed level of geography their figures cover.",
                "crumbs": [home, dash],
                "lead": "The most detailed level of geography that each page’s figures go down to, with the number of published pages at each level.",
                "caption": "Published pages by lowest level of geography",
                "first_column": "Lowest level of geography",
                "columns": ["Pages"],
                "rows": dashboards.geography_levels.iter().map(|level| json!({
                    "title": level.name,
                    "url": level_url(level),
                    "cells": [level.measure_count.to_string()],
                })).collect::<Vec<_>>(),
            }),
        )?;

        let groups_crumb = json!({"title": "Ethnic groups", "url": GROUPS_URL});
        for group in &dashboards.ethnic_groups {
            let url = group_url(group);
            add(
                &format!("group/{}", content_name(&group.slug)),
                &url,
                detail(
                    format!("Pages with figures for the {} ethnic group.", group.value),
                    [&home, &dash, &groups_crumb],
                    "Ethnic group",
                    group.value.clone(),
                    None,
                    vec![
                        ("Pages", group.measure_count.to_string()),
                        ("Charts or tables", group.dimension_count.to_string()),
                        ("Classifications", group.classifications.join("; ")),
                    ],
                    "No published page has figures for this group.",
                    &group.topics,
                ),
            )?;
        }
        let classifications_crumb =
            json!({"title": "Ethnicity classifications", "url": CLASSIFICATIONS_URL});
        for classification in &dashboards.classifications {
            let url = classification_url(classification);
            add(
                &format!(
                    "classification/{}",
                    content_name(&classification.path_segment())
                ),
                &url,
                detail(
                    format!(
                        "Pages that use the {} ethnicity classification.",
                        classification.title
                    ),
                    [&home, &dash, &classifications_crumb],
                    "Ethnicity classification",
                    format!("{} ({})", classification.title, classification.id),
                    Some(classification.long_title.clone()),
                    vec![
                        ("Pages", classification.measure_count.to_string()),
                        (
                            "Charts or tables",
                            classification.dimension_count.to_string(),
                        ),
                        (
                            "With parent groups",
                            classification.with_parents.to_string(),
                        ),
                        ("With all groups", classification.with_all.to_string()),
                        ("With unknown", classification.with_unknown.to_string()),
                    ],
                    "No published page uses this classification.",
                    &classification.topics,
                ),
            )?;
        }
        let geography_crumb = json!({"title": "Geographic breakdown", "url": GEOGRAPHY_URL});
        for level in &dashboards.geography_levels {
            let url = level_url(level);
            add(
                &format!("geography/{}", content_name(&level.slug)),
                &url,
                detail(
                    format!(
                        "Published pages with figures down to {} level.",
                        level.name.to_lowercase()
                    ),
                    [&home, &dash, &geography_crumb],
                    "Lowest level of geography",
                    level.name.clone(),
                    level.description.clone(),
                    vec![("Pages", level.measure_count.to_string())],
                    "No published page goes down to this level.",
                    &level.topics,
                ),
            )?;
        }
        Ok(folders)
    }
}

/// A content file's path (without `.md`) for a site path: the file name never `index` or
/// `_index`, which would make Hugo read its folder as a bundle or a section. Pages carry
/// their address in `url`, so the file's name does not matter otherwise.
fn content_name(path: &str) -> String {
    path.split('/')
        .map(|part| match part {
            "index" | "_index" => format!("{part}-page"),
            other => other.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// How many levels Almanac raises the headings of a whole page's markdown (a site page, the
/// homepage's or a topic's introduction): its top-most heading becomes h2
/// (`almanac_markdown::render_page`). The heading hook applies it.
fn heading_raise(markdown: &str) -> usize {
    pulldown_cmark::Parser::new(markdown)
        .filter_map(|event| match event {
            pulldown_cmark::Event::Start(pulldown_cmark::Tag::Heading { level, .. }) => {
                Some(level as usize - 1)
            }
            _ => None,
        })
        .min()
        .unwrap_or(0)
}

// --- Measure pages ---------------------------------------------------------------------------

/// A dimension's figures, read once and shared by both addresses of a page.
struct DimensionFigures {
    stem: String,
    chart: Option<(Chart, String)>,
    table: Option<Table>,
}

fn page_figures(page: &MeasurePage) -> Result<Vec<DimensionFigures>> {
    page.dimensions
        .iter()
        .zip(almanac_render::dimension_stems(page))
        .map(|(dimension, stem)| {
            let chart = dimension
                .chart_object
                .as_ref()
                .map(|json| Chart::from_json(&json.to_string()))
                .transpose()
                .with_context(|| format!("dimension {:?}: its chart", dimension.title))?
                .map(|chart| {
                    let svg = almanac_render::figures::dimension_chart_svg(&chart, &dimension.guid);
                    (chart, svg)
                });
            let table = dimension
                .table_object
                .as_ref()
                .map(|json| Table::from_json(&json.to_string()))
                .transpose()
                .with_context(|| format!("dimension {:?}: its table", dimension.title))?;
            Ok(DimensionFigures { stem, chart, table })
        })
        .collect()
}

#[derive(Serialize)]
struct Cell {
    text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    meaning: Option<&'static str>,
}

#[derive(Serialize)]
struct Row {
    category: String,
    cells: Vec<Cell>,
}

fn cell(value: &TableValue) -> Cell {
    Cell {
        text: value.to_string(),
        meaning: value.special().map(SpecialValue::meaning),
    }
}

fn cells(row: &TableRow) -> Vec<Cell> {
    row.values.iter().map(cell).collect()
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A table as data for `partials/table.html`, as `almanac_render::figures::table_html`
/// lays it out.
fn table_data(table: &Table, id: &str) -> Value {
    let (groups, headings, rows): (Option<Value>, Vec<&str>, Vec<Row>) = match table {
        Table::Simple(simple) => (
            None,
            simple.columns.iter().map(String::as_str).collect(),
            simple
                .data
                .iter()
                .map(|row| Row {
                    category: row.category.clone(),
                    cells: cells(row),
                })
                .collect(),
        ),
        Table::Grouped(grouped) => {
            let span = grouped.columns.len();
            let headings = grouped
                .group_columns
                .iter()
                .flat_map(|_| grouped.columns.iter().map(String::as_str))
                .collect();
            let categories = grouped.groups.first().map(|group| group.data.as_slice());
            let rows = categories
                .unwrap_or_default()
                .iter()
                .map(|first| Row {
                    category: first.category.clone(),
                    cells: grouped
                        .groups
                        .iter()
                        .flat_map(|group| {
                            match group.data.iter().find(|row| row.category == first.category) {
                                Some(row) => cells(row),
                                None => (0..span)
                                    .map(|_| Cell {
                                        text: String::new(),
                                        meaning: None,
                                    })
                                    .collect(),
                            }
                        })
                        .collect(),
                })
                .collect();
            (
                Some(json!({
                    "caption": grouped.group_caption,
                    "names": grouped.group_columns,
                    "span": span,
                })),
                headings,
                rows,
            )
        }
    };
    let legend: Vec<Value> = table
        .special_values()
        .into_iter()
        .map(|special| json!({"symbol": special.display(), "meaning": capitalised(special.meaning())}))
        .collect();
    let mut data = json!({
        "id": id,
        "caption": table.header(),
        "category_caption": table.category_caption(),
        "headings": headings,
        "rows": rows,
    });
    if let Some(groups) = groups {
        data["groups"] = groups;
    }
    if !legend.is_empty() {
        data["legend"] = Value::Array(legend);
    }
    data
}

fn long_date(date: chrono::NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

/// "12 KB", "3.4 MB", as the measure page shows file sizes.
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

/// The front matter of a measure page at `base` (its version's folder or `latest`): every
/// field the site's measure template shows, markdown left as markdown.
fn measure_front(
    page: &MeasurePage,
    figures: &[DimensionFigures],
    base: &str,
    settings: &SiteSettings,
) -> Value {
    let version = &page.version;
    let this = version.version();
    let path = page.path();
    let has_markdown = |text: &Option<String>| {
        text.as_deref()
            .is_some_and(|text| !almanac_markdown::render(text).is_empty())
    };
    let mut before = Vec::new();
    let mut after = Vec::new();
    for section in almanac_render::text_sections(version) {
        if has_markdown(section.markdown) {
            let text =
                json!({"id": section.id, "heading": section.heading, "markdown": section.markdown});
            if section.before_dimensions {
                before.push(text);
            } else {
                after.push(text);
            }
        }
    }
    let area_covered = almanac_content::describe_area_covered(&version.areas());
    let dimensions: Vec<Value> = page
        .dimensions
        .iter()
        .zip(figures)
        .enumerate()
        .map(|(index, (dimension, figures))| {
            let stem = &figures.stem;
            let mut view = json!({
                "number": index + 1,
                "anchor": format!("dimension-{}", index + 1),
                "title": dimension.title,
                "location": dimension
                    .location
                    .clone()
                    .filter(|location| !location.trim().is_empty())
                    .unwrap_or_else(|| area_covered.clone()),
            });
            if let Some(period) = &dimension.time_period {
                view["time_period"] = json!(period);
            }
            if has_markdown(&dimension.summary) {
                view["summary_markdown"] = json!(dimension.summary);
            }
            if let Some((chart, svg)) = &figures.chart {
                let mut chart_view = json!({
                    "svg": svg,
                    "svg_url": format!("{base}/charts/{stem}.svg"),
                });
                if settings.chart_png {
                    chart_view["png_url"] = json!(format!("{base}/charts/{stem}.png"));
                }
                if figures.table.is_none() {
                    chart_view["data_rows"] = json!(chart.data_rows());
                }
                view["chart"] = chart_view;
            }
            if let Some(table) = &figures.table {
                let id = almanac_render::figures::figure_id("table", &dimension.guid);
                let mut table_view = table_data(table, &id);
                table_view["layout_csv_url"] = json!(format!("{base}/data/{stem}-table.csv"));
                view["table"] = table_view;
            }
            if figures.chart.is_some() || figures.table.is_some() {
                view["data_csv_url"] = json!(format!("{base}/data/{stem}.csv"));
            }
            view
        })
        .collect();

    let mut banners = Vec::new();
    if let Some(latest) = page
        .latest_published()
        .filter(|latest| latest.version() > this)
    {
        let corrected = page
            .published_versions
            .iter()
            .any(|published| published.version() > this && published.corrects_data_mistake);
        banners.push(json!({
            "heading": if corrected {
                "A mistake in this version’s data has been corrected in a newer version."
            } else {
                "This is not the latest version of this page."
            },
            "link_url": format!("{path}/latest/"),
            "link_text": format!("View the latest version ({})", latest.version()),
        }));
    }
    if page.has_known_corrections() {
        banners.push(json!({
            "heading": "This page contains corrections to the data.",
            "link_url": "#page-history",
            "link_text": "See the page history",
        }));
    }

    let mut history: Vec<Value> = page
        .published_versions
        .iter()
        .filter(|published| published.version_major == this.major && published.version() <= this)
        .map(|published| {
            let summary = published
                .external_edit_summary
                .clone()
                .filter(|summary| !summary.trim().is_empty())
                .unwrap_or_else(|| {
                    if published.version_minor == 0 {
                        "First published".into()
                    } else {
                        "Minor edit".into()
                    }
                });
            json!({
                "version": published.version().to_string(),
                "date": long_date(published.published_at),
                "summary": summary,
                "current": published.version() == this,
            })
        })
        .collect();
    history.reverse();

    let mut editions = Vec::new();
    let mut seen_major = None;
    for published in page.published_versions.iter().rev() {
        if published.version_major >= this.major || seen_major == Some(published.version_major) {
            continue;
        }
        seen_major = Some(published.version_major);
        editions.push(json!({
            "label": format!(
                "Edition {} (published {})",
                published.version(),
                long_date(published.published_at)
            ),
            "url": format!("{path}/{}/", published.version()),
        }));
    }

    let downloads: Vec<Value> = page
        .uploads
        .iter()
        .filter(|upload| upload.is_clean())
        .map(|upload| {
            json!({
                "title": upload.title,
                "url": format!("{base}/downloads/{}", upload.file_name),
                "description": upload.description,
                "size": human_size(upload.size_bytes),
            })
        })
        .collect();
    let data_sources: Vec<Value> = page
        .data_sources
        .iter()
        .map(|source| {
            json!({
                "title": source.title,
                "web_url": source.web_url(),
                "publisher": source.publisher,
                "publication_date": source.publication_date,
                "frequency": source.frequency,
                "purpose": source.purpose,
            })
        })
        .collect();
    let first_published = page
        .published_versions
        .first()
        .map(|first| long_date(first.published_at))
        .or_else(|| version.published_at.map(long_date));
    let last_updated = version
        .published_at
        .filter(|_| version.version_minor > 0)
        .map(long_date);
    let description = version
        .description
        .as_deref()
        .map(almanac_markdown::to_plain_text)
        .filter(|text| !text.is_empty());

    json!({
        "title": version.title,
        "type": "measure",
        "description": description,
        "topic_slug": page.topic_slug,
        "topic_title": page.topic_title,
        "subtopic_title": page.subtopic_title,
        "banners": banners,
        "first_published": first_published,
        "status_label": version.status().label(),
        "last_updated": last_updated,
        "area_covered": area_covered,
        "time_covered": version.time_covered,
        "lowest_level_of_geography": page.lowest_level_of_geography,
        "data_sources": data_sources,
        "sections_before": before,
        "sections_after": after,
        "dimensions": dimensions,
        "downloads": downloads,
        "history": history,
        "editions": editions,
    })
}

// --- Dashboards ------------------------------------------------------------------------------

fn measure_url(measure: &MeasureVersionRef, latest: bool) -> String {
    if latest {
        format!("{}/latest/", measure.path())
    } else {
        format!("{}/{}/", measure.path(), measure.version())
    }
}

fn whats_new(publications: &[MajorPublication], home: &Value, dash: &Value) -> Value {
    let years: Vec<Value> = by_month(publications)
        .into_iter()
        .map(|(year, months)| {
            json!({
                "year": year,
                "months": months.into_iter().map(|month| json!({
                    "heading": month.month.format("%B %Y").to_string(),
                    "id": month.month.format("%Y-%m").to_string(),
                    "publications": month.publications.iter().map(|publication| json!({
                        "title": publication.measure.title,
                        "url": measure_url(&publication.measure, false),
                        "is_new": publication.is_new_page(),
                        "version": publication.measure.version(),
                        "published_on": long_date(publication.published_at),
                        "summary": publication.external_edit_summary,
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "title": "What’s new",
        "type": "whatsnew",
        "description": "New pages and major updates to pages, by month, newest first.",
        "crumbs": [home, dash],
        "years": years,
    })
}

fn published(
    publications: &[MajorPublication],
    as_of: Option<chrono::NaiveDate>,
    home: &Value,
    dash: &Value,
) -> Value {
    let weeks = as_of
        .map(|today| weekly_publications(publications, today))
        .unwrap_or_default();
    let new_pages = publications.iter().filter(|p| p.is_new_page()).count();
    json!({
        "title": "Published pages by week",
        "type": "published",
        "description": "How many pages were first published, and how many had a major update, each week.",
        "crumbs": [home, dash],
        "as_of": as_of.map(long_date),
        "new_pages": new_pages,
        "major_updates": publications.len() - new_pages,
        "weeks": weeks.iter().rev().map(|week| json!({
            "week_starting": long_date(week.week_starting),
            "new_pages": week.new_pages,
            "major_updates": week.major_updates,
            "new_pages_to_date": week.new_pages_to_date,
            "major_updates_to_date": week.major_updates_to_date,
        })).collect::<Vec<_>>(),
    })
}

#[allow(clippy::too_many_arguments)]
fn detail(
    description: String,
    crumbs: [&Value; 3],
    caption: &str,
    heading: String,
    lead: Option<String>,
    facts: Vec<(&str, String)>,
    empty: &str,
    topics: &[TopicGroup],
) -> Value {
    let tree: Vec<Value> = topics
        .iter()
        .map(|topic| {
            json!({
                "id": format!("topic-{}", topic.slug),
                "title": topic.title,
                "subtopics": topic.subtopics.iter().map(|subtopic| json!({
                    "title": subtopic.title,
                    "measures": subtopic.measures.iter().map(|listed| json!({
                        "title": listed.measure.title,
                        "url": measure_url(&listed.measure, true),
                        "dimensions": listed.dimensions,
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "title": format!("{heading}: {}", caption.to_lowercase()),
        "type": "dashdetail",
        "description": description,
        "crumbs": crumbs,
        "caption": caption,
        "heading": heading,
        "lead": lead,
        "facts": facts.into_iter().map(|(label, value)| json!({"label": label, "value": value})).collect::<Vec<_>>(),
        "empty": empty,
        "topics": tree,
    })
}

// --- Redirects -------------------------------------------------------------------------------

/// As `almanac_render::site_build`: the redirect pages a set of moves needs, as (old folder,
/// new address), over the folders of the live pages. A move covers its whole subtree; a live
/// page at an old address wins.
fn redirected_pages(
    folders: &BTreeSet<String>,
    moves: &[(String, String)],
) -> Vec<(String, String)> {
    let mut pages = BTreeMap::new();
    for (from, to) in moves {
        let (from, to) = (from.trim_matches('/'), to.trim_matches('/'));
        if from.is_empty() {
            continue;
        }
        let moved_here: Vec<String> = folders
            .iter()
            .filter(|_| !to.is_empty())
            .filter_map(|folder| Some(folder.strip_prefix(to)?.strip_prefix('/')?.to_owned()))
            .collect();
        for rest in std::iter::once(String::new()).chain(moved_here) {
            let old = format!("{from}/{rest}");
            if !folders.contains(&old) {
                pages
                    .entry(old)
                    .or_insert_with(|| format!("/{to}/{rest}").replace("//", "/"));
            }
        }
    }
    pages.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layout_file_is_compiled_in() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("hugo/layouts");
        let mut found = Vec::new();
        let mut folders = vec![root.clone()];
        while let Some(folder) = folders.pop() {
            for entry in fs::read_dir(&folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    folders.push(path);
                } else {
                    let relative = path.strip_prefix(&root).unwrap();
                    found.push(relative.to_string_lossy().into_owned());
                }
            }
        }
        found.sort();
        let mut listed: Vec<String> = LAYOUTS.iter().map(|(path, _)| path.to_string()).collect();
        listed.sort();
        assert_eq!(found, listed);
    }

    #[test]
    fn content_files_are_never_bundles() {
        assert_eq!(content_name("a/index/b"), "a/index-page/b");
        assert_eq!(content_name("_index"), "_index-page");
        assert_eq!(content_name("about/methodology"), "about/methodology");
    }

    #[test]
    fn a_page_raises_its_top_most_heading_to_h2() {
        assert_eq!(heading_raise("## A\n\n### B"), 1);
        assert_eq!(heading_raise("# A"), 0);
        assert_eq!(heading_raise("no headings"), 0);
    }

    #[test]
    fn redirects_cover_the_moved_subtree_but_never_a_live_page() {
        let folders: BTreeSet<String> = [
            "",
            "homes/",
            "homes/rent/",
            "homes/rent/renting/latest/",
            "homes-and-land/",
            "housing/rent/",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect();
        let moves = [
            ("/housing".to_owned(), "/homes".to_owned()),
            ("/gone".to_owned(), "/".to_owned()),
        ];
        assert_eq!(
            redirected_pages(&folders, &moves),
            [
                ("gone/".to_owned(), "/".to_owned()),
                ("housing/".to_owned(), "/homes/".to_owned()),
                (
                    "housing/rent/renting/latest/".to_owned(),
                    "/homes/rent/renting/latest/".to_owned()
                ),
            ]
        );
    }
}
