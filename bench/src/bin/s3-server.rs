//! A real S3 API server for the deploy benchmarks: s3s over `almanac_bench::s3_store` (object
//! files on disk, an ordered index in memory; why not s3s-fs is said there), checking
//! SigV4 signatures with one key, and counting every request it answers so each sync tool's
//! traffic can be compared. `GET /_bench/stats` returns the counts as JSON and
//! `POST /_bench/reset` zeroes them (bucket names cannot start with `_`, so these never
//! shadow an S3 address).
//!
//!   s3-server --root DIR --port 9000 [--access-key K --secret-key S]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use clap::Parser;
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;

#[derive(Parser)]
#[command(about = "An S3 API server on a folder that counts the requests it answers")]
struct Args {
    /// The folder for the object files (made if missing).
    #[arg(long)]
    root: PathBuf,
    /// The port on 127.0.0.1.
    #[arg(long, default_value_t = 9000)]
    port: u16,
    #[arg(long, default_value = "AKIAALMANACBENCH")]
    access_key: String,
    #[arg(long, default_value = "almanac-bench-secret")]
    secret_key: String,
}

/// Requests answered, by kind, and the request bytes received.
#[derive(Default)]
struct Counts {
    by_kind: BTreeMap<&'static str, u64>,
    bytes_in: u64,
}

impl Counts {
    fn record(&mut self, request: &Request<Incoming>) {
        let has_key = request
            .uri()
            .path()
            .trim_start_matches('/')
            .split_once('/')
            .is_some_and(|(_, key)| !key.is_empty());
        let kind = match (request.method(), has_key) {
            (&Method::PUT, true) => "put_object",
            (&Method::GET, true) => "get_object",
            (&Method::HEAD, true) => "head_object",
            (&Method::DELETE, true) => "delete_object",
            (&Method::GET, false) => "list",
            // Multi-object delete, and bucket-level PUT/HEAD/DELETE.
            (&Method::POST, false) => "delete_objects",
            _ => "other",
        };
        *self.by_kind.entry(kind).or_default() += 1;
        self.bytes_in += request
            .headers()
            .get(hyper::header::CONTENT_LENGTH)
            .and_then(|length| length.to_str().ok()?.parse::<u64>().ok())
            .unwrap_or(0);
    }

    fn json(&self) -> String {
        let total: u64 = self.by_kind.values().sum();
        serde_json::json!({
            "requests": total,
            "by_kind": self.by_kind,
            "bytes_in": self.bytes_in,
        })
        .to_string()
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // s3s reports why a request failed (a 500's cause) only through tracing.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("s3s=error")),
        )
        .with_writer(std::io::stderr)
        .init();
    std::fs::create_dir_all(&args.root)
        .with_context(|| format!("cannot make the folder {}", args.root.display()))?;
    let store = almanac_bench::s3_store::BenchStore::new(&args.root)
        .with_context(|| format!("cannot keep objects in {}", args.root.display()))?;
    let mut builder = s3s::service::S3ServiceBuilder::new(store);
    builder.set_auth(s3s::auth::SimpleAuth::from_single(
        args.access_key.as_str(),
        args.secret_key.as_str(),
    ));
    let service = builder.build();
    let address = SocketAddr::from(([127, 0, 0, 1], args.port));
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address}"))?;
    println!("http://{address}");
    let counts = Arc::new(Mutex::new(Counts::default()));
    loop {
        let (socket, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                eprintln!("accept failed: {error}");
                continue;
            }
        };
        let service = service.clone();
        let counts = counts.clone();
        let handler = hyper::service::service_fn(move |request: Request<Incoming>| {
            let service = service.clone();
            let counts = counts.clone();
            async move {
                let path = request.uri().path();
                if path == "/_bench/stats" || path == "/_bench/reset" {
                    let mut counts = counts.lock().expect("counts lock");
                    if path == "/_bench/reset" {
                        *counts = Counts::default();
                    }
                    return Ok(Response::new(s3s::Body::from(counts.json())));
                }
                counts.lock().expect("counts lock").record(&request);
                service.call(request.map(s3s::Body::from)).await
            }
        });
        tokio::spawn(async move {
            let _ = ConnBuilder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(socket), handler)
                .await;
        });
    }
}
