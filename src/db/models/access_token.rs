//! Access tokens: the API credentials a merchant's systems use. Only hashes of the key and secret
//! are stored.

use diesel::prelude::*;

use super::{MerchantId, TokenId, UserId, text_enum};
use crate::db::DbConn;
use crate::db::schema::access_tokens;

text_enum! {
    /// What a token may do within its sections.
    Permission {
        /// Can retrieve data but cannot create, update or delete records.
        ReadOnly = "read_only",
        /// Full access to create, update and retrieve records within the selected sections.
        ReadWrite = "read_write",
    }
}

impl Permission {
    /// The label the dashboard shows.
    pub fn label(self) -> &'static str {
        match self {
            Self::ReadOnly => "Read-Only",
            Self::ReadWrite => "Read-Write",
        }
    }

    /// The help page's description.
    pub fn description(self) -> &'static str {
        match self {
            Self::ReadOnly => "Can retrieve data but cannot create, update or delete records.",
            Self::ReadWrite => {
                "Full access to create, update and retrieve records within the selected sections."
            }
        }
    }
}

text_enum! {
    /// Whether a token can be used.
    TokenStatus {
        /// Token is active and can be used.
        Live = "live",
        /// Token cannot be used until re-enabled.
        Disabled = "disabled",
    }
}

impl TokenStatus {
    /// The other status.
    pub fn other(self) -> Self {
        match self {
            Self::Live => Self::Disabled,
            Self::Disabled => Self::Live,
        }
    }

    /// The label the dashboard shows.
    pub fn label(self) -> &'static str {
        match self {
            Self::Live => "Live",
            Self::Disabled => "Disabled",
        }
    }

    /// The help page's description.
    pub fn description(self) -> &'static str {
        match self {
            Self::Live => "Token is active and can be used.",
            Self::Disabled => "Token cannot be used until re-enabled.",
        }
    }
}

text_enum! {
    /// A platform area a token can be given access to, in the help page's order.
    Section {
        /// Customers.
        Customers = "customers",
        /// Customer Bank Accounts.
        CustomerBankAccounts = "customer_bank_accounts",
        /// Customer Cards.
        CustomerCards = "customer_cards",
        /// Customer Mandates.
        CustomerMandates = "customer_mandates",
        /// Payments.
        Payments = "payments",
        /// Transactions.
        Transactions = "transactions",
        /// Recipients.
        Recipients = "recipients",
        /// Payouts.
        Payouts = "payouts",
        /// Checkout Page.
        CheckoutPage = "checkout_page",
        /// Orders.
        Orders = "orders",
    }
}

impl Section {
    /// The label the dashboard shows.
    pub fn label(self) -> &'static str {
        match self {
            Self::Customers => "Customers",
            Self::CustomerBankAccounts => "Customer Bank Accounts",
            Self::CustomerCards => "Customer Cards",
            Self::CustomerMandates => "Customer Mandates",
            Self::Payments => "Payments",
            Self::Transactions => "Transactions",
            Self::Recipients => "Recipients",
            Self::Payouts => "Payouts",
            Self::CheckoutPage => "Checkout Page",
            Self::Orders => "Orders",
        }
    }
}

/// A non-empty set of sections, kept in the help page's order and stored as comma-separated slugs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sections(Vec<Section>);

/// A list of slugs, in canonical order: `["payments","payouts"]`.
impl serde::Serialize for Sections {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|s| s.as_str()))
    }
}

impl Sections {
    /// The set of these sections (duplicates removed, canonical order).
    pub fn new(sections: impl IntoIterator<Item = Section>) -> Self {
        let mut v: Vec<Section> = sections.into_iter().collect();
        v.sort();
        v.dedup();
        Self(v)
    }

    /// Parses the stored form; unknown slugs are an error rather than silently dropped.
    pub fn parse_stored(stored: &str) -> Result<Self, String> {
        stored
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(Self::new)
    }

    /// The stored form.
    pub fn to_stored(&self) -> String {
        self.0
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Whether `section` is in the set.
    pub fn contains(&self, section: Section) -> bool {
        self.0.contains(&section)
    }

    /// The sections, in canonical order.
    pub fn iter(&self) -> impl Iterator<Item = Section> + '_ {
        self.0.iter().copied()
    }

    /// Number of sections.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

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

/// A sealed secret as rotation sees it: token id, key hash (the associated data), key id, sealed bytes.
pub type SealedSecret = (TokenId, Vec<u8>, String, Vec<u8>);

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
}

impl AccessToken {
    /// The token's sections. A stored value that no longer parses is reported, not hidden.
    pub fn sections(&self) -> Result<Sections, String> {
        Sections::parse_stored(&self.sections)
    }

    /// The partial key shown in the table: `kwik_ak_3F9q…x7Lm`.
    pub fn partial_key(&self) -> String {
        format!("{}…{}", self.key_prefix, self.key_suffix)
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

    /// Creates a token.
    pub fn insert(conn: &mut DbConn, new: &NewAccessToken<'_>) -> QueryResult<AccessToken> {
        diesel::insert_into(access_tokens::table)
            .values(new)
            .returning(access_tokens::all_columns)
            .get_result(conn)
    }

    /// The token with this PUBLIC_KEY and its merchant's name.
    pub fn find_by_public_key(
        conn: &mut DbConn,
        public_key: &str,
    ) -> QueryResult<Option<(AccessToken, String)>> {
        access_tokens::table
            .inner_join(crate::db::schema::merchants::table)
            .filter(access_tokens::public_key.eq(public_key))
            .select((AccessToken::as_select(), crate::db::schema::merchants::name))
            .first(conn)
            .optional()
    }

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
        allowed: i64,
        denied: i64,
    ) -> QueryResult<()> {
        use crate::db::schema::token_usage_daily as u;
        let row = (
            u::token_id.eq(id),
            u::day.eq(day),
            u::allowed.eq(allowed),
            u::denied.eq(denied),
        );
        let query = diesel::insert_into(u::table)
            .values(row)
            .on_conflict((u::token_id, u::day))
            .do_update()
            .set((
                u::allowed.eq(u::allowed + allowed),
                u::denied.eq(u::denied + denied),
            ));
        match conn {
            DbConn::Sqlite(c) => query.execute(c),
            DbConn::Pg(c) => query.execute(c),
        }
        .map(drop)
    }

    /// Verifications per day from `since` (inclusive): (day, allowed, denied), oldest first.
    pub fn daily_usage(
        conn: &mut DbConn,
        id: TokenId,
        since: time::Date,
    ) -> QueryResult<Vec<(time::Date, i64, i64)>> {
        use crate::db::schema::token_usage_daily as u;
        u::table
            .filter(u::token_id.eq(id))
            .filter(u::day.ge(since))
            .order(u::day)
            .select((u::day, u::allowed, u::denied))
            .load(conn)
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
                access_tokens::sections.eq(settings.sections.to_stored()),
                access_tokens::permission.eq(settings.permission),
                access_tokens::status.eq(settings.status),
                access_tokens::expires_at.eq(settings.expires_at),
                access_tokens::ip_allowlist.eq(settings.ip_allowlist),
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

    // The Access Tokens table at scale (see [`super::token_list`]): one merchant's tokens searched, filtered,
    // sorted and paged, always starting from that merchant's range of an index.

    /// How many of the merchant's tokens `filter` lets through.
    pub fn count_listed(
        conn: &mut DbConn,
        merchant: MerchantId,
        filter: &super::token_list::TokenFilter,
    ) -> QueryResult<i64> {
        super::token_list::listed(merchant, filter)
            .count()
            .get_result(conn)
    }

    /// One page of the merchant's tokens that `filter` lets through, in `sort` order.
    pub fn page_listed(
        conn: &mut DbConn,
        merchant: MerchantId,
        filter: &super::token_list::TokenFilter,
        sort: super::token_list::TokenSort,
        offset: i64,
        limit: i64,
    ) -> QueryResult<Vec<AccessToken>> {
        sort.apply(super::token_list::listed(merchant, filter))
            .offset(offset)
            .limit(limit)
            .select(AccessToken::as_select())
            .load(conn)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_keep_the_help_page_order_and_round_trip() {
        let s = Sections::new([
            Section::Orders,
            Section::Customers,
            Section::Payments,
            Section::Orders,
        ]);
        assert_eq!(s.to_stored(), "customers,payments,orders");
        assert_eq!(Sections::parse_stored(&s.to_stored()), Ok(s));
        assert!(Sections::parse_stored("customers,nope").is_err());
        assert_eq!(Section::ALL.len(), 10);
    }
}
