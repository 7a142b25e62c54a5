//! The chart as a PNG, for the "Download chart (PNG)" link.
//!
//! The SVG is rasterised with resvg (pure Rust). Fonts are never read from the machine:
//! which fonts a server has installed would change the image, and a minimal Debian has none.
//! Noto Sans, which ships inside the `ttf-noto-sans` crate, is the only font loaded, as the
//! generic sans-serif family, so every machine draws the same pixels.

use std::sync::{Arc, OnceLock};

use resvg::{tiny_skia, usvg};

use crate::build::ChartError;

/// Pixels per SVG unit: twice the default width, sharp on high-density screens and in
/// documents.
const SCALE: f32 = 2.0;
/// Refuses anything larger than a chart can be, so a bad input cannot exhaust memory.
const MAX_PIXELS: u64 = 40_000_000;

fn fonts() -> Arc<usvg::fontdb::Database> {
    static FONTS: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut database = usvg::fontdb::Database::new();
            database.load_font_data(ttf_noto_sans::REGULAR.to_vec());
            database.load_font_data(ttf_noto_sans::BOLD.to_vec());
            database.set_sans_serif_family("Noto Sans");
            Arc::new(database)
        })
        .clone()
}

/// Options that read nothing from outside the SVG: only the bundled fonts, and no
/// `<image>` files (resvg would otherwise load local paths an `href` names).
fn options() -> usvg::Options<'static> {
    usvg::Options {
        font_family: "Noto Sans".to_owned(),
        fontdb: fonts(),
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: Box::new(|_, _, _| None),
            resolve_string: Box::new(|_, _| None),
        },
        ..usvg::Options::default()
    }
}

/// Renders an SVG made by [`crate::render_svg`] as a PNG at twice its size.
pub fn render_png(svg: &str) -> Result<Vec<u8>, ChartError> {
    let options = options();
    let tree = usvg::Tree::from_str(svg, &options)
        .map_err(|error| ChartError::Png(format!("the SVG cannot be read ({error}).")))?;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(SCALE)
        .ok_or_else(|| ChartError::Png("the chart has no size.".to_owned()))?;
    if u64::from(size.width()) * u64::from(size.height()) > MAX_PIXELS {
        return Err(ChartError::Png(format!(
            "the chart is too large ({} × {} pixels).",
            size.width(),
            size.height()
        )));
    }
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| ChartError::Png("the image cannot be allocated.".to_owned()))?;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(SCALE, SCALE),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|error| ChartError::Png(format!("the PNG cannot be written ({error}).")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::text_width;

    /// The drawn width of `text` in the PNG's font, from resvg's own layout.
    fn drawn_width(text: &str, size: f64, bold: bool) -> f64 {
        let weight = if bold { r#" font-weight="bold""# } else { "" };
        let svg = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4000 100"><text x="0" y="50" font-family="Arial, sans-serif" font-size="{size}"{weight}>{}</text></svg>"#,
            crate::text::escape(text)
        );
        let tree = usvg::Tree::from_str(&svg, &options()).unwrap();
        f64::from(tree.root().abs_bounding_box().width())
    }

    /// Labels are wrapped by the width estimate, so the PNG's font must not draw them wider,
    /// or wrapped labels would run into the bars.
    #[test]
    fn the_width_estimate_covers_the_png_font() {
        let labels = [
            "Bangladeshi",
            "Mixed White/Black Caribbean",
            "Any other Mixed or Multiple ethnic background",
            "White: English, Welsh, Scottish, Northern Irish or British",
            "Gypsy/Roma",
            "Irish Traveller",
            "1,234,567.89%",
            "WWWWMMMM",
        ];
        for label in labels {
            for bold in [false, true] {
                let drawn = drawn_width(label, 16.0, bold);
                let estimate = text_width(label, 16.0, bold);
                assert!(
                    drawn <= estimate,
                    "{label} (bold: {bold}): drawn {drawn:.1}, estimated {estimate:.1}"
                );
            }
        }
    }
}
