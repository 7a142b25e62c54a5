//! The S3 store behind the benchmarks' S3 API server: object bytes in files on disk, their
//! keys and attributes in an ordered index in memory.
//!
//! Why not s3s-fs, which the tests use: it names each object's attribute file after the
//! base64 of its key, so a key longer than about 180 bytes fails with a 500 (ENAMETOOLONG),
//! and the site has such keys (a long measure slug, then the source file named after it).
//! It also lists a bucket by walking and sorting the whole folder for every page of 1,000,
//! which made the server, not the sync tools, the thing measured. Here a listing is a range
//! of a `BTreeMap`. The index lives as long as the process: a benchmark's buckets start empty.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use futures_util::StreamExt;
use md5::{Digest, Md5};
use s3s::dto::{
    Bucket, CommonPrefix, CreateBucketInput, CreateBucketOutput, DeleteObjectInput,
    DeleteObjectOutput, DeleteObjectsInput, DeleteObjectsOutput, DeletedObject, ETag,
    GetObjectInput, GetObjectOutput, HeadBucketInput, HeadBucketOutput, HeadObjectInput,
    HeadObjectOutput, ListBucketsInput, ListBucketsOutput, ListObjectsInput, ListObjectsOutput,
    ListObjectsV2Input, ListObjectsV2Output, Metadata, Object, PutObjectInput, PutObjectOutput,
    StreamingBlob, Timestamp,
};
use s3s::{S3, S3Request, S3Response, S3Result, s3_error};

/// What the index knows of one object; its bytes are in the file `file`.
#[derive(Clone)]
struct Stored {
    file: PathBuf,
    size: i64,
    md5_hex: String,
    modified: SystemTime,
    content_type: Option<String>,
    cache_control: Option<String>,
    metadata: Option<Metadata>,
}

#[derive(Default)]
struct Buckets {
    by_name: BTreeMap<String, (SystemTime, BTreeMap<String, Stored>)>,
}

pub struct BenchStore {
    root: PathBuf,
    buckets: Mutex<Buckets>,
    next_file: AtomicU64,
}

impl BenchStore {
    /// A store writing object files under `root` (made if missing).
    pub fn new(root: &Path) -> std::io::Result<BenchStore> {
        std::fs::create_dir_all(root)?;
        Ok(BenchStore {
            root: root.to_owned(),
            buckets: Mutex::new(Buckets::default()),
            next_file: AtomicU64::new(0),
        })
    }

    fn object(&self, bucket: &str, key: &str) -> S3Result<Stored> {
        let buckets = self.buckets.lock().expect("index lock");
        let (_, objects) = buckets
            .by_name
            .get(bucket)
            .ok_or_else(|| s3_error!(NoSuchBucket))?;
        objects
            .get(key)
            .cloned()
            .ok_or_else(|| s3_error!(NoSuchKey))
    }

    /// Removes `key` from the index, and its file; a missing key is not an error (as in S3).
    fn remove(&self, bucket: &str, key: &str) -> S3Result<()> {
        let removed = {
            let mut buckets = self.buckets.lock().expect("index lock");
            let (_, objects) = buckets
                .by_name
                .get_mut(bucket)
                .ok_or_else(|| s3_error!(NoSuchBucket))?;
            objects.remove(key)
        };
        if let Some(stored) = removed {
            let _ = std::fs::remove_file(stored.file);
        }
        Ok(())
    }

    /// One page of a listing: keys after `after` under `prefix`, with everything past the
    /// next `delimiter` rolled into common prefixes; and the last key or prefix returned
    /// when the listing goes on.
    fn list(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: Option<&str>,
        after: Option<&str>,
        max_keys: usize,
    ) -> S3Result<Page> {
        let buckets = self.buckets.lock().expect("index lock");
        let (_, objects) = buckets
            .by_name
            .get(bucket)
            .ok_or_else(|| s3_error!(NoSuchBucket))?;
        let start = match after {
            Some(after) if after >= prefix => std::ops::Bound::Excluded(after.to_owned()),
            _ => std::ops::Bound::Included(prefix.to_owned()),
        };
        let mut page = Page::default();
        let mut prefixes_seen = BTreeSet::new();
        let mut count = 0;
        for (key, stored) in objects.range((start, std::ops::Bound::Unbounded)) {
            let Some(rest) = key.strip_prefix(prefix) else {
                break;
            };
            let rolled_up = delimiter
                .filter(|delimiter| !delimiter.is_empty())
                .and_then(|delimiter| rest.find(delimiter).map(|at| at + delimiter.len()))
                .map(|end| format!("{prefix}{}", &rest[..end]));
            if let Some(common) = &rolled_up {
                // Every key under a prefix already returned is skipped, page after page.
                if after.is_some_and(|after| after.starts_with(common.as_str()))
                    || prefixes_seen.contains(common)
                {
                    continue;
                }
            }
            if count == max_keys {
                page.truncated = true;
                break;
            }
            count += 1;
            match rolled_up {
                Some(common) => {
                    page.last = Some(common.clone());
                    prefixes_seen.insert(common.clone());
                    page.common_prefixes.push(CommonPrefix {
                        prefix: Some(common),
                    });
                }
                None => {
                    page.last = Some(key.clone());
                    page.objects.push(Object {
                        key: Some(key.clone()),
                        size: Some(stored.size),
                        e_tag: Some(ETag::Strong(stored.md5_hex.clone())),
                        last_modified: Some(Timestamp::from(stored.modified)),
                        ..Object::default()
                    });
                }
            }
        }
        Ok(page)
    }
}

#[derive(Default)]
struct Page {
    objects: Vec<Object>,
    common_prefixes: Vec<CommonPrefix>,
    truncated: bool,
    last: Option<String>,
}

fn some_if_any<T>(items: Vec<T>) -> Option<Vec<T>> {
    (!items.is_empty()).then_some(items)
}

fn max_keys(requested: Option<i32>) -> usize {
    requested.map_or(1000, |keys| {
        usize::try_from(keys.clamp(0, 1000)).unwrap_or(1000)
    })
}

fn internal(error: impl std::fmt::Display) -> s3s::S3Error {
    s3_error!(InternalError, "{error}")
}

#[async_trait::async_trait]
impl S3 for BenchStore {
    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let mut buckets = self.buckets.lock().expect("index lock");
        if buckets.by_name.contains_key(&req.input.bucket) {
            return Err(s3_error!(BucketAlreadyOwnedByYou));
        }
        buckets
            .by_name
            .insert(req.input.bucket, (SystemTime::now(), BTreeMap::new()));
        Ok(S3Response::new(CreateBucketOutput::default()))
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        let buckets = self.buckets.lock().expect("index lock");
        if !buckets.by_name.contains_key(&req.input.bucket) {
            return Err(s3_error!(NoSuchBucket));
        }
        Ok(S3Response::new(HeadBucketOutput::default()))
    }

    async fn list_buckets(
        &self,
        _req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let buckets = self.buckets.lock().expect("index lock");
        let list = buckets
            .by_name
            .iter()
            .map(|(name, (created, _))| Bucket {
                name: Some(name.clone()),
                creation_date: Some(Timestamp::from(*created)),
                ..Bucket::default()
            })
            .collect();
        Ok(S3Response::new(ListBucketsOutput {
            buckets: Some(list),
            ..ListBucketsOutput::default()
        }))
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let input = req.input;
        {
            let buckets = self.buckets.lock().expect("index lock");
            if !buckets.by_name.contains_key(&input.bucket) {
                return Err(s3_error!(NoSuchBucket));
            }
        }
        let number = self.next_file.fetch_add(1, Ordering::Relaxed);
        let file = self.root.join(format!("{number:012}"));
        let mut hasher = Md5::new();
        let mut bytes = Vec::new();
        if let Some(mut body) = input.body {
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(internal)?;
                hasher.update(&chunk);
                bytes.extend_from_slice(&chunk);
            }
        }
        let md5_hex: String = hasher
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        tokio::fs::write(&file, &bytes).await.map_err(internal)?;
        let stored = Stored {
            file,
            size: i64::try_from(bytes.len()).map_err(internal)?,
            md5_hex: md5_hex.clone(),
            modified: SystemTime::now(),
            content_type: input.content_type,
            cache_control: input.cache_control,
            metadata: input.metadata,
        };
        let replaced = {
            let mut buckets = self.buckets.lock().expect("index lock");
            let (_, objects) = buckets
                .by_name
                .get_mut(&input.bucket)
                .ok_or_else(|| s3_error!(NoSuchBucket))?;
            objects.insert(input.key, stored)
        };
        if let Some(old) = replaced {
            let _ = std::fs::remove_file(old.file);
        }
        Ok(S3Response::new(PutObjectOutput {
            e_tag: Some(ETag::Strong(md5_hex)),
            ..PutObjectOutput::default()
        }))
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let stored = self.object(&req.input.bucket, &req.input.key)?;
        Ok(S3Response::new(HeadObjectOutput {
            content_length: Some(stored.size),
            content_type: stored.content_type,
            cache_control: stored.cache_control,
            e_tag: Some(ETag::Strong(stored.md5_hex)),
            last_modified: Some(Timestamp::from(stored.modified)),
            metadata: stored.metadata,
            ..HeadObjectOutput::default()
        }))
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let stored = self.object(&req.input.bucket, &req.input.key)?;
        let bytes = tokio::fs::read(&stored.file).await.map_err(internal)?;
        Ok(S3Response::new(GetObjectOutput {
            body: Some(StreamingBlob::from(s3s::Body::from(bytes))),
            content_length: Some(stored.size),
            content_type: stored.content_type,
            cache_control: stored.cache_control,
            e_tag: Some(ETag::Strong(stored.md5_hex)),
            last_modified: Some(Timestamp::from(stored.modified)),
            metadata: stored.metadata,
            ..GetObjectOutput::default()
        }))
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        self.remove(&req.input.bucket, &req.input.key)?;
        Ok(S3Response::new(DeleteObjectOutput::default()))
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let mut deleted = Vec::new();
        for object in req.input.delete.objects {
            self.remove(&req.input.bucket, &object.key)?;
            deleted.push(DeletedObject {
                key: Some(object.key),
                ..DeletedObject::default()
            });
        }
        Ok(S3Response::new(DeleteObjectsOutput {
            deleted: some_if_any(deleted),
            ..DeleteObjectsOutput::default()
        }))
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let input = req.input;
        let prefix = input.prefix.clone().unwrap_or_default();
        let after = match (&input.continuation_token, &input.start_after) {
            (Some(token), _) => Some(token.as_str()),
            (None, Some(start)) => Some(start.as_str()),
            (None, None) => None,
        };
        let max = max_keys(input.max_keys);
        let page = self.list(
            &input.bucket,
            &prefix,
            input.delimiter.as_deref(),
            after,
            max,
        )?;
        let count = page.objects.len() + page.common_prefixes.len();
        Ok(S3Response::new(ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: Some(prefix),
            delimiter: input.delimiter,
            max_keys: Some(i32::try_from(max).unwrap_or(1000)),
            key_count: Some(i32::try_from(count).unwrap_or(i32::MAX)),
            is_truncated: Some(page.truncated),
            continuation_token: input.continuation_token,
            start_after: input.start_after,
            next_continuation_token: page.last.filter(|_| page.truncated),
            contents: some_if_any(page.objects),
            common_prefixes: some_if_any(page.common_prefixes),
            ..ListObjectsV2Output::default()
        }))
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        let input = req.input;
        let prefix = input.prefix.clone().unwrap_or_default();
        let max = max_keys(input.max_keys);
        let page = self.list(
            &input.bucket,
            &prefix,
            input.delimiter.as_deref(),
            input.marker.as_deref(),
            max,
        )?;
        Ok(S3Response::new(ListObjectsOutput {
            name: Some(input.bucket),
            prefix: Some(prefix),
            delimiter: input.delimiter,
            marker: input.marker,
            max_keys: Some(i32::try_from(max).unwrap_or(1000)),
            is_truncated: Some(page.truncated),
            next_marker: page.last.filter(|_| page.truncated),
            contents: some_if_any(page.objects),
            common_prefixes: some_if_any(page.common_prefixes),
            ..ListObjectsOutput::default()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_with(keys: &[&str]) -> (tempfile::TempDir, BenchStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = BenchStore::new(dir.path()).unwrap();
        {
            let mut buckets = store.buckets.lock().unwrap();
            let objects = keys
                .iter()
                .map(|key| {
                    let stored = Stored {
                        file: dir.path().join(key.replace('/', "_")),
                        size: 1,
                        md5_hex: String::new(),
                        modified: SystemTime::UNIX_EPOCH,
                        content_type: None,
                        cache_control: None,
                        metadata: None,
                    };
                    ((*key).to_owned(), stored)
                })
                .collect();
            buckets
                .by_name
                .insert("b".to_owned(), (SystemTime::UNIX_EPOCH, objects));
        }
        (dir, store)
    }

    fn keys(page: &Page) -> Vec<String> {
        let mut keys: Vec<String> = page
            .objects
            .iter()
            .filter_map(|object| object.key.clone())
            .chain(page.common_prefixes.iter().filter_map(|p| p.prefix.clone()))
            .collect();
        keys.sort();
        keys
    }

    const SITE: &[&str] = &[
        "a/1/index.html",
        "a/2/index.html",
        "a/index.html",
        "b/index.html",
        "index.html",
        "z.css",
    ];

    #[test]
    fn lists_with_a_delimiter_roll_up_folders() {
        let (_dir, store) = store_with(SITE);
        let page = store.list("b", "", Some("/"), None, 1000).unwrap();
        assert_eq!(keys(&page), ["a/", "b/", "index.html", "z.css"]);
        let page = store.list("b", "a/", Some("/"), None, 1000).unwrap();
        assert_eq!(keys(&page), ["a/1/", "a/2/", "a/index.html"]);
        assert!(!page.truncated);
    }

    #[test]
    fn pages_resume_after_the_last_key_or_prefix() {
        let (_dir, store) = store_with(SITE);
        let first = store.list("b", "", Some("/"), None, 2).unwrap();
        assert_eq!(keys(&first), ["a/", "b/"]);
        assert!(first.truncated);
        let second = store
            .list("b", "", Some("/"), first.last.as_deref(), 2)
            .unwrap();
        assert_eq!(keys(&second), ["index.html", "z.css"]);
        let flat = store
            .list("b", "", None, Some("a/index.html"), 1000)
            .unwrap();
        assert_eq!(keys(&flat), ["b/index.html", "index.html", "z.css"]);
    }

    #[test]
    fn a_prefix_limits_the_listing() {
        let (_dir, store) = store_with(SITE);
        let page = store.list("b", "a/1", None, None, 1000).unwrap();
        assert_eq!(keys(&page), ["a/1/index.html"]);
        assert!(store.list("missing", "", None, None, 10).is_err());
    }
}
