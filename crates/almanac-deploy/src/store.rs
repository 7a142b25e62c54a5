//! Each deploy target's manifest in Postgres (`deploy_target`, `deploy_file`), fenced and
//! repairable after a crash. See the crate documentation for the protocol.

use almanac_content::schema::{deploy_file, deploy_target};
use almanac_site::{DiffBuilder, FileId, Manifest, ManifestDiff, ManifestEntry, OutOfOrder, Site};
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

/// Rows per read of a target's files: a deploy holds one page of them at a time, whatever
/// the size of the site.
const PAGE: i64 = 10_000;

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
    /// The database gave the target's files out of path order (`deploy_file.path` has lost
    /// its byte-order collation).
    #[error("deploy target's files: {0}")]
    OutOfOrder(#[from] OutOfOrder),
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
            let mut manifest = Manifest::default();
            let mut pending = Vec::new();
            self.for_each_file(conn, |path, entry, is_pending| {
                if is_pending {
                    pending.push(path.clone());
                }
                manifest.entries.insert(path, entry);
                Ok(())
            })?;
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

    /// What to do to the target, as recorded, so that it holds `site`: its files are read a
    /// page at a time in path order beside the site, so neither is held whole. Pending files
    /// come back as uploads (or deletes).
    pub fn diff(&self, conn: &mut PgConnection, site: &Site) -> Result<ManifestDiff, StoreError> {
        let mut builder = DiffBuilder::new(site);
        self.for_each_file(conn, |path, entry, _| {
            builder.previous(path, &entry)?;
            Ok(())
        })?;
        Ok(builder.finish())
    }

    /// Before a deploy: takes the target for `fencing` (refused if older than the stored
    /// number) and marks every file `diff` will touch as pending, adding rows for new files,
    /// so that a crash from here on leaves them to be sent again or deleted. `diff` is
    /// [`ManifestStore::diff`] for `site`.
    pub fn begin(
        &self,
        conn: &mut PgConnection,
        fencing: i64,
        site: &Site,
        diff: &ManifestDiff,
    ) -> Result<(), StoreError> {
        conn.transaction(|conn| {
            self.claim(conn, fencing)?;
            self.write_files(conn, site, diff.written(), Written::Begun)?;
            for chunk in diff.deletes().chunks(CHUNK) {
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

    /// During or after a failed deploy: records the steps that did finish (the files
    /// `written` now hold `site`'s bytes and headers, the `deleted` ones are gone), so the
    /// next deploy does not repeat them.
    pub fn record_progress<'a>(
        &self,
        conn: &mut PgConnection,
        fencing: i64,
        site: &Site,
        written: impl IntoIterator<Item = FileId>,
        deleted: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), StoreError> {
        conn.transaction(|conn| {
            self.claim(conn, fencing)?;
            self.write_files(conn, site, written.into_iter(), Written::Done)?;
            self.delete_files(conn, deleted)
        })
    }

    /// After a deploy: the target holds `site`, and nothing is pending. Refused with
    /// [`StoreError::Fenced`] if a newer builder has written the target since; otherwise
    /// `fencing` becomes the stored number. Writes only the rows that changed.
    pub fn save(
        &self,
        conn: &mut PgConnection,
        fencing: i64,
        site: &Site,
        holds: &Holds,
    ) -> Result<(), StoreError> {
        conn.transaction(|conn| {
            self.claim(conn, fencing)?;
            let changes = self.diff(conn, site)?;
            self.apply(conn, site, &changes, holds)
        })
    }

    /// [`ManifestStore::save`] after a deploy that ran every step of `diff`, the diff given
    /// to [`ManifestStore::begin`]: the same rows change, without reading the record again.
    pub fn finish(
        &self,
        conn: &mut PgConnection,
        fencing: i64,
        site: &Site,
        diff: &ManifestDiff,
        holds: &Holds,
    ) -> Result<(), StoreError> {
        conn.transaction(|conn| {
            self.claim(conn, fencing)?;
            self.apply(conn, site, diff, holds)
        })
    }

    /// Records `diff` as done and the target as holding `holds`.
    fn apply(
        &self,
        conn: &mut PgConnection,
        site: &Site,
        diff: &ManifestDiff,
        holds: &Holds,
    ) -> Result<(), StoreError> {
        self.write_files(conn, site, diff.written(), Written::Done)?;
        self.delete_files(conn, diff.deletes().iter().map(String::as_str))?;
        diesel::update(deploy_target::table.find(&self.target))
            .set((
                deploy_target::build_id.eq(holds.build_id),
                deploy_target::git_commit.eq(holds.git_commit.as_deref()),
                deploy_target::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
        Ok(())
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

    /// Every file of the target in path order, a page at a time: its path, its entry (with
    /// [`PENDING_SHA256`] for a pending file) and whether it is pending.
    fn for_each_file(
        &self,
        conn: &mut PgConnection,
        mut visit: impl FnMut(String, ManifestEntry, bool) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut after: Option<String> = None;
        loop {
            let mut query = deploy_file::table
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
                .limit(PAGE)
                .into_boxed();
            if let Some(after) = &after {
                query = query.filter(deploy_file::path.gt(after.clone()));
            }
            let page: Vec<StoredFile> = query.load(conn)?;
            let last_page = (page.len() as i64) < PAGE;
            after = page.last().map(|file| file.path.clone());
            for file in page {
                let entry = ManifestEntry {
                    sha256: if file.pending {
                        PENDING_SHA256.to_owned()
                    } else {
                        file.sha256
                    },
                    size: file.size as u64,
                    content_type: file.content_type,
                    cache_control: file.cache_control,
                };
                visit(file.path, entry, file.pending)?;
            }
            if last_page {
                return Ok(());
            }
        }
    }

    /// Writes the rows of the site's files `files`, a chunk at a time.
    fn write_files(
        &self,
        conn: &mut PgConnection,
        site: &Site,
        mut files: impl Iterator<Item = FileId>,
        written: Written,
    ) -> Result<(), StoreError> {
        loop {
            let chunk: Vec<(String, ManifestEntry)> = files
                .by_ref()
                .take(CHUNK)
                .map(|id| {
                    let path = site
                        .path_of(id)
                        .expect("file numbers come from this site's diff");
                    let entry = ManifestEntry::of(&path, site.file(id).expect("as above"));
                    (path, entry)
                })
                .collect();
            if chunk.is_empty() {
                return Ok(());
            }
            let rows = chunk
                .iter()
                .map(|(path, entry)| self.row(path, entry, written == Written::Begun))
                .collect::<Result<Vec<_>, _>>()?;
            let insert = diesel::insert_into(deploy_file::table)
                .values(&rows)
                .on_conflict((deploy_file::target, deploy_file::path))
                .do_update();
            match written {
                // The old bytes may still be there: keep their record, marked.
                Written::Begun => insert.set(deploy_file::pending.eq(true)).execute(conn)?,
                Written::Done => insert
                    .set((
                        deploy_file::sha256.eq(excluded(deploy_file::sha256)),
                        deploy_file::size.eq(excluded(deploy_file::size)),
                        deploy_file::content_type.eq(excluded(deploy_file::content_type)),
                        deploy_file::cache_control.eq(excluded(deploy_file::cache_control)),
                        deploy_file::pending.eq(false),
                    ))
                    .execute(conn)?,
            };
        }
    }

    fn delete_files<'a>(
        &self,
        conn: &mut PgConnection,
        paths: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), StoreError> {
        let paths: Vec<&str> = paths.into_iter().collect();
        for chunk in paths.chunks(CHUNK) {
            diesel::delete(
                deploy_file::table
                    .filter(deploy_file::target.eq(&self.target))
                    .filter(deploy_file::path.eq_any(chunk)),
            )
            .execute(conn)?;
        }
        Ok(())
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
}

/// Which moment of a deploy a file's row is written at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Written {
    /// Before it is sent: a new file's row is added as pending, a known one only marked.
    Begun,
    /// After: the row holds the file's entry, not pending.
    Done,
}
