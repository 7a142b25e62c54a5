//! Micro-benchmarks of one chart: building it from a grid and settings and drawing its SVG
//! (what the publisher's chart builder does on every preview and save), the SVG alone (what
//! the site build does for every dimension of every page, from the stored chart object), and
//! the PNG download made from that SVG.
//!
//! The chart is a clustered bar chart of 10 ethnic groups × 3 age groups, with one withheld
//! value, like the charts of a typical measure page. Its output is checked once before
//! anything is timed, so a broken fixture cannot benchmark an error path.
//!
//! ```text
//! cargo bench -p almanac-charts --bench chart              # full run
//! cargo bench -p almanac-charts --bench chart -- --quick   # a quick look
//! ```

use std::hint::black_box;

use almanac_charts::{Chart, ChartSettings, build_chart, render_png, render_svg};
use almanac_figures::Grid;
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

const AGES: [&str; 3] = ["16 to 24", "25 to 49", "50 to 64"];

/// The cell withheld (`?`): one group's youngest age band, as small samples often are.
const WITHHELD: (&str, &str) = ("Chinese", "16 to 24");

/// The value of a group and age band: deterministic and varied, between 40% and 90%.
fn value(group: usize, age: usize) -> f64 {
    40.0 + ((group * 37 + age * 11) % 50) as f64 + ((group + age) % 10) as f64 / 10.0
}

/// Long data as an editor pastes it from a spreadsheet: one row per group per age band,
/// with a column the chart does not use.
fn pasted_data() -> String {
    let mut data = String::from("Ethnicity\tAge group\tPercentage\tNumber of people\n");
    for (group_index, group) in GROUPS.iter().enumerate() {
        for (age_index, age) in AGES.iter().enumerate() {
            let cell = if (*group, *age) == WITHHELD {
                "?".to_owned()
            } else {
                format!("{:.1}", value(group_index, age_index))
            };
            let people = 1_000 + group_index * 317 + age_index * 53;
            data.push_str(&format!("{group}\t{age}\t{cell}\t{people}\n"));
        }
    }
    data
}

fn settings() -> ChartSettings {
    ChartSettings::from_value(serde_json::json!({
        "version": 1,
        "type": "bar",
        "title": "Employment rate by ethnicity and age group",
        "description": "In every ethnic group, people aged 25 to 49 were the most likely to be in work.",
        "category_column": "Ethnicity",
        "series_column": "Age group",
        "value_column": "Percentage",
        "value_axis_label": "Percentage of people in work",
        "category_axis_label": "Ethnicity",
        "number_format": {"suffix": "%", "decimal_places": 1, "min": 0, "max": 100},
    }))
    .expect("the benchmark's chart settings are valid")
}

/// Checks, once and outside the timed loops, that the fixture draws the chart it should.
fn check_svg(chart: &Chart, svg: &str) {
    let document = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("role"), Some("img"));
    let title = document
        .descendants()
        .find(|node| node.has_tag_name("title"))
        .and_then(|node| node.text());
    assert_eq!(title, Some("Employment rate by ethnicity and age group"));
    assert_eq!(chart.categories, GROUPS);
    assert_eq!(chart.series, AGES);

    let texts: Vec<&str> = document
        .descendants()
        .filter(|node| node.has_tag_name("text"))
        .filter_map(|node| node.text())
        .collect();
    for group in GROUPS {
        assert!(texts.contains(&group), "no label for {group}: {texts:?}");
    }
    // Every value but the withheld one is drawn as a bar with its label.
    let mut labelled = 0;
    for (group_index, group) in GROUPS.iter().enumerate() {
        for (age_index, age) in AGES.iter().enumerate() {
            if (*group, *age) == WITHHELD {
                continue;
            }
            let label = format!("{:.1}%", value(group_index, age_index));
            assert!(texts.contains(&label.as_str()), "no bar label {label}");
            labelled += 1;
        }
    }
    assert_eq!(labelled, GROUPS.len() * AGES.len() - 1);
    let rects = document
        .descendants()
        .filter(|node| node.has_tag_name("rect"))
        .count();
    assert!(
        rects > labelled,
        "{rects} rects for {labelled} bars: the bars are missing"
    );
    assert!(
        svg.contains("withheld because a small sample size makes it unreliable"),
        "the legend explains the withheld value"
    );
}

fn chart_benchmarks(c: &mut Criterion) {
    let grid = Grid::from_pasted(&pasted_data()).expect("the benchmark's data is a valid grid");
    let settings = settings();
    let id = "chart-benchmark";

    let chart = build_chart(&grid, &settings).expect("the benchmark's chart builds");
    assert!(chart.warnings().is_empty(), "{:?}", chart.warnings());
    let svg = render_svg(&chart, id);
    check_svg(&chart, &svg);
    let png = render_png(&svg).expect("the benchmark's chart draws as PNG");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG signature");
    assert!(png.len() > 10_000, "a PNG of {} bytes is blank", png.len());

    let mut group = c.benchmark_group("chart");
    // Grid + settings → Chart → SVG: the chart builder's preview and save.
    group.bench_function("build_svg", |b| {
        b.iter(|| {
            let chart = build_chart(black_box(&grid), black_box(&settings))
                .expect("checked above: the chart builds");
            render_svg(&chart, black_box(id))
        });
    });
    // Chart → SVG: each chart of each page in the site build.
    group.bench_function("svg", |b| {
        b.iter(|| render_svg(black_box(&chart), black_box(id)));
    });
    // SVG → PNG: the "Download chart (PNG)" file.
    group.bench_function("png", |b| {
        b.iter(|| render_png(black_box(&svg)).expect("checked above: the PNG draws"));
    });
    group.finish();
}

criterion_group!(benches, chart_benchmarks);
criterion_main!(benches);
