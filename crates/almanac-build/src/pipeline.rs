//! One build, stage by stage: refresh the dashboard views, load the snapshot, render the
//! site, add the assets and the source-data files, check the result. Each stage reports
//! its time and output, for the build's summary and the admin page.

use std::path::PathBuf;
use std::time::Instant;

use diesel::pg::PgConnection;
use serde::Serialize;

use almanac_content::snapshot::{self, SiteSnapshot};
use almanac_render::SiteSettings;
use almanac_site::Site;
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
}

/// The time and output of one stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stage {
    pub name: &'static str,
    pub seconds: f64,
    pub files: usize,
    pub bytes: u64,
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
    Path(#[from] almanac_site::SitePathError),
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
    pub snapshot: SiteSnapshot,
    pub stages: Vec<Stage>,
}

fn stage(name: &'static str, started: Instant, site: &Site) -> Stage {
    Stage {
        name,
        seconds: started.elapsed().as_secs_f64(),
        files: site.len(),
        bytes: site.total_bytes(),
    }
}

/// Renders the whole site from the database as it is now, and checks it.
pub async fn build_site(
    conn: &mut PgConnection,
    inputs: &BuildInputs,
) -> Result<Built, BuildError> {
    let mut stages = Vec::new();
    let started = Instant::now();
    almanac_content::db::refresh_dashboard_views(conn)?;
    let snapshot = snapshot::load(conn)?;
    stages.push(Stage {
        name: "snapshot",
        seconds: started.elapsed().as_secs_f64(),
        files: snapshot.measure_pages.len(),
        bytes: 0,
    });

    let started = Instant::now();
    let (asset_files, urls) = assets::collect(&inputs.govuk_dir, &inputs.static_dir)?;
    let settings = SiteSettings {
        assets: urls,
        ..inputs.settings.clone()
    };
    let mut site = almanac_render::render_site(&snapshot, &settings)?;
    stages.push(stage("render", started, &site));

    let started = Instant::now();
    site.merge(asset_files)?;
    let uploads = source_files(&snapshot, &inputs.uploads).await?;
    site.merge(uploads)?;
    stages.push(stage("files", started, &site));

    let started = Instant::now();
    let problems = checks::check(&site);
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

/// The clean source uploads of every published page, beside the page at its version's
/// address and, for the newest version, at `latest`.
async fn source_files(snapshot: &SiteSnapshot, store: &FileStore) -> Result<Site, BuildError> {
    let mut files = Site::new();
    for page in &snapshot.measure_pages {
        let path = page.path();
        let path = path.trim_start_matches('/');
        let version = page.version.version().to_string();
        let mut folders = vec![format!("{path}/{version}")];
        if snapshot.is_latest(page) {
            folders.push(format!("{path}/latest"));
        }
        for upload in page.uploads.iter().filter(|upload| upload.is_clean()) {
            let key = StoreKey::new(page.version.measure_id, version.clone(), &upload.file_name);
            let bytes = store.get(&key).await.map_err(|error| BuildError::Upload {
                key: key.to_string(),
                reason: error.to_string(),
            })?;
            for folder in &folders {
                files.add(
                    format!("{folder}/downloads/{}", upload.file_name),
                    bytes.clone(),
                )?;
            }
        }
    }
    Ok(files)
}
