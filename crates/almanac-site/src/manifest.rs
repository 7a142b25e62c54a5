//! What a deployed copy of the site holds, and what to change to turn one copy into another.

use std::collections::BTreeMap;
use std::iter::Peekable;

use serde::{Deserialize, Serialize};

use crate::site::{FileId, Site, SiteFile, cache_control_for, content_type_for, is_fingerprinted};

/// One deployed file: its content hash, size and the headers it was sent with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    pub size: u64,
    pub content_type: String,
    pub cache_control: String,
}

impl ManifestEntry {
    /// The entry a deploy records for the site's file at `path`.
    pub fn of(path: &str, file: &SiteFile) -> ManifestEntry {
        ManifestEntry {
            sha256: file.sha256_hex(),
            size: file.size,
            content_type: content_type_for(path).to_owned(),
            cache_control: cache_control_for(path).to_owned(),
        }
    }

    /// What it takes to make a copy holding this entry hold the site's file at `path`.
    fn step_to(&self, path: &str, file: &SiteFile) -> Option<StepKind> {
        if !(file.sha256_is(&self.sha256) && self.size == file.size) {
            Some(StepKind::Upload)
        } else if self.content_type != content_type_for(path)
            || self.cache_control != cache_control_for(path)
        {
            Some(StepKind::HeadersOnly)
        } else {
            None
        }
    }
}

/// Path → entry, for a whole deployed copy. Deploys never hold one for the site they send
/// (see [`ManifestDiff`]); this is for reading a target's record whole (`verify`, tests).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub entries: BTreeMap<String, ManifestEntry>,
}

impl Manifest {
    pub fn of(site: &Site) -> Manifest {
        let entries = site
            .iter()
            .map(|(path, file)| {
                let entry = ManifestEntry::of(&path, file);
                (path, entry)
            })
            .collect();
        Manifest { entries }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// When a step runs. New assets go first, so no page ever refers to an asset not yet there;
/// the sitemap goes after the pages it lists; deletes come last, when nothing links to the
/// deleted files any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    Assets,
    Pages,
    Sitemap,
    Delete,
}

impl Phase {
    /// Every phase, in the order a deploy runs them.
    pub const ALL: [Phase; 4] = [Phase::Assets, Phase::Pages, Phase::Sitemap, Phase::Delete];

    fn of_upload(path: &str) -> Phase {
        if path.starts_with("assets/") || is_fingerprinted(path) {
            Phase::Assets
        } else if path == "sitemap.xml"
            || path
                .strip_prefix("sitemap-")
                .and_then(|rest| rest.strip_suffix(".xml"))
                .is_some_and(|number| number.bytes().all(|byte| byte.is_ascii_digit()))
        {
            Phase::Sitemap
        } else {
            Phase::Pages
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// New or changed bytes.
    Upload,
    /// Same bytes, other headers: the object is copied onto itself with the new headers.
    HeadersOnly,
    Delete,
}

/// One step of a deploy, with its path put together for the moment it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployStep {
    pub path: String,
    pub phase: Phase,
    pub kind: StepKind,
    /// The site's file an upload or header update writes; `None` for a delete.
    pub file: Option<FileId>,
}

/// An upload or header update, eight bytes: a deploy that touches every file of a large
/// site (a new template) holds one per file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Write {
    file: FileId,
    kind: StepKind,
    phase: Phase,
}

/// What to do to a deployed copy so that it holds a site: made by [`DiffBuilder`] from the
/// copy's record, read in path order, and the site, walked in path order beside it. Neither
/// side is held whole; writes name the site's files by number, and only deletes keep paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestDiff {
    /// In path order.
    writes: Vec<Write>,
    /// In path order.
    deletes: Vec<String>,
    previous_files: usize,
    site_files: usize,
}

/// The previous copy's record came out of path order, so the walk beside the site would
/// give wrong steps.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the deployed files' record is not in path order: “{later}” came after “{earlier}”")]
pub struct OutOfOrder {
    pub earlier: String,
    pub later: String,
}

type SiteWalk<'s> = Peekable<Box<dyn Iterator<Item = (FileId, String, &'s SiteFile)> + 's>>;

/// Builds a [`ManifestDiff`] from the previous copy's files, given one by one in path
/// order (byte order, as `ORDER BY path COLLATE "C"` gives them).
pub struct DiffBuilder<'s> {
    site: SiteWalk<'s>,
    last_previous: Option<String>,
    diff: ManifestDiff,
}

impl<'s> DiffBuilder<'s> {
    pub fn new(site: &'s Site) -> DiffBuilder<'s> {
        let walk: Box<dyn Iterator<Item = (FileId, String, &'s SiteFile)> + 's> =
            Box::new(site.iter_ids());
        DiffBuilder {
            site: walk.peekable(),
            last_previous: None,
            diff: ManifestDiff {
                site_files: site.len(),
                ..ManifestDiff::default()
            },
        }
    }

    /// The next file the copy holds, after every one given so far.
    pub fn previous(&mut self, path: String, entry: &ManifestEntry) -> Result<(), OutOfOrder> {
        if let Some(earlier) = &self.last_previous
            && path <= *earlier
        {
            return Err(OutOfOrder {
                earlier: earlier.clone(),
                later: path,
            });
        }
        loop {
            match self.site.next_if(|(_, site_path, _)| *site_path <= path) {
                Some((id, site_path, file)) if site_path == path => {
                    if let Some(kind) = entry.step_to(&site_path, file) {
                        self.diff.push_write(id, &site_path, kind);
                    }
                    break;
                }
                Some((id, site_path, _)) => self.diff.push_write(id, &site_path, StepKind::Upload),
                None => {
                    self.diff.deletes.push(path.clone());
                    break;
                }
            }
        }
        self.diff.previous_files += 1;
        self.last_previous = Some(path);
        Ok(())
    }

    /// The diff, with the site's files the copy lacks as uploads.
    pub fn finish(mut self) -> ManifestDiff {
        for (id, path, _) in self.site {
            self.diff.push_write(id, &path, StepKind::Upload);
        }
        self.diff
    }
}

impl ManifestDiff {
    /// The steps to make a copy holding `previous` hold `site`.
    pub fn between(previous: &Manifest, site: &Site) -> ManifestDiff {
        let mut builder = DiffBuilder::new(site);
        for (path, entry) in &previous.entries {
            builder
                .previous(path.clone(), entry)
                .expect("a BTreeMap of Strings iterates in byte order");
        }
        builder.finish()
    }

    fn push_write(&mut self, file: FileId, path: &str, kind: StepKind) {
        self.writes.push(Write {
            file,
            kind,
            phase: Phase::of_upload(path),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty() && self.deletes.is_empty()
    }

    pub fn len(&self) -> usize {
        self.writes.len() + self.deletes.len()
    }

    pub fn count(&self, kind: StepKind) -> usize {
        match kind {
            StepKind::Delete => self.deletes.len(),
            _ => self
                .writes
                .iter()
                .filter(|write| write.kind == kind)
                .count(),
        }
    }

    /// How many files the copy held before.
    pub fn previous_files(&self) -> usize {
        self.previous_files
    }

    /// The site's files to upload or update, in path order.
    pub fn written(&self) -> impl Iterator<Item = FileId> + '_ {
        self.writes.iter().map(|write| write.file)
    }

    /// The files to delete, in path order.
    pub fn deletes(&self) -> &[String] {
        &self.deletes
    }

    /// Whether this diff was made for `site` (its file numbers mean something there).
    pub fn is_for(&self, site: &Site) -> bool {
        self.site_files == site.len()
    }

    /// The steps of one phase, in path order; `site` is the one the diff was made for.
    pub fn steps_in<'a>(
        &'a self,
        phase: Phase,
        site: &'a Site,
    ) -> Box<dyn Iterator<Item = DeployStep> + Send + 'a> {
        if phase == Phase::Delete {
            return Box::new(self.deletes.iter().map(move |path| DeployStep {
                path: path.clone(),
                phase,
                kind: StepKind::Delete,
                file: None,
            }));
        }
        Box::new(
            self.writes
                .iter()
                .filter(move |write| write.phase == phase)
                .map(|write| DeployStep {
                    path: site
                        .path_of(write.file)
                        .expect("a diff is used with the site it was made for"),
                    phase: write.phase,
                    kind: write.kind,
                    file: Some(write.file),
                }),
        )
    }

    /// Every step, phase by phase, each phase in path order.
    pub fn steps<'a>(&'a self, site: &'a Site) -> impl Iterator<Item = DeployStep> + 'a {
        Phase::ALL
            .into_iter()
            .flat_map(move |phase| self.steps_in(phase, site))
    }

    /// The paths of one kind of step, in path order.
    pub fn paths(&self, kind: StepKind, site: &Site) -> Vec<String> {
        let mut paths: Vec<String> = self
            .steps(site)
            .filter(|step| step.kind == kind)
            .map(|step| step.path)
            .collect();
        paths.sort();
        paths
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(files: &[(&str, &str)]) -> Site {
        let mut site = Site::new();
        for (path, text) in files {
            site.add(*path, text.as_bytes().to_vec()).unwrap();
        }
        site
    }

    #[test]
    fn only_changes_are_steps_and_they_come_in_a_safe_order() {
        let before = Manifest::of(&site(&[
            ("index.html", "home"),
            ("old/index.html", "gone soon"),
            ("assets/site-0123456789ab.css", "a"),
            ("sitemap.xml", "<urlset/>"),
        ]));
        let after = site(&[
            ("index.html", "home, changed"),
            ("new/index.html", "new"),
            ("assets/site-0123456789ab.css", "a"),
            ("assets/site-ba9876543210.css", "b"),
            ("sitemap.xml", "<urlset>…</urlset>"),
        ]);
        let diff = ManifestDiff::between(&before, &after);
        let order: Vec<(String, StepKind)> = diff
            .steps(&after)
            .map(|step| (step.path, step.kind))
            .collect();
        assert_eq!(
            order,
            [
                ("assets/site-ba9876543210.css".into(), StepKind::Upload),
                ("index.html".into(), StepKind::Upload),
                ("new/index.html".into(), StepKind::Upload),
                ("sitemap.xml".into(), StepKind::Upload),
                ("old/index.html".into(), StepKind::Delete),
            ]
        );
        assert_eq!(diff.previous_files(), 4);
        assert!(ManifestDiff::between(&Manifest::of(&after), &after).is_empty());
    }

    #[test]
    fn a_header_change_alone_is_not_an_upload() {
        let after = site(&[("a.html", "x")]);
        let mut before = Manifest::of(&after);
        before.entries.get_mut("a.html").unwrap().cache_control = "no-cache".into();
        let diff = ManifestDiff::between(&before, &after);
        assert_eq!(diff.paths(StepKind::HeadersOnly, &after), ["a.html"]);
        assert_eq!(diff.count(StepKind::Upload), 0);
    }

    #[test]
    fn the_walk_beside_the_site_matches_a_lookup_of_every_path() {
        // Paths whose byte order differs from a per-segment order, on both sides, and a
        // record with a file pending (a hash no file has).
        let after = site(&[
            ("a-b/c.html", "1"),
            ("a/b.html", "2"),
            ("a/b/c.html", "3"),
            ("a.html", "4"),
            ("z/index.html", "5"),
        ]);
        let mut before = Manifest::of(&site(&[
            ("a-b/c.html", "1"),
            ("a-/x.html", "gone"),
            ("a/b.html", "changed"),
            ("a/b/c.html", "3"),
            ("a/b0.html", "gone too"),
            ("z/index.html", "5"),
        ]));
        before.entries.get_mut("a/b/c.html").unwrap().sha256 = "pending".into();
        let diff = ManifestDiff::between(&before, &after);
        assert_eq!(
            diff.paths(StepKind::Upload, &after),
            ["a.html", "a/b.html", "a/b/c.html"]
        );
        assert_eq!(diff.deletes(), ["a-/x.html", "a/b0.html"]);
        assert_eq!(diff.count(StepKind::HeadersOnly), 0);
        assert!(diff.is_for(&after));
    }

    #[test]
    fn a_record_out_of_path_order_is_refused() {
        let after = site(&[("a.html", "x")]);
        let entry = Manifest::of(&after).entries["a.html"].clone();
        let mut builder = DiffBuilder::new(&after);
        builder.previous("b.html".into(), &entry).unwrap();
        let error = builder.previous("a.html".into(), &entry).unwrap_err();
        assert_eq!(error.earlier, "b.html");
        assert!(error.to_string().contains("not in path order"), "{error}");
    }

    #[test]
    fn hashes_are_hex_sha256() {
        let after = site(&[("a.txt", "abc")]);
        let manifest = Manifest::of(&after);
        let hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(manifest.entries["a.txt"].sha256, hex);
        assert!(after.get("a.txt").unwrap().sha256_is(hex));
        assert!(!after.get("a.txt").unwrap().sha256_is("pending"));
    }
}
