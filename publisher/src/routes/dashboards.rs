//! The dashboards under `/dashboards` (the model's §4.6): the public site's dashboards as
//! editors preview them, plus planned pages and all measures, which only the publisher shows.
//! Every page needs VIEW_DASHBOARDS except what's new, which any signed-in user may read.
//!
//! The pages render through `almanac_render::dashboards`, the functions the site build uses;
//! their links end in `/`, so each route answers with and without the trailing slash.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Html;
use axum::routing::{MethodRouter, get};
use chrono::Utc;
use diesel::QueryResult;
use diesel::pg::PgConnection;

use almanac_content::Capability;
use almanac_content::dashboards;
use almanac_render::Mode;
use almanac_render::dashboards as render;

use crate::AppState;
use crate::auth::SignedIn;
use crate::error::AppError;

pub fn routes() -> Router<AppState> {
    let routes: [(&str, MethodRouter<AppState>); 11] = [
        ("/dashboards", get(index)),
        ("/dashboards/whats-new", get(whats_new)),
        ("/dashboards/published", get(published)),
        ("/dashboards/ethnic-groups", get(ethnic_groups)),
        ("/dashboards/ethnic-groups/{slug}", get(ethnic_group)),
        (
            "/dashboards/ethnicity-classifications",
            get(classifications),
        ),
        (
            "/dashboards/ethnicity-classifications/{id}",
            get(classification),
        ),
        ("/dashboards/geographic-breakdown", get(geography)),
        (
            "/dashboards/geographic-breakdown/{slug}",
            get(geography_level),
        ),
        ("/dashboards/planned-pages", get(planned_pages)),
        ("/dashboards/measures", get(all_measures)),
    ];
    routes
        .into_iter()
        .fold(Router::new(), |router, (path, handler)| {
            router
                .route(path, handler.clone())
                .route(&format!("{path}/"), handler)
        })
}

/// A dashboard's rows, for someone who may see dashboards, from the read replica when there
/// is one.
async fn rows<T: Send + 'static>(
    state: &AppState,
    user: &SignedIn,
    load: fn(&mut PgConnection) -> QueryResult<T>,
) -> Result<T, AppError> {
    user.require(Capability::ViewDashboards)?;
    state.db.run_read(move |conn| Ok(load(conn)?)).await
}

/// The one entry of a list a detail page's address names.
fn named<T>(list: &[T], matches: impl Fn(&T) -> bool) -> Result<&T, AppError> {
    list.iter()
        .find(|entry| matches(entry))
        .ok_or(AppError::NotFound)
}

async fn index(State(state): State<AppState>, user: SignedIn) -> Result<Html<String>, AppError> {
    user.require(Capability::ViewDashboards)?;
    Ok(Html(render::dashboards_index(Mode::Preview, &state.site)?))
}

async fn whats_new(
    State(state): State<AppState>,
    _user: SignedIn,
) -> Result<Html<String>, AppError> {
    // Any signed-in user may read what's new, as in the model.
    let publications = state
        .db
        .run_read(|conn| Ok(dashboards::major_publications(conn)?))
        .await?;
    Ok(Html(render::whats_new_page(
        &publications,
        Mode::Preview,
        &state.site,
    )?))
}

async fn published(
    State(state): State<AppState>,
    user: SignedIn,
) -> Result<Html<String>, AppError> {
    let publications = rows(&state, &user, dashboards::major_publications).await?;
    // Editors see the weeks up to today; the public site stops at its newest publication.
    let today = Utc::now().date_naive();
    Ok(Html(render::published_page(
        &publications,
        Some(today),
        Mode::Preview,
        &state.site,
    )?))
}

async fn ethnic_groups(
    State(state): State<AppState>,
    user: SignedIn,
) -> Result<Html<String>, AppError> {
    let groups = rows(&state, &user, dashboards::ethnic_group_summaries).await?;
    Ok(Html(render::ethnic_groups_page(
        &groups,
        Mode::Preview,
        &state.site,
    )?))
}

async fn ethnic_group(
    State(state): State<AppState>,
    user: SignedIn,
    Path(slug): Path<String>,
) -> Result<Html<String>, AppError> {
    user.require(Capability::ViewDashboards)?;
    let group = state
        .db
        .run_read(move |conn| Ok(dashboards::ethnic_group(conn, &slug)?))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Html(render::ethnic_group_page(
        &group,
        Mode::Preview,
        &state.site,
    )?))
}

async fn classifications(
    State(state): State<AppState>,
    user: SignedIn,
) -> Result<Html<String>, AppError> {
    let classifications = rows(&state, &user, dashboards::classifications).await?;
    Ok(Html(render::classifications_page(
        &classifications,
        Mode::Preview,
        &state.site,
    )?))
}

async fn classification(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Html<String>, AppError> {
    let classifications = rows(&state, &user, dashboards::classifications).await?;
    let classification = named(&classifications, |c| c.path_segment() == id)?;
    Ok(Html(render::classification_page(
        classification,
        Mode::Preview,
        &state.site,
    )?))
}

async fn geography(
    State(state): State<AppState>,
    user: SignedIn,
) -> Result<Html<String>, AppError> {
    let levels = rows(&state, &user, dashboards::geography_levels).await?;
    Ok(Html(render::geography_page(
        &levels,
        Mode::Preview,
        &state.site,
    )?))
}

async fn geography_level(
    State(state): State<AppState>,
    user: SignedIn,
    Path(slug): Path<String>,
) -> Result<Html<String>, AppError> {
    let levels = rows(&state, &user, dashboards::geography_levels).await?;
    let level = named(&levels, |level| level.slug == slug)?;
    Ok(Html(render::geography_level_page(
        level,
        Mode::Preview,
        &state.site,
    )?))
}

async fn planned_pages(
    State(state): State<AppState>,
    user: SignedIn,
) -> Result<Html<String>, AppError> {
    let stages = rows(&state, &user, dashboards::planned_pages).await?;
    Ok(Html(render::planned_pages_page(&stages, &state.site)?))
}

async fn all_measures(
    State(state): State<AppState>,
    user: SignedIn,
) -> Result<Html<String>, AppError> {
    let topics = rows(&state, &user, dashboards::all_measures).await?;
    Ok(Html(render::all_measures_page(&topics, &state.site)?))
}
