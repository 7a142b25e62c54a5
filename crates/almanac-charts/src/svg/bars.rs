//! Horizontal bar charts: `bar` (clustered when there are series), `small_bar`,
//! `panel_bar` (small charts sharing one scale) and `component` (100% stacked bars).
//!
//! Bars are horizontal, as in the model, so that long ethnicity names sit on the left as
//! readable, wrapped labels rather than slanted ones under the axis.

use almanac_figures::CellValue;

use super::canvas::{Anchor, Canvas, FONT_SIZE, PADDING, SMALL_FONT_SIZE, TextStyle, WIDTH};
use crate::chart::Chart;
use crate::format::{Scale, tick_label, value_label};
use crate::palette::{AXIS_LINE, GRID_LINE, SECONDARY_TEXT, series_colour, text_on};
use crate::settings::{ChartType, NumberFormat};
use crate::text::{text_width, widest, wrap};

/// The category labels take at most this share of the width; longer labels wrap.
const LABEL_SHARE: f64 = 0.38;
/// The value axis keeps at least this much room, even with very long value labels.
const MIN_AXIS_WIDTH: f64 = 200.0;
const LABEL_GAP: f64 = 10.0;
/// Room for value labels on either side of the bars takes at most this share of the width.
const MAX_RESERVE_SHARE: f64 = 0.15;
const VALUE_LABEL_GAP: f64 = 4.0;
const TICK_LENGTH: f64 = 5.0;

struct BarSizes {
    thickness: f64,
    /// Between the bars of one category.
    bar_gap: f64,
    /// Between categories.
    group_gap: f64,
}

fn bar_sizes(chart: &Chart) -> BarSizes {
    match chart.chart_type {
        ChartType::SmallBar => BarSizes {
            thickness: 18.0,
            bar_gap: 2.0,
            group_gap: 8.0,
        },
        ChartType::PanelBar => BarSizes {
            thickness: 20.0,
            bar_gap: 2.0,
            group_gap: 10.0,
        },
        ChartType::Component => BarSizes {
            thickness: 28.0,
            bar_gap: 0.0,
            group_gap: 14.0,
        },
        _ if chart.series.len() > 1 => BarSizes {
            thickness: 20.0,
            bar_gap: 2.0,
            group_gap: 16.0,
        },
        _ => BarSizes {
            thickness: 26.0,
            bar_gap: 2.0,
            group_gap: 12.0,
        },
    }
}

/// The category labels wrapped to the label column, and the column's width.
struct CategoryLabels {
    lines: Vec<Vec<String>>,
    width: f64,
}

fn category_labels(chart: &Chart, limit: f64) -> CategoryLabels {
    let lines: Vec<Vec<String>> = chart
        .categories
        .iter()
        .map(|category| wrap(category, FONT_SIZE, false, limit))
        .collect();
    let width = lines
        .iter()
        .map(|lines| widest(lines, FONT_SIZE, false))
        .fold(0.0, f64::max);
    CategoryLabels { lines, width }
}

fn line_block_height(lines: usize, style: TextStyle) -> f64 {
    lines as f64 * style.line_height()
}

/// Writes wrapped lines right-aligned at `right`, vertically centred on `middle`.
fn draw_category_label(canvas: &mut Canvas, lines: &[String], right: f64, middle: f64) {
    let style = TextStyle::regular(FONT_SIZE).anchored(Anchor::End);
    let block = line_block_height(lines.len(), style);
    let first_middle = middle - block / 2.0 + style.line_height() / 2.0;
    canvas.lines(right, first_middle + style.centre_offset(), lines, style);
}

fn number_range(chart: &Chart) -> (f64, f64) {
    chart
        .cells()
        .filter_map(|(.., value)| value.number())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), value| {
            (low.min(value), high.max(value))
        })
}

/// Tick values to label: every one, or every second, third… when labels would collide.
fn labelled_ticks(scale: &Scale, format: &NumberFormat, axis_width: f64) -> Vec<(f64, String)> {
    let ticks = scale.ticks();
    let labels: Vec<String> = ticks
        .iter()
        .map(|&tick| tick_label(tick, scale, format))
        .collect();
    let widest_label = labels
        .iter()
        .map(|label| text_width(label, SMALL_FONT_SIZE, false))
        .fold(0.0, f64::max);
    let spacing = axis_width / (ticks.len().max(2) - 1) as f64;
    let every = ((widest_label + 10.0) / spacing).ceil().max(1.0) as usize;
    ticks
        .into_iter()
        .zip(labels)
        .enumerate()
        .filter(|(index, _)| index % every == 0)
        .map(|(_, tick)| tick)
        .collect()
}

/// Grid lines across the plot at each tick, drawn before the bars so that bars cover them.
fn draw_grid(canvas: &mut Canvas, ticks: &[(f64, f64)], top: f64, bottom: f64) {
    for &(_, x) in ticks {
        canvas.line((x, top), (x, bottom), GRID_LINE, 1.0);
    }
}

/// Tick marks and labels under the plot; returns the y below them.
fn draw_value_axis(
    canvas: &mut Canvas,
    ticks: &[(f64, String)],
    x_of: impl Fn(f64) -> f64,
    top: f64,
) -> f64 {
    let style = TextStyle::regular(SMALL_FONT_SIZE)
        .anchored(Anchor::Middle)
        .filled(SECONDARY_TEXT);
    for (value, label) in ticks {
        let x = x_of(*value);
        canvas.line((x, top), (x, top + TICK_LENGTH), AXIS_LINE, 1.0);
        canvas.text(x, top + TICK_LENGTH + SMALL_FONT_SIZE, label, style);
    }
    top + TICK_LENGTH + style.line_height() + 4.0
}

fn draw_axis_label(
    canvas: &mut Canvas,
    label: Option<&str>,
    left: f64,
    right: f64,
    top: f64,
) -> f64 {
    let Some(label) = label else { return top };
    let style = TextStyle::regular(SMALL_FONT_SIZE).anchored(Anchor::Middle);
    let lines = wrap(label, SMALL_FONT_SIZE, false, right - left);
    top + 4.0
        + canvas.lines(
            (left + right) / 2.0,
            top + 4.0 + SMALL_FONT_SIZE,
            &lines,
            style,
        )
}

fn draw_panel_heading(canvas: &mut Canvas, chart: &Chart, panel: usize, top: f64) -> f64 {
    match (&chart.panel_heading, chart.panels.get(panel)) {
        (Some(_), Some(panel)) => {
            let height = canvas.paragraph(
                PADDING,
                top,
                &panel.name,
                WIDTH - 2.0 * PADDING,
                TextStyle::bold(FONT_SIZE),
            );
            top + height + 6.0
        }
        _ => top,
    }
}

fn draw_category_axis_label(canvas: &mut Canvas, chart: &Chart, top: f64) -> f64 {
    match &chart.category_axis_label {
        Some(label) => {
            top + canvas.paragraph(
                PADDING,
                top,
                label,
                WIDTH * LABEL_SHARE,
                TextStyle::bold(SMALL_FONT_SIZE),
            ) + 4.0
        }
        None => top,
    }
}

/// `bar`, `small_bar` and `panel_bar`: one bar per category and series, on one scale across
/// all panels, with the value written at the end of each bar.
pub(super) fn draw_bars(canvas: &mut Canvas, chart: &Chart, top: f64) -> f64 {
    let format = &chart.number_format;
    let (low, high) = number_range(chart);
    let scale = Scale::nice(low, high, true, format);
    let sizes = bar_sizes(chart);

    // Room for value labels: right of positive bars (and of special values, written from
    // zero), left of negative ones.
    let (mut left_reserve, mut right_reserve) = (0.0_f64, 0.0_f64);
    for (.., value) in chart.cells() {
        let Some(label) = value_label(value, format) else {
            continue;
        };
        let width = text_width(&label, SMALL_FONT_SIZE, false) + VALUE_LABEL_GAP + 2.0;
        if value.number().is_some_and(|number| number < 0.0) {
            left_reserve = left_reserve.max(width);
        } else {
            right_reserve = right_reserve.max(width);
        }
    }
    // Absurdly long labels may run past the edge, but the axis keeps a usable length.
    let (left_reserve, right_reserve) = (
        left_reserve.min(WIDTH * MAX_RESERVE_SHARE),
        right_reserve.min(WIDTH * MAX_RESERVE_SHARE),
    );

    let mut labels = category_labels(chart, WIDTH * LABEL_SHARE);
    let available = WIDTH - 2.0 * PADDING - LABEL_GAP - left_reserve - right_reserve;
    if available - labels.width < MIN_AXIS_WIDTH {
        let limit = (available - MIN_AXIS_WIDTH).max(WIDTH * 0.2);
        labels = category_labels(chart, limit);
    }
    let label_right = PADDING + labels.width;
    let axis_left = label_right + LABEL_GAP + left_reserve;
    let axis_right = WIDTH - PADDING - right_reserve;
    let axis = ValueAxis {
        scale,
        left: axis_left,
        right: axis_right,
    };
    let x_of = |value: f64| axis.x(value);
    let base = axis.base();
    let ticks = labelled_ticks(&scale, format, axis_right - axis_left);
    let grid_ticks: Vec<(f64, f64)> = scale
        .ticks()
        .into_iter()
        .map(|tick| (tick, x_of(tick)))
        .collect();

    let series_count = chart.series.len().max(1);
    let group_height =
        series_count as f64 * sizes.thickness + (series_count - 1) as f64 * sizes.bar_gap;
    let label_style = TextStyle::regular(FONT_SIZE);
    let row_heights: Vec<f64> = labels
        .lines
        .iter()
        .map(|lines| {
            group_height.max(line_block_height(lines.len(), label_style)) + sizes.group_gap
        })
        .collect();
    let plot_height: f64 = row_heights.iter().sum();

    let mut y = draw_category_axis_label(canvas, chart, top);
    for panel in 0..chart.panels.len() {
        if panel > 0 {
            y += 14.0;
        }
        y = draw_panel_heading(canvas, chart, panel, y);
        let plot_top = y;
        draw_grid(canvas, &grid_ticks, plot_top, plot_top + plot_height);
        let mut row_top = plot_top;
        for (category, row_height) in row_heights.iter().enumerate() {
            let middle = row_top + row_height / 2.0;
            draw_category_label(canvas, &labels.lines[category], label_right, middle);
            let group_top = middle - group_height / 2.0;
            for series in 0..series_count {
                let bar = Bar {
                    top: group_top + series as f64 * (sizes.thickness + sizes.bar_gap),
                    thickness: sizes.thickness,
                    series,
                };
                draw_bar(
                    canvas,
                    &axis,
                    &bar,
                    chart.value(panel, series, category),
                    format,
                );
            }
            row_top += row_height;
        }
        let plot_bottom = plot_top + plot_height;
        canvas.line((base, plot_top), (base, plot_bottom), AXIS_LINE, 1.5);
        y = draw_value_axis(canvas, &ticks, x_of, plot_bottom);
    }
    draw_axis_label(
        canvas,
        chart.value_axis_label.as_deref(),
        axis_left,
        axis_right,
        y,
    )
}

/// `component`: each category a bar of 100%, split into its series' shares of the row's
/// total. A part's value is written inside it when it fits; special values, which have no
/// share to draw, are listed under the bar.
pub(super) fn draw_components(canvas: &mut Canvas, chart: &Chart, top: f64) -> f64 {
    let sizes = bar_sizes(chart);
    let percent = NumberFormat {
        suffix: "%".into(),
        ..NumberFormat::default()
    };
    let scale = Scale {
        min: 0.0,
        max: 100.0,
        step: 25.0,
    };
    // Half of the "100%" tick label hangs past the end of the axis.
    let end_room = text_width("100%", SMALL_FONT_SIZE, false) / 2.0 + 2.0;
    let labels = category_labels(chart, WIDTH * LABEL_SHARE);
    let label_right = PADDING + labels.width;
    let axis_left = label_right + LABEL_GAP;
    let axis_right = WIDTH - PADDING - end_room;
    let axis_width = axis_right - axis_left;
    let x_of = |share: f64| axis_left + scale.fraction(share) * axis_width;
    let ticks: Vec<(f64, String)> = scale
        .ticks()
        .into_iter()
        .map(|tick| (tick, tick_label(tick, &scale, &percent)))
        .collect();
    let grid_ticks: Vec<(f64, f64)> = scale
        .ticks()
        .into_iter()
        .map(|tick| (tick, x_of(tick)))
        .collect();
    let label_style = TextStyle::regular(FONT_SIZE);
    let note_style = TextStyle::regular(SMALL_FONT_SIZE).filled(SECONDARY_TEXT);

    let mut y = draw_category_axis_label(canvas, chart, top);
    for panel in 0..chart.panels.len() {
        if panel > 0 {
            y += 14.0;
        }
        y = draw_panel_heading(canvas, chart, panel, y);
        // Notes under a bar (special values, and values too long for their part) change
        // the row heights, so rows are laid out first and the grid drawn before the bars.
        let rows: Vec<ComponentRow> = (0..chart.categories.len())
            .map(|category| {
                let row = component_row(chart, panel, category, axis_width);
                let bar_block = sizes.thickness + line_block_height(row.notes.len(), note_style);
                let height = bar_block
                    .max(line_block_height(labels.lines[category].len(), label_style))
                    + sizes.group_gap;
                ComponentRow { height, ..row }
            })
            .collect();
        let plot_top = y;
        let plot_height: f64 = rows.iter().map(|row| row.height).sum();
        draw_grid(canvas, &grid_ticks, plot_top, plot_top + plot_height);

        let mut row_top = plot_top;
        for (category, row) in rows.iter().enumerate() {
            let bar_top = row_top + sizes.group_gap / 2.0;
            let bar_middle = bar_top + sizes.thickness / 2.0;
            draw_category_label(canvas, &labels.lines[category], label_right, bar_middle);
            for part in &row.parts {
                let start = x_of(part.from);
                let end = x_of(part.to);
                let fill = canvas.series_fill(part.series);
                canvas.rect(start, bar_top, end - start, sizes.thickness, &fill);
                // A thin white edge keeps neighbouring parts apart in any colour vision.
                canvas.line(
                    (end, bar_top),
                    (end, bar_top + sizes.thickness),
                    "#FFFFFF",
                    1.5,
                );
                if part.label_fits {
                    let colour = series_colour(part.series);
                    canvas.text_with_halo(
                        (start + end) / 2.0,
                        bar_middle + note_style.centre_offset(),
                        &part.label,
                        TextStyle::bold(SMALL_FONT_SIZE)
                            .anchored(Anchor::Middle)
                            .filled(text_on(colour)),
                        colour,
                    );
                }
            }
            canvas.lines(
                axis_left + VALUE_LABEL_GAP,
                bar_top + sizes.thickness + SMALL_FONT_SIZE + 2.0,
                &row.notes,
                note_style,
            );
            row_top += row.height;
        }
        let plot_bottom = plot_top + plot_height;
        canvas.line(
            (axis_left, plot_top),
            (axis_left, plot_bottom),
            AXIS_LINE,
            1.5,
        );
        y = draw_value_axis(canvas, &ticks, x_of, plot_bottom);
    }
    draw_axis_label(
        canvas,
        chart.value_axis_label.as_deref(),
        axis_left,
        axis_right,
        y,
    )
}

/// One component bar: its drawn parts and the notes written under it.
struct ComponentRow {
    parts: Vec<ComponentPart>,
    notes: Vec<String>,
    height: f64,
}

struct ComponentPart {
    series: usize,
    /// Where the part starts and ends, as a percentage of the bar.
    from: f64,
    to: f64,
    label: String,
    label_fits: bool,
}

fn component_row(chart: &Chart, panel: usize, category: usize, axis_width: f64) -> ComponentRow {
    let format = &chart.number_format;
    let values: Vec<&CellValue> = (0..chart.series.len())
        .map(|series| chart.value(panel, series, category))
        .collect();
    let total: f64 = values
        .iter()
        .filter_map(|value| value.number())
        .map(|number| number.max(0.0))
        .sum();
    let mut parts = Vec::new();
    let mut notes = Vec::new();
    let mut so_far = 0.0;
    for (series, value) in values.iter().enumerate() {
        let Some(label) = value_label(value, format) else {
            continue;
        };
        let name = &chart.series[series];
        match value.number() {
            Some(number) if number > 0.0 && total > 0.0 => {
                let share = number / total * 100.0;
                let width = share / 100.0 * axis_width;
                let label_fits = text_width(&label, SMALL_FONT_SIZE, true) + 6.0 <= width;
                if !label_fits {
                    notes.push(format!("{name}: {label}"));
                }
                parts.push(ComponentPart {
                    series,
                    from: so_far,
                    to: so_far + share,
                    label,
                    label_fits,
                });
                so_far += share;
            }
            // Zero, special values and anything else have no part to draw: say so in words.
            _ => notes.push(format!("{name}: {label}")),
        }
    }
    let notes = if notes.is_empty() {
        Vec::new()
    } else {
        wrap(&notes.join("; "), SMALL_FONT_SIZE, false, axis_width)
    };
    ComponentRow {
        parts,
        notes,
        height: 0.0,
    }
}

/// Where values fall across the plot.
struct ValueAxis {
    scale: Scale,
    left: f64,
    right: f64,
}

impl ValueAxis {
    fn x(&self, value: f64) -> f64 {
        self.left + self.scale.fraction(value) * (self.right - self.left)
    }

    /// Where bars start: zero, or the end of the axis nearest to it when the editor's axis
    /// does not include zero.
    fn base(&self) -> f64 {
        self.x(0.0_f64.clamp(self.scale.min, self.scale.max))
    }
}

struct Bar {
    top: f64,
    thickness: f64,
    series: usize,
}

/// One bar with its value label at its end (left of a negative bar), or, for a special
/// value, no bar and the code where the label would be.
fn draw_bar(
    canvas: &mut Canvas,
    axis: &ValueAxis,
    bar: &Bar,
    value: &CellValue,
    format: &NumberFormat,
) {
    let style = TextStyle::regular(SMALL_FONT_SIZE);
    let baseline = bar.top + bar.thickness / 2.0 + style.centre_offset();
    let base = axis.base();
    let Some(label) = value_label(value, format) else {
        return;
    };
    match value.number() {
        Some(number) => {
            let end = axis.x(number);
            let fill = canvas.series_fill(bar.series);
            canvas.rect(
                end.min(base),
                bar.top,
                (end - base).abs(),
                bar.thickness,
                &fill,
            );
            if number < 0.0 {
                canvas.text(
                    end - VALUE_LABEL_GAP,
                    baseline,
                    &label,
                    style.anchored(Anchor::End),
                );
            } else {
                canvas.text(end + VALUE_LABEL_GAP, baseline, &label, style);
            }
        }
        None => canvas.text(
            base + VALUE_LABEL_GAP,
            baseline,
            &label,
            TextStyle::bold(SMALL_FONT_SIZE),
        ),
    }
}
