//! What every publisher page shares: the navigation for the signed-in user, the CSRF token
//! for its forms, form errors in the GOV.UK pattern, and rendering.

use askama::Template;
use axum::response::Html;

use almanac_content::Capability;
use almanac_content::models::User;

use crate::error::AppError;

/// The header navigation and the token every form on the page needs.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    pub csrf_token: String,
    /// Empty when nobody is signed in.
    pub user_email: String,
    pub can_manage_users: bool,
    pub can_edit_site_pages: bool,
    pub can_view_dashboards: bool,
}

impl Chrome {
    pub fn signed_in(user: &User, csrf_token: &str) -> Chrome {
        Chrome {
            csrf_token: csrf_token.to_owned(),
            user_email: user.email.clone(),
            can_manage_users: user.can(Capability::ManageUsers),
            can_edit_site_pages: user.can(Capability::EditSitePages),
            can_view_dashboards: user.can(Capability::ViewDashboards),
        }
    }

    pub fn anonymous(csrf_token: &str) -> Chrome {
        Chrome {
            csrf_token: csrf_token.to_owned(),
            ..Chrome::default()
        }
    }
}

/// Errors of a submitted form, in the order of its fields; each names the id of the field
/// it belongs to, so the error summary can link to it.
#[derive(Debug, Clone, Default)]
pub struct FormErrors(Vec<(&'static str, String)>);

impl FormErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    pub fn one(field: &'static str, message: impl Into<String>) -> FormErrors {
        let mut errors = FormErrors::default();
        errors.add(field, message);
        errors
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The message for a field, or "" (templates test it with `!= ""`).
    pub fn get(&self, field: &str) -> &str {
        self.0
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, message)| message.as_str())
            .unwrap_or("")
    }

    pub fn all(&self) -> &[(&'static str, String)] {
        &self.0
    }
}

pub fn render(template: &impl Template) -> Result<Html<String>, AppError> {
    template
        .render()
        .map(Html)
        .map_err(|error| AppError::Internal(format!("template: {error}")))
}

/// A submitted form, like `axum::Form`, whose rejections (wrong content type, a body that is
/// not URL-encoded) are the publisher's 400 page rather than a bare line of text.
pub struct Form<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for Form<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        match axum::Form::<T>::from_request(request, state).await {
            Ok(axum::Form(value)) => Ok(Form(value)),
            Err(rejection) => Err(AppError::BadRequest(format!(
                "The form could not be read ({}). Go back and submit it again.",
                rejection.body_text()
            ))),
        }
    }
}
