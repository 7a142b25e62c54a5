//! The measure page and the files that go with it: each dimension's data as CSV, its table
//! layout as CSV, and its chart as SVG and PNG.
//!
//! Files live beside the page, under the version's folder (`<base>/data/…`, `<base>/charts/…`,
//! and the source uploads under `<base>/downloads/…`), where `<base>` is
//! `/<topic>/<subtopic>/<measure>/<X.Y>` on the site, or a review link's address. Source
//! uploads and dimension files sit in separate folders so their names can never collide.

use askama::Template;

use almanac_charts::Chart;
use almanac_content::pages::{DimensionSummary, MeasurePage, PublishedVersion};
use almanac_figures::Table;

use crate::figures::{dimension_chart_svg, dimension_table_html};
use crate::{Layout, Mode, RenderError, SiteSettings, render};

/// A section of a measure page: a heading and editor-written markdown, rendered.
pub struct Section {
    pub id: &'static str,
    pub heading: &'static str,
    pub html: String,
}

pub struct ChartView {
    pub svg: String,
    pub svg_url: String,
    pub png_url: Option<String>,
    /// The chart's figures as a table, for a dimension without a table of its own.
    pub data_rows: Vec<Vec<String>>,
}

pub struct TableView {
    pub html: String,
    pub id: String,
    pub layout_csv_url: String,
}

pub struct DimensionView {
    pub number: usize,
    pub anchor: String,
    pub title: String,
    pub time_period: Option<String>,
    pub location: String,
    pub summary_html: String,
    pub chart: Option<ChartView>,
    pub table: Option<TableView>,
    /// The dimension's data (the table's, else the chart's) as CSV.
    pub data_csv_url: Option<String>,
    /// Preview only: a stored figure that cannot be shown, and why.
    pub problem: Option<String>,
}

pub struct DownloadView {
    pub title: String,
    pub url: Option<String>,
    pub description: Option<String>,
    pub size: String,
    /// Shown in preview only: why there is no link yet.
    pub note: Option<&'static str>,
}

pub struct HistoryEntry {
    pub version: String,
    pub date: String,
    pub summary: String,
    pub current: bool,
}

pub struct EditionLink {
    pub label: String,
    pub url: String,
}

/// Notices at the top of the page.
pub struct Banner {
    pub heading: String,
    pub link: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "site/measure.html")]
struct MeasureTemplate<'a> {
    layout: Layout,
    page: &'a MeasurePage,
    status_label: &'static str,
    first_published: Option<String>,
    last_updated: Option<String>,
    area_covered: String,
    main_points: String,
    /// Sections before the dimensions (what to know before reading the figures)…
    sections_before: Vec<Section>,
    /// …and after them (how the figures were made).
    sections_after: Vec<Section>,
    dimensions: Vec<DimensionView>,
    downloads: Vec<DownloadView>,
    banners: Vec<Banner>,
    history: Vec<HistoryEntry>,
    editions: Vec<EditionLink>,
}

/// Sections shown before the dimensions, as in the model's "Main facts and figures".
const SECTIONS_BEFORE_DIMENSIONS: [&str; 3] = [
    "things-you-need-to-know",
    "what-the-data-measures",
    "ethnic-categories",
];

/// One of a measure page's text sections: its anchor id, its heading, the editors'
/// markdown, and whether it comes before the dimensions.
pub struct TextSection<'a> {
    pub id: &'static str,
    pub heading: &'static str,
    pub markdown: &'a Option<String>,
    pub before_dimensions: bool,
}

/// A version's text sections in page order (each shown only when its text renders to
/// something).
pub fn text_sections(version: &almanac_content::models::MeasureVersion) -> Vec<TextSection<'_>> {
    [
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
    ]
    .into_iter()
    .map(|(id, heading, markdown)| TextSection {
        id,
        heading,
        markdown,
        before_dimensions: SECTIONS_BEFORE_DIMENSIONS.contains(&id),
    })
    .collect()
}

/// A measure page. In preview it shows the version whatever its status, under a banner
/// naming the status; files that have not passed their virus scan are listed but never
/// linked, in either mode.
pub fn measure_page(
    page: &MeasurePage,
    mode: Mode,
    settings: &SiteSettings,
) -> Result<String, RenderError> {
    let base = format!("{}/{}", page.path(), page.version.version());
    render_measure_page(page, mode, settings, &base, None)
}

/// Where the site build writes a published measure page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageAddress {
    /// `/<topic>/<subtopic>/<measure>/<X.Y>/`: kept for reference, not indexed, pointing
    /// search engines to the latest version.
    Version,
    /// `/<topic>/<subtopic>/<measure>/latest/`: the address people share and search finds.
    Latest,
}

/// A published measure page as the site build writes it at `address`.
pub fn site_measure_page(
    page: &MeasurePage,
    settings: &SiteSettings,
    address: PageAddress,
) -> Result<String, RenderError> {
    let base = match address {
        PageAddress::Version => format!("{}/{}", page.path(), page.version.version()),
        PageAddress::Latest => format!("{}/latest", page.path()),
    };
    let canonical = format!("{}{}/latest/", settings.public_url, page.path());
    render_measure_page(
        page,
        Mode::Published,
        settings,
        &base,
        Some((address == PageAddress::Latest, canonical)),
    )
}

/// A measure page as a review link shows it: a preview whose file links go through the link
/// (`/review/<token>/…`), so a reviewer without an account can open them.
pub fn review_page(
    page: &MeasurePage,
    settings: &SiteSettings,
    token: &str,
) -> Result<String, RenderError> {
    render_measure_page(
        page,
        Mode::Preview,
        settings,
        &format!("/review/{token}"),
        None,
    )
}

/// A file that belongs to a measure page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeasureFile {
    /// Relative to the version's folder: `data/<name>.csv`, `charts/<name>.svg`.
    pub path: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// Every dimension file of the page (not the source uploads, which are stored files).
pub fn measure_files(
    page: &MeasurePage,
    settings: &SiteSettings,
) -> Result<Vec<MeasureFile>, RenderError> {
    let mut files = Vec::new();
    for spec in file_specs(page, settings)? {
        files.push(spec.produce()?);
    }
    Ok(files)
}

/// One dimension file by its path under the version's folder, or `None` if the page has no
/// such file. Only the file asked for is made (a PNG takes a moment to draw).
pub fn measure_file(
    page: &MeasurePage,
    path: &str,
    settings: &SiteSettings,
) -> Result<Option<MeasureFile>, RenderError> {
    match file_specs(page, settings)?
        .into_iter()
        .find(|spec| spec.path == path)
    {
        Some(spec) => spec.produce().map(Some),
        None => Ok(None),
    }
}

/// The figures of a dimension, read from their stored JSON.
struct Figures {
    chart: Option<Chart>,
    table: Option<Table>,
}

fn figures(dimension: &DimensionSummary) -> Result<Figures, RenderError> {
    let problem = |what: &str, message: String| RenderError::Figure {
        dimension: dimension.title.clone(),
        message: format!("its {what} cannot be read: {message}"),
    };
    let chart = dimension
        .chart_object
        .as_ref()
        .map(|json| Chart::from_json(&json.to_string()))
        .transpose()
        .map_err(|error| problem("chart", error.to_string()))?;
    let table = dimension
        .table_object
        .as_ref()
        .map(|json| Table::from_json(&json.to_string()))
        .transpose()
        .map_err(|error| problem("table", error.to_string()))?;
    Ok(Figures { chart, table })
}

/// The file names of each dimension: `<slug of title>`, with `-2`, `-3`… when two titles
/// slug alike, so that names stay unique and stable.
pub fn dimension_stems(page: &MeasurePage) -> Vec<String> {
    let mut taken: Vec<String> = Vec::new();
    for dimension in &page.dimensions {
        let base = almanac_figures::download_file_name(&dimension.title, None)
            .trim_end_matches(".csv")
            .to_owned();
        let mut stem = base.clone();
        let mut n = 2;
        while taken.contains(&stem) {
            stem = format!("{base}-{n}");
            n += 1;
        }
        taken.push(stem);
    }
    taken
}

enum FileKind {
    DimensionData(Vec<Vec<String>>),
    TableLayout(Vec<Vec<String>>),
    ChartSvg(Chart, String),
    ChartPng(Chart, String),
}

struct FileSpec {
    path: String,
    kind: FileKind,
}

impl FileSpec {
    fn produce(self) -> Result<MeasureFile, RenderError> {
        let (content_type, bytes) = match self.kind {
            FileKind::DimensionData(rows) | FileKind::TableLayout(rows) => {
                ("text/csv; charset=utf-8", almanac_figures::write_csv(&rows))
            }
            FileKind::ChartSvg(chart, guid) => (
                "image/svg+xml",
                dimension_chart_svg(&chart, &guid).into_bytes(),
            ),
            FileKind::ChartPng(chart, guid) => {
                let svg = dimension_chart_svg(&chart, &guid);
                let png =
                    almanac_charts::render_png(&svg).map_err(|error| RenderError::Figure {
                        dimension: chart.title.clone(),
                        message: format!("its chart cannot be drawn as PNG: {error}"),
                    })?;
                ("image/png", png)
            }
        };
        Ok(MeasureFile {
            path: self.path,
            content_type,
            bytes,
        })
    }
}

fn file_specs(page: &MeasurePage, settings: &SiteSettings) -> Result<Vec<FileSpec>, RenderError> {
    let mut specs = Vec::new();
    for (dimension, stem) in page.dimensions.iter().zip(dimension_stems(page)) {
        let Figures { chart, table } = figures(dimension)?;
        let data = match (&table, &chart) {
            (Some(table), _) => Some(table.dimension_rows()),
            (None, Some(chart)) => Some(chart.data_rows()),
            (None, None) => None,
        };
        if let Some(rows) = data {
            specs.push(FileSpec {
                path: format!("data/{stem}.csv"),
                kind: FileKind::DimensionData(rows),
            });
        }
        if let Some(table) = &table {
            specs.push(FileSpec {
                path: format!("data/{stem}-table.csv"),
                kind: FileKind::TableLayout(table.layout_rows()),
            });
        }
        if let Some(chart) = chart {
            specs.push(FileSpec {
                path: format!("charts/{stem}.svg"),
                kind: FileKind::ChartSvg(chart.clone(), dimension.guid.clone()),
            });
            if settings.chart_png {
                specs.push(FileSpec {
                    path: format!("charts/{stem}.png"),
                    kind: FileKind::ChartPng(chart, dimension.guid.clone()),
                });
            }
        }
    }
    Ok(specs)
}

fn long_date(date: chrono::NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

fn dimension_views(
    page: &MeasurePage,
    mode: Mode,
    settings: &SiteSettings,
    base: &str,
    area_covered: &str,
) -> Result<Vec<DimensionView>, RenderError> {
    let markdown = |text: &Option<String>| {
        text.as_deref()
            .map(almanac_markdown::render)
            .unwrap_or_default()
    };
    let mut views = Vec::new();
    for ((index, dimension), stem) in page
        .dimensions
        .iter()
        .enumerate()
        .zip(dimension_stems(page))
    {
        let (figures, problem) = match figures(dimension) {
            Ok(figures) => (figures, None),
            // A preview shows the editor what is wrong; a published page never hides a
            // figure silently: the build fails instead.
            Err(error) if mode == Mode::Preview => (
                Figures {
                    chart: None,
                    table: None,
                },
                Some(error.to_string()),
            ),
            Err(error) => return Err(error),
        };
        let table = figures.table.as_ref().map(|table| TableView {
            html: dimension_table_html(table, &dimension.guid),
            id: crate::figures::figure_id("table", &dimension.guid),
            layout_csv_url: format!("{base}/data/{stem}-table.csv"),
        });
        let chart = figures.chart.as_ref().map(|chart| ChartView {
            svg: dimension_chart_svg(chart, &dimension.guid),
            svg_url: format!("{base}/charts/{stem}.svg"),
            png_url: settings
                .chart_png
                .then(|| format!("{base}/charts/{stem}.png")),
            data_rows: if figures.table.is_some() {
                Vec::new()
            } else {
                chart.data_rows()
            },
        });
        let has_data = figures.chart.is_some() || figures.table.is_some();
        views.push(DimensionView {
            number: index + 1,
            anchor: format!("dimension-{}", index + 1),
            title: dimension.title.clone(),
            time_period: dimension.time_period.clone(),
            location: dimension
                .location
                .clone()
                .filter(|location| !location.trim().is_empty())
                .unwrap_or_else(|| area_covered.to_owned()),
            summary_html: markdown(&dimension.summary),
            chart,
            table,
            data_csv_url: has_data.then(|| format!("{base}/data/{stem}.csv")),
            problem,
        });
    }
    Ok(views)
}

fn banners(page: &MeasurePage) -> Vec<Banner> {
    let this = page.version.version();
    let path = page.path();
    let mut banners = Vec::new();
    if let Some(latest) = page
        .latest_published()
        .filter(|latest| latest.version() > this)
    {
        let corrected = page
            .published_versions
            .iter()
            .any(|published| published.version() > this && published.corrects_data_mistake);
        banners.push(Banner {
            heading: if corrected {
                "A mistake in this version’s data has been corrected in a newer version.".into()
            } else {
                "This is not the latest version of this page.".into()
            },
            link: Some((
                format!("{path}/latest/"),
                format!("View the latest version ({})", latest.version()),
            )),
        });
    }
    if page.has_known_corrections() {
        banners.push(Banner {
            heading: "This page contains corrections to the data.".into(),
            link: Some(("#page-history".into(), "See the page history".into())),
        });
    }
    banners
}

/// The minor versions of this edition up to this one, newest first.
fn history(page: &MeasurePage) -> Vec<HistoryEntry> {
    let this = page.version.version();
    let mut entries: Vec<HistoryEntry> = page
        .published_versions
        .iter()
        .filter(|published| published.version_major == this.major && published.version() <= this)
        .map(|published: &PublishedVersion| HistoryEntry {
            version: published.version().to_string(),
            date: long_date(published.published_at),
            summary: published
                .external_edit_summary
                .clone()
                .filter(|summary| !summary.trim().is_empty())
                .unwrap_or_else(|| {
                    if published.version_minor == 0 {
                        "First published".into()
                    } else {
                        "Minor edit".into()
                    }
                }),
            current: published.version() == this,
        })
        .collect();
    entries.reverse();
    entries
}

/// The newest published version of each earlier edition, newest first.
fn previous_editions(page: &MeasurePage) -> Vec<EditionLink> {
    let this = page.version.version();
    let mut editions: Vec<EditionLink> = Vec::new();
    let mut seen_major = None;
    for published in page.published_versions.iter().rev() {
        if published.version_major >= this.major || seen_major == Some(published.version_major) {
            continue;
        }
        seen_major = Some(published.version_major);
        editions.push(EditionLink {
            label: format!(
                "Edition {} (published {})",
                published.version(),
                long_date(published.published_at)
            ),
            url: format!("{}/{}/", page.path(), published.version()),
        });
    }
    editions
}

/// `seo`: for the site build, whether the page may be indexed and its canonical address.
fn render_measure_page(
    page: &MeasurePage,
    mode: Mode,
    settings: &SiteSettings,
    base: &str,
    seo: Option<(bool, String)>,
) -> Result<String, RenderError> {
    let version = &page.version;
    let status = version.status();
    let mut layout = Layout::new(settings, mode);
    if let Some((indexable, canonical)) = seo {
        layout.indexable = indexable;
        layout.canonical = Some(canonical);
    }
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
    for section in text_sections(version) {
        let html = markdown(section.markdown);
        if !html.is_empty() {
            sections.push(Section {
                id: section.id,
                heading: section.heading,
                html,
            });
        }
    }
    let area_covered = almanac_content::describe_area_covered(&version.areas());
    let dimensions = dimension_views(page, mode, settings, base, &area_covered)?;
    let (sections_before, sections_after) = sections
        .into_iter()
        .partition(|section| SECTIONS_BEFORE_DIMENSIONS.contains(&section.id));
    let downloads = page
        .uploads
        .iter()
        .filter(|upload| mode == Mode::Preview || upload.is_clean())
        .map(|upload| DownloadView {
            title: upload.title.clone(),
            url: upload
                .is_clean()
                .then(|| format!("{base}/downloads/{}", upload.file_name)),
            description: upload.description.clone(),
            size: human_size(upload.size_bytes),
            note: (!upload.is_clean()).then_some("Not available until it passes its virus scan"),
        })
        .collect();
    let first_published = page
        .published_versions
        .first()
        .map(|first| long_date(first.published_at));
    let last_updated = version
        .published_at
        .filter(|_| version.version_minor > 0)
        .map(long_date);
    render(
        "site/measure.html",
        &MeasureTemplate {
            layout,
            page,
            status_label: status.label(),
            first_published: first_published.or_else(|| version.published_at.map(long_date)),
            last_updated,
            area_covered,
            main_points: markdown(&version.summary),
            sections_before,
            sections_after,
            dimensions,
            downloads,
            banners: banners(page),
            history: history(page),
            editions: previous_editions(page),
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
