//! The sealed secrets of tokens, as master-key rotation reads and rewrites them.

use diesel::prelude::*;

use super::AccessToken;
use crate::db::DbConn;
use crate::db::models::TokenId;
use crate::db::schema::access_tokens;

/// A sealed secret as rotation sees it: token id, key hash (the associated data), key id, sealed bytes.
pub type SealedSecret = (TokenId, Vec<u8>, String, Vec<u8>);

impl AccessToken {
    /// Up to `limit` sealed secrets not sealed under `key_id`: (id, key hash, key id, sealed bytes).
    pub fn sealed_not_under(
        conn: &mut DbConn,
        key_id: &str,
        limit: i64,
    ) -> QueryResult<Vec<SealedSecret>> {
        access_tokens::table
            .filter(access_tokens::secret_key_id.ne(key_id))
            .filter(access_tokens::secret_sealed.is_not_null())
            .order(access_tokens::id)
            .limit(limit)
            .select((
                access_tokens::id,
                access_tokens::key_hash,
                access_tokens::secret_key_id.assume_not_null(),
                access_tokens::secret_sealed.assume_not_null(),
            ))
            .load(conn)
    }

    /// Up to `limit` previous secrets (in a roll's grace window) not sealed under `key_id`, with the key
    /// hash each was bound to.
    pub fn previous_sealed_not_under(
        conn: &mut DbConn,
        key_id: &str,
        limit: i64,
    ) -> QueryResult<Vec<SealedSecret>> {
        access_tokens::table
            .filter(access_tokens::previous_secret_key_id.ne(key_id))
            .filter(access_tokens::previous_secret_sealed.is_not_null())
            .order(access_tokens::id)
            .limit(limit)
            .select((
                access_tokens::id,
                diesel::dsl::sql::<diesel::sql_types::Binary>(
                    "COALESCE(previous_key_hash, key_hash)",
                ),
                access_tokens::previous_secret_key_id.assume_not_null(),
                access_tokens::previous_secret_sealed.assume_not_null(),
            ))
            .load(conn)
    }

    /// Replaces a token's sealed previous secret (master key rotation).
    pub fn set_previous_sealed(
        conn: &mut DbConn,
        id: TokenId,
        key_id: &str,
        sealed: &[u8],
    ) -> QueryResult<()> {
        diesel::update(access_tokens::table.find(id))
            .set((
                access_tokens::previous_secret_key_id.eq(key_id),
                access_tokens::previous_secret_sealed.eq(sealed),
            ))
            .execute(conn)
            .map(drop)
    }

    /// Replaces a token's sealed secret (master key rotation).
    pub fn set_sealed(
        conn: &mut DbConn,
        id: TokenId,
        key_id: &str,
        sealed: &[u8],
    ) -> QueryResult<()> {
        diesel::update(access_tokens::table.find(id))
            .set((
                access_tokens::secret_key_id.eq(key_id),
                access_tokens::secret_sealed.eq(sealed),
            ))
            .execute(conn)
            .map(drop)
    }
}
