//! Each deploy target's manifest in Postgres (`deploy_target`, `deploy_file`), fenced and
//! repairable after a crash. See the crate documentation for the protocol.

use std::collections::BTreeMap;

use almanac_content::schema::{deploy_file, deploy_target};
use almanac_site::{Manifest, ManifestDiff, ManifestEntry, StepKind};
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::upsert::excluded;
use uuid::Uuid;

/// The hash a loaded manifest gives a file that a deploy may have left half-changed. It is
/// never a real SHA-256, so the next diff sends the file again (or deletes it).
pub const PENDING_SHA256: &str = "pending";

/// Rows per INSERT: 7 parameters each, under Postgres's 65,535.
const CHUNK: usize = 5000;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A builder with a newer claim has written this target: this one is superseded.
    #[error(
        "deploy target {target}: fencing number {given} is older than the stored {stored}; \
         a newer build has written this target, so this one must stop"
    )]
    Fenced {
        target: String,
        given: i64,
        stored: i64,
    },
    #[error("“{0}” is not a deploy target name (lower-case letters, digits, '.', '_', '-')")]
    InvalidName(String),
    #[error("“{0}” is larger than a manifest can record")]
    TooLarge(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// What a target holds, as last recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredManifest {
    pub target: String,
    /// Ready to diff against: pending files carry [`PENDING_SHA256`].
    pub manifest: Manifest,
    /// Files a deploy started changing and did not record.
    pub pending: Vec<String>,
    /// 0 for a target never written.
    pub fencing: i64,
    pub build_id: Option<Uuid>,
    pub git_commit: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl StoredManifest {
    /// Whether a deploy was interrupted since the last recorded one.
    pub fn needs_repair(&self) -> bool {
        !self.pending.is_empty()
    }
}

/// What the target holds after a deploy, beyond its files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holds {
    pub build_id: Option<Uuid>,
    pub git_commit: Option<String>,
}

/// The manifest of one deploy target (`primary`, `mirror`, `git`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestStore {
    target: String,
}

#[derive(Insertable)]
#[diesel(table_name = deploy_file)]
struct FileRow<'a> {
    target: &'a str,
    path: &'a str,
    sha256: &'a str,
    size: i64,
    content_type: &'a str,
    cache_control: &'a str,
    pending: bool,
}

#[derive(Queryable)]
struct StoredFile {
    path: String,
    sha256: String,
    size: i64,
    content_type: String,
    cache_control: String,
    pending: bool,
}

impl ManifestStore {
    pub fn new(target: &str) -> Result<ManifestStore, StoreError> {
        let valid = target
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && target.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-')
            });
        if !valid {
            return Err(StoreError::InvalidName(target.to_owned()));
        }
        Ok(ManifestStore {
            target: target.to_owned(),
        })
    }

    pub fn target(&self) -> &str {
        &self.target
    }

    /// The target's manifest; empty (fencing 0) for a target never written.
    pub fn load(&self, conn: &mut PgConnection) -> Result<StoredManifest, StoreError> {
        conn.transaction(|conn| {
            let row = deploy_target::table
                .find(&self.target)
                .select((
                    deploy_target::fencing,
                    deploy_target::build_id,
                    deploy_target::git_commit,
                    deploy_target::updated_at,
                ))
                .first::<(i64, Option<Uuid>, Option<String>, DateTime<Utc>)>(conn)
                .optional()?;
            let files = self.files(conn)?;
            let mut manifest = Manifest::default();
            let mut pending = Vec::new();
            for file in files {
                let sha256 = if file.pending {
                    pending.push(file.path.clone());
                    PENDING_SHA256.to_owned()
                } else {
                    file.sha256
                };
                manifest.entries.insert(
                    file.path,
                    ManifestEntry {
                        sha256,
                        size: file.size as u64,
                        content_type: file.content_type,
                        cache_control: file.cache_control,
                    },
                );
            }
            let (fencing, build_id, git_commit, updated_at) = match row {
                Some((fencing, build_id, git_commit, updated_at)) => {
                    (fencing, build_id, git_commit, Some(updated_at))
                }
                None => (0, None, None, None),
            };
            Ok(StoredManifest {
                target: self.target.clone(),
                manifest,
                pending,
                fencing,
                build_id,
                git_commit,
                updated_at,
            })
        })
    }

    /// Refuses a fencing number older than the stored one, without writing anything.
    pub fn check(&self, conn: &mut PgConnection, fencing: i64) -> Result<(), StoreError> {
        let stored: Option<i64> = deploy_target::table
            .find(&self.target)
            .select(deploy_target::fencing)
            .first(conn)
            .optional()?;
        match stored {
            Some(stored) if stored > fencing => Err(self.fenced(fencing, stored)),
            _ => Ok(()),
        }
    }

    /// Before a deploy: takes the target for `fencing` (refused if older than the stored
    /// number) and marks every file `diff` will touch as pending, adding rows for new files,
    /// so that a crash from here on leaves them to be sent again or deleted.
    pub fn begin(
        &self,
        conn: &mut PgConnection,
        fencing: i64,
        diff: &ManifestDiff,
        wanted: &Manifest,
    ) -> Result<(), StoreError> {
        conn.transaction(|conn| {
            self.claim(conn, fencing)?;
            let mut rows = Vec::new();
            let mut deletes = Vec::new();
            for step in &diff.steps {
                match step.kind {
                    StepKind::Delete => deletes.push(step.path.as_str()),
                    StepKind::Upload | StepKind::HeadersOnly => {
                        match wanted.entries.get(&step.path) {
                            Some(entry) => rows.push(self.row(&step.path, entry, true)?),
                            // Not in `wanted` (a caller bug): mark it pending all the same.
                            None => deletes.push(step.path.as_str()),
                        }
                    }
                }
            }
            for chunk in rows.chunks(CHUNK) {
                diesel::insert_into(deploy_file::table)
                    .values(chunk)
                    .on_conflict((deploy_file::target, deploy_file::path))
                    .do_update()
                    .set(deploy_file::pending.eq(true))
                    .execute(conn)?;
            }
            for chunk in deletes.chunks(CHUNK) {
                diesel::update(
                    deploy_file::table
                        .filter(deploy_file::target.eq(&self.target))
                        .filter(deploy_file::path.eq_any(chunk)),
                )
                .set(deploy_file::pending.eq(true))
                .execute(conn)?;
            }
            Ok(())
        })
    }

    /// During or after a failed deploy: records the steps that did finish (uploads and
    /// header updates now hold `wanted`'s entry, deletes are gone), so the next deploy does
    /// not repeat them.
    pub fn record_progress<'a>(
        &self,
        conn: &mut PgConnection,
        fencing: i64,
        wanted: &Manifest,
        done: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), StoreError> {
        conn.transaction(|conn| {
            self.claim(conn, fencing)?;
            let mut rows = Vec::new();
            let mut gone = Vec::new();
            for path in done {
                match wanted.entries.get(path) {
                    Some(entry) => rows.push(self.row(path, entry, false)?),
                    None => gone.push(path),
                }
            }
            self.upsert(conn, &rows)?;
            for chunk in gone.chunks(CHUNK) {
                diesel::delete(
                    deploy_file::table
                        .filter(deploy_file::target.eq(&self.target))
                        .filter(deploy_file::path.eq_any(chunk)),
                )
                .execute(conn)?;
            }
            Ok(())
        })
    }

    /// After a deploy: the target holds `manifest`, and nothing is pending. Refused with
    /// [`StoreError::Fenced`] if a newer builder has written the target since; otherwise
    /// `fencing` becomes the stored number. Writes only the rows that changed.
    pub fn save(
        &self,
        conn: &mut PgConnection,
        fencing: i64,
        manifest: &Manifest,
        holds: &Holds,
    ) -> Result<(), StoreError> {
        conn.transaction(|conn| {
            self.claim(conn, fencing)?;
            let stored: BTreeMap<String, StoredFile> = self
                .files(conn)?
                .into_iter()
                .map(|file| (file.path.clone(), file))
                .collect();
            let gone: Vec<&str> = stored
                .keys()
                .filter(|path| !manifest.entries.contains_key(*path))
                .map(String::as_str)
                .collect();
            for chunk in gone.chunks(CHUNK) {
                diesel::delete(
                    deploy_file::table
                        .filter(deploy_file::target.eq(&self.target))
                        .filter(deploy_file::path.eq_any(chunk)),
                )
                .execute(conn)?;
            }
            let mut rows = Vec::new();
            for (path, entry) in &manifest.entries {
                let same = stored.get(path).is_some_and(|file| {
                    !file.pending
                        && file.sha256 == entry.sha256
                        && file.size as u64 == entry.size
                        && file.content_type == entry.content_type
                        && file.cache_control == entry.cache_control
                });
                if !same {
                    rows.push(self.row(path, entry, false)?);
                }
            }
            self.upsert(conn, &rows)?;
            diesel::update(deploy_target::table.find(&self.target))
                .set((
                    deploy_target::build_id.eq(holds.build_id),
                    deploy_target::git_commit.eq(holds.git_commit.as_deref()),
                    deploy_target::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)?;
            Ok(())
        })
    }

    /// Every target's name, for `verify` over all of them.
    pub fn targets(conn: &mut PgConnection) -> Result<Vec<String>, StoreError> {
        Ok(deploy_target::table
            .select(deploy_target::name)
            .order(deploy_target::name)
            .load(conn)?)
    }

    /// Locks the target's row (creating it), refuses an older fencing number, and stores
    /// this one.
    fn claim(&self, conn: &mut PgConnection, fencing: i64) -> Result<(), StoreError> {
        diesel::insert_into(deploy_target::table)
            .values(deploy_target::name.eq(&self.target))
            .on_conflict_do_nothing()
            .execute(conn)?;
        let stored: i64 = deploy_target::table
            .find(&self.target)
            .select(deploy_target::fencing)
            .for_update()
            .first(conn)?;
        if fencing < stored {
            return Err(self.fenced(fencing, stored));
        }
        if fencing > stored {
            diesel::update(deploy_target::table.find(&self.target))
                .set(deploy_target::fencing.eq(fencing))
                .execute(conn)?;
        }
        Ok(())
    }

    fn fenced(&self, given: i64, stored: i64) -> StoreError {
        StoreError::Fenced {
            target: self.target.clone(),
            given,
            stored,
        }
    }

    fn files(&self, conn: &mut PgConnection) -> Result<Vec<StoredFile>, StoreError> {
        Ok(deploy_file::table
            .filter(deploy_file::target.eq(&self.target))
            .order(deploy_file::path)
            .select((
                deploy_file::path,
                deploy_file::sha256,
                deploy_file::size,
                deploy_file::content_type,
                deploy_file::cache_control,
                deploy_file::pending,
            ))
            .load(conn)?)
    }

    fn row<'a>(
        &'a self,
        path: &'a str,
        entry: &'a ManifestEntry,
        pending: bool,
    ) -> Result<FileRow<'a>, StoreError> {
        Ok(FileRow {
            target: &self.target,
            path,
            sha256: &entry.sha256,
            size: i64::try_from(entry.size).map_err(|_| StoreError::TooLarge(path.to_owned()))?,
            content_type: &entry.content_type,
            cache_control: &entry.cache_control,
            pending,
        })
    }

    fn upsert(&self, conn: &mut PgConnection, rows: &[FileRow<'_>]) -> Result<(), StoreError> {
        for chunk in rows.chunks(CHUNK) {
            diesel::insert_into(deploy_file::table)
                .values(chunk)
                .on_conflict((deploy_file::target, deploy_file::path))
                .do_update()
                .set((
                    deploy_file::sha256.eq(excluded(deploy_file::sha256)),
                    deploy_file::size.eq(excluded(deploy_file::size)),
                    deploy_file::content_type.eq(excluded(deploy_file::content_type)),
                    deploy_file::cache_control.eq(excluded(deploy_file::cache_control)),
                    deploy_file::pending.eq(excluded(deploy_file::pending)),
                ))
                .execute(conn)?;
        }
        Ok(())
    }
}
