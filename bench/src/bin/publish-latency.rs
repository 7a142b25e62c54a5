//! Publish latency: how long from an editor's "Approve for publishing" in the publisher to
//! both buckets holding the new page. Signs in as an editor, publishes `--count` versions
//! that wait in department review, one every `--interval` seconds (without waiting for the
//! last to go live, as on a busy day: the builder folds requests that arrive during a build
//! into the next one), and watches both buckets for each version's page.
//!
//! Prints one JSON line per publish and a summary line with p50 and p95, in seconds.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use clap::Parser;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};

#[derive(Parser)]
#[command(about = "Time from a publish in the publisher to the page in both buckets")]
struct Args {
    /// The publisher's base address.
    #[arg(long)]
    publisher: String,
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: String,
    /// An account that may publish and needs no second factor (a central editor).
    #[arg(long)]
    email: String,
    #[arg(long, env = "BENCH_PASSWORD", hide_env_values = true)]
    password: String,
    #[arg(long, default_value_t = 20)]
    count: usize,
    /// Seconds between publishes.
    #[arg(long, default_value_t = 10.0)]
    interval: f64,
    /// Give up on a page after this many seconds.
    #[arg(long, default_value_t = 900.0)]
    timeout: f64,
    #[arg(long, env = "S3_ENDPOINT")]
    s3_endpoint: String,
    #[arg(long, env = "S3_PRIMARY_BUCKET")]
    primary: String,
    #[arg(long, env = "S3_MIRROR_BUCKET")]
    mirror: String,
    #[arg(long, env = "S3_ACCESS_KEY_ID")]
    access_key: String,
    #[arg(long, env = "S3_SECRET_ACCESS_KEY", hide_env_values = true)]
    secret_key: String,
}

/// A version waiting in department review: where to publish it, and where its page goes.
#[derive(QueryableByName)]
struct Waiting {
    #[diesel(sql_type = Text)]
    topic: String,
    #[diesel(sql_type = Text)]
    subtopic: String,
    #[diesel(sql_type = Text)]
    measure: String,
    #[diesel(sql_type = Integer)]
    major: i32,
    #[diesel(sql_type = Integer)]
    minor: i32,
}

impl Waiting {
    fn path(&self) -> String {
        format!(
            "{}/{}/{}/{}.{}",
            self.topic, self.subtopic, self.measure, self.major, self.minor
        )
    }
}

fn waiting_versions(database_url: &str, count: usize) -> anyhow::Result<Vec<Waiting>> {
    let mut conn = PgConnection::establish(database_url).context("cannot reach the database")?;
    let versions: Vec<Waiting> = diesel::sql_query(
        "SELECT t.slug AS topic, s.slug AS subtopic, m.slug AS measure,
                v.version_major AS major, v.version_minor AS minor
           FROM measure_version v
           JOIN measure m ON m.id = v.measure_id
           JOIN subtopic s ON s.id = m.subtopic_id
           JOIN topic t ON t.id = s.topic_id
          WHERE v.status = 'DEPARTMENT_REVIEW' AND v.latest
          ORDER BY v.id
          LIMIT $1",
    )
    .bind::<Integer, _>(i32::try_from(count).context("--count is too large")?)
    .load(&mut conn)?;
    if versions.len() < count {
        bail!(
            "only {} versions wait in department review; --count asks for {count}",
            versions.len()
        );
    }
    Ok(versions)
}

/// The form token of a signed-in or anonymous page.
fn csrf_token(html: &str) -> anyhow::Result<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html
        .find(marker)
        .context("the page has no csrf_token field")?
        + marker.len();
    let end = html[start..]
        .find('"')
        .context("the csrf_token field is not closed")?;
    Ok(html[start..start + end].to_owned())
}

async fn sign_in(client: &reqwest::Client, args: &Args) -> anyhow::Result<()> {
    let login = format!("{}/auth/login", args.publisher);
    let form = client.get(&login).send().await?.error_for_status()?;
    let token = csrf_token(&form.text().await?)?;
    let response = client
        .post(&login)
        .form(&[
            ("email", args.email.as_str()),
            ("password", args.password.as_str()),
            ("csrf_token", token.as_str()),
        ])
        .send()
        .await?;
    if !response.status().is_redirection() {
        bail!("signing in as {} failed: {}", args.email, response.status());
    }
    Ok(())
}

/// The form token of a signed-in page: the version page, whose forms the editor would use.
async fn form_token(client: &reqwest::Client, args: &Args, path: &str) -> anyhow::Result<String> {
    let page = client
        .get(format!("{}/cms/{path}", args.publisher))
        .send()
        .await?
        .error_for_status()
        .with_context(|| format!("the version page of {path}"))?;
    csrf_token(&page.text().await?)
}

/// Seconds until `key` exists in `bucket`, polling every 50 ms.
async fn seconds_until_present(
    s3: aws_sdk_s3::Client,
    bucket: String,
    key: String,
    started: Instant,
    timeout: Duration,
) -> anyhow::Result<f64> {
    loop {
        if s3
            .head_object()
            .bucket(&bucket)
            .key(&key)
            .send()
            .await
            .is_ok()
        {
            return Ok(started.elapsed().as_secs_f64());
        }
        if started.elapsed() > timeout {
            bail!("{key} did not reach {bucket} within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A page's text without its markup, for an error message.
fn page_text(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for character in html.chars() {
        match character {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => text.push(character),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    // Nearest rank: the smallest value with at least `fraction` of the values at or below it.
    let rank = (fraction * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.count == 0 || !args.interval.is_finite() || args.interval < 0.0 {
        bail!("--count must be at least 1 and --interval a number of seconds ≥ 0");
    }
    let versions = waiting_versions(&args.database_url, args.count)?;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    sign_in(&client, &args).await?;
    // The token is bound to the visitor's cookie, which signing in keeps.
    let token = form_token(&client, &args, &versions[0].path()).await?;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(&args.s3_endpoint)
            .region(Region::new("eu-west-2"))
            .force_path_style(true)
            .credentials_provider(Credentials::new(
                &args.access_key,
                &args.secret_key,
                None,
                None,
                "bench",
            ))
            .build(),
    );
    let timeout = Duration::from_secs_f64(args.timeout);
    let mut watches = Vec::new();
    for (index, version) in versions.iter().enumerate() {
        if index > 0 {
            tokio::time::sleep(Duration::from_secs_f64(args.interval)).await;
        }
        let path = version.path();
        let started = Instant::now();
        let response = client
            .post(format!("{}/cms/{path}/actions", args.publisher))
            .form(&[
                ("measure-action", "send-to-approved"),
                ("csrf_token", &token),
            ])
            .send()
            .await?;
        let request_seconds = started.elapsed().as_secs_f64();
        if !response.status().is_redirection() {
            let status = response.status();
            let page = response.text().await.unwrap_or_default();
            bail!("publishing {path} failed: {status}: {}", page_text(&page));
        }
        let key = format!("{path}/index.html");
        let primary = tokio::spawn(seconds_until_present(
            s3.clone(),
            args.primary.clone(),
            key.clone(),
            started,
            timeout,
        ));
        let mirror = tokio::spawn(seconds_until_present(
            s3.clone(),
            args.mirror.clone(),
            key,
            started,
            timeout,
        ));
        watches.push((path, request_seconds, primary, mirror));
    }
    let mut latencies = Vec::new();
    for (path, request_seconds, primary, mirror) in watches {
        let primary = primary.await??;
        let mirror = mirror.await??;
        let live = primary.max(mirror);
        println!(
            "{}",
            serde_json::json!({
                "page": path,
                "request_seconds": request_seconds,
                "primary_seconds": primary,
                "mirror_seconds": mirror,
                "live_seconds": live,
            })
        );
        latencies.push(live);
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "{}",
        serde_json::json!({
            "publishes": latencies.len(),
            "interval_seconds": args.interval,
            "p50_seconds": percentile(&latencies, 0.5),
            "p95_seconds": percentile(&latencies, 0.95),
            "max_seconds": latencies.last(),
        })
    );
    Ok(())
}
