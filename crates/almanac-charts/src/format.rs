//! Numbers as readers see them (value labels and axis ticks), and "nice" axis scales whose
//! ticks fall on 1, 2 or 5 × 10ⁿ.

use almanac_figures::CellValue;

use crate::settings::NumberFormat;

/// The label written on or beside a value: the number with the chart's prefix, suffix and
/// decimal places, or a special value's display code. Empty cells have no label.
pub fn value_label(value: &CellValue, format: &NumberFormat) -> Option<String> {
    match value {
        CellValue::Number { value, text } => {
            let number = match format.decimal_places {
                Some(places) => format_fixed(*value, usize::from(places)),
                None => group_thousands(text),
            };
            Some(format!("{}{number}{}", format.prefix, format.suffix))
        }
        CellValue::Special { code } => Some(code.display().to_owned()),
        CellValue::Empty => None,
        CellValue::Text { text } => Some(text.clone()),
    }
}

/// A tick label: enough decimal places for the step, with the prefix and suffix.
pub fn tick_label(value: f64, scale: &Scale, format: &NumberFormat) -> String {
    format!(
        "{}{}{}",
        format.prefix,
        format_fixed(value, scale.decimals()),
        format.suffix
    )
}

/// `value` with exactly `places` decimals and thousands separators. Never writes "-0".
pub fn format_fixed(value: f64, places: usize) -> String {
    let text = format!("{value:.places$}");
    let text = if text
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        text.trim_start_matches('-').to_owned()
    } else {
        text
    };
    group_thousands(&text)
}

/// Inserts thousands separators into a plain decimal number such as `-1234.5`.
pub fn group_thousands(text: &str) -> String {
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (unsigned, None),
    };
    if integer.len() <= 3 || !integer.chars().all(|c| c.is_ascii_digit()) {
        return text.to_owned();
    }
    let mut grouped = String::with_capacity(integer.len() + integer.len() / 3);
    for (index, digit) in integer.chars().enumerate() {
        if index > 0 && (integer.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    match fraction {
        Some(fraction) => format!("{sign}{grouped}.{fraction}"),
        None => format!("{sign}{grouped}"),
    }
}

/// A value axis: its ends and the distance between ticks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    pub min: f64,
    pub max: f64,
    pub step: f64,
}

impl Scale {
    /// A scale covering `low..=high` with about five ticks on round numbers. Bars are
    /// measured from zero, so `include_zero` widens the range to 0. The editor's `min` and
    /// `max` from the number format, when given, are the ends.
    pub fn nice(low: f64, high: f64, include_zero: bool, format: &NumberFormat) -> Scale {
        let (mut low, mut high) = if low.is_finite() && high.is_finite() && low <= high {
            (low, high)
        } else {
            (0.0, 0.0)
        };
        if include_zero {
            low = low.min(0.0);
            high = high.max(0.0);
        }
        if let Some(min) = format.min {
            low = min;
        }
        if let Some(max) = format.max {
            high = max;
        }
        if high <= low {
            // One value, or all zero: give the axis some length around it.
            let span = if low == 0.0 { 1.0 } else { low.abs() };
            if low >= 0.0 && include_zero {
                high = low + span;
            } else {
                low -= span / 2.0;
                high += span / 2.0;
            }
        }
        let step = nice_step((high - low) / 5.0);
        let min = format.min.unwrap_or((low / step).floor() * step);
        let max = format.max.unwrap_or((high / step).ceil() * step);
        Scale { min, max, step }
    }

    /// The tick values from `min` to `max`, on multiples of the step.
    pub fn ticks(&self) -> Vec<f64> {
        let first = (self.min / self.step).ceil() as i64;
        let last = (self.max / self.step).floor() as i64;
        let decimals = self.decimals() as i32;
        let rounding = 10f64.powi(decimals);
        (first..=last)
            // Multiplying an integer index keeps 0.1-steps free of accumulated float error.
            .map(|index| (index as f64 * self.step * rounding).round() / rounding)
            .collect()
    }

    /// Decimal places a tick label needs (0 for steps of 1 or more).
    pub fn decimals(&self) -> usize {
        let exponent = self.step.log10().floor();
        if exponent >= 0.0 {
            0
        } else {
            (-exponent) as usize
        }
    }

    /// Where `value` falls between the ends, from 0 to 1.
    pub fn fraction(&self, value: f64) -> f64 {
        ((value - self.min) / (self.max - self.min)).clamp(0.0, 1.0)
    }
}

/// The smallest 1, 2 or 5 × 10ⁿ at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let fraction = raw / magnitude;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain() -> NumberFormat {
        NumberFormat::default()
    }

    #[test]
    fn steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_step(7.3), 10.0);
        assert_eq!(nice_step(1.6), 2.0);
        assert_eq!(nice_step(0.04), 0.05);
        assert_eq!(nice_step(230.0), 500.0);
        assert_eq!(nice_step(0.0), 1.0);
    }

    #[test]
    fn scales_cover_the_data_on_round_numbers() {
        let scale = Scale::nice(3.2, 47.0, true, &plain());
        assert_eq!(
            scale,
            Scale {
                min: 0.0,
                max: 50.0,
                step: 10.0
            }
        );
        assert_eq!(scale.ticks(), [0.0, 10.0, 20.0, 30.0, 40.0, 50.0]);

        let scale = Scale::nice(-12.0, 30.0, true, &plain());
        assert_eq!((scale.min, scale.max, scale.step), (-20.0, 30.0, 10.0));

        let scale = Scale::nice(0.1, 0.7, false, &plain());
        assert_eq!(scale.ticks(), [0.0, 0.2, 0.4, 0.6, 0.8]);
        assert_eq!(scale.decimals(), 1);
    }

    #[test]
    fn degenerate_data_still_has_an_axis() {
        let zero = Scale::nice(0.0, 0.0, true, &plain());
        assert!(zero.max > zero.min);
        let one = Scale::nice(42.0, 42.0, false, &plain());
        assert!(one.min < 42.0 && one.max > 42.0);
        let nothing = Scale::nice(f64::INFINITY, f64::NEG_INFINITY, true, &plain());
        assert!(nothing.max > nothing.min);
    }

    #[test]
    fn the_editors_axis_ends_are_kept() {
        let format = NumberFormat {
            min: Some(0.0),
            max: Some(100.0),
            ..NumberFormat::default()
        };
        let scale = Scale::nice(3.0, 47.0, true, &format);
        assert_eq!((scale.min, scale.max), (0.0, 100.0));
        assert_eq!(scale.ticks().len(), 6);
    }

    #[test]
    fn labels_use_the_number_format() {
        let format = NumberFormat {
            prefix: "£".into(),
            suffix: "k".into(),
            ..NumberFormat::default()
        };
        assert_eq!(
            value_label(&CellValue::parse("12345.50"), &format).as_deref(),
            Some("£12,345.50k")
        );
        let rounded = NumberFormat {
            decimal_places: Some(1),
            suffix: "%".into(),
            ..NumberFormat::default()
        };
        assert_eq!(
            value_label(&CellValue::parse("-0.04"), &rounded).as_deref(),
            Some("0.0%")
        );
        assert_eq!(
            value_label(&CellValue::parse("n/a"), &rounded).as_deref(),
            Some("N/A*")
        );
        assert_eq!(value_label(&CellValue::Empty, &rounded), None);
        assert_eq!(group_thousands("-1234567.25"), "-1,234,567.25");
        assert_eq!(group_thousands("999"), "999");
    }
}
