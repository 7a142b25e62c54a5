//! The publisher in a real headless Chromium: pages render with the GOV.UK Frontend styles,
//! and people sign in, invite, enrol two-factor and sign out through the real pages.
//!
//! Needs /usr/bin/chromium and /usr/bin/chromedriver, which `./dev test` installs.

mod common;

use almanac_accounts::two_factor;
use almanac_content::UserType;
use almanac_test_support::browser::Browser;
use almanac_test_support::http::serve;
use chrono::Utc;
use common::{PASSWORD, TestApp};

#[tokio::test]
async fn login_page_renders_with_the_govuk_styles() {
    let app = TestApp::new();
    let (base, server) = serve(app.router.clone()).await;
    let browser = Browser::start().await;

    browser.goto(&format!("{base}/auth/login")).await;
    browser.wait_for_path("/auth/login").await;
    let heading = browser.text_of("h1").await;
    assert!(heading.contains("Sign in"), "h1: {heading}");
    assert!(browser.exists("input[type=email]").await);
    let title = browser.client().title().await.unwrap();
    assert!(title.contains("Sign in"), "title: {title}");

    // The GOV.UK Frontend stylesheet applied: its font on the heading, and a coloured header
    // (unstyled, both would be the browser's defaults). Its JavaScript ran, under a CSP that
    // forbids inline scripts.
    let style = browser
        .execute(
            "const h1 = getComputedStyle(document.querySelector('h1'));
             const header = getComputedStyle(document.querySelector('.govuk-header'));
             return [h1.fontFamily, header.backgroundColor,
                     document.body.classList.contains('govuk-frontend-supported')];",
        )
        .await;
    let font = style[0].as_str().unwrap_or_default();
    let header = style[1].as_str().unwrap_or_default();
    assert!(font.contains("GDS Transport"), "h1 font-family: {font}");
    assert!(
        !header.is_empty() && header != "rgba(0, 0, 0, 0)" && header != "transparent",
        "header background: {header}"
    );
    assert_eq!(style[2], true, "GOV.UK Frontend's JavaScript did not run");

    browser
        .screenshot(concat!(env!("CARGO_TARGET_TMPDIR"), "/login.png"))
        .await;
    assert_accessible(&browser).await;
    browser.close().await;
    server.abort();
}

/// An admin signs in with a password and a code, invites a developer and signs out; the
/// developer follows the emailed link, sets a password, enrols two-factor and signs out.
#[tokio::test]
async fn invite_and_two_factor_through_the_real_pages() {
    let app = TestApp::new();
    let admin = app.user("admin@cabinetoffice.gov.uk", UserType::Admin);
    let (base, server) = serve(app.router.clone()).await;
    let browser = Browser::start().await;

    // Asking for a page while signed out leads to the sign-in page, and back afterwards.
    browser.goto(&format!("{base}/admin/users")).await;
    browser.wait_for_path("/auth/login").await;
    browser.fill("#email", &admin.email).await;
    browser.fill("#password", PASSWORD).await;
    browser.click("button[type=submit].govuk-button").await;
    browser.wait_for_path("/auth/two-factor").await;
    assert_accessible(&browser).await;
    let code = two_factor::current_code(app.keys(), &app.reload(&admin), Utc::now()).unwrap();
    browser.fill("#code", &code).await;
    browser.click("button[type=submit].govuk-button").await;
    browser.wait_for_path("/admin/users").await;
    assert!(browser.text_of("h1").await.contains("Users"));
    assert_accessible(&browser).await;

    browser
        .click("a.govuk-button[href='/admin/users/add']")
        .await;
    browser
        .fill("#email", "new.developer@digital.cabinet-office.gov.uk")
        .await;
    assert_accessible(&browser).await;
    browser.click("input[value=DEV_USER]").await;
    browser.click("button[type=submit].govuk-button").await;
    assert!(
        browser
            .text_of(".govuk-notification-banner")
            .await
            .contains("Invitation sent")
    );
    assert_accessible(&browser).await;
    browser.click(".govuk-service-navigation button").await;
    browser.wait_for_path("/auth/login").await;
    assert!(
        browser
            .text_of(".govuk-notification-banner")
            .await
            .contains("signed out")
    );

    let link = TestApp::link_in(&app.emails(1)[0]);
    browser.goto(&format!("{base}{link}")).await;
    assert!(browser.text_of("h1").await.contains("Create your password"));
    browser.fill("#password", "short").await;
    browser.fill("#confirm_password", "short").await;
    browser.click("button[type=submit].govuk-button").await;
    assert!(
        browser
            .text_of(".govuk-error-summary")
            .await
            .contains("at least 12 characters"),
        "the error summary names the problem"
    );
    assert_accessible(&browser).await;
    browser.fill("#password", PASSWORD).await;
    browser.fill("#confirm_password", PASSWORD).await;
    browser.click("button[type=submit].govuk-button").await;
    browser.wait_for_path("/account/two-factor/setup").await;
    assert!(browser.exists(".almanac-qr-code svg").await);
    assert_accessible(&browser).await;
    browser
        .screenshot(concat!(
            env!("CARGO_TARGET_TMPDIR"),
            "/two-factor-setup.png"
        ))
        .await;
    let developer = app
        .user_by_email("new.developer@digital.cabinet-office.gov.uk")
        .unwrap();
    let code = two_factor::current_code(app.keys(), &developer, Utc::now()).unwrap();
    browser.fill("#code", &code).await;
    browser.click("button[type=submit].govuk-button").await;
    assert!(
        browser
            .text_of("h1")
            .await
            .contains("Two-factor authentication is on")
    );
    let codes = browser.text_of("#recovery-codes").await;
    assert_eq!(codes.lines().count(), 10, "{codes}");
    assert_accessible(&browser).await;
    browser
        .screenshot(concat!(env!("CARGO_TARGET_TMPDIR"), "/recovery-codes.png"))
        .await;
    browser.click("a.govuk-button[href='/']").await;
    browser.wait_for_path("/").await;
    // The preview is the public site's page; signing out is on every publisher page.
    browser.goto(&format!("{base}/account")).await;
    browser.click(".govuk-service-navigation button").await;
    browser.wait_for_path("/auth/login").await;
    browser.goto(&format!("{base}/account")).await;
    browser.wait_for_path("/auth/login").await;

    browser.close().await;
    server.abort();
}

/// No WCAG 2.2 AA failures that axe-core can detect on the current page.
async fn assert_accessible(browser: &Browser) {
    let violations = browser.accessibility_violations().await;
    let path = browser.current_path().await;
    assert!(
        violations.is_empty(),
        "accessibility failures on {path}:\n{}",
        violations.join("\n")
    );
}

/// Two editors in two browsers edit the same draft: the second save is caught, shows what
/// the first changed, keeps what the second typed, and saves only when asked again.
#[tokio::test]
async fn a_conflicting_edit_in_a_second_browser_is_caught() {
    let app = TestApp::new();
    let page = almanac_test_support::fixtures::page(&mut app.conn(), "health", "DRAFT", true);
    app.user("first@ons.gov.uk", UserType::CentralEditor);
    app.user("second@ons.gov.uk", UserType::CentralEditor);
    let (base, server) = serve(app.router.clone()).await;
    let edit_url = format!("{base}/cms/{}/1.0/edit", page.path);
    let first = Browser::start().await;
    let second = Browser::start().await;
    for (browser, email) in [(&first, "first@ons.gov.uk"), (&second, "second@ons.gov.uk")] {
        browser.goto(&edit_url).await;
        browser.wait_for_path("/auth/login").await;
        browser.fill("#email", email).await;
        browser.fill("#password", PASSWORD).await;
        browser.click("button[type=submit].govuk-button").await;
        browser
            .wait_for_path(&format!("/cms/{}/1.0/edit", page.path))
            .await;
    }
    assert_accessible(&first).await;

    first.fill("#summary", "Employment rose in 2019").await;
    second.fill("#summary", "Employment fell in 2019").await;
    first.click("form[data-autosave] button[type=submit]").await;
    first
        .wait_for_path(&format!("/cms/{}/1.0", page.path))
        .await;
    second
        .click("form[data-autosave] button[type=submit]")
        .await;
    let conflict = second.text_of("#conflict").await;
    assert!(
        conflict.contains("‘Main points’ has been updated by first@ons.gov.uk"),
        "{conflict}"
    );
    assert!(second.text_of(".almanac-diff").await.contains("rose"));
    let kept = second
        .execute("return document.querySelector('#summary').value;")
        .await;
    assert_eq!(kept, "Employment fell in 2019");
    assert_accessible(&second).await;
    second
        .screenshot(concat!(env!("CARGO_TARGET_TMPDIR"), "/conflict.png"))
        .await;

    // Saving again from the conflict page is deliberate, and wins.
    second
        .click("form[data-autosave] button[type=submit]")
        .await;
    second
        .wait_for_path(&format!("/cms/{}/1.0", page.path))
        .await;
    let summary: Option<String> = {
        use diesel::prelude::*;
        almanac_content::schema::measure_version::table
            .find(page.version_id)
            .select(almanac_content::schema::measure_version::summary)
            .first(&mut app.conn())
            .unwrap()
    };
    assert_eq!(summary.as_deref(), Some("Employment fell in 2019"));
    first.close().await;
    second.close().await;
    server.abort();
}
