//! Data sources against a real Postgres: search (behaviour 13 of the inventory), the
//! two-source limit, linking only on editable versions, merging (behaviour 14), the build
//! request when a published page's source changes, and URL validation.

use almanac_accounts::audit::Origin;
use almanac_accounts::users::set_shared;
use almanac_content::UserType;
use almanac_content::models::User;
use almanac_content::schema::{audit_event, build, data_source, data_source_in_measure_version};
use almanac_editorial::data_sources::{
    self, DataSourceError, DataSourceInput, create, link, merge, search, unlink, update,
};
use almanac_test_support::TestDatabase;
use almanac_test_support::fixtures::page;
use chrono::Utc;
use diesel::pg::PgConnection;
use diesel::prelude::*;

fn user(conn: &mut PgConnection, email: &str, user_type: UserType) -> User {
    almanac_test_support::fixtures::account(conn, email, user_type)
}

fn input(title: &str) -> DataSourceInput {
    DataSourceInput {
        title: title.to_owned(),
        ..DataSourceInput::default()
    }
}

fn source(conn: &mut PgConnection, actor: &User, form: DataSourceInput) -> i32 {
    create(conn, actor, &Origin::default(), &form, Utc::now())
        .unwrap()
        .id
}

fn links(conn: &mut PgConnection, version_id: i32) -> Vec<(i32, i16)> {
    data_source_in_measure_version::table
        .filter(data_source_in_measure_version::measure_version_id.eq(version_id))
        .order(data_source_in_measure_version::position)
        .select((
            data_source_in_measure_version::data_source_id,
            data_source_in_measure_version::position,
        ))
        .load(conn)
        .unwrap()
}

fn titles(conn: &mut PgConnection, query: &str) -> Vec<String> {
    search(conn, query, 100)
        .unwrap()
        .into_iter()
        .map(|hit| hit.title)
        .collect()
}

fn builds(conn: &mut PgConnection) -> i64 {
    build::table.count().get_result(conn).unwrap()
}

fn audit_actions(conn: &mut PgConnection) -> Vec<String> {
    audit_event::table
        .order(audit_event::id)
        .select(audit_event::action)
        .load(conn)
        .unwrap()
}

#[test]
fn search_needs_every_keyword_and_matches_publishers_and_urls_most_used_first() {
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let editor = user(conn, "editor@x.gov.uk", UserType::CentralEditor);
    let lfs = source(
        conn,
        &editor,
        DataSourceInput {
            publisher_id: "D303".to_owned(), // Office for National Statistics (ONS)
            source_url: "https://www.ons.gov.uk/lfs".to_owned(),
            purpose: "Measures employment and unemployment".to_owned(),
            ..input("Labour Force Survey")
        },
    );
    let aps = source(
        conn,
        &editor,
        DataSourceInput {
            publisher_id: "D303".to_owned(),
            ..input("Annual Population Survey")
        },
    );
    let schools = source(
        conn,
        &editor,
        DataSourceInput {
            source_url: "https://example.gov.uk/schools".to_owned(),
            ..input("School census")
        },
    );

    // A phrase, and keywords that must all match.
    assert_eq!(titles(conn, "Labour Force Survey"), ["Labour Force Survey"]);
    assert_eq!(titles(conn, "labour survey"), ["Labour Force Survey"]);
    assert!(titles(conn, "labour census").is_empty());
    let surveys = titles(conn, "survey");
    assert_eq!(surveys.len(), 2);
    // The purpose is searched too.
    assert_eq!(titles(conn, "unemployment"), ["Labour Force Survey"]);
    // The publisher's name and its abbreviation.
    assert_eq!(titles(conn, "Office for National Statistics").len(), 2);
    assert_eq!(titles(conn, "ONS").len(), 2);
    assert_eq!(titles(conn, "ons population"), ["Annual Population Survey"]);
    // The exact URL.
    assert_eq!(
        titles(conn, "https://example.gov.uk/schools"),
        ["School census"]
    );
    assert!(titles(conn, "nothing like this").is_empty());
    // The limit.
    assert_eq!(search(conn, "survey", 1).unwrap().len(), 1);

    // Ordered by the number of linked versions.
    for _ in 0..2 {
        let p = page(conn, "health", "DRAFT", false);
        link(conn, &editor, &Origin::default(), p.version_id, aps).unwrap();
    }
    let p = page(conn, "health", "DRAFT", false);
    link(conn, &editor, &Origin::default(), p.version_id, schools).unwrap();
    let hits = search(conn, "", 100).unwrap();
    let order: Vec<(i32, i64)> = hits.iter().map(|hit| (hit.id, hit.usage)).collect();
    assert_eq!(order, [(aps, 2), (schools, 1), (lfs, 0)]);
    assert_eq!(
        titles(conn, "survey"),
        ["Annual Population Survey", "Labour Force Survey"]
    );
    let lfs_hit = search(conn, "labour", 10).unwrap().remove(0);
    assert_eq!(
        lfs_hit.publisher_name.as_deref(),
        Some("Office for National Statistics")
    );
}

#[test]
fn a_version_takes_at_most_two_sources_and_positions_stay_contiguous() {
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let editor = user(conn, "editor@x.gov.uk", UserType::CentralEditor);
    let origin = Origin::default();
    let p = page(conn, "health", "DRAFT", false);
    let [a, b, c] = ["A", "B", "C"].map(|t| source(conn, &editor, input(t)));
    link(conn, &editor, &origin, p.version_id, a).unwrap();
    assert!(matches!(
        link(conn, &editor, &origin, p.version_id, a),
        Err(DataSourceError::AlreadyLinked)
    ));
    link(conn, &editor, &origin, p.version_id, b).unwrap();
    let third = link(conn, &editor, &origin, p.version_id, c).unwrap_err();
    assert!(matches!(third, DataSourceError::TooMany));
    assert!(third.to_string().contains("at most two data sources"));
    assert_eq!(links(conn, p.version_id), [(a, 0), (b, 1)]);

    // Removing the primary makes the secondary primary; the source itself stays.
    unlink(conn, &editor, &origin, p.version_id, a).unwrap();
    assert_eq!(links(conn, p.version_id), [(b, 0)]);
    assert!(data_sources::find(conn, a).unwrap().is_some());
    assert!(matches!(
        unlink(conn, &editor, &origin, p.version_id, a),
        Err(DataSourceError::NotLinked)
    ));
    link(conn, &editor, &origin, p.version_id, c).unwrap();
    assert_eq!(links(conn, p.version_id), [(b, 0), (c, 1)]);
    let linked: Vec<i32> = data_sources::linked(conn, p.version_id)
        .unwrap()
        .iter()
        .map(|hit| hit.id)
        .collect();
    assert_eq!(linked, [b, c]);
    assert!(matches!(
        link(conn, &editor, &origin, p.version_id, 999_999),
        Err(DataSourceError::UnknownDataSource)
    ));
    let actions = audit_actions(conn);
    assert_eq!(
        actions
            .iter()
            .filter(|a| a.starts_with("data_source"))
            .cloned()
            .collect::<Vec<_>>(),
        [
            "data_source_created",
            "data_source_created",
            "data_source_created",
            "data_source_linked",
            "data_source_linked",
            "data_source_unlinked",
            "data_source_linked",
        ]
    );
}

#[test]
fn sources_are_linked_only_to_editable_versions_the_user_may_change() {
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let editor = user(conn, "editor@x.gov.uk", UserType::CentralEditor);
    let origin = Origin::default();
    let s = source(conn, &editor, input("Survey"));
    for status in ["DRAFT", "REJECTED"] {
        let p = page(conn, "health", status, false);
        link(conn, &editor, &origin, p.version_id, s).unwrap();
        unlink(conn, &editor, &origin, p.version_id, s).unwrap();
    }
    for status in ["INTERNAL_REVIEW", "DEPARTMENT_REVIEW", "APPROVED"] {
        let p = page(conn, "health", status, true);
        let refused = link(conn, &editor, &origin, p.version_id, s).unwrap_err();
        assert!(
            matches!(refused, DataSourceError::NotEditable(_)),
            "{status}: {refused:?}"
        );
        let linked = links(conn, p.version_id)[0].0;
        assert!(matches!(
            unlink(conn, &editor, &origin, p.version_id, linked),
            Err(DataSourceError::NotEditable(_))
        ));
    }
    // Departmental users only on measures shared with them.
    let departmental = user(conn, "dept@x.gov.uk", UserType::Departmental);
    let p = page(conn, "health", "DRAFT", false);
    assert!(matches!(
        link(conn, &departmental, &origin, p.version_id, s),
        Err(DataSourceError::Forbidden(_))
    ));
    let admin = user(conn, "admin@x.gov.uk", UserType::Admin);
    set_shared(conn, &origin, &admin, departmental.id, p.measure_id, true).unwrap();
    link(conn, &departmental, &origin, p.version_id, s).unwrap();
    assert!(matches!(
        link(conn, &editor, &origin, 999_999, s),
        Err(DataSourceError::UnknownVersion)
    ));
}

#[test]
fn merging_repoints_links_and_deletes_the_others() {
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let editor = user(conn, "editor@x.gov.uk", UserType::CentralEditor);
    let admin = user(conn, "admin@x.gov.uk", UserType::Admin);
    let origin = Origin::default();
    let [keep, dup1, dup2, other] = ["LFS", "Labour Force Survey", "LFS (ONS)", "Census"]
        .map(|t| source(conn, &editor, input(t)));
    let p1 = page(conn, "health", "DRAFT", false);
    let p2 = page(conn, "health", "DRAFT", false);
    let p3 = page(conn, "health", "DRAFT", false);
    link(conn, &editor, &origin, p1.version_id, dup1).unwrap();
    link(conn, &editor, &origin, p1.version_id, other).unwrap();
    link(conn, &editor, &origin, p2.version_id, other).unwrap();
    link(conn, &editor, &origin, p2.version_id, dup2).unwrap();
    // A version linking two of the merged sources ends with the kept one once.
    link(conn, &editor, &origin, p3.version_id, dup1).unwrap();
    link(conn, &editor, &origin, p3.version_id, dup2).unwrap();

    // Errors: self, unknown, nothing, and a user without the capability.
    assert!(matches!(
        merge(conn, &admin, &origin, keep, &[keep]),
        Err(DataSourceError::MergeWithItself)
    ));
    assert!(matches!(
        merge(conn, &admin, &origin, keep, &[dup1, 999_999]),
        Err(DataSourceError::UnknownInMerge(999_999))
    ));
    assert!(matches!(
        merge(conn, &admin, &origin, 999_998, &[dup1]),
        Err(DataSourceError::UnknownInMerge(999_998))
    ));
    assert!(matches!(
        merge(conn, &admin, &origin, keep, &[]),
        Err(DataSourceError::NothingToMerge)
    ));
    assert!(matches!(
        merge(conn, &editor, &origin, keep, &[dup1]),
        Err(DataSourceError::Forbidden(_))
    ));
    // Nothing changed.
    assert_eq!(
        data_source::table.count().get_result::<i64>(conn).unwrap(),
        4
    );
    assert_eq!(links(conn, p1.version_id), [(dup1, 0), (other, 1)]);

    let merged = merge(conn, &admin, &origin, keep, &[dup1, dup2]).unwrap();
    assert_eq!(merged.versions, 3);
    assert_eq!(links(conn, p1.version_id), [(keep, 0), (other, 1)]);
    assert_eq!(links(conn, p2.version_id), [(other, 0), (keep, 1)]);
    assert_eq!(links(conn, p3.version_id), [(keep, 0)]);
    assert!(data_sources::find(conn, dup1).unwrap().is_none());
    assert!(data_sources::find(conn, dup2).unwrap().is_none());
    assert!(data_sources::find(conn, keep).unwrap().is_some());
    assert_eq!(
        audit_actions(conn).last().map(String::as_str),
        Some("data_sources_merged")
    );
    // No published version was touched, so no build.
    assert_eq!(builds(conn), 0);
}

#[test]
fn editing_a_source_of_a_published_page_requests_exactly_one_build() {
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let editor = user(conn, "editor@x.gov.uk", UserType::CentralEditor);
    let origin = Origin::default();
    let published = page(conn, "health", "APPROVED", true);
    let published_source = links(conn, published.version_id)[0].0;
    // Also linked to a draft: still one build.
    let draft = page(conn, "health", "DRAFT", false);
    link(conn, &editor, &origin, draft.version_id, published_source).unwrap();
    let edited = update(
        conn,
        &editor,
        &origin,
        published_source,
        &input("Labour Force Survey (revised)"),
        Utc::now(),
    )
    .unwrap();
    assert_eq!(edited.title, "Labour Force Survey (revised)");
    assert_eq!(builds(conn), 1);
    let reason: String = build::table.select(build::reason).first(conn).unwrap();
    assert!(reason.contains("Labour Force Survey (revised)"), "{reason}");

    // A source only on unpublished pages: no build.
    let unpublished = page(conn, "health", "DEPARTMENT_REVIEW", true);
    let unpublished_source = links(conn, unpublished.version_id)[0].0;
    update(
        conn,
        &editor,
        &origin,
        unpublished_source,
        &input("Another title"),
        Utc::now(),
    )
    .unwrap();
    assert_eq!(builds(conn), 1);
    // A refused edit changes nothing and requests nothing.
    assert!(matches!(
        update(
            conn,
            &editor,
            &origin,
            published_source,
            &input(" "),
            Utc::now()
        ),
        Err(DataSourceError::Invalid(_))
    ));
    assert_eq!(builds(conn), 1);
    assert!(matches!(
        update(conn, &editor, &origin, 999_999, &input("x"), Utc::now()),
        Err(DataSourceError::UnknownDataSource)
    ));
}

#[test]
fn the_form_is_validated_field_by_field_and_only_web_urls_are_stored() {
    let database = TestDatabase::new();
    let conn = &mut database.conn();
    let editor = user(conn, "editor@x.gov.uk", UserType::CentralEditor);
    let origin = Origin::default();
    let options = data_sources::form_options(conn).unwrap();
    let other = options
        .frequencies
        .iter()
        .find(|(_, d)| d == "Other")
        .unwrap()
        .0;
    let bad = DataSourceInput {
        title: "  ".to_owned(),
        type_of_data: vec!["GUESSWORK".to_owned()],
        type_of_statistic_id: "9999".to_owned(),
        publisher_id: "NOT-AN-ORG".to_owned(),
        source_url: "javascript:alert(1)".to_owned(),
        frequency_of_release_id: other.to_string(),
        ..DataSourceInput::default()
    };
    let Err(DataSourceError::Invalid(problems)) = create(conn, &editor, &origin, &bad, Utc::now())
    else {
        panic!("accepted");
    };
    let fields: Vec<&str> = problems.iter().map(|p| p.field).collect();
    assert_eq!(
        fields,
        [
            "title",
            "type_of_data",
            "type_of_statistic_id",
            "publisher_id",
            "source_url",
            "frequency_of_release_other"
        ]
    );
    for url in [
        "javascript:alert(1)",
        "data:text/html,x",
        "ftp://example.org/file",
        "www.example.org",
    ] {
        let form = DataSourceInput {
            source_url: url.to_owned(),
            ..input("Survey")
        };
        let Err(DataSourceError::Invalid(problems)) =
            create(conn, &editor, &origin, &form, Utc::now())
        else {
            panic!("{url} accepted");
        };
        assert_eq!(problems[0].field, "source_url");
    }
    assert_eq!(
        data_source::table.count().get_result::<i64>(conn).unwrap(),
        0
    );

    let good = DataSourceInput {
        title: " Labour Force Survey ".to_owned(),
        type_of_data: vec!["SURVEY".to_owned(), "ADMINISTRATIVE".to_owned()],
        type_of_statistic_id: options.types_of_statistic[0].0.to_string(),
        publisher_id: "D303".to_owned(),
        source_url: "https://www.ons.gov.uk/lfs".to_owned(),
        frequency_of_release_id: other.to_string(),
        frequency_of_release_other: "Every 18 months".to_owned(),
        purpose: "Employment".to_owned(),
        ..DataSourceInput::default()
    };
    let created = create(conn, &editor, &origin, &good, Utc::now()).unwrap();
    assert_eq!(created.title, "Labour Force Survey");
    assert_eq!(
        created.source_url.as_deref(),
        Some("https://www.ons.gov.uk/lfs")
    );
    assert_eq!(
        created.frequency_of_release_other.as_deref(),
        Some("Every 18 months")
    );
    let round_trip = created.input();
    assert_eq!(round_trip.type_of_data, ["SURVEY", "ADMINISTRATIVE"]);
    assert_eq!(round_trip.publisher_id, "D303");
}
