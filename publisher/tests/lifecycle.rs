//! Deleting, archiving and copying pages through the publisher.

mod common;

use almanac_content::UserType;
use almanac_content::schema::measure;
use almanac_test_support::fixtures;
use axum::http::StatusCode;
use common::TestApp;
use diesel::prelude::*;

#[tokio::test]
async fn a_draft_page_is_deleted_after_confirmation() {
    let app = TestApp::new();
    let page = fixtures::page(&mut app.conn(), "health", "DRAFT", true);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let mut browser = app.signed_in(&editor);
    let url = format!("/cms/{}/1.0", page.path);
    browser
        .get(&url)
        .await
        .assert_contains("Delete this version");
    browser
        .get(&format!("{url}/delete"))
        .await
        .assert_contains("and everything in it will be deleted");
    browser
        .post(&format!("{url}/delete"), &[])
        .await
        .assert_redirect("/");
    let left: i64 = measure::table
        .find(page.measure_id)
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(left, 0);
    let published = fixtures::page(&mut app.conn(), "health", "APPROVED", true);
    let refused = browser
        .post(&format!("/cms/{}/1.0/delete", published.path), &[])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("Only draft versions can be deleted");
}

#[tokio::test]
async fn admins_archive_with_a_replacement_and_developers_copy() {
    let app = TestApp::new();
    let old = fixtures::page(&mut app.conn(), "health", "APPROVED", true);
    let new = fixtures::page(&mut app.conn(), "health", "APPROVED", true);
    let admin = app.user("admin@ons.gov.uk", UserType::Admin);
    let developer = app.user("dev@ons.gov.uk", UserType::Developer);
    let mut browser = app.signed_in(&admin);
    let url = format!("/cms/{}/1.0", old.path);
    browser
        .get(&format!("{url}/archive"))
        .await
        .assert_contains("Archive this page");
    let bad = browser
        .post(&format!("{url}/archive"), &[("replaced_by", "abc")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad.assert_contains("Choose a page from the list, or none");
    let id = new.measure_id.to_string();
    browser
        .post(&format!("{url}/archive"), &[("replaced_by", &id)])
        .await
        .assert_redirect(&format!("{url}?done=archived"));
    let retired: bool = measure::table
        .find(old.measure_id)
        .select(measure::retired)
        .first(&mut app.conn())
        .unwrap();
    assert!(retired);

    assert!(
        !browser.get(&url).await.body.contains("Copy this page"),
        "admins cannot copy"
    );
    let mut dev_browser = app.signed_in(&developer);
    let copied = dev_browser
        .post(&format!("/cms/{}/1.0/copy", new.path), &[])
        .await;
    assert_eq!(copied.status, StatusCode::SEE_OTHER);
    assert!(
        copied.location().ends_with("-copy/1.0/edit"),
        "{}",
        copied.location()
    );
    dev_browser
        .get(copied.location())
        .await
        .assert_contains("COPY OF Employment by ethnicity");
}

#[tokio::test]
async fn the_subtopic_page_lists_pages_in_order_and_admins_reorder_them() {
    let app = TestApp::new();
    let first = fixtures::page(&mut app.conn(), "health", "APPROVED", true);
    let second = fixtures::page(&mut app.conn(), "health", "DRAFT", true);
    let admin = app.user("admin@ons.gov.uk", UserType::Admin);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let dept = app.user("analyst@dwp.gov.uk", UserType::Departmental);
    let mut browser = app.signed_in(&admin);
    let listing = browser.get("/cms/health/sub").await;
    assert_eq!(listing.status, StatusCode::OK);
    let slug = |page: &fixtures::Page| page.path.rsplit('/').next().unwrap().to_owned();
    let (a, b) = (slug(&first), slug(&second));
    assert!(listing.body.find(&a).unwrap() < listing.body.find(&b).unwrap());
    browser
        .post(
            &format!("/cms/health/sub/order/{}/up", second.measure_id),
            &[],
        )
        .await
        .assert_redirect("/cms/health/sub");
    let reordered = browser.get("/cms/health/sub").await;
    assert!(reordered.body.find(&b).unwrap() < reordered.body.find(&a).unwrap());
    let refused = browser
        .post(
            &format!("/cms/health/sub/order/{}/up", second.measure_id),
            &[],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("This page is already first");
    assert_eq!(
        browser.get("/cms/health/nowhere").await.status,
        StatusCode::NOT_FOUND
    );

    let mut editor_browser = app.signed_in(&editor);
    assert!(
        !editor_browser
            .get("/cms/health/sub")
            .await
            .body
            .contains("Move up")
    );
    assert_eq!(
        editor_browser
            .post(
                &format!("/cms/health/sub/order/{}/down", second.measure_id),
                &[]
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let dept_page = app.signed_in(&dept).get("/cms/health/sub").await;
    assert!(
        !dept_page.body.contains(&a) && !dept_page.body.contains(&b),
        "nothing is shared with them"
    );
}
