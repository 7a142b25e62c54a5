//! A real SMTP server for tests: aiosmtpd, storing what it receives in a maildir.
//!
//! A real server rather than a mock, so that tests exercise what production does: the SMTP
//! dialogue, the MIME encoding of bodies, and the decoding a mail client would do. aiosmtpd
//! lives in a Python virtual environment that `./dev test` creates (`ALMANAC_PYTHON`).

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use almanac_mail::{MailSettings, SmtpTls, TransportSettings};
use mail_parser::{MessageParser, PartType};

const HOST: &str = "127.0.0.1";
const PATIENCE: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(50);

/// Runs aiosmtpd as in `python -m aiosmtpd`, plus a thread that exits when the test process
/// that started it is gone: a test binary that is killed runs no destructors, and without
/// this the server would outlive it.
const LAUNCHER: &str = "\
import os, sys, threading, time
parent = os.getppid()
def exit_with_parent():
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)
threading.Thread(target=exit_with_parent, daemon=True).start()
from aiosmtpd.main import main
main(sys.argv[1:])
";

/// An aiosmtpd server on a free port of 127.0.0.1, stopped when dropped.
pub struct SmtpServer {
    child: Child,
    port: u16,
    maildir: PathBuf,
    _dir: tempfile::TempDir,
}

/// A message as the server stored it, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedEmail {
    /// The address in the From header.
    pub from: String,
    /// The envelope recipients (RCPT TO): who the server was asked to deliver to.
    pub to: Vec<String>,
    pub subject: String,
    /// The text/plain body, decoded from its transfer encoding; empty when there is none.
    pub text: String,
    /// The text/html body, decoded from its transfer encoding; empty when there is none.
    pub html: String,
}

impl SmtpServer {
    /// Starts the server and returns once it accepts connections.
    pub fn start() -> SmtpServer {
        let python = python();
        let dir = tempfile::tempdir().expect("temporary folder for the SMTP server");
        let maildir = dir.path().join("maildir");
        // aiosmtpd's Mailbox handler opens an existing maildir and fails if these are missing.
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub)).expect("create the maildir");
        }
        let stderr_path = dir.path().join("aiosmtpd.stderr");
        let stderr = std::fs::File::create(&stderr_path).expect("aiosmtpd's stderr file");
        let port = free_port();
        let mut child = Command::new(python)
            .args(["-c", LAUNCHER, "-n", "-l"])
            .arg(format!("{HOST}:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|error| panic!("could not start aiosmtpd with {python}: {error}"));
        let stderr = || std::fs::read_to_string(&stderr_path).unwrap_or_default();
        let deadline = Instant::now() + PATIENCE;
        loop {
            if TcpStream::connect((HOST, port)).is_ok() {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "aiosmtpd exited ({status}) before listening on {HOST}:{port}:\n{}",
                    stderr()
                );
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "aiosmtpd did not listen on {HOST}:{port} within {PATIENCE:?}:\n{}",
                    stderr()
                );
            }
            std::thread::sleep(POLL);
        }
        SmtpServer {
            child,
            port,
            maildir,
            _dir: dir,
        }
    }

    pub fn host(&self) -> &str {
        HOST
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Settings that send to this server over plain SMTP, without TLS or login.
    pub fn settings(&self, from: &str) -> MailSettings {
        MailSettings {
            from: from.to_owned(),
            transport: TransportSettings::Smtp {
                host: HOST.to_owned(),
                port: self.port,
                tls: SmtpTls::None,
                credentials: None,
            },
        }
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<ReceivedEmail> {
        let mut files: Vec<(SystemTime, PathBuf)> = ["new", "cur"]
            .iter()
            .flat_map(|sub| {
                std::fs::read_dir(self.maildir.join(sub))
                    .expect("read the maildir")
                    .map(|entry| entry.expect("read the maildir").path())
            })
            .map(|path| {
                let modified = std::fs::metadata(&path)
                    .and_then(|metadata| metadata.modified())
                    .expect("a stored message's modification time");
                (modified, path)
            })
            .collect();
        files.sort();
        files.iter().map(|(_, path)| read_message(path)).collect()
    }

    /// At least `n` messages, waiting up to 10 seconds for them to arrive.
    pub fn wait_for_messages(&self, n: usize) -> Vec<ReceivedEmail> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            if Instant::now() > deadline {
                let subjects: Vec<&str> = messages.iter().map(|m| m.subject.as_str()).collect();
                panic!(
                    "expected {n} email(s) at {HOST}:{} within {PATIENCE:?}, got {}: {subjects:?}",
                    self.port,
                    messages.len()
                );
            }
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The interpreter with aiosmtpd, checked once per test process.
fn python() -> &'static str {
    static PYTHON: OnceLock<String> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let python = std::env::var("ALMANAC_PYTHON")
            .ok()
            .filter(|python| !python.trim().is_empty())
            .unwrap_or_else(|| {
                let home = std::env::var("HOME").unwrap_or_default();
                format!("{home}/.cache/almanac/venv/bin/python")
            });
        let has_aiosmtpd = Command::new(&python)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        assert!(
            has_aiosmtpd,
            "the mail tests need aiosmtpd, and {python} cannot import it: run ./dev test once \
             (it creates the Python environment), or set ALMANAC_PYTHON to a Python that has it"
        );
        python
    })
}

fn free_port() -> u16 {
    // Another process may take the port between here and aiosmtpd binding it; the window is
    // short enough that the resulting start-up failure is not worth guarding against.
    TcpListener::bind((HOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free TCP port on 127.0.0.1")
}

fn read_message(path: &Path) -> ReceivedEmail {
    let raw = std::fs::read(path).unwrap_or_else(|error| panic!("read {path:?}: {error}"));
    let message = MessageParser::default()
        .parse(&raw)
        .unwrap_or_else(|| panic!("{path:?} is not an email message"));
    let from = message
        .from()
        .and_then(|from| from.first())
        .and_then(|from| from.address())
        .unwrap_or_default()
        .to_owned();
    // aiosmtpd records the envelope in headers of its own.
    let to = message
        .header_raw("X-RcptTo")
        .unwrap_or_default()
        .split(',')
        .map(|address| address.trim().to_owned())
        .filter(|address| !address.is_empty())
        .collect();
    // By part type rather than body_text/body_html, which convert the other body when one is
    // missing and so would hide a message that lacks it.
    let text = match message.text_part(0).map(|part| &part.body) {
        Some(PartType::Text(text)) => text.to_string(),
        _ => String::new(),
    };
    let html = match message.html_part(0).map(|part| &part.body) {
        Some(PartType::Html(html)) => html.to_string(),
        _ => String::new(),
    };
    ReceivedEmail {
        from,
        to,
        subject: message.subject().unwrap_or_default().to_owned(),
        text,
        html,
    }
}
