//! `GET /developers/access-tokens/{id}`: one token's details and its use, for the merchant's admins
//! and viewers. Only what identifies the token is shown (its partial key and its public key), never a
//! credential or a hash.

mod chart;
mod reasons;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use diesel::OptionalExtension;

pub use chart::UsageChart;

use crate::db::models::{AccessToken, TokenId, User};
use crate::domain::credentials::Section;
use crate::web::current_user::MerchantUser;
use crate::web::error::AppError;
use crate::web::state::AppState;
use crate::web::tokens::views::TokenRow;
use crate::web::{Chrome, format, html};

/// What the page says about the token.
#[derive(Debug, Clone)]
pub struct DetailView {
    /// What the table shows, status note included.
    pub row: TokenRow,
    /// PUBLIC_KEY: public by design (it goes in checkout forms).
    pub public_key: String,
    /// Every section's label.
    pub sections: Vec<&'static str>,
    /// The creator's email, when known.
    pub created_by: Option<String>,
    /// Last use, for `<time datetime>`.
    pub last_used_iso: Option<String>,
    /// Up to 5 client IPs of recent allowed requests, most recent first.
    pub ips: Vec<String>,
    /// Requests a second it may make: `100`.
    pub rate_limit: String,
    /// Whether that is the token's own limit rather than its merchant's.
    pub own_rate_limit: bool,
    /// The addresses and ranges allowed to use it; empty for anywhere.
    pub allowlist: Vec<String>,
}

impl DetailView {
    /// The view of `token`, made by `created_by`, of a merchant whose tokens may make
    /// `merchant_rate_limit` requests a second unless they have a limit of their own.
    pub fn new(token: &AccessToken, created_by: Option<String>, merchant_rate_limit: i32) -> Self {
        Self {
            row: TokenRow::new(token),
            public_key: token.public_key.clone(),
            sections: match token.sections() {
                Ok(s) => s.iter().map(Section::label).collect(),
                Err(_) => vec!["(unreadable sections)"],
            },
            created_by,
            last_used_iso: token.last_used_at.map(format::iso),
            ips: comma_list(&token.last_used_ips),
            rate_limit: format::count(i64::from(token.rate_limit.unwrap_or(merchant_rate_limit))),
            own_rate_limit: token.rate_limit.is_some(),
            allowlist: comma_list(&token.ip_allowlist),
        }
    }
}

/// The entries of a stored comma-separated list (client IPs, the allowlist), blanks left out.
fn comma_list(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(str::to_owned)
        .collect()
}

#[derive(Template)]
#[template(path = "access_tokens/detail.html")]
struct DetailPage {
    page: Chrome,
    token: DetailView,
    chart: UsageChart,
    can_manage: bool,
}

/// `GET /developers/access-tokens/{id}`: another merchant's token is not found, like a missing one.
pub async fn show(
    member: MerchantUser,
    session: Session,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (merchant, id) = (member.merchant.id, TokenId(path.into_inner()));
    // Days are South African days, as the counts are kept.
    let (since, today) = crate::domain::credentials::usage::window();
    let (token, created_by, usage, denials) = state
        .db(move |c| -> Result<_, AppError> {
            let token = AccessToken::find_for_merchant(c, merchant, id)?;
            let created_by = match token.created_by {
                Some(user) => User::find(c, user).optional()?.map(|u| u.email),
                None => None,
            };
            let usage = AccessToken::daily_usage(c, id, since)?;
            let denials = AccessToken::daily_denials(c, id, since)?;
            Ok((token, created_by, usage, denials))
        })
        .await?;
    let page = DetailPage {
        page: Chrome::for_member(&session, &member)?,
        token: DetailView::new(&token, created_by, member.merchant.rate_limit),
        chart: UsageChart::new(today, &usage, &denials),
        can_manage: member.can_manage_tokens(),
    };
    html(StatusCode::OK, &page)
}
