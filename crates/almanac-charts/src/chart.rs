//! The chart object: everything the renderer needs, stored as the dimension's
//! `chart_object` JSON so that pages render without the source data.

use almanac_figures::{CellValue, SpecialValue};
use serde::{Deserialize, Serialize};

use crate::format::format_fixed;
use crate::settings::{ChartType, NumberFormat, SettingsError, check_version};

/// The chart object format this crate reads and writes.
pub const CHART_VERSION: u32 = 1;

/// A component row may miss 100 by this much before the editor is warned: published
/// percentages are rounded, so 99.9 or 100.1 is normal.
pub const COMPONENT_TOTAL_TOLERANCE: f64 = 0.5;

static EMPTY: CellValue = CellValue::Empty;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chart {
    pub version: u32,
    #[serde(rename = "type")]
    pub chart_type: ChartType,
    pub title: String,
    pub description: String,
    /// Headings of the grid columns the chart was built from, for the CSV download and the
    /// text alternative.
    pub category_heading: String,
    pub value_heading: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_heading: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub panel_heading: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_axis_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_axis_label: Option<String>,
    pub number_format: NumberFormat,
    /// In display order: bars top to bottom, or the x axis left to right.
    pub categories: Vec<String>,
    /// In legend order. Without a series column there is one series, named after the value
    /// column, and no legend.
    pub series: Vec<String>,
    /// In display order. Without a panel column there is one panel with an empty name.
    pub panels: Vec<Panel>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Panel {
    pub name: String,
    /// `values[series][category]`; `Empty` where the data has no row for the pair.
    pub values: Vec<Vec<CellValue>>,
}

/// Something the editor should check that does not stop the chart being drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartWarning {
    pub message: String,
}

impl Chart {
    /// Reads a stored chart object, checking its version first.
    pub fn from_json(json: &str) -> Result<Chart, SettingsError> {
        let value: serde_json::Value = serde_json::from_str(json)
            .map_err(|error| SettingsError::NotReadable(error.to_string()))?;
        check_version(&value, CHART_VERSION)?;
        serde_json::from_value(value).map_err(|error| SettingsError::NotReadable(error.to_string()))
    }

    pub fn to_json(&self) -> String {
        // Plain data with finite numbers: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The value of one category in one series of one panel; `Empty` for any position a
    /// hand-edited chart object does not have.
    pub fn value(&self, panel: usize, series: usize, category: usize) -> &CellValue {
        self.panels
            .get(panel)
            .and_then(|panel| panel.values.get(series))
            .and_then(|values| values.get(category))
            .unwrap_or(&EMPTY)
    }

    /// Whether the chart has a legend of series (it was built with a series column).
    pub fn has_series_legend(&self) -> bool {
        self.series_heading.is_some()
    }

    /// Every value with its position (panel, series, category), panel by panel, series by
    /// series.
    pub fn cells(&self) -> impl Iterator<Item = (usize, usize, usize, &CellValue)> {
        (0..self.panels.len()).flat_map(move |panel| {
            (0..self.series.len()).flat_map(move |series| {
                (0..self.categories.len()).map(move |category| {
                    (panel, series, category, self.value(panel, series, category))
                })
            })
        })
    }

    /// True when there is nothing to draw: no categories, or no cell with a number or a
    /// special value.
    pub fn is_empty(&self) -> bool {
        !self
            .cells()
            .any(|(.., value)| !matches!(value, CellValue::Empty))
    }

    /// The special values the chart uses, in legend order.
    pub fn special_values(&self) -> Vec<SpecialValue> {
        let mut used: Vec<SpecialValue> = self
            .cells()
            .filter_map(|(.., value)| value.special())
            .collect();
        used.sort();
        used.dedup();
        used
    }

    /// The chart's data as rows for a CSV download, heading row first: one row per value,
    /// with the panel, category and series it belongs to, in the order a reader scans the
    /// chart. Special values are written as their codes (as editors type them) and numbers
    /// as the editor wrote them.
    pub fn data_rows(&self) -> Vec<Vec<String>> {
        let mut heading = Vec::new();
        heading.extend(self.panel_heading.clone());
        heading.push(self.category_heading.clone());
        heading.extend(self.series_heading.clone());
        heading.push(self.value_heading.clone());
        let mut rows = vec![heading];
        for (panel_index, panel) in self.panels.iter().enumerate() {
            for (category_index, category) in self.categories.iter().enumerate() {
                for (series_index, series) in self.series.iter().enumerate() {
                    let mut row = Vec::new();
                    if self.panel_heading.is_some() {
                        row.push(panel.name.clone());
                    }
                    row.push(category.clone());
                    if self.series_heading.is_some() {
                        row.push(series.clone());
                    }
                    row.push(
                        match self.value(panel_index, series_index, category_index) {
                            CellValue::Number { text, .. } => text.clone(),
                            CellValue::Special { code } => code.code().to_owned(),
                            CellValue::Empty => String::new(),
                            CellValue::Text { text } => text.clone(),
                        },
                    );
                    rows.push(row);
                }
            }
        }
        rows
    }

    /// Checks worth showing the editor that do not stop the chart: for a component chart,
    /// rows whose parts do not add up to 100 (give or take
    /// [`COMPONENT_TOTAL_TOLERANCE`]). The bars are drawn as shares of the row's total, so
    /// they still fill the width; the warning lets the editor catch a typo.
    pub fn warnings(&self) -> Vec<ChartWarning> {
        if self.chart_type != ChartType::Component {
            return Vec::new();
        }
        let mut warnings = Vec::new();
        for (panel_index, panel) in self.panels.iter().enumerate() {
            for (category, name) in self.categories.iter().enumerate() {
                let numbers: Option<Vec<f64>> = (0..self.series.len())
                    .map(|series| self.value(panel_index, series, category).number())
                    .collect();
                // A row with a withheld or missing part cannot be expected to add up.
                let Some(numbers) = numbers else { continue };
                let total: f64 = numbers.iter().sum();
                if (total - 100.0).abs() > COMPONENT_TOTAL_TOLERANCE {
                    let place = if panel.name.is_empty() {
                        format!("“{name}”")
                    } else {
                        format!("“{name}” in “{}”", panel.name)
                    };
                    warnings.push(ChartWarning {
                        message: format!(
                            "The parts of {place} add up to {}, not 100. The bar shows each \
                             part as a share of that total.",
                            format_fixed(total, 1)
                        ),
                    });
                }
            }
        }
        warnings
    }
}
