//! `DATABASE_READ_URL`: the dashboards and the read API read from the replica when it
//! answers, and from the primary when it does not.

mod common;

use almanac_content::UserType;
use almanac_test_support::{TestDatabase, fixtures};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{Client, TestApp};

async fn make_token(app: &TestApp, user: &almanac_content::models::User) -> String {
    let mut browser = app.signed_in(user);
    let page = browser
        .post("/account/api-tokens", &[("name", "replica check")])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let start = page
        .body
        .find(r#"<code id="new-token">"#)
        .expect("the token is shown")
        + r#"<code id="new-token">"#.len();
    let end = start + page.body[start..].find("</code>").unwrap();
    page.body[start..end].to_owned()
}

async fn api_get(client: &mut Client, path: &str, token: &str) -> (StatusCode, String) {
    let request = Request::builder()
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let page = client.send(request).await;
    (page.status, page.body)
}

/// A port with nothing listening: the replica is down.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn a_replica_that_is_down_falls_back_to_the_primary() {
    let down = format!("postgres://almanac@127.0.0.1:{}/almanac", closed_port());
    let app = TestApp::with(&[("DATABASE_READ_URL", &down)]);
    let page = fixtures::page(&mut app.conn(), "primary-topic", "APPROVED", true);
    let editor = app.user("editor@centre.gov.uk", UserType::CentralEditor);
    let mut browser = app.signed_in(&editor);
    let dashboard = browser.get("/dashboards/measures").await;
    assert_eq!(dashboard.status, StatusCode::OK, "{}", dashboard.body);
    dashboard.assert_contains("Topic primary-topic");
    // Again, now that the replica is remembered as down.
    let again = browser.get("/dashboards/whats-new").await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);

    let token = make_token(&app, &editor).await;
    let mut program = app.client();
    let (status, body) = api_get(&mut program, "/api/v1/topics", &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("primary-topic"), "{body}");
    let (status, body) = api_get(
        &mut program,
        &format!("/api/v1/versions/{}", page.version_id),
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_working_replica_serves_the_dashboards_and_the_read_api() {
    let replica = TestDatabase::new();
    fixtures::page(&mut replica.conn(), "replica-topic", "APPROVED", true);
    let app = TestApp::with(&[("DATABASE_READ_URL", replica.url())]);
    fixtures::page(&mut app.conn(), "primary-topic", "APPROVED", true);
    let editor = app.user("editor@centre.gov.uk", UserType::CentralEditor);
    let mut browser = app.signed_in(&editor);

    let dashboard = browser.get("/dashboards/measures").await;
    assert_eq!(dashboard.status, StatusCode::OK, "{}", dashboard.body);
    dashboard.assert_contains("Topic replica-topic");
    assert!(!dashboard.body.contains("Topic primary-topic"));

    // The token is checked on the primary (where it was just made); the data comes from
    // the replica.
    let token = make_token(&app, &editor).await;
    let (status, body) = api_get(&mut app.client(), "/api/v1/topics", &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains("replica-topic") && !body.contains("primary-topic"),
        "{body}"
    );
}
