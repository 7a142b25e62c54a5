//! Charts on a measure page, drawn on the server as accessible SVG.
//!
//! # Why on the server
//!
//! The model drew charts in the browser with Highcharts, so a reader without JavaScript (or
//! with it blocked, or on a slow phone) saw nothing, and the text alternative was whatever
//! the library produced. Almanac renders each chart once, as SVG inside the static page: it
//! shows with no script, prints, scales with its `viewBox`, and is an image with a proper
//! name and description (`role="img"`, `<title>`, `<desc>`) for screen readers. The same
//! SVG can be turned into a PNG for the "Download chart" link ([`render_png`]).
//!
//! # Data flow
//!
//! ```text
//! editor's paste / CSV ──► Grid (almanac-figures)
//!                               │
//! ChartSettings (JSON) ─────────┤ build_chart: picks the columns, checks every cell
//!                               ▼
//!                             Chart ── stored as the dimension's chart_object JSON
//!                               │
//!                               ├─► render_svg(chart, id) ──► inline SVG on the page
//!                               │                                └─► render_png(svg)
//!                               └─► Chart::data_rows() ──► the CSV download
//! ```
//!
//! - [`settings`]: what the editor chose, as strict, versioned JSON (unknown fields, types
//!   or versions are errors, never silent defaults), with the columns each chart type
//!   needs.
//! - [`build`]: [`build_chart`] turns a grid and settings into a [`Chart`]; every data
//!   problem names the row and column as the editor sees them.
//! - [`chart`]: the chart object, with the CSV rows and editor warnings.
//! - [`svg`]: [`render_svg`], deterministic (byte-identical output for the same input) and
//!   free of fonts and randomness: text widths come from a character width table.
//! - [`palette`]: colours with checked contrast, plus patterns, dashes and markers, so
//!   colour is never the only way to tell series apart.
//!
//! Everything here is a pure function: no database, no I/O.
//!
//! ```
//! use almanac_charts::{ChartSettings, build_chart, render_svg};
//! use almanac_figures::Grid;
//!
//! let grid = Grid::from_pasted("Ethnicity\tValue\nAsian\t62.1\nWhite\t76.0\nOther\t?\n")?;
//! let settings = ChartSettings::from_json(
//!     r#"{"version": 1, "type": "bar", "title": "Employment rate",
//!         "description": "The employment rate was highest for White people.",
//!         "category_column": "Ethnicity", "value_column": "Value",
//!         "number_format": {"suffix": "%"}}"#,
//! )?;
//! let chart = build_chart(&grid, &settings)?;
//! let chart_object = chart.to_json(); // stored on the dimension
//! let svg = render_svg(&chart, "dimension-1");
//! assert!(svg.contains(r#"role="img""#));
//! assert!(svg.contains("Highest: White (76.0%). Lowest: Asian (62.1%)."));
//! assert!(svg.contains("? = withheld because a small sample size makes it unreliable"));
//! # assert!(!chart_object.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod build;
pub mod chart;
pub mod format;
pub mod palette;
pub mod png;
pub mod settings;
pub mod svg;
pub mod text;

pub use build::{ChartError, build_chart};
pub use chart::{Chart, ChartWarning, Panel};
pub use png::render_png;
pub use settings::{ChartSettings, ChartType, NumberFormat, SettingsError};
pub use svg::{render_svg, summary};
