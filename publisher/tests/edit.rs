//! Editing a version through its form: saving, the address of a first version following its
//! title, conflicts between two editors, refusals, bad input, and creating a page.

mod common;

use almanac_content::UserType;
use almanac_content::schema::{measure, measure_version};
use almanac_test_support::fixtures;
use axum::http::StatusCode;
use common::TestApp;
use diesel::prelude::*;

fn stored(app: &TestApp, version_id: i32) -> (String, Option<String>, String, i32) {
    measure_version::table
        .find(version_id)
        .select((
            measure_version::title,
            measure_version::summary,
            measure_version::status,
            measure_version::lock_version,
        ))
        .first(&mut app.conn())
        .unwrap()
}

/// The form's fields as the edit page would submit them, with some replaced.
fn form(lock: i32, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = [
        ("title", "Employment by ethnicity"),
        ("time_covered", "2019"),
        ("summary", "Main points"),
        ("description", "About employment"),
        ("need_to_know", "Things to know"),
        ("external_edit_summary", "First published"),
        ("area_covered", "ENGLAND"),
        ("area_covered", "WALES"),
    ]
    .iter()
    .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
    .collect();
    for (name, value) in changes {
        match fields.iter_mut().find(|(field, _)| field == name) {
            Some(field) => field.1 = (*value).to_owned(),
            None => fields.push(((*name).to_owned(), (*value).to_owned())),
        }
    }
    fields.push(("lock_version".to_owned(), lock.to_string()));
    fields
}

fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

#[tokio::test]
async fn saving_a_first_version_updates_it_and_its_address() {
    let app = TestApp::new();
    let page = fixtures::page(&mut app.conn(), "health", "REJECTED", true);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let mut browser = app.signed_in(&editor);
    let url = format!("/cms/{}/1.0", page.path);
    let form_page = browser.get(&format!("{url}/edit")).await;
    assert_eq!(form_page.status, StatusCode::OK);
    form_page.assert_contains(r#"value="Employment by ethnicity""#);
    let lock = stored(&app, page.version_id).3;

    let fields = form(
        lock,
        &[
            ("title", "Employment rates by ethnicity"),
            ("summary", "    * indented stays a list"),
        ],
    );
    let saved = browser.post(&format!("{url}/edit"), &pairs(&fields)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(
        saved.location(),
        "/cms/health/sub/employment-rates-by-ethnicity/1.0?done=saved"
    );
    let (title, summary, status, new_lock) = stored(&app, page.version_id);
    assert_eq!(title, "Employment rates by ethnicity");
    assert_eq!(
        summary.as_deref(),
        Some("* indented stays a list"),
        "leading spaces are removed"
    );
    assert_eq!(
        status, "DRAFT",
        "saving a rejected version returns it to draft"
    );
    assert_eq!(new_lock, lock + 1);
    let slug: String = measure::table
        .find(page.measure_id)
        .select(measure::slug)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(slug, "employment-rates-by-ethnicity");
}

#[tokio::test]
async fn a_stale_save_shows_what_the_other_editor_changed_and_overwrites_nothing() {
    let app = TestApp::new();
    let page = fixtures::page(&mut app.conn(), "health", "DRAFT", true);
    let first = app.user("first@ons.gov.uk", UserType::CentralEditor);
    let second = app.user("second@ons.gov.uk", UserType::CentralEditor);
    let url = format!("/cms/{}/1.0/edit", page.path);
    let lock = stored(&app, page.version_id).3;
    let mut one = app.signed_in(&first);
    let mut two = app.signed_in(&second);
    // Both open the form at the same lock; the first saves a new summary.
    one.post(
        &url,
        &pairs(&form(lock, &[("summary", "Employment rose in 2019")])),
    )
    .await;
    // The second, still at the old lock, saves a different summary.
    let conflict = two
        .post(
            &url,
            &pairs(&form(lock, &[("summary", "Employment fell in 2019")])),
        )
        .await;
    assert_eq!(conflict.status, StatusCode::UNPROCESSABLE_ENTITY);
    conflict.assert_contains("‘Main points’ has been updated by first@ons.gov.uk");
    conflict.assert_contains("<del>rose</del><ins>fell</ins>");
    conflict.assert_contains("Employment fell in 2019"); // what they typed is kept
    assert_eq!(
        stored(&app, page.version_id).1.as_deref(),
        Some("Employment rose in 2019")
    );
    let new_lock = stored(&app, page.version_id).3;
    conflict.assert_contains(&format!(r#"name="lock_version" value="{new_lock}""#));
    // Saving again from the conflict page is a deliberate overwrite.
    let again = two
        .post(
            &url,
            &pairs(&form(new_lock, &[("summary", "Employment fell in 2019")])),
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(
        stored(&app, page.version_id).1.as_deref(),
        Some("Employment fell in 2019")
    );
}

#[tokio::test]
async fn versions_in_review_or_published_cannot_be_edited() {
    let app = TestApp::new();
    let page = fixtures::page(&mut app.conn(), "health", "APPROVED", true);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let mut browser = app.signed_in(&editor);
    let url = format!("/cms/{}/1.0", page.path);
    browser
        .get(&format!("{url}/edit"))
        .await
        .assert_redirect(&url);
    let lock = stored(&app, page.version_id).3;
    let refused = browser
        .post(
            &format!("{url}/edit"),
            &pairs(&form(lock, &[("title", "Changed")])),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("cannot be changed while it is Published");
    assert_eq!(stored(&app, page.version_id).0, "Employment by ethnicity");
}

#[tokio::test]
async fn bad_input_is_explained_and_kept() {
    let app = TestApp::new();
    let page = fixtures::page(&mut app.conn(), "health", "DRAFT", true);
    let other = fixtures::page(&mut app.conn(), "health", "DRAFT", true);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let mut browser = app.signed_in(&editor);
    let url = format!("/cms/{}/1.0/edit", page.path);
    let lock = stored(&app, page.version_id).3;
    // Give the other page a title, so that this one cannot take its address.
    let other_lock = stored(&app, other.version_id).3;
    browser
        .post(
            &format!("/cms/{}/1.0/edit", other.path),
            &pairs(&form(other_lock, &[("title", "Housing tenure")])),
        )
        .await;
    let long = "x".repeat(20_001);
    for (changes, message) in [
        (vec![("title", "  ")], "Enter a title"),
        (
            vec![("qmi_url", "javascript:alert(1)")],
            "Enter a web address that starts with https://",
        ),
        (
            vec![("area_covered", "ATLANTIS")],
            "Choose areas from the list",
        ),
        (
            vec![("lowest_level_of_geography_id", "Moon")],
            "Choose a level of geography from the list",
        ),
        (
            vec![("methodology", long.as_str())],
            "Methodology must be 20000 characters or fewer",
        ),
        (
            vec![("title", "Housing tenure")],
            "A page with this title already exists in this subtopic",
        ),
    ] {
        let fields = form(lock, &changes);
        let page_back = browser.post(&url, &pairs(&fields)).await;
        assert_eq!(
            page_back.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{changes:?}"
        );
        page_back.assert_contains("There is a problem");
        page_back.assert_contains(message);
    }
    let kept = browser
        .post(
            &url,
            &pairs(&form(
                lock,
                &[("title", ""), ("summary", "My careful words")],
            )),
        )
        .await;
    kept.assert_contains("My careful words");
    assert_eq!(
        stored(&app, page.version_id).0,
        "Employment by ethnicity",
        "nothing saved"
    );
}

#[tokio::test]
async fn central_editors_create_pages_and_departmental_users_cannot() {
    let app = TestApp::new();
    fixtures::page(&mut app.conn(), "health", "DRAFT", false);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let dept = app.user("analyst@dwp.gov.uk", UserType::Departmental);
    let mut browser = app.signed_in(&editor);
    browser
        .get("/cms/health/sub/measure/new")
        .await
        .assert_contains("Create a page");
    browser
        .post(
            "/cms/health/sub/measure/new",
            &[("title", "Smoking by ethnicity")],
        )
        .await
        .assert_redirect("/cms/health/sub/smoking-by-ethnicity/1.0/edit");
    browser
        .get("/cms/health/sub/smoking-by-ethnicity/1.0/edit")
        .await
        .assert_contains("Smoking by ethnicity");
    let clash = browser
        .post(
            "/cms/health/sub/measure/new",
            &[("title", "Smoking by Ethnicity!")],
        )
        .await;
    assert_eq!(clash.status, StatusCode::UNPROCESSABLE_ENTITY);
    clash.assert_contains("A page with this title already exists in this subtopic");
    let empty = browser
        .post("/cms/health/sub/measure/new", &[("title", " ")])
        .await;
    empty.assert_contains("Enter a title");
    assert_eq!(
        browser.get("/cms/health/nowhere/measure/new").await.status,
        StatusCode::NOT_FOUND
    );
    let mut dept_browser = app.signed_in(&dept);
    assert_eq!(
        dept_browser.get("/cms/health/sub/measure/new").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        dept_browser
            .post("/cms/health/sub/measure/new", &[("title", "Sneaky")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn autosave_saves_drafts_and_refuses_stale_ones_with_json() {
    let app = TestApp::new();
    let page = fixtures::page(&mut app.conn(), "health", "DRAFT", true);
    let first = app.user("first@ons.gov.uk", UserType::CentralEditor);
    let second = app.user("second@ons.gov.uk", UserType::CentralEditor);
    let url = format!("/cms/{}/1.0/autosave", page.path);
    let lock = stored(&app, page.version_id).3;
    let mut one = app.signed_in(&first);
    let saved = one
        .post(&url, &pairs(&form(lock, &[("summary", "Typed so far")])))
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let reply: serde_json::Value = serde_json::from_str(&saved.body).unwrap();
    assert_eq!(reply["saved"], true);
    assert_eq!(reply["lock_version"], lock + 1);
    assert_eq!(
        stored(&app, page.version_id).1.as_deref(),
        Some("Typed so far")
    );

    let mut two = app.signed_in(&second);
    let stale = two
        .post(&url, &pairs(&form(lock, &[("summary", "Something else")])))
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let reply: serde_json::Value = serde_json::from_str(&stale.body).unwrap();
    assert_eq!(reply["saved"], false);
    assert!(
        reply["message"]
            .as_str()
            .unwrap()
            .contains("first@ons.gov.uk has changed this page")
    );
    assert_eq!(
        stored(&app, page.version_id).1.as_deref(),
        Some("Typed so far"),
        "nothing overwritten"
    );
}

#[tokio::test]
async fn a_save_reaches_a_page_that_was_renamed_meanwhile() {
    let app = TestApp::new();
    let page = fixtures::page(&mut app.conn(), "health", "DRAFT", true);
    let first = app.user("first@ons.gov.uk", UserType::CentralEditor);
    let second = app.user("second@ons.gov.uk", UserType::CentralEditor);
    let lock = stored(&app, page.version_id).3;
    let form_page = app
        .signed_in(&second)
        .get(&format!("/cms/{}/1.0/edit", page.path))
        .await;
    let action = format!("/cms/versions/{}/edit", page.version_id);
    form_page.assert_contains(&format!(r#"action="{action}""#));
    // The first editor renames the page, which moves its address.
    app.signed_in(&first)
        .post(
            &action,
            &pairs(&form(lock, &[("title", "Employment rates by ethnicity")])),
        )
        .await
        .assert_redirect("/cms/health/sub/employment-rates-by-ethnicity/1.0?done=saved");
    // The second still posts to the same place: a conflict page, not a lost form.
    let conflict = app
        .signed_in(&second)
        .post(
            &action,
            &pairs(&form(lock, &[("summary", "My careful words")])),
        )
        .await;
    assert_eq!(conflict.status, StatusCode::UNPROCESSABLE_ENTITY);
    conflict.assert_contains("‘Title’ has been updated by first@ons.gov.uk");
    conflict.assert_contains("My careful words");
    let dept = app.user("analyst@dwp.gov.uk", UserType::Departmental);
    let refused = app
        .signed_in(&dept)
        .post(&action, &pairs(&form(lock, &[])))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
