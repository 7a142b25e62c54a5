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
