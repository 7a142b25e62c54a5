//! Error reports to Sentry.

use std::borrow::Cow;
use std::collections::BTreeMap;

use sentry::protocol::{Event, Level};
use sentry::types::Dsn;
use uuid::Uuid;

/// The `tracing` target of log lines whose error was already sent to Sentry by a report
/// below; the Sentry layer skips it so that each failure is reported once.
pub const REPORTED_TARGET: &str = "almanac::reported";

/// The Sentry client settings of a binary. `init` uses them; tests add a test transport.
pub fn sentry_options(
    service: &'static str,
    environment: &str,
    dsn: Option<Dsn>,
    release: Option<Cow<'static, str>>,
) -> sentry::ClientOptions {
    let mut options = sentry::ClientOptions::new()
        .maybe_release(release)
        .environment(environment.to_owned())
        // Personal data stays out of reports: no cookies, headers or addresses of the
        // request, and a user is named by id only (`identify_user`).
        .send_default_pii(false)
        .attach_stacktrace(true)
        .before_send(move |mut event| {
            event.tags.insert("service".to_owned(), service.to_owned());
            Some(event)
        });
    // Set directly: without a DSN the client is disabled and opens no connection.
    options.dsn = dsn;
    options
}

/// A response with a 5xx status, as the binary's error handling saw it. Logged (with the
/// request's span: request id, user id) and sent to Sentry with the status as a tag.
pub fn report_server_error(status: u16, error: &(dyn std::error::Error + 'static)) -> Uuid {
    tracing::error!(target: REPORTED_TARGET, status, error = %error, "request failed");
    sentry::with_scope(
        |scope| scope.set_tag("status", status),
        || sentry::capture_error(error),
    )
}

/// A site build that failed. Logged, and sent to Sentry tagged with its build id; the
/// environment comes from the client (`init`). Returns the Sentry event id (nil when Sentry
/// is off).
pub fn report_build_failure(build_id: Uuid, reason: &str) -> Uuid {
    tracing::error!(target: REPORTED_TARGET, %build_id, reason, "build failed");
    sentry::capture_event(Event {
        level: Level::Error,
        logger: Some("almanac::build".to_owned()),
        message: Some(format!("site build failed: {reason}")),
        // Grouped by reason, not by build: the same failure on every build is one issue.
        fingerprint: Cow::Owned(vec![
            Cow::Borrowed("site-build-failed"),
            Cow::Owned(reason.to_owned()),
        ]),
        tags: BTreeMap::from([("build_id".to_owned(), build_id.to_string())]),
        ..Event::default()
    })
}

/// Names the signed-in user of the current request: on the current span (a `user_id`
/// field declared empty when the span was made) and on the current Sentry scope, by id only.
pub fn identify_user(user_id: i32) {
    tracing::Span::current().record("user_id", user_id);
    sentry::configure_scope(|scope| {
        scope.set_user(Some(sentry::User {
            id: Some(user_id.to_string()),
            ..sentry::User::default()
        }));
    });
}

/// An error and its causes on one line, for a person at a terminal. Many errors already
/// name their cause in their own message (`cannot read {path}: {source}`), so a cause
/// whose text is already there is not repeated.
pub fn describe_error(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        let said = error.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        cause = error.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sentry::test::TestTransport;

    use super::*;

    /// Runs `work` on a hub whose client has the binaries' options and keeps what it sends.
    fn captured(environment: &str, work: impl FnOnce()) -> Vec<Event<'static>> {
        let transport = TestTransport::new();
        let options = sentry_options(
            "site-builder",
            environment,
            Some("https://public@sentry.invalid/1".parse().unwrap()),
            Some("site-builder@0.1.0".into()),
        )
        .transport(transport.clone());
        let client = Arc::new(sentry::Client::from(sentry::apply_defaults(options)));
        sentry::Hub::run(
            Arc::new(sentry::Hub::new(Some(client), Default::default())),
            work,
        );
        transport.fetch_and_clear_events()
    }

    #[test]
    fn a_build_failure_is_reported_with_its_build_id_and_environment() {
        let build_id = Uuid::new_v4();
        let events = captured("staging", || {
            report_build_failure(build_id, "the link check found 3 broken links");
        });
        assert_eq!(events.len(), 1, "{events:?}");
        let event = &events[0];
        assert_eq!(event.level, Level::Error);
        assert_eq!(event.tags["build_id"], build_id.to_string());
        assert_eq!(event.tags["service"], "site-builder");
        assert_eq!(event.environment.as_deref(), Some("staging"));
        assert_eq!(event.release.as_deref(), Some("site-builder@0.1.0"));
        assert_eq!(
            event.message.as_deref(),
            Some("site build failed: the link check found 3 broken links")
        );
    }

    #[test]
    fn a_server_error_is_reported_with_its_status() {
        let error = std::io::Error::other("the disk is full");
        let events = captured("production", || {
            report_server_error(500, &error);
        });
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].tags["status"], "500");
        assert_eq!(events[0].environment.as_deref(), Some("production"));
        assert_eq!(
            events[0].exception.values[0].value.as_deref(),
            Some("the disk is full")
        );
    }

    #[test]
    fn a_user_is_named_by_id_only() {
        let events = captured("production", || {
            identify_user(42);
            sentry::capture_message("something went wrong", Level::Error);
        });
        let user = events[0].user.as_ref().expect("a user");
        assert_eq!(user.id.as_deref(), Some("42"));
        assert_eq!(user.email, None);
        assert_eq!(user.ip_address, None);
    }

    #[test]
    fn nothing_is_sent_without_a_dsn() {
        let options = sentry_options("publisher", "development", None, None);
        let client = sentry::Client::from(sentry::apply_defaults(options));
        assert!(!client.is_enabled());
    }

    #[derive(Debug, thiserror::Error)]
    enum Outer {
        #[error("assets: {0}")]
        Assets(#[source] Inner),
        #[error("the build stalled")]
        Stalled(#[source] std::io::Error),
    }

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read fonts: {source}")]
    struct Inner {
        source: std::io::Error,
    }

    #[test]
    fn names_each_cause_once() {
        let missing = || std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let error = Outer::Assets(Inner { source: missing() });
        assert_eq!(
            describe_error(&error),
            "assets: cannot read fonts: no such file"
        );
        let error = Outer::Stalled(missing());
        assert_eq!(describe_error(&error), "the build stalled: no such file");
    }
}
