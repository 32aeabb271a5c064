//! The Access Tokens table at scale (its query is [`token_list`]): one merchant's tokens searched,
//! filtered, sorted and paged, always starting from that merchant's range of an index.

use diesel::prelude::*;

use super::AccessToken;
use crate::db::DbConn;
use crate::db::models::{MerchantId, TokenId, token_list};
use crate::db::schema::access_tokens;

impl AccessToken {
    /// How many of the merchant's tokens `filter` lets through.
    pub fn count_listed(
        conn: &mut DbConn,
        merchant: MerchantId,
        filter: &token_list::TokenFilter,
    ) -> QueryResult<i64> {
        use token_list::{pg, sqlite};
        match conn {
            DbConn::Sqlite(c) => sqlite::listed(merchant, filter).count().get_result(c),
            DbConn::Pg(c) => pg::listed(merchant, filter).count().get_result(c),
        }
    }

    /// One page of the merchant's tokens that `filter` lets through, in `sort` order.
    pub fn page_listed(
        conn: &mut DbConn,
        merchant: MerchantId,
        filter: &token_list::TokenFilter,
        sort: token_list::TokenSort,
        offset: i64,
        limit: i64,
    ) -> QueryResult<Vec<token_list::ListedToken>> {
        use token_list::{ListedToken, pg, sqlite};
        match conn {
            DbConn::Sqlite(c) => sqlite::page(merchant, filter, sort, offset, limit)
                .select(ListedToken::as_select())
                .load(c),
            DbConn::Pg(c) => pg::page(merchant, filter, sort, offset, limit)
                .select(ListedToken::as_select())
                .load(c),
        }
    }

    /// Whether the merchant has any token at all (an empty table, not an empty search).
    pub fn any_for_merchant(conn: &mut DbConn, merchant: MerchantId) -> QueryResult<bool> {
        access_tokens::table
            .filter(access_tokens::merchant_id.eq(merchant))
            .filter(access_tokens::deleted_at.is_null())
            .select(access_tokens::id)
            .first::<TokenId>(conn)
            .optional()
            .map(|found| found.is_some())
    }
}
