//! The SVG of every chart type, as reviewed snapshots, and checks that every SVG is
//! well-formed, accessible and deterministic.

mod fixtures;

use almanac_charts::{Chart, render_svg};

fn svg_of(name: &str, chart: &Chart) -> String {
    render_svg(chart, &format!("chart-{name}"))
}

#[test]
fn snapshots_of_every_fixture() {
    for (name, chart) in fixtures::all() {
        insta::assert_snapshot!(name, svg_of(name, &chart));
    }
}

#[test]
fn every_svg_is_well_formed_with_role_title_and_description() {
    for (name, chart) in fixtures::all() {
        let svg = svg_of(name, &chart);
        let document = roxmltree::Document::parse(&svg)
            .unwrap_or_else(|error| panic!("{name}: not well-formed XML: {error}\n{svg}"));
        let root = document.root_element();
        assert_eq!(root.tag_name().name(), "svg", "{name}");
        assert_eq!(root.attribute("role"), Some("img"), "{name}");
        assert!(
            root.attribute("viewBox").is_some(),
            "{name}: scales by viewBox"
        );
        assert!(root.attribute("width").is_none(), "{name}: no fixed width");

        let labelled_by: Vec<&str> = root
            .attribute("aria-labelledby")
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        let title = document
            .descendants()
            .find(|node| node.has_tag_name("title"))
            .unwrap_or_else(|| panic!("{name}: no <title>"));
        let desc = document
            .descendants()
            .find(|node| node.has_tag_name("desc"))
            .unwrap_or_else(|| panic!("{name}: no <desc>"));
        assert_eq!(
            labelled_by,
            [
                title.attribute("id").unwrap(),
                desc.attribute("id").unwrap()
            ],
            "{name}"
        );
        assert_eq!(title.text(), Some(chart.title.as_str()), "{name}");
        let description = desc.text().unwrap_or_default();
        assert!(
            description.contains(&chart.description),
            "{name}: the desc carries the editor's description"
        );

        // Every id is unique and derived from the chart's id, so charts can share a page.
        let ids: Vec<&str> = document
            .descendants()
            .filter_map(|node| node.attribute("id"))
            .collect();
        for id in &ids {
            assert!(id.starts_with(&format!("chart-{name}")), "{name}: id {id}");
        }
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "{name}: ids are unique");

        // No text is smaller than 14px at the default width.
        for node in document
            .descendants()
            .filter(|node| node.has_tag_name("text"))
        {
            let size: f64 = node.attribute("font-size").unwrap().parse().unwrap();
            assert!(size >= 14.0, "{name}: text of {size}px");
        }
    }
}

#[test]
fn output_is_byte_identical_for_the_same_input() {
    for (name, chart) in fixtures::all() {
        let first = svg_of(name, &chart);
        let rebuilt = Chart::from_json(&chart.to_json()).unwrap();
        assert_eq!(rebuilt, chart, "{name}: the chart object round-trips");
        assert_eq!(svg_of(name, &rebuilt), first, "{name}");
    }
}

#[test]
fn editors_text_is_escaped_everywhere() {
    let (_, chart) = fixtures::all()
        .into_iter()
        .find(|(name, _)| *name == "bar_escaped_text")
        .unwrap();
    let svg = svg_of("escaped", &chart);
    assert!(!svg.contains("<script"), "{svg}");
    assert!(!svg.contains("<b>"), "{svg}");
    assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(svg.contains("A &amp; B"));
    assert!(svg.contains("Say &quot;hi&quot; &amp; &#39;bye&#39;"));
    assert!(svg.contains("&lt;/desc&gt;&lt;script&gt;alert(2)&lt;/script&gt;"));
    let document = roxmltree::Document::parse(&svg).unwrap();
    let texts: Vec<&str> = document
        .descendants()
        .filter(|node| node.has_tag_name("text"))
        .filter_map(|node| node.text())
        .collect();
    assert!(texts.contains(&"<script>alert(1)</script>"), "{texts:?}");
    assert!(texts.contains(&"2<%>"), "{texts:?}");
}

#[test]
fn ids_come_from_the_callers_id() {
    let (_, chart) = fixtures::all()
        .into_iter()
        .find(|(name, _)| *name == "bar_clustered_by_sex")
        .unwrap();
    let svg = render_svg(&chart, "dimension 7\"><script>");
    assert!(
        svg.contains(r#"aria-labelledby="dimension-7---script--title dimension-7---script--desc""#)
    );
    assert!(svg.contains(r#"fill="url(#dimension-7---script--series-1)""#));
    assert!(roxmltree::Document::parse(&svg).is_ok());
}

#[test]
fn special_values_are_written_and_explained() {
    let (_, chart) = fixtures::all()
        .into_iter()
        .find(|(name, _)| *name == "bar_special_values")
        .unwrap();
    let svg = svg_of("specials", &chart);
    let document = roxmltree::Document::parse(&svg).unwrap();
    let texts: Vec<&str> = document
        .descendants()
        .filter(|node| node.has_tag_name("text"))
        .filter_map(|node| node.text())
        .collect();
    for code in ["N/A*", "?", "!", "-", "~0"] {
        assert!(texts.contains(&code), "{code} is written in place of a bar");
    }
    assert!(texts.contains(&"N/A* = not applicable"), "{texts:?}");
    assert!(texts.contains(&"~0 = rounds to 0 but is not exactly 0"));
    // One bar only: the number; the special values draw none.
    let bars = document
        .descendants()
        .filter(|node| node.has_tag_name("rect") && node.attribute("fill") == Some("#12436D"))
        .count();
    assert_eq!(bars, 1);
    let desc = document
        .descendants()
        .find(|node| node.has_tag_name("desc"))
        .and_then(|node| node.text())
        .unwrap();
    assert!(desc.contains("Special values: N/A* means not applicable; ? means withheld"));
}

#[test]
fn the_description_summarises_the_data() {
    let all = fixtures::all();
    let find = |wanted: &str| &all.iter().find(|(name, _)| *name == wanted).unwrap().1;
    assert_eq!(
        almanac_charts::summary(find("bar_five_groups")),
        "Bar chart of Percentage of people aged 16 to 64 in work by Ethnicity. Highest: White \
         (76.0%). Lowest: Other (55.2%). A fixture chart for the renderer's tests."
    );
    assert!(
        almanac_charts::summary(find("bar_clustered_by_sex"))
            .starts_with("Bar chart of Value by Ethnicity and Sex. Highest: White, Men (79.9%).")
    );
    assert!(
        almanac_charts::summary(find("line_by_ethnicity"))
            .contains("The x axis runs from 2015 to 2021.")
    );
    assert!(almanac_charts::summary(find("empty_data")).contains("No data."));
    assert!(
        almanac_charts::summary(find("bar_one_value")).contains("One value: All (£1,234,567).")
    );
}

#[test]
fn more_categories_make_a_taller_chart() {
    let all = fixtures::all();
    let height = |wanted: &str| -> f64 {
        let chart = &all.iter().find(|(name, _)| *name == wanted).unwrap().1;
        let svg = svg_of(wanted, chart);
        let document = roxmltree::Document::parse(&svg).unwrap();
        let view_box = document
            .root_element()
            .attribute("viewBox")
            .unwrap()
            .to_owned();
        view_box.split_whitespace().nth(3).unwrap().parse().unwrap()
    };
    assert!(height("bar_18_groups") > 2.5 * height("bar_five_groups") - 200.0);
    assert!(height("bar_18_groups") > height("bar_five_groups") + 300.0);
}

#[test]
fn a_chart_object_with_no_categories_renders_no_data() {
    let chart = Chart::from_json(
        r#"{"version":1,"type":"line","title":"Nothing","description":"Nothing yet.",
            "category_heading":"Year","value_heading":"Value","number_format":{},
            "categories":[],"series":[],"panels":[]}"#,
    )
    .unwrap();
    let svg = render_svg(&chart, "nothing");
    assert!(svg.contains(">No data</text>"));
    assert!(roxmltree::Document::parse(&svg).is_ok());

    // A hand-edited object whose values are shorter than its categories still renders.
    let chart = Chart::from_json(
        r#"{"version":1,"type":"bar","title":"Ragged","description":"Ragged.",
            "category_heading":"Ethnicity","value_heading":"Value","number_format":{},
            "categories":["Asian","Black"],"series":["Value","Extra"],
            "panels":[{"name":"","values":[[{"kind":"number","value":3.0,"text":"3"}]]}]}"#,
    )
    .unwrap();
    assert!(roxmltree::Document::parse(&render_svg(&chart, "ragged")).is_ok());
}

#[test]
fn a_chart_object_of_another_version_is_refused() {
    let error = Chart::from_json(r#"{"version":2,"type":"bar"}"#).unwrap_err();
    assert!(error.to_string().contains("format version 2"), "{error}");
}

#[test]
fn png_output_is_a_deterministic_image_of_the_svg() {
    for (name, chart) in fixtures::all()
        .into_iter()
        .filter(|(name, _)| ["bar_clustered_by_sex", "line_by_ethnicity"].contains(name))
    {
        let svg = svg_of(name, &chart);
        let png = almanac_charts::render_png(&svg).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name}");
        assert_eq!(almanac_charts::render_png(&svg).unwrap(), png, "{name}");
        // Twice the viewBox width in pixels (the IHDR width, big-endian, at byte 16).
        let width = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
        assert_eq!(width, 1280, "{name}");
    }
    assert!(almanac_charts::render_png("not svg").is_err());

    // To look at every fixture: ALMANAC_CHARTS_PNG_DIR=/tmp/charts cargo test -p almanac-charts
    if let Ok(directory) = std::env::var("ALMANAC_CHARTS_PNG_DIR") {
        for (name, chart) in fixtures::all() {
            let svg = svg_of(name, &chart);
            std::fs::write(format!("{directory}/{name}.svg"), &svg).unwrap();
            let png = almanac_charts::render_png(&svg).unwrap();
            std::fs::write(format!("{directory}/{name}.png"), png).unwrap();
        }
    }
}

#[test]
fn awkward_data_never_produces_broken_geometry() {
    let values = [
        "0",
        "-0.001",
        "1",
        "123456789012345",
        "-98765432109",
        "0.000001",
        "~0",
        "?",
        "",
        "42",
        "-42",
        "100",
        "99.99999",
    ];
    for chart_type in [
        "bar",
        "small_bar",
        "line",
        "component",
        "panel_bar",
        "panel_line",
    ] {
        for start in 0..values.len() {
            let mut data = String::from("Panel\tEthnicity\tSex\tValue\n");
            for (index, panel) in ["P1", "P2"].iter().enumerate() {
                for (offset, group) in ["Asian", "Black", "White"].iter().enumerate() {
                    for (sex_index, sex) in ["Men", "Women"].iter().enumerate() {
                        let pick = (start + index * 5 + offset * 2 + sex_index) % values.len();
                        let mut value = values[pick].to_owned();
                        if chart_type == "component" {
                            value = value.trim_start_matches('-').to_owned();
                        }
                        data.push_str(&format!("{panel}\t{group}\t{sex}\t{value}\n"));
                    }
                }
            }
            let grid = almanac_figures::Grid::from_pasted(&data).unwrap();
            let mut settings = serde_json::json!({
                "version": 1,
                "type": chart_type,
                "title": "Awkward",
                "description": "Awkward data.",
                "category_column": "Ethnicity",
                "value_column": "Value",
                "number_format": {"prefix": "£", "suffix": " thousand", "decimal_places": 6},
            });
            // Every type gets data it can take: one value per cell, no more columns than
            // it allows.
            let (series, panel) = match chart_type {
                "bar" | "line" | "component" => (Some("Sex"), None),
                "panel_bar" => (None, Some("Panel")),
                "panel_line" => (Some("Sex"), Some("Panel")),
                _ => (None, None),
            };
            if let Some(series) = series {
                settings["series_column"] = series.into();
            }
            if let Some(panel) = panel {
                settings["panel_column"] = panel.into();
            }
            let rows_wanted = |row: &[String]| {
                (panel.is_some() || row[0] == "P1") && (series.is_some() || row[2] == "Men")
            };
            let kept: Vec<Vec<String>> = std::iter::once(grid.headings().to_vec())
                .chain(grid.rows().iter().filter(|row| rows_wanted(row)).cloned())
                .collect();
            let grid = almanac_figures::Grid::from_rows(kept).unwrap();
            let settings = almanac_charts::ChartSettings::from_value(settings).unwrap();
            let chart = almanac_charts::build_chart(&grid, &settings)
                .unwrap_or_else(|error| panic!("{chart_type} {start}: {error}"));
            let svg = render_svg(&chart, "awkward");
            assert!(
                !svg.contains("NaN") && !svg.contains("inf") && !svg.contains("width=\"-"),
                "{chart_type} {start}:\n{svg}"
            );
            roxmltree::Document::parse(&svg)
                .unwrap_or_else(|error| panic!("{chart_type} {start}: {error}"));
        }
    }
}

#[test]
fn lines_break_at_missing_and_special_values() {
    let (_, chart) = fixtures::all()
        .into_iter()
        .find(|(name, _)| *name == "line_single_series")
        .unwrap();
    let svg = svg_of("gap", &chart);
    let document = roxmltree::Document::parse(&svg).unwrap();
    let line = document
        .descendants()
        .find(|node| node.has_tag_name("path") && node.attribute("fill") == Some("none"))
        .unwrap();
    let path = line.attribute("d").unwrap();
    // 2015–2016, then (2017 withheld) 2018–2020: two pieces, five points.
    assert_eq!(path.matches('M').count(), 2, "{path}");
    assert_eq!(path.matches('L').count(), 3, "{path}");
    let texts: Vec<&str> = document
        .descendants()
        .filter(|node| node.has_tag_name("text"))
        .filter_map(|node| node.text())
        .collect();
    assert!(texts.contains(&"?"), "the code is written at the gap");
}

#[test]
fn multi_series_charts_never_rely_on_colour_alone() {
    for (name, chart) in fixtures::all()
        .into_iter()
        .filter(|(_, chart)| chart.series.len() > 1)
    {
        let svg = svg_of(name, &chart);
        if chart.chart_type.is_line() {
            assert!(
                svg.contains(r#"stroke-dasharray="8 4""#),
                "{name}: the second line is dashed"
            );
        } else {
            assert!(svg.contains("<pattern "), "{name}: bars have patterns");
        }
        for series in &chart.series {
            assert!(
                svg.contains(&format!(">{series}</text>")),
                "{name}: the legend names {series}"
            );
        }
    }
}
