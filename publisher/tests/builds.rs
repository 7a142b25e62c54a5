//! The builds page: what each build did or why it failed, and asking for one.

mod common;

use almanac_content::UserType;
use almanac_content::schema::build;
use axum::http::StatusCode;
use common::TestApp;
use diesel::prelude::*;

#[tokio::test]
async fn admins_see_each_build_and_can_ask_for_one() {
    let app = TestApp::new();
    diesel::sql_query(
        "INSERT INTO build (status, requested_by, reason, started_at, succeeded_at, stats, fence)
         VALUES ('DONE', 'editor@ons.gov.uk', 'published “Pay gaps” version 1.1',
                 now() - interval '40 seconds', now() - interval '28 seconds',
                 '{\"pages\": 1200, \"files\": 5400, \"bytes\": 98000000,
                   \"buckets\": [{\"bucket\": \"primary\", \"uploaded\": 7, \"deleted\": 1}]}', 1),
                ('FAILED', 'site-builder build', 'a build from the command line',
                 now() - interval '10 seconds', NULL, NULL, 2)",
    )
    .execute(&mut app.conn())
    .unwrap();
    diesel::update(build::table.filter(build::status.eq("FAILED")))
        .set((
            build::failed_at.eq(diesel::dsl::now),
            build::failure_reason.eq("the site failed its checks: /a/: links to /b/"),
        ))
        .execute(&mut app.conn())
        .unwrap();
    let admin = app.user("admin@ons.gov.uk", UserType::Admin);
    let mut client = app.signed_in(&admin);
    let page = client.get("/admin/builds").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("published “Pay gaps” version 1.1");
    page.assert_contains("1200 pages, 5400 files, 98.0 MB, primary: 7 uploaded, 1 deleted");
    page.assert_contains("12.0 s");
    page.assert_contains("the site failed its checks: /a/: links to /b/");

    client
        .post("/admin/builds/request", &[])
        .await
        .assert_redirect("/admin/builds?done=requested");
    let requested: Vec<(String, String)> = build::table
        .filter(build::status.eq("PENDING"))
        .select((build::requested_by, build::reason))
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(
        requested,
        [(
            "admin@ons.gov.uk".to_owned(),
            "requested on the builds page".to_owned()
        )]
    );
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    assert_eq!(
        app.signed_in(&editor).get("/admin/builds").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_version_page_says_when_a_publish_went_live() {
    let app = TestApp::new();
    let page =
        almanac_test_support::fixtures::page(&mut app.conn(), "health", "DEPARTMENT_REVIEW", true);
    let admin = app.user("admin@ons.gov.uk", UserType::Admin);
    let mut client = app.signed_in(&admin);
    let url = format!("/cms/{}/1.0", page.path);
    client
        .post(
            &format!("{url}/actions"),
            &[("measure-action", "send-to-approved")],
        )
        .await
        .assert_redirect(&format!("{url}?done=send-to-approved"));
    client
        .get(&url)
        .await
        .assert_contains("waiting for the site build");

    // The builder takes the request and finishes it.
    diesel::sql_query(
        "UPDATE build SET status = 'DONE', fence = 1, started_at = clock_timestamp(),
                succeeded_at = clock_timestamp() + interval '5 seconds'",
    )
    .execute(&mut app.conn())
    .unwrap();
    client
        .get(&url)
        .await
        .assert_contains("On the public site since");
}

#[tokio::test]
async fn acknowledging_a_failed_build_stops_its_alerts() {
    let app = TestApp::new();
    let failed: uuid::Uuid = diesel::sql_query(
        "INSERT INTO build (status, requested_by, reason, started_at, failed_at, failure_reason,
                            fence, alerted_at, alerts_sent)
         VALUES ('FAILED', 'editor@ons.gov.uk', 'published “Pay gaps” version 1.1',
                 now() - interval '3 hours', now() - interval '3 hours', 'the deploy failed', 1,
                 now() - interval '2 hours', 2)
         RETURNING id",
    )
    .get_result::<BuildId>(&mut app.conn())
    .unwrap()
    .id;
    let done: uuid::Uuid =
        almanac_content::builds::request(&mut app.conn(), "x", "done").expect("a build request");
    diesel::update(build::table.find(done))
        .set(build::status.eq("SUPERSEDED"))
        .execute(&mut app.conn())
        .unwrap();
    let due = |app: &TestApp| {
        almanac_jobs::alerts::due(
            &mut app.conn(),
            chrono::Duration::hours(1),
            chrono::Utc::now(),
        )
        .unwrap()
        .into_iter()
        .map(|alert| alert.build_id)
        .collect::<Vec<_>>()
    };
    assert_eq!(due(&app), [failed]);

    let developer = app.user("developer@ons.gov.uk", UserType::Developer);
    let mut client = app.signed_in(&developer);
    let page = client.get("/admin/builds").await;
    page.assert_contains("2 alert emails were sent.");
    page.assert_contains(&format!(r#"action="/admin/builds/{failed}/acknowledge""#));
    assert!(
        !page
            .body
            .contains(&format!("/admin/builds/{done}/acknowledge"))
    );

    // Only admins and developers may.
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    assert_eq!(
        app.signed_in(&editor)
            .post(&format!("/admin/builds/{failed}/acknowledge"), &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(due(&app), [failed]);

    client
        .post(&format!("/admin/builds/{failed}/acknowledge"), &[])
        .await
        .assert_redirect("/admin/builds?done=acknowledged");
    assert!(due(&app).is_empty());
    let page = client.get("/admin/builds?done=acknowledged").await;
    page.assert_contains("The build has been acknowledged. Its alert emails have stopped.");
    page.assert_contains("Acknowledged by developer@ons.gov.uk on ");
    page.assert_contains("2 alert emails were sent.");
    assert!(
        !page
            .body
            .contains(&format!("/admin/builds/{failed}/acknowledge"))
    );

    // A build that has not failed is not acknowledged; one that does not exist is not found.
    let refused = client
        .post(&format!("/admin/builds/{done}/acknowledge"), &[])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("Only a failed build can be acknowledged");
    for missing in ["00000000-0000-0000-0000-000000000000", "not-a-build"] {
        assert_eq!(
            client
                .post(&format!("/admin/builds/{missing}/acknowledge"), &[])
                .await
                .status,
            StatusCode::NOT_FOUND
        );
    }
}

#[derive(QueryableByName)]
struct BuildId {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: uuid::Uuid,
}

#[tokio::test]
async fn the_builds_page_shows_each_scheduled_jobs_last_run() {
    let app = TestApp::new();
    let admin = app.user("admin@ons.gov.uk", UserType::Admin);
    let mut client = app.signed_in(&admin);
    client
        .get("/admin/builds")
        .await
        .assert_contains("No scheduled job has run yet.");

    let start = chrono::Utc::now();
    almanac_jobs::exclusive::run_exclusive(&mut app.conn(), "build-alerts", start, |_| {
        Ok::<_, String>(())
    })
    .unwrap();
    let refused =
        almanac_jobs::exclusive::run_exclusive(&mut app.conn(), "delete-old-builds", start, |_| {
            Err::<(), _>("the database went away".to_owned())
        });
    assert!(refused.is_err());

    let page = client.get("/admin/builds").await;
    page.assert_contains("Scheduled jobs");
    page.assert_contains(r#"<th scope="row" class="govuk-table__header">build-alerts</th>"#);
    page.assert_contains(&start.format("%-d %B %Y %H:%M:%S UTC").to_string());
    page.assert_contains(r#"<strong class="govuk-tag govuk-tag--green">OK</strong>"#);
    page.assert_contains(r#"<strong class="govuk-tag govuk-tag--red">FAILED</strong>"#);
    page.assert_contains("the database went away");
}
