//! Source-data uploads: the CSV files editors attach to a measure version.
//!
//! An upload goes through three steps, in this order, and the publisher records the upload's
//! row only when all three succeed:
//!
//! 1. [`check_csv`] refuses anything that is not a CSV text file in UTF-8 and neutralises
//!    cells a spreadsheet would run as a formula, returning the cleaned bytes.
//! 2. [`Clamd::scan`] sends the cleaned bytes to a ClamAV daemon. Anything other than a clean
//!    verdict — a virus, or a scanner that is down or answers oddly — refuses the file: an
//!    unscanned file is never stored.
//! 3. [`FileStore::put`] stores the bytes under `<measure_id>/<version>/source/<file name>`
//!    ([`StoreKey`], [`stored_file_name`]).
//!
//! The model publisher (see `shared/reference/eff-publisher.md` §3.9) differs on purpose:
//! it had no size limit and no type check beyond the encoding, deleted every `@`, `|` and `=`
//! from the data (changing figures such as `<=5` and e-mail addresses), and accepted a file
//! whose scan was still pending. Here the size is limited, the CSV must parse with the same
//! number of columns on every row, only formula-starting cells are changed, and the scan must
//! say clean.
//!
//! Every [`UploadError`] displays as a sentence an editor can act on, so the publisher can
//! show it next to the file field as it is.
//!
//! No web framework and no database here: the publisher owns the form, the HTTP statuses
//! (413 for [`UploadError::TooLarge`]) and the `upload` rows.

mod check;
mod clamd;
mod settings;
mod store;

pub use check::{CheckedCsv, DEFAULT_MAX_BYTES, UploadLimits, check_csv};
pub use clamd::{
    CHUNK_SIZE, Clamd, ClamdAddress, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REPLY_TIMEOUT, ScanVerdict,
};
pub use settings::{DEFAULT_UPLOAD_DIR, UploadSettings};
pub use store::{FileStore, LocalStore, StoreKey, stored_file_name};

/// Why an upload was refused. The Display text is written for the editor who uploaded the
/// file; the details in [`UploadError::ScanFailed`] and [`UploadError::Storage`] are for
/// whoever reads the logs as well.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    #[error(
        "The file is larger than {}, the largest file you can upload. Remove rows or columns \
         you do not need, or split it into several files.",
        human_size(*limit)
    )]
    TooLarge { limit: u64 },
    #[error("The file is empty. Choose a CSV file with a header row and at least one line.")]
    Empty,
    #[error(
        "The file must be a CSV file, with a name ending in .csv. In Excel, choose \
         File > Save As and the format \"CSV UTF-8 (Comma delimited)\"."
    )]
    NotCsvName,
    #[error(
        "The file is not a text file, so it cannot be a CSV file. Save it from your spreadsheet \
         as \"CSV UTF-8 (Comma delimited)\" (not as a workbook or \"Unicode Text\") and upload \
         it again."
    )]
    NotText,
    #[error(
        "The file is not in the UTF-8 character encoding. In Excel, choose File > Save As and \
         the format \"CSV UTF-8 (Comma delimited)\", then upload the new file."
    )]
    NotUtf8,
    #[error("The file is not a valid CSV file: {0}.")]
    NotCsv(String),
    #[error(
        "The file contains a virus ({signature}) and was not saved. Do not open it; tell your \
         IT team where it came from."
    )]
    Infected { signature: String },
    #[error(
        "The file could not be checked for viruses, so it was not saved. Try again in a few \
         minutes, and tell the Almanac team if it keeps happening. ({0})"
    )]
    ScanFailed(String),
    #[error(
        "The file store did not work, so nothing was changed. Try again, and tell the Almanac \
         team if it keeps happening. ({0})"
    )]
    Storage(String),
}

/// `52428800` → `50 MB`: editors think in MB, and the limits are round numbers of MiB.
pub(crate) fn human_size(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    const KIB: u64 = 1024;
    if bytes >= MIB {
        if bytes.is_multiple_of(MIB) {
            format!("{} MB", bytes / MIB)
        } else {
            format!("{:.1} MB", bytes as f64 / MIB as f64)
        }
    } else if bytes >= KIB {
        format!("{} KB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_an_editor_would_say_them() {
        assert_eq!(human_size(50 * 1024 * 1024), "50 MB");
        assert_eq!(human_size(1536 * 1024), "1.5 MB");
        assert_eq!(human_size(2048), "2 KB");
        assert_eq!(human_size(10), "10 bytes");
    }
}
