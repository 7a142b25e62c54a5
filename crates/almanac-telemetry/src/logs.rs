//! The layers of the global subscriber: log lines, and `error!` events to Sentry.

use sentry::integrations::tracing::ErrorLayer;
use tracing::Level;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::registry::LookupSpan;

use crate::LogFormat;
use crate::reports::REPORTED_TARGET;

/// Log lines in `format`, written to `writer`. In JSON each line carries the fields of the
/// current span and of its parents, which is how a line gets its request id, user id or
/// build id.
pub fn log_layer<S, W>(format: LogFormat, writer: W) -> Box<dyn Layer<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'span> LookupSpan<'span>,
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let layer = tracing_subscriber::fmt::layer().with_writer(writer);
    match format {
        LogFormat::Human => layer.boxed(),
        LogFormat::Json => layer
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(true)
            .boxed(),
    }
}

/// `error!` events as Sentry events, on the hub of the current request or job.
///
/// Skipped: lines whose failure a report already sent (`REPORTED_TARGET`), and tower-http's
/// "response failed" line, which repeats a 5xx that the error handling reported. No 4xx goes
/// through either: client errors are never logged at `ERROR`.
pub fn sentry_layer<S>() -> Box<dyn Layer<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'span> LookupSpan<'span>,
{
    ErrorLayer::new()
        .with_filter(filter_fn(|metadata| {
            metadata.is_event()
                && *metadata.level() == Level::ERROR
                && metadata.target() != REPORTED_TARGET
                && !metadata.target().starts_with("tower_http")
        }))
        .boxed()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use sentry::test::TestTransport;
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;
    use crate::reports::{report_server_error, sentry_options};

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

    #[test]
    fn json_lines_carry_the_fields_of_their_spans() {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber =
            tracing_subscriber::registry().with(log_layer(LogFormat::Json, move || writer.clone()));
        tracing::subscriber::with_default(subscriber, || {
            let build = tracing::info_span!("build", build_id = "b-1");
            let _entered = build.enter();
            tracing::info!(pages = 3, "rendered");
        });
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        let line: serde_json::Value = serde_json::from_str(text.trim()).expect("one JSON line");
        assert_eq!(line["message"], "rendered");
        assert_eq!(line["pages"], 3);
        assert_eq!(line["span"]["build_id"], "b-1");
        assert_eq!(line["level"], "INFO");
    }

    #[test]
    fn errors_become_events_once_and_warnings_do_not() {
        let transport = TestTransport::new();
        let options = sentry_options(
            "publisher",
            "production",
            Some("https://public@sentry.invalid/1".parse().unwrap()),
            None,
        )
        .transport(transport.clone());
        let hub = Arc::new(sentry::Hub::new(
            Some(Arc::new(sentry::Client::from(options))),
            Default::default(),
        ));
        let subscriber = tracing_subscriber::registry().with(sentry_layer());
        tracing::subscriber::with_default(subscriber, || {
            sentry::Hub::run(hub, || {
                tracing::warn!("a client sent a bad form");
                tracing::error!(target: "tower_http::trace::on_failure", "response failed");
                report_server_error(500, &std::io::Error::other("broken"));
                tracing::error!("could not send email");
            });
        });
        let messages: Vec<String> = transport
            .fetch_and_clear_events()
            .into_iter()
            .map(|event| {
                event
                    .message
                    .or_else(|| event.exception.values.first()?.value.clone())
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(messages, ["broken", "could not send email"]);
    }
}
