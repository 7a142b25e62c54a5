//! A seeded demo site with its upload files stored, ready to build.

use std::path::{Path, PathBuf};

use almanac_build::pipeline::BuildInputs;
use almanac_render::SiteSettings;
use almanac_seed::{SeedOptions, demo_upload_files, seed};
use almanac_test_support::TestDatabase;
use almanac_uploads::{FileStore, LocalStore, StoreKey};

pub fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// Loads the reference data, seeds `measures` measures, stores their upload files under
/// `uploads`, and returns what a build of that site reads.
pub async fn seeded_site(
    database: &TestDatabase,
    uploads: &Path,
    measures: usize,
    settings: SiteSettings,
) -> BuildInputs {
    let mut conn = database.conn();
    almanac_content::reference::load_reference_data(&mut conn).unwrap();
    seed(&mut conn, SeedOptions { measures, seed: 11 }).unwrap();
    let store = FileStore::Local(LocalStore::new(uploads));
    for file in demo_upload_files(&mut conn).unwrap() {
        let key = StoreKey::new(file.measure_id, file.version, file.file_name);
        store.put(&key, &file.bytes).await.unwrap();
    }
    BuildInputs {
        settings,
        govuk_dir: root().join("node_modules/govuk-frontend/dist/govuk"),
        static_dir: root().join("static"),
        uploads: store,
        // Several batches even on a small site: the batch edges are where streaming breaks.
        page_batch: 7,
    }
}
