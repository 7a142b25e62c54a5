//! The staging data pull between two real databases: nothing personal survives, the test
//! accounts work, the sample keeps two measures per subtopic, and production refuses.

use almanac_accounts::users::{NewAccount, create_account};
use almanac_config::Environment;
use almanac_content::UserType;
use almanac_jobs::pull::{PullError, PullOptions, pull, test_account_email};
use almanac_seed::{SeedOptions, seed};
use almanac_test_support::TestDatabase;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

const PASSWORD: &str = "violet kettle orbit 42";

#[derive(QueryableByName)]
struct Value {
    #[diesel(sql_type = Nullable<Text>)]
    value: Option<String>,
}

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

fn strings(conn: &mut PgConnection, sql: &str) -> Vec<String> {
    diesel::sql_query(sql)
        .load::<Value>(conn)
        .unwrap()
        .into_iter()
        .filter_map(|row| row.value)
        .collect()
}

fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .unwrap()
        .count
}

/// A source like production's: a seeded site, people with passwords, two-factor secrets,
/// recovery codes, sessions and API tokens, and their addresses in the history.
fn production_like() -> TestDatabase {
    let source = TestDatabase::new();
    let mut conn = source.conn();
    almanac_content::reference::load_reference_data(&mut conn).unwrap();
    seed(
        &mut conn,
        SeedOptions {
            measures: 40,
            seed: 11,
        },
    )
    .unwrap();
    for (email, user_type) in [
        ("Ann.Editor@ministry.gov.uk", UserType::CentralEditor),
        ("joann.editor@ministry.gov.uk", UserType::Admin),
        ("dev+ops@digital.gov.uk", UserType::Developer),
        // A source account with a test account's address: replaced like any other.
        ("dept@almanac.gov.uk", UserType::Departmental),
    ] {
        let user = create_account(
            &mut conn,
            &NewAccount {
                email,
                user_type,
                password: Some(PASSWORD),
            },
        )
        .unwrap();
        let id = user.id;
        conn.batch_execute(&format!(
            "UPDATE users SET totp_secret = '\\x00112233'::bytea, totp_enabled_at = now() WHERE id = {id};
             INSERT INTO recovery_code (user_id, code_hash) VALUES ({id}, 'recovery-hash-{id}');
             INSERT INTO user_session (id, user_id, expires_at, ip) VALUES ('session-{id}', {id}, now() + interval '1 hour', '10.0.0.1');
             INSERT INTO api_token (user_id, name, token_hash) VALUES ({id}, 'export', 'token-hash-{id}');
             INSERT INTO account_token (user_id, purpose, token_hash, expires_at) VALUES ({id}, 'PASSWORD_RESET', 'reset-hash-{id}', now() + interval '1 day');
             INSERT INTO audit_event (actor_user_id, actor_email, action, details)
                 VALUES ({id}, '{email}', 'signed_in', '{{\"note\": \"by {email}\"}}');"
        ))
        .unwrap();
    }
    conn.batch_execute(
        "INSERT INTO invalid_user_login_attempt (email) VALUES ('stranger@example.com');
         INSERT INTO audit_event (actor_email, action) VALUES ('Gone.Person@ministry.gov.uk', 'user_deleted');
         UPDATE measure_version SET created_by = 'ann.editor@ministry.gov.uk',
                                    published_by = 'Gone.Person@ministry.gov.uk'
             WHERE id IN (SELECT id FROM measure_version ORDER BY id LIMIT 5);
         UPDATE measure_version SET review_token = 'review-' || id,
                                    review_token_expires_at = now() + interval '1 day'
             WHERE id IN (SELECT id FROM measure_version ORDER BY id LIMIT 2);",
    )
    .unwrap();
    source
}

fn options(source: &TestDatabase, sample: bool, uploads: &std::path::Path) -> PullOptions {
    PullOptions {
        source_url: source.url().to_owned(),
        sample,
        uploads_from: Some(uploads.join("from")),
        uploads_to: uploads.join("to"),
        test_password: PASSWORD.to_owned(),
    }
}

#[test]
fn the_pull_leaves_no_original_email_and_no_hash() {
    let source = production_like();
    let mut source_conn = source.conn();
    let mut emails: Vec<String> =
        strings(&mut source_conn, "SELECT lower(email) AS value FROM users");
    emails.extend(strings(
        &mut source_conn,
        "SELECT DISTINCT lower(actor_email) AS value FROM audit_event WHERE actor_email IS NOT NULL
         UNION SELECT DISTINCT lower(created_by) FROM measure_version WHERE created_by LIKE '%@%'
         UNION SELECT DISTINCT lower(published_by) FROM measure_version WHERE published_by LIKE '%@%'
         UNION SELECT lower(email) FROM invalid_user_login_attempt",
    ));
    let secrets: Vec<String> = strings(
        &mut source_conn,
        "SELECT password_hash AS value FROM users WHERE password_hash IS NOT NULL
         UNION SELECT code_hash FROM recovery_code UNION SELECT token_hash FROM api_token
         UNION SELECT token_hash FROM account_token UNION SELECT id FROM user_session
         UNION SELECT review_token FROM measure_version",
    );
    assert!(emails.len() >= 6 && secrets.len() >= 8);
    let source_measures = count(&mut source_conn, "SELECT count(*) AS count FROM measure");

    let target = TestDatabase::new();
    let mut conn = target.conn();
    // The target's own account and build history before the pull.
    create_account(
        &mut conn,
        &NewAccount {
            email: "old.staging.user@ministry.gov.uk",
            user_type: UserType::Admin,
            password: Some(PASSWORD),
        },
    )
    .unwrap();
    // The source's upload folder holds the seeded uploads' files.
    let uploads = tempfile::tempdir().unwrap();
    let from = almanac_uploads::LocalStore::new(uploads.path().join("from"));
    let files = almanac_seed::demo_upload_files(&mut source_conn).unwrap();
    assert!(!files.is_empty());
    for file in &files {
        let key = almanac_uploads::StoreKey::new(
            file.measure_id,
            file.version.clone(),
            file.file_name.clone(),
        );
        let path = from.path(&key).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &file.bytes).unwrap();
    }
    let summary = pull(
        &mut conn,
        Environment::Staging,
        &options(&source, false, uploads.path()),
    )
    .unwrap();
    assert_eq!(summary.upload_files_copied, files.len(), "{summary:?}");
    let to = almanac_uploads::LocalStore::new(uploads.path().join("to"));
    let first = &files[0];
    let copied = to
        .path(&almanac_uploads::StoreKey::new(
            first.measure_id,
            first.version.clone(),
            first.file_name.clone(),
        ))
        .unwrap();
    assert_eq!(std::fs::read(copied).unwrap(), first.bytes);
    assert_eq!(summary.measures, source_measures);
    assert_eq!(summary.users_anonymised, 4);
    assert!(summary.other_addresses_anonymised >= 1, "{summary:?}");

    // Every text and JSON column of every table, searched for every original address and
    // every credential.
    let columns: Vec<Column> = diesel::sql_query(
        "SELECT c.table_name::text, c.column_name::text FROM information_schema.columns c
         JOIN information_schema.tables t USING (table_schema, table_name)
         WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
           AND c.data_type IN ('text', 'character varying', 'jsonb', 'json', 'bytea')",
    )
    .load(&mut conn)
    .unwrap();
    assert!(columns.len() > 40, "{} columns", columns.len());
    for column in &columns {
        let values = strings(
            &mut conn,
            &format!(
                "SELECT lower(\"{}\"::text) AS value FROM \"{}\"",
                column.column_name, column.table_name
            ),
        );
        for value in values {
            for email in &emails {
                assert!(
                    !value.contains(email.as_str())
                        || email.ends_with("@almanac.gov.uk") && value == *email,
                    "{}.{} still holds {email}: {value}",
                    column.table_name,
                    column.column_name
                );
            }
            for secret in &secrets {
                assert!(
                    !value.contains(&secret.to_lowercase()),
                    "{}.{} still holds a credential",
                    column.table_name,
                    column.column_name
                );
            }
        }
    }
    assert!(
        !strings(&mut conn, "SELECT email AS value FROM users")
            .iter()
            .any(|email| email == "old.staging.user@ministry.gov.uk")
    );
    for table in [
        "user_session",
        "api_token",
        "recovery_code",
        "account_token",
        "invalid_user_login_attempt",
    ] {
        assert_eq!(
            count(&mut conn, &format!("SELECT count(*) AS count FROM {table}")),
            0,
            "{table}"
        );
    }
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS count FROM users WHERE totp_secret IS NOT NULL
             OR (password_hash IS NOT NULL AND email NOT LIKE '%@almanac.gov.uk')"
        ),
        0
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS count FROM users WHERE email LIKE 'user-%@example.invalid'"
        ),
        4
    );

    // The test accounts sign in with the given password.
    for &user_type in UserType::ALL {
        let email = test_account_email(user_type);
        let hash = strings(
            &mut conn,
            &format!("SELECT password_hash AS value FROM users WHERE email = '{email}'"),
        );
        assert_eq!(hash.len(), 1, "{email}");
        assert!(
            almanac_accounts::password::verify_password(PASSWORD, &hash[0]),
            "{email}"
        );
    }
}

#[test]
fn the_sample_keeps_two_measures_per_subtopic() {
    let source = production_like();
    let target = TestDatabase::new();
    let uploads = tempfile::tempdir().unwrap();
    let mut conn = target.conn();
    let summary = pull(
        &mut conn,
        Environment::Review,
        &options(&source, true, uploads.path()),
    )
    .unwrap();
    assert!(summary.measures_removed_by_sample > 0, "{summary:?}");
    let most = count(
        &mut conn,
        "SELECT coalesce(max(n), 0) AS count FROM (SELECT count(*) AS n FROM measure GROUP BY subtopic_id) per",
    );
    assert!((1..=2).contains(&most), "{most}");
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS count FROM measure_version mv WHERE NOT EXISTS (SELECT 1 FROM measure m WHERE m.id = mv.measure_id)"
        ),
        0
    );
}

#[test]
fn production_refuses_to_pull() {
    let source = TestDatabase::new();
    let target = TestDatabase::new();
    let uploads = tempfile::tempdir().unwrap();
    let error = pull(
        &mut target.conn(),
        Environment::Production,
        &options(&source, false, uploads.path()),
    )
    .unwrap_err();
    assert!(matches!(error, PullError::Production), "{error}");
}
