//! CSV downloads of the figures on a measure page, as the model's `write_dimension_csv` and
//! `write_dimension_tabular_csv` write them, made safe to open in a spreadsheet.
//!
//! Every download is UTF-8 with a byte-order mark (without it Excel reads UTF-8 as
//! Windows-1252 and mangles names such as "Gypsy/Roma – Irish Traveller"), with CRLF line
//! ends. Text fields are quoted and numbers are not, as the model's `csv.QUOTE_NONNUMERIC`
//! did, so spreadsheets read figures as numbers and labels such as "2011" survive as text
//! when quoted. A text field a spreadsheet would run as a formula is prefixed with `'`.

use crate::table::{Table, TableRow};
use crate::value::{CellValue, SpecialValue};

const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// Writes rows as a CSV download (see the module documentation for the format).
pub fn write_csv(rows: &[Vec<String>]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::NonNumeric)
        .terminator(csv::Terminator::CRLF)
        // Rows of a grouped layout and their headers have the same length, but a caller's
        // rows need not: a CSV file may have ragged rows.
        .flexible(true)
        .from_writer(BYTE_ORDER_MARK.to_vec());
    for row in rows {
        let record = row
            .iter()
            .map(|field| neutralise_formula(field).into_owned());
        // Writing to a Vec cannot fail: the csv writer fails only when its writer does.
        writer
            .write_record(record)
            .expect("writing CSV to memory cannot fail");
    }
    writer
        .into_inner()
        .expect("flushing CSV to memory cannot fail")
}

/// A field that would start a formula in a spreadsheet (`=`, `+`, `-`, `@`, or tab or CR,
/// which turn into one when pasted), with a leading `'` so that spreadsheets show it as
/// text (OWASP's CSV injection advice, and what `almanac-uploads` does to source data).
/// Numbers such as `-3.5` and the special value `-` are left alone: no spreadsheet runs them,
/// and prefixing them would turn figures into text.
pub fn neutralise_formula(field: &str) -> std::borrow::Cow<'_, str> {
    let starts_formula = match field.as_bytes().first() {
        Some(b'=' | b'@' | b'\t' | b'\r') => true,
        Some(b'+' | b'-') => {
            SpecialValue::from_code(field) != Some(SpecialValue::NotCollected)
                && !matches!(CellValue::parse(field), CellValue::Number { .. })
        }
        _ => false,
    };
    if starts_formula {
        format!("'{field}").into()
    } else {
        field.into()
    }
}

/// The file name of a dimension's download: `<slug>.csv`, or `<slug>-<suffix>.csv` (the
/// model's `-table` for the table layout).
pub fn download_file_name(dimension_title: &str, suffix: Option<&str>) -> String {
    let mut name = slug::slugify(dimension_title);
    if name.is_empty() {
        // A title of punctuation only (say "%") has no letters to slug.
        name.push_str("data");
    }
    if let Some(suffix) = suffix.map(slug::slugify).filter(|s| !s.is_empty()) {
        name.push('-');
        name.push_str(&suffix);
    }
    name.push_str(".csv");
    name
}

fn values_of(row: &TableRow) -> impl Iterator<Item = String> + '_ {
    row.values.iter().map(|value| value.csv_text().to_owned())
}

impl Table {
    /// The rows of the dimension's data download (the model's `write_dimension_csv`): a
    /// header of the category caption and the value columns, then one row per category; for
    /// a grouped table the group caption comes first, and there is one row per category per
    /// group. Special values are written as their codes.
    pub fn dimension_rows(&self) -> Vec<Vec<String>> {
        match self {
            Table::Simple(table) => {
                let header = std::iter::once(table.category_caption.clone())
                    .chain(table.columns.iter().cloned())
                    .collect();
                let rows = table.data.iter().map(|row| {
                    std::iter::once(row.category.clone())
                        .chain(values_of(row))
                        .collect()
                });
                std::iter::once(header).chain(rows).collect()
            }
            Table::Grouped(table) => {
                let header = [table.group_caption.clone(), table.category_caption.clone()]
                    .into_iter()
                    .chain(table.columns.iter().cloned())
                    .collect();
                let rows = table.groups.iter().flat_map(|group| {
                    group.data.iter().map(|row| {
                        [group.group.clone(), row.category.clone()]
                            .into_iter()
                            .chain(values_of(row))
                            .collect()
                    })
                });
                std::iter::once(header).chain(rows).collect()
            }
        }
    }

    /// The rows of the table as laid out on the page (the model's
    /// `write_dimension_tabular_csv`). A simple table is the same as [`Table::dimension_rows`].
    /// A grouped table has two header rows, the groups (each above its first value column,
    /// the group caption in the first cell, where the model left it blank) and then the
    /// category caption and the value columns under every group, then one row per category.
    pub fn layout_rows(&self) -> Vec<Vec<String>> {
        let Table::Grouped(table) = self else {
            return self.dimension_rows();
        };
        let width = table.columns.len();
        let mut groups_row = vec![table.group_caption.clone()];
        let mut columns_row = vec![table.category_caption.clone()];
        for group in &table.group_columns {
            groups_row.push(group.clone());
            groups_row.extend(std::iter::repeat_n(String::new(), width.saturating_sub(1)));
            columns_row.extend(table.columns.iter().cloned());
        }
        let categories = table.groups.first().map(|group| group.data.as_slice());
        // Matched by label, not position: a stored table edited by hand may differ in order.
        // A category a group lacks leaves its cells blank rather than shifting the columns.
        let rows = categories.unwrap_or_default().iter().map(|row| {
            let mut cells = vec![row.category.clone()];
            for group in &table.groups {
                match group
                    .data
                    .iter()
                    .find(|other| other.category == row.category)
                {
                    Some(other) => cells.extend(values_of(other)),
                    None => cells.extend(std::iter::repeat_n(String::new(), width)),
                }
            }
            cells
        });
        [groups_row, columns_row].into_iter().chain(rows).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::Grid;
    use crate::table::{TableSettings, build_table};

    fn rows(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|row| row.iter().map(|cell| (*cell).to_owned()).collect())
            .collect()
    }

    fn text(bytes: &[u8]) -> &str {
        std::str::from_utf8(
            bytes
                .strip_prefix(BYTE_ORDER_MARK)
                .expect("a byte-order mark"),
        )
        .unwrap()
    }

    #[test]
    fn text_is_quoted_numbers_are_not_lines_end_in_crlf() {
        let csv = write_csv(&rows(&[
            &["Ethnicity", "%"],
            &["Asian, other", "12.50"],
            &["Black \"African\"", "-3.5"],
            &["White", "n/a"],
            &["Mixed", ""],
        ]));
        assert_eq!(
            text(&csv),
            "\"Ethnicity\",\"%\"\r\n\"Asian, other\",12.50\r\n\"Black \"\"African\"\"\",-3.5\r\n\
             \"White\",\"n/a\"\r\n\"Mixed\",\"\"\r\n"
        );
    }

    #[test]
    fn formulas_are_neutralised_but_negative_numbers_and_the_dash_are_not() {
        for formula in [
            "=1+1",
            "@SUM(A1)",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "\tx",
            "\rx",
            "-inf",
            "- 5",
        ] {
            assert_eq!(
                neutralise_formula(formula),
                format!("'{formula}"),
                "{formula:?}"
            );
        }
        for inert in [
            "-", "-3.5", "+2", "-1,234", "-12%", "a=b", "x@y.org", "<=5", "", "12", "White",
        ] {
            assert_eq!(neutralise_formula(inert), inert, "{inert:?}");
        }
        let csv = write_csv(&rows(&[&["=HYPERLINK(\"http://x\")", "-", "-3.5"]]));
        assert_eq!(
            text(&csv),
            "\"'=HYPERLINK(\"\"http://x\"\")\",\"-\",-3.5\r\n"
        );
    }

    #[test]
    fn file_names_are_slugs() {
        assert_eq!(
            download_file_name("Employment rate by ethnicity & sex (2019)", None),
            "employment-rate-by-ethnicity-sex-2019.csv"
        );
        assert_eq!(
            download_file_name("Pupils’ attainment – Gypsy/Roma", Some("table")),
            "pupils-attainment-gypsy-roma-table.csv"
        );
        assert_eq!(download_file_name("%", Some("table")), "data-table.csv");
    }

    fn simple_table() -> Table {
        let grid = Grid::from_pasted(
            "Ethnicity\t%\tNumber\nAsian\t12.50\t1,234\n=cmd\t-3.5\t?\nWhite\tn/a\t-\n",
        )
        .unwrap();
        let settings = TableSettings::from_json(
            r#"{"version": 1, "type": "simple", "caption": "Rates", "category_column": "Ethnicity",
                "category_caption": "Ethnic group", "value_columns": ["%", "Number"]}"#,
        )
        .unwrap();
        build_table(&grid, &settings).unwrap()
    }

    fn grouped_table() -> Table {
        let grid = Grid::from_pasted(
            "Ethnicity\tYear\t%\tNumber\n\
             Asian\t2018\t10\t100\nBlack\t2018\t20\t!\nAsian\t2019\t11\t110\nBlack\t2019\t~0\t210\n",
        )
        .unwrap();
        let settings = TableSettings::from_json(
            r#"{"version": 1, "type": "grouped", "caption": "Rates by year",
                "category_column": "Ethnicity", "group_column": "Year",
                "value_columns": ["%", "Number"]}"#,
        )
        .unwrap();
        build_table(&grid, &settings).unwrap()
    }

    #[test]
    fn awkward_text_survives_a_round_trip() {
        let awkward = [
            "comma, inside",
            "quote \" inside",
            "line\nbreak",
            "carriage\r\nreturn",
            "  leading and trailing spaces  ",
            "\u{feff}byte-order mark inside",
            "Gypsy/Roma – Irish Traveller’s",
            "",
            "-",
            "12.50",
            "-0.5",
            "=1+1",
            "\ttab first",
        ];
        let written = vec![awkward.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()];
        let bytes = write_csv(&written);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes.strip_prefix(BYTE_ORDER_MARK).unwrap());
        let read: Vec<String> = reader
            .records()
            .next()
            .unwrap()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        let expected: Vec<String> = awkward
            .iter()
            .map(|s| neutralise_formula(s).into_owned())
            .collect();
        assert_eq!(read, expected);
    }

    #[test]
    fn a_download_pasted_back_builds_the_same_table() {
        let table = grouped_table();
        let grid = Grid::from_csv(&write_csv(&table.dimension_rows())).unwrap();
        let settings = TableSettings::from_json(
            r#"{"version": 1, "type": "grouped", "caption": "Rates by year",
                "category_column": "Ethnicity", "group_column": "Year",
                "value_columns": ["%", "Number"]}"#,
        )
        .unwrap();
        assert_eq!(build_table(&grid, &settings).unwrap(), table);
    }

    #[test]
    fn dimension_rows_of_a_simple_table() {
        assert_eq!(
            simple_table().dimension_rows(),
            rows(&[
                &["Ethnic group", "%", "Number"],
                &["Asian", "12.50", "1234"],
                &["=cmd", "-3.5", "?"],
                &["White", "n/a", "-"],
            ])
        );
        assert_eq!(
            simple_table().layout_rows(),
            simple_table().dimension_rows()
        );
    }

    #[test]
    fn dimension_rows_of_a_grouped_table_have_a_row_per_category_per_group() {
        assert_eq!(
            grouped_table().dimension_rows(),
            rows(&[
                &["Year", "Ethnicity", "%", "Number"],
                &["2018", "Asian", "10", "100"],
                &["2018", "Black", "20", "!"],
                &["2019", "Asian", "11", "110"],
                &["2019", "Black", "~0", "210"],
            ])
        );
    }

    #[test]
    fn layout_rows_of_a_grouped_table_have_two_header_rows() {
        assert_eq!(
            grouped_table().layout_rows(),
            rows(&[
                &["Year", "2018", "", "2019", ""],
                &["Ethnicity", "%", "Number", "%", "Number"],
                &["Asian", "10", "100", "11", "110"],
                &["Black", "20", "!", "~0", "210"],
            ])
        );
    }

    #[test]
    fn a_download_reads_back_as_written_apart_from_neutralised_formulas() {
        for table in [simple_table(), grouped_table()] {
            let written = table.layout_rows();
            let bytes = write_csv(&written);
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(bytes.strip_prefix(BYTE_ORDER_MARK).unwrap());
            let read: Vec<Vec<String>> = reader
                .records()
                .map(|record| record.unwrap().iter().map(str::to_owned).collect())
                .collect();
            let expected: Vec<Vec<String>> = written
                .iter()
                .map(|row| {
                    row.iter()
                        .map(|f| neutralise_formula(f).into_owned())
                        .collect()
                })
                .collect();
            assert_eq!(read, expected);
        }
        let bytes = write_csv(&simple_table().dimension_rows());
        assert!(
            text(&bytes).contains("\"'=cmd\",-3.5,\"?\"\r\n"),
            "{}",
            text(&bytes)
        );
    }
}
