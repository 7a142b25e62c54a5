//! The site's index of files: every path with its size and hash, kept compact because a
//! large site has millions of files (1.78 million at 100,000 published versions). Paths
//! sit back to back in one buffer and the files in one vector, found by a hash table of
//! entry numbers; the order by path is worked out when it is first asked for.

use std::cmp::Ordering;
use std::hash::BuildHasher;
use std::sync::OnceLock;

use hashbrown::{DefaultHashBuilder, HashTable};

use crate::SiteFile;

/// The longest path the index keeps, in bytes: Linux's own limit.
pub(crate) const MAX_PATH_BYTES: usize = 4096;

#[derive(Default)]
pub(crate) struct Index {
    /// Every path, back to back.
    paths: String,
    /// The files, by entry number, in the order they were added.
    entries: Vec<Entry>,
    /// Entry numbers, found by their path's hash.
    by_path: HashTable<u32>,
    hasher: DefaultHashBuilder,
    /// Entry numbers in path order: made when first asked for, forgotten by the next insert.
    order: OnceLock<Box<[u32]>>,
}

#[derive(Clone, Copy)]
struct Entry {
    file: SiteFile,
    /// Where the path starts in `paths`.
    start: u32,
    /// The path's length, at most [`MAX_PATH_BYTES`].
    len: u16,
}

impl Index {
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn path(&self, entry: &Entry) -> &str {
        let start = entry.start as usize;
        &self.paths[start..start + usize::from(entry.len)]
    }

    /// The entry number of a path.
    pub(crate) fn find(&self, path: &str) -> Option<usize> {
        let hash = self.hasher.hash_one(path);
        self.by_path
            .find(hash, |&number| {
                self.path(&self.entries[number as usize]) == path
            })
            .map(|&number| number as usize)
    }

    pub(crate) fn get(&self, path: &str) -> Option<&SiteFile> {
        self.find(path).map(|number| &self.entries[number].file)
    }

    /// Adds a path not yet in the index (the caller checks), giving its entry number.
    pub(crate) fn push(&mut self, path: &str, file: SiteFile) -> usize {
        debug_assert!(path.len() <= MAX_PATH_BYTES && self.find(path).is_none());
        let start = u32::try_from(self.paths.len())
            .expect("a site's paths fit in 4 GiB, which is a billion files or so");
        let len = u16::try_from(path.len()).expect("paths are at most MAX_PATH_BYTES");
        self.paths.push_str(path);
        let number = u32::try_from(self.entries.len()).expect("fewer than 4 billion files");
        self.entries.push(Entry { file, start, len });
        let hash = self.hasher.hash_one(path);
        let (paths, entries, hasher) = (&self.paths, &self.entries, &self.hasher);
        self.by_path.insert_unique(hash, number, |&number| {
            let entry = &entries[number as usize];
            let start = entry.start as usize;
            hasher.hash_one(&paths[start..start + usize::from(entry.len)])
        });
        self.order.take();
        number as usize
    }

    /// Every file in path order, with its entry number.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, &str, &SiteFile)> {
        let order = self.order.get_or_init(|| {
            let mut order: Vec<u32> = (0..self.entries.len() as u32).collect();
            order.sort_unstable_by(|&a, &b| self.compare(a, b));
            order.into_boxed_slice()
        });
        order.iter().map(|&number| {
            let entry = &self.entries[number as usize];
            (number as usize, self.path(entry), &entry.file)
        })
    }

    fn compare(&self, a: u32, b: u32) -> Ordering {
        let path = |number: u32| self.path(&self.entries[number as usize]);
        path(a).cmp(path(b))
    }

    pub(crate) fn total_bytes(&self) -> u64 {
        self.entries.iter().map(|entry| entry.file.size).sum()
    }
}

/// Equal when they hold the same paths with the same files, whatever order they came in.
impl PartialEq for Index {
    fn eq(&self, other: &Index) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other.iter())
                .all(|((_, a_path, a), (_, b_path, b))| a_path == b_path && a == b)
    }
}

impl std::fmt::Debug for Index {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Index")
            .field("files", &self.len())
            .field("path_bytes", &self.paths.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(size: u64) -> SiteFile {
        SiteFile {
            size,
            sha256: [size as u8; 32],
        }
    }

    #[test]
    fn finds_each_path_and_lists_them_in_path_order() {
        let mut index = Index::default();
        for (number, path) in [
            "b/index.html",
            "a/z.csv",
            "a-b/c",
            "a/index.html",
            "index.html",
        ]
        .into_iter()
        .enumerate()
        {
            assert_eq!(index.push(path, file(number as u64)), number);
        }
        assert_eq!(index.get("a/z.csv"), Some(&file(1)));
        assert_eq!(index.get("a/z"), None);
        assert_eq!(index.find("index.html"), Some(4));
        let paths: Vec<&str> = index.iter().map(|(_, path, _)| path).collect();
        assert_eq!(
            paths,
            [
                "a-b/c",
                "a/index.html",
                "a/z.csv",
                "b/index.html",
                "index.html"
            ]
        );
        // The order is made again after a change.
        index.push("a/a.html", file(9));
        assert_eq!(
            index.iter().nth(1).map(|(_, path, _)| path),
            Some("a/a.html")
        );
        assert_eq!(index.total_bytes(), 1 + 2 + 3 + 4 + 9);
    }

    #[test]
    fn grows_past_its_first_tables() {
        let mut index = Index::default();
        for number in 0..10_000u64 {
            index.push(&format!("topic/measure-{number}/index.html"), file(number));
        }
        for number in (0..10_000u64).step_by(97) {
            assert_eq!(
                index.get(&format!("topic/measure-{number}/index.html")),
                Some(&file(number))
            );
        }
        assert_eq!(index.len(), 10_000);
    }
}
