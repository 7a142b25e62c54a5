//! The site's index of files: every path with its size and hash, kept compact because a
//! large site has millions of files (1.78 million at 100,000 published versions) with long
//! paths (140 bytes on average, 94 of them the folder). Each folder is kept once, as its
//! name under its parent folder, and each file as its name under its folder: a path is
//! put together when it is asked for. Files and folders are found by hash tables of their
//! numbers; the order by path is worked out when it is first asked for.

use std::cmp::Ordering;
use std::hash::BuildHasher;
use std::sync::OnceLock;

use hashbrown::{DefaultHashBuilder, HashTable};

use crate::SiteFile;

/// The longest path the index keeps, in bytes: Linux's own limit.
pub(crate) const MAX_PATH_BYTES: usize = 4096;

/// The site's root folder, parent of every top-level file and folder.
const ROOT: u32 = 0;

pub(crate) struct Index {
    /// Every folder under its parent; folder 0 is the root.
    folders: Names<Folder>,
    /// The files, by entry number in the order they were added, under their folders.
    files: Names<Entry>,
    hasher: DefaultHashBuilder,
    /// Entry numbers in path order: made when first asked for, forgotten by the next insert.
    order: OnceLock<Box<[u32]>>,
}

#[derive(Clone, Copy)]
struct Folder {
    parent: u32,
    start: u32,
}

#[derive(Clone, Copy)]
struct Entry {
    file: SiteFile,
    folder: u32,
    start: u32,
}

/// A file or a folder under a folder, as the path order sees it.
#[derive(Clone, Copy)]
enum Child {
    Folder(u32),
    File(u32),
}

/// A folder or a file: named under a folder, its name starting at `start` in its
/// [`Names`]' buffer.
trait Named {
    fn owner(&self) -> u32;
    fn start(&self) -> u32;
}

impl Named for Folder {
    fn owner(&self) -> u32 {
        self.parent
    }
    fn start(&self) -> u32 {
        self.start
    }
}

impl Named for Entry {
    fn owner(&self) -> u32 {
        self.folder
    }
    fn start(&self) -> u32 {
        self.start
    }
}

/// Folders or files, numbered in the order they came, with their names back to back (the
/// `n`th runs to where the next starts) and a hash table of their numbers by folder and name.
struct Names<T> {
    names: String,
    items: Vec<T>,
    by_name: HashTable<u32>,
}

/// The folder and the name of item `number`.
fn key<'n, T: Named>(names: &'n str, items: &[T], number: u32) -> (u32, &'n str) {
    let number = number as usize;
    let start = items[number].start() as usize;
    let end = items
        .get(number + 1)
        .map_or(names.len(), |next| next.start() as usize);
    (items[number].owner(), &names[start..end])
}

impl<T: Named> Names<T> {
    fn new(items: Vec<T>) -> Names<T> {
        Names {
            names: String::new(),
            items,
            by_name: HashTable::new(),
        }
    }

    fn key(&self, number: u32) -> (u32, &str) {
        key(&self.names, &self.items, number)
    }

    fn find(&self, hasher: &DefaultHashBuilder, owner: u32, name: &str) -> Option<u32> {
        self.by_name
            .find(hasher.hash_one((owner, name)), |&number| {
                self.key(number) == (owner, name)
            })
            .copied()
    }

    /// Adds `name`, not yet under `owner`; `item` makes the item from where its name starts.
    fn push(
        &mut self,
        hasher: &DefaultHashBuilder,
        owner: u32,
        name: &str,
        item: impl FnOnce(u32) -> T,
    ) -> u32 {
        let number = u32::try_from(self.items.len()).expect("fewer than 4 billion of them");
        let start = u32::try_from(self.names.len())
            .expect("a site's names fit in 4 GiB, a billion files or so");
        self.items.push(item(start));
        self.names.push_str(name);
        let hash = hasher.hash_one((owner, name));
        let Names {
            names,
            items,
            by_name,
        } = self;
        by_name.insert_unique(hash, number, |&number| {
            hasher.hash_one(key(names, items, number))
        });
        number
    }
}

/// A path's folder names, outermost first, and its file name.
fn split(path: &str) -> (impl Iterator<Item = &str>, &str) {
    let (folders, name) = match path.rsplit_once('/') {
        Some((folders, name)) => (Some(folders), name),
        None => (None, path),
    };
    (
        folders.into_iter().flat_map(|folders| folders.split('/')),
        name,
    )
}

impl Default for Index {
    fn default() -> Index {
        let root = Folder {
            parent: ROOT,
            start: 0,
        };
        Index {
            folders: Names::new(vec![root]),
            files: Names::new(Vec::new()),
            hasher: DefaultHashBuilder::default(),
            order: OnceLock::new(),
        }
    }
}

impl Index {
    pub(crate) fn len(&self) -> usize {
        self.files.items.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.files.items.is_empty()
    }

    /// The folder of a path and the file's name in it, if every folder on the way exists.
    fn locate<'p>(&self, path: &'p str) -> Option<(u32, &'p str)> {
        let (folders, name) = split(path);
        let mut folder = ROOT;
        for segment in folders {
            folder = self.folders.find(&self.hasher, folder, segment)?;
        }
        Some((folder, name))
    }

    /// The entry number of a path.
    pub(crate) fn find(&self, path: &str) -> Option<usize> {
        let (folder, name) = self.locate(path)?;
        let number = self.files.find(&self.hasher, folder, name)?;
        Some(number as usize)
    }

    pub(crate) fn get(&self, path: &str) -> Option<&SiteFile> {
        self.find(path).map(|number| &self.files.items[number].file)
    }

    /// Adds a path not yet in the index (the caller checks), giving its entry number.
    pub(crate) fn push(&mut self, path: &str, file: SiteFile) -> usize {
        debug_assert!(path.len() <= MAX_PATH_BYTES && self.find(path).is_none());
        let (folders, name) = split(path);
        let mut folder = ROOT;
        for segment in folders {
            folder = match self.folders.find(&self.hasher, folder, segment) {
                Some(found) => found,
                None => self
                    .folders
                    .push(&self.hasher, folder, segment, |start| Folder {
                        parent: folder,
                        start,
                    }),
            };
        }
        let number = self.files.push(&self.hasher, folder, name, |start| Entry {
            file,
            folder,
            start,
        });
        self.order.take();
        number as usize
    }

    /// Appends a folder's path, with its trailing slash (none for the root), to `path`.
    fn push_folder_path(&self, folder: u32, path: &mut String) {
        if folder == ROOT {
            return;
        }
        let (parent, name) = self.folders.key(folder);
        self.push_folder_path(parent, path);
        path.push_str(name);
        path.push('/');
    }

    /// The path of entry `number`, if there is one.
    pub(crate) fn path_of(&self, number: usize) -> Option<String> {
        (number < self.len()).then(|| self.path(number as u32))
    }

    pub(crate) fn file(&self, number: usize) -> Option<&SiteFile> {
        self.files.items.get(number).map(|entry| &entry.file)
    }

    fn path(&self, number: u32) -> String {
        let mut path = String::new();
        let (folder, name) = self.files.key(number);
        self.push_folder_path(folder, &mut path);
        path.push_str(name);
        path
    }

    /// Every file in path order, with its entry number and its path.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, String, &SiteFile)> {
        self.order().iter().map(|&number| {
            let entry = &self.files.items[number as usize];
            (number as usize, self.path(number), &entry.file)
        })
    }

    /// The entry numbers in path order. A folder's files and subfolders sort by their names,
    /// a folder's with its slash (so `a-b/c` comes before `a/b`, as `-` is before `/`): then a
    /// walk of the tree meets the files in the byte order of their whole paths.
    fn order(&self) -> &[u32] {
        self.order.get_or_init(|| {
            let mut children: Vec<(u32, Child)> =
                Vec::with_capacity(self.folders.items.len() - 1 + self.len());
            children.extend(
                (1..self.folders.items.len() as u32)
                    .map(|folder| (self.folders.key(folder).0, Child::Folder(folder))),
            );
            children.extend(
                (0..self.len() as u32)
                    .map(|number| (self.files.key(number).0, Child::File(number))),
            );
            children.sort_unstable_by(|(a_parent, a), (b_parent, b)| {
                a_parent
                    .cmp(b_parent)
                    .then_with(|| self.compare_children(*a, *b))
            });
            let under = |folder: u32| {
                let start = children.partition_point(|&(parent, _)| parent < folder);
                let end = children.partition_point(|&(parent, _)| parent <= folder);
                (start, end)
            };
            let mut order = Vec::with_capacity(self.len());
            let mut walk = vec![under(ROOT)];
            while let Some((next, end)) = walk.last_mut() {
                if next == end {
                    walk.pop();
                    continue;
                }
                let child = children[*next].1;
                *next += 1;
                match child {
                    Child::File(number) => order.push(number),
                    Child::Folder(folder) => walk.push(under(folder)),
                }
            }
            order.into_boxed_slice()
        })
    }

    fn compare_children(&self, a: Child, b: Child) -> Ordering {
        let key = |child: Child| match child {
            Child::Folder(folder) => (self.folders.key(folder).1, Some(b'/')),
            Child::File(number) => (self.files.key(number).1, None),
        };
        let ((a_name, a_slash), (b_name, b_slash)) = (key(a), key(b));
        a_name
            .bytes()
            .chain(a_slash)
            .cmp(b_name.bytes().chain(b_slash))
    }

    pub(crate) fn total_bytes(&self) -> u64 {
        self.files.items.iter().map(|entry| entry.file.size).sum()
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
            .field("folders", &self.folders.items.len())
            .field(
                "name_bytes",
                &(self.folders.names.len() + self.files.names.len()),
            )
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
        let paths: Vec<String> = index.iter().map(|(_, path, _)| path).collect();
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
            index.iter().nth(1).map(|(_, path, _)| path).as_deref(),
            Some("a/a.html")
        );
        assert_eq!(index.total_bytes(), 1 + 2 + 3 + 4 + 9);
    }

    #[test]
    fn path_order_is_the_byte_order_of_whole_paths() {
        let paths = [
            "a",
            "a.b/c",
            "a/b",
            "a-b/c",
            "a/b/c.csv",
            "a/b.csv",
            "a/b-c/d",
            "a0",
            "ab/c",
            "a/b/c/d/e.html",
            "b",
            "a/bc",
            "a/b/",
            "z/y/x",
            "z/y.x",
            "index.html",
        ];
        let mut index = Index::default();
        for (number, path) in paths.iter().enumerate() {
            index.push(path, file(number as u64));
        }
        let mut sorted = paths.to_vec();
        sorted.sort_unstable();
        let listed: Vec<String> = index.iter().map(|(_, path, _)| path).collect();
        assert_eq!(listed, sorted);
        for (number, path) in paths.iter().enumerate() {
            assert_eq!(index.find(path), Some(number), "{path}");
        }
        // A folder is not a file, and a file is not a folder.
        assert_eq!(index.find("a/b/c"), None);
        assert_eq!(index.find("a/b/c.csv/d"), None);
        assert_eq!(index.find("z"), None);
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
