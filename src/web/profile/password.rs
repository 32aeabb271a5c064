//! `POST /settings/profile/password`: change one's own password. Every other session of the user
//! ends at once (on every instance: sessions live in the database); this one is renewed.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use zeroize::Zeroizing;

use super::{PATH, PasswordErrors, render};
use crate::domain::auth::profile::{self, PasswordChange, PasswordChangeError};
use crate::domain::auth::totp::unix_now;
use crate::web::current_user::CurrentUser;
use crate::web::error::AppError;
use crate::web::session_store::{MARKER_KEY, SUDO_AT_KEY};
use crate::web::state::AppState;
use crate::web::{Flash, see_other};

/// The form.
#[derive(serde::Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

/// The id hash of this request's own session, found by its marker among the user's sessions.
pub(super) async fn own_session(
    state: &AppState,
    session: &Session,
    user: crate::db::models::UserId,
) -> Result<Option<Vec<u8>>, AppError> {
    let Some(mine) = session.get::<String>(MARKER_KEY).ok().flatten() else {
        return Ok(None);
    };
    let rows = profile::sessions(&state.database, user).await?;
    Ok(rows
        .into_iter()
        .find(|row| super::sessions::marker_of(&row.state).as_deref() == Some(mine.as_str()))
        .map(|row| row.id_hash))
}

/// `POST /settings/profile/password`.
pub async fn change(
    req: HttpRequest,
    current: CurrentUser,
    session: Session,
    state: web::Data<AppState>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let change = PasswordChange {
        current: Zeroizing::new(form.current_password),
        new: Zeroizing::new(form.new_password),
        confirm: Zeroizing::new(form.confirm_password),
    };
    let keep = own_session(&state, &session, current.user.id).await?;
    let actor = crate::web::actor(&req, &state, &current.user);
    let changed = profile::change_password(
        &state.database,
        &state.hashing,
        actor,
        current.user.id,
        change,
        keep,
    )
    .await;
    let errors = match changed {
        Ok(ended) => {
            // A new session id after the change; the password just proven is a re-authentication.
            session.renew();
            session
                .insert(SUDO_AT_KEY, unix_now())
                .map_err(AppError::internal)?;
            crate::web::csrf::rotate(&session)?;
            let others = match ended {
                0 => String::new(),
                1 => " Your 1 other session was signed out.".to_owned(),
                n => format!(" Your {n} other sessions were signed out."),
            };
            Flash::success(format!("Your password was changed.{others}")).set(&session)?;
            return Ok(see_other(PATH));
        }
        Err(
            e @ (PasswordChangeError::WrongCurrent
            | PasswordChangeError::MissingCurrent
            | PasswordChangeError::Throttled(_)),
        ) => PasswordErrors {
            current: Some(e.to_string()),
            new: None,
        },
        Err(
            e @ (PasswordChangeError::Weak(_)
            | PasswordChangeError::Mismatch
            | PasswordChangeError::Unchanged),
        ) => PasswordErrors {
            current: None,
            new: Some(e.to_string()),
        },
        Err(PasswordChangeError::Db(e)) => return Err(e.into()),
        Err(e @ PasswordChangeError::Hash(_)) => return Err(AppError::internal(e)),
    };
    let status = if errors
        .current
        .as_deref()
        .is_some_and(|m| m.starts_with("Too many"))
    {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(&current, &session, &state, status, errors).await
}
