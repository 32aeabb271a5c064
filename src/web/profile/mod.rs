//! Settings › Profile, for every signed-in user: who they are, their password, their second factor
//! ([`two_factor`]) and the sessions they are signed in with ([`sessions`]).

pub mod alerts;
mod device;
pub mod password;
pub mod sessions;
pub mod two_factor;

use std::collections::HashMap;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::auth::{profile, two_factor as factor};
use crate::web::current_user::CurrentUser;
use crate::web::error::AppError;
use crate::web::session_store::{ADDRESS_KEY, DEVICE_KEY, MARKER_KEY};
use crate::web::state::AppState;
use crate::web::{Chrome, html};

/// Where the page lives (Kwik's Settings › Profile).
pub const PATH: &str = "/settings/profile";
/// Where a user sets up two-factor sign-in (and where a user who must is sent).
pub use crate::web::error::ENROL_PATH;

/// One of the user's sessions, as the table shows it.
pub struct SessionView {
    /// Its label, naming it in "Sign out".
    pub marker: String,
    /// "Chrome on macOS".
    pub device: String,
    /// The address it signed in from.
    pub address: String,
    /// When it signed in.
    pub signed_in: String,
    /// Its last request, roughly ("3 minutes ago").
    pub last_seen: String,
    /// The session of this very request.
    pub current: bool,
}

/// Errors of the password form, by field.
#[derive(Default)]
pub struct PasswordErrors {
    /// On the current password.
    pub current: Option<String>,
    /// On the new password (strength, unchanged, or the two differ).
    pub new: Option<String>,
}

#[derive(Template)]
#[template(path = "profile/index.html")]
struct ProfilePage {
    page: Chrome,
    email: String,
    role: &'static str,
    merchant: String,
    last_sign_in: String,
    two_factor: factor::Status,
    two_factor_since: Option<String>,
    required: bool,
    sessions: Vec<SessionView>,
    password_errors: PasswordErrors,
    /// The email alerts a merchant admin chooses from (none for others: alerts go to admins).
    alerts: Vec<alerts::AlertChoice>,
}

/// `GET /settings/profile`.
pub async fn index(
    current: CurrentUser,
    session: Session,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    render(
        &current,
        &session,
        &state,
        StatusCode::OK,
        PasswordErrors::default(),
    )
    .await
}

/// The profile page, with errors on the password form when there are.
pub(crate) async fn render(
    current: &CurrentUser,
    session: &Session,
    state: &AppState,
    status: StatusCode,
    password_errors: PasswordErrors,
) -> Result<HttpResponse, AppError> {
    let user = &current.user;
    let two_factor = factor::status(&state.database, user.id).await?;
    let rows = profile::sessions(&state.database, user.id).await?;
    let mine = session.get::<String>(MARKER_KEY).ok().flatten();
    let now = crate::db::now();
    let sessions = rows
        .iter()
        .filter_map(|row| {
            let state: HashMap<String, String> = serde_json::from_str(&row.state).ok()?;
            let text = |key: &str| {
                state
                    .get(key)
                    .and_then(|v| serde_json::from_str::<Option<String>>(v).ok())
                    .flatten()
            };
            let marker = text(MARKER_KEY)?;
            let last_seen = row.expires_at - crate::web::session_store::IDLE_TIMEOUT;
            Some(SessionView {
                current: mine.as_deref() == Some(marker.as_str()),
                device: device::describe(text(DEVICE_KEY).as_deref()),
                address: text(ADDRESS_KEY).unwrap_or_else(|| "Unknown".to_owned()),
                signed_in: crate::web::format::date_time(row.created_at),
                last_seen: crate::web::format::ago(last_seen.min(now), now),
                marker,
            })
        })
        .collect();
    let page = ProfilePage {
        page: Chrome::for_user(session, user, current.merchant.as_ref())?,
        email: user.email.clone(),
        role: user.role.label(),
        merchant: current
            .merchant
            .as_ref()
            .map_or_else(|| "Kwik (platform support)".to_owned(), |m| m.name.clone()),
        last_sign_in: user
            .last_login_at
            .map_or_else(|| "Never".to_owned(), crate::web::format::date_time),
        required: factor::required(
            user,
            current.merchant.as_ref(),
            state.config.support_require_two_factor,
        ),
        two_factor_since: two_factor.enabled_at.map(crate::web::format::date),
        two_factor,
        sessions,
        password_errors,
        alerts: if current.merchant.is_some() && user.role == crate::db::models::Role::Admin {
            alerts::choices(state, current).await?
        } else {
            Vec::new()
        },
    };
    let mut res = html(status, &page)?;
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}
