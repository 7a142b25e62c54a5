//! The publisher's routes. Each module holds one area's handlers; this one wires them up with
//! the security layers that apply to all of them.

mod account;
mod admin;
pub mod api;
mod auth;
mod builds;
mod cms;
mod dashboards;
mod data_sources;
mod dimensions;
mod edit;
mod figure_files;
mod lifecycle;
mod scheduling;
mod site;
mod site_pages;
mod topics;
mod uploads;
mod versions;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use tower_http::services::ServeDir;

use crate::AppState;
use crate::error::AppError;
use crate::security;

pub fn router(state: AppState) -> Router {
    let govuk = &state.config.govuk_frontend_dir;
    // Sign-in and the pages behind emailed links share a per-client allowance.
    let rate_limited = Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/two-factor", post(auth::two_factor))
        .route("/auth/forgot", post(auth::forgot))
        .route("/auth/reset/{token}", auth::link_page(&auth::RESET))
        .route(
            "/register/confirm-account/{token}",
            auth::link_page(&auth::INVITE),
        )
        .route(
            "/register/reactivate/{token}",
            auth::link_page(&auth::REACTIVATE),
        )
        .route_layer(from_fn_with_state(
            state.clone(),
            security::rate_limit::sign_in,
        ));
    Router::new()
        .route("/", get(site::homepage_preview))
        .route("/healthz", get(site::health))
        .route("/auth/login", get(auth::login_form))
        .route("/auth/two-factor", get(auth::two_factor_form))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/forgot", get(auth::forgot_form))
        .merge(rate_limited)
        .route("/account", get(account::overview))
        .route(
            "/account/two-factor/setup",
            get(account::enrol_form).post(account::enrol),
        )
        .route("/account/recovery-codes", post(account::new_recovery_codes))
        .route("/account/api-tokens", post(account::new_api_token))
        .route(
            "/account/api-tokens/{id}/revoke",
            post(account::revoke_api_token),
        )
        .route("/admin", get(admin::index))
        .route("/admin/users", get(admin::users))
        .route("/admin/users/add", get(admin::add_form).post(admin::add))
        .route("/admin/users/{id}", get(admin::user))
        .route(
            "/admin/users/{id}/resend-invite",
            post(admin::resend_invite),
        )
        .route("/admin/users/{id}/deactivate", post(admin::deactivate))
        .route("/admin/users/{id}/delete", post(admin::delete))
        .route("/admin/users/{id}/make-admin", post(admin::make_admin))
        .route(
            "/admin/users/{id}/make-central-editor",
            post(admin::make_central_editor),
        )
        .route(
            "/admin/users/{id}/reset-two-factor",
            post(admin::reset_two_factor),
        )
        .route("/admin/users/{id}/share", post(admin::share))
        .route(
            "/admin/users/{id}/remove-share/{measure_id}",
            post(admin::unshare),
        )
        .route("/admin/audit", get(admin::audit))
        .route("/cms", get(cms::your_measures))
        .route("/cms/{topic}/{subtopic}", get(cms::subtopic))
        .route(
            "/cms/{topic}/{subtopic}/order/{id}/{direction}",
            post(cms::move_measure),
        )
        .route(
            "/cms/{topic}/{subtopic}/{measure}/versions",
            get(cms::versions),
        )
        .route(
            "/cms/{topic}/{subtopic}/{measure}/{version}",
            get(versions::show),
        )
        .route(
            "/cms/{topic}/{subtopic}/{measure}/{version}/preview",
            get(versions::preview),
        )
        .route(
            "/cms/{topic}/{subtopic}/{measure}/{version}/edit",
            get(edit::form).post(edit::save),
        )
        .route(
            "/cms/{topic}/{subtopic}/{measure}/{version}/autosave",
            post(edit::autosave),
        )
        .route("/cms/versions/{id}/edit", post(edit::save_by_id))
        .route("/cms/versions/{id}/autosave", post(edit::autosave_by_id))
        .route(
            "/cms/{topic}/{subtopic}/measure/new",
            get(edit::new_measure_form).post(edit::new_measure),
        )
        .route(
            "/cms/{topic}/{subtopic}/{measure}/{version}/actions",
            post(versions::act),
        )
        .route(
            "/cms/{topic}/{subtopic}/{measure}/{version}/review-link",
            post(versions::new_review_link),
        )
        .route(
            "/cms/{topic}/{subtopic}/{measure}/{version}/new-version",
            post(versions::new_version),
        )
        .merge(uploads::routes())
        .merge(dimensions::routes())
        .route("/review/{token}", get(versions::review_page))
        .route(
            "/review/{token}/downloads/{file_name}",
            get(versions::review_download),
        )
        .merge(topics::routes())
        .merge(api::routes())
        .merge(lifecycle::routes())
        .merge(scheduling::routes())
        .merge(data_sources::routes())
        .merge(site_pages::routes())
        .merge(figure_files::routes())
        .merge(builds::routes())
        .merge(dashboards::routes())
        // GOV.UK Frontend's stylesheet refers to /assets/fonts and /assets/images.
        .nest_service("/assets/fonts", ServeDir::new(govuk.join("assets/fonts")))
        .nest_service("/assets/images", ServeDir::new(govuk.join("assets/images")))
        .nest_service("/assets/govuk-frontend", ServeDir::new(govuk))
        .nest_service("/assets/almanac", ServeDir::new(&state.config.static_dir))
        .fallback(not_found)
        .layer(from_fn_with_state(state.clone(), security::csrf::guard))
        .layer(from_fn_with_state(state.clone(), security::headers))
        .with_state(state)
}

async fn not_found() -> AppError {
    AppError::NotFound
}
