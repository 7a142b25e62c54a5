//! A real headless Chromium for a test, driven over WebDriver by `fantoccini`.
//!
//! Each [`Browser`] starts its own `chromedriver` (on a port it picks itself) and one Chromium
//! session with a fresh profile. Dropping the `Browser`, also while a test panics, kills
//! chromedriver and every Chromium process in its process group. A watchdog does the same if
//! the test process dies without running destructors (killed, aborted, Ctrl-C).
//!
//! ```no_run
//! # async fn example(base: String) {
//! use almanac_test_support::browser::Browser;
//! let browser = Browser::start().await;
//! browser.goto(&format!("{base}/auth/login")).await;
//! assert_eq!(browser.text_of("h1").await, "Sign in");
//! browser.goto("/healthz").await; // relative to the current page
//! browser.close().await;
//! # }
//! ```
//!
//! `./dev test` installs the Debian packages `chromium` and `chromium-driver`.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

use crate::process::{Watchdog, kill_group};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// How long chromedriver may take to listen.
const DRIVER_START: Duration = Duration::from_secs(15);
/// How long the element helpers wait for their element to appear.
const ELEMENT_WAIT: Duration = Duration::from_secs(5);
const PAGE_LOAD: Duration = Duration::from_secs(20);
const SCRIPT: Duration = Duration::from_secs(10);

/// One headless Chromium session. The helpers panic with the selector and the page's URL
/// when something is missing, so a test reads as a list of steps.
pub struct Browser {
    // Field order is drop order: the session goes before the driver is killed.
    client: Option<Client>,
    /// Held for its `Drop`, which stops chromedriver and Chromium.
    _driver: Driver,
}

impl Browser {
    /// Starts chromedriver and opens a session. Panics (with chromedriver's output) when
    /// either fails, and tells to run `./dev test` when the programs are not installed.
    pub async fn start() -> Browser {
        for program in [CHROMEDRIVER, CHROMIUM] {
            assert!(
                Path::new(program).exists(),
                "{program} is missing: run `./dev test` once, which installs the Debian \
                 packages chromium and chromium-driver"
            );
        }
        let started = Instant::now();
        let driver = Driver::start().await;
        let driver_ready = started.elapsed();

        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    // Without these Chromium tries the network at start-up, which is closed.
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    "--window-size=1024,768",
                    format!("--user-data-dir={}", driver.profile().display()),
                ],
            },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .unwrap_or_else(|error| {
                panic!(
                    "start a Chromium session: {error}\n--- chromedriver output ---\n{}",
                    driver.output()
                )
            });
        client
            .update_timeouts(TimeoutConfiguration::new(
                Some(SCRIPT),
                Some(PAGE_LOAD),
                Some(Duration::ZERO),
            ))
            .await
            .expect("set the WebDriver timeouts");
        eprintln!(
            "browser: chromedriver ready in {driver_ready:?}, session in {:?}",
            started.elapsed() - driver_ready
        );
        Browser {
            client: Some(client),
            _driver: driver,
        }
    }

    /// The fantoccini client, for anything the helpers do not cover.
    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("browser session is open")
    }

    /// Opens `url`: absolute, or relative to the current page (`/auth/login`).
    pub async fn goto(&self, url: &str) {
        if let Err(error) = self.client().goto(url).await {
            panic!("open {url}: {error}");
        }
    }

    /// Clears the field matched by `css` and types `text` into it.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        let typed = async {
            field.clear().await?;
            field.send_keys(text).await
        };
        if let Err(error) = typed.await {
            panic!("type into `{css}` on {}: {error}", self.url().await);
        }
    }

    /// Clicks the element matched by `css` (a link, a button).
    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        if let Err(error) = element.click().await {
            panic!("click `{css}` on {}: {error}", self.url().await);
        }
    }

    /// The rendered (visible) text of the first element matched by `css`. An element that
    /// goes stale (the page was replaced between finding and reading it) is found again.
    pub async fn text_of(&self, css: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            let element = self.find(css).await;
            match element.text().await {
                Ok(text) => return text,
                Err(_) if std::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(error) => panic!("text of `{css}` on {}: {error}", self.url().await),
            }
        }
    }

    /// Waits until the first element matched by `css` shows `expected` in its text: for a
    /// form that posts back to its own address, where the path cannot tell the pages apart.
    pub async fn wait_for_text(&self, css: &str, expected: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            let text = self.text_of(css).await;
            if text.contains(expected) {
                return;
            }
            if std::time::Instant::now() > deadline {
                panic!("expected `{css}` to show “{expected}”, it shows “{text}” after 5s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Whether an element matches `css` now (no waiting).
    pub async fn exists(&self, css: &str) -> bool {
        match self.client().find_all(Locator::Css(css)).await {
            Ok(elements) => !elements.is_empty(),
            Err(error) => panic!("look for `{css}` on {}: {error}", self.url().await),
        }
    }

    /// The path of the current page, such as `/auth/login` (no query string).
    pub async fn current_path(&self) -> String {
        match self.client().current_url().await {
            Ok(url) => url.path().to_owned(),
            Err(error) => panic!("read the current URL: {error}"),
        }
    }

    /// Chooses the option at `index` (0 is the first) of the `<select>` matching `css`.
    pub async fn select_index(&self, css: &str, index: usize) {
        let select = self.find(css).await;
        if let Err(error) = select.select_by_index(index).await {
            panic!(
                "choose option {index} of `{css}` on {}: {error}",
                self.url().await
            );
        }
    }

    /// Puts the file at `path` in the file input matching `css`.
    pub async fn attach_file(&self, css: &str, path: &Path) {
        let input = self.find(css).await;
        if let Err(error) = input.send_keys(&path.display().to_string()).await {
            panic!(
                "attach {} to `{css}` on {}: {error}",
                path.display(),
                self.url().await
            );
        }
    }

    /// Waits (up to 5 s) until the current page's path is `path`: a click that submits a form
    /// returns before the next page has loaded.
    pub async fn wait_for_path(&self, path: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            let current = self.current_path().await;
            if current == path {
                return;
            }
            if std::time::Instant::now() > deadline {
                panic!("expected to reach {path}, still on {current} after 5s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The WCAG 2.2 A and AA rules axe-core finds broken on the current page, one line per
    /// rule (`id: help (n elements): first selector`). axe-core comes from the npm packages
    /// (`npm ci`), and is injected into the page: nothing is loaded from the network.
    pub async fn accessibility_violations(&self) -> Vec<String> {
        let axe_path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../node_modules/axe-core/axe.min.js"
        );
        let axe = std::fs::read_to_string(axe_path).unwrap_or_else(|error| {
            panic!("read {axe_path} (run `./dev test`, which runs npm ci): {error}")
        });
        self.execute(&axe).await;
        let script = "const done = arguments[arguments.length - 1];
            axe.run(document, { runOnly: { type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } })
              .then(result => done(result.violations.map(v =>
                  v.id + ': ' + v.help + ' (' + v.nodes.length + ' elements): ' + v.nodes[0].target.join(' '))))
              .catch(error => done(['axe failed: ' + error]));";
        match self.client().execute_async(script, Vec::new()).await {
            Ok(Value::Array(items)) => items
                .into_iter()
                .map(|item| item.as_str().unwrap_or_default().to_owned())
                .collect(),
            Ok(other) => panic!("axe returned {other}"),
            Err(error) => panic!("run axe on {}: {error}", self.url().await),
        }
    }

    /// Waits (up to 5 s) until the current address ends with `suffix`: for a form that posts
    /// and comes back to the same path with a new query, such as `?done=saved`.
    pub async fn wait_for_url_ending(&self, suffix: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            let current = self.url().await;
            if current.ends_with(suffix) {
                return;
            }
            if std::time::Instant::now() > deadline {
                panic!("expected an address ending {suffix}, still on {current} after 5s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Runs `script` in the page (`return ...;` gives the result) and returns its JSON value.
    pub async fn execute(&self, script: &str) -> Value {
        match self.client().execute(script, Vec::new()).await {
            Ok(value) => value,
            Err(error) => panic!("run script on {}: {error}\n{script}", self.url().await),
        }
    }

    /// Saves a PNG of the viewport to `path`, creating its folder.
    pub async fn screenshot(&self, path: impl AsRef<Path>) {
        let path = path.as_ref();
        let png = self
            .client()
            .screenshot()
            .await
            .unwrap_or_else(|error| panic!("take a screenshot: {error}"));
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)
                .unwrap_or_else(|error| panic!("create {}: {error}", folder.display()));
        }
        std::fs::write(path, png)
            .unwrap_or_else(|error| panic!("write {}: {error}", path.display()));
    }

    /// Ends the session cleanly, then stops chromedriver. Dropping the browser also stops
    /// everything, only more abruptly.
    pub async fn close(mut self) {
        if let Some(client) = self.client.take() {
            // An error here only means the session is already gone; the drop kills the rest.
            let _ = client.close().await;
        }
    }

    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        let found = self
            .client()
            .wait()
            .at_most(ELEMENT_WAIT)
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(element) => element,
            Err(error) => panic!(
                "no element matches `{css}` on {} after {ELEMENT_WAIT:?}: {error}",
                self.url().await
            ),
        }
    }

    /// The current URL for error messages.
    async fn url(&self) -> String {
        match self.client().current_url().await {
            Ok(url) => url.to_string(),
            Err(error) => format!("<unknown page: {error}>"),
        }
    }
}

/// A chromedriver process, leader of its own process group (Chromium runs in that group too),
/// with a temporary folder for its output and Chromium's profile.
struct Driver {
    child: Child,
    watchdog: Option<Watchdog>,
    port: u16,
    folder: tempfile::TempDir,
}

impl Driver {
    async fn start() -> Driver {
        let folder = tempfile::Builder::new()
            .prefix("almanac-browser-")
            .tempdir()
            .expect("create a temporary folder for the browser");
        let log = File::create(folder.path().join("chromedriver.log")).expect("create log file");
        let child = Command::new(CHROMEDRIVER)
            // Port 0: chromedriver picks a free port and reports it, so parallel tests never
            // race for one.
            .args(["--port=0", "--allowed-ips=127.0.0.1"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("share log file"))
            .stderr(log)
            // Its own group, so that one signal reaches Chromium as well.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|error| panic!("start {CHROMEDRIVER}: {error}"));
        let mut driver = Driver {
            watchdog: None,
            port: 0,
            child,
            folder,
        };
        driver.watchdog = Watchdog::start(driver.child.id(), None, "browser");

        let deadline = Instant::now() + DRIVER_START;
        loop {
            if let Some(port) = driver.reported_port() {
                driver.port = port;
                return driver;
            }
            if let Ok(Some(status)) = driver.child.try_wait() {
                panic!(
                    "chromedriver exited ({status}) before listening:\n{}",
                    driver.output()
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "chromedriver did not start listening within {DRIVER_START:?}:\n{}",
                    driver.output()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `ChromeDriver was started successfully on port 41234.`
    fn reported_port(&self) -> Option<u16> {
        let output = self.output();
        let rest = output.split("started successfully on port ").nth(1)?;
        rest.split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    }

    fn output(&self) -> String {
        std::fs::read_to_string(self.folder.path().join("chromedriver.log")).unwrap_or_default()
    }

    fn profile(&self) -> PathBuf {
        self.folder.path().join("profile")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = self.child.id();
        kill_group(group);
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Chromium's processes are not our children: wait until they are gone (zombies
        // waiting for a reaper count as gone) before the profile folder is deleted.
        let deadline = Instant::now() + Duration::from_secs(5);
        while group_is_alive(group) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.watchdog.take();
    }
}

/// Whether a live (not zombie) process belongs to process group `group`, from `/proc`.
fn group_is_alive(group: u32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|entry| {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            return false;
        };
        // `pid (comm) state ppid pgrp ...`; comm may contain spaces and parentheses.
        let Some((_, fields)) = stat.rsplit_once(')') else {
            return false;
        };
        let mut fields = fields.split_whitespace();
        let state = fields.next();
        let pgrp = fields.nth(1);
        state != Some("Z") && pgrp == Some(&group.to_string())
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::net::SocketAddr;

    use axum::extract::{ConnectInfo, Query};
    use axum::response::Html;
    use axum::routing::get;

    use super::*;

    #[tokio::test]
    async fn fills_a_form_follows_it_and_cleans_up() {
        let router = axum::Router::new()
            .route(
                "/",
                get(|| async {
                    Html(
                        "<title>Form</title><form action=/echo><input id=q name=q>\
                         <button id=go>Go</button></form>",
                    )
                }),
            )
            .route(
                "/echo",
                get(
                    |ConnectInfo(peer): ConnectInfo<SocketAddr>,
                     Query(query): Query<HashMap<String, String>>| async move {
                        Html(format!(
                            "<h1>{}</h1><p id=peer>{}</p>",
                            query["q"],
                            peer.ip()
                        ))
                    },
                ),
            );
        let (base, server) = crate::http::serve(router).await;
        let browser = Browser::start().await;

        browser.goto(&format!("{base}/")).await;
        browser.fill("#q", "hello").await;
        browser.click("#go").await;
        assert_eq!(browser.text_of("h1").await, "hello");
        assert_eq!(browser.current_path().await, "/echo");
        assert_eq!(browser.text_of("#peer").await, "127.0.0.1");
        assert!(!browser.exists("#q").await);
        browser.goto("/").await;
        assert_eq!(browser.execute("return document.title;").await, "Form");

        let group = browser._driver.child.id();
        assert!(group_is_alive(group));
        drop(browser);
        assert!(!group_is_alive(group), "chromedriver or Chromium survived");
        server.abort();
    }
}
