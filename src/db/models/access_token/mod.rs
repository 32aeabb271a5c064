//! Access tokens: the API credentials a merchant's systems use. Only hashes of the key and secret
//! are stored.

mod kinds;
mod listing;
mod lookup;
mod name_key;
mod sealing;
mod usage;

use diesel::prelude::*;

pub use kinds::{Permission, Section, Sections, TokenStatus};
pub use name_key::{backfill_name_keys, natural_key};
pub use sealing::SealedSecret;
pub use usage::DayUsage;

use super::{MerchantId, TokenId, UserId};
use crate::db::DbConn;
use crate::db::schema::access_tokens;
use crate::db::sql::fold_case;

/// Whether `err` is the unique index on names refusing a second token of one name in a merchant.
pub fn is_name_conflict(err: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match err {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            info.constraint_name() == Some(NAME_INDEX) || info.message().contains(NAME_INDEX)
        }
        _ => false,
    }
}

/// The unique index on a merchant's token names, ignoring case, among tokens not deleted.
const NAME_INDEX: &str = "access_tokens_unique_name";

/// A stored access token. There is no usable credential in it: key and secret are SHA-256 hashes.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = access_tokens, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct AccessToken {
    /// Id.
    pub id: TokenId,
    /// Owning merchant.
    pub merchant_id: MerchantId,
    /// Friendly name used to identify the integration.
    pub name: String,
    /// Start of API_KEY, shown for identification (`kwik_ak_3F9q`).
    pub key_prefix: String,
    /// Last characters of API_KEY, shown for identification.
    pub key_suffix: String,
    /// SHA-256 of API_KEY (unique; the lookup index).
    pub key_hash: Vec<u8>,
    /// SHA-256 of API_SECRET.
    pub secret_hash: Vec<u8>,
    /// PUBLIC_KEY, public by design.
    pub public_key: String,
    /// Access level.
    pub permission: Permission,
    /// Live or disabled.
    pub status: TokenStatus,
    /// Stored form of [`Sections`]; read it with [`AccessToken::sections`].
    pub sections: String,
    /// Creation time (UTC).
    pub created_at: time::PrimitiveDateTime,
    /// Who created it.
    pub created_by: Option<UserId>,
    /// Last change (UTC).
    pub updated_at: time::PrimitiveDateTime,
    /// API_SECRET sealed under a master key (see `credentials::seal`), for signed requests.
    pub secret_sealed: Option<Vec<u8>>,
    /// Id of the master key that sealed `secret_sealed`.
    pub secret_key_id: Option<String>,
    /// Last allowed verification (UTC), flushed from memory every few seconds.
    pub last_used_at: Option<time::PrimitiveDateTime>,
    /// Up to 5 distinct client IPs of recent use, most recent first, comma-separated.
    pub last_used_ips: String,
    /// When the status last changed (UTC), if ever.
    pub status_changed_at: Option<time::PrimitiveDateTime>,
    /// Whether Kwik Support made the last status change.
    pub status_changed_by_support: bool,
    /// The reason given for the last status change (support must give one).
    pub status_reason: Option<String>,
    /// After this (UTC) the token is refused as `EXPIRED`; `None`: never.
    pub expires_at: Option<time::PrimitiveDateTime>,
    /// Addresses and CIDR ranges allowed to use the token, comma-separated; empty: any.
    pub ip_allowlist: String,
    /// SHA-256 of the secret before the last roll, accepted until `previous_expires_at`.
    pub previous_secret_hash: Option<Vec<u8>>,
    /// That secret, sealed (for signed requests).
    pub previous_secret_sealed: Option<Vec<u8>>,
    /// Its master key id.
    pub previous_secret_key_id: Option<String>,
    /// SHA-256 of the key before the last roll, when the roll issued a new key.
    pub previous_key_hash: Option<Vec<u8>>,
    /// When the previous secret (and key) stop working (UTC).
    pub previous_expires_at: Option<time::PrimitiveDateTime>,
    /// When the token was deleted: it never verifies again, and stays for the history.
    pub deleted_at: Option<time::PrimitiveDateTime>,
    /// Requests a second it may make; `None`: its merchant's limit.
    pub rate_limit: Option<i32>,
    /// The name's sort key, for natural order ([`natural_key`]).
    pub name_key: String,
}

/// A token's editable settings, as stored.
#[derive(Debug, Clone, Copy)]
pub struct TokenSettings<'a> {
    /// Friendly name.
    pub name: &'a str,
    /// Sections it may use.
    pub sections: &'a Sections,
    /// Access level.
    pub permission: Permission,
    /// Live or disabled.
    pub status: TokenStatus,
    /// When it stops working (UTC), if ever.
    pub expires_at: Option<time::PrimitiveDateTime>,
    /// Stored allowlist text (one network a line); empty: anywhere.
    pub ip_allowlist: &'a str,
    /// Requests a second; `None`: the merchant's limit.
    pub rate_limit: Option<i32>,
}

/// What a roll writes.
pub struct Roll<'a> {
    /// The new key (hash, prefix, suffix), when the key is rolled too.
    pub key: Option<(&'a [u8], &'a str, &'a str)>,
    /// SHA-256 of the new secret.
    pub secret_hash: &'a [u8],
    /// The new secret, sealed.
    pub secret_sealed: &'a [u8],
    /// Its master key id.
    pub secret_key_id: &'a str,
    /// Until when the old secret (and key) still work; `None`: not at all.
    pub previous_until: Option<time::PrimitiveDateTime>,
    /// Now.
    pub at: time::PrimitiveDateTime,
}

/// A token to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = access_tokens)]
pub struct NewAccessToken<'a> {
    /// Owning merchant.
    pub merchant_id: MerchantId,
    /// Friendly name.
    pub name: &'a str,
    /// Start of API_KEY.
    pub key_prefix: &'a str,
    /// End of API_KEY.
    pub key_suffix: &'a str,
    /// SHA-256 of API_KEY.
    pub key_hash: &'a [u8],
    /// SHA-256 of API_SECRET.
    pub secret_hash: &'a [u8],
    /// PUBLIC_KEY.
    pub public_key: &'a str,
    /// Access level.
    pub permission: Permission,
    /// Live or disabled.
    pub status: TokenStatus,
    /// Stored form of the sections.
    pub sections: &'a str,
    /// Creation time (UTC).
    pub created_at: time::PrimitiveDateTime,
    /// Creator.
    pub created_by: Option<UserId>,
    /// Same as `created_at`.
    pub updated_at: time::PrimitiveDateTime,
    /// Sealed API_SECRET.
    pub secret_sealed: Option<&'a [u8]>,
    /// Id of the sealing master key.
    pub secret_key_id: Option<&'a str>,
    /// Expiry (UTC), if any.
    pub expires_at: Option<time::PrimitiveDateTime>,
    /// Stored allowlist.
    pub ip_allowlist: &'a str,
    /// Requests a second; `None`: the merchant's limit.
    pub rate_limit: Option<i32>,
    /// [`natural_key`] of the name.
    pub name_key: String,
}

impl AccessToken {
    /// The token's sections. A stored value that no longer parses is reported, not hidden.
    pub fn sections(&self) -> Result<Sections, String> {
        Sections::parse_stored(&self.sections)
    }

    /// The partial key shown in the table: `kwik_ak_3F9q…x7Lm`.
    pub fn partial_key(&self) -> String {
        super::token_list::partial_key(&self.key_prefix, &self.key_suffix)
    }

    /// One of the merchant's tokens; another merchant's id, or a deleted token, is `NotFound`.
    pub fn find_for_merchant(
        conn: &mut DbConn,
        merchant: MerchantId,
        id: TokenId,
    ) -> QueryResult<AccessToken> {
        access_tokens::table
            .filter(access_tokens::merchant_id.eq(merchant))
            .filter(access_tokens::deleted_at.is_null())
            .filter(access_tokens::id.eq(id))
            .select(AccessToken::as_select())
            .first(conn)
    }

    /// Whether another token of `merchant` that is not deleted is called `name`, ignoring case in
    /// every script (see `fold_case`). On Postgres this is the comparison of the unique index
    /// `access_tokens_unique_name`, and reads it; on SQLite, whose index folds ASCII only, it reads
    /// the merchant's tokens, inside the write transaction that then adds or renames one.
    pub fn name_taken(
        conn: &mut DbConn,
        merchant: MerchantId,
        name: &str,
        except: Option<TokenId>,
    ) -> QueryResult<bool> {
        let mut query = access_tokens::table
            .filter(access_tokens::merchant_id.eq(merchant))
            .filter(access_tokens::deleted_at.is_null())
            .filter(fold_case(access_tokens::name).eq(fold_case(name)))
            .select(access_tokens::id)
            .into_boxed();
        if let Some(id) = except {
            query = query.filter(access_tokens::id.ne(id));
        }
        Ok(query.first::<TokenId>(conn).optional()?.is_some())
    }

    /// Creates a token.
    pub fn insert(conn: &mut DbConn, new: &NewAccessToken<'_>) -> QueryResult<AccessToken> {
        diesel::insert_into(access_tokens::table)
            .values(new)
            .returning(access_tokens::all_columns)
            .get_result(conn)
    }

    /// Inserts many tokens in one multi-row INSERT. Diesel cannot build a batch INSERT for the
    /// multi-backend connection, so this is one of the few places that names each backend.
    pub fn insert_batch(conn: &mut DbConn, rows: &[NewAccessToken<'_>]) -> QueryResult<usize> {
        let query = diesel::insert_into(access_tokens::table).values(rows);
        match conn {
            DbConn::Sqlite(c) => query.execute(c),
            DbConn::Pg(c) => query.execute(c),
        }
    }

    /// Changes a token's settings (not its credentials).
    pub fn update_settings(
        conn: &mut DbConn,
        id: TokenId,
        settings: &TokenSettings<'_>,
        at: time::PrimitiveDateTime,
    ) -> QueryResult<AccessToken> {
        diesel::update(access_tokens::table.find(id))
            .set((
                access_tokens::name.eq(settings.name),
                access_tokens::name_key.eq(natural_key(settings.name)),
                access_tokens::sections.eq(settings.sections.to_stored()),
                access_tokens::permission.eq(settings.permission),
                access_tokens::status.eq(settings.status),
                access_tokens::expires_at.eq(settings.expires_at),
                access_tokens::ip_allowlist.eq(settings.ip_allowlist),
                access_tokens::rate_limit.eq(settings.rate_limit),
                access_tokens::updated_at.eq(at),
            ))
            .returning(access_tokens::all_columns)
            .get_result(conn)
    }

    /// Replaces the secret (and maybe the key), keeping the old ones for the grace window.
    pub fn roll(
        conn: &mut DbConn,
        token: &AccessToken,
        roll: &Roll<'_>,
    ) -> QueryResult<AccessToken> {
        let keep = roll.previous_until.is_some();
        let (key_hash, prefix, suffix) =
            roll.key
                .unwrap_or((&token.key_hash, &token.key_prefix, &token.key_suffix));
        diesel::update(access_tokens::table.find(token.id))
            .set((
                access_tokens::key_hash.eq(key_hash),
                access_tokens::key_prefix.eq(prefix),
                access_tokens::key_suffix.eq(suffix),
                access_tokens::secret_hash.eq(roll.secret_hash),
                access_tokens::secret_sealed.eq(Some(roll.secret_sealed)),
                access_tokens::secret_key_id.eq(Some(roll.secret_key_id)),
                access_tokens::previous_secret_hash
                    .eq(keep.then_some(token.secret_hash.as_slice())),
                access_tokens::previous_secret_sealed
                    .eq(keep.then_some(token.secret_sealed.as_deref()).flatten()),
                access_tokens::previous_secret_key_id
                    .eq(keep.then_some(token.secret_key_id.as_deref()).flatten()),
                access_tokens::previous_key_hash
                    .eq((keep && roll.key.is_some()).then_some(token.key_hash.as_slice())),
                access_tokens::previous_expires_at.eq(roll.previous_until),
                access_tokens::updated_at.eq(roll.at),
            ))
            .returning(access_tokens::all_columns)
            .get_result(conn)
    }

    /// Marks a token deleted: disabled, its sealed secrets wiped, kept for the history.
    pub fn mark_deleted(
        conn: &mut DbConn,
        id: TokenId,
        at: time::PrimitiveDateTime,
    ) -> QueryResult<AccessToken> {
        diesel::update(access_tokens::table.find(id))
            .set((
                access_tokens::deleted_at.eq(Some(at)),
                access_tokens::status.eq(TokenStatus::Disabled),
                access_tokens::secret_sealed.eq(None::<Vec<u8>>),
                access_tokens::previous_secret_hash.eq(None::<Vec<u8>>),
                access_tokens::previous_secret_sealed.eq(None::<Vec<u8>>),
                access_tokens::previous_key_hash.eq(None::<Vec<u8>>),
                access_tokens::previous_expires_at.eq(None::<time::PrimitiveDateTime>),
                access_tokens::updated_at.eq(at),
            ))
            .returning(access_tokens::all_columns)
            .get_result(conn)
    }

    /// Any merchant's token by id (support and the command line).
    pub fn find(conn: &mut DbConn, id: TokenId) -> QueryResult<AccessToken> {
        access_tokens::table
            .find(id)
            .select(AccessToken::as_select())
            .first(conn)
    }

    /// Sets a token's status and notes who changed it and why.
    pub fn set_status(
        conn: &mut DbConn,
        id: TokenId,
        status: TokenStatus,
        at: time::PrimitiveDateTime,
        by_support: bool,
        reason: Option<&str>,
    ) -> QueryResult<AccessToken> {
        diesel::update(access_tokens::table.find(id))
            .set((
                access_tokens::status.eq(status),
                access_tokens::updated_at.eq(at),
                access_tokens::status_changed_at.eq(Some(at)),
                access_tokens::status_changed_by_support.eq(by_support),
                access_tokens::status_reason.eq(reason),
            ))
            .returning(access_tokens::all_columns)
            .get_result(conn)
    }
}
