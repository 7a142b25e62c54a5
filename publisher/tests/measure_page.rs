//! The measure page as the site build renders it, seen through the publisher's preview and
//! review links: every chart type and both table types drawn on the server, the files each
//! dimension links to, page history, previous editions and the corrections banners.

mod common;

use almanac_charts::{ChartSettings, build_chart};
use almanac_content::UserType;
use almanac_content::schema::{dimension, dimension_chart, dimension_table, measure_version};
use almanac_figures::{DataOrigin, FigureSource, Grid, TableSettings, build_table};
use almanac_test_support::fixtures;
use axum::http::StatusCode;
use common::TestApp;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde_json::json;

const ETHNICITY_BY_SEX: &str = "Ethnicity\tSex\tYear\tValue\n\
    Asian\tWomen\t2019\t52.1\nAsian\tMen\t2019\t68.2\n\
    Black\tWomen\t2019\t62.5\nBlack\tMen\t2019\t?\n\
    White\tWomen\t2019\t74.6\nWhite\tMen\t2019\t79.9\n\
    Asian\tWomen\t2020\t53.0\nAsian\tMen\t2020\t69.0\n\
    Black\tWomen\t2020\t63.1\nBlack\tMen\t2020\t66.3\n\
    White\tWomen\t2020\t75.0\nWhite\tMen\t2020\t80.2\n";

/// One chart of every type over the same data, and a simple and a grouped table.
fn chart_settings() -> Vec<serde_json::Value> {
    let base = |kind: &str, extra: serde_json::Value| {
        let mut settings = json!({
            "version": 1,
            "type": kind,
            "title": format!("Employment ({kind})"),
            "description": format!("Employment rate by ethnicity, {kind} chart."),
            "category_column": "Ethnicity",
            "value_column": "Value",
            "number_format": { "suffix": "%" },
        });
        for (key, value) in extra.as_object().unwrap() {
            settings[key] = value.clone();
        }
        settings
    };
    vec![
        base(
            "bar",
            json!({ "series_column": "Sex", "panel_column": null }),
        ),
        base("small_bar", json!({})),
        base(
            "line",
            json!({ "category_column": "Year", "series_column": "Ethnicity" }),
        ),
        base("component", json!({ "series_column": "Sex" })),
        base("panel_bar", json!({ "panel_column": "Sex" })),
        base(
            "panel_line",
            json!({ "category_column": "Year", "panel_column": "Ethnicity" }),
        ),
    ]
}

fn filtered_grid(year: Option<&str>, sex: Option<&str>) -> Grid {
    let full = Grid::from_pasted(ETHNICITY_BY_SEX).unwrap();
    let mut rows = vec![full.headings().to_vec()];
    rows.extend(
        full.rows()
            .iter()
            .filter(|row| year.is_none_or(|y| row[2] == y) && sex.is_none_or(|s| row[1] == s))
            .cloned(),
    );
    Grid::from_rows(rows).unwrap()
}

/// Adds a dimension with a chart and (when given) a table, as the builders store them.
fn add_dimension(
    app: &TestApp,
    version_id: i32,
    position: i32,
    title: &str,
    chart: Option<(serde_json::Value, Grid)>,
    table: Option<(serde_json::Value, Grid)>,
) -> String {
    let guid = uuid::Uuid::new_v4();
    let mut conn = app.conn();
    diesel::insert_into(dimension::table)
        .values((
            dimension::guid.eq(guid),
            dimension::measure_version_id.eq(version_id),
            dimension::title.eq(title),
            dimension::time_period.eq("2019 to 2020"),
            dimension::summary.eq("Women were less likely to be employed."),
            dimension::position.eq(position),
        ))
        .execute(&mut conn)
        .unwrap();
    if let Some((settings, grid)) = chart {
        let settings = ChartSettings::from_value(settings).unwrap();
        let chart = build_chart(&grid, &settings).unwrap();
        diesel::insert_into(dimension_chart::table)
            .values((
                dimension_chart::dimension_guid.eq(guid),
                dimension_chart::settings_and_source_data.eq(FigureSource::new(
                    settings,
                    grid,
                    DataOrigin::Pasted,
                )
                .to_value()),
                dimension_chart::chart_object
                    .eq(serde_json::from_str::<serde_json::Value>(&chart.to_json()).unwrap()),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    if let Some((settings, grid)) = table {
        let settings = TableSettings::from_json(&settings.to_string()).unwrap();
        let table = build_table(&grid, &settings).unwrap();
        diesel::insert_into(dimension_table::table)
            .values((
                dimension_table::dimension_guid.eq(guid),
                dimension_table::settings_and_source_data.eq(FigureSource::new(
                    settings,
                    grid,
                    DataOrigin::Pasted,
                )
                .to_value()),
                dimension_table::table_object
                    .eq(serde_json::from_str::<serde_json::Value>(&table.to_json()).unwrap()),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    guid.to_string()
}

/// A draft with the fixture's dimension plus one dimension per chart type; the first two
/// also have tables (simple, then grouped). Returns the guids of the new dimensions.
fn page_with_every_figure(app: &TestApp) -> (fixtures::Page, Vec<String>) {
    let page = fixtures::page(&mut app.conn(), "work", "DRAFT", true);
    let mut guids = Vec::new();
    for (index, settings) in chart_settings().into_iter().enumerate() {
        let kind = settings["type"].as_str().unwrap().to_owned();
        let grid = match kind.as_str() {
            "line" | "panel_line" => filtered_grid(None, Some("Women")),
            "small_bar" => filtered_grid(Some("2019"), Some("Women")),
            _ => filtered_grid(Some("2019"), None),
        };
        let table = match index {
            0 => Some((
                json!({
                    "version": 1, "type": "grouped", "caption": "Employment by ethnicity and sex",
                    "category_column": "Ethnicity", "category_caption": "Ethnicity",
                    "group_column": "Sex", "group_caption": "Sex", "value_columns": ["Value"],
                }),
                filtered_grid(Some("2019"), None),
            )),
            1 => Some((
                json!({
                    "version": 1, "type": "simple", "caption": "Employment of women",
                    "category_column": "Ethnicity", "category_caption": "Ethnicity",
                    "value_columns": ["Value"],
                }),
                filtered_grid(Some("2019"), Some("Women")),
            )),
            _ => None,
        };
        guids.push(add_dimension(
            app,
            page.version_id,
            (index + 1) as i32,
            &format!("Employment {kind}"),
            Some((settings, grid)),
            table,
        ));
    }
    (page, guids)
}

fn stored_page(app: &TestApp, version_id: i32) -> almanac_content::pages::MeasurePage {
    almanac_content::pages::measure_page(&mut app.conn(), version_id)
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn every_chart_and_table_is_drawn_on_the_server_with_its_files() {
    let app = TestApp::with(&[("SITE_CHART_PNG", "true")]);
    let (page, guids) = page_with_every_figure(&app);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let mut client = app.signed_in(&editor);
    let preview = client.get(&format!("/cms/{}/1.0/preview", page.path)).await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(
        !preview.body.contains("cannot be shown"),
        "{}",
        preview.body
    );

    // Each chart is exactly the SVG the builder previews, numbered in page order.
    let stored = stored_page(&app, page.version_id);
    for guid in &guids {
        let summary = stored.dimensions.iter().find(|d| &d.guid == guid).unwrap();
        let chart =
            almanac_charts::Chart::from_json(&summary.chart_object.as_ref().unwrap().to_string())
                .unwrap();
        let svg = almanac_render::figures::dimension_chart_svg(&chart, guid);
        assert!(
            preview.body.contains(&svg),
            "chart of {guid} drawn as stored"
        );
    }
    assert_eq!(preview.body.matches("role=\"img\"").count(), 7);
    preview.assert_contains("2. Employment bar</h2>");
    preview.assert_contains("scope=\"colgroup\"");
    preview.assert_contains("Show the data as a table");
    preview.assert_contains("itemtype=\"https://schema.org/Dataset\"");
    preview.assert_contains("withheld because a small sample size makes it unreliable");

    // The files the page links to.
    let base = format!("/{}/1.0", page.path);
    for (path, content_type) in [
        ("data/employment-bar.csv", "text/csv; charset=utf-8"),
        ("data/employment-bar-table.csv", "text/csv; charset=utf-8"),
        ("charts/employment-bar.svg", "image/svg+xml"),
        ("charts/employment-line.png", "image/png"),
    ] {
        let url = format!("{base}/{path}");
        preview.assert_contains(&format!("href=\"{url}\""));
        let file = client.get(&url).await;
        assert_eq!(file.status, StatusCode::OK, "{url}");
        assert_eq!(file.header("content-type"), content_type, "{url}");
        assert!(file.header("content-disposition").starts_with("attachment"));
    }
    let csv = client.get(&format!("{base}/data/employment-bar.csv")).await;
    assert!(
        csv.body.starts_with('\u{feff}'),
        "UTF-8 with a byte-order mark"
    );
    assert!(csv.body.contains("\"Black\",\"Men\",\"?\"") || csv.body.contains("?"));
    let layout = client
        .get(&format!("{base}/data/employment-bar-table.csv"))
        .await;
    assert!(layout.body.contains("Women"), "{}", layout.body);
    let svg = client
        .get(&format!("{base}/charts/employment-bar.svg"))
        .await;
    assert!(
        preview.body.contains(svg.body.trim()),
        "the download is the page's SVG"
    );
    assert_eq!(
        client
            .get(&format!("{base}/charts/nothing.svg"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.client()
            .get(&format!("{base}/data/employment-bar.csv"))
            .await
            .status,
        StatusCode::SEE_OTHER,
        "signed-in only"
    );
}

#[tokio::test]
async fn review_links_serve_the_figure_files_too() {
    let app = TestApp::with(&[("SITE_CHART_PNG", "true")]);
    let page = fixtures::page(&mut app.conn(), "health", "INTERNAL_REVIEW", true);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    app.signed_in(&editor)
        .post(
            &format!("/cms/{}/1.0/actions", page.path),
            &[("measure-action", "send-to-department-review")],
        )
        .await;
    let token: String = measure_version::table
        .find(page.version_id)
        .select(measure_version::review_token.assume_not_null())
        .first(&mut app.conn())
        .unwrap();
    let mut reviewer = app.client();
    let review = reviewer.get(&format!("/review/{token}")).await;
    let csv_url = format!("/review/{token}/data/by-region.csv");
    review.assert_contains(&csv_url);
    let csv = reviewer.get(&csv_url).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.header("cache-control"), "private, no-store");
    assert!(csv.body.contains("North East"));
    let png = reviewer
        .get(&format!("/review/{token}/charts/by-region.png"))
        .await;
    assert_eq!(png.header("content-type"), "image/png");
    assert_eq!(
        reviewer
            .get(&format!("/review/{token}x/data/by-region.csv"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn history_editions_and_correction_banners_follow_the_published_versions() {
    let app = TestApp::new();
    let page = fixtures::page(&mut app.conn(), "health", "APPROVED", true);
    let admin = app.user("admin@ons.gov.uk", UserType::Admin);
    let mut client = app.signed_in(&admin);
    let today = chrono::Utc::now().date_naive();
    let mut conn = app.conn();
    // 1.0 then 1.1 (correcting a mistake) then 2.0, all published.
    let copy = |minor: i32, major: i32, corrects: bool, summary: &str, conn: &mut PgConnection| {
        diesel::sql_query(format!(
            "INSERT INTO measure_version (measure_id, version_major, version_minor, title, status,
                 published_at, latest, external_edit_summary, update_corrects_data_mistake)
             SELECT measure_id, {major}, {minor}, title, 'APPROVED', published_at, false, '{summary}', {corrects}
             FROM measure_version WHERE id = {}",
            page.version_id
        ))
        .execute(conn)
        .unwrap();
    };
    diesel::update(measure_version::table.find(page.version_id))
        .set((
            measure_version::published_at.eq(Some(today - chrono::Duration::days(30))),
            measure_version::latest.eq(false),
        ))
        .execute(&mut conn)
        .unwrap();
    copy(1, 1, true, "Corrected the 2019 figures", &mut conn);
    copy(0, 2, false, "New survey year", &mut conn);
    diesel::sql_query(format!(
        "UPDATE measure_version SET latest = true WHERE measure_id = {} AND version_major = 2",
        page.measure_id
    ))
    .execute(&mut conn)
    .unwrap();

    let old = client.get(&format!("/cms/{}/1.0/preview", page.path)).await;
    old.assert_contains("A mistake in this version’s data has been corrected in a newer version.");
    old.assert_contains(&format!("href=\"/{}/latest/\"", page.path));

    let corrected = client.get(&format!("/cms/{}/1.1/preview", page.path)).await;
    corrected.assert_contains("This page contains corrections to the data.");
    corrected.assert_contains("Corrected the 2019 figures");
    corrected.assert_contains("First published");

    let newest = client.get(&format!("/cms/{}/2.0/preview", page.path)).await;
    assert!(!newest.body.contains("This page contains corrections"));
    assert!(!newest.body.contains("not the latest version"));
    newest.assert_contains("Previous editions");
    newest.assert_contains(&format!("href=\"/{}/1.1/\"", page.path));
    assert!(
        !newest
            .body
            .contains(&format!("href=\"/{}/1.0/\"", page.path))
    );
}

#[tokio::test]
async fn a_page_with_every_chart_type_has_no_accessibility_violations() {
    let app = TestApp::new();
    let (page, _) = page_with_every_figure(&app);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let (base, server) = almanac_test_support::http::serve(app.router.clone()).await;
    let browser = almanac_test_support::browser::Browser::start().await;
    let preview = format!("/cms/{}/1.0/preview", page.path);
    browser.goto(&format!("{base}{preview}")).await;
    browser.wait_for_path("/auth/login").await;
    browser.fill("#email", &editor.email).await;
    browser.fill("#password", common::PASSWORD).await;
    browser.click("button[type=submit].govuk-button").await;
    browser.wait_for_path(&preview).await;
    assert!(browser.exists("svg[role=img]").await);
    let violations = browser.accessibility_violations().await;
    assert!(violations.is_empty(), "{violations:#?}");
    browser
        .screenshot(concat!(env!("CARGO_TARGET_TMPDIR"), "/measure-page.png"))
        .await;
    browser.goto(&format!("{base}{preview}#dimension-2")).await;
    browser
        .screenshot(concat!(
            env!("CARGO_TARGET_TMPDIR"),
            "/measure-page-figures.png"
        ))
        .await;
    browser.close().await;
    server.abort();
}
