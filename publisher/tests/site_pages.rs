//! Site pages: drafts, publishing with a build request in the same transaction, the
//! published copy staying put while the draft changes, conflicts, address rules, and the
//! corrections list.

mod common;

use almanac_content::UserType;
use almanac_content::schema::{build, measure_version, site_page};
use almanac_content::site_pages;
use almanac_test_support::fixtures;
use axum::http::StatusCode;
use common::TestApp;
use diesel::prelude::*;

fn builds(app: &TestApp) -> Vec<String> {
    build::table
        .order(build::created_at)
        .select(build::reason)
        .load(&mut app.conn())
        .unwrap()
}

fn page_id(app: &TestApp, path: &str) -> i32 {
    site_page::table
        .filter(site_page::path.eq(path))
        .select(site_page::id)
        .first(&mut app.conn())
        .unwrap()
}

#[tokio::test]
async fn a_page_is_drafted_published_changed_and_unpublished() {
    let app = TestApp::new();
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let admin = app.user("admin@ons.gov.uk", UserType::Admin);
    let mut writer = app.signed_in(&editor);
    let mut publisher = app.signed_in(&admin);

    let created = writer
        .post(
            "/cms/pages/new",
            &[
                ("path", "/Cookies/"),
                ("title", "Cookies"),
                ("summary", "How we use cookies"),
                ("body", "## Essential cookies\n\nWe set one cookie."),
                ("lock_version", ""),
            ],
        )
        .await;
    let id = page_id(&app, "cookies");
    created.assert_redirect(&format!("/cms/pages/{id}?done=created"));
    assert!(site_pages::published(&mut app.conn()).unwrap().is_empty());

    let preview = writer.get(&format!("/cms/pages/{id}/preview")).await;
    preview.assert_contains("<h2 class=\"govuk-heading-l\">Essential cookies</h2>");
    preview.assert_contains("We set one cookie.");
    preview.assert_contains("noindex");

    // A central editor drafts; only a publisher publishes.
    let refused = writer
        .post(
            &format!("/cms/pages/{id}/publish"),
            &[("lock_version", "1")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(builds(&app).is_empty());

    publisher
        .post(
            &format!("/cms/pages/{id}/publish"),
            &[("lock_version", "1")],
        )
        .await
        .assert_redirect(&format!("/cms/pages/{id}?done=published"));
    assert_eq!(builds(&app), ["site page /cookies published"]);
    let published = site_pages::published(&mut app.conn()).unwrap();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].url(), "/cookies/");

    // The draft changes; the public copy does not until someone publishes again.
    writer
        .post(
            &format!("/cms/pages/{id}"),
            &[
                ("path", "cookies"),
                ("title", "Cookies on this site"),
                ("summary", "How we use cookies"),
                ("body", "We set two cookies."),
                ("lock_version", "1"),
            ],
        )
        .await
        .assert_redirect(&format!("/cms/pages/{id}?done=saved"));
    let page = site_pages::find(&mut app.conn(), id).unwrap().unwrap();
    assert_eq!(
        page.state(),
        site_pages::SitePageState::PublishedWithChanges
    );
    assert_eq!(page.published().unwrap().title, "Cookies");
    writer
        .get(&format!("/cms/pages/{id}"))
        .await
        .assert_contains("Published, with unpublished changes");

    // Publishing what one has not seen is refused: the form carries the lock version.
    let stale = publisher
        .post(
            &format!("/cms/pages/{id}/publish"),
            &[("lock_version", "1")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY);
    stale.assert_contains("changed since you opened it");
    assert_eq!(builds(&app).len(), 1);

    // Once published, the address is fixed.
    let moved = writer
        .post(
            &format!("/cms/pages/{id}"),
            &[
                ("path", "biscuits"),
                ("title", "Cookies on this site"),
                ("body", "We set two cookies."),
                ("lock_version", "2"),
            ],
        )
        .await;
    assert_eq!(moved.status, StatusCode::UNPROCESSABLE_ENTITY);
    moved.assert_contains("cannot change while the page is published");

    let deleting = writer.post(&format!("/cms/pages/{id}/delete"), &[]).await;
    assert_eq!(deleting.status, StatusCode::UNPROCESSABLE_ENTITY);
    deleting.assert_contains("Unpublish it before deleting it");

    publisher
        .post(&format!("/cms/pages/{id}/unpublish"), &[])
        .await
        .assert_redirect(&format!("/cms/pages/{id}?done=unpublished"));
    assert_eq!(builds(&app).len(), 2);
    assert!(site_pages::published(&mut app.conn()).unwrap().is_empty());
    writer
        .post(&format!("/cms/pages/{id}/delete"), &[])
        .await
        .assert_redirect("/cms/pages?done=deleted");
    assert!(site_pages::find(&mut app.conn(), id).unwrap().is_none());

    let actions = app.audit_actions();
    for action in [
        "site_page_created",
        "site_page_edited",
        "site_page_published",
        "site_page_unpublished",
        "site_page_deleted",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
}

#[tokio::test]
async fn bad_addresses_are_refused_with_the_form_kept() {
    let app = TestApp::new();
    fixtures::page(&mut app.conn(), "housing", "DRAFT", false);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let mut client = app.signed_in(&editor);
    client
        .post(
            "/cms/pages/new",
            &[("path", "about"), ("title", "About"), ("body", "Us")],
        )
        .await;
    for (path, message) in [
        ("", "Enter the page’s address"),
        ("About Us", "lower-case letters, digits and single hyphens"),
        ("about--us", "single hyphens"),
        ("a//b", "single hyphens"),
        ("cms/help", "used by the site itself"),
        ("dashboards", "used by the site itself"),
        ("housing/guide", "a topic’s address"),
        ("about", "There is already a page at /about/"),
    ] {
        let refused = client
            .post(
                "/cms/pages/new",
                &[
                    ("path", path),
                    ("title", "A guide"),
                    ("body", "Text I must not lose"),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        refused.assert_contains(message);
        refused.assert_contains("Text I must not lose");
        refused.assert_contains("govuk-error-summary");
    }
    let untitled = client
        .post("/cms/pages/new", &[("path", "guide"), ("title", " ")])
        .await;
    untitled.assert_contains("Enter a title");
    let damaged = client
        .post(
            "/cms/pages/new",
            &[("path", "guide"), ("title", "Guide"), ("lock_version", "x")],
        )
        .await;
    assert_eq!(damaged.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_stale_save_shows_the_other_persons_changes_and_writes_nothing() {
    let app = TestApp::new();
    let first = app.user("first@ons.gov.uk", UserType::CentralEditor);
    let second = app.user("second@ons.gov.uk", UserType::CentralEditor);
    let id = page_id(&app, "");
    let mut one = app.signed_in(&first);
    let mut two = app.signed_in(&second);
    one.post(
        &format!("/cms/pages/{id}"),
        &[
            ("path", ""),
            ("title", "Homepage"),
            ("body", "Statistics about ethnicity in the UK."),
            ("lock_version", "1"),
        ],
    )
    .await
    .assert_redirect(&format!("/cms/pages/{id}?done=saved"));
    let conflict = two
        .post(
            &format!("/cms/pages/{id}"),
            &[
                ("path", ""),
                ("title", "Homepage"),
                ("body", "Figures on ethnicity."),
                ("lock_version", "1"),
            ],
        )
        .await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    conflict.assert_contains("first@ons.gov.uk has changed this page since you opened it");
    conflict.assert_contains("<ins>");
    conflict.assert_contains("Figures on ethnicity.");
    conflict.assert_contains(r#"name="lock_version" value="2""#);
    let stored = site_pages::find(&mut app.conn(), id).unwrap().unwrap();
    assert_eq!(stored.body, "Statistics about ethnicity in the UK.");

    // The homepage's introduction shows in the site preview, and cannot be removed.
    one.get("/")
        .await
        .assert_contains("Statistics about ethnicity in the UK.");
    let admin = app.user("admin@ons.gov.uk", UserType::Admin);
    let mut admin = app.signed_in(&admin);
    admin
        .post(&format!("/cms/pages/{id}/unpublish"), &[])
        .await
        .assert_contains("The homepage cannot be unpublished");
    admin
        .post(&format!("/cms/pages/{id}/delete"), &[])
        .await
        .assert_contains("The homepage cannot be deleted");
}

#[tokio::test]
async fn the_corrections_list_shows_published_corrections_newest_first() {
    let app = TestApp::new();
    let older = fixtures::page(&mut app.conn(), "health", "APPROVED", true);
    let newer = fixtures::page(&mut app.conn(), "crime", "APPROVED", true);
    let draft = fixtures::page(&mut app.conn(), "work", "DRAFT", true);
    for (page, days_ago, summary) in [
        (&older, 20, "Corrected the 2019 rates"),
        (&newer, 2, "Fixed a transposed column"),
        (&draft, 1, "Not yet published"),
    ] {
        diesel::update(measure_version::table.find(page.version_id))
            .set((
                measure_version::update_corrects_data_mistake.eq(Some(true)),
                measure_version::external_edit_summary.eq(Some(summary)),
                measure_version::published_at.eq((page.version_id != draft.version_id)
                    .then(|| chrono::Utc::now().date_naive() - chrono::Duration::days(days_ago))),
            ))
            .execute(&mut app.conn())
            .unwrap();
    }
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let page = app.signed_in(&editor).get("/corrections").await;
    assert_eq!(page.status, StatusCode::OK);
    let newer_at = page.body.find("Fixed a transposed column").unwrap();
    let older_at = page.body.find("Corrected the 2019 rates").unwrap();
    assert!(newer_at < older_at, "newest first");
    assert!(!page.body.contains("Not yet published"));
    page.assert_contains(&format!("href=\"/{}/1.0/\"", newer.path));
}
