//! What the publisher tells its operators: Sentry events for panics and 5xx (never 4xx),
//! request ids and user ids on JSON log lines, Prometheus metrics, and the health check.
//! Sentry events are captured in the process by a test transport: nothing goes over the
//! network.

mod common;

use std::sync::{Arc, Mutex};

use almanac_content::UserType;
use almanac_telemetry::{LogFormat, Metrics};
use almanac_test_support::TestDatabase;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use http_body_util::BodyExt;
use publisher::error::AppError;
use publisher::observability::{metrics_router, observed};
use publisher::{AppState, Db, PublisherConfig};
use sentry::SentryFutureExt;
use sentry::protocol::Event;
use sentry::test::TestTransport;
use tower::ServiceExt;
use tracing_subscriber::layer::SubscriberExt;

/// A hub whose client has the publisher's options (in `environment`) and a test transport.
fn sentry_hub(environment: &str) -> (Arc<sentry::Hub>, Arc<TestTransport>) {
    let transport = TestTransport::new();
    let options = almanac_telemetry::sentry_options(
        "publisher",
        environment,
        Some("https://public@sentry.invalid/1".parse().unwrap()),
        Some("publisher@test".into()),
    )
    .transport(transport.clone());
    // `apply_defaults` adds the panic integration, as `sentry::init` does in `main`.
    let client = sentry::Client::from(sentry::apply_defaults(options));
    let hub = Arc::new(sentry::Hub::new(Some(Arc::new(client)), Default::default()));
    (hub, transport)
}

async fn send(router: Router, request: Request<Body>) -> (StatusCode, String) {
    let response = router.oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn get_request(uri: &str) -> Request<Body> {
    Request::get(uri)
        .header("host", "publisher.test")
        .body(Body::empty())
        .unwrap()
}

/// Handlers that fail in each way, behind the publisher's own observing layers.
fn failing_router() -> Router {
    let router = Router::new()
        .route(
            "/boom",
            get(|| async {
                if true {
                    panic!("the handler fell over");
                }
                "unreachable"
            }),
        )
        .route(
            "/internal",
            get(|| async { AppError::Internal("the disk is full".to_owned()) }),
        )
        .route(
            "/unavailable",
            get(|| async { AppError::DatabaseUnavailable("connection refused".to_owned()) }),
        )
        .route("/missing", get(|| async { AppError::NotFound }))
        .route("/forbidden", get(|| async { AppError::Forbidden }))
        .route(
            "/bad",
            get(|| async { AppError::BadRequest("no such sort order".to_owned()) }),
        )
        .route("/csrf", get(|| async { AppError::CsrfRefused }))
        .route(
            "/slow-down",
            get(|| async {
                AppError::TooManyRequests {
                    retry_after_seconds: 30,
                }
            }),
        );
    observed(router, Arc::new(Metrics::new()))
}

fn message_of(event: &Event<'static>) -> String {
    event
        .exception
        .values
        .first()
        .and_then(|exception| exception.value.clone())
        .or_else(|| event.message.clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_panic_in_a_handler_is_captured_and_answered_with_the_500_page() {
    let (hub, transport) = sentry_hub("staging");
    let (status, body) = send(failing_router(), get_request("/boom"))
        .bind_hub(hub)
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        body.contains("Sorry, there is a problem with the service"),
        "{body}"
    );
    let events = transport.fetch_and_clear_events();
    assert_eq!(events.len(), 1, "one event for one panic: {events:#?}");
    let event = &events[0];
    assert_eq!(message_of(event), "the handler fell over");
    assert_eq!(event.environment.as_deref(), Some("staging"));
    assert_eq!(event.transaction.as_deref(), Some("GET /boom"));
    let request = event.request.as_ref().expect("the request");
    assert_eq!(
        request.url.as_ref().map(|url| url.path()),
        Some("/boom"),
        "{request:?}"
    );
}

#[tokio::test]
async fn server_errors_are_captured_with_status_environment_and_request_id() {
    let (hub, transport) = sentry_hub("production");
    for (path, status) in [("/internal", 500), ("/unavailable", 503)] {
        let request = Request::get(path)
            .header("host", "publisher.test")
            .header("x-request-id", format!("request-{status}"))
            .body(Body::empty())
            .unwrap();
        let (answered, _) = send(failing_router(), request).bind_hub(hub.clone()).await;
        assert_eq!(answered.as_u16(), status);
        let events = transport.fetch_and_clear_events();
        assert_eq!(events.len(), 1, "{path}: {events:#?}");
        let event = &events[0];
        assert_eq!(event.environment.as_deref(), Some("production"));
        assert_eq!(event.tags["status"], status.to_string());
        assert_eq!(event.tags["request_id"], format!("request-{status}"));
        assert_eq!(event.tags["service"], "publisher");
        assert_eq!(event.release.as_deref(), Some("publisher@test"));
    }
}

#[tokio::test]
async fn client_errors_are_never_captured() {
    let (hub, transport) = sentry_hub("production");
    for (path, status) in [
        ("/missing", 404),
        ("/forbidden", 403),
        ("/bad", 400),
        ("/csrf", 403),
        ("/slow-down", 429),
        ("/no-such-route", 404),
    ] {
        let (answered, _) = send(failing_router(), get_request(path))
            .bind_hub(hub.clone())
            .await;
        assert_eq!(answered.as_u16(), status, "{path}");
    }
    assert_eq!(transport.fetch_and_clear_events(), []);
}

fn config(database_url: &str) -> PublisherConfig {
    let env = std::collections::BTreeMap::from([
        ("DATABASE_URL", database_url),
        (
            "GOVUK_FRONTEND_DIR",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../node_modules/govuk-frontend/dist/govuk"
            ),
        ),
        (
            "STATIC_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../static"),
        ),
        ("SECRET_KEY", "test-secret-key-0123456789abcdef-0123456789"),
        ("MAIL_DIR", env!("CARGO_TARGET_TMPDIR")),
    ]);
    PublisherConfig::from_source(&env).expect("valid configuration")
}

fn state(database: &TestDatabase) -> AppState {
    AppState::new(Db::new(database.pool()), config(database.url())).expect("mailer")
}

#[tokio::test]
async fn the_real_routes_report_no_client_error() {
    let database = TestDatabase::new();
    let app = publisher::app(state(&database));
    let (hub, transport) = sentry_hub("production");
    let requests = [
        (get_request("/no-such-page"), 404),
        // A form posted without its CSRF token.
        (
            Request::post("/auth/logout")
                .header("host", "publisher.test")
                .body(Body::empty())
                .unwrap(),
            403,
        ),
        // The API without a token.
        (get_request("/api/v1/topics"), 401),
    ];
    for (request, status) in requests {
        let (answered, _) = send(app.clone(), request).bind_hub(hub.clone()).await;
        assert_eq!(answered.as_u16(), status);
    }
    assert_eq!(transport.fetch_and_clear_events(), []);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_show_the_queue() {
    let database = TestDatabase::new();
    almanac_content::builds::request(&mut database.conn(), "test", "a waiting build").unwrap();
    let state = state(&database);
    let app = publisher::app(state.clone());
    for _ in 0..2 {
        let (status, _) = send(app.clone(), get_request("/healthz")).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _) = send(app.clone(), get_request("/cms/no/such/page/1.0")).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "anonymous: to the sign-in page"
    );

    let response = metrics_router(state)
        .oneshot(get_request("/metrics"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        almanac_telemetry::CONTENT_TYPE
    );
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8(body.to_vec()).unwrap();
    for line in [
        r#"almanac_http_requests_total{method="GET",route="/healthz",status="200"} 2"#,
        r#"almanac_http_requests_total{method="GET",route="/cms/{topic}/{subtopic}/{measure}/{version}",status="303"} 1"#,
        r#"almanac_http_request_duration_seconds_count{method="GET",route="/healthz"} 2"#,
        "almanac_database_up 1",
        "almanac_build_queue_pending 1",
        r#"almanac_builds{status="PENDING"} 1"#,
    ] {
        assert!(text.contains(line), "{line} missing from:\n{text}");
    }
}

#[tokio::test]
async fn health_reports_the_database_and_the_queue() {
    let database = TestDatabase::new();
    almanac_content::builds::request(&mut database.conn(), "test", "a waiting build").unwrap();
    let (status, body) = send(publisher::app(state(&database)), get_request("/healthz")).await;
    assert_eq!(status, StatusCode::OK);
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["database"], "ok");
    assert_eq!(health["queue"]["pending"], 1);
    assert!(
        health["queue"]["oldest_pending_age_seconds"]
            .as_f64()
            .unwrap()
            >= 0.0
    );
    assert_eq!(health["queue"]["started"], serde_json::Value::Null);
}

#[tokio::test]
async fn health_is_503_when_the_database_is_down() {
    // Nothing listens on port 1: every connection is refused.
    let url = "postgres://nobody@127.0.0.1:1/almanac";
    let pool = diesel::r2d2::Pool::builder()
        .connection_timeout(std::time::Duration::from_secs(1))
        .build_unchecked(diesel::r2d2::ConnectionManager::new(url));
    let state = AppState::new(Db::new(pool), config(url)).expect("mailer");
    let (status, body) = send(publisher::app(state.clone()), get_request("/healthz")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["database"], "unreachable");
    assert_eq!(health["queue"], serde_json::Value::Null);

    let (status, text) = send(metrics_router(state), get_request("/metrics")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "metrics are served without a database"
    );
    assert!(text.contains("almanac_database_up 0"), "{text}");
}

/// Log lines written into memory.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Lines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Lines {
    fn json(&self) -> Vec<serde_json::Value> {
        let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
            .collect()
    }
}

#[tokio::test]
async fn json_log_lines_carry_the_request_id_and_the_signed_in_user() {
    let app = common::TestApp::new();
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let mut client = app.signed_in(&editor);

    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::registry()
        .with(almanac_telemetry::log_layer(LogFormat::Json, move || {
            writer.clone()
        }));
    let _default = tracing::subscriber::set_default(subscriber);

    let page = client
        .send(
            Request::get("/account")
                .header("x-request-id", "req-from-the-load-balancer")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("x-request-id"), "req-from-the-load-balancer");
    let anonymous = client.send(get_request("/auth/login")).await;
    let generated = anonymous.header("x-request-id").to_owned();
    assert_eq!(generated.len(), 36, "a UUID: {generated}");

    let finished: Vec<serde_json::Value> = lines
        .json()
        .into_iter()
        .filter(|line| line["message"] == "finished processing request")
        .collect();
    assert_eq!(finished.len(), 2, "{finished:#?}");
    assert_eq!(
        finished[0]["span"]["request_id"],
        "req-from-the-load-balancer"
    );
    assert_eq!(finished[0]["span"]["user_id"], editor.id);
    assert_eq!(finished[0]["span"]["route"], "/account");
    assert_eq!(finished[0]["level"], "INFO");
    assert_eq!(finished[1]["span"]["request_id"], generated.as_str());
}

fn free_address() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// A plain HTTP/1.1 GET; `None` while nothing listens.
fn http_get(address: std::net::SocketAddr, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: publisher.test\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.get(9..12)?.parse().ok()?;
    Some((status, answer.split_once("\r\n\r\n")?.1.to_owned()))
}

#[test]
fn the_publisher_is_ready_within_two_seconds_and_logs_json() {
    let database = TestDatabase::new();
    let folder = tempfile::tempdir().unwrap();
    let (bind, metrics) = (free_address(), free_address());
    let started = std::time::Instant::now();
    let mut publisher = std::process::Command::new(env!("CARGO_BIN_EXE_publisher"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .env("DATABASE_URL", database.url())
        .env("SECRET_KEY", "test-secret-key-0123456789abcdef-0123456789")
        .env("PUBLISHER_BIND", bind.to_string())
        .env("METRICS_ADDR", metrics.to_string())
        .env("LOG_FORMAT", "json")
        .env("MAIL_DIR", folder.path())
        .env("UPLOAD_DIR", folder.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let ready = loop {
        if let Some((200, _)) = http_get(bind, "/healthz") {
            break started.elapsed();
        }
        if started.elapsed() > std::time::Duration::from_secs(10) {
            publisher.kill().unwrap();
            panic!("the publisher did not become ready");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let scraped = http_get(metrics, "/metrics");
    publisher.kill().unwrap();
    let output = publisher.wait_with_output().unwrap();
    assert!(
        ready < std::time::Duration::from_secs(2),
        "ready after {ready:?}"
    );
    let (status, text) = scraped.expect("the metrics listener answers");
    assert_eq!(status, 200);
    assert!(
        text.contains(r#"almanac_http_requests_total{method="GET",route="/healthz",status="200"}"#),
        "{text}"
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|line| line["message"] == "publisher listening"),
        "{stdout}"
    );
    let answered = lines
        .iter()
        .find(|line| line["message"] == "finished processing request")
        .expect("a request line");
    assert_eq!(answered["span"]["route"], "/healthz");
    assert_eq!(
        answered["span"]["request_id"].as_str().map(str::len),
        Some(36)
    );
}
