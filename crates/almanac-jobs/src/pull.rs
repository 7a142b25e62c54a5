//! The staging data pull (`site-builder pull-data`): production's content in a staging or
//! review database, without anyone's personal data.
//!
//! 1. `pg_dump --data-only --inserts` reads the source (the tables this environment keeps for
//!    itself are left out: its builds, deploy manifests, job runs, and every session, token and
//!    login attempt);
//! 2. in **one transaction** on this database: the copied tables are emptied, the dump is
//!    replayed with triggers off (`session_replication_role = replica`, so rows arrive in any
//!    order and the append-only audit log can be rewritten), then every personal email in any
//!    text or JSON column becomes `user-<id>@example.invalid` (or `person-<n>@…` for an address
//!    with no account), password hashes, two-factor secrets and review links are removed, the
//!    sample is cut (at most two measures per subtopic) and the known test accounts are made;
//! 3. the upload files of the remaining uploads are copied from the source's upload folder;
//! 4. the dashboard views are refreshed.
//!
//! A failure before the commit leaves this database as it was. The role needs to be allowed to
//! set `session_replication_role` (a superuser, or `rds_superuser` on RDS).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use almanac_accounts::users::{NewAccount, create_account};
use almanac_config::Environment;
use almanac_content::UserType;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};

/// Tables this environment keeps: what it built and deployed, its job runs, and the schema
/// version. Everything else is replaced by the source's.
const KEPT_TABLES: &[&str] = &[
    "__diesel_schema_migrations",
    "build",
    "deploy_target",
    "deploy_file",
    "scheduled_job",
];

/// Tables emptied and never copied: they only hold credentials and sign-in traces.
const CREDENTIAL_TABLES: &[&str] = &[
    "user_session",
    "account_token",
    "api_token",
    "recovery_code",
    "invalid_user_login_attempt",
];

/// Columns that name a person by email (besides `users.email`), so that addresses of people
/// whose account is gone are found too.
const EMAIL_COLUMNS: &[(&str, &str)] = &[
    ("audit_event", "actor_email"),
    ("measure_version", "created_by"),
    ("measure_version", "last_updated_by"),
    ("measure_version", "published_by"),
    ("measure_version", "publish_scheduled_by"),
    ("site_page", "published_by"),
    ("site_page", "updated_by"),
];

/// The measures a review environment keeps per subtopic.
pub const SAMPLE_MEASURES_PER_SUBTOPIC: i64 = 2;

#[derive(Debug, Clone)]
pub struct PullOptions {
    /// The source database (production's read replica, typically).
    pub source_url: String,
    /// Keep at most two measures per subtopic.
    pub sample: bool,
    /// The source's upload folder, to copy the remaining uploads' files from.
    pub uploads_from: Option<PathBuf>,
    /// This environment's upload folder (`UPLOAD_DIR`).
    pub uploads_to: PathBuf,
    /// The password of the test accounts (one per user type, `<type>@almanac.gov.uk`).
    pub test_password: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullSummary {
    pub users_anonymised: usize,
    pub other_addresses_anonymised: usize,
    pub measures: i64,
    pub measures_removed_by_sample: usize,
    pub test_accounts: Vec<String>,
    pub upload_files_copied: usize,
    pub upload_files_missing: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("the data pull never runs in production: it replaces the whole database")]
    Production,
    #[error("the source database is this database; give another --source")]
    SameDatabase,
    #[error("cannot connect to the source database: {0}")]
    Source(String),
    #[error("the data was pulled, but refreshing the dashboard views failed: {0}")]
    Views(String),
    #[error("pg_dump could not run ({0}); install the PostgreSQL client or set PG_BIN")]
    DumpStart(std::io::Error),
    #[error("pg_dump of the source failed: {0}")]
    Dump(String),
    #[error("the source has migrations this database lacks ({0}): migrate this environment first")]
    SchemaMismatch(String),
    #[error("database: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("creating the test accounts: {0}")]
    Accounts(#[from] almanac_accounts::users::AccountError),
    #[error("copying upload {path}: {source}")]
    Upload {
        path: String,
        source: std::io::Error,
    },
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    count: i64,
}

#[derive(QueryableByName)]
struct UploadFile {
    #[diesel(sql_type = Integer)]
    measure_id: i32,
    #[diesel(sql_type = Text)]
    version: String,
    #[diesel(sql_type = Text)]
    file_name: String,
}

/// Pulls the source into `conn`'s database (see the module documentation).
pub fn pull(
    conn: &mut PgConnection,
    environment: Environment,
    options: &PullOptions,
) -> Result<PullSummary, PullError> {
    if environment == Environment::Production {
        return Err(PullError::Production);
    }
    let mut source = PgConnection::establish(&options.source_url)
        .map_err(|error| PullError::Source(error.to_string()))?;
    if system_identifier(&mut source)? == system_identifier(conn)?
        && database_name(&mut source)? == database_name(conn)?
    {
        return Err(PullError::SameDatabase);
    }
    check_migrations(&mut source, conn)?;
    drop(source);
    let dump = dump(&options.source_url)?;
    let mut summary = PullSummary::default();
    conn.transaction::<_, PullError, _>(|conn| {
        conn.batch_execute("SET LOCAL session_replication_role = replica")?;
        empty_copied_tables(conn)?;
        conn.batch_execute(&dump)?;
        anonymise(conn, &mut summary)?;
        // Back to normal so that the sample's deletes cascade.
        conn.batch_execute("SET LOCAL session_replication_role = origin")?;
        if options.sample {
            summary.measures_removed_by_sample = keep_sample(conn)?;
        }
        summary.test_accounts = create_test_accounts(conn, &options.test_password)?;
        summary.measures = diesel::sql_query("SELECT count(*) AS count FROM measure")
            .get_result::<Count>(conn)?
            .count;
        Ok(())
    })?;
    if let Some(from) = &options.uploads_from {
        copy_uploads(conn, from, &options.uploads_to, &mut summary)?;
    }
    almanac_content::db::refresh_dashboard_views(conn)
        .map_err(|error| PullError::Views(error.to_string()))?;
    Ok(summary)
}

fn system_identifier(conn: &mut PgConnection) -> Result<String, PullError> {
    Ok(
        diesel::sql_query("SELECT system_identifier::text AS name FROM pg_control_system()")
            .get_result::<Name>(conn)?
            .name,
    )
}

fn database_name(conn: &mut PgConnection) -> Result<String, PullError> {
    Ok(diesel::sql_query("SELECT current_database()::text AS name")
        .get_result::<Name>(conn)?
        .name)
}

fn check_migrations(source: &mut PgConnection, target: &mut PgConnection) -> Result<(), PullError> {
    let versions = |conn: &mut PgConnection| -> Result<BTreeSet<String>, PullError> {
        Ok(
            diesel::sql_query("SELECT version::text AS name FROM __diesel_schema_migrations")
                .load::<Name>(conn)?
                .into_iter()
                .map(|row| row.name)
                .collect(),
        )
    };
    let theirs = versions(source)?;
    let ours = versions(target)?;
    let missing: Vec<&String> = theirs.difference(&ours).collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(PullError::SchemaMismatch(
            missing
                .iter()
                .map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ))
    }
}

fn pg_dump_path() -> PathBuf {
    match std::env::var_os("PG_BIN") {
        Some(dir) => Path::new(&dir).join("pg_dump"),
        None => PathBuf::from("pg_dump"),
    }
}

/// The source's rows as INSERT statements, which run inside our transaction (COPY from a
/// plain dump would need psql).
fn dump(source_url: &str) -> Result<String, PullError> {
    let mut command = Command::new(pg_dump_path());
    command.args([
        "--data-only",
        "--inserts",
        "--rows-per-insert=500",
        "--no-owner",
        "--no-privileges",
        "--schema=public",
    ]);
    for table in KEPT_TABLES.iter().chain(CREDENTIAL_TABLES) {
        command.arg(format!("--exclude-table=public.{table}"));
    }
    let output = command
        .arg("--dbname")
        .arg(source_url)
        .output()
        .map_err(PullError::DumpStart)?;
    if !output.status.success() {
        return Err(PullError::Dump(
            String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        ));
    }
    let text = String::from_utf8(output.stdout)
        .map_err(|_| PullError::Dump("the dump is not UTF-8".to_owned()))?;
    // Recent pg_dump versions frame the dump in psql meta-commands (`\restrict`), which the
    // server does not know; there are no others in a data-only INSERT dump.
    let statements: String = text
        .lines()
        .filter(|line| !line.starts_with('\\'))
        .flat_map(|line| [line, "\n"])
        .collect();
    // pg_dump empties the session's search_path for safety; ours must come back for what
    // follows.
    Ok(format!("{statements}\nRESET search_path;"))
}

fn empty_copied_tables(conn: &mut PgConnection) -> Result<(), PullError> {
    let tables: Vec<String> = diesel::sql_query(
        "SELECT tablename::text AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    )
    .load::<Name>(conn)?
    .into_iter()
    .map(|row| row.name)
    .filter(|name| !KEPT_TABLES.contains(&name.as_str()))
    .collect();
    if tables.is_empty() {
        return Ok(());
    }
    let list = tables
        .iter()
        .map(|name| format!("public.\"{name}\""))
        .collect::<Vec<_>>()
        .join(", ");
    conn.batch_execute(&format!("TRUNCATE {list} RESTART IDENTITY"))?;
    Ok(())
}

/// Every personal address becomes a made-up one, everywhere it appears; credentials go.
fn anonymise(conn: &mut PgConnection, summary: &mut PullSummary) -> Result<(), PullError> {
    conn.batch_execute(
        "CREATE TEMPORARY TABLE pull_email_map (original text PRIMARY KEY, replacement text NOT NULL)
             ON COMMIT DROP;
         INSERT INTO pull_email_map
             SELECT lower(email), 'user-' || id || '@example.invalid' FROM users
             ON CONFLICT DO NOTHING;",
    )?;
    summary.users_anonymised = diesel::sql_query("SELECT count(*) AS count FROM pull_email_map")
        .get_result::<Count>(conn)?
        .count as usize;
    // Addresses with no account (a deleted user, a build requested by email).
    for (table, column) in EMAIL_COLUMNS {
        conn.batch_execute(&format!(
            "INSERT INTO pull_email_map (original, replacement)
                 SELECT address, 'person-' || row_number() OVER (ORDER BY address)
                        + (SELECT count(*) FROM pull_email_map) || '@example.invalid'
                 FROM (SELECT DISTINCT lower({column}) AS address FROM {table}
                       WHERE {column} LIKE '%@%') found
             ON CONFLICT DO NOTHING"
        ))?;
    }
    summary.other_addresses_anonymised =
        diesel::sql_query("SELECT count(*) AS count FROM pull_email_map")
            .get_result::<Count>(conn)?
            .count as usize
            - summary.users_anonymised;
    // Longest first, so that ann@x.gov.uk never rewrites part of joann@x.gov.uk.
    conn.batch_execute(
        r#"CREATE FUNCTION pg_temp.pull_anonymise(value text) RETURNS text
           LANGUAGE plpgsql AS $$
           DECLARE mapping record;
           BEGIN
               FOR mapping IN SELECT original, replacement FROM pull_email_map
                              ORDER BY length(original) DESC LOOP
                   IF strpos(lower(value), mapping.original) > 0 THEN
                       value := regexp_replace(value,
                           regexp_replace(mapping.original, '([.+*?^$()\[\]{}|\\])', '\\\1', 'g'),
                           mapping.replacement, 'gi');
                   END IF;
               END LOOP;
               RETURN value;
           END $$;"#,
    )?;
    let columns: Vec<Column> = diesel::sql_query(
        "SELECT c.table_name::text, c.column_name::text, c.data_type::text
         FROM information_schema.columns c
         JOIN information_schema.tables t
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name
         WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
           AND c.data_type IN ('text', 'character varying', 'jsonb', 'json')
         ORDER BY 1, 2",
    )
    .load(conn)?;
    for column in columns
        .iter()
        .filter(|c| !KEPT_TABLES.contains(&c.table_name.as_str()))
    {
        let (table, name) = (&column.table_name, &column.column_name);
        let statement = match column.data_type.as_str() {
            "jsonb" | "json" => format!(
                "UPDATE \"{table}\" SET \"{name}\" = pg_temp.pull_anonymise(\"{name}\"::text)::{kind}
                 WHERE \"{name}\"::text LIKE '%@%'",
                kind = column.data_type
            ),
            _ => format!(
                "UPDATE \"{table}\" SET \"{name}\" = pg_temp.pull_anonymise(\"{name}\")
                 WHERE \"{name}\" LIKE '%@%'"
            ),
        };
        conn.batch_execute(&statement)?;
    }
    conn.batch_execute(
        "UPDATE users SET password_hash = NULL, totp_secret = NULL, totp_enabled_at = NULL,
                          totp_last_step = NULL;
         UPDATE measure_version SET review_token = NULL, review_token_expires_at = NULL
             WHERE review_token IS NOT NULL;",
    )?;
    Ok(())
}

/// Keeps the first two measures of each subtopic (by position, then id); returns how many
/// went. Their versions, dimensions, uploads and shares go with them (ON DELETE CASCADE).
fn keep_sample(conn: &mut PgConnection) -> Result<usize, PullError> {
    conn.batch_execute(&format!(
        "CREATE TEMPORARY TABLE pull_removed ON COMMIT DROP AS
             SELECT id FROM (
                 SELECT id, row_number() OVER (PARTITION BY subtopic_id ORDER BY position, id) AS n
                 FROM measure) ranked
             WHERE n > {SAMPLE_MEASURES_PER_SUBTOPIC};
         UPDATE measure SET replaced_by_measure_id = NULL
             WHERE replaced_by_measure_id IN (SELECT id FROM pull_removed);"
    ))?;
    Ok(
        diesel::sql_query("DELETE FROM measure WHERE id IN (SELECT id FROM pull_removed)")
            .execute(conn)?,
    )
}

/// One account per user type, `<type>@almanac.gov.uk`, with `password` (the same logins as
/// `publisher create-demo-users`).
fn create_test_accounts(conn: &mut PgConnection, password: &str) -> Result<Vec<String>, PullError> {
    let mut made = Vec::new();
    for &user_type in UserType::ALL {
        let email = test_account_email(user_type);
        create_account(
            conn,
            &NewAccount {
                email: &email,
                user_type,
                password: Some(password),
            },
        )?;
        made.push(email);
    }
    Ok(made)
}

/// The test account of a user type.
pub fn test_account_email(user_type: UserType) -> String {
    let name = match user_type {
        UserType::Departmental => "dept",
        UserType::CentralEditor => "editor",
        UserType::Admin => "admin",
        UserType::Developer => "dev",
    };
    format!("{name}@almanac.gov.uk")
}

/// Copies the files of the uploads still in the database from the source's upload folder.
/// A file missing at the source is counted, not fatal: staging can live without it.
fn copy_uploads(
    conn: &mut PgConnection,
    from: &Path,
    to: &Path,
    summary: &mut PullSummary,
) -> Result<(), PullError> {
    let files: Vec<UploadFile> = diesel::sql_query(
        "SELECT mv.measure_id, mv.version_major || '.' || mv.version_minor AS version, u.file_name
         FROM upload u JOIN measure_version mv ON mv.id = u.measure_version_id",
    )
    .load(conn)?;
    let source = almanac_uploads::LocalStore::new(from);
    let target = almanac_uploads::LocalStore::new(to);
    for file in files {
        let key = almanac_uploads::StoreKey::new(file.measure_id, file.version, file.file_name);
        let (Ok(from_path), Ok(to_path)) = (source.path(&key), target.path(&key)) else {
            summary.upload_files_missing += 1;
            continue;
        };
        if !from_path.is_file() {
            summary.upload_files_missing += 1;
            continue;
        }
        let io = |source: std::io::Error| PullError::Upload {
            path: to_path.display().to_string(),
            source,
        };
        if let Some(parent) = to_path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::fs::copy(&from_path, &to_path).map_err(io)?;
        summary.upload_files_copied += 1;
    }
    Ok(())
}
