//! The profile's email alerts: which security alerts and expiry warnings a merchant admin gets.

use actix_session::Session;
use actix_web::{HttpResponse, web};

use super::PATH;
use crate::domain::mail::alerts::{self, Alert};
use crate::web::current_user::CurrentUser;
use crate::web::error::AppError;
use crate::web::state::AppState;
use crate::web::{Flash, see_other};

/// One checkbox of the alerts form.
pub struct AlertChoice {
    /// Its value: `token_rolled`.
    pub code: &'static str,
    /// What it says.
    pub label: &'static str,
    /// Whether the user gets it.
    pub on: bool,
    /// Whether it can be turned off.
    pub optional: bool,
}

/// The user's choices, for the page.
pub async fn choices(state: &AppState, user: &CurrentUser) -> Result<Vec<AlertChoice>, AppError> {
    let id = user.user.id;
    let prefs = state.db(move |c| alerts::preferences(c, id)).await?;
    Ok(prefs
        .into_iter()
        .map(|(alert, on)| AlertChoice {
            code: alert.code(),
            label: alert.label(),
            on,
            optional: alert.can_turn_off(),
        })
        .collect())
}

/// `POST /settings/profile/alerts`: keeps the checked alerts; an unknown value is ignored.
pub async fn save(
    current: CurrentUser,
    session: Session,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let pairs: Vec<(String, String)> =
        serde_html_form::from_bytes(&body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let on: Vec<Alert> = pairs
        .iter()
        .filter(|(k, _)| k == "alerts")
        .filter_map(|(_, v)| Alert::parse(v))
        .collect();
    let id = current.user.id;
    state
        .db(move |c| alerts::set_preferences(c, id, &on))
        .await?;
    Flash::success("Your email alerts are saved.").set(&session)?;
    Ok(see_other(&format!("{PATH}#alerts")))
}
