//! What a deployed copy of the site holds, and what to change to turn one copy into another.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::site::{Site, cache_control_for, content_type_for, is_fingerprinted};

/// One deployed file: its content hash, size and the headers it was sent with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    pub size: u64,
    pub content_type: String,
    pub cache_control: String,
}

/// Path → entry, for a whole deployed copy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub entries: BTreeMap<String, ManifestEntry>,
}

impl Manifest {
    pub fn of(site: &Site) -> Manifest {
        let entries = site
            .iter()
            .map(|(path, file)| {
                let entry = ManifestEntry {
                    sha256: file.sha256_hex(),
                    size: file.size,
                    content_type: content_type_for(&path).to_owned(),
                    cache_control: cache_control_for(&path).to_owned(),
                };
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

    /// What to do to a copy holding `self` so that it holds `target`.
    pub fn diff_to(&self, target: &Manifest) -> ManifestDiff {
        let mut steps = Vec::new();
        for (path, wanted) in &target.entries {
            match self.entries.get(path) {
                Some(current) if current == wanted => {}
                Some(current) if current.sha256 == wanted.sha256 => steps.push(DeployStep {
                    path: path.clone(),
                    phase: Phase::of_upload(path),
                    kind: StepKind::HeadersOnly,
                }),
                _ => steps.push(DeployStep {
                    path: path.clone(),
                    phase: Phase::of_upload(path),
                    kind: StepKind::Upload,
                }),
            }
        }
        for path in self.entries.keys() {
            if !target.entries.contains_key(path) {
                steps.push(DeployStep {
                    path: path.clone(),
                    phase: Phase::Delete,
                    kind: StepKind::Delete,
                });
            }
        }
        steps.sort_by(|a, b| (a.phase, &a.path).cmp(&(b.phase, &b.path)));
        ManifestDiff { steps }
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployStep {
    pub path: String,
    pub phase: Phase,
    pub kind: StepKind,
}

/// The steps between two manifests, in phase order, then path order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestDiff {
    pub steps: Vec<DeployStep>,
}

impl ManifestDiff {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    pub fn count(&self, kind: StepKind) -> usize {
        self.steps.iter().filter(|step| step.kind == kind).count()
    }

    pub fn paths(&self, kind: StepKind) -> Vec<&str> {
        self.steps
            .iter()
            .filter(|step| step.kind == kind)
            .map(|step| step.path.as_str())
            .collect()
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
        let after = Manifest::of(&site(&[
            ("index.html", "home, changed"),
            ("new/index.html", "new"),
            ("assets/site-0123456789ab.css", "a"),
            ("assets/site-ba9876543210.css", "b"),
            ("sitemap.xml", "<urlset>…</urlset>"),
        ]));
        let diff = before.diff_to(&after);
        let order: Vec<(&str, StepKind)> = diff
            .steps
            .iter()
            .map(|step| (step.path.as_str(), step.kind))
            .collect();
        assert_eq!(
            order,
            [
                ("assets/site-ba9876543210.css", StepKind::Upload),
                ("index.html", StepKind::Upload),
                ("new/index.html", StepKind::Upload),
                ("sitemap.xml", StepKind::Upload),
                ("old/index.html", StepKind::Delete),
            ]
        );
        assert!(after.diff_to(&after).is_empty());
    }

    #[test]
    fn a_header_change_alone_is_not_an_upload() {
        let before = Manifest::of(&site(&[("a.html", "x")]));
        let mut after = before.clone();
        after.entries.get_mut("a.html").unwrap().cache_control = "no-cache".into();
        let diff = before.diff_to(&after);
        assert_eq!(diff.paths(StepKind::HeadersOnly), ["a.html"]);
        assert_eq!(diff.count(StepKind::Upload), 0);
    }

    #[test]
    fn hashes_are_hex_sha256() {
        let manifest = Manifest::of(&site(&[("a.txt", "abc")]));
        assert_eq!(
            manifest.entries["a.txt"].sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
