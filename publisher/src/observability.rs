//! The publisher's side of `almanac-telemetry`: the layers every request passes (a Sentry hub
//! and request context, a request id, a log span, metrics, panics turned into the 500 page),
//! and the `/metrics` listener.
//!
//! `/metrics` is served on its own listener (`METRICS_ADDR`), not on `PUBLISHER_BIND`:
//! Prometheus must scrape each instance directly anyway (through the load balancer it would
//! reach a different instance each time and mix their counters), and an address that only
//! the monitoring network reaches needs no token to guard it. Unset, no metrics are served.

use std::sync::Arc;
use std::time::Instant;

use almanac_config::{Environment, VarSource};
use almanac_telemetry::{Metrics, QueueState, Telemetry, TelemetrySettings};
use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sentry::integrations::tower::{NewSentryLayer, SentryHttpLayer};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::{Level, Span};

use crate::AppState;

const REQUEST_ID: &str = "x-request-id";

/// What the process-wide telemetry needs, read from `source` before anything else so that
/// every command (`serve`, `migrate`, …) reports and logs the same way.
pub fn init_telemetry(source: &dyn VarSource) -> anyhow::Result<Telemetry> {
    let environment = Environment::from_source(source)?;
    let settings = TelemetrySettings::from_source(source)?;
    Ok(almanac_telemetry::init(
        "publisher",
        &environment.to_string(),
        &settings,
        sentry::release_name!(),
    )?)
}

/// `router` with the layers that observe every request, outermost first.
pub fn observed(router: Router, metrics: Arc<Metrics>) -> Router {
    router.layer(
        ServiceBuilder::new()
            // A hub per request: scope data (request, user, request id) stays with its
            // request, and every report made while answering it carries them.
            .layer(NewSentryLayer::<Request<Body>>::new_from_top())
            .layer(SentryHttpLayer::new())
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(request_span)
                    .on_response(DefaultOnResponse::new().level(Level::INFO))
                    // A 5xx was already logged at ERROR and reported by `error.rs`.
                    .on_failure(DefaultOnFailure::new().level(Level::WARN)),
            )
            .layer(from_fn_with_state(metrics, observe))
            .layer(CatchPanicLayer::custom(|_panic| crate::error::panic_page())),
    )
}

/// The span of one request; its fields are on every log line written while answering it.
/// The route template, never the path, which may hold a token (review and reset links).
fn request_span(request: &Request<Body>) -> Span {
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %request.method(),
        route = route(request),
        request_id,
        // Recorded once the session is known (`almanac_telemetry::identify_user`).
        user_id = tracing::field::Empty,
    )
}

fn route(request: &Request<Body>) -> &str {
    request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
}

/// Counts and times the request, and names it on the Sentry scope.
async fn observe(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = route(&request).to_owned();
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    sentry::configure_scope(|scope| {
        scope.set_transaction(Some(&format!("{method} {route}")));
        if let Some(request_id) = request_id {
            scope.set_tag("request_id", request_id);
        }
    });
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.record_request(
        method.as_str(),
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// The router of the `METRICS_ADDR` listener.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// Serves `/metrics` on `listener` until the process ends.
pub async fn serve_metrics(listener: tokio::net::TcpListener, state: AppState) {
    if let Err(error) = axum::serve(listener, metrics_router(state)).await {
        tracing::error!(%error, "the metrics listener stopped");
    }
}

/// Prometheus text. The queue gauges are read from the database now; when it does not
/// answer, `almanac_database_up` says so and the rest is still served.
async fn metrics(State(state): State<AppState>) -> Response {
    let queue = state
        .db
        .run(|conn| Ok(QueueState::read(conn, chrono::Utc::now())?))
        .await;
    state.metrics.set_queue(queue.as_ref().ok());
    (
        [(CONTENT_TYPE, almanac_telemetry::CONTENT_TYPE)],
        state.metrics.encode(),
    )
        .into_response()
}
