//! Type checks and formula neutralising for uploaded CSV files.

use std::borrow::Cow;

use csv::{QuoteStyle, Terminator};

use crate::UploadError;

/// 50 MiB: far above any source-data table seen in the model (the largest are a few MB), and
/// small enough to hold in memory twice while checking.
pub const DEFAULT_MAX_BYTES: u64 = 50 * 1024 * 1024;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// What an upload may be. The publisher should also cap the request body at about this size,
/// so that a huge upload is refused before it is read into memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    /// Largest accepted file, in bytes, counted before the byte-order mark is removed.
    pub max_bytes: u64,
}

impl Default for UploadLimits {
    fn default() -> Self {
        UploadLimits {
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// A file that passed [`check_csv`], ready to scan and store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedCsv {
    /// The cleaned CSV: UTF-8 without a byte-order mark, re-written with quotes only where
    /// needed and `\n` line endings, formula cells neutralised.
    pub bytes: Vec<u8>,
    /// Data rows: records after the header row (a header-only file has 0).
    pub rows: usize,
    /// Fields per record, the same on every row.
    pub columns: usize,
    /// Cells that were prefixed with `'` because a spreadsheet would run them as a formula.
    /// (The model counted removed characters instead; nothing is removed here.)
    pub neutralised_cells: usize,
}

/// Checks and cleans an uploaded source-data file.
///
/// Checks, in order, each failure with its own [`UploadError`]:
///
/// - the name ends in `.csv`, in any case ([`UploadError::NotCsvName`]): the name is all the
///   browser tells about the type, and a `.xlsx` renamed by mistake is caught by the next
///   checks anyway;
/// - at most `limits.max_bytes` bytes ([`UploadError::TooLarge`]);
/// - not empty, once a UTF-8 byte-order mark is removed ([`UploadError::Empty`]);
/// - text: no NUL and no control characters other than tab, CR and LF, also none of the C1
///   controls U+0080–U+009F ([`UploadError::NotText`]). Binary files (images, workbooks,
///   UTF-16 text, which is full of NULs) fail here, before the encoding check, so that their
///   message does not wrongly talk about encodings;
/// - valid UTF-8 ([`UploadError::NotUtf8`]). ASCII is a subset, so it passes; Latin-1 or
///   Windows-1252 files (Excel's plain "CSV") fail, rather than being guessed at as the
///   model's chardet did, because a wrong guess silently corrupts names such as "Gypsy or
///   Irish Traveller" footnotes with accents;
/// - parses as CSV with the `csv` crate, comma-separated, with the same number of fields in
///   every record ([`UploadError::NotCsv`], naming the line). A file with no record at all
///   (only blank lines) is [`UploadError::Empty`].
///
/// Then every cell that a spreadsheet would take as a formula is neutralised (OWASP's CSV
/// injection guidance): a cell starting with `=`, `+`, `-`, `@`, tab or CR gets a leading
/// `'`, which spreadsheets read as "this is text". The model instead deleted every `@`, `|`
/// and `=` anywhere, which changed data (`<=5`, e-mail addresses) without protecting against
/// `+` or `-`; a `|` matters only inside a formula, which must start with a trigger. Cells that
/// start with `+` or `-` but are only a number (`-3.5`, `+2`, `-1,234`, `-12%`, `-1e5`) or
/// the single `-` that statistics tables use for "no data" are left alone: no spreadsheet
/// runs them, and prefixing them would turn figures into text.
///
/// The file is re-written with the `csv` crate (quotes only where needed, `\n` line endings),
/// so that what is stored is exactly what was checked.
///
/// This is CPU work proportional to the size (about 0.4 s for 50 MiB in a release build):
/// async callers should run it on the blocking pool (`tokio::task::spawn_blocking`).
pub fn check_csv(
    original_name: &str,
    bytes: &[u8],
    limits: &UploadLimits,
) -> Result<CheckedCsv, UploadError> {
    if !original_name.to_ascii_lowercase().ends_with(".csv") {
        return Err(UploadError::NotCsvName);
    }
    if bytes.len() as u64 > limits.max_bytes {
        return Err(UploadError::TooLarge {
            limit: limits.max_bytes,
        });
    }
    let content = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    if content.is_empty() {
        return Err(UploadError::Empty);
    }
    if content.iter().any(|&byte| is_forbidden_control(byte)) {
        return Err(UploadError::NotText);
    }
    let text = std::str::from_utf8(content).map_err(|_| UploadError::NotUtf8)?;
    if text.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)) {
        return Err(UploadError::NotText);
    }
    rewrite(text)
}

/// Control bytes that never occur in a CSV file typed or exported by a person. DEL (0x7F)
/// included; bytes of 0x80 and above are left to the UTF-8 check.
fn is_forbidden_control(byte: u8) -> bool {
    (byte < 0x20 && !matches!(byte, b'\t' | b'\r' | b'\n')) || byte == 0x7F
}

fn rewrite(text: &str) -> Result<CheckedCsv, UploadError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .from_reader(text.as_bytes());
    let mut writer = csv::WriterBuilder::new()
        .quote_style(QuoteStyle::Necessary)
        .terminator(Terminator::Any(b'\n'))
        .from_writer(Vec::with_capacity(text.len() + text.len() / 16));
    let mut record = csv::StringRecord::new();
    let mut records = 0usize;
    let mut columns = 0usize;
    let mut neutralised_cells = 0usize;
    while reader.read_record(&mut record).map_err(csv_error)? {
        if records == 0 {
            columns = record.len();
        }
        records += 1;
        let mut cells: Vec<Cow<str>> = Vec::with_capacity(record.len());
        for cell in record.iter() {
            if is_formula(cell) {
                neutralised_cells += 1;
                cells.push(Cow::Owned(format!("'{cell}")));
            } else {
                cells.push(Cow::Borrowed(cell));
            }
        }
        writer
            .write_record(cells.iter().map(|cell| cell.as_bytes()))
            .map_err(|error| {
                UploadError::NotCsv(format!("it could not be re-written ({error})"))
            })?;
    }
    if records == 0 {
        return Err(UploadError::Empty);
    }
    let bytes = writer
        .into_inner()
        .map_err(|error| UploadError::NotCsv(format!("it could not be re-written ({error})")))?;
    Ok(CheckedCsv {
        bytes,
        rows: records - 1,
        columns,
        neutralised_cells,
    })
}

fn csv_error(error: csv::Error) -> UploadError {
    let detail = match error.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => {
            let line = pos
                .as_ref()
                .map_or_else(|| "a line".to_owned(), |pos| format!("line {}", pos.line()));
            format!(
                "{line} has {len} {} but the first line has {expected_len}. Every line needs \
                 the same number of columns: check for commas inside values that are not \
                 in double quotes",
                if *len == 1 { "column" } else { "columns" }
            )
        }
        _ => match error.position() {
            Some(pos) => format!("line {}: {error}", pos.line()),
            None => error.to_string(),
        },
    };
    UploadError::NotCsv(detail)
}

/// Whether a spreadsheet opening the file would treat `cell` as a formula (or, for tab and
/// CR, as something that turns into one when pasted).
fn is_formula(cell: &str) -> bool {
    match cell.as_bytes().first() {
        Some(b'=' | b'@' | b'\t' | b'\r') => true,
        Some(b'+' | b'-') => !is_inert_signed(cell),
        _ => false,
    }
}

/// `-` alone, or a signed number. Checked by characters before parsing, because Rust's float
/// parser also takes `inf` and `NaN`, and only plain figures are exempt.
fn is_inert_signed(cell: &str) -> bool {
    let cell = cell.trim_end();
    if cell == "-" {
        return true;
    }
    let number = cell.strip_suffix('%').unwrap_or(cell);
    if !number.bytes().all(|byte| {
        byte.is_ascii_digit() || matches!(byte, b'+' | b'-' | b'.' | b',' | b'e' | b'E')
    }) {
        return false;
    }
    // Thousands separators, as in `-1,234`: the float parser does not take them.
    let plain: String = number.chars().filter(|&c| c != ',').collect();
    plain.parse::<f64>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_triggers() {
        for cell in [
            "=1+1",
            "@SUM(A1)",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "\tx",
            "\rx",
            "--1",
        ] {
            assert!(is_formula(cell), "{cell:?}");
        }
        for cell in [
            "-", "-3.5", "+2", "-1,234", "-12%", "-1e5", "-0.5 ", "a=b", "x@y.org", "<=5", "", "12",
        ] {
            assert!(!is_formula(cell), "{cell:?}");
        }
        for cell in ["-inf", "-NaN", "+infinity", "-1+1", "- 5"] {
            assert!(is_formula(cell), "{cell:?}");
        }
    }
}
