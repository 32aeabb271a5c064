//! Finishing a sign-in, whichever step ends it (the password, or the code of a two-factor sign-in):
//! the new session and where the user goes next.

use actix_session::Session;
use actix_web::HttpRequest;

use crate::domain::auth::totp;
use crate::web::csrf;
use crate::web::error::AppError;
use crate::web::session_store::{
    ADDRESS_KEY, DEVICE_KEY, MARKER_KEY, PENDING_AT_KEY, PENDING_USER_KEY, SUDO_AT_KEY, USER_ID_KEY,
};
use crate::web::state::AppState;

/// The address of a two-factor sign-in's code step.
pub const CODE_PATH: &str = "/login/two-factor";
/// Session key of the page to go to once signed in (checked when the password step took it).
pub const NEXT_KEY: &str = "pending_next";

/// Where a user goes once signed in: the page they asked for, or their role's own screen.
pub fn start_page<'a>(user: &crate::db::models::User, next: &'a str) -> &'a str {
    if next.is_empty() || next == super::tokens::PATH {
        super::landing(user)
    } else {
        next
    }
}

/// Signs `user` in on this session: a new session id (defeating session fixation) and CSRF token,
/// the sudo time of a fresh sign-in, and the device and address the profile lists it by.
pub fn begin_session(
    req: &HttpRequest,
    state: &AppState,
    session: &Session,
    user: &crate::db::models::User,
) -> Result<(), AppError> {
    session.renew();
    session.remove(PENDING_USER_KEY);
    session.remove(PENDING_AT_KEY);
    session.remove(NEXT_KEY);
    let marker =
        hex::encode(crate::domain::credentials::random_bytes::<12>().map_err(AppError::internal)?);
    let device: Option<String> = super::user_agent(req).map(|ua| ua.chars().take(300).collect());
    let address = super::client_ip(req, state).map(|ip| ip.to_string());
    session
        .insert(USER_ID_KEY, user.id.0)
        .and_then(|()| session.insert(SUDO_AT_KEY, totp::unix_now()))
        .and_then(|()| session.insert(MARKER_KEY, marker))
        .and_then(|()| session.insert(DEVICE_KEY, device))
        .and_then(|()| session.insert(ADDRESS_KEY, address))
        .map_err(AppError::internal)?;
    csrf::rotate(session)?;
    tracing::info!(user = user.id.0, "login succeeded");
    Ok(())
}
