//! The Prometheus metrics of a binary, in the Prometheus project's own client library: a
//! registry owned by the binary (no global recorder), so that tests each get their own.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::queue::{BUILD_STATUSES, LeaseState, QueueState};

/// The content type of [`Metrics::encode`]'s text, for the `/metrics` response.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

/// What became of an uploaded source-data file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadOutcome {
    /// A clean CSV, accepted.
    Accepted,
    /// Not a valid CSV, or too large.
    Rejected,
    /// The virus scanner found something.
    Infected,
    /// The virus scanner could not be reached, so the file was refused.
    Unscanned,
}

impl UploadOutcome {
    fn label(self) -> &'static str {
        match self {
            UploadOutcome::Accepted => "accepted",
            UploadOutcome::Rejected => "rejected",
            UploadOutcome::Infected => "infected",
            UploadOutcome::Unscanned => "unscanned",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UploadLabels {
    outcome: &'static str,
}

/// How a build that this process ran ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuildOutcome {
    Done,
    Failed,
}

/// Every metric of a binary. Cheap to share behind an `Arc`; every method takes `&self`.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_seconds: Family<RouteLabels, Histogram>,
    uploads: Family<UploadLabels, Counter>,
    builds_run: Family<StatusLabels, Counter>,
    build_seconds: Family<StatusLabels, Histogram>,
    database_up: Gauge,
    builds: Family<StatusLabels, Gauge>,
    queue_pending: Gauge,
    queue_oldest_pending_seconds: Gauge<f64, AtomicU64>,
    lease_expired: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut metrics = Metrics {
            registry: Registry::with_prefix("almanac"),
            requests: Family::default(),
            // 5 ms to about 20 s.
            request_seconds: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.005, 2.0, 13))
            }),
            uploads: Family::default(),
            builds_run: Family::default(),
            // 1 s to about 1 h.
            build_seconds: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(1.0, 2.0, 13))
            }),
            database_up: Gauge::default(),
            builds: Family::default(),
            queue_pending: Gauge::default(),
            queue_oldest_pending_seconds: Gauge::default(),
            lease_expired: Gauge::default(),
        };
        let registry = &mut metrics.registry;
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            metrics.requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            metrics.request_seconds.clone(),
        );
        registry.register(
            "uploads",
            "Source-data files uploaded, by outcome of the checks and the virus scan",
            metrics.uploads.clone(),
        );
        registry.register(
            "builds_run",
            "Site builds this process ran, by how they ended",
            metrics.builds_run.clone(),
        );
        registry.register(
            "build_duration_seconds",
            "Time a site build took, by how it ended",
            metrics.build_seconds.clone(),
        );
        registry.register(
            "database_up",
            "1 when the database answered the last scrape, 0 otherwise",
            metrics.database_up.clone(),
        );
        registry.register(
            "builds",
            "Builds in the build table, by status",
            metrics.builds.clone(),
        );
        registry.register(
            "build_queue_pending",
            "Build requests waiting (PENDING)",
            metrics.queue_pending.clone(),
        );
        registry.register(
            "build_queue_oldest_pending_age_seconds",
            "Age of the oldest PENDING build request; 0 when none waits",
            metrics.queue_oldest_pending_seconds.clone(),
        );
        registry.register(
            "build_lease_expired",
            "1 when a STARTED build's lease has run out (its builder stopped), 0 otherwise",
            metrics.lease_expired.clone(),
        );
        metrics
    }

    /// An answered request. `route` is the route template (`/cms/{topic}/…`), never the
    /// path itself, so that the number of series stays bounded.
    pub fn record_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let method = match method {
            "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => method,
            _ => "other",
        };
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status: status.to_string(),
            })
            .inc();
        self.request_seconds
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    pub fn record_upload(&self, outcome: UploadOutcome) {
        self.uploads
            .get_or_create(&UploadLabels {
                outcome: outcome.label(),
            })
            .inc();
    }

    /// A build this process ran to its end.
    pub fn record_build(&self, outcome: BuildOutcome, elapsed: Duration) {
        let labels = StatusLabels {
            status: match outcome {
                BuildOutcome::Done => "DONE",
                BuildOutcome::Failed => "FAILED",
            }
            .to_owned(),
        };
        self.builds_run.get_or_create(&labels).inc();
        self.build_seconds
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// The queue as read at scrape time, or `None` when the database did not answer (the
    /// queue gauges then keep their last values and `database_up` says 0).
    pub fn set_queue(&self, queue: Option<&QueueState>) {
        let Some(queue) = queue else {
            self.database_up.set(0);
            return;
        };
        self.database_up.set(1);
        for status in BUILD_STATUSES {
            let count = queue.by_status.get(status).copied().unwrap_or(0);
            self.builds
                .get_or_create(&StatusLabels {
                    status: status.to_owned(),
                })
                .set(count);
        }
        self.queue_pending.set(queue.pending);
        self.queue_oldest_pending_seconds
            .set(queue.oldest_pending_age_seconds.unwrap_or(0.0));
        let expired = queue
            .started
            .as_ref()
            .is_some_and(|started| started.lease == LeaseState::Expired);
        self.lease_expired.set(i64::from(expired));
    }

    /// Every metric in the text exposition format (OpenMetrics, which Prometheus reads).
    pub fn encode(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::queue::StartedBuild;

    #[test]
    fn requests_are_counted_by_route_template_and_status() {
        let metrics = Metrics::new();
        metrics.record_request("GET", "/cms/{topic}", 200, Duration::from_millis(12));
        metrics.record_request("GET", "/cms/{topic}", 200, Duration::from_millis(30));
        metrics.record_request("BREW", "unmatched", 404, Duration::from_millis(1));
        let text = metrics.encode();
        assert!(
            text.contains(
                r#"almanac_http_requests_total{method="GET",route="/cms/{topic}",status="200"} 2"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"almanac_http_requests_total{method="other",route="unmatched",status="404"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"almanac_http_request_duration_seconds_count{method="GET",route="/cms/{topic}"} 2"#
            ),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn queue_uploads_and_builds_are_shown() {
        let metrics = Metrics::new();
        metrics.record_upload(UploadOutcome::Accepted);
        metrics.record_upload(UploadOutcome::Infected);
        metrics.record_build(BuildOutcome::Failed, Duration::from_secs(40));
        metrics.set_queue(Some(&QueueState {
            pending: 2,
            oldest_pending_age_seconds: Some(95.5),
            started: Some(StartedBuild {
                id: uuid::Uuid::nil(),
                builder: Some("worker-1".to_owned()),
                started_at: None,
                lease_expires_at: None,
                lease: LeaseState::Expired,
            }),
            by_status: BTreeMap::from([("PENDING".to_owned(), 2), ("DONE".to_owned(), 7)]),
        }));
        let text = metrics.encode();
        for line in [
            r#"almanac_uploads_total{outcome="accepted"} 1"#,
            r#"almanac_uploads_total{outcome="infected"} 1"#,
            r#"almanac_builds_run_total{status="FAILED"} 1"#,
            r#"almanac_builds{status="DONE"} 7"#,
            r#"almanac_builds{status="FAILED"} 0"#,
            "almanac_build_queue_pending 2",
            "almanac_build_queue_oldest_pending_age_seconds 95.5",
            "almanac_build_lease_expired 1",
            "almanac_database_up 1",
        ] {
            assert!(text.contains(line), "{line} missing from:\n{text}");
        }
        metrics.set_queue(None);
        assert!(metrics.encode().contains("almanac_database_up 0"));
    }
}
