//! Site pages: the public site's own pages and the homepage's introduction, written as
//! markdown. Editors with EDIT_SITE_PAGES write drafts; publishing copies the draft to the
//! published copy and requests a build in the same transaction, as publishing a measure
//! does. Saving follows the same optimistic-locking rule as measure versions: a stale save
//! is refused with the other person's changes, never written over them.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde_json::json;

use almanac_accounts::audit::{self, Actor, AuditAction, Origin, Subject};
use almanac_content::Capability;
use almanac_content::models::User;
use almanac_content::schema::{site_page, topic};
use almanac_content::site_pages::{self, SitePage};

use crate::builds;
use crate::edit::{FieldChange, word_diff};
use crate::workflow::Problem;

/// First path segments the site or the publisher uses for something else.
pub const RESERVED_SEGMENTS: &[&str] = &[
    "404",
    "account",
    "admin",
    "api",
    "assets",
    "auth",
    "cms",
    "corrections",
    "dashboards",
    "downloads",
    "healthz",
    "latest",
    "register",
    "review",
    "robots.txt",
    "search",
    "sitemap.xml",
    "static",
];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SitePageInput {
    pub path: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    /// The `lock_version` the form was loaded with (0 for a new page).
    pub lock_version: i32,
}

impl SitePageInput {
    pub fn from_page(page: &SitePage) -> SitePageInput {
        SitePageInput {
            path: page.path.clone(),
            title: page.title.clone(),
            summary: page.summary.clone().unwrap_or_default(),
            body: page.body.clone(),
            lock_version: page.lock_version,
        }
    }
}

#[derive(Debug)]
pub enum SaveOutcome {
    Saved(SitePage),
    /// Someone saved since the form was loaded: nothing was written.
    Conflict {
        current: SitePage,
        changes: Vec<FieldChange>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum SitePageError {
    #[error("there is no such page")]
    Unknown,
    #[error("You do not have permission to do that to site pages")]
    Forbidden,
    #[error("{}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Problem>),
    #[error("{0}")]
    Refused(&'static str),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

fn require(actor: &User, capability: Capability) -> Result<(), SitePageError> {
    if actor.can(capability) {
        Ok(())
    } else {
        Err(SitePageError::Forbidden)
    }
}

fn clean(input: &SitePageInput) -> SitePageInput {
    SitePageInput {
        path: input.path.trim().trim_matches('/').to_lowercase(),
        title: input.title.trim().to_owned(),
        summary: input.summary.trim().to_owned(),
        body: almanac_markdown::normalise_input(&input.body),
        lock_version: input.lock_version,
    }
}

fn path_problem(conn: &mut PgConnection, path: &str) -> QueryResult<Option<String>> {
    if path.is_empty() {
        return Ok(Some(
            "Enter the page’s address, for example about-us".to_owned(),
        ));
    }
    if path.len() > 200 {
        return Ok(Some(
            "The address must be 200 characters or fewer".to_owned(),
        ));
    }
    let well_formed = path.split('/').all(|segment| {
        !segment.is_empty()
            && !segment.starts_with('-')
            && !segment.ends_with('-')
            && !segment.contains("--")
            && segment
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    });
    if !well_formed {
        return Ok(Some(
            "The address can only have lower-case letters, digits and single hyphens, in parts \
             separated by /, for example understanding-our-data/survey-data"
                .to_owned(),
        ));
    }
    let first = path.split('/').next().unwrap_or_default();
    if RESERVED_SEGMENTS.contains(&first) {
        return Ok(Some(format!(
            "Addresses starting with “{first}” are used by the site itself. Choose another."
        )));
    }
    let topic_named: i64 = topic::table
        .filter(topic::slug.eq(first))
        .count()
        .get_result(conn)?;
    if topic_named > 0 {
        return Ok(Some(format!(
            "“/{first}/” is a topic’s address. Choose another, so the page and the topic do not \
             collide."
        )));
    }
    Ok(None)
}

fn validate(
    conn: &mut PgConnection,
    input: &SitePageInput,
    existing: Option<&SitePage>,
) -> Result<(), SitePageError> {
    let mut problems = Vec::new();
    let path_fixed = existing.is_some_and(|page| page.is_homepage() || page.published_at.is_some());
    if path_fixed {
        if existing.is_some_and(|page| page.path != input.path) {
            problems.push(Problem {
                field: "path",
                message: "The address cannot change while the page is published (the public \
                          links to it). Unpublish the page first."
                    .to_owned(),
            });
        }
    } else if let Some(message) = path_problem(conn, &input.path)? {
        problems.push(Problem {
            field: "path",
            message,
        });
    } else {
        let taken = site_pages::find_by_path(conn, &input.path)?
            .is_some_and(|other| Some(other.id) != existing.map(|page| page.id));
        if taken {
            problems.push(Problem {
                field: "path",
                message: format!(
                    "There is already a page at /{}/. Choose another address.",
                    input.path
                ),
            });
        }
    }
    if input.title.is_empty() {
        problems.push(Problem {
            field: "title",
            message: "Enter a title".to_owned(),
        });
    } else if input.title.chars().count() > 200 {
        problems.push(Problem {
            field: "title",
            message: "The title must be 200 characters or fewer".to_owned(),
        });
    }
    if input.summary.chars().count() > 500 {
        problems.push(Problem {
            field: "summary",
            message: "The summary must be 500 characters or fewer".to_owned(),
        });
    }
    if input.body.chars().count() > 200_000 {
        problems.push(Problem {
            field: "body",
            message: "The page text must be 200,000 characters or fewer".to_owned(),
        });
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(SitePageError::Invalid(problems))
    }
}

fn lock(conn: &mut PgConnection, id: i32) -> Result<SitePage, SitePageError> {
    site_page::table
        .find(id)
        .for_update()
        .select(SitePage::as_select())
        .first(conn)
        .optional()?
        .ok_or(SitePageError::Unknown)
}

fn subject(id: i32) -> Option<Subject> {
    Some(Subject {
        kind: "site_page",
        id: id.to_string(),
    })
}

pub fn create(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    input: &SitePageInput,
    now: DateTime<Utc>,
) -> Result<SitePage, SitePageError> {
    require(actor, Capability::EditSitePages)?;
    let input = clean(input);
    conn.transaction(|conn| {
        validate(conn, &input, None)?;
        let page: SitePage = diesel::insert_into(site_page::table)
            .values((
                site_page::path.eq(&input.path),
                site_page::title.eq(&input.title),
                site_page::summary.eq(Some(&input.summary).filter(|s| !s.is_empty())),
                site_page::body.eq(&input.body),
                site_page::updated_at.eq(now),
                site_page::updated_by.eq(&actor.email),
            ))
            .returning(SitePage::as_returning())
            .get_result(conn)?;
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::SitePageCreated,
            subject(page.id),
            json!({ "path": page.path, "title": page.title }),
        )?;
        Ok(page)
    })
}

/// Saves the draft. The published copy is untouched until someone publishes.
pub fn save(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    id: i32,
    input: &SitePageInput,
    now: DateTime<Utc>,
) -> Result<SaveOutcome, SitePageError> {
    require(actor, Capability::EditSitePages)?;
    let input = clean(input);
    conn.transaction(|conn| {
        let current = lock(conn, id)?;
        validate(conn, &input, Some(&current))?;
        if input.lock_version != current.lock_version {
            let changes = conflicting_changes(&current, &input);
            if !changes.is_empty() {
                return Ok(SaveOutcome::Conflict { current, changes });
            }
        }
        let saved: SitePage = diesel::update(site_page::table.find(id))
            .set((
                site_page::path.eq(&input.path),
                site_page::title.eq(&input.title),
                site_page::summary.eq(Some(&input.summary).filter(|s| !s.is_empty())),
                site_page::body.eq(&input.body),
                site_page::lock_version.eq(current.lock_version + 1),
                site_page::updated_at.eq(now),
                site_page::updated_by.eq(&actor.email),
            ))
            .returning(SitePage::as_returning())
            .get_result(conn)?;
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::SitePageEdited,
            subject(id),
            json!({ "path": saved.path }),
        )?;
        Ok(SaveOutcome::Saved(saved))
    })
}

fn conflicting_changes(current: &SitePage, input: &SitePageInput) -> Vec<FieldChange> {
    let stored = SitePageInput::from_page(current);
    [
        ("path", "Address", &stored.path, &input.path),
        ("title", "Title", &stored.title, &input.title),
        ("summary", "Summary", &stored.summary, &input.summary),
        ("body", "Page text", &stored.body, &input.body),
    ]
    .into_iter()
    .filter(|(_, _, theirs, yours)| theirs != yours)
    .map(|(field, label, theirs, yours)| FieldChange {
        field,
        label,
        theirs: theirs.clone(),
        yours: yours.clone(),
        diff_html: word_diff(theirs, yours),
    })
    .collect()
}

/// Publishes the draft as it was when the publisher looked at it (`seen_lock_version`): if it
/// changed since, nothing is published and the publisher is asked to look again.
pub fn publish(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    id: i32,
    seen_lock_version: i32,
    now: DateTime<Utc>,
) -> Result<SitePage, SitePageError> {
    require(actor, Capability::Publish)?;
    conn.transaction(|conn| {
        let current = lock(conn, id)?;
        if current.lock_version != seen_lock_version {
            return Err(SitePageError::Refused(
                "The page was changed since you opened it. Read the latest draft, then publish.",
            ));
        }
        let published: SitePage = diesel::update(site_page::table.find(id))
            .set((
                site_page::published_title.eq(Some(&current.title)),
                site_page::published_summary.eq(&current.summary),
                site_page::published_body.eq(Some(&current.body)),
                site_page::published_at.eq(Some(now)),
                site_page::published_by.eq(Some(&actor.email)),
            ))
            .returning(SitePage::as_returning())
            .get_result(conn)?;
        changed_on_site(
            conn,
            actor,
            origin,
            &current,
            AuditAction::SitePagePublished,
        )?;
        Ok(published)
    })
}

/// What publishing and unpublishing share: the build that puts the change on the site, in
/// the same transaction, and the audit event.
fn changed_on_site(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    page: &SitePage,
    action: AuditAction,
) -> QueryResult<()> {
    let verb = match action {
        AuditAction::SitePageUnpublished => "unpublished",
        _ => "published",
    };
    builds::request(
        conn,
        &actor.email,
        &format!("site page /{} {verb}", page.path),
    )?;
    audit::record(
        conn,
        origin,
        Actor::User(actor),
        action,
        subject(page.id),
        json!({ "path": page.path }),
    )
}

/// Takes the page off the public site (the build removes it). The homepage's introduction
/// cannot be unpublished: the homepage always exists.
pub fn unpublish(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    id: i32,
) -> Result<SitePage, SitePageError> {
    require(actor, Capability::Publish)?;
    conn.transaction(|conn| {
        let current = lock(conn, id)?;
        if current.is_homepage() {
            return Err(SitePageError::Refused(
                "The homepage cannot be unpublished. Edit its text and publish that instead.",
            ));
        }
        if current.published_at.is_none() {
            return Err(SitePageError::Refused("The page is not published."));
        }
        let page: SitePage = diesel::update(site_page::table.find(id))
            .set((
                site_page::published_title.eq(None::<String>),
                site_page::published_summary.eq(None::<String>),
                site_page::published_body.eq(None::<String>),
                site_page::published_at.eq(None::<DateTime<Utc>>),
                site_page::published_by.eq(None::<String>),
            ))
            .returning(SitePage::as_returning())
            .get_result(conn)?;
        changed_on_site(
            conn,
            actor,
            origin,
            &current,
            AuditAction::SitePageUnpublished,
        )?;
        Ok(page)
    })
}

/// Deletes a page that is not on the public site.
pub fn delete(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    id: i32,
) -> Result<(), SitePageError> {
    require(actor, Capability::EditSitePages)?;
    conn.transaction(|conn| {
        let current = lock(conn, id)?;
        if current.is_homepage() {
            return Err(SitePageError::Refused("The homepage cannot be deleted."));
        }
        if current.published_at.is_some() {
            return Err(SitePageError::Refused(
                "The page is published. Unpublish it before deleting it.",
            ));
        }
        diesel::delete(site_page::table.find(id)).execute(conn)?;
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::SitePageDeleted,
            subject(id),
            json!({ "path": current.path, "title": current.title }),
        )?;
        Ok(())
    })
}
