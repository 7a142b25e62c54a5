//! The chart's description for people who cannot see it: what it shows, the highest and
//! lowest values, the special values used, then the editor's own description.

use almanac_figures::CellValue;

use crate::chart::Chart;
use crate::format::value_label;

/// The text of the SVG's `<desc>`, also useful as a caption or `aria-describedby` text.
pub fn summary(chart: &Chart) -> String {
    let mut sentences = vec![what_it_shows(chart)];
    if chart.is_empty() {
        sentences.push("No data.".to_owned());
    } else {
        sentences.extend(extremes(chart));
        if chart.chart_type.is_line()
            && let (Some(first), Some(last)) = (chart.categories.first(), chart.categories.last())
            && chart.categories.len() > 1
        {
            sentences.push(format!("The x axis runs from {first} to {last}."));
        }
        let specials = chart.special_values();
        if !specials.is_empty() {
            let meanings: Vec<String> = specials
                .iter()
                .map(|special| format!("{} means {}", special.display(), special.meaning()))
                .collect();
            sentences.push(format!("Special values: {}.", meanings.join("; ")));
        }
    }
    if !chart.description.trim().is_empty() {
        sentences.push(chart.description.trim().to_owned());
    }
    sentences.join(" ")
}

fn what_it_shows(chart: &Chart) -> String {
    let mut by = chart.category_heading.clone();
    if let Some(series) = &chart.series_heading {
        by = format!("{by} and {series}");
    }
    // The axis label says what the numbers are better than a column heading such as "Value".
    let what = chart
        .value_axis_label
        .as_deref()
        .unwrap_or(&chart.value_heading);
    let mut text = format!("{} of {what} by {by}", chart.chart_type.name());
    if let Some(panel) = &chart.panel_heading {
        text.push_str(&format!(", in {} panels by {panel}", chart.panels.len()));
    }
    text.push('.');
    text
}

/// "Highest: Indian (12.5%). Lowest: Black (3%)." over every number in the chart; the first
/// in display order wins a tie.
fn extremes(chart: &Chart) -> Vec<String> {
    let numbers: Vec<(usize, usize, usize, &CellValue, f64)> = chart
        .cells()
        .filter_map(|(panel, series, category, value)| {
            value
                .number()
                .map(|number| (panel, series, category, value, number))
        })
        .collect();
    let describe =
        |&(panel, series, category, value, _): &(usize, usize, usize, &CellValue, f64)| {
            let mut place = vec![chart.categories[category].clone()];
            if chart.series_heading.is_some() {
                place.push(chart.series[series].clone());
            }
            if chart.panel_heading.is_some() {
                place.push(chart.panels[panel].name.clone());
            }
            format!(
                "{} ({})",
                place.join(", "),
                value_label(value, &chart.number_format).unwrap_or_default()
            )
        };
    let Some(first) = numbers.first() else {
        return vec!["No value can be drawn; every value is a special value.".to_owned()];
    };
    if numbers.len() == 1 {
        return vec![format!("One value: {}.", describe(first))];
    }
    let mut highest = first;
    let mut lowest = first;
    for candidate in &numbers {
        if candidate.4 > highest.4 {
            highest = candidate;
        }
        if candidate.4 < lowest.4 {
            lowest = candidate;
        }
    }
    vec![
        format!("Highest: {}.", describe(highest)),
        format!("Lowest: {}.", describe(lowest)),
    ]
}
