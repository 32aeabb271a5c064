//! Finding a token by a credential someone presented or reported: its key's or secret's SHA-256, or
//! its public key. Each lookup matches the current value and the previous one of a roll, and
//! deleted tokens too: whether a match still counts (the grace window, a deletion) is the caller's
//! decision, made on the row.

use diesel::prelude::*;

use super::AccessToken;
use crate::db::DbConn;
use crate::db::schema::{access_tokens, merchants};

impl AccessToken {
    /// The token with this key hash, current or previous, its merchant's name and its merchant's
    /// rate limit. Both hashes have a unique index.
    pub fn find_by_key_hash(
        conn: &mut DbConn,
        key_hash: &[u8],
    ) -> QueryResult<Option<(AccessToken, String, i32)>> {
        // Every verification the cache cannot answer: on the concrete connection (see
        // `db::on_backend`).
        crate::db::on_backend!(conn, |c| {
            access_tokens::table
                .inner_join(merchants::table)
                .filter(
                    access_tokens::key_hash
                        .eq(key_hash)
                        .or(access_tokens::previous_key_hash.eq(key_hash)),
                )
                .select((
                    AccessToken::as_select(),
                    merchants::name,
                    merchants::rate_limit,
                ))
                .first::<(AccessToken, String, i32)>(c)
                .optional()
        })
    }

    /// The tokens whose key hash, current or previous, is one of `key_hashes`, with their
    /// merchant's name and rate limit: the lookups of many requests in one statement (see
    /// `domain::credentials::check`). On Postgres one `= ANY($1)` query, kept prepared; on SQLite,
    /// whose `IN` lists are prepared afresh each time, the single lookup for each, which is
    /// cheaper there than a statement parsed per batch.
    pub fn find_by_key_hashes(
        conn: &mut DbConn,
        key_hashes: &[[u8; 32]],
    ) -> QueryResult<Vec<(AccessToken, String, i32)>> {
        match conn {
            DbConn::Pg(c) => {
                let hashes: Vec<&[u8]> = key_hashes.iter().map(|h| h.as_slice()).collect();
                access_tokens::table
                    .inner_join(merchants::table)
                    .filter(
                        access_tokens::key_hash
                            .eq_any(&hashes)
                            .or(access_tokens::previous_key_hash.eq_any(&hashes)),
                    )
                    .select((
                        AccessToken::as_select(),
                        merchants::name,
                        merchants::rate_limit,
                    ))
                    .load(c)
            }
            DbConn::Sqlite(_) => {
                let mut found = Vec::with_capacity(key_hashes.len());
                for hash in key_hashes {
                    found.extend(Self::find_by_key_hash(conn, hash)?);
                }
                Ok(found)
            }
        }
    }

    /// The token with this secret hash, current or previous. Requests never look a token up by its
    /// secret (they name the key); a leak report may carry the secret alone. Both hashes have an
    /// index.
    pub fn find_by_secret_hash(
        conn: &mut DbConn,
        secret_hash: &[u8],
    ) -> QueryResult<Option<AccessToken>> {
        access_tokens::table
            .filter(
                access_tokens::secret_hash
                    .eq(secret_hash)
                    .or(access_tokens::previous_secret_hash.eq(secret_hash)),
            )
            .select(AccessToken::as_select())
            .first(conn)
            .optional()
    }

    /// The token with this PUBLIC_KEY and its merchant's name.
    pub fn find_by_public_key(
        conn: &mut DbConn,
        public_key: &str,
    ) -> QueryResult<Option<(AccessToken, String)>> {
        access_tokens::table
            .inner_join(merchants::table)
            .filter(access_tokens::public_key.eq(public_key))
            .select((AccessToken::as_select(), merchants::name))
            .first(conn)
            .optional()
    }

    /// Live tokens of every merchant whose expiry falls in `[from, to]`, with their merchant's
    /// name, soonest first (the expiry warnings' sweep; `access_tokens_expiring` serves it).
    pub fn expiring_between(
        conn: &mut DbConn,
        from: time::PrimitiveDateTime,
        to: time::PrimitiveDateTime,
    ) -> QueryResult<Vec<(AccessToken, String)>> {
        access_tokens::table
            .inner_join(merchants::table)
            .filter(access_tokens::deleted_at.is_null())
            .filter(access_tokens::expires_at.ge(from))
            .filter(access_tokens::expires_at.le(to))
            .order((access_tokens::expires_at, access_tokens::id))
            .select((AccessToken::as_select(), merchants::name))
            .load(conn)
    }
}
