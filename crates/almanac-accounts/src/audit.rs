//! The append-only audit log: who did what to which account, measure or setting, and from
//! where. The table refuses updates and deletes (a trigger in the migration).

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde_json::Value;

use almanac_content::models::User;
use almanac_content::schema::audit_event;

almanac_content::stored_enum! {
    /// What happened. Stored as text; new actions may be added, none renamed.
    pub enum AuditAction ("audit action") {
        Login => "login",
        ApiTokenIssued => "api_token_issued",
        ApiTokenRevoked => "api_token_revoked",
        LoginFailed => "login_failed",
        AccountLocked => "account_locked",
        Logout => "logout",
        InviteSent => "invite_sent",
        InviteAccepted => "invite_accepted",
        PasswordResetRequested => "password_reset_requested",
        PasswordReset => "password_reset",
        AccountReactivated => "account_reactivated",
        TwoFactorEnabled => "two_factor_enabled",
        TwoFactorReset => "two_factor_reset",
        RecoveryCodeUsed => "recovery_code_used",
        RecoveryCodesRegenerated => "recovery_codes_regenerated",
        UserDeactivated => "user_deactivated",
        UserDeleted => "user_deleted",
        UserTypeChanged => "user_type_changed",
        MeasureShared => "measure_shared",
        MeasureUnshared => "measure_unshared",
        VersionSentToInternalReview => "version_sent_to_internal_review",
        VersionSentToDepartmentReview => "version_sent_to_department_review",
        VersionPublished => "version_published",
        VersionRejected => "version_rejected",
        VersionReturnedToDraft => "version_returned_to_draft",
        VersionUnpublished => "version_unpublished",
        VersionCreated => "version_created",
        UploadAdded => "upload_added",
        UploadDeleted => "upload_deleted",
        UploadUpdated => "upload_updated",
        ReviewLinkIssued => "review_link_issued",
        DataSourceCreated => "data_source_created",
        DataSourceUpdated => "data_source_updated",
        DataSourceLinked => "data_source_linked",
        DataSourceUnlinked => "data_source_unlinked",
        DataSourcesMerged => "data_sources_merged",
        VersionEdited => "version_edited",
        MeasureCreated => "measure_created",
        TopicUpdated => "topic_updated",
        RedirectAdded => "redirect_added",
        RedirectRemoved => "redirect_removed",
        PublishScheduled => "publish_scheduled",
        PublishScheduleCancelled => "publish_schedule_cancelled",
        VersionDeleted => "version_deleted",
        MeasureArchived => "measure_archived",
        MeasureCopied => "measure_copied",
        MeasuresReordered => "measures_reordered",
        SitePageCreated => "site_page_created",
        SitePageEdited => "site_page_edited",
        SitePagePublished => "site_page_published",
        SitePageUnpublished => "site_page_unpublished",
        SitePageDeleted => "site_page_deleted",
        DimensionCreated => "dimension_created",
        DimensionUpdated => "dimension_updated",
        DimensionDeleted => "dimension_deleted",
        DimensionsReordered => "dimensions_reordered",
        ChartSaved => "chart_saved",
        ChartRemoved => "chart_removed",
        TableSaved => "table_saved",
        TableRemoved => "table_removed",
    }
}

/// Who acted: a signed-in user, or a visitor known only by the email they typed.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    User(&'a User),
    Visitor { email: &'a str },
    System,
}

/// What an event is about.
#[derive(Debug, Clone)]
pub struct Subject {
    pub kind: &'static str,
    pub id: String,
}

impl Subject {
    pub fn user(id: i32) -> Subject {
        Subject {
            kind: "user",
            id: id.to_string(),
        }
    }

    pub fn measure_version(id: i32) -> Subject {
        Subject {
            kind: "measure_version",
            id: id.to_string(),
        }
    }

    pub fn measure(id: i32) -> Subject {
        Subject {
            kind: "measure",
            id: id.to_string(),
        }
    }
}

/// The request an event came from.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: Option<String>,
}

pub fn record(
    conn: &mut PgConnection,
    origin: &Origin,
    actor: Actor,
    action: AuditAction,
    subject: Option<Subject>,
    details: Value,
) -> QueryResult<()> {
    let (actor_user_id, actor_email) = match actor {
        Actor::User(user) => (Some(user.id), Some(user.email.as_str())),
        Actor::Visitor { email } => (None, Some(email)),
        Actor::System => (None, None),
    };
    diesel::insert_into(audit_event::table)
        .values((
            audit_event::actor_user_id.eq(actor_user_id),
            audit_event::actor_email.eq(actor_email),
            audit_event::action.eq(action.as_str()),
            audit_event::subject_type.eq(subject.as_ref().map(|s| s.kind)),
            audit_event::subject_id.eq(subject.as_ref().map(|s| s.id.as_str())),
            audit_event::details.eq(details),
            audit_event::ip.eq(origin.ip.as_deref()),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_event)]
pub struct AuditEvent {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_user_id: Option<i32>,
    pub actor_email: Option<String>,
    pub action: String,
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
    pub details: Value,
    pub ip: Option<String>,
}

/// One page of the log, newest first, and the number of events in all.
pub fn page(
    conn: &mut PgConnection,
    page: i64,
    per_page: i64,
) -> QueryResult<(Vec<AuditEvent>, i64)> {
    let total = audit_event::table.count().get_result(conn)?;
    let events = audit_event::table
        .order(audit_event::id.desc())
        .offset((page.max(1) - 1) * per_page)
        .limit(per_page)
        .select(AuditEvent::as_select())
        .load(conn)?;
    Ok((events, total))
}

/// Every event about one subject, newest first.
pub fn about(conn: &mut PgConnection, subject: &Subject) -> QueryResult<Vec<AuditEvent>> {
    audit_event::table
        .filter(audit_event::subject_type.eq(subject.kind))
        .filter(audit_event::subject_id.eq(&subject.id))
        .order(audit_event::id.desc())
        .select(AuditEvent::as_select())
        .load(conn)
}
