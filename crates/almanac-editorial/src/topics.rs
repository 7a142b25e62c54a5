//! Topics and subtopics: their titles, descriptions and addresses. A new title gives a new
//! address; the old one keeps working through a redirect that the site build deploys, and
//! earlier redirects to the old address are pointed at the new one, so no visitor ever
//! follows a chain.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde_json::json;

use almanac_accounts::audit::{self, Actor, AuditAction, Origin, Subject};
use almanac_content::Capability;
use almanac_content::models::{Subtopic, Topic, User};
use almanac_content::schema::{redirect, subtopic, topic};

use crate::builds;
use crate::workflow::Problem;

#[derive(Debug, Clone, Default)]
pub struct TopicInput {
    pub title: String,
    pub short_title: String,
    pub description: String,
    pub additional_description: String,
    pub meta_description: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TopicError {
    #[error("You do not have permission to manage topics")]
    Forbidden,
    #[error("there is no such topic or subtopic")]
    Unknown,
    #[error("{}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Problem>),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Titles are words: letters, spaces, and the punctuation real topic names use
/// ("Crime, justice and the law", "Work, pay and benefits"), so that the address made from
/// them is clean.
fn title_problem(title: &str) -> Option<String> {
    let title = title.trim();
    if title.is_empty() {
        return Some("Enter a title".to_owned());
    }
    if title.chars().count() > 100 {
        return Some("The title must be 100 characters or fewer".to_owned());
    }
    let allowed = |c: char| c.is_alphabetic() || c == ' ' || c == ',' || c == '\'' || c == '-';
    if !title.chars().all(allowed) {
        return Some(
            "The title can only have letters, spaces, commas, hyphens and apostrophes".to_owned(),
        );
    }
    None
}

pub fn update_topic(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    topic_id: i32,
    input: &TopicInput,
) -> Result<Topic, TopicError> {
    if !actor.can(Capability::ManageTopics) {
        return Err(TopicError::Forbidden);
    }
    let mut problems = Vec::new();
    if let Some(message) = title_problem(&input.title) {
        problems.push(Problem {
            field: "title",
            message,
        });
    }
    for (field, value, limit) in [
        ("short_title", &input.short_title, 100),
        ("description", &input.description, 500),
        (
            "additional_description",
            &input.additional_description,
            5_000,
        ),
        ("meta_description", &input.meta_description, 300),
    ] {
        if value.trim().chars().count() > limit {
            problems.push(Problem {
                field,
                message: format!("This must be {limit} characters or fewer"),
            });
        }
    }
    conn.transaction(|conn| {
        let current: Topic = topic::table
            .find(topic_id)
            .select(Topic::as_select())
            .for_update()
            .first(conn)
            .optional()?
            .ok_or(TopicError::Unknown)?;
        let slug = slug::slugify(input.title.trim());
        if problems.is_empty() && slug != current.slug {
            let taken: i64 = topic::table
                .filter(topic::slug.eq(&slug))
                .count()
                .get_result(conn)?;
            if taken > 0 {
                problems.push(Problem {
                    field: "title",
                    message: "Another topic already has this title".to_owned(),
                });
            }
        }
        if !problems.is_empty() {
            return Err(TopicError::Invalid(problems));
        }
        let optional = |value: &str| Some(value.trim().to_owned()).filter(|v| !v.is_empty());
        let updated: Topic = diesel::update(topic::table.find(topic_id))
            .set((
                topic::title.eq(input.title.trim()),
                topic::slug.eq(&slug),
                topic::short_title.eq(optional(&input.short_title)),
                topic::description.eq(optional(&input.description)),
                topic::additional_description.eq(optional(&almanac_markdown::normalise_input(
                    &input.additional_description,
                ))),
                topic::meta_description.eq(optional(&input.meta_description)),
            ))
            .returning(Topic::as_returning())
            .get_result(conn)?;
        if slug != current.slug {
            move_address(conn, &format!("/{}", current.slug), &format!("/{slug}"))?;
        }
        // Titles, descriptions and addresses all show on the public site.
        builds::request(
            conn,
            &actor.email,
            &format!("updated topic “{}”", updated.title),
        )?;
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::TopicUpdated,
            Some(Subject {
                kind: "topic",
                id: topic_id.to_string(),
            }),
            json!({ "title": updated.title, "slug": { "from": current.slug, "to": slug } }),
        )?;
        Ok(updated)
    })
}

pub fn rename_subtopic(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    subtopic_id: i32,
    title: &str,
) -> Result<Subtopic, TopicError> {
    if !actor.can(Capability::ManageTopics) {
        return Err(TopicError::Forbidden);
    }
    if let Some(message) = title_problem(title) {
        return Err(TopicError::Invalid(vec![Problem {
            field: "title",
            message,
        }]));
    }
    conn.transaction(|conn| {
        let current: Subtopic = subtopic::table
            .find(subtopic_id)
            .select(Subtopic::as_select())
            .for_update()
            .first(conn)
            .optional()?
            .ok_or(TopicError::Unknown)?;
        let slug = slug::slugify(title.trim());
        if slug != current.slug {
            let taken: i64 = subtopic::table
                .filter(subtopic::topic_id.eq(current.topic_id))
                .filter(subtopic::slug.eq(&slug))
                .count()
                .get_result(conn)?;
            if taken > 0 {
                return Err(TopicError::Invalid(vec![Problem {
                    field: "title",
                    message: "Another subtopic of this topic already has this title".to_owned(),
                }]));
            }
        }
        let updated: Subtopic = diesel::update(subtopic::table.find(subtopic_id))
            .set((subtopic::title.eq(title.trim()), subtopic::slug.eq(&slug)))
            .returning(Subtopic::as_returning())
            .get_result(conn)?;
        if slug != current.slug {
            let topic_slug: String = topic::table
                .find(current.topic_id)
                .select(topic::slug)
                .first(conn)?;
            move_address(
                conn,
                &format!("/{topic_slug}/{}", current.slug),
                &format!("/{topic_slug}/{slug}"),
            )?;
        }
        builds::request(
            conn,
            &actor.email,
            &format!("renamed subtopic “{}”", updated.title),
        )?;
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::TopicUpdated,
            Some(Subject {
                kind: "subtopic",
                id: subtopic_id.to_string(),
            }),
            json!({ "title": updated.title, "slug": { "from": current.slug, "to": slug } }),
        )?;
        Ok(updated)
    })
}

/// Redirects everything under `from` to `to`: earlier redirects that led to `from` now lead
/// to `to`, and a redirect away from `to` (a rename being undone) is dropped.
pub fn move_address(conn: &mut PgConnection, from: &str, to: &str) -> QueryResult<()> {
    diesel::delete(redirect::table.filter(redirect::from_uri.eq(to))).execute(conn)?;
    diesel::update(redirect::table.filter(redirect::to_uri.eq(from)))
        .set(redirect::to_uri.eq(to))
        .execute(conn)?;
    diesel::insert_into(redirect::table)
        .values((redirect::from_uri.eq(from), redirect::to_uri.eq(to)))
        .on_conflict(redirect::from_uri)
        .do_update()
        .set(redirect::to_uri.eq(to))
        .execute(conn)?;
    Ok(())
}

/// Checks an address typed by an editor: a site path such as `/housing/renting`, lower
/// case, made of the characters our own addresses use.
fn address_problem(address: &str) -> Option<&'static str> {
    let address = address.trim();
    if address.is_empty() {
        return Some("Enter an address starting with /, such as /housing/renting");
    }
    if !address.starts_with('/') {
        return Some("The address must start with /");
    }
    let path = address.trim_end_matches('/');
    if path.is_empty() {
        return None;
    }
    let segments_ok = path[1..].split('/').all(|segment| {
        !segment.is_empty()
            && segment
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
            && segment != "."
            && segment != ".."
    });
    if !segments_ok {
        return Some(
            "The address can only have lower-case letters, digits, hyphens and dots between slashes",
        );
    }
    None
}

fn normalised(address: &str) -> String {
    let path = address.trim().trim_end_matches('/');
    if path.is_empty() {
        "/".to_owned()
    } else {
        path.to_owned()
    }
}

/// Adds a redirect rule (an editor's, not a rename's). When `to` is itself redirected, the
/// rule leads straight to the final address, so visitors never follow a chain; a rule that
/// would lead back to `from` is refused.
pub fn add_redirect(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    from: &str,
    to: &str,
) -> Result<(), TopicError> {
    if !actor.can(Capability::ManageTopics) {
        return Err(TopicError::Forbidden);
    }
    let mut problems = Vec::new();
    for (field, value) in [("from", from), ("to", to)] {
        if let Some(message) = address_problem(value) {
            problems.push(Problem {
                field,
                message: message.to_owned(),
            });
        }
    }
    if from.trim().trim_end_matches('/').is_empty() && problems.is_empty() {
        problems.push(Problem {
            field: "from",
            message: "The homepage cannot be redirected".to_owned(),
        });
    }
    if !problems.is_empty() {
        return Err(TopicError::Invalid(problems));
    }
    let (from, to) = (normalised(from), normalised(to));
    if from == to {
        return Err(TopicError::Invalid(vec![Problem {
            field: "to",
            message: "The new address must differ from the old one".to_owned(),
        }]));
    }
    conn.transaction(|conn| {
        let destination: String = redirect::table
            .find(&to)
            .select(redirect::to_uri)
            .first(conn)
            .optional()?
            .unwrap_or_else(|| to.clone());
        if destination == from {
            return Err(TopicError::Invalid(vec![Problem {
                field: "to",
                message: format!("{to} already leads to {from}: this rule would make a loop"),
            }]));
        }
        move_address(conn, &from, &destination)?;
        builds::request(
            conn,
            &actor.email,
            &format!("redirect from {from} to {destination}"),
        )?;
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::RedirectAdded,
            Some(Subject {
                kind: "redirect",
                id: from.clone(),
            }),
            json!({ "to": destination }),
        )?;
        Ok(())
    })
}

/// Removes a redirect rule; the old address stops redirecting at the next build.
pub fn remove_redirect(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    from: &str,
) -> Result<(), TopicError> {
    if !actor.can(Capability::ManageTopics) {
        return Err(TopicError::Forbidden);
    }
    conn.transaction(|conn| {
        let to: String = diesel::delete(redirect::table.find(from))
            .returning(redirect::to_uri)
            .get_result(conn)
            .optional()?
            .ok_or(TopicError::Unknown)?;
        builds::request(conn, &actor.email, &format!("removed redirect from {from}"))?;
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::RedirectRemoved,
            Some(Subject {
                kind: "redirect",
                id: from.to_owned(),
            }),
            json!({ "to": to }),
        )?;
        Ok(())
    })
}

/// Every redirect, as (from, to).
pub fn redirects(conn: &mut PgConnection) -> QueryResult<Vec<(String, String)>> {
    redirect::table
        .order(redirect::from_uri)
        .select((redirect::from_uri, redirect::to_uri))
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::{address_problem, title_problem};

    #[test]
    fn addresses_are_site_paths() {
        for good in ["/housing", "/housing/renting/", "/a-b/2019.1"] {
            assert_eq!(address_problem(good), None, "{good}");
        }
        assert_eq!(address_problem("/"), None, "the homepage");
        for bad in [
            "",
            "housing",
            "/Housing",
            "/a//b",
            "/a/../b",
            "https://x.org/a",
            "/a b",
        ] {
            assert!(address_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn real_topic_titles_are_accepted() {
        for title in [
            "Crime, justice and the law",
            "Work, pay and benefits",
            "UK population by ethnicity",
            "Children's services",
        ] {
            assert_eq!(title_problem(title), None, "{title}");
        }
        assert!(title_problem("Health <script>").is_some());
        assert!(title_problem("2019 figures").is_some());
        assert!(title_problem(" ").is_some());
    }
}
