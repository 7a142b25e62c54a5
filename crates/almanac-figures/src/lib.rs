//! The figures on a measure page, as pure functions with no database.
//!
//! - [`grid`]: data pasted from a spreadsheet, or read from a source CSV, as a rectangular
//!   grid of trimmed strings with errors that name the row and column.
//! - [`value`]: one cell as a number or one of the model's special values (`n/a`, `?`, `!`,
//!   `-`, `~0`), with the legend that explains them.
//! - [`table`]: versioned table settings ([`TableSettings`]) and the simple or grouped
//!   [`Table`] built from a grid with them, stored as a dimension's `table_object`.
//! - [`download`]: CSV downloads (byte-order mark, CRLF, text quoted, formulas neutralised),
//!   the rows of a dimension's data and of its table layout, and download file names.
//! - [`source`]: a chart's or table's settings stored with the data they were built from.
//! - [`classify`]: which ethnicity classification a list of categories uses, from the
//!   compiled-in reference definitions and lookup; an editor's own choice, checked; and
//!   which of its chart's and table's classifications a dimension takes.

pub mod classify;
pub mod download;
pub mod grid;
pub mod source;
pub mod table;
pub mod value;

pub use classify::{
    Candidate, Classification, ClassificationFlags, ClassificationMatch, ClassificationSource,
    ClassifiedValue, Classifier, ClassifyError, Detection, StandardisedValue,
    detect_classification,
};
pub use download::{download_file_name, neutralise_formula, write_csv};
pub use grid::{Grid, GridError};
pub use source::{DataOrigin, FigureSource, SourceError};
pub use table::{
    GroupedTable, SettingsError, SimpleTable, Table, TableError, TableGroup, TableRow,
    TableSettings, TableType, TableValue, build_table,
};
pub use value::{CellValue, SpecialValue};
