//! Requests allowed per token and second, summed over every instance (see
//! `domain::credentials::rate_limit`): each instance adds what it allowed since its last sync and
//! reads the fleet's total back, in one statement for all its tokens.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt};

use crate::db::DbConn;
use crate::db::models::TokenId;
use crate::db::schema::rate_counts;

/// Requests one instance allowed a token in one second, not yet added to the shared count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hits {
    /// The token.
    pub token: TokenId,
    /// The second (unix seconds).
    pub window: i64,
    /// How many.
    pub count: i64,
}

/// The fleet's total for one token and second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, QueryableByName)]
pub struct Total {
    /// The token.
    #[diesel(sql_type = BigInt)]
    pub token_id: i64,
    /// The second (unix seconds).
    #[diesel(sql_type = BigInt)]
    pub window_start: i64,
    /// Requests allowed by every instance so far.
    #[diesel(sql_type = BigInt)]
    pub hits: i64,
}

/// Adds `hits` to the shared counts and returns each one's new total. `hits` must be sorted by
/// token and second, so that instances syncing at once lock rows in one order and cannot deadlock.
pub fn add(conn: &mut DbConn, hits: &[Hits]) -> QueryResult<Vec<Total>> {
    if hits.is_empty() {
        return Ok(Vec::new());
    }
    match conn {
        // One statement for every token: the arrays become rows, each an upsert.
        DbConn::Pg(c) => diesel::sql_query(
            "INSERT INTO rate_counts (token_id, window_start, hits) \
             SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) \
             ON CONFLICT (token_id, window_start) \
             DO UPDATE SET hits = rate_counts.hits + excluded.hits \
             RETURNING token_id, window_start, hits",
        )
        .bind::<Array<BigInt>, _>(hits.iter().map(|h| h.token.0).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(hits.iter().map(|h| h.window).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(hits.iter().map(|h| h.count).collect::<Vec<_>>())
        .load(c),
        // One instance: nothing else counts; kept so that the store works on both backends.
        DbConn::Sqlite(c) => hits
            .iter()
            .map(|h| {
                diesel::insert_into(rate_counts::table)
                    .values((
                        rate_counts::token_id.eq(h.token.0),
                        rate_counts::window_start.eq(h.window),
                        rate_counts::hits.eq(h.count),
                    ))
                    .on_conflict((rate_counts::token_id, rate_counts::window_start))
                    .do_update()
                    .set(rate_counts::hits.eq(rate_counts::hits + h.count))
                    .returning(rate_counts::hits)
                    .get_result::<i64>(c)
                    .map(|hits| Total {
                        token_id: h.token.0,
                        window_start: h.window,
                        hits,
                    })
            })
            .collect(),
    }
}

/// Deletes the counts of seconds before `before` (they no longer decide anything); how many.
pub fn delete_before(conn: &mut DbConn, before: i64) -> QueryResult<usize> {
    diesel::delete(rate_counts::table.filter(rate_counts::window_start.lt(before))).execute(conn)
}
