//! The account emails, each with an HTML and a plain-text body from `templates/email/`.

use askama::Template;
use chrono::{DateTime, Utc};

use almanac_content::UserType;
use almanac_mail::Email;

use crate::login::LOCK_AFTER_FAILURES;

#[derive(Debug, thiserror::Error)]
#[error("could not render the {which} email: {source}")]
pub struct EmailRenderError {
    which: &'static str,
    source: askama::Error,
}

#[derive(Template)]
#[template(path = "email/invite.html")]
struct InviteHtml<'a> {
    subject: &'a str,
    invited_by: &'a str,
    role: &'a str,
    link: &'a str,
    expires: String,
}

#[derive(Template)]
#[template(path = "email/invite.txt")]
struct InviteText<'a> {
    invited_by: &'a str,
    role: &'a str,
    link: &'a str,
    expires: String,
}

#[derive(Template)]
#[template(path = "email/password_reset.html")]
struct ResetHtml<'a> {
    subject: &'a str,
    link: &'a str,
    expires: String,
}

#[derive(Template)]
#[template(path = "email/password_reset.txt")]
struct ResetText<'a> {
    link: &'a str,
    expires: String,
}

#[derive(Template)]
#[template(path = "email/reactivate.html")]
struct ReactivateHtml<'a> {
    subject: &'a str,
    link: &'a str,
    attempts: i32,
    expires: String,
}

#[derive(Template)]
#[template(path = "email/reactivate.txt")]
struct ReactivateText<'a> {
    link: &'a str,
    attempts: i32,
    expires: String,
}

pub const INVITE_SUBJECT: &str = "Your invitation to the Almanac publisher";
pub const RESET_SUBJECT: &str = "Reset your Almanac publisher password";
pub const REACTIVATE_SUBJECT: &str = "Your Almanac publisher account has been locked";

pub fn invite(
    to: &str,
    invited_by: &str,
    user_type: UserType,
    link: &str,
    expires: DateTime<Utc>,
) -> Result<Email, EmailRenderError> {
    let role = article_and_label(user_type);
    let expires = human_time(expires);
    compose(
        "invite",
        to,
        INVITE_SUBJECT,
        InviteHtml {
            subject: INVITE_SUBJECT,
            invited_by,
            role: &role,
            link,
            expires: expires.clone(),
        }
        .render(),
        InviteText {
            invited_by,
            role: &role,
            link,
            expires,
        }
        .render(),
    )
}

pub fn password_reset(
    to: &str,
    link: &str,
    expires: DateTime<Utc>,
) -> Result<Email, EmailRenderError> {
    let expires = human_time(expires);
    compose(
        "password reset",
        to,
        RESET_SUBJECT,
        ResetHtml {
            subject: RESET_SUBJECT,
            link,
            expires: expires.clone(),
        }
        .render(),
        ResetText { link, expires }.render(),
    )
}

pub fn reactivate(to: &str, link: &str, expires: DateTime<Utc>) -> Result<Email, EmailRenderError> {
    let expires = human_time(expires);
    compose(
        "reactivation",
        to,
        REACTIVATE_SUBJECT,
        ReactivateHtml {
            subject: REACTIVATE_SUBJECT,
            link,
            attempts: LOCK_AFTER_FAILURES,
            expires: expires.clone(),
        }
        .render(),
        ReactivateText {
            link,
            attempts: LOCK_AFTER_FAILURES,
            expires,
        }
        .render(),
    )
}

fn compose(
    which: &'static str,
    to: &str,
    subject: &str,
    html: askama::Result<String>,
    text: askama::Result<String>,
) -> Result<Email, EmailRenderError> {
    let fail = |source| EmailRenderError { which, source };
    Ok(Email {
        to: to.to_owned(),
        subject: subject.to_owned(),
        html: html.map_err(fail)?,
        text: text.map_err(fail)?,
    })
}

/// "an admin", "a central editor".
fn article_and_label(user_type: UserType) -> String {
    let label = user_type.label().to_lowercase();
    let article = if label.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {label}")
}

/// "14:05 UTC on 24 November 2026": unambiguous wherever the reader is.
fn human_time(at: DateTime<Utc>) -> String {
    at.format("%H:%M UTC on %-d %B %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invite_has_both_bodies_with_the_link() {
        let link = "https://publisher.example.gov.uk/register/confirm-account/abc.def";
        let expires = DateTime::parse_from_rfc3339("2026-11-24T14:05:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let email = invite(
            "jo@x.gov.uk",
            "admin@x.gov.uk",
            UserType::Admin,
            link,
            expires,
        )
        .unwrap();
        assert_eq!(email.subject, INVITE_SUBJECT);
        assert!(email.text.contains(link) && email.html.contains(link));
        assert!(email.text.contains("as an admin"));
        assert!(email.text.contains("14:05 UTC on 24 November 2026"));
        assert!(email.html.starts_with("<!DOCTYPE html>"));
    }
}
