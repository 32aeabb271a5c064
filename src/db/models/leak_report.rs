//! Leak reports from secret scanners: recorded, listed for the banner and the support console, and
//! acknowledged. The token a report names is found with [`AccessToken`]'s own lookups.

use diesel::prelude::*;

use super::{AccessToken, MerchantId, TokenId, UserId};
use crate::db::DbConn;
use crate::db::schema::{access_tokens, leak_reports};

/// One report that matched a token.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = leak_reports, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct LeakReport {
    /// Id (increasing).
    pub id: i64,
    /// When it arrived (UTC).
    pub received_at: time::PrimitiveDateTime,
    /// `github` or `gitlab`.
    pub reporter: String,
    /// `api_key`, `api_secret` or `public_key`.
    pub kind: String,
    /// The token it matched.
    pub token_id: TokenId,
    /// That token's merchant.
    pub merchant_id: MerchantId,
    /// `disabled`, `recorded` or `unchanged`.
    pub outcome: String,
    /// Where the scanner found it (`content`, `commit`, `gist`, `npm`, ...), as it said.
    pub source: String,
    /// The scanner's link to the finding.
    pub url: String,
    /// When an admin acknowledged the banner about it.
    pub acknowledged_at: Option<time::PrimitiveDateTime>,
    /// Who did.
    pub acknowledged_by: Option<UserId>,
}

/// A report to record.
#[derive(Debug, Insertable)]
#[diesel(table_name = leak_reports)]
pub struct NewLeakReport<'a> {
    /// When it arrived.
    pub received_at: time::PrimitiveDateTime,
    /// `github` or `gitlab`.
    pub reporter: &'a str,
    /// `api_key`, `api_secret` or `public_key`.
    pub kind: &'a str,
    /// The token it matched.
    pub token_id: TokenId,
    /// That token's merchant.
    pub merchant_id: MerchantId,
    /// `disabled`, `recorded` or `unchanged`.
    pub outcome: &'a str,
    /// Where it was found.
    pub source: &'a str,
    /// The link to the finding.
    pub url: &'a str,
}

impl LeakReport {
    /// Appends a report.
    pub fn record(conn: &mut DbConn, new: &NewLeakReport<'_>) -> QueryResult<()> {
        diesel::insert_into(leak_reports::table)
            .values(new)
            .execute(conn)
            .map(|_| ())
    }

    /// Whether this token already has a report with this outcome and link (a repeated report).
    pub fn exists(
        conn: &mut DbConn,
        token: TokenId,
        outcome: &str,
        url: &str,
    ) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            leak_reports::table
                .filter(leak_reports::token_id.eq(token))
                .filter(leak_reports::outcome.eq(outcome))
                .filter(leak_reports::url.eq(url)),
        ))
        .get_result(conn)
    }

    /// The merchant's leak disables no admin has acknowledged yet, newest first, with the token's
    /// name.
    pub fn unacknowledged(
        conn: &mut DbConn,
        merchant: MerchantId,
    ) -> QueryResult<Vec<(LeakReport, String)>> {
        // Read with every page of the token table: on the concrete connection (see `on_backend`).
        crate::db::on_backend!(conn, |c| {
            leak_reports::table
                .inner_join(access_tokens::table)
                .filter(leak_reports::merchant_id.eq(merchant))
                .filter(leak_reports::outcome.eq("disabled"))
                .filter(leak_reports::acknowledged_at.is_null())
                .filter(access_tokens::deleted_at.is_null())
                .order(leak_reports::id.desc())
                .limit(50)
                .select((LeakReport::as_select(), access_tokens::name))
                .load(c)
        })
    }

    /// Marks the merchant's unacknowledged leak disables as seen by `user`; returns how many.
    pub fn acknowledge_all(
        conn: &mut DbConn,
        merchant: MerchantId,
        user: UserId,
        at: time::PrimitiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(
            leak_reports::table
                .filter(leak_reports::merchant_id.eq(merchant))
                .filter(leak_reports::acknowledged_at.is_null()),
        )
        .set((
            leak_reports::acknowledged_at.eq(Some(at)),
            leak_reports::acknowledged_by.eq(Some(user)),
        ))
        .execute(conn)
    }
}

/// The tokens leak reports disabled, across merchants, with their merchant's name: newest report
/// first, each token once, at most `limit` (for the support console).
pub fn disabled_tokens(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<(AccessToken, String)>> {
    use crate::db::schema::merchants;
    let rows: Vec<(AccessToken, String)> = leak_reports::table
        .inner_join(access_tokens::table.inner_join(merchants::table))
        .filter(leak_reports::outcome.eq("disabled"))
        .order(leak_reports::id.desc())
        .limit(limit * 4)
        .select((AccessToken::as_select(), merchants::name))
        .load(conn)?;
    let mut seen = std::collections::HashSet::new();
    Ok(rows
        .into_iter()
        .filter(|(t, _)| seen.insert(t.id))
        .take(usize::try_from(limit).unwrap_or(0))
        .collect())
}
