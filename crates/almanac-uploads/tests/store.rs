//! The local file store: round trips, atomic replacement, and keys that try to escape.

use almanac_uploads::{FileStore, LocalStore, StoreKey, UploadError, stored_file_name};

fn store() -> (tempfile::TempDir, FileStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::Local(LocalStore::new(dir.path().join("uploads")));
    (dir, store)
}

#[tokio::test]
async fn put_get_copy_delete() {
    let (dir, store) = store();
    let key = StoreKey::new(12, "1.0", stored_file_name("Employment by ethnicity"));
    store.put(&key, b"a,b\n1,2\n").await.unwrap();
    assert!(
        dir.path()
            .join("uploads/12/1.0/source/employment-by-ethnicity.csv")
            .is_file()
    );
    assert_eq!(store.get(&key).await.unwrap(), b"a,b\n1,2\n");

    // Replacing leaves no temporary files behind.
    store.put(&key, b"a,b\n3,4\n").await.unwrap();
    assert_eq!(store.get(&key).await.unwrap(), b"a,b\n3,4\n");
    let names: Vec<_> = std::fs::read_dir(dir.path().join("uploads/12/1.0/source"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(names, ["employment-by-ethnicity.csv"]);

    // A new version gets a copy; the old one keeps its file.
    let next = StoreKey::new(12, "1.1", key.file_name.clone());
    store.copy(&key, &next).await.unwrap();
    assert_eq!(store.get(&next).await.unwrap(), b"a,b\n3,4\n");

    store.delete(&key).await.unwrap();
    let error = store.get(&key).await.unwrap_err();
    assert_eq!(
        error,
        UploadError::Storage(
            "could not read 12/1.0/source/employment-by-ethnicity.csv: there is no such file"
                .to_owned()
        )
    );
    // Deleting again is fine; the copy is untouched.
    store.delete(&key).await.unwrap();
    assert_eq!(store.get(&next).await.unwrap(), b"a,b\n3,4\n");

    let error = store
        .copy(&key, &StoreKey::new(12, "2.0", "x.csv"))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("no such file"), "{error}");
}

#[tokio::test]
async fn refuses_keys_that_leave_the_root() {
    let (dir, store) = store();
    let bad = [
        StoreKey::new(1, "1.0", "../../../escape.csv"),
        StoreKey::new(1, "1.0", "..csv"),
        StoreKey::new(1, "1.0", "a/b.csv"),
        StoreKey::new(1, "1.0", "a\\b.csv"),
        StoreKey::new(1, "1.0", "a\0.csv"),
        StoreKey::new(1, "1.0", ""),
        StoreKey::new(1, "1.0", "."),
        StoreKey::new(1, "..", "x.csv"),
        StoreKey::new(1, "../..", "x.csv"),
        StoreKey::new(1, "/etc", "x.csv"),
        StoreKey::new(1, "", "x.csv"),
    ];
    for key in &bad {
        for result in [
            store.put(key, b"x").await,
            store.get(key).await.map(drop),
            store.delete(key).await,
            store.copy(key, &StoreKey::new(1, "1.0", "ok.csv")).await,
            store.copy(&StoreKey::new(1, "1.0", "ok.csv"), key).await,
        ] {
            let error = result.unwrap_err();
            assert!(
                matches!(&error, UploadError::Storage(detail) if detail.contains("must not")),
                "{key:?}: {error:?}"
            );
        }
    }
    // Nothing was written anywhere, inside the root or beside it.
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}
