//! The dashboards' queries against a real database: a seeded site cross-checked with plain
//! SQL, and a hand-made page showing what the views' rows are joined back to.

use almanac_content::dashboards::{self, Dashboards};
use almanac_content::{PublishStatus, db};
use almanac_seed::{SeedOptions, seed};
use almanac_test_support::{TestDatabase, fixtures};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

fn count(conn: &mut PgConnection, query: &str) -> usize {
    diesel::select(sql::<BigInt>(&format!("({query})")))
        .get_result::<i64>(conn)
        .unwrap() as usize
}

fn execute(conn: &mut PgConnection, statement: &str) {
    diesel::sql_query(statement).execute(conn).unwrap();
}

#[test]
fn seeded_dashboards_agree_with_plain_sql() {
    let database = TestDatabase::new();
    let mut conn = database.conn();
    seed(
        &mut conn,
        SeedOptions {
            measures: 40,
            seed: 3,
        },
    )
    .unwrap();
    db::refresh_dashboard_views(&mut conn).unwrap();
    let dashboards = Dashboards::load(&mut conn).unwrap();

    let major = count(
        &mut conn,
        "SELECT count(*) FROM measure_version WHERE status = 'APPROVED' AND version_minor = 0",
    );
    assert!(major > 0);
    assert_eq!(dashboards.major_publications.len(), major);
    assert!(
        dashboards
            .major_publications
            .windows(2)
            .all(|pair| pair[0].published_at >= pair[1].published_at),
        "newest first"
    );
    let latest: chrono::NaiveDate = diesel::select(sql::<diesel::sql_types::Date>(
        "(SELECT max(published_at) FROM measure_version WHERE status = 'APPROVED')",
    ))
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(dashboards.latest_publication, Some(latest));

    let weeks = dashboards.weekly_publications();
    let last = weeks.last().unwrap();
    let first_publications = count(
        &mut conn,
        "SELECT count(*) FROM measure_version
         WHERE status = 'APPROVED' AND version_major = 1 AND version_minor = 0",
    );
    assert_eq!(last.new_pages_to_date as usize, first_publications);
    assert_eq!(
        (last.new_pages_to_date + last.major_updates_to_date) as usize,
        major
    );
    assert!(
        last.week_starting <= latest && latest - last.week_starting < chrono::Duration::days(7)
    );

    // Every classification is listed, used or not; the used ones add up to the view.
    assert_eq!(
        dashboards.classifications.len(),
        count(&mut conn, "SELECT count(*) FROM classification")
    );
    let used: usize = dashboards
        .classifications
        .iter()
        .map(|c| c.dimension_count)
        .sum();
    assert!(used > 0);
    assert_eq!(
        used,
        count(
            &mut conn,
            "SELECT count(*) FROM classifications_by_dimension"
        )
    );
    assert!(
        dashboards
            .classifications
            .iter()
            .any(|c| c.dimension_count == 0)
    );
    for classification in &dashboards.classifications {
        let listed: usize = classification
            .topics
            .iter()
            .flat_map(|t| &t.subtopics)
            .flat_map(|s| &s.measures)
            .map(|m| m.dimensions.len())
            .sum();
        assert_eq!(
            listed, classification.dimension_count,
            "{}",
            classification.id
        );
    }

    // Ethnic groups: one per value in the view, with unique slugs.
    assert_eq!(
        dashboards.ethnic_groups.len(),
        count(
            &mut conn,
            "SELECT count(DISTINCT ethnicity_value) FROM ethnic_groups_by_dimension"
        )
    );
    let mut slugs: Vec<&str> = dashboards
        .ethnic_groups
        .iter()
        .map(|g| g.slug.as_str())
        .collect();
    slugs.sort();
    slugs.dedup();
    assert_eq!(slugs.len(), dashboards.ethnic_groups.len());
    for group in &dashboards.ethnic_groups {
        assert!(group.measure_count > 0 && group.dimension_count >= group.measure_count);
        assert!(!group.classifications.is_empty());
        // The counts come from the database, the list from the group's own rows: they agree.
        let measures: Vec<&dashboards::ListedMeasure> = group
            .topics
            .iter()
            .flat_map(|t| &t.subtopics)
            .flat_map(|s| &s.measures)
            .collect();
        assert_eq!(measures.len(), group.measure_count, "{}", group.value);
        let dimensions: usize = measures.iter().map(|m| m.dimensions.len()).sum();
        assert_eq!(dimensions, group.dimension_count, "{}", group.value);
        let one = dashboards::ethnic_group(&mut conn, &group.slug)
            .unwrap()
            .unwrap();
        assert_eq!(&one, group);
    }
    assert_eq!(
        dashboards::ethnic_group(&mut conn, "no-such-group").unwrap(),
        None
    );

    // Geography: every level, and the pages add up to the view.
    assert_eq!(
        dashboards.geography_levels.len(),
        count(&mut conn, "SELECT count(*) FROM lowest_level_of_geography")
    );
    let pages: usize = dashboards
        .geography_levels
        .iter()
        .map(|level| level.measure_count)
        .sum();
    assert!(pages > 0);
    assert_eq!(
        pages,
        count(
            &mut conn,
            "SELECT count(*) FROM latest_published_measure_versions_by_geography"
        )
    );

    // Planned pages: the measures never published, each in its newest version's stage.
    let planned = dashboards::planned_pages(&mut conn).unwrap();
    let planned_count: usize = planned.iter().map(|stage| stage.pages.len()).sum();
    assert_eq!(
        planned_count,
        count(
            &mut conn,
            "SELECT count(*) FROM measure m WHERE NOT m.retired AND NOT EXISTS
             (SELECT 1 FROM measure_version v WHERE v.measure_id = m.id AND v.status = 'APPROVED')"
        )
    );
    for stage in &planned {
        assert!(
            stage
                .pages
                .iter()
                .all(|page| page.status == stage.status.as_str())
        );
    }

    let all = dashboards::all_measures(&mut conn).unwrap();
    assert_eq!(
        all.iter().map(|topic| topic.measures.len()).sum::<usize>(),
        count(&mut conn, "SELECT count(*) FROM measure WHERE NOT retired")
    );
}

#[test]
fn dashboards_follow_the_live_tables_and_leave_out_the_testing_space() {
    let database = TestDatabase::new();
    let mut conn = database.conn();
    let page = fixtures::page(&mut conn, "health", "APPROVED", true);
    let experiment = fixtures::page(&mut conn, "testing-space", "APPROVED", true);
    let draft = fixtures::page(&mut conn, "health", "DRAFT", true);
    for version in [page.version_id, experiment.version_id] {
        execute(
            &mut conn,
            &format!(
                "INSERT INTO dimension_categorisation
                     (dimension_guid, classification_id, includes_parents, includes_all, includes_unknown)
                 SELECT guid, '5A', false, true, false FROM dimension WHERE measure_version_id = {version}"
            ),
        );
    }
    db::refresh_dashboard_views(&mut conn).unwrap();

    let dashboards = Dashboards::load(&mut conn).unwrap();
    assert_eq!(dashboards.major_publications.len(), 1);
    assert!(dashboards.major_publications[0].is_new_page());
    assert_eq!(
        dashboards.major_publications[0].measure.path(),
        format!("/{}", page.path)
    );
    let five_a = dashboards
        .classifications
        .iter()
        .find(|c| c.id == "5A")
        .unwrap();
    assert_eq!(
        (
            five_a.measure_count,
            five_a.dimension_count,
            five_a.with_all
        ),
        (1, 1, 1)
    );
    assert_eq!(
        five_a.topics[0].subtopics[0].measures[0].dimensions,
        ["By region"]
    );
    let asian = dashboards
        .ethnic_groups
        .iter()
        .find(|g| g.value == "Asian")
        .unwrap();
    assert_eq!(asian.slug, "asian");
    assert_eq!(asian.classifications, std::slice::from_ref(&five_a.title));
    assert_eq!((asian.measure_count, asian.dimension_count), (1, 1));
    let geography: Vec<(&str, usize)> = dashboards
        .geography_levels
        .iter()
        .filter(|level| level.measure_count > 0)
        .map(|level| (level.name.as_str(), level.measure_count))
        .collect();
    assert_eq!(geography.len(), 1);

    let planned = dashboards::planned_pages(&mut conn).unwrap();
    let drafts = planned
        .iter()
        .find(|stage| stage.status == PublishStatus::Draft)
        .unwrap();
    assert_eq!(drafts.pages.len(), 1);
    assert_eq!(drafts.pages[0].measure.measure_id, draft.measure_id);

    // Retired since the views were refreshed: gone from every dashboard at once.
    execute(
        &mut conn,
        &format!(
            "UPDATE measure SET retired = true WHERE id = {}",
            page.measure_id
        ),
    );
    let dashboards = Dashboards::load(&mut conn).unwrap();
    assert!(dashboards.major_publications.is_empty());
    assert!(dashboards.ethnic_groups.is_empty());
    assert!(
        dashboards
            .classifications
            .iter()
            .all(|c| c.dimension_count == 0)
    );
    assert!(
        dashboards
            .geography_levels
            .iter()
            .all(|level| level.measure_count == 0)
    );
    assert_eq!(dashboards.latest_publication, None);
    assert!(dashboards.weekly_publications().is_empty());
}
