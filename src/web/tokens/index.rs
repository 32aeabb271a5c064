//! The Access Tokens table: `GET /developers/access-tokens`, a page of the merchant's tokens (or,
//! for htmx, the results region), reusing rendered rows while nothing they show has changed.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::web::current_user::MerchantUser;
use crate::web::error::AppError;
use crate::web::state::AppState;
use crate::web::tokens::PATH;
use crate::web::tokens::leaks::LeakNotice;
use crate::web::tokens::list;
use crate::web::tokens::pages::IndexPage;
use crate::web::tokens::rows::{Rows, html_around_rows};
use crate::web::tokens::views::TokenRow;
use crate::web::{Chrome, Flash, is_htmx, redirect};

/// `GET /developers/access-tokens`: one page of the merchant's tokens, searched, filtered and sorted
/// as the query string says (see [`list`]). htmx gets the results region only, with the view's
/// clean address to push.
pub async fn index(
    req: HttpRequest,
    member: MerchantUser,
    session: Session,
    state: web::Data<AppState>,
    query: web::Query<list::ListQuery>,
) -> Result<HttpResponse, AppError> {
    let request = list::read(&query);
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
    // The version was read with the merchant, at the start of this request: see `list::cache`.
    let version = Some(member.merchant.tokens_version);
    // A whole page also shows the leak banner: read with the rows, in the same trip to the database,
    // and only when the merchant (read with the session) has unacknowledged leak disables.
    let htmx = is_htmx(&req);
    let banner = !htmx && member.merchant.leaks_unacknowledged > 0;
    let (tokens, list, reused, leaks) =
        list_page_and(&state, &member, request, version, banner).await?;
    // Rows compress once, when their page is first reused; a page read afresh goes out as it is.
    let gzip = reused && crate::infra::gzip::accepted(req.headers());
    let mut res = if htmx {
        let url = list.url.clone();
        let mut res = html_around_rows(StatusCode::OK, &tokens, gzip, |tokens| {
            list::ResultsFragment {
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
        let leaks = match leaks {
            Some(found) => found,
            None => crate::web::tokens::leaks::notices(&state, &member.merchant).await?,
        };
        html_around_rows(StatusCode::OK, &tokens, gzip, |tokens| IndexPage {
            page,
            leaks,
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
/// reused (see `list::cache`); with `None` (this request changed the tokens) it is read afresh.
pub(super) async fn list_page(
    state: &web::Data<AppState>,
    member: &MerchantUser,
    request: list::ListRequest,
    version: Option<i64>,
) -> Result<(Rows, list::ListView, bool), AppError> {
    let (rows, view, reused, _) = list_page_and(state, member, request, version, false).await?;
    Ok((rows, view, reused))
}

/// [`list_page`], and when `banner`, the leak banner's lines if they were read with the rows (`None`
/// when the rows were reused: the caller reads them then).
async fn list_page_and(
    state: &web::Data<AppState>,
    member: &MerchantUser,
    request: list::ListRequest,
    version: Option<i64>,
    banner: bool,
) -> Result<(Rows, list::ListView, bool, Option<Vec<LeakNotice>>), AppError> {
    let merchant = member.merchant.id;
    let can_manage = member.can_manage_tokens();
    let view = request.url(request.page);
    let cached = version.and_then(|v| state.list_cache.get(merchant, can_manage, &view, v));
    let reused = cached.is_some();
    // The counts were read with the version: as fresh, unless this request changed the tokens.
    let kept = version.map(|_| member.merchant.token_counts());
    let (summary, rows, leaks) = match cached {
        Some((summary, rows)) => (summary, rows, None),
        None => {
            let (found, leaks) = state
                .db({
                    let request = request.clone();
                    move |c| {
                        let found = crate::domain::tokens::list::load(
                            c,
                            merchant,
                            &request.filter,
                            request.sort,
                            (request.page, request.per_page),
                            kept,
                        )?;
                        let leaks = if banner {
                            Some(crate::domain::leaks::unacknowledged(c, merchant)?)
                        } else {
                            None
                        };
                        Ok::<_, diesel::result::Error>((found, leaks))
                    }
                })
                .await?;
            let summary = found.summary();
            let requests = found.requests;
            let rows: Vec<TokenRow> = found
                .tokens
                .into_iter()
                .map(|t| {
                    let used = requests.get(&t.id).copied().unwrap_or(0);
                    TokenRow::listed(t).with_requests(used)
                })
                .collect();
            let rows = Rows::render(&rows, can_manage).map_err(AppError::internal)?;
            if let Some(version) = version {
                state
                    .list_cache
                    .put(merchant, can_manage, view, version, summary, rows.clone());
            }
            let leaks = leaks.map(|found| found.into_iter().map(LeakNotice::of).collect());
            (summary, rows, leaks)
        }
    };
    Ok((rows, list::ListView::new(request, &summary), reused, leaks))
}

/// The view the page that sent this htmx request shows (its address is in `HX-Current-URL`), so a
/// table redrawn behind a dialog keeps the reader's search, filters, sort and page.
pub(super) fn current_view(req: &HttpRequest) -> list::ListRequest {
    let query = req
        .headers()
        .get("HX-Current-URL")
        .and_then(|v| v.to_str().ok())
        .and_then(|url| url.split_once(PATH).map(|(_, rest)| rest))
        .and_then(|rest| rest.strip_prefix('?'))
        .and_then(|q| serde_html_form::from_str::<list::ListQuery>(q).ok())
        .unwrap_or_default();
    list::read(&query)
}
