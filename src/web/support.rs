//! The support console: Kwik Support finds any merchant's token from a pasted key or a name, and
//! disables or enables it with a mandatory reason. No credential is ever shown.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::tokens::views::TokenRow;
use super::{Chrome, Flash, html, see_other};
use crate::db::models::TokenId;
use crate::domain::credentials::TokenStatus;
use crate::domain::support::{self, Refusal};
use crate::domain::tokens::{self, REASON_CHARS, Scope, StatusError};
use crate::web::current_user::SupportStaff;
use crate::web::error::AppError;
use crate::web::state::AppState;

/// One search result.
pub struct Found {
    pub merchant: String,
    pub row: TokenRow,
    /// The reason typed, kept when the form comes back with an error.
    pub reason: String,
    /// The error for this row's form.
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "support/index.html")]
struct ConsolePage {
    page: Chrome,
    q: String,
    refusal: Option<&'static str>,
    results: Vec<Found>,
    searched: bool,
    /// Listing the tokens disabled after a leak report instead of searching.
    leaks: bool,
}

/// Query of the console.
#[derive(Debug, serde::Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    /// `leaks`: the tokens disabled after a leak report.
    #[serde(default)]
    filter: String,
    /// `secret`: a search was refused because it was an API_SECRET (which is not repeated here).
    #[serde(default)]
    refused: String,
}

/// Where a refused secret search lands: the refusal, and nothing of the secret in the address.
const REFUSED_SECRET: &str = "/support?refused=secret";

async fn console(
    state: &web::Data<AppState>,
    session: &Session,
    staff: &SupportStaff,
    q: String,
    leaks: bool,
    failed: Option<(i64, String, String)>,
) -> Result<ConsolePage, AppError> {
    let searched = leaks || !q.trim().is_empty();
    let parsed = if leaks {
        Err(Refusal::Empty)
    } else {
        support::parse(&q)
    };
    let (refusal, results) = match parsed {
        Err(Refusal::Empty) if !leaks => (None, Vec::new()),
        Err(Refusal::Empty) => {
            let found = state.db(support::leak_disabled).await?;
            (None, found_rows(&found, &failed))
        }
        Err(r) => (Some(r.message()), Vec::new()),
        Ok(query) => {
            let found = state.db(move |c| support::search(c, &query)).await?;
            (None, found_rows(&found, &failed))
        }
    };
    Ok(ConsolePage {
        page: Chrome::for_support(session, &staff.0)?,
        q,
        refusal,
        results,
        searched,
        leaks,
    })
}

fn found_rows(
    found: &[(crate::db::models::AccessToken, String)],
    failed: &Option<(i64, String, String)>,
) -> Vec<Found> {
    found
        .iter()
        .map(|(token, merchant)| {
            let failed_here = failed.as_ref().filter(|(id, _, _)| *id == token.id.0);
            Found {
                merchant: merchant.clone(),
                row: TokenRow::new(token),
                reason: failed_here.map(|(_, r, _)| r.clone()).unwrap_or_default(),
                error: failed_here.map(|(_, _, e)| e.clone()),
            }
        })
        .collect()
}

/// `GET /support`.
pub async fn index(
    staff: SupportStaff,
    session: Session,
    state: web::Data<AppState>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    // A secret pasted into an old link or typed into the address bar leaves the address (and so
    // the browser's history) at once.
    if support::parse(&query.q) == Err(Refusal::Secret) {
        return Ok(see_other(REFUSED_SECRET));
    }
    if query.refused == "secret" {
        let mut page = console(&state, &session, &staff, String::new(), false, None).await?;
        page.refusal = Some(Refusal::Secret.message());
        page.searched = true;
        return html(StatusCode::OK, &page);
    }
    let page = console(
        &state,
        &session,
        &staff,
        query.q,
        query.filter == "leaks",
        None,
    )
    .await?;
    html(StatusCode::OK, &page)
}

/// The search form, posted so that what is pasted never travels in an address.
#[derive(Debug, serde::Deserialize)]
pub struct SearchForm {
    #[serde(default)]
    q: String,
}

/// `POST /support/search`: a secret is refused without repeating it anywhere; anything else is
/// shown at `/support?q=…`, an address that can be reloaded and shared.
pub async fn search(_staff: SupportStaff, form: web::Form<SearchForm>) -> HttpResponse {
    let q = form.into_inner().q;
    match support::parse(&q) {
        Err(Refusal::Secret) => see_other(REFUSED_SECRET),
        Err(Refusal::Empty) => see_other("/support"),
        Ok(_) => see_other(&format!("/support?q={}", urlencode(q.trim()))),
    }
}

/// The status form.
#[derive(Debug, serde::Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    q: String,
}

/// `POST /support/tokens/{id}/status`: any merchant's token, with a reason of 5 to 500 characters.
pub async fn set_status(
    req: HttpRequest,
    staff: SupportStaff,
    session: Session,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<StatusForm>,
) -> Result<HttpResponse, AppError> {
    let StatusForm { status, reason, q } = form.into_inner();
    let status: TokenStatus = status
        .parse()
        .map_err(|_| AppError::BadRequest(format!("unknown status {status:?}")))?;
    let id = TokenId(path.into_inner());
    let actor = super::actor(&req, &state, &staff.0);
    let (why, cache) = (reason.clone(), state.token_cache.clone());
    let result = state
        .db(move |c| {
            match tokens::set_status(c, &cache, Scope::Platform, id, status, &actor, Some(&why)) {
                Err(StatusError::ReasonRequired) => Ok(None),
                other => other.map(Some),
            }
        })
        .await?;
    let Some(token) = result else {
        let message = format!(
            "Give a reason of {} to {} characters: the merchant sees it in their history.",
            REASON_CHARS.start(),
            REASON_CHARS.end()
        );
        let page = console(
            &state,
            &session,
            &staff,
            q,
            false,
            Some((id.0, reason, message)),
        )
        .await?;
        return html(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    tracing::info!(token = token.id.0, merchant = token.merchant_id.0, status = %status, "status set by support");
    let verb = if status == TokenStatus::Disabled {
        "disabled"
    } else {
        "enabled"
    };
    Flash::success(format!(
        "“{}” {verb}. The merchant sees this, with your reason, in their history.",
        token.name
    ))
    .set(&session)?;
    let back = format!("/support?q={}", urlencode(&q));
    Ok(see_other(&back))
}

fn urlencode(text: &str) -> String {
    serde_html_form::to_string([("", text)])
        .map(|s| s[1..].to_owned())
        .unwrap_or_default()
}
