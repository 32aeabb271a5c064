//! Enabling and disabling a token, each after a confirmation.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::db::models::{AccessToken, TokenId};
use crate::domain::credentials::TokenStatus;
use crate::domain::tokens::{self};
use crate::web::current_user::MerchantAdmin;
use crate::web::error::AppError;
use crate::web::member_fragment_or_page;
use crate::web::state::AppState;
use crate::web::tokens::pages::{ConfirmFragment, ConfirmPage, RowFragment};
use crate::web::tokens::views::{ConfirmView, ReturnTo, TokenRow};
use crate::web::{Flash, ascii_json, html, is_htmx, redirect};

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
    member_fragment_or_page(
        &req,
        (&session, &member, "tokens"),
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
            let actor = crate::web::actor(&req, &state, &member.user);
            let cache = state.token_cache.clone();
            move |c| {
                tokens::set_status(
                    c,
                    &cache,
                    tokens::Scope::Merchant(merchant),
                    id,
                    status,
                    &actor,
                    None,
                )
            }
        })
        .await?;
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
        // The swapped row keeps every column the table shows, its count of requests too.
        let requests = state
            .db(move |c| crate::domain::credentials::usage::requests_in_window(c, &[id]))
            .await?
            .get(&id)
            .copied()
            .unwrap_or(0);
        let mut res = html(
            StatusCode::OK,
            &RowFragment {
                token: TokenRow::new(&token).with_requests(requests),
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
