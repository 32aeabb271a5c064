//! Creating a token: the form (in the dialog with htmx, a page without), the create itself, and the
//! one-time reveal of its credentials.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::domain::tokens::{self, CreateError, FieldErrors, TokenInput};
use crate::web::csrf;
use crate::web::current_user::{MerchantAdmin, MerchantUser};
use crate::web::error::AppError;
use crate::web::member_fragment_or_page;
use crate::web::once::{already_used, mark_used, new_submission_id};
use crate::web::state::AppState;
use crate::web::tokens::PATH;
use crate::web::tokens::index::{current_view, list_page};
use crate::web::tokens::pages::{FormFragment, NewPage, RevealFragment, RevealPage};
use crate::web::tokens::views::{FormView, RevealView};
use crate::web::{Chrome, Flash, html, is_htmx, redirect};

/// Renders the create form: a fragment for the dialog, or a full page without JavaScript.
pub fn form_response(
    req: &HttpRequest,
    session: &Session,
    member: &MerchantUser,
    status: StatusCode,
    form: FormView,
) -> Result<HttpResponse, AppError> {
    member_fragment_or_page(
        req,
        (session, member, "tokens"),
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

/// `GET /developers/access-tokens/new`.
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
        FormView::blank(
            new_submission_id()?,
            admin.0.merchant.max_token_lifetime_days,
        ),
    )
}

#[derive(serde::Deserialize)]
struct Submission {
    #[serde(default)]
    submission_id: String,
}

/// `POST /developers/access-tokens`: validates, creates in one transaction, and reveals the
/// credentials once (`no-store`).
pub async fn create(
    req: HttpRequest,
    admin: MerchantAdmin,
    session: Session,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let member = admin.0;
    let unreadable = |e: serde_html_form::de::Error| AppError::BadRequest(e.to_string());
    let input: TokenInput = serde_html_form::from_bytes(&body).map_err(unreadable)?;
    let Submission { submission_id } = serde_html_form::from_bytes(&body).map_err(unreadable)?;

    if already_used(&session, &submission_id) {
        Flash::success(
            "That form was already used: its token was created and its credentials were shown once. \
             They cannot be shown again; create another token if you did not store them.",
        )
        .set(&session)?;
        return Ok(redirect(&req, PATH));
    }

    let rules = tokens::Rules::for_merchant(member.merchant.max_token_lifetime_days);
    let merchant = member.merchant.id;
    // A form error from validation, or from the database (the name is taken): one answer.
    let created = match tokens::validate(&input, &rules) {
        Err(errors) => Err(errors),
        Ok(spec) => {
            let actor = crate::web::actor(&req, &state, &member.user);
            let keyring = state.keyring.clone();
            state
                .db(
                    move |c| match tokens::create(c, &keyring, merchant, &actor, &spec) {
                        Err(CreateError::DuplicateName(name)) => Ok(Err(name)),
                        other => other.map(Ok),
                    },
                )
                .await?
                .map_err(|name| FieldErrors::duplicate_name(&name))
        }
    };
    let (token, credentials) = match created {
        Ok(created) => created,
        Err(errors) => {
            let id = if submission_id.is_empty() {
                new_submission_id()?
            } else {
                submission_id
            };
            let form = FormView::from_input(&input, errors, id)
                .within(member.merchant.max_token_lifetime_days);
            return form_response(
                &req,
                &session,
                &member,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
            );
        }
    };
    tracing::info!(
        token = token.id.0,
        merchant = merchant.0,
        "access token created"
    );

    mark_used(&session, submission_id)?;

    let reveal = RevealView::new(&token, credentials);
    reveal_response(&req, &session, &state, &member, reveal).await
}

/// Shows credentials once: in the dialog with the refreshed table behind it (htmx), or as a page.
pub async fn reveal_response(
    req: &HttpRequest,
    session: &Session,
    state: &web::Data<AppState>,
    member: &MerchantUser,
    reveal: RevealView,
) -> Result<HttpResponse, AppError> {
    if is_htmx(req) {
        // The table behind the dialog, redrawn as the reader was viewing it; read afresh, since this
        // very request changed the tokens.
        let (tokens, list, _) = list_page(state, member, current_view(req), None).await?;
        let fragment = RevealFragment {
            reveal,
            tokens,
            can_manage: true,
            list,
            csrf_token: csrf::token(session)?,
        };
        html(StatusCode::OK, &fragment)
    } else {
        html(
            StatusCode::OK,
            &RevealPage {
                page: Chrome::for_member(session, member)?,
                reveal,
            },
        )
    }
}
