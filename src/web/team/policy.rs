//! Settings › Teams, two-factor: requiring it of every member, and resetting a member's second
//! factor (they lost their phone). A reset ends the member's sessions; nobody can read a secret back.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::db::models::{User, UserId};
use crate::domain::auth::two_factor::{self, TwoFactorError};
use crate::web::current_user::MerchantAdmin;
use crate::web::error::AppError;
use crate::web::state::AppState;
use crate::web::team::PATH;
use crate::web::{Chrome, Flash, html, see_other};

/// The policy form.
#[derive(serde::Deserialize)]
pub struct PolicyForm {
    #[serde(default)]
    require: String,
}

/// `POST /settings/teams/two-factor`.
pub async fn set_policy(
    req: HttpRequest,
    admin: MerchantAdmin,
    session: Session,
    state: web::Data<AppState>,
    form: web::Form<PolicyForm>,
) -> Result<HttpResponse, AppError> {
    let require = match form.require.as_str() {
        "true" => true,
        "false" => false,
        other => return Err(AppError::BadRequest(format!("require: {other:?}"))),
    };
    let member = admin.0;
    let actor = crate::web::actor(&req, &state, &member.user);
    let (user, merchant) = (member.user.clone(), member.merchant.clone());
    let changed = state
        .database
        .call(move |c| two_factor::set_policy(c, &actor, &user, &merchant, require))
        .await;
    let flash = match changed {
        Ok(_) if require => Flash::success(
            "Two-factor sign-in is now required. Members without it set it up at their next page.",
        ),
        Ok(_) => Flash::success("Two-factor sign-in is no longer required."),
        Err(TwoFactorError::NotOn) => {
            Flash::error("Turn on two-factor sign-in for your own account first.")
        }
        Err(e) => return Err(e.into()),
    };
    flash.set(&session)?;
    Ok(see_other(PATH))
}

#[derive(Template)]
#[template(path = "team/reset_two_factor.html")]
struct ResetPage {
    page: Chrome,
    member: User,
}

async fn member_of(state: &AppState, admin: &MerchantAdmin, id: i64) -> Result<User, AppError> {
    let merchant = admin.0.merchant.id;
    state
        .db(move |c| User::find_in_merchant(c, merchant, UserId(id)))
        .await
}

/// `GET /settings/teams/{id}/two-factor`: asks to confirm the reset.
pub async fn confirm_reset(
    admin: MerchantAdmin,
    session: Session,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let member = member_of(&state, &admin, id.into_inner()).await?;
    if member.id == admin.0.user.id {
        return Err(AppError::Forbidden(
            "Manage your own two-factor sign-in from your profile.",
        ));
    }
    let page = ResetPage {
        page: Chrome::for_member(&session, &admin.0)?.at("teams"),
        member,
    };
    html(StatusCode::OK, &page)
}

/// `POST /settings/teams/{id}/two-factor`: resets it, ending the member's sessions.
pub async fn reset(
    req: HttpRequest,
    admin: MerchantAdmin,
    session: Session,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let member = member_of(&state, &admin, id.into_inner()).await?;
    if member.id == admin.0.user.id {
        return Err(AppError::Forbidden(
            "Manage your own two-factor sign-in from your profile.",
        ));
    }
    let actor = crate::web::actor(&req, &state, &admin.0.user);
    let email = member.email.clone();
    let reset = state
        .database
        .call(move |c| two_factor::reset(c, &actor, &member))
        .await;
    let flash = match reset {
        Ok(_) => Flash::success(format!(
            "Two-factor sign-in of {email} was reset and their sessions ended. They set it up again at their next sign-in if it is required."
        )),
        Err(TwoFactorError::NotOn) => Flash::success(format!("{email} had no two-factor sign-in.")),
        Err(e) => return Err(e.into()),
    };
    flash.set(&session)?;
    Ok(see_other(PATH))
}
