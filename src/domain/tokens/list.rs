//! A page of a merchant's token table: how many match, and the page's tokens. The query string is
//! read in `web`; this is what it asks the database.

use std::collections::HashMap;

use diesel::QueryResult;

use crate::db::DbConn;
use crate::db::models::token_list::{ListedToken, TokenFilter, TokenSort};
use crate::db::models::{AccessToken, Merchant, MerchantId, TokenCounts, TokenId};
use crate::domain::credentials::usage::requests_in_window;

/// Tokens per page, unless the view asks for another of [`PAGE_SIZES`].
pub const PAGE_SIZE: i64 = 50;
/// The page sizes a view may ask for.
pub const PAGE_SIZES: [i64; 3] = [25, 50, 100];

/// One page of a merchant's tokens, as a request asked.
#[derive(Debug)]
pub struct Found {
    /// The page's tokens.
    pub tokens: Vec<ListedToken>,
    /// How many tokens match in all.
    pub total: i64,
    /// The page shown: the one asked for, or the last one when that was past the end.
    pub page: i64,
    /// Whether the merchant has any token at all.
    pub any: bool,
    /// Tokens per page.
    pub per_page: i64,
    /// Each of the page's tokens' requests in the last 30 days; a token without any is missing.
    pub requests: HashMap<TokenId, i64>,
}

impl Found {
    /// The page's counts, without its tokens.
    pub fn summary(&self) -> Summary {
        Summary {
            total: self.total,
            page: self.page,
            any: self.any,
            shown: self.tokens.len() as i64,
            per_page: self.per_page,
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
    /// Tokens per page.
    pub per_page: i64,
}

/// Loads page `page` (1-based; the last one when past it) of the merchant's tokens that match
/// `filter`, in `sort` order, `per_page` a page (one of [`PAGE_SIZES`], else [`PAGE_SIZE`]): a
/// count, then at most that many rows. `kept`: the merchant's kept counts as read with the session at
/// the start of this request, when it has changed nothing since (a view that needs only those takes
/// its total from them, one statement fewer); `None` reads them afresh.
pub fn load(
    conn: &mut DbConn,
    merchant: MerchantId,
    filter: &TokenFilter,
    sort: TokenSort,
    (page, per_page): (i64, i64),
    kept: Option<TokenCounts>,
) -> QueryResult<Found> {
    let per_page = if PAGE_SIZES.contains(&per_page) {
        per_page
    } else {
        PAGE_SIZE
    };
    // The database keeps each status and permission's count (see `TokenCounts`), for the whole
    // table or a filter by those alone; a search, or a filter by section or expiry, counts what it
    // finds.
    let TokenFilter {
        search,
        status,
        section,
        permission,
        expiry,
    } = filter;
    let by_kind_only = search.is_none() && section.is_none() && expiry.is_none();
    let total = if by_kind_only {
        let counts = match kept {
            Some(counts) => counts,
            None => Merchant::read_token_counts(conn, merchant)?,
        };
        counts.of(*status, *permission)
    } else {
        AccessToken::count_listed(conn, merchant, filter)?
    };
    let last = ((total + per_page - 1) / per_page).max(1);
    let page = page.min(last);
    let tokens = if total == 0 {
        Vec::new()
    } else {
        let offset = (page - 1) * per_page;
        AccessToken::page_listed(conn, merchant, filter, sort, offset, per_page)?
    };
    // Only an empty search needs to ask whether there is anything at all.
    let any = total > 0 || (filter.is_narrowed() && AccessToken::any_for_merchant(conn, merchant)?);
    let ids: Vec<TokenId> = tokens.iter().map(|t| t.id).collect();
    let requests = requests_in_window(conn, &ids)?;
    Ok(Found {
        tokens,
        total,
        page,
        any,
        per_page,
        requests,
    })
}
