//! Changing a member's role and disabling or enabling them: a confirmation (`GET`, a dialog with
//! htmx or a page without), then the change (`POST`). htmx gets the row to swap; a plain form gets a
//! 303 back to the list with a flash message. A refused change changes nothing and says why.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use diesel::result::Error as DieselError;

use crate::db::models::{Role, User, UserId};
use crate::domain::users::team::{self, TeamChange, TeamError};
use crate::web::current_user::MerchantAdmin;
use crate::web::error::AppError;
use crate::web::member_fragment_or_page;
use crate::web::state::AppState;
use crate::web::team::PATH;
use crate::web::team::views::{
    ConfirmFragment, ConfirmPage, ConfirmView, MemberRow, RowFragment, refusal_message,
};
use crate::web::{Flash, ascii_json, html, is_htmx, redirect, see_other};

/// Query of the role confirmation.
#[derive(Debug, serde::Deserialize)]
pub struct RoleQuery {
    role: Option<String>,
}

/// Query of the status confirmation.
#[derive(Debug, serde::Deserialize)]
pub struct StatusQuery {
    status: Option<String>,
}

/// The role form.
#[derive(Debug, serde::Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

/// The status form.
#[derive(Debug, serde::Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
}

/// A role a merchant user may be given.
fn role_change(text: &str) -> Result<TeamChange, AppError> {
    match text {
        "admin" => Ok(TeamChange::Role(Role::Admin)),
        "viewer" => Ok(TeamChange::Role(Role::Viewer)),
        other => Err(AppError::BadRequest(format!("unknown role {other:?}"))),
    }
}

fn status_change(text: &str) -> Result<TeamChange, AppError> {
    match text {
        "disabled" => Ok(TeamChange::Disable),
        "active" => Ok(TeamChange::Enable),
        other => Err(AppError::BadRequest(format!("unknown status {other:?}"))),
    }
}

/// `GET /settings/teams/{id}/role`: asks before changing a role (to the other one by default).
pub async fn confirm_role(
    req: HttpRequest,
    admin: MerchantAdmin,
    session: Session,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<RoleQuery>,
) -> Result<HttpResponse, AppError> {
    let wanted = query.role.as_deref().map(role_change).transpose()?;
    let default = |u: &User| match u.role {
        Role::Admin => TeamChange::Role(Role::Viewer),
        _ => TeamChange::Role(Role::Admin),
    };
    confirm(req, admin, session, state, UserId(*path), wanted, default).await
}

/// `GET /settings/teams/{id}/status`: asks before disabling or enabling (the opposite by default).
pub async fn confirm_status(
    req: HttpRequest,
    admin: MerchantAdmin,
    session: Session,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<StatusQuery>,
) -> Result<HttpResponse, AppError> {
    let wanted = query.status.as_deref().map(status_change).transpose()?;
    let default = |u: &User| match u.disabled {
        true => TeamChange::Enable,
        false => TeamChange::Disable,
    };
    confirm(req, admin, session, state, UserId(*path), wanted, default).await
}

/// The confirmation of a change, or why it cannot be made (then without a button).
async fn confirm(
    req: HttpRequest,
    admin: MerchantAdmin,
    session: Session,
    state: web::Data<AppState>,
    id: UserId,
    wanted: Option<TeamChange>,
    default: impl FnOnce(&User) -> TeamChange + Send + 'static,
) -> Result<HttpResponse, AppError> {
    let member = admin.0;
    let merchant = member.merchant.id;
    let actor = crate::web::actor(&req, &state, &member.user);
    let (user, change, refused) = state
        .db(move |c| -> Result<_, DieselError> {
            let user = User::find_in_merchant(c, merchant, id)?;
            let change = wanted.unwrap_or_else(|| default(&user));
            let refused = team::refusal(c, &user, change, &actor)?;
            Ok((user, change, refused))
        })
        .await?;
    let row = MemberRow::new(&user, member.user.id);
    let confirm = ConfirmView {
        refusal: refused.map(|r| refusal_message(r, &row.email, row.is_you)),
        member: row,
        change,
    };
    member_fragment_or_page(
        &req,
        (&session, &member, "teams"),
        StatusCode::OK,
        confirm,
        |confirm, csrf_token| ConfirmFragment {
            confirm,
            csrf_token,
        },
        |page, confirm, csrf_token| ConfirmPage {
            page,
            confirm,
            csrf_token,
        },
    )
}

/// `POST /settings/teams/{id}/role`.
pub async fn set_role(
    req: HttpRequest,
    admin: MerchantAdmin,
    session: Session,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let change = role_change(&form.role)?;
    apply(req, admin, session, state, UserId(*path), change).await
}

/// `POST /settings/teams/{id}/status`: disabling also ends every session the user has.
pub async fn set_status(
    req: HttpRequest,
    admin: MerchantAdmin,
    session: Session,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<StatusForm>,
) -> Result<HttpResponse, AppError> {
    let change = status_change(&form.status)?;
    apply(req, admin, session, state, UserId(*path), change).await
}

/// Makes the change and answers: the swapped row with htmx, a 303 and a flash without.
async fn apply(
    req: HttpRequest,
    admin: MerchantAdmin,
    session: Session,
    state: web::Data<AppState>,
    id: UserId,
    change: TeamChange,
) -> Result<HttpResponse, AppError> {
    let member = admin.0;
    let (merchant, you) = (member.merchant.id, member.user.id);
    let actor = crate::web::actor(&req, &state, &member.user);
    let outcome = state
        .db(move |c| Ok::<_, AppError>(team::apply(c, merchant, id, change, &actor)))
        .await?;
    let applied = match outcome {
        Ok(applied) => applied,
        Err(TeamError::Refused(refusal)) => {
            // Only a stale page or a race gets here: the confirmation already said why.
            let email = state
                .db(move |c| User::find_in_merchant(c, merchant, id))
                .await?
                .email;
            let message = refusal_message(refusal, &email, id == you);
            error_flash(message).set(&session)?;
            return Ok(redirect(&req, PATH));
        }
        Err(TeamError::Db(e)) => return Err(e.into()),
    };
    let user = applied.user;
    tracing::info!(user = user.id.0, merchant = merchant.0, change = ?change, changed = applied.changed, "team member changed");
    let message = done_message(&user.email, change, applied.changed, id == you);
    if id == you && change == TeamChange::Role(Role::Viewer) {
        // They are no longer an admin: this page is not theirs any more.
        Flash::success(message).set(&session)?;
        return Ok(redirect(&req, crate::web::tokens::PATH));
    }
    if !is_htmx(&req) {
        Flash::success(message).set(&session)?;
        return Ok(see_other(PATH));
    }
    let mut res = html(
        StatusCode::OK,
        &RowFragment {
            member: MemberRow::new(&user, you),
        },
    )?;
    let trigger = ascii_json(&serde_json::json!({ "kwik:flash": { "message": message } }));
    if let Ok(value) = HeaderValue::from_str(&trigger) {
        res.headers_mut()
            .insert(HeaderName::from_static("hx-trigger"), value);
    }
    Ok(res)
}

/// What the flash says after a change.
fn done_message(email: &str, change: TeamChange, changed: bool, is_you: bool) -> String {
    let (subject, they) = if is_you {
        ("You are".to_owned(), "you")
    } else {
        (format!("{email} is"), "they")
    };
    match (change, changed) {
        (TeamChange::Role(Role::Admin), true) => {
            format!("{subject} now an admin: {they} can manage access tokens and the team.")
        }
        (TeamChange::Role(_), true) => {
            format!("{subject} now a viewer: {they} can see access tokens but change nothing.")
        }
        (TeamChange::Role(role), false) => {
            format!(
                "{subject} already {}.",
                crate::web::team::article(role.label())
            )
        }
        (TeamChange::Disable, true) => format!(
            "{subject} disabled and signed out everywhere. The merchant's access tokens keep working."
        ),
        (TeamChange::Enable, true) => {
            format!("{subject} active again and can sign in with the same password.")
        }
        (TeamChange::Disable, false) => format!("{subject} already disabled."),
        (TeamChange::Enable, false) => format!("{subject} already active."),
    }
}

/// A flash message for a refusal.
fn error_flash(message: String) -> Flash {
    Flash {
        kind: "error".into(),
        message,
    }
}
