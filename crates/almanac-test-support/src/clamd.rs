//! A real ClamAV daemon for tests, with one signature: the EICAR test file.
//!
//! No signature database can be downloaded here (and tests must not depend on one), so the
//! databases are made from the EICAR string at start-up:
//!
//! - `eicar.hdb`, from `sigtool --md5`: a hash of the whole EICAR file, as the official
//!   database has. clamd reports [`EICAR_SIGNATURE`] for a file that is exactly EICAR.
//! - `eicar.ndb`, a body signature: the EICAR string anywhere in a file. Hash signatures
//!   match whole files only, so this one is what lets a test show that a file sent in many
//!   INSTREAM chunks is scanned as one, EICAR crossing a chunk boundary included. clamd
//!   reports [`EICAR_EMBEDDED_SIGNATURE`] for it.
//!
//! Everything else is clean, through exactly the INSTREAM protocol production uses.
//!
//! Each [`ClamdServer`] is its own clamd in a temporary folder, listening on a free port of
//! 127.0.0.1 and on a unix socket in that folder. It starts in well under a second with one
//! signature. Dropping the server, or the test process dying, stops it.
//!
//! `./dev test` installs the Debian packages `clamav` and `clamav-daemon`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use almanac_uploads::ClamdAddress;

use crate::process::Watchdog;

/// The EICAR anti-virus test file: harmless, and detected as a virus by every scanner.
pub const EICAR: &str = r"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
/// What clamd calls EICAR with the database made here: sigtool names a signature after the
/// file it was made from, and clamd adds `.UNOFFICIAL` to signatures not signed by Cisco.
pub const EICAR_SIGNATURE: &str = "Eicar-Test-Signature.UNOFFICIAL";
/// What clamd calls a file with EICAR inside it (`eicar.ndb`).
pub const EICAR_EMBEDDED_SIGNATURE: &str = "Eicar-Test-Signature-Embedded.UNOFFICIAL";
/// clamd.conf's `StreamMaxLength`: above the default upload limit (50 MiB), as production's
/// must be.
pub const STREAM_MAX_LENGTH: u64 = 60 * 1024 * 1024;

const HOST: &str = "127.0.0.1";
const START_PATIENCE: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(20);

/// A running clamd, stopped when dropped.
pub struct ClamdServer {
    child: Child,
    watchdog: Option<Watchdog>,
    port: u16,
    socket: PathBuf,
    dir: tempfile::TempDir,
}

impl ClamdServer {
    /// Starts clamd and returns once it answers PING. Panics with clamd's log when it does not
    /// within 30 seconds, and tells to run `./dev test` when ClamAV is not installed.
    pub fn start() -> ClamdServer {
        let clamd = program("clamd");
        let sigtool = program("sigtool");
        let dir = tempfile::Builder::new()
            .prefix("almanac-clamd-")
            .tempdir()
            .expect("temporary folder for clamd");
        let database = dir.path().join("database");
        std::fs::create_dir(&database).expect("create clamd's database folder");
        make_eicar_database(&sigtool, dir.path(), &database);

        let port = free_port();
        let socket = dir.path().join("clamd.sock");
        let log = dir.path().join("clamd.log");
        let config = dir.path().join("clamd.conf");
        // No `User`: clamd then keeps the identity it was started with (root in the
        // development containers, the developer elsewhere), which owns this folder. A `User`
        // line makes a non-root clamd refuse to start.
        let settings = format!(
            "Foreground yes\n\
             TCPSocket {port}\n\
             TCPAddr {HOST}\n\
             LocalSocket {socket}\n\
             DatabaseDirectory {database}\n\
             TemporaryDirectory {temporary}\n\
             LogFile {log}\n\
             LogTime yes\n\
             PidFile {pid}\n\
             StreamMaxLength {stream_max}M\n\
             SelfCheck 0\n",
            socket = socket.display(),
            database = database.display(),
            temporary = dir.path().display(),
            log = log.display(),
            pid = dir.path().join("clamd.pid").display(),
            stream_max = STREAM_MAX_LENGTH / (1024 * 1024),
        );
        std::fs::write(&config, settings).expect("write clamd.conf");
        let output = std::fs::File::create(dir.path().join("clamd.out")).expect("clamd's output");

        let started = Instant::now();
        let child = Command::new(&clamd)
            .arg("-c")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(output.try_clone().expect("share clamd's output file"))
            .stderr(output)
            // Its own group, so that a Ctrl-C aimed at the test run reaches the watchdog's
            // kill rather than racing it.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|error| panic!("start {}: {error}", clamd.display()));
        let mut server = ClamdServer {
            child,
            watchdog: None,
            port,
            socket,
            dir,
        };
        // clamd, unlike aiosmtpd's launcher, cannot watch its parent itself.
        server.watchdog = Watchdog::start(server.child.id(), Some(server.dir.path()), "clamd");

        let deadline = started + START_PATIENCE;
        loop {
            if server.answers_ping() {
                eprintln!("clamd: ready in {:?}", started.elapsed());
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "clamd exited ({status}) before answering on {HOST}:{port}:\n{}",
                    server.log()
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "clamd did not answer PING on {HOST}:{port} within {START_PATIENCE:?}:\n{}",
                    server.log()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// clamd over TCP.
    pub fn address(&self) -> ClamdAddress {
        ClamdAddress::Tcp(format!("{HOST}:{}", self.port))
    }

    /// The same clamd over its unix socket.
    pub fn unix_address(&self) -> ClamdAddress {
        ClamdAddress::Unix(self.socket.clone())
    }

    /// clamd's log and output so far, for a failing test's message.
    pub fn log(&self) -> String {
        let read = |name: &str| std::fs::read_to_string(self.dir.path().join(name));
        format!(
            "--- clamd.log ---\n{}\n--- clamd output ---\n{}",
            read("clamd.log").unwrap_or_default(),
            read("clamd.out").unwrap_or_default()
        )
    }

    fn answers_ping(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect((HOST, self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let mut reply = Vec::new();
        stream.write_all(b"zPING\0").is_ok()
            && stream.read_to_end(&mut reply).is_ok()
            && reply == b"PONG\0"
    }
}

impl Drop for ClamdServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.watchdog.take();
    }
}

/// `eicar.hdb`, made from a file named after the signature clamd should report, and
/// `eicar.ndb`: `name:target type (0, any file):offset (*, anywhere):hex of the bytes`.
fn make_eicar_database(sigtool: &Path, dir: &Path, database: &Path) {
    let sample = dir.join("Eicar-Test-Signature");
    std::fs::write(&sample, EICAR).expect("write the EICAR sample");
    let output = Command::new(sigtool)
        .arg("--md5")
        .arg(&sample)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| panic!("run {}: {error}", sigtool.display()));
    assert!(
        output.status.success() && !output.stdout.is_empty(),
        "sigtool --md5 failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(database.join("eicar.hdb"), &output.stdout).expect("write eicar.hdb");
    let _ = std::fs::remove_file(&sample);
    let name = EICAR_EMBEDDED_SIGNATURE.trim_end_matches(".UNOFFICIAL");
    let hex: String = EICAR.bytes().map(|byte| format!("{byte:02x}")).collect();
    std::fs::write(database.join("eicar.ndb"), format!("{name}:0:*:{hex}\n"))
        .expect("write eicar.ndb");
}

/// A ClamAV program on PATH or in /usr/sbin (where Debian puts clamd, outside a normal
/// user's PATH).
fn program(name: &str) -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain(["/usr/sbin".into(), "/usr/bin".into()])
        .map(|folder| folder.join(name))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{name} is missing: run `./dev test` once, which installs the Debian packages \
                 clamav and clamav-daemon"
            )
        })
}

fn free_port() -> u16 {
    // Another process may take the port before clamd binds it; clamd then exits at once and
    // the start-up panic shows its log. Rare enough not to retry.
    TcpListener::bind((HOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free TCP port on 127.0.0.1")
}
