//! The second line of defence: ammonia with an allow-list of exactly the markup the renderer
//! emits.
//!
//! The renderer already turns every piece of editor-typed HTML into text, so in normal
//! operation ammonia removes nothing. It is here so that a mistake in the renderer (or a
//! pulldown-cmark bug) cannot reach a page: anything outside the list below is dropped, and
//! the values of the few attributes we emit are checked again.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use ammonia::{Builder, UrlRelative};

use crate::links;

/// Elements and the GOV.UK Frontend classes each may carry. Every element the renderer emits
/// is here, and nothing else.
const CLASSES: &[(&str, &[&str])] = &[
    ("p", &["govuk-body"]),
    ("h2", &["govuk-heading-l"]),
    ("h3", &["govuk-heading-m"]),
    ("h4", &["govuk-heading-s"]),
    ("ul", &["govuk-list", "govuk-list--bullet"]),
    ("ol", &["govuk-list", "govuk-list--number"]),
    ("li", &[]),
    ("a", &["govuk-link"]),
    ("em", &[]),
    ("strong", &[]),
    ("br", &[]),
    ("blockquote", &["govuk-inset-text"]),
    ("table", &["govuk-table"]),
    ("thead", &["govuk-table__head"]),
    ("tbody", &["govuk-table__body"]),
    ("tr", &["govuk-table__row"]),
    (
        "th",
        &["govuk-table__header", "govuk-table__header--numeric"],
    ),
    ("td", &["govuk-table__cell", "govuk-table__cell--numeric"]),
];

static SANITISER: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut builder = Builder::empty();
    builder
        .tags(CLASSES.iter().map(|(tag, _)| *tag).collect())
        .allowed_classes(
            CLASSES
                .iter()
                .filter(|(_, classes)| !classes.is_empty())
                .map(|(tag, classes)| (*tag, classes.iter().copied().collect()))
                .collect(),
        )
        // Attributes whose value is free (checked by the filter below where it matters).
        .tag_attributes(HashMap::from([
            ("a", HashSet::from(["href"])),
            ("ol", HashSet::from(["start"])),
        ]))
        // Attributes allowed with one value only: `target` exists for PDF links, `rel` for
        // external ones, and nothing else may use them.
        .tag_attribute_values(HashMap::from([
            (
                "a",
                HashMap::from([
                    ("target", HashSet::from(["_blank"])),
                    ("rel", HashSet::from(["noopener noreferrer"])),
                ]),
            ),
            ("th", HashMap::from([("scope", HashSet::from(["col"]))])),
        ]))
        .generic_attributes(HashSet::new())
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(UrlRelative::PassThrough)
        // ammonia's `link_rel` puts `rel` on every `<a>`, internal links included; the
        // renderer adds it to external links only, and the value list above pins it.
        .link_rel(None)
        .strip_comments(true)
        .clean_content_tags(HashSet::from(["script", "style"]))
        .attribute_filter(filter_attribute);
    builder
});

/// Checks attribute values that ammonia's lists cannot express.
fn filter_attribute<'u>(element: &str, attribute: &str, value: &'u str) -> Option<Cow<'u, str>> {
    match (element, attribute) {
        // The same policy the renderer applied; ammonia's scheme list is the third check.
        ("a", "href") if !links::is_allowed(value) => Some(Cow::Borrowed(links::REFUSED)),
        ("ol", "start")
            if value.is_empty()
                || value.len() > 9
                || !value.bytes().all(|b| b.is_ascii_digit()) =>
        {
            None
        }
        _ => Some(Cow::Borrowed(value)),
    }
}

/// Sanitises HTML produced by the renderer.
pub(crate) fn clean(html: &str) -> String {
    SANITISER.clean(html).to_string()
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn drops_markup_outside_the_allow_list() {
        assert_eq!(
            clean(
                r#"<p class="govuk-body evil" style="x" onclick="y">a<script>b</script><img src=x onerror=z></p>"#
            ),
            r#"<p class="govuk-body">a</p>"#
        );
    }

    #[test]
    fn pins_target_rel_and_scope_values() {
        assert_eq!(
            clean(r#"<a href="/a" target="_top" rel="opener">x</a><th scope="rowgroup">y</th>"#),
            r#"<a href="/a">x</a>y"#
        );
        assert_eq!(
            clean(r#"<a href="/a.pdf" target="_blank" rel="noopener noreferrer">x</a>"#),
            r#"<a href="/a.pdf" target="_blank" rel="noopener noreferrer">x</a>"#
        );
    }

    #[test]
    fn rechecks_hrefs_and_list_starts() {
        // ammonia drops an href with a scheme outside its list...
        assert_eq!(
            clean(r#"<a href="javascript:alert(1)">x</a><a href="foo:bar">y</a>"#),
            "<a>x</a><a>y</a>"
        );
        // ...and the filter refuses what ammonia reads as a relative URL but we do not.
        assert_eq!(
            clean(r#"<a href="%6A%61vascript:alert(1)">x</a><a href="java script:y">y</a>"#),
            r##"<a href="#">x</a><a href="#">y</a>"##
        );
        assert_eq!(
            clean(r#"<ol start="3"><li>a</li></ol><ol start="-1"><li>b</li></ol>"#),
            r#"<ol start="3"><li>a</li></ol><ol><li>b</li></ol>"#
        );
    }
}
