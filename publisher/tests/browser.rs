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
    browser
        .wait_for_text("h1", "Two-factor authentication is on")
        .await;
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

/// One measure's whole life through the real pages: create → edit → upload → add a data
/// source → send to review → open the review link signed out → publish as admin → minor
/// update → publish. axe-core checks every kind of page on the way.
#[tokio::test]
async fn a_measure_goes_from_creation_to_a_published_minor_update() {
    let app = TestApp::with_clamd();
    almanac_test_support::fixtures::page(&mut app.conn(), "health", "DRAFT", false);
    app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let admin = app.user("admin@ons.gov.uk", UserType::Admin);
    let (base, server) = serve(app.router.clone()).await;
    let browser = Browser::start().await;
    let submit = "main form[method=post] button[type=submit].govuk-button";

    // The editor creates the page.
    browser
        .goto(&format!("{base}/cms/health/sub/measure/new"))
        .await;
    browser.wait_for_path("/auth/login").await;
    browser.fill("#email", "editor@ons.gov.uk").await;
    browser.fill("#password", PASSWORD).await;
    browser.click("button[type=submit].govuk-button").await;
    browser.wait_for_path("/cms/health/sub/measure/new").await;
    assert_accessible(&browser).await;
    browser.fill("#title", "Smoking by ethnicity").await;
    browser.click(submit).await;
    let page = "/cms/health/sub/smoking-by-ethnicity/1.0";
    browser.wait_for_path(&format!("{page}/edit")).await;
    assert_accessible(&browser).await;

    // Fills in what review needs.
    for (field, text) in [
        ("#time_covered", "2019"),
        ("#summary", "* Smoking fell in every group"),
        ("#description", "Smoking rates by ethnicity"),
        ("#need_to_know", "The data comes from a survey."),
    ] {
        browser.fill(field, text).await;
    }
    browser.click("#area_covered").await;
    browser
        .select_index("#lowest_level_of_geography_id", 1)
        .await;
    browser
        .click("form[data-autosave] button[type=submit]")
        .await;
    browser.wait_for_url_ending("?done=saved").await;
    assert_accessible(&browser).await;

    // Uploads the source data (scanned by clamd).
    let csv = std::env::temp_dir().join(format!("smoking-{}.csv", std::process::id()));
    std::fs::write(&csv, "ethnicity,rate\nWhite,14\nAsian,9\n").unwrap();
    browser.goto(&format!("{base}{page}/upload")).await;
    assert_accessible(&browser).await;
    browser.fill("#title", "Smoking rates").await;
    browser.attach_file("#file", &csv).await;
    browser.click("form[enctype] button[type=submit]").await;
    browser.wait_for_url_ending("?done=upload").await;
    assert!(
        browser
            .text_of(".govuk-notification-banner")
            .await
            .contains("passed its virus scan")
    );

    // Adds a data source.
    browser
        .goto(&format!("{base}{page}/data-sources/new"))
        .await;
    assert_accessible(&browser).await;
    browser.fill("#title", "Health Survey for England").await;
    browser
        .fill("#source_url", "https://digital.nhs.uk/hse")
        .await;
    browser.click(submit).await;
    browser.wait_for_path(&format!("{page}/data-sources")).await;
    assert_accessible(&browser).await;

    // Sends it to review, and on to the department.
    browser.goto(&format!("{base}{page}")).await;
    browser.click("button[value=save-and-review]").await;
    browser.wait_for_url_ending("?done=save-and-review").await;
    browser
        .click("button[value=send-to-department-review]")
        .await;
    browser
        .wait_for_url_ending("?done=send-to-department-review")
        .await;
    assert_accessible(&browser).await;
    let review_link = browser
        .execute("return document.querySelector('#review-link-url').value;")
        .await;
    let review_path = review_link
        .as_str()
        .unwrap()
        .trim_start_matches("http://publisher.test")
        .to_owned();
    browser.click(".govuk-service-navigation button").await;
    browser.wait_for_path("/auth/login").await;

    // A reviewer without an account reads it.
    browser.goto(&format!("{base}{review_path}")).await;
    assert!(browser.text_of("h1").await.contains("Smoking by ethnicity"));
    assert_accessible(&browser).await;

    // The admin publishes it.
    browser.goto(&format!("{base}{page}")).await;
    browser.wait_for_path("/auth/login").await;
    browser.fill("#email", "admin@ons.gov.uk").await;
    browser.fill("#password", PASSWORD).await;
    browser.click("button[type=submit].govuk-button").await;
    browser.wait_for_path("/auth/two-factor").await;
    let code = two_factor::current_code(app.keys(), &app.reload(&admin), Utc::now()).unwrap();
    browser.fill("#code", &code).await;
    browser.click("button[type=submit].govuk-button").await;
    browser.wait_for_path(page).await;
    // The form to publish at a set time, shown again with its errors, is accessible too.
    browser.click("form[action$='/schedule'] button").await;
    browser.wait_for_url_ending("/schedule").await;
    assert!(
        browser
            .text_of(".govuk-error-summary")
            .await
            .contains("Enter the date to publish the page")
    );
    assert_accessible(&browser).await;
    browser.click("button[value=send-to-approved]").await;
    browser.wait_for_url_ending("?done=send-to-approved").await;
    assert_eq!(browser.text_of("#status").await, "Published");

    // A minor update, corrected and published in turn.
    browser.click("#update_type").await;
    browser.click("form[action$='/new-version'] button").await;
    let minor = "/cms/health/sub/smoking-by-ethnicity/1.1";
    browser.wait_for_url_ending("?done=new-version").await;
    browser.goto(&format!("{base}{minor}/edit")).await;
    browser.click("#update_corrects_data_mistake-no").await;
    browser
        .fill("#external_edit_summary", "Clarified the survey description")
        .await;
    browser
        .click("form[data-autosave] button[type=submit]")
        .await;
    browser.wait_for_url_ending("?done=saved").await;
    for action in [
        "save-and-review",
        "send-to-department-review",
        "send-to-approved",
    ] {
        browser.click(&format!("button[value={action}]")).await;
        browser
            .wait_for_url_ending(&format!("?done={action}"))
            .await;
    }
    assert_eq!(browser.text_of("#status").await, "Published");
    // The minor version kept the upload, file included.
    browser.goto(&format!("{base}{minor}/upload")).await;
    assert!(browser.text_of("main").await.contains("Smoking rates"));
    let builds: i64 = {
        use diesel::prelude::*;
        almanac_content::schema::build::table
            .count()
            .get_result(&mut app.conn())
            .unwrap()
    };
    assert_eq!(builds, 2, "one build per publication");
    let _ = std::fs::remove_file(csv);
    browser.close().await;
    server.abort();
}
