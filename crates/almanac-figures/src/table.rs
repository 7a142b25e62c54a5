//! Tables of figures: the settings an editor chooses ([`TableSettings`]), and the table built
//! from a grid with them ([`Table`]), which is stored as the dimension's `table_object` and
//! rendered by `almanac-render`.
//!
//! Both are versioned JSON. Reading either refuses an unknown version and any field this code
//! does not know, rather than ignoring it: a setting that is silently dropped shows readers a
//! different table from the one the editor built.
//!
//! A **simple** table has one row per category (usually an ethnic group) and the chosen value
//! columns. A **grouped** table is built from long data, one row per category per group (for
//! example ethnicity × sex), and shows the value columns under each group:
//!
//! ```text
//!              |      Male      |     Female     |
//!   Ethnicity  |   %   | Number |   %   | Number |
//!   White      |  ...
//! ```

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::grid::{Grid, GridError};
use crate::value::{CellValue, SpecialValue};

/// The version of [`TableSettings`] this code reads and writes.
pub const TABLE_SETTINGS_VERSION: u64 = 1;
/// The version of the stored [`Table`] (`table_object`) this code reads and writes.
pub const TABLE_FORMAT_VERSION: u64 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableType {
    Simple,
    Grouped,
}

/// How to build a table from a grid, as the editor chose in the table builder.
///
/// Captions left out fall back to the heading of their column in the data, as in the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSettings {
    /// Always [`TABLE_SETTINGS_VERSION`].
    pub version: u64,
    #[serde(rename = "type")]
    pub table_type: TableType,
    /// The table's caption (the model's "header").
    pub caption: String,
    /// The heading, in the data, of the column of categories (usually ethnicity).
    pub category_column: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_caption: Option<String>,
    /// Headings, in the data, of the columns to show, in the order to show them.
    pub value_columns: Vec<String>,
    /// Grouped tables only: the heading, in the data, of the column of groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_column: Option<String>,
    /// Grouped tables only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_caption: Option<String>,
    /// The categories in the order to show them; without it, the order of the data. When
    /// given it must list exactly the categories in the data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_order: Option<Vec<String>>,
    /// Grouped tables only: the groups in the order to show them, like `category_order`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_order: Option<Vec<String>>,
}

/// Why stored JSON (table settings or a table) cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("The {what} are not valid JSON: {detail}")]
    Json { what: &'static str, detail: String },
    #[error("The {what} must be a JSON object.")]
    NotAnObject { what: &'static str },
    #[error("The {what} have no \"version\". Version {supported} is the one this publisher reads.")]
    MissingVersion { what: &'static str, supported: u64 },
    #[error(
        "The {what} are version {found}, which this publisher cannot read. It reads version \
         {supported} only."
    )]
    UnsupportedVersion {
        what: &'static str,
        found: String,
        supported: u64,
    },
    /// An unknown field, an unknown table type, a missing or mistyped field: serde's message
    /// names it.
    #[error("The {what} are not valid: {detail}")]
    Invalid { what: &'static str, detail: String },
    /// A setting that does not fit the table type, or an empty one.
    #[error("The table settings are not valid: {0}")]
    Rule(String),
}

/// Why a table cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TableError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// A problem in the data, naming the row and column.
    #[error(transparent)]
    Data(#[from] GridError),
}

const SETTINGS: &str = "table settings";
const TABLE: &str = "table data";

/// Parses versioned JSON: the version first, so that a newer format is reported as such and
/// not as a list of unknown fields.
fn parse_versioned<T: serde::de::DeserializeOwned>(
    json: &str,
    what: &'static str,
    supported: u64,
) -> Result<T, SettingsError> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|error| SettingsError::Json {
            what,
            detail: error.to_string(),
        })?;
    let object = value
        .as_object()
        .ok_or(SettingsError::NotAnObject { what })?;
    match object.get("version") {
        None => return Err(SettingsError::MissingVersion { what, supported }),
        Some(version) if version.as_u64() == Some(supported) => {}
        Some(version) => {
            return Err(SettingsError::UnsupportedVersion {
                what,
                found: version.to_string(),
                supported,
            });
        }
    }
    serde_json::from_value(value).map_err(|error| SettingsError::Invalid {
        what,
        detail: error.to_string(),
    })
}

fn to_json<T: Serialize>(value: &T) -> String {
    // Only strings, numbers and enums: serialising cannot fail (serde_json fails only on
    // maps with non-string keys and on failing Serialize impls, and we have neither).
    serde_json::to_string(value).expect("serialising plain data to JSON cannot fail")
}

impl TableSettings {
    /// Reads stored settings, refusing unknown versions, unknown fields and settings that do
    /// not fit the table type.
    pub fn from_json(json: &str) -> Result<TableSettings, SettingsError> {
        let settings: TableSettings = parse_versioned(json, SETTINGS, TABLE_SETTINGS_VERSION)?;
        settings.validate()?;
        Ok(settings)
    }

    pub fn to_json(&self) -> String {
        to_json(self)
    }

    /// Checks the settings on their own (the data is checked by [`build_table`]).
    pub fn validate(&self) -> Result<(), SettingsError> {
        let rule = |message: String| Err(SettingsError::Rule(message));
        if self.version != TABLE_SETTINGS_VERSION {
            return Err(SettingsError::UnsupportedVersion {
                what: SETTINGS,
                found: self.version.to_string(),
                supported: TABLE_SETTINGS_VERSION,
            });
        }
        if self.caption.trim().is_empty() {
            return rule("the table needs a caption, which says what it shows.".into());
        }
        if self.category_column.trim().is_empty() {
            return rule("choose the column of categories (for example, ethnicity).".into());
        }
        if self.value_columns.is_empty() {
            return rule("choose at least one column of values to show.".into());
        }
        if let Some(duplicate) = first_duplicate(&self.value_columns) {
            return rule(format!("the value column “{duplicate}” is chosen twice."));
        }
        let is_value_column = |heading: &str| self.value_columns.iter().any(|c| same(c, heading));
        if is_value_column(&self.category_column) {
            return rule(format!(
                "“{}” is the column of categories, so it cannot also be a value column.",
                self.category_column
            ));
        }
        match self.table_type {
            TableType::Simple => {
                for (name, present) in [
                    ("group_column", self.group_column.is_some()),
                    ("group_caption", self.group_caption.is_some()),
                    ("group_order", self.group_order.is_some()),
                ] {
                    if present {
                        return rule(format!(
                            "a simple table has no groups, so it cannot have a {name}. Make \
                             the table grouped, or remove the {name}."
                        ));
                    }
                }
            }
            TableType::Grouped => {
                let Some(group_column) = self.group_column.as_deref() else {
                    return rule(
                        "a grouped table needs a group_column: the column whose values head \
                         the groups (for example, sex or year)."
                            .into(),
                    );
                };
                if group_column.trim().is_empty() {
                    return rule("the group_column is empty. Choose the column of groups.".into());
                }
                if same(group_column, &self.category_column) {
                    return rule(format!(
                        "“{group_column}” is both the column of categories and the column of \
                         groups. Choose two different columns."
                    ));
                }
                if is_value_column(group_column) {
                    return rule(format!(
                        "“{group_column}” is the column of groups, so it cannot also be a value \
                         column."
                    ));
                }
            }
        }
        for (name, order) in [
            ("category_order", &self.category_order),
            ("group_order", &self.group_order),
        ] {
            if let Some(order) = order {
                if order.iter().any(|label| label.trim().is_empty()) {
                    return rule(format!("the {name} has an empty entry."));
                }
                if let Some(duplicate) = first_duplicate(order) {
                    return rule(format!("the {name} lists “{duplicate}” twice."));
                }
            }
        }
        Ok(())
    }
}

/// Labels that readers would take for the same: compared without case, and with runs of
/// spaces counted as one.
fn label_key(label: &str) -> String {
    label
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn same(a: &str, b: &str) -> bool {
    label_key(a) == label_key(b)
}

fn first_duplicate(labels: &[String]) -> Option<&str> {
    let mut seen = HashSet::new();
    labels
        .iter()
        .find(|label| !seen.insert(label_key(label)))
        .map(String::as_str)
}

/// A figure in a table: a number or one of the model's special values. A table has no empty
/// or text cells; [`build_table`] refuses them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TableValue {
    /// `text` is what the editor wrote (without thousands separators), shown as written.
    Number {
        value: f64,
        text: String,
    },
    Special {
        code: SpecialValue,
    },
}

impl TableValue {
    pub fn number(&self) -> Option<f64> {
        match self {
            TableValue::Number { value, .. } => Some(*value),
            TableValue::Special { .. } => None,
        }
    }

    pub fn special(&self) -> Option<SpecialValue> {
        match self {
            TableValue::Number { .. } => None,
            TableValue::Special { code } => Some(*code),
        }
    }

    /// What a CSV download holds: the number as written, or the special value's code.
    pub fn csv_text(&self) -> &str {
        match self {
            TableValue::Number { text, .. } => text,
            TableValue::Special { code } => code.code(),
        }
    }
}

impl fmt::Display for TableValue {
    /// What readers see in the cell.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TableValue::Number { text, .. } => formatter.write_str(text),
            TableValue::Special { code } => formatter.write_str(code.display()),
        }
    }
}

/// One category and its figures, one per value column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableRow {
    pub category: String,
    pub values: Vec<TableValue>,
}

/// The rows of one group, in the table's category order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableGroup {
    pub group: String,
    pub data: Vec<TableRow>,
}

/// A simple table: one row per category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimpleTable {
    pub version: u64,
    /// The caption.
    pub header: String,
    /// The heading of the category column in the data.
    pub category: String,
    pub category_caption: String,
    /// The value columns' headings, in display order.
    pub columns: Vec<String>,
    pub data: Vec<TableRow>,
}

/// A grouped table: the value columns repeated under each group. Every group has every
/// category, in the same order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupedTable {
    pub version: u64,
    pub header: String,
    pub category: String,
    pub category_caption: String,
    pub columns: Vec<String>,
    /// The heading of the group column in the data.
    pub group: String,
    pub group_caption: String,
    /// The groups' names, in display order.
    pub group_columns: Vec<String>,
    pub groups: Vec<TableGroup>,
}

/// A built table, as stored in `dimension_table.table_object`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Table {
    Simple(SimpleTable),
    Grouped(GroupedTable),
}

impl Table {
    /// Reads a stored table, refusing unknown versions and fields.
    pub fn from_json(json: &str) -> Result<Table, SettingsError> {
        parse_versioned(json, TABLE, TABLE_FORMAT_VERSION)
    }

    pub fn to_json(&self) -> String {
        to_json(self)
    }

    pub fn table_type(&self) -> TableType {
        match self {
            Table::Simple(_) => TableType::Simple,
            Table::Grouped(_) => TableType::Grouped,
        }
    }

    /// The caption.
    pub fn header(&self) -> &str {
        match self {
            Table::Simple(table) => &table.header,
            Table::Grouped(table) => &table.header,
        }
    }

    pub fn category_caption(&self) -> &str {
        match self {
            Table::Simple(table) => &table.category_caption,
            Table::Grouped(table) => &table.category_caption,
        }
    }

    /// The value columns' headings, in display order.
    pub fn columns(&self) -> &[String] {
        match self {
            Table::Simple(table) => &table.columns,
            Table::Grouped(table) => &table.columns,
        }
    }

    /// The categories in display order (for a grouped table, the categories every group
    /// has): what classification detection looks at when the categories are ethnicities.
    pub fn categories(&self) -> Vec<&str> {
        let rows = match self {
            Table::Simple(table) => &table.data,
            Table::Grouped(table) => match table.groups.first() {
                Some(group) => &group.data,
                None => return Vec::new(),
            },
        };
        rows.iter().map(|row| row.category.as_str()).collect()
    }

    /// The groups of a grouped table in display order (none for a simple table): what
    /// classification detection looks at when the groups are the ethnicities.
    pub fn groups(&self) -> &[String] {
        match self {
            Table::Simple(_) => &[],
            Table::Grouped(table) => &table.group_columns,
        }
    }

    /// Every value in the table, in reading order.
    pub fn values(&self) -> impl Iterator<Item = &TableValue> {
        let rows: Box<dyn Iterator<Item = &TableRow>> = match self {
            Table::Simple(table) => Box::new(table.data.iter()),
            Table::Grouped(table) => Box::new(table.groups.iter().flat_map(|g| g.data.iter())),
        };
        rows.flat_map(|row| row.values.iter())
    }

    /// The special values the table uses, in legend order: what the legend under it lists.
    pub fn special_values(&self) -> Vec<SpecialValue> {
        let used: BTreeSet<SpecialValue> = self.values().filter_map(TableValue::special).collect();
        SpecialValue::ALL
            .into_iter()
            .filter(|special| used.contains(special))
            .collect()
    }
}

/// One data row as read from the grid.
struct ReadRow {
    row_index: usize,
    group: Option<String>,
    category: String,
    values: Vec<TableValue>,
}

/// Builds a table from a grid. Errors name the row and column of the first problem: an
/// unknown column, an empty category or group, a missing or non-numeric value, a category
/// given twice (within a group), a category missing from a group, or an order that does not
/// list the data's categories.
///
/// ```
/// use almanac_figures::{Grid, TableSettings, build_table};
///
/// let grid = Grid::from_pasted("Ethnicity\t%\nAsian\t12.50\nBlack\t?\n")?;
/// let settings = TableSettings::from_json(
///     r#"{"version": 1, "type": "simple", "caption": "Employment rate",
///         "category_column": "Ethnicity", "value_columns": ["%"]}"#,
/// )?;
/// let table = build_table(&grid, &settings)?;
/// assert_eq!(table.dimension_rows(), [["Ethnicity", "%"], ["Asian", "12.50"], ["Black", "?"]]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn build_table(grid: &Grid, settings: &TableSettings) -> Result<Table, TableError> {
    settings.validate()?;
    let category_index = grid.require_column(&settings.category_column)?;
    let group_index = match settings.group_column.as_deref() {
        Some(heading) => Some(grid.require_column(heading)?),
        None => None,
    };
    let value_indexes = settings
        .value_columns
        .iter()
        .map(|heading| grid.require_column(heading))
        .collect::<Result<Vec<_>, _>>()?;

    let rows = read_rows(grid, category_index, group_index, &value_indexes)?;
    let categories = ordered_labels(
        grid,
        category_index,
        rows.iter()
            .map(|row| (row.row_index, row.category.as_str())),
        settings.category_order.as_deref(),
        "category_order",
    )?;
    let heading = |index: usize| grid.headings()[index].clone();
    let category_caption = caption_or(&settings.category_caption, &heading(category_index));
    let columns: Vec<String> = value_indexes.iter().map(|&i| heading(i)).collect();

    let Some(group_index) = group_index else {
        let mut by_category: HashMap<String, ReadRow> = rows
            .into_iter()
            .map(|row| (label_key(&row.category), row))
            .collect();
        let data = categories
            .iter()
            .filter_map(|category| by_category.remove(&label_key(category)))
            .map(|row| TableRow {
                category: row.category,
                values: row.values,
            })
            .collect();
        return Ok(Table::Simple(SimpleTable {
            version: TABLE_FORMAT_VERSION,
            header: settings.caption.trim().to_owned(),
            category: heading(category_index),
            category_caption,
            columns,
            data,
        }));
    };

    let groups = ordered_labels(
        grid,
        group_index,
        rows.iter()
            .map(|row| (row.row_index, row.group.as_deref().unwrap_or_default())),
        settings.group_order.as_deref(),
        "group_order",
    )?;
    let mut by_group_and_category: HashMap<(String, String), ReadRow> = rows
        .into_iter()
        .map(|row| {
            let key = (
                label_key(row.group.as_deref().unwrap_or_default()),
                label_key(&row.category),
            );
            (key, row)
        })
        .collect();
    let mut table_groups = Vec::with_capacity(groups.len());
    for group in &groups {
        let mut data = Vec::with_capacity(categories.len());
        for category in &categories {
            let key = (label_key(group), label_key(category));
            let Some(row) = by_group_and_category.remove(&key) else {
                return Err(GridError {
                    row: None,
                    column: Some(category_index + 1),
                    heading: Some(heading(category_index)),
                    message: format!(
                        "there is no row for “{category}” in the group “{group}”. A grouped \
                         table needs a row for every category in every group; for a figure \
                         that does not exist, add the row with a code such as n/a."
                    ),
                }
                .into());
            };
            data.push(TableRow {
                category: row.category,
                values: row.values,
            });
        }
        table_groups.push(TableGroup {
            group: group.clone(),
            data,
        });
    }
    Ok(Table::Grouped(GroupedTable {
        version: TABLE_FORMAT_VERSION,
        header: settings.caption.trim().to_owned(),
        category: heading(category_index),
        category_caption,
        columns,
        group: heading(group_index),
        group_caption: caption_or(&settings.group_caption, &heading(group_index)),
        group_columns: groups,
        groups: table_groups,
    }))
}

fn caption_or(caption: &Option<String>, heading: &str) -> String {
    match caption.as_deref().map(str::trim) {
        Some(caption) if !caption.is_empty() => caption.to_owned(),
        _ => heading.to_owned(),
    }
}

fn read_rows(
    grid: &Grid,
    category_index: usize,
    group_index: Option<usize>,
    value_indexes: &[usize],
) -> Result<Vec<ReadRow>, GridError> {
    let special_codes = SpecialValue::ALL
        .iter()
        .map(|s| s.code())
        .collect::<Vec<_>>()
        .join(", ");
    // Where each (group, category) was first seen, to report duplicates by row.
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let mut rows = Vec::with_capacity(grid.rows().len());
    for (row_index, cells) in grid.rows().iter().enumerate() {
        let label = |index: usize, what: &str| {
            let text = cells[index].as_str();
            if text.is_empty() {
                Err(grid.cell_error(
                    row_index,
                    index,
                    format!("the {what} is empty. Every row needs one."),
                ))
            } else {
                Ok(text.to_owned())
            }
        };
        let category = label(category_index, "category")?;
        let group = match group_index {
            Some(index) => Some(label(index, "group")?),
            None => None,
        };
        let key = (
            group.as_deref().map(label_key).unwrap_or_default(),
            label_key(&category),
        );
        if let Some(&first) = seen.get(&key) {
            let within = match &group {
                Some(group) => format!(" in the group “{group}”"),
                None => String::new(),
            };
            return Err(grid.cell_error(
                row_index,
                category_index,
                format!(
                    "“{category}” is already in row {}{within}. Every category can appear only \
                     once{}.",
                    first + 2,
                    if group.is_some() { " per group" } else { "" }
                ),
            ));
        }
        seen.insert(key, row_index);
        let mut values = Vec::with_capacity(value_indexes.len());
        for &index in value_indexes {
            let value = match grid.value(row_index, index)? {
                CellValue::Number { value, text } => TableValue::Number { value, text },
                CellValue::Special { code } => TableValue::Special { code },
                CellValue::Empty => {
                    return Err(grid.cell_error(
                        row_index,
                        index,
                        format!(
                            "the cell is empty. Write the figure, or one of the codes \
                             {special_codes} to say why there is none."
                        ),
                    ));
                }
                // `Grid::value` reports text itself; kept as an error in case it changes.
                CellValue::Text { text } => {
                    return Err(grid.cell_error(
                        row_index,
                        index,
                        format!("“{text}” is not a number."),
                    ));
                }
            };
            values.push(value);
        }
        rows.push(ReadRow {
            row_index,
            group,
            category,
            values,
        });
    }
    Ok(rows)
}

/// The distinct labels of a column in display order: the explicit order when there is one
/// (which must list exactly the labels in the data), else the order of first appearance.
fn ordered_labels<'a>(
    grid: &Grid,
    column_index: usize,
    labels: impl Iterator<Item = (usize, &'a str)>,
    order: Option<&[String]>,
    order_name: &str,
) -> Result<Vec<String>, GridError> {
    // Each distinct label (by `label_key`) with the row where it first appears.
    let mut in_data: Vec<(usize, &str)> = Vec::new();
    let mut by_key: HashMap<String, &str> = HashMap::new();
    for (row_index, label) in labels {
        if let Entry::Vacant(entry) = by_key.entry(label_key(label)) {
            entry.insert(label);
            in_data.push((row_index, label));
        }
    }
    let Some(order) = order else {
        return Ok(in_data
            .iter()
            .map(|(_, label)| (*label).to_owned())
            .collect());
    };
    let order_keys: HashSet<String> = order.iter().map(|entry| label_key(entry)).collect();
    if let Some((row_index, label)) = in_data
        .iter()
        .find(|(_, label)| !order_keys.contains(&label_key(label)))
    {
        return Err(grid.cell_error(
            *row_index,
            column_index,
            format!("“{label}” is not in the {order_name}. Add it to the order, or remove it."),
        ));
    }
    if let Some(entry) = order
        .iter()
        .find(|entry| !by_key.contains_key(&label_key(entry)))
    {
        return Err(GridError {
            row: None,
            column: Some(column_index + 1),
            heading: grid.headings().get(column_index).cloned(),
            message: format!(
                "the {order_name} lists “{entry}”, which is not in the data. Remove it from \
                 the order."
            ),
        });
    }
    // The data's spelling wins: the order only says where each label goes.
    Ok(order
        .iter()
        .filter_map(|entry| {
            by_key
                .get(&label_key(entry))
                .map(|label| (*label).to_owned())
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIMPLE_SETTINGS: &str = r#"{
        "version": 1,
        "type": "simple",
        "caption": "Employment rate by ethnicity",
        "category_column": "Ethnicity",
        "category_caption": "Ethnic group",
        "value_columns": ["Number of people", "%"]
    }"#;

    const GROUPED_SETTINGS: &str = r#"{
        "version": 1,
        "type": "grouped",
        "caption": "Employment rate by ethnicity and sex",
        "category_column": "Ethnicity",
        "category_caption": "Ethnic group",
        "group_column": "Sex",
        "group_caption": "Sex",
        "value_columns": ["%", "Number of people"],
        "group_order": ["Women", "Men"]
    }"#;

    fn grid(text: &str) -> Grid {
        Grid::from_pasted(text).unwrap()
    }

    fn simple_grid() -> Grid {
        grid(
            "Ethnicity\t%\tNumber of people\tNotes\n\
             Asian\t12.50\t1,234\tsurvey\n\
             Black\t-3.5\t?\t\n\
             White\tn/a\t!\t\n",
        )
    }

    fn grouped_grid() -> Grid {
        grid(
            "Ethnicity\tSex\t%\tNumber of people\n\
             Asian\tMen\t70\t1,000\n\
             Asian\tWomen\t60\t~0\n\
             Black\tMen\t65\t900\n\
             Black\tWomen\t-\t850\n",
        )
    }

    fn settings(json: &str) -> TableSettings {
        TableSettings::from_json(json).unwrap()
    }

    fn error_of(json: &str) -> String {
        TableSettings::from_json(json).unwrap_err().to_string()
    }

    #[test]
    fn settings_round_trip_through_json() {
        for json in [SIMPLE_SETTINGS, GROUPED_SETTINGS] {
            let parsed = settings(json);
            assert_eq!(TableSettings::from_json(&parsed.to_json()).unwrap(), parsed);
        }
        let grouped = settings(GROUPED_SETTINGS);
        assert_eq!(grouped.table_type, TableType::Grouped);
        assert_eq!(grouped.group_order.as_deref().unwrap(), ["Women", "Men"]);
    }

    #[test]
    fn unknown_versions_and_settings_are_refused_by_name() {
        let with = |from: &str, to: &str| {
            assert!(SIMPLE_SETTINGS.contains(from));
            SIMPLE_SETTINGS.replace(from, to)
        };
        let error = error_of(&with(r#""version": 1"#, r#""version": 2"#));
        assert_eq!(
            error,
            "The table settings are version 2, which this publisher cannot read. It reads \
             version 1 only."
        );
        assert!(error_of(&with(r#""version": 1"#, r#""version": "1""#)).contains("version \"1\""));
        assert!(error_of(&with(r#""version": 1,"#, "")).contains("have no \"version\""));
        let error = error_of(&with(r#""type""#, r#""footer": "x", "type""#));
        assert!(error.contains("unknown field `footer`"), "{error}");
        let error = error_of(&with(r#""simple""#, r#""pie""#));
        assert!(error.contains("unknown variant `pie`"), "{error}");
        assert!(error_of("[1]").contains("must be a JSON object"));
        assert!(error_of("{").contains("not valid JSON"));
    }

    #[test]
    fn each_type_has_its_own_rules() {
        let simple_with_group =
            SIMPLE_SETTINGS.replace(r#""type""#, r#""group_column": "Sex", "type""#);
        let error = error_of(&simple_with_group);
        assert!(error.contains("a simple table has no groups"), "{error}");
        let grouped_without_group = GROUPED_SETTINGS.replace(r#""group_column": "Sex","#, "");
        let error = error_of(&grouped_without_group);
        assert!(
            error.contains("a grouped table needs a group_column"),
            "{error}"
        );
        let same_column =
            GROUPED_SETTINGS.replace(r#""group_column": "Sex""#, r#""group_column": "ethnicity""#);
        assert!(
            error_of(&same_column)
                .contains("both the column of categories and the column of groups")
        );
        let no_caption = SIMPLE_SETTINGS.replace("Employment rate by ethnicity", " ");
        assert!(error_of(&no_caption).contains("needs a caption"));
        let no_values = SIMPLE_SETTINGS.replace(r#"["Number of people", "%"]"#, "[]");
        assert!(error_of(&no_values).contains("at least one column of values"));
        let twice = SIMPLE_SETTINGS.replace(r#"["Number of people", "%"]"#, r#"["%", "%"]"#);
        assert!(error_of(&twice).contains("“%” is chosen twice"));
        let category_as_value =
            SIMPLE_SETTINGS.replace(r#"["Number of people", "%"]"#, r#"["Ethnicity"]"#);
        assert!(error_of(&category_as_value).contains("cannot also be a value column"));
    }

    #[test]
    fn a_simple_table_keeps_the_chosen_column_order_and_the_editors_numbers() {
        let table = build_table(&simple_grid(), &settings(SIMPLE_SETTINGS)).unwrap();
        let Table::Simple(simple) = &table else {
            panic!("{table:?}")
        };
        assert_eq!(simple.columns, ["Number of people", "%"]);
        assert_eq!(simple.category_caption, "Ethnic group");
        assert_eq!(simple.category, "Ethnicity");
        assert_eq!(simple.data[0].category, "Asian");
        assert_eq!(
            simple.data[0].values,
            [
                TableValue::Number {
                    value: 1234.0,
                    text: "1234".into()
                },
                TableValue::Number {
                    value: 12.5,
                    text: "12.50".into()
                },
            ]
        );
        assert_eq!(
            simple.data[1].values[0].special(),
            Some(SpecialValue::WithheldSmallSample)
        );
        assert_eq!(simple.data[1].values[1].number(), Some(-3.5));
        assert_eq!(table.categories(), ["Asian", "Black", "White"]);
        assert_eq!(
            table.special_values(),
            [
                SpecialValue::NotApplicable,
                SpecialValue::WithheldSmallSample,
                SpecialValue::WithheldConfidential
            ]
        );
    }

    #[test]
    fn a_missing_caption_falls_back_to_the_column_heading() {
        let json = SIMPLE_SETTINGS.replace(r#""category_caption": "Ethnic group","#, "");
        let table = build_table(&simple_grid(), &settings(&json)).unwrap();
        assert_eq!(table.category_caption(), "Ethnicity");
    }

    fn data_error(data: &str, json: &str) -> GridError {
        match build_table(&grid(data), &settings(json)) {
            Err(TableError::Data(error)) => error,
            other => panic!("expected a data error, got {other:?}"),
        }
    }

    #[test]
    fn data_errors_name_the_row_and_column() {
        let error = data_error(
            "Ethnicity\t%\tNumber of people\nAsian\t1\t2\nBlack\tlots\t3\n",
            SIMPLE_SETTINGS,
        );
        assert_eq!((error.row, error.column), (Some(3), Some(2)));
        assert!(
            error
                .to_string()
                .starts_with("Row 3, column 2 (“%”): “lots” is not a number."),
            "{error}"
        );

        let error = data_error(
            "Ethnicity\t%\tNumber of people\nAsian\t1\t2\nBlack\t\t3\n",
            SIMPLE_SETTINGS,
        );
        assert_eq!((error.row, error.column), (Some(3), Some(2)));
        assert!(error.message.contains("the cell is empty"), "{error}");

        let error = data_error(
            "Ethnicity\t%\tNumber of people\nAsian\t1\t2\nasian \t4\t3\n",
            SIMPLE_SETTINGS,
        );
        assert_eq!((error.row, error.column), (Some(3), Some(1)));
        assert!(error.message.contains("already in row 2"), "{error}");

        let error = data_error("Ethnicity\t%\tNumber of people\n\t1\t2\n", SIMPLE_SETTINGS);
        assert_eq!((error.row, error.column), (Some(2), Some(1)));

        let error = data_error(
            "Ethnicity\tPercent\tNumber of people\nAsian\t1\t2\n",
            SIMPLE_SETTINGS,
        );
        assert_eq!(error.row, None);
        assert!(
            error.to_string().contains("no column headed “%”"),
            "{error}"
        );
    }

    #[test]
    fn a_grouped_table_puts_every_value_column_under_each_group_in_order() {
        let table = build_table(&grouped_grid(), &settings(GROUPED_SETTINGS)).unwrap();
        let Table::Grouped(grouped) = &table else {
            panic!("{table:?}")
        };
        assert_eq!(
            grouped.group_columns,
            ["Women", "Men"],
            "the explicit group order"
        );
        assert_eq!(grouped.groups[0].group, "Women");
        assert_eq!(grouped.groups[0].data[1].category, "Black");
        assert_eq!(
            grouped.groups[0].data[1].values[0].special(),
            Some(SpecialValue::NotCollected)
        );
        assert_eq!(table.categories(), ["Asian", "Black"]);
        assert_eq!(table.groups(), ["Women", "Men"]);
        insta::assert_json_snapshot!("grouped_table_object", table);
        assert_eq!(Table::from_json(&table.to_json()).unwrap(), table);
    }

    #[test]
    fn grouped_data_errors() {
        let duplicate = "Ethnicity\tSex\t%\tNumber of people\n\
                         Asian\tMen\t1\t2\nAsian\tWomen\t1\t2\nAsian\tMen\t3\t4\n";
        let error = data_error(duplicate, GROUPED_SETTINGS);
        assert_eq!((error.row, error.column), (Some(4), Some(1)));
        assert!(
            error
                .message
                .contains("already in row 2 in the group “Men”"),
            "{error}"
        );

        let missing = "Ethnicity\tSex\t%\tNumber of people\n\
                       Asian\tMen\t1\t2\nAsian\tWomen\t1\t2\nBlack\tMen\t3\t4\n";
        let error = data_error(missing, GROUPED_SETTINGS);
        assert_eq!(error.column, Some(1));
        assert!(
            error
                .message
                .contains("no row for “Black” in the group “Women”"),
            "{error}"
        );

        let unknown_group = "Ethnicity\tSex\t%\tNumber of people\n\
                             Asian\tMen\t1\t2\nAsian\tWomen\t1\t2\nAsian\tOther\t3\t4\n";
        let error = data_error(unknown_group, GROUPED_SETTINGS);
        assert_eq!((error.row, error.column), (Some(4), Some(2)));
        assert!(
            error.message.contains("“Other” is not in the group_order"),
            "{error}"
        );

        let json = GROUPED_SETTINGS.replace(r#"["Women", "Men"]"#, r#"["Women", "Men", "All"]"#);
        let error = data_error(&grouped_grid_text(), &json);
        assert!(
            error
                .message
                .contains("lists “All”, which is not in the data"),
            "{error}"
        );
    }

    fn grouped_grid_text() -> String {
        "Ethnicity\tSex\t%\tNumber of people\n\
         Asian\tMen\t70\t1,000\nAsian\tWomen\t60\t~0\nBlack\tMen\t65\t900\nBlack\tWomen\t-\t850\n"
            .to_owned()
    }

    #[test]
    fn an_explicit_category_order_keeps_the_datas_spelling() {
        let json = SIMPLE_SETTINGS.replace(
            r#""value_columns""#,
            r#""category_order": ["white", "Asian", "BLACK"], "value_columns""#,
        );
        let table = build_table(&simple_grid(), &settings(&json)).unwrap();
        assert_eq!(table.categories(), ["White", "Asian", "Black"]);
    }

    #[test]
    fn the_largest_table_a_grid_allows_builds_in_its_order() {
        let mut rows = vec![vec!["Area".to_owned(), "%".to_owned()]];
        rows.extend((0..crate::grid::MAX_ROWS).map(|i| vec![format!("Area {i}"), i.to_string()]));
        let grid = Grid::from_rows(rows).unwrap();
        let json = r#"{"version": 1, "type": "simple", "caption": "Every area",
                       "category_column": "Area", "value_columns": ["%"]}"#;
        let table = build_table(&grid, &settings(json)).unwrap();
        let categories = table.categories();
        assert_eq!(categories.len(), crate::grid::MAX_ROWS);
        assert_eq!(categories[4_999], "Area 4999");
    }

    #[test]
    fn a_stored_table_of_an_unknown_version_or_with_unknown_fields_is_refused() {
        let table = build_table(&simple_grid(), &settings(SIMPLE_SETTINGS)).unwrap();
        let json = table.to_json();
        assert!(
            json.starts_with(r#"{"type":"simple","version":1,"#),
            "{json}"
        );
        let error =
            Table::from_json(&json.replace(r#""version":1"#, r#""version":7"#)).unwrap_err();
        assert!(
            matches!(error, SettingsError::UnsupportedVersion { .. }),
            "{error}"
        );
        let error =
            Table::from_json(&json.replace(r#""version":1"#, r#""version":1,"footer":"x""#))
                .unwrap_err();
        assert!(
            error.to_string().contains("unknown field `footer`"),
            "{error}"
        );
    }
}
