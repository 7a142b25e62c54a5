//! The local folder target in a temporary folder.

use std::fs;
use std::path::Path;

use almanac_deploy::{LocalError, LocalFolder, Site};

fn site(files: &[(&str, &str)]) -> Site {
    let mut site = Site::new();
    for (path, text) in files {
        site.add(*path, text.as_bytes().to_vec()).unwrap();
    }
    site
}

/// Every file under `dir` (following the `current` symlink), with its text.
fn files(dir: &Path) -> Vec<(String, String)> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, String)>) {
        for entry in fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            if entry.path().is_dir() {
                walk(&entry.path(), &path, out);
            } else {
                out.push((path, fs::read_to_string(entry.path()).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out.sort();
    out
}

fn expected(site: &Site) -> Vec<(String, String)> {
    site.iter()
        .map(|(path, _)| {
            let text = String::from_utf8(site.read(&path).unwrap().into_owned()).unwrap();
            (path, text)
        })
        .collect()
}

#[test]
fn each_build_is_swapped_in_whole_and_old_ones_are_pruned_inside_the_folder_only() {
    let outer = tempfile::tempdir().unwrap();
    // Neighbours of the target folder, and a symlink inside a build pointing out of it.
    let neighbour = outer.path().join("neighbour");
    fs::create_dir(&neighbour).unwrap();
    fs::write(neighbour.join("keep.txt"), "mine").unwrap();
    fs::write(outer.path().join("sibling.txt"), "mine too").unwrap();
    let root = outer.path().join("site");
    let target = LocalFolder::new(&root).keep(2);

    let mut v1 = site(&[
        ("index.html", "v1"),
        ("health/index.html", "health"),
        ("assets/site-0123abcd.css", "body{}"),
    ]);
    let first = target.deploy(&mut v1, "build-1").unwrap();
    assert!(first.changed);
    assert_eq!(first.files_written, 3);
    assert_eq!(files(&target.current_path()), expected(&v1));
    assert_eq!(target.current().unwrap().as_deref(), Some("000001-build-1"));
    assert!(
        fs::symlink_metadata(target.current_path())
            .unwrap()
            .file_type()
            .is_symlink()
    );

    // Unchanged: nothing written, same folder.
    let same = target.deploy(&mut v1, "build-2").unwrap();
    assert!(!same.changed);
    assert_eq!(same.files_written, 0);
    assert_eq!(target.builds().unwrap(), ["000001-build-1"]);
    // A symlink out of the folder, inside the build that will be pruned.
    std::os::unix::fs::symlink(&neighbour, root.join("builds/000001-build-1/health/escape"))
        .unwrap();

    let mut v2 = site(&[
        ("index.html", "v2"),
        ("crime/index.html", "crime"),
        ("assets/site-0123abcd.css", "body{}"),
        ("health/escape", "not the symlink's target"),
    ]);
    let second = target.deploy(&mut v2, "build-3").unwrap();
    assert!(second.changed);
    assert_eq!(
        (second.files_written, second.files_linked),
        (3, 1),
        "the unchanged stylesheet is linked from the previous build; the symlink is not"
    );
    assert!(
        !fs::symlink_metadata(target.current_path().join("health/escape"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        files(&target.current_path()),
        expected(&v2),
        "exactly the new site"
    );
    assert_eq!(
        target.builds().unwrap(),
        ["000001-build-1", "000002-build-3"]
    );

    let mut v3 = site(&[("index.html", "v3")]);
    let third = target.deploy(&mut v3, "build-4").unwrap();
    assert_eq!(third.removed, ["000001-build-1"]);
    assert_eq!(
        target.builds().unwrap(),
        ["000002-build-3", "000003-build-4"]
    );
    assert_eq!(files(&target.current_path()), expected(&v3));

    // Removing the build that held a symlink out of the folder left its target alone.
    assert_eq!(
        fs::read_to_string(neighbour.join("keep.txt")).unwrap(),
        "mine"
    );
    assert_eq!(
        fs::read_to_string(outer.path().join("sibling.txt")).unwrap(),
        "mine too"
    );
    let mut top: Vec<String> = fs::read_dir(outer.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, ["neighbour", "sibling.txt", "site"]);
    let mut inside: Vec<String> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    inside.sort();
    assert_eq!(inside, ["builds", "current"]);

    // Quick rollback to the kept previous build.
    target.activate("000002-build-3").unwrap();
    assert_eq!(files(&target.current_path()), expected(&v2));
    assert!(matches!(
        target.activate("000001-build-1"),
        Err(LocalError::NoSuchBuild(_))
    ));
}

#[test]
fn a_crashed_staging_folder_is_cleaned_and_foreign_layouts_are_refused() {
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("site");
    let target = LocalFolder::new(&root).fsync(false);
    // A builder died while writing.
    fs::create_dir_all(root.join("builds/.staging-000001-dead/health")).unwrap();
    fs::write(
        root.join("builds/.staging-000001-dead/health/index.html"),
        "half",
    )
    .unwrap();
    let mut v1 = site(&[("index.html", "v1")]);
    target.deploy(&mut v1, "build-1").unwrap();
    assert_eq!(target.builds().unwrap(), ["000001-build-1"]);
    assert_eq!(fs::read_dir(root.join("builds")).unwrap().count(), 1);

    assert!(matches!(
        target.deploy(&mut v1, "../escape"),
        Err(LocalError::InvalidBuild(_))
    ));

    // A real folder called `current` is not ours to replace.
    let other = outer.path().join("other");
    fs::create_dir_all(other.join("current")).unwrap();
    fs::write(other.join("current/index.html"), "hand-made").unwrap();
    let error = LocalFolder::new(&other).deploy(&mut v1, "b").unwrap_err();
    assert!(matches!(error, LocalError::NotOurs(_)), "{error}");
    assert_eq!(
        fs::read_to_string(other.join("current/index.html")).unwrap(),
        "hand-made"
    );
}

/// The site build writes straight into the staging folder the target gives it: the deploy
/// moves that folder into place, links what did not change, and tells the site where it is.
#[test]
fn a_site_written_into_the_staging_folder_is_moved_into_place_not_copied() {
    let outer = tempfile::tempdir().unwrap();
    let target = LocalFolder::new(outer.path().join("site")).fsync(false);
    let build = |name: &str, files: &[(&str, &str)]| {
        let staging = target.staging(name).unwrap();
        let mut site = Site::in_folder(&staging.folder, staging.base).unwrap();
        for (path, text) in files {
            site.add(*path, text.as_bytes().to_vec()).unwrap();
        }
        site
    };

    let mut first = build("one", &[("index.html", "v1"), ("a/b.csv", "x,y")]);
    let report = target.deploy(&mut first, "one").unwrap();
    assert_eq!((report.files_written, report.files_linked), (2, 0));
    assert_eq!(first.folder(), Some(report.folder.as_path()));
    assert_eq!(first.read("a/b.csv").unwrap().as_ref(), b"x,y");
    assert_eq!(files(&target.current_path()), expected(&first));

    let mut second = build("two", &[("index.html", "v2"), ("a/b.csv", "x,y")]);
    let report = target.deploy(&mut second, "two").unwrap();
    assert_eq!((report.files_written, report.files_linked), (1, 1));
    assert_eq!(report.bytes_written, 2);
    assert_eq!(files(&target.current_path()), expected(&second));

    // The same site again: its staging folder goes, and `current` stays.
    let mut again = build("three", &[("index.html", "v2"), ("a/b.csv", "x,y")]);
    let report = target.deploy(&mut again, "three").unwrap();
    assert!(!report.changed);
    assert_eq!(target.builds().unwrap(), ["000001-one", "000002-two"]);
    assert_eq!(again.folder(), Some(report.folder.as_path()));
    assert_eq!(again.read("index.html").unwrap().as_ref(), b"v2");
    assert_eq!(
        fs::read_dir(outer.path().join("site/builds"))
            .unwrap()
            .count(),
        2,
        "no staging folder is left"
    );
}
