//! Micro-benchmark of rendering one measure page, as the site build writes it at its `latest`
//! address: markdown sections, four dimensions each with a chart (read from its stored JSON
//! and drawn as SVG) and a grouped table, two data sources, downloads and page history.
//!
//! The page is built in memory, with the public types of `almanac-content`'s read model and
//! figures made by the same `build_chart` / `build_table` the publisher's builders use, so
//! no database is needed. Its HTML is checked once before anything is timed, so a broken
//! fixture cannot benchmark an error path.
//!
//! ```text
//! cargo bench -p almanac-render --bench measure_page              # full run
//! cargo bench -p almanac-render --bench measure_page -- --quick   # a quick look
//! ```

use std::hint::black_box;

use almanac_charts::{ChartSettings, build_chart};
use almanac_content::models::MeasureVersion;
use almanac_content::pages::{
    DataSourceSummary, DimensionSummary, MeasurePage, PublishedVersion, UploadSummary,
};
use almanac_figures::{Grid, TableSettings, build_table};
use almanac_render::{PageAddress, SiteSettings, site_measure_page};
use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};

const GROUPS: [&str; 10] = [
    "Bangladeshi",
    "Chinese",
    "Indian",
    "Pakistani",
    "Black African",
    "Black Caribbean",
    "Mixed",
    "White British",
    "White other",
    "Other",
];

/// One dimension: a chart and a grouped table of the 10 groups by `column` (2 or 3 labels).
struct DimensionSpec {
    title: &'static str,
    chart_type: &'static str,
    /// The chart's series column, or its panel column for a panel chart; the table's groups.
    column: &'static str,
    labels: &'static [&'static str],
}

const DIMENSIONS: [DimensionSpec; 4] = [
    DimensionSpec {
        title: "Employment rate by ethnicity and sex",
        chart_type: "bar",
        column: "Sex",
        labels: &["Women", "Men"],
    },
    DimensionSpec {
        title: "Employment rate by ethnicity and age group",
        chart_type: "bar",
        column: "Age group",
        labels: &["16 to 24", "25 to 49", "50 to 64"],
    },
    DimensionSpec {
        title: "Hours worked by ethnicity",
        chart_type: "component",
        column: "Hours",
        labels: &["Full time", "Part time", "Not in work"],
    },
    DimensionSpec {
        title: "Employment rate by ethnicity and year",
        chart_type: "panel_bar",
        column: "Year",
        labels: &["2021", "2022", "2023"],
    },
];

/// A few paragraphs of editor-written markdown, with a list and a link, as a section has.
fn paragraphs(subject: &str) -> String {
    format!(
        "This section explains {subject}. The figures come from a survey of around 80,000 \
         households a year, weighted to match the population of England, Wales and Scotland. \
         Estimates for smaller ethnic groups are based on fewer responses and so are less \
         precise.\n\n\
         When comparing groups, remember that **differences of a few percentage points** may \
         not be statistically significant. The [methodology guide](https://www.example.gov.uk/methodology) \
         describes the confidence intervals for each estimate.\n\n\
         Points to note about {subject}:\n\n\
         - the data covers people aged 16 to 64\n\
         - figures are rounded to one decimal place\n\
         - values based on fewer than 10 responses are withheld\n\n\
         Figures for earlier years were revised in 2023 after the survey's weights were \
         updated, so they may differ from those published before. See *Page history* below.\n"
    )
}

/// Long data for one dimension, as pasted from a spreadsheet: one row per group per label.
fn dimension_grid(spec_index: usize, spec: &DimensionSpec) -> Grid {
    let mut rows = vec![vec![
        "Ethnicity".to_owned(),
        spec.column.to_owned(),
        "Percentage".to_owned(),
        "Number of people".to_owned(),
    ]];
    for (group_index, group) in GROUPS.iter().enumerate() {
        let mut remaining = 100.0;
        for (label_index, label) in spec.labels.iter().enumerate() {
            let percentage = if spec.chart_type == "component" {
                // Components of a bar add up to 100.
                if label_index + 1 == spec.labels.len() {
                    remaining
                } else {
                    let part = 20.0 + ((group_index * 13 + label_index * 29) % 30) as f64;
                    remaining -= part;
                    part
                }
            } else {
                40.0 + ((group_index * 37 + label_index * 11 + spec_index * 7) % 50) as f64
                    + ((group_index + label_index) % 10) as f64 / 10.0
            };
            // One withheld value, so the special-value legends are drawn too.
            let cell = if (spec_index, group_index, label_index) == (0, 1, 0) {
                "?".to_owned()
            } else {
                format!("{percentage:.1}")
            };
            let people = 1_000 + group_index * 3_170 + label_index * 530 + spec_index * 17;
            rows.push(vec![
                (*group).to_owned(),
                (*label).to_owned(),
                cell,
                people.to_string(),
            ]);
        }
    }
    Grid::from_rows(rows).expect("the benchmark's data is a valid grid")
}

fn dimension(spec_index: usize, spec: &DimensionSpec) -> DimensionSummary {
    let grid = dimension_grid(spec_index, spec);
    let mut chart_settings = serde_json::json!({
        "version": 1,
        "type": spec.chart_type,
        "title": spec.title,
        "description": format!("{}, percentage of people aged 16 to 64.", spec.title),
        "category_column": "Ethnicity",
        "value_column": "Percentage",
        "value_axis_label": "Percentage",
        "number_format": {"suffix": "%", "decimal_places": 1, "min": 0, "max": 100},
    });
    let column_setting = if spec.chart_type.starts_with("panel_") {
        "panel_column"
    } else {
        "series_column"
    };
    chart_settings[column_setting] = spec.column.into();
    let chart_settings = ChartSettings::from_value(chart_settings)
        .expect("the benchmark's chart settings are valid");
    let chart = build_chart(&grid, &chart_settings).expect("the benchmark's chart builds");
    let table_settings = TableSettings::from_json(
        &serde_json::json!({
            "version": 1,
            "type": "grouped",
            "caption": spec.title,
            "category_column": "Ethnicity",
            "category_caption": "Ethnicity",
            "group_column": spec.column,
            "value_columns": ["Percentage", "Number of people"],
        })
        .to_string(),
    )
    .expect("the benchmark's table settings are valid");
    let table = build_table(&grid, &table_settings).expect("the benchmark's table builds");
    DimensionSummary {
        guid: format!("6f1c2b9e-5d4a-4c3b-9a8f-{:012}", spec_index + 1),
        title: spec.title.to_owned(),
        time_period: Some("2021 to 2023".to_owned()),
        summary: Some(format!(
            "This data shows the {}.\n\n- the rate was highest for White British people\n\
             - it was lowest for Pakistani and Bangladeshi people\n",
            spec.title.to_lowercase()
        )),
        location: None,
        chart_object: Some(serde_json::from_str(&chart.to_json()).expect("a chart is JSON")),
        table_object: Some(serde_json::from_str(&table.to_json()).expect("a table is JSON")),
    }
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a valid date")
}

fn published(
    id: i32,
    (major, minor): (i32, i32),
    on: NaiveDate,
    summary: Option<&str>,
) -> PublishedVersion {
    PublishedVersion {
        id,
        version_major: major,
        version_minor: minor,
        published_at: on,
        external_edit_summary: summary.map(str::to_owned),
        corrects_data_mistake: false,
    }
}

/// Version 2.1 of a measure, published, with an earlier edition (1.0, 1.1).
fn page() -> MeasurePage {
    let text = |subject: &str| Some(paragraphs(subject));
    let created = date(2024, 3, 1)
        .and_hms_opt(9, 30, 0)
        .expect("a valid time")
        .and_utc();
    let version = MeasureVersion {
        id: 104,
        measure_id: 11,
        version_major: 2,
        version_minor: 1,
        template_version: 1,
        latest: true,
        lock_version: 7,
        status: "APPROVED".to_owned(),
        review_token: None,
        created_at: created,
        created_by: Some("editor@example.gov.uk".to_owned()),
        updated_at: created,
        last_updated_by: Some("editor@example.gov.uk".to_owned()),
        published_at: Some(date(2024, 3, 14)),
        published_by: Some("admin@example.gov.uk".to_owned()),
        title: "Employment".to_owned(),
        description: Some(
            "Employment rates by ethnicity, sex, age group and year, for people aged 16 to 64."
                .to_owned(),
        ),
        summary: Some(
            "- 76% of people aged 16 to 64 were employed in 2023\n\
             - White British people had the highest employment rate out of all ethnic groups \
             (78%)\n\
             - Pakistani and Bangladeshi people had the lowest employment rate (58%)\n\
             - in every ethnic group, men were more likely to be employed than women\n"
                .to_owned(),
        ),
        need_to_know: text("what you need to know about the survey"),
        measure_summary: text("what the employment rate measures"),
        ethnicity_definition_summary: text("the ethnic groups used"),
        area_covered: vec![
            Some("ENGLAND".to_owned()),
            Some("WALES".to_owned()),
            Some("SCOTLAND".to_owned()),
        ],
        time_covered: Some("2021 to 2023".to_owned()),
        lowest_level_of_geography_id: Some("REGION".to_owned()),
        external_edit_summary: Some("Updated the 2023 figures for Wales.".to_owned()),
        internal_edit_summary: None,
        update_corrects_data_mistake: Some(false),
        update_corrects_measure_version_id: None,
        methodology: text("how the survey was carried out"),
        suppression_and_disclosure: text("when figures are withheld"),
        estimation: text("rounding"),
        related_publications: text("related publications"),
        qmi_url: None,
        further_technical_information: text("further technical details"),
        review_token_expires_at: None,
        publish_scheduled_at: None,
        publish_scheduled_by: None,
    };
    MeasurePage {
        topic_slug: "work-pay-and-benefits".to_owned(),
        topic_title: "Work, pay and benefits".to_owned(),
        subtopic_slug: "employment".to_owned(),
        subtopic_title: "Employment".to_owned(),
        measure_slug: "employment".to_owned(),
        version,
        lowest_level_of_geography: Some("Region".to_owned()),
        dimensions: DIMENSIONS
            .iter()
            .enumerate()
            .map(|(index, spec)| dimension(index, spec))
            .collect(),
        uploads: vec![
            UploadSummary {
                title: "Employment by ethnicity, 2021 to 2023".to_owned(),
                file_name: "employment-by-ethnicity.csv".to_owned(),
                description: Some("Every figure on this page, with confidence intervals.".into()),
                size_bytes: 48_213,
                scan_status: "CLEAN".to_owned(),
            },
            UploadSummary {
                title: "Employment by ethnicity and region".to_owned(),
                file_name: "employment-by-ethnicity-and-region.csv".to_owned(),
                description: None,
                size_bytes: 1_250_000,
                scan_status: "CLEAN".to_owned(),
            },
        ],
        data_sources: vec![
            DataSourceSummary {
                id: 21,
                title: "Annual Population Survey".to_owned(),
                publisher: Some("Office for National Statistics".to_owned()),
                source_url: Some("https://www.example.gov.uk/aps".to_owned()),
                publication_date: Some("14 March 2024".to_owned()),
                frequency: Some("Quarterly".to_owned()),
                purpose: Some(paragraphs("the survey's purpose")),
                position: 0,
            },
            DataSourceSummary {
                id: 22,
                title: "Labour Force Survey".to_owned(),
                publisher: Some("Office for National Statistics".to_owned()),
                source_url: Some("https://www.example.gov.uk/lfs".to_owned()),
                publication_date: Some("February 2024".to_owned()),
                frequency: Some("Monthly".to_owned()),
                purpose: Some("Statistics on the labour market.".to_owned()),
                position: 1,
            },
        ],
        published_versions: vec![
            published(101, (1, 0), date(2022, 3, 10), None),
            published(102, (1, 1), date(2022, 9, 1), Some("Corrected a typo.")),
            published(
                103,
                (2, 0),
                date(2023, 3, 9),
                Some("Added the 2022 figures."),
            ),
            published(
                104,
                (2, 1),
                date(2024, 3, 14),
                Some("Updated the 2023 figures for Wales."),
            ),
        ],
    }
}

/// Checks, once and outside the timed loop, that the page is the one the fixture describes.
fn check_page(page: &MeasurePage, html: &str) {
    let contains = |needle: &str| assert!(html.contains(needle), "no {needle:?} in the page");
    contains(r#"<h1 class="govuk-heading-xl" itemprop="name">Employment</h1>"#);
    contains("<title>Employment - Ethnicity facts and figures</title>");
    assert!(
        !html.contains("cannot be shown"),
        "a figure failed to render"
    );
    for (index, dimension) in page.dimensions.iter().enumerate() {
        contains(&format!("{}. {}</h2>", index + 1, dimension.title));
        let table_id = almanac_render::figures::figure_id("table", &dimension.guid);
        contains(&format!(r#"<table class="govuk-table" id="{table_id}""#));
        let chart_id = almanac_render::figures::figure_id("chart", &dimension.guid);
        contains(&format!(r#"aria-labelledby="{chart_id}-title"#));
    }
    assert_eq!(
        html.matches(r#"role="img""#).count(),
        DIMENSIONS.len(),
        "one SVG chart per dimension"
    );
    assert_eq!(
        html.matches(r#"scope="colgroup""#).count(),
        DIMENSIONS
            .iter()
            .map(|spec| spec.labels.len())
            .sum::<usize>(),
        "each table's groups"
    );
    for group in GROUPS {
        contains(&format!(
            r#"<th scope="row" class="govuk-table__header">{group}</th>"#
        ));
    }
    contains("withheld because a small sample size makes it unreliable");
    contains("Things you need to know");
    contains("Further technical information");
    contains("the data covers people aged 16 to 64");
    contains("Annual Population Survey");
    contains("Labour Force Survey");
    contains(r#"id="page-history""#);
    contains(r#"id="previous-editions""#);
    contains(
        "/work-pay-and-benefits/employment/employment/latest/downloads/employment-by-ethnicity.csv",
    );
}

fn measure_page_benchmarks(c: &mut Criterion) {
    let page = page();
    let settings = SiteSettings::default();
    let html = site_measure_page(&page, &settings, PageAddress::Latest)
        .expect("the benchmark's page renders");
    check_page(&page, &html);

    let mut group = c.benchmark_group("measure_page");
    // MeasurePage → HTML: what the site build does for each published page.
    group.bench_function("render", |b| {
        b.iter(|| {
            site_measure_page(
                black_box(&page),
                black_box(&settings),
                black_box(PageAddress::Latest),
            )
            .expect("checked above: the page renders")
        });
    });
    group.finish();
}

criterion_group!(benches, measure_page_benchmarks);
criterion_main!(benches);
