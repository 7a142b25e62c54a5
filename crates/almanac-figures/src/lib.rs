//! The figures on a measure page, as pure functions with no database.
//!
//! - [`grid`]: data pasted from a spreadsheet, or read from a source CSV, as a rectangular
//!   grid of trimmed strings with errors that name the row and column.
//! - [`value`]: one cell as a number or one of the model's special values (`n/a`, `?`, `!`,
//!   `-`, `~0`), with the legend that explains them.

pub mod grid;
pub mod value;

pub use grid::{Grid, GridError};
pub use value::{CellValue, SpecialValue};
