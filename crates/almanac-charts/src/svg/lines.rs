//! Line charts: `line` and `panel_line` (small charts sharing one scale). The category
//! column is the x axis, usually time; each series is a line with its own colour, dash and
//! marker shape. A line breaks where a value is missing or special, and the special value's
//! code is written at that point.

use std::fmt::Write;

use super::canvas::{
    Anchor, Canvas, FONT_SIZE, PADDING, SMALL_FONT_SIZE, TextStyle, WIDTH, number,
};
use crate::chart::Chart;
use crate::format::{Scale, tick_label};
use crate::palette::{
    AXIS_LINE, BACKGROUND, GRID_LINE, SECONDARY_TEXT, line_dash, marker_path, series_colour,
};
use crate::text::{text_width, wrap};

const SINGLE_PLOT_HEIGHT: f64 = 260.0;
const PANEL_PLOT_HEIGHT: f64 = 170.0;
const PANEL_GAP: f64 = 28.0;
const LINE_WIDTH: f64 = 2.5;
/// Points keep this distance from the ends of the x axis, so markers and labels fit.
const X_INSET: f64 = 14.0;
/// A marker and the gap after it, before a special value's code.
const MARKER_ROOM: f64 = 14.0;
/// Longer x-axis labels wrap onto more lines.
const MAX_X_LABEL_WIDTH: f64 = 120.0;

pub(super) fn draw_lines(canvas: &mut Canvas, chart: &Chart, top: f64) -> f64 {
    let (low, high) = chart
        .cells()
        .filter_map(|(.., value)| value.number())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), value| {
            (low.min(value), high.max(value))
        });
    // Line charts show change, so the axis need not start at zero (the editor can set a
    // minimum of 0 in the number format).
    let scale = Scale::nice(low, high, false, &chart.number_format);

    let mut y = top;
    if let Some(label) = &chart.value_axis_label {
        y += canvas.paragraph(
            PADDING,
            y,
            label,
            WIDTH - 2.0 * PADDING,
            TextStyle::regular(SMALL_FONT_SIZE),
        ) + 6.0;
    }

    let has_panels = chart.panel_heading.is_some();
    let columns = if has_panels && chart.panels.len() > 1 {
        2
    } else {
        1
    };
    let cell_width = (WIDTH - 2.0 * PADDING - (columns - 1) as f64 * PANEL_GAP) / columns as f64;
    let plot_height = if has_panels {
        PANEL_PLOT_HEIGHT
    } else {
        SINGLE_PLOT_HEIGHT
    };
    let heading_style = TextStyle::bold(FONT_SIZE);

    let panel_indices: Vec<usize> = (0..chart.panels.len()).collect();
    for (row, panels_in_row) in panel_indices.chunks(columns).enumerate() {
        if row > 0 {
            y += PANEL_GAP;
        }
        // Headings in one row take the height of the longest, so the plots line up.
        let headings: Vec<Vec<String>> = panels_in_row
            .iter()
            .map(|&panel| {
                if has_panels {
                    wrap(&chart.panels[panel].name, FONT_SIZE, true, cell_width)
                } else {
                    Vec::new()
                }
            })
            .collect();
        let heading_lines = headings.iter().map(Vec::len).max().unwrap_or(0);
        let plot_top = y
            + heading_lines as f64 * heading_style.line_height()
            + if heading_lines > 0 { 6.0 } else { 0.0 };
        let mut bottom = plot_top;
        for (column, &panel) in panels_in_row.iter().enumerate() {
            let left = PADDING + column as f64 * (cell_width + PANEL_GAP);
            canvas.lines(left, y + FONT_SIZE, &headings[column], heading_style);
            let frame = Frame {
                left,
                top: plot_top,
                width: cell_width,
                height: plot_height,
            };
            bottom = bottom.max(draw_plot(canvas, chart, panel, &frame, &scale));
        }
        y = bottom;
    }
    y
}

struct Frame {
    left: f64,
    top: f64,
    width: f64,
    height: f64,
}

/// One plot with its axes; returns the y below its x-axis labels.
fn draw_plot(
    canvas: &mut Canvas,
    chart: &Chart,
    panel: usize,
    frame: &Frame,
    scale: &Scale,
) -> f64 {
    let format = &chart.number_format;
    let tick_style = TextStyle::regular(SMALL_FONT_SIZE).filled(SECONDARY_TEXT);
    let ticks: Vec<(f64, String)> = scale
        .ticks()
        .into_iter()
        .map(|tick| (tick, tick_label(tick, scale, format)))
        .collect();
    let tick_label_width = ticks
        .iter()
        .map(|(_, label)| text_width(label, SMALL_FONT_SIZE, false))
        .fold(0.0, f64::max);
    let plot_left = frame.left + tick_label_width + 8.0;
    let plot_right = frame.left + frame.width;
    let plot_top = frame.top + SMALL_FONT_SIZE / 2.0;
    let plot_bottom = frame.top + frame.height;
    let y_of = |value: f64| plot_bottom - scale.fraction(value) * (plot_bottom - plot_top);

    for (value, label) in &ticks {
        let y = y_of(*value);
        canvas.line((plot_left, y), (plot_right, y), GRID_LINE, 1.0);
        canvas.text(
            plot_left - 6.0,
            y + tick_style.centre_offset(),
            label,
            tick_style.anchored(Anchor::End),
        );
    }
    let axis_y = if scale.min < 0.0 && scale.max > 0.0 {
        y_of(0.0)
    } else {
        plot_bottom
    };
    canvas.line((plot_left, axis_y), (plot_right, axis_y), AXIS_LINE, 1.5);
    canvas.line(
        (plot_left, plot_top),
        (plot_left, plot_bottom),
        AXIS_LINE,
        1.0,
    );

    // x-axis labels are centred on their points, so the end points keep half a label's
    // width from the ends; labels are shown every one, or every second, third… when they
    // would collide.
    let count = chart.categories.len();
    let widest_label = chart
        .categories
        .iter()
        .map(|category| text_width(category, SMALL_FONT_SIZE, false))
        .fold(0.0, f64::max)
        .min(MAX_X_LABEL_WIDTH);
    let inset = (widest_label / 2.0 + 2.0)
        .max(X_INSET)
        .min((plot_right - plot_left) / 4.0);
    let inner = (plot_right - plot_left - 2.0 * inset).max(1.0);
    let spacing = if count > 1 {
        inner / (count - 1) as f64
    } else {
        inner
    };
    let x_of = |category: usize| {
        if count > 1 {
            plot_left + inset + category as f64 * spacing
        } else {
            (plot_left + plot_right) / 2.0
        }
    };
    let every = ((widest_label + 8.0) / spacing).ceil().max(1.0) as usize;
    let label_width = (spacing * every as f64 - 6.0).max(40.0);
    let label_style = TextStyle::regular(SMALL_FONT_SIZE).anchored(Anchor::Middle);
    let mut labels_bottom = plot_bottom;
    for (category, name) in chart.categories.iter().enumerate() {
        let x = x_of(category);
        canvas.line((x, plot_bottom), (x, plot_bottom + 5.0), AXIS_LINE, 1.0);
        if category % every != 0 {
            continue;
        }
        let lines = wrap(name, SMALL_FONT_SIZE, false, label_width);
        let height = canvas.lines(x, plot_bottom + 6.0 + SMALL_FONT_SIZE, &lines, label_style);
        labels_bottom = labels_bottom.max(plot_bottom + 6.0 + height);
    }

    for series in 0..chart.series.len() {
        draw_series(canvas, chart, panel, series, &x_of, &y_of, plot_bottom);
    }

    let mut bottom = labels_bottom + 4.0;
    if let Some(label) = &chart.category_axis_label {
        let lines = wrap(label, SMALL_FONT_SIZE, false, plot_right - plot_left);
        bottom += canvas.lines(
            (plot_left + plot_right) / 2.0,
            bottom + SMALL_FONT_SIZE,
            &lines,
            TextStyle::regular(SMALL_FONT_SIZE).anchored(Anchor::Middle),
        ) + 4.0;
    }
    bottom
}

fn draw_series(
    canvas: &mut Canvas,
    chart: &Chart,
    panel: usize,
    series: usize,
    x_of: &dyn Fn(usize) -> f64,
    y_of: &dyn Fn(f64) -> f64,
    plot_bottom: f64,
) {
    let colour = series_colour(series);
    let mut path = String::new();
    let mut pen_down = false;
    let mut points = Vec::new();
    let mut specials = Vec::new();
    for category in 0..chart.categories.len() {
        let value = chart.value(panel, series, category);
        match value.number() {
            Some(figure) => {
                let (x, y) = (x_of(category), y_of(figure));
                let command = if pen_down { 'L' } else { 'M' };
                let _ = write!(path, "{command}{},{} ", number(x), number(y));
                pen_down = true;
                points.push((x, y));
            }
            None => {
                // The line breaks here rather than joining across a missing value.
                pen_down = false;
                if let Some(special) = value.special() {
                    specials.push((category, special));
                }
            }
        }
    }
    if !path.is_empty() {
        let dash = line_dash(series)
            .map(|dash| format!(r#" stroke-dasharray="{dash}""#))
            .unwrap_or_default();
        canvas.raw(&format!(
            r#"<path d="{}" fill="none" stroke="{colour}" stroke-width="{LINE_WIDTH}" stroke-linejoin="round" stroke-linecap="round"{dash}/>"#,
            path.trim_end()
        ));
    }
    for (x, y) in points {
        draw_marker(canvas, series, x, y);
    }
    // Codes stack up from the axis, one row per series, each after its series' marker and
    // centred on the missing point.
    let style = TextStyle::bold(SMALL_FONT_SIZE);
    for (category, special) in specials {
        let code = special.display();
        let width = MARKER_ROOM + text_width(code, SMALL_FONT_SIZE, true);
        let start = x_of(category) - width / 2.0;
        let middle = plot_bottom - 12.0 - series as f64 * 20.0;
        draw_marker(canvas, series, start + MARKER_ROOM / 2.0 - 1.0, middle);
        canvas.text(
            start + MARKER_ROOM,
            middle + style.centre_offset(),
            code,
            style,
        );
    }
}

fn draw_marker(canvas: &mut Canvas, series: usize, x: f64, y: f64) {
    canvas.raw(&format!(
        r#"<path d="{}" transform="translate({},{})" fill="{}" stroke="{BACKGROUND}" stroke-width="1"/>"#,
        marker_path(series),
        number(x),
        number(y),
        series_colour(series)
    ));
}

/// A legend sample: a short stretch of the series' line with its marker in the middle.
pub(super) fn draw_line_sample(
    canvas: &mut Canvas,
    series: usize,
    x: f64,
    middle: f64,
    width: f64,
) {
    let dash = line_dash(series)
        .map(|dash| format!(r#" stroke-dasharray="{dash}""#))
        .unwrap_or_default();
    canvas.raw(&format!(
        r#"<path d="M{},{} h{}" stroke="{}" stroke-width="{LINE_WIDTH}" stroke-linecap="round"{dash}/>"#,
        number(x),
        number(middle),
        number(width),
        series_colour(series)
    ));
    draw_marker(canvas, series, x + width / 2.0, middle);
}
