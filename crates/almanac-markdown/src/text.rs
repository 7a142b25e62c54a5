//! Text-level helpers: form input clean-up, plain text, and keeping one-line fields literal.

use pulldown_cmark::{Event, Tag, TagEnd};

use crate::render::parser;

/// See [`crate::normalise_input`].
pub(crate) fn normalise_input(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(line.trim_start());
    }
    out.truncate(out.trim_end().len());
    out
}

/// See [`crate::to_plain_text`].
pub(crate) fn to_plain_text(markdown: &str) -> String {
    let mut text = String::with_capacity(markdown.len());
    for event in parser(markdown) {
        match event {
            // What the reader sees: typed HTML is shown as text on the page, so it is text here.
            Event::Text(t)
            | Event::Code(t)
            | Event::Html(t)
            | Event::InlineHtml(t)
            | Event::InlineMath(t)
            | Event::DisplayMath(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::Rule => text.push(' '),
            // Block boundaries separate words: "Heading" then "Para" must not run together.
            Event::Start(tag) if is_block(&tag) => text.push(' '),
            Event::End(tag) if is_block_end(tag) => text.push(' '),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_block(tag: &Tag<'_>) -> bool {
    !matches!(
        tag,
        Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Superscript
            | Tag::Subscript
            | Tag::Link { .. }
            | Tag::Image { .. }
    )
}

fn is_block_end(tag: TagEnd) -> bool {
    !matches!(
        tag,
        TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript
            | TagEnd::Link
            | TagEnd::Image
    )
}

/// Backslash-escapes the syntax that would make a line a block (heading, list item, quote,
/// rule, setext underline, code fence, link reference definition), so a one-line field such
/// as "1. Introduction", "2019. Figures" or "# of people" renders as typed. Inline markup
/// (emphasis, links) is left alone.
pub(crate) fn escape_block_syntax(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len() + 8);
    for (i, line) in normalise_input(markdown).split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&escape_line(line));
    }
    out
}

fn escape_line(line: &str) -> String {
    let Some(first) = line.chars().next() else {
        return String::new();
    };
    let rest = &line[first.len_utf8()..];
    let escape_first = match first {
        '#' | '>' => true,
        '`' | '~' => rest.starts_with(first),
        // A list marker, or a rule / setext underline made of one character.
        '-' | '+' | '*' | '_' | '=' => {
            rest.is_empty()
                || rest.starts_with([' ', '\t'])
                || rest.chars().all(|c| c == first || c == ' ' || c == '\t')
        }
        '[' => is_reference_definition(line),
        _ => false,
    };
    if escape_first {
        return format!("\\{line}");
    }
    // An ordered list marker: up to nine digits then `.` or `)` then a space or the end.
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        let after = &line[digits..];
        if after.starts_with(['.', ')'])
            && (after.len() == 1 || after[1..].starts_with([' ', '\t']))
        {
            return format!("{}\\{}", &line[..digits], after);
        }
    }
    line.to_owned()
}

/// `[label]: destination` at the start of a line defines a link and renders as nothing.
fn is_reference_definition(line: &str) -> bool {
    let mut escaped = false;
    for (i, c) in line.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ']' => return line[i + 1..].starts_with(':'),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_strips_indentation_and_line_endings() {
        assert_eq!(
            normalise_input("  Intro\r\n\r\n        indented\r\n\t- item  \r\n\r\n  "),
            "Intro\n\nindented\n- item"
        );
        assert_eq!(normalise_input("a\rb"), "a\nb");
        assert_eq!(normalise_input("   "), "");
    }

    #[test]
    fn normalise_keeps_trailing_spaces_inside_the_text() {
        // Two trailing spaces are a markdown line break; only the very end is trimmed.
        assert_eq!(normalise_input("one  \ntwo  \n"), "one  \ntwo");
    }

    #[test]
    fn escapes_block_syntax_only() {
        for (input, expected) in [
            ("1. Introduction", "1\\. Introduction"),
            ("2019) figures", "2019\\) figures"),
            ("2019.5 per cent", "2019.5 per cent"),
            ("# of people", "\\# of people"),
            ("> quoted", "\\> quoted"),
            ("- item", "\\- item"),
            ("---", "\\---"),
            ("* * *", "\\* * *"),
            ("*emphasis* here", "*emphasis* here"),
            ("**strong**", "**strong**"),
            ("```", "\\```"),
            ("[a]: /b", "\\[a]: /b"),
            ("[a](/b): c", "[a](/b): c"),
            ("-5 per cent", "-5 per cent"),
        ] {
            assert_eq!(escape_line(input), expected, "{input}");
        }
    }

    #[test]
    fn plain_text_collapses_whitespace_and_drops_markup() {
        assert_eq!(
            to_plain_text(
                "# Title\n\nSome *emphasis* and a [link](https://example.org).\n\n- one\n- two\n\n![Chart of rates](c.png)"
            ),
            "Title Some emphasis and a link. one two Chart of rates"
        );
        assert_eq!(to_plain_text("a  \nb\n\n<b>x</b>"), "a b <b>x</b>");
        assert_eq!(to_plain_text("| A | B |\n|---|---|\n| 1 | 2 |"), "A B 1 2");
    }
}
