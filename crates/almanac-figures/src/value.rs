//! One cell of statistical data: a number, one of the model's special values, or text.
//!
//! Statisticians mark cells they cannot publish with short codes; the model
//! (`static_site/filters.py`, `value_filter`) shows them with a legend under the figure.
//! Almanac keeps the same codes so that data pasted from existing spreadsheets works.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A code in place of a number, explained in the legend under a table or chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpecialValue {
    /// `n/a`: the figure does not apply (shown as "N/A*", as in the model).
    NotApplicable,
    /// `?`: withheld because a small sample makes it unreliable.
    WithheldSmallSample,
    /// `!`: withheld to protect confidentiality.
    WithheldConfidential,
    /// `-`: the data was not collected.
    NotCollected,
    /// `~0`: rounds to zero but is not zero.
    RoundedToZero,
}

impl SpecialValue {
    /// Every special value, in legend order.
    pub const ALL: [SpecialValue; 5] = [
        SpecialValue::NotApplicable,
        SpecialValue::WithheldSmallSample,
        SpecialValue::WithheldConfidential,
        SpecialValue::NotCollected,
        SpecialValue::RoundedToZero,
    ];

    /// Recognises the code an editor types (case-insensitive for `n/a`, surrounding space
    /// ignored).
    pub fn from_code(code: &str) -> Option<SpecialValue> {
        match code.trim() {
            code if code.eq_ignore_ascii_case("n/a") => Some(SpecialValue::NotApplicable),
            "?" => Some(SpecialValue::WithheldSmallSample),
            "!" => Some(SpecialValue::WithheldConfidential),
            "-" => Some(SpecialValue::NotCollected),
            "~0" => Some(SpecialValue::RoundedToZero),
            _ => None,
        }
    }

    /// The code as stored and as written in CSV downloads.
    pub fn code(self) -> &'static str {
        match self {
            SpecialValue::NotApplicable => "n/a",
            SpecialValue::WithheldSmallSample => "?",
            SpecialValue::WithheldConfidential => "!",
            SpecialValue::NotCollected => "-",
            SpecialValue::RoundedToZero => "~0",
        }
    }

    /// What readers see in the cell.
    pub fn display(self) -> &'static str {
        match self {
            SpecialValue::NotApplicable => "N/A*",
            other => other.code(),
        }
    }

    /// The legend entry explaining the code.
    pub fn meaning(self) -> &'static str {
        match self {
            SpecialValue::NotApplicable => "not applicable",
            SpecialValue::WithheldSmallSample => {
                "withheld because a small sample size makes it unreliable"
            }
            SpecialValue::WithheldConfidential => "withheld to protect confidentiality",
            SpecialValue::NotCollected => "data not collected",
            SpecialValue::RoundedToZero => "rounds to 0 but is not exactly 0",
        }
    }
}

/// A parsed cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CellValue {
    /// A number; `text` is what the editor wrote (without thousands separators), so that
    /// the page shows `12.50` and not `12.5`.
    Number {
        value: f64,
        text: String,
    },
    Special {
        code: SpecialValue,
    },
    /// Nothing in the cell.
    Empty,
    /// Anything else; a value column holding text is reported by the builders that need
    /// numbers.
    Text {
        text: String,
    },
}

impl CellValue {
    /// Parses what an editor wrote in a value cell. Accepts thousands separators
    /// (`1,234.5`), a leading `+`, and a trailing `%` (the percentage sign is a unit, shown in
    /// the column heading, not part of the number).
    pub fn parse(raw: &str) -> CellValue {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return CellValue::Empty;
        }
        if let Some(code) = SpecialValue::from_code(trimmed) {
            return CellValue::Special { code };
        }
        match parse_number(trimmed) {
            Some((value, text)) => CellValue::Number { value, text },
            None => CellValue::Text {
                text: trimmed.to_owned(),
            },
        }
    }

    pub fn number(&self) -> Option<f64> {
        match self {
            CellValue::Number { value, .. } => Some(*value),
            _ => None,
        }
    }

    pub fn special(&self) -> Option<SpecialValue> {
        match self {
            CellValue::Special { code } => Some(*code),
            _ => None,
        }
    }
}

impl fmt::Display for CellValue {
    /// What readers see in a table cell.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CellValue::Number { text, .. } => formatter.write_str(text),
            CellValue::Special { code } => formatter.write_str(code.display()),
            CellValue::Empty => Ok(()),
            CellValue::Text { text } => formatter.write_str(text),
        }
    }
}

fn parse_number(trimmed: &str) -> Option<(f64, String)> {
    let without_unit = trimmed.strip_suffix('%').unwrap_or(trimmed).trim_end();
    let unsigned = without_unit.strip_prefix('+').unwrap_or(without_unit);
    if !valid_thousands_grouping(unsigned) {
        return None;
    }
    let text: String = unsigned.chars().filter(|&c| c != ',').collect();
    let digits = text.strip_prefix('-').unwrap_or(&text);
    // f64::from_str also takes "inf", "NaN" and "1e5"; statistics tables never mean those.
    let plain = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|&c| c == '.').count() <= 1
        && digits.chars().any(|c| c.is_ascii_digit());
    if !plain {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    Some((value, text))
}

/// `1,234,567.8` is grouped correctly; `1,23` is not a number but a typo (or a European
/// decimal comma, which we refuse rather than misread).
fn valid_thousands_grouping(text: &str) -> bool {
    if !text.contains(',') {
        return true;
    }
    let integer_part = text.split('.').next().unwrap_or_default();
    let integer_part = integer_part.strip_prefix('-').unwrap_or(integer_part);
    let mut groups = integer_part.split(',');
    let first = groups.next().unwrap_or_default();
    (1..=3).contains(&first.len()) && groups.all(|group| group.len() == 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(text: &str) -> Option<f64> {
        CellValue::parse(text).number()
    }

    #[test]
    fn numbers_are_read_with_separators_signs_and_percent() {
        assert_eq!(number("12.5"), Some(12.5));
        assert_eq!(number(" 1,234.5 "), Some(1234.5));
        assert_eq!(number("-3"), Some(-3.0));
        assert_eq!(number("+3"), Some(3.0));
        assert_eq!(number("45%"), Some(45.0));
        assert_eq!(number("0.0"), Some(0.0));
    }

    #[test]
    fn the_editors_text_is_kept_for_display() {
        assert_eq!(CellValue::parse("12.50").to_string(), "12.50");
        assert_eq!(CellValue::parse("1,234").to_string(), "1234");
    }

    #[test]
    fn things_that_look_like_numbers_but_are_not() {
        for text in [
            "1,23", "1.2.3", "inf", "NaN", "1e5", "12 %x", "-", ".", "£5",
        ] {
            assert_eq!(number(text), None, "{text}");
        }
    }

    #[test]
    fn special_values_are_recognised_and_displayed_as_in_the_model() {
        let shown: Vec<String> = ["n/a", "N/A", "?", "!", "-", "~0"]
            .iter()
            .map(|code| CellValue::parse(code).to_string())
            .collect();
        assert_eq!(shown, ["N/A*", "N/A*", "?", "!", "-", "~0"]);
        for special in SpecialValue::ALL {
            assert_eq!(SpecialValue::from_code(special.code()), Some(special));
        }
    }

    #[test]
    fn empty_and_text_cells() {
        assert_eq!(CellValue::parse("  "), CellValue::Empty);
        assert_eq!(
            CellValue::parse("White British"),
            CellValue::Text {
                text: "White British".into()
            }
        );
    }
}
