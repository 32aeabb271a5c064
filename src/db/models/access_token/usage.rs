//! Token usage as stored: last-used times and addresses, and requests per South African day.

use diesel::prelude::*;

use super::AccessToken;
use crate::db::DbConn;
use crate::db::models::TokenId;
use crate::db::schema::access_tokens;

/// A token's requests in one day, by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayUsage {
    /// Allowed.
    pub allowed: i64,
    /// Refused (wrong secret, disabled, expired, ...), except for the rate limit.
    pub denied: i64,
    /// Refused for the rate limit.
    pub limited: i64,
}

impl DayUsage {
    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: Self) {
        self.allowed += other.allowed;
        self.denied += other.denied;
        self.limited += other.limited;
    }
}

impl AccessToken {
    /// Last-used time and IPs of these tokens.
    pub fn usage_of(
        conn: &mut DbConn,
        ids: &[TokenId],
    ) -> QueryResult<Vec<(TokenId, Option<time::PrimitiveDateTime>, String)>> {
        access_tokens::table
            .filter(access_tokens::id.eq_any(ids))
            // In id order, so that instances flushing at once lock rows (and, through the version
            // trigger, merchants) in the same order and cannot deadlock.
            .order(access_tokens::id)
            .select((
                access_tokens::id,
                access_tokens::last_used_at,
                access_tokens::last_used_ips,
            ))
            .load(conn)
    }

    /// Records a token's last use (not a change of the token: `updated_at` stays).
    pub fn set_usage(
        conn: &mut DbConn,
        id: TokenId,
        at: time::PrimitiveDateTime,
        ips: &str,
    ) -> QueryResult<()> {
        diesel::update(access_tokens::table.find(id))
            .set((
                access_tokens::last_used_at.eq(Some(at)),
                access_tokens::last_used_ips.eq(ips),
            ))
            .execute(conn)
            .map(drop)
    }

    /// Adds verification counts to a token's day (an upsert: the one per-backend statement of usage).
    pub fn add_daily_usage(
        conn: &mut DbConn,
        id: TokenId,
        day: time::Date,
        counts: &DayUsage,
    ) -> QueryResult<()> {
        use crate::db::schema::token_usage_daily as u;
        let (allowed, denied, limited) = (counts.allowed, counts.denied, counts.limited);
        let row = (
            u::token_id.eq(id),
            u::day.eq(day),
            u::allowed.eq(allowed),
            u::denied.eq(denied),
            u::limited.eq(limited),
        );
        let query = diesel::insert_into(u::table)
            .values(row)
            .on_conflict((u::token_id, u::day))
            .do_update()
            .set((
                u::allowed.eq(u::allowed + allowed),
                u::denied.eq(u::denied + denied),
                u::limited.eq(u::limited + limited),
            ));
        match conn {
            DbConn::Sqlite(c) => query.execute(c),
            DbConn::Pg(c) => query.execute(c),
        }
        .map(drop)
    }

    /// Verifications per day from `since` (inclusive), oldest first.
    pub fn daily_usage(
        conn: &mut DbConn,
        id: TokenId,
        since: time::Date,
    ) -> QueryResult<Vec<(time::Date, DayUsage)>> {
        use crate::db::schema::token_usage_daily as u;
        let rows: Vec<(time::Date, i64, i64, i64)> = u::table
            .filter(u::token_id.eq(id))
            .filter(u::day.ge(since))
            .order(u::day)
            .select((u::day, u::allowed, u::denied, u::limited))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(day, allowed, denied, limited)| {
                (
                    day,
                    DayUsage {
                        allowed,
                        denied,
                        limited,
                    },
                )
            })
            .collect())
    }

    /// Adds `requests` refusals answered with `code` to a token's day (an upsert, like
    /// [`AccessToken::add_daily_usage`], and written in the same transaction as it).
    pub fn add_daily_denials(
        conn: &mut DbConn,
        id: TokenId,
        day: time::Date,
        code: &str,
        requests: i64,
    ) -> QueryResult<()> {
        use crate::db::schema::token_denials_daily as d;
        let query = diesel::insert_into(d::table)
            .values((
                d::token_id.eq(id),
                d::day.eq(day),
                d::code.eq(code),
                d::requests.eq(requests),
            ))
            .on_conflict((d::token_id, d::day, d::code))
            .do_update()
            .set(d::requests.eq(d::requests + requests));
        match conn {
            DbConn::Sqlite(c) => query.execute(c),
            DbConn::Pg(c) => query.execute(c),
        }
        .map(drop)
    }

    /// Refusals per day and code from `since` (inclusive), oldest first.
    pub fn daily_denials(
        conn: &mut DbConn,
        id: TokenId,
        since: time::Date,
    ) -> QueryResult<Vec<(time::Date, String, i64)>> {
        use crate::db::schema::token_denials_daily as d;
        d::table
            .filter(d::token_id.eq(id))
            .filter(d::day.ge(since))
            .order((d::day, d::code))
            .select((d::day, d::code, d::requests))
            .load(conn)
    }

    /// Requests (allowed, denied and rate limited) of each of these tokens from `since`
    /// (inclusive); tokens without any are left out.
    pub fn requests_since(
        conn: &mut DbConn,
        ids: &[TokenId],
        since: time::Date,
    ) -> QueryResult<Vec<(TokenId, i64)>> {
        use crate::db::schema::token_usage_daily as u;
        use crate::db::sql::{in_json_array, int8, sum_integers};
        // Typed, not raw SQL, so that both backends keep the statement prepared (see `db::sql`).
        let requests = u::allowed + u::denied + u::limited;
        let days = u::table.filter(u::day.ge(since)).group_by(u::token_id);
        let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
        let counts: Vec<(TokenId, Option<i64>)> = match conn {
            // Postgres binds the ids as one array (`= ANY($1)`); its SUM of BIGINTs is a NUMERIC.
            DbConn::Pg(c) => days
                .filter(u::token_id.eq_any(&ids))
                .select((u::token_id, int8(diesel::dsl::sum(requests))))
                .load(c)?,
            // SQLite would write `IN (?, ?, ...)`, a statement per page length that diesel never
            // keeps prepared; the ids as one JSON array keep one.
            DbConn::Sqlite(c) => days
                .filter(in_json_array(u::token_id, &ids))
                .select((u::token_id, sum_integers(requests)))
                .load(c)?,
        };
        Ok(counts
            .into_iter()
            .map(|(id, n)| (id, n.unwrap_or(0)))
            .collect())
    }
}
