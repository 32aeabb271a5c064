//! Edit, roll and delete a token: `/developers/access-tokens/{id}/edit|roll|delete`. Each GET shows
//! the form (in the dialog with htmx, as a page without); each POST makes the change.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::db::models::{AccessToken, TokenId};
use crate::domain::tokens::lifecycle::{self, Grace, LifecycleError};
use crate::domain::tokens::{self, TokenInput};
use crate::web::current_user::{MerchantAdmin, MerchantUser};
use crate::web::error::AppError;
use crate::web::member_fragment_or_page;
use crate::web::once::{already_used, mark_used, new_submission_id};
use crate::web::state::AppState;
use crate::web::tokens::PATH;
use crate::web::tokens::create::{form_response, reveal_response};
use crate::web::tokens::views::{FormView, RevealView, TokenRow};
use crate::web::{Chrome, Flash, redirect};

/// The roll or delete form's state.
pub struct Confirm {
    pub row: TokenRow,
    pub submission_id: String,
    pub typed: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "access_tokens/_roll.html")]
struct RollFragment {
    c: Confirm,
    csrf_token: String,
}

#[derive(Template)]
#[template(path = "access_tokens/roll.html")]
struct RollPage {
    page: Chrome,
    c: Confirm,
    csrf_token: String,
}

#[derive(Template)]
#[template(path = "access_tokens/_delete.html")]
struct DeleteFragment {
    c: Confirm,
    csrf_token: String,
}

#[derive(Template)]
#[template(path = "access_tokens/delete.html")]
struct DeletePage {
    page: Chrome,
    c: Confirm,
    csrf_token: String,
}

async fn load(
    state: &web::Data<AppState>,
    member: &MerchantUser,
    id: i64,
) -> Result<AccessToken, AppError> {
    let merchant = member.merchant.id;
    state
        .db(move |c| AccessToken::find_for_merchant(c, merchant, TokenId(id)))
        .await
}

/// `GET /developers/access-tokens/{id}/edit`.
pub async fn edit_form(
    req: HttpRequest,
    admin: MerchantAdmin,
    session: Session,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let token = load(&state, &admin.0, path.into_inner()).await?;
    form_response(
        &req,
        &session,
        &admin.0,
        StatusCode::OK,
        FormView::for_token(&token, admin.0.merchant.rate_limit)
            .within(admin.0.merchant.max_token_lifetime_days),
    )
}

/// `POST /developers/access-tokens/{id}/edit`: the same validation and messages as create.
pub async fn edit(
    req: HttpRequest,
    admin: MerchantAdmin,
    session: Session,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let member = admin.0;
    let id = path.into_inner();
    load(&state, &member, id).await?;
    let input: TokenInput =
        serde_html_form::from_bytes(&body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let rules = tokens::Rules::for_merchant(member.merchant.max_token_lifetime_days);
    // A form error from validation, or from the database (the name is taken): one answer.
    let updated = match tokens::validate(&input, &rules) {
        Err(errors) => Err(errors),
        Ok(spec) => {
            let (merchant, actor) = (
                member.merchant.id,
                crate::web::actor(&req, &state, &member.user),
            );
            let cache = state.token_cache.clone();
            state
                .db(move |c| {
                    match lifecycle::update(c, &cache, merchant, TokenId(id), &actor, &spec) {
                        Err(LifecycleError::DuplicateName(name)) => Ok(Err(name)),
                        other => other.map(Ok),
                    }
                })
                .await?
                .map_err(|name| tokens::FieldErrors::duplicate_name(&name))
        }
    };
    let token = match updated {
        Ok(token) => token,
        Err(errors) => {
            let form = FormView::editing(id, &input, errors, member.merchant.rate_limit)
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
    Flash::success(format!(
        "“{}” saved. Its credentials are unchanged.",
        token.name
    ))
    .set(&session)?;
    Ok(redirect(&req, PATH))
}

fn confirm(token: &AccessToken) -> Result<Confirm, AppError> {
    Ok(Confirm {
        row: TokenRow::new(token),
        submission_id: new_submission_id()?,
        typed: String::new(),
        error: None,
    })
}

fn roll_response(
    req: &HttpRequest,
    session: &Session,
    member: &MerchantUser,
    status: StatusCode,
    c: Confirm,
) -> Result<HttpResponse, AppError> {
    member_fragment_or_page(
        req,
        (session, member, "tokens"),
        status,
        c,
        |c, csrf_token| RollFragment { c, csrf_token },
        |page, c, csrf_token| RollPage {
            page,
            c,
            csrf_token,
        },
    )
}

/// `GET /developers/access-tokens/{id}/roll`.
pub async fn roll_form(
    req: HttpRequest,
    admin: MerchantAdmin,
    session: Session,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let token = load(&state, &admin.0, path.into_inner()).await?;
    roll_response(&req, &session, &admin.0, StatusCode::OK, confirm(&token)?)
}

/// The roll form.
#[derive(Debug, serde::Deserialize)]
pub struct RollForm {
    #[serde(default)]
    window: String,
    new_key: Option<String>,
    #[serde(default)]
    submission_id: String,
}

/// `POST /developers/access-tokens/{id}/roll`: new credentials, revealed once.
pub async fn roll(
    req: HttpRequest,
    admin: MerchantAdmin,
    session: Session,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<RollForm>,
) -> Result<HttpResponse, AppError> {
    let member = admin.0;
    let id = path.into_inner();
    let token = load(&state, &member, id).await?;
    let RollForm {
        window,
        new_key,
        submission_id,
    } = form.into_inner();
    if already_used(&session, &submission_id) {
        Flash::success("That roll was already done: its credentials were shown once and cannot be shown again.").set(&session)?;
        return Ok(redirect(&req, PATH));
    }
    let Some(grace) = Grace::parse(&window) else {
        let mut c = confirm(&token)?;
        c.error = Some("Choose how long the old secret keeps working.".into());
        return roll_response(&req, &session, &member, StatusCode::UNPROCESSABLE_ENTITY, c);
    };
    let (merchant, actor, keyring) = (
        member.merchant.id,
        crate::web::actor(&req, &state, &member.user),
        state.keyring.clone(),
    );
    let (new_key, cache) = (new_key.is_some(), state.token_cache.clone());
    let (token, rolled) = state
        .db(move |c| {
            lifecycle::roll(
                c,
                &cache,
                &keyring,
                (merchant, TokenId(id)),
                &actor,
                lifecycle::RollChoice { grace, new_key },
            )
            .map_err(AppError::from)
        })
        .await?;
    mark_used(&session, submission_id)?;
    let reveal = RevealView {
        token_name: token.name.clone(),
        key_kept: rolled.api_key.is_none().then(|| token.partial_key()),
        api_key: rolled.api_key,
        rolled: true,
        api_secret: rolled.api_secret,
        public_key: token.public_key.clone(),
    };
    reveal_response(&req, &session, &state, &member, reveal).await
}

fn delete_response(
    req: &HttpRequest,
    session: &Session,
    member: &MerchantUser,
    status: StatusCode,
    c: Confirm,
) -> Result<HttpResponse, AppError> {
    member_fragment_or_page(
        req,
        (session, member, "tokens"),
        status,
        c,
        |c, csrf_token| DeleteFragment { c, csrf_token },
        |page, c, csrf_token| DeletePage {
            page,
            c,
            csrf_token,
        },
    )
}

/// `GET /developers/access-tokens/{id}/delete`.
pub async fn delete_form(
    req: HttpRequest,
    admin: MerchantAdmin,
    session: Session,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let token = load(&state, &admin.0, path.into_inner()).await?;
    delete_response(&req, &session, &admin.0, StatusCode::OK, confirm(&token)?)
}

/// The delete form.
#[derive(Debug, serde::Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    confirm_name: String,
}

/// `POST /developers/access-tokens/{id}/delete`: only with the token's name typed back.
pub async fn delete(
    req: HttpRequest,
    admin: MerchantAdmin,
    session: Session,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    let member = admin.0;
    let id = path.into_inner();
    let typed = form.into_inner().confirm_name;
    let (merchant, actor, name) = (
        member.merchant.id,
        crate::web::actor(&req, &state, &member.user),
        typed.clone(),
    );
    let cache = state.token_cache.clone();
    let result = state
        .db(
            move |c| match lifecycle::delete(c, &cache, merchant, TokenId(id), &actor, &name) {
                Err(LifecycleError::NameMismatch) => Ok(None),
                other => other.map(Some).map_err(AppError::from),
            },
        )
        .await?;
    let Some(token) = result else {
        let token = load(&state, &member, id).await?;
        let mut c = confirm(&token)?;
        c.typed = typed;
        c.error = Some(format!(
            "Type the token's name, “{}”, exactly to delete it.",
            token.name
        ));
        return delete_response(&req, &session, &member, StatusCode::UNPROCESSABLE_ENTITY, c);
    };
    Flash::success(format!(
        "“{}” deleted: it can never be used again. Its history is kept.",
        token.name
    ))
    .set(&session)?;
    Ok(redirect(&req, PATH))
}
