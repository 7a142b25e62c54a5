//! Publishing at a set time from the version page: the form in UK time, the time stored in
//! UTC, each way the form is refused, cancelling, and who may do it.

mod common;

use almanac_content::UserType;
use almanac_content::schema::measure_version;
use almanac_test_support::fixtures;
use axum::http::StatusCode;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc, Weekday};
use common::{Client, TestApp};
use diesel::prelude::*;

fn scheduled(app: &TestApp, version_id: i32) -> (Option<DateTime<Utc>>, Option<String>) {
    measure_version::table
        .find(version_id)
        .select((
            measure_version::publish_scheduled_at,
            measure_version::publish_scheduled_by,
        ))
        .first(&mut app.conn())
        .unwrap()
}

/// Next year, so that every date the tests choose is in the future whenever they run.
fn next_year() -> i32 {
    Utc::now().year() + 1
}

/// The UK's clocks change on the last Sunday of March and of October.
fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let mut day = NaiveDate::from_ymd_opt(year, month + 1, 1).unwrap() - Duration::days(1);
    while day.weekday() != Weekday::Sun {
        day -= Duration::days(1);
    }
    day
}

async fn schedule(
    client: &mut Client,
    url: &str,
    date: (&str, &str, &str),
    time: (&str, &str),
) -> common::Page {
    let (day, month, year) = date;
    let (hour, minute) = time;
    client
        .post(
            &format!("{url}/schedule"),
            &[
                ("day", day),
                ("month", month),
                ("year", year),
                ("hour", hour),
                ("minute", minute),
            ],
        )
        .await
}

/// A form to submit: date, time, and each (field, message) expected in the error summary.
type Case<'a> = (
    (&'a str, &'a str, &'a str),
    (&'a str, &'a str),
    &'a [(&'a str, &'a str)],
);

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

#[tokio::test]
async fn a_publisher_sets_a_time_in_uk_time_and_cancels_it() {
    let app = TestApp::new();
    let page = fixtures::page(&mut app.conn(), "health", "DEPARTMENT_REVIEW", true);
    let admin = app.user("admin@ons.gov.uk", UserType::Admin);
    let mut client = app.signed_in(&admin);
    let url = format!("/cms/{}/1.0", page.path);
    let year = next_year().to_string();

    let form = client.get(&url).await;
    form.assert_contains("Publish at a set time");
    form.assert_contains(&format!(r#"action="{url}/schedule""#));

    // Summer time: 09:30 in London is 08:30 UTC.
    schedule(&mut client, &url, ("1", "7", &year), ("9", "30"))
        .await
        .assert_redirect(&format!("{url}?done=scheduled"));
    assert_eq!(
        scheduled(&app, page.version_id),
        (
            Some(utc(&format!("{year}-07-01T08:30:00Z"))),
            Some("admin@ons.gov.uk".to_owned())
        )
    );
    let shown = client.get(&format!("{url}?done=scheduled")).await;
    shown.assert_contains("The page will be published at the time you set.");
    shown.assert_contains(&format!(
        "This page will be published on 1 July {year} at 09:30 (UK time) by admin@ons.gov.uk"
    ));
    shown.assert_contains("Cancel the scheduled publishing");
    shown.assert_contains("Change the publishing time");

    // Winter time: London is on UTC. Setting a new time moves the schedule.
    schedule(&mut client, &url, ("01", "12", &year), ("09", "30"))
        .await
        .assert_redirect(&format!("{url}?done=scheduled"));
    assert_eq!(
        scheduled(&app, page.version_id).0,
        Some(utc(&format!("{year}-12-01T09:30:00Z")))
    );
    client.get(&url).await.assert_contains(&format!(
        "This page will be published on 1 December {year} at 09:30 (UK time) by admin@ons.gov.uk"
    ));

    client
        .post(&format!("{url}/schedule/cancel"), &[])
        .await
        .assert_redirect(&format!("{url}?done=schedule-cancelled"));
    assert_eq!(scheduled(&app, page.version_id), (None, None));
    let after = client.get(&format!("{url}?done=schedule-cancelled")).await;
    after.assert_contains("The scheduled publishing has been cancelled.");
    after.assert_contains("Publish at a set time");
    assert!(!after.body.contains("This page will be published on"));

    // Nothing left to cancel.
    let again = client.post(&format!("{url}/schedule/cancel"), &[]).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    again.assert_contains(r##"<a href="#schedule">This page has no publishing time set</a>"##);

    let actions = app.audit_actions();
    assert_eq!(
        actions
            .iter()
            .filter(|action| action.starts_with("publish_schedule"))
            .collect::<Vec<_>>(),
        [
            "publish_scheduled",
            "publish_scheduled",
            "publish_schedule_cancelled"
        ]
    );
}

#[tokio::test]
async fn at_the_clock_changes_the_earlier_hour_is_taken_and_a_missing_one_refused() {
    let app = TestApp::new();
    let page = fixtures::page(&mut app.conn(), "health", "DEPARTMENT_REVIEW", true);
    let admin = app.user("admin@ons.gov.uk", UserType::Admin);
    let mut client = app.signed_in(&admin);
    let url = format!("/cms/{}/1.0", page.path);
    let year = next_year();

    // In October 01:30 happens twice; the first, still summer time, is 00:30 UTC.
    let autumn = last_sunday(year, 10);
    let (day, month, year_text) = (autumn.day().to_string(), "10".to_owned(), year.to_string());
    schedule(&mut client, &url, (&day, &month, &year_text), ("01", "30"))
        .await
        .assert_redirect(&format!("{url}?done=scheduled"));
    assert_eq!(
        scheduled(&app, page.version_id).0,
        Some(autumn.and_hms_opt(0, 30, 0).unwrap().and_utc())
    );

    // In March the clocks skip from 01:00 to 02:00.
    let spring = last_sunday(year, 3);
    let refused = schedule(
        &mut client,
        &url,
        (&spring.day().to_string(), "3", &year_text),
        ("1", "30"),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains(&format!(
        r##"<a href="#publish-time-hour">01:30 on {} does not exist in the UK: the clocks go forward from 01:00 to 02:00 that night. Choose another time</a>"##,
        spring.format("%-d %B %Y")
    ));
    // The earlier schedule stands.
    assert_eq!(
        scheduled(&app, page.version_id).0,
        Some(autumn.and_hms_opt(0, 30, 0).unwrap().and_utc())
    );
}

#[tokio::test]
async fn each_problem_with_the_form_is_shown_against_its_field() {
    let app = TestApp::new();
    let page = fixtures::page(&mut app.conn(), "health", "DEPARTMENT_REVIEW", true);
    let admin = app.user("admin@ons.gov.uk", UserType::Admin);
    let mut client = app.signed_in(&admin);
    let url = format!("/cms/{}/1.0", page.path);
    let year = next_year().to_string();
    let yesterday = (Utc::now() - Duration::days(1)).with_timezone(&chrono_tz::Europe::London);
    // Entered to the minute, 90 s from now is between 30 and 90 s ahead: still in the future
    // when the cases before it have run, and short of the 2 minutes' notice. (A minute ahead
    // could round down to a time already past.)
    let soon = (Utc::now() + Duration::seconds(90)).with_timezone(&chrono_tz::Europe::London);
    let (yesterday_day, yesterday_month, yesterday_year) = (
        yesterday.day().to_string(),
        yesterday.month().to_string(),
        yesterday.year().to_string(),
    );
    let (soon_day, soon_month, soon_year, soon_hour, soon_minute) = (
        soon.day().to_string(),
        soon.month().to_string(),
        soon.year().to_string(),
        soon.hour().to_string(),
        soon.minute().to_string(),
    );

    let cases: [Case; 7] = [
        (
            ("", "", ""),
            ("", ""),
            &[
                ("publish-date-day", "Enter the date to publish the page"),
                ("publish-time-hour", "Enter the time to publish the page"),
            ],
        ),
        (
            ("1", "", &year),
            ("9", ""),
            &[
                ("publish-date-month", "Date must include a month"),
                ("publish-time-minute", "Time must include a minute"),
            ],
        ),
        (
            ("31", "2", &year),
            ("9", "30"),
            &[("publish-date-day", "Date must be a real date")],
        ),
        (
            ("1", "7", &year),
            ("25", "00"),
            &[(
                "publish-time-hour",
                "Time must be a real time on the 24-hour clock, for example 09:30 or 17:45",
            )],
        ),
        (
            ("1", "7", "27"),
            ("9", "30"),
            &[("publish-date-year", "Year must include 4 numbers")],
        ),
        (
            (&yesterday_day, &yesterday_month, &yesterday_year),
            ("12", "00"),
            &[(
                "publish-time-hour",
                "The time to publish must be in the future",
            )],
        ),
        (
            (&soon_day, &soon_month, &soon_year),
            (&soon_hour, &soon_minute),
            &[(
                "publish-time-hour",
                "Choose a time at least 2 minutes from now",
            )],
        ),
    ];
    for (date, time, expected) in cases {
        let refused = schedule(&mut client, &url, date, time).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{date:?} {time:?}"
        );
        refused.assert_contains("There is a problem");
        for (field, message) in expected {
            refused.assert_contains(&format!(r##"<a href="#{field}">{message}</a>"##));
            refused.assert_contains(&format!(
                r#"<span class="govuk-visually-hidden">Error:</span> {message}</p>"#
            ));
        }
        // What was entered is shown again.
        refused.assert_contains(&format!(
            r#"name="day" type="text" inputmode="numeric" value="{}""#,
            date.0
        ));
        assert_eq!(scheduled(&app, page.version_id), (None, None));
    }
}

#[tokio::test]
async fn only_publishers_schedule_and_only_pages_in_department_review() {
    let app = TestApp::new();
    let review = fixtures::page(&mut app.conn(), "health", "DEPARTMENT_REVIEW", true);
    let url = format!("/cms/{}/1.0", review.path);
    let year = next_year().to_string();
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let mut editor_client = app.signed_in(&editor);
    let page = editor_client.get(&url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("Publish at a set time"));
    assert_eq!(
        schedule(&mut editor_client, &url, ("1", "7", &year), ("9", "30"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(scheduled(&app, review.version_id), (None, None));

    // A publisher's schedule: an editor sees it but cannot cancel it.
    let admin = app.user("admin@ons.gov.uk", UserType::Admin);
    let mut admin_client = app.signed_in(&admin);
    schedule(&mut admin_client, &url, ("1", "7", &year), ("9", "30"))
        .await
        .assert_redirect(&format!("{url}?done=scheduled"));
    let seen = editor_client.get(&url).await;
    seen.assert_contains("This page will be published on 1 July");
    assert!(!seen.body.contains("Cancel the scheduled publishing"));
    assert_eq!(
        editor_client
            .post(&format!("{url}/schedule/cancel"), &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert!(scheduled(&app, review.version_id).0.is_some());

    // A draft cannot be scheduled, and offers no form.
    let draft = fixtures::page(&mut app.conn(), "education", "DRAFT", true);
    let draft_url = format!("/cms/{}/1.0", draft.path);
    assert!(
        !admin_client
            .get(&draft_url)
            .await
            .body
            .contains("Publish at a set time")
    );
    let refused = schedule(
        &mut admin_client,
        &draft_url,
        ("1", "7", &year),
        ("9", "30"),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains(
        r##"<a href="#schedule">Only a page in department review can be scheduled (this one is Draft)</a>"##,
    );
    assert_eq!(scheduled(&app, draft.version_id), (None, None));
}
