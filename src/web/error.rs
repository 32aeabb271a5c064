//! The one application error type, and how each kind of failure answers over HTTP. Pages show generic
//! text; the log gets the whole cause chain.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::db::DbError;

/// Where a user who must set up two-factor sign-in first is sent (the profile's enrolment page).
pub const ENROL_PATH: &str = "/settings/profile/two-factor";

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The thing asked for does not exist, or belongs to another merchant.
    #[error("not found")]
    NotFound,
    /// No valid session: the user must log in.
    #[error("login required")]
    LoginRequired,
    /// The account was disabled since it signed in: signed out, and told why.
    #[error("account disabled")]
    AccountDisabled,
    /// Signed in, but the merchant (or the support policy) requires a second factor first.
    #[error("two-factor enrolment required")]
    EnrolmentRequired,
    /// Logged in, but not allowed to do this.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// The request failed the CSRF check (missing or wrong token, or a foreign origin).
    #[error("CSRF check failed: {0}")]
    Csrf(&'static str),
    /// The request itself is malformed (not a form we could read).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The database cannot be reached right now.
    #[error("service unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// Anything else; a bug or an unexpected failure.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    /// An internal error with its cause kept for the log.
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        Self::Internal(err.into())
    }

    /// The title and the message of the page shown for this error: generic, never the cause.
    pub fn page_text(&self) -> (&'static str, &'static str) {
        match self {
            Self::NotFound => (
                "Page not found",
                "There is nothing at this address, or it is not yours to see.",
            ),
            Self::Forbidden(msg) => ("Not allowed", *msg),
            Self::Csrf(_) => (
                "Request refused",
                "This form was sent from somewhere else, or it expired. Go back, reload the page and try again.",
            ),
            Self::BadRequest(_) => ("Bad request", "The request could not be understood."),
            Self::Unavailable(_) => (
                "Temporarily unavailable",
                "The dashboard cannot reach its database right now. Please try again in a moment. If you were saving something, check whether it was saved before you send it again.",
            ),
            _ => (
                "Something went wrong",
                "An unexpected error occurred. Nothing secret was exposed; please try again.",
            ),
        }
    }
}

impl From<DbError> for AppError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::Query(diesel::result::Error::NotFound) => Self::NotFound,
            // A lost connection is an outage, not a bug: "temporarily unavailable", 503.
            lost if lost.is_connection_lost() => Self::Unavailable(lost.into()),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> Self {
        DbError::Query(err).into()
    }
}

impl From<askama::Error> for AppError {
    fn from(err: askama::Error) -> Self {
        Self::Internal(err.into())
    }
}

/// The page shown for an error.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    title: &'static str,
    message: &'static str,
    assets: &'static crate::web::assets::AssetUrls,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::LoginRequired | Self::AccountDisabled => StatusCode::UNAUTHORIZED,
            Self::EnrolmentRequired => StatusCode::SEE_OTHER,
            Self::Forbidden(_) | Self::Csrf(_) => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        match self {
            Self::Unavailable(e) => tracing::warn!(error = ?e, "database unavailable"),
            Self::Internal(e) => tracing::error!(error = ?e, "internal error"),
            Self::Csrf(why) => tracing::warn!(reason = why, "CSRF check failed"),
            Self::Forbidden(why) => tracing::warn!(reason = why, "refused: not allowed"),
            _ => {}
        }
        let to = match self {
            Self::LoginRequired => Some("/login"),
            Self::AccountDisabled => Some("/login?disabled=1"),
            Self::EnrolmentRequired => Some(ENROL_PATH),
            _ => None,
        };
        if let Some(to) = to {
            // Full pages go to the form; htmx follows HX-Redirect instead of swapping a fragment.
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, to))
                .insert_header(("HX-Redirect", to))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish();
        }
        let (title, message) = self.page_text();
        let page = ErrorPage {
            status: status.as_u16(),
            title,
            message,
            assets: crate::web::assets::AssetUrls::get(),
        };
        let body = page.render().unwrap_or_else(|_| title.to_owned());
        let mut res = HttpResponse::build(status);
        res.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ));
        // Errors raised by middleware skip the header middleware, so the page carries its own.
        for pair in super::headers::page() {
            res.insert_header(pair);
        }
        let mut res = res.body(body);
        if matches!(self, Self::Unavailable(_)) {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        res
    }
}

impl From<crate::domain::tokens::CreateError> for AppError {
    fn from(err: crate::domain::tokens::CreateError) -> Self {
        match err {
            crate::domain::tokens::CreateError::Db(e) => e.into(),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<crate::domain::tokens::StatusError> for AppError {
    fn from(err: crate::domain::tokens::StatusError) -> Self {
        match err {
            crate::domain::tokens::StatusError::Db(e) => e.into(),
            crate::domain::tokens::StatusError::ReasonRequired => Self::BadRequest(err.to_string()),
        }
    }
}

impl From<crate::domain::tokens::lifecycle::LifecycleError> for AppError {
    fn from(err: crate::domain::tokens::lifecycle::LifecycleError) -> Self {
        match err {
            crate::domain::tokens::lifecycle::LifecycleError::Db(e) => e.into(),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<crate::domain::users::AddUserError> for AppError {
    fn from(err: crate::domain::users::AddUserError) -> Self {
        match err {
            crate::domain::users::AddUserError::Db(e) => e.into(),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<crate::domain::auth::login::LoginError> for AppError {
    fn from(err: crate::domain::auth::login::LoginError) -> Self {
        match err {
            crate::domain::auth::login::LoginError::Db(e) => e.into(),
            crate::domain::auth::login::LoginError::TwoFactor(e) => e.into(),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<crate::domain::auth::two_factor::TwoFactorError> for AppError {
    fn from(err: crate::domain::auth::two_factor::TwoFactorError) -> Self {
        use crate::domain::auth::two_factor::TwoFactorError;
        match err {
            TwoFactorError::Db(e) => e.into(),
            other => Self::Internal(other.into()),
        }
    }
}
