//! Colours, fill patterns, line dashes and markers for series.
//!
//! Colour is never the only way to tell series apart (WCAG 1.4.1): each bar series also has
//! its own fill pattern and each line its own dash and marker shape, and every chart with
//! series has a legend. The colours are the UK Government Analysis Function's categorical
//! palette, each with a contrast of at least 3:1 against the white background (WCAG 1.4.11);
//! a unit test checks this.

/// The series colours, in order. A chart can show at most this many series.
pub const SERIES_COLOURS: [&str; 6] = [
    "#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1",
];

/// Most series a chart can tell apart: one colour, pattern, dash and marker each.
pub const MAX_SERIES: usize = SERIES_COLOURS.len();

pub const BACKGROUND: &str = "#FFFFFF";
/// Body text (GOV.UK text colour).
pub const TEXT: &str = "#0B0C0C";
/// Tick labels and notes.
pub const SECONDARY_TEXT: &str = "#505A5F";
/// Grid lines are decoration, so they may be faint; the axis line is not.
pub const GRID_LINE: &str = "#D9DBDC";
pub const AXIS_LINE: &str = "#0B0C0C";

/// The colour for series `index`, wrapping round for a hand-made chart object with more
/// series than the builder allows.
pub fn series_colour(index: usize) -> &'static str {
    SERIES_COLOURS[index % SERIES_COLOURS.len()]
}

/// The text colour, black or white, that contrasts most with a series colour, for labels
/// drawn on top of it.
pub fn text_on(colour: &str) -> &'static str {
    let on_white = contrast_ratio(colour, BACKGROUND);
    let on_black = contrast_ratio(colour, TEXT);
    if on_white >= on_black {
        BACKGROUND
    } else {
        TEXT
    }
}

/// The `<pattern>` contents drawn over series `index`'s colour in an 8×8 tile; the first
/// series is plain. The marks use the label colour for that series so that they show on
/// both dark and light colours.
pub fn pattern_marks(index: usize) -> Option<&'static str> {
    match index % SERIES_COLOURS.len() {
        0 => None,
        1 => Some(r#"<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke-width="1.5"/>"#),
        2 => Some(r#"<circle cx="4" cy="4" r="1.6" stroke="none"/>"#),
        3 => Some(r#"<path d="M0,4 h8 M4,0 v8" stroke-width="1.2"/>"#),
        4 => Some(r#"<path d="M0,2 h8 M0,6 h8" stroke-width="1.2"/>"#),
        _ => Some(r#"<path d="M-2,6 l4,4 M0,0 l8,8 M6,-2 l4,4" stroke-width="1.5"/>"#),
    }
}

/// Dash pattern of series `index`'s line (`None` is solid).
pub fn line_dash(index: usize) -> Option<&'static str> {
    match index % SERIES_COLOURS.len() {
        0 => None,
        1 => Some("8 4"),
        2 => Some("2 4"),
        3 => Some("12 4 2 4"),
        4 => Some("4 4"),
        _ => Some("16 6"),
    }
}

/// A marker shape centred on (0, 0), about 10 units across.
pub fn marker_path(index: usize) -> &'static str {
    match index % SERIES_COLOURS.len() {
        // Circle, square, triangle, diamond, cross, inverted triangle.
        0 => "M-5,0 a5,5 0 1,0 10,0 a5,5 0 1,0 -10,0 Z",
        1 => "M-4.5,-4.5 h9 v9 h-9 Z",
        2 => "M0,-5.5 L5.5,4.5 L-5.5,4.5 Z",
        3 => "M0,-6 L6,0 L0,6 L-6,0 Z",
        4 => "M-5,-3 L-3,-5 L0,-2 L3,-5 L5,-3 L2,0 L5,3 L3,5 L0,2 L-3,5 L-5,3 L-2,0 Z",
        _ => "M0,5.5 L5.5,-4.5 L-5.5,-4.5 Z",
    }
}

/// The WCAG 2 contrast ratio of two `#RRGGBB` colours (1 to 21). An unreadable colour
/// counts as black.
pub fn contrast_ratio(first: &str, second: &str) -> f64 {
    let (lighter, darker) = {
        let a = relative_luminance(first);
        let b = relative_luminance(second);
        if a >= b { (a, b) } else { (b, a) }
    };
    (lighter + 0.05) / (darker + 0.05)
}

fn relative_luminance(colour: &str) -> f64 {
    let hex = colour.trim_start_matches('#');
    let channel = |offset: usize| {
        let value = hex
            .get(offset..offset + 2)
            .and_then(|pair| u8::from_str_radix(pair, 16).ok())
            .unwrap_or(0);
        let srgb = f64::from(value) / 255.0;
        if srgb <= 0.040_45 {
            srgb / 12.92
        } else {
            ((srgb + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contrast_formula_matches_known_values() {
        assert!((contrast_ratio("#000000", "#FFFFFF") - 21.0).abs() < 1e-9);
        assert!((contrast_ratio("#FFFFFF", "#FFFFFF") - 1.0).abs() < 1e-9);
        // #767676 is the lightest grey with 4.5:1 on white.
        assert!(contrast_ratio("#767676", "#FFFFFF") >= 4.5);
        assert!(contrast_ratio("#777777", "#FFFFFF") < 4.5);
    }

    #[test]
    fn every_series_colour_has_3_to_1_contrast_with_the_background() {
        for colour in SERIES_COLOURS {
            let ratio = contrast_ratio(colour, BACKGROUND);
            assert!(ratio >= 3.0, "{colour} has contrast {ratio:.2}:1");
        }
    }

    #[test]
    fn text_colours_have_4_5_to_1_contrast() {
        for colour in [TEXT, SECONDARY_TEXT, AXIS_LINE] {
            let ratio = contrast_ratio(colour, BACKGROUND);
            assert!(ratio >= 4.5, "{colour} has contrast {ratio:.2}:1");
        }
        // Labels drawn on a bar segment use black or white, whichever reads best.
        for colour in SERIES_COLOURS {
            let ratio = contrast_ratio(colour, text_on(colour));
            assert!(ratio >= 4.5, "text on {colour} has contrast {ratio:.2}:1");
        }
    }

    #[test]
    fn every_series_looks_different_without_colour() {
        let patterns: Vec<_> = (0..MAX_SERIES).map(pattern_marks).collect();
        let dashes: Vec<_> = (0..MAX_SERIES).map(line_dash).collect();
        let markers: Vec<_> = (0..MAX_SERIES).map(marker_path).collect();
        for index in 0..MAX_SERIES {
            for other in 0..index {
                assert_ne!(patterns[index], patterns[other]);
                assert_ne!(dashes[index], dashes[other]);
                assert_ne!(markers[index], markers[other]);
            }
        }
    }
}
