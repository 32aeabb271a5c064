//! A page of a merchant's token table: how many match, and the page's tokens. The query string is
//! read in `web`; this is what it asks the database.

use diesel::QueryResult;

use crate::db::DbConn;
use crate::db::models::token_list::{TokenFilter, TokenSort};
use crate::db::models::{AccessToken, MerchantId};

/// Tokens per page.
pub const PAGE_SIZE: i64 = 50;

/// One page of a merchant's tokens, as a request asked.
#[derive(Debug)]
pub struct Found {
    /// The page's tokens.
    pub tokens: Vec<AccessToken>,
    /// How many tokens match in all.
    pub total: i64,
    /// The page shown: the one asked for, or the last one when that was past the end.
    pub page: i64,
    /// Whether the merchant has any token at all.
    pub any: bool,
}

impl Found {
    /// The page's counts, without its tokens.
    pub fn summary(&self) -> Summary {
        Summary {
            total: self.total,
            page: self.page,
            any: self.any,
            shown: self.tokens.len() as i64,
        }
    }
}

/// What the pager and the notices need to know about a page of tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// How many tokens match in all.
    pub total: i64,
    /// The page shown.
    pub page: i64,
    /// Whether the merchant has any token at all.
    pub any: bool,
    /// How many tokens the page shows.
    pub shown: i64,
}

/// Loads page `page` (1-based; the last one when past it) of the merchant's tokens that match
/// `filter`, in `sort` order: a count, then at most [`PAGE_SIZE`] rows.
pub fn load(
    conn: &mut DbConn,
    merchant: MerchantId,
    filter: &TokenFilter,
    sort: TokenSort,
    page: i64,
) -> QueryResult<Found> {
    let total = AccessToken::count_listed(conn, merchant, filter)?;
    let last = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page = page.min(last);
    let tokens = if total == 0 {
        Vec::new()
    } else {
        let offset = (page - 1) * PAGE_SIZE;
        AccessToken::page_listed(conn, merchant, filter, sort, offset, PAGE_SIZE)?
    };
    // Only an empty search needs to ask whether there is anything at all.
    let any = total > 0 || (filter.is_narrowed() && AccessToken::any_for_merchant(conn, merchant)?);
    Ok(Found {
        tokens,
        total,
        page,
        any,
    })
}
