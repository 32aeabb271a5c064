//! Merchants: the businesses that own tokens and users.

use diesel::prelude::*;

use super::{MerchantId, Permission, TokenStatus};
use crate::db::DbConn;
use crate::db::schema::merchants;

/// A merchant account.
#[derive(
    Debug, Clone, Queryable, Selectable, Identifiable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = merchants, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct Merchant {
    /// Id.
    pub id: MerchantId,
    /// Display name, unique.
    pub name: String,
    /// When it was created (UTC).
    pub created_at: time::PrimitiveDateTime,
    /// The longest lifetime allowed for new tokens, in days; `None`: no maximum.
    pub max_token_lifetime_days: Option<i32>,
    /// Changes with every change to the merchant's tokens (set by database triggers, never by code):
    /// what the token table shows is reused only while it is the same.
    pub tokens_version: i64,
    /// Every member must sign in with a second factor.
    pub require_two_factor: bool,
    /// Requests a second each of its tokens may make, unless the token has a limit of its own.
    pub rate_limit: i32,
    /// How many of its tokens are not deleted (set by database triggers, never by code): the
    /// unfiltered table's count.
    pub tokens_listed: i64,
    /// How many of its leak disables no admin has acknowledged yet (set by database triggers, never
    /// by code): the token table asks for the banner's lines only when it is not zero.
    pub leaks_unacknowledged: i64,
    /// How many of its listed tokens are live and Read-Only (set by database triggers, never by
    /// code; so are the three below, and the four add up to `tokens_listed`): a filter by status or
    /// permission reads its count from these.
    #[serde(default)]
    pub tokens_live_read_only: i64,
    /// Listed, live and Read-Write.
    #[serde(default)]
    pub tokens_live_read_write: i64,
    /// Listed, disabled and Read-Only.
    #[serde(default)]
    pub tokens_disabled_read_only: i64,
    /// Listed, disabled and Read-Write.
    #[serde(default)]
    pub tokens_disabled_read_write: i64,
}

/// A merchant's listed tokens counted by status and permission, as the triggers keep them (see
/// [`Merchant::tokens_live_read_only`]): the count of any view narrowed by those alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenCounts([i64; 4]);

impl TokenCounts {
    /// How many have this status and this permission (`None`: any).
    pub fn of(&self, status: Option<TokenStatus>, permission: Option<Permission>) -> i64 {
        let kinds = [
            (TokenStatus::Live, Permission::ReadOnly),
            (TokenStatus::Live, Permission::ReadWrite),
            (TokenStatus::Disabled, Permission::ReadOnly),
            (TokenStatus::Disabled, Permission::ReadWrite),
        ];
        kinds
            .iter()
            .zip(self.0)
            .filter(|((s, p), _)| {
                status.is_none_or(|want| want == *s) && permission.is_none_or(|want| want == *p)
            })
            .map(|(_, n)| n)
            .sum()
    }
}

impl Merchant {
    /// Its listed tokens counted by status and permission, as the triggers keep them, read afresh.
    pub fn read_token_counts(conn: &mut DbConn, id: MerchantId) -> QueryResult<TokenCounts> {
        use merchants as m;
        crate::db::on_backend!(conn, |c| {
            m::table
                .find(id)
                .select((
                    m::tokens_live_read_only,
                    m::tokens_live_read_write,
                    m::tokens_disabled_read_only,
                    m::tokens_disabled_read_write,
                ))
                .first::<(i64, i64, i64, i64)>(c)
        })
        .map(|(a, b, c, d)| TokenCounts([a, b, c, d]))
    }

    /// Its listed tokens counted by status and permission, as read with this row.
    pub fn token_counts(&self) -> TokenCounts {
        TokenCounts([
            self.tokens_live_read_only,
            self.tokens_live_read_write,
            self.tokens_disabled_read_only,
            self.tokens_disabled_read_write,
        ])
    }

    /// The merchant with this id.
    pub fn find(conn: &mut DbConn, id: MerchantId) -> QueryResult<Merchant> {
        merchants::table
            .find(id)
            .select(merchants::all_columns)
            .first(conn)
    }

    /// The names of the merchants with these ids (for a list that spans merchants: support's history).
    pub fn names(
        conn: &mut DbConn,
        ids: &[MerchantId],
    ) -> QueryResult<std::collections::HashMap<MerchantId, String>> {
        Ok(merchants::table
            .filter(merchants::id.eq_any(ids))
            .select((merchants::id, merchants::name))
            .load::<(MerchantId, String)>(conn)?
            .into_iter()
            .collect())
    }

    /// The merchant with exactly this name, if any.
    pub fn find_by_name(conn: &mut DbConn, name: &str) -> QueryResult<Option<Merchant>> {
        merchants::table
            .filter(merchants::name.eq(name))
            .select(merchants::all_columns)
            .first(conn)
            .optional()
    }

    /// Creates a merchant.
    pub fn insert(conn: &mut DbConn, name: &str) -> QueryResult<Merchant> {
        diesel::insert_into(merchants::table)
            .values((
                merchants::name.eq(name),
                merchants::created_at.eq(crate::db::now()),
            ))
            .returning(merchants::all_columns)
            .get_result(conn)
    }

    /// Sets (or with `None` removes) the maximum lifetime of new tokens, in days.
    pub fn set_max_token_lifetime(
        conn: &mut DbConn,
        id: MerchantId,
        days: Option<i32>,
    ) -> QueryResult<()> {
        diesel::update(merchants::table.find(id))
            .set(merchants::max_token_lifetime_days.eq(days))
            .execute(conn)
            .map(drop)
    }

    /// Sets how many requests a second each of the merchant's tokens without a limit of its own may
    /// make. On Postgres a trigger tells every instance to read those tokens again.
    pub fn set_rate_limit(conn: &mut DbConn, id: MerchantId, per_second: i32) -> QueryResult<()> {
        diesel::update(merchants::table.find(id))
            .set(merchants::rate_limit.eq(per_second))
            .execute(conn)
            .map(drop)
    }

    /// Requires (or stops requiring) two-factor sign-in of every member.
    pub fn set_require_two_factor(conn: &mut DbConn, id: MerchantId, on: bool) -> QueryResult<()> {
        diesel::update(merchants::table.find(id))
            .set(merchants::require_two_factor.eq(on))
            .execute(conn)
            .map(drop)
    }

    /// The merchant with this name, created if it does not exist yet.
    pub fn find_or_create(conn: &mut DbConn, name: &str) -> QueryResult<Merchant> {
        match Self::find_by_name(conn, name)? {
            Some(m) => Ok(m),
            None => Self::insert(conn, name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Permission, TokenCounts, TokenStatus};

    #[test]
    fn kept_counts_add_up_by_status_and_permission() {
        // Live Read-Only, live Read-Write, disabled Read-Only, disabled Read-Write.
        let counts = TokenCounts([7, 5, 3, 2]);
        assert_eq!(counts.of(None, None), 17);
        assert_eq!(counts.of(Some(TokenStatus::Live), None), 12);
        assert_eq!(counts.of(Some(TokenStatus::Disabled), None), 5);
        assert_eq!(counts.of(None, Some(Permission::ReadWrite)), 7);
        assert_eq!(
            counts.of(Some(TokenStatus::Disabled), Some(Permission::ReadOnly)),
            3
        );
    }
}
