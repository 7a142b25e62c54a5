//! Rendering rules, with exact output so that any change in markup is a deliberate one.

use pulldown_cmark::{Event, Tag};

use super::*;

#[test]
fn paragraphs_emphasis_and_breaks_get_body_class() {
    assert_eq!(
        render("Some *em* and **strong**.\nSame paragraph,  \nafter a break.\n\nSecond."),
        "<p class=\"govuk-body\">Some <em>em</em> and <strong>strong</strong>.\n\
         Same paragraph,<br>after a break.</p>\n\
         <p class=\"govuk-body\">Second.</p>"
    );
}

#[test]
fn headings_start_at_h2_and_stop_at_h4() {
    assert_eq!(
        render("# One\n\n## Two\n\n### Three\n\n#### Four\n\n###### Six\n\nSetext\n======"),
        "<h2 class=\"govuk-heading-l\">One</h2>\n\
         <h3 class=\"govuk-heading-m\">Two</h3>\n\
         <h4 class=\"govuk-heading-s\">Three</h4>\n\
         <h4 class=\"govuk-heading-s\">Four</h4>\n\
         <h4 class=\"govuk-heading-s\">Six</h4>\n\
         <h2 class=\"govuk-heading-l\">Setext</h2>"
    );
}

#[test]
fn lists_and_blockquotes_get_govuk_classes() {
    assert_eq!(
        render("- a\n- b\n\n1. x\n2. y\n\nThen\n\n7. seventh\n\n> Inset"),
        "<ul class=\"govuk-list govuk-list--bullet\">\n<li>a</li>\n<li>b</li>\n</ul>\n\
         <ol class=\"govuk-list govuk-list--number\">\n<li>x</li>\n<li>y</li>\n</ol>\n\
         <p class=\"govuk-body\">Then</p>\n\
         <ol class=\"govuk-list govuk-list--number\" start=\"7\">\n<li>seventh</li>\n</ol>\n\
         <blockquote class=\"govuk-inset-text\">\n<p class=\"govuk-body\">Inset</p>\n</blockquote>"
    );
}

#[test]
fn tables_get_govuk_classes_and_numeric_columns() {
    assert_eq!(
        render("| Ethnicity | Rate |\n|---|--:|\n| *White* | 1.2 |\n| Black | 3.4 |"),
        "<table class=\"govuk-table\">\n\
         <thead class=\"govuk-table__head\">\n<tr class=\"govuk-table__row\">\n\
         <th scope=\"col\" class=\"govuk-table__header\">Ethnicity</th>\
         <th scope=\"col\" class=\"govuk-table__header govuk-table__header--numeric\">Rate</th>\n\
         </tr>\n</thead>\n\
         <tbody class=\"govuk-table__body\">\n\
         <tr class=\"govuk-table__row\">\n\
         <td class=\"govuk-table__cell\"><em>White</em></td>\
         <td class=\"govuk-table__cell govuk-table__cell--numeric\">1.2</td>\n</tr>\n\
         <tr class=\"govuk-table__row\">\n\
         <td class=\"govuk-table__cell\">Black</td>\
         <td class=\"govuk-table__cell govuk-table__cell--numeric\">3.4</td>\n</tr>\n\
         </tbody>\n</table>"
    );
    // A table with a header only has no empty body.
    assert!(!render("| A |\n|---|").contains("tbody"));
}

#[test]
fn links_get_class_and_rel_only_when_external() {
    assert_eq!(
        render_inline(
            "[a](https://example.org/x) [b](/measures/y) [c](mailto:team@example.org) \
             <someone@example.org> [d](//example.org)"
        ),
        "<a href=\"https://example.org/x\" class=\"govuk-link\" rel=\"noopener noreferrer\">a</a> \
         <a href=\"/measures/y\" class=\"govuk-link\">b</a> \
         <a href=\"mailto:team@example.org\" class=\"govuk-link\">c</a> \
         <a href=\"mailto:someone@example.org\" class=\"govuk-link\">someone@example.org</a> \
         <a href=\"//example.org\" class=\"govuk-link\" rel=\"noopener noreferrer\">d</a>"
    );
}

#[test]
fn refused_destinations_become_hash() {
    for markdown in [
        "[x](javascript:alert(1))",
        "[x](data:text/html,hi)",
        "[x](vbscript:msgbox)",
        "[x](ftp://example.org)",
        "[x][r]\n\n[r]: javascript:alert(1)",
    ] {
        assert_eq!(
            render(markdown),
            "<p class=\"govuk-body\"><a href=\"#\" class=\"govuk-link\">x</a></p>",
            "{markdown}"
        );
    }
}

#[test]
fn link_titles_are_dropped() {
    assert_eq!(
        render_inline(r#"[x](/a "say \"hi\" <b>")"#),
        "<a href=\"/a\" class=\"govuk-link\">x</a>"
    );
}

#[test]
fn pdf_links_open_in_a_new_tab_and_say_so() {
    assert_eq!(
        render_inline(
            "[Full report](/files/report.PDF) and [external](https://example.org/r.pdf?v=2)"
        ),
        "<a href=\"/files/report.PDF\" class=\"govuk-link\" target=\"_blank\">\
         Full report (PDF opens in a new window or tab)</a> and \
         <a href=\"https://example.org/r.pdf?v=2\" class=\"govuk-link\" rel=\"noopener noreferrer\" \
         target=\"_blank\">external (PDF opens in a new window or tab)</a>"
    );
    // A refused destination is not a PDF, whatever it ends with.
    assert_eq!(
        render_inline("[x](javascript:a.pdf)"),
        "<a href=\"#\" class=\"govuk-link\">x</a>"
    );
}

#[test]
fn typed_html_is_shown_as_text() {
    assert_eq!(
        render("<div>\n<b>bold</b>\n</div>\n\nText <em>x</em> & more"),
        "<p class=\"govuk-body\">&lt;div&gt;<br>&lt;b&gt;bold&lt;/b&gt;<br>&lt;/div&gt;</p>\n\
         <p class=\"govuk-body\">Text &lt;em&gt;x&lt;/em&gt; &amp; more</p>"
    );
}

#[test]
fn images_become_their_alt_text() {
    assert_eq!(
        render("Chart: ![Rates *by* <ethnicity>](chart.png \"t\")"),
        "<p class=\"govuk-body\">Chart: Rates by &lt;ethnicity&gt;</p>"
    );
    assert_eq!(
        render_inline("[![alt](i.png)](/a)"),
        "<a href=\"/a\" class=\"govuk-link\">alt</a>"
    );
}

#[test]
fn code_is_plain_text_and_rules_are_dropped() {
    assert_eq!(
        render("`x < y`\n\n```\nline <1>\nline 2\n```\n\n***"),
        "<p class=\"govuk-body\">x &lt; y</p>\n<p class=\"govuk-body\">line &lt;1&gt;<br>line 2</p>"
    );
}

#[test]
fn render_inline_has_no_blocks_and_keeps_line_syntax_literal() {
    assert_eq!(
        render_inline("Rate of *employment*"),
        "Rate of <em>employment</em>"
    );
    assert_eq!(render_inline("1. Introduction"), "1. Introduction");
    assert_eq!(render_inline("2019. Figures"), "2019. Figures");
    assert_eq!(render_inline("# of people"), "# of people");
    assert_eq!(render_inline("- minus"), "- minus");
    assert_eq!(render_inline("> more than"), "&gt; more than");
    assert_eq!(render_inline("Two\nlines"), "Two lines");
    assert_eq!(render_inline("[ref]: /x"), "[ref]: /x");
    // A table needs two lines, so it is not caught above; its cells are joined instead.
    assert_eq!(render_inline("| a | b |\n|---|---|\n| 1 | 2 |"), "a b 1 2");
}

#[test]
fn empty_input_renders_nothing() {
    for markdown in ["", "   ", "\n\n", "[r]: /x", "***"] {
        assert_eq!(render(markdown), "", "{markdown:?}");
        assert_eq!(render_inline(markdown).trim(), render_inline(markdown));
    }
    assert_eq!(to_plain_text(""), "");
}

#[test]
fn normalise_input_stops_indented_text_becoming_code() {
    let typed =
        "Intro paragraph.\r\n\r\n    Indented by habit.\r\n\r\n  - a nested-looking item\r\n";
    let has_code = |markdown: &str| {
        render::parser(markdown).any(|e| matches!(e, Event::Start(Tag::CodeBlock(_))))
    };
    assert!(has_code(typed), "the raw text would be a code block");
    let normalised = normalise_input(typed);
    assert_eq!(
        normalised,
        "Intro paragraph.\n\nIndented by habit.\n\n- a nested-looking item"
    );
    assert!(!has_code(&normalised));
    assert_eq!(
        render(&normalised),
        "<p class=\"govuk-body\">Intro paragraph.</p>\n\
         <p class=\"govuk-body\">Indented by habit.</p>\n\
         <ul class=\"govuk-list govuk-list--bullet\">\n<li>a nested-looking item</li>\n</ul>"
    );
}

#[test]
fn plain_text_is_what_the_reader_sees() {
    assert_eq!(
        to_plain_text(
            "# Key findings\n\nThe *rate* for [Black people](/x) was **3.4%**.  \nSee the \
             [report](/r.pdf).\n\n> Note <b>this</b>\n\n| A | B |\n|---|---|\n| 1 | 2 |"
        ),
        "Key findings The rate for Black people was 3.4%. See the report. Note <b>this</b> A B 1 2"
    );
}

#[test]
fn output_is_deterministic() {
    let markdown = "# T\n\n[a](https://x.org/a.pdf \"t\") *b* **c**\n\n- d\n\n| e | f |\n|--:|:-:|\n| 1 | 2 |\n\n\
                    > g <script>h</script>";
    let first = (
        render(markdown),
        render_inline(markdown),
        to_plain_text(markdown),
    );
    for _ in 0..50 {
        assert_eq!(
            (
                render(markdown),
                render_inline(markdown),
                to_plain_text(markdown)
            ),
            first
        );
    }
}

/// Defence in depth means each layer holds on its own: for every XSS vector, the renderer's
/// output already contains only what the sanitiser allows, so the sanitiser changes nothing
/// (compared as parsed documents, since the two serialise entities differently).
#[test]
fn sanitiser_removes_nothing_from_rendered_corpus() {
    let corpus = include_str!("../tests/xss-corpus.txt");
    let same = |raw: &str| {
        let cleaned = sanitise::clean(raw);
        scraper::Html::parse_fragment(raw).html() == scraper::Html::parse_fragment(&cleaned).html()
    };
    assert!(
        !same(r#"<p class="govuk-body" onclick="x">a</p>"#),
        "the comparison is not blind"
    );
    for line in corpus
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with("%%"))
    {
        let vector = line
            .replace("{TAB}", "\t")
            .replace("{LF}", "\n")
            .replace("{CR}", "\r")
            .replace("{NUL}", "\0")
            .replace("{FF}", "\u{c}")
            .replace("{SOH}", "\u{1}");
        for mode in [render::Mode::Block, render::Mode::Inline] {
            let raw = render::to_html(&vector, mode);
            assert!(
                same(&raw),
                "{vector:?} in {mode:?}:\n{raw}\n{}",
                sanitise::clean(&raw)
            );
        }
    }
}

#[test]
fn a_page_body_starts_its_outline_at_h2_whatever_the_editor_typed() {
    let typed_two = crate::render_page("## Essential cookies\n\nText\n\n### Detail\n\nMore");
    assert!(typed_two.starts_with(r#"<h2 class="govuk-heading-l">Essential cookies</h2>"#));
    assert!(typed_two.contains(r#"<h3 class="govuk-heading-m">Detail</h3>"#));
    let typed_one = crate::render_page("# Top\n\n## Next");
    assert!(typed_one.contains(r#"<h2 class="govuk-heading-l">Top</h2>"#));
    assert!(typed_one.contains(r#"<h3 class="govuk-heading-m">Next</h3>"#));
    assert_eq!(
        crate::render("## Section"),
        r#"<h3 class="govuk-heading-m">Section</h3>"#,
        "inside a page's section, headings stay below the section's"
    );
}
