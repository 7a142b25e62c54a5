//! S3 buckets: a deploy executes the difference between the bucket's previous manifest and
//! the site, and `verify` compares a bucket with its manifest.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use almanac_site::{
    DeployStep, FileId, Manifest, ManifestDiff, ManifestEntry, Phase, Site, StepKind,
};
use aws_sdk_s3::Client;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, MetadataDirective, ObjectIdentifier};
use bytes::Bytes;
use futures_util::stream::{self, StreamExt};
use md5::{Digest, Md5};

/// User metadata written with every object: the manifest's SHA-256 of its bytes and their
/// MD5 (what S3's ETag is for a single-part upload), so `verify` can tell stale bytes apart
/// without the site at hand.
pub const SHA256_METADATA: &str = "sha256";
pub const MD5_METADATA: &str = "md5";

/// DeleteObjects takes at most 1,000 keys.
const DELETE_BATCH: usize = 1000;

/// Where a bucket is and how to sign requests to it.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Config {
    /// `None` for AWS itself; `http://127.0.0.1:9000` for a local S3 API server.
    pub endpoint: Option<String>,
    pub region: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    /// `bucket` as the first path segment instead of a host name: needed by most local S3
    /// servers.
    pub path_style: bool,
    /// Time limit of one request attempt, connection included.
    pub attempt_timeout: Duration,
}

impl Default for S3Config {
    /// AWS in `eu-west-2`, virtual-host addressing, 30 s per attempt; bucket and credentials
    /// empty, to fill in.
    fn default() -> S3Config {
        S3Config {
            endpoint: None,
            region: "eu-west-2".to_owned(),
            bucket: String::new(),
            access_key_id: String::new(),
            secret_access_key: String::new(),
            session_token: None,
            path_style: false,
            attempt_timeout: Duration::from_secs(30),
        }
    }
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("bucket", &self.bucket)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"…")
            .field("path_style", &self.path_style)
            .field("attempt_timeout", &self.attempt_timeout)
            .finish()
    }
}

/// Retries of one request: on 5xx, `SlowDown` and other throttling codes, timeouts and
/// connection failures, waiting `base_delay`, then twice as long each time (up to
/// `max_delay`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts: 6,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// How many deletes a deploy may make without `allow_deletes`: the larger of `at_least` and
/// `percent` of the objects the bucket held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeleteCap {
    pub at_least: usize,
    pub percent: usize,
}

impl Default for DeleteCap {
    fn default() -> DeleteCap {
        DeleteCap {
            at_least: 256,
            percent: 5,
        }
    }
}

impl DeleteCap {
    pub fn limit(&self, objects_before: usize) -> usize {
        self.at_least.max(objects_before * self.percent / 100)
    }
}

/// One finished step, given to [`DeployOptions::progress`].
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    pub bucket: &'a str,
    pub step: &'a DeployStep,
    /// Steps finished so far in this deploy, this one included.
    pub done: usize,
    pub total: usize,
}

/// Called after each finished step (for a progress bar). Returning `Break` stops the deploy
/// before its next step, with [`DeployError::Stopped`]: for a builder that has lost its
/// lease.
pub type ProgressFn = Arc<dyn Fn(Progress<'_>) -> ControlFlow<()> + Send + Sync>;

#[derive(Clone)]
pub struct DeployOptions {
    /// Requests in flight at once, per bucket.
    pub concurrency: usize,
    /// Bytes of uploads held in memory at once, per bucket: a site's largest pages (the
    /// dashboards, the search index) grow with it, and sixteen of them in flight would
    /// otherwise hold hundreds of MB. A file larger than this is sent alone.
    pub in_flight_bytes: u64,
    pub retry: RetryPolicy,
    pub delete_cap: DeleteCap,
    /// Confirms a deploy whose deletes exceed the cap.
    pub allow_deletes: bool,
    pub progress: Option<ProgressFn>,
}

impl Default for DeployOptions {
    fn default() -> DeployOptions {
        DeployOptions {
            concurrency: 16,
            in_flight_bytes: 32 << 20,
            retry: RetryPolicy::default(),
            delete_cap: DeleteCap::default(),
            allow_deletes: false,
            progress: None,
        }
    }
}

impl fmt::Debug for DeployOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeployOptions")
            .field("concurrency", &self.concurrency)
            .field("in_flight_bytes", &self.in_flight_bytes)
            .field("retry", &self.retry)
            .field("delete_cap", &self.delete_cap)
            .field("allow_deletes", &self.allow_deletes)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// What a deploy did to one bucket. Steps are in the order they finished within each phase;
/// written files are the site's, by number ([`DeployReport::paths`] puts their paths
/// together), so a report on a whole large site stays small.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeployReport {
    pub bucket: String,
    /// New or changed bytes (PutObject).
    pub uploaded: Vec<FileId>,
    /// Same bytes, new headers (CopyObject onto itself).
    pub updated: Vec<FileId>,
    pub deleted: Vec<String>,
    pub bytes_uploaded: u64,
    /// Requests that were sent again after a retryable failure.
    pub retries: u32,
    pub elapsed: Duration,
}

impl DeployReport {
    /// The site's files this report shows as written, for
    /// [`crate::ManifestStore::record_progress`].
    pub fn written(&self) -> impl Iterator<Item = FileId> + '_ {
        self.uploaded.iter().chain(&self.updated).copied()
    }

    /// How many steps finished.
    pub fn steps(&self) -> usize {
        self.uploaded.len() + self.updated.len() + self.deleted.len()
    }

    /// The paths of one kind of finished step, in path order; `site` is the one deployed.
    pub fn paths(&self, kind: StepKind, site: &Site) -> Vec<String> {
        let files = match kind {
            StepKind::Upload => &self.uploaded,
            StepKind::HeadersOnly => &self.updated,
            StepKind::Delete => return sorted(self.deleted.clone()),
        };
        sorted(files.iter().filter_map(|&id| site.path_of(id)).collect())
    }

    pub fn is_empty(&self) -> bool {
        self.steps() == 0
    }
}

fn sorted(mut paths: Vec<String>) -> Vec<String> {
    paths.sort();
    paths
}

/// One S3 request that failed for good.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "S3 {operation} of “{key}” in bucket {bucket} failed after {attempts} attempt(s): {message}"
)]
pub struct S3Error {
    pub operation: &'static str,
    pub bucket: String,
    pub key: String,
    pub attempts: u32,
    /// The HTTP status, when the server answered.
    pub status: Option<u16>,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// Refused before anything changed.
    #[error(
        "the deploy would delete {count} objects from bucket {bucket}, more than the cap of {cap} \
         (first: {}); check that the site is meant to lose them, then run again with deletes \
         allowed (`allow_deletes`, site-builder `--allow-deletes`) to confirm",
        first.join(", ")
    )]
    TooManyDeletes {
        bucket: String,
        count: usize,
        cap: usize,
        /// Up to ten of the paths.
        first: Vec<String>,
    },
    /// The steps were planned for another site than the one given: a caller bug.
    #[error("the deploy's steps were planned for another site than the one given")]
    PlannedForAnotherSite,
    /// A request failed for good; `completed` is what was done before.
    #[error("{source}")]
    Request {
        source: S3Error,
        completed: Box<DeployReport>,
    },
    /// The progress callback asked to stop.
    #[error("the deploy to bucket {} was stopped after {} step(s)", completed.bucket, completed.steps())]
    Stopped { completed: Box<DeployReport> },
}

impl DeployError {
    /// What was done before the deploy failed, to record with
    /// [`crate::ManifestStore::record_progress`].
    pub fn completed(&self) -> Option<&DeployReport> {
        match self {
            DeployError::Request { completed, .. } | DeployError::Stopped { completed } => {
                Some(completed)
            }
            DeployError::TooManyDeletes { .. } | DeployError::PlannedForAnotherSite => None,
        }
    }
}

/// How an object in a bucket differs from its manifest entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    Size {
        expected: u64,
        found: u64,
    },
    /// A single-part ETag that is not the MD5 of the expected bytes.
    ETag {
        expected: String,
        found: String,
    },
    ContentType {
        expected: String,
        found: Option<String>,
    },
    CacheControl {
        expected: String,
        found: Option<String>,
    },
    /// The `sha256` metadata written at upload differs, or is missing (not uploaded by us).
    Sha256 {
        expected: String,
        found: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectDrift {
    pub path: String,
    pub differences: Vec<Difference>,
}

/// How a bucket differs from its manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drift {
    pub bucket: String,
    /// In the manifest, not in the bucket.
    pub missing: Vec<String>,
    /// In the bucket, not in the manifest.
    pub extra: Vec<String>,
    pub changed: Vec<ObjectDrift>,
    /// Objects listed.
    pub objects: usize,
}

impl Drift {
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty() && self.changed.is_empty()
    }
}

/// Options of [`S3Target::verify`].
#[derive(Debug, Clone, Copy)]
pub struct VerifyOptions<'a> {
    /// HeadObject every listed object to compare its headers and hash metadata; without,
    /// only presence and size (and ETags the listing gives) are compared.
    pub head_objects: bool,
    /// The site the manifest was made from, if at hand: ETags are then compared with the
    /// MD5 of its bytes.
    pub site: Option<&'a Site>,
    pub concurrency: usize,
    pub retry: RetryPolicy,
}

impl Default for VerifyOptions<'_> {
    fn default() -> Self {
        VerifyOptions {
            head_objects: true,
            site: None,
            concurrency: 16,
            retry: RetryPolicy::default(),
        }
    }
}

/// The object naming the environment a bucket belongs to (`production`, `staging`…), written
/// by the first deploy and checked before every later one, so that a staging builder pointed
/// at production's bucket by mistake stops before it writes. It is in no manifest, so deploys
/// never delete it, and `verify` does not report it as extra.
pub const ENVIRONMENT_MARKER: &str = ".almanac-environment";

/// One bucket.
#[derive(Debug, Clone)]
pub struct S3Target {
    client: Client,
    bucket: String,
}

impl S3Target {
    pub fn new(config: &S3Config) -> S3Target {
        let credentials = Credentials::new(
            config.access_key_id.clone(),
            config.secret_access_key.clone(),
            config.session_token.clone(),
            None,
            "almanac-deploy",
        );
        let mut builder = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(config.region.clone()))
            .credentials_provider(credentials)
            .force_path_style(config.path_style)
            // Retries are ours (`RetryPolicy`), so they are counted and bounded in one place.
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_attempt_timeout(config.attempt_timeout)
                    .connect_timeout(config.attempt_timeout.min(Duration::from_secs(10)))
                    .build(),
            );
        if let Some(endpoint) = &config.endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        S3Target {
            client: Client::from_conf(builder.build()),
            bucket: config.bucket.clone(),
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The SDK client, for what this crate does not cover (creating a bucket in tests).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The environment named by the bucket's [`ENVIRONMENT_MARKER`] object, or `None` when
    /// the bucket has none yet (a new bucket).
    pub async fn environment_marker(&self, retry: &RetryPolicy) -> Result<Option<String>, S3Error> {
        let fetched = with_retries(retry, &self.bucket, "GetObject", ENVIRONMENT_MARKER, || {
            self.client
                .get_object()
                .bucket(&self.bucket)
                .key(ENVIRONMENT_MARKER)
                .send()
        })
        .await;
        let output = match fetched {
            Ok((output, _)) => output,
            Err(error) if error.status == Some(404) => return Ok(None),
            Err(error) => return Err(error),
        };
        let bytes = output.body.collect().await.map_err(|error| S3Error {
            operation: "GetObject",
            bucket: self.bucket.clone(),
            key: ENVIRONMENT_MARKER.to_owned(),
            attempts: 1,
            status: None,
            message: error.to_string(),
        })?;
        Ok(Some(
            String::from_utf8_lossy(&bytes.into_bytes())
                .trim()
                .to_owned(),
        ))
    }

    /// Writes the [`ENVIRONMENT_MARKER`] object naming `environment`.
    pub async fn write_environment_marker(
        &self,
        environment: &str,
        retry: &RetryPolicy,
    ) -> Result<(), S3Error> {
        with_retries(retry, &self.bucket, "PutObject", ENVIRONMENT_MARKER, || {
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(ENVIRONMENT_MARKER)
                .body(ByteStream::from(format!("{environment}\n").into_bytes()))
                .content_type("text/plain; charset=utf-8")
                .cache_control("no-store")
                .send()
        })
        .await
        .map(|_| ())
    }

    /// Makes the bucket hold `site`, given that it holds `previous`: uploads new and changed
    /// files, copies files whose headers alone changed onto themselves with the new headers,
    /// and deletes files no longer in the site, phase by phase (assets, pages, sitemap,
    /// deletes), each phase finished before the next starts.
    ///
    /// Refuses, before sending anything, a deploy whose deletes exceed the cap unless
    /// `options.allow_deletes`.
    pub async fn deploy(
        &self,
        site: &Site,
        previous: &Manifest,
        options: &DeployOptions,
    ) -> Result<DeployReport, DeployError> {
        let diff = self.plan(previous, site, options)?;
        self.run(site, &diff, options).await
    }

    /// The steps of a deploy from `previous` to `site`, refused if its deletes exceed the
    /// cap (unless `options.allow_deletes`). A deploy recorded in Postgres makes its diff
    /// with [`crate::ManifestStore::diff`] and checks it with [`S3Target::check_deletes`].
    pub fn plan(
        &self,
        previous: &Manifest,
        site: &Site,
        options: &DeployOptions,
    ) -> Result<ManifestDiff, DeployError> {
        let diff = ManifestDiff::between(previous, site);
        self.check_deletes(&diff, options)?;
        Ok(diff)
    }

    /// Refuses a diff whose deletes exceed the cap (unless `options.allow_deletes`): call it
    /// before [`crate::ManifestStore::begin`], so a refused deploy marks nothing pending.
    pub fn check_deletes(
        &self,
        diff: &ManifestDiff,
        options: &DeployOptions,
    ) -> Result<(), DeployError> {
        let deletes = diff.deletes();
        let cap = options.delete_cap.limit(diff.previous_files());
        if deletes.len() > cap && !options.allow_deletes {
            return Err(DeployError::TooManyDeletes {
                bucket: self.bucket.clone(),
                count: deletes.len(),
                cap,
                first: deletes.iter().take(10).cloned().collect(),
            });
        }
        Ok(())
    }

    /// Runs the steps of `diff`, made for `site`. Each step's path and bytes are put
    /// together as it is sent, so a deploy holds only the files in flight.
    pub async fn run(
        &self,
        site: &Site,
        diff: &ManifestDiff,
        options: &DeployOptions,
    ) -> Result<DeployReport, DeployError> {
        let started = Instant::now();
        if !diff.is_for(site) {
            return Err(DeployError::PlannedForAnotherSite);
        }
        let total = diff.len();
        let mut report = DeployReport {
            bucket: self.bucket.clone(),
            ..DeployReport::default()
        };
        let mut done = 0;
        let concurrency = options.concurrency.max(1);
        let in_flight = InFlight::new(options.in_flight_bytes);
        for phase in Phase::ALL {
            let mut results = if phase == Phase::Delete {
                let deletes: Vec<DeployStep> = diff.steps_in(phase, site).collect();
                let batches: Vec<Vec<DeployStep>> =
                    deletes.chunks(DELETE_BATCH).map(<[_]>::to_vec).collect();
                stream::iter(batches.into_iter().map(|batch| async move {
                    let keys: Vec<&str> = batch.iter().map(|step| step.path.as_str()).collect();
                    let outcome = self.delete_batch(&keys, &options.retry).await;
                    (batch, 0, outcome)
                }))
                .buffer_unordered(concurrency)
                .boxed()
            } else {
                let in_flight = &in_flight;
                stream::iter(diff.steps_in(phase, site).map(move |step| async move {
                    let outcome = self.write(site, &step, in_flight, &options.retry).await;
                    let bytes = match step.kind {
                        StepKind::Upload => step
                            .file
                            .and_then(|id| site.file(id))
                            .map_or(0, |file| file.size),
                        _ => 0,
                    };
                    (vec![step], bytes, outcome)
                }))
                .buffer_unordered(concurrency)
                .boxed()
            };
            while let Some((finished, bytes, outcome)) = results.next().await {
                match outcome {
                    Ok(retries) => report.retries += retries,
                    Err(source) => {
                        report.elapsed = started.elapsed();
                        return Err(DeployError::Request {
                            source,
                            completed: Box::new(report),
                        });
                    }
                }
                report.bytes_uploaded += bytes;
                for step in finished {
                    done += 1;
                    match (step.kind, step.file) {
                        (StepKind::Upload, Some(id)) => report.uploaded.push(id),
                        (StepKind::HeadersOnly, Some(id)) => report.updated.push(id),
                        _ => report.deleted.push(step.path.clone()),
                    }
                    if let Some(progress) = &options.progress {
                        let flow = progress(Progress {
                            bucket: &self.bucket,
                            step: &step,
                            done,
                            total,
                        });
                        if flow.is_break() {
                            report.elapsed = started.elapsed();
                            return Err(DeployError::Stopped {
                                completed: Box::new(report),
                            });
                        }
                    }
                }
            }
        }
        report.elapsed = started.elapsed();
        Ok(report)
    }

    /// One upload or header update.
    async fn write(
        &self,
        site: &Site,
        step: &DeployStep,
        in_flight: &InFlight,
        retry: &RetryPolicy,
    ) -> Result<u32, S3Error> {
        let file = step
            .file
            .and_then(|id| site.file(id))
            .expect("a write step names a file of the site it was planned for");
        let entry = ManifestEntry::of(&step.path, file);
        match step.kind {
            StepKind::Upload => {
                let _held = in_flight.hold(file.size).await;
                self.upload(site, &step.path, &entry, retry).await
            }
            _ => self.copy_headers(&step.path, &entry, retry).await,
        }
    }

    async fn upload(
        &self,
        site: &Site,
        path: &str,
        entry: &ManifestEntry,
        retry: &RetryPolicy,
    ) -> Result<u32, S3Error> {
        match site.read(path) {
            Ok(bytes) => {
                self.put(path, Bytes::from(bytes.into_owned()), entry, retry)
                    .await
            }
            Err(error) => Err(S3Error {
                operation: "upload (reading the built file)",
                bucket: self.bucket.clone(),
                key: path.to_owned(),
                attempts: 0,
                status: None,
                message: error.to_string(),
            }),
        }
    }

    async fn put(
        &self,
        key: &str,
        bytes: Bytes,
        entry: &ManifestEntry,
        retry: &RetryPolicy,
    ) -> Result<u32, S3Error> {
        let md5 = hex(&Md5::digest(&bytes));
        with_retries(retry, &self.bucket, "PutObject", key, || {
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(key)
                .body(ByteStream::from(bytes.clone()))
                .content_type(&entry.content_type)
                .cache_control(&entry.cache_control)
                .metadata(SHA256_METADATA, &entry.sha256)
                .metadata(MD5_METADATA, &md5)
                .send()
        })
        .await
        .map(|(_, retries)| retries)
    }

    /// CopyObject onto itself with `MetadataDirective: REPLACE`: the bytes stay, the headers
    /// change. The hash metadata is read first, because REPLACE drops it too.
    async fn copy_headers(
        &self,
        key: &str,
        entry: &ManifestEntry,
        retry: &RetryPolicy,
    ) -> Result<u32, S3Error> {
        let (head, head_retries) = with_retries(retry, &self.bucket, "HeadObject", key, || {
            self.client
                .head_object()
                .bucket(&self.bucket)
                .key(key)
                .send()
        })
        .await?;
        let mut metadata = head.metadata().cloned().unwrap_or_default();
        metadata.insert(SHA256_METADATA.to_owned(), entry.sha256.clone());
        let source = format!("{}/{}", self.bucket, encode_key(key));
        let (_, copy_retries) = with_retries(retry, &self.bucket, "CopyObject", key, || {
            self.client
                .copy_object()
                .bucket(&self.bucket)
                .key(key)
                .copy_source(&source)
                .metadata_directive(MetadataDirective::Replace)
                .set_metadata(Some(metadata.clone()))
                .content_type(&entry.content_type)
                .cache_control(&entry.cache_control)
                .send()
        })
        .await?;
        Ok(head_retries + copy_retries)
    }

    /// DeleteObjects; keys the server reports as failed are sent again, with backoff.
    async fn delete_batch(&self, keys: &[&str], retry: &RetryPolicy) -> Result<u32, S3Error> {
        let mut remaining: Vec<String> = keys.iter().map(|key| (*key).to_owned()).collect();
        let mut retries = 0;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let objects = remaining
                .iter()
                .map(|key| ObjectIdentifier::builder().key(key).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|error| S3Error {
                    operation: "DeleteObjects",
                    bucket: self.bucket.clone(),
                    key: remaining[0].clone(),
                    attempts: attempt,
                    status: None,
                    message: error.to_string(),
                })?;
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|error| S3Error {
                    operation: "DeleteObjects",
                    bucket: self.bucket.clone(),
                    key: remaining[0].clone(),
                    attempts: attempt,
                    status: None,
                    message: error.to_string(),
                })?;
            let (output, sent_again) =
                with_retries(retry, &self.bucket, "DeleteObjects", &remaining[0], || {
                    self.client
                        .delete_objects()
                        .bucket(&self.bucket)
                        .delete(delete.clone())
                        .send()
                })
                .await?;
            retries += sent_again;
            let failed: Vec<&aws_sdk_s3::types::Error> = output
                .errors()
                .iter()
                .filter(|error| error.code() != Some("NoSuchKey"))
                .collect();
            if failed.is_empty() {
                return Ok(retries);
            }
            if attempt >= retry.attempts {
                let first = failed[0];
                return Err(S3Error {
                    operation: "DeleteObjects",
                    bucket: self.bucket.clone(),
                    key: first.key().unwrap_or_default().to_owned(),
                    attempts: attempt,
                    status: None,
                    message: format!(
                        "{} key(s) not deleted: {} {}",
                        failed.len(),
                        first.code().unwrap_or_default(),
                        first.message().unwrap_or_default()
                    ),
                });
            }
            remaining = failed
                .iter()
                .filter_map(|error| error.key().map(str::to_owned))
                .collect();
            if remaining.is_empty() {
                return Ok(retries);
            }
            retries += 1;
            tokio::time::sleep(retry.delay(attempt)).await;
        }
    }

    /// Lists the bucket (ListObjectsV2, every page) and compares it with `manifest`:
    /// missing and extra objects, and objects whose size, ETag, content type, cache control
    /// or hash metadata differ (the last three need `head_objects`). Give it the manifest of
    /// a finished deploy (a loaded one with pending files reports those files as changed).
    pub async fn verify(
        &self,
        manifest: &Manifest,
        options: &VerifyOptions<'_>,
    ) -> Result<Drift, S3Error> {
        let listed = self.list(&options.retry).await?;
        let mut drift = Drift {
            bucket: self.bucket.clone(),
            objects: listed.len(),
            ..Drift::default()
        };
        drift.missing = manifest
            .entries
            .keys()
            .filter(|path| !listed.contains_key(*path))
            .cloned()
            .collect();
        drift.extra = listed
            .keys()
            .filter(|key| *key != ENVIRONMENT_MARKER && !manifest.entries.contains_key(*key))
            .cloned()
            .collect();
        let present: Vec<(&String, &ManifestEntry, &Listed)> = manifest
            .entries
            .iter()
            .filter_map(|(path, entry)| listed.get(path).map(|object| (path, entry, object)))
            .collect();
        let expected_md5 = |path: &str| {
            options
                .site
                .and_then(|site| site.read(path).ok())
                .map(|bytes| hex(&Md5::digest(&bytes)))
        };
        let mut changed: BTreeMap<String, Vec<Difference>> = BTreeMap::new();
        for (path, entry, object) in &present {
            let mut differences = Vec::new();
            if object.size != entry.size {
                differences.push(Difference::Size {
                    expected: entry.size,
                    found: object.size,
                });
            }
            if let (Some(found), Some(expected)) = (&object.etag, expected_md5(path))
                && is_single_part(found)
                && *found != expected
            {
                differences.push(Difference::ETag {
                    expected,
                    found: found.clone(),
                });
            }
            if !differences.is_empty() {
                changed.insert((*path).clone(), differences);
            }
        }
        if options.head_objects {
            let heads = stream::iter(present.iter().map(|(path, entry, _)| async move {
                let head = with_retries(&options.retry, &self.bucket, "HeadObject", path, || {
                    self.client
                        .head_object()
                        .bucket(&self.bucket)
                        .key(path.as_str())
                        .send()
                })
                .await;
                (*path, *entry, head)
            }))
            .buffer_unordered(options.concurrency.max(1))
            .collect::<Vec<_>>()
            .await;
            for (path, entry, head) in heads {
                let (head, _) = head?;
                let differences = changed.entry(path.clone()).or_default();
                let metadata = head.metadata();
                let stored_sha = metadata.and_then(|m| m.get(SHA256_METADATA)).cloned();
                if stored_sha.as_deref() != Some(entry.sha256.as_str()) {
                    differences.push(Difference::Sha256 {
                        expected: entry.sha256.clone(),
                        found: stored_sha,
                    });
                }
                if head.content_type() != Some(entry.content_type.as_str()) {
                    differences.push(Difference::ContentType {
                        expected: entry.content_type.clone(),
                        found: head.content_type().map(str::to_owned),
                    });
                }
                if head.cache_control() != Some(entry.cache_control.as_str()) {
                    differences.push(Difference::CacheControl {
                        expected: entry.cache_control.clone(),
                        found: head.cache_control().map(str::to_owned),
                    });
                }
                let etag = head.e_tag().map(unquote);
                let expected = expected_md5(path)
                    .or_else(|| metadata.and_then(|m| m.get(MD5_METADATA)).cloned());
                let already = differences
                    .iter()
                    .any(|d| matches!(d, Difference::ETag { .. }));
                if let (Some(found), Some(expected)) = (etag, expected)
                    && is_single_part(&found)
                    && found != expected
                    && !already
                {
                    differences.push(Difference::ETag { expected, found });
                }
            }
        }
        drift.changed = changed
            .into_iter()
            .filter(|(_, differences)| !differences.is_empty())
            .map(|(path, differences)| ObjectDrift { path, differences })
            .collect();
        Ok(drift)
    }

    async fn list(&self, retry: &RetryPolicy) -> Result<BTreeMap<String, Listed>, S3Error> {
        let mut listed = BTreeMap::new();
        let mut token: Option<String> = None;
        loop {
            let (page, _) = with_retries(retry, &self.bucket, "ListObjectsV2", "", || {
                self.client
                    .list_objects_v2()
                    .bucket(&self.bucket)
                    .set_continuation_token(token.clone())
                    .send()
            })
            .await?;
            for object in page.contents() {
                if let Some(key) = object.key() {
                    listed.insert(
                        key.to_owned(),
                        Listed {
                            size: object.size().unwrap_or(0).max(0) as u64,
                            etag: object.e_tag().map(unquote),
                        },
                    );
                }
            }
            match page.next_continuation_token() {
                Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_owned()),
                _ => break,
            }
        }
        Ok(listed)
    }
}

/// The bytes of uploads a bucket's deploy holds at once ([`DeployOptions::in_flight_bytes`]),
/// counted in 64 KiB units so that any budget fits a semaphore.
struct InFlight {
    units: tokio::sync::Semaphore,
    total: u32,
}

impl InFlight {
    const UNIT: u64 = 64 << 10;

    fn new(budget: u64) -> InFlight {
        let most = (tokio::sync::Semaphore::MAX_PERMITS as u64).min(u64::from(u32::MAX));
        let total = budget.div_ceil(Self::UNIT).clamp(1, most) as u32;
        InFlight {
            units: tokio::sync::Semaphore::new(total as usize),
            total,
        }
    }

    /// Waits until `size` bytes fit (a file over the budget takes all of it).
    async fn hold(&self, size: u64) -> tokio::sync::SemaphorePermit<'_> {
        let units = u32::try_from(size.div_ceil(Self::UNIT).max(1))
            .map_or(self.total, |units| units.min(self.total));
        self.units
            .acquire_many(units)
            .await
            .expect("the semaphore is never closed")
    }
}

struct Listed {
    size: u64,
    etag: Option<String>,
}

/// Deploys `site` to both buckets at once, each from its own previous manifest. Both delete
/// caps are checked before either bucket changes. `Ok` only when both buckets hold the new
/// site; the caller then saves both manifests.
pub async fn deploy_both(
    site: &Site,
    primary: (&S3Target, &Manifest),
    mirror: (&S3Target, &Manifest),
    options: &DeployOptions,
) -> Result<BothReport, BothError> {
    let primary_diff = primary
        .0
        .plan(primary.1, site, options)
        .map_err(BothError::Refused)?;
    let mirror_diff = mirror
        .0
        .plan(mirror.1, site, options)
        .map_err(BothError::Refused)?;
    let (first, second) = tokio::join!(
        primary.0.run(site, &primary_diff, options),
        mirror.0.run(site, &mirror_diff, options),
    );
    match (first, second) {
        (Ok(primary), Ok(mirror)) => Ok(BothReport { primary, mirror }),
        (primary, mirror) => Err(BothError::Failed {
            primary: Box::new(primary),
            mirror: Box::new(mirror),
        }),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BothReport {
    pub primary: DeployReport,
    pub mirror: DeployReport,
}

#[derive(Debug, thiserror::Error)]
pub enum BothError {
    /// A delete cap refused the deploy; neither bucket changed.
    #[error("{0}")]
    Refused(DeployError),
    /// At least one bucket failed; each side says how far it got.
    #[error("{}", describe_both(primary, mirror))]
    Failed {
        primary: Box<Result<DeployReport, DeployError>>,
        mirror: Box<Result<DeployReport, DeployError>>,
    },
}

fn describe_both(
    primary: &Result<DeployReport, DeployError>,
    mirror: &Result<DeployReport, DeployError>,
) -> String {
    let side = |name: &str, result: &Result<DeployReport, DeployError>| match result {
        Ok(report) => format!("{name} ({}) deployed", report.bucket),
        Err(error) => format!("{name} failed: {error}"),
    };
    format!("{}; {}", side("primary", primary), side("mirror", mirror))
}

/// Sends a request until it succeeds, fails for a reason a retry cannot fix, or runs out of
/// attempts. Returns the output and how many times it was sent again.
async fn with_retries<T, E, F, Fut>(
    policy: &RetryPolicy,
    bucket: &str,
    operation: &'static str,
    key: &str,
    mut send: F,
) -> Result<(T, u32), S3Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E>>>,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        match send().await {
            Ok(output) => return Ok((output, attempt - 1)),
            Err(error) => {
                let status = match &error {
                    SdkError::ServiceError(service) => Some(service.raw().status().as_u16()),
                    _ => None,
                };
                if attempt >= policy.attempts.max(1) || !retryable(&error) {
                    return Err(S3Error {
                        operation,
                        bucket: bucket.to_owned(),
                        key: key.to_owned(),
                        attempts: attempt,
                        status,
                        message: DisplayErrorContext(&error).to_string(),
                    });
                }
                tracing::debug!(operation, key, attempt, error = %DisplayErrorContext(&error), "S3 request will be retried");
                tokio::time::sleep(policy.delay(attempt)).await;
            }
        }
    }
}

fn retryable<E: ProvideErrorMetadata>(error: &SdkError<E>) -> bool {
    match error {
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => true,
        SdkError::DispatchFailure(failure) => !failure.is_user(),
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let code = service.err().code().unwrap_or_default();
            status >= 500
                || status == 429
                || matches!(
                    code,
                    "SlowDown"
                        | "RequestTimeout"
                        | "InternalError"
                        | "ServiceUnavailable"
                        | "Throttling"
                        | "ThrottlingException"
                        | "RequestLimitExceeded"
                )
        }
        _ => false,
    }
}

fn unquote(etag: &str) -> String {
    etag.trim_matches('"').to_owned()
}

/// A plain MD5 ETag; multipart uploads have `-<parts>`, and SSE-KMS objects other values.
fn is_single_part(etag: &str) -> bool {
    etag.len() == 32 && etag.bytes().all(|b| b.is_ascii_hexdigit())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `x-amz-copy-source` is URL-encoded; slashes between segments stay.
fn encode_key(key: &str) -> String {
    let mut encoded = String::with_capacity(key.len());
    for byte in key.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~/".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn uploads_in_flight_stay_within_the_byte_budget() {
        let in_flight = InFlight::new(1 << 20);
        let big = in_flight.hold(40 << 20).await;
        assert_eq!(
            in_flight.units.available_permits(),
            0,
            "a file over the budget takes all"
        );
        drop(big);
        let first = in_flight.hold(600 << 10).await;
        let waiting = tokio::time::timeout(Duration::from_millis(50), in_flight.hold(600 << 10));
        assert!(waiting.await.is_err(), "two of them do not fit in 1 MiB");
        drop(first);
        let _second = in_flight.hold(600 << 10).await;
        let _small = in_flight.hold(1).await;
    }

    #[test]
    fn backoff_doubles_up_to_the_limit() {
        let policy = RetryPolicy {
            attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
        };
        let delays: Vec<u128> = (1..=5).map(|a| policy.delay(a).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 500, 500]);
    }

    #[test]
    fn the_delete_cap_scales_with_the_site() {
        let cap = DeleteCap::default();
        assert_eq!(cap.limit(100), 256);
        assert_eq!(cap.limit(20_000), 1000);
    }

    #[test]
    fn copy_sources_are_encoded() {
        assert_eq!(
            encode_key("a b/ü+x.html"),
            "a%20b/%C3%BC%2Bx.html".to_owned()
        );
        assert!(is_single_part("0123456789abcdef0123456789abcdef"));
        assert!(!is_single_part("0123456789abcdef0123456789abcdef-2"));
    }
}
