//! Data sources through the publisher's pages: search, add, remove, create and edit on a
//! version; refused forms kept and explained; departmental users only on shared measures;
//! admins merging duplicates.

mod common;

use almanac_content::UserType;
use almanac_content::schema::{build, data_source, data_source_in_measure_version};
use almanac_test_support::fixtures;
use axum::http::StatusCode;
use common::TestApp;
use diesel::prelude::*;

fn links(app: &TestApp, version_id: i32) -> Vec<i32> {
    data_source_in_measure_version::table
        .filter(data_source_in_measure_version::measure_version_id.eq(version_id))
        .order(data_source_in_measure_version::position)
        .select(data_source_in_measure_version::data_source_id)
        .load(&mut app.conn())
        .unwrap()
}

fn source_count(app: &TestApp) -> i64 {
    data_source::table
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

fn new_source(app: &TestApp, title: &str, publisher: Option<&str>) -> i32 {
    diesel::insert_into(data_source::table)
        .values((
            data_source::title.eq(title),
            data_source::publisher_id.eq(publisher),
        ))
        .returning(data_source::id)
        .get_result(&mut app.conn())
        .unwrap()
}

#[tokio::test]
async fn an_editor_searches_adds_removes_and_creates_data_sources() {
    let app = TestApp::new();
    let page = fixtures::page(&mut app.conn(), "health", "DRAFT", false);
    let lfs = new_source(&app, "Labour Force Survey", Some("D303"));
    let census = new_source(&app, "School census", None);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let mut browser = app.signed_in(&editor);
    let url = format!("/cms/{}/1.0/data-sources", page.path);

    let empty = browser.get(&url).await;
    assert_eq!(empty.status, StatusCode::OK);
    empty.assert_contains("This page has no data sources yet");
    empty.assert_contains("Create a new data source");

    // By the publisher's abbreviation: every keyword must match.
    let found = browser.get(&format!("{url}?q=ONS+labour")).await;
    found.assert_contains("Labour Force Survey");
    found.assert_contains("Office for National Statistics");
    assert!(!found.body.contains("School census"));
    browser
        .get(&format!("{url}?q=ONS+school"))
        .await
        .assert_contains("No data sources match");

    browser
        .post(
            &format!("{url}/link"),
            &[("data_source_id", &lfs.to_string()), ("q", "labour")],
        )
        .await
        .assert_redirect(&format!("{url}?done=linked"));
    let linked = browser.get(&format!("{url}?done=linked")).await;
    linked.assert_contains("Data source added to the page.");
    linked.assert_contains("Primary");
    linked.assert_contains(&format!("{url}/{lfs}/remove"));
    assert_eq!(links(&app, page.version_id), [lfs]);

    // Create a new one: it is linked as the secondary source.
    let form = browser.get(&format!("{url}/new")).await;
    assert_eq!(form.status, StatusCode::OK);
    form.assert_contains("Create a data source");
    form.assert_contains(r#"<label class="govuk-label govuk-label--s" for="publisher_id">"#);
    browser
        .post(
            &format!("{url}/new"),
            &[
                ("title", "Annual Population Survey"),
                ("type_of_data", "SURVEY"),
                ("publisher_id", "D303"),
                ("source_url", "https://www.ons.gov.uk/aps"),
                ("purpose", "Employment by region"),
            ],
        )
        .await
        .assert_redirect(&format!("{url}?done=created"));
    let both = links(&app, page.version_id);
    assert_eq!(both.len(), 2);
    let aps = both[1];
    let full = browser.get(&url).await;
    full.assert_contains("Annual Population Survey");
    full.assert_contains("Secondary");
    full.assert_contains("the most it can have");

    // A third is refused with a clear message, and nothing is created.
    let third = browser
        .post(
            &format!("{url}/link"),
            &[("data_source_id", &census.to_string())],
        )
        .await;
    assert_eq!(third.status, StatusCode::UNPROCESSABLE_ENTITY);
    third.assert_contains("A page can have at most two data sources");
    let before = source_count(&app);
    let refused = browser
        .post(&format!("{url}/new"), &[("title", "Yet another")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("at most two data sources");
    refused.assert_contains(r#"value="Yet another""#);
    assert_eq!(source_count(&app), before);

    // Edit the secondary.
    let edit = browser.get(&format!("{url}/{aps}")).await;
    assert_eq!(edit.status, StatusCode::OK);
    edit.assert_contains(r#"value="Annual Population Survey""#);
    edit.assert_contains(r#"value="D303" selected"#);
    edit.assert_contains(r#"value="SURVEY" checked"#);
    browser
        .post(
            &format!("{url}/{aps}"),
            &[
                ("title", "Annual Population Survey (APS)"),
                ("type_of_data", "SURVEY"),
                ("type_of_data", "ADMINISTRATIVE"),
                ("publisher_id", "D303"),
            ],
        )
        .await
        .assert_redirect(&format!("{url}?done=saved"));
    let title: String = data_source::table
        .find(aps)
        .select(data_source::title)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(title, "Annual Population Survey (APS)");
    // Only linked sources can be edited from the page.
    assert_eq!(
        browser.get(&format!("{url}/{census}")).await.status,
        StatusCode::NOT_FOUND
    );

    // Remove the primary: the secondary becomes primary, the source still exists.
    browser
        .post(&format!("{url}/{lfs}/remove"), &[])
        .await
        .assert_redirect(&format!("{url}?done=removed"));
    assert_eq!(links(&app, page.version_id), [aps]);
    assert!(source_count(&app) >= 3);
    assert_eq!(
        browser
            .post(&format!("{url}/{lfs}/remove"), &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let actions = app.audit_actions();
    for action in [
        "data_source_linked",
        "data_source_created",
        "data_source_updated",
        "data_source_unlinked",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
    assert_eq!(
        build::table
            .count()
            .get_result::<i64>(&mut app.conn())
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn a_bad_form_is_shown_again_with_every_value_and_a_message_per_field() {
    let app = TestApp::new();
    let page = fixtures::page(&mut app.conn(), "health", "DRAFT", false);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let mut browser = app.signed_in(&editor);
    let url = format!("/cms/{}/1.0/data-sources", page.path);
    let before = source_count(&app);
    let refused = browser
        .post(
            &format!("{url}/new"),
            &[
                ("title", ""),
                ("type_of_data", "SURVEY"),
                ("publisher_id", "NOPE"),
                ("source_url", "javascript:alert(1)"),
                ("publication_date", "March 2019"),
                ("note_on_corrections_or_updates", "Revised in May"),
                ("purpose", "To count things"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("There is a problem");
    refused.assert_contains(r##"<a href="#title">Enter the title of the data source</a>"##);
    refused.assert_contains("Choose a publisher from the list");
    refused.assert_contains("Enter a web address starting with http:// or https://");
    refused.assert_contains(r#"value="javascript:alert(1)""#);
    refused.assert_contains(r#"value="March 2019""#);
    refused.assert_contains("Revised in May</textarea>");
    refused.assert_contains("To count things</textarea>");
    refused.assert_contains(r#"value="SURVEY" checked"#);
    assert!(refused.body.contains("<title>Error: "));
    assert_eq!(source_count(&app), before);
    assert!(links(&app, page.version_id).is_empty());

    // "Other" frequency needs its text.
    let other: i32 = almanac_content::schema::frequency_of_release::table
        .filter(almanac_content::schema::frequency_of_release::description.eq("Other"))
        .select(almanac_content::schema::frequency_of_release::id)
        .first(&mut app.conn())
        .unwrap();
    let other = other.to_string();
    let refused = browser
        .post(
            &format!("{url}/new"),
            &[("title", "Survey"), ("frequency_of_release_id", &other)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("Enter how often the data is released");
    refused.assert_contains(&format!(r#"value="{other}" checked"#));
    assert_eq!(source_count(&app), before);
}

#[tokio::test]
async fn departmental_users_change_sources_only_on_shared_measures() {
    let app = TestApp::new();
    let page = fixtures::page(&mut app.conn(), "health", "DRAFT", false);
    let source = new_source(&app, "Labour Force Survey", None).to_string();
    let departmental = app.user("someone@dept.gov.uk", UserType::Departmental);
    let admin = app.user("admin@ons.gov.uk", UserType::Admin);
    let mut browser = app.signed_in(&departmental);
    let url = format!("/cms/{}/1.0/data-sources", page.path);

    assert_eq!(browser.get(&url).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        browser.get(&format!("{url}/new")).await.status,
        StatusCode::FORBIDDEN
    );
    let refused = browser
        .post(&format!("{url}/link"), &[("data_source_id", &source)])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(links(&app, page.version_id).is_empty());
    // A missing measure looks the same as an unshared one.
    assert_eq!(
        browser
            .get("/cms/no/such/measure/1.0/data-sources")
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    almanac_accounts::users::set_shared(
        &mut app.conn(),
        &Default::default(),
        &admin,
        departmental.id,
        page.measure_id,
        true,
    )
    .unwrap();
    assert_eq!(browser.get(&url).await.status, StatusCode::OK);
    browser
        .post(&format!("{url}/link"), &[("data_source_id", &source)])
        .await
        .assert_redirect(&format!("{url}?done=linked"));
    assert_eq!(links(&app, page.version_id).len(), 1);
    // The admin pages are not theirs.
    assert_eq!(
        browser.get("/admin/data-sources").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn sources_of_a_page_in_review_cannot_be_changed() {
    let app = TestApp::new();
    let page = fixtures::page(&mut app.conn(), "health", "DEPARTMENT_REVIEW", true);
    let linked = links(&app, page.version_id)[0];
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let mut browser = app.signed_in(&editor);
    let url = format!("/cms/{}/1.0/data-sources", page.path);
    let shown = browser.get(&url).await;
    assert_eq!(shown.status, StatusCode::OK);
    shown.assert_contains("so its data sources cannot be changed");
    assert!(!shown.body.contains("/remove"));
    let refused = browser.post(&format!("{url}/{linked}/remove"), &[]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let refused = browser
        .post(&format!("{url}/{linked}"), &[("title", "Changed")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains(r#"value="Changed""#);
    assert_eq!(links(&app, page.version_id), [linked]);
}

#[tokio::test]
async fn an_admin_merges_duplicate_sources() {
    let app = TestApp::new();
    let first = fixtures::page(&mut app.conn(), "health", "DRAFT", false);
    let second = fixtures::page(&mut app.conn(), "health", "DRAFT", false);
    let keep = new_source(&app, "Labour Force Survey", Some("D303"));
    let duplicate = new_source(&app, "LFS", Some("D303"));
    let unrelated = new_source(&app, "School census", None);
    let admin = app.user("admin@ons.gov.uk", UserType::Admin);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    for (version, source) in [
        (first.version_id, keep),
        (second.version_id, duplicate),
        (second.version_id, unrelated),
    ] {
        almanac_editorial::data_sources::link(
            &mut app.conn(),
            &editor,
            &Default::default(),
            version,
            source,
        )
        .unwrap();
    }
    let mut browser = app.signed_in(&admin);
    let list = browser.get("/admin/data-sources").await;
    assert_eq!(list.status, StatusCode::OK);
    list.assert_contains("Labour Force Survey");
    list.assert_contains("School census");
    list.assert_contains(r#"name="data_sources""#);
    let searched = browser.get("/admin/data-sources?q=ONS").await;
    searched.assert_contains("LFS");
    assert!(!searched.body.contains("School census"));

    // Fewer than two chosen: asked again.
    let one = browser
        .get(&format!("/admin/data-sources/merge?data_sources={keep}"))
        .await;
    assert_eq!(one.status, StatusCode::UNPROCESSABLE_ENTITY);
    one.assert_contains("Choose at least two data sources to merge");

    let choose = browser
        .get(&format!(
            "/admin/data-sources/merge?data_sources={keep}&data_sources={duplicate}"
        ))
        .await;
    assert_eq!(choose.status, StatusCode::OK);
    choose.assert_contains("Which data source do you want to keep?");
    choose.assert_contains("This cannot be undone");

    let (keep_text, duplicate_text) = (keep.to_string(), duplicate.to_string());
    let unchosen = browser
        .post(
            "/admin/data-sources/merge",
            &[
                ("data_sources", &keep_text),
                ("data_sources", &duplicate_text),
            ],
        )
        .await;
    assert_eq!(unchosen.status, StatusCode::UNPROCESSABLE_ENTITY);
    unchosen.assert_contains("Choose the data source to keep");

    // A central editor cannot merge.
    let mut editor_browser = app.signed_in(&editor);
    assert_eq!(
        editor_browser
            .post(
                "/admin/data-sources/merge",
                &[
                    ("data_sources", &keep_text),
                    ("data_sources", &duplicate_text),
                    ("keep", &keep_text),
                ],
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    browser
        .post(
            "/admin/data-sources/merge",
            &[
                ("data_sources", &keep_text),
                ("data_sources", &duplicate_text),
                ("keep", &keep_text),
            ],
        )
        .await
        .assert_redirect("/admin/data-sources?done=merged");
    assert_eq!(links(&app, first.version_id), [keep]);
    assert_eq!(links(&app, second.version_id), [keep, unrelated]);
    let left: i64 = data_source::table
        .find(duplicate)
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(left, 0, "the duplicate is deleted");
    browser
        .get("/admin/data-sources?done=merged")
        .await
        .assert_contains("Data sources merged.");
    assert_eq!(
        app.audit_actions().last().map(String::as_str),
        Some("data_sources_merged")
    );
}

/// Every data source page in a real browser, checked by axe-core against WCAG 2.2 AA,
/// including a refused form with its error summary.
#[tokio::test]
async fn the_data_source_pages_are_accessible() {
    use almanac_test_support::browser::Browser;
    use almanac_test_support::http::serve;

    let app = TestApp::new();
    let page = fixtures::page(&mut app.conn(), "health", "DRAFT", false);
    new_source(&app, "Labour Force Survey", Some("D303"));
    new_source(&app, "LFS", Some("D303"));
    let admin = app.user("admin@cabinetoffice.gov.uk", UserType::Admin);
    let (base, server) = serve(app.router.clone()).await;
    let browser = Browser::start().await;
    let url = format!("/cms/{}/1.0/data-sources", page.path);

    browser.goto(&format!("{base}{url}")).await;
    browser.wait_for_path("/auth/login").await;
    browser.fill("#email", &admin.email).await;
    browser.fill("#password", common::PASSWORD).await;
    browser.click("button[type=submit].govuk-button").await;
    browser.wait_for_path("/auth/two-factor").await;
    let code = almanac_accounts::two_factor::current_code(
        app.keys(),
        &app.reload(&admin),
        chrono::Utc::now(),
    )
    .unwrap();
    browser.fill("#code", &code).await;
    browser.click("button[type=submit].govuk-button").await;
    browser.wait_for_path(&url).await;
    assert_accessible(&browser).await;

    browser.fill("#q", "ONS").await;
    browser.click("form[method=get] button[type=submit]").await;
    assert!(browser.text_of("#results").await.contains("ONS"));
    assert_accessible(&browser).await;
    browser
        .click(&format!("form[action='{url}/link'] button[type=submit]"))
        .await;
    assert!(
        browser
            .text_of(".govuk-notification-banner")
            .await
            .contains("added")
    );
    assert_accessible(&browser).await;

    browser.goto(&format!("{base}{url}/new")).await;
    assert_accessible(&browser).await;
    browser.fill("#source_url", "javascript:alert(1)").await;
    browser.click("form[method=post] button.govuk-button").await;
    assert!(
        browser
            .text_of(".govuk-error-summary")
            .await
            .contains("Enter the title of the data source")
    );
    assert_accessible(&browser).await;

    let linked = links(&app, page.version_id)[0];
    browser.goto(&format!("{base}{url}/{linked}")).await;
    assert!(browser.text_of("h1").await.contains("Edit a data source"));
    assert_accessible(&browser).await;

    browser.goto(&format!("{base}/admin/data-sources")).await;
    assert_accessible(&browser).await;
    browser.click("#data_sources").await;
    browser
        .click("input[name=data_sources]:not(#data_sources)")
        .await;
    browser
        .click("form[action='/admin/data-sources/merge'] button[type=submit]")
        .await;
    browser.wait_for_path("/admin/data-sources/merge").await;
    assert!(browser.text_of("h1").await.contains("Merge data sources"));
    assert_accessible(&browser).await;
    browser.click("form[method=post] button.govuk-button").await;
    assert!(
        browser
            .text_of(".govuk-error-summary")
            .await
            .contains("Choose the data source to keep")
    );
    assert_accessible(&browser).await;

    browser.close().await;
    server.abort();
}

/// No WCAG 2.2 AA failures that axe-core can detect on the current page.
async fn assert_accessible(browser: &almanac_test_support::browser::Browser) {
    let violations = browser.accessibility_violations().await;
    let path = browser.current_path().await;
    assert!(
        violations.is_empty(),
        "accessibility failures on {path}:\n{}",
        violations.join("\n")
    );
}
