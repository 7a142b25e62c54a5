//! Checks of the built site before anything is deployed: every internal link and anchor
//! resolves to a file of the site, and every page has a title. A failing check fails the
//! build with the whole list of problems.
//!
//! The check reads each page with a scan of its tokens, not a tree: what it needs is every
//! `id`, the addresses of `a`/`link` (`href`) and `script`/`img` (`src`), and the text of
//! the document's own `<title>`. A DOM per page (scraper) cost 2.9 ms a page, and in its
//! profile html5ever's tokenizer, which builds a tendril for every name and value it meets,
//! was a large part of that; lol_html would add a rewriter and a selector engine to match
//! every element with an `id`. The scan below follows the tokenizer states of the HTML standard
//! (comments, doctypes, CDATA, quoted and unquoted attributes, raw text, RCDATA and script
//! data with its escapes) and mirrors the few decisions of the tree builder that change
//! what a tag means: which elements switch the tokenizer to raw text, when SVG or MathML
//! content begins and ends, and when the head ends (an SVG `<title>` is a label, not the
//! page's title). Values are slices of the page itself: only a value with a character
//! reference, a NUL or a carriage return is decoded, by html5ever's own tokenizer, so
//! `&amp;` in an address means exactly what it means to a browser.
//!
//! The tree builder's recovery from misnested markup is not mirrored (an `id` on a tag that
//! it would drop, such as a `<td>` outside any table, still counts): the pages are checked
//! as valid HTML by the Nu HTML Checker, so they have no such markup.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use rayon::prelude::*;

use almanac_site::{Site, SiteError};

/// One broken thing, on one page.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// The page's path in the site.
    pub page: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "/{}: {}", self.page, self.message)
    }
}

/// What the checks need from one page, borrowed from the page's text where it can be.
#[derive(Debug, Default, PartialEq)]
struct Parsed<'a> {
    /// Every `id`, in no order: a page is the target of few fragment links, so looking
    /// through them costs less than sorting them.
    ids: Vec<Cow<'a, str>>,
    links: Vec<Cow<'a, str>>,
    title: Cow<'a, str>,
}

impl Parsed<'_> {
    fn has_id(&self, id: &str) -> bool {
        self.ids.iter().any(|candidate| candidate == id)
    }
}

/// What one page's scan needs from it.
fn parse(html: &str) -> Parsed<'_> {
    let mut scan = Scan {
        text: html,
        bytes: html.as_bytes(),
        at: 0,
        parsed: Parsed::default(),
        open: Vec::new(),
        head: true,
        after_head: false,
        templates: 0,
        title_seen: false,
    };
    scan.run();
    scan.parsed
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Space {
    Html,
    Svg,
    MathMl,
}

/// An open element of SVG or MathML content, or an HTML element inside one of its
/// integration points.
struct Open<'a> {
    space: Space,
    name: &'a str,
    /// Start tags in it are HTML (SVG `foreignObject`, `desc`, `title`; a MathML
    /// `annotation-xml` whose encoding is HTML).
    html_point: bool,
    /// Start tags in it other than `mglyph` and `malignmark` are HTML (MathML `mi`, `mo`,
    /// `mn`, `ms`, `mtext`).
    text_point: bool,
    /// `annotation-xml`: an `<svg>` in it is the HTML kind.
    annotation: bool,
}

/// An attribute's value as written: its text between the quotes (or unquoted), and the
/// quote (0 for none).
#[derive(Clone, Copy)]
struct Value<'a> {
    raw: &'a str,
    quote: u8,
}

struct Tag<'a> {
    name: &'a str,
    self_closing: bool,
    id: Option<Value<'a>>,
    href: Option<Value<'a>>,
    src: Option<Value<'a>>,
    encoding: Option<Value<'a>>,
    /// `color`, `face` or `size`: a `<font>` with one leaves SVG and MathML content.
    font_attribute: bool,
}

impl<'a> Tag<'a> {
    fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    fn is_any(&self, names: &[&str]) -> bool {
        names.iter().any(|name| self.is(name))
    }
}

/// Where `needle` is next in `bytes`, from `from` on: eight bytes at a time, as tags are
/// some tens of bytes apart (too near for `memchr`'s start-up to pay).
fn find_byte(bytes: &[u8], from: usize, needle: u8) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let repeated = u64::from_ne_bytes([needle; 8]);
    let rest = bytes.get(from..)?;
    let mut chunks = rest.chunks_exact(8);
    let mut offset = from;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default()) ^ repeated;
        // A byte equal to the needle is a zero byte of `word`; the lowest flagged byte is
        // the first zero byte.
        let zeros = word.wrapping_sub(ONES) & !word & HIGHS;
        if zeros != 0 {
            return Some(offset + (zeros.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&byte| byte == needle)
        .map(|position| offset + position)
}

fn is_space(byte: u8) -> bool {
    matches!(byte, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// Start tags that end SVG and MathML content (the HTML standard's list, as html5ever has
/// it).
const BREAKOUT: &[&str] = &[
    "b",
    "big",
    "blockquote",
    "body",
    "br",
    "center",
    "code",
    "dd",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "hr",
    "i",
    "img",
    "li",
    "listing",
    "menu",
    "meta",
    "nobr",
    "ol",
    "p",
    "pre",
    "ruby",
    "s",
    "small",
    "span",
    "strong",
    "strike",
    "sub",
    "sup",
    "table",
    "tt",
    "u",
    "ul",
    "var",
];

/// HTML elements that have no end tag, so are never open.
const VOID: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image", "img",
    "input", "keygen", "link", "meta", "param", "source", "track", "wbr",
];

/// Start tags that the head may hold (in the "in head" insertion mode).
const IN_HEAD: &[&str] = &[
    "html", "head", "base", "basefont", "bgsound", "link", "meta", "noframes", "script", "style",
    "template", "title", "noscript",
];

/// How the tokenizer reads an element's content.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Content {
    Markup,
    Rcdata,
    Rawtext,
    Script,
    Plaintext,
}

fn content_of(tag: &Tag<'_>) -> Content {
    if tag.is_any(&["title", "textarea"]) {
        Content::Rcdata
    } else if tag.is_any(&["style", "xmp", "iframe", "noembed", "noframes", "noscript"]) {
        // noscript: html5ever parses with scripting on, as browsers do.
        Content::Rawtext
    } else if tag.is("script") {
        Content::Script
    } else if tag.is("plaintext") {
        Content::Plaintext
    } else {
        Content::Markup
    }
}

struct Scan<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    parsed: Parsed<'a>,
    /// The open SVG and MathML elements, from the outermost `<svg>` or `<math>` on; empty
    /// in HTML content.
    open: Vec<Open<'a>>,
    /// Still in the head: a `<title>` now is the document's (its parent is `<head>`).
    head: bool,
    /// `</head>` has been seen (a `<noscript>` now starts the body).
    after_head: bool,
    /// Open `<template>`s in the head: a `<title>` in one is not the document's.
    templates: usize,
    title_seen: bool,
}

impl<'a> Scan<'a> {
    fn byte(&self, at: usize) -> Option<u8> {
        self.bytes.get(at).copied()
    }

    /// Where `needle` is next, from `from` on.
    fn find(&self, from: usize, needle: &str) -> Option<usize> {
        let needle = needle.as_bytes();
        let mut at = from;
        loop {
            let found = find_byte(self.bytes, at, needle[0])?;
            if self.bytes[found..].starts_with(needle) {
                return Some(found);
            }
            at = found + 1;
        }
    }

    fn run(&mut self) {
        let length = self.bytes.len();
        while self.at < length {
            let Some(lt) = find_byte(self.bytes, self.at, b'<') else {
                self.text_run(self.at, length);
                break;
            };
            self.text_run(self.at, lt);
            self.at = lt + 1;
            match self.byte(self.at) {
                Some(b'!') => self.markup_declaration(),
                Some(b'/') => {
                    self.at += 1;
                    match self.byte(self.at) {
                        Some(byte) if byte.is_ascii_alphabetic() => {
                            if let Some(tag) = self.tag() {
                                self.end_tag(&tag);
                            }
                        }
                        // `</>` is dropped.
                        Some(b'>') => self.at += 1,
                        // `</` at the end is text.
                        None => self.text_run(lt, length),
                        Some(_) => self.skip_past(">"),
                    }
                }
                Some(byte) if byte.is_ascii_alphabetic() => {
                    if let Some(tag) = self.tag() {
                        self.start_tag(&tag);
                    }
                }
                Some(b'?') => self.skip_past(">"),
                // A `<` that starts no tag is text.
                _ => self.text_run(lt, lt + 1),
            }
        }
    }

    /// Text between tags: in the head, anything but white space starts the body.
    fn text_run(&mut self, from: usize, to: usize) {
        if !self.head || self.templates > 0 {
            return;
        }
        let run = &self.bytes[from..to];
        if run.iter().all(|&byte| is_space(byte)) {
            return;
        }
        // A character reference may stand for white space (`&#32;`).
        if run.contains(&b'&')
            && tokenize(&self.text[from..to], false)
                .text
                .chars()
                .all(|character| u8::try_from(character).is_ok_and(is_space))
        {
            return;
        }
        self.head = false;
    }

    /// Skips past the next `needle`, or to the end.
    fn skip_past(&mut self, needle: &str) {
        self.at = self
            .find(self.at, needle)
            .map_or(self.bytes.len(), |found| found + needle.len());
    }

    /// After `<!`.
    fn markup_declaration(&mut self) {
        let rest = &self.bytes[self.at + 1..];
        if rest.starts_with(b"--") {
            self.at += 3;
            self.comment();
        } else if rest.len() >= 7 && rest[..7].eq_ignore_ascii_case(b"doctype") {
            // Every doctype state ends at `>`, quoted identifiers too.
            self.skip_past(">");
        } else if rest.starts_with(b"[CDATA[")
            && self
                .open
                .last()
                .is_some_and(|open| open.space != Space::Html)
        {
            self.at += 8;
            self.skip_past("]]>");
        } else {
            self.skip_past(">");
        }
    }

    /// After `<!--`: the comment ends at `-->` or `--!>` (`<!-->` and `<!--->` are empty
    /// comments), or at the end.
    fn comment(&mut self) {
        let rest = &self.bytes[self.at..];
        if rest.starts_with(b">") {
            self.at += 1;
            return;
        }
        if rest.starts_with(b"->") {
            self.at += 2;
            return;
        }
        let mut from = self.at;
        while let Some(dashes) = self.find(from, "--") {
            let mut after = dashes + 2;
            while self.byte(after) == Some(b'-') {
                after += 1;
            }
            match self.byte(after) {
                Some(b'>') => {
                    self.at = after + 1;
                    return;
                }
                Some(b'!') if self.byte(after + 1) == Some(b'>') => {
                    self.at = after + 2;
                    return;
                }
                _ => from = after,
            }
        }
        self.at = self.bytes.len();
    }

    /// A tag, from its name's first letter to just after its `>`; `None` if the page ends
    /// first (such a tag is dropped).
    fn tag(&mut self) -> Option<Tag<'a>> {
        let bytes = self.bytes;
        let length = bytes.len();
        let start = self.at;
        let mut at = start;
        while at < length
            && !matches!(
                bytes[at],
                b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>'
            )
        {
            at += 1;
        }
        let mut tag = Tag {
            name: &self.text[start..at],
            self_closing: false,
            id: None,
            href: None,
            src: None,
            encoding: None,
            font_attribute: false,
        };
        // The first of two attributes of one name wins.
        let (mut id, mut href, mut src, mut encoding) = (false, false, false, false);
        loop {
            // Before an attribute's name.
            while at < length && is_space(bytes[at]) {
                at += 1;
            }
            match bytes.get(at) {
                None => break,
                Some(b'>') => {
                    self.at = at + 1;
                    return Some(tag);
                }
                Some(b'/') => {
                    at += 1;
                    match bytes.get(at) {
                        Some(b'>') => {
                            tag.self_closing = true;
                            self.at = at + 1;
                            return Some(tag);
                        }
                        None => break,
                        Some(_) => continue,
                    }
                }
                Some(_) => {}
            }
            // The name (a first `=` is part of it).
            let name_start = at;
            at += 1;
            while at < length
                && !matches!(
                    bytes[at],
                    b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>' | b'='
                )
            {
                at += 1;
            }
            let name = &bytes[name_start..at];
            while at < length && is_space(bytes[at]) {
                at += 1;
            }
            let mut value = Value { raw: "", quote: 0 };
            if bytes.get(at) == Some(&b'=') {
                at += 1;
                while at < length && is_space(bytes[at]) {
                    at += 1;
                }
                match bytes.get(at) {
                    None => break,
                    Some(&quote @ (b'"' | b'\'')) => {
                        let Some(close) = find_byte(bytes, at + 1, quote) else {
                            break;
                        };
                        value = Value {
                            raw: &self.text[at + 1..close],
                            quote,
                        };
                        at = close + 1;
                    }
                    // A missing value: the `>` ends the tag.
                    Some(b'>') => {}
                    Some(_) => {
                        let value_start = at;
                        while at < length
                            && !matches!(bytes[at], b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'>')
                        {
                            at += 1;
                        }
                        value = Value {
                            raw: &self.text[value_start..at],
                            quote: 0,
                        };
                    }
                }
            }
            let slot = match name.len() {
                2 if name.eq_ignore_ascii_case(b"id") => Some((&mut id, &mut tag.id)),
                3 if name.eq_ignore_ascii_case(b"src") => Some((&mut src, &mut tag.src)),
                4 if name.eq_ignore_ascii_case(b"href") => Some((&mut href, &mut tag.href)),
                8 if name.eq_ignore_ascii_case(b"encoding") => {
                    Some((&mut encoding, &mut tag.encoding))
                }
                4 | 5 => {
                    if name.eq_ignore_ascii_case(b"color")
                        || name.eq_ignore_ascii_case(b"face")
                        || name.eq_ignore_ascii_case(b"size")
                    {
                        tag.font_attribute = true;
                    }
                    None
                }
                _ => None,
            };
            if let Some((seen, slot)) = slot
                && !*seen
            {
                *seen = true;
                *slot = Some(value);
            }
        }
        self.at = length;
        None
    }

    /// Whether the tree builder reads a start tag as HTML (not SVG or MathML content).
    fn start_is_html(&self, tag: &Tag<'_>) -> bool {
        let Some(current) = self.open.last() else {
            return true;
        };
        current.space == Space::Html
            || (current.text_point && !tag.is_any(&["mglyph", "malignmark"]))
            || current.html_point
            || (current.annotation && tag.is("svg"))
    }

    fn start_tag(&mut self, tag: &Tag<'a>) {
        let mut html = self.start_is_html(tag);
        if !html && (tag.is_any(BREAKOUT) || (tag.is("font") && tag.font_attribute)) {
            // The tag ends the foreign content it is in.
            self.leave_foreign();
            html = true;
        }
        if !html {
            let space = self.open.last().map_or(Space::Html, |open| open.space);
            self.record(tag, tag.name);
            if !tag.self_closing {
                self.push(space, tag);
            }
            return;
        }
        // An HTML start tag.
        if self.head {
            if tag.is("template") {
                self.templates += 1;
            } else if self.templates == 0
                && (!tag.is_any(IN_HEAD) || (self.after_head && tag.is("noscript")))
            {
                self.head = false;
            }
        }
        // `<image>` is read as `<img>`.
        let name = if tag.is("image") { "img" } else { tag.name };
        self.record(tag, name);
        if tag.is("svg") {
            if !tag.self_closing {
                self.push(Space::Svg, tag);
            }
            return;
        }
        if tag.is("math") {
            if !tag.self_closing {
                self.push(Space::MathMl, tag);
            }
            return;
        }
        if !self.open.is_empty() && !tag.is_any(VOID) {
            self.push(Space::Html, tag);
        }
        let content = content_of(tag);
        if content == Content::Markup {
            return;
        }
        let end = match content {
            Content::Plaintext => None,
            Content::Script => self.script_end(),
            _ => self.raw_end(tag.name),
        };
        let end = end.unwrap_or(self.bytes.len());
        if self.head && !self.title_seen && self.templates == 0 && tag.is("title") {
            self.title_seen = true;
            let raw = &self.text[self.at..end];
            self.parsed.title = match decode_title(raw) {
                Cow::Borrowed(title) => Cow::Borrowed(title.trim()),
                Cow::Owned(title) => Cow::Owned(title.trim().to_owned()),
            };
        }
        self.at = end;
    }

    /// Closes SVG and MathML elements up to HTML content or an integration point.
    fn leave_foreign(&mut self) {
        while let Some(current) = self.open.last() {
            if current.space == Space::Html
                || current.text_point
                || (current.space == Space::Svg && current.html_point)
            {
                break;
            }
            self.open.pop();
        }
    }

    fn push(&mut self, space: Space, tag: &Tag<'a>) {
        let html_point = match space {
            Space::Svg => tag.is_any(&["foreignobject", "desc", "title"]),
            Space::MathMl => {
                tag.is("annotation-xml")
                    && tag.encoding.is_some_and(|encoding| {
                        let encoding = decode(encoding);
                        encoding.eq_ignore_ascii_case("text/html")
                            || encoding.eq_ignore_ascii_case("application/xhtml+xml")
                    })
            }
            Space::Html => false,
        };
        self.open.push(Open {
            space,
            name: tag.name,
            html_point,
            text_point: space == Space::MathMl && tag.is_any(&["mi", "mo", "mn", "ms", "mtext"]),
            annotation: space == Space::MathMl && tag.is("annotation-xml"),
        });
    }

    fn record(&mut self, tag: &Tag<'a>, name: &str) {
        if let Some(id) = tag.id {
            self.parsed.ids.push(decode(id));
        }
        let link = match name.len() {
            1 | 4 if name.eq_ignore_ascii_case("a") || name.eq_ignore_ascii_case("link") => {
                tag.href
            }
            3 | 6 if name.eq_ignore_ascii_case("img") || name.eq_ignore_ascii_case("script") => {
                tag.src
            }
            _ => None,
        };
        if let Some(link) = link {
            self.parsed.links.push(decode(link));
        }
    }

    fn end_tag(&mut self, tag: &Tag<'_>) {
        if let Some(current) = self.open.last() {
            if current.space != Space::Html && tag.is_any(&["br", "p"]) {
                self.leave_foreign();
            } else if current.space != Space::Html {
                // In SVG or MathML content: the nearest open element of the name closes
                // (with those above it); meeting an HTML element first, the HTML rules apply.
                let mut index = self.open.len() - 1;
                loop {
                    let open = &self.open[index];
                    if index != self.open.len() - 1 && open.space == Space::Html {
                        break;
                    }
                    if open.name.eq_ignore_ascii_case(tag.name) {
                        self.open.truncate(index);
                        return;
                    }
                    if index == 0 {
                        break;
                    }
                    index -= 1;
                }
            }
            // HTML rules: the nearest open HTML element of the name, above any SVG or
            // MathML one, closes.
            for index in (0..self.open.len()).rev() {
                let open = &self.open[index];
                if open.space != Space::Html {
                    break;
                }
                if open.name.eq_ignore_ascii_case(tag.name) {
                    self.open.truncate(index);
                    break;
                }
            }
            return;
        }
        if self.head {
            if tag.is("template") {
                self.templates = self.templates.saturating_sub(1);
            } else if self.templates == 0 {
                if tag.is("head") {
                    self.after_head = true;
                } else if tag.is_any(&["body", "html", "br"]) {
                    self.head = false;
                }
            }
        }
    }

    /// Where the raw text or RCDATA content from here ends: the `<` of `</name` followed
    /// by white space, `/` or `>`.
    fn raw_end(&self, name: &str) -> Option<usize> {
        let mut from = self.at;
        loop {
            let lt = self.find(from, "</")?;
            if self.closes(lt, name) {
                return Some(lt);
            }
            from = lt + 2;
        }
    }

    /// Whether `</name` and white space, `/` or `>` is at `lt`.
    fn closes(&self, lt: usize, name: &str) -> bool {
        let after = lt + 2 + name.len();
        self.bytes
            .get(lt + 2..after)
            .is_some_and(|found| found.eq_ignore_ascii_case(name.as_bytes()))
            && self
                .byte(after)
                .is_some_and(|byte| is_space(byte) || byte == b'/' || byte == b'>')
    }

    /// Where a script's content ends. Within `<!--` a `<script>` opens a "double escaped"
    /// part where `</script>` does not end it, so a script with `<!--` is read state by
    /// state.
    fn script_end(&self) -> Option<usize> {
        let end = self.raw_end("script");
        let before = &self.text[self.at..end.unwrap_or(self.bytes.len())];
        if !before.contains("<!--") {
            return end;
        }
        #[derive(Clone, Copy, PartialEq)]
        enum State {
            Data,
            Escaped,
            DoubleEscaped,
        }
        let bytes = self.bytes;
        let mut state = State::Data;
        let mut dashes = 0;
        let mut at = self.at;
        while at < bytes.len() {
            let byte = bytes[at];
            match (state, byte) {
                (State::Data, b'<') => {
                    if bytes[at + 1..].starts_with(b"!--") {
                        state = State::Escaped;
                        dashes = 2;
                        at += 4;
                        continue;
                    }
                    if self.closes(at, "script") {
                        return Some(at);
                    }
                }
                (State::Escaped | State::DoubleEscaped, b'-') => {
                    dashes += 1;
                }
                (State::Escaped | State::DoubleEscaped, b'>') if dashes >= 2 => {
                    state = State::Data;
                }
                (State::Escaped, b'<') => {
                    if self.closes(at, "script") {
                        return Some(at);
                    }
                    // `<script` and white space, `/` or `>` opens a double escaped part.
                    let letters = bytes[at + 1..]
                        .iter()
                        .take_while(|byte| byte.is_ascii_alphabetic())
                        .count();
                    dashes = 0;
                    if letters > 0 {
                        let after = at + 1 + letters;
                        if let Some(&next) = bytes.get(after)
                            && (is_space(next) || next == b'/' || next == b'>')
                        {
                            if bytes[at + 1..after].eq_ignore_ascii_case(b"script") {
                                state = State::DoubleEscaped;
                            }
                            at = after + 1;
                        } else {
                            at = after;
                        }
                        continue;
                    }
                }
                (State::DoubleEscaped, b'<') => {
                    dashes = 0;
                    if bytes.get(at + 1) == Some(&b'/') {
                        // `</script` and white space, `/` or `>` ends the double escaped part.
                        let letters = bytes[at + 2..]
                            .iter()
                            .take_while(|byte| byte.is_ascii_alphabetic())
                            .count();
                        let after = at + 2 + letters;
                        if let Some(&next) = bytes.get(after)
                            && (is_space(next) || next == b'/' || next == b'>')
                        {
                            if bytes[at + 2..after].eq_ignore_ascii_case(b"script") {
                                state = State::Escaped;
                            }
                            at = after + 1;
                        } else {
                            at = after;
                        }
                        continue;
                    }
                }
                _ => dashes = 0,
            }
            at += 1;
        }
        None
    }
}

/// An attribute's value as the tokenizer gives it: the page's own text unless it has a
/// character reference, a NUL or a carriage return, which html5ever's tokenizer decodes.
fn decode(value: Value<'_>) -> Cow<'_, str> {
    if !value
        .raw
        .bytes()
        .any(|byte| matches!(byte, b'&' | b'\0' | b'\r'))
    {
        return Cow::Borrowed(value.raw);
    }
    let quote = match value.quote {
        0 => "",
        b'\'' => "'",
        _ => "\"",
    };
    let html = format!("<a v={quote}{}{quote}>", value.raw);
    let tokens = tokenize(&html, false);
    Cow::Owned(tokens.attribute.unwrap_or_default())
}

/// A title's RCDATA content as the tokenizer gives it.
fn decode_title(raw: &str) -> Cow<'_, str> {
    if !raw.bytes().any(|byte| matches!(byte, b'&' | b'\0' | b'\r')) {
        return Cow::Borrowed(raw);
    }
    let html = format!("<title>{raw}</title>");
    Cow::Owned(tokenize(&html, true).text)
}

#[derive(Default)]
struct Tokens {
    attribute: Option<String>,
    text: String,
}

struct Collect {
    rcdata: bool,
    tokens: RefCell<Tokens>,
}

impl TokenSink for Collect {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut tokens = self.tokens.borrow_mut();
        match token {
            Token::TagToken(tag) if tag.kind == TagKind::StartTag => {
                if tokens.attribute.is_none() {
                    tokens.attribute = Some(
                        tag.attrs
                            .first()
                            .map(|attribute| attribute.value.to_string())
                            .unwrap_or_default(),
                    );
                }
                if self.rcdata {
                    return TokenSinkResult::RawData(RawKind::Rcdata);
                }
            }
            Token::CharacterTokens(text) => tokens.text.push_str(&text),
            Token::NullCharacterToken => tokens.text.push('\0'),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

fn tokenize(html: &str, rcdata: bool) -> Tokens {
    let sink = Collect {
        rcdata,
        tokens: RefCell::default(),
    };
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.tokens.take()
}

/// Puts in `file` the site file an address refers to (`/a/b/` is `a/b/index.html`,
/// `/a/b.csv` is itself), and tells whether the site has it.
fn target_file(site: &Site, path: &str, file: &mut String) -> bool {
    let relative = path.trim_start_matches('/');
    let folder = relative.is_empty() || relative.ends_with('/');
    file.clear();
    file.push_str(relative);
    if folder {
        file.push_str("index.html");
    }
    if site.contains(file) {
        return true;
    }
    if folder {
        return false;
    }
    file.push_str("/index.html");
    site.contains(file)
}

/// A link from one page to an element of another, checked once that page is read again.
struct FragmentLink {
    target: String,
    fragment: String,
    page: String,
    link: String,
}

/// Everything wrong with the site's pages, sorted by page.
///
/// Each page is read, scanned and let go on its own, so only the pages being scanned are in
/// memory: a link's file is looked up in the site's index, and an anchor in another page is
/// noted and checked when that page is read a second time (few pages are the targets of
/// such links).
pub fn check(site: &Site) -> Result<Vec<Problem>, SiteError> {
    let html: Vec<String> = site
        .iter()
        .map(|(path, _)| path)
        .filter(|path| path.ends_with(".html"))
        .collect();
    let scanned = html
        .par_iter()
        .map(|page| {
            let bytes = site.read(page)?;
            Ok(page_problems(site, page, &parse(&page_text(&bytes))))
        })
        .collect::<Result<Vec<_>, SiteError>>()?;
    let mut problems = Vec::new();
    let mut by_target: BTreeMap<String, Vec<FragmentLink>> = BTreeMap::new();
    for (page_problems, fragment_links) in scanned {
        problems.extend(page_problems);
        for link in fragment_links {
            by_target.entry(link.target.clone()).or_default().push(link);
        }
    }
    let missing = by_target
        .par_iter()
        .map(|(target, links)| {
            let bytes = site.read(target)?;
            let text = page_text(&bytes);
            let parsed = parse(&text);
            Ok(links
                .iter()
                .filter(|link| !parsed.has_id(&link.fragment))
                .map(|link| Problem {
                    page: link.page.clone(),
                    message: missing_anchor(&link.link, &link.fragment),
                })
                .collect::<Vec<_>>())
        })
        .collect::<Result<Vec<_>, SiteError>>()?;
    problems.extend(missing.into_iter().flatten());
    problems.sort();
    problems.dedup();
    Ok(problems)
}

/// A page's text: pages are UTF-8, so this borrows them (`std::str::from_utf8` checks that
/// several times faster than `from_utf8_lossy`); only a page that is not is copied, with
/// replacement characters as a browser would read it.
fn page_text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

fn missing_anchor(link: &str, fragment: &str) -> String {
    format!("links to {link}, but that page has no element with id “{fragment}”")
}

/// The problems of one page that it shows on its own, and its links to anchors in other
/// pages, to be checked against those pages.
fn page_problems(
    site: &Site,
    page: &str,
    parsed: &Parsed<'_>,
) -> (Vec<Problem>, Vec<FragmentLink>) {
    let problem = |message: String| Problem {
        page: page.to_owned(),
        message,
    };
    let mut problems = Vec::new();
    let mut fragment_links = Vec::new();
    if parsed.title.is_empty() || parsed.title.starts_with(" - ") {
        problems.push(problem("the page has no title".to_owned()));
    }
    // A link that is on a page twice has the same problems twice.
    let mut links: Vec<&str> = parsed.links.iter().map(AsRef::as_ref).collect();
    links.sort_unstable();
    links.dedup();
    let folder = page.rsplit_once('/').map_or("", |(folder, _)| folder);
    let mut file = String::new();
    let mut joined = String::new();
    for link in links {
        // External addresses, mail links and the like are not ours to check.
        if link.starts_with("//") || link.contains("://") || link.starts_with("mailto:") {
            continue;
        }
        let (address, fragment) = match link.split_once('#') {
            Some((address, fragment)) => (address, Some(fragment)),
            None => (link, None),
        };
        let address = address.split('?').next().unwrap_or_default();
        let found = if address.is_empty() {
            file.clear();
            file.push_str(page);
            true
        } else if address.starts_with('/') {
            target_file(site, address, &mut file)
        } else {
            // A relative link: resolve it against the page's folder.
            joined.clear();
            joined.push('/');
            joined.push_str(folder);
            joined.push('/');
            joined.push_str(address);
            target_file(site, &joined, &mut file)
        };
        if !found {
            problems.push(problem(format!(
                "links to {link}, which is not in the site"
            )));
            continue;
        }
        let Some(fragment) = fragment.filter(|fragment| !fragment.is_empty()) else {
            continue;
        };
        if file == page {
            if !parsed.has_id(fragment) {
                problems.push(problem(missing_anchor(link, fragment)));
            }
        } else if file.ends_with(".html") {
            fragment_links.push(FragmentLink {
                target: file.clone(),
                fragment: fragment.to_owned(),
                page: page.to_owned(),
                link: link.to_owned(),
            });
        } else {
            // Only pages have elements to link to.
            problems.push(problem(missing_anchor(link, fragment)));
        }
    }
    (problems, fragment_links)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(pages: &[(&str, &str)]) -> Site {
        let mut site = Site::new();
        for (path, html) in pages {
            site.add(*path, html.as_bytes().to_vec()).unwrap();
        }
        site
    }

    fn messages(site: &Site) -> Vec<String> {
        check(site)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    const HEAD: &str = "<head><title>A page - Site</title></head>";

    #[test]
    fn links_and_anchors_that_resolve_pass() {
        let site = site(&[
            (
                "index.html",
                &format!(
                    "<html>{HEAD}<body><a href=\"/health/\">x</a><a href=\"/health/#rates\">y</a><a href=\"#top\" id=\"top\">z</a><a href=\"https://example.com/\">e</a></body></html>"
                ),
            ),
            (
                "health/index.html",
                &format!(
                    "<html>{HEAD}<body><h2 id=\"rates\">R</h2><a href=\"data/rates.csv\">csv</a></body></html>"
                ),
            ),
            ("health/data/rates.csv", "a,b"),
        ]);
        assert_eq!(check(&site).unwrap(), []);
    }

    #[test]
    fn broken_links_missing_anchors_and_titles_are_listed() {
        let site = site(&[
            (
                "index.html",
                &format!(
                    "<html>{HEAD}<body><a href=\"/nowhere/\">x</a><a href=\"/about/#missing\">y</a></body></html>"
                ),
            ),
            (
                "about/index.html",
                "<html><head><title></title></head><body></body></html>",
            ),
        ]);
        let messages: Vec<String> = check(&site)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            messages,
            [
                "/about/index.html: the page has no title",
                "/index.html: links to /about/#missing, but that page has no element with id “missing”",
                "/index.html: links to /nowhere/, which is not in the site",
            ]
        );
    }

    #[test]
    fn an_svg_title_in_the_body_is_not_the_page_title() {
        let site = site(&[(
            "index.html",
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body><svg role=\"img\"><title>Chart</title><rect/></svg></body></html>",
        )]);
        assert_eq!(messages(&site), ["/index.html: the page has no title"]);
        let parsed = parse(
            "<html><head><title>Page</title></head><body><svg><title>Chart</title></svg></body></html>",
        );
        assert_eq!(parsed.title, "Page");
    }

    #[test]
    fn an_id_inside_an_svg_is_an_anchor() {
        let site = site(&[(
            "index.html",
            &format!(
                "<html>{HEAD}<body><a href=\"#bar-3\">x</a><svg viewBox=\"0 0 10 10\"><g><rect id=\"bar-3\" width=\"1\" height=\"1\"/><text x=\"0\">3</text></g></svg><a href=\"#after\">y</a><p id=\"after\">z</p></body></html>"
            ),
        )]);
        assert_eq!(check(&site).unwrap(), []);
    }

    #[test]
    fn a_character_reference_in_an_address_is_decoded() {
        let site = site(&[
            (
                "index.html",
                &format!(
                    "<html>{HEAD}<body><a href=\"/data.csv?a=1&amp;b=2#x\">x</a><a href=/nowhere/?a&amp;b>y</a><a href='/data.csv?c=&#x31;'>z</a></body></html>"
                ),
            ),
            ("data.csv", "a,b"),
        ]);
        assert_eq!(
            messages(&site),
            [
                "/index.html: links to /data.csv?a=1&b=2#x, but that page has no element with id “x”",
                "/index.html: links to /nowhere/?a&b, which is not in the site",
            ]
        );
        assert_eq!(
            parse("<a href=\"?x=1&amp;y=&lt;&notin;&notit;\" id='a&amp;b'>").links,
            // `&not` without `;` before a letter is text in an attribute.
            ["?x=1&y=<∉&notit;"]
        );
        assert_eq!(parse("<p id='a&amp;b'>").ids, ["a&b"]);
    }

    #[test]
    fn a_relative_link_resolves_against_the_page_folder() {
        let site = site(&[
            (
                "health/rates/index.html",
                &format!(
                    "<html>{HEAD}<body><a href=\"data/x.csv\">x</a><a href=\"data/y.csv\">y</a><img src=\"chart.png\" alt=\"\"></body></html>"
                ),
            ),
            ("health/rates/data/x.csv", "a,b"),
            ("health/rates/chart.png", "png"),
        ]);
        assert_eq!(
            messages(&site),
            ["/health/rates/index.html: links to data/y.csv, which is not in the site"]
        );
    }

    #[test]
    fn a_query_is_left_out_and_the_fragment_checked() {
        let site = site(&[
            (
                "index.html",
                &format!(
                    "<html>{HEAD}<body><a href=\"/search/?q=rates#results\">x</a><a href=\"/search/?q=rates#nothing\">y</a><a href=\"?page=2\">z</a></body></html>"
                ),
            ),
            (
                "search/index.html",
                &format!("<html>{HEAD}<body><div id=\"results\"></div></body></html>"),
            ),
        ]);
        assert_eq!(
            messages(&site),
            [
                "/index.html: links to /search/?q=rates#nothing, but that page has no element with id “nothing”"
            ]
        );
    }

    #[test]
    fn tag_and_attribute_names_are_read_in_any_case() {
        let site = site(&[(
            "index.html",
            "<HTML><HEAD><TITLE>Page</TITLE></HEAD><BODY><A HREF=\"/nowhere/\">x</A><Link Href=\"/style.css\" REL=stylesheet><SCRIPT SRC=/app.js></SCRIPT><P ID=Top></P><a href=\"#Top\">t</a></BODY></HTML>",
        )]);
        assert_eq!(
            messages(&site),
            [
                "/index.html: links to /app.js, which is not in the site",
                "/index.html: links to /nowhere/, which is not in the site",
                "/index.html: links to /style.css, which is not in the site",
            ]
        );
    }

    #[test]
    fn links_in_comments_are_not_links() {
        let site = site(&[(
            "index.html",
            &format!(
                "<html>{HEAD}<body><!-- <a href=\"/nowhere/\">old</a> --><!--><a href=\"#one\">1</a><!-- a -- b --!><a href=\"#two\">2</a><!----><p id=\"one\"><!-- <p id=\"two\"> --></p></body></html>"
            ),
        )]);
        assert_eq!(
            messages(&site),
            ["/index.html: links to #two, but that page has no element with id “two”"]
        );
    }

    #[test]
    fn script_and_style_contents_are_not_markup() {
        let site = site(&[(
            "index.html",
            &format!(
                "<html>{HEAD}<body><script>document.write('<a href=\"/nowhere/\">x</a>'); if (a</b) {{}}</script><style>a::after {{ content: '<a href=\"/nowhere/\">' }}</style><script><!-- x = '<script></script><a href=\"/nowhere/\">'; --></script><textarea><a href=\"/nowhere/\"></textarea><a href=\"#end\" id=\"end\">e</a></body></html>"
            ),
        )]);
        assert_eq!(check(&site).unwrap(), []);
        let parsed = parse(
            "<script><!-- <script></script> <a id=\"inside\"> --></script><p id=\"outside\">",
        );
        assert_eq!(parsed.ids, ["outside"]);
    }

    #[test]
    fn the_title_is_the_heads_and_its_text_is_decoded() {
        assert_eq!(
            parse("<title> Rates &amp; ratios </title>").title,
            "Rates & ratios"
        );
        assert_eq!(
            parse("&#32;<title>After a space</title>").title,
            "After a space"
        );
        assert_eq!(
            parse("<html><head></head><title>After head</title><body>").title,
            "After head"
        );
        assert_eq!(parse("<body><title>In body</title>").title, "");
        assert_eq!(
            parse("<head><template><title>T</title></template><title>Real</title>").title,
            "Real"
        );
        assert_eq!(
            parse("<head><title>One</title><title>Two</title>").title,
            "One"
        );
    }

    #[test]
    fn svg_and_mathml_content_ends_where_the_tree_builder_ends_it() {
        // In SVG a <style> is markup; after </svg> it is raw text again.
        let parsed = parse(
            "<svg><style><a id=\"in-svg\"></a></style></svg><style><a id=\"raw\"></style><svg><p id=\"broke-out\"><style><a id=\"raw-too\"></style>",
        );
        assert_eq!(parsed.ids, ["in-svg", "broke-out"]);
        // CDATA only in SVG: elsewhere it is a bogus comment up to `>`.
        let parsed = parse(
            "<svg><![CDATA[<a id=\"cdata\">]]><g id=\"g\"></g></svg><![CDATA[x<a id=\"html\">]]>",
        );
        assert_eq!(parsed.ids, ["g"]);
    }
}
