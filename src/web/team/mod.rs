//! Settings › Teams: a merchant admin lists their merchant's users and adds one, with a generated
//! password shown once or a password the admin sets. Role and status changes are in [`changes`].
//! Every route takes [`MerchantAdmin`]: viewers and Kwik support get its 403 page.

mod changes;
pub mod policy;
mod views;

pub use changes::{confirm_role, confirm_status, set_role, set_status};

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use self::views::{
    FormFragment, IndexPage, MemberForm, MemberRow, NewPage, RevealFragment, RevealPage, RevealView,
};
use crate::db::models::{MerchantId, User, UserId};
use crate::domain::users::new_member::{
    DUPLICATE_EMAIL, MemberErrors, MemberInput, validate_member,
};
use crate::domain::users::{self, AddUserError};
use crate::web::current_user::{MerchantAdmin, MerchantUser};
use crate::web::error::AppError;
use crate::web::member_fragment_or_page;
use crate::web::state::AppState;
use crate::web::{Chrome, Flash, html, is_htmx};

/// Where the page lives (Kwik's Settings › Teams).
pub const PATH: &str = "/settings/teams";

/// The merchant's users as rows, as `you` sees them.
async fn rows(
    state: &AppState,
    merchant: MerchantId,
    you: UserId,
) -> Result<Vec<MemberRow>, AppError> {
    let users = state
        .db(move |c| User::list_for_merchant(c, merchant))
        .await?;
    Ok(users.iter().map(|u| MemberRow::new(u, you)).collect())
}

/// `GET /settings/teams`.
pub async fn index(
    admin: MerchantAdmin,
    session: Session,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let member = admin.0;
    let page = IndexPage {
        members: rows(&state, member.merchant.id, member.user.id).await?,
        require_two_factor: member.merchant.require_two_factor,
        you_have_two_factor: member.user.totp_enabled_at.is_some(),
        page: Chrome::for_member(&session, &member)?.at("teams"),
    };
    html(StatusCode::OK, &page)
}

/// Renders the add form: a fragment for the dialog, or a full page without JavaScript.
fn form_response(
    req: &HttpRequest,
    session: &Session,
    member: &MerchantUser,
    status: StatusCode,
    form: MemberForm,
) -> Result<HttpResponse, AppError> {
    member_fragment_or_page(
        req,
        (session, member, "teams"),
        status,
        form,
        |form, csrf_token| FormFragment { form, csrf_token },
        |page, form, csrf_token| NewPage {
            page,
            form,
            csrf_token,
        },
    )
}

/// `GET /settings/teams/new`.
pub async fn new_form(
    req: HttpRequest,
    admin: MerchantAdmin,
    session: Session,
) -> Result<HttpResponse, AppError> {
    form_response(
        &req,
        &session,
        &admin.0,
        StatusCode::OK,
        MemberForm::default(),
    )
}

/// `POST /settings/teams`: validates, adds the user in one transaction (with its `user.added`
/// event), then shows a generated password once (`no-store`, like every dynamic page), or goes back
/// to the list when the admin set the password.
pub async fn create(
    req: HttpRequest,
    admin: MerchantAdmin,
    session: Session,
    state: web::Data<AppState>,
    form: web::Form<MemberInput>,
) -> Result<HttpResponse, AppError> {
    let member = admin.0;
    let input = form.into_inner();
    let invalid = |errors: MemberErrors| {
        let form = MemberForm::from_input(&input, errors);
        form_response(
            &req,
            &session,
            &member,
            StatusCode::UNPROCESSABLE_ENTITY,
            form,
        )
    };
    let spec = match validate_member(&input) {
        Ok(spec) => spec,
        Err(errors) => return invalid(errors),
    };

    let (merchant, role) = (member.merchant.id, spec.role);
    let actor = crate::web::actor(&req, &state, &member.user);
    // The hash runs on the hashing threads, the one limiter every hash goes through, and holds no
    // database connection: the insert that follows takes one only for the transaction.
    let added = match users::prepare_member(merchant, &spec.email, spec.role, spec.password) {
        Ok(prepared) => {
            let hash = state
                .hashing
                .hash(prepared.password().clone())
                .await
                .map_err(AppError::internal)?;
            state
                .db(move |c| {
                    let user = users::insert(c, &actor, &prepared, &hash);
                    Ok::<_, AppError>(user.map(|user| (user, prepared.generated())))
                })
                .await?
        }
        Err(e) => Err(e),
    };
    let (user, generated) = match added {
        Ok(added) => added,
        Err(AddUserError::DuplicateEmail(_)) => {
            return invalid(MemberErrors {
                email: Some(DUPLICATE_EMAIL.into()),
                ..MemberErrors::default()
            });
        }
        Err(other) => return Err(other.into()),
    };
    tracing::info!(user = user.id.0, merchant = merchant.0, "team member added");

    let Some(password) = generated else {
        let message = format!(
            "{} was added as {}. Give them the password you set through a safe channel.",
            user.email,
            article(role.label())
        );
        Flash::success(message).set(&session)?;
        return Ok(crate::web::redirect(&req, PATH));
    };
    let reveal = RevealView {
        email: user.email,
        role: role.label(),
        password,
    };
    if is_htmx(&req) {
        let members = rows(&state, merchant, member.user.id).await?;
        html(StatusCode::OK, &RevealFragment { reveal, members })
    } else {
        let page = Chrome::for_member(&session, &member)?.at("teams");
        html(StatusCode::OK, &RevealPage { page, reveal })
    }
}

/// `an Admin`, `a Viewer`.
fn article(label: &str) -> String {
    if label.starts_with(['A', 'E', 'I', 'O', 'U']) {
        format!("an {label}")
    } else {
        format!("a {label}")
    }
}
