//! A real S3 API server (s3s-fs, in this process, on 127.0.0.1:0, SigV4 checked), with a
//! switch that makes the next PutObject requests fail with 503 SlowDown.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use almanac_deploy::{S3Config, S3Target, Site};
use s3s::dto::*;
use s3s::{S3, S3Request, S3Response, S3Result, s3_error};
use tempfile::TempDir;

use almanac_test_support::s3::{ACCESS_KEY, SECRET_KEY};

/// s3s-fs with injectable failures.
struct Flaky {
    inner: s3s_fs::FileSystem,
    failing_puts: Arc<AtomicUsize>,
    puts: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl S3 for Flaky {
    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        self.inner.create_bucket(req).await
    }
    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.inner.head_bucket(req).await
    }
    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let failing = self
            .failing_puts
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            return Err(s3_error!(SlowDown, "injected by the test"));
        }
        self.puts.fetch_add(1, Ordering::SeqCst);
        self.inner.put_object(req).await
    }
    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        self.inner.get_object(req).await
    }
    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        self.inner.head_object(req).await
    }
    async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        self.inner.copy_object(req).await
    }
    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        self.inner.delete_object(req).await
    }
    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        self.inner.delete_objects(req).await
    }
    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        self.inner.list_objects_v2(req).await
    }
}

pub struct S3Server {
    pub endpoint: String,
    /// PutObject requests still to fail with 503 SlowDown.
    pub failing_puts: Arc<AtomicUsize>,
    /// PutObject requests that reached the store.
    pub puts: Arc<AtomicUsize>,
    _root: TempDir,
    _server: almanac_test_support::s3::S3Server,
}

impl S3Server {
    pub async fn start() -> S3Server {
        let root = tempfile::tempdir().unwrap();
        let failing_puts = Arc::new(AtomicUsize::new(0));
        let puts = Arc::new(AtomicUsize::new(0));
        let flaky = Flaky {
            inner: s3s_fs::FileSystem::new(root.path()).unwrap(),
            failing_puts: failing_puts.clone(),
            puts: puts.clone(),
        };
        let server = almanac_test_support::s3::S3Server::serve(flaky).await;
        S3Server {
            endpoint: server.endpoint.clone(),
            failing_puts,
            puts,
            _root: root,
            _server: server,
        }
    }

    pub fn config(&self, bucket: &str) -> S3Config {
        S3Config {
            endpoint: Some(self.endpoint.clone()),
            region: "us-east-1".to_owned(),
            bucket: bucket.to_owned(),
            access_key_id: ACCESS_KEY.to_owned(),
            secret_access_key: SECRET_KEY.to_owned(),
            session_token: None,
            path_style: true,
            attempt_timeout: Duration::from_secs(10),
        }
    }

    /// A new, empty bucket.
    pub async fn bucket(&self, bucket: &str) -> S3Target {
        let target = S3Target::new(&self.config(bucket));
        target
            .client()
            .create_bucket()
            .bucket(bucket)
            .send()
            .await
            .unwrap();
        target
    }
}

/// What a bucket holds for one key: bytes, Content-Type, Cache-Control.
pub async fn object(target: &S3Target, key: &str) -> Option<(Vec<u8>, String, String)> {
    let output = target
        .client()
        .get_object()
        .bucket(target.bucket())
        .key(key)
        .send()
        .await
        .ok()?;
    let content_type = output.content_type().unwrap_or_default().to_owned();
    let cache_control = output.cache_control().unwrap_or_default().to_owned();
    let bytes = output.body.collect().await.unwrap().into_bytes().to_vec();
    Some((bytes, content_type, cache_control))
}

/// Every key in a bucket.
pub async fn keys(target: &S3Target) -> Vec<String> {
    let output = target
        .client()
        .list_objects_v2()
        .bucket(target.bucket())
        .send()
        .await
        .unwrap();
    let mut keys: Vec<String> = output
        .contents()
        .iter()
        .filter_map(|object| object.key().map(str::to_owned))
        .collect();
    keys.sort();
    keys
}

pub fn site(files: &[(&str, &str)]) -> Site {
    let mut site = Site::new();
    for (path, text) in files {
        site.add(*path, text.as_bytes().to_vec()).unwrap();
    }
    site
}

/// A small site with every phase: an asset, pages, a CSV, the sitemap.
pub fn demo_site() -> Site {
    site(&[
        ("index.html", "<h1>Ethnicity facts and figures</h1>"),
        ("health/index.html", "<h1>Health</h1>"),
        (
            "health/smoking/latest/index.html",
            "<h1>Smoking</h1><a href=\"../1.0/\">1.0</a>",
        ),
        ("health/smoking/1.0/index.html", "<h1>Smoking 1.0</h1>"),
        (
            "health/smoking/1.0/downloads/smoking.csv",
            "Ethnicity,Value\nAsian,12\n",
        ),
        ("work/index.html", "<h1>Work</h1>"),
        ("assets/site-0123abcd.css", "body{margin:0}"),
        ("robots.txt", "User-agent: *\n"),
        ("sitemap.xml", "<urlset/>"),
    ])
}
