//! The editorial workflow through the publisher's pages: version page actions, the
//! send-to-review checks as an error summary, publishing with a build request, review links
//! for readers without an account, the preview through the site renderer, and updates.

mod common;

use almanac_content::UserType;
use almanac_content::schema::{build, measure_version};
use almanac_test_support::fixtures;
use axum::http::StatusCode;
use common::TestApp;
use diesel::prelude::*;

fn status_of(app: &TestApp, version_id: i32) -> String {
    measure_version::table
        .find(version_id)
        .select(measure_version::status)
        .first(&mut app.conn())
        .unwrap()
}

fn builds(app: &TestApp) -> i64 {
    build::table.count().get_result(&mut app.conn()).unwrap()
}

#[tokio::test]
async fn a_page_goes_from_draft_to_published_through_its_version_page() {
    let app = TestApp::new();
    let page = fixtures::page(&mut app.conn(), "health", "DRAFT", true);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let admin = app.user("admin@ons.gov.uk", UserType::Admin);
    let url = format!("/cms/{}/1.0", page.path);
    let mut editor_browser = app.signed_in(&editor);

    let draft = editor_browser.get(&url).await;
    assert_eq!(draft.status, StatusCode::OK);
    draft.assert_contains("Send to internal review");
    assert!(!draft.body.contains("Approve for publishing"));

    let action = |value: &'static str| [("measure-action", value)];
    editor_browser
        .post(&format!("{url}/actions"), &action("save-and-review"))
        .await
        .assert_redirect(&format!("{url}?done=save-and-review"));
    assert_eq!(status_of(&app, page.version_id), "INTERNAL_REVIEW");
    editor_browser
        .post(
            &format!("{url}/actions"),
            &action("send-to-department-review"),
        )
        .await;
    let review = editor_browser.get(&url).await;
    review.assert_contains("Review link");
    review.assert_contains("http://publisher.test/review/");
    // Central editors cannot publish, even by posting the button's value.
    let refused = editor_browser
        .post(&format!("{url}/actions"), &action("send-to-approved"))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(status_of(&app, page.version_id), "DEPARTMENT_REVIEW");
    assert_eq!(builds(&app), 0);

    let mut admin_browser = app.signed_in(&admin);
    admin_browser
        .get(&url)
        .await
        .assert_contains("Approve for publishing");
    admin_browser
        .post(&format!("{url}/actions"), &action("send-to-approved"))
        .await
        .assert_redirect(&format!("{url}?done=send-to-approved"));
    assert_eq!(status_of(&app, page.version_id), "APPROVED");
    assert_eq!(builds(&app), 1, "publishing requests exactly one build");
    let published = admin_browser
        .get(&format!("{url}?done=send-to-approved"))
        .await;
    published.assert_contains("Published. The site will be rebuilt with it.");
    published.assert_contains("Update this page");

    // A minor update starts version 1.1 as a draft.
    admin_browser
        .post(&format!("{url}/new-version"), &[("update_type", "minor")])
        .await
        .assert_redirect(&format!("/cms/{}/1.1?done=new-version", page.path));
    admin_browser
        .get(&format!("/cms/{}/1.1", page.path))
        .await
        .assert_contains("Version 1.1");
    // Updating 1.0 again is refused with the reason.
    let again = admin_browser
        .post(&format!("{url}/new-version"), &[("update_type", "minor")])
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    // 1.0 is no longer the latest version, so it offers no update.
    again.assert_contains("Version 1.1 is already being updated");
}

#[tokio::test]
async fn sending_an_incomplete_page_to_review_lists_what_is_missing() {
    let app = TestApp::new();
    let page = fixtures::page(&mut app.conn(), "health", "DRAFT", false);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let mut browser = app.signed_in(&editor);
    let url = format!("/cms/{}/1.0", page.path);
    let refused = browser
        .post(
            &format!("{url}/actions"),
            &[("measure-action", "save-and-review")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("There is a problem");
    refused.assert_contains("Upload the source data");
    refused.assert_contains("Add at least one data source");
    assert_eq!(status_of(&app, page.version_id), "DRAFT");
    // An action the publisher does not know is a clear 400.
    let unknown = browser
        .post(&format!("{url}/actions"), &[("measure-action", "launch")])
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    unknown.assert_contains("is not an action the publisher knows");
}

#[tokio::test]
async fn a_review_link_opens_the_page_without_an_account_until_it_is_replaced() {
    let app = TestApp::new();
    let page = fixtures::page(&mut app.conn(), "health", "INTERNAL_REVIEW", true);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let mut browser = app.signed_in(&editor);
    let url = format!("/cms/{}/1.0", page.path);
    browser
        .post(
            &format!("{url}/actions"),
            &[("measure-action", "send-to-department-review")],
        )
        .await;
    let token: String = measure_version::table
        .find(page.version_id)
        .select(measure_version::review_token.assume_not_null())
        .first(&mut app.conn())
        .unwrap();

    let mut reviewer = app.client();
    let review = reviewer.get(&format!("/review/{token}")).await;
    assert_eq!(review.status, StatusCode::OK);
    review.assert_contains("Employment by ethnicity");
    review.assert_contains("Department review");
    review.assert_contains(r#"<meta name="robots" content="noindex">"#);
    assert_eq!(review.header("cache-control"), "private, no-store");
    assert_eq!(review.header("x-robots-tag"), "noindex, nofollow");

    // The page's data can be downloaded through the link, without an account.
    let stored = app
        .upload_dir
        .path()
        .join(format!("{}/1.0/source", page.measure_id));
    std::fs::create_dir_all(&stored).unwrap();
    std::fs::write(stored.join("data.csv"), "ethnicity,rate\nAsian,9\n").unwrap();
    review.assert_contains(&format!("/review/{token}/downloads/data.csv"));
    let download = reviewer
        .get(&format!("/review/{token}/downloads/data.csv"))
        .await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.body, "ethnicity,rate\nAsian,9\n");
    assert_eq!(download.header("cache-control"), "private, no-store");

    let tampered = reviewer.get(&format!("/review/{token}x")).await;
    assert_eq!(tampered.status, StatusCode::NOT_FOUND);
    tampered.assert_contains("This review link is not valid");

    browser
        .post(&format!("{url}/review-link"), &[])
        .await
        .assert_redirect(&format!("{url}?done=review-link"));
    assert_eq!(
        reviewer.get(&format!("/review/{token}")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_preview_renders_the_page_through_the_site_renderer_safely() {
    let app = TestApp::new();
    let page = fixtures::page(&mut app.conn(), "health", "DRAFT", true);
    diesel::update(measure_version::table.find(page.version_id))
        .set(
            measure_version::summary
                .eq("* Employment rose\n* <script>alert(1)</script> [x](javascript:alert(2))"),
        )
        .execute(&mut app.conn())
        .unwrap();
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let preview = app
        .signed_in(&editor)
        .get(&format!("/cms/{}/1.0/preview", page.path))
        .await;
    assert_eq!(preview.status, StatusCode::OK);
    preview.assert_contains("This is a preview of version 1.0 (Draft)");
    preview.assert_contains("<li>Employment rose</li>");
    assert!(!preview.body.contains("<script>alert"), "{}", preview.body);
    // The unsafe link is shown as text at most, never as a link.
    assert!(!preview.body.to_lowercase().contains("href=\"javascript"));
    preview.assert_contains("Labour Force Survey");
    preview.assert_contains("/downloads/data.csv");
}

#[tokio::test]
async fn departmental_users_reach_only_shared_versions() {
    let app = TestApp::new();
    let page = fixtures::page(&mut app.conn(), "health", "DEPARTMENT_REVIEW", true);
    let admin = app.user("admin@ons.gov.uk", UserType::Admin);
    let dept = app.user("analyst@dwp.gov.uk", UserType::Departmental);
    let mut browser = app.signed_in(&dept);
    let url = format!("/cms/{}/1.0", page.path);
    assert_eq!(browser.get(&url).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        browser.get(&format!("{url}/preview")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        browser
            .get("/cms/health/sub/no-such-measure/1.0")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    almanac_accounts::users::set_shared(
        &mut app.conn(),
        &Default::default(),
        &admin,
        dept.id,
        page.measure_id,
        true,
    )
    .unwrap();
    let shared = browser.get(&url).await;
    assert_eq!(shared.status, StatusCode::OK);
    // They can reject a shared page but never publish it.
    assert!(shared.body.contains("Reject") && !shared.body.contains("Approve for publishing"));
    let refused = browser
        .post(
            &format!("{url}/actions"),
            &[("measure-action", "send-to-approved")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    browser
        .post(
            &format!("{url}/actions"),
            &[("measure-action", "reject-measure")],
        )
        .await
        .assert_redirect(&format!("{url}?done=reject-measure"));
    assert_eq!(status_of(&app, page.version_id), "REJECTED");
}
