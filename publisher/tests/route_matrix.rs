//! Every publisher route, requested by an anonymous visitor and by each kind of user
//! (departmental users with and without the measure shared with them), with the status
//! expected in each cell. One test prints every cell that differs, so a change to access
//! rules shows its whole effect at once.

mod common;

use std::cell::Cell;

use almanac_content::UserType;
use almanac_content::measures::MeasureListing;
use almanac_content::models::User;
use almanac_seed::{SeedOptions, seed};
use axum::http::StatusCode;
use common::{Client, TestApp};

#[derive(Debug, Clone, Copy)]
enum Role {
    Anonymous,
    DepartmentalWithoutShare,
    DepartmentalWithShare,
    CentralEditor,
    Admin,
    Developer,
}

const ROLES: [Role; 6] = [
    Role::Anonymous,
    Role::DepartmentalWithoutShare,
    Role::DepartmentalWithShare,
    Role::CentralEditor,
    Role::Admin,
    Role::Developer,
];

struct Fixture {
    measure: MeasureListing,
    /// A page in department review, shared with the departmental user who has a share.
    review: almanac_test_support::fixtures::Page,
    users: Vec<Option<User>>,
    next: Cell<u32>,
}

impl Fixture {
    /// A fresh account to act on, so that each cell starts from the same state.
    fn target(&self, app: &TestApp, user_type: UserType) -> User {
        let n = self.next.get();
        self.next.set(n + 1);
        app.user(&format!("target{n}@example.gov.uk"), user_type)
    }

    fn invited(&self, app: &TestApp) -> User {
        let n = self.next.get();
        self.next.set(n + 1);
        almanac_accounts::users::create_account(
            &mut app.conn(),
            &almanac_accounts::users::NewAccount {
                email: &format!("invited{n}@example.gov.uk"),
                user_type: UserType::CentralEditor,
                password: None,
            },
        )
        .unwrap()
    }

    fn fresh_email(&self) -> String {
        let n = self.next.get();
        self.next.set(n + 1);
        format!("new{n}@example.gov.uk")
    }
}

/// A request to make: method, path and form fields (the CSRF token is added for POSTs).
type Request = (&'static str, String, Vec<(String, String)>);
type Build = Box<dyn Fn(&TestApp, &Fixture) -> Request>;

fn get(path: &str) -> Build {
    let path = path.to_owned();
    Box::new(move |_, fixture| {
        let path = path
            .replace("{measure}", &fixture.measure.path())
            .replace("{review}", &fixture.review.path);
        ("GET", path, Vec::new())
    })
}

fn post(build: impl Fn(&TestApp, &Fixture) -> (String, Vec<(String, String)>) + 'static) -> Build {
    Box::new(move |app, fixture| {
        let (path, form) = build(app, fixture);
        ("POST", path, form)
    })
}

fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

// Expected statuses, in the order of ROLES: anonymous, departmental without and with the
// share, central editor, admin, developer.
const ANY: [u16; 6] = [200, 200, 200, 200, 200, 200];
const SIGNED_IN: [u16; 6] = [303, 200, 200, 200, 200, 200];
const ADMINS: [u16; 6] = [303, 403, 403, 403, 200, 200];
const ADMIN_ACTION: [u16; 6] = [303, 403, 403, 403, 303, 303];
const WITH_ACCESS: [u16; 6] = [303, 403, 200, 200, 200, 200];
const EDITORS: [u16; 6] = [303, 403, 403, 200, 200, 200];

/// The path of the {review} page's dimension (the fixture's "By region"), plus `rest`.
fn review_dimension(app: &TestApp, fixture: &Fixture, rest: &str) -> String {
    use diesel::prelude::*;
    let guid: uuid::Uuid = almanac_content::schema::dimension::table
        .filter(
            almanac_content::schema::dimension::measure_version_id.eq(fixture.review.version_id),
        )
        .select(almanac_content::schema::dimension::guid)
        .first(&mut app.conn())
        .unwrap();
    format!("/cms/{}/1.0/dimensions/{guid}{rest}", fixture.review.path)
}

fn dimension_get(rest: &'static str) -> Build {
    Box::new(move |app, fixture| ("GET", review_dimension(app, fixture, rest), Vec::new()))
}

fn dimension_post(rest: &'static str, pairs: &'static [(&'static str, &'static str)]) -> Build {
    post(move |app, fixture| (review_dimension(app, fixture, rest), fields(pairs)))
}

fn homepage_id(app: &TestApp) -> i32 {
    almanac_content::site_pages::find_by_path(
        &mut app.conn(),
        almanac_content::site_pages::HOMEPAGE_PATH,
    )
    .unwrap()
    .expect("the migration makes the homepage's row")
    .id
}

fn routes() -> Vec<(&'static str, Build, [u16; 6])> {
    vec![
        ("site preview", get("/"), SIGNED_IN),
        ("health", get("/healthz"), ANY),
        ("stylesheet", get("/assets/almanac/css/site.css"), ANY),
        (
            "sign-in page",
            get("/auth/login"),
            [200, 303, 303, 303, 303, 303],
        ),
        ("forgotten password page", get("/auth/forgot"), ANY),
        ("second factor page", get("/auth/two-factor"), [303; 6]),
        ("bad reset link", get("/auth/reset/not.valid"), [404; 6]),
        (
            "bad invite link",
            get("/register/confirm-account/not.valid"),
            [404; 6],
        ),
        (
            "bad reactivation link",
            get("/register/reactivate/not.valid"),
            [404; 6],
        ),
        ("your account", get("/account"), SIGNED_IN),
        // Admins and developers have two-factor on already: the set-up page sends them back.
        (
            "two-factor set-up",
            get("/account/two-factor/setup"),
            [303, 200, 200, 200, 303, 303],
        ),
        ("your measures", get("/cms"), [303, 200, 200, 303, 303, 303]),
        (
            "measure versions",
            get("/cms/{measure}/versions"),
            [303, 403, 200, 200, 200, 200],
        ),
        // Departmental users cannot tell a missing measure from one not shared with them.
        (
            "missing measure",
            get("/cms/no/such-thing/here/versions"),
            [303, 403, 403, 404, 404, 404],
        ),
        ("version page", get("/cms/{review}/1.0"), WITH_ACCESS),
        (
            "version preview",
            get("/cms/{review}/1.0/preview"),
            WITH_ACCESS,
        ),
        (
            "missing version",
            get("/cms/{review}/9.0"),
            [303, 403, 403, 404, 404, 404],
        ),
        ("bad review link", get("/review/not.valid"), [404; 6]),
        (
            "workflow action (unknown)",
            post(|_, fixture| {
                (
                    format!("/cms/{}/1.0/actions", fixture.review.path),
                    fields(&[("measure-action", "launch")]),
                )
            }),
            [303, 403, 400, 400, 400, 400],
        ),
        (
            "new review link",
            post(|_, fixture| {
                (
                    format!("/cms/{}/1.0/review-link", fixture.review.path),
                    Vec::new(),
                )
            }),
            [303, 403, 303, 303, 303, 303],
        ),
        // Publishing at a set time is for publishers; an empty form and a cancel with no
        // time set leave the page as it was.
        (
            "schedule publishing (no time)",
            post(|_, fixture| {
                (
                    format!("/cms/{}/1.0/schedule", fixture.review.path),
                    Vec::new(),
                )
            }),
            [303, 403, 403, 403, 422, 422],
        ),
        (
            "cancel a schedule (none set)",
            post(|_, fixture| {
                (
                    format!("/cms/{}/1.0/schedule/cancel", fixture.review.path),
                    Vec::new(),
                )
            }),
            [303, 403, 403, 403, 422, 422],
        ),
        (
            "update a version in review",
            post(|_, fixture| {
                (
                    format!("/cms/{}/1.0/new-version", fixture.review.path),
                    fields(&[("update_type", "minor")]),
                )
            }),
            [303, 403, 422, 422, 422, 422],
        ),
        // In department review the edit form is not offered: it sends editors to the version page.
        (
            "edit form (in review)",
            get("/cms/{review}/1.0/edit"),
            [303, 403, 303, 303, 303, 303],
        ),
        (
            "new page form",
            get("/cms/health/sub/measure/new"),
            [303, 403, 403, 200, 200, 200],
        ),
        (
            "create a page (no title)",
            post(|_, _| {
                (
                    "/cms/health/sub/measure/new".to_owned(),
                    fields(&[("title", "")]),
                )
            }),
            [303, 403, 403, 422, 422, 422],
        ),
        // The fixture page is in review: its uploads are frozen, and its CLEAN row
        // `data.csv` has no stored file.
        ("upload page", get("/cms/{review}/1.0/upload"), WITH_ACCESS),
        (
            "upload to a version in review",
            post(|_, fixture| {
                (
                    format!("/cms/{}/1.0/upload", fixture.review.path),
                    fields(&[("title", "Data")]),
                )
            }),
            [303, 403, 422, 422, 422, 422],
        ),
        (
            "delete an upload in review",
            post(|_, fixture| {
                (
                    format!("/cms/{}/1.0/uploads/data.csv/delete", fixture.review.path),
                    Vec::new(),
                )
            }),
            [303, 403, 422, 422, 422, 422],
        ),
        (
            "download a file not stored",
            get("/cms/{review}/1.0/downloads/data.csv"),
            [303, 403, 404, 404, 404, 404],
        ),
        (
            "preview's link to a file not stored",
            get("/{review}/1.0/downloads/data.csv"),
            [303, 403, 404, 404, 404, 404],
        ),
        (
            "change a file (page in review)",
            get("/cms/{review}/1.0/uploads/data.csv/edit"),
            [303, 403, 403, 403, 403, 403],
        ),
        // Dimensions. The {review} page is in department review: its dimensions are shown
        // but cannot change. Forms lead back to the list (303); changes are refused (422).
        (
            "dimensions",
            get("/cms/{review}/1.0/dimensions"),
            WITH_ACCESS,
        ),
        (
            "missing version dimensions",
            get("/cms/{review}/9.0/dimensions"),
            [303, 403, 403, 404, 404, 404],
        ),
        (
            "new dimension form (in review)",
            get("/cms/{review}/1.0/dimensions/new"),
            [303, 403, 303, 303, 303, 303],
        ),
        (
            "add a dimension (in review)",
            post(|_, fixture| {
                (
                    format!("/cms/{}/1.0/dimensions/new", fixture.review.path),
                    fields(&[("title", "By sex")]),
                )
            }),
            [303, 403, 422, 422, 422, 422],
        ),
        (
            "dimension form (in review)",
            dimension_get(""),
            [303, 403, 303, 303, 303, 303],
        ),
        (
            "missing dimension",
            get("/cms/{review}/1.0/dimensions/00000000-0000-0000-0000-000000000000"),
            [303, 403, 404, 404, 404, 404],
        ),
        (
            "change a dimension (in review)",
            dimension_post("", &[("title", "By area")]),
            [303, 403, 422, 422, 422, 422],
        ),
        (
            "delete dimension form (in review)",
            dimension_get("/delete"),
            [303, 403, 303, 303, 303, 303],
        ),
        (
            "delete a dimension (in review)",
            dimension_post("/delete", &[]),
            [303, 403, 422, 422, 422, 422],
        ),
        (
            "move a dimension (in review)",
            dimension_post("/move/down", &[]),
            [303, 403, 422, 422, 422, 422],
        ),
        (
            "reorder dimensions (not JSON)",
            post(|_, fixture| {
                (
                    format!("/cms/{}/1.0/dimensions/order", fixture.review.path),
                    Vec::new(),
                )
            }),
            [303, 403, 400, 400, 400, 400],
        ),
        (
            "table builder (in review)",
            dimension_get("/table"),
            [303, 403, 303, 303, 303, 303],
        ),
        (
            "save a table (in review)",
            dimension_post("/table", &[("action", "save"), ("pasted", "A\tB\nx\t1\n")]),
            [303, 403, 422, 422, 422, 422],
        ),
        (
            "table preview (no data)",
            dimension_post("/table/preview", &[]),
            [303, 403, 422, 422, 422, 422],
        ),
        (
            "remove a table (in review)",
            dimension_post("/table/remove", &[]),
            [303, 403, 422, 422, 422, 422],
        ),
        (
            "chart builder (in review)",
            dimension_get("/chart"),
            [303, 403, 303, 303, 303, 303],
        ),
        (
            "save a chart (in review)",
            dimension_post("/chart", &[("action", "save"), ("pasted", "A\tB\nx\t1\n")]),
            [303, 403, 422, 422, 422, 422],
        ),
        (
            "chart preview (no data)",
            dimension_post("/chart/preview", &[]),
            [303, 403, 422, 422, 422, 422],
        ),
        (
            "remove a chart (in review)",
            dimension_post("/chart/remove", &[]),
            [303, 403, 422, 422, 422, 422],
        ),
        ("topics", get("/admin/topics"), ADMINS),
        (
            "add a redirect (invalid)",
            post(|_, _| ("/admin/redirects".to_owned(), fields(&[("from", "x")]))),
            [303, 403, 403, 403, 422, 422],
        ),
        (
            "remove a missing redirect",
            post(|_, _| {
                (
                    "/admin/redirects/remove".to_owned(),
                    fields(&[("from", "/none")]),
                )
            }),
            [303, 403, 403, 403, 404, 404],
        ),
        (
            "missing topic",
            get("/admin/topics/999999"),
            [303, 403, 403, 403, 404, 404],
        ),
        // Data sources. The {review} page is in department review, so its sources cannot be
        // changed: forms that would change them are shown again with the reason (422).
        (
            "version data sources",
            get("/cms/{review}/1.0/data-sources"),
            WITH_ACCESS,
        ),
        (
            "data source search",
            get("/cms/{review}/1.0/data-sources?q=labour+survey"),
            WITH_ACCESS,
        ),
        (
            "missing version data sources",
            get("/cms/{review}/9.0/data-sources"),
            [303, 403, 403, 404, 404, 404],
        ),
        (
            "new data source form",
            get("/cms/{review}/1.0/data-sources/new"),
            WITH_ACCESS,
        ),
        (
            "edit data source form",
            Box::new(|app, fixture| {
                let id = almanac_editorial::data_sources::linked(
                    &mut app.conn(),
                    fixture.review.version_id,
                )
                .unwrap()[0]
                    .id;
                (
                    "GET",
                    format!("/cms/{}/1.0/data-sources/{id}", fixture.review.path),
                    Vec::new(),
                )
            }),
            WITH_ACCESS,
        ),
        (
            "edit an unlinked data source",
            get("/cms/{review}/1.0/data-sources/999999"),
            [303, 403, 404, 404, 404, 404],
        ),
        (
            "link a data source (page in review)",
            post(|app, fixture| {
                let id = almanac_editorial::data_sources::linked(
                    &mut app.conn(),
                    fixture.review.version_id,
                )
                .unwrap()[0]
                    .id
                    .to_string();
                (
                    format!("/cms/{}/1.0/data-sources/link", fixture.review.path),
                    fields(&[("data_source_id", &id)]),
                )
            }),
            [303, 403, 422, 422, 422, 422],
        ),
        (
            "remove a data source (page in review)",
            post(|app, fixture| {
                let id = almanac_editorial::data_sources::linked(
                    &mut app.conn(),
                    fixture.review.version_id,
                )
                .unwrap()[0]
                    .id;
                (
                    format!("/cms/{}/1.0/data-sources/{id}/remove", fixture.review.path),
                    Vec::new(),
                )
            }),
            [303, 403, 422, 422, 422, 422],
        ),
        (
            "create a data source (page in review)",
            post(|_, fixture| {
                (
                    format!("/cms/{}/1.0/data-sources/new", fixture.review.path),
                    fields(&[("title", "A new source")]),
                )
            }),
            [303, 403, 422, 422, 422, 422],
        ),
        (
            "edit a data source (page in review)",
            post(|app, fixture| {
                let id = almanac_editorial::data_sources::linked(
                    &mut app.conn(),
                    fixture.review.version_id,
                )
                .unwrap()[0]
                    .id;
                (
                    format!("/cms/{}/1.0/data-sources/{id}", fixture.review.path),
                    fields(&[("title", "Changed title")]),
                )
            }),
            [303, 403, 422, 422, 422, 422],
        ),
        (
            "admin data sources",
            get("/admin/data-sources?q=survey"),
            ADMINS,
        ),
        (
            "merge data sources form",
            Box::new(|app, fixture| {
                let ids = (0..2)
                    .map(|_| {
                        let n = fixture.fresh_email();
                        almanac_editorial::data_sources::create(
                            &mut app.conn(),
                            fixture.users[4].as_ref().unwrap(),
                            &Default::default(),
                            &almanac_editorial::data_sources::DataSourceInput {
                                title: format!("Duplicate {n}"),
                                ..Default::default()
                            },
                            chrono::Utc::now(),
                        )
                        .unwrap()
                        .id
                    })
                    .collect::<Vec<i32>>();
                let (a, b) = (ids[0], ids[1]);
                (
                    "GET",
                    format!("/admin/data-sources/merge?data_sources={a}&data_sources={b}"),
                    Vec::new(),
                )
            }),
            ADMINS,
        ),
        (
            "merge data sources",
            post(|app, fixture| {
                let ids = (0..2)
                    .map(|_| {
                        let n = fixture.fresh_email();
                        almanac_editorial::data_sources::create(
                            &mut app.conn(),
                            fixture.users[4].as_ref().unwrap(),
                            &Default::default(),
                            &almanac_editorial::data_sources::DataSourceInput {
                                title: format!("Duplicate {n}"),
                                ..Default::default()
                            },
                            chrono::Utc::now(),
                        )
                        .unwrap()
                        .id
                    })
                    .collect::<Vec<i32>>();
                let (a, b) = (ids[0].to_string(), ids[1].to_string());
                (
                    "/admin/data-sources/merge".to_owned(),
                    fields(&[("data_sources", &a), ("data_sources", &b), ("keep", &a)]),
                )
            }),
            ADMIN_ACTION,
        ),
        (
            "delete confirmation",
            get("/cms/{review}/1.0/delete"),
            [303, 403, 403, 200, 200, 200],
        ),
        (
            "archive form",
            get("/cms/{review}/1.0/archive"),
            [303, 403, 403, 403, 200, 200],
        ),
        (
            "copy a page",
            post(|_, fixture| (format!("/cms/{}/1.0/copy", fixture.review.path), Vec::new())),
            [303, 403, 403, 403, 403, 303],
        ),
        // The API takes bearer tokens only: a session is not enough.
        ("API without a token", get("/api/v1/topics"), [401; 6]),
        ("API description", get("/api/v1/openapi.json"), ANY),
        (
            "make an API token (no name)",
            post(|_, _| ("/account/api-tokens".to_owned(), fields(&[("name", "")]))),
            [303, 422, 422, 422, 422, 422],
        ),
        (
            "subtopic page",
            get("/cms/health/sub"),
            [303, 200, 200, 200, 200, 200],
        ),
        (
            // The review page is first in its subtopic (the copies come after it): it cannot move up.
            "move a page (first, up)",
            post(|_, fixture| {
                (
                    format!("/cms/health/sub/order/{}/up", fixture.review.measure_id),
                    Vec::new(),
                )
            }),
            [303, 403, 403, 403, 422, 422],
        ),
        // Site pages: central editors write, admins and developers publish.
        ("site pages", get("/cms/pages"), EDITORS),
        ("new site page form", get("/cms/pages/new"), EDITORS),
        (
            "homepage introduction",
            Box::new(|app, _| {
                (
                    "GET",
                    format!("/cms/pages/{}", homepage_id(app)),
                    Vec::new(),
                )
            }),
            EDITORS,
        ),
        (
            "homepage introduction preview",
            Box::new(|app, _| {
                (
                    "GET",
                    format!("/cms/pages/{}/preview", homepage_id(app)),
                    Vec::new(),
                )
            }),
            EDITORS,
        ),
        (
            "missing site page",
            get("/cms/pages/999999"),
            [303, 403, 403, 404, 404, 404],
        ),
        (
            "add a site page (no title)",
            post(|_, _| {
                (
                    "/cms/pages/new".to_owned(),
                    fields(&[("path", "guide"), ("title", "")]),
                )
            }),
            [303, 403, 403, 422, 422, 422],
        ),
        (
            "publish the homepage (stale form)",
            post(|app, _| {
                (
                    format!("/cms/pages/{}/publish", homepage_id(app)),
                    fields(&[("lock_version", "999")]),
                )
            }),
            [303, 403, 403, 403, 422, 422],
        ),
        (
            "unpublish the homepage",
            post(|app, _| {
                (
                    format!("/cms/pages/{}/unpublish", homepage_id(app)),
                    Vec::new(),
                )
            }),
            [303, 403, 403, 403, 422, 422],
        ),
        (
            "delete the homepage",
            post(|app, _| {
                (
                    format!("/cms/pages/{}/delete", homepage_id(app)),
                    Vec::new(),
                )
            }),
            [303, 403, 403, 422, 422, 422],
        ),
        ("corrections preview", get("/corrections"), SIGNED_IN),
        ("site builds", get("/admin/builds"), ADMINS),
        ("dashboards", get("/dashboards"), EDITORS),
        ("dashboards (folder)", get("/dashboards/"), EDITORS),
        ("what's new", get("/dashboards/whats-new/"), SIGNED_IN),
        ("published by week", get("/dashboards/published/"), EDITORS),
        ("ethnic groups", get("/dashboards/ethnic-groups/"), EDITORS),
        (
            "missing ethnic group",
            get("/dashboards/ethnic-groups/no-such-group/"),
            [303, 403, 403, 404, 404, 404],
        ),
        (
            "classifications",
            get("/dashboards/ethnicity-classifications/"),
            EDITORS,
        ),
        (
            "classification",
            get("/dashboards/ethnicity-classifications/5A/"),
            EDITORS,
        ),
        (
            "geographic breakdown",
            get("/dashboards/geographic-breakdown/"),
            EDITORS,
        ),
        ("planned pages", get("/dashboards/planned-pages/"), EDITORS),
        ("all measures", get("/dashboards/measures/"), EDITORS),
        (
            "request a build",
            post(|_, _| ("/admin/builds/request".to_owned(), Vec::new())),
            ADMIN_ACTION,
        ),
        (
            "acknowledge a missing build",
            post(|_, _| {
                (
                    "/admin/builds/00000000-0000-0000-0000-000000000000/acknowledge".to_owned(),
                    Vec::new(),
                )
            }),
            [303, 403, 403, 403, 404, 404],
        ),
        ("admin index", get("/admin"), ADMINS),
        ("user list", get("/admin/users"), ADMINS),
        ("invite form", get("/admin/users/add"), ADMINS),
        (
            "user page",
            Box::new(|app, fixture| {
                let target = fixture.target(app, UserType::CentralEditor);
                ("GET", format!("/admin/users/{}", target.id), Vec::new())
            }),
            ADMINS,
        ),
        (
            "missing user page",
            get("/admin/users/999999"),
            [303, 403, 403, 403, 404, 404],
        ),
        ("audit log", get("/admin/audit"), ADMINS),
        (
            "sign in (wrong password)",
            post(|_, _| {
                (
                    "/auth/login".to_owned(),
                    fields(&[
                        ("email", "x@example.gov.uk"),
                        ("password", "wrong password"),
                    ]),
                )
            }),
            [422; 6],
        ),
        (
            "ask for a reset link",
            post(|_, _| {
                (
                    "/auth/forgot".to_owned(),
                    fields(&[("email", "x@example.gov.uk")]),
                )
            }),
            ANY,
        ),
        (
            "second factor (signed in already)",
            post(|_, _| ("/auth/two-factor".to_owned(), fields(&[("code", "123456")]))),
            [303; 6],
        ),
        (
            "set a password with a bad link",
            post(|_, _| {
                let password = "violet kettle orbit 42";
                (
                    "/auth/reset/not.valid".to_owned(),
                    fields(&[("password", password), ("confirm_password", password)]),
                )
            }),
            [404; 6],
        ),
        (
            "accept an invite with a bad link",
            post(|_, _| ("/register/confirm-account/not.valid".to_owned(), Vec::new())),
            [404; 6],
        ),
        (
            "sign out",
            post(|_, _| ("/auth/logout".to_owned(), Vec::new())),
            [303; 6],
        ),
        (
            "confirm two-factor (wrong code)",
            post(|_, _| {
                (
                    "/account/two-factor/setup".to_owned(),
                    fields(&[("code", "000000")]),
                )
            }),
            [303, 422, 422, 422, 303, 303],
        ),
        (
            "new recovery codes",
            post(|_, _| ("/account/recovery-codes".to_owned(), Vec::new())),
            [303, 303, 303, 303, 200, 200],
        ),
        (
            "invite",
            post(|_, fixture| {
                let email = fixture.fresh_email();
                (
                    "/admin/users/add".to_owned(),
                    fields(&[("email", &email), ("user_type", "RDU_USER")]),
                )
            }),
            ADMIN_ACTION,
        ),
        (
            "resend invite",
            post(|app, fixture| {
                (
                    format!("/admin/users/{}/resend-invite", fixture.invited(app).id),
                    Vec::new(),
                )
            }),
            ADMIN_ACTION,
        ),
        (
            "deactivate",
            post(|app, fixture| {
                let target = fixture.target(app, UserType::CentralEditor);
                (format!("/admin/users/{}/deactivate", target.id), Vec::new())
            }),
            ADMIN_ACTION,
        ),
        (
            "delete",
            post(|app, fixture| {
                let target = fixture.target(app, UserType::CentralEditor);
                (format!("/admin/users/{}/delete", target.id), Vec::new())
            }),
            ADMIN_ACTION,
        ),
        (
            "make admin",
            post(|app, fixture| {
                let target = fixture.target(app, UserType::CentralEditor);
                (format!("/admin/users/{}/make-admin", target.id), Vec::new())
            }),
            ADMIN_ACTION,
        ),
        (
            "make central editor",
            post(|app, fixture| {
                let target = fixture.target(app, UserType::Admin);
                (
                    format!("/admin/users/{}/make-central-editor", target.id),
                    Vec::new(),
                )
            }),
            ADMIN_ACTION,
        ),
        (
            "reset two-factor",
            post(|app, fixture| {
                let target = fixture.target(app, UserType::Developer);
                (
                    format!("/admin/users/{}/reset-two-factor", target.id),
                    Vec::new(),
                )
            }),
            ADMIN_ACTION,
        ),
        (
            "share a measure",
            post(|app, fixture| {
                let target = fixture.target(app, UserType::Departmental);
                let measure = fixture.measure.id.to_string();
                (
                    format!("/admin/users/{}/share", target.id),
                    fields(&[("measure_id", &measure)]),
                )
            }),
            ADMIN_ACTION,
        ),
        (
            "remove a share",
            post(|app, fixture| {
                let target = fixture.target(app, UserType::Departmental);
                (
                    format!(
                        "/admin/users/{}/remove-share/{}",
                        target.id, fixture.measure.id
                    ),
                    Vec::new(),
                )
            }),
            ADMIN_ACTION,
        ),
    ]
}

#[tokio::test]
async fn every_route_answers_every_role_as_expected() {
    let app = TestApp::new();
    seed(
        &mut app.conn(),
        SeedOptions {
            measures: 6,
            seed: 11,
        },
    )
    .unwrap();
    let measure = almanac_content::measures::all(&mut app.conn())
        .unwrap()
        .remove(0);
    let shared_with = app.user("shared@dept.gov.uk", UserType::Departmental);
    almanac_accounts::users::set_shared(
        &mut app.conn(),
        &Default::default(),
        &shared_with,
        shared_with.id,
        measure.id,
        true,
    )
    .unwrap();
    let review =
        almanac_test_support::fixtures::page(&mut app.conn(), "health", "DEPARTMENT_REVIEW", true);
    almanac_accounts::users::set_shared(
        &mut app.conn(),
        &Default::default(),
        &shared_with,
        shared_with.id,
        review.measure_id,
        true,
    )
    .unwrap();
    let fixture = Fixture {
        review,
        measure,
        users: vec![
            None,
            Some(app.user("unshared@dept.gov.uk", UserType::Departmental)),
            Some(shared_with),
            Some(app.user("editor@centre.gov.uk", UserType::CentralEditor)),
            Some(app.user("admin@centre.gov.uk", UserType::Admin)),
            Some(app.user("developer@centre.gov.uk", UserType::Developer)),
        ],
        next: Cell::new(0),
    };
    let mut mismatches = Vec::new();
    let mut cells = 0;
    for (name, build, expected) in routes() {
        for (index, role) in ROLES.iter().enumerate() {
            let (method, path, form) = build(&app, &fixture);
            let mut client: Client = match &fixture.users[index] {
                Some(user) => app.signed_in(user),
                None => app.client(),
            };
            let form: Vec<(&str, &str)> =
                form.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            let page = match method {
                "GET" => client.get(&path).await,
                _ => client.post(&path, &form).await,
            };
            cells += 1;
            if page.status != StatusCode::from_u16(expected[index]).unwrap() {
                mismatches.push(format!(
                    "{name:<32} {method} {path:<48} {role:?}: expected {}, got {} {}",
                    expected[index],
                    page.status.as_u16(),
                    page.location()
                ));
            }
        }
    }
    assert!(cells > 200, "only {cells} cells");
    assert!(
        mismatches.is_empty(),
        "{} of {cells} cells differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
