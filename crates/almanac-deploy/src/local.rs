//! A local folder: each build is written into a new folder, then a symlink is swapped to it
//! in one rename.
//!
//! ```text
//! <root>/current -> builds/000042-<build>     what a web server serves
//! <root>/builds/000041-<build>/…              the previous builds, kept for rollback
//! <root>/builds/000042-<build>/…
//! ```
//!
//! A deploy writes the site into `builds/.staging-<n>-<build>`, makes it durable with one
//! `syncfs` (an fsync per file cost a second per 4,000 files), renames it to `builds/<n>-<build>`, makes the symlink `.current-new` and renames it over
//! `current` (rename is atomic, so readers see the old build or the new one, never a mix).
//! Then it removes the oldest builds beyond `keep`, but never the current one. It removes
//! only folders inside `<root>/builds` whose names it made, and never follows a symlink.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use almanac_site::{Site, SiteError};

const CURRENT: &str = "current";
const CURRENT_NEW: &str = ".current-new";
const BUILDS: &str = "builds";
const STAGING: &str = ".staging-";

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `current` exists and is not a symlink this crate made: refused rather than replaced.
    #[error("{} is not a symlink to a build folder; move it away first", .0.display())]
    NotOurs(PathBuf),
    #[error("“{0}” cannot name a build folder (letters, digits, '.', '_', '-'; at most 80)")]
    InvalidBuild(String),
    #[error("no kept build folder is called “{0}”")]
    NoSuchBuild(String),
    #[error(transparent)]
    Site(#[from] SiteError),
}

/// A new build's folder, and the folder of the build it replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staging {
    pub folder: PathBuf,
    pub base: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalReport {
    /// The folder `current` points to now.
    pub folder: PathBuf,
    /// False when the current folder already held the site: nothing was written.
    pub changed: bool,
    pub files_written: usize,
    /// Files the previous build already held with the same bytes: hard-linked from it,
    /// not written again.
    pub files_linked: usize,
    pub bytes_written: u64,
    /// Old build folders removed to keep the last `keep`.
    pub removed: Vec<String>,
    pub elapsed: Duration,
}

/// A folder holding the current build and the last few before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFolder {
    root: PathBuf,
    keep: usize,
    fsync: bool,
}

impl LocalFolder {
    /// Keeps 3 builds and syncs files to disk by default.
    pub fn new(root: impl Into<PathBuf>) -> LocalFolder {
        LocalFolder {
            root: root.into(),
            keep: 3,
            fsync: true,
        }
    }

    /// Build folders kept, the current one included (at least 1).
    pub fn keep(mut self, keep: usize) -> LocalFolder {
        self.keep = keep.max(1);
        self
    }

    /// Whether to make the new build durable (syncfs) before the swap (slower; survives a power
    /// cut).
    pub fn fsync(mut self, fsync: bool) -> LocalFolder {
        self.fsync = fsync;
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path to serve: the `current` symlink.
    pub fn current_path(&self) -> PathBuf {
        self.root.join(CURRENT)
    }

    /// The build folder `current` points to, if any.
    pub fn current(&self) -> Result<Option<String>, LocalError> {
        let link = self.current_path();
        match fs::symlink_metadata(&link) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(LocalError::Io { path: link, source }),
            Ok(metadata) if !metadata.file_type().is_symlink() => {
                return Err(LocalError::NotOurs(link));
            }
            Ok(_) => {}
        }
        let target = fs::read_link(&link).map_err(|source| LocalError::Io {
            path: link.clone(),
            source,
        })?;
        let mut parts = target.components();
        let (Some(first), Some(name), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(LocalError::NotOurs(link));
        };
        if first.as_os_str() != BUILDS {
            return Err(LocalError::NotOurs(link));
        }
        let name = name.as_os_str().to_string_lossy().into_owned();
        if sequence(&name).is_none() {
            return Err(LocalError::NotOurs(link));
        }
        Ok(Some(name))
    }

    /// The kept build folders, oldest first.
    pub fn builds(&self) -> Result<Vec<String>, LocalError> {
        let dir = self.root.join(BUILDS);
        let entries = match fs::read_dir(&dir) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            other => other.map_err(|source| LocalError::Io {
                path: dir.clone(),
                source,
            })?,
        };
        let mut builds = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| LocalError::Io {
                path: dir.clone(),
                source,
            })?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_dir = entry.file_type().is_ok_and(|kind| kind.is_dir());
            if let (true, Some(number)) = (is_dir, sequence(&name)) {
                builds.push((number, name));
            }
        }
        builds.sort();
        Ok(builds.into_iter().map(|(_, name)| name).collect())
    }

    /// Where build `build` should write its files so that [`LocalFolder::deploy`] can put
    /// them in place without copying: a new staging folder, and the current build's folder
    /// to hard-link unchanged files from.
    pub fn staging(&self, build: &str) -> Result<Staging, LocalError> {
        check_build_name(build)?;
        let builds_dir = self.root.join(BUILDS);
        create_dir_all(&builds_dir)?;
        let folder = builds_dir.join(format!("{STAGING}{}", self.next_name(build)?));
        remove_if_present(&folder)?;
        let base = self.current()?.map(|name| builds_dir.join(name));
        Ok(Staging { folder, base })
    }

    fn next_name(&self, build: &str) -> Result<String, LocalError> {
        let next = self
            .builds()?
            .iter()
            .filter_map(|name| sequence(name))
            .max()
            .unwrap_or(0)
            + 1;
        Ok(format!("{next:06}-{build}"))
    }

    /// Makes `current` hold `site`, as build `build` (a build id). A site written into this
    /// folder's [`LocalFolder::staging`] is moved into place (and told its new folder); any
    /// other is copied. Does nothing when the current folder already holds exactly these
    /// files.
    pub fn deploy(&self, site: &mut Site, build: &str) -> Result<LocalReport, LocalError> {
        let started = Instant::now();
        check_build_name(build)?;
        let builds_dir = self.root.join(BUILDS);
        create_dir_all(&builds_dir)?;
        let staged_here = site
            .folder()
            .filter(|folder| {
                folder.parent() == Some(builds_dir.as_path())
                    && folder
                        .file_name()
                        .is_some_and(|name| name.to_string_lossy().starts_with(STAGING))
            })
            .map(Path::to_path_buf);
        let current = self.current()?;
        if let Some(name) = &current
            && holds(&builds_dir.join(name), site)?
        {
            let folder = builds_dir.join(name);
            if let Some(staging) = &staged_here {
                remove_if_present(staging)?;
                site.moved_to(&folder);
            }
            return Ok(LocalReport {
                folder,
                changed: false,
                files_written: 0,
                files_linked: 0,
                bytes_written: 0,
                removed: Vec::new(),
                elapsed: started.elapsed(),
            });
        }
        let (staging, files_linked, bytes_linked) = match &staged_here {
            Some(staging) => (staging.clone(), site.linked_files(), site.linked_bytes()),
            None => {
                let staging = self.staging(build)?;
                let mut copy = Site::in_folder(&staging.folder, staging.base)?;
                for (path, _) in site.iter() {
                    let bytes = site.read(&path)?.into_owned();
                    copy.add(path, bytes)?;
                }
                (staging.folder, copy.linked_files(), copy.linked_bytes())
            }
        };
        if self.fsync {
            sync_filesystem(&staging)?;
        }
        let name = staging
            .file_name()
            .map(|name| {
                name.to_string_lossy()
                    .trim_start_matches(STAGING)
                    .to_owned()
            })
            .unwrap_or_default();
        let folder = builds_dir.join(&name);
        rename(&staging, &folder)?;
        if staged_here.is_some() {
            site.moved_to(&folder);
        }
        if self.fsync {
            sync_dir(&builds_dir)?;
        }
        self.point_current_at(&name)?;
        let removed = self.prune(&name)?;
        Ok(LocalReport {
            folder,
            changed: true,
            files_written: site.len() - files_linked,
            files_linked,
            bytes_written: site.total_bytes() - bytes_linked,
            removed,
            elapsed: started.elapsed(),
        })
    }

    /// Points `current` back at a kept build folder (a quick rollback).
    pub fn activate(&self, name: &str) -> Result<(), LocalError> {
        self.current()?;
        if !self.builds()?.iter().any(|kept| kept == name) {
            return Err(LocalError::NoSuchBuild(name.to_owned()));
        }
        self.point_current_at(name)
    }

    fn point_current_at(&self, name: &str) -> Result<(), LocalError> {
        let link = self.root.join(CURRENT_NEW);
        remove_if_present(&link)?;
        let target = Path::new(BUILDS).join(name);
        std::os::unix::fs::symlink(&target, &link).map_err(|source| LocalError::Io {
            path: link.clone(),
            source,
        })?;
        rename(&link, &self.current_path())?;
        if self.fsync {
            sync_dir(&self.root)?;
        }
        Ok(())
    }

    /// Removes build folders beyond `keep` (oldest first, never `current`), and staging
    /// folders left by a crash.
    fn prune(&self, current: &str) -> Result<Vec<String>, LocalError> {
        let builds_dir = self.root.join(BUILDS);
        let builds = self.builds()?;
        let mut removed = Vec::new();
        let excess = builds.len().saturating_sub(self.keep);
        for name in builds.iter().filter(|name| *name != current).take(excess) {
            remove_if_present(&builds_dir.join(name))?;
            removed.push(name.clone());
        }
        let entries = fs::read_dir(&builds_dir).map_err(|source| LocalError::Io {
            path: builds_dir.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(STAGING) && entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                remove_if_present(&entry.path())?;
            }
        }
        Ok(removed)
    }
}

/// The sequence number of a build folder name (`000042-…`).
fn sequence(name: &str) -> Option<u64> {
    let (number, rest) = name.split_once('-')?;
    if number.len() < 6 || rest.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    number.parse().ok()
}

/// Whether `folder` holds exactly the files of `site`, byte for byte. The folder is walked
/// twice rather than listed, so a site of a million files costs no list of a million paths:
/// once to count its files (a cheap way to tell most changes), then to compare each one.
fn holds(folder: &Path, site: &Site) -> Result<bool, LocalError> {
    let mut files = 0;
    visit_files(folder, "", &mut |_| {
        files += 1;
        Ok(true)
    })?;
    if files != site.len() {
        return Ok(false);
    }
    // A site written with `folder` as its base, every file linked from it, is the same.
    if site.base() == Some(folder) && site.linked_files() == site.len() {
        return visit_files(folder, "", &mut |relative| Ok(site.contains(relative)));
    }
    visit_files(folder, "", &mut |relative| {
        let Some(file) = site.get(relative) else {
            return Ok(false);
        };
        let path = folder.join(relative);
        let bytes = fs::read(&path).map_err(|source| LocalError::Io { path, source })?;
        Ok(bytes.len() as u64 == file.size && *site.read(relative)? == *bytes)
    })
}

/// Build ids name folders: letters, digits, '.', '_' and '-', not first '.', at most 80.
fn check_build_name(build: &str) -> Result<(), LocalError> {
    let valid = !build.is_empty()
        && build.len() <= 80
        && build
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && !build.starts_with('.');
    if valid {
        Ok(())
    } else {
        Err(LocalError::InvalidBuild(build.to_owned()))
    }
}

/// Calls `visit` with the path of every file under `dir` (relative, after `prefix`) until it
/// answers false; true when every file was visited.
fn visit_files(
    dir: &Path,
    prefix: &str,
    visit: &mut impl FnMut(&str) -> Result<bool, LocalError>,
) -> Result<bool, LocalError> {
    let entries = fs::read_dir(dir).map_err(|source| LocalError::Io {
        path: dir.to_owned(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| LocalError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let kind = entry.file_type().map_err(|source| LocalError::Io {
            path: entry.path(),
            source,
        })?;
        let carry_on = if kind.is_dir() {
            visit_files(&entry.path(), &relative, visit)?
        } else {
            visit(&relative)?
        };
        if !carry_on {
            return Ok(false);
        }
    }
    Ok(true)
}

fn create_dir_all(path: &Path) -> Result<(), LocalError> {
    fs::create_dir_all(path).map_err(|source| LocalError::Io {
        path: path.to_owned(),
        source,
    })
}

fn rename(from: &Path, to: &Path) -> Result<(), LocalError> {
    fs::rename(from, to).map_err(|source| LocalError::Io {
        path: to.to_owned(),
        source,
    })
}

/// Removes a folder, file or symlink; `remove_dir_all` does not follow symlinks.
fn remove_if_present(path: &Path) -> Result<(), LocalError> {
    let result = match fs::symlink_metadata(path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => Err(error),
        Ok(metadata) if metadata.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
    };
    result.map_err(|source| LocalError::Io {
        path: path.to_owned(),
        source,
    })
}

fn sync_dir(path: &Path) -> Result<(), LocalError> {
    File::open(path)
        .and_then(|dir| dir.sync_all())
        .map_err(|source| LocalError::Io {
            path: path.to_owned(),
            source,
        })
}

/// Makes everything written to the filesystem holding `path` durable, in one call.
fn sync_filesystem(path: &Path) -> Result<(), LocalError> {
    File::open(path)
        .and_then(|folder| rustix::fs::syncfs(&folder).map_err(std::io::Error::from))
        .map_err(|source| LocalError::Io {
            path: path.to_owned(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_folder_names_carry_a_sequence() {
        assert_eq!(sequence("000042-abc"), Some(42));
        assert_eq!(sequence("1234567-x"), Some(1_234_567));
        assert_eq!(sequence("42-abc"), None);
        assert_eq!(sequence(".staging-000001-x"), None);
        assert_eq!(sequence("000001-"), None);
    }
}
