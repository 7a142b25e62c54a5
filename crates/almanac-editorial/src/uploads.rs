//! The rows of a version's source-data files (`upload`). The files themselves live in the
//! file store (`almanac-uploads`); the publisher checks, scans and stores a file, and records
//! its row here only when the scan said clean.
//!
//! Uploads change only on editable versions (draft or rejected), by users who may update the
//! measure (departmental users only on measures shared with them). Titles and stored file
//! names are unique per version. Every change is an audit event.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;

use crate::guard::{Refusal, lock_editable_version};
use serde_json::json;
use uuid::Uuid;

use almanac_accounts::audit::{self, Actor, AuditAction, Origin, Subject};
use almanac_content::models::{MeasureVersion, NewUpload, User};
use almanac_content::schema::upload;

/// The scan status of an upload row. Only `Clean` uploads may be downloaded, previewed or
/// published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanStatus {
    Pending,
    Clean,
    Infected,
    Failed,
}

impl ScanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ScanStatus::Pending => "PENDING",
            ScanStatus::Clean => "CLEAN",
            ScanStatus::Infected => "INFECTED",
            ScanStatus::Failed => "FAILED",
        }
    }
}

/// One upload row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = upload)]
pub struct Upload {
    pub guid: Uuid,
    pub measure_version_id: i32,
    pub title: String,
    pub file_name: String,
    pub description: Option<String>,
    pub size_bytes: i64,
    pub scan_status: String,
    pub created_at: DateTime<Utc>,
}

impl Upload {
    pub fn is_clean(&self) -> bool {
        self.scan_status == ScanStatus::Clean.as_str()
    }
}

/// What a new upload is: its metadata and what was stored.
#[derive(Debug, Clone)]
pub struct UploadRecord<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub file_name: &'a str,
    pub size_bytes: i64,
    pub scan_status: ScanStatus,
}

#[derive(Debug, thiserror::Error)]
pub enum UploadRowError {
    #[error("there is no such measure version")]
    UnknownVersion,
    #[error("there is no such upload")]
    UnknownUpload,
    #[error("You do not have permission to change the files of this page")]
    Forbidden,
    #[error(
        "Files can only be added, changed or removed while the page is a draft or has been rejected. \
         Return it to draft first."
    )]
    NotEditable,
    #[error("Enter a title for the file")]
    TitleMissing,
    #[error("This page already has a file called “{0}”. Choose another title.")]
    TitleTaken(String),
    #[error(
        "This page already has a file stored as “{0}”. Choose a title that is more different \
         from the titles of the other files."
    )]
    FileNameTaken(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Locks the version and checks that `actor` may change its uploads.
fn editable_version(
    conn: &mut PgConnection,
    actor: &User,
    version_id: i32,
) -> Result<MeasureVersion, UploadRowError> {
    lock_editable_version(conn, actor, version_id)?.map_err(|refusal| match refusal {
        Refusal::UnknownVersion => UploadRowError::UnknownVersion,
        Refusal::Forbidden => UploadRowError::Forbidden,
        Refusal::NotEditable(_) => UploadRowError::NotEditable,
    })
}

/// Checks what [`record_upload`] would check, without writing: for the publisher to refuse
/// a form before it reads, scans and stores the file.
pub fn check_new_upload(
    conn: &mut PgConnection,
    actor: &User,
    version_id: i32,
    title: &str,
    file_name: &str,
) -> Result<(), UploadRowError> {
    conn.transaction(|conn| {
        editable_version(conn, actor, version_id)?;
        check_unique(conn, version_id, title, file_name)
    })
}

fn check_unique(
    conn: &mut PgConnection,
    version_id: i32,
    title: &str,
    file_name: &str,
) -> Result<(), UploadRowError> {
    check_unique_except(conn, version_id, title, file_name, None)
}

/// Title and stored name must be unused by the version's other uploads (`except` is the
/// upload being changed).
fn check_unique_except(
    conn: &mut PgConnection,
    version_id: i32,
    title: &str,
    file_name: &str,
    except: Option<Uuid>,
) -> Result<(), UploadRowError> {
    let title = title.trim();
    if title.is_empty() {
        return Err(UploadRowError::TitleMissing);
    }
    let mut existing = list_uploads(conn, version_id)?;
    existing.retain(|row| Some(row.guid) != except);
    if existing.iter().any(|row| row.title.trim() == title) {
        return Err(UploadRowError::TitleTaken(title.to_owned()));
    }
    if existing.iter().any(|row| row.file_name == file_name) {
        return Err(UploadRowError::FileNameTaken(file_name.to_owned()));
    }
    Ok(())
}

/// Records an upload of version `version_id`: only on an editable version, by a user who may
/// update its measure, with a title and a stored file name not yet used on the version.
#[allow(clippy::too_many_arguments)] // The brief's signature: conn, actor, origin, then the row.
pub fn record_upload(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    version_id: i32,
    title: &str,
    description: Option<&str>,
    file_name: &str,
    size_bytes: i64,
    scan_status: ScanStatus,
    now: DateTime<Utc>,
) -> Result<Upload, UploadRowError> {
    conn.transaction(|conn| {
        let version = editable_version(conn, actor, version_id)?;
        check_unique(conn, version_id, title, file_name)?;
        let description = description.map(str::trim).filter(|text| !text.is_empty());
        let row = NewUpload {
            guid: Uuid::new_v4(),
            measure_version_id: version_id,
            title: title.trim().to_owned(),
            file_name: file_name.to_owned(),
            description: description.map(str::to_owned),
            size_bytes,
            scan_status: scan_status.as_str().to_owned(),
            created_at: now,
        };
        let inserted: Upload = diesel::insert_into(upload::table)
            .values(&row)
            .returning(Upload::as_returning())
            .get_result(conn)?;
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::UploadAdded,
            Some(Subject::measure_version(version_id)),
            json!({
                "measure_id": version.measure_id,
                "version": version.version().to_string(),
                "title": inserted.title,
                "file_name": inserted.file_name,
                "size_bytes": inserted.size_bytes,
                "scan_status": inserted.scan_status,
            }),
        )?;
        Ok(inserted)
    })
}

/// A change to an upload: new title and description, and (when the file is replaced) the
/// new file's stored name and size.
#[derive(Debug, Clone)]
pub struct UploadChange<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub replacement: Option<(&'a str, i64)>,
}

/// Checks what [`update_upload`] would check, without writing.
pub fn check_upload_change(
    conn: &mut PgConnection,
    actor: &User,
    version_id: i32,
    file_name: &str,
    change: &UploadChange,
) -> Result<Upload, UploadRowError> {
    conn.transaction(|conn| {
        editable_version(conn, actor, version_id)?;
        let row = find_upload(conn, version_id, file_name)?.ok_or(UploadRowError::UnknownUpload)?;
        let new_name = change.replacement.map_or(file_name, |(name, _)| name);
        check_unique_except(conn, version_id, change.title, new_name, Some(row.guid))?;
        Ok(row)
    })
}

/// Changes the title and description of the upload stored as `file_name`, and records a
/// replacement file (already scanned clean and stored by the caller). Returns the row as
/// it was and as it is, so the caller can remove a file stored under the old name.
pub fn update_upload(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    version_id: i32,
    file_name: &str,
    change: &UploadChange,
) -> Result<(Upload, Upload), UploadRowError> {
    conn.transaction(|conn| {
        let version = editable_version(conn, actor, version_id)?;
        let before =
            find_upload(conn, version_id, file_name)?.ok_or(UploadRowError::UnknownUpload)?;
        let (new_name, size) = change.replacement.unwrap_or((file_name, before.size_bytes));
        check_unique_except(conn, version_id, change.title, new_name, Some(before.guid))?;
        let description = change
            .description
            .map(str::trim)
            .filter(|text| !text.is_empty());
        let after: Upload = diesel::update(upload::table.find(before.guid))
            .set((
                upload::title.eq(change.title.trim()),
                upload::description.eq(description),
                upload::file_name.eq(new_name),
                upload::size_bytes.eq(size),
            ))
            .returning(Upload::as_returning())
            .get_result(conn)?;
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::UploadUpdated,
            Some(Subject::measure_version(version_id)),
            json!({
                "measure_id": version.measure_id,
                "version": version.version().to_string(),
                "title": after.title,
                "previous_title": before.title,
                "file_name": after.file_name,
                "previous_file_name": before.file_name,
                "file_replaced": change.replacement.is_some(),
            }),
        )?;
        Ok((before, after))
    })
}

/// Deletes the upload stored as `file_name` on version `version_id`, returning its row so the
/// caller can delete the file from the store.
pub fn delete_upload(
    conn: &mut PgConnection,
    actor: &User,
    origin: &Origin,
    version_id: i32,
    file_name: &str,
    _now: DateTime<Utc>,
) -> Result<Upload, UploadRowError> {
    conn.transaction(|conn| {
        let version = editable_version(conn, actor, version_id)?;
        let row = find_upload(conn, version_id, file_name)?.ok_or(UploadRowError::UnknownUpload)?;
        diesel::delete(upload::table.find(row.guid)).execute(conn)?;
        audit::record(
            conn,
            origin,
            Actor::User(actor),
            AuditAction::UploadDeleted,
            Some(Subject::measure_version(version_id)),
            json!({
                "measure_id": version.measure_id,
                "version": version.version().to_string(),
                "title": row.title,
                "file_name": row.file_name,
            }),
        )?;
        Ok(row)
    })
}

/// The uploads of a version, oldest first.
pub fn list_uploads(conn: &mut PgConnection, version_id: i32) -> QueryResult<Vec<Upload>> {
    upload::table
        .filter(upload::measure_version_id.eq(version_id))
        .order((upload::created_at, upload::title))
        .select(Upload::as_select())
        .load(conn)
}

/// The upload stored as `file_name` on a version, whatever its scan status.
pub fn find_upload(
    conn: &mut PgConnection,
    version_id: i32,
    file_name: &str,
) -> QueryResult<Option<Upload>> {
    upload::table
        .filter(upload::measure_version_id.eq(version_id))
        .filter(upload::file_name.eq(file_name))
        .select(Upload::as_select())
        .first(conn)
        .optional()
}

#[cfg(test)]
mod tests {
    use almanac_accounts::users::set_shared;
    use almanac_content::UserType;
    use almanac_content::schema::audit_event;
    use almanac_test_support::TestDatabase;
    use almanac_test_support::fixtures::page;

    use super::*;

    fn user(conn: &mut PgConnection, email: &str, user_type: UserType) -> User {
        almanac_test_support::fixtures::account(conn, email, user_type)
    }

    fn record(
        conn: &mut PgConnection,
        actor: &User,
        version_id: i32,
        title: &str,
        file_name: &str,
    ) -> Result<Upload, UploadRowError> {
        record_upload(
            conn,
            actor,
            &Origin::default(),
            version_id,
            title,
            Some("  "),
            file_name,
            42,
            ScanStatus::Clean,
            Utc::now(),
        )
    }

    fn actions(conn: &mut PgConnection) -> Vec<String> {
        audit_event::table
            .order(audit_event::id)
            .select(audit_event::action)
            .load(conn)
            .unwrap()
    }

    #[test]
    fn uploads_are_recorded_and_deleted_on_editable_versions_only() {
        let database = TestDatabase::new();
        let conn = &mut database.conn();
        let editor = user(conn, "editor@x.gov.uk", UserType::CentralEditor);
        let draft = page(conn, "health", "DRAFT", false);

        let row = record(
            conn,
            &editor,
            draft.version_id,
            " Data 2024 ",
            "data-2024.csv",
        )
        .unwrap();
        assert_eq!(row.title, "Data 2024");
        assert_eq!(row.description, None, "a blank description is none");
        assert!(row.is_clean());
        assert_eq!(
            list_uploads(conn, draft.version_id).unwrap(),
            vec![row.clone()]
        );
        assert_eq!(
            find_upload(conn, draft.version_id, "data-2024.csv").unwrap(),
            Some(row)
        );

        let taken = record(conn, &editor, draft.version_id, "Data 2024", "other.csv");
        assert!(
            matches!(taken, Err(UploadRowError::TitleTaken(_))),
            "{taken:?}"
        );
        let taken = record(
            conn,
            &editor,
            draft.version_id,
            "Data: 2024",
            "data-2024.csv",
        );
        assert!(
            matches!(taken, Err(UploadRowError::FileNameTaken(_))),
            "{taken:?}"
        );
        let missing = record(conn, &editor, draft.version_id, "  ", "blank.csv");
        assert!(
            matches!(missing, Err(UploadRowError::TitleMissing)),
            "{missing:?}"
        );
        assert!(check_new_upload(conn, &editor, draft.version_id, "New", "new.csv").is_ok());

        let deleted = delete_upload(
            conn,
            &editor,
            &Origin::default(),
            draft.version_id,
            "data-2024.csv",
            Utc::now(),
        )
        .unwrap();
        assert_eq!(deleted.title, "Data 2024");
        assert!(list_uploads(conn, draft.version_id).unwrap().is_empty());
        let again = delete_upload(
            conn,
            &editor,
            &Origin::default(),
            draft.version_id,
            "data-2024.csv",
            Utc::now(),
        );
        assert!(matches!(again, Err(UploadRowError::UnknownUpload)));
        assert_eq!(
            actions(conn)
                .into_iter()
                .filter(|action| action.starts_with("upload"))
                .collect::<Vec<_>>(),
            ["upload_added", "upload_deleted"]
        );

        let review = page(conn, "crime", "DEPARTMENT_REVIEW", true);
        let frozen = record(conn, &editor, review.version_id, "Late", "late.csv");
        assert!(
            matches!(frozen, Err(UploadRowError::NotEditable)),
            "{frozen:?}"
        );
        let frozen = delete_upload(
            conn,
            &editor,
            &Origin::default(),
            review.version_id,
            "data.csv",
            Utc::now(),
        );
        assert!(matches!(frozen, Err(UploadRowError::NotEditable)));
        assert_eq!(list_uploads(conn, review.version_id).unwrap().len(), 1);
    }

    #[test]
    fn departmental_users_change_uploads_only_on_shared_measures() {
        let database = TestDatabase::new();
        let conn = &mut database.conn();
        let admin = user(conn, "admin@x.gov.uk", UserType::Admin);
        let departmental = user(conn, "someone@dept.gov.uk", UserType::Departmental);
        let draft = page(conn, "health", "DRAFT", false);

        let refused = record(conn, &departmental, draft.version_id, "Data", "data.csv");
        assert!(
            matches!(refused, Err(UploadRowError::Forbidden)),
            "{refused:?}"
        );
        let refused = check_new_upload(conn, &departmental, draft.version_id, "Data", "data.csv");
        assert!(matches!(refused, Err(UploadRowError::Forbidden)));

        set_shared(
            conn,
            &Origin::default(),
            &admin,
            departmental.id,
            draft.measure_id,
            true,
        )
        .unwrap();
        record(conn, &departmental, draft.version_id, "Data", "data.csv").unwrap();
        let missing = record(conn, &departmental, -1, "Data", "data.csv");
        assert!(matches!(missing, Err(UploadRowError::UnknownVersion)));
    }
}
