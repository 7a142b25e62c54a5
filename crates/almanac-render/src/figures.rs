//! The figures of a dimension as HTML: tables now (charts are `almanac-charts`' SVG).
//!
//! A table is rendered on the server, as in the model (`static_site/_table.html`), so it
//! works without JavaScript and is the accessible form of the figures. It follows the GOV.UK
//! table pattern with proper header scopes: a grouped table has a `colgroup` per group and
//! `scope="colgroup"` headers, so screen readers announce "Women, %, Asian" for a cell.

use askama::Template;

use almanac_figures::{SpecialValue, Table, TableRow, TableValue};

struct CellView {
    text: String,
    /// For a special value: what it means, for the tooltip and for screen readers.
    meaning: Option<&'static str>,
}

struct RowView {
    category: String,
    cells: Vec<CellView>,
}

struct GroupsView<'a> {
    caption: &'a str,
    names: &'a [String],
    /// How many value columns sit under each group.
    span: usize,
}

struct LegendEntry {
    symbol: &'static str,
    meaning: String,
}

#[derive(Template)]
#[template(path = "site/figures/table.html")]
struct TableTemplate<'a> {
    id: &'a str,
    caption: &'a str,
    category_caption: &'a str,
    groups: Option<GroupsView<'a>>,
    /// Every value column heading in display order (repeated under each group).
    column_headings: Vec<&'a str>,
    rows: Vec<RowView>,
    legend: Vec<LegendEntry>,
}

fn cell(value: &TableValue) -> CellView {
    CellView {
        text: value.to_string(),
        meaning: value.special().map(SpecialValue::meaning),
    }
}

fn cells(row: &TableRow) -> impl Iterator<Item = CellView> + '_ {
    row.values.iter().map(cell)
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A table as accessible HTML with GOV.UK classes, followed by a legend of the special values
/// it uses. `id` is the table's `id` (and the prefix of its caption's and legend's). The
/// output depends only on the arguments, and every text is escaped.
/// The HTML id of a dimension's figure (`kind` is "chart" or "table"): derived from the
/// dimension alone, so the publisher's builder preview and the published page give the same
/// bytes for the same figure.
pub fn figure_id(kind: &str, dimension_guid: &str) -> String {
    let short: String = dimension_guid
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect();
    format!("{kind}-{short}")
}

/// A dimension's chart as the site shows it (and the builder previews it).
pub fn dimension_chart_svg(chart: &almanac_charts::Chart, dimension_guid: &str) -> String {
    almanac_charts::render_svg(chart, &figure_id("chart", dimension_guid))
}

/// A dimension's table as the site shows it (and the builder previews it).
pub fn dimension_table_html(table: &Table, dimension_guid: &str) -> String {
    table_html(table, &figure_id("table", dimension_guid))
}

pub fn table_html(table: &Table, id: &str) -> String {
    let (groups, column_headings, rows) = match table {
        Table::Simple(simple) => {
            let headings = simple.columns.iter().map(String::as_str).collect();
            let rows = simple
                .data
                .iter()
                .map(|row| RowView {
                    category: row.category.clone(),
                    cells: cells(row).collect(),
                })
                .collect();
            (None, headings, rows)
        }
        Table::Grouped(grouped) => {
            let span = grouped.columns.len();
            let headings = grouped
                .group_columns
                .iter()
                .flat_map(|_| grouped.columns.iter().map(String::as_str))
                .collect();
            let categories = grouped.groups.first().map(|group| group.data.as_slice());
            // Matched by label, not position: a stored table edited by hand may differ in
            // order, and a category a group lacks leaves blank cells, not shifted columns.
            let rows = categories
                .unwrap_or_default()
                .iter()
                .map(|first| RowView {
                    category: first.category.clone(),
                    cells: grouped
                        .groups
                        .iter()
                        .flat_map(|group| {
                            match group.data.iter().find(|row| row.category == first.category) {
                                Some(row) => cells(row).collect::<Vec<_>>(),
                                None => (0..span)
                                    .map(|_| CellView {
                                        text: String::new(),
                                        meaning: None,
                                    })
                                    .collect(),
                            }
                        })
                        .collect(),
                })
                .collect();
            let groups = GroupsView {
                caption: &grouped.group_caption,
                names: &grouped.group_columns,
                span,
            };
            (Some(groups), headings, rows)
        }
    };
    let legend = table
        .special_values()
        .into_iter()
        .map(|special| LegendEntry {
            symbol: special.display(),
            meaning: capitalised(special.meaning()),
        })
        .collect();
    let template = TableTemplate {
        id,
        caption: table.header(),
        category_caption: table.category_caption(),
        groups,
        column_headings,
        rows,
        legend,
    };
    // Only strings and numbers, written into a String: askama fails only when a value's
    // Display fails or the writer does, and neither can here.
    template
        .render()
        .expect("rendering plain strings into a String cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;
    use almanac_figures::{Grid, TableSettings, build_table};

    fn table(data: &str, settings: &str) -> Table {
        let grid = Grid::from_pasted(data).unwrap();
        let settings = TableSettings::from_json(settings).unwrap();
        build_table(&grid, &settings).unwrap()
    }

    const SIMPLE: &str = r#"{"version": 1, "type": "simple",
        "caption": "Change in employment rate, by ethnicity",
        "category_column": "Ethnicity", "category_caption": "Ethnic group",
        "value_columns": ["Change (percentage points)", "Number of people"]}"#;

    fn simple_table() -> Table {
        table(
            "Ethnicity\tNumber of people\tChange (percentage points)\n\
             Asian\t1,234\t-3.5\n\
             Black\t?\t0.0\n\
             Mixed White and Black Caribbean, Mixed White and Black African, Mixed White and Asian and any other Mixed or Multiple background\t!\t12.50\n\
             <script>alert(\"x\")</script>\t-\t~0\n\
             White\t56,789\tn/a\n",
            SIMPLE,
        )
    }

    fn grouped_table() -> Table {
        table(
            "Ethnicity\tSex\t%\tNumber of people\n\
             Asian\tMen\t70.1\t1,000\n\
             Asian\tWomen\t60.4\t?\n\
             Black\tMen\t-2\t900\n\
             Black\tWomen\tn/a\t850\n",
            r#"{"version": 1, "type": "grouped", "caption": "Employment rate by ethnicity and sex",
                "category_column": "Ethnicity", "group_column": "Sex", "group_caption": "Sex",
                "value_columns": ["%", "Number of people"], "group_order": ["Women", "Men"]}"#,
        )
    }

    #[test]
    fn simple_table_html() {
        insta::assert_snapshot!("simple_table", table_html(&simple_table(), "table-1"));
    }

    #[test]
    fn grouped_table_html() {
        insta::assert_snapshot!("grouped_table", table_html(&grouped_table(), "table-2"));
    }

    #[test]
    fn a_table_of_one_row_with_only_special_values() {
        let only_special = table(
            "Ethnicity\tA\tB\tC\tD\tE\nAsian\t~0\t-\t!\t?\tN/A\n",
            r#"{"version": 1, "type": "simple", "caption": "Withheld", "category_column": "Ethnicity",
                "value_columns": ["A", "B", "C", "D", "E"]}"#,
        );
        let html = table_html(&only_special, "t");
        insta::assert_snapshot!("one_row_all_special", html);
        // The legend follows the model's order, whatever the order of the columns.
        let symbols: Vec<usize> = [
            "<dt>N/A*</dt>",
            "<dt>?</dt>",
            "<dt>!</dt>",
            "<dt>-</dt>",
            "<dt>~0</dt>",
        ]
        .iter()
        .map(|symbol| {
            html.find(symbol)
                .unwrap_or_else(|| panic!("{symbol} in {html}"))
        })
        .collect();
        assert!(
            symbols.windows(2).all(|pair| pair[0] < pair[1]),
            "{symbols:?}"
        );
    }

    #[test]
    fn the_legend_lists_only_the_special_values_used() {
        let html = table_html(&grouped_table(), "t");
        assert!(html.contains("<dt>?</dt>") && html.contains("<dt>N/A*</dt>"));
        assert!(!html.contains("<dt>!</dt>") && !html.contains("<dt>~0</dt>"));
        assert!(html.contains(r#"aria-describedby="t-legend""#));

        let plain = table(
            "Ethnicity\t%\nAsian\t1\n",
            r#"{"version": 1, "type": "simple", "caption": "Plain", "category_column": "Ethnicity",
                "value_columns": ["%"]}"#,
        );
        let html = table_html(&plain, "t");
        assert!(
            !html.contains("<dl") && !html.contains("aria-describedby"),
            "{html}"
        );
    }

    #[test]
    fn everything_is_escaped() {
        let html = table_html(&simple_table(), "x\" onload=\"alert(1)");
        assert!(!html.contains("<script>"), "{html}");
        assert!(
            html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"),
            "{html}"
        );
        assert!(!html.contains("\" onload=\""), "{html}");
    }

    #[test]
    fn grouped_headers_span_their_value_columns() {
        let html = table_html(&grouped_table(), "t");
        assert_eq!(
            html.matches(r#"<th scope="colgroup" colspan="2""#).count(),
            2
        );
        assert_eq!(html.matches(r#"<colgroup span="2">"#).count(), 2);
        assert_eq!(html.matches(r#"<th scope="col""#).count(), 5);
        assert!(html.find(">Women<").unwrap() < html.find(">Men<").unwrap());
    }

    #[test]
    fn a_grouped_table_with_one_value_column() {
        let one_column = table(
            "Ethnicity\tYear\t%\nAsian\t2018\t10\nAsian\t2019\t11\n",
            r#"{"version": 1, "type": "grouped", "caption": "By year", "category_column": "Ethnicity",
                "group_column": "Year", "value_columns": ["%"]}"#,
        );
        let html = table_html(&one_column, "t");
        assert_eq!(
            html.matches(r#"<th scope="colgroup" colspan="1""#).count(),
            2
        );
        assert!(html.contains(r#"<th scope="row" class="govuk-table__header">Year</th>"#));
        let body = &html[html.find("<tbody").unwrap()..];
        assert_eq!(body.matches("<td ").count(), 2, "{body}");
    }

    #[test]
    fn a_stored_table_with_no_rows_renders_its_headings_only() {
        // `build_table` cannot make one (a grid always has a data row), but a stored table
        // can be edited by hand: it still renders, without a legend.
        let empty = Table::Simple(almanac_figures::SimpleTable {
            version: 1,
            header: "Nothing yet".into(),
            category: "Ethnicity".into(),
            category_caption: "Ethnicity".into(),
            columns: vec!["%".into()],
            data: Vec::new(),
        });
        let html = table_html(&empty, "t");
        assert!(html.contains(">Nothing yet</caption>"));
        assert!(!html.contains("<td") && !html.contains("<dl"), "{html}");
    }

    #[test]
    fn output_is_deterministic() {
        assert_eq!(
            table_html(&grouped_table(), "t"),
            table_html(&grouped_table(), "t")
        );
    }
}
