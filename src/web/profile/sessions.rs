//! Signing out one's own sessions from the profile: one of them, or every other one.

use std::collections::HashMap;

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};

use super::PATH;
use crate::domain::auth::profile;
use crate::web::current_user::CurrentUser;
use crate::web::error::AppError;
use crate::web::session_store::MARKER_KEY;
use crate::web::state::AppState;
use crate::web::{Flash, see_other};

/// The marker a session's stored state names it by.
pub(super) fn marker_of(state: &str) -> Option<String> {
    let state: HashMap<String, String> = serde_json::from_str(state).ok()?;
    serde_json::from_str::<String>(state.get(MARKER_KEY)?).ok()
}

/// `POST /settings/profile/sessions/{marker}/end`: signs that session out. This very session is a
/// sign-out.
pub async fn end_one(
    req: HttpRequest,
    current: CurrentUser,
    session: Session,
    state: web::Data<AppState>,
    marker: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let marker = marker.into_inner();
    if session.get::<String>(MARKER_KEY).ok().flatten().as_deref() == Some(marker.as_str()) {
        return crate::web::login::logout(
            req,
            session,
            state,
            Some(crate::web::current_user::EnrollingUser(current)),
        )
        .await;
    }
    let rows = profile::sessions(&state.database, current.user.id).await?;
    let Some(row) = rows
        .into_iter()
        .find(|r| marker_of(&r.state).as_deref() == Some(marker.as_str()))
    else {
        // Ended already (it expired, or was signed out elsewhere): the table is simply out of date.
        Flash::success("That session had already ended.").set(&session)?;
        return Ok(see_other(PATH));
    };
    let actor = crate::web::actor(&req, &state, &current.user);
    profile::end_sessions(
        &state.database,
        actor,
        current.user,
        vec![row.id_hash],
        "one session",
    )
    .await?;
    Flash::success("That session was signed out.").set(&session)?;
    Ok(see_other(PATH))
}

/// `POST /settings/profile/sessions/end-others`: every session but this one.
pub async fn end_others(
    req: HttpRequest,
    current: CurrentUser,
    session: Session,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let mine = session.get::<String>(MARKER_KEY).ok().flatten();
    let rows = profile::sessions(&state.database, current.user.id).await?;
    // A session from before markers existed cannot tell itself apart: it ends none rather than itself.
    let others: Vec<Vec<u8>> = match mine {
        Some(mine) => rows
            .into_iter()
            .filter(|r| marker_of(&r.state).as_deref() != Some(mine.as_str()))
            .map(|r| r.id_hash)
            .collect(),
        None => Vec::new(),
    };
    let actor = crate::web::actor(&req, &state, &current.user);
    let ended = profile::end_sessions(
        &state.database,
        actor,
        current.user,
        others,
        "all other sessions",
    )
    .await?;
    let message = match ended {
        0 => "You had no other sessions.".to_owned(),
        1 => "Your 1 other session was signed out.".to_owned(),
        n => format!("Your {n} other sessions were signed out."),
    };
    Flash::success(message).set(&session)?;
    Ok(see_other(PATH))
}
