//! The Access Tokens screen: table, create (modal or page), one-time reveal, enable/disable.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::token_views::*;
use super::{Chrome, Flash, ascii_json, html, html_around_rows, is_htmx, redirect, token_list};
use crate::db::models::{AccessToken, TokenId};
use crate::domain::credentials::TokenStatus;
use crate::domain::tokens::{self, TokenInput};
use crate::web::csrf;
use crate::web::current_user::{MerchantAdmin, MerchantUser};
use crate::web::error::AppError;
use crate::web::state::AppState;

/// Where the screen lives.
pub const PATH: &str = "/developers/access-tokens";

/// Session key of the create forms already used, so a resubmitted form (reload, back) never creates a
/// second token.
const SPENT_FORMS_KEY: &str = "spent_forms";
/// How many used form ids a session remembers.
const SPENT_FORMS_KEPT: usize = 20;

/// Whether a one-time form (create, roll) with this id was already submitted in this session.
pub fn already_used(session: &Session, submission_id: &str) -> bool {
    let spent: Vec<String> = session
        .get(SPENT_FORMS_KEY)
        .ok()
        .flatten()
        .unwrap_or_default();
    !submission_id.is_empty() && spent.iter().any(|s| s == submission_id)
}

/// Remembers that a one-time form was submitted, so a reload or a back button cannot repeat it.
pub fn mark_used(session: &Session, submission_id: String) -> Result<(), AppError> {
    if submission_id.is_empty() {
        return Ok(());
    }
    let mut spent: Vec<String> = session
        .get(SPENT_FORMS_KEY)
        .ok()
        .flatten()
        .unwrap_or_default();
    spent.push(submission_id);
    let excess = spent.len().saturating_sub(SPENT_FORMS_KEPT);
    spent.drain(..excess);
    session
        .insert(SPENT_FORMS_KEY, &spent)
        .map_err(AppError::internal)
}

/// A random id for a one-time form.
pub fn new_submission_id() -> Result<String, AppError> {
    Ok(URL_SAFE_NO_PAD
        .encode(crate::domain::credentials::random_bytes::<16>().map_err(AppError::internal)?))
}

/// `GET /developers/access-tokens`: one page of the merchant's tokens, searched, filtered and sorted
/// as the query string says (see [`token_list`]). htmx gets the results region only, with the view's
/// clean address to push.
pub async fn index(
    req: HttpRequest,
    member: MerchantUser,
    session: Session,
    state: web::Data<AppState>,
    query: web::Query<token_list::ListQuery>,
) -> Result<HttpResponse, AppError> {
    let request = token_list::read(&query);
    if request.scrubbed {
        // A credential pasted into the search leaves the address bar (and the history) at once.
        if let Some(notice) = request.notices.first() {
            Flash {
                kind: notice.kind.to_owned(),
                message: notice.text.clone(),
            }
            .set(&session)?;
        }
        return Ok(redirect(&req, &request.url(1)));
    }
    let can_manage = member.can_manage_tokens();
    // The version was read with the merchant, at the start of this request: see `token_list::cache`.
    let version = Some(member.merchant.tokens_version);
    let (tokens, list, reused) = list_page(&state, &member, request, version).await?;
    // Rows compress once, when their page is first reused; a page read afresh goes out as it is.
    let gzip = reused && crate::infra::gzip::accepted(req.headers());
    let mut res = if is_htmx(&req) {
        let url = list.url.clone();
        let mut res = html_around_rows(StatusCode::OK, &tokens, gzip, |tokens| {
            token_list::ResultsFragment {
                tokens,
                can_manage,
                list,
            }
        })?;
        if let Ok(value) = HeaderValue::from_str(&url) {
            res.headers_mut()
                .insert(HeaderName::from_static("hx-push-url"), value);
        }
        res
    } else {
        let page = Chrome::for_member(&session, &member)?;
        html_around_rows(StatusCode::OK, &tokens, gzip, |tokens| IndexPage {
            page,
            tokens,
            can_manage,
            list,
        })?
    };
    // The same address answers a page or a fragment, compressed or not: caches must tell them apart.
    res.headers_mut().insert(
        header::VARY,
        HeaderValue::from_static("HX-Request, Accept-Encoding"),
    );
    Ok(res)
}

/// The rows and the view of one page of the table, and whether the rows were reused. With the
/// merchant's `tokens_version` as read at the start of the request, a page rendered at that version is
/// reused (see `token_list::cache`); with `None` (this request changed the tokens) it is read afresh.
async fn list_page(
    state: &web::Data<AppState>,
    member: &MerchantUser,
    request: token_list::ListRequest,
    version: Option<i64>,
) -> Result<(Rows, token_list::ListView, bool), AppError> {
    let merchant = member.merchant.id;
    let can_manage = member.can_manage_tokens();
    let view = request.url(request.page);
    let cached = version.and_then(|v| state.list_cache.get(merchant, can_manage, &view, v));
    let reused = cached.is_some();
    let (summary, rows) = match cached {
        Some(hit) => hit,
        None => {
            let found = state
                .db({
                    let request = request.clone();
                    move |c| token_list::load(c, merchant, &request)
                })
                .await?;
            let rows: Vec<TokenRow> = found.tokens.iter().map(TokenRow::new).collect();
            let rows = Rows::render(&rows, can_manage).map_err(AppError::internal)?;
            let summary = found.summary();
            if let Some(version) = version {
                state
                    .list_cache
                    .put(merchant, can_manage, view, version, summary, rows.clone());
            }
            (summary, rows)
        }
    };
    Ok((rows, token_list::ListView::new(request, &summary), reused))
}

/// The view the page that sent this htmx request shows (its address is in `HX-Current-URL`), so a
/// table redrawn behind a dialog keeps the reader's search, filters, sort and page.
fn current_view(req: &HttpRequest) -> token_list::ListRequest {
    let query = req
        .headers()
        .get("HX-Current-URL")
        .and_then(|v| v.to_str().ok())
        .and_then(|url| url.split_once(PATH).map(|(_, rest)| rest))
        .and_then(|rest| rest.strip_prefix('?'))
        .and_then(|q| serde_html_form::from_str::<token_list::ListQuery>(q).ok())
        .unwrap_or_default();
    token_list::read(&query)
}

/// Renders the create form: a fragment for the dialog, or a full page without JavaScript.
pub fn form_response(
    req: &HttpRequest,
    session: &Session,
    member: &MerchantUser,
    status: StatusCode,
    form: FormView,
) -> Result<HttpResponse, AppError> {
    let csrf_token = csrf::token(session)?;
    if is_htmx(req) {
        html(status, &FormFragment { form, csrf_token })
    } else {
        html(
            status,
            &NewPage {
                page: Chrome::for_member(session, member)?,
                form,
                csrf_token,
            },
        )
    }
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
        FormView::blank(new_submission_id()?),
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
    let spec = match tokens::validate(&input, &rules) {
        Ok(spec) => spec,
        Err(errors) => {
            let id = if submission_id.is_empty() {
                new_submission_id()?
            } else {
                submission_id
            };
            let form = FormView::from_input(&input, errors, id);
            return form_response(
                &req,
                &session,
                &member,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
            );
        }
    };

    let merchant = member.merchant.id;
    let actor = super::actor(&req, &state, &member.user);
    let (token, credentials) = state
        .db({
            let keyring = state.keyring.clone();
            move |c| tokens::create(c, &keyring, merchant, &actor, &spec)
        })
        .await?;
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

/// Query of the confirmation.
#[derive(Debug, serde::Deserialize)]
pub struct ConfirmQuery {
    status: Option<String>,
    #[serde(default)]
    from: ReturnTo,
}

/// `GET /developers/access-tokens/{id}/status`: asks before enabling or disabling.
pub async fn confirm_status(
    req: HttpRequest,
    admin: MerchantAdmin,
    session: Session,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<ConfirmQuery>,
) -> Result<HttpResponse, AppError> {
    let member = admin.0;
    let (merchant, id) = (member.merchant.id, TokenId(path.into_inner()));
    let token = state
        .db(move |c| AccessToken::find_for_merchant(c, merchant, id))
        .await?;
    let target = match query.status.as_deref() {
        Some(s) => s
            .parse()
            .map_err(|_| AppError::BadRequest(format!("unknown status {s:?}")))?,
        None if token.status == TokenStatus::Live => TokenStatus::Disabled,
        None => TokenStatus::Live,
    };
    let confirm = ConfirmView {
        row: TokenRow::new(&token),
        target,
        from: query.from,
    };
    let csrf_token = csrf::token(&session)?;
    if is_htmx(&req) {
        html(
            StatusCode::OK,
            &ConfirmFragment {
                confirm,
                csrf_token,
            },
        )
    } else {
        html(
            StatusCode::OK,
            &ConfirmPage {
                page: Chrome::for_member(&session, &member)?,
                confirm,
                csrf_token,
            },
        )
    }
}

/// The status form.
#[derive(Debug, serde::Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    from: ReturnTo,
}

/// `POST /developers/access-tokens/{id}/status`: from the table, htmx gets the row to swap in place;
/// otherwise the page it came from (the table or the token's detail page) is shown again with a flash
/// message (a 303, or `HX-Redirect` for htmx).
pub async fn set_status(
    req: HttpRequest,
    admin: MerchantAdmin,
    session: Session,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<StatusForm>,
) -> Result<HttpResponse, AppError> {
    let member = admin.0;
    let status: TokenStatus = form
        .status
        .parse()
        .map_err(|_| AppError::BadRequest(format!("unknown status {:?}", form.status)))?;
    let (merchant, id) = (member.merchant.id, TokenId(path.into_inner()));
    let token = state
        .db({
            let actor = super::actor(&req, &state, &member.user);
            move |c| {
                tokens::set_status(
                    c,
                    tokens::Scope::Merchant(merchant),
                    id,
                    status,
                    &actor,
                    None,
                )
            }
        })
        .await?;
    // Before answering: from now on this instance verifies against the new status.
    state.token_cache.invalidate_all();
    tracing::info!(token = token.id.0, merchant = merchant.0, status = %status, "access token status set");
    let message = match status {
        TokenStatus::Disabled => format!(
            "“{}” is disabled: requests with its credentials are refused.",
            token.name
        ),
        TokenStatus::Live => format!(
            "“{}” is live again: its credentials work from now on.",
            token.name
        ),
    };
    if is_htmx(&req) && form.from == ReturnTo::Table {
        let mut res = html(
            StatusCode::OK,
            &RowFragment {
                token: TokenRow::new(&token),
                can_manage: true,
            },
        )?;
        let trigger = ascii_json(&serde_json::json!({ "kwik:flash": { "message": message } }));
        if let Ok(value) = HeaderValue::from_str(&trigger) {
            res.headers_mut()
                .insert(HeaderName::from_static("hx-trigger"), value);
        }
        Ok(res)
    } else {
        Flash::success(message).set(&session)?;
        Ok(redirect(&req, &form.from.href(token.id.0)))
    }
}
