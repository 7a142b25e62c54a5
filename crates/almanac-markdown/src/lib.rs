//! Editors' markdown to HTML that is safe to put in any page, with GOV.UK Frontend classes.
//!
//! Editors write measure pages in markdown in the publisher; the same text is shown in the
//! publisher's preview and in the static site. Rendering goes in two steps, so that one
//! mistake is not enough to let script into a page:
//!
//! 1. pulldown-cmark parses the markdown (CommonMark plus tables) and we rewrite its events:
//!    each supported element is emitted as our own tag carrying its GOV.UK class
//!    (`govuk-body`, `govuk-heading-l/m/s`, `govuk-list--bullet`, `govuk-link`,
//!    `govuk-table…`, `govuk-inset-text`), every piece of HTML the editor typed becomes
//!    text (shown escaped, exactly as typed), images become their alt text, and link
//!    destinations go through the link policy below.
//! 2. ammonia sanitises the result with an allow-list of exactly those elements, classes and
//!    attributes, and checks the few attribute values again.
//!
//! Supported markdown: paragraphs, headings (`#` is h2 because the page has its own h1;
//! `###` and deeper are h4), emphasis, strong, links, bullet and numbered lists,
//! blockquotes (GOV.UK inset text), tables, and line breaks. Inline code and fenced code
//! blocks are shown as plain text, thematic breaks are dropped, and extensions such as
//! strikethrough or footnotes are off, so their syntax shows as typed.
//!
//! Links: `http`, `https` and `mailto` URLs and relative URLs are kept. Any other destination
//! (`javascript:`, `data:`, `vbscript:`, unknown schemes, and anything with a `:` before the
//! path that is not one of those) keeps its link text but gets `href="#"`, as the model did;
//! so does a URL with `javascript:`, `vbscript:` or `data:` anywhere in it (see `links.rs`).
//! Link titles are dropped (GOV.UK links do not use `title`). External links (`http(s)` and `//host`) get `rel="noopener noreferrer"`. A link whose path
//! ends in `.pdf` opens in a new tab (`target="_blank"`) and its text ends with
//! " (PDF opens in a new window or tab)".
//!
//! All functions are pure and deterministic: the same input gives the same bytes, because
//! the site build compares its outputs between builds.

mod links;
mod render;
mod sanitise;
mod text;

use render::Mode;

/// Markdown written by editors, rendered to HTML that is safe to put in any page.
///
/// Blocks are separated by newlines; the result has no leading or trailing whitespace.
pub fn render(markdown: &str) -> String {
    let html = sanitise::clean(&render::to_html(markdown, Mode::Block));
    html.trim().to_owned()
}

/// A whole page's body, under the page's h1 (a site page, the homepage's introduction): the
/// top-most heading the editor used becomes h2, whether they typed `#` or `##`, so the
/// page's outline never skips a level.
pub fn render_page(markdown: &str) -> String {
    let html = sanitise::clean(&render::to_html(markdown, Mode::Page));
    html.trim().to_owned()
}

/// The same as [`render`], for one-line fields (titles in tables, summaries in lists): no block wrapper
/// `<p>`.
///
/// Only inline markup is rendered (emphasis, strong, links, line breaks). Line-start syntax
/// that would make a block is kept as typed, so "1. Introduction" or "# of people" read as
/// written; if blocks still occur (a table, say), their content is joined with spaces.
pub fn render_inline(markdown: &str) -> String {
    let markdown = text::escape_block_syntax(markdown);
    let html = sanitise::clean(&render::to_html(&markdown, Mode::Inline));
    html.trim().to_owned()
}

/// Cleans text submitted from a textarea the way the model did: strips leading whitespace
/// from every line (so Markdown never turns indented text into code blocks), normalises
/// `\r\n` (and a lone `\r`) to `\n`, and trims trailing whitespace at the end.
///
/// Trailing spaces inside the text are kept, because two of them make a line break. As in
/// the model, indentation that nests a list is lost too.
pub fn normalise_input(text: &str) -> String {
    text::normalise_input(text)
}

/// Plain text of the markdown (for meta descriptions, search snippets, social cards),
/// whitespace collapsed.
///
/// This is the text a reader sees, without markup: link text without its URL, an image's alt
/// text, and HTML the editor typed as the characters typed (it is shown that way on the
/// page). It is not escaped: escape it for wherever it goes.
pub fn to_plain_text(markdown: &str) -> String {
    text::to_plain_text(markdown)
}

#[cfg(test)]
mod tests;
