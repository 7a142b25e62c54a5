//! The publisher in a real headless Chromium: pages render with the GOV.UK Frontend styles.
//!
//! Needs /usr/bin/chromium and /usr/bin/chromedriver, which `./dev test` installs.

use almanac_test_support::TestDatabase;
use almanac_test_support::browser::Browser;
use almanac_test_support::http::serve_with;
use publisher::{AppState, Db, PublisherConfig};

/// The publisher on a test database; `base` is where it is served (its `PUBLIC_URL`).
fn app(database: &TestDatabase, base: &str) -> axum::Router {
    let env = std::collections::BTreeMap::from([
        ("DATABASE_URL", database.url()),
        ("PUBLIC_URL", base),
        (
            "SECRET_KEY",
            "browser-test-secret-key-of-at-least-32-characters",
        ),
        (
            "MAIL_DIR",
            concat!(env!("CARGO_TARGET_TMPDIR"), "/browser-mail"),
        ),
        (
            "GOVUK_FRONTEND_DIR",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../node_modules/govuk-frontend/dist/govuk"
            ),
        ),
        (
            "STATIC_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../static"),
        ),
    ]);
    let config = PublisherConfig::from_source(&env).expect("valid configuration");
    publisher::app(AppState::new(Db::new(database.pool()), config).expect("application state"))
}

#[tokio::test]
async fn login_page_renders_with_the_govuk_styles() {
    let database = TestDatabase::new();
    let (base, server) = serve_with(|base| app(&database, base)).await;
    let browser = Browser::start().await;

    browser.goto(&format!("{base}/auth/login")).await;
    assert_eq!(browser.current_path().await, "/auth/login");
    // Parts of the page that survive a rewording: the heading, an email field, the title.
    let heading = browser.text_of("h1").await;
    assert!(heading.contains("Sign in"), "h1: {heading}");
    assert!(browser.exists("input[type=email]").await);
    let title = browser.client().title().await.unwrap();
    assert!(title.contains("Sign in"), "title: {title}");

    // The GOV.UK Frontend stylesheet applied: its font on the heading, and a coloured header
    // (unstyled, both would be the browser's defaults).
    let style = browser
        .execute(
            "const h1 = getComputedStyle(document.querySelector('h1'));
             const header = getComputedStyle(document.querySelector('.govuk-header'));
             return [h1.fontFamily, header.backgroundColor];",
        )
        .await;
    let font = style[0].as_str().unwrap_or_default();
    let header = style[1].as_str().unwrap_or_default();
    assert!(font.contains("GDS Transport"), "h1 font-family: {font}");
    assert!(
        !header.is_empty() && header != "rgba(0, 0, 0, 0)" && header != "transparent",
        "header background: {header}"
    );

    browser
        .screenshot(concat!(env!("CARGO_TARGET_TMPDIR"), "/login.png"))
        .await;
    browser.close().await;
    server.abort();
}
