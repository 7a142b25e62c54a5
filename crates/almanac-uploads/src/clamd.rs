//! A client for the ClamAV daemon's INSTREAM command.
//!
//! The protocol is small enough to implement here (about a page) rather than depend on a
//! crate. `clamav-client`, the maintained one, was considered and not taken: it has no
//! timeouts, returns clamd's raw reply bytes for every caller to interpret, and, when clamd
//! refuses a stream that is too long, reports the broken pipe of the next write instead of
//! clamd's "size limit exceeded" answer, which is the one message that tells an operator what
//! to change.
//!
//! The exchange, over TCP or a unix socket, one connection per command:
//!
//! ```text
//! -> zINSTREAM\0  { <u32 big-endian length> <bytes> }*  <u32 0>
//! <- stream: OK\0 | stream: <signature> FOUND\0 | <message> ERROR\0
//! -> zPING\0
//! <- PONG\0
//! ```

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};

use crate::UploadError;

/// Bytes per INSTREAM chunk: clamd's own clamdscan uses a few KiB; larger chunks mean fewer
/// writes, and 64 KiB stays far below any sane StreamMaxLength.
pub const CHUNK_SIZE: usize = 64 * 1024;
/// clamd on the same network answers a connection at once; waiting longer only makes the
/// editor wait for the same failure.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Sending and scanning a 50 MiB CSV takes well under a second on an idle clamd; a minute
/// leaves room for a busy one without holding an editor's request forever.
pub const DEFAULT_REPLY_TIMEOUT: Duration = Duration::from_secs(60);
/// clamd's replies are one short line; anything longer is not clamd.
const MAX_REPLY: usize = 4096;

/// Where clamd listens: its `TCPSocket`/`TCPAddr` or its `LocalSocket`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ClamdAddress {
    /// `host:port`, e.g. `127.0.0.1:3310` or `clamav.internal:3310`.
    Tcp(String),
    /// The path of clamd's unix socket, e.g. `/run/clamav/clamd.ctl`.
    Unix(PathBuf),
}

impl FromStr for ClamdAddress {
    type Err = String;

    /// `host:port` for TCP; an absolute path, or `unix:` and a path, for a unix socket.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if let Some(path) = text.strip_prefix("unix:") {
            return if path.is_empty() {
                Err("give the socket's path after unix:".to_owned())
            } else {
                Ok(ClamdAddress::Unix(PathBuf::from(path)))
            };
        }
        if text.starts_with('/') {
            return Ok(ClamdAddress::Unix(PathBuf::from(text)));
        }
        match text.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0) => {
                Ok(ClamdAddress::Tcp(text.to_owned()))
            }
            _ => Err(
                "use host:port (e.g. 127.0.0.1:3310) or the path of clamd's unix socket \
                 (e.g. /run/clamav/clamd.ctl)"
                    .to_owned(),
            ),
        }
    }
}

impl fmt::Display for ClamdAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClamdAddress::Tcp(address) => f.write_str(address),
            ClamdAddress::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// clamd's verdict on a file it did scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanVerdict {
    Clean,
    /// `signature` is clamd's name for what it found, e.g. `Win.Test.EICAR_HDB-1`.
    Infected {
        signature: String,
    },
}

/// A virus scanner: a ClamAV daemon. There is deliberately no fake: tests run a real clamd
/// (`almanac_test_support::clamd`), so what passes there is what production does.
#[derive(Debug, Clone)]
pub struct Clamd {
    address: ClamdAddress,
    connect_timeout: Duration,
    reply_timeout: Duration,
}

impl Clamd {
    pub fn new(address: ClamdAddress) -> Clamd {
        Clamd {
            address,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            reply_timeout: DEFAULT_REPLY_TIMEOUT,
        }
    }

    /// Other limits for connecting and for the whole exchange after it (sending the file and
    /// waiting for the verdict).
    pub fn with_timeouts(mut self, connect: Duration, reply: Duration) -> Clamd {
        self.connect_timeout = connect;
        self.reply_timeout = reply;
        self
    }

    pub fn address(&self) -> &ClamdAddress {
        &self.address
    }

    /// Whether clamd is up: for a start-up check or a health page.
    pub async fn ping(&self) -> Result<(), UploadError> {
        let reply = self.exchange(b"zPING\0", None).await?;
        if reply == "PONG" {
            Ok(())
        } else {
            Err(self.failed(format!("answered {reply:?} to PING instead of PONG")))
        }
    }

    /// Scans `bytes` with INSTREAM. `Ok` only when clamd scanned them: a connection, timeout
    /// or protocol problem, and clamd's own errors (such as a file longer than its
    /// `StreamMaxLength`), are [`UploadError::ScanFailed`], and the caller must then refuse
    /// the file, because it was not scanned.
    pub async fn scan(&self, bytes: &[u8]) -> Result<ScanVerdict, UploadError> {
        let reply = self.exchange(b"zINSTREAM\0", Some(bytes)).await?;
        verdict(&reply).map_err(|problem| self.failed(problem))
    }

    /// Sends one command (and for INSTREAM its stream) on a new connection and returns the
    /// reply without its terminating NUL.
    async fn exchange(&self, command: &[u8], stream: Option<&[u8]>) -> Result<String, UploadError> {
        let connected = tokio::time::timeout(self.connect_timeout, async {
            match &self.address {
                ClamdAddress::Tcp(address) => {
                    TcpStream::connect(address.as_str())
                        .await
                        .and_then(|socket| {
                            // Each chunk is one write; without this the tail of one can wait for
                            // an ACK that delayed acknowledgement holds back.
                            socket.set_nodelay(true)?;
                            Ok(Connection::Tcp(socket))
                        })
                }
                ClamdAddress::Unix(path) => UnixStream::connect(path).await.map(Connection::Unix),
            }
        })
        .await;
        let connection = match connected {
            Err(_) => {
                return Err(self.failed(format!(
                    "did not accept a connection within {:?}",
                    self.connect_timeout
                )));
            }
            Ok(Err(error)) => return Err(self.failed(format!("could not connect: {error}"))),
            Ok(Ok(connection)) => connection,
        };
        let talked = tokio::time::timeout(self.reply_timeout, async {
            match connection {
                Connection::Tcp(socket) => talk(socket, command, stream).await,
                Connection::Unix(socket) => talk(socket, command, stream).await,
            }
        })
        .await;
        match talked {
            Err(_) => Err(self.failed(format!("did not answer within {:?}", self.reply_timeout))),
            Ok(Err(problem)) => Err(self.failed(problem)),
            Ok(Ok(reply)) => Ok(reply),
        }
    }

    fn failed(&self, problem: String) -> UploadError {
        UploadError::ScanFailed(format!("clamd at {}: {problem}", self.address))
    }
}

enum Connection {
    Tcp(TcpStream),
    Unix(UnixStream),
}

async fn talk<S>(mut socket: S, command: &[u8], stream: Option<&[u8]>) -> Result<String, String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let sent = send(&mut socket, command, stream).await;
    // Read even when sending failed: clamd answers a stream over its StreamMaxLength with an
    // error and closes the connection, so the write fails, yet the answer is waiting.
    let reply = read_reply(&mut socket).await;
    match (sent, reply) {
        (_, Ok(reply)) if !reply.is_empty() => Ok(reply),
        (Err((sent_bytes, error)), _) => Err(match stream {
            Some(_) => format!(
                "closed the connection after {sent_bytes} bytes of the file ({error}); a file \
                 longer than clamd's StreamMaxLength setting ends like this"
            ),
            None => format!("sending the command failed: {error}"),
        }),
        (Ok(()), Err(error)) => Err(format!("reading the answer failed: {error}")),
        (Ok(()), Ok(_)) => Err("closed the connection without answering".to_owned()),
    }
}

/// The command, then the stream's chunks and the zero-length end marker. On failure, how
/// many bytes of the stream had been sent.
async fn send<S>(
    socket: &mut S,
    command: &[u8],
    stream: Option<&[u8]>,
) -> Result<(), (usize, std::io::Error)>
where
    S: AsyncWrite + Unpin,
{
    socket
        .write_all(command)
        .await
        .map_err(|error| (0, error))?;
    if let Some(bytes) = stream {
        let mut frame = Vec::with_capacity(4 + CHUNK_SIZE.min(bytes.len()));
        let mut sent = 0;
        for chunk in bytes.chunks(CHUNK_SIZE) {
            frame.clear();
            // A chunk is at most CHUNK_SIZE, so the length always fits.
            frame.extend_from_slice(&(chunk.len() as u32).to_be_bytes());
            frame.extend_from_slice(chunk);
            socket
                .write_all(&frame)
                .await
                .map_err(|error| (sent, error))?;
            sent += chunk.len();
        }
        socket
            .write_all(&0u32.to_be_bytes())
            .await
            .map_err(|error| (sent, error))?;
    }
    socket
        .flush()
        .await
        .map_err(|error| (stream.map_or(0, <[u8]>::len), error))
}

/// Up to the terminating NUL, or to the end of the connection.
async fn read_reply<S>(socket: &mut S) -> std::io::Result<String>
where
    S: AsyncRead + Unpin,
{
    let mut reply = Vec::new();
    let mut buffer = [0u8; 512];
    loop {
        let read = socket.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        reply.extend_from_slice(&buffer[..read]);
        if let Some(end) = reply.iter().position(|&byte| byte == 0) {
            reply.truncate(end);
            break;
        }
        if reply.len() > MAX_REPLY {
            return Err(std::io::Error::other(
                "the answer is far longer than clamd's; is this address really clamd?",
            ));
        }
    }
    Ok(String::from_utf8_lossy(&reply).trim().to_owned())
}

fn verdict(reply: &str) -> Result<ScanVerdict, String> {
    if reply.contains("size limit exceeded") {
        return Err(format!(
            "{reply:?}: the file is longer than clamd's StreamMaxLength setting; set it in \
             clamd.conf to at least UPLOAD_MAX_BYTES"
        ));
    }
    let Some(result) = reply.strip_prefix("stream: ") else {
        return Err(format!("unexpected answer {reply:?}"));
    };
    if result == "OK" {
        Ok(ScanVerdict::Clean)
    } else if let Some(signature) = result.strip_suffix(" FOUND") {
        Ok(ScanVerdict::Infected {
            signature: signature.to_owned(),
        })
    } else {
        Err(format!("could not scan the file: {result:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_clamds_answers() {
        assert_eq!(verdict("stream: OK"), Ok(ScanVerdict::Clean));
        assert_eq!(
            verdict("stream: Win.Test.EICAR_HDB-1 FOUND"),
            Ok(ScanVerdict::Infected {
                signature: "Win.Test.EICAR_HDB-1".to_owned()
            })
        );
        let error = verdict("INSTREAM size limit exceeded. ERROR").unwrap_err();
        assert!(error.contains("StreamMaxLength"), "{error}");
        assert!(verdict("stream: Can't allocate memory ERROR").is_err());
        assert!(verdict("HTTP/1.1 400 Bad Request").is_err());
    }

    #[test]
    fn parses_addresses() {
        assert_eq!(
            "127.0.0.1:3310".parse(),
            Ok(ClamdAddress::Tcp("127.0.0.1:3310".to_owned()))
        );
        assert_eq!(
            "/run/clamav/clamd.ctl".parse(),
            Ok(ClamdAddress::Unix("/run/clamav/clamd.ctl".into()))
        );
        assert_eq!(
            "unix:/tmp/c.sock".parse(),
            Ok(ClamdAddress::Unix("/tmp/c.sock".into()))
        );
        assert_eq!(
            ClamdAddress::Unix("/tmp/c.sock".into()).to_string(),
            "unix:/tmp/c.sock"
        );
        for bad in ["clamav", "clamav:", ":3310", "host:99999", "unix:"] {
            assert!(bad.parse::<ClamdAddress>().is_err(), "{bad}");
        }
    }
}
