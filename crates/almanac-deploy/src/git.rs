//! The site's history in git: each build that changes the site becomes one commit, written
//! straight from the [`Site`] (blobs from its bytes, trees from its paths; no working tree),
//! then pushed. Any commit can be turned back into a [`Site`] to deploy again (rollback).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use almanac_site::{Site, SiteError};
use chrono::{DateTime, Utc};
use git2::{
    Commit, Delta, ObjectType, Oid, PushOptions, RemoteCallbacks, Repository, Signature, Time, Tree,
};

/// The trailer that names the build in each commit message, so `site_at` finds a build.
pub const BUILD_TRAILER: &str = "Almanac-Build";

const FILE_MODE: i32 = 0o100644;
const DIR_MODE: i32 = 0o040000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitConfig {
    /// The local repository (bare), created when missing.
    pub repository: PathBuf,
    pub branch: String,
    pub author_name: String,
    pub author_email: String,
    /// Where to push: a path or `file://` URL (this build of libgit2 has no https/ssh).
    pub remote_url: Option<String>,
    pub push_attempts: u32,
    /// Wait before the second push attempt, doubled each time.
    pub push_backoff: Duration,
    /// Changed pages listed in a commit message before "and N more".
    pub listed_pages: usize,
}

impl GitConfig {
    pub fn new(repository: impl Into<PathBuf>) -> GitConfig {
        GitConfig {
            repository: repository.into(),
            branch: "main".to_owned(),
            author_name: "Almanac site builder".to_owned(),
            author_email: "site-builder@almanac.invalid".to_owned(),
            remote_url: None,
            push_attempts: 3,
            push_backoff: Duration::from_secs(2),
            listed_pages: 20,
        }
    }
}

/// What a commit records besides the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitInfo<'a> {
    pub build_id: &'a str,
    /// Who asked for the build (an editor's email, or the schedule's name).
    pub requester: &'a str,
    /// Author and commit time, so the same build makes the same commit.
    pub time: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Added,
    Modified,
    Deleted,
}

/// Files that differ between two commits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangedFiles {
    pub files: Vec<(String, Change)>,
}

impl ChangedFiles {
    /// The changed HTML pages.
    pub fn pages(&self) -> impl Iterator<Item = &(String, Change)> {
        self.files
            .iter()
            .filter(|(path, _)| path.ends_with(".html"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitOutcome {
    Committed {
        commit: String,
        changed: ChangedFiles,
    },
    /// The tree is the same as the branch head's: no commit.
    Unchanged { head: String },
}

impl CommitOutcome {
    /// The commit that holds the site now.
    pub fn commit(&self) -> &str {
        match self {
            CommitOutcome::Committed { commit, .. } | CommitOutcome::Unchanged { head: commit } => {
                commit
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushReport {
    pub remote: String,
    pub commit: String,
    pub attempts: u32,
}

/// A push that failed every attempt. It never fails the deploy: the caller alerts, and the
/// next build pushes again (it pushes whether or not it committed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("push of {branch} to {remote} failed after {attempts} attempt(s): {message}")]
pub struct PushError {
    pub remote: String,
    pub branch: String,
    pub attempts: u32,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    #[error("“{0}” is neither a build in the history nor a commit")]
    NotFound(String),
    #[error("“{0}” is both a file and a folder in the site")]
    PathConflict(String),
    #[error("the history holds a path the site refuses: {0}")]
    Refused(SiteError),
    #[error("the site: {0}")]
    Site(#[from] SiteError),
    #[error("the history holds “{0}”, which is neither a file nor a folder")]
    NotAFile(String),
}

/// Commit and push, as one call for the build: the push result is kept apart.
#[derive(Debug)]
pub struct GitReport {
    pub commit: CommitOutcome,
    /// `None` without a remote.
    pub push: Option<Result<PushReport, PushError>>,
}

/// The history repository.
pub struct GitHistory {
    repo: Repository,
    config: GitConfig,
}

impl std::fmt::Debug for GitHistory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHistory")
            .field("config", &self.config)
            .finish()
    }
}

enum Node {
    File(Oid),
    Dir(BTreeMap<String, Node>),
}

impl GitHistory {
    /// Opens the repository, creating a bare one when the folder has none.
    pub fn open(config: GitConfig) -> Result<GitHistory, GitError> {
        let repo = match Repository::open(&config.repository) {
            Ok(repo) => repo,
            Err(error) if error.code() == git2::ErrorCode::NotFound => {
                Repository::init_bare(&config.repository)?
            }
            Err(error) => return Err(error.into()),
        };
        Ok(GitHistory { repo, config })
    }

    pub fn config(&self) -> &GitConfig {
        &self.config
    }

    fn branch_ref(&self) -> String {
        format!("refs/heads/{}", self.config.branch)
    }

    /// The branch's newest commit.
    pub fn head(&self) -> Result<Option<String>, GitError> {
        Ok(self.head_commit()?.map(|commit| commit.id().to_string()))
    }

    fn head_commit(&self) -> Result<Option<Commit<'_>>, GitError> {
        match self.repo.find_reference(&self.branch_ref()) {
            Ok(reference) => Ok(Some(reference.peel_to_commit()?)),
            Err(error) if error.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// Writes `site` as a tree and commits it on the branch, unless the branch head already
    /// has that tree.
    pub fn commit(&self, site: &Site, info: &CommitInfo<'_>) -> Result<CommitOutcome, GitError> {
        let tree_id = self.write_tree(site)?;
        let tree = self.repo.find_tree(tree_id)?;
        let parent = self.head_commit()?;
        if let Some(parent) = &parent
            && parent.tree_id() == tree_id
        {
            return Ok(CommitOutcome::Unchanged {
                head: parent.id().to_string(),
            });
        }
        let parent_tree = parent.as_ref().map(Commit::tree).transpose()?;
        let changed = self.changes(parent_tree.as_ref(), &tree)?;
        let message = self.message(info, &changed);
        let time = Time::new(info.time.timestamp(), 0);
        let signature = Signature::new(&self.config.author_name, &self.config.author_email, &time)?;
        let parents: Vec<&Commit<'_>> = parent.iter().collect();
        let commit = self.repo.commit(
            Some(&self.branch_ref()),
            &signature,
            &signature,
            &message,
            &tree,
            &parents,
        )?;
        Ok(CommitOutcome::Committed {
            commit: commit.to_string(),
            changed,
        })
    }

    /// Commits, then pushes (when a remote is configured) whether or not there was a
    /// commit, so a push that failed last time is made up.
    pub fn commit_and_push(
        &self,
        site: &Site,
        info: &CommitInfo<'_>,
    ) -> Result<GitReport, GitError> {
        let commit = self.commit(site, info)?;
        let push = self.config.remote_url.as_ref().map(|_| self.push());
        Ok(GitReport { commit, push })
    }

    /// Pushes the branch to the configured remote, with retries and backoff. A rejected
    /// update (the remote moved on) is a failure too.
    pub fn push(&self) -> Result<PushReport, PushError> {
        let remote_url = self.config.remote_url.clone().unwrap_or_default();
        let failure = |attempts, message: String| PushError {
            remote: remote_url.clone(),
            branch: self.config.branch.clone(),
            attempts,
            message,
        };
        let head = match self.head() {
            Ok(Some(head)) => head,
            Ok(None) => return Err(failure(0, "the branch has no commit yet".to_owned())),
            Err(error) => return Err(failure(0, error.to_string())),
        };
        if remote_url.is_empty() {
            return Err(failure(0, "no remote is configured".to_owned()));
        }
        let refspec = format!("{0}:{0}", self.branch_ref());
        let attempts = self.config.push_attempts.max(1);
        let mut delay = self.config.push_backoff;
        let mut last = String::new();
        for attempt in 1..=attempts {
            match self.push_once(&remote_url, &refspec) {
                Ok(()) => {
                    return Ok(PushReport {
                        remote: remote_url.clone(),
                        commit: head,
                        attempts: attempt,
                    });
                }
                Err((message, retryable)) => {
                    tracing::warn!(remote = %remote_url, attempt, %message, "git push failed");
                    if !retryable {
                        return Err(failure(attempt, message));
                    }
                    last = message;
                }
            }
            if attempt < attempts {
                std::thread::sleep(delay);
                delay = delay.saturating_mul(2);
            }
        }
        Err(failure(attempts, last))
    }

    /// `Err((message, retryable))`: a rejected update (the remote has commits this history
    /// lacks) is not worth retrying; it needs a person.
    fn push_once(&self, url: &str, refspec: &str) -> Result<(), (String, bool)> {
        let rejected = RefCell::new(None);
        let mut callbacks = RemoteCallbacks::new();
        callbacks.push_update_reference(|name, status| {
            if let Some(status) = status {
                *rejected.borrow_mut() = Some(format!("{name} rejected: {status}"));
            }
            Ok(())
        });
        let mut options = PushOptions::new();
        options.remote_callbacks(callbacks);
        let transient = |error: git2::Error| {
            let retryable = error.code() != git2::ErrorCode::NotFastForward;
            (error.message().to_owned(), retryable)
        };
        let mut remote = self.repo.remote_anonymous(url).map_err(transient)?;
        remote
            .push(&[refspec], Some(&mut options))
            .map_err(transient)?;
        drop(options);
        match rejected.into_inner() {
            Some(message) => Err((message, false)),
            None => Ok(()),
        }
    }

    /// The commit of a build (found by the `Almanac-Build` trailer on the branch), or a
    /// commit-ish (`abc123`, `main~2`).
    pub fn resolve(&self, build_or_commit: &str) -> Result<String, GitError> {
        if let Some(head) = self.head_commit()? {
            let mut walk = self.repo.revwalk()?;
            walk.push(head.id())?;
            let wanted = format!("{BUILD_TRAILER}: {build_or_commit}");
            for id in walk {
                let commit = self.repo.find_commit(id?)?;
                let message = String::from_utf8_lossy(commit.message_bytes());
                if message.lines().any(|line| line.trim() == wanted) {
                    return Ok(commit.id().to_string());
                }
            }
        }
        let object = self
            .repo
            .revparse_single(build_or_commit)
            .map_err(|_| GitError::NotFound(build_or_commit.to_owned()))?;
        let commit = object
            .peel_to_commit()
            .map_err(|_| GitError::NotFound(build_or_commit.to_owned()))?;
        Ok(commit.id().to_string())
    }

    /// The site as an earlier commit holds it, for a rollback. Content types and cache
    /// rules come from the paths, as in any build.
    pub fn site_at(&self, build_or_commit: &str) -> Result<Site, GitError> {
        let id = Oid::from_str(&self.resolve(build_or_commit)?)?;
        let tree = self.repo.find_commit(id)?.tree()?;
        let mut site = Site::new();
        self.read_tree(&tree, "", &mut site)?;
        Ok(site)
    }

    fn read_tree(&self, tree: &Tree<'_>, prefix: &str, site: &mut Site) -> Result<(), GitError> {
        for entry in tree.iter() {
            let name = String::from_utf8_lossy(entry.name_bytes()).into_owned();
            let path = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            match entry.kind() {
                Some(ObjectType::Blob) => {
                    let blob = self.repo.find_blob(entry.id())?;
                    site.add(path, blob.content().to_vec())
                        .map_err(GitError::Refused)?;
                }
                Some(ObjectType::Tree) => {
                    let subtree = self.repo.find_tree(entry.id())?;
                    self.read_tree(&subtree, &path, site)?;
                }
                _ => return Err(GitError::NotAFile(path)),
            }
        }
        Ok(())
    }

    fn write_tree(&self, site: &Site) -> Result<Oid, GitError> {
        let mut root = BTreeMap::new();
        for (path, _) in site.iter() {
            let blob = self.repo.blob(&site.read(&path)?)?;
            let mut parts: Vec<&str> = path.split('/').collect();
            let name = parts.pop().unwrap_or_default();
            let mut dir = &mut root;
            for part in parts {
                let node = dir
                    .entry(part.to_owned())
                    .or_insert_with(|| Node::Dir(BTreeMap::new()));
                dir = match node {
                    Node::Dir(children) => children,
                    Node::File(_) => return Err(GitError::PathConflict(path.to_owned())),
                };
            }
            if dir.insert(name.to_owned(), Node::File(blob)).is_some() {
                return Err(GitError::PathConflict(path.to_owned()));
            }
        }
        self.write_dir(&root)
    }

    fn write_dir(&self, dir: &BTreeMap<String, Node>) -> Result<Oid, GitError> {
        let mut builder = self.repo.treebuilder(None)?;
        for (name, node) in dir {
            match node {
                Node::File(blob) => builder.insert(name, *blob, FILE_MODE)?,
                Node::Dir(children) => builder.insert(name, self.write_dir(children)?, DIR_MODE)?,
            };
        }
        Ok(builder.write()?)
    }

    fn changes(&self, old: Option<&Tree<'_>>, new: &Tree<'_>) -> Result<ChangedFiles, GitError> {
        let diff = self.repo.diff_tree_to_tree(old, Some(new), None)?;
        let mut files = Vec::new();
        for delta in diff.deltas() {
            let change = match delta.status() {
                Delta::Added => Change::Added,
                Delta::Deleted => Change::Deleted,
                _ => Change::Modified,
            };
            let file = match change {
                Change::Deleted => delta.old_file(),
                _ => delta.new_file(),
            };
            if let Some(path) = file.path() {
                files.push((path.to_string_lossy().into_owned(), change));
            }
        }
        files.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(ChangedFiles { files })
    }

    fn message(&self, info: &CommitInfo<'_>, changed: &ChangedFiles) -> String {
        let pages: Vec<&(String, Change)> = changed.pages().collect();
        let others = changed.files.len() - pages.len();
        let mut message = format!(
            "Build {}\n\nRequested by {}.\n",
            info.build_id, info.requester
        );
        if !pages.is_empty() {
            message.push_str(&format!("\nChanged pages ({}):\n", pages.len()));
            for (path, change) in pages.iter().take(self.config.listed_pages) {
                let word = match change {
                    Change::Added => "added",
                    Change::Modified => "changed",
                    Change::Deleted => "deleted",
                };
                message.push_str(&format!("  {word:<7} /{}\n", page_url(path)));
            }
            if pages.len() > self.config.listed_pages {
                message.push_str(&format!(
                    "  and {} more\n",
                    pages.len() - self.config.listed_pages
                ));
            }
        }
        if others > 0 {
            message.push_str(&format!("\nOther files changed: {others}.\n"));
        }
        message.push_str(&format!(
            "\n{BUILD_TRAILER}: {}\nAlmanac-Requested-By: {}\n",
            info.build_id, info.requester
        ));
        message
    }
}

/// `health/index.html` → `health/`; other pages keep their names.
fn page_url(path: &str) -> &str {
    if path == "index.html" {
        ""
    } else {
        path.strip_suffix("index.html").unwrap_or(path)
    }
}
