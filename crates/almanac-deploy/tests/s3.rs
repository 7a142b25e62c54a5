//! S3 deploys against a real S3 API server (s3s-fs in this process), with the manifests in a
//! real Postgres and, for the rollback, a real git history.

mod common;

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use almanac_deploy::{
    BothError, Bucket, CommitInfo, DeleteCap, DeployError, DeployOptions, DeployReport, Difference,
    GitConfig, GitHistory, Holds, Manifest, ManifestStore, RecordedError, RetryPolicy, S3Target,
    Site, StoreError, VerifyOptions, deploy_both, deploy_recorded,
};
use almanac_site::{ManifestDiff, StepKind, cache_control_for, content_type_for};
use almanac_test_support::TestDatabase;
use chrono::{TimeZone, Utc};
use common::{S3Server, demo_site, keys, object, site};
use diesel::RunQueryDsl;
use diesel::pg::PgConnection;

/// The flow the site builder follows for one bucket (see the crate documentation).
async fn deploy(
    conn: &mut PgConnection,
    target: &S3Target,
    site: &Site,
    fence: i64,
    options: &DeployOptions,
) -> Result<DeployReport, DeployError> {
    let store = ManifestStore::new(target.bucket()).unwrap();
    let diff = store.diff(conn, site).unwrap();
    target.check_deletes(&diff, options)?;
    store.begin(conn, fence, site, &diff).unwrap();
    match target.run(site, &diff, options).await {
        Ok(report) => {
            store
                .finish(conn, fence, site, &diff, &Holds::default())
                .unwrap();
            Ok(report)
        }
        Err(error) => {
            if let Some(done) = error.completed() {
                store
                    .record_progress(
                        conn,
                        fence,
                        site,
                        done.written(),
                        done.deleted.iter().map(String::as_str),
                    )
                    .unwrap();
            }
            Err(error)
        }
    }
}

/// The same for primary and mirror together, through `deploy_recorded`.
async fn deploy_pair(
    conn: &mut PgConnection,
    primary: &S3Target,
    mirror: &S3Target,
    site: &Site,
    fence: i64,
    options: &DeployOptions,
) -> Result<(DeployReport, DeployReport), RecordedError> {
    let stores = [primary, mirror].map(|t| ManifestStore::new(t.bucket()).unwrap());
    let buckets = [
        Bucket {
            store: &stores[0],
            target: primary,
        },
        Bucket {
            store: &stores[1],
            target: mirror,
        },
    ];
    let mut reports =
        deploy_recorded(conn, &buckets, site, fence, &Holds::default(), options).await?;
    let second = reports.pop().unwrap();
    Ok((reports.pop().unwrap(), second))
}

fn fast_retries() -> DeployOptions {
    DeployOptions {
        retry: RetryPolicy {
            attempts: 4,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
        },
        ..DeployOptions::default()
    }
}

async fn assert_no_drift(target: &S3Target, manifest: &Manifest, site: &Site) {
    let drift = target
        .verify(
            manifest,
            &VerifyOptions {
                site: Some(site),
                ..VerifyOptions::default()
            },
        )
        .await
        .unwrap();
    assert!(drift.is_clean(), "{drift:#?}");
    assert_eq!(drift.objects, site.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_deploy_fills_both_buckets_and_a_redeploy_sends_nothing() {
    let server = S3Server::start().await;
    let primary = server.bucket("primary").await;
    let mirror = server.bucket("mirror").await;
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let site = demo_site();

    let (first, second) = deploy_pair(conn, &primary, &mirror, &site, 1, &DeployOptions::default())
        .await
        .unwrap();
    for report in [&first, &second] {
        assert_eq!(report.uploaded.len(), site.len());
        assert_eq!(report.bytes_uploaded, site.total_bytes());
        assert!(report.updated.is_empty() && report.deleted.is_empty());
        // Assets first, the sitemap after every page.
        let path = |id| site.path_of(id).unwrap();
        assert_eq!(path(report.uploaded[0]), "assets/site-0123abcd.css");
        assert_eq!(path(*report.uploaded.last().unwrap()), "sitemap.xml");
    }
    for bucket in [&primary, &mirror] {
        assert_eq!(
            keys(bucket).await,
            site.iter().map(|(p, _)| p).collect::<Vec<_>>()
        );
        for (path, _) in site.iter() {
            let (bytes, content_type, cache_control) = object(bucket, &path).await.unwrap();
            assert_eq!(bytes, site.read(&path).unwrap().as_ref(), "{path}");
            assert_eq!(content_type, content_type_for(&path), "{path}");
            assert_eq!(cache_control, cache_control_for(&path), "{path}");
        }
        let stored = ManifestStore::new(bucket.bucket())
            .unwrap()
            .load(conn)
            .unwrap();
        assert_eq!(stored.manifest, Manifest::of(&site));
        assert_eq!(stored.fencing, 1);
        assert_no_drift(bucket, &stored.manifest, &site).await;
    }
    let (bytes, content_type, cache_control) =
        object(&primary, "assets/site-0123abcd.css").await.unwrap();
    assert_eq!(bytes, b"body{margin:0}");
    assert_eq!(content_type, "text/css; charset=utf-8");
    assert_eq!(cache_control, "public, max-age=31536000, immutable");

    let puts = server.puts.load(Ordering::SeqCst);
    let (first, second) = deploy_pair(conn, &primary, &mirror, &site, 2, &DeployOptions::default())
        .await
        .unwrap();
    assert!(
        first.is_empty() && second.is_empty(),
        "{first:?} {second:?}"
    );
    assert_eq!(
        server.puts.load(Ordering::SeqCst),
        puts,
        "no object sent again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_changed_page_uploads_that_object_only_and_a_header_change_is_a_copy() {
    let server = S3Server::start().await;
    let bucket = server.bucket("site").await;
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let before = demo_site();
    deploy(conn, &bucket, &before, 1, &DeployOptions::default())
        .await
        .unwrap();

    let mut after = Site::new();
    for (path, _) in before.iter() {
        let bytes = if path == "health/smoking/latest/index.html" {
            b"<h1>Smoking, corrected</h1>".to_vec()
        } else {
            before.read(&path).unwrap().into_owned()
        };
        after.add(path, bytes).unwrap();
    }
    let puts = server.puts.load(Ordering::SeqCst);
    let report = deploy(conn, &bucket, &after, 2, &DeployOptions::default())
        .await
        .unwrap();
    assert_eq!(
        report.paths(StepKind::Upload, &after),
        ["health/smoking/latest/index.html"]
    );
    assert!(report.updated.is_empty() && report.deleted.is_empty());
    assert_eq!(server.puts.load(Ordering::SeqCst), puts + 1);
    assert_eq!(
        object(&bucket, "health/smoking/latest/index.html")
            .await
            .unwrap()
            .0,
        b"<h1>Smoking, corrected</h1>"
    );

    // The bucket holds an object sent with an older cache rule; its bytes are right.
    let mut old_rule = Manifest::of(&after);
    old_rule
        .entries
        .get_mut("work/index.html")
        .unwrap()
        .cache_control = "no-cache".to_owned();
    bucket
        .client()
        .copy_object()
        .bucket("site")
        .key("work/index.html")
        .copy_source("site/work/index.html")
        .metadata_directive(aws_sdk_s3::types::MetadataDirective::Replace)
        .metadata("sha256", &old_rule.entries["work/index.html"].sha256)
        .content_type("text/html; charset=utf-8")
        .cache_control("no-cache")
        .send()
        .await
        .unwrap();
    // Recorded as sent under the old rule.
    let recorded = diesel::sql_query(
        "UPDATE deploy_file SET cache_control = 'no-cache' \
         WHERE target = 'site' AND path = 'work/index.html'",
    )
    .execute(conn)
    .unwrap();
    assert_eq!(recorded, 1);
    let drift = bucket
        .verify(&Manifest::of(&after), &VerifyOptions::default())
        .await
        .unwrap();
    assert_eq!(drift.changed.len(), 1, "{drift:?}");

    let puts = server.puts.load(Ordering::SeqCst);
    let report = deploy(conn, &bucket, &after, 4, &DeployOptions::default())
        .await
        .unwrap();
    assert_eq!(
        report.paths(StepKind::HeadersOnly, &after),
        ["work/index.html"]
    );
    assert!(report.uploaded.is_empty());
    assert_eq!(
        server.puts.load(Ordering::SeqCst),
        puts,
        "a copy, not an upload"
    );
    let (bytes, _, cache_control) = object(&bucket, "work/index.html").await.unwrap();
    assert_eq!(bytes, b"<h1>Work</h1>");
    assert_eq!(cache_control, "public, max-age=300");
    assert_no_drift(&bucket, &Manifest::of(&after), &after).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removed_pages_are_deleted_from_both_buckets_within_the_cap() {
    let server = S3Server::start().await;
    let primary = server.bucket("primary").await;
    let mirror = server.bucket("mirror").await;
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let full = demo_site();
    deploy_pair(conn, &primary, &mirror, &full, 1, &DeployOptions::default())
        .await
        .unwrap();

    let without = |gone: &[&str]| {
        let mut site = Site::new();
        for (path, _) in full
            .iter()
            .filter(|(path, _)| !gone.contains(&path.as_str()))
        {
            site.add(path.clone(), full.read(&path).unwrap().into_owned())
                .unwrap();
        }
        site
    };

    // One page unpublished: deleted from both.
    let smaller = without(&["work/index.html"]);
    let (first, second) = deploy_pair(
        conn,
        &primary,
        &mirror,
        &smaller,
        2,
        &DeployOptions::default(),
    )
    .await
    .unwrap();
    for (report, bucket) in [(&first, &primary), (&second, &mirror)] {
        assert_eq!(report.deleted, ["work/index.html"]);
        assert!(report.uploaded.is_empty());
        assert!(!keys(bucket).await.contains(&"work/index.html".to_owned()));
        assert_no_drift(bucket, &Manifest::of(&smaller), &smaller).await;
    }

    // Three more deletes with a cap of two: refused, and nothing changes anywhere.
    let capped = DeployOptions {
        delete_cap: DeleteCap {
            at_least: 2,
            percent: 0,
        },
        ..DeployOptions::default()
    };
    let tiny = without(&[
        "work/index.html",
        "health/smoking/1.0/index.html",
        "health/smoking/1.0/downloads/smoking.csv",
        "robots.txt",
    ]);
    let before = (keys(&primary).await, keys(&mirror).await);
    let error = deploy_pair(conn, &primary, &mirror, &tiny, 3, &capped)
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(matches!(
        &error,
        RecordedError::Refused(DeployError::TooManyDeletes {
            count: 3,
            cap: 2,
            ..
        })
    ));
    assert!(message.contains("delete 3 objects"), "{message}");
    assert!(message.contains("cap of 2"), "{message}");
    assert!(message.contains("allow_deletes"), "{message}");
    assert_eq!((keys(&primary).await, keys(&mirror).await), before);
    for name in ["primary", "mirror"] {
        let stored = ManifestStore::new(name).unwrap().load(conn).unwrap();
        assert_eq!(stored.manifest, Manifest::of(&smaller));
    }
    // The single-bucket path refuses the same way.
    let refused = deploy(conn, &primary, &tiny, 3, &capped).await.unwrap_err();
    assert!(matches!(
        refused,
        DeployError::TooManyDeletes { count: 3, .. }
    ));

    // Confirmed.
    let confirmed = DeployOptions {
        allow_deletes: true,
        ..capped
    };
    let (first, second) = deploy_pair(conn, &primary, &mirror, &tiny, 3, &confirmed)
        .await
        .unwrap();
    assert_eq!(first.deleted.len(), 3);
    assert_eq!(second.deleted.len(), 3);
    for bucket in [&primary, &mirror] {
        assert_no_drift(bucket, &Manifest::of(&tiny), &tiny).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deploy_stopped_midway_is_repaired_by_the_next_one() {
    let server = S3Server::start().await;
    let bucket = server.bucket("site").await;
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let v1 = demo_site();
    deploy(conn, &bucket, &v1, 1, &DeployOptions::default())
        .await
        .unwrap();

    // v2 changes every page, adds two, and drops one.
    let mut v2 = Site::new();
    for (path, _) in v1.iter().filter(|(path, _)| path != "work/index.html") {
        let mut bytes = v1.read(&path).unwrap().into_owned();
        bytes.extend_from_slice(b" v2");
        v2.add(path, bytes).unwrap();
    }
    v2.add("crime/index.html", b"<h1>Crime</h1>".to_vec())
        .unwrap();
    v2.add("assets/site-89abcdef.js", b"init()".to_vec())
        .unwrap();

    // The builder dies after three steps: nothing after `begin` is recorded.
    let store = ManifestStore::new("site").unwrap();
    let stored = store.load(conn).unwrap();
    let wanted = Manifest::of(&v2);
    let diff = store.diff(conn, &v2).unwrap();
    store.begin(conn, 2, &v2, &diff).unwrap();
    let steps = Arc::new(AtomicUsize::new(0));
    let counter = steps.clone();
    let dying = DeployOptions {
        concurrency: 1,
        progress: Some(Arc::new(move |_| {
            if counter.fetch_add(1, Ordering::SeqCst) + 1 >= 3 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })),
        ..DeployOptions::default()
    };
    let error = bucket
        .deploy(&v2, &stored.manifest, &dying)
        .await
        .unwrap_err();
    assert!(matches!(error, DeployError::Stopped { .. }), "{error}");
    assert_eq!(error.completed().unwrap().uploaded.len(), 3);

    // The bucket is half v1, half v2; the manifest knows which files may be either.
    let after_crash = store.load(conn).unwrap();
    assert!(after_crash.needs_repair());
    let mut touched: Vec<String> = diff.steps(&v2).map(|step| step.path).collect();
    touched.sort();
    assert_eq!(after_crash.pending, touched);
    assert_eq!(after_crash.fencing, 2);

    // The next build (a newer claim) repairs it.
    let report = deploy(conn, &bucket, &v2, 3, &DeployOptions::default())
        .await
        .unwrap();
    assert_eq!(report.uploaded.len(), v2.len());
    assert_eq!(report.deleted, ["work/index.html"]);
    let repaired = store.load(conn).unwrap();
    assert!(!repaired.needs_repair());
    assert_eq!(repaired.manifest, wanted);
    assert_no_drift(&bucket, &wanted, &v2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_downs_are_retried_and_a_failed_deploy_records_its_progress() {
    let server = S3Server::start().await;
    let bucket = server.bucket("site").await;
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let v1 = demo_site();

    // Three 503 SlowDown answers: retried with backoff, the deploy succeeds.
    server.failing_puts.store(3, Ordering::SeqCst);
    let report = deploy(conn, &bucket, &v1, 1, &fast_retries())
        .await
        .unwrap();
    assert_eq!(report.retries, 3);
    assert_eq!(report.uploaded.len(), v1.len());
    assert_no_drift(&bucket, &Manifest::of(&v1), &v1).await;

    // A storm that outlasts the retries: the deploy fails after some uploads, and what it
    // did is recorded, so only the rest is pending.
    let mut v2 = Site::new();
    for (path, _) in v1.iter() {
        let mut bytes = v1.read(&path).unwrap().into_owned();
        bytes.extend_from_slice(b" v2");
        v2.add(path, bytes).unwrap();
    }
    let store = ManifestStore::new("site").unwrap();
    let one_at_a_time = DeployOptions {
        concurrency: 1,
        ..fast_retries()
    };
    let stop_after = Arc::new(AtomicUsize::new(0));
    let failing = server.failing_puts.clone();
    let counter = stop_after.clone();
    let storm = DeployOptions {
        progress: Some(Arc::new(move |_| {
            if counter.fetch_add(1, Ordering::SeqCst) + 1 == 2 {
                failing.store(1000, Ordering::SeqCst);
            }
            ControlFlow::Continue(())
        })),
        ..one_at_a_time.clone()
    };
    let error = deploy(conn, &bucket, &v2, 2, &storm).await.unwrap_err();
    let DeployError::Request { source, completed } = &error else {
        panic!("{error}");
    };
    assert_eq!(source.status, Some(503));
    assert_eq!(source.attempts, 4);
    assert_eq!(source.operation, "PutObject");
    assert_eq!(completed.uploaded.len(), 2);
    let stored = store.load(conn).unwrap();
    assert_eq!(stored.pending.len(), v2.len() - 2);

    server.failing_puts.store(0, Ordering::SeqCst);
    let report = deploy(conn, &bucket, &v2, 3, &one_at_a_time).await.unwrap();
    assert_eq!(report.uploaded.len(), v2.len() - 2);
    assert!(!store.load(conn).unwrap().needs_repair());
    assert_no_drift(&bucket, &Manifest::of(&v2), &v2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_reports_missing_extra_and_changed_objects() {
    let server = S3Server::start().await;
    let bucket = server.bucket("site").await;
    let site = demo_site();
    let manifest = Manifest::of(&site);
    let report = bucket
        .deploy(&site, &Manifest::default(), &DeployOptions::default())
        .await
        .unwrap();
    assert_eq!(report.uploaded.len(), site.len());

    let client = bucket.client();
    client
        .delete_object()
        .bucket("site")
        .key("work/index.html")
        .send()
        .await
        .unwrap();
    client
        .put_object()
        .bucket("site")
        .key("stray.html")
        .body(b"left by hand".to_vec().into())
        .send()
        .await
        .unwrap();
    client
        .put_object()
        .bucket("site")
        .key("health/index.html")
        .body(b"<h1>Edited in the console</h1>".to_vec().into())
        .content_type("text/plain")
        .send()
        .await
        .unwrap();

    let drift = bucket
        .verify(&manifest, &VerifyOptions::default())
        .await
        .unwrap();
    assert!(!drift.is_clean());
    assert_eq!(drift.missing, ["work/index.html"]);
    assert_eq!(drift.extra, ["stray.html"]);
    assert_eq!(drift.changed.len(), 1);
    assert_eq!(drift.changed[0].path, "health/index.html");
    let differences = &drift.changed[0].differences;
    assert!(
        differences
            .iter()
            .any(|d| matches!(d, Difference::Size { .. }))
    );
    assert!(differences.contains(&Difference::ContentType {
        expected: "text/html; charset=utf-8".to_owned(),
        found: Some("text/plain".to_owned()),
    }));
    assert!(
        differences
            .iter()
            .any(|d| matches!(d, Difference::Sha256 { found: None, .. }))
    );

    // Same size, other bytes, the right headers and hash metadata: caught by the ETag (MD5)
    // against the site.
    client
        .put_object()
        .bucket("site")
        .key("work/index.html")
        .body(b"<h1>Wxrk</h1>".to_vec().into())
        .content_type("text/html; charset=utf-8")
        .cache_control("public, max-age=300")
        .metadata("sha256", &manifest.entries["work/index.html"].sha256)
        .send()
        .await
        .unwrap();
    let drift = bucket
        .verify(
            &manifest,
            &VerifyOptions {
                site: Some(&site),
                ..VerifyOptions::default()
            },
        )
        .await
        .unwrap();
    assert!(drift.missing.is_empty());
    let work = drift
        .changed
        .iter()
        .find(|object| object.path == "work/index.html")
        .unwrap();
    assert!(
        matches!(work.differences[..], [Difference::ETag { .. }]),
        "{work:?}"
    );

    // A redeploy from the manifest the bucket really holds puts everything right.
    let holds = Manifest::default();
    bucket
        .deploy(&site, &holds, &DeployOptions::default())
        .await
        .unwrap();
    client
        .delete_object()
        .bucket("site")
        .key("stray.html")
        .send()
        .await
        .unwrap();
    assert_no_drift(&bucket, &manifest, &site).await;
}

#[test]
fn a_record_longer_than_a_page_is_read_whole_and_in_path_order() {
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let store = ManifestStore::new("primary").unwrap();
    // More files than one page of reading (10,000), with neighbours whose byte order is not
    // their order folder by folder (`m-a/` sorts before `m/`, `m.html` between them).
    let pages = |changed: &str| {
        let mut site = Site::new();
        for number in 0..10_050 {
            let text = if number == 7_777 { changed } else { "same" };
            site.add(
                format!("m/{number:05}/index.html"),
                format!("{number} {text}").into_bytes(),
            )
            .unwrap();
        }
        site.add("m-a/index.html", b"a".to_vec()).unwrap();
        site
    };
    let mut v1 = pages("one");
    v1.add("m.html", b"gone soon".to_vec()).unwrap();
    store.save(conn, 1, &v1, &Holds::default()).unwrap();
    assert_eq!(store.load(conn).unwrap().manifest, Manifest::of(&v1));
    assert!(store.diff(conn, &v1).unwrap().is_empty());

    let mut v2 = pages("two");
    v2.add("m/10050.html", b"new".to_vec()).unwrap();
    let diff = store.diff(conn, &v2).unwrap();
    assert_eq!(
        diff.paths(StepKind::Upload, &v2),
        ["m/07777/index.html", "m/10050.html"]
    );
    assert_eq!(diff.deletes(), ["m.html"]);
    assert_eq!(diff.previous_files(), v1.len());
    store.save(conn, 2, &v2, &Holds::default()).unwrap();
    assert_eq!(store.load(conn).unwrap().manifest, Manifest::of(&v2));
}

#[test]
fn a_stale_fencing_number_cannot_replace_a_manifest() {
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let store = ManifestStore::new("primary").unwrap();
    let new_site = site(&[("index.html", "new")]);
    let old_site = site(&[("index.html", "old"), ("gone.html", "x")]);
    let (new, old) = (Manifest::of(&new_site), Manifest::of(&old_site));
    let build = uuid::Uuid::new_v4();
    store
        .save(
            conn,
            7,
            &new_site,
            &Holds {
                build_id: Some(build),
                git_commit: Some("0123456789abcdef0123456789abcdef01234567".to_owned()),
            },
        )
        .unwrap();

    let refused = store
        .save(conn, 6, &old_site, &Holds::default())
        .unwrap_err();
    assert!(
        matches!(
            refused,
            StoreError::Fenced {
                given: 6,
                stored: 7,
                ..
            }
        ),
        "{refused}"
    );
    assert!(
        refused
            .to_string()
            .contains("fencing number 6 is older than the stored 7")
    );
    let diff = ManifestDiff::between(&new, &old_site);
    assert!(matches!(
        store.begin(conn, 6, &old_site, &diff),
        Err(StoreError::Fenced { .. })
    ));
    assert!(matches!(
        store.record_progress(conn, 6, &old_site, diff.written(), ["gone.html"]),
        Err(StoreError::Fenced { .. })
    ));
    assert!(matches!(
        store.check(conn, 6),
        Err(StoreError::Fenced { .. })
    ));

    let stored = store.load(conn).unwrap();
    assert_eq!(stored.manifest, new);
    assert!(!stored.needs_repair());
    assert_eq!(stored.fencing, 7);
    assert_eq!(stored.build_id, Some(build));
    assert!(stored.updated_at.is_some());

    // The same claim may write again, and a newer one takes over.
    store.check(conn, 7).unwrap();
    store.save(conn, 7, &new_site, &Holds::default()).unwrap();
    store.save(conn, 8, &old_site, &Holds::default()).unwrap();
    assert_eq!(store.load(conn).unwrap().manifest, old);
    assert!(matches!(
        store.save(conn, 7, &new_site, &Holds::default()),
        Err(StoreError::Fenced { stored: 8, .. })
    ));
    // Other targets have their own numbers.
    let mirror = ManifestStore::new("mirror").unwrap();
    mirror.save(conn, 1, &new_site, &Holds::default()).unwrap();
    assert_eq!(
        ManifestStore::targets(conn).unwrap(),
        ["mirror".to_owned(), "primary".to_owned()]
    );
    assert!(matches!(
        ManifestStore::new("Not a name"),
        Err(StoreError::InvalidName(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_from_the_git_history_restores_the_earlier_manifest_in_both_buckets() {
    let server = S3Server::start().await;
    let primary = server.bucket("primary").await;
    let mirror = server.bucket("mirror").await;
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let history_dir = tempfile::tempdir().unwrap();
    let history = GitHistory::open(GitConfig::new(history_dir.path().join("site.git"))).unwrap();
    let at = |hour| Utc.with_ymd_and_hms(2026, 11, 22, hour, 0, 0).unwrap();

    let v1 = demo_site();
    deploy_pair(conn, &primary, &mirror, &v1, 1, &DeployOptions::default())
        .await
        .unwrap();
    // The git target is fenced through the store too: check before the commit, save after.
    let git_store = ManifestStore::new("git").unwrap();
    git_store.check(conn, 1).unwrap();
    let c1 = history
        .commit(
            &v1,
            &CommitInfo {
                build_id: "build-1",
                requester: "editor@example.gov.uk",
                time: at(9),
            },
        )
        .unwrap();
    git_store
        .save(
            conn,
            1,
            &v1,
            &Holds {
                build_id: None,
                git_commit: Some(c1.commit().to_owned()),
            },
        )
        .unwrap();
    assert_eq!(
        git_store.load(conn).unwrap().git_commit.as_deref(),
        Some(c1.commit())
    );

    let mut v2 = site(&[
        ("index.html", "<h1>New homepage</h1>"),
        ("crime/index.html", "c"),
    ]);
    v2.add("assets/site-0123abcd.css", b"body{margin:0}".to_vec())
        .unwrap();
    deploy_pair(
        conn,
        &primary,
        &mirror,
        &v2,
        2,
        &DeployOptions {
            allow_deletes: true,
            ..DeployOptions::default()
        },
    )
    .await
    .unwrap();
    history
        .commit(
            &v2,
            &CommitInfo {
                build_id: "build-2",
                requester: "editor@example.gov.uk",
                time: at(10),
            },
        )
        .unwrap();

    let earlier = history.site_at("build-1").unwrap();
    assert_eq!(earlier, v1);
    deploy_pair(
        conn,
        &primary,
        &mirror,
        &earlier,
        3,
        &DeployOptions::default(),
    )
    .await
    .unwrap();
    for bucket in [&primary, &mirror] {
        let stored = ManifestStore::new(bucket.bucket())
            .unwrap()
            .load(conn)
            .unwrap();
        assert_eq!(stored.manifest, Manifest::of(&v1));
        assert_no_drift(bucket, &stored.manifest, &v1).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_sites_are_listed_page_by_page_and_deleted_in_batches() {
    let server = S3Server::start().await;
    let bucket = server.bucket("site").await;
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let mut big = Site::new();
    for i in 0..1500 {
        big.add(
            format!("topic-{}/measure-{i}/index.html", i % 10),
            format!("<p>{i}</p>").into_bytes(),
        )
        .unwrap();
    }
    let started = std::time::Instant::now();
    let report = deploy(conn, &bucket, &big, 1, &DeployOptions::default())
        .await
        .unwrap();
    eprintln!(
        "1500 files: deploy {:?}, manifest saved {:?} in all",
        report.elapsed,
        started.elapsed()
    );
    assert_eq!(report.uploaded.len(), 1500);
    // More than one ListObjectsV2 page.
    assert_no_drift(&bucket, &Manifest::of(&big), &big).await;

    let mut small = Site::new();
    for (path, _) in big.iter().take(300) {
        small
            .add(path.clone(), big.read(&path).unwrap().into_owned())
            .unwrap();
    }
    let report = deploy(
        conn,
        &bucket,
        &small,
        2,
        &DeployOptions {
            allow_deletes: true,
            ..DeployOptions::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(report.deleted.len(), 1200, "two DeleteObjects batches");
    assert!(report.uploaded.is_empty());
    assert_no_drift(&bucket, &Manifest::of(&small), &small).await;
    assert_eq!(
        ManifestStore::new("site")
            .unwrap()
            .load(conn)
            .unwrap()
            .manifest,
        Manifest::of(&small)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_superseded_builder_can_neither_record_nor_continue() {
    let server = S3Server::start().await;
    let bucket = server.bucket("site").await;
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let v1 = demo_site();
    deploy(conn, &bucket, &v1, 1, &DeployOptions::default())
        .await
        .unwrap();

    // Builder A (claim 2) starts a deploy, sends one file, and stalls (lease lost).
    let v_a = site(&[("index.html", "A's homepage"), ("sitemap.xml", "<urlset/>")]);
    let store = ManifestStore::new("site").unwrap();
    let a_previous = store.load(conn).unwrap();
    let allow = DeployOptions {
        allow_deletes: true,
        ..DeployOptions::default()
    };
    let a_diff = bucket.plan(&a_previous.manifest, &v_a, &allow).unwrap();
    store.begin(conn, 2, &v_a, &a_diff).unwrap();
    let stall = DeployOptions {
        concurrency: 1,
        progress: Some(Arc::new(|_| ControlFlow::Break(()))),
        ..allow.clone()
    };
    let stalled = bucket
        .deploy(&v_a, &a_previous.manifest, &stall)
        .await
        .unwrap_err();
    assert_eq!(
        stalled.completed().unwrap().paths(StepKind::Upload, &v_a),
        ["index.html"]
    );

    // Builder B (claim 3) takes over, repairs and deploys its site.
    let mut v_b = demo_site();
    v_b.add("crime/index.html", b"<h1>Crime</h1>".to_vec())
        .unwrap();
    let report = deploy(conn, &bucket, &v_b, 3, &DeployOptions::default())
        .await
        .unwrap();
    assert!(
        report
            .paths(StepKind::Upload, &v_b)
            .contains(&"index.html".to_owned()),
        "repaired"
    );

    // A wakes up: every fenced write, and the check between stages, refuses it.
    assert!(matches!(
        store.check(conn, 2),
        Err(StoreError::Fenced { stored: 3, .. })
    ));
    assert!(matches!(
        store.record_progress(conn, 2, &v_a, a_diff.written(), []),
        Err(StoreError::Fenced { .. })
    ));
    assert!(matches!(
        store.save(conn, 2, &v_a, &Holds::default()),
        Err(StoreError::Fenced { .. })
    ));
    let stored = store.load(conn).unwrap();
    assert_eq!(stored.manifest, Manifest::of(&v_b));
    assert_no_drift(&bucket, &stored.manifest, &v_b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_is_done_only_when_both_buckets_hold_it() {
    let server = S3Server::start().await;
    let primary = server.bucket("primary").await;
    // The mirror's credentials are wrong (403, not retried).
    let good_mirror = server.bucket("mirror").await;
    let mut wrong = server.config("mirror");
    wrong.secret_access_key = "not-the-secret".to_owned();
    let mirror = S3Target::new(&wrong);
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let site = demo_site();

    let bare = deploy_both(
        &site,
        (&primary, &Manifest::default()),
        (&mirror, &Manifest::default()),
        &fast_retries(),
    )
    .await
    .unwrap_err();
    let BothError::Failed {
        primary: first,
        mirror: second,
    } = &bare
    else {
        panic!("{bare}");
    };
    assert_eq!(first.as_ref().as_ref().unwrap().uploaded.len(), site.len());
    assert!(second.is_err());
    assert!(bare.to_string().contains("mirror failed"), "{bare}");

    let stores = ["primary", "mirror"].map(|name| ManifestStore::new(name).unwrap());
    let buckets = [
        Bucket {
            store: &stores[0],
            target: &primary,
        },
        Bucket {
            store: &stores[1],
            target: &mirror,
        },
    ];
    let build = uuid::Uuid::new_v4();
    let holds = Holds {
        build_id: Some(build),
        git_commit: None,
    };
    let error = deploy_recorded(conn, &buckets, &site, 1, &holds, &fast_retries())
        .await
        .unwrap_err();
    let RecordedError::Failed { results } = &error else {
        panic!("{error}");
    };
    assert_eq!(results[0].0, "primary");
    assert!(results[0].1.is_ok());
    assert!(results[1].1.is_err());
    // The primary's files are recorded (not sent again), but neither target is marked as
    // holding the build; the mirror's files stay pending.
    let first = stores[0].load(conn).unwrap();
    assert!(!first.needs_repair());
    assert_eq!(first.build_id, None);
    let second = stores[1].load(conn).unwrap();
    assert_eq!(second.pending.len(), site.len());

    // The credentials are fixed; the next build completes both, sending only what is
    // missing.
    let buckets = [
        buckets[0],
        Bucket {
            store: &stores[1],
            target: &good_mirror,
        },
    ];
    let reports = deploy_recorded(conn, &buckets, &site, 2, &holds, &fast_retries())
        .await
        .unwrap();
    assert!(reports[0].is_empty());
    assert_eq!(reports[1].uploaded.len(), site.len());
    for store in &stores {
        let stored = store.load(conn).unwrap();
        assert_eq!(stored.build_id, Some(build));
        assert_eq!(stored.manifest, Manifest::of(&site));
    }
    assert_no_drift(&good_mirror, &Manifest::of(&site), &site).await;
}
