//! Markdown events to HTML with GOV.UK Frontend classes.
//!
//! pulldown-cmark's HTML writer produces bare tags; we rewrite the event stream so each
//! supported block or inline element becomes a raw-HTML event (`Event::InlineHtml`) holding
//! our own tag with its GOV.UK class, and let the writer handle text escaping. Anything the editor typed as HTML
//! becomes `Event::Text`, so the writer escapes it and it shows on the page as typed.

use pulldown_cmark::{
    Alignment, CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd,
};
use pulldown_cmark_escape::escape_href;

use crate::links;

/// The visible suffix of a link to a PDF, as in the model.
pub(crate) const PDF_SUFFIX: &str = " (PDF opens in a new window or tab)";

/// The markdown we parse: CommonMark plus tables. Strikethrough, footnotes, task lists and
/// the rest stay off, so their syntax shows as typed rather than as markup we do not style.
pub(crate) fn parser(markdown: &str) -> Parser<'_> {
    Parser::new_ext(markdown, Options::ENABLE_TABLES)
}

/// Whether block structure is kept (`render`) or flattened into one line (`render_inline`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Block,
    /// A whole page's body under its h1: the editor's top-most heading level, whichever it
    /// is, becomes the page's second level, so no level is ever skipped.
    Page,
    Inline,
}

/// Renders markdown to (not yet sanitised) HTML.
pub(crate) fn to_html(markdown: &str, mode: Mode) -> String {
    let raise = if mode == Mode::Page {
        parser(markdown)
            .filter_map(|event| match event {
                Event::Start(Tag::Heading { level, .. }) => Some(level as usize - 1),
                _ => None,
            })
            .min()
            .unwrap_or(0)
    } else {
        0
    };
    let mode = if mode == Mode::Page {
        Mode::Block
    } else {
        mode
    };
    let mut rewriter = Rewriter::new(mode);
    rewriter.raise = raise;
    for event in parser(markdown) {
        rewriter.event(event);
    }
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, rewriter.out.into_iter());
    html
}

/// State of one table while its events go by.
#[derive(Default)]
struct Table {
    alignments: Vec<Alignment>,
    cell: usize,
    in_head: bool,
    body_open: bool,
}

struct Rewriter<'a> {
    mode: Mode,
    out: Vec<Event<'a>>,
    /// Inside an image: only its alt text is kept.
    image_depth: usize,
    /// For each open link, whether it gets the PDF suffix before `</a>`.
    links: Vec<bool>,
    table: Table,
    /// The lines of a code block or HTML block being collected; shown as a paragraph of text.
    literal: Option<String>,
    /// Inline mode: a block ended, so a space goes before the next text.
    pending_space: bool,
    /// Heading levels to go up by (page mode: the top-most heading becomes `#`).
    raise: usize,
}

impl<'a> Rewriter<'a> {
    fn new(mode: Mode) -> Self {
        Self {
            mode,
            out: Vec::new(),
            image_depth: 0,
            links: Vec::new(),
            table: Table::default(),
            literal: None,
            pending_space: false,
            raise: 0,
        }
    }

    fn block(&self) -> bool {
        self.mode == Mode::Block
    }

    /// Emits one of our own tags (callers skip block tags in inline mode).
    fn tag(&mut self, html: impl Into<CowStr<'a>>) {
        self.out.push(Event::InlineHtml(html.into()));
    }

    /// Emits inline content, first the space owed by a flattened block boundary.
    fn inline(&mut self, event: Event<'a>) {
        if self.pending_space {
            self.pending_space = false;
            if !self.out.is_empty() {
                self.out.push(Event::Text(" ".into()));
            }
        }
        self.out.push(event);
    }

    fn text(&mut self, text: CowStr<'a>) {
        if let Some(literal) = &mut self.literal {
            literal.push_str(&text);
        } else {
            self.inline(Event::Text(text));
        }
    }

    /// Ends a block: in block mode closes its tag; in inline mode owes a space.
    fn end_block(&mut self, close: &'static str) {
        if self.block() {
            self.tag(close);
        } else {
            self.pending_space = true;
        }
    }

    fn event(&mut self, event: Event<'a>) {
        if self.image_depth > 0 {
            self.image_event(event);
            return;
        }
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            // Raw HTML is never markup: it is shown as the text the editor typed.
            Event::Text(text)
            | Event::Code(text)
            | Event::Html(text)
            | Event::InlineHtml(text)
            | Event::InlineMath(text)
            | Event::DisplayMath(text) => self.text(text),
            // In inline mode a soft break is a space: the result is meant to sit on one line.
            Event::SoftBreak if self.block() => self.inline(Event::SoftBreak),
            Event::SoftBreak => self.inline(Event::Text(" ".into())),
            Event::HardBreak => self.inline(Event::InlineHtml("<br>".into())),
            // Thematic breaks are dropped: GOV.UK content pages separate sections with
            // headings, and there is no body class for a rule.
            Event::Rule => {}
            // Only produced by extensions we do not enable.
            Event::FootnoteReference(_) | Event::TaskListMarker(_) => {}
        }
    }

    /// Inside an image, everything but text is dropped: the image becomes its alt text.
    fn image_event(&mut self, event: Event<'a>) {
        match event {
            Event::Start(Tag::Image { .. }) => self.image_depth += 1,
            Event::End(TagEnd::Image) => self.image_depth -= 1,
            Event::Text(text)
            | Event::Code(text)
            | Event::Html(text)
            | Event::InlineHtml(text)
            | Event::InlineMath(text)
            | Event::DisplayMath(text) => self.text(text),
            Event::SoftBreak | Event::HardBreak => self.text(" ".into()),
            _ => {}
        }
    }

    fn start(&mut self, tag: Tag<'a>) {
        let block = self.block();
        match tag {
            Tag::Paragraph if block => self.tag(r#"<p class="govuk-body">"#),
            Tag::Heading { level, .. } if block => {
                let (_, open) = heading(level, self.raise);
                self.tag(open);
            }
            Tag::BlockQuote(_) if block => self.tag("<blockquote class=\"govuk-inset-text\">\n"),
            Tag::CodeBlock(_) | Tag::HtmlBlock => {
                self.literal = Some(String::new());
            }
            Tag::List(None) if block => self.tag("<ul class=\"govuk-list govuk-list--bullet\">\n"),
            Tag::List(Some(1)) if block => {
                self.tag("<ol class=\"govuk-list govuk-list--number\">\n")
            }
            Tag::List(Some(start)) if block => self.tag(format!(
                "<ol class=\"govuk-list govuk-list--number\" start=\"{start}\">\n"
            )),
            Tag::Item if block => self.tag("<li>"),
            Tag::Table(alignments) => {
                self.table = Table {
                    alignments,
                    ..Table::default()
                };
                if block {
                    self.tag("<table class=\"govuk-table\">\n");
                }
            }
            Tag::TableHead => {
                self.table.in_head = true;
                self.table.cell = 0;
                if block {
                    self.tag(
                        "<thead class=\"govuk-table__head\">\n<tr class=\"govuk-table__row\">\n",
                    );
                }
            }
            Tag::TableRow => {
                self.table.cell = 0;
                if block {
                    if !self.table.body_open {
                        self.table.body_open = true;
                        self.tag("<tbody class=\"govuk-table__body\">\n");
                    }
                    self.tag("<tr class=\"govuk-table__row\">\n");
                }
            }
            Tag::TableCell if block => {
                // Right-aligned columns are numbers in statistics tables; GOV.UK has a
                // class for them. Other alignments have no class and would need `style`.
                let numeric = self.table.alignments.get(self.table.cell) == Some(&Alignment::Right);
                let open = match (self.table.in_head, numeric) {
                    (true, false) => r#"<th scope="col" class="govuk-table__header">"#,
                    (true, true) => {
                        r#"<th scope="col" class="govuk-table__header govuk-table__header--numeric">"#
                    }
                    (false, false) => r#"<td class="govuk-table__cell">"#,
                    (false, true) => r#"<td class="govuk-table__cell govuk-table__cell--numeric">"#,
                };
                self.tag(open);
            }
            Tag::Emphasis => self.inline(Event::InlineHtml("<em>".into())),
            Tag::Strong => self.inline(Event::InlineHtml("<strong>".into())),
            Tag::Link {
                link_type,
                dest_url,
                ..
            } => self.start_link(link_type, &dest_url),
            Tag::Image { .. } => self.image_depth = 1,
            // Inline mode's block tags, and tags of extensions we do not enable: dropped,
            // their content kept.
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        let block = self.block();
        match tag {
            TagEnd::Paragraph => self.end_block("</p>\n"),
            TagEnd::Heading(level) => {
                let close = heading(level, self.raise).0;
                self.end_block(close)
            }
            TagEnd::BlockQuote(_) => self.end_block("</blockquote>\n"),
            TagEnd::CodeBlock | TagEnd::HtmlBlock => self.end_literal(),
            TagEnd::List(true) => self.end_block("</ol>\n"),
            TagEnd::List(false) => self.end_block("</ul>\n"),
            TagEnd::Item => self.end_block("</li>\n"),
            TagEnd::Table => {
                if block {
                    if self.table.body_open {
                        self.tag("</tbody>\n");
                    }
                    self.tag("</table>\n");
                } else {
                    self.pending_space = true;
                }
            }
            TagEnd::TableHead => {
                self.table.in_head = false;
                self.end_block("\n</tr>\n</thead>\n");
            }
            TagEnd::TableRow => self.end_block("\n</tr>\n"),
            TagEnd::TableCell => {
                self.table.cell += 1;
                self.end_block(if self.table.in_head { "</th>" } else { "</td>" });
            }
            TagEnd::Emphasis => self.inline(Event::InlineHtml("</em>".into())),
            TagEnd::Strong => self.inline(Event::InlineHtml("</strong>".into())),
            TagEnd::Link => {
                if self.links.pop() == Some(true) {
                    self.inline(Event::Text(PDF_SUFFIX.into()));
                }
                self.inline(Event::InlineHtml("</a>".into()));
            }
            _ => {}
        }
    }

    /// Link titles (`[a](/b "title")`) are dropped: GOV.UK links do not use `title`, which
    /// keyboard and touch users never see.
    fn start_link(&mut self, link_type: LinkType, destination: &str) {
        // Email autolinks (`<someone@example.org>`) carry the bare address.
        let href = if link_type == LinkType::Email {
            links::href(&format!("mailto:{destination}"))
        } else {
            links::href(destination)
        };
        let mut open = String::from("<a href=\"");
        write_infallible(escape_href(&mut open, &href.url));
        open.push_str("\" class=\"govuk-link\"");
        if href.external {
            open.push_str(r#" rel="noopener noreferrer""#);
        }
        if href.pdf {
            open.push_str(r#" target="_blank""#);
        }
        open.push('>');
        self.links.push(href.pdf);
        self.inline(Event::InlineHtml(open.into()));
    }

    /// A fenced code block or an HTML block, shown as a paragraph of its text, line by line.
    /// Editors have no use for code blocks, and HTML they typed is shown, not run.
    fn end_literal(&mut self) {
        let Some(literal) = self.literal.take() else {
            return;
        };
        let mut lines = literal.trim_end().lines();
        let Some(first) = lines.next() else {
            return;
        };
        if self.block() {
            self.tag(r#"<p class="govuk-body">"#);
        }
        self.inline(Event::Text(first.to_owned().into()));
        for line in lines {
            if self.block() {
                self.tag("<br>");
            } else {
                self.inline(Event::Text(" ".into()));
            }
            self.inline(Event::Text(line.to_owned().into()));
        }
        self.end_block("</p>\n");
    }
}

/// An editor's `#` is the page's second level (the page has its own h1); levels past `###`
/// are capped at h4. `raise` moves every level up first. Returns the closing and opening
/// tags.
fn heading(level: HeadingLevel, raise: usize) -> (&'static str, &'static str) {
    match (level as usize).saturating_sub(raise) {
        0 | 1 => ("</h2>\n", r#"<h2 class="govuk-heading-l">"#),
        2 => ("</h3>\n", r#"<h3 class="govuk-heading-m">"#),
        _ => ("</h4>\n", r#"<h4 class="govuk-heading-s">"#),
    }
}

/// The escapers write through `fmt::Write`, whose error a `String` never returns.
fn write_infallible(result: Result<(), std::fmt::Error>) {
    result.expect("writing to a String cannot fail");
}
