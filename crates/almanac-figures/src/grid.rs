//! Data as editors supply it: rows pasted from a spreadsheet (tab-separated, as every
//! spreadsheet copies) or an uploaded CSV, turned into a rectangular grid of trimmed strings
//! with a heading row.
//!
//! Every error names the row and column as the editor sees them in the spreadsheet (the
//! heading row is row 1), so a bad cell can be found and fixed. Blank rows are left out, as
//! spreadsheets often carry a few; they are not counted.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::value::{CellValue, SpecialValue};

/// More rows than any table on a statistics page; a paste this big is a mistake.
pub const MAX_ROWS: usize = 5_000;
/// More columns than any table on a statistics page.
pub const MAX_COLUMNS: usize = 60;

/// A heading row plus data rows, every row as long as the heading row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grid {
    headings: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// Where a problem is and what it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct GridError {
    /// 1-based, counting the heading row as row 1; `None` when the problem is the whole data.
    pub row: Option<usize>,
    /// 1-based.
    pub column: Option<usize>,
    /// The heading of the column, when there is one.
    pub heading: Option<String>,
    pub message: String,
}

impl fmt::Display for GridError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.row, self.column) {
            (Some(row), Some(column)) => write!(formatter, "Row {row}, column {column}")?,
            (Some(row), None) => write!(formatter, "Row {row}")?,
            (None, Some(column)) => write!(formatter, "Column {column}")?,
            (None, None) => return formatter.write_str(&self.message),
        }
        if let Some(heading) = self.heading.as_deref().filter(|h| !h.is_empty()) {
            write!(formatter, " (“{heading}”)")?;
        }
        write!(formatter, ": {}", self.message)
    }
}

impl GridError {
    fn whole(message: impl Into<String>) -> GridError {
        GridError {
            row: None,
            column: None,
            heading: None,
            message: message.into(),
        }
    }
}

impl Grid {
    /// Reads text pasted from a spreadsheet. Spreadsheets copy cells separated by tabs (and
    /// quote cells holding tabs or line breaks); text with no tab in its first line is read
    /// as comma-separated, for editors who paste a CSV file's contents.
    pub fn from_pasted(text: &str) -> Result<Grid, GridError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let first_line = text.lines().find(|line| !line.trim().is_empty());
        let delimiter = match first_line {
            Some(line) if line.contains('\t') => b'\t',
            _ => b',',
        };
        Grid::read(text.as_bytes(), delimiter)
    }

    /// Reads an uploaded CSV file, which must be UTF-8 (a byte-order mark is allowed).
    pub fn from_csv(bytes: &[u8]) -> Result<Grid, GridError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        if let Err(error) = std::str::from_utf8(bytes) {
            let line = 1 + bytes[..error.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            return Err(GridError {
                row: Some(line),
                column: None,
                heading: None,
                message: "the file is not UTF-8 text. Save it from your spreadsheet as \
                          “CSV UTF-8” and try again."
                    .into(),
            });
        }
        Grid::read(bytes, b',')
    }

    /// Builds a grid from rows already split into cells (the first row is the headings).
    pub fn from_rows(rows: Vec<Vec<String>>) -> Result<Grid, GridError> {
        let mut rows = rows.into_iter();
        let headings = rows.next().unwrap_or_default();
        Grid::check(headings, rows.collect())
    }

    fn read(bytes: &[u8], delimiter: u8) -> Result<Grid, GridError> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut rows = Vec::new();
        for (index, record) in reader.records().enumerate() {
            let record = record.map_err(|error| GridError {
                row: Some(index + 1),
                column: None,
                heading: None,
                message: format!("the data cannot be read ({error})."),
            })?;
            if rows.len() > MAX_ROWS {
                return Err(GridError::whole(format!(
                    "There are more than {MAX_ROWS} rows. A table on a page can have at most \
                     {MAX_ROWS}; put the full data in a source-data upload instead."
                )));
            }
            rows.push(record.iter().map(|cell| cell.trim().to_owned()).collect());
        }
        Grid::from_rows(rows)
    }

    fn check(headings: Vec<String>, rows: Vec<Vec<String>>) -> Result<Grid, GridError> {
        let blank = |row: &Vec<String>| row.iter().all(|cell| cell.trim().is_empty());
        let mut all = std::iter::once(headings)
            .chain(rows)
            .filter(|row| !blank(row));
        let row_number = |index: usize| index + 1;

        let Some(mut headings) = all.next() else {
            return Err(GridError::whole(
                "There is no data. Copy the cells from your spreadsheet, starting with the \
                 heading row, and paste them here.",
            ));
        };
        while headings.last().is_some_and(|h| h.trim().is_empty()) {
            headings.pop();
        }
        let width = headings.len();
        if width > MAX_COLUMNS {
            return Err(GridError::whole(format!(
                "There are {width} columns. A table on a page can have at most {MAX_COLUMNS}."
            )));
        }
        if width < 2 {
            return Err(GridError {
                row: Some(row_number(0)),
                column: None,
                heading: None,
                message: "the heading row needs at least two columns: one for the categories \
                          (for example, ethnicity) and one for the values."
                    .into(),
            });
        }
        for (index, heading) in headings.iter_mut().enumerate() {
            *heading = heading.trim().to_owned();
            let error = |message: String| GridError {
                row: Some(row_number(0)),
                column: Some(index + 1),
                heading: None,
                message,
            };
            if heading.is_empty() {
                return Err(error(
                    "the heading is empty. Give every column a heading.".into(),
                ));
            }
        }
        for (index, heading) in headings.iter().enumerate() {
            if let Some(first) = headings[..index].iter().position(|h| h == heading) {
                return Err(GridError {
                    row: Some(row_number(0)),
                    column: Some(index + 1),
                    heading: Some(heading.clone()),
                    message: format!(
                        "column {} has the same heading. Every column needs its own heading.",
                        first + 1
                    ),
                });
            }
        }

        let mut rows = Vec::new();
        for (offset, mut row) in all.enumerate() {
            let number = row_number(offset + 1);
            while row.len() > width && row.last().is_some_and(|c| c.trim().is_empty()) {
                row.pop();
            }
            if row.len() > width {
                return Err(GridError {
                    row: Some(number),
                    column: Some(width + 1),
                    heading: None,
                    message: format!(
                        "the row has {} cells but the heading row has {width}. Give the extra \
                         column a heading, or remove “{}”.",
                        row.len(),
                        row[width]
                    ),
                });
            }
            // Spreadsheets leave out empty cells at the end of a row.
            row.resize(width, String::new());
            rows.push(row);
        }
        if rows.is_empty() {
            return Err(GridError::whole(
                "There is only a heading row. Paste the data rows too.",
            ));
        }
        Ok(Grid { headings, rows })
    }

    pub fn headings(&self) -> &[String] {
        &self.headings
    }

    /// The data rows, without the heading row.
    pub fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }

    /// The index of the column with this heading (compared without case).
    pub fn column(&self, heading: &str) -> Option<usize> {
        self.headings
            .iter()
            .position(|h| h.eq_ignore_ascii_case(heading.trim()))
    }

    /// The column with this heading, or an error naming the headings there are.
    pub fn require_column(&self, heading: &str) -> Result<usize, GridError> {
        self.column(heading).ok_or_else(|| {
            GridError::whole(format!(
                "There is no column headed “{heading}”. The columns are: {}.",
                self.headings
                    .iter()
                    .map(|h| format!("“{h}”"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    }

    /// An error about one cell, numbered as the editor sees it (`row_index` counts data
    /// rows from 0; the heading row is row 1).
    pub fn cell_error(
        &self,
        row_index: usize,
        column_index: usize,
        message: impl Into<String>,
    ) -> GridError {
        GridError {
            row: Some(row_index + 2),
            column: Some(column_index + 1),
            heading: self.headings.get(column_index).cloned(),
            message: message.into(),
        }
    }

    /// The cell as a value for a table or chart: a number, a special value or empty. Text
    /// is an error naming the cell.
    pub fn value(&self, row_index: usize, column_index: usize) -> Result<CellValue, GridError> {
        let raw = &self.rows[row_index][column_index];
        match CellValue::parse(raw) {
            CellValue::Text { text } => Err(self.cell_error(
                row_index,
                column_index,
                format!(
                    "“{text}” is not a number. Use a number (for example 12.5 or 1,234) or one \
                     of the codes {}.",
                    SpecialValue::ALL
                        .iter()
                        .map(|s| s.code())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
            value => Ok(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spreadsheet_paste_is_read_with_tabs_and_padded() {
        let grid =
            Grid::from_pasted("Ethnicity\tValue\tNote\r\nWhite\t12.5\r\nBlack\t3\tx\r\n\r\n")
                .unwrap();
        assert_eq!(grid.headings(), ["Ethnicity", "Value", "Note"]);
        assert_eq!(grid.rows()[0], ["White", "12.5", ""]);
        assert_eq!(grid.rows().len(), 2);
    }

    #[test]
    fn quoted_cells_with_tabs_and_line_breaks_survive() {
        let grid = Grid::from_pasted("Ethnicity\tValue\n\"Mixed\nWhite and Asian\"\t4\n").unwrap();
        assert_eq!(grid.rows()[0][0], "Mixed\nWhite and Asian");
    }

    #[test]
    fn csv_text_is_read_when_there_is_no_tab() {
        let grid = Grid::from_pasted("Ethnicity,Value\n\"Asian, other\",4\n").unwrap();
        assert_eq!(grid.rows()[0], ["Asian, other", "4"]);
    }

    #[test]
    fn errors_name_the_row_and_column() {
        let error = Grid::from_pasted("Ethnicity\tValue\nWhite\t1\tstray\n").unwrap_err();
        assert_eq!(error.row, Some(2));
        assert_eq!(error.column, Some(3));
        assert!(
            error.to_string().starts_with("Row 2, column 3: "),
            "{error}"
        );

        let error = Grid::from_pasted("Ethnicity\t\tValue\nWhite\t1\t2\n").unwrap_err();
        assert_eq!((error.row, error.column), (Some(1), Some(2)));

        let error = Grid::from_pasted("Ethnicity\tValue\tValue\nWhite\t1\t2\n").unwrap_err();
        assert_eq!((error.row, error.column), (Some(1), Some(3)));

        let error = Grid::from_pasted("Ethnicity\tValue\n\nWhite\t1\n\nBlack\t2\tx\n").unwrap_err();
        assert_eq!(error.row, Some(3), "blank rows are not counted");

        let grid = Grid::from_pasted("Ethnicity\tValue\nWhite\tabc\n").unwrap();
        let error = grid.value(0, 1).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Row 2, column 2 (“Value”): “abc” is not a number. Use a number (for example 12.5 \
             or 1,234) or one of the codes n/a, ?, !, -, ~0."
        );
    }

    #[test]
    fn empty_and_heading_only_data_are_refused() {
        assert!(Grid::from_pasted("  \n\n").is_err());
        assert!(Grid::from_pasted("Ethnicity\tValue\n").is_err());
        assert!(Grid::from_pasted("Ethnicity\n").is_err());
        assert!(Grid::from_pasted("\nEthnicity\tValue\nWhite\t1").is_ok());
    }

    #[test]
    fn a_csv_file_must_be_utf8() {
        assert!(Grid::from_csv(b"\xEF\xBB\xBFEthnicity,Value\nWhite,1\n").is_ok());
        let error = Grid::from_csv(b"Ethnicity,Value\nCaf\xe9,1\n").unwrap_err();
        assert_eq!(error.row, Some(2));
        assert!(error.message.contains("UTF-8"));
    }

    #[test]
    fn columns_are_found_by_heading() {
        let grid = Grid::from_pasted("Ethnicity\tValue\nWhite\t1\n").unwrap();
        assert_eq!(grid.column("value"), Some(1));
        assert!(
            grid.require_column("Year")
                .unwrap_err()
                .to_string()
                .contains("“Ethnicity”, “Value”")
        );
    }
}
