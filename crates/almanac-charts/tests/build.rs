//! Building a chart from a grid: the chart object, and errors that name the row and column
//! as the editor sees them.

use almanac_charts::{ChartError, ChartSettings, ChartType, build_chart};
use almanac_figures::{CellValue, Grid, SpecialValue};

fn settings(extra: serde_json::Value) -> ChartSettings {
    let mut json = serde_json::json!({
        "version": 1,
        "type": "bar",
        "title": "Employment",
        "description": "Employment by ethnicity.",
        "category_column": "Ethnicity",
        "value_column": "Value",
    });
    for (key, value) in extra.as_object().unwrap() {
        json[key] = value.clone();
    }
    ChartSettings::from_value(json).unwrap()
}

fn build_error(data: &str, extra: serde_json::Value) -> String {
    let grid = Grid::from_pasted(data).unwrap();
    build_chart(&grid, &settings(extra))
        .unwrap_err()
        .to_string()
}

#[test]
fn a_bar_chart_takes_its_columns_and_keeps_the_editors_numbers() {
    let grid = Grid::from_pasted(
        "Note\tethnicity\tValue\nx\tWhite\t12.50\ny\tBlack\t1,234\nz\tAsian\tn/a\n",
    )
    .unwrap();
    let chart = build_chart(&grid, &settings(serde_json::json!({}))).unwrap();
    assert_eq!(chart.chart_type, ChartType::Bar);
    assert_eq!(
        chart.category_heading, "ethnicity",
        "the grid's heading, as written"
    );
    assert_eq!(chart.categories, ["White", "Black", "Asian"]);
    assert_eq!(chart.series, ["Value"]);
    assert_eq!(chart.panels.len(), 1);
    assert_eq!(chart.value(0, 0, 0).to_string(), "12.50");
    assert_eq!(chart.value(0, 0, 1).number(), Some(1234.0));
    assert_eq!(
        chart.value(0, 0, 2),
        &CellValue::Special {
            code: SpecialValue::NotApplicable
        }
    );
    assert_eq!(chart.special_values(), [SpecialValue::NotApplicable]);
    assert!(chart.warnings().is_empty());
}

#[test]
fn series_and_panels_follow_first_appearance_or_the_editors_order() {
    let data = "Year\tEthnicity\tSex\tValue\n\
                2019\tWhite\tMen\t1\n2019\tWhite\tWomen\t2\n2019\tBlack\tMen\t3\n\
                2020\tBlack\tWomen\t4\n";
    let grid = Grid::from_pasted(data).unwrap();
    let chart = build_chart(
        &grid,
        &settings(serde_json::json!({
            "type": "bar",
            "series_column": "Sex",
            "category_order": ["Black", "White"],
        })),
    );
    // Each (ethnicity, sex) pair appears once, whatever the year, so this builds.
    let chart = chart.unwrap();
    assert_eq!(chart.categories, ["Black", "White"]);
    assert_eq!(chart.series, ["Men", "Women"]);
    assert_eq!(chart.value(0, 0, 1).number(), Some(1.0), "White, Men");
    assert_eq!(chart.value(0, 1, 0).number(), Some(4.0), "Black, Women");

    let chart = build_chart(
        &grid,
        &settings(serde_json::json!({
            "type": "panel_bar",
            "panel_column": "Year",
            "panel_order": ["2020", "2019"],
            "category_column": "Sex",
            "value_column": "Value",
        })),
    );
    // Sex × Year has a duplicate (2019, Men twice): the error names both rows.
    let message = chart.unwrap_err().to_string();
    assert_eq!(
        message,
        "Row 4, column 3 (“Sex”): “Men” and “2019” already have a value in row 2. A chart can \
         show only one value for each; remove one of the rows."
    );

    let chart = build_chart(
        &grid,
        &settings(serde_json::json!({
            "type": "panel_line",
            "panel_column": "Ethnicity",
            "category_column": "Year",
            "series_column": "Sex",
        })),
    )
    .unwrap();
    assert_eq!(
        chart
            .panels
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        ["White", "Black"]
    );
    assert_eq!(chart.categories, ["2019", "2020"]);
    assert_eq!(
        chart.value(1, 1, 1).number(),
        Some(4.0),
        "Black, Women, 2020"
    );
    assert_eq!(
        chart.value(1, 1, 0),
        &CellValue::Empty,
        "no row for Black, Women, 2019"
    );
}

#[test]
fn text_in_the_value_column_names_the_cell() {
    assert_eq!(
        build_error(
            "Ethnicity\tValue\nWhite\t12\nBlack\tabout 5\n",
            serde_json::json!({})
        ),
        "Row 3, column 2 (“Value”): “about 5” is not a number. Use a number (for example 12.5 \
         or 1,234) or one of the codes n/a, ?, !, -, ~0."
    );
}

#[test]
fn a_pair_appearing_twice_is_an_error_naming_both_rows() {
    assert_eq!(
        build_error(
            "Ethnicity\tSex\tValue\nWhite\tMen\t1\nWhite\tWomen\t2\nWhite\tMen\t3\n",
            serde_json::json!({"series_column": "Sex"}),
        ),
        "Row 4, column 1 (“Ethnicity”): “White” and “Men” already have a value in row 2. A \
         chart can show only one value for each; remove one of the rows."
    );
    assert!(
        build_error(
            "Ethnicity\tValue\nWhite\t1\nWhite\t2\n",
            serde_json::json!({})
        )
        .starts_with("Row 3, column 1 (“Ethnicity”): “White” already have")
    );
}

#[test]
fn a_missing_column_lists_the_columns_there_are() {
    assert_eq!(
        build_error(
            "Ethnicity\tValue\nWhite\t1\n",
            serde_json::json!({"series_column": "Sex"})
        ),
        "There is no column headed “Sex”. The columns are: “Ethnicity”, “Value”."
    );
}

#[test]
fn an_empty_label_is_an_error() {
    assert_eq!(
        build_error("Ethnicity\tValue\nWhite\t1\n\t2\n", serde_json::json!({})),
        "Row 3, column 1 (“Ethnicity”): the cell is empty. Every row of a chart needs a label \
         here."
    );
}

#[test]
fn too_many_series_for_the_palette_says_the_limit() {
    let mut data = String::from("Ethnicity\tGroup\tValue\n");
    for group in 1..=7 {
        data.push_str(&format!("White\tGroup {group}\t{group}\n"));
    }
    assert_eq!(
        build_error(&data, serde_json::json!({"series_column": "Group"})),
        "Column 2 (“Group”): the column has 7 different values, so the chart would have 7 \
         series; a chart can show at most 6. Use a table for this data, or split it into \
         several charts."
    );
}

#[test]
fn orders_must_match_the_data() {
    assert_eq!(
        build_error(
            "Ethnicity\tValue\nWhite\t1\nBlack\t2\n",
            serde_json::json!({"category_order": ["White"]})
        ),
        "Row 3, column 1 (“Ethnicity”): “Black” is not in the chart's category_order. Add it to \
         the order, or correct the data."
    );
    assert_eq!(
        build_error(
            "Ethnicity\tValue\nWhite\t1\n",
            serde_json::json!({"category_order": ["White", "Chinese"]})
        ),
        "Column 1 (“Ethnicity”): the chart's category_order lists “Chinese”, which is not in \
         this column. Remove it from the order, or add its data."
    );
}

#[test]
fn values_outside_the_editors_axis_are_errors() {
    assert_eq!(
        build_error(
            "Ethnicity\tValue\nWhite\t120\n",
            serde_json::json!({"number_format": {"max": 100}})
        ),
        "Row 2, column 2 (“Value”): 120 is beyond the end of the value axis (100, the chart's \
         maximum). Raise the maximum or remove it."
    );
    assert!(
        build_error(
            "Ethnicity\tValue\nWhite\t-5\n",
            serde_json::json!({"number_format": {"min": 0}})
        )
        .contains("below the start of the value axis")
    );
}

#[test]
fn component_parts_cannot_be_negative_and_odd_totals_are_warnings() {
    let component = serde_json::json!({"type": "component", "series_column": "Level"});
    assert_eq!(
        build_error(
            "Ethnicity\tLevel\tValue\nWhite\tDegree\t-1\n",
            component.clone()
        ),
        "Row 2, column 3 (“Value”): -1 is negative. A component chart shows parts of a whole, \
         which cannot be negative."
    );

    let grid = Grid::from_pasted(
        "Ethnicity\tLevel\tValue\nWhite\tDegree\t60\nWhite\tOther\t40.2\n\
         Black\tDegree\t50\nBlack\tOther\t45\nAsian\tDegree\t?\nAsian\tOther\t20\n",
    )
    .unwrap();
    let chart = build_chart(&grid, &settings(component)).unwrap();
    let warnings: Vec<String> = chart.warnings().into_iter().map(|w| w.message).collect();
    assert_eq!(
        warnings,
        [
            "The parts of “Black” add up to 95.0, not 100. The bar shows each part as a share of \
          that total."
        ]
    );
}

#[test]
fn settings_are_checked_again_when_building() {
    let grid = Grid::from_pasted("Ethnicity\tValue\nWhite\t1\n").unwrap();
    let mut settings = settings(serde_json::json!({}));
    settings.chart_type = ChartType::Component;
    assert!(matches!(
        build_chart(&grid, &settings),
        Err(ChartError::Settings(_))
    ));
}

#[test]
fn data_rows_give_the_csv_download() {
    let grid = Grid::from_pasted(
        "Ethnicity\tSex\tValue\nWhite\tMen\t1,200.50\nWhite\tWomen\tn/a\nBlack\tMen\t3\n",
    )
    .unwrap();
    let chart = build_chart(
        &grid,
        &settings(serde_json::json!({"series_column": "Sex"})),
    )
    .unwrap();
    assert_eq!(
        chart.data_rows(),
        [
            vec!["Ethnicity", "Sex", "Value"],
            vec!["White", "Men", "1200.50"],
            vec!["White", "Women", "n/a"],
            vec!["Black", "Men", "3"],
            vec!["Black", "Women", ""],
        ]
    );
}

#[test]
fn the_chart_object_json_is_stable() {
    let grid = Grid::from_pasted("Ethnicity\tValue\nWhite\t12.5\nBlack\t?\n").unwrap();
    let chart = build_chart(
        &grid,
        &settings(serde_json::json!({"number_format": {"suffix": "%"}})),
    )
    .unwrap();
    insta::assert_json_snapshot!("chart_object_bar", chart);
}
