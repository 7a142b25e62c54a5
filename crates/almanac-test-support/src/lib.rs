//! Test harness: every test gets its own fresh database, cloned from a template that is
//! migrated and loaded with reference data once per test process.
//!
//! The server is `DATABASE_URL` when set. Otherwise the harness starts a private cluster
//! from the system's PostgreSQL binaries in a temporary folder, and a watchdog stops it and
//! deletes the folder when the test process exits, so nothing is left running.

pub mod browser;
pub mod clamd;
pub mod fixtures;
pub mod http;
mod process;
pub mod s3;
pub mod smtp;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use almanac_content::db::{self, PgPool};
use almanac_pgcluster::Cluster;
use diesel::pg::PgConnection;
use diesel::prelude::*;

/// A database of its own for one test; dropped (with any open connections) when the value is.
pub struct TestDatabase {
    name: String,
    url: String,
}

struct Server {
    /// URL of a database that always exists, used to create and drop the test databases.
    admin_url: String,
    template: String,
}

static SERVER: OnceLock<Server> = OnceLock::new();
static NEXT_DATABASE: AtomicU32 = AtomicU32::new(0);

impl TestDatabase {
    /// A fresh database with every migration applied and the reference data loaded.
    pub fn new() -> TestDatabase {
        let server = SERVER.get_or_init(Server::start);
        TestDatabase::create(&format!("TEMPLATE {}", server.template))
    }

    /// A fresh database with nothing in it: no tables, no migrations.
    pub fn empty() -> TestDatabase {
        TestDatabase::create("")
    }

    /// `CREATE DATABASE <unique name> <options>` on the test server.
    fn create(options: &str) -> TestDatabase {
        let server = SERVER.get_or_init(Server::start);
        let name = format!(
            "almanac_test_{}_{}",
            std::process::id(),
            NEXT_DATABASE.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = db::connect(&server.admin_url).expect("connect to the test server");
        diesel::sql_query(format!("CREATE DATABASE {name} {options}"))
            .execute(&mut admin)
            .unwrap_or_else(|error| panic!("create test database {name}: {error}"));
        TestDatabase {
            url: with_database(&server.admin_url, &name),
            name,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn conn(&self) -> PgConnection {
        db::connect(&self.url).expect("connect to the test database")
    }

    pub fn pool(&self) -> PgPool {
        db::pool(&self.url, 8).expect("pool for the test database")
    }
}

impl Default for TestDatabase {
    fn default() -> Self {
        TestDatabase::new()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(server) = SERVER.get()
            && let Ok(mut admin) = db::connect(&server.admin_url)
        {
            let dropped = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin);
            if let Err(error) = dropped {
                eprintln!("could not drop test database {}: {error}", self.name);
            }
        }
    }
}

impl Server {
    fn start() -> Server {
        let admin_url = match std::env::var("DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => url,
            _ => start_private_cluster(),
        };
        let mut admin = db::connect(&admin_url).expect("connect to the test server");
        drop_leftovers_of_dead_processes(&mut admin);
        let template = format!("almanac_template_{}", std::process::id());
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {template} WITH (FORCE)"))
            .execute(&mut admin)
            .expect("drop an old template");
        diesel::sql_query(format!("CREATE DATABASE {template}"))
            .execute(&mut admin)
            .expect("create the template database");
        {
            let mut conn = db::connect(&with_database(&admin_url, &template))
                .expect("connect to the template database");
            db::run_pending_migrations(&mut conn).expect("migrate the template database");
            almanac_content::reference::load_reference_data(&mut conn)
                .expect("load reference data into the template");
            spread_sequences(&mut conn);
        }
        Server {
            admin_url,
            template,
        }
    }
}

/// Starts each sequence at a different multiple of 100,000, so that a query that confuses
/// the ids of two tables finds nothing and the test fails, instead of passing by luck.
fn spread_sequences(conn: &mut PgConnection) {
    #[derive(QueryableByName)]
    struct Sequence {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let sequences: Vec<Sequence> = diesel::sql_query(
        "SELECT sequencename AS name FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1",
    )
    .load(conn)
    .expect("list sequences");
    for (index, sequence) in (1..).zip(sequences) {
        diesel::sql_query(format!(
            "SELECT setval('{}', {})",
            sequence.name,
            index * 100_000
        ))
        .execute(conn)
        .expect("spread sequence");
    }
}

/// Databases named after a test process that no longer runs (a crashed or killed run).
fn drop_leftovers_of_dead_processes(admin: &mut PgConnection) {
    #[derive(QueryableByName)]
    struct Database {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    let Ok(databases) = diesel::sql_query(
        "SELECT datname FROM pg_database WHERE datname LIKE 'almanac\\_test\\_%' \
         OR datname LIKE 'almanac\\_template\\_%'",
    )
    .load::<Database>(admin) else {
        return;
    };
    for database in databases {
        let pid = database
            .datname
            .trim_start_matches("almanac_test_")
            .trim_start_matches("almanac_template_")
            .split('_')
            .next()
            .and_then(|pid| pid.parse::<u32>().ok());
        let alive = pid.is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            drop(
                diesel::sql_query(format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    database.datname
                ))
                .execute(admin),
            );
        }
    }
}

fn start_private_cluster() -> String {
    let dir = std::env::temp_dir().join(format!("almanac-test-pg-{}", std::process::id()));
    let cluster = Cluster::start(&dir, None).unwrap_or_else(|error| {
        panic!("start a private PostgreSQL cluster for the tests in {dir:?}: {error}")
    });
    cluster
        .stop_when_process_exits(std::process::id())
        .expect("start the cluster watchdog");
    cluster.url(almanac_pgcluster::ROLE)
}

/// The same server URL with another database name.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |index| index + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |index| authority_start + index);
    let mut result = format!("{}/{database}", &base[..path_start]);
    if let Some(query) = query {
        result.push('?');
        result.push_str(query);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database_name() {
        assert_eq!(
            with_database("postgres://app@127.0.0.1:5432/app", "x"),
            "postgres://app@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://app@localhost?sslmode=disable", "x"),
            "postgres://app@localhost/x?sslmode=disable"
        );
    }

    #[test]
    fn each_test_database_is_separate() {
        let first = TestDatabase::new();
        let second = TestDatabase::new();
        let mut conn = first.conn();
        diesel::sql_query("CREATE TABLE only_in_first (id int)")
            .execute(&mut conn)
            .unwrap();
        let mut other = second.conn();
        assert!(
            diesel::sql_query("SELECT * FROM only_in_first")
                .execute(&mut other)
                .is_err()
        );
    }
}
