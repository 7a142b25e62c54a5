//! Failed and stalled builds are reported to every active developer by email, straight away
//! and then again on a fixed interval until someone acknowledges the build.
//!
//! A stalled build is one whose builder stopped renewing its lease: this job fails it (the
//! queue's own rule) before looking for builds to report, so a stall is noticed within one
//! run of the job, whatever the time of day. Reports go out in order of failure; a build is
//! marked as reported only once every developer's email was accepted, so a mail outage
//! delays reports but never loses them.

use askama::Template;
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use almanac_content::UserType;
use almanac_content::schema::{build, users};
use almanac_mail::{Email, Mailer};

/// One failed build that is due a report.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = build)]
pub struct BuildAlert {
    #[diesel(column_name = id)]
    pub build_id: Uuid,
    pub requested_by: String,
    pub reason: String,
    pub builder: Option<String>,
    #[diesel(select_expression = build::failed_at.assume_not_null())]
    #[diesel(select_expression_type = diesel::dsl::AssumeNotNull<build::failed_at>)]
    pub failed_at: DateTime<Utc>,
    #[diesel(select_expression = build::failure_reason.assume_not_null())]
    #[diesel(select_expression_type = diesel::dsl::AssumeNotNull<build::failure_reason>)]
    pub failure_reason: String,
    #[diesel(column_name = alerts_sent)]
    pub reports_sent: i32,
}

impl BuildAlert {
    /// Whether the builder died rather than the build failing (see `queue::fail_expired`).
    pub fn stalled(&self) -> bool {
        self.failure_reason == almanac_build::queue::STALLED_REASON
    }
}

/// Where reports go and what they say about this deployment.
#[derive(Debug, Clone)]
pub struct AlertSettings {
    /// "production", "staging"…: in every subject, so nobody mistakes a test alert.
    pub environment: String,
    /// The publisher's address, for the link to the builds page.
    pub publisher_url: String,
    /// How long until an unacknowledged build is reported again.
    pub repeat: chrono::Duration,
}

/// Failed builds, unacknowledged, never reported or last reported at least `repeat` ago.
pub fn due(
    conn: &mut PgConnection,
    repeat: chrono::Duration,
    now: DateTime<Utc>,
) -> QueryResult<Vec<BuildAlert>> {
    build::table
        .filter(build::status.eq("FAILED"))
        .filter(build::acknowledged_at.is_null())
        .filter(
            build::alerted_at
                .is_null()
                .or(build::alerted_at.le(now - repeat)),
        )
        .order(build::failed_at)
        .select(BuildAlert::as_select())
        .load(conn)
}

/// Every active developer's address.
pub fn recipients(conn: &mut PgConnection) -> QueryResult<Vec<String>> {
    users::table
        .filter(users::user_type.eq(UserType::Developer.as_str()))
        .filter(users::active.eq(true))
        .order(users::email)
        .select(users::email)
        .load(conn)
}

#[derive(Template)]
#[template(path = "email/build_alert.txt")]
struct AlertText<'a> {
    alert: &'a BuildAlert,
    headline: &'a str,
    environment: &'a str,
    failed_at: String,
    repeat: String,
    builds_page: &'a str,
}

#[derive(Template)]
#[template(path = "email/build_alert.html")]
struct AlertHtml<'a> {
    subject: &'a str,
    alert: &'a BuildAlert,
    headline: &'a str,
    environment: &'a str,
    failed_at: String,
    repeat: String,
    builds_page: &'a str,
}

fn short_id(id: Uuid) -> String {
    id.simple().to_string()[..8].to_owned()
}

fn describe(duration: chrono::Duration) -> String {
    match (duration.num_minutes(), duration.num_seconds()) {
        (0, seconds) => format!("{seconds} seconds"),
        (1, _) => "minute".to_owned(),
        (60, _) => "hour".to_owned(),
        (minutes, _) if minutes % 60 == 0 => format!("{} hours", minutes / 60),
        (minutes, _) => format!("{minutes} minutes"),
    }
}

/// The report for one build, to one developer.
pub fn compose(
    alert: &BuildAlert,
    to: &str,
    settings: &AlertSettings,
) -> Result<Email, askama::Error> {
    let what = if alert.stalled() { "stalled" } else { "failed" };
    let subject = format!(
        "[{}] Site build {} {what}{}",
        settings.environment,
        short_id(alert.build_id),
        if alert.reports_sent > 0 {
            " (still unacknowledged)"
        } else {
            ""
        }
    );
    let headline = if alert.stalled() {
        "A site build stalled: its builder stopped while building."
    } else {
        "A site build failed; nothing of it was deployed."
    };
    let builds_page = format!(
        "{}/admin/builds",
        settings.publisher_url.trim_end_matches('/')
    );
    let failed_at = alert
        .failed_at
        .format("%-d %B %Y at %H:%M:%S UTC")
        .to_string();
    let repeat = describe(settings.repeat);
    let text = AlertText {
        alert,
        headline,
        environment: &settings.environment,
        failed_at: failed_at.clone(),
        repeat: repeat.clone(),
        builds_page: &builds_page,
    }
    .render()?;
    let html = AlertHtml {
        subject: &subject,
        alert,
        headline,
        environment: &settings.environment,
        failed_at,
        repeat,
        builds_page: &builds_page,
    }
    .render()?;
    Ok(Email {
        to: to.to_owned(),
        subject,
        text,
        html,
    })
}

/// Records that a build's report went out.
pub fn mark_reported(
    conn: &mut PgConnection,
    build_id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(build::table.find(build_id))
        .set((
            build::alerted_at.eq(now),
            build::alerts_sent.eq(build::alerts_sent + 1),
        ))
        .execute(conn)
        .map(drop)
}

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("could not write the report: {0}")]
    Template(#[from] askama::Error),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// What one run of the job did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertRun {
    /// Builds this run found stalled and failed.
    pub stalled: Vec<Uuid>,
    /// Builds reported (every developer's email accepted), with whether it was the first
    /// report: the first also goes to Sentry.
    pub reported: Vec<(BuildAlert, bool)>,
    /// Emails that could not be sent; their builds are tried again at the next run.
    pub send_failures: Vec<String>,
}

/// The job: fail stalled builds, then report every build that is due. Sends through `mailer`
/// on the given runtime (the job runs on a blocking thread of it).
pub fn run(
    conn: &mut PgConnection,
    mailer: &Mailer,
    runtime: &tokio::runtime::Handle,
    settings: &AlertSettings,
    now: DateTime<Utc>,
) -> Result<AlertRun, AlertError> {
    let mut outcome = AlertRun {
        stalled: almanac_build::queue::fail_expired(conn, now)?,
        ..AlertRun::default()
    };
    let developers = recipients(conn)?;
    if developers.is_empty() {
        tracing::warn!("failed builds to report, but no active developer account to email");
    }
    for alert in due(conn, settings.repeat, now)? {
        let mut all_sent = true;
        for developer in &developers {
            let email = compose(&alert, developer, settings)?;
            if let Err(error) = runtime.block_on(mailer.send(&email)) {
                all_sent = false;
                outcome
                    .send_failures
                    .push(format!("build {} to {developer}: {error}", alert.build_id));
            }
        }
        if all_sent {
            mark_reported(conn, alert.build_id, now)?;
            let first = alert.reports_sent == 0;
            outcome.reported.push((alert, first));
        }
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(reason: &str, reports_sent: i32) -> BuildAlert {
        BuildAlert {
            build_id: Uuid::parse_str("3f2b8c1e-0000-4000-8000-000000000000").unwrap(),
            requested_by: "editor@x.gov.uk".to_owned(),
            reason: "published “Employment” version 1.1".to_owned(),
            builder: Some("worker-1".to_owned()),
            failed_at: DateTime::parse_from_rfc3339("2026-11-23T00:00:30Z")
                .unwrap()
                .to_utc(),
            failure_reason: reason.to_owned(),
            reports_sent,
        }
    }

    fn settings() -> AlertSettings {
        AlertSettings {
            environment: "staging".to_owned(),
            publisher_url: "https://publisher.example/".to_owned(),
            repeat: chrono::Duration::hours(1),
        }
    }

    #[test]
    fn a_report_names_the_environment_the_build_and_how_to_acknowledge_it() {
        let email = compose(
            &alert("2 broken links: /a → /b", 0),
            "dev@x.gov.uk",
            &settings(),
        )
        .unwrap();
        assert_eq!(email.subject, "[staging] Site build 3f2b8c1e failed");
        for part in [
            "2 broken links: /a → /b",
            "https://publisher.example/admin/builds",
            "site-builder acknowledge 3f2b8c1e-0000-4000-8000-000000000000",
            "repeats every hour",
            "23 November 2026 at 00:00:30 UTC",
            "editor@x.gov.uk",
        ] {
            assert!(
                email.text.contains(part),
                "text lacks {part}:\n{}",
                email.text
            );
        }
        assert!(
            email
                .html
                .contains("https://publisher.example/admin/builds")
        );
        assert!(!email.html.contains("Nobody can use the link"));
    }

    #[test]
    fn a_stall_and_a_repeat_say_so_in_the_subject() {
        let email = compose(
            &alert(almanac_build::queue::STALLED_REASON, 2),
            "dev@x.gov.uk",
            &settings(),
        )
        .unwrap();
        assert_eq!(
            email.subject,
            "[staging] Site build 3f2b8c1e stalled (still unacknowledged)"
        );
        assert!(email.text.contains("This is report 3 for this build"));
    }

    #[test]
    fn intervals_read_naturally() {
        assert_eq!(describe(chrono::Duration::hours(1)), "hour");
        assert_eq!(describe(chrono::Duration::hours(3)), "3 hours");
        assert_eq!(describe(chrono::Duration::minutes(20)), "20 minutes");
        assert_eq!(describe(chrono::Duration::seconds(5)), "5 seconds");
    }
}
