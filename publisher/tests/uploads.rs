//! Source-data uploads through the publisher's pages, with a real clamd: a clean CSV is
//! stored (formula cells neutralised) and downloadable, anything else is refused with a
//! clear message and nothing is stored.

mod common;

use std::path::PathBuf;

use almanac_content::UserType;
use almanac_content::schema::upload;
use almanac_test_support::clamd::EICAR;
use almanac_test_support::fixtures;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Client, Page, TestApp};
use diesel::prelude::*;
use publisher::security::csrf;

const BOUNDARY: &str = "----almanac-test-boundary-7MA4YWxkTrZu0gW";

/// A multipart body as a browser sends the upload form.
fn multipart_body(title: &str, description: &str, file: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in [("title", title), ("description", description)] {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    let (file_name, bytes) = file.unwrap_or(("", b""));
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; \
             filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Posts the upload form with the CSRF token in the action URL, as the page's form does.
async fn upload(
    app: &TestApp,
    client: &mut Client,
    url: &str,
    title: &str,
    file: Option<(&str, &[u8])>,
) -> Page {
    if !client.cookies.contains_key(csrf::COOKIE) {
        client.get("/auth/login").await;
    }
    let token = csrf::token_for(app.keys(), &client.cookies[csrf::COOKIE]);
    upload_with_token(client, url, Some(&token), title, file).await
}

async fn upload_with_token(
    client: &mut Client,
    url: &str,
    token: Option<&str>,
    title: &str,
    file: Option<(&str, &[u8])>,
) -> Page {
    let action = format!("{url}/upload");
    post_multipart(client, &action, token, title, "About the data", file).await
}

/// Posts a multipart form to `action`, with the CSRF token in its query when given.
async fn post_multipart(
    client: &mut Client,
    action: &str,
    token: Option<&str>,
    title: &str,
    description: &str,
    file: Option<(&str, &[u8])>,
) -> Page {
    let action = match token {
        Some(token) => format!("{action}?csrf_token={token}"),
        None => action.to_owned(),
    };
    let request = Request::post(action)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(multipart_body(title, description, file)))
        .unwrap();
    client.send(request).await
}

/// Posts the form that changes an upload's details or replaces its file.
async fn change_upload(
    app: &TestApp,
    client: &mut Client,
    url: &str,
    file_name: &str,
    title: &str,
    description: &str,
    file: Option<(&str, &[u8])>,
) -> Page {
    let token = csrf::token_for(app.keys(), &client.cookies[csrf::COOKIE]);
    let action = format!("{url}/uploads/{file_name}/edit");
    post_multipart(client, &action, Some(&token), title, description, file).await
}

fn stored_path(app: &TestApp, page: &fixtures::Page, file_name: &str) -> PathBuf {
    app.upload_dir
        .path()
        .join(page.measure_id.to_string())
        .join("1.0")
        .join("source")
        .join(file_name)
}

fn stored_files(app: &TestApp) -> Vec<PathBuf> {
    fn walk(dir: &std::path::Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(app.upload_dir.path(), &mut found);
    found
}

fn upload_rows(app: &TestApp, version_id: i32) -> Vec<(String, String, String)> {
    upload::table
        .filter(upload::measure_version_id.eq(version_id))
        .select((upload::title, upload::file_name, upload::scan_status))
        .load(&mut app.conn())
        .unwrap()
}

#[tokio::test]
async fn a_clean_csv_is_stored_downloadable_and_deletable() {
    let app = TestApp::with_clamd();
    let page = fixtures::page(&mut app.conn(), "health", "DRAFT", false);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let url = format!("/cms/{}/1.0", page.path);
    let mut browser = app.signed_in(&editor);

    let form = browser.get(&format!("{url}/upload")).await;
    assert_eq!(form.status, StatusCode::OK);
    form.assert_contains("enctype=\"multipart/form-data\"");
    form.assert_contains("/upload?csrf_token=");
    form.assert_contains("govuk-file-upload");

    let csv = b"Ethnicity,Value\n=HYPERLINK(\"http://evil\"),5\nWhite,-3\n";
    upload(
        &app,
        &mut browser,
        &url,
        "Employment by ethnicity 2024",
        Some(("employment.csv", csv)),
    )
    .await
    .assert_redirect(&format!("{url}?done=upload"));

    let file_name = "employment-by-ethnicity-2024.csv";
    let stored = std::fs::read_to_string(stored_path(&app, &page, file_name)).unwrap();
    assert!(stored.contains("'=HYPERLINK"), "{stored}");
    assert!(stored.contains("White,-3"), "{stored}");
    assert_eq!(
        upload_rows(&app, page.version_id),
        [(
            "Employment by ethnicity 2024".to_owned(),
            file_name.to_owned(),
            "CLEAN".to_owned()
        )]
    );
    assert!(app.audit_actions().contains(&"upload_added".to_owned()));

    let download = browser.get(&format!("{url}/downloads/{file_name}")).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.header("content-type"), "text/csv; charset=utf-8");
    assert_eq!(
        download.header("content-disposition"),
        format!("attachment; filename=\"{file_name}\"")
    );
    assert_eq!(download.body, stored);
    // The preview links to it by the public site's path, which serves the same file.
    let preview = browser.get(&format!("{url}/preview")).await;
    let public_link = format!("/{}/1.0/downloads/{file_name}", page.path);
    preview.assert_contains(&public_link);
    let from_preview = browser.get(&public_link).await;
    assert_eq!(from_preview.status, StatusCode::OK);
    assert_eq!(from_preview.body, stored);
    assert_eq!(
        app.client().get(&public_link).await.status,
        StatusCode::SEE_OTHER
    );
    browser
        .get(&format!("{url}/upload"))
        .await
        .assert_contains(&format!("{url}/downloads/{file_name}"));

    // The same title again: the form comes back with what was typed and a message.
    let again = upload(
        &app,
        &mut browser,
        &url,
        "Employment by ethnicity 2024",
        Some(("employment.csv", csv)),
    )
    .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    again.assert_contains("already has a file called");
    again.assert_contains("value=\"Employment by ethnicity 2024\"");
    again.assert_contains("About the data");

    browser
        .post(&format!("{url}/uploads/{file_name}/delete"), &[])
        .await
        .assert_redirect(&format!("{url}/upload?done=delete"));
    assert!(upload_rows(&app, page.version_id).is_empty());
    assert!(stored_files(&app).is_empty());
    assert!(app.audit_actions().contains(&"upload_deleted".to_owned()));
    let gone = browser.get(&format!("{url}/downloads/{file_name}")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let again = browser
        .post(&format!("{url}/uploads/{file_name}/delete"), &[])
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_file_is_retitled_and_replaced_only_by_a_clean_csv() {
    let app = TestApp::with_clamd();
    let page = fixtures::page(&mut app.conn(), "health", "DRAFT", false);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let url = format!("/cms/{}/1.0", page.path);
    let mut browser = app.signed_in(&editor);
    let original = b"Ethnicity,Value\nWhite,1\n";
    upload(
        &app,
        &mut browser,
        &url,
        "Employment 2024",
        Some(("a.csv", original)),
    )
    .await
    .assert_redirect(&format!("{url}?done=upload"));
    upload(
        &app,
        &mut browser,
        &url,
        "Other data",
        Some(("b.csv", original)),
    )
    .await
    .assert_redirect(&format!("{url}?done=upload"));
    let first = "employment-2024.csv";

    let form = browser.get(&format!("{url}/uploads/{first}/edit")).await;
    assert_eq!(form.status, StatusCode::OK);
    form.assert_contains("value=\"Employment 2024\"");
    form.assert_contains("Replace the file (optional)");
    browser
        .get(&format!("{url}/upload"))
        .await
        .assert_contains(&format!("{url}/uploads/{first}/edit"));

    // New words, same file: the stored name stays, so links to it keep working.
    change_upload(
        &app,
        &mut browser,
        &url,
        first,
        "Employment rates 2024",
        "Rates by group",
        None,
    )
    .await
    .assert_redirect(&format!("{url}/upload?done=edited"));
    let rows = upload_rows(&app, page.version_id);
    assert!(rows.contains(&(
        "Employment rates 2024".to_owned(),
        first.to_owned(),
        "CLEAN".to_owned()
    )));
    assert_eq!(
        std::fs::read(stored_path(&app, &page, first)).unwrap(),
        original
    );

    // Refusals keep what was typed and change nothing.
    for (title, file, status, message) in [
        (
            "Other data",
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "already has a file called",
        ),
        ("", None, StatusCode::UNPROCESSABLE_ENTITY, "Enter a title"),
        (
            "Employment rates 2024",
            Some(("virus.csv", EICAR.as_bytes())),
            StatusCode::UNPROCESSABLE_ENTITY,
            "virus",
        ),
        (
            "Employment rates 2024",
            Some(("data.csv", b"\xff\xfe\x00binary".as_slice())),
            StatusCode::UNPROCESSABLE_ENTITY,
            "UTF-8",
        ),
    ] {
        let refused =
            change_upload(&app, &mut browser, &url, first, title, "Kept words", file).await;
        assert_eq!(refused.status, status, "{title} {message}");
        refused.assert_contains(message);
        refused.assert_contains("Kept words");
    }
    assert_eq!(upload_rows(&app, page.version_id), rows);
    assert_eq!(stored_files(&app).len(), 2);

    // A clean replacement is stored under the new title's name; the old file goes.
    let replacement = b"Ethnicity,Value\nWhite,2\nBlack,3\n";
    change_upload(
        &app,
        &mut browser,
        &url,
        first,
        "Employment rates 2024",
        "Rates by group",
        Some(("new.csv", replacement)),
    )
    .await
    .assert_redirect(&format!("{url}/upload?done=edited"));
    let renamed = "employment-rates-2024.csv";
    assert_eq!(
        std::fs::read(stored_path(&app, &page, renamed)).unwrap(),
        replacement
    );
    assert!(!stored_path(&app, &page, first).exists());
    assert_eq!(stored_files(&app).len(), 2);
    let download = browser.get(&format!("{url}/downloads/{renamed}")).await;
    assert_eq!(download.body.as_bytes(), replacement);
    assert!(app.audit_actions().contains(&"upload_updated".to_owned()));

    // Once the page is in review, files cannot change.
    diesel::update(almanac_content::schema::measure_version::table.find(page.version_id))
        .set(almanac_content::schema::measure_version::status.eq("INTERNAL_REVIEW"))
        .execute(&mut app.conn())
        .unwrap();
    let locked = browser.get(&format!("{url}/uploads/{renamed}/edit")).await;
    assert_eq!(locked.status, StatusCode::FORBIDDEN);
    let refused = change_upload(&app, &mut browser, &url, renamed, "X", "", None).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("only be added, changed or removed while the page is a draft");
}

#[tokio::test]
async fn bad_files_and_bad_requests_are_refused_and_nothing_is_stored() {
    let app = TestApp::with_clamd_and(&[("UPLOAD_MAX_BYTES", "16K")]);
    let page = fixtures::page(&mut app.conn(), "health", "DRAFT", false);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let url = format!("/cms/{}/1.0", page.path);
    let mut browser = app.signed_in(&editor);

    // EICAR, named like a CSV: a one-cell CSV that clamd calls a virus.
    let infected = upload(
        &app,
        &mut browser,
        &url,
        "Infected",
        Some(("x.csv", EICAR.as_bytes())),
    )
    .await;
    assert_eq!(infected.status, StatusCode::UNPROCESSABLE_ENTITY);
    infected.assert_contains("contains a virus");
    infected.assert_contains("was not saved");
    infected.assert_contains("Eicar-Test-Signature");

    // Over the limit: a page that says so, 413. Far over it, and just over it.
    let row = "White,1234567890,1234567890,1234567890\n";
    let large = format!("Ethnicity,A,B,C\n{}", row.repeat(20_000));
    let too_large = upload(
        &app,
        &mut browser,
        &url,
        "Large",
        Some(("large.csv", large.as_bytes())),
    )
    .await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    too_large.assert_contains("larger than 16 KB");
    let just_over = format!("Ethnicity,A,B,C\n{}", row.repeat(430));
    let too_large = upload(
        &app,
        &mut browser,
        &url,
        "Large",
        Some(("large.csv", just_over.as_bytes())),
    )
    .await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    too_large.assert_contains("larger than 16 KB");

    // A PNG and a Latin-1 file: the clear messages of the CSV check.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";
    let refused = upload(
        &app,
        &mut browser,
        &url,
        "Picture",
        Some(("chart.csv", png)),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("not a text file");
    refused.assert_contains("value=\"Picture\"");
    let latin1 = b"Ethnicity,Value\nCaf\xe9 owners,5\n";
    let refused = upload(
        &app,
        &mut browser,
        &url,
        "Latin",
        Some(("data.csv", latin1)),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("not in the UTF-8 character encoding");
    let refused = upload(
        &app,
        &mut browser,
        &url,
        "Named",
        Some(("data.xlsx", b"a,b\n1,2\n")),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("must be a CSV file");

    // Missing title and missing file: a message on each field.
    let refused = upload(&app, &mut browser, &url, "", None).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("Enter a title for the file");
    refused.assert_contains("Choose a CSV file to upload");
    refused.assert_contains("href=\"#title\"");
    refused.assert_contains("href=\"#file\"");

    // No CSRF token: refused before anything is read.
    let refused = upload_with_token(
        &mut browser,
        &url,
        None,
        "No token",
        Some(("data.csv", b"a,b\n1,2\n")),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // A departmental user without the share.
    let outsider = app.user("outsider@dept.gov.uk", UserType::Departmental);
    let mut outsider_browser = app.signed_in(&outsider);
    let refused = upload(
        &app,
        &mut outsider_browser,
        &url,
        "Theirs",
        Some(("data.csv", b"a,b\n1,2\n")),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = outsider_browser.get(&format!("{url}/upload")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    assert!(upload_rows(&app, page.version_id).is_empty());
    assert!(stored_files(&app).is_empty(), "{:?}", stored_files(&app));
    assert!(!app.audit_actions().contains(&"upload_added".to_owned()));

    // A version in review is frozen: no form, and a post is refused.
    let review = fixtures::page(&mut app.conn(), "crime", "DEPARTMENT_REVIEW", true);
    let review_url = format!("/cms/{}/1.0", review.path);
    let form = browser.get(&format!("{review_url}/upload")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(!form.body.contains("multipart/form-data"));
    form.assert_contains("only be added, changed or removed while the page is a draft");
    let refused = upload(
        &app,
        &mut browser,
        &review_url,
        "Late",
        Some(("late.csv", b"a,b\n1,2\n")),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("only be added, changed or removed while the page is a draft");
    let refused = browser
        .post(&format!("{review_url}/uploads/data.csv/delete"), &[])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(upload_rows(&app, review.version_id).len(), 1);
    assert!(stored_files(&app).is_empty());
}

#[tokio::test]
async fn only_clean_stored_files_are_downloaded() {
    let app = TestApp::new();
    let page = fixtures::page(&mut app.conn(), "health", "DRAFT", true);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let url = format!("/cms/{}/1.0", page.path);
    let mut browser = app.signed_in(&editor);

    // The fixture's row says CLEAN, but there is no stored file.
    let missing = browser.get(&format!("{url}/downloads/data.csv")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // A stored file whose row is not CLEAN is never served.
    diesel::update(upload::table.filter(upload::measure_version_id.eq(page.version_id)))
        .set(upload::scan_status.eq("PENDING"))
        .execute(&mut app.conn())
        .unwrap();
    let path = stored_path(&app, &page, "data.csv");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "a,b\n1,2\n").unwrap();
    let pending = browser.get(&format!("{url}/downloads/data.csv")).await;
    assert_eq!(pending.status, StatusCode::NOT_FOUND);
    let unknown = browser.get(&format!("{url}/downloads/other.csv")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let traversal = browser
        .get(&format!("{url}/downloads/..%2F..%2Fetc%2Fpasswd"))
        .await;
    assert_eq!(traversal.status, StatusCode::NOT_FOUND);
    diesel::update(upload::table.filter(upload::measure_version_id.eq(page.version_id)))
        .set(upload::scan_status.eq("CLEAN"))
        .execute(&mut app.conn())
        .unwrap();
    let clean = browser.get(&format!("{url}/downloads/data.csv")).await;
    assert_eq!(clean.status, StatusCode::OK);
    assert_eq!(clean.body, "a,b\n1,2\n");

    // Without a scanner (development without CLAMD_ADDRESS), uploads are switched off.
    let draft = fixtures::page(&mut app.conn(), "crime", "DRAFT", false);
    let draft_url = format!("/cms/{}/1.0", draft.path);
    let form = browser.get(&format!("{draft_url}/upload")).await;
    form.assert_contains("Virus scanning is not configured: uploads are switched off");
    let refused = upload(
        &app,
        &mut browser,
        &draft_url,
        "Data",
        Some(("data.csv", b"a,b\n1,2\n")),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("Virus scanning is not configured: uploads are switched off");
    assert!(upload_rows(&app, draft.version_id).is_empty());

    // Anonymous visitors are sent to sign in.
    let anonymous = app.client().get(&format!("{url}/downloads/data.csv")).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
}

/// The upload page in a real Chromium: accessible (axe, WCAG 2.2 AA) empty and with errors,
/// and a file chosen in the browser is uploaded with the token in the form's action URL.
#[tokio::test]
async fn the_upload_page_works_and_is_accessible_in_a_browser() {
    use almanac_test_support::browser::Browser;
    use almanac_test_support::http::serve;

    let app = TestApp::with_clamd();
    let page = fixtures::page(&mut app.conn(), "health", "DRAFT", false);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let url = format!("/cms/{}/1.0", page.path);
    let (base, server) = serve(app.router.clone()).await;
    let browser = Browser::start().await;

    browser.goto(&format!("{base}{url}/upload")).await;
    browser.wait_for_path("/auth/login").await;
    browser.fill("#email", &editor.email).await;
    browser.fill("#password", common::PASSWORD).await;
    browser.click("button[type=submit].govuk-button").await;
    browser.wait_for_path(&format!("{url}/upload")).await;
    assert!(browser.text_of("h1").await.contains("Source data"));
    assert_accessible(&browser).await;

    // Nothing filled in: the error summary and a message on each field.
    browser.click("button[type=submit].govuk-button").await;
    let summary = browser.text_of(".govuk-error-summary").await;
    assert!(summary.contains("Enter a title for the file"), "{summary}");
    assert_accessible(&browser).await;

    let csv = app.upload_dir.path().join("chosen.csv");
    std::fs::write(&csv, "Ethnicity,Value\nWhite,10\n").unwrap();
    browser.fill("#title", "Chosen in the browser").await;
    browser.fill("#file", csv.to_str().unwrap()).await;
    browser.click("button[type=submit].govuk-button").await;
    browser.wait_for_path(&url).await;
    std::fs::remove_file(&csv).unwrap();
    assert!(stored_path(&app, &page, "chosen-in-the-browser.csv").is_file());

    browser.goto(&format!("{base}{url}/upload")).await;
    browser.wait_for_path(&format!("{url}/upload")).await;
    assert!(
        browser
            .text_of(".govuk-table")
            .await
            .contains("Chosen in the browser")
    );
    assert_accessible(&browser).await;
    browser.close().await;
    server.abort();
}

/// No WCAG 2.2 AA failures that axe-core can detect on the current page.
async fn assert_accessible(browser: &almanac_test_support::browser::Browser) {
    let violations = browser.accessibility_violations().await;
    let path = browser.current_path().await;
    assert!(
        violations.is_empty(),
        "accessibility failures on {path}:\n{}",
        violations.join("\n")
    );
}
