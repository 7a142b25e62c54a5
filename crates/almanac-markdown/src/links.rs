//! Which link destinations survive, and how a surviving link is marked up.
//!
//! The policy: `http`, `https` and `mailto` URLs and relative URLs are kept; any other
//! destination (`javascript:`, `data:`, `vbscript:`, `file:`, an unknown scheme, or something
//! that only *might* be read as a scheme) becomes `#`. The link itself stays, so the editor
//! sees in the preview that their link text is there but goes nowhere, which is what the
//! model did (`javascript:` hrefs were replaced with `#`).
//!
//! A URL that contains `javascript:`, `vbscript:` or `data:` anywhere, even after an allowed
//! scheme (`https://example.org/?next=javascript:…`, `mailto:javascript:…`), is refused too.
//! Such a URL is harmless in our page, but it is how open redirects elsewhere are abused, no
//! editor needs one, and refusing it lets the tests demand that no attribute we write ever
//! contains those strings. The cost: a URL with a literal `data:` in it (`/metadata:x`) must
//! percent-encode its colon.
//!
//! pulldown-cmark has already decoded entities (`javascript&#58;`) and backslash escapes in
//! the destination before it reaches us, so the check here sees what a browser would see,
//! after the same clean-up a browser's URL parser does (tabs and newlines removed anywhere,
//! C0 controls and spaces trimmed at both ends).

/// What a link destination becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Href {
    /// The URL to write in `href`: the cleaned destination, or `#` when it was refused.
    pub url: String,
    /// An absolute `http(s)` or protocol-relative (`//host`) URL: it leaves the site, so it
    /// gets `rel="noopener noreferrer"`.
    pub external: bool,
    /// The path ends in `.pdf`: it opens in a new tab and says so in the link text.
    pub pdf: bool,
}

/// The href used in place of a refused destination.
pub(crate) const REFUSED: &str = "#";

const ALLOWED_SCHEMES: [&str; 3] = ["http", "https", "mailto"];

/// Schemes that run script or carry a document; refused wherever they appear in a URL.
const DANGEROUS_SCHEMES: [&str; 3] = ["javascript:", "vbscript:", "data:"];

/// Applies the link policy to a destination as pulldown-cmark parsed it.
pub(crate) fn href(destination: &str) -> Href {
    let url = clean(destination);
    if url.is_empty() || !is_allowed(&url) {
        return Href {
            url: REFUSED.to_owned(),
            external: false,
            pdf: false,
        };
    }
    let scheme = scheme(&url).map(str::to_ascii_lowercase);
    let external = match scheme.as_deref() {
        Some("http" | "https") => true,
        Some(_) => false,
        // Browsers read `//host` and `/\host` (and `\\host`) as protocol-relative.
        None => {
            let mut chars = url.chars();
            matches!(
                (chars.next(), chars.next()),
                (Some('/' | '\\'), Some('/' | '\\'))
            )
        }
    };
    let pdf =
        scheme.as_deref() != Some("mailto") && path(&url).to_ascii_lowercase().ends_with(".pdf");
    Href { url, external, pdf }
}

/// True when a URL (already cleaned) is one we let through: no scheme, or an allowed one.
///
/// Also used by the sanitiser as a second check on every `href` it keeps.
pub(crate) fn is_allowed(url: &str) -> bool {
    let url = clean(url);
    let lower = url.to_ascii_lowercase();
    if DANGEROUS_SCHEMES.iter().any(|s| lower.contains(s)) {
        return false;
    }
    match scheme(&url) {
        None => !has_colon_before_path(&url),
        Some(scheme) => ALLOWED_SCHEMES
            .iter()
            .any(|allowed| scheme.eq_ignore_ascii_case(allowed)),
    }
}

/// Removes what a browser's URL parser ignores, so we judge the URL the browser will follow:
/// ASCII tab and newlines anywhere, and C0 controls and spaces at both ends.
fn clean(destination: &str) -> String {
    destination
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect()
}

/// The scheme, when the URL starts with a syntactically valid one followed by `:`.
fn scheme(url: &str) -> Option<&str> {
    let (candidate, _) = url.split_once(':')?;
    let mut chars = candidate.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(candidate)
}

/// A `:` before the first `/`, `?` or `#` that is not a valid scheme (`java script:`,
/// `%6A%61vascript:`, `java\0script:`). A browser would treat most of these as relative paths,
/// but they are never what an editor meant and some parsers disagree, so they are refused too.
fn has_colon_before_path(url: &str) -> bool {
    url.find([':', '/', '?', '#'])
        .is_some_and(|i| url[i..].starts_with(':'))
}

/// The path part of a URL: everything before the query or fragment.
fn path(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_web_mail_and_relative_urls() {
        for url in [
            "https://example.org/a?b#c",
            "HTTP://EXAMPLE.ORG",
            "mailto:someone@example.org",
            "/measures/employment",
            "employment#data",
            "#section",
            "?page=2",
            "//example.org/x",
        ] {
            assert_eq!(href(url).url, url, "{url}");
        }
    }

    #[test]
    fn refuses_other_schemes_and_lookalikes() {
        for url in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "\u{1}javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "vbscript:msgbox(1)",
            "data:text/html;base64,PHNjcmlwdD4=",
            "file:///etc/passwd",
            "ftp://example.org",
            "%6A%61vascript:alert(1)",
            "java script:alert(1)",
            "java\0script:alert(1)",
            "https://example.org/?next=javascript:alert(1)",
            "mailto:javascript:alert(1)",
            "/metadata:x",
            "",
        ] {
            assert_eq!(href(url).url, REFUSED, "{url:?}");
        }
    }

    #[test]
    fn cleans_what_the_browser_would_ignore() {
        assert_eq!(href(" https://exa\tmple.org ").url, "https://example.org");
    }

    #[test]
    fn marks_external_links() {
        assert!(href("https://example.org").external);
        assert!(href("//example.org").external);
        assert!(href("/\\example.org").external);
        assert!(!href("/measures").external);
        assert!(!href("mailto:a@example.org").external);
        assert!(!href("javascript:alert(1)").external);
    }

    #[test]
    fn marks_pdf_links_by_path() {
        assert!(href("/files/report.pdf").pdf);
        assert!(href("https://example.org/Report.PDF?download=1#page=2").pdf);
        assert!(!href("/files/report.pdf.html").pdf);
        assert!(!href("/search?q=report.pdf").pdf);
        assert!(!href("mailto:pdf@example.pdf").pdf);
        assert!(!href("javascript:x.pdf").pdf);
    }
}
