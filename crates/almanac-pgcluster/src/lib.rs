//! A private PostgreSQL cluster, started from the system's `initdb` and `pg_ctl`.
//!
//! Used by `./dev run` (a long-lived cluster under `.data/pg`) and by the test harness
//! (a throwaway cluster per test process). `initdb` refuses to run as root, so when we are
//! root the server runs as an unprivileged system user (`postgres` by default, created if it
//! does not exist) and the cluster directory is handed to that user.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The role and database created in every cluster.
pub const ROLE: &str = "app";

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "PostgreSQL server binaries not found: set PG_BIN to the folder holding initdb and pg_ctl, \
         or install them (apt-get install postgresql)"
    )]
    BinariesNotFound,
    #[error("could not run {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("{program} failed ({status}): {stderr}")]
    Failed {
        program: String,
        status: String,
        stderr: String,
    },
    #[error("cluster directory {path}: {source}")]
    Directory {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no free TCP port on 127.0.0.1: {0}")]
    NoFreePort(std::io::Error),
}

/// A running cluster. Dropping the handle leaves the server running: call [`Cluster::stop`].
#[derive(Debug, Clone)]
pub struct Cluster {
    dir: PathBuf,
    port: u16,
    bin: PathBuf,
    run_as: Option<String>,
}

impl Cluster {
    /// Starts the cluster in `dir`, creating it first if needed. If it is already running
    /// (say, from an earlier `./dev run`), the running server is reused and `port` is ignored.
    /// `port` = None picks a free port.
    pub fn start(dir: &Path, port: Option<u16>) -> Result<Cluster, ClusterError> {
        std::fs::create_dir_all(dir).map_err(|source| ClusterError::Directory {
            path: dir.to_owned(),
            source,
        })?;
        let mut cluster = Cluster::at(dir)?;
        if let Some(user) = &cluster.run_as {
            run(Command::new("chown").arg(user).arg(&cluster.dir))?;
        }
        if !cluster.data_dir().join("PG_VERSION").exists() {
            cluster.initdb()?;
        }
        if cluster.port != 0 {
            return Ok(cluster);
        }
        // A port picked as free may be taken before the server binds it; try a few.
        let mut last_error = None;
        for _ in 0..5 {
            cluster.port = match port {
                Some(port) => port,
                None => free_port()?,
            };
            match cluster.pg_ctl_start() {
                Ok(()) => return Ok(cluster),
                Err(error) if port.is_none() => last_error = Some(error),
                Err(error) => return Err(error),
            }
        }
        Err(last_error.expect("at least one attempt"))
    }

    /// The cluster in `dir`, without starting it; its port is 0 unless a server is running.
    pub fn at(dir: &Path) -> Result<Cluster, ClusterError> {
        let dir = dir
            .canonicalize()
            .map_err(|source| ClusterError::Directory {
                path: dir.to_owned(),
                source,
            })?;
        let mut cluster = Cluster {
            dir,
            port: 0,
            bin: find_server_binaries()?,
            run_as: unprivileged_user()?,
        };
        cluster.port = cluster.running_port().unwrap_or(0);
        Ok(cluster)
    }

    pub fn is_running(&self) -> bool {
        self.port != 0
    }

    /// Stops the server (fast shutdown: open connections are closed).
    pub fn stop(&self) -> Result<(), ClusterError> {
        let data_dir = self.data_dir();
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(&data_dir)
            .args(["-m", "fast", "-w", "stop"]))
        .map(|_| ())
    }

    /// Stops the server and deletes the cluster directory once `pid` has exited. Lets a test
    /// process own a cluster without leaving it running: Rust runs no destructors for statics.
    pub fn stop_when_process_exits(&self, pid: u32) -> Result<(), ClusterError> {
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.2; done; {stop} >/dev/null 2>&1; rm -rf '{dir}'",
            stop = self.shell_command(&format!(
                "'{}' -D '{}' -m immediate -w stop",
                self.bin.join("pg_ctl").display(),
                self.data_dir().display()
            )),
            dir = self.dir.display(),
        );
        use std::os::unix::process::CommandExt;
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Own process group: a Ctrl-C aimed at the test run must not kill the watchdog.
            .process_group(0)
            .spawn()
            .map_err(|source| ClusterError::Spawn {
                program: "sh".into(),
                source,
            })?;
        Ok(())
    }

    /// Creates `database` unless it exists.
    pub fn ensure_database(&self, database: &str) -> Result<(), ClusterError> {
        let port = self.port.to_string();
        let args = ["-h", "127.0.0.1", "-p", port.as_str(), "-U", ROLE];
        let exists = run(self.command("psql").args(args).args([
            "-d",
            "postgres",
            "-tAc",
            &format!(
                "SELECT 1 FROM pg_database WHERE datname = '{}'",
                database.replace('\'', "''")
            ),
        ]))?;
        if String::from_utf8_lossy(&exists.stdout).trim() == "1" {
            return Ok(());
        }
        run(self.command("createdb").args(args).arg(database)).map(|_| ())
    }

    /// `postgres://app@127.0.0.1:PORT/DATABASE`
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{ROLE}@127.0.0.1:{}/{database}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn initdb(&self) -> Result<(), ClusterError> {
        run(self.command("initdb").arg("-D").arg(self.data_dir()).args([
            "-U",
            ROLE,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ]))
        .map(|_| ())
    }

    fn pg_ctl_start(&self) -> Result<(), ClusterError> {
        // Durability is traded for speed: these clusters hold development and test data only.
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=200",
            self.port,
            self.dir.display()
        );
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.dir.join("server.log"))
            .args(["-w", "-o", &options, "start"]))?;
        // The role's own database, so that `psql` without -d works.
        self.ensure_database(ROLE)
    }

    /// The port of a server already running on this data directory, from `postmaster.pid`.
    fn running_port(&self) -> Option<u16> {
        let status = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .arg("status")
            .output()
            .ok()?;
        if !status.status.success() {
            return None;
        }
        let pid_file = std::fs::read_to_string(self.data_dir().join("postmaster.pid")).ok()?;
        // Line 4 of postmaster.pid is the port.
        pid_file.lines().nth(3)?.trim().parse().ok()
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        match &self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(path);
                command
            }
            None => Command::new(path),
        }
    }

    fn shell_command(&self, command: &str) -> String {
        match &self.run_as {
            Some(user) => format!("runuser -u {user} -- {command}"),
            None => command.to_owned(),
        }
    }
}

/// The folder with `initdb` and `pg_ctl`: `$PG_BIN`, else next to an `initdb` on PATH,
/// else the newest `/usr/lib/postgresql/*/bin`.
pub fn find_server_binaries() -> Result<PathBuf, ClusterError> {
    if let Some(dir) = std::env::var_os("PG_BIN") {
        let dir = PathBuf::from(dir);
        return if dir.join("initdb").exists() {
            Ok(dir)
        } else {
            Err(ClusterError::BinariesNotFound)
        };
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let initdb = dir.join("initdb");
            if initdb.exists() {
                let real = initdb.canonicalize().unwrap_or(initdb);
                return Ok(real.parent().map(Path::to_owned).unwrap_or(dir));
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or(ClusterError::BinariesNotFound)
}

/// When running as root, the user the server runs as (created if missing); otherwise None.
fn unprivileged_user() -> Result<Option<String>, ClusterError> {
    let uid = run(Command::new("id").arg("-u"))?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Ok(None);
    }
    let user = std::env::var("PG_RUN_AS").unwrap_or_else(|_| "postgres".to_owned());
    let exists = Command::new("id")
        .arg(&user)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|status| status.success())
        .unwrap_or(false);
    if !exists {
        run(Command::new("useradd").args([
            "--system",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            &user,
        ]))?;
    }
    Ok(Some(user))
}

fn free_port() -> Result<u16, ClusterError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(ClusterError::NoFreePort)?;
    let port = listener
        .local_addr()
        .map_err(ClusterError::NoFreePort)?
        .port();
    Ok(port)
}

fn run(command: &mut Command) -> Result<Output, ClusterError> {
    let program = format!("{:?}", command.get_program());
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|source| ClusterError::Spawn {
            program: program.clone(),
            source,
        })?;
    if output.status.success() {
        Ok(output)
    } else {
        let mut stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        if stderr.is_empty() {
            stderr = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        }
        Err(ClusterError::Failed {
            program,
            status: output.status.to_string(),
            stderr,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_reuses_and_stops_a_cluster() {
        let dir = tempfile::Builder::new()
            .prefix("almanac-pgcluster-test")
            .tempdir_in("/tmp")
            .unwrap();
        let cluster = Cluster::start(dir.path(), None).unwrap();
        assert!(cluster.port() > 0);
        // Starting again finds the running server instead of starting a second one.
        let again = Cluster::start(dir.path(), None).unwrap();
        assert_eq!(again.port(), cluster.port());
        assert!(std::net::TcpStream::connect(("127.0.0.1", cluster.port())).is_ok());
        cluster.stop().unwrap();
        assert!(std::net::TcpStream::connect(("127.0.0.1", cluster.port())).is_err());
    }
}
