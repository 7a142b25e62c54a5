//! One build, stage by stage: refresh the dashboard views; read the snapshot and render the
//! site from it batch by batch; add the assets and the source-data files; check the result.
//! Each stage reports its time and output, for the build's summary and the admin page.
//!
//! The site goes where the caller says: into a folder (the builder, which writes each file
//! as it is rendered, so memory holds the snapshot's outline, one batch of pages and the
//! site's index, whatever the size of the site), or into memory (tests).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use diesel::pg::PgConnection;
use serde::Serialize;

use almanac_content::pages::MeasurePage;
use almanac_content::snapshot::{self, SiteSnapshot};
use almanac_render::{SiteRender, SiteSettings};
use almanac_site::{Site, SiteError};
use almanac_uploads::{FileStore, StoreKey};

use crate::assets::{self, AssetError};
use crate::checks::{self, Problem};

/// Where the build finds what is not in the database.
#[derive(Debug, Clone)]
pub struct BuildInputs {
    pub settings: SiteSettings,
    /// GOV.UK Frontend's `dist/govuk` folder.
    pub govuk_dir: PathBuf,
    /// Almanac's `static` folder.
    pub static_dir: PathBuf,
    pub uploads: FileStore,
    /// Measure pages read and rendered at a time ([`snapshot::PAGE_BATCH`] in a builder;
    /// tests use a few, so that their small sites take several batches).
    pub page_batch: usize,
}

/// The time and output of one stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stage {
    pub name: &'static str,
    pub seconds: f64,
    pub files: usize,
    pub bytes: u64,
    /// The process's peak resident memory so far, where the system tells it (Linux).
    pub peak_memory_mb: Option<u64>,
}

impl Stage {
    pub fn new(name: &'static str, took: Duration, files: usize, bytes: u64) -> Stage {
        Stage {
            name,
            seconds: took.as_secs_f64(),
            files,
            bytes,
            peak_memory_mb: peak_memory_mb(),
        }
    }
}

/// `VmHWM`, the resident high-water mark, from `/proc/self/status`.
fn peak_memory_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kilobytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes / 1024)
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("the database: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("rendering: {0}")]
    Render(#[from] almanac_render::SiteError),
    #[error("assets: {0}")]
    Assets(#[from] AssetError),
    #[error("the output: {0}")]
    Output(#[from] SiteError),
    #[error("the source-data file {key} of a published page cannot be read: {reason}")]
    Upload { key: String, reason: String },
    #[error(
        "the site failed its checks, so nothing was deployed ({} problems):\n{}",
        .0.len(),
        .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
    )]
    Checks(Vec<Problem>),
}

/// A rendered, checked site and how it was made.
#[derive(Debug)]
pub struct Built {
    pub site: Site,
    /// The snapshot's outline (its measure pages are not kept).
    pub snapshot: SiteSnapshot,
    pub stages: Vec<Stage>,
}

fn stage(name: &'static str, started: Instant, site: &Site) -> Stage {
    Stage::new(name, started.elapsed(), site.len(), site.total_bytes())
}

/// Renders the whole site from the database as it is now into memory, and checks it.
pub async fn build_site(
    conn: &mut PgConnection,
    inputs: &BuildInputs,
) -> Result<Built, BuildError> {
    build_site_into(conn, inputs, Site::new()).await
}

/// Renders the whole site from the database as it is now into `site` (empty: in memory or
/// a new folder), and checks it.
pub async fn build_site_into(
    conn: &mut PgConnection,
    inputs: &BuildInputs,
    mut site: Site,
) -> Result<Built, BuildError> {
    let mut stages = Vec::new();
    let started = Instant::now();
    almanac_content::db::refresh_dashboard_views(conn)?;
    stages.push(Stage::new("views", started.elapsed(), 0, 0));

    let (asset_files, urls) = assets::collect(&inputs.govuk_dir, &inputs.static_dir)?;
    let settings = SiteSettings {
        assets: urls,
        ..inputs.settings.clone()
    };
    // Reading and rendering take turns inside the snapshot's transaction: a batch of pages
    // is read, rendered on every core and written, then let go.
    let (mut reading, mut rendering) = (Duration::ZERO, Duration::ZERO);
    let mut uploads = Vec::new();
    let (snapshot, pages) = snapshot::read(conn, inputs.page_batch, |snapshot, pages| {
        let mut render = SiteRender::new(snapshot, &settings);
        let mut count = 0;
        loop {
            let started = Instant::now();
            let Some(batch) = pages.next_batch()? else {
                break;
            };
            reading += started.elapsed();
            let started = Instant::now();
            render.measure_pages(&batch, &mut site)?;
            uploads.extend(source_uploads(snapshot, &batch));
            count += batch.len();
            rendering += started.elapsed();
        }
        // Each ethnic group's, classification's and geography level's page lists every
        // dimension or page about it: one page's rows at a time.
        for mut detail in snapshot.dashboards.details() {
            let started = Instant::now();
            pages.load_dashboard_detail(&mut detail)?;
            reading += started.elapsed();
            let started = Instant::now();
            render.dashboard_detail_page(&detail, &mut site)?;
            rendering += started.elapsed();
        }
        let started = Instant::now();
        render.finish(&mut site)?;
        rendering += started.elapsed();
        Ok::<usize, BuildError>(count)
    })?;
    stages.push(Stage::new("snapshot", reading, pages, 0));
    stages.push(Stage::new(
        "render",
        rendering,
        site.len(),
        site.total_bytes(),
    ));

    let started = Instant::now();
    site.merge(asset_files)?;
    add_source_files(&mut site, uploads, &inputs.uploads).await?;
    stages.push(stage("files", started, &site));

    let started = Instant::now();
    let problems = checks::check(&site)?;
    stages.push(stage("check", started, &site));
    if !problems.is_empty() {
        return Err(BuildError::Checks(problems));
    }
    Ok(Built {
        site,
        snapshot,
        stages,
    })
}

/// One source upload of a published page and the site paths it goes to.
struct SourceUpload {
    key: StoreKey,
    paths: Vec<String>,
}

/// The clean source uploads of a batch of pages, beside the page at its version's address
/// and, for the newest version, at `latest`.
fn source_uploads(snapshot: &SiteSnapshot, pages: &[MeasurePage]) -> Vec<SourceUpload> {
    let mut uploads = Vec::new();
    for page in pages {
        let path = page.path();
        let path = path.trim_start_matches('/');
        let version = page.version.version().to_string();
        let mut folders = vec![format!("{path}/{version}")];
        if snapshot.is_latest(page) {
            folders.push(format!("{path}/latest"));
        }
        for upload in page.uploads.iter().filter(|upload| upload.is_clean()) {
            uploads.push(SourceUpload {
                key: StoreKey::new(page.version.measure_id, version.clone(), &upload.file_name),
                paths: folders
                    .iter()
                    .map(|folder| format!("{folder}/downloads/{}", upload.file_name))
                    .collect(),
            });
        }
    }
    uploads
}

/// Copies the source uploads from the file store into the site, one file at a time.
async fn add_source_files(
    site: &mut Site,
    uploads: Vec<SourceUpload>,
    store: &FileStore,
) -> Result<(), BuildError> {
    for upload in uploads {
        let bytes = store
            .get(&upload.key)
            .await
            .map_err(|error| BuildError::Upload {
                key: upload.key.to_string(),
                reason: error.to_string(),
            })?;
        for path in upload.paths {
            site.add(path, bytes.clone())?;
        }
    }
    Ok(())
}
