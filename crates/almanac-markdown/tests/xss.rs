//! Every vector in `xss-corpus.txt`, alone and inside other markdown, through `render` and
//! `render_inline`: the output must hold no script-capable markup.
//!
//! The output is parsed with a real HTML parser (scraper, over html5ever) so attributes are
//! checked as a browser would read them, entities decoded, rather than by pattern.

use almanac_markdown::{normalise_input, render, render_inline, to_plain_text};
use scraper::{Html, Node};

const CORPUS: &str = include_str!("xss-corpus.txt");

/// Elements `render` may emit.
const ELEMENTS: &[&str] = &[
    "p",
    "h2",
    "h3",
    "h4",
    "em",
    "strong",
    "a",
    "br",
    "ul",
    "ol",
    "li",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
];

/// Attributes `render` may emit.
const ATTRIBUTES: &[&str] = &["href", "class", "rel", "target", "scope", "start"];

/// Tags that must never appear, checked on the raw string too (in case the parser in the
/// test and a browser disagree about what is a tag).
const FORBIDDEN_TAGS: &[&str] = &[
    "<script",
    "<iframe",
    "<object",
    "<embed",
    "<svg",
    "<math",
    "<form",
    "<base",
    "<meta",
    "<style",
    "<img",
    "<link",
    "<input",
    "<details",
    "<template",
    "<noscript",
    "<html",
    "<body",
];

const FORBIDDEN_IN_VALUES: &[&str] = &["javascript:", "vbscript:", "data:"];

fn vectors() -> Vec<String> {
    CORPUS
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with("%%"))
        .map(|line| {
            line.replace("{TAB}", "\t")
                .replace("{LF}", "\n")
                .replace("{CR}", "\r")
                .replace("{NUL}", "\0")
                .replace("{FF}", "\u{c}")
                .replace("{SOH}", "\u{1}")
        })
        .collect()
}

/// The vector as typed, and placed where block and inline structure could change how it
/// parses.
fn contexts(vector: &str) -> Vec<String> {
    vec![
        vector.to_owned(),
        normalise_input(vector),
        format!("Before {vector} after"),
        format!("> {vector}"),
        format!("- {vector}"),
        format!("1. {vector}"),
        format!("# {vector}"),
        format!("*{vector}*"),
        format!("**{vector}**"),
        format!("[{vector}](/safe)"),
        format!("| h |\n|---|\n| {vector} |"),
        format!("Text\n\n{vector}\n\nText"),
    ]
}

/// What a browser's URL parser ignores, removed, so `java\tscript:` counts as `javascript:`.
fn squash(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_ascii_control() && *c != ' ')
        .collect::<String>()
        .to_ascii_lowercase()
}

fn href_is_allowed(href: &str) -> bool {
    let href = squash(href);
    match href.find([':', '/', '?', '#']) {
        Some(i) if href[i..].starts_with(':') => {
            matches!(&href[..i], "http" | "https" | "mailto")
        }
        _ => true,
    }
}

/// All the ways `html` could run script; empty when it is safe.
fn problems(html: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let lower = html.to_ascii_lowercase();
    for tag in FORBIDDEN_TAGS {
        if lower.contains(tag) {
            problems.push(format!("raw {tag}"));
        }
    }
    let fragment = Html::parse_fragment(html);
    for node in fragment.tree.nodes() {
        let Node::Element(element) = node.value() else {
            continue;
        };
        let name = element.name();
        // The parser wraps the fragment in `<html>` (and `<body>`); the raw-string check
        // above catches those if the output itself contained them.
        if !matches!(name, "html" | "body") && !ELEMENTS.contains(&name) {
            problems.push(format!("element <{name}>"));
        }
        for (attribute, value) in element.attrs() {
            let attribute = attribute.to_ascii_lowercase();
            if attribute.starts_with("on") {
                problems.push(format!("event handler {attribute}"));
            }
            if attribute == "style" {
                problems.push("style attribute".to_owned());
            }
            if !ATTRIBUTES.contains(&attribute.as_str()) {
                problems.push(format!("attribute {attribute} on <{name}>"));
            }
            if attribute == "href" && !href_is_allowed(value) {
                problems.push(format!("href {value:?}"));
            }
            let squashed = squash(value);
            for bad in FORBIDDEN_IN_VALUES {
                if squashed.contains(bad) {
                    problems.push(format!("{bad} in {attribute}={value:?}"));
                }
            }
            if attribute == "target" && value != "_blank" {
                problems.push(format!("target {value:?}"));
            }
        }
    }
    problems
}

#[test]
fn corpus_has_at_least_sixty_vectors() {
    let count = vectors().len();
    assert!(count >= 60, "only {count} vectors");
}

#[test]
fn no_vector_produces_script_capable_markup() {
    let mut failures = Vec::new();
    for vector in vectors() {
        for markdown in contexts(&vector) {
            for (function, html) in [
                ("render", render(&markdown)),
                ("render_inline", render_inline(&markdown)),
            ] {
                let found = problems(&html);
                if !found.is_empty() {
                    failures.push(format!(
                        "{function}({markdown:?})\n  -> {html}\n  {found:?}"
                    ));
                }
            }
            // Plain text is escaped by whoever uses it; here it only must not panic.
            to_plain_text(&markdown);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_vector_renders_deterministically() {
    for vector in vectors() {
        assert_eq!(render(&vector), render(&vector), "{vector:?}");
        assert_eq!(render_inline(&vector), render_inline(&vector), "{vector:?}");
    }
}

#[test]
fn script_vectors_keep_their_link_text_with_a_dead_href() {
    // The link survives, so the editor sees in the preview that it goes nowhere.
    for vector in [
        "[x](javascript:alert(1))",
        "[x](javascript&#58;alert(1))",
        "[x](java&#x09;script:alert(1))",
        "[x](https://example.org/?next=javascript:alert(1))",
        "[x][ref]\n\n[ref]: javascript:alert(1)",
    ] {
        assert_eq!(
            render(vector),
            r##"<p class="govuk-body"><a href="#" class="govuk-link">x</a></p>"##,
            "{vector:?}"
        );
    }
}

#[test]
fn the_checker_catches_unsafe_html() {
    // The oracle itself must not be blind: each of these is unsafe.
    for html in [
        "<script>alert(1)</script>",
        r#"<a href="javascript:alert(1)">x</a>"#,
        r#"<a href="jav&#x09;ascript:alert(1)">x</a>"#,
        r#"<a href="JaVaScRiPt&#58;alert(1)">x</a>"#,
        r#"<p onclick="x">y</p>"#,
        r#"<p style="color:red">y</p>"#,
        r#"<a href="vbscript:x">y</a>"#,
        r#"<a href="/x" title="data:text/html,x">y</a>"#,
        r#"<a href="/x" target="_top">y</a>"#,
        "<IMG SRC=x>",
        "<span>x</span>",
    ] {
        assert!(!problems(html).is_empty(), "{html}");
    }
    assert!(problems(r#"<p class="govuk-body"><a href="/x">y</a></p>"#).is_empty());
}
