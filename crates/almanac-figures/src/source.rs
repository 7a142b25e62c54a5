//! What a dimension's chart or table is made from, as stored in its
//! `settings_and_source_data` column: the editor's settings, the data they pasted or chose,
//! and where the data came from. Storing the data with the settings lets an editor reopen
//! the builder exactly where they left it, and lets a new renderer rebuild the figure.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::grid::Grid;

/// The version of this stored format.
pub const SOURCE_VERSION: u32 = 1;

/// Where the data of a figure came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DataOrigin {
    /// Pasted from a spreadsheet into the builder.
    Pasted,
    /// Read from one of the version's source-data uploads, by its stored file name.
    Upload { file_name: String },
}

/// Settings (`S` is `TableSettings` or the charts crate's `ChartSettings`) plus their data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FigureSource<S> {
    pub version: u32,
    pub settings: S,
    pub data: Grid,
    pub origin: DataOrigin,
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("the stored figure source cannot be read: {0}")]
    NotReadable(String),
    #[error(
        "the stored figure source has version {0}; this release reads version {SOURCE_VERSION}"
    )]
    UnsupportedVersion(u32),
}

impl<S: Serialize + DeserializeOwned> FigureSource<S> {
    pub fn new(settings: S, data: Grid, origin: DataOrigin) -> FigureSource<S> {
        FigureSource {
            version: SOURCE_VERSION,
            settings,
            data,
            origin,
        }
    }

    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("settings and grids always serialise")
    }

    /// Reads a stored source; an unknown version or field is an error, never a guess.
    pub fn from_value(value: &serde_json::Value) -> Result<FigureSource<S>, SourceError> {
        let version = value.get("version").and_then(serde_json::Value::as_u64);
        if let Some(version) = version.filter(|&v| v != u64::from(SOURCE_VERSION)) {
            return Err(SourceError::UnsupportedVersion(
                u32::try_from(version).unwrap_or(u32::MAX),
            ));
        }
        serde_json::from_value(value.clone())
            .map_err(|error| SourceError::NotReadable(error.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::TableSettings;

    fn settings() -> TableSettings {
        TableSettings::from_json(
            r#"{"version":1,"type":"simple","caption":"Rates","category_column":"Ethnicity","value_columns":["Value"]}"#,
        )
        .unwrap()
    }

    #[test]
    fn a_source_round_trips() {
        let grid = Grid::from_pasted("Ethnicity\tValue\nWhite\t1\n").unwrap();
        let source = FigureSource::new(
            settings(),
            grid,
            DataOrigin::Upload {
                file_name: "rates.csv".into(),
            },
        );
        let read: FigureSource<TableSettings> =
            FigureSource::from_value(&source.to_value()).unwrap();
        assert_eq!(read, source);
    }

    #[test]
    fn unknown_versions_and_fields_are_refused() {
        let grid = Grid::from_pasted("Ethnicity\tValue\nWhite\t1\n").unwrap();
        let mut value = FigureSource::new(settings(), grid, DataOrigin::Pasted).to_value();
        value["extra"] = serde_json::json!(true);
        assert!(matches!(
            FigureSource::<TableSettings>::from_value(&value),
            Err(SourceError::NotReadable(_))
        ));
        value["version"] = serde_json::json!(2);
        assert!(matches!(
            FigureSource::<TableSettings>::from_value(&value),
            Err(SourceError::UnsupportedVersion(2))
        ));
    }
}
