//! Sending through a real SMTP server (aiosmtpd, started per test) and to files.

use std::net::TcpListener;
use std::path::PathBuf;

use almanac_mail::{Delivery, Email, MailError, MailSettings, Mailer, SmtpTls, TransportSettings};
use almanac_test_support::smtp::SmtpServer;
use mail_parser::MessageParser;

const FROM: &str = "Almanac Test <noreply@almanac.test>";

/// Long enough that quoted-printable must wrap it, with `=` (the escape character of
/// quoted-printable) and `&` (which HTML escapes): both must come back exactly.
const LINK: &str = "https://publisher.almanac.test/auth/reset-password?token=AbC123-very-long-\
                    token-value-0123456789abcdefghijklmnopqrstuvwxyz0123456789&user=42&next=%2F\
                    dashboard%3Fview%3Dall";

fn email(to: &str) -> Email {
    Email {
        to: to.to_owned(),
        subject: "Reset your Almanac password – café".to_owned(),
        text: format!(
            "Hello,\n\nChoose a new password:\n\n{LINK}\n\nThe link expires in 1 hour.\n"
        ),
        html: format!(
            "<p>Hello,</p><p><a href=\"{}\">Choose a new password</a></p>",
            LINK.replace('&', "&amp;")
        ),
    }
}

#[tokio::test]
async fn a_message_arrives_with_both_bodies_intact() {
    let server = SmtpServer::start();
    let mailer = Mailer::from_settings(&server.settings(FROM)).unwrap();
    assert_eq!(
        mailer.describe(),
        format!("SMTP 127.0.0.1:{} (no TLS)", server.port())
    );

    let delivery = mailer.send(&email("Editor <editor@example.gov.uk>")).await;
    assert_eq!(delivery.unwrap(), Delivery::Sent);

    let messages = server.wait_for_messages(1);
    assert_eq!(messages.len(), 1);
    let received = &messages[0];
    assert_eq!(received.from, "noreply@almanac.test");
    assert_eq!(received.to, ["editor@example.gov.uk"]);
    assert_eq!(received.subject, "Reset your Almanac password – café");
    assert!(received.text.contains(LINK), "{}", received.text);
    assert!(
        received.text.contains("expires in 1 hour"),
        "{}",
        received.text
    );
    assert!(
        received.html.contains(&LINK.replace('&', "&amp;")),
        "{}",
        received.html
    );
}

#[tokio::test]
async fn one_mailer_sends_several_messages_in_order() {
    let server = SmtpServer::start();
    let mailer = Mailer::from_settings(&server.settings(FROM)).unwrap();
    for n in 1..=3 {
        let mut message = email(&format!("user{n}@example.org"));
        message.subject = format!("Message {n}");
        mailer.send(&message).await.unwrap();
    }
    let subjects: Vec<String> = server
        .wait_for_messages(3)
        .into_iter()
        .map(|received| received.subject)
        .collect();
    assert_eq!(subjects, ["Message 1", "Message 2", "Message 3"]);
}

#[tokio::test]
async fn an_invalid_recipient_is_refused_before_sending() {
    let server = SmtpServer::start();
    let mailer = Mailer::from_settings(&server.settings(FROM)).unwrap();
    let outbox = tempfile::tempdir().unwrap();
    let files = Mailer::from_settings(&files_settings(outbox.path().join("mail"))).unwrap();

    for to in ["not an address", "editor@", "a@b.org\r\nBcc: x@y.org", ""] {
        for mailer in [&mailer, &files] {
            let error = mailer.send(&email(to)).await.unwrap_err();
            assert!(
                matches!(&error, MailError::InvalidRecipient(recipient) if recipient == to),
                "{error:?}"
            );
            assert!(
                error.to_string().contains("not a valid email address"),
                "{error}"
            );
        }
    }
    assert_eq!(
        error_message(&mailer, "nobody").await,
        "cannot send email to “nobody”: not a valid email address"
    );
    assert!(server.messages().is_empty());
    assert!(!outbox.path().join("mail").exists());
}

#[tokio::test]
async fn a_refused_connection_names_the_server() {
    // A port that was free a moment ago: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mailer = Mailer::from_settings(&MailSettings {
        from: FROM.to_owned(),
        transport: TransportSettings::Smtp {
            host: "127.0.0.1".to_owned(),
            port,
            tls: SmtpTls::None,
            credentials: None,
        },
    })
    .unwrap();
    let error = mailer.send(&email("editor@example.org")).await.unwrap_err();
    assert!(matches!(error, MailError::Smtp { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    assert!(message.contains("refused"), "{message}");
}

#[tokio::test]
async fn the_file_transport_writes_a_complete_message() {
    let outbox = tempfile::tempdir().unwrap();
    let dir = outbox.path().join("not-yet-created");
    let mailer = Mailer::from_settings(&files_settings(dir.clone())).unwrap();
    assert_eq!(mailer.describe(), format!("files in {}", dir.display()));

    let Delivery::Written(path) = mailer.send(&email("editor@example.org")).await.unwrap() else {
        panic!("expected a file");
    };
    assert_eq!(path.parent(), Some(dir.as_path()));
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(
        name.ends_with("-reset-your-almanac-password-cafe.eml"),
        "{name}"
    );

    let raw = std::fs::read(&path).unwrap();
    let message = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(
        message.subject(),
        Some("Reset your Almanac password – café")
    );
    let address = |list: Option<&mail_parser::Address>| {
        list.and_then(|list| list.first())
            .and_then(|address| address.address())
            .map(str::to_owned)
    };
    assert_eq!(
        address(message.from()).as_deref(),
        Some("noreply@almanac.test")
    );
    assert_eq!(address(message.to()).as_deref(), Some("editor@example.org"));
    assert!(message.body_text(0).unwrap().contains(LINK));
    assert!(
        message
            .body_html(0)
            .unwrap()
            .contains(&LINK.replace('&', "&amp;"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_names_are_unique_within_a_millisecond() {
    let outbox = tempfile::tempdir().unwrap();
    let mailer = Mailer::from_settings(&files_settings(outbox.path().to_owned())).unwrap();
    // Concurrent sends of one message, so that several land in the same millisecond.
    let mut sends = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let mailer = mailer.clone();
        sends.spawn(async move { mailer.send(&email("editor@example.org")).await });
    }
    let mut paths = Vec::new();
    while let Some(delivery) = sends.join_next().await {
        let Delivery::Written(path) = delivery.unwrap().unwrap() else {
            panic!("expected a file");
        };
        paths.push(path);
    }
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), 20);
    assert_eq!(std::fs::read_dir(outbox.path()).unwrap().count(), 20);
}

fn files_settings(dir: PathBuf) -> MailSettings {
    MailSettings {
        from: FROM.to_owned(),
        transport: TransportSettings::Files { dir },
    }
}

async fn error_message(mailer: &Mailer, to: &str) -> String {
    mailer.send(&email(to)).await.unwrap_err().to_string()
}
