//! The JSON API with real tokens: authentication, the caller's permissions and shares,
//! starting updates, revocation, and the OpenAPI document listing every route.

mod common;

use almanac_content::UserType;
use almanac_test_support::fixtures;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{Client, Page, TestApp};
use serde_json::Value;

async fn make_token(app: &TestApp, user: &almanac_content::models::User) -> String {
    let mut browser = app.signed_in(user);
    let page = browser
        .post("/account/api-tokens", &[("name", "nightly export")])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let start = page
        .body
        .find(r#"<code id="new-token">"#)
        .expect("the token is shown")
        + 21;
    let end = start + page.body[start..].find("</code>").unwrap();
    page.body[start..end].to_owned()
}

async fn call(
    client: &mut Client,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&str>,
) -> (StatusCode, Value, Page) {
    let mut request = Request::builder().method(method).uri(path);
    if !token.is_empty() {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = match body {
        Some(json) => request
            .header("content-type", "application/json")
            .body(Body::from(json.to_owned())),
        None => request.body(Body::empty()),
    }
    .unwrap();
    let page = client.send(request).await;
    let value = serde_json::from_str(&page.body).unwrap_or(Value::Null);
    (page.status, value, page)
}

#[tokio::test]
async fn the_api_reads_and_updates_as_the_token_s_user() {
    let app = TestApp::new();
    let published = fixtures::page(&mut app.conn(), "health", "APPROVED", true);
    let hidden = fixtures::page(&mut app.conn(), "health", "DRAFT", true);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let token = make_token(&app, &editor).await;
    assert!(token.starts_with("almanac_"));
    // A client without cookies, as a program would be.
    let mut program = app.client();

    let (status, body, page) = call(&mut program, "GET", "/api/v1/topics", "", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(page.header("www-authenticate"), "Bearer");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("Authorization: Bearer")
    );
    let (status, _, _) = call(
        &mut program,
        "GET",
        "/api/v1/topics",
        "almanac_nonsense",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, topics, _) = call(&mut program, "GET", "/api/v1/topics", &token, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(topics[0]["slug"], "health");
    assert_eq!(topics[0]["subtopics"][0]["slug"], "sub");
    let (_, measures, _) = call(&mut program, "GET", "/api/v1/measures", &token, None).await;
    assert_eq!(measures.as_array().unwrap().len(), 2);
    let (status, versions, _) = call(
        &mut program,
        "GET",
        &format!("/api/v1/measures/{}/versions", published.measure_id),
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(versions[0]["version"], "1.0");
    let (status, version, _) = call(
        &mut program,
        "GET",
        &format!("/api/v1/versions/{}", published.version_id),
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(version["title"], "Employment by ethnicity");
    assert_eq!(version["dimensions"][0]["title"], "By region");
    assert_eq!(version["uploads"][0]["file_name"], "data.csv");
    assert_eq!(version["data_sources"][0]["title"], "Labour Force Survey");
    let (_, hits, _) = call(
        &mut program,
        "GET",
        "/api/v1/data-sources?q=labour",
        &token,
        None,
    )
    .await;
    assert_eq!(hits[0]["title"], "Labour Force Survey");
    let (status, _, _) = call(
        &mut program,
        "GET",
        "/api/v1/data-sources?limit=0",
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Updates: bad bodies are explained; a minor update is created; a second is refused.
    let updates = format!("/api/v1/versions/{}/updates", published.version_id);
    let (status, body, _) = call(&mut program, "POST", &updates, &token, Some("{}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body, _) = call(
        &mut program,
        "POST",
        &updates,
        &token,
        Some(r#"{"update_type":"patch"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("\"minor\" or \"major\"")
    );
    let (status, created, _) = call(
        &mut program,
        "POST",
        &updates,
        &token,
        Some(r#"{"update_type":"minor"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["version"], "1.1");
    assert_eq!(created["status"], "DRAFT");
    let (status, body, _) = call(
        &mut program,
        "POST",
        &updates,
        &token,
        Some(r#"{"update_type":"minor"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("already being updated")
    );
    let (status, _, _) = call(
        &mut program,
        "POST",
        &format!("/api/v1/versions/{}/updates", hidden.version_id),
        &token,
        Some(r#"{"update_type":"major"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "a draft cannot be updated");

    // The API never accepts a session cookie in place of a token: a signed-in browser
    // without one is refused, so there is nothing for a forged request to borrow.
    let mut browser = app.signed_in(&editor);
    let (status, _, _) = call(
        &mut browser,
        "POST",
        &updates,
        "",
        Some(r#"{"update_type":"major"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Revoked: the token stops working at once.
    let id: i32 = {
        use diesel::prelude::*;
        almanac_content::schema::api_token::table
            .select(almanac_content::schema::api_token::id)
            .first(&mut app.conn())
            .unwrap()
    };
    browser
        .post(&format!("/account/api-tokens/{id}/revoke"), &[])
        .await
        .assert_redirect("/account");
    let (status, _, _) = call(&mut program, "GET", "/api/v1/topics", &token, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn departmental_tokens_see_only_shared_measures() {
    let app = TestApp::new();
    let shared = fixtures::page(&mut app.conn(), "health", "APPROVED", true);
    let other = fixtures::page(&mut app.conn(), "health", "APPROVED", true);
    let admin = app.user("admin@ons.gov.uk", UserType::Admin);
    let dept = app.user("analyst@dwp.gov.uk", UserType::Departmental);
    almanac_accounts::users::set_shared(
        &mut app.conn(),
        &Default::default(),
        &admin,
        dept.id,
        shared.measure_id,
        true,
    )
    .unwrap();
    let token = make_token(&app, &dept).await;
    let mut program = app.client();
    let (_, measures, _) = call(&mut program, "GET", "/api/v1/measures", &token, None).await;
    let ids: Vec<i64> = measures
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [i64::from(shared.measure_id)]);
    let (status, _, _) = call(
        &mut program,
        "GET",
        &format!("/api/v1/versions/{}", other.version_id),
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = call(
        &mut program,
        "GET",
        &format!("/api/v1/versions/{}", shared.version_id),
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_openapi_document_describes_every_route_and_needs_no_token() {
    let app = TestApp::new();
    let mut program = app.client();
    let (status, document, _) = call(&mut program, "GET", "/api/v1/openapi.json", "", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(document["openapi"], "3.1.0");
    for path in publisher::routes::api::PATHS {
        assert!(
            document["paths"].get(path).is_some(),
            "{path} is not described"
        );
    }
    assert_eq!(
        document["paths"].as_object().unwrap().len(),
        publisher::routes::api::PATHS.len()
    );
}

#[tokio::test]
async fn a_token_needs_a_name() {
    let app = TestApp::new();
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let mut browser = app.signed_in(&editor);
    let page = browser.post("/account/api-tokens", &[("name", "  ")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("Give the token a name");
}
