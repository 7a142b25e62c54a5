//! What the table and chart builders share: the submitted fields, step 1 (the data, pasted or
//! from a source-data upload), the classification fieldset, and preview fragments.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use almanac_content::pages::MeasurePage;
use almanac_editorial::dimensions::{ClassificationChoice, FigureDetection};
use almanac_editorial::uploads;
use almanac_figures::{ClassificationFlags, ClassificationMatch, Classifier, DataOrigin, Grid};
use almanac_uploads::StoreKey;

use crate::AppState;
use crate::error::AppError;
use crate::pages::FormErrors;

/// A submitted builder form, as its name–value pairs (value columns repeat).
#[derive(Debug, Default, Clone)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
            .unwrap_or("")
    }

    /// Whether a checkbox was ticked.
    pub fn checked(&self, name: &str) -> bool {
        !self.get(name).is_empty()
    }
}

/// Lines of a textarea, trimmed, blank ones left out; none when there are none.
pub fn lines(text: &str) -> Option<Vec<String>> {
    let lines: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    (!lines.is_empty()).then_some(lines)
}

pub fn non_blank(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// A grid as spreadsheet text (tab-separated, quoted where a cell needs it), which
/// `Grid::from_pasted` reads back as the same grid.
pub fn grid_text(grid: &Grid) -> String {
    fn cell(text: &str) -> String {
        if text.contains(['\t', '\n', '\r', '"']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_owned()
        }
    }
    let mut out = String::new();
    for row in std::iter::once(grid.headings()).chain(grid.rows().iter().map(Vec::as_slice)) {
        out.push_str(&row.iter().map(|c| cell(c)).collect::<Vec<_>>().join("\t"));
        out.push('\n');
    }
    out
}

/// Step 1: where the data comes from, as submitted.
#[derive(Debug, Clone, Default)]
pub struct DataStep {
    /// "paste" or "upload".
    pub source: String,
    pub pasted: String,
    /// The stored file name of the chosen upload.
    pub upload_file: String,
}

impl DataStep {
    pub fn from_fields(fields: &Fields) -> DataStep {
        DataStep {
            source: match fields.get("source") {
                "upload" => "upload".to_owned(),
                _ => "paste".to_owned(),
            },
            pasted: fields.get("pasted").to_owned(),
            upload_file: fields.get("upload_file").to_owned(),
        }
    }

    /// As stored: an upload that is still among the version's clean uploads is chosen
    /// again; otherwise the stored data is put in the paste box.
    pub fn from_stored(grid: &Grid, origin: &DataOrigin, uploads: &[UploadOption]) -> DataStep {
        match origin {
            DataOrigin::Upload { file_name }
                if uploads.iter().any(|upload| upload.file_name == *file_name) =>
            {
                DataStep {
                    source: "upload".to_owned(),
                    pasted: String::new(),
                    upload_file: file_name.clone(),
                }
            }
            _ => DataStep {
                source: "paste".to_owned(),
                pasted: grid_text(grid),
                upload_file: String::new(),
            },
        }
    }

    pub fn is_upload(&self) -> bool {
        self.source == "upload"
    }

    /// The field an error in the data belongs to.
    pub fn field(&self) -> &'static str {
        if self.is_upload() {
            "upload_file"
        } else {
            "pasted"
        }
    }

    pub fn origin(&self) -> DataOrigin {
        if self.is_upload() {
            DataOrigin::Upload {
                file_name: self.upload_file.clone(),
            }
        } else {
            DataOrigin::Pasted
        }
    }

    /// Reads the data; a problem is added to `errors` (naming the row and column).
    pub async fn read(
        &self,
        state: &AppState,
        page: &MeasurePage,
        errors: &mut FormErrors,
    ) -> Result<Option<Grid>, AppError> {
        if self.is_upload() {
            if self.upload_file.is_empty() {
                errors.add("upload_file", "Choose a source data file");
                return Ok(None);
            }
            let Some(bytes) = read_upload(state, page, &self.upload_file).await? else {
                errors.add(
                    "upload_file",
                    "The file cannot be read. It may have been removed: choose another.",
                );
                return Ok(None);
            };
            return Ok(match Grid::from_csv(&bytes) {
                Ok(grid) => Some(grid),
                Err(error) => {
                    errors.add("upload_file", format!("In the file: {error}"));
                    None
                }
            });
        }
        if self.pasted.trim().is_empty() {
            errors.add(
                "pasted",
                "Paste the data: copy the cells from your spreadsheet, starting with the \
                 heading row",
            );
            return Ok(None);
        }
        Ok(match Grid::from_pasted(&self.pasted) {
            Ok(grid) => Some(grid),
            Err(error) => {
                errors.add("pasted", error.to_string());
                None
            }
        })
    }
}

/// A clean source-data upload of the version, for the step 1 select.
#[derive(Debug, Clone)]
pub struct UploadOption {
    pub file_name: String,
    pub title: String,
}

pub async fn upload_options(
    state: &AppState,
    page: &MeasurePage,
) -> Result<Vec<UploadOption>, AppError> {
    let version_id = page.version.id;
    let rows = state
        .db
        .run(move |conn| Ok(uploads::list_uploads(conn, version_id)?))
        .await?;
    Ok(rows
        .into_iter()
        .filter(uploads::Upload::is_clean)
        .map(|row| UploadOption {
            file_name: row.file_name,
            title: row.title,
        })
        .collect())
}

/// The bytes of a clean upload of the version, from the file store; none when there is no
/// such clean upload or its file is missing.
async fn read_upload(
    state: &AppState,
    page: &MeasurePage,
    file_name: &str,
) -> Result<Option<Vec<u8>>, AppError> {
    let (version_id, name) = (page.version.id, file_name.to_owned());
    let row = state
        .db
        .run(move |conn| Ok(uploads::find_upload(conn, version_id, &name)?))
        .await?
        .filter(uploads::Upload::is_clean);
    let Some(row) = row else { return Ok(None) };
    let key = StoreKey::new(
        page.version.measure_id,
        page.version.version().to_string(),
        row.file_name,
    );
    Ok(state.files.get(&key).await.ok())
}

/// The classification fieldset, as submitted.
#[derive(Debug, Clone)]
pub struct ClassificationForm {
    /// "detected", "custom" or "none".
    pub choice: String,
    pub code: String,
    pub includes_parents: bool,
    pub includes_all: bool,
    pub includes_unknown: bool,
}

impl Default for ClassificationForm {
    fn default() -> Self {
        ClassificationForm {
            choice: "detected".to_owned(),
            code: String::new(),
            includes_parents: false,
            includes_all: false,
            includes_unknown: false,
        }
    }
}

impl ClassificationForm {
    pub fn from_fields(fields: &Fields) -> ClassificationForm {
        ClassificationForm {
            choice: match fields.get("classification") {
                "custom" => "custom",
                "none" => "none",
                _ => "detected",
            }
            .to_owned(),
            code: fields.get("classification_code").trim().to_owned(),
            includes_parents: fields.checked("includes_parents"),
            includes_all: fields.checked("includes_all"),
            includes_unknown: fields.checked("includes_unknown"),
        }
    }

    /// As stored: the detected classification when it is the stored one, else the stored
    /// one as the editor's own choice.
    pub fn from_stored(
        stored: Option<&ClassificationMatch>,
        detected: Option<&ClassificationMatch>,
    ) -> ClassificationForm {
        match stored {
            None if detected.is_some() => ClassificationForm {
                choice: "none".to_owned(),
                ..ClassificationForm::default()
            },
            None => ClassificationForm::default(),
            Some(stored) if Some(stored) == detected => ClassificationForm::default(),
            Some(stored) => ClassificationForm {
                choice: "custom".to_owned(),
                code: stored.code.clone(),
                includes_parents: stored.includes_parents,
                includes_all: stored.includes_all,
                includes_unknown: stored.includes_unknown,
            },
        }
    }

    /// The choice for the library; a custom choice is checked here so that its error goes
    /// with its field.
    pub fn choice(&self, errors: &mut FormErrors) -> Option<ClassificationChoice> {
        match self.choice.as_str() {
            "none" => Some(ClassificationChoice::None),
            "custom" => {
                if self.code.is_empty() {
                    errors.add("classification_code", "Choose a classification");
                    return None;
                }
                let flags = ClassificationFlags {
                    includes_parents: self.includes_parents,
                    includes_all: self.includes_all,
                    includes_unknown: self.includes_unknown,
                };
                match ClassificationMatch::custom(&self.code, flags) {
                    Ok(_) => Some(ClassificationChoice::Custom {
                        code: self.code.clone(),
                        flags,
                    }),
                    Err(error) => {
                        errors.add("classification_code", error.to_string());
                        None
                    }
                }
            }
            _ => Some(ClassificationChoice::Detected),
        }
    }
}

/// A candidate classification, for the template.
pub struct CandidateView {
    pub label: String,
}

/// What detection found, for the template.
#[derive(Default)]
pub struct DetectionView {
    /// False until there is a figure to detect from.
    pub available: bool,
    /// The finding in one sentence (what the live preview updates).
    pub summary: String,
    /// The other classifications that fit, best first.
    pub candidates: Vec<CandidateView>,
}

fn describe(found: &ClassificationMatch) -> String {
    let mut text = format!("{} ({})", found.name, found.code);
    for (flag, words) in [
        (
            found.includes_parents,
            "includes the broad groups (parents)",
        ),
        (found.includes_all, "includes a total (“All”)"),
        (found.includes_unknown, "includes “Unknown”"),
    ] {
        if flag {
            text.push_str("; ");
            text.push_str(words);
        }
    }
    text
}

/// What detection found, in a sentence or two.
pub fn detection_summary(found: &FigureDetection) -> String {
    let mut text = match &found.detection.best {
        Some(best) => format!(
            "Detected from the column “{}”: {}.",
            found.column,
            describe(best)
        ),
        None => format!(
            "No classification matches the values of the column “{}”.",
            found.column
        ),
    };
    if !found.detection.unrecognised.is_empty() {
        text.push_str(&format!(
            " Not recognised as ethnic groups: {}.",
            found
                .detection
                .unrecognised
                .iter()
                .map(|value| format!("“{value}”"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    text
}

/// The detection summary for a response header (URL-encoded, as headers are ASCII).
pub fn detection_header(found: &FigureDetection) -> HeaderValue {
    let encoded = form_urlencoded::Serializer::new(String::new())
        .append_pair("summary", &detection_summary(found))
        .finish();
    HeaderValue::from_str(&encoded).unwrap_or_else(|_| HeaderValue::from_static(""))
}

impl DetectionView {
    pub fn of(found: &FigureDetection) -> DetectionView {
        DetectionView {
            available: true,
            summary: detection_summary(found),
            candidates: found
                .detection
                .candidates
                .iter()
                .skip(1)
                .map(|candidate| CandidateView {
                    label: describe(&candidate.classification),
                })
                .collect(),
        }
    }
}

/// The known classifications, for the custom select: (code, label, selected).
pub fn classification_options(selected: &str) -> Vec<(String, String, bool)> {
    Classifier::reference()
        .classifications()
        .iter()
        .map(|c| {
            (
                c.code.clone(),
                format!("{} – {}", c.code, c.name),
                c.code.eq_ignore_ascii_case(selected),
            )
        })
        .collect()
}

/// Headings for a column select: (heading, selected).
pub fn column_options(headings: &[String], selected: &str) -> Vec<(String, bool)> {
    headings
        .iter()
        .map(|heading| {
            (
                heading.clone(),
                heading.eq_ignore_ascii_case(selected.trim()),
            )
        })
        .collect()
}

/// Checks that a chosen column is one of the data's headings.
pub fn check_column(
    headings: &[String],
    value: &str,
    field: &'static str,
    errors: &mut FormErrors,
) {
    if !value.trim().is_empty()
        && !headings
            .iter()
            .any(|h| h.eq_ignore_ascii_case(value.trim()))
    {
        errors.add(
            field,
            format!(
                "There is no column headed “{}” in the data. The columns are: {}.",
                value.trim(),
                headings
                    .iter()
                    .map(|h| format!("“{h}”"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
}

/// The field a data error from building a figure belongs to: an order list it names, or
/// the data.
pub fn data_error_field(
    message: &str,
    orders: &[&'static str],
    data: &'static str,
) -> &'static str {
    orders
        .iter()
        .find(|order| message.contains(*order))
        .copied()
        .unwrap_or(data)
}

/// The errors of a live preview, as an HTML fragment (422).
pub fn preview_errors(errors: &FormErrors) -> Response {
    let mut html = String::from(
        "<div class=\"govuk-error-summary\" data-module=\"govuk-error-summary\"><h2 class=\"govuk-error-summary__title\">The preview cannot be shown</h2><div class=\"govuk-error-summary__body\"><ul class=\"govuk-list govuk-error-summary__list\">",
    );
    for (field, message) in errors.all() {
        html.push_str(&format!(
            "<li><a href=\"#{field}\">{}</a></li>",
            escape(message)
        ));
    }
    html.push_str("</ul></div></div>");
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        html,
    )
        .into_response()
}

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_text_reads_back_as_the_same_grid() {
        let grid = Grid::from_pasted(
            "Ethnicity\tValue\n\"Mixed\nWhite and Asian\"\t4\n\"Say \"\"no\"\"\"\t1\n",
        )
        .unwrap();
        assert_eq!(Grid::from_pasted(&grid_text(&grid)).unwrap(), grid);
    }

    #[test]
    fn order_errors_go_with_their_field() {
        assert_eq!(
            data_error_field(
                "Column 1: the category_order lists “X”",
                &["category_order", "group_order"],
                "pasted"
            ),
            "category_order"
        );
        assert_eq!(
            data_error_field("Row 2, column 2", &["category_order"], "pasted"),
            "pasted"
        );
    }
}
