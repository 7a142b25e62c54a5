//! The JSON API: read access to topics, measures, versions (with dimensions, files and data
//! sources) and data sources, and starting a minor or major update. Callers authenticate
//! with a token made on their account page (`Authorization: Bearer almanac_…`) and act as
//! that user, with the same capabilities and shares as in the pages. The document at
//! `/api/v1/openapi.json` describes every route.

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};

use almanac_accounts::api_tokens;
use almanac_accounts::audit::Origin;
use almanac_accounts::users::{can_access_measure, shared_measure_ids};
use almanac_content::models::{Subtopic, Topic, User};
use almanac_content::pages::{MeasurePage, measure_page};
use almanac_content::schema::{subtopic, topic};
use almanac_content::{UpdateKind, UserType, measures};
use almanac_editorial::data_sources;
use almanac_editorial::versions::{self, VersionError};

use crate::AppState;
use crate::error::AppError;
use crate::security::client_ip;

/// Every API route, as the OpenAPI document lists them (checked by a test).
pub const PATHS: [&str; 7] = [
    "/api/v1/openapi.json",
    "/api/v1/topics",
    "/api/v1/measures",
    "/api/v1/measures/{id}/versions",
    "/api/v1/versions/{id}",
    "/api/v1/versions/{id}/updates",
    "/api/v1/data-sources",
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PATHS[0], get(openapi))
        .route(PATHS[1], get(topics))
        .route(PATHS[2], get(measures_list))
        .route(PATHS[3], get(measure_versions))
        .route(PATHS[4], get(version))
        .route(PATHS[5], post(create_update))
        .route(PATHS[6], get(data_source_search))
}

/// An API error: JSON `{"error": "…"}` with the status.
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.0, Json(json!({ "error": self.1 }))).into_response();
        if self.0 == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        let status = match &error {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::DatabaseUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = match error {
            AppError::BadRequest(reason) => reason,
            AppError::NotFound => "not found".to_owned(),
            AppError::Forbidden => "your account may not do this".to_owned(),
            other => {
                almanac_telemetry::report_server_error(status.as_u16(), &other);
                "the request failed; try again later".to_owned()
            }
        };
        ApiError(status, message)
    }
}

/// The user a bearer token acts as.
pub struct ApiUser {
    pub user: User,
    pub origin: Origin,
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(|token| token.trim().to_owned())
            .ok_or_else(|| {
                ApiError(
                    StatusCode::UNAUTHORIZED,
                    "send a token: Authorization: Bearer almanac_…".to_owned(),
                )
            })?;
        let user = state
            .db
            .run(move |conn| Ok(api_tokens::authenticate(conn, &token, Utc::now())?))
            .await?
            .ok_or_else(|| {
                ApiError(
                    StatusCode::UNAUTHORIZED,
                    "the token is not valid or has been revoked".to_owned(),
                )
            })?;
        almanac_telemetry::identify_user(user.id);
        let origin = Origin {
            ip: client_ip(parts, state.config.trusted_proxy_hops).map(|ip| ip.to_string()),
        };
        Ok(ApiUser { user, origin })
    }
}

async fn topics(State(state): State<AppState>, _caller: ApiUser) -> Result<Json<Value>, ApiError> {
    let (topics, subtopics) = state
        .db
        .run_read(|conn| {
            let topics: Vec<Topic> = topic::table
                .order(topic::title)
                .select(Topic::as_select())
                .load(conn)?;
            let subtopics: Vec<Subtopic> = subtopic::table
                .order(subtopic::position)
                .select(Subtopic::as_select())
                .load(conn)?;
            Ok((topics, subtopics))
        })
        .await?;
    let body: Vec<Value> = topics
        .iter()
        .map(|topic| {
            json!({
                "slug": topic.slug,
                "title": topic.title,
                "description": topic.description,
                "subtopics": subtopics.iter().filter(|s| s.topic_id == topic.id)
                    .map(|s| json!({ "slug": s.slug, "title": s.title })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(Value::Array(body)))
}

/// Every measure the caller may see: departmental users, those shared with them.
async fn measures_list(
    State(state): State<AppState>,
    caller: ApiUser,
) -> Result<Json<Value>, ApiError> {
    let user = caller.user;
    let listed = state
        .db
        .run_read(move |conn| {
            Ok(if user.user_type() == Some(UserType::Departmental) {
                let ids = shared_measure_ids(conn, user.id)?;
                measures::with_ids(conn, &ids)?
            } else {
                measures::all(conn)?
            })
        })
        .await?;
    Ok(Json(Value::Array(
        listed
            .iter()
            .map(|m| json!({ "id": m.id, "path": m.path(), "title": m.title, "status": m.status, "topic": m.topic_title, "subtopic": m.subtopic_title }))
            .collect(),
    )))
}

async fn measure_versions(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<i32>,
) -> Result<Json<Value>, ApiError> {
    let user = caller.user;
    let listed = state
        .db
        .run_read(move |conn| {
            if !can_access_measure(conn, &user, id)? {
                return Err(AppError::Forbidden);
            }
            let listed = measures::versions(conn, id)?;
            if listed.is_empty() {
                return Err(AppError::NotFound);
            }
            Ok(listed)
        })
        .await?;
    Ok(Json(Value::Array(
        listed
            .iter()
            .map(|v| json!({ "id": v.id, "version": v.version().to_string(), "title": v.title, "status": v.status, "updated_at": v.updated_at }))
            .collect(),
    )))
}

/// Where a read goes: the replica (when configured) for plain reads, the primary right after
/// the caller's own write, which the replica may not have yet.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ReadFrom {
    Replica,
    Primary,
}

async fn load_page(
    state: &AppState,
    user: User,
    id: i32,
    from: ReadFrom,
) -> Result<MeasurePage, ApiError> {
    let work = move |conn: &mut almanac_content::db::PooledPg| {
        let page = measure_page(conn, id)?.ok_or(AppError::NotFound)?;
        if !can_access_measure(conn, &user, page.version.measure_id)? {
            return Err(AppError::Forbidden);
        }
        Ok(page)
    };
    Ok(match from {
        ReadFrom::Replica => state.db.run_read(work).await?,
        ReadFrom::Primary => state.db.run(work).await?,
    })
}

fn version_json(page: &MeasurePage) -> Value {
    let v = &page.version;
    json!({
        "id": v.id,
        "measure_id": v.measure_id,
        "path": page.path(),
        "version": v.version().to_string(),
        "status": v.status,
        "latest": v.latest,
        "lock_version": v.lock_version,
        "title": v.title,
        "summary": v.summary,
        "description": v.description,
        "need_to_know": v.need_to_know,
        "measure_summary": v.measure_summary,
        "ethnicity_definition_summary": v.ethnicity_definition_summary,
        "methodology": v.methodology,
        "time_covered": v.time_covered,
        "area_covered": v.area_covered.iter().flatten().collect::<Vec<_>>(),
        "lowest_level_of_geography": page.lowest_level_of_geography,
        "published_at": v.published_at,
        "updated_at": v.updated_at,
        "dimensions": page.dimensions.iter().map(|d| json!({
            "guid": d.guid, "title": d.title, "time_period": d.time_period, "summary": d.summary,
            "has_chart": d.has_chart(), "has_table": d.has_table(),
        })).collect::<Vec<_>>(),
        "uploads": page.uploads.iter().map(|u| json!({
            "title": u.title, "file_name": u.file_name, "description": u.description,
            "size_bytes": u.size_bytes, "scan_status": u.scan_status,
        })).collect::<Vec<_>>(),
        "data_sources": page.data_sources.iter().map(|s| json!({
            "id": s.id, "title": s.title, "publisher": s.publisher, "source_url": s.web_url(),
            "publication_date": s.publication_date, "frequency": s.frequency, "position": s.position,
        })).collect::<Vec<_>>(),
    })
}

async fn version(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<i32>,
) -> Result<Json<Value>, ApiError> {
    let page = load_page(&state, caller.user, id, ReadFrom::Replica).await?;
    Ok(Json(version_json(&page)))
}

#[derive(Debug, Deserialize)]
struct UpdateRequest {
    update_type: String,
}

/// Starts a minor or major update of a published, latest version: 201 with the new version.
async fn create_update(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<i32>,
    body: Result<Json<UpdateRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(request) = body.map_err(|rejection| {
        ApiError(
            StatusCode::BAD_REQUEST,
            format!(
                "send JSON like {{\"update_type\": \"minor\"}} ({})",
                rejection.body_text()
            ),
        )
    })?;
    let kind = match request.update_type.as_str() {
        "minor" => UpdateKind::Minor,
        "major" => UpdateKind::Major,
        other => {
            return Err(ApiError(
                StatusCode::BAD_REQUEST,
                format!("update_type must be \"minor\" or \"major\", not {other:?}"),
            ));
        }
    };
    let (user, origin) = (caller.user.clone(), caller.origin);
    let created = state
        .db
        .run(move |conn| {
            match versions::create_update(conn, &user, &origin, id, kind, Utc::now()) {
                Ok(new) => Ok(Ok(new)),
                Err(VersionError::Database(error)) => Err(error.into()),
                Err(VersionError::Forbidden) => Err(AppError::Forbidden),
                Err(VersionError::UnknownVersion) => Err(AppError::NotFound),
                Err(other) => Ok(Err(other.to_string())),
            }
        })
        .await?
        .map_err(|reason| ApiError(StatusCode::CONFLICT, reason))?;
    for copy in &created.file_copies {
        let from = almanac_uploads::StoreKey::new(
            copy.measure_id,
            copy.from_version.clone(),
            copy.file_name.clone(),
        );
        let to = almanac_uploads::StoreKey::new(
            copy.measure_id,
            copy.to_version.clone(),
            copy.file_name.clone(),
        );
        if let Err(error) = state.files.copy(&from, &to).await {
            tracing::error!(%error, %from, %to, "could not copy an upload to the new version");
        }
    }
    let page = load_page(&state, caller.user, created.version.id, ReadFrom::Primary).await?;
    Ok((StatusCode::CREATED, Json(version_json(&page))).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SearchQuery {
    q: String,
    limit: Option<i64>,
}

async fn data_source_search(
    State(state): State<AppState>,
    _caller: ApiUser,
    Query(query): Query<SearchQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = query.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            "limit must be between 1 and 100".to_owned(),
        ));
    }
    let hits = state
        .db
        .run_read(move |conn| Ok(data_sources::search(conn, &query.q, limit)?))
        .await?;
    Ok(Json(Value::Array(
        hits.iter()
            .map(|h| json!({ "id": h.id, "title": h.title, "publisher": h.publisher_name, "source_url": h.source_url, "usage": h.usage }))
            .collect(),
    )))
}

/// The OpenAPI 3.1 description of this API (public: it holds no data).
async fn openapi() -> Json<Value> {
    let id =
        json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }]);
    let ok = |description: &str| json!({ "200": { "description": description }, "401": { "description": "No valid token" }, "403": { "description": "The token's user may not see this" }, "404": { "description": "Not found" } });
    Json(json!({
        "openapi": "3.1.0",
        "info": { "title": "Almanac publisher API", "version": "1.0.0",
                  "description": "Read topics, measures, versions and data sources, and start updates. Authenticate with a token from your account page." },
        "components": { "securitySchemes": { "token": { "type": "http", "scheme": "bearer" } } },
        "security": [{ "token": [] }],
        "paths": {
            PATHS[0]: { "get": { "summary": "This document", "security": [], "responses": { "200": { "description": "OpenAPI document" } } } },
            PATHS[1]: { "get": { "summary": "Topics and their subtopics", "responses": ok("Topics") } },
            PATHS[2]: { "get": { "summary": "Measures the caller may see", "responses": ok("Measures") } },
            PATHS[3]: { "get": { "summary": "The versions of a measure, newest first", "parameters": id, "responses": ok("Versions") } },
            PATHS[4]: { "get": { "summary": "One version with its dimensions, files and data sources", "parameters": id, "responses": ok("The version") } },
            PATHS[5]: { "post": { "summary": "Start a minor or major update of a published, latest version", "parameters": id,
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["update_type"], "properties": { "update_type": { "enum": ["minor", "major"] } } } } } },
                "responses": { "201": { "description": "The new version" }, "400": { "description": "Bad request body" },
                               "401": { "description": "No valid token" }, "403": { "description": "Not allowed" },
                               "404": { "description": "No such version" }, "409": { "description": "Not the latest published version, or already being updated" } } } },
            PATHS[6]: { "get": { "summary": "Search data sources", "parameters": [
                { "name": "q", "in": "query", "schema": { "type": "string" } },
                { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 100 } } ],
                "responses": ok("Matching data sources, most used first") } },
        }
    }))
}
