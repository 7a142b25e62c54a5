//! The git history against real repositories in temporary folders: a local bare repository
//! and a bare remote made with git2's `init_bare`, as `git init --bare` would.

use std::path::Path;
use std::time::Duration;

use almanac_deploy::{
    BUILD_TRAILER, Change, CommitInfo, CommitOutcome, GitConfig, GitError, GitHistory, Site,
};
use chrono::{TimeZone, Utc};
use git2::Repository;

fn site(files: &[(&str, &str)]) -> Site {
    let mut site = Site::new();
    for (path, text) in files {
        site.add(*path, text.as_bytes().to_vec()).unwrap();
    }
    site
}

fn info(build_id: &str, hour: u32) -> CommitInfo<'_> {
    CommitInfo {
        build_id,
        requester: "editor@example.gov.uk",
        time: Utc.with_ymd_and_hms(2026, 11, 22, hour, 0, 0).unwrap(),
    }
}

fn history(dir: &Path, remote: Option<&Path>) -> GitHistory {
    let mut config = GitConfig::new(dir.join("history.git"));
    config.remote_url = remote.map(|path| path.to_string_lossy().into_owned());
    config.push_backoff = Duration::from_millis(10);
    config.listed_pages = 2;
    GitHistory::open(config).unwrap()
}

#[test]
fn builds_become_commits_pushed_to_the_remote_and_unchanged_builds_make_none() {
    let dir = tempfile::tempdir().unwrap();
    let remote_path = dir.path().join("remote.git");
    let remote = Repository::init_bare(&remote_path).unwrap();
    let history = history(dir.path(), Some(&remote_path));
    let v1 = site(&[
        ("index.html", "home"),
        ("health/index.html", "health"),
        ("health/smoking/latest/index.html", "smoking"),
        ("assets/site-0123abcd.css", "body{}"),
    ]);

    let first = history.commit_and_push(&v1, &info("build-1", 9)).unwrap();
    let CommitOutcome::Committed {
        commit: c1,
        changed,
    } = &first.commit
    else {
        panic!("{:?}", first.commit);
    };
    assert_eq!(changed.files.len(), 4);
    assert!(
        changed
            .files
            .iter()
            .all(|(_, change)| *change == Change::Added)
    );
    let pushed = first.push.unwrap().unwrap();
    assert_eq!(&pushed.commit, c1);
    assert_eq!(pushed.attempts, 1);
    let remote_head = remote.find_reference("refs/heads/main").unwrap();
    assert_eq!(remote_head.target().unwrap().to_string(), *c1);

    // The commit: fixed author, the given time, the message, a tree with the site's files.
    let local = Repository::open(dir.path().join("history.git")).unwrap();
    assert!(local.is_bare());
    let commit = local.find_commit(git2::Oid::from_str(c1).unwrap()).unwrap();
    assert_eq!(commit.author().name().unwrap(), "Almanac site builder");
    assert_eq!(commit.time().seconds(), info("x", 9).time.timestamp());
    let message = commit.message().unwrap();
    assert!(message.starts_with("Build build-1\n\nRequested by editor@example.gov.uk."));
    assert!(message.contains("Changed pages (3):"), "{message}");
    assert!(message.contains("added   /health/\n"), "{message}");
    assert!(message.contains("and 1 more"), "{message}");
    assert!(message.contains("Other files changed: 1."), "{message}");
    assert!(message.contains(&format!("{BUILD_TRAILER}: build-1\n")));
    let tree = commit.tree().unwrap();
    let blob = tree
        .get_path(Path::new("health/smoking/latest/index.html"))
        .unwrap();
    assert_eq!(local.find_blob(blob.id()).unwrap().content(), b"smoking");

    // Nothing changed: no commit; the push still runs and is a no-op.
    let again = history.commit_and_push(&v1, &info("build-2", 10)).unwrap();
    assert_eq!(again.commit, CommitOutcome::Unchanged { head: c1.clone() });
    assert!(again.push.unwrap().is_ok());
    assert_eq!(history.head().unwrap().as_deref(), Some(c1.as_str()));

    // One page changed, one removed.
    let v2 = site(&[
        ("index.html", "home"),
        ("health/index.html", "health, edited"),
        ("assets/site-0123abcd.css", "body{}"),
    ]);
    let second = history.commit_and_push(&v2, &info("build-3", 11)).unwrap();
    let CommitOutcome::Committed {
        commit: c2,
        changed,
    } = &second.commit
    else {
        panic!("{:?}", second.commit);
    };
    assert_eq!(
        changed.files,
        [
            ("health/index.html".to_owned(), Change::Modified),
            (
                "health/smoking/latest/index.html".to_owned(),
                Change::Deleted
            ),
        ]
    );
    let c2_commit = local.find_commit(git2::Oid::from_str(c2).unwrap()).unwrap();
    assert_eq!(c2_commit.parent_id(0).unwrap().to_string(), *c1);
    let message = c2_commit.message().unwrap();
    assert!(message.contains("changed /health/"), "{message}");
    assert!(
        message.contains("deleted /health/smoking/latest/"),
        "{message}"
    );
    assert_eq!(
        remote
            .find_reference("refs/heads/main")
            .unwrap()
            .target()
            .unwrap()
            .to_string(),
        *c2
    );

    // Rollback material: any earlier state, by build id, by commit, or by revision.
    assert_eq!(history.site_at("build-1").unwrap(), v1);
    assert_eq!(history.site_at(c1).unwrap(), v1);
    assert_eq!(history.site_at("main~1").unwrap(), v1);
    assert_eq!(history.site_at("build-3").unwrap(), v2);
    assert_eq!(history.site_at("main").unwrap(), v2);
    let restored = history.site_at("build-1").unwrap();
    assert_eq!(
        restored.read("assets/site-0123abcd.css").unwrap().as_ref(),
        v1.read("assets/site-0123abcd.css").unwrap().as_ref()
    );
    assert!(matches!(
        history.site_at("build-404"),
        Err(GitError::NotFound(_))
    ));
}

#[test]
fn the_same_build_makes_the_same_commit() {
    let site = site(&[("index.html", "home"), ("a/b/c.csv", "x,y")]);
    let commits: Vec<String> = (0..2)
        .map(|_| {
            let dir = tempfile::tempdir().unwrap();
            let history = history(dir.path(), None);
            let report = history.commit_and_push(&site, &info("b", 9)).unwrap();
            assert!(report.push.is_none());
            report.commit.commit().to_owned()
        })
        .collect();
    assert_eq!(commits[0], commits[1]);
}

#[test]
fn a_failed_push_is_reported_apart_and_made_up_by_the_next_build() {
    let dir = tempfile::tempdir().unwrap();
    let remote_path = dir.path().join("not-yet.git");
    let history = history(dir.path(), Some(&remote_path));
    let v1 = site(&[("index.html", "home")]);

    let report = history.commit_and_push(&v1, &info("build-1", 9)).unwrap();
    let commit = report.commit.commit().to_owned();
    assert!(matches!(report.commit, CommitOutcome::Committed { .. }));
    let failure = report.push.unwrap().unwrap_err();
    assert_eq!(failure.attempts, 3);
    assert!(failure.to_string().contains("not-yet.git"), "{failure}");

    // The remote appears; the next build changes nothing but still pushes.
    let remote = Repository::init_bare(&remote_path).unwrap();
    let report = history.commit_and_push(&v1, &info("build-2", 10)).unwrap();
    assert!(matches!(report.commit, CommitOutcome::Unchanged { .. }));
    assert_eq!(report.push.unwrap().unwrap().commit, commit);
    assert_eq!(
        remote
            .find_reference("refs/heads/main")
            .unwrap()
            .target()
            .unwrap()
            .to_string(),
        commit
    );
}

#[test]
fn a_remote_that_moved_on_rejects_the_push() {
    let dir = tempfile::tempdir().unwrap();
    let remote_path = dir.path().join("remote.git");
    Repository::init_bare(&remote_path).unwrap();
    // Another history pushes first.
    let other_dir = tempfile::tempdir().unwrap();
    let other = history(other_dir.path(), Some(&remote_path));
    let pushed = other
        .commit_and_push(&site(&[("other.html", "x")]), &info("other", 8))
        .unwrap();
    assert!(pushed.push.unwrap().is_ok());

    let ours = history(dir.path(), Some(&remote_path));
    let report = ours
        .commit_and_push(&site(&[("index.html", "home")]), &info("build-1", 9))
        .unwrap();
    let failure = report.push.unwrap().unwrap_err();
    assert!(failure.message.contains("not present locally"), "{failure}");
    assert_eq!(failure.attempts, 1, "a rejection is not retried");
}

/// Timing at the size of a large site: `cargo test -p almanac-deploy --test git -- --ignored
/// --nocapture`.
#[test]
#[ignore = "a timing, not a check"]
fn ten_thousand_files() {
    let dir = tempfile::tempdir().unwrap();
    let remote_path = dir.path().join("remote.git");
    Repository::init_bare(&remote_path).unwrap();
    let history = history(dir.path(), Some(&remote_path));
    let mut big = Site::new();
    for i in 0..10_000 {
        big.add(
            format!(
                "topic-{}/sub-{}/measure-{i}/latest/index.html",
                i % 13,
                i % 7
            ),
            format!(
                "<html><body><h1>Measure {i}</h1>{}</body></html>",
                "x".repeat(2000)
            )
            .into_bytes(),
        )
        .unwrap();
    }
    let started = std::time::Instant::now();
    let report = history.commit_and_push(&big, &info("big-1", 9)).unwrap();
    assert!(report.push.unwrap().is_ok());
    eprintln!(
        "first commit + push of 10,000 files: {:?}",
        started.elapsed()
    );
    let mut changed = Site::new();
    for (path, _) in big.iter() {
        let mut bytes = big.read(&path).unwrap().into_owned();
        if path.contains("measure-42/") {
            bytes.extend_from_slice(b"edited");
        }
        changed.add(path, bytes).unwrap();
    }
    let started = std::time::Instant::now();
    let report = history
        .commit_and_push(&changed, &info("big-2", 10))
        .unwrap();
    assert!(report.push.unwrap().is_ok());
    eprintln!(
        "one-page commit + push at 10,000 files: {:?}",
        started.elapsed()
    );
    let started = std::time::Instant::now();
    let report = history
        .commit_and_push(&changed, &info("big-3", 11))
        .unwrap();
    assert!(matches!(report.commit, CommitOutcome::Unchanged { .. }));
    eprintln!("no-op build at 10,000 files: {:?}", started.elapsed());
    let started = std::time::Instant::now();
    assert_eq!(history.site_at("big-1").unwrap(), big);
    eprintln!("site_at of 10,000 files: {:?}", started.elapsed());
}
