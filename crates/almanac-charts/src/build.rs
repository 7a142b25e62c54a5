//! From the editor's grid and settings to a [`Chart`].
//!
//! Every problem with the data is a [`GridError`] naming the row and column as the editor
//! sees them in the spreadsheet, so it can be found and fixed there.

use std::collections::HashMap;

use almanac_figures::{CellValue, Grid, GridError};

use crate::chart::{CHART_VERSION, Chart, Panel};
use crate::palette::MAX_SERIES;
use crate::settings::{ChartSettings, ChartType, SettingsError};

/// More panels than fit on a page as readable small charts.
pub const MAX_PANELS: usize = 24;
/// More bars or x-axis points than a reader can take in; a table suits such data better.
pub const MAX_CATEGORIES: usize = 100;

/// Why a chart cannot be built or drawn.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChartError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Data(#[from] GridError),
    #[error("The chart cannot be drawn as an image: {0}")]
    Png(String),
}

/// Builds the chart from the columns the settings name.
pub fn build_chart(grid: &Grid, settings: &ChartSettings) -> Result<Chart, ChartError> {
    settings.validate()?;
    let chart_type = settings.chart_type;
    let columns = Columns {
        category: grid.require_column(&settings.category_column)?,
        value: grid.require_column(&settings.value_column)?,
        series: settings
            .series_column
            .as_deref()
            .map(|heading| grid.require_column(heading))
            .transpose()?,
        panel: settings
            .panel_column
            .as_deref()
            .map(|heading| grid.require_column(heading))
            .transpose()?,
    };

    let mut categories = FirstSeen::default();
    let mut series = FirstSeen::default();
    let mut panels = FirstSeen::default();
    let mut points = Vec::with_capacity(grid.rows().len());
    let mut row_of_point: HashMap<(usize, usize, usize), usize> = HashMap::new();

    for row in 0..grid.rows().len() {
        let category = categories.index(label(grid, row, columns.category)?, row);
        let series_index = match columns.series {
            Some(column) => series.index(label(grid, row, column)?, row),
            None => 0,
        };
        let panel = match columns.panel {
            Some(column) => panels.index(label(grid, row, column)?, row),
            None => 0,
        };
        let value = grid.value(row, columns.value)?;
        check_value(grid, row, columns.value, &value, settings)?;
        if let Some(first_row) = row_of_point.insert((panel, series_index, category), row) {
            return Err(duplicate_error(grid, row, first_row, &columns).into());
        }
        points.push((panel, series_index, category, value));
    }

    let category_names = ordered(
        grid,
        columns.category,
        categories,
        settings.category_order.as_deref(),
        "category_order",
    )?;
    let series_names = match columns.series {
        Some(column) => ordered(
            grid,
            column,
            series,
            settings.series_order.as_deref(),
            "series_order",
        )?,
        None => Ordered {
            names: vec![grid.headings()[columns.value].clone()],
            position: vec![0],
        },
    };
    let panel_names = match columns.panel {
        Some(column) => ordered(
            grid,
            column,
            panels,
            settings.panel_order.as_deref(),
            "panel_order",
        )?,
        None => Ordered {
            names: vec![String::new()],
            position: vec![0],
        },
    };

    if let Some(column) = columns.series {
        check_count(grid, column, series_names.names.len(), MAX_SERIES, "series")?;
    }
    if let Some(column) = columns.panel {
        check_count(grid, column, panel_names.names.len(), MAX_PANELS, "panels")?;
    }
    check_count(
        grid,
        columns.category,
        category_names.names.len(),
        MAX_CATEGORIES,
        "categories",
    )?;

    let mut chart_panels: Vec<Panel> = panel_names
        .names
        .iter()
        .map(|name| Panel {
            name: name.clone(),
            values: vec![
                vec![CellValue::Empty; category_names.names.len()];
                series_names.names.len()
            ],
        })
        .collect();
    for (panel, series_index, category, value) in points {
        chart_panels[panel_names.position[panel]].values[series_names.position[series_index]]
            [category_names.position[category]] = value;
    }

    let heading = |column: usize| grid.headings()[column].clone();
    Ok(Chart {
        version: CHART_VERSION,
        chart_type,
        title: settings.title.trim().to_owned(),
        description: settings.description.trim().to_owned(),
        category_heading: heading(columns.category),
        value_heading: heading(columns.value),
        series_heading: columns.series.map(heading),
        panel_heading: columns.panel.map(heading),
        value_axis_label: non_blank(settings.value_axis_label.as_deref()),
        category_axis_label: non_blank(settings.category_axis_label.as_deref()),
        number_format: settings.number_format.clone(),
        categories: category_names.names,
        series: series_names.names,
        panels: chart_panels,
    })
}

struct Columns {
    category: usize,
    value: usize,
    series: Option<usize>,
    panel: Option<usize>,
}

/// Labels in the order of their first row.
#[derive(Default)]
struct FirstSeen {
    names: Vec<String>,
    first_row: Vec<usize>,
    index_of: HashMap<String, usize>,
}

impl FirstSeen {
    fn index(&mut self, name: &str, row: usize) -> usize {
        if let Some(&index) = self.index_of.get(name) {
            return index;
        }
        let index = self.names.len();
        self.names.push(name.to_owned());
        self.first_row.push(row);
        self.index_of.insert(name.to_owned(), index);
        index
    }
}

/// Labels in display order, with where each first-seen label goes.
struct Ordered {
    names: Vec<String>,
    /// `position[first_seen_index]` is the label's place in `names`.
    position: Vec<usize>,
}

fn ordered(
    grid: &Grid,
    column: usize,
    seen: FirstSeen,
    order: Option<&[String]>,
    field: &'static str,
) -> Result<Ordered, GridError> {
    let Some(order) = order else {
        let position = (0..seen.names.len()).collect();
        return Ok(Ordered {
            names: seen.names,
            position,
        });
    };
    let heading = &grid.headings()[column];
    let mut position = Vec::with_capacity(seen.names.len());
    for (index, name) in seen.names.iter().enumerate() {
        match order.iter().position(|wanted| wanted.trim() == name) {
            Some(place) => position.push(place),
            None => {
                return Err(grid.cell_error(
                    seen.first_row[index],
                    column,
                    format!(
                        "“{name}” is not in the chart's {field}. Add it to the order, or \
                         correct the data."
                    ),
                ));
            }
        }
    }
    if let Some(extra) = order
        .iter()
        .find(|wanted| !seen.names.iter().any(|name| name == wanted.trim()))
    {
        return Err(GridError {
            row: None,
            column: Some(column + 1),
            heading: Some(heading.clone()),
            message: format!(
                "the chart's {field} lists “{}”, which is not in this column. Remove it from \
                 the order, or add its data.",
                extra.trim()
            ),
        });
    }
    Ok(Ordered {
        names: order.iter().map(|name| name.trim().to_owned()).collect(),
        position,
    })
}

fn label(grid: &Grid, row: usize, column: usize) -> Result<&str, GridError> {
    let text = grid.rows()[row][column].as_str();
    if text.is_empty() {
        return Err(grid.cell_error(
            row,
            column,
            "the cell is empty. Every row of a chart needs a label here.",
        ));
    }
    Ok(text)
}

fn check_value(
    grid: &Grid,
    row: usize,
    column: usize,
    value: &CellValue,
    settings: &ChartSettings,
) -> Result<(), GridError> {
    let Some(number) = value.number() else {
        return Ok(());
    };
    let format = &settings.number_format;
    if settings.chart_type == ChartType::Component && number < 0.0 {
        return Err(grid.cell_error(
            row,
            column,
            format!(
                "{number} is negative. A component chart shows parts of a whole, which cannot \
                 be negative."
            ),
        ));
    }
    if let Some(min) = format.min
        && number < min
    {
        return Err(grid.cell_error(
            row,
            column,
            format!(
                "{number} is below the start of the value axis ({min}, the chart's minimum). \
                 Lower the minimum or remove it."
            ),
        ));
    }
    if let Some(max) = format.max
        && number > max
    {
        return Err(grid.cell_error(
            row,
            column,
            format!(
                "{number} is beyond the end of the value axis ({max}, the chart's maximum). \
                 Raise the maximum or remove it."
            ),
        ));
    }
    Ok(())
}

fn duplicate_error(grid: &Grid, row: usize, first_row: usize, columns: &Columns) -> GridError {
    let mut names = vec![grid.rows()[row][columns.category].clone()];
    names.extend(
        columns
            .series
            .map(|column| grid.rows()[row][column].clone()),
    );
    names.extend(columns.panel.map(|column| grid.rows()[row][column].clone()));
    let names = names
        .iter()
        .map(|name| format!("“{name}”"))
        .collect::<Vec<_>>()
        .join(" and ");
    grid.cell_error(
        row,
        columns.category,
        format!(
            "{names} already have a value in row {}. A chart can show only one value for \
             each; remove one of the rows.",
            first_row + 2
        ),
    )
}

fn check_count(
    grid: &Grid,
    column: usize,
    count: usize,
    limit: usize,
    what: &str,
) -> Result<(), GridError> {
    if count <= limit {
        return Ok(());
    }
    Err(GridError {
        row: None,
        column: Some(column + 1),
        heading: Some(grid.headings()[column].clone()),
        message: format!(
            "the column has {count} different values, so the chart would have {count} {what}; \
             a chart can show at most {limit}. Use a table for this data, or split it into \
             several charts."
        ),
    })
}

fn non_blank(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}
