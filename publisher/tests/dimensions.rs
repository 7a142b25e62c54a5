//! Dimensions and their chart and table builders through the publisher's routes: every
//! form's refusals (with the row and column of bad data, and everything typed kept), the
//! stored formats, and one run in a real headless Chromium with the live preview.

mod common;

use almanac_charts::{Chart, ChartSettings, build_chart};
use almanac_content::UserType;
use almanac_content::schema::{
    dimension, dimension_categorisation, dimension_chart, dimension_table,
};
use almanac_figures::{DataOrigin, FigureSource, Grid, Table, TableSettings, build_table};
use almanac_render::figures::{dimension_chart_svg, dimension_table_html};
use almanac_test_support::browser::Browser;
use almanac_test_support::fixtures;
use almanac_test_support::http::serve;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Client, PASSWORD, Page, TestApp};
use diesel::prelude::*;
use publisher::security::csrf;
use uuid::Uuid;

const FIVE: &str =
    "Ethnicity\tValue\nAsian\t62.1\nBlack\t66.5\nMixed\t69.4\nWhite\t76.0\nOther\t?\n";

/// The dimensions of a version as (title, position), in order.
fn stored_dimensions(app: &TestApp, version_id: i32) -> Vec<(String, i32)> {
    dimension::table
        .filter(dimension::measure_version_id.eq(version_id))
        .order(dimension::position)
        .select((dimension::title, dimension::position))
        .load(&mut app.conn())
        .unwrap()
}

fn guid_of(app: &TestApp, version_id: i32, title: &str) -> Uuid {
    dimension::table
        .filter(dimension::measure_version_id.eq(version_id))
        .filter(dimension::title.eq(title))
        .select(dimension::guid)
        .first(&mut app.conn())
        .unwrap()
}

/// The guid at the end of a redirect to a dimension's page.
fn created_guid(page: &Page) -> Uuid {
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let location = page.location();
    let tail = location.rsplit("/dimensions/").next().unwrap();
    tail.split('?').next().unwrap().parse().unwrap()
}

/// Posts JSON with the CSRF header, as `builders.mjs` does.
async fn post_json(app: &TestApp, client: &mut Client, path: &str, body: &str) -> Page {
    if !client.cookies.contains_key(csrf::COOKIE) {
        client.get("/auth/login").await;
    }
    let token = csrf::token_for(app.keys(), &client.cookies[csrf::COOKIE]);
    let request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-csrf-token", token)
        .body(Body::from(body.to_owned()))
        .unwrap();
    client.send(request).await
}

/// The text as it appears in a page (HTML-escaped as askama escapes).
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

#[tokio::test]
async fn dimensions_are_created_edited_reordered_and_deleted() {
    let app = TestApp::new();
    // The fixture's version has one dimension, "By region".
    let page = fixtures::page(&mut app.conn(), "health", "DRAFT", false);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let url = format!("/cms/{}/1.0", page.path);
    let mut client = app.signed_in(&editor);

    let version = client.get(&url).await;
    version.assert_contains("By region");
    version.assert_contains(&format!("href=\"{url}/dimensions\""));
    let list = client.get(&format!("{url}/dimensions")).await;
    assert_eq!(list.status, StatusCode::OK);
    list.assert_contains("Add a dimension");
    // The fixture's chart opens in the builder with its settings and its stored SVG.
    let region = guid_of(&app, page.version_id, "By region");
    let chart_url = format!("{url}/dimensions/{region}/chart");
    let reopened = client.get(&chart_url).await;
    assert_eq!(reopened.status, StatusCode::OK);
    reopened.assert_contains("value=\"Employment by region\"");
    let stored = Chart::from_json(fixtures::CHART_OBJECT).unwrap();
    reopened.assert_contains(&dimension_chart_svg(&stored, &region.to_string()));
    // A stored source this publisher cannot read: the builder says so, to build it again.
    diesel::update(dimension_chart::table.find(region))
        .set(dimension_chart::settings_and_source_data.eq(serde_json::json!({"version": 2})))
        .execute(&mut app.conn())
        .unwrap();
    let unreadable = client.get(&chart_url).await;
    assert_eq!(unreadable.status, StatusCode::OK);
    unreadable.assert_contains("The stored chart cannot be read by this version of the publisher");
    assert_eq!(
        client.get(&format!("{url}/dimensions/new")).await.status,
        StatusCode::OK
    );

    // Refusals keep what was typed.
    let refused = client
        .post(
            &format!("{url}/dimensions/new"),
            &[
                ("title", " "),
                ("time_period", "2018/19"),
                ("summary", "Kept"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("govuk-error-summary");
    refused.assert_contains("Enter a title for the dimension");
    refused.assert_contains("value=\"2018/19\"");
    refused.assert_contains(">Kept</textarea>");
    let refused = client
        .post(
            &format!("{url}/dimensions/new"),
            &[("title", "by REGION"), ("location", "London")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("This page already has a dimension called “by REGION”");
    refused.assert_contains("value=\"London\"");

    let created = client
        .post(
            &format!("{url}/dimensions/new"),
            &[("title", "By sex"), ("summary", "* Men and women")],
        )
        .await;
    let sex = created_guid(&created);
    assert_eq!(
        created.location(),
        format!("{url}/dimensions/{sex}?done=created")
    );
    let edit = client.get(created.location()).await;
    edit.assert_contains("The dimension has been added.");
    edit.assert_contains("value=\"By sex\"");
    edit.assert_contains("None: it comes from the chart or the table");
    let created = client
        .post(&format!("{url}/dimensions/new"), &[("title", "By age")])
        .await;
    let age = created_guid(&created);
    assert_eq!(
        stored_dimensions(&app, page.version_id),
        [
            ("By region".to_owned(), 0),
            ("By sex".to_owned(), 1),
            ("By age".to_owned(), 2)
        ]
    );

    // Editing.
    let refused = client
        .post(
            &format!("{url}/dimensions/{age}"),
            &[("title", "By sex"), ("time_period", "2020")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("already has a dimension called “By sex”");
    refused.assert_contains("value=\"2020\"");
    client
        .post(
            &format!("{url}/dimensions/{age}"),
            &[("title", "By age group"), ("time_period", "2020")],
        )
        .await
        .assert_redirect(&format!("{url}/dimensions?done=saved#dimension-{age}"));

    // Moving without JavaScript, and reordering as drag and drop does.
    client
        .post(&format!("{url}/dimensions/{age}/move/up"), &[])
        .await
        .assert_redirect(&format!("{url}/dimensions?done=moved#dimension-{age}"));
    assert_eq!(
        stored_dimensions(&app, page.version_id)
            .into_iter()
            .map(|(title, _)| title)
            .collect::<Vec<_>>(),
        ["By region", "By age group", "By sex"]
    );
    assert_eq!(
        client
            .post(&format!("{url}/dimensions/{age}/move/sideways"), &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let order = format!(r#"{{"dimensions": ["{sex}", "{region}", "{age}"]}}"#);
    let reordered = post_json(
        &app,
        &mut client,
        &format!("{url}/dimensions/order"),
        &order,
    )
    .await;
    assert_eq!(reordered.status, StatusCode::OK, "{}", reordered.body);
    assert!(
        reordered.body.contains("\"saved\":true"),
        "{}",
        reordered.body
    );
    assert_eq!(
        stored_dimensions(&app, page.version_id),
        [
            ("By sex".to_owned(), 0),
            ("By region".to_owned(), 1),
            ("By age group".to_owned(), 2)
        ]
    );
    let partial = format!(r#"{{"dimensions": ["{sex}", "{region}"]}}"#);
    let refused = post_json(
        &app,
        &mut client,
        &format!("{url}/dimensions/order"),
        &partial,
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("\"saved\":false"), "{}", refused.body);
    // Without the CSRF header the order is refused before it is read.
    let request = Request::post(format!("{url}/dimensions/order"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(order))
        .unwrap();
    let forged = client.send(request).await;
    assert_ne!(forged.status, StatusCode::OK);

    // Deleting renumbers the rest.
    let confirm = client
        .get(&format!("{url}/dimensions/{region}/delete"))
        .await;
    confirm.assert_contains("Delete the dimension “By region”?");
    client
        .post(&format!("{url}/dimensions/{region}/delete"), &[])
        .await
        .assert_redirect(&format!("{url}/dimensions?done=deleted"));
    assert_eq!(
        stored_dimensions(&app, page.version_id),
        [("By sex".to_owned(), 0), ("By age group".to_owned(), 1)]
    );
    assert_eq!(
        client
            .get(&format!("{url}/dimensions/{region}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        client
            .get(&format!("{url}/dimensions/not-a-guid"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let actions = app.audit_actions();
    for action in [
        "dimension_created",
        "dimension_updated",
        "dimensions_reordered",
        "dimension_deleted",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
}

#[tokio::test]
async fn a_version_in_review_and_unshared_users_are_refused() {
    let app = TestApp::new();
    let review = fixtures::page(&mut app.conn(), "health", "DEPARTMENT_REVIEW", true);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let departmental = app.user("someone@dept.gov.uk", UserType::Departmental);
    let url = format!("/cms/{}/1.0", review.path);
    let region = guid_of(&app, review.version_id, "By region");
    let mut client = app.signed_in(&editor);

    let list = client.get(&format!("{url}/dimensions")).await;
    assert_eq!(list.status, StatusCode::OK);
    list.assert_contains("can only be changed while the page is a draft");
    assert!(!list.body.contains("Add a dimension"));
    for form in [
        "new".to_owned(),
        format!("{region}"),
        format!("{region}/table"),
        format!("{region}/chart"),
    ] {
        client
            .get(&format!("{url}/dimensions/{form}"))
            .await
            .assert_redirect(&format!("{url}/dimensions"));
    }
    let not_editable = "can only be changed while the page is a draft or has been rejected";
    for (path, fields) in [
        ("new".to_owned(), vec![("title", "Late")]),
        (format!("{region}"), vec![("title", "Renamed")]),
        (format!("{region}/delete"), vec![]),
        (format!("{region}/move/down"), vec![]),
        (
            format!("{region}/table"),
            vec![("action", "save"), ("pasted", FIVE)],
        ),
        (
            format!("{region}/chart"),
            vec![("action", "save"), ("pasted", FIVE)],
        ),
        (format!("{region}/table/remove"), vec![]),
        (format!("{region}/chart/remove"), vec![]),
    ] {
        let refused = client
            .post(&format!("{url}/dimensions/{path}"), &fields)
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        refused.assert_contains(not_editable);
    }
    assert_eq!(
        stored_dimensions(&app, review.version_id),
        [("By region".to_owned(), 0)]
    );
    // The fixture's chart is still there.
    let charts: i64 = dimension_chart::table
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(charts, 1);

    let mut outsider = app.signed_in(&departmental);
    for path in [
        format!("{url}/dimensions"),
        format!("{url}/dimensions/{region}"),
        format!("{url}/dimensions/{region}/chart"),
    ] {
        assert_eq!(
            outsider.get(&path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let refused = outsider
        .post(&format!("{url}/dimensions/new"), &[("title", "Sneaky")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

/// The stored table of a dimension: (settings and source, table object, classification).
fn stored_table(
    app: &TestApp,
    guid: Uuid,
) -> (serde_json::Value, serde_json::Value, Option<String>) {
    dimension_table::table
        .find(guid)
        .select((
            dimension_table::settings_and_source_data,
            dimension_table::table_object,
            dimension_table::classification_id,
        ))
        .first(&mut app.conn())
        .unwrap()
}

fn stored_chart(
    app: &TestApp,
    guid: Uuid,
) -> (serde_json::Value, serde_json::Value, Option<String>) {
    dimension_chart::table
        .find(guid)
        .select((
            dimension_chart::settings_and_source_data,
            dimension_chart::chart_object,
            dimension_chart::classification_id,
        ))
        .first(&mut app.conn())
        .unwrap()
}

fn categorisation(app: &TestApp, guid: Uuid) -> Vec<String> {
    dimension_categorisation::table
        .filter(dimension_categorisation::dimension_guid.eq(guid))
        .select(dimension_categorisation::classification_id)
        .load(&mut app.conn())
        .unwrap()
}

#[tokio::test]
async fn the_table_builder_refuses_bad_data_and_stores_the_documented_format() {
    let app = TestApp::new();
    let page = fixtures::page(&mut app.conn(), "health", "DRAFT", false);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let url = format!("/cms/{}/1.0", page.path);
    let mut client = app.signed_in(&editor);
    let guid = created_guid(
        &client
            .post(
                &format!("{url}/dimensions/new"),
                &[("title", "By ethnicity")],
            )
            .await,
    );
    let builder = format!("{url}/dimensions/{guid}/table");

    let empty = client.get(&builder).await;
    assert_eq!(empty.status, StatusCode::OK);
    empty.assert_contains("1. The data");
    assert!(
        !empty.body.contains("2. The table"),
        "step 2 waits for data"
    );

    // A row longer than the headings: the row and column are named, the paste is kept.
    let bad = "Ethnicity\tValue\nWhite\t1\tstray\n";
    let refused = client
        .post(
            &builder,
            &[("action", "load"), ("source", "paste"), ("pasted", bad)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("govuk-error-summary");
    refused.assert_contains("Row 2, column 3:");
    refused.assert_contains(&format!(">{}</textarea>", escaped(bad)));

    // Good data: step 2 with the headings, the first column as categories.
    let loaded = client
        .post(
            &builder,
            &[("action", "load"), ("source", "paste"), ("pasted", FIVE)],
        )
        .await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    loaded.assert_contains("2. The table");
    loaded.assert_contains("<option value=\"Ethnicity\" selected>Ethnicity</option>");
    loaded.assert_contains("id=\"value_column_1\"");

    // An unknown column, with everything else kept.
    let refused = client
        .post(
            &builder,
            &[
                ("action", "preview"),
                ("pasted", FIVE),
                ("caption", "Employment rate"),
                ("category_column", "Nope"),
                ("value_column_1", "Value"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("There is no column headed “Nope” in the data");
    refused.assert_contains("value=\"Employment rate\"");
    // A cell that is not a number.
    let text_value = FIVE.replace("66.5", "lots");
    let refused = client
        .post(
            &builder,
            &[
                ("action", "save"),
                ("pasted", &text_value),
                ("caption", "Employment rate"),
                ("category_column", "Ethnicity"),
                ("value_column_1", "Value"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("Row 3, column 2 (“Value”): “lots” is not a number");
    // A missing caption, and a grouped table without its group column.
    let refused = client
        .post(
            &builder,
            &[
                ("action", "preview"),
                ("pasted", FIVE),
                ("table_type", "grouped"),
                ("category_column", "Ethnicity"),
                ("value_column_1", "Value"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("Enter a caption");
    refused.assert_contains("Choose the column of groups");
    // A custom classification that is not one.
    let refused = client
        .post(
            &builder,
            &[
                ("action", "save"),
                ("pasted", FIVE),
                ("caption", "Employment rate"),
                ("category_column", "Ethnicity"),
                ("value_column_1", "Value"),
                ("classification", "custom"),
                ("classification_code", "6B+"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("is the variant of 6B with broad groups");
    assert!(stored_dimensions(&app, page.version_id).len() == 2);

    // The preview page and the live preview show exactly the published table.
    let fields = [
        ("source", "paste"),
        ("pasted", FIVE),
        ("caption", "Employment rate"),
        ("category_column", "Ethnicity"),
        ("value_column_1", "Value"),
        ("classification", "detected"),
    ];
    let grid = Grid::from_pasted(FIVE).unwrap();
    let settings = TableSettings::from_json(
        r#"{"version":1,"type":"simple","caption":"Employment rate","category_column":"Ethnicity","value_columns":["Value"]}"#,
    )
    .unwrap();
    let expected_html =
        dimension_table_html(&build_table(&grid, &settings).unwrap(), &guid.to_string());
    let mut with_action = vec![("action", "preview")];
    with_action.extend_from_slice(&fields);
    let previewed = client.post(&builder, &with_action).await;
    assert_eq!(previewed.status, StatusCode::OK, "{}", previewed.body);
    previewed.assert_contains(&expected_html);
    previewed.assert_contains("Detected from the column “Ethnicity”");
    previewed.assert_contains("(5B)");
    let live = client.post(&format!("{builder}/preview"), &fields).await;
    assert_eq!(live.status, StatusCode::OK);
    assert_eq!(live.body, expected_html);
    let detected: Vec<String> = form_urlencoded::parse(live.header("x-classification").as_bytes())
        .map(|(_, summary)| summary.into_owned())
        .collect();
    assert_eq!(
        detected,
        ["Detected from the column “Ethnicity”: ONS 2011 - 5+1 (5B)."]
    );
    let live = client
        .post(&format!("{builder}/preview"), &[("pasted", bad)])
        .await;
    assert_eq!(live.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(live.body.contains("Row 2, column 3"), "{}", live.body);

    // Saving stores the documented formats.
    let mut with_action = vec![("action", "save")];
    with_action.extend_from_slice(&fields);
    client
        .post(&builder, &with_action)
        .await
        .assert_redirect(&format!("{url}/dimensions/{guid}?done=table-saved"));
    let (source, object, classification) = stored_table(&app, guid);
    let source = FigureSource::<TableSettings>::from_value(&source).unwrap();
    assert_eq!(
        source,
        FigureSource::new(settings.clone(), grid.clone(), DataOrigin::Pasted)
    );
    let table = Table::from_json(&object.to_string()).unwrap();
    assert_eq!(table, build_table(&grid, &settings).unwrap());
    assert_eq!(classification.as_deref(), Some("5B"));
    assert_eq!(categorisation(&app, guid), ["5B"]);
    let edit = client
        .get(&format!("{url}/dimensions/{guid}?done=table-saved"))
        .await;
    edit.assert_contains("The table has been saved.");
    edit.assert_contains("Classification: ONS 2011 - 5+1 (5B) (from Table)");

    // Reopened, the builder shows the stored table and the data again.
    let reopened = client.get(&builder).await;
    reopened.assert_contains(&expected_html);
    reopened.assert_contains("value=\"Employment rate\"");
    reopened.assert_contains("Remove table");

    // From a source data file of the version.
    let csv = "Ethnicity,Value\nAsian,1\nBlack,2\nMixed,3\nWhite,4\nOther,5\n";
    diesel::sql_query(format!(
        "INSERT INTO upload (measure_version_id, title, file_name, size_bytes, scan_status)
         VALUES ({}, 'Rates', 'rates.csv', {}, 'CLEAN')",
        page.version_id,
        csv.len()
    ))
    .execute(&mut app.conn())
    .unwrap();
    let folder = app
        .upload_dir
        .path()
        .join(page.measure_id.to_string())
        .join("1.0")
        .join("source");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("rates.csv"), csv).unwrap();
    let loaded = client
        .post(
            &builder,
            &[
                ("action", "load"),
                ("source", "upload"),
                ("upload_file", "rates.csv"),
            ],
        )
        .await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    loaded.assert_contains("2. The table");
    let missing = client
        .post(
            &builder,
            &[
                ("action", "load"),
                ("source", "upload"),
                ("upload_file", "gone.csv"),
            ],
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    missing.assert_contains("The file cannot be read");
    client
        .post(
            &builder,
            &[
                ("action", "save"),
                ("source", "upload"),
                ("upload_file", "rates.csv"),
                ("caption", "Rates"),
                ("category_column", "Ethnicity"),
                ("value_column_1", "Value"),
            ],
        )
        .await
        .assert_redirect(&format!("{url}/dimensions/{guid}?done=table-saved"));
    let (source, ..) = stored_table(&app, guid);
    let source = FigureSource::<TableSettings>::from_value(&source).unwrap();
    assert_eq!(
        source.origin,
        DataOrigin::Upload {
            file_name: "rates.csv".into()
        }
    );
    assert_eq!(source.data, Grid::from_csv(csv.as_bytes()).unwrap());

    // A grouped table: the values of each sex under its own heading, in the order given.
    let long =
        "Ethnicity\tSex\tValue\nAsian\tMen\t1\nAsian\tWomen\t2\nWhite\tMen\t3\nWhite\tWomen\t4\n";
    client
        .post(
            &builder,
            &[
                ("action", "save"),
                ("source", "paste"),
                ("pasted", long),
                ("table_type", "grouped"),
                ("caption", "By sex"),
                ("category_column", "Ethnicity"),
                ("group_column", "Sex"),
                ("group_order", "Women\nMen"),
                ("value_column_1", ""),
                ("value_column_2", "Value"),
            ],
        )
        .await
        .assert_redirect(&format!("{url}/dimensions/{guid}?done=table-saved"));
    let (source, object, _) = stored_table(&app, guid);
    let source = FigureSource::<TableSettings>::from_value(&source).unwrap();
    assert_eq!(source.settings.value_columns, ["Value"]);
    match Table::from_json(&object.to_string()).unwrap() {
        Table::Grouped(grouped) => assert_eq!(grouped.group_columns, ["Women", "Men"]),
        other => panic!("a grouped table, not {other:?}"),
    }

    // Removing the table removes the dimension's classification.
    client
        .post(&format!("{builder}/remove"), &[])
        .await
        .assert_redirect(&format!("{url}/dimensions/{guid}?done=table-removed"));
    let tables: i64 = dimension_table::table
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(tables, 0);
    assert!(categorisation(&app, guid).is_empty());
    let actions = app.audit_actions();
    assert!(actions.contains(&"table_saved".to_owned()));
    assert!(actions.contains(&"table_removed".to_owned()));
}

#[tokio::test]
async fn the_chart_builder_checks_each_type_and_stores_the_documented_format() {
    let app = TestApp::new();
    let page = fixtures::page(&mut app.conn(), "health", "DRAFT", false);
    let editor = app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let url = format!("/cms/{}/1.0", page.path);
    let mut client = app.signed_in(&editor);
    let guid = created_guid(
        &client
            .post(
                &format!("{url}/dimensions/new"),
                &[("title", "By ethnicity")],
            )
            .await,
    );
    let builder = format!("{url}/dimensions/{guid}/chart");
    assert_eq!(client.get(&builder).await.status, StatusCode::OK);

    let loaded = client
        .post(&builder, &[("action", "load"), ("pasted", FIVE)])
        .await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    loaded.assert_contains("2. The chart");
    loaded.assert_contains("data-series=\"not_allowed\"");

    // A small bar chart cannot have series; a chart needs its text alternative.
    let sexes =
        "Ethnicity\tSex\tValue\nAsian\tMen\t1\nAsian\tWomen\t2\nWhite\tMen\t3\nWhite\tWomen\t4\n";
    let refused = client
        .post(
            &builder,
            &[
                ("action", "preview"),
                ("pasted", sexes),
                ("chart_type", "small_bar"),
                ("title", "Kept title"),
                ("description", "Kept description"),
                ("category_column", "Ethnicity"),
                ("value_column", "Value"),
                ("series_column", "Sex"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("A small_bar chart cannot have series_column (“Sex”)");
    refused.assert_contains("value=\"Kept title\"");
    refused.assert_contains(">Kept description</textarea>");
    refused.assert_contains("id=\"chart_type-small_bar\" name=\"chart_type\" type=\"radio\" value=\"small_bar\" checked");
    let refused = client
        .post(
            &builder,
            &[
                ("action", "save"),
                ("pasted", FIVE),
                ("chart_type", "bar"),
                ("title", "Employment"),
                ("category_column", "Ethnicity"),
                ("value_column", "Value"),
                ("decimal_places", "many"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("Enter the decimal places as a whole number");
    let refused = client
        .post(
            &builder,
            &[
                ("action", "preview"),
                ("pasted", FIVE),
                ("chart_type", "line"),
                ("title", "Employment"),
                ("description", "Rates"),
                ("category_column", "Ethnicity"),
                ("value_column", "Rate"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("There is no column headed “Rate” in the data");
    refused.assert_contains(
        "id=\"chart_type-line\" name=\"chart_type\" type=\"radio\" value=\"line\" checked",
    );
    let refused = client
        .post(
            &builder,
            &[
                ("action", "save"),
                ("pasted", FIVE),
                ("chart_type", "component"),
                ("title", "Employment"),
                ("description", "Rates"),
                ("category_column", "Ethnicity"),
                ("value_column", "Value"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("A component chart needs series_column");
    let refused = client
        .post(
            &builder,
            &[
                ("action", "save"),
                ("pasted", "Ethnicity\tValue\nAsian\t1\nAsian\t2\n"),
                ("chart_type", "bar"),
                ("title", "Employment"),
                ("description", "Rates"),
                ("category_column", "Ethnicity"),
                ("value_column", "Value"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("Row 3, column");

    // The live preview is the exact SVG of the published page, with the warnings.
    let parts = "Ethnicity\tLevel\tValue\nAsian\tHigh\t50\nAsian\tLow\t40\nWhite\tHigh\t60\nWhite\tLow\t40\n";
    let live = client
        .post(
            &format!("{builder}/preview"),
            &[
                ("pasted", parts),
                ("chart_type", "component"),
                ("title", "Qualifications"),
                ("description", "Levels by ethnicity"),
                ("category_column", "Ethnicity"),
                ("value_column", "Value"),
                ("series_column", "Level"),
            ],
        )
        .await;
    assert_eq!(live.status, StatusCode::OK, "{}", live.body);
    assert_eq!(live.header("content-type"), "image/svg+xml; charset=utf-8");
    assert!(live.body.starts_with("<svg"), "{}", live.body);
    let warnings: Vec<String> = form_urlencoded::parse(live.header("x-chart-warnings").as_bytes())
        .map(|(_, message)| message.into_owned())
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("“Asian”") && warnings[0].contains("90.0"),
        "{warnings:?}"
    );
    // Without JavaScript the Preview button shows the same, and the warning.
    let previewed = client
        .post(
            &builder,
            &[
                ("action", "preview"),
                ("pasted", parts),
                ("chart_type", "component"),
                ("title", "Qualifications"),
                ("description", "Levels by ethnicity"),
                ("category_column", "Ethnicity"),
                ("value_column", "Value"),
                ("series_column", "Level"),
            ],
        )
        .await;
    assert_eq!(previewed.status, StatusCode::OK, "{}", previewed.body);
    previewed.assert_contains(&live.body);
    previewed.assert_contains(&escaped(&warnings[0]));

    // Saved with the editor's own classification.
    let fields = [
        ("action", "save"),
        ("source", "paste"),
        ("pasted", FIVE),
        ("chart_type", "bar"),
        ("title", "Employment rate"),
        ("description", "The rate was highest for White people."),
        ("category_column", "Ethnicity"),
        ("value_column", "Value"),
        ("suffix", "%"),
        ("decimal_places", "1"),
        ("min", "0"),
        ("max", "100"),
        ("classification", "custom"),
        ("classification_code", "18B"),
        ("includes_all", "true"),
    ];
    client
        .post(&builder, &fields)
        .await
        .assert_redirect(&format!("{url}/dimensions/{guid}?done=chart-saved"));
    let (source, object, classification) = stored_chart(&app, guid);
    let source = FigureSource::<ChartSettings>::from_value(&source).unwrap();
    let grid = Grid::from_pasted(FIVE).unwrap();
    assert_eq!(source.data, grid);
    assert_eq!(source.origin, DataOrigin::Pasted);
    assert_eq!(source.settings.number_format.suffix, "%");
    assert_eq!(source.settings.number_format.decimal_places, Some(1));
    assert_eq!(source.settings.number_format.max, Some(100.0));
    let chart = Chart::from_json(&object.to_string()).unwrap();
    assert_eq!(chart, build_chart(&grid, &source.settings).unwrap());
    assert_eq!(classification.as_deref(), Some("18B"));
    assert_eq!(categorisation(&app, guid), ["18B"]);
    let edit = client.get(&format!("{url}/dimensions/{guid}")).await;
    edit.assert_contains("(18B) (from Chart)");
    let reopened = client.get(&builder).await;
    reopened.assert_contains(&dimension_chart_svg(&chart, &guid.to_string()));
    reopened.assert_contains("<option value=\"18B\" selected>");
    reopened.assert_contains("value=\"Employment rate\"");

    client
        .post(&format!("{builder}/remove"), &[])
        .await
        .assert_redirect(&format!("{url}/dimensions/{guid}?done=chart-removed"));
    assert!(categorisation(&app, guid).is_empty());
    let actions = app.audit_actions();
    assert!(actions.contains(&"chart_saved".to_owned()));
    assert!(actions.contains(&"chart_removed".to_owned()));
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

/// Pastes text into the data box, as a spreadsheet's clipboard does (typing would turn the
/// tabs into moves to the next field).
async fn paste(browser: &Browser, text: &str) {
    browser
        .execute(&format!(
            "const box = document.querySelector('#pasted');
             box.value = {};
             box.dispatchEvent(new Event('input', {{bubbles: true}}));
             return true;",
            serde_json::to_string(text).unwrap()
        ))
        .await;
}

/// Waits (up to 10 s) for a script to return true.
async fn wait_until(browser: &Browser, script: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if browser.execute(script).await == serde_json::Value::Bool(true) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still not true after 10 s: {script}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// An editor adds a dimension, builds its table and chart in the browser (the chart with
/// the live preview), and sees on the version's preview the same SVG the site renders.
#[tokio::test]
async fn a_table_and_a_chart_are_built_in_the_browser() {
    let app = TestApp::new();
    let page = fixtures::page(&mut app.conn(), "health", "DRAFT", false);
    app.user("editor@ons.gov.uk", UserType::CentralEditor);
    let (base, server) = serve(app.router.clone()).await;
    let browser = Browser::start().await;
    let url = format!("/cms/{}/1.0", page.path);

    browser.goto(&format!("{base}{url}")).await;
    browser.wait_for_path("/auth/login").await;
    browser.fill("#email", "editor@ons.gov.uk").await;
    browser.fill("#password", PASSWORD).await;
    browser.click("button[type=submit].govuk-button").await;
    browser.wait_for_path(&url).await;
    browser.click(&format!("a[href='{url}/dimensions']")).await;
    browser.wait_for_path(&format!("{url}/dimensions")).await;
    assert_accessible(&browser).await;

    browser.click("#add-dimension").await;
    browser
        .wait_for_path(&format!("{url}/dimensions/new"))
        .await;
    assert_accessible(&browser).await;
    browser.fill("#title", "By ethnicity").await;
    browser
        .fill("#summary", "Employment was highest for White people.")
        .await;
    browser
        .click("main form button[type=submit].govuk-button")
        .await;
    browser.wait_for_url_ending("?done=created").await;
    let guid = guid_of(&app, page.version_id, "By ethnicity");
    let dimension_url = format!("{url}/dimensions/{guid}");
    assert_accessible(&browser).await;

    // Dragged above "By region" on the list, which posts the new order as JSON.
    browser.goto(&format!("{base}{url}/dimensions")).await;
    assert!(
        browser
            .text_of("#reorder-hint")
            .await
            .contains("or drag a dimension"),
        "the drag hint shows with JavaScript"
    );
    browser
        .execute(&format!(
            "const dragged = document.getElementById('dimension-{guid}');
             const target = document.querySelector('#dimensions li');
             const data = new DataTransfer();
             const at = target.getBoundingClientRect().top + 1;
             dragged.dispatchEvent(new DragEvent('dragstart', {{bubbles: true, dataTransfer: data}}));
             target.dispatchEvent(new DragEvent('dragover', {{bubbles: true, cancelable: true, dataTransfer: data, clientY: at}}));
             dragged.dispatchEvent(new DragEvent('drop', {{bubbles: true, cancelable: true, dataTransfer: data}}));
             return true;"
        ))
        .await;
    browser.wait_for_url_ending("?done=moved").await;
    assert_eq!(
        stored_dimensions(&app, page.version_id),
        [("By ethnicity".to_owned(), 0), ("By region".to_owned(), 1)]
    );
    assert_accessible(&browser).await;
    browser
        .screenshot(concat!(env!("CARGO_TARGET_TMPDIR"), "/dimensions.png"))
        .await;

    // The table: paste, use the data, choose the columns, save.
    browser
        .click(&format!("a[href='{dimension_url}/table']"))
        .await;
    browser
        .wait_for_path(&format!("{dimension_url}/table"))
        .await;
    assert_accessible(&browser).await;
    paste(&browser, FIVE).await;
    browser.click("#load").await;
    wait_until(
        &browser,
        "return !!document.querySelector('#settings-step');",
    )
    .await;
    browser
        .fill("#caption", "Employment rate by ethnicity")
        .await;
    browser.select_index("#category_column", 0).await;
    browser.select_index("#value_column_1", 2).await; // "(none)", "Ethnicity", "Value"
    wait_until(
        &browser,
        "return !!document.querySelector('#preview table');",
    )
    .await;
    // The live preview also says which classification it detects.
    wait_until(
        &browser,
        "return document.querySelector('#detection-summary').textContent.includes('(5B)');",
    )
    .await;
    assert_accessible(&browser).await;
    browser
        .execute("document.querySelector('#caption').scrollIntoView(); return true;")
        .await;
    browser
        .screenshot(concat!(env!("CARGO_TARGET_TMPDIR"), "/table-builder.png"))
        .await;
    browser.click("#save").await;
    browser.wait_for_url_ending("?done=table-saved").await;
    assert!(
        browser
            .text_of("#classification")
            .await
            .contains("(from Table)")
    );

    // The chart: paste, use the data, bar chart, the live preview, save.
    browser
        .click(&format!("a[href='{dimension_url}/chart']"))
        .await;
    browser
        .wait_for_path(&format!("{dimension_url}/chart"))
        .await;
    assert_accessible(&browser).await;
    paste(&browser, FIVE).await;
    browser.click("#load").await;
    wait_until(
        &browser,
        "return !!document.querySelector('#settings-step');",
    )
    .await;
    browser.click("#chart_type-small_bar").await;
    // A small bar chart has no series: the field is hidden and disabled.
    wait_until(
        &browser,
        "return document.querySelector('#series_column').disabled;",
    )
    .await;
    browser.click("#chart_type-bar").await;
    browser.select_index("#category_column", 0).await;
    browser.select_index("#value_column", 1).await;
    browser.fill("#title", "Employment rate").await;
    browser
        .fill(
            "#description",
            "The employment rate was highest for White people.",
        )
        .await;
    browser.fill("#suffix", "%").await;
    wait_until(
        &browser,
        "return !!document.querySelector('#preview svg[role=img]');",
    )
    .await;
    let live_svg = browser
        .execute("return document.querySelector('#preview svg').outerHTML;")
        .await;
    assert!(
        live_svg
            .as_str()
            .unwrap_or_default()
            .contains("Employment rate"),
        "{live_svg}"
    );
    assert_accessible(&browser).await;
    browser
        .execute("document.querySelector('#description').scrollIntoView(); return true;")
        .await;
    browser
        .screenshot(concat!(env!("CARGO_TARGET_TMPDIR"), "/chart-builder.png"))
        .await;
    browser.click("#save").await;
    browser.wait_for_url_ending("?done=chart-saved").await;
    assert_accessible(&browser).await;

    // The version's preview shows the stored chart as the site renders it, byte for byte.
    let (_, object, _) = stored_chart(&app, guid);
    let chart = Chart::from_json(&object.to_string()).unwrap();
    let expected = dimension_chart_svg(&chart, &guid.to_string());
    let preview_url = format!("{base}{url}/preview");
    let fetched = browser
        .execute(&format!(
            "return fetch('{preview_url}').then(response => response.text());"
        ))
        .await;
    let preview_html = fetched.as_str().unwrap_or_default().to_owned();
    let builder_preview = browser
        .execute(&format!(
            "const form = new URLSearchParams();
             for (const [name, value] of [['pasted', {pasted}], ['chart_type', 'bar'],
                  ['title', 'Employment rate'],
                  ['description', 'The employment rate was highest for White people.'],
                  ['category_column', 'Ethnicity'], ['value_column', 'Value'], ['suffix', '%']])
               form.append(name, value);
             return fetch('{base}{dimension_url}/chart/preview', {{method: 'POST',
               headers: {{'X-CSRF-Token': document.querySelector('input[name=csrf_token]').value}},
               body: form}}).then(response => response.text());",
            pasted = serde_json::to_string(FIVE).unwrap()
        ))
        .await;
    assert_eq!(
        builder_preview.as_str().unwrap_or_default(),
        expected,
        "the builder's preview is the SVG the site renders"
    );
    assert!(
        preview_html.contains(&expected),
        "the version preview shows the stored chart's SVG exactly"
    );
    let (_, object, _) = stored_table(&app, guid);
    let table = Table::from_json(&object.to_string()).unwrap();
    assert!(
        preview_html.contains(&dimension_table_html(&table, &guid.to_string())),
        "the version preview shows the stored table's HTML exactly"
    );
    browser.goto(&format!("{base}{url}/preview")).await;
    assert!(browser.exists("main").await);

    browser.close().await;
    server.abort();
}
