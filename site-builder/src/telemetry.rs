//! The site builder's side of `almanac-telemetry`: start-up (Sentry and logs, from `main`),
//! and the small listener of the long-running worker (`site-builder run`) that serves
//! `/metrics` and `/health` on `METRICS_ADDR`.
//!
//! The worker calls, besides `init`:
//! - `metrics_addr()` and, when it is set, `runtime.spawn(serve_metrics(addr, url, metrics))`;
//! - `metrics.record_build(BuildOutcome::…, elapsed)` after each build it runs;
//! - `almanac_telemetry::report_build_failure(build_id, &reason)` when a build fails;
//! - `build_span(build_id)` around a build, so its log lines carry the build id.

use std::net::SocketAddr;
use std::sync::Arc;

use almanac_config::{Environment, ProcessEnv, VarSource};
use almanac_content::db::{self, PgPool};
use almanac_telemetry::{Metrics, QueueState, Telemetry, TelemetrySettings};
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

/// Sentry and the log subscriber, from `ENVIRONMENT`, `SENTRY_DSN` and `LOG_FORMAT`. Called
/// first thing in `main`; keep what it returns until `main` ends, so queued reports are sent.
pub fn init() -> anyhow::Result<Telemetry> {
    let environment = Environment::from_source(&ProcessEnv)?;
    let settings = TelemetrySettings::from_source(&ProcessEnv)?;
    Ok(almanac_telemetry::init(
        "site-builder",
        &environment.to_string(),
        &settings,
        sentry::release_name!(),
    )?)
}

/// `METRICS_ADDR`: where the worker serves `/metrics` and `/health`; `None` when unset.
pub fn metrics_addr(source: &dyn VarSource) -> anyhow::Result<Option<SocketAddr>> {
    Ok(TelemetrySettings::from_source(source)?.metrics_addr)
}

/// The span of one build: every line logged inside it carries `build_id`.
pub fn build_span(build_id: uuid::Uuid) -> tracing::Span {
    tracing::info_span!("build", %build_id)
}

/// Serves `/metrics` and `/health` on `address` until the process ends, with a pool of
/// its own (two connections) so that a long build never starves the health check.
pub async fn serve_metrics(
    address: SocketAddr,
    database_url: String,
    metrics: Arc<Metrics>,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|error| anyhow::anyhow!("cannot listen on METRICS_ADDR={address}: {error}"))?;
    tracing::info!(%address, "metrics listening");
    serve_metrics_on(listener, database_url, metrics).await
}

async fn serve_metrics_on(
    listener: tokio::net::TcpListener,
    database_url: String,
    metrics: Arc<Metrics>,
) -> anyhow::Result<()> {
    let pool = tokio::task::spawn_blocking(move || db::pool(&database_url, 2)).await??;
    let router = Router::new()
        .route("/metrics", get(serve_metrics_text))
        .route("/health", get(health))
        .with_state(Listener { pool, metrics });
    axum::serve(listener, router).await?;
    Ok(())
}

#[derive(Clone)]
struct Listener {
    pool: PgPool,
    metrics: Arc<Metrics>,
}

/// The queue by the database's answer now, or `None` when it does not answer.
async fn read_queue(pool: PgPool) -> Option<QueueState> {
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().ok()?;
        QueueState::read(&mut conn, chrono::Utc::now()).ok()
    })
    .await
    .ok()
    .flatten()
}

async fn serve_metrics_text(State(listener): State<Listener>) -> Response {
    let queue = read_queue(listener.pool).await;
    listener.metrics.set_queue(queue.as_ref());
    (
        [(CONTENT_TYPE, almanac_telemetry::CONTENT_TYPE)],
        listener.metrics.encode(),
    )
        .into_response()
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    database: &'static str,
    queue: Option<QueueState>,
}

/// 200 with the queue when the database answers, 503 otherwise. A stalled build shows in
/// `queue.started.lease` without making this builder unhealthy: the next claim fails it.
async fn health(State(listener): State<Listener>) -> (StatusCode, Json<Health>) {
    match read_queue(listener.pool).await {
        Some(queue) => (
            StatusCode::OK,
            Json(Health {
                status: "ok",
                database: "ok",
                queue: Some(queue),
            }),
        ),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "unavailable",
                database: "unreachable",
                queue: None,
            }),
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use almanac_telemetry::BuildOutcome;
    use almanac_test_support::TestDatabase;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    async fn get(address: SocketAddr, path: &str) -> (u16, String) {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        stream
            .write_all(
                format!("GET {path} HTTP/1.1\r\nHost: builder\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .await
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        let status = answer[9..12].parse().unwrap();
        let body = answer.split_once("\r\n\r\n").unwrap().1.to_owned();
        (status, body)
    }

    #[tokio::test]
    async fn the_worker_serves_metrics_and_health() {
        let database = TestDatabase::new();
        almanac_content::builds::request(&mut database.conn(), "test", "waiting").unwrap();
        let metrics = Arc::new(Metrics::new());
        metrics.record_build(BuildOutcome::Done, Duration::from_secs(12));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(serve_metrics_on(
            listener,
            database.url().to_owned(),
            metrics.clone(),
        ));

        let (status, text) = get(address, "/metrics").await;
        assert_eq!(status, 200);
        for line in [
            r#"almanac_builds_run_total{status="DONE"} 1"#,
            "almanac_build_queue_pending 1",
            "almanac_database_up 1",
        ] {
            assert!(text.contains(line), "{line} missing from:\n{text}");
        }

        let (status, body) = get(address, "/health").await;
        assert_eq!(status, 200);
        assert!(
            body.contains(r#""database":"ok","queue":{"pending":1,"#),
            "{body}"
        );
    }

    #[test]
    fn metrics_addr_is_optional_and_checked() {
        let unset = std::collections::BTreeMap::new();
        assert_eq!(metrics_addr(&unset).unwrap(), None);
        let set = std::collections::BTreeMap::from([("METRICS_ADDR", "0.0.0.0:9101")]);
        assert_eq!(
            metrics_addr(&set).unwrap(),
            Some("0.0.0.0:9101".parse().unwrap())
        );
        let bad = std::collections::BTreeMap::from([("METRICS_ADDR", "everywhere")]);
        assert!(metrics_addr(&bad).is_err());
    }
}
