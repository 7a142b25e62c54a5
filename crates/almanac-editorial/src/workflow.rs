//! The workflow of a measure version:
//!
//! ```text
//! DRAFT --send to review--> INTERNAL_REVIEW --send to department--> DEPARTMENT_REVIEW --publish--> APPROVED
//!                               |                                         |                        |
//!                               +------------reject------------+----------+                   unpublish
//!                                                              v                                   |
//!                                         REJECTED --return to draft--> DRAFT <--------------------+
//! ```
//!
//! `apply` checks the actor's capability and access, the current status and (for sending
//! to review) that the version is complete, then changes the status, the fields that go
//! with it and, for publish and unpublish, requests a build, all in one transaction with an
//! audit event.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde_json::json;

use almanac_accounts::audit::{self, Actor, AuditAction, Origin, Subject};
use almanac_accounts::users::can_access_measure;
use almanac_content::models::{MeasureVersion, User};
use almanac_content::schema::{
    data_source_in_measure_version, dimension, measure, measure_version, subtopic, topic, upload,
};
use almanac_content::site::TESTING_SPACE_SLUG;
use almanac_content::{Capability, PublishStatus};

use crate::builds;
use crate::review::{self, ReviewLinks};

/// What an editor can do to a version from its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SendToInternalReview,
    SendToDepartmentReview,
    Publish,
    Reject,
    ReturnToDraft,
    Unpublish,
}

impl Action {
    pub const ALL: [Action; 6] = [
        Action::SendToInternalReview,
        Action::SendToDepartmentReview,
        Action::Publish,
        Action::Reject,
        Action::ReturnToDraft,
        Action::Unpublish,
    ];

    /// The value of the form button (the model's names, so links and habits carry over).
    pub fn form_value(self) -> &'static str {
        match self {
            Action::SendToInternalReview => "save-and-review",
            Action::SendToDepartmentReview => "send-to-department-review",
            Action::Publish => "send-to-approved",
            Action::Reject => "reject-measure",
            Action::ReturnToDraft => "send-back-to-draft",
            Action::Unpublish => "unpublish",
        }
    }

    pub fn from_form_value(value: &str) -> Option<Action> {
        Action::ALL
            .into_iter()
            .find(|action| action.form_value() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            Action::SendToInternalReview => "Send to internal review",
            Action::SendToDepartmentReview => "Send to department review",
            Action::Publish => "Approve for publishing",
            Action::Reject => "Reject",
            Action::ReturnToDraft => "Return to draft",
            Action::Unpublish => "Unpublish",
        }
    }

    pub fn required_capability(self) -> Capability {
        match self {
            Action::Publish | Action::Unpublish => Capability::Publish,
            _ => Capability::UpdateMeasure,
        }
    }

    /// The status this action leads to from `from`, if it is allowed there.
    pub fn target(self, from: PublishStatus) -> Option<PublishStatus> {
        use PublishStatus::*;
        match (self, from) {
            (Action::SendToInternalReview, Draft) => Some(InternalReview),
            (Action::SendToDepartmentReview, InternalReview) => Some(DepartmentReview),
            (Action::Publish, DepartmentReview) => Some(Approved),
            (Action::Reject, InternalReview | DepartmentReview) => Some(Rejected),
            (Action::ReturnToDraft, Rejected) => Some(Draft),
            (Action::Unpublish, Approved) => Some(Draft),
            _ => None,
        }
    }

    fn audit_action(self) -> AuditAction {
        match self {
            Action::SendToInternalReview => AuditAction::VersionSentToInternalReview,
            Action::SendToDepartmentReview => AuditAction::VersionSentToDepartmentReview,
            Action::Publish => AuditAction::VersionPublished,
            Action::Reject => AuditAction::VersionRejected,
            Action::ReturnToDraft => AuditAction::VersionReturnedToDraft,
            Action::Unpublish => AuditAction::VersionUnpublished,
        }
    }
}

/// The actions a user may take on a version in `status`. Measures in the testing space have
/// none: they are never reviewed or published.
pub fn available_actions(
    user: &User,
    status: PublishStatus,
    in_testing_space: bool,
) -> Vec<Action> {
    if in_testing_space {
        return Vec::new();
    }
    Action::ALL
        .into_iter()
        .filter(|action| action.target(status).is_some() && user.can(action.required_capability()))
        .collect()
}

/// Something missing before a version can go to review, against the form field it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: &'static str,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("there is no such measure version")]
    UnknownVersion,
    #[error("You do not have permission to {0}")]
    Forbidden(&'static str),
    #[error("“{action}” is not possible while the page is {status}")]
    NotAllowed {
        action: &'static str,
        status: &'static str,
    },
    #[error("Pages in the testing space cannot be reviewed or published")]
    TestingSpace,
    #[error("The page is not ready for review: {}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; "))]
    Incomplete(Vec<Problem>),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Takes `action` on a version as `actor`; returns the version as it now is. Entering
/// department review makes a new review link (`links`).
pub fn apply(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    version_id: i32,
    action: Action,
    links: &ReviewLinks,
    now: DateTime<Utc>,
) -> Result<MeasureVersion, WorkflowError> {
    transition(conn, actor, origin, version_id, action, Some(links), now)
}

/// Publishes a version as `actor`: the step `apply` takes for `Action::Publish`, for callers
/// that never send anything to review (the scheduler), so hold no review-link key.
pub fn publish_as(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    version_id: i32,
    now: DateTime<Utc>,
) -> Result<MeasureVersion, WorkflowError> {
    transition(conn, actor, origin, version_id, Action::Publish, None, now)
}

/// `links` is needed only to send a version to department review.
fn transition(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    version_id: i32,
    action: Action,
    links: Option<&ReviewLinks>,
    now: DateTime<Utc>,
) -> Result<MeasureVersion, WorkflowError> {
    conn.transaction(|conn| {
        let version: MeasureVersion = measure_version::table
            .find(version_id)
            .select(MeasureVersion::as_select())
            .for_update()
            .first(conn)
            .optional()?
            .ok_or(WorkflowError::UnknownVersion)?;
        if !actor.can(action.required_capability())
            || !can_access_measure(conn, actor, version.measure_id)?
        {
            return Err(WorkflowError::Forbidden(verb(action)));
        }
        if in_testing_space(conn, version.measure_id)? {
            return Err(WorkflowError::TestingSpace);
        }
        let from = version.status();
        let to = action.target(from).ok_or(WorkflowError::NotAllowed {
            action: action.label(),
            status: from.label(),
        })?;
        if action == Action::SendToInternalReview {
            let problems = review_problems(conn, &version)?;
            if !problems.is_empty() {
                return Err(WorkflowError::Incomplete(problems));
            }
        }
        let who = actor.email.as_str();
        let updated: MeasureVersion = match action {
            Action::Publish => {
                // One latest version per measure (a partial unique index): clear the others first.
                diesel::update(
                    measure_version::table
                        .filter(measure_version::measure_id.eq(version.measure_id))
                        .filter(measure_version::id.ne(version.id)),
                )
                .set(measure_version::latest.eq(false))
                .execute(conn)?;
                diesel::update(measure_version::table.find(version.id))
                    .set((
                        measure_version::status.eq(to.as_str()),
                        measure_version::published_at
                            .eq(version.published_at.unwrap_or(now.date_naive())),
                        measure_version::published_by.eq(who),
                        measure_version::latest.eq(true),
                        measure_version::last_updated_by.eq(who),
                        measure_version::updated_at.eq(now),
                        measure_version::lock_version.eq(measure_version::lock_version + 1),
                        measure_version::publish_scheduled_at.eq(None::<DateTime<Utc>>),
                        measure_version::publish_scheduled_by.eq(None::<String>),
                    ))
                    .returning(MeasureVersion::as_returning())
                    .get_result(conn)?
            }
            Action::Unpublish => diesel::update(measure_version::table.find(version.id))
                .set((
                    measure_version::status.eq(to.as_str()),
                    measure_version::published_at.eq(None::<chrono::NaiveDate>),
                    measure_version::published_by.eq(None::<String>),
                    measure_version::last_updated_by.eq(who),
                    measure_version::updated_at.eq(now),
                    measure_version::lock_version.eq(measure_version::lock_version + 1),
                    measure_version::publish_scheduled_at.eq(None::<DateTime<Utc>>),
                    measure_version::publish_scheduled_by.eq(None::<String>),
                ))
                .returning(MeasureVersion::as_returning())
                .get_result(conn)?,
            _ => diesel::update(measure_version::table.find(version.id))
                .set((
                    measure_version::status.eq(to.as_str()),
                    measure_version::last_updated_by.eq(who),
                    measure_version::updated_at.eq(now),
                    measure_version::lock_version.eq(measure_version::lock_version + 1),
                    measure_version::publish_scheduled_at.eq(None::<DateTime<Utc>>),
                    measure_version::publish_scheduled_by.eq(None::<String>),
                ))
                .returning(MeasureVersion::as_returning())
                .get_result(conn)?,
        };
        let updated = if let (Action::SendToDepartmentReview, Some(links)) = (action, links) {
            review::issue(conn, links, Some(actor), origin, version.id, now).map_err(|error| {
                match error {
                    review::ReviewError::Database(error) => WorkflowError::Database(error),
                    _ => WorkflowError::Forbidden(verb(action)),
                }
            })?;
            measure_version::table
                .find(version.id)
                .select(MeasureVersion::as_select())
                .first(conn)?
        } else {
            updated
        };
        if matches!(action, Action::Publish | Action::Unpublish) {
            let verb = if action == Action::Publish {
                "published"
            } else {
                "unpublished"
            };
            let reason = format!("{verb} “{}” version {}", updated.title, updated.version());
            builds::request(conn, who, &reason)?;
        }
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            action.audit_action(),
            Some(Subject::measure_version(version.id)),
            json!({
                "measure_id": version.measure_id,
                "version": version.version().to_string(),
                "from": from.as_str(),
                "to": to.as_str(),
            }),
        )?;
        Ok(updated)
    })
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::Publish => "publish pages",
        Action::Unpublish => "unpublish pages",
        _ => "change this page",
    }
}

pub fn in_testing_space(conn: &mut PgConnection, measure_id: i32) -> QueryResult<bool> {
    let slug: String = measure::table
        .inner_join(subtopic::table.inner_join(topic::table))
        .filter(measure::id.eq(measure_id))
        .select(topic::slug)
        .first(conn)?;
    Ok(slug == TESTING_SPACE_SLUG)
}

/// What stops a version going to review: the model's rules (required fields, the template
/// 1 fields, the correction question on minor versions, every dimension titled and
/// summarised, at least one upload, at least one data source), plus: every upload has
/// passed its virus scan.
pub fn review_problems(
    conn: &mut PgConnection,
    version: &MeasureVersion,
) -> QueryResult<Vec<Problem>> {
    let mut problems = Vec::new();
    let mut require = |field: &'static str, value: Option<&str>, message: &str| {
        if value.is_none_or(|text| text.trim().is_empty()) {
            problems.push(Problem {
                field,
                message: message.to_owned(),
            });
        }
    };
    require(
        "time_covered",
        version.time_covered.as_deref(),
        "Enter the time period covered",
    );
    if version.areas().is_empty() {
        require("area_covered", None, "Choose the areas covered");
    }
    require(
        "lowest_level_of_geography_id",
        version.lowest_level_of_geography_id.as_deref(),
        "Choose the lowest level of geography",
    );
    require(
        "summary",
        version.summary.as_deref(),
        "Enter the main points",
    );
    require(
        "description",
        version.description.as_deref(),
        "Enter a description for search engines",
    );
    require(
        "need_to_know",
        version.need_to_know.as_deref(),
        "Enter the things you need to know",
    );
    require(
        "external_edit_summary",
        version.external_edit_summary.as_deref(),
        "Enter a summary of changes for the public",
    );
    if version.template_version != 2 {
        require(
            "measure_summary",
            version.measure_summary.as_deref(),
            "Enter what the data measures",
        );
        require(
            "ethnicity_definition_summary",
            version.ethnicity_definition_summary.as_deref(),
            "Enter the ethnic categories used",
        );
        require(
            "methodology",
            version.methodology.as_deref(),
            "Enter the methodology",
        );
    }
    if version.version_minor > 0 {
        match version.update_corrects_data_mistake {
            None => problems.push(Problem {
                field: "update_corrects_data_mistake",
                message: "Say whether this update corrects a mistake in the data".to_owned(),
            }),
            Some(true) if version.update_corrects_measure_version_id.is_none() => {
                problems.push(Problem {
                    field: "update_corrects_measure_version_id",
                    message: "Choose the version this update corrects".to_owned(),
                })
            }
            Some(_) => {}
        }
    }
    let dimensions: Vec<(String, Option<String>)> = dimension::table
        .filter(dimension::measure_version_id.eq(version.id))
        .order(dimension::position)
        .select((dimension::title, dimension::summary))
        .load(conn)?;
    for (title, summary) in dimensions {
        if title.trim().is_empty() || summary.as_deref().is_none_or(|s| s.trim().is_empty()) {
            problems.push(Problem {
                field: "dimensions",
                message: format!("Give the dimension “{title}” a title and a summary"),
            });
        }
    }
    let scans: Vec<String> = upload::table
        .filter(upload::measure_version_id.eq(version.id))
        .select(upload::scan_status)
        .load(conn)?;
    if scans.is_empty() {
        problems.push(Problem {
            field: "uploads",
            message: "Upload the source data".to_owned(),
        });
    } else if scans.iter().any(|status| status != "CLEAN") {
        problems.push(Problem {
            field: "uploads",
            message: "Wait for every upload to pass its virus scan, or remove it".to_owned(),
        });
    }
    let sources: i64 = data_source_in_measure_version::table
        .filter(data_source_in_measure_version::measure_version_id.eq(version.id))
        .count()
        .get_result(conn)?;
    if sources == 0 {
        problems.push(Problem {
            field: "data_sources",
            message: "Add at least one data source".to_owned(),
        });
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use PublishStatus::*;

    #[test]
    fn the_state_machine_matches_the_model() {
        let allowed: Vec<(Action, PublishStatus, PublishStatus)> = Action::ALL
            .into_iter()
            .flat_map(|action| {
                PublishStatus::ALL
                    .iter()
                    .filter_map(move |from| action.target(*from).map(|to| (action, *from, to)))
            })
            .collect();
        assert_eq!(
            allowed,
            [
                (Action::SendToInternalReview, Draft, InternalReview),
                (
                    Action::SendToDepartmentReview,
                    InternalReview,
                    DepartmentReview
                ),
                (Action::Publish, DepartmentReview, Approved),
                (Action::Reject, InternalReview, Rejected),
                (Action::Reject, DepartmentReview, Rejected),
                (Action::ReturnToDraft, Rejected, Draft),
                (Action::Unpublish, Approved, Draft),
            ]
        );
    }

    #[test]
    fn form_values_round_trip() {
        for action in Action::ALL {
            assert_eq!(Action::from_form_value(action.form_value()), Some(action));
        }
        assert_eq!(Action::from_form_value("delete-everything"), None);
    }
}
