use std::borrow::Cow;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::index::{Index, MAX_PATH_BYTES};

/// What the site keeps of one output file: its bytes are read with [`Site::read`], and its
/// headers follow from its path ([`content_type_for`], [`cache_control_for`]). Kept small,
/// because a large site's index holds one per file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteFile {
    pub size: u64,
    pub sha256: [u8; 32],
}

impl SiteFile {
    /// Lower-case hex of [`SiteFile::sha256`].
    pub fn sha256_hex(&self) -> String {
        String::from_utf8(self.sha256_hex_bytes().to_vec()).expect("hex digits are ASCII")
    }

    /// Whether `hex` is [`SiteFile::sha256_hex`], without allocating: a deploy asks this of
    /// every file.
    pub fn sha256_is(&self, hex: &str) -> bool {
        hex.as_bytes() == self.sha256_hex_bytes()
    }

    fn sha256_hex_bytes(&self) -> [u8; 64] {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut hex = [0; 64];
        for (pair, byte) in hex.chunks_exact_mut(2).zip(self.sha256) {
            pair[0] = DIGITS[usize::from(byte >> 4)];
            pair[1] = DIGITS[usize::from(byte & 0xf)];
        }
        hex
    }
}

/// A file's number in the site that gave it, four bytes where its path would take a hundred
/// or more: lists as long as the site (a deploy's steps) hold these. Files keep their number
/// for the life of the site; another site's numbers mean nothing here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(u32);

/// Every file of a built site, by path relative to the site root (`index.html`,
/// `health/index.html`, `assets/site-3f2a9c1b.css`), in path order.
///
/// The bytes live either in memory ([`Site::new`]: tests, a rollback's site read back from
/// git) or in a folder ([`Site::in_folder`]: the site build). A folder site writes each file
/// as it is added and keeps only this index, so a build's memory does not grow with the
/// bytes of the site.
#[derive(Debug, Default)]
pub struct Site {
    files: Index,
    store: Store,
    /// Files hard-linked from the base folder instead of written, and their bytes.
    linked: usize,
    linked_bytes: u64,
}

#[derive(Debug)]
enum Store {
    /// The bytes of each file, by its entry number in the index.
    Memory(Vec<Vec<u8>>),
    Folder {
        root: PathBuf,
        /// An earlier build's folder: a file with the same bytes there is hard-linked from
        /// it instead of written again.
        base: Option<PathBuf>,
    },
}

impl Default for Store {
    fn default() -> Store {
        Store::Memory(Vec::new())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    /// Two parts of the renderer made the same file: a bug, never something to overwrite.
    #[error("two outputs write {0}")]
    Duplicate(String),
    /// Absolute, empty, `..` or backslash paths could escape the output folder; a path
    /// longer than the system's limit could not be written.
    #[error("unsafe output path “{0}”")]
    Unsafe(String),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the site has no file {0}")]
    Missing(String),
}

/// A file written (or, in memory, held) but not yet in the index: made on any thread by
/// [`Site::prepare`], added on one by [`Site::insert`].
#[derive(Debug)]
pub struct Prepared {
    path: String,
    file: SiteFile,
    /// The bytes of a memory site; a folder site has already written them.
    bytes: Option<Vec<u8>>,
    linked: bool,
}

/// Two sites are equal when they hold the same paths with the same bytes (by SHA-256),
/// wherever the bytes are kept.
impl PartialEq for Site {
    fn eq(&self, other: &Site) -> bool {
        self.files == other.files
    }
}

impl Prepared {
    pub fn path(&self) -> &str {
        &self.path
    }
}

impl Site {
    /// A site held in memory.
    pub fn new() -> Site {
        Site::default()
    }

    /// A site written into `root`, a folder that must not exist yet (its parent is made).
    /// With a `base` folder, files whose bytes are the same there are hard-linked from it:
    /// safe only because no build folder is written after it is made.
    pub fn in_folder(root: impl Into<PathBuf>, base: Option<PathBuf>) -> Result<Site, SiteError> {
        let root = root.into();
        if let Some(parent) = root.parent() {
            create_dir_all(parent)?;
        }
        fs::create_dir(&root).map_err(|source| SiteError::Io {
            path: root.clone(),
            source,
        })?;
        Ok(Site {
            files: Index::default(),
            store: Store::Folder { root, base },
            linked: 0,
            linked_bytes: 0,
        })
    }

    /// The folder holding the files, for a folder site.
    pub fn folder(&self) -> Option<&Path> {
        match &self.store {
            Store::Memory(_) => None,
            Store::Folder { root, .. } => Some(root),
        }
    }

    /// The earlier build's folder that unchanged files are hard-linked from, if any.
    pub fn base(&self) -> Option<&Path> {
        match &self.store {
            Store::Memory(_) => None,
            Store::Folder { base, .. } => base.as_deref(),
        }
    }

    /// Tells a folder site that its folder was renamed (by the local deploy) to `root`.
    pub fn moved_to(&mut self, root: impl Into<PathBuf>) {
        if let Store::Folder { root: old, .. } = &mut self.store {
            *old = root.into();
        }
    }

    /// How many files were hard-linked from the base folder rather than written.
    pub fn linked_files(&self) -> usize {
        self.linked
    }

    /// The bytes of the files hard-linked from the base folder.
    pub fn linked_bytes(&self) -> u64 {
        self.linked_bytes
    }

    /// Adds a file: in memory, or written into the folder.
    pub fn add(&mut self, path: impl Into<String>, bytes: Vec<u8>) -> Result<(), SiteError> {
        let prepared = self.prepare(path.into(), bytes)?;
        self.insert(prepared)
    }

    /// Checks the path, hashes the bytes and, for a folder site, writes them: the part of
    /// adding a file that can run on many threads at once.
    pub fn prepare(&self, path: String, bytes: Vec<u8>) -> Result<Prepared, SiteError> {
        if path.is_empty()
            || path.len() > MAX_PATH_BYTES
            || path.starts_with('/')
            || path.contains('\\')
            || path
                .split('/')
                .any(|part| part.is_empty() || part == "." || part == "..")
        {
            return Err(SiteError::Unsafe(path));
        }
        let file = SiteFile {
            size: bytes.len() as u64,
            sha256: Sha256::digest(&bytes).into(),
        };
        match &self.store {
            Store::Memory(_) => Ok(Prepared {
                path,
                file,
                bytes: Some(bytes),
                linked: false,
            }),
            Store::Folder { root, base } => {
                let linked = write_file(root, base.as_deref(), &path, &bytes)?;
                Ok(Prepared {
                    path,
                    file,
                    bytes: None,
                    linked,
                })
            }
        }
    }

    /// Adds a prepared file to the index; a path already there is an error.
    pub fn insert(&mut self, prepared: Prepared) -> Result<(), SiteError> {
        if self.files.find(&prepared.path).is_some() {
            return Err(SiteError::Duplicate(prepared.path));
        }
        self.files.push(&prepared.path, prepared.file);
        if let (Store::Memory(bytes), Some(held)) = (&mut self.store, prepared.bytes) {
            bytes.push(held);
        }
        if prepared.linked {
            self.linked += 1;
            self.linked_bytes += prepared.file.size;
        }
        Ok(())
    }

    pub fn get(&self, path: &str) -> Option<&SiteFile> {
        self.files.get(path)
    }

    pub fn contains(&self, path: &str) -> bool {
        self.files.find(path).is_some()
    }

    /// The bytes of a file: borrowed from memory, or read from the folder.
    pub fn read(&self, path: &str) -> Result<Cow<'_, [u8]>, SiteError> {
        let Some(number) = self.files.find(path) else {
            return Err(SiteError::Missing(path.to_owned()));
        };
        match &self.store {
            Store::Memory(bytes) => Ok(Cow::Borrowed(bytes[number].as_slice())),
            Store::Folder { root, .. } => {
                let full = root.join(path);
                fs::read(&full)
                    .map(Cow::Owned)
                    .map_err(|source| SiteError::Io { path: full, source })
            }
        }
    }

    /// Every file, in path order. Each path is put together as it comes (the index keeps
    /// each folder once), so a caller that keeps them pays for only those it keeps.
    pub fn iter(&self) -> impl Iterator<Item = (String, &SiteFile)> {
        self.files.iter().map(|(_, path, file)| (path, file))
    }

    /// [`Site::iter`] with each file's number.
    pub fn iter_ids(&self) -> impl Iterator<Item = (FileId, String, &SiteFile)> {
        self.files
            .iter()
            .map(|(number, path, file)| (FileId(number as u32), path, file))
    }

    /// The path of a file by its number; `None` for a number this site did not give.
    pub fn path_of(&self, id: FileId) -> Option<String> {
        self.files.path_of(id.0 as usize)
    }

    pub fn file(&self, id: FileId) -> Option<&SiteFile> {
        self.files.file(id.0 as usize)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn total_bytes(&self) -> u64 {
        self.files.total_bytes()
    }

    /// Adds every file of `other` (a small site: the assets, a test's pages); a path in
    /// both is an error.
    pub fn merge(&mut self, other: Site) -> Result<(), SiteError> {
        for (path, _) in other.iter() {
            let bytes = other.read(&path)?.into_owned();
            self.add(path, bytes)?;
        }
        Ok(())
    }
}

/// Writes one file of a folder site, or hard-links the base folder's copy when that holds the
/// same bytes (a regular file only, never a symlink someone left there). True when linked.
fn write_file(
    root: &Path,
    base: Option<&Path>,
    path: &str,
    bytes: &[u8],
) -> Result<bool, SiteError> {
    let destination = root.join(path);
    if let Some(parent) = destination.parent() {
        create_dir_all(parent)?;
    }
    if let Some(base) = base {
        let old = base.join(path);
        let same = fs::symlink_metadata(&old)
            .is_ok_and(|meta| meta.is_file() && meta.len() == bytes.len() as u64)
            && fs::read(&old).is_ok_and(|old_bytes| old_bytes == bytes);
        if same && fs::hard_link(&old, &destination).is_ok() {
            return Ok(true);
        }
    }
    // Never through a file already there: it may be a hard link into the base folder, the
    // build being served, which a truncating write would change under its readers.
    let mut out = match File::create_new(&destination) {
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(SiteError::Duplicate(path.to_owned()));
        }
        other => other.map_err(|source| SiteError::Io {
            path: destination.clone(),
            source,
        })?,
    };
    out.write_all(bytes).map_err(|source| SiteError::Io {
        path: destination,
        source,
    })?;
    Ok(false)
}

fn create_dir_all(path: &Path) -> Result<(), SiteError> {
    fs::create_dir_all(path).map_err(|source| SiteError::Io {
        path: path.to_owned(),
        source,
    })
}

/// The `Content-Type` of a file, by extension.
pub fn content_type_for(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map_or("", |(_, ext)| ext);
    match extension.to_ascii_lowercase().as_str() {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "csv" => "text/csv; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "xml" => "application/xml",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Whether a name carries a content hash (`name-0123456789abcdef.ext`, 8–20 hex digits
/// before the extension), so the file never changes under that name.
pub fn is_fingerprinted(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let Some((stem, _extension)) = name.rsplit_once('.') else {
        return false;
    };
    let Some((_, hash)) = stem.rsplit_once('-') else {
        return false;
    };
    (8..=20).contains(&hash.len()) && hash.chars().all(|c| c.is_ascii_hexdigit())
}

/// The `Cache-Control` of a file: fingerprinted assets forever, everything else briefly so
/// that a publish shows within minutes through the CDN.
pub fn cache_control_for(path: &str) -> &'static str {
    if path.starts_with("assets/") && is_fingerprinted(path) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_get_their_headers_from_their_paths() {
        let mut site = Site::new();
        site.add("index.html", b"<!DOCTYPE html>".to_vec()).unwrap();
        site.add("assets/site-3f2a9c1b0d4e.css", b"body{}".to_vec())
            .unwrap();
        site.add("health/data/rates.csv", b"a,b".to_vec()).unwrap();
        assert_eq!(content_type_for("index.html"), "text/html; charset=utf-8");
        assert_eq!(cache_control_for("index.html"), "public, max-age=300");
        assert_eq!(
            cache_control_for("assets/site-3f2a9c1b0d4e.css"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            content_type_for("health/data/rates.csv"),
            "text/csv; charset=utf-8"
        );
        assert_eq!(site.get("index.html").unwrap().size, 15);
        assert_eq!(site.len(), 3);
        assert_eq!(site.total_bytes(), 15 + 6 + 3);
    }

    #[test]
    fn unsafe_and_duplicate_paths_are_refused() {
        let mut site = Site::new();
        for path in ["", "/index.html", "a/../b", "a//b", "a\\b", "./a"] {
            assert!(
                matches!(site.add(path, Vec::new()), Err(SiteError::Unsafe(unsafe_path)) if unsafe_path == path)
            );
        }
        site.add("a.html", Vec::new()).unwrap();
        assert!(matches!(
            site.add("a.html", Vec::new()),
            Err(SiteError::Duplicate(path)) if path == "a.html"
        ));
    }

    #[test]
    fn a_folder_site_writes_each_file_and_keeps_only_its_index() {
        let temp = tempfile::tempdir().unwrap();
        let mut first = Site::in_folder(temp.path().join("one"), None).unwrap();
        first.add("index.html", b"<p>home".to_vec()).unwrap();
        first.add("a/b/page.html", b"<p>page".to_vec()).unwrap();
        assert_eq!(
            fs::read(temp.path().join("one/a/b/page.html")).unwrap(),
            b"<p>page"
        );
        assert_eq!(first.read("index.html").unwrap().as_ref(), b"<p>home");
        assert!(matches!(
            first.read("nope.html"),
            Err(SiteError::Missing(_))
        ));
        assert_eq!(first.total_bytes(), 14);

        // The next build links what did not change from the first, and writes the rest.
        let base = Some(temp.path().join("one"));
        let mut second = Site::in_folder(temp.path().join("two"), base).unwrap();
        second.add("index.html", b"<p>home".to_vec()).unwrap();
        second.add("a/b/page.html", b"<p>changed".to_vec()).unwrap();
        assert_eq!(second.linked_files(), 1);
        assert_eq!(second.get("index.html"), first.get("index.html"));
        assert_eq!(
            fs::read(temp.path().join("one/a/b/page.html")).unwrap(),
            b"<p>page",
            "the base folder is never written"
        );
        // A second write of a linked path is refused, and never reaches the base's copy.
        assert!(matches!(
            second.add("index.html", b"<p>clobbered".to_vec()),
            Err(SiteError::Duplicate(path)) if path == "index.html"
        ));
        assert_eq!(
            fs::read(temp.path().join("one/index.html")).unwrap(),
            b"<p>home"
        );
        assert_eq!(second.base(), Some(temp.path().join("one").as_path()));
        // A folder that exists already is refused: it may hold another build's files.
        assert!(matches!(
            Site::in_folder(temp.path().join("two"), None),
            Err(SiteError::Io { .. })
        ));
    }

    #[test]
    fn fingerprints_are_recognised() {
        assert!(is_fingerprinted("assets/site-3f2a9c1b.css"));
        assert!(!is_fingerprinted("assets/site.css"));
        assert!(!is_fingerprinted("assets/govuk-frontend.min.js"));
        assert!(!is_fingerprinted("assets/site-3f2a.css"));
    }
}
