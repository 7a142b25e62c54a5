//! Managing topics: renames redirect old addresses without chains, bad titles are refused,
//! and only topic managers get in.

mod common;

use almanac_content::UserType;
use almanac_content::schema::{build, redirect, topic};
use almanac_test_support::fixtures;
use axum::http::StatusCode;
use common::TestApp;
use diesel::prelude::*;

fn redirects(app: &TestApp) -> Vec<(String, String)> {
    redirect::table
        .order(redirect::from_uri)
        .select((redirect::from_uri, redirect::to_uri))
        .load(&mut app.conn())
        .unwrap()
}

fn build_reasons(app: &TestApp) -> Vec<String> {
    build::table
        .order(build::created_at)
        .select(build::reason)
        .load(&mut app.conn())
        .unwrap()
}

#[tokio::test]
async fn renaming_a_topic_redirects_its_old_address_without_chains() {
    let app = TestApp::new();
    fixtures::page(&mut app.conn(), "housing", "DRAFT", false);
    let id: i32 = topic::table
        .filter(topic::slug.eq("housing"))
        .select(topic::id)
        .first(&mut app.conn())
        .unwrap();
    let admin = app.user("admin@ons.gov.uk", UserType::Admin);
    let mut browser = app.signed_in(&admin);
    let url = format!("/admin/topics/{id}");
    browser.get(&url).await.assert_contains("Edit topic");
    let rename = |title: &'static str| {
        [
            ("title", title),
            ("description", "Homes"),
            ("meta_description", ""),
        ]
    };
    browser
        .post(&url, &rename("Housing and homes"))
        .await
        .assert_redirect("/admin/topics");
    assert_eq!(
        redirects(&app),
        [("/housing".to_owned(), "/housing-and-homes".to_owned())]
    );
    assert_eq!(
        build_reasons(&app),
        ["updated topic “Housing and homes”"],
        "the rename asks for a site build in the same transaction"
    );
    browser
        .post(&url, &rename("Homes"))
        .await
        .assert_redirect("/admin/topics");
    assert_eq!(
        redirects(&app),
        [
            ("/housing".to_owned(), "/homes".to_owned()),
            ("/housing-and-homes".to_owned(), "/homes".to_owned()),
        ],
        "earlier redirects lead straight to the new address"
    );
    browser.post(&url, &rename("Housing")).await;
    assert_eq!(
        redirects(&app),
        [
            ("/homes".to_owned(), "/housing".to_owned()),
            ("/housing-and-homes".to_owned(), "/housing".to_owned()),
        ],
        "renaming back drops the redirect away from the address in use"
    );
    let list = browser.get("/admin/topics").await;
    list.assert_contains("/housing-and-homes");

    for (title, message) in [
        ("", "Enter a title"),
        ("Housing <b>", "The title can only have letters"),
        ("2019 figures", "The title can only have letters"),
    ] {
        let refused = browser.post(&url, &rename(title)).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        refused.assert_contains(message);
    }
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let mut editor_browser = app.signed_in(&editor);
    assert_eq!(
        editor_browser.get("/admin/topics").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        editor_browser.post(&url, &rename("Mine")).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn renaming_a_subtopic_redirects_the_pages_under_it() {
    let app = TestApp::new();
    fixtures::page(&mut app.conn(), "health", "DRAFT", false);
    let id: i32 = almanac_content::schema::subtopic::table
        .select(almanac_content::schema::subtopic::id)
        .first(&mut app.conn())
        .unwrap();
    let admin = app.user("admin@ons.gov.uk", UserType::Admin);
    let mut browser = app.signed_in(&admin);
    browser
        .post(
            &format!("/admin/subtopics/{id}"),
            &[("title", "Physical health")],
        )
        .await
        .assert_redirect("/admin/topics");
    assert_eq!(
        redirects(&app),
        [(
            "/health/sub".to_owned(),
            "/health/physical-health".to_owned()
        )]
    );
    assert_eq!(build_reasons(&app), ["renamed subtopic “Physical health”"]);
}

#[tokio::test]
async fn editors_add_and_remove_redirect_rules_without_chains_or_loops() {
    let app = TestApp::new();
    let admin = app.user("admin@ons.gov.uk", UserType::Admin);
    let mut browser = app.signed_in(&admin);
    let add = |from: &'static str, to: &'static str| [("from", from), ("to", to)];
    browser
        .post("/admin/redirects", &add("/old-page", "/housing/renting/"))
        .await
        .assert_redirect("/admin/topics#redirects");
    // A rule to an address that is itself redirected leads straight to the end.
    browser
        .post("/admin/redirects", &add("/older-page", "/old-page"))
        .await
        .assert_redirect("/admin/topics#redirects");
    assert_eq!(
        redirects(&app),
        [
            ("/old-page".to_owned(), "/housing/renting".to_owned()),
            ("/older-page".to_owned(), "/housing/renting".to_owned()),
        ]
    );
    assert_eq!(build_reasons(&app).len(), 2, "each rule asks for a build");

    for (from, to, message) in [
        ("/housing/renting", "/older-page", "would make a loop"),
        ("old", "/new", "The address must start with /"),
        ("/Old Page", "/new", "lower-case letters"),
        ("/", "/new", "The homepage cannot be redirected"),
        ("/same", "/same/", "must differ"),
        ("", "", "Enter an address"),
    ] {
        let refused = browser.post("/admin/redirects", &add(from, to)).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{from} → {to}"
        );
        refused.assert_contains(message);
        refused.assert_contains(&format!("value=\"{from}\""));
    }

    browser
        .post("/admin/redirects/remove", &[("from", "/old-page")])
        .await
        .assert_redirect("/admin/topics#redirects");
    assert_eq!(
        redirects(&app),
        [("/older-page".to_owned(), "/housing/renting".to_owned())]
    );
    assert_eq!(build_reasons(&app).len(), 3);
    assert_eq!(
        browser
            .post("/admin/redirects/remove", &[("from", "/old-page")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let mut editor_browser = app.signed_in(&editor);
    assert_eq!(
        editor_browser
            .post("/admin/redirects", &add("/a", "/b"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}
