//! The chart as an accessible SVG document.
//!
//! The document is an image with a name and a description (`role="img"`, `<title>` and
//! `<desc>` named by `aria-labelledby`). The description summarises the data and carries
//! the editor's text alternative. Everything a reader needs is also visible as text: value
//! labels on bars, a legend for series and one for special values.
//!
//! Output is deterministic: the same chart and id give byte-identical SVG. Ids inside the
//! document derive from the id the caller gives, so several charts can share a page.

mod bars;
mod canvas;
mod lines;
mod summary;

use std::fmt::Write;

use crate::chart::Chart;
use crate::palette::{BACKGROUND, GRID_LINE, SECONDARY_TEXT};
use crate::settings::ChartType;
use crate::text::{text_width, wrap};

pub use canvas::WIDTH;
use canvas::{
    Anchor, Canvas, FONT_SIZE, PADDING, SMALL_FONT_SIZE, TITLE_FONT_SIZE, TextStyle, number,
    pattern_definitions,
};
pub use summary::summary;

/// The font stack the width estimate in [`crate::text`] is made for. GOV.UK pages use
/// Arial where their own font is not licensed.
const FONT_FAMILY: &str = "Arial, 'Liberation Sans', Helvetica, sans-serif";

/// Renders the chart. `id` names this chart on the page (for example the dimension's id);
/// characters other than letters, digits, `-` and `_` are replaced.
pub fn render_svg(chart: &Chart, id: &str) -> String {
    let id = element_id(id);
    let mut canvas = Canvas::new(id.clone());
    let mut y = PADDING;
    y += canvas.paragraph(
        PADDING,
        y,
        &chart.title,
        WIDTH - 2.0 * PADDING,
        TextStyle::bold(TITLE_FONT_SIZE),
    );
    y += 12.0;

    if chart.is_empty() {
        y = draw_no_data(&mut canvas, y);
    } else {
        if chart.has_series_legend() {
            y = draw_series_legend(&mut canvas, chart, y) + 12.0;
        }
        y = match chart.chart_type {
            ChartType::Bar | ChartType::SmallBar | ChartType::PanelBar => {
                bars::draw_bars(&mut canvas, chart, y)
            }
            ChartType::Component => bars::draw_components(&mut canvas, chart, y),
            ChartType::Line | ChartType::PanelLine => lines::draw_lines(&mut canvas, chart, y),
        };
        y = draw_special_values_legend(&mut canvas, chart, y);
    }
    let height = (y + PADDING).ceil();

    let (body, patterns) = canvas.into_parts();
    let mut svg = String::with_capacity(body.len() + 1024);
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" aria-labelledby="{id}-title {id}-desc" font-family="{FONT_FAMILY}">"#,
        number(WIDTH),
        number(height)
    );
    let _ = writeln!(
        svg,
        r#"<title id="{id}-title">{}</title>"#,
        crate::text::escape(&chart.title)
    );
    let _ = writeln!(
        svg,
        r#"<desc id="{id}-desc">{}</desc>"#,
        crate::text::escape(&summary(chart))
    );
    if !patterns.is_empty() {
        let _ = write!(
            svg,
            "<defs>\n{}</defs>\n",
            pattern_definitions(&id, &patterns)
        );
    }
    let _ = writeln!(
        svg,
        r#"<rect width="{}" height="{}" fill="{BACKGROUND}"/>"#,
        number(WIDTH),
        number(height)
    );
    svg.push_str(&body);
    svg.push_str("</svg>\n");
    svg
}

/// An id usable in XML and in `url(#…)`: letters, digits, `-` and `_`, starting with a
/// letter.
fn element_id(id: &str) -> String {
    let cleaned: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if cleaned.starts_with(|c: char| c.is_ascii_alphabetic()) {
        cleaned
    } else {
        format!("chart-{cleaned}")
    }
}

fn draw_no_data(canvas: &mut Canvas, top: f64) -> f64 {
    let height = 120.0;
    canvas.raw(&format!(
        r#"<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="{GRID_LINE}" stroke-width="2"/>"#,
        number(PADDING),
        number(top),
        number(WIDTH - 2.0 * PADDING),
        number(height)
    ));
    canvas.text(
        WIDTH / 2.0,
        top + height / 2.0 + TextStyle::regular(FONT_SIZE).centre_offset(),
        "No data",
        TextStyle::bold(FONT_SIZE).anchored(Anchor::Middle),
    );
    top + height
}

/// A legend item's sample: a filled square for bars, a line with its marker for lines.
fn draw_swatch(canvas: &mut Canvas, chart_type: ChartType, series: usize, x: f64, middle: f64) {
    if chart_type.is_line() {
        lines::draw_line_sample(canvas, series, x, middle, SWATCH_LINE_WIDTH);
    } else {
        let fill = canvas.series_fill(series);
        canvas.rect(x, middle - 8.0, 16.0, 16.0, &fill);
    }
}

const SWATCH_LINE_WIDTH: f64 = 34.0;

/// The series legend, flowing across the width; returns the y below it.
fn draw_series_legend(canvas: &mut Canvas, chart: &Chart, top: f64) -> f64 {
    let style = TextStyle::regular(SMALL_FONT_SIZE);
    let swatch_width = if chart.chart_type.is_line() {
        SWATCH_LINE_WIDTH
    } else {
        16.0
    };
    let right = WIDTH - PADDING;
    let row_height = 22.0;
    let mut x = PADDING;
    let mut middle = top + row_height / 2.0;

    if let Some(heading) = &chart.series_heading {
        let heading = format!("{heading}:");
        let lines = wrap(&heading, SMALL_FONT_SIZE, true, WIDTH / 3.0);
        let first = lines.first().cloned().unwrap_or_default();
        canvas.text(
            x,
            middle + style.centre_offset(),
            &first,
            TextStyle::bold(SMALL_FONT_SIZE),
        );
        x += text_width(&first, SMALL_FONT_SIZE, true) + 12.0;
    }
    let label_limit = right - PADDING - swatch_width - 6.0;
    for (index, name) in chart.series.iter().enumerate() {
        let lines = wrap(name, SMALL_FONT_SIZE, false, label_limit);
        let label_width = crate::text::widest(&lines, SMALL_FONT_SIZE, false);
        let item_width = swatch_width + 6.0 + label_width;
        if x > PADDING && x + item_width > right {
            x = PADDING;
            middle += row_height;
        }
        draw_swatch(canvas, chart.chart_type, index, x, middle);
        let text_x = x + swatch_width + 6.0;
        let used = canvas.lines(text_x, middle + style.centre_offset(), &lines, style);
        middle += (used - style.line_height()).max(0.0);
        x += item_width + 18.0;
    }
    middle + row_height / 2.0
}

/// The special values used, each with its meaning, as visible text under the chart.
fn draw_special_values_legend(canvas: &mut Canvas, chart: &Chart, top: f64) -> f64 {
    let used = chart.special_values();
    if used.is_empty() {
        return top;
    }
    let mut y = top + 12.0;
    let style = TextStyle::regular(SMALL_FONT_SIZE).filled(SECONDARY_TEXT);
    for special in used {
        let entry = format!("{} = {}", special.display(), special.meaning());
        y += canvas.paragraph(PADDING, y, &entry, WIDTH - 2.0 * PADDING, style);
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_made_safe() {
        assert_eq!(element_id("dimension-12"), "dimension-12");
        assert_eq!(element_id("12 \"x\""), "chart-12--x-");
        assert_eq!(element_id(""), "chart-");
    }
}
