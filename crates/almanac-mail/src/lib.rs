//! Outgoing email.
//!
//! A [`Mailer`] is built once from [`MailSettings`] (read from `SMTP_*`, `MAIL_FROM` and
//! `MAIL_DIR`) and sends each [`Email`] either through an SMTP server or, when no server is
//! configured, by writing it as an `.eml` file. The file transport lets development and demos
//! run without a mail server while still producing the exact message SMTP would carry, which
//! any mail client can open.
//!
//! Every message is multipart/alternative with a plain-text and an HTML body, because some
//! recipients read mail as text only.

mod settings;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::{AsyncSmtpTransport, AsyncSmtpTransportBuilder};
use lettre::{AsyncTransport, Message, Tokio1Executor};
use tokio::io::AsyncWriteExt;

pub use settings::{DEFAULT_FROM, DEFAULT_MAIL_DIR, MailSettings, SmtpTls, TransportSettings};

/// One message: both bodies are required (HTML + plain text alternative).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// One mailbox: `someone@example.org` or `Someone <someone@example.org>`.
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Sends email through the transport chosen by the settings.
#[derive(Debug, Clone)]
pub enum Mailer {
    Smtp(SmtpMailer),
    Files(FileMailer),
}

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Accepted by the SMTP server.
    Sent,
    /// Written to this `.eml` file.
    Written(PathBuf),
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("cannot send email to “{0}”: not a valid email address")]
    InvalidRecipient(String),
    #[error("the sender “{from}” is not a valid mailbox: {reason}")]
    InvalidSender { from: String, reason: String },
    #[error("could not build the email: {0}")]
    Build(lettre::error::Error),
    #[error("could not send email through the SMTP server {server}: {source}")]
    Smtp {
        /// `host:port`
        server: String,
        source: lettre::transport::smtp::Error,
    },
    #[error("could not write email to {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Sends through an SMTP server, reusing connections between messages.
#[derive(Clone)]
pub struct SmtpMailer {
    from: Mailbox,
    host: String,
    port: u16,
    tls: SmtpTls,
    // Shared so that clones of the mailer share one connection pool.
    connection: Arc<SmtpConnection>,
}

struct SmtpConnection {
    builder: AsyncSmtpTransportBuilder,
    // Built on first use rather than in `from_settings`: lettre's connection pool spawns a
    // tokio task when it is created, which would panic if the settings were read before the
    // runtime started.
    transport: OnceLock<AsyncSmtpTransport<Tokio1Executor>>,
}

/// Writes each message to an `.eml` file in a folder.
#[derive(Debug, Clone)]
pub struct FileMailer {
    from: Mailbox,
    dir: PathBuf,
}

impl Mailer {
    /// Checks the sender and the SMTP parameters; makes no connection.
    pub fn from_settings(settings: &MailSettings) -> Result<Mailer, MailError> {
        let from = settings.from.parse::<Mailbox>().map_err(|error| {
            let reason = error.to_string();
            MailError::InvalidSender {
                from: settings.from.clone(),
                reason,
            }
        })?;
        match &settings.transport {
            TransportSettings::Files { dir } => Ok(Mailer::Files(FileMailer {
                from,
                dir: dir.clone(),
            })),
            TransportSettings::Smtp {
                host,
                port,
                tls,
                credentials,
            } => {
                let smtp_error = |source| MailError::Smtp {
                    server: format!("{host}:{port}"),
                    source,
                };
                let mut builder = match tls {
                    SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
                    SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                        .map_err(smtp_error)?,
                    SmtpTls::Tls => {
                        AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(smtp_error)?
                    }
                }
                .port(*port);
                if let Some((username, password)) = credentials {
                    builder =
                        builder.credentials(Credentials::new(username.clone(), password.clone()));
                }
                Ok(Mailer::Smtp(SmtpMailer {
                    from,
                    host: host.clone(),
                    port: *port,
                    tls: *tls,
                    connection: Arc::new(SmtpConnection {
                        builder,
                        transport: OnceLock::new(),
                    }),
                }))
            }
        }
    }

    /// Sends one message. An invalid recipient is refused before any connection is made.
    pub async fn send(&self, email: &Email) -> Result<Delivery, MailError> {
        match self {
            Mailer::Smtp(mailer) => {
                let message = build_message(&mailer.from, email)?;
                mailer.send(message).await?;
                Ok(Delivery::Sent)
            }
            Mailer::Files(mailer) => {
                let message = build_message(&mailer.from, email)?;
                let path = mailer.write(&message, &email.subject).await?;
                tracing::info!(to = %email.to, path = %path.display(), "email written to file");
                Ok(Delivery::Written(path))
            }
        }
    }

    /// Where mail goes, for the start-up log: "SMTP smtp.example.org:587 (STARTTLS)" or
    /// "files in .data/mail".
    pub fn describe(&self) -> String {
        match self {
            Mailer::Smtp(mailer) => {
                format!("SMTP {}:{} ({})", mailer.host, mailer.port, mailer.tls)
            }
            Mailer::Files(mailer) => format!("files in {}", mailer.dir.display()),
        }
    }
}

fn build_message(from: &Mailbox, email: &Email) -> Result<Message, MailError> {
    let to: Mailbox = email
        .to
        .parse()
        .map_err(|_| MailError::InvalidRecipient(email.to.clone()))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(&email.subject)
        .multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            email.html.clone(),
        ))
        .map_err(MailError::Build)
}

impl SmtpMailer {
    async fn send(&self, message: Message) -> Result<(), MailError> {
        let connection = &*self.connection;
        let transport = connection
            .transport
            .get_or_init(|| connection.builder.clone().build());
        transport
            .send(message)
            .await
            .map(drop)
            .map_err(|source| MailError::Smtp {
                server: format!("{}:{}", self.host, self.port),
                source,
            })
    }
}

impl std::fmt::Debug for SmtpMailer {
    // The connection's builder holds the credentials, so it stays out of the output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

/// Numbers the files this process writes, so that two messages in the same millisecond get
/// different names.
static NEXT_FILE: AtomicU64 = AtomicU64::new(0);

impl FileMailer {
    async fn write(&self, message: &Message, subject: &str) -> Result<PathBuf, MailError> {
        let write_error = |path: &Path| {
            let path = path.to_owned();
            move |source| MailError::Write { path, source }
        };
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(write_error(&self.dir))?;
        // Timestamp first so that a folder listing is in sending order.
        let timestamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
        let slug = subject_slug(subject);
        let contents = message.formatted();
        loop {
            let number = NEXT_FILE.fetch_add(1, Ordering::Relaxed);
            let path = self.dir.join(format!("{timestamp}-{number:04}-{slug}.eml"));
            // create_new, because another process writing to the same folder numbers its
            // files from zero too: on a clash, take the next number rather than overwrite.
            let opened = tokio::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .await;
            let mut file = match opened {
                Ok(file) => file,
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(error) => return Err(write_error(&path)(error)),
            };
            file.write_all(&contents)
                .await
                .map_err(write_error(&path))?;
            file.flush().await.map_err(write_error(&path))?;
            return Ok(path);
        }
    }
}

/// A short, file-name-safe summary of the subject, so that a folder of messages is readable.
fn subject_slug(subject: &str) -> String {
    let slug = slug::slugify(subject);
    let mut slug: String = slug.chars().take(60).collect();
    while slug.ends_with('-') {
        slug.pop();
    }
    if slug.is_empty() {
        "message".to_owned()
    } else {
        slug
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_short_and_never_empty() {
        assert_eq!(
            subject_slug("Your Almanac account: set a password"),
            "your-almanac-account-set-a-password"
        );
        assert_eq!(subject_slug("¿¡!?"), "message");
        assert!(subject_slug(&"word ".repeat(40)).len() <= 60);
        assert!(!subject_slug(&"word ".repeat(40)).ends_with('-'));
    }

    #[test]
    fn describes_where_mail_goes() {
        let smtp = Mailer::from_settings(&MailSettings {
            from: DEFAULT_FROM.to_owned(),
            transport: TransportSettings::Smtp {
                host: "smtp.example.org".to_owned(),
                port: 587,
                tls: SmtpTls::StartTls,
                credentials: Some(("user".to_owned(), "hunter2".to_owned())),
            },
        })
        .unwrap();
        assert_eq!(smtp.describe(), "SMTP smtp.example.org:587 (STARTTLS)");
        assert!(!format!("{smtp:?}").contains("hunter2"));
        let files = Mailer::from_settings(&MailSettings {
            from: DEFAULT_FROM.to_owned(),
            transport: TransportSettings::Files {
                dir: PathBuf::from(".data/mail"),
            },
        })
        .unwrap();
        assert_eq!(files.describe(), "files in .data/mail");
    }

    #[test]
    fn an_invalid_sender_is_refused_when_the_mailer_is_built() {
        let error = Mailer::from_settings(&MailSettings {
            from: "Almanac".to_owned(),
            transport: TransportSettings::Files {
                dir: PathBuf::from(".data/mail"),
            },
        })
        .unwrap_err();
        assert!(matches!(error, MailError::InvalidSender { .. }), "{error}");
    }
}
