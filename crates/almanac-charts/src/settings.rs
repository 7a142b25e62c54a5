//! What an editor chose for a chart, stored as versioned JSON on the dimension.
//!
//! The settings are read strictly: a field the renderer does not know, a chart type it does
//! not know or a version it does not read is an error, never a silent default, because a
//! setting that is quietly ignored shows readers a different chart from the one the editor
//! asked for.
//!
//! # The columns, per chart type
//!
//! Every chart reads numbers from `value_column`. The other columns say where each number
//! goes. `category_column` is always what the main axis lists; `series_column` is a second
//! grouping told apart by a legend (colour plus pattern, or colour plus marker and dash);
//! `panel_column` splits the data into small charts sharing one scale.
//!
//! | type         | `category_column`          | `series_column`               | `panel_column` |
//! |--------------|----------------------------|-------------------------------|----------------|
//! | `bar`        | one bar (group) each       | optional: clustered bars      | not allowed    |
//! | `small_bar`  | one bar each               | not allowed                   | not allowed    |
//! | `line`       | the x axis (time), in order| optional: one line each       | not allowed    |
//! | `component`  | one 100% bar each          | required: the parts of a bar  | not allowed    |
//! | `panel_bar`  | one bar each, per panel    | not allowed                   | required       |
//! | `panel_line` | the x axis (time)          | optional: one line each       | required       |
//!
//! For example, a clustered bar chart of employment by ethnicity and sex:
//!
//! ```json
//! {
//!   "version": 1,
//!   "type": "bar",
//!   "title": "Employment rate by ethnicity and sex",
//!   "description": "White men had the highest employment rate.",
//!   "category_column": "Ethnicity",
//!   "series_column": "Sex",
//!   "value_column": "Value",
//!   "value_axis_label": "Percentage of people aged 16 to 64 in work",
//!   "number_format": {"suffix": "%", "decimal_places": 1, "min": 0, "max": 100},
//!   "series_order": ["Women", "Men"]
//! }
//! ```
//!
//! Categories, series and panels appear in the order of their first row in the data unless
//! `category_order`, `series_order` or `panel_order` lists them; such a list must name every
//! value in the data exactly once, and nothing else.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The settings format this crate reads and writes.
pub const SETTINGS_VERSION: u32 = 1;

/// Longest title or label kept on a chart; longer text is a pasting mistake.
const MAX_TEXT_LENGTH: usize = 500;
/// A description is the chart's text alternative, so it may be long, but not unbounded.
const MAX_DESCRIPTION_LENGTH: usize = 5_000;
/// More decimal places than statistics ever show.
const MAX_DECIMAL_PLACES: u8 = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartType {
    /// Horizontal bars, one per category; clustered when there is a series column.
    Bar,
    /// Compact horizontal bars, one per category, for a handful of groups.
    SmallBar,
    /// Lines over the category column (usually time), one line per series.
    Line,
    /// 100% stacked horizontal bars: each category split into the series' parts.
    Component,
    /// One small bar chart per panel, all on one scale.
    PanelBar,
    /// One small line chart per panel, all on one scale.
    PanelLine,
}

impl ChartType {
    /// As written in the JSON.
    pub fn code(self) -> &'static str {
        match self {
            ChartType::Bar => "bar",
            ChartType::SmallBar => "small_bar",
            ChartType::Line => "line",
            ChartType::Component => "component",
            ChartType::PanelBar => "panel_bar",
            ChartType::PanelLine => "panel_line",
        }
    }

    /// As readers are told in the chart's text alternative.
    pub fn name(self) -> &'static str {
        match self {
            ChartType::Bar | ChartType::SmallBar => "Bar chart",
            ChartType::Line => "Line chart",
            ChartType::Component => "Component chart (100% stacked bars)",
            ChartType::PanelBar => "Panel bar chart",
            ChartType::PanelLine => "Panel line chart",
        }
    }

    pub fn series_column(self) -> ColumnRule {
        match self {
            ChartType::Bar | ChartType::Line | ChartType::PanelLine => ColumnRule::Optional,
            ChartType::Component => ColumnRule::Required,
            ChartType::SmallBar | ChartType::PanelBar => ColumnRule::NotAllowed,
        }
    }

    pub fn panel_column(self) -> ColumnRule {
        match self {
            ChartType::PanelBar | ChartType::PanelLine => ColumnRule::Required,
            _ => ColumnRule::NotAllowed,
        }
    }

    pub fn is_line(self) -> bool {
        matches!(self, ChartType::Line | ChartType::PanelLine)
    }
}

impl fmt::Display for ChartType {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.code())
    }
}

/// Whether a chart type takes a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnRule {
    Required,
    Optional,
    NotAllowed,
}

/// How values and axis ticks are written, and optionally where the value axis ends.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberFormat {
    /// Written before every number, for example "£".
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub prefix: String,
    /// Written after every number, for example "%".
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub suffix: String,
    /// Rounds every value label to this many places; without it a value is shown as the
    /// editor wrote it, so `12.50` stays `12.50`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimal_places: Option<u8>,
    /// The start of the value axis; without it the axis starts at a round number at or
    /// below the smallest value (and at 0 for bar charts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// The end of the value axis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

/// The settings of one chart. See the module documentation for what each column means per
/// chart type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartSettings {
    pub version: u32,
    #[serde(rename = "type")]
    pub chart_type: ChartType,
    pub title: String,
    /// The text alternative: what the chart shows, in words. It is read out with a summary
    /// of the data that the renderer writes.
    pub description: String,
    pub category_column: String,
    pub value_column: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_column: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub panel_column: Option<String>,
    /// The label of the axis with the numbers (horizontal for bars, vertical for lines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_axis_label: Option<String>,
    /// The label of the axis listing the categories (vertical for bars, horizontal for
    /// lines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_axis_label: Option<String>,
    #[serde(default)]
    pub number_format: NumberFormat,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_order: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_order: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub panel_order: Option<Vec<String>>,
}

/// Why settings cannot be used. The messages are written for the editor.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SettingsError {
    #[error("The chart cannot be read: {0}")]
    NotReadable(String),
    #[error("The chart has no format version number.")]
    MissingVersion,
    #[error(
        "The chart is stored in format version {found}, which this version of Almanac cannot \
         read (it reads version {SETTINGS_VERSION})."
    )]
    UnsupportedVersion { found: String },
    #[error("A {chart_type} chart needs {field}: {why}")]
    Missing {
        chart_type: ChartType,
        field: &'static str,
        why: &'static str,
    },
    #[error(
        "A {chart_type} chart cannot have {field} (“{value}”). Remove it or choose {suggestion}."
    )]
    NotAllowed {
        chart_type: ChartType,
        field: &'static str,
        value: String,
        suggestion: &'static str,
    },
    #[error("{field} is empty. {help}")]
    Blank {
        field: &'static str,
        help: &'static str,
    },
    #[error("{field} is {length} characters long; at most {limit} are allowed.")]
    TooLong {
        field: &'static str,
        length: usize,
        limit: usize,
    },
    #[error("{first} and {second} are both “{column}”. Choose a different column for each.")]
    SameColumn {
        first: &'static str,
        second: &'static str,
        column: String,
    },
    #[error("{field} lists “{value}” twice.")]
    RepeatedInOrder { field: &'static str, value: String },
    #[error("number_format: {0}")]
    NumberFormat(String),
}

impl ChartSettings {
    /// Reads settings as stored, checking the version first so that settings from a newer
    /// format are reported as such rather than as unknown fields.
    pub fn from_json(json: &str) -> Result<ChartSettings, SettingsError> {
        let value: serde_json::Value = serde_json::from_str(json)
            .map_err(|error| SettingsError::NotReadable(error.to_string()))?;
        ChartSettings::from_value(value)
    }

    pub fn from_value(value: serde_json::Value) -> Result<ChartSettings, SettingsError> {
        check_version(&value, SETTINGS_VERSION)?;
        let settings: ChartSettings = serde_json::from_value(value)
            .map_err(|error| SettingsError::NotReadable(error.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    pub fn to_json(&self) -> String {
        // Serialising plain structs of strings and numbers cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Checks what the JSON format cannot: the columns each chart type needs or refuses,
    /// blank text, and the number format.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.version != SETTINGS_VERSION {
            return Err(SettingsError::UnsupportedVersion {
                found: self.version.to_string(),
            });
        }
        let chart_type = self.chart_type;
        require_text(
            "title",
            &self.title,
            "Give the chart a title.",
            MAX_TEXT_LENGTH,
        )?;
        require_text(
            "description",
            &self.description,
            "Describe what the chart shows in a sentence or two: it is read out to people \
             who cannot see the chart.",
            MAX_DESCRIPTION_LENGTH,
        )?;
        require_text(
            "category_column",
            &self.category_column,
            "Choose the column with the categories (for example, ethnicity).",
            MAX_TEXT_LENGTH,
        )?;
        require_text(
            "value_column",
            &self.value_column,
            "Choose the column with the numbers.",
            MAX_TEXT_LENGTH,
        )?;
        for (field, label) in [
            ("value_axis_label", &self.value_axis_label),
            ("category_axis_label", &self.category_axis_label),
        ] {
            if let Some(label) = label {
                check_length(field, label, MAX_TEXT_LENGTH)?;
            }
        }

        check_column_rule(
            chart_type,
            "series_column",
            self.series_column.as_deref(),
            chart_type.series_column(),
        )?;
        check_column_rule(
            chart_type,
            "panel_column",
            self.panel_column.as_deref(),
            chart_type.panel_column(),
        )?;
        if self.series_column.is_none() && self.series_order.is_some() {
            return Err(SettingsError::NotAllowed {
                chart_type,
                field: "series_order without series_column",
                value: "series_order".into(),
                suggestion: "a series column",
            });
        }
        if self.panel_column.is_none() && self.panel_order.is_some() {
            return Err(SettingsError::NotAllowed {
                chart_type,
                field: "panel_order without panel_column",
                value: "panel_order".into(),
                suggestion: "a panel column",
            });
        }
        self.check_distinct_columns()?;
        for (field, order) in [
            ("category_order", &self.category_order),
            ("series_order", &self.series_order),
            ("panel_order", &self.panel_order),
        ] {
            if let Some(order) = order {
                check_order(field, order)?;
            }
        }
        self.number_format.validate()
    }

    fn check_distinct_columns(&self) -> Result<(), SettingsError> {
        let columns = [
            ("category_column", Some(self.category_column.as_str())),
            ("value_column", Some(self.value_column.as_str())),
            ("series_column", self.series_column.as_deref()),
            ("panel_column", self.panel_column.as_deref()),
        ];
        for (index, (first, column)) in columns.iter().enumerate() {
            let Some(column) = column else { continue };
            for (second, other) in &columns[index + 1..] {
                if other.is_some_and(|other| other.trim().eq_ignore_ascii_case(column.trim())) {
                    return Err(SettingsError::SameColumn {
                        first,
                        second,
                        column: column.trim().to_owned(),
                    });
                }
            }
        }
        Ok(())
    }
}

impl NumberFormat {
    fn validate(&self) -> Result<(), SettingsError> {
        check_length("number_format.prefix", &self.prefix, 20)?;
        check_length("number_format.suffix", &self.suffix, 20)?;
        if let Some(places) = self.decimal_places
            && places > MAX_DECIMAL_PLACES
        {
            return Err(SettingsError::NumberFormat(format!(
                "decimal_places is {places}; at most {MAX_DECIMAL_PLACES} are allowed."
            )));
        }
        for (name, bound) in [("min", self.min), ("max", self.max)] {
            if bound.is_some_and(|bound| !bound.is_finite()) {
                return Err(SettingsError::NumberFormat(format!(
                    "{name} is not a number."
                )));
            }
        }
        if let (Some(min), Some(max)) = (self.min, self.max)
            && min >= max
        {
            return Err(SettingsError::NumberFormat(format!(
                "min ({min}) must be less than max ({max})."
            )));
        }
        Ok(())
    }
}

/// Checks the `version` field of stored JSON (settings or a chart object) before the rest
/// is read.
pub(crate) fn check_version(value: &serde_json::Value, expected: u32) -> Result<(), SettingsError> {
    let Some(version) = value.get("version") else {
        return Err(if value.is_object() {
            SettingsError::MissingVersion
        } else {
            SettingsError::NotReadable("expected a JSON object.".into())
        });
    };
    if version.as_u64() != Some(u64::from(expected)) {
        return Err(SettingsError::UnsupportedVersion {
            found: version.to_string(),
        });
    }
    Ok(())
}

fn require_text(
    field: &'static str,
    text: &str,
    help: &'static str,
    limit: usize,
) -> Result<(), SettingsError> {
    if text.trim().is_empty() {
        return Err(SettingsError::Blank { field, help });
    }
    check_length(field, text, limit)
}

fn check_length(field: &'static str, text: &str, limit: usize) -> Result<(), SettingsError> {
    let length = text.chars().count();
    if length > limit {
        return Err(SettingsError::TooLong {
            field,
            length,
            limit,
        });
    }
    Ok(())
}

fn check_column_rule(
    chart_type: ChartType,
    field: &'static str,
    column: Option<&str>,
    rule: ColumnRule,
) -> Result<(), SettingsError> {
    let column = column.filter(|column| !column.trim().is_empty());
    match (rule, column) {
        (ColumnRule::Required, None) => Err(SettingsError::Missing {
            chart_type,
            field,
            why: match field {
                "series_column" => {
                    "the column whose values are the parts of each bar (for example, \
                     “Qualification level”)."
                }
                _ => "the column that splits the data into panels (for example, “Year”).",
            },
        }),
        (ColumnRule::NotAllowed, Some(value)) => Err(SettingsError::NotAllowed {
            chart_type,
            field,
            value: value.to_owned(),
            suggestion: match (chart_type, field) {
                (ChartType::SmallBar, "series_column") => "a bar chart, which can cluster bars",
                (_, "series_column") => "a chart type with series (bar, line or component)",
                _ => "a panel chart type (panel_bar or panel_line)",
            },
        }),
        _ => {
            if let Some(column) = column {
                check_length(field, column, MAX_TEXT_LENGTH)?;
            }
            Ok(())
        }
    }
}

fn check_order(field: &'static str, order: &[String]) -> Result<(), SettingsError> {
    for (index, value) in order.iter().enumerate() {
        check_length(field, value, MAX_TEXT_LENGTH)?;
        if order[..index]
            .iter()
            .any(|earlier| earlier.trim() == value.trim())
        {
            return Err(SettingsError::RepeatedInOrder {
                field,
                value: value.trim().to_owned(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar_json() -> serde_json::Value {
        serde_json::json!({
            "version": 1,
            "type": "bar",
            "title": "Employment rate by ethnicity",
            "description": "The employment rate was highest for White British people.",
            "category_column": "Ethnicity",
            "value_column": "Value",
        })
    }

    fn error_for(value: serde_json::Value) -> String {
        ChartSettings::from_value(value).unwrap_err().to_string()
    }

    #[test]
    fn minimal_bar_settings_are_read_and_round_trip() {
        let settings = ChartSettings::from_value(bar_json()).unwrap();
        assert_eq!(settings.chart_type, ChartType::Bar);
        assert_eq!(settings.number_format, NumberFormat::default());
        assert_eq!(
            ChartSettings::from_json(&settings.to_json()).unwrap(),
            settings
        );
    }

    #[test]
    fn an_unknown_field_is_an_error_not_a_default() {
        let mut json = bar_json();
        json["colour"] = "red".into();
        let message = error_for(json);
        assert!(message.contains("unknown field `colour`"), "{message}");

        let mut json = bar_json();
        json["number_format"] = serde_json::json!({"suffix": "%", "thousands": true});
        let message = error_for(json);
        assert!(message.contains("unknown field `thousands`"), "{message}");
    }

    #[test]
    fn an_unknown_type_is_an_error() {
        let mut json = bar_json();
        json["type"] = "pie".into();
        let message = error_for(json);
        assert!(message.contains("unknown variant `pie`"), "{message}");
        assert!(
            message.contains("`panel_line`"),
            "names the types: {message}"
        );
    }

    #[test]
    fn a_version_other_than_1_is_an_error() {
        for version in [
            serde_json::json!(2),
            serde_json::json!(0),
            serde_json::json!("1"),
        ] {
            let mut json = bar_json();
            json["version"] = version.clone();
            assert_eq!(
                ChartSettings::from_value(json).unwrap_err(),
                SettingsError::UnsupportedVersion {
                    found: version.to_string()
                }
            );
        }
        // A newer format's new fields are reported as the version, not as unknown fields.
        let mut json = bar_json();
        json["version"] = 2.into();
        json["new_field"] = true.into();
        assert!(error_for(json).contains("format version 2"));

        let mut json = bar_json();
        json.as_object_mut().unwrap().remove("version");
        assert_eq!(
            ChartSettings::from_value(json).unwrap_err(),
            SettingsError::MissingVersion
        );
        assert!(matches!(
            ChartSettings::from_json("[1]").unwrap_err(),
            SettingsError::NotReadable(_)
        ));
        assert!(matches!(
            ChartSettings::from_json("{").unwrap_err(),
            SettingsError::NotReadable(_)
        ));
    }

    #[test]
    fn required_and_forbidden_columns_per_type() {
        let mut json = bar_json();
        json["type"] = "component".into();
        assert_eq!(
            error_for(json),
            "A component chart needs series_column: the column whose values are the parts of \
             each bar (for example, “Qualification level”)."
        );

        let mut json = bar_json();
        json["type"] = "panel_line".into();
        assert!(error_for(json).starts_with("A panel_line chart needs panel_column"));

        let mut json = bar_json();
        json["type"] = "small_bar".into();
        json["series_column"] = "Sex".into();
        assert_eq!(
            error_for(json),
            "A small_bar chart cannot have series_column (“Sex”). Remove it or choose a bar \
             chart, which can cluster bars."
        );

        let mut json = bar_json();
        json["panel_column"] = "Year".into();
        assert!(error_for(json).starts_with("A bar chart cannot have panel_column (“Year”)"));

        let mut json = bar_json();
        json["series_order"] = serde_json::json!(["Men", "Women"]);
        assert!(error_for(json).contains("series_order without series_column"));
    }

    #[test]
    fn a_missing_required_field_is_named() {
        let mut json = bar_json();
        json.as_object_mut().unwrap().remove("value_column");
        let message = error_for(json);
        assert!(
            message.contains("missing field `value_column`"),
            "{message}"
        );

        let mut json = bar_json();
        json["category_column"] = "  ".into();
        assert_eq!(
            error_for(json),
            "category_column is empty. Choose the column with the categories (for example, \
             ethnicity)."
        );

        let mut json = bar_json();
        json["description"] = "".into();
        assert!(error_for(json).starts_with("description is empty."));
    }

    #[test]
    fn columns_must_differ_and_orders_must_not_repeat() {
        let mut json = bar_json();
        json["series_column"] = "ethnicity".into();
        assert_eq!(
            error_for(json),
            "category_column and series_column are both “Ethnicity”. Choose a different \
             column for each."
        );

        let mut json = bar_json();
        json["category_order"] = serde_json::json!(["White", "Black", "White "]);
        assert_eq!(error_for(json), "category_order lists “White” twice.");
    }

    #[test]
    fn the_number_format_is_checked() {
        let mut json = bar_json();
        json["number_format"] = serde_json::json!({"min": 10, "max": 5});
        assert_eq!(
            error_for(json),
            "number_format: min (10) must be less than max (5)."
        );
        let mut json = bar_json();
        json["number_format"] = serde_json::json!({"decimal_places": 9});
        assert!(error_for(json).contains("at most 6"));
        let mut json = bar_json();
        json["number_format"] = serde_json::json!({"decimal_places": -1});
        assert!(error_for(json).starts_with("The chart cannot be read"));
    }
}
