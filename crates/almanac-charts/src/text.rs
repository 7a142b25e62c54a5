//! Text in the SVG: XML escaping, a width estimate and line wrapping.
//!
//! Label layout needs text widths, but the renderer must not load fonts (the output has to
//! be the same on every machine). The estimate uses the advance widths of Arial, which is
//! what the page asks for and what browsers have or substitute with a metric-compatible font
//! (Liberation Sans). It is rounded up slightly so that wider fallback fonts still fit.

/// Escapes text for element content and attribute values alike.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            // XML 1.0 forbids most control characters even when escaped; editors never mean
            // them, and a stray one would make the whole SVG unreadable.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => escaped.push(' '),
            '\u{FFFE}' | '\u{FFFF}' => escaped.push(' '),
            c => escaped.push(c),
        }
    }
    escaped
}

/// Arial's advance widths in thousandths of an em for the printable ASCII characters
/// (space to tilde).
const ASCII_WIDTHS: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // ' '-'/'
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // '0'-'9'
    278, 278, 584, 584, 584, 556, 1015, // ':'-'@'
    667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, // 'A'-'M'
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // 'N'-'Z'
    278, 278, 278, 469, 556, 333, // '['-'`'
    556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, // 'a'-'m'
    556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, // 'n'-'z'
    334, 260, 334, 584, // '{'-'~'
];

/// Bold text is about this much wider than regular in Arial.
const BOLD_FACTOR: f64 = 1.08;
/// Headroom for fonts a little wider than Arial: Noto Sans, which draws the PNG, is up to
/// about 8% wider on ordinary labels (a test in `png` checks this).
const SAFETY_FACTOR: f64 = 1.1;

/// The estimated width of `text` at `font_size` (in user units).
pub fn text_width(text: &str, font_size: f64, bold: bool) -> f64 {
    let thousandths: u32 = text.chars().map(character_width).sum();
    let width = f64::from(thousandths) / 1000.0 * font_size * SAFETY_FACTOR;
    if bold { width * BOLD_FACTOR } else { width }
}

fn character_width(character: char) -> u32 {
    let code = character as u32;
    if (0x20..0x7F).contains(&code) {
        return u32::from(ASCII_WIDTHS[(code - 0x20) as usize]);
    }
    match character {
        '–' | '£' | '€' | '‘' | '’' | '“' | '”' => 556,
        '—' | '…' => 1000,
        '\u{A0}' => 278,
        // Combining marks take no room of their own.
        '\u{300}'..='\u{36F}' => 0,
        // CJK and other wide scripts.
        c if (c as u32) >= 0x2E80 => 1000,
        // Accented Latin letters and most other scripts: a wide letter, to be safe.
        _ => 667,
    }
}

/// Breaks `text` into lines no wider than `max_width`, at spaces, and inside a word only
/// when the word alone is too wide. Line breaks in the text are kept.
pub fn wrap(text: &str, font_size: f64, bold: bool, max_width: f64) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if text_width(&candidate, font_size, bold) <= max_width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            for character in word.chars() {
                line.push(character);
                if text_width(&line, font_size, bold) > max_width && line.chars().count() > 1 {
                    line.pop();
                    lines.push(std::mem::take(&mut line));
                    line.push(character);
                }
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// Widest line of `lines`.
pub fn widest(lines: &[String], font_size: f64, bold: bool) -> f64 {
    lines
        .iter()
        .map(|line| text_width(line, font_size, bold))
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_an_editor_types_is_escaped() {
        assert_eq!(
            escape(r#"<script>alert("x" & 'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
        assert_eq!(escape("a\u{1}b"), "a b");
    }

    #[test]
    fn widths_follow_the_character_table() {
        assert!(text_width("WWW", 16.0, false) > text_width("iii", 16.0, false) * 3.0);
        assert!(text_width("Indian", 16.0, true) > text_width("Indian", 16.0, false));
        let one_em = text_width("\u{4E00}", 10.0, false);
        assert!((one_em - 10.0 * SAFETY_FACTOR).abs() < 1e-9);
    }

    #[test]
    fn long_labels_wrap_at_spaces_and_long_words_break() {
        let label = "Any other Mixed or Multiple ethnic background – including people who \
                     ticked more than one box";
        let lines = wrap(label, 16.0, false, 200.0);
        assert!(lines.len() >= 4, "{lines:?}");
        assert!(
            lines
                .iter()
                .all(|line| text_width(line, 16.0, false) <= 200.0)
        );
        assert_eq!(lines.join(" "), label);

        let lines = wrap(&"x".repeat(100), 16.0, false, 100.0);
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), "x".repeat(100));

        assert_eq!(wrap("", 16.0, false, 100.0), [""]);
        assert_eq!(wrap("Mixed\nWhite and Asian", 16.0, false, 500.0).len(), 2);
    }
}
