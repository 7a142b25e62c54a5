//! Where accepted files live.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::UploadError;

/// The longest slug kept in a stored file name. File systems allow 255 bytes; titles are
/// sentences, and a name this long still says what the file is.
const MAX_SLUG: usize = 100;
/// The name used when a title has no letters or digits to make a slug from.
const FALLBACK_STEM: &str = "source-data";

/// Names one stored file: `<measure_id>/<version>/source/<file_name>`, as in the model, so
/// that a later move to S3 keeps its keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StoreKey {
    pub measure_id: i32,
    /// The version number as shown, e.g. `1.0`.
    pub version: String,
    /// Usually from [`stored_file_name`].
    pub file_name: String,
}

impl StoreKey {
    pub fn new(measure_id: i32, version: impl Into<String>, file_name: impl Into<String>) -> Self {
        StoreKey {
            measure_id,
            version: version.into(),
            file_name: file_name.into(),
        }
    }

    /// The parts as path segments, refusing any that could leave its folder. Checked on every
    /// use rather than at construction, because the fields are public.
    fn segments(&self) -> Result<[String; 4], UploadError> {
        for (what, part) in [("version", &self.version), ("file name", &self.file_name)] {
            let bad = part.is_empty()
                || part == "."
                || part.contains("..")
                || part.contains(['/', '\\', '\0']);
            if bad {
                return Err(UploadError::Storage(format!(
                    "refused the {what} {part:?}: a key part must not be empty or contain \
                     '/', '\\', '..' or NUL"
                )));
            }
        }
        Ok([
            self.measure_id.to_string(),
            self.version.clone(),
            "source".to_owned(),
            self.file_name.clone(),
        ])
    }
}

impl fmt::Display for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/source/{}",
            self.measure_id, self.version, self.file_name
        )
    }
}

/// The stored file name for an upload: the slug of its title plus `.csv`
/// (`Employment by ethnicity` → `employment-by-ethnicity.csv`).
///
/// Always `.csv`, unlike the model's original extension: [`crate::check_csv`] accepts only
/// CSV and re-writes it. The slug is cut to 100 characters, and a title without letters or
/// digits gives `source-data.csv`. Different titles can give the same name (`A & B`, `A B`),
/// so the publisher should check uniqueness within a version on this name, not on the title.
pub fn stored_file_name(title: &str) -> String {
    let slug = slug::slugify(title);
    let mut stem = match slug.char_indices().nth(MAX_SLUG) {
        Some((end, _)) => &slug[..end],
        None => slug.as_str(),
    };
    stem = stem.trim_end_matches('-');
    if stem.is_empty() {
        stem = FALLBACK_STEM;
    }
    format!("{stem}.csv")
}

/// The store of accepted files. An enum rather than a trait object, because the kinds are
/// few and known: S3 joins with the site build (issue 6).
#[derive(Debug, Clone)]
pub enum FileStore {
    Local(LocalStore),
}

impl FileStore {
    /// Stores `bytes` under `key`, replacing any file there. Readers see the old file or the
    /// new one, never a part.
    pub async fn put(&self, key: &StoreKey, bytes: &[u8]) -> Result<(), UploadError> {
        match self {
            FileStore::Local(store) => store.put(key, bytes).await,
        }
    }

    pub async fn get(&self, key: &StoreKey) -> Result<Vec<u8>, UploadError> {
        match self {
            FileStore::Local(store) => store.get(key).await,
        }
    }

    /// Deleting a file that is not there succeeds, as an S3 delete does, so that retrying a
    /// half-done removal works.
    pub async fn delete(&self, key: &StoreKey) -> Result<(), UploadError> {
        match self {
            FileStore::Local(store) => store.delete(key).await,
        }
    }

    /// Copies `from` to `to` (for a new version, or a renamed upload: copy, then delete).
    pub async fn copy(&self, from: &StoreKey, to: &StoreKey) -> Result<(), UploadError> {
        match self {
            FileStore::Local(store) => store.copy(from, to).await,
        }
    }
}

/// Files in a folder on the publisher's disk (`UPLOAD_DIR`), for development and for a
/// single-server deployment.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// The folder is created on the first write.
    pub fn new(root: impl Into<PathBuf>) -> LocalStore {
        LocalStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `<root>/<measure_id>/<version>/source/<file_name>`.
    pub fn path(&self, key: &StoreKey) -> Result<PathBuf, UploadError> {
        Ok(self.root.join(key.segments()?.iter().collect::<PathBuf>()))
    }

    async fn put(&self, key: &StoreKey, bytes: &[u8]) -> Result<(), UploadError> {
        let path = self.path(key)?;
        let bytes = bytes.to_vec();
        blocking(key, "write", move || {
            write_atomically(&path, |file| file.write_all(&bytes))
        })
        .await
    }

    async fn get(&self, key: &StoreKey) -> Result<Vec<u8>, UploadError> {
        let path = self.path(key)?;
        tokio::fs::read(&path)
            .await
            .map_err(|error| storage_error(key, "read", &error))
    }

    async fn delete(&self, key: &StoreKey) -> Result<(), UploadError> {
        let path = self.path(key)?;
        match tokio::fs::remove_file(&path).await {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                Err(storage_error(key, "delete", &error))
            }
            _ => Ok(()),
        }
    }

    async fn copy(&self, from: &StoreKey, to: &StoreKey) -> Result<(), UploadError> {
        let source = self.path(from)?;
        let target = self.path(to)?;
        let mut file = tokio::fs::File::open(&source)
            .await
            .map_err(|error| storage_error(from, "read", &error))?
            .into_std()
            .await;
        blocking(to, "write", move || {
            write_atomically(&target, |out| std::io::copy(&mut file, out).map(drop))
        })
        .await
    }
}

/// Writes through a temporary file in the target's folder, then renames it over the target:
/// a rename within one file system is atomic, so a crash or a concurrent reader never sees a
/// half-written file. The temporary file is removed if anything fails.
fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let folder = path.parent().expect("a store path has a folder");
    std::fs::create_dir_all(folder)?;
    let mut temporary = tempfile::Builder::new()
        .prefix(".upload-")
        .suffix(".tmp")
        .tempfile_in(folder)?;
    fill(temporary.as_file_mut())?;
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|error| error.error)?;
    // The rename is durable only once the folder itself is synced.
    std::fs::File::open(folder)?.sync_all()
}

async fn blocking(
    key: &StoreKey,
    action: &str,
    work: impl FnOnce() -> std::io::Result<()> + Send + 'static,
) -> Result<(), UploadError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(|error| storage_error(key, action, &error)),
        Err(error) => Err(UploadError::Storage(format!(
            "could not {action} {key}: the task failed ({error})"
        ))),
    }
}

fn storage_error(key: &StoreKey, action: &str, error: &std::io::Error) -> UploadError {
    if error.kind() == std::io::ErrorKind::NotFound && action != "write" {
        UploadError::Storage(format!("could not {action} {key}: there is no such file"))
    } else {
        UploadError::Storage(format!("could not {action} {key}: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_slugs_of_titles() {
        assert_eq!(
            stored_file_name("Employment by ethnicity"),
            "employment-by-ethnicity.csv"
        );
        assert_eq!(
            stored_file_name("  GCSE results: 2024/25 (England)  "),
            "gcse-results-2024-25-england.csv"
        );
        assert_eq!(stored_file_name("%%%"), "source-data.csv");
        assert_eq!(stored_file_name(""), "source-data.csv");
        let long = stored_file_name(&"word ".repeat(60));
        assert!(long.len() <= MAX_SLUG + 4, "{long}");
        assert!(!long.contains("-.csv"), "{long}");
    }
}
