//! The site's assets: GOV.UK Frontend's stylesheet, script, fonts and images, and Almanac's
//! own stylesheet and script. Stylesheets and scripts get a content hash in their names, so
//! they can be cached for a year and a new release never mixes old and new files.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use almanac_render::AssetUrls;
use almanac_site::{Site, SiteError};

#[derive(Debug, thiserror::Error)]
pub enum AssetError {
    #[error("cannot read the asset {path}: {source} (run `npm ci` for GOV.UK Frontend)")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("Almanac's script no longer imports GOV.UK Frontend from {0}; update assets.rs")]
    ImportMoved(&'static str),
    #[error(transparent)]
    Path(#[from] SiteError),
}

/// Where GOV.UK Frontend's script is imported from in `static/js/init.mjs`.
const GOVUK_SCRIPT_IMPORT: &str = "/assets/govuk-frontend/govuk-frontend.min.js";

fn read(path: &Path) -> Result<Vec<u8>, AssetError> {
    std::fs::read(path).map_err(|source| AssetError::Read {
        path: path.to_owned(),
        source,
    })
}

/// `name.ext` → `assets/name-<first 12 hex digits of SHA-256>.ext`.
fn fingerprinted(name: &str, bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hash: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    let (stem, extension) = name.rsplit_once('.').unwrap_or((name, ""));
    format!("assets/{stem}-{hash}.{extension}")
}

/// Reads the assets and says where pages find them.
pub fn collect(govuk_dir: &Path, static_dir: &Path) -> Result<(Site, AssetUrls), AssetError> {
    let mut site = Site::new();
    // Fonts and images keep the paths GOV.UK Frontend's stylesheet refers to.
    for folder in ["fonts", "images"] {
        let dir = govuk_dir.join("assets").join(folder);
        let entries = std::fs::read_dir(&dir).map_err(|source| AssetError::Read {
            path: dir.clone(),
            source,
        })?;
        let mut names: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.is_file())
            .collect();
        names.sort();
        for path in names {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            site.add(format!("assets/{folder}/{name}"), read(&path)?)?;
        }
    }
    let govuk_css = read(&govuk_dir.join("govuk-frontend.min.css"))?;
    let govuk_js = read(&govuk_dir.join("govuk-frontend.min.js"))?;
    let site_css = read(&static_dir.join("css/site.css"))?;
    let init = String::from_utf8_lossy(&read(&static_dir.join("js/init.mjs"))?).into_owned();

    let govuk_css_path = fingerprinted("govuk-frontend.min.css", &govuk_css);
    let govuk_js_path = fingerprinted("govuk-frontend.min.js", &govuk_js);
    let site_css_path = fingerprinted("site.css", &site_css);
    if !init.contains(GOVUK_SCRIPT_IMPORT) {
        return Err(AssetError::ImportMoved(GOVUK_SCRIPT_IMPORT));
    }
    let init = init
        .replace(GOVUK_SCRIPT_IMPORT, &format!("/{govuk_js_path}"))
        .into_bytes();
    let init_path = fingerprinted("init.mjs", &init);

    let urls = AssetUrls {
        govuk_stylesheet: format!("/{govuk_css_path}"),
        site_stylesheet: format!("/{site_css_path}"),
        script: format!("/{init_path}"),
    };
    site.add(govuk_css_path, govuk_css)?;
    site.add(govuk_js_path, govuk_js)?;
    site.add(site_css_path, site_css)?;
    site.add(init_path, init)?;
    Ok((site, urls))
}
