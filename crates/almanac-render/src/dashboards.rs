//! The dashboards: what's new, publications by week, ethnic groups, ethnicity classifications
//! and geographic breakdown (each list with a page per entry), and the publisher-only planned
//! pages and all measures. Pure functions over `almanac_content::dashboards`' read models.
//!
//! In [`Mode::Published`] measure links go to the public pages; in [`Mode::Preview`] (the
//! publisher) they go to the publisher's preview of the same version, since the publisher does
//! not serve the public addresses.

use askama::Template;
use chrono::NaiveDate;

use almanac_content::dashboards::{
    ClassificationUsage, DashboardDetail, Dashboards, EthnicGroup, GeographyLevel,
    MajorPublication, MeasureVersionRef, PlannedStage, TopicGroup, TopicMeasures, by_month,
    weekly_publications,
};

use crate::{Layout, Mode, RenderError, SiteSettings, render};

/// Where the dashboards live, on the site and in the publisher alike.
pub const DASHBOARDS_PATH: &str = "/dashboards/";

fn long_date(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

/// Which address of a measure a link should take.
#[derive(Clone, Copy)]
enum Target {
    /// The newest published version (`latest` on the site).
    Latest,
    /// Exactly this version.
    Version,
}

fn measure_url(measure: &MeasureVersionRef, mode: Mode, target: Target) -> String {
    match (mode, target) {
        (Mode::Published, Target::Latest) => format!("{}/latest/", measure.path()),
        (Mode::Published, Target::Version) => {
            format!("{}/{}/", measure.path(), measure.version())
        }
        (Mode::Preview, _) => format!("/cms{}/{}/preview", measure.path(), measure.version()),
    }
}

/// The editors' page of a version in the publisher.
fn version_page_url(measure: &MeasureVersionRef) -> String {
    format!("/cms{}/{}", measure.path(), measure.version())
}

fn layout(settings: &SiteSettings, mode: Mode, description: String) -> Layout {
    let mut layout = Layout::new(settings, mode);
    layout.meta_description = Some(description);
    layout
}

/// A link in the breadcrumbs above a dashboard's heading.
pub struct Crumb {
    pub title: &'static str,
    pub url: &'static str,
}

const HOME: Crumb = Crumb {
    title: "Home",
    url: "/",
};
const DASHBOARDS: Crumb = Crumb {
    title: "Dashboards",
    url: DASHBOARDS_PATH,
};

// --- Index -----------------------------------------------------------------------------------

pub struct DashboardLink {
    pub title: &'static str,
    pub url: &'static str,
    pub description: &'static str,
}

const PUBLIC_DASHBOARDS: [DashboardLink; 5] = [
    DashboardLink {
        title: "What’s new",
        url: "/dashboards/whats-new/",
        description: "New pages and major updates, by month.",
    },
    DashboardLink {
        title: "Published pages by week",
        url: "/dashboards/published/",
        description: "How many pages were first published or updated each week.",
    },
    DashboardLink {
        title: "Ethnic groups",
        url: "/dashboards/ethnic-groups/",
        description: "Each ethnic group and the pages with figures for it.",
    },
    DashboardLink {
        title: "Ethnicity classifications",
        url: "/dashboards/ethnicity-classifications/",
        description: "Each ethnicity classification and the pages that use it.",
    },
    DashboardLink {
        title: "Geographic breakdown",
        url: "/dashboards/geographic-breakdown/",
        description: "Pages by the most detailed level of geography they cover.",
    },
];

const PUBLISHER_DASHBOARDS: [DashboardLink; 2] = [
    DashboardLink {
        title: "Planned pages",
        url: "/dashboards/planned-pages/",
        description: "Pages not yet published, by where they are in the workflow.",
    },
    DashboardLink {
        title: "All measures",
        url: "/dashboards/measures/",
        description: "Every measure by topic, with its status.",
    },
];

#[derive(Template)]
#[template(path = "site/dashboards/index.html")]
struct IndexTemplate {
    layout: Layout,
    crumbs: Vec<Crumb>,
    dashboards: Vec<&'static DashboardLink>,
}

/// The list of dashboards; the publisher's also lists its own two.
pub fn dashboards_index(mode: Mode, settings: &SiteSettings) -> Result<String, RenderError> {
    let mut dashboards: Vec<&'static DashboardLink> = PUBLIC_DASHBOARDS.iter().collect();
    if mode == Mode::Preview {
        dashboards.extend(PUBLISHER_DASHBOARDS.iter());
    }
    render(
        "site/dashboards/index.html",
        &IndexTemplate {
            layout: layout(
                settings,
                mode,
                "Figures about what we publish: new pages, ethnic groups, classifications and \
                 geography."
                    .to_owned(),
            ),
            crumbs: vec![HOME],
            dashboards,
        },
    )
}

// --- What's new ------------------------------------------------------------------------------

pub struct PublicationView {
    pub title: String,
    pub url: String,
    pub is_new: bool,
    pub version: String,
    pub published_on: String,
    pub summary: Option<String>,
}

pub struct MonthView {
    pub heading: String,
    pub id: String,
    pub publications: Vec<PublicationView>,
}

pub struct YearView {
    pub year: i32,
    pub months: Vec<MonthView>,
}

#[derive(Template)]
#[template(path = "site/dashboards/whats_new.html")]
struct WhatsNewTemplate {
    layout: Layout,
    crumbs: Vec<Crumb>,
    years: Vec<YearView>,
}

/// New pages and major updates, by year and month, newest first.
pub fn whats_new_page(
    publications: &[MajorPublication],
    mode: Mode,
    settings: &SiteSettings,
) -> Result<String, RenderError> {
    let years = by_month(publications)
        .into_iter()
        .map(|(year, months)| YearView {
            year,
            months: months
                .into_iter()
                .map(|month| MonthView {
                    heading: month.month.format("%B %Y").to_string(),
                    id: month.month.format("%Y-%m").to_string(),
                    publications: month
                        .publications
                        .iter()
                        .map(|publication| PublicationView {
                            title: publication.measure.title.clone(),
                            url: measure_url(&publication.measure, mode, Target::Version),
                            is_new: publication.is_new_page(),
                            version: publication.measure.version(),
                            published_on: long_date(publication.published_at),
                            summary: publication.external_edit_summary.clone(),
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    render(
        "site/dashboards/whats_new.html",
        &WhatsNewTemplate {
            layout: layout(
                settings,
                mode,
                "New pages and major updates to pages, by month, newest first.".to_owned(),
            ),
            crumbs: vec![HOME, DASHBOARDS],
            years,
        },
    )
}

// --- Published by week -----------------------------------------------------------------------

pub struct WeekView {
    pub week_starting: String,
    pub new_pages: u32,
    pub major_updates: u32,
    pub new_pages_to_date: u32,
    pub major_updates_to_date: u32,
}

#[derive(Template)]
#[template(path = "site/dashboards/published.html")]
struct PublishedTemplate {
    layout: Layout,
    crumbs: Vec<Crumb>,
    as_of: Option<String>,
    new_pages: u32,
    major_updates: u32,
    /// Newest first.
    weeks: Vec<WeekView>,
}

/// First publications and major updates in total and week by week, from the first
/// publication up to `as_of` (the site uses its newest publication date; the publisher,
/// today). `None` shows the totals only.
pub fn published_page(
    publications: &[MajorPublication],
    as_of: Option<NaiveDate>,
    mode: Mode,
    settings: &SiteSettings,
) -> Result<String, RenderError> {
    let weeks = as_of
        .map(|today| weekly_publications(publications, today))
        .unwrap_or_default();
    let new_pages = publications.iter().filter(|p| p.is_new_page()).count() as u32;
    render(
        "site/dashboards/published.html",
        &PublishedTemplate {
            layout: layout(
                settings,
                mode,
                "How many pages were first published, and how many had a major update, each week."
                    .to_owned(),
            ),
            crumbs: vec![HOME, DASHBOARDS],
            as_of: as_of.map(long_date),
            new_pages,
            major_updates: publications.len() as u32 - new_pages,
            weeks: weeks
                .iter()
                .rev()
                .map(|week| WeekView {
                    week_starting: long_date(week.week_starting),
                    new_pages: week.new_pages,
                    major_updates: week.major_updates,
                    new_pages_to_date: week.new_pages_to_date,
                    major_updates_to_date: week.major_updates_to_date,
                })
                .collect(),
        },
    )
}

// --- The list and detail pages of groups, classifications and geography ---------------------

/// A row of a list dashboard's table: the first cell links to the entry's page.
pub struct ListRow {
    pub title: String,
    pub url: String,
    pub cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "site/dashboards/list.html")]
struct ListTemplate {
    layout: Layout,
    crumbs: Vec<Crumb>,
    heading: &'static str,
    lead: &'static str,
    caption: &'static str,
    first_column: &'static str,
    columns: Vec<&'static str>,
    rows: Vec<ListRow>,
}

pub struct TreeMeasure {
    pub title: String,
    pub url: String,
    pub dimensions: Vec<String>,
}

pub struct TreeSubtopic {
    pub title: String,
    pub measures: Vec<TreeMeasure>,
}

pub struct TreeTopic {
    pub id: String,
    pub title: String,
    pub subtopics: Vec<TreeSubtopic>,
}

fn tree(topics: &[TopicGroup], mode: Mode) -> Vec<TreeTopic> {
    topics
        .iter()
        .map(|topic| TreeTopic {
            id: format!("topic-{}", topic.slug),
            title: topic.title.clone(),
            subtopics: topic
                .subtopics
                .iter()
                .map(|subtopic| TreeSubtopic {
                    title: subtopic.title.clone(),
                    measures: subtopic
                        .measures
                        .iter()
                        .map(|listed| TreeMeasure {
                            title: listed.measure.title.clone(),
                            url: measure_url(&listed.measure, mode, Target::Latest),
                            dimensions: listed.dimensions.clone(),
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "site/dashboards/detail.html")]
struct DetailTemplate {
    layout: Layout,
    crumbs: Vec<Crumb>,
    caption: &'static str,
    heading: String,
    lead: Option<String>,
    facts: Vec<(&'static str, String)>,
    empty: &'static str,
    topics: Vec<TreeTopic>,
}

const ETHNIC_GROUPS: Crumb = Crumb {
    title: "Ethnic groups",
    url: "/dashboards/ethnic-groups/",
};
const CLASSIFICATIONS: Crumb = Crumb {
    title: "Ethnicity classifications",
    url: "/dashboards/ethnicity-classifications/",
};
const GEOGRAPHY: Crumb = Crumb {
    title: "Geographic breakdown",
    url: "/dashboards/geographic-breakdown/",
};

/// The address of an ethnic group's page.
pub fn ethnic_group_url(group: &EthnicGroup) -> String {
    format!("{}{}/", ETHNIC_GROUPS.url, group.slug)
}

/// The address of a classification's page.
pub fn classification_url(classification: &ClassificationUsage) -> String {
    format!("{}{}/", CLASSIFICATIONS.url, classification.path_segment())
}

/// The address of a geography level's page.
pub fn geography_level_url(level: &GeographyLevel) -> String {
    format!("{}{}/", GEOGRAPHY.url, level.slug)
}

/// Every ethnic group with published figures: pages, dimensions, classifications.
pub fn ethnic_groups_page(
    groups: &[EthnicGroup],
    mode: Mode,
    settings: &SiteSettings,
) -> Result<String, RenderError> {
    render(
        "site/dashboards/list.html",
        &ListTemplate {
            layout: layout(
                settings,
                mode,
                "Each ethnic group, with how many pages and tables or charts give figures for it."
                    .to_owned(),
            ),
            crumbs: vec![HOME, DASHBOARDS],
            heading: ETHNIC_GROUPS.title,
            lead: "Each ethnic group that published figures cover, with the number of pages and \
                   of charts or tables that include it, and the classifications they use.",
            caption: "Ethnic groups in published figures",
            first_column: "Ethnic group",
            columns: vec!["Pages", "Charts or tables", "Classifications"],
            rows: groups
                .iter()
                .map(|group| ListRow {
                    title: group.value.clone(),
                    url: ethnic_group_url(group),
                    cells: vec![
                        group.measure_count.to_string(),
                        group.dimension_count.to_string(),
                        group.classifications.join("; "),
                    ],
                })
                .collect(),
        },
    )
}

/// One ethnic group: the pages with figures for it, and which of their charts or tables.
pub fn ethnic_group_page(
    group: &EthnicGroup,
    mode: Mode,
    settings: &SiteSettings,
) -> Result<String, RenderError> {
    render(
        "site/dashboards/detail.html",
        &DetailTemplate {
            layout: layout(
                settings,
                mode,
                format!("Pages with figures for the {} ethnic group.", group.value),
            ),
            crumbs: vec![HOME, DASHBOARDS, ETHNIC_GROUPS],
            caption: "Ethnic group",
            heading: group.value.clone(),
            lead: None,
            facts: vec![
                ("Pages", group.measure_count.to_string()),
                ("Charts or tables", group.dimension_count.to_string()),
                ("Classifications", group.classifications.join("; ")),
            ],
            empty: "No published page has figures for this group.",
            topics: tree(&group.topics, mode),
        },
    )
}

/// Every ethnicity classification, used or not, with how published figures use it.
pub fn classifications_page(
    classifications: &[ClassificationUsage],
    mode: Mode,
    settings: &SiteSettings,
) -> Result<String, RenderError> {
    render(
        "site/dashboards/list.html",
        &ListTemplate {
            layout: layout(
                settings,
                mode,
                "Each ethnicity classification, with how many pages and charts or tables use it."
                    .to_owned(),
            ),
            crumbs: vec![HOME, DASHBOARDS],
            heading: CLASSIFICATIONS.title,
            lead: "Every ethnicity classification, including those no published figures use \
                   yet, with the number of pages and charts or tables that use it, and how many \
                   of those also show the parent groups, a total for all groups, or an \
                   unknown group.",
            caption: "Ethnicity classifications in published figures",
            first_column: "Classification",
            columns: vec![
                "Pages",
                "Charts or tables",
                "With parent groups",
                "With all groups",
                "With unknown",
            ],
            rows: classifications
                .iter()
                .map(|classification| ListRow {
                    title: format!("{} ({})", classification.title, classification.id),
                    url: classification_url(classification),
                    cells: vec![
                        classification.measure_count.to_string(),
                        classification.dimension_count.to_string(),
                        classification.with_parents.to_string(),
                        classification.with_all.to_string(),
                        classification.with_unknown.to_string(),
                    ],
                })
                .collect(),
        },
    )
}

/// One classification: the pages that use it, and which of their charts or tables.
pub fn classification_page(
    classification: &ClassificationUsage,
    mode: Mode,
    settings: &SiteSettings,
) -> Result<String, RenderError> {
    render(
        "site/dashboards/detail.html",
        &DetailTemplate {
            layout: layout(
                settings,
                mode,
                format!(
                    "Pages that use the {} ethnicity classification.",
                    classification.title
                ),
            ),
            crumbs: vec![HOME, DASHBOARDS, CLASSIFICATIONS],
            caption: "Ethnicity classification",
            heading: format!("{} ({})", classification.title, classification.id),
            lead: Some(classification.long_title.clone()),
            facts: vec![
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
            empty: "No published page uses this classification.",
            topics: tree(&classification.topics, mode),
        },
    )
}

/// Every lowest level of geography, with how many published pages go down to it.
pub fn geography_page(
    levels: &[GeographyLevel],
    mode: Mode,
    settings: &SiteSettings,
) -> Result<String, RenderError> {
    render(
        "site/dashboards/list.html",
        &ListTemplate {
            layout: layout(
                settings,
                mode,
                "Published pages by the most detailed level of geography their figures cover."
                    .to_owned(),
            ),
            crumbs: vec![HOME, DASHBOARDS],
            heading: GEOGRAPHY.title,
            lead: "The most detailed level of geography that each page’s figures go down to, \
                   with the number of published pages at each level.",
            caption: "Published pages by lowest level of geography",
            first_column: "Lowest level of geography",
            columns: vec!["Pages"],
            rows: levels
                .iter()
                .map(|level| ListRow {
                    title: level.name.clone(),
                    url: geography_level_url(level),
                    cells: vec![level.measure_count.to_string()],
                })
                .collect(),
        },
    )
}

/// One level of geography: the published pages that go down to it.
pub fn geography_level_page(
    level: &GeographyLevel,
    mode: Mode,
    settings: &SiteSettings,
) -> Result<String, RenderError> {
    render(
        "site/dashboards/detail.html",
        &DetailTemplate {
            layout: layout(
                settings,
                mode,
                format!(
                    "Published pages with figures down to {} level.",
                    level.name.to_lowercase()
                ),
            ),
            crumbs: vec![HOME, DASHBOARDS, GEOGRAPHY],
            caption: "Lowest level of geography",
            heading: level.name.clone(),
            lead: level.description.clone(),
            facts: vec![("Pages", level.measure_count.to_string())],
            empty: "No published page goes down to this level.",
            topics: tree(&level.topics, mode),
        },
    )
}

// --- Publisher only --------------------------------------------------------------------------

pub struct PlannedRow {
    pub title: String,
    pub url: String,
    pub topic: String,
    pub version: String,
    pub updated: String,
    pub updated_by: String,
}

pub struct StageView {
    pub id: String,
    pub label: &'static str,
    pub pages: Vec<PlannedRow>,
}

#[derive(Template)]
#[template(path = "site/dashboards/planned_pages.html")]
struct PlannedPagesTemplate {
    layout: Layout,
    crumbs: Vec<Crumb>,
    total: usize,
    stages: Vec<StageView>,
}

/// Pages not yet published, counted and listed by workflow stage (publisher only).
pub fn planned_pages_page(
    stages: &[PlannedStage],
    settings: &SiteSettings,
) -> Result<String, RenderError> {
    let stages: Vec<StageView> = stages
        .iter()
        .map(|stage| StageView {
            id: format!(
                "stage-{}",
                stage.status.as_str().to_lowercase().replace('_', "-")
            ),
            label: stage.status.label(),
            pages: stage
                .pages
                .iter()
                .map(|page| PlannedRow {
                    title: page.measure.title.clone(),
                    url: version_page_url(&page.measure),
                    topic: format!(
                        "{} › {}",
                        page.measure.topic_title, page.measure.subtopic_title
                    ),
                    version: page.measure.version(),
                    updated: long_date(page.updated_at.date_naive()),
                    updated_by: page.last_updated_by.clone().unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    render(
        "site/dashboards/planned_pages.html",
        &PlannedPagesTemplate {
            layout: layout(
                settings,
                Mode::Preview,
                "Pages not yet published, by workflow stage.".to_owned(),
            ),
            crumbs: vec![HOME, DASHBOARDS],
            total: stages.iter().map(|stage| stage.pages.len()).sum(),
            stages,
        },
    )
}

pub struct MeasureRow {
    pub title: String,
    pub url: String,
    pub subtopic: String,
    pub version: String,
    pub status: String,
    pub published_version: String,
    pub first_published: String,
}

pub struct TopicRows {
    pub id: String,
    pub title: String,
    pub measures: Vec<MeasureRow>,
}

#[derive(Template)]
#[template(path = "site/dashboards/measures.html")]
struct AllMeasuresTemplate {
    layout: Layout,
    crumbs: Vec<Crumb>,
    total: usize,
    topics: Vec<TopicRows>,
}

/// Every measure by topic with its newest version's status (publisher only).
pub fn all_measures_page(
    topics: &[TopicMeasures],
    settings: &SiteSettings,
) -> Result<String, RenderError> {
    let topics: Vec<TopicRows> = topics
        .iter()
        .map(|topic| TopicRows {
            id: format!("topic-{}", topic.slug),
            title: topic.title.clone(),
            measures: topic
                .measures
                .iter()
                .map(|measure| MeasureRow {
                    title: measure.newest.title.clone(),
                    url: version_page_url(&measure.newest),
                    subtopic: measure.newest.subtopic_title.clone(),
                    version: measure.newest.version(),
                    status: measure
                        .status
                        .parse::<almanac_content::PublishStatus>()
                        .map(|status| status.label().to_owned())
                        .unwrap_or_else(|_| measure.status.clone()),
                    published_version: measure.published_version.clone().unwrap_or_default(),
                    first_published: measure.first_published.map(long_date).unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    render(
        "site/dashboards/measures.html",
        &AllMeasuresTemplate {
            layout: layout(
                settings,
                Mode::Preview,
                "Every measure by topic, with its status.".to_owned(),
            ),
            crumbs: vec![HOME, DASHBOARDS],
            total: topics.iter().map(|topic| topic.measures.len()).sum(),
            topics,
        },
    )
}

// --- The public site's dashboards ------------------------------------------------------------

/// The public page of one ethnic group, classification or geography level (with its list
/// loaded), by its path. The site build renders each as it loads its list.
pub fn detail_site_page(
    detail: &DashboardDetail,
    settings: &SiteSettings,
) -> Result<(String, String), RenderError> {
    let mode = Mode::Published;
    Ok(match detail {
        DashboardDetail::EthnicGroup(group) => (
            site_path(&ethnic_group_url(group)),
            ethnic_group_page(group, mode, settings)?,
        ),
        DashboardDetail::Classification(classification) => (
            site_path(&classification_url(classification)),
            classification_page(classification, mode, settings)?,
        ),
        DashboardDetail::GeographyLevel(level) => (
            site_path(&geography_level_url(level)),
            geography_level_page(level, mode, settings)?,
        ),
    })
}

/// The file a dashboard's address is served from.
fn site_path(url: &str) -> String {
    format!("{}index.html", url.trim_start_matches('/'))
}

/// Every public dashboard page but the detail pages ([`detail_site_page`]) as the site
/// build writes it: `(path, html)`, paths relative to the site's root.
pub fn dashboard_site_pages(
    dashboards: &Dashboards,
    settings: &SiteSettings,
) -> Result<Vec<(String, String)>, RenderError> {
    let mode = Mode::Published;
    Ok(vec![
        (
            site_path(DASHBOARDS_PATH),
            dashboards_index(mode, settings)?,
        ),
        (
            site_path("/dashboards/whats-new/"),
            whats_new_page(&dashboards.major_publications, mode, settings)?,
        ),
        (
            site_path("/dashboards/published/"),
            published_page(
                &dashboards.major_publications,
                dashboards.latest_publication,
                mode,
                settings,
            )?,
        ),
        (
            site_path(ETHNIC_GROUPS.url),
            ethnic_groups_page(&dashboards.ethnic_groups, mode, settings)?,
        ),
        (
            site_path(CLASSIFICATIONS.url),
            classifications_page(&dashboards.classifications, mode, settings)?,
        ),
        (
            site_path(GEOGRAPHY.url),
            geography_page(&dashboards.geography_levels, mode, settings)?,
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use almanac_content::dashboards::{ListedMeasure, SubtopicGroup};

    fn measure(id: i32, title: &str, major: i32) -> MeasureVersionRef {
        MeasureVersionRef {
            topic_slug: "work".to_owned(),
            topic_title: "Work".to_owned(),
            topic_position: 0,
            subtopic_slug: "pay".to_owned(),
            subtopic_title: "Pay & income".to_owned(),
            subtopic_position: 0,
            measure_id: id,
            measure_slug: format!("measure-{id}"),
            measure_position: id,
            title: title.to_owned(),
            version_major: major,
            version_minor: 0,
        }
    }

    fn publication(id: i32, major: i32, on: &str) -> MajorPublication {
        MajorPublication {
            measure: measure(id, &format!("Measure {id}"), major),
            published_at: on.parse().unwrap(),
            external_edit_summary: Some("Updated with the latest data.".to_owned()),
        }
    }

    fn topics() -> Vec<TopicGroup> {
        vec![TopicGroup {
            slug: "work".to_owned(),
            title: "Work".to_owned(),
            subtopics: vec![SubtopicGroup {
                slug: "pay".to_owned(),
                title: "Pay & income".to_owned(),
                measures: vec![ListedMeasure {
                    measure: measure(7, "Average <pay>", 2),
                    dimensions: vec!["By region".to_owned()],
                }],
            }],
        }]
    }

    fn group() -> EthnicGroup {
        EthnicGroup {
            value: "White British".to_owned(),
            slug: "white-british".to_owned(),
            measure_count: 1,
            dimension_count: 1,
            classifications: vec!["ONS 2011 - 18".to_owned()],
            topics: topics(),
        }
    }

    fn settings() -> SiteSettings {
        SiteSettings::default()
    }

    #[test]
    fn public_links_go_to_site_addresses_and_preview_links_to_the_publisher() {
        let published = ethnic_group_page(&group(), Mode::Published, &settings()).unwrap();
        assert!(published.contains(r#"href="/work/pay/measure-7/latest/""#));
        assert!(!published.contains("noindex"));
        let preview = ethnic_group_page(&group(), Mode::Preview, &settings()).unwrap();
        assert!(preview.contains(r#"href="/cms/work/pay/measure-7/2.0/preview""#));
        assert!(preview.contains(r#"<meta name="robots" content="noindex">"#));
    }

    #[test]
    fn a_group_page_escapes_titles_and_nests_headings_in_order() {
        let html = ethnic_group_page(&group(), Mode::Published, &settings()).unwrap();
        assert!(
            html.contains(
                "<title>White British: ethnic group - Ethnicity facts and figures</title>"
            )
        );
        assert!(html.contains("Average &#60;pay&#62;") || html.contains("Average &lt;pay&gt;"));
        let h1 = html.find("<h1").unwrap();
        let h2 = html
            .find("<h2 class=\"govuk-heading-l\" id=\"topic-work\"")
            .unwrap();
        let h3 = html.find("<h3").unwrap();
        assert!(h1 < h2 && h2 < h3);
        assert!(html.contains("<li>By region</li>"));
        assert!(html.contains(r#"href="/dashboards/ethnic-groups/""#));
    }

    #[test]
    fn list_tables_have_captions_and_header_scopes() {
        let html = ethnic_groups_page(&[group()], Mode::Published, &settings()).unwrap();
        assert!(html.contains("<caption class=\"govuk-table__caption govuk-table__caption--m\">Ethnic groups in published figures</caption>"));
        assert!(html.contains(r#"<th scope="row" class="govuk-table__header"><a class="govuk-link" href="/dashboards/ethnic-groups/white-british/">White British</a></th>"#));
        assert_eq!(html.matches("scope=\"col\"").count(), 4);
        assert!(html.contains("<title>Ethnic groups - "));
    }

    #[test]
    fn whats_new_links_each_version_and_tells_new_from_updated() {
        let publications = [
            publication(2, 2, "2026-02-03"),
            publication(1, 1, "2025-12-30"),
        ];
        let html = whats_new_page(&publications, Mode::Published, &settings()).unwrap();
        assert!(html.contains(r#"href="/work/pay/measure-2/2.0/""#));
        assert!(html.contains(r#"href="/work/pay/measure-1/1.0/""#));
        assert!(html.find("February 2026").unwrap() < html.find("December 2025").unwrap());
        assert_eq!(html.matches("New page</strong>").count(), 1);
        assert_eq!(html.matches("Updated</strong>").count(), 1);
    }

    #[test]
    fn published_page_counts_weeks_up_to_the_date_given() {
        let publications = [
            publication(2, 2, "2026-01-14"),
            publication(1, 1, "2026-01-05"),
        ];
        let html = published_page(
            &publications,
            Some("2026-01-20".parse().unwrap()),
            Mode::Published,
            &settings(),
        )
        .unwrap();
        assert!(html.contains("up to 20 January 2026"));
        // Three weeks, newest first.
        assert_eq!(html.matches("<th scope=\"row\"").count(), 3);
        assert!(html.find("19 January 2026").unwrap() < html.find("5 January 2026").unwrap());
        let empty = published_page(&[], None, Mode::Published, &settings()).unwrap();
        assert!(empty.contains("Nothing has been published yet."));
    }

    #[test]
    fn classification_ids_with_a_plus_get_a_safe_address() {
        let classification = ClassificationUsage {
            id: "10B+".to_owned(),
            title: "Family resources survey".to_owned(),
            long_title: "Bangladeshi, Chinese and others".to_owned(),
            measure_count: 0,
            dimension_count: 0,
            with_parents: 0,
            with_all: 0,
            with_unknown: 0,
            topics: Vec::new(),
        };
        assert_eq!(
            classification_url(&classification),
            "/dashboards/ethnicity-classifications/10B-plus/"
        );
        let html = classification_page(&classification, Mode::Published, &settings()).unwrap();
        assert!(html.contains("No published page uses this classification."));
    }

    #[test]
    fn the_publisher_index_adds_its_own_dashboards() {
        let public = dashboards_index(Mode::Published, &settings()).unwrap();
        let publisher = dashboards_index(Mode::Preview, &settings()).unwrap();
        assert!(!public.contains("/dashboards/planned-pages/"));
        assert!(!public.contains("/dashboards/measures/"));
        assert!(publisher.contains("/dashboards/planned-pages/"));
        assert!(publisher.contains("/dashboards/measures/"));
    }

    #[test]
    fn the_site_gets_one_page_per_group_classification_and_level() {
        let dashboards = Dashboards {
            major_publications: vec![publication(1, 1, "2026-01-05")],
            latest_publication: Some("2026-01-05".parse().unwrap()),
            ethnic_groups: vec![group()],
            classifications: Vec::new(),
            geography_levels: vec![GeographyLevel {
                name: "Local authority".to_owned(),
                slug: "local-authority".to_owned(),
                description: None,
                measure_count: 0,
                topics: Vec::new(),
            }],
        };
        let mut paths: Vec<String> = dashboard_site_pages(&dashboards, &settings())
            .unwrap()
            .into_iter()
            .map(|(path, _)| path)
            .collect();
        for detail in dashboards.details() {
            paths.push(detail_site_page(&detail, &settings()).unwrap().0);
        }
        assert_eq!(
            paths,
            [
                "dashboards/index.html",
                "dashboards/whats-new/index.html",
                "dashboards/published/index.html",
                "dashboards/ethnic-groups/index.html",
                "dashboards/ethnicity-classifications/index.html",
                "dashboards/geographic-breakdown/index.html",
                "dashboards/ethnic-groups/white-british/index.html",
                "dashboards/geographic-breakdown/local-authority/index.html",
            ]
        );
    }
}
