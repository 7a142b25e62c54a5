//! A small writer of SVG elements with deterministic number formatting. Presentation
//! attributes are used instead of a `<style>` element because the site's Content Security
//! Policy would block inline styles in an SVG embedded in the page.

use std::fmt::Write;

use crate::palette::{self, TEXT};
use crate::text::{escape, wrap};

/// The width of every chart in user units; the SVG scales with its `viewBox`.
pub const WIDTH: f64 = 640.0;
/// Space around the edges.
pub const PADDING: f64 = 16.0;
/// Category labels, headings and notes.
pub const FONT_SIZE: f64 = 16.0;
/// Tick labels, value labels and legends: the smallest text, still 14px at the default
/// width.
pub const SMALL_FONT_SIZE: f64 = 14.0;
pub const TITLE_FONT_SIZE: f64 = 19.0;
/// Baseline-to-baseline distance as a multiple of the font size.
pub const LINE_SPACING: f64 = 1.25;

/// Formats a coordinate with at most two decimals and no trailing zeros, so output is
/// short and identical on every machine.
pub fn number(value: f64) -> String {
    let rounded = (value * 100.0).round() / 100.0;
    let rounded = if rounded == 0.0 { 0.0 } else { rounded };
    let text = format!("{rounded:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_owned()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    fn attribute(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct TextStyle {
    pub size: f64,
    pub bold: bool,
    pub anchor: Anchor,
    pub fill: &'static str,
}

impl TextStyle {
    pub const fn regular(size: f64) -> TextStyle {
        TextStyle {
            size,
            bold: false,
            anchor: Anchor::Start,
            fill: TEXT,
        }
    }

    pub const fn bold(size: f64) -> TextStyle {
        TextStyle {
            bold: true,
            ..TextStyle::regular(size)
        }
    }

    pub const fn anchored(self, anchor: Anchor) -> TextStyle {
        TextStyle { anchor, ..self }
    }

    pub const fn filled(self, fill: &'static str) -> TextStyle {
        TextStyle { fill, ..self }
    }

    pub fn line_height(&self) -> f64 {
        self.size * LINE_SPACING
    }

    /// From the middle of a line to its baseline: text drawn at `middle + offset` looks
    /// vertically centred on `middle` (about half the height of a capital).
    pub fn centre_offset(&self) -> f64 {
        self.size * 0.35
    }
}

/// The SVG body being written, plus the pattern definitions it needs.
pub struct Canvas {
    pub id: String,
    body: String,
    patterns_used: Vec<usize>,
}

impl Canvas {
    pub fn new(id: String) -> Canvas {
        Canvas {
            id,
            body: String::new(),
            patterns_used: Vec::new(),
        }
    }

    pub fn into_parts(self) -> (String, Vec<usize>) {
        (self.body, self.patterns_used)
    }

    /// Adds raw, already-escaped markup.
    pub fn raw(&mut self, markup: &str) {
        self.body.push_str(markup);
        self.body.push('\n');
    }

    pub fn text(&mut self, x: f64, baseline: f64, text: &str, style: TextStyle) {
        let weight = if style.bold {
            r#" font-weight="bold""#
        } else {
            ""
        };
        let anchor = match style.anchor {
            Anchor::Start => String::new(),
            other => format!(r#" text-anchor="{}""#, other.attribute()),
        };
        let _ = writeln!(
            self.body,
            r#"<text x="{}" y="{}" font-size="{}"{weight}{anchor} fill="{}">{}</text>"#,
            number(x),
            number(baseline),
            number(style.size),
            style.fill,
            escape(text)
        );
    }

    /// Text with a halo in `halo` colour behind the glyphs, so it stays readable over a
    /// patterned fill.
    pub fn text_with_halo(
        &mut self,
        x: f64,
        baseline: f64,
        text: &str,
        style: TextStyle,
        halo: &str,
    ) {
        let _ = writeln!(
            self.body,
            r#"<text x="{}" y="{}" font-size="{}" font-weight="bold" text-anchor="{}" fill="{}" stroke="{halo}" stroke-width="3" stroke-linejoin="round" paint-order="stroke">{}</text>"#,
            number(x),
            number(baseline),
            number(style.size),
            style.anchor.attribute(),
            style.fill,
            escape(text)
        );
    }

    /// Writes lines of text from the first baseline down; returns the height used.
    pub fn lines(
        &mut self,
        x: f64,
        first_baseline: f64,
        lines: &[String],
        style: TextStyle,
    ) -> f64 {
        for (index, line) in lines.iter().enumerate() {
            self.text(
                x,
                first_baseline + index as f64 * style.line_height(),
                line,
                style,
            );
        }
        lines.len() as f64 * style.line_height()
    }

    /// Wraps `text` to `max_width` and writes it with its top at `top`; returns the height
    /// used.
    pub fn paragraph(
        &mut self,
        x: f64,
        top: f64,
        text: &str,
        max_width: f64,
        style: TextStyle,
    ) -> f64 {
        let lines = wrap(text, style.size, style.bold, max_width);
        self.lines(x, top + style.size, &lines, style)
    }

    pub fn rect(&mut self, x: f64, y: f64, width: f64, height: f64, fill: &str) {
        let _ = writeln!(
            self.body,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{fill}"/>"#,
            number(x),
            number(y),
            number(width.max(0.0)),
            number(height.max(0.0))
        );
    }

    pub fn line(&mut self, from: (f64, f64), to: (f64, f64), stroke: &str, width: f64) {
        let _ = writeln!(
            self.body,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{stroke}" stroke-width="{}"/>"#,
            number(from.0),
            number(from.1),
            number(to.0),
            number(to.1),
            number(width)
        );
    }

    /// The fill for a bar of series `index`: the plain colour for the first series, the
    /// colour with a pattern for the others.
    pub fn series_fill(&mut self, index: usize) -> String {
        if palette::pattern_marks(index).is_none() {
            return palette::series_colour(index).to_owned();
        }
        if !self.patterns_used.contains(&index) {
            self.patterns_used.push(index);
        }
        format!("url(#{})", pattern_id(&self.id, index))
    }
}

pub fn pattern_id(id: &str, index: usize) -> String {
    format!("{id}-series-{index}")
}

/// The `<defs>` for the patterns a chart used, in series order.
pub fn pattern_definitions(id: &str, used: &[usize]) -> String {
    let mut used = used.to_vec();
    used.sort_unstable();
    let mut defs = String::new();
    for index in used {
        let Some(marks) = palette::pattern_marks(index) else {
            continue;
        };
        let colour = palette::series_colour(index);
        let mark_colour = palette::text_on(colour);
        let _ = writeln!(
            defs,
            r#"<pattern id="{}" width="8" height="8" patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="{colour}"/><g stroke="{mark_colour}" fill="{mark_colour}" opacity="0.55">{marks}</g></pattern>"#,
            pattern_id(id, index)
        );
    }
    defs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_stable() {
        assert_eq!(number(12.0), "12");
        assert_eq!(number(12.345), "12.35");
        assert_eq!(number(-0.001), "0");
        assert_eq!(number(0.5), "0.5");
    }
}
