use std::collections::BTreeMap;

/// One output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteFile {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub cache_control: &'static str,
}

/// Every file of a built site, by path relative to the site root (`index.html`,
/// `health/index.html`, `assets/site-3f2a9c1b.css`), in path order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Site {
    files: BTreeMap<String, SiteFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SitePathError {
    /// Two parts of the renderer made the same file: a bug, never something to overwrite.
    #[error("two outputs write {0}")]
    Duplicate(String),
    /// Absolute, empty, `..` or backslash paths could escape the output folder.
    #[error("unsafe output path “{0}”")]
    Unsafe(String),
}

impl Site {
    pub fn new() -> Site {
        Site::default()
    }

    /// Adds a file, with the content type and cache rule its path calls for.
    pub fn add(&mut self, path: impl Into<String>, bytes: Vec<u8>) -> Result<(), SitePathError> {
        let path = path.into();
        if path.is_empty()
            || path.starts_with('/')
            || path.contains('\\')
            || path
                .split('/')
                .any(|part| part.is_empty() || part == "." || part == "..")
        {
            return Err(SitePathError::Unsafe(path));
        }
        if self.files.contains_key(&path) {
            return Err(SitePathError::Duplicate(path));
        }
        let file = SiteFile {
            content_type: content_type_for(&path),
            cache_control: cache_control_for(&path),
            bytes,
        };
        self.files.insert(path, file);
        Ok(())
    }

    pub fn get(&self, path: &str) -> Option<&SiteFile> {
        self.files.get(path)
    }

    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &SiteFile)> {
        self.files.iter().map(|(path, file)| (path.as_str(), file))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn total_bytes(&self) -> u64 {
        self.files
            .values()
            .map(|file| file.bytes.len() as u64)
            .sum()
    }

    /// Adds every file of `other`; a path in both is an error.
    pub fn merge(&mut self, other: Site) -> Result<(), SitePathError> {
        for (path, file) in other.files {
            if self.files.contains_key(&path) {
                return Err(SitePathError::Duplicate(path));
            }
            self.files.insert(path, file);
        }
        Ok(())
    }
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
        let page = site.get("index.html").unwrap();
        assert_eq!(page.content_type, "text/html; charset=utf-8");
        assert_eq!(page.cache_control, "public, max-age=300");
        let asset = site.get("assets/site-3f2a9c1b0d4e.css").unwrap();
        assert_eq!(asset.cache_control, "public, max-age=31536000, immutable");
        assert_eq!(
            site.get("health/data/rates.csv").unwrap().content_type,
            "text/csv; charset=utf-8"
        );
        assert_eq!(site.len(), 3);
        assert_eq!(site.total_bytes(), 15 + 6 + 3);
    }

    #[test]
    fn unsafe_and_duplicate_paths_are_refused() {
        let mut site = Site::new();
        for path in ["", "/index.html", "a/../b", "a//b", "a\\b", "./a"] {
            assert_eq!(
                site.add(path, Vec::new()),
                Err(SitePathError::Unsafe(path.to_owned()))
            );
        }
        site.add("a.html", Vec::new()).unwrap();
        assert_eq!(
            site.add("a.html", Vec::new()),
            Err(SitePathError::Duplicate("a.html".into()))
        );
    }

    #[test]
    fn fingerprints_are_recognised() {
        assert!(is_fingerprinted("assets/site-3f2a9c1b.css"));
        assert!(!is_fingerprinted("assets/site.css"));
        assert!(!is_fingerprinted("assets/govuk-frontend.min.js"));
        assert!(!is_fingerprinted("assets/site-3f2a.css"));
    }
}
