//! The Access Tokens table's query: one merchant's tokens narrowed by a search and filters, in one of
//! the table's orders. It always starts from `merchant_id = ?`, so the database reads that merchant's
//! range of `access_tokens_merchant_listed` (merchant first, then newest first), never the table.

use diesel::prelude::*;

use super::{AccessToken, MerchantId, Permission, Section, TokenId, TokenStatus};
use crate::db::schema::access_tokens;

/// What a row of the table shows of a token: only those columns, so a page never reads (or copies)
/// the hashes, sealed secrets and allowlists it does not show.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = access_tokens, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct ListedToken {
    /// Id.
    pub id: TokenId,
    /// Friendly name.
    pub name: String,
    /// Start of API_KEY (`kwik_ak_3F9q`).
    pub key_prefix: String,
    /// Last characters of API_KEY.
    pub key_suffix: String,
    /// Access level.
    pub permission: Permission,
    /// Live or disabled.
    pub status: TokenStatus,
    /// Stored form of the sections.
    pub sections: String,
    /// Creation time (UTC).
    #[diesel(deserialize_as = crate::db::stamp::Stamp)]
    pub created_at: time::PrimitiveDateTime,
    /// Last allowed verification (UTC).
    #[diesel(deserialize_as = crate::db::stamp::MaybeStamp)]
    pub last_used_at: Option<time::PrimitiveDateTime>,
    /// When the status last changed (UTC), if ever.
    #[diesel(deserialize_as = crate::db::stamp::MaybeStamp)]
    pub status_changed_at: Option<time::PrimitiveDateTime>,
    /// Whether Kwik Support made the last status change.
    pub status_changed_by_support: bool,
    /// The reason given for the last status change.
    pub status_reason: Option<String>,
    /// When it stops working (UTC), if ever.
    #[diesel(deserialize_as = crate::db::stamp::MaybeStamp)]
    pub expires_at: Option<time::PrimitiveDateTime>,
    /// When a rolled-away secret stops working (UTC).
    #[diesel(deserialize_as = crate::db::stamp::MaybeStamp)]
    pub previous_expires_at: Option<time::PrimitiveDateTime>,
    /// When it was deleted.
    #[diesel(deserialize_as = crate::db::stamp::MaybeStamp)]
    pub deleted_at: Option<time::PrimitiveDateTime>,
}

/// A key as the table shows it, from its stored start and end: `kwik_ak_3F9q…x7Lm`.
pub fn partial_key(prefix: &str, suffix: &str) -> String {
    format!("{prefix}…{suffix}")
}

impl ListedToken {
    /// The partial key shown in the table: `kwik_ak_3F9q…x7Lm`.
    pub fn partial_key(&self) -> String {
        partial_key(&self.key_prefix, &self.key_suffix)
    }
}

impl From<&AccessToken> for ListedToken {
    fn from(t: &AccessToken) -> Self {
        Self {
            id: t.id,
            name: t.name.clone(),
            key_prefix: t.key_prefix.clone(),
            key_suffix: t.key_suffix.clone(),
            permission: t.permission,
            status: t.status,
            sections: t.sections.clone(),
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            status_changed_at: t.status_changed_at,
            status_changed_by_support: t.status_changed_by_support,
            status_reason: t.status_reason.clone(),
            expires_at: t.expires_at,
            previous_expires_at: t.previous_expires_at,
            deleted_at: t.deleted_at,
        }
    }
}

/// What a search box entry asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSearch {
    /// A name containing this, in any case.
    Name(String),
    /// A key as the table shows it (`kwik_ak_3F9q…x7Lm`), or its start.
    Key {
        /// `kwik_ak_3F9q`, or a shorter start (any case).
        prefix: String,
        /// `x7Lm`, exactly, when given.
        suffix: Option<String>,
    },
}

/// Which of a merchant's tokens the table shows. Every field narrows the result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenFilter {
    /// Name or key.
    pub search: Option<TokenSearch>,
    /// Live or disabled.
    pub status: Option<TokenStatus>,
    /// Tokens with this section (among others).
    pub section: Option<Section>,
    /// Read-Only or Read-Write.
    pub permission: Option<Permission>,
    /// Never expiring, expiring soon, or expired.
    pub expiry: Option<ExpiryFilter>,
}

/// Which tokens the table's expiry filter keeps, judged at the time of the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryFilter {
    /// Tokens without an expiry date.
    Never,
    /// Tokens that expire within [`ExpiryFilter::SOON_DAYS`] days and have not yet.
    Soon,
    /// Tokens whose expiry has passed.
    Expired,
}

impl ExpiryFilter {
    /// Days ahead that count as "soon".
    pub const SOON_DAYS: i64 = 30;
    /// Every filter, in menu order.
    pub const ALL: [Self; 3] = [Self::Never, Self::Soon, Self::Expired];

    /// The query-string value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Never => "never",
            Self::Soon => "soon",
            Self::Expired => "expired",
        }
    }

    /// What the menu shows.
    pub fn label(self) -> &'static str {
        match self {
            Self::Never => "Never expires",
            Self::Soon => "Within 30 days",
            Self::Expired => "Expired",
        }
    }
}

impl std::str::FromStr for ExpiryFilter {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|f| f.as_str() == s).ok_or(())
    }
}

impl TokenFilter {
    /// Whether anything narrows the merchant's tokens.
    pub fn is_narrowed(&self) -> bool {
        *self != Self::default()
    }
}

/// What the table is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// Creation time.
    Created,
    /// Name, ignoring case, in natural order.
    Name,
    /// Last allowed verification; never used counts as the oldest use.
    LastUsed,
    /// Expiry; no expiry counts as the latest.
    Expires,
}

/// Which way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Oldest, A, or never used first.
    Asc,
    /// Newest, Z, or most recently used first.
    Desc,
}

/// The table's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenSort {
    /// By what.
    pub key: SortKey,
    /// Which way.
    pub direction: Direction,
}

impl TokenSort {
    /// The table's default: newest first, the order of `access_tokens_merchant_listed`.
    pub const NEWEST: Self = Self {
        key: SortKey::Created,
        direction: Direction::Desc,
    };
}

/// `text` with LIKE's wildcards escaped (with `\`).
fn like_escaped(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// The table's query for one backend (`sqlite` and `pg` below): boxed for that backend's own
/// connection, not for `DbConn`'s, because through the MultiConnection wrapper diesel writes a
/// query's SQL out once more and decodes each field through one more layer (see `db::on_backend`).
macro_rules! queries_for {
    ($module:ident, $db:ty) => {
        pub(super) mod $module {
            use diesel::prelude::*;

            use super::{Direction, MerchantId, SortKey};
            use super::{ExpiryFilter, TokenFilter, TokenSearch, TokenSort, like_escaped};
            use crate::db::schema::access_tokens;
            use crate::db::{lower, sql::fold_case};

            type Db = $db;

            /// The merchant's tokens that `filter` lets through, unordered.
            pub(in crate::db::models) fn listed(
                merchant: MerchantId,
                filter: &TokenFilter,
            ) -> access_tokens::BoxedQuery<'static, Db> {
                use access_tokens as t;
                let mut q = t::table
                    .filter(t::merchant_id.eq(merchant))
                    // Deleted tokens leave the table (they stay in the history and the support
                    // console).
                    .filter(t::deleted_at.is_null())
                    .into_boxed::<Db>();
                match &filter.search {
                    Some(TokenSearch::Name(text)) => {
                        // Both sides in lower case, every script (see `fold_case`).
                        q = q.filter(
                            fold_case(t::name)
                                .like(format!("%{}%", like_escaped(&text.to_lowercase())))
                                .escape('\\'),
                        );
                    }
                    Some(TokenSearch::Key { prefix, suffix }) => {
                        // LIKE's case rules differ between the backends; `lower` on both sides
                        // does not.
                        q = q.filter(
                            lower(t::key_prefix)
                                .like(format!("{}%", like_escaped(&prefix.to_lowercase())))
                                .escape('\\'),
                        );
                        if let Some(suffix) = suffix {
                            q = q.filter(t::key_suffix.eq(suffix.clone()));
                        }
                    }
                    None => {}
                }
                if let Some(status) = filter.status {
                    q = q.filter(t::status.eq(status));
                }
                if let Some(permission) = filter.permission {
                    q = q.filter(t::permission.eq(permission));
                }
                if let Some(expiry) = filter.expiry {
                    let now = crate::db::now();
                    q = match expiry {
                        ExpiryFilter::Never => q.filter(t::expires_at.is_null()),
                        ExpiryFilter::Soon => q.filter(t::expires_at.gt(now)).filter(
                            t::expires_at.le(now + time::Duration::days(ExpiryFilter::SOON_DAYS)),
                        ),
                        ExpiryFilter::Expired => q.filter(t::expires_at.le(now)),
                    };
                }
                if let Some(section) = filter.section {
                    // Sections are stored as `a,b,c`: `,a,b,c,` contains `,b,` exactly when b
                    // is one of them.
                    let padded = String::from(",")
                        .into_sql::<diesel::sql_types::Text>()
                        .concat(t::sections)
                        .concat(String::from(","));
                    q = q.filter(
                        padded
                            .like(format!("%,{},%", like_escaped(section.as_str())))
                            .escape('\\'),
                    );
                }
                q
            }

            /// One page of the tokens `filter` lets through, in `sort` order. A search first reads
            /// the page's ids, then only those rows: the merchant's newest-first index holds the
            /// names, so those ids come from the index alone, where filtering the table itself
            /// fetched every row the search tested (some 4,000 for a page of a rare name among
            /// 10,000 tokens).
            pub(in crate::db::models) fn page(
                merchant: MerchantId,
                filter: &TokenFilter,
                sort: TokenSort,
                offset: i64,
                limit: i64,
            ) -> access_tokens::BoxedQuery<'static, Db> {
                use access_tokens as t;
                let page = sorted(listed(merchant, filter), sort)
                    .offset(offset)
                    .limit(limit);
                if filter.search.is_none() {
                    return page;
                }
                let ids = page.select(t::id);
                sorted(t::table.filter(t::id.eq_any(ids)).into_boxed(), sort)
            }

            /// `query` in `sort` order. The id breaks ties, so pages never overlap or skip a token.
            pub(in crate::db::models) fn sorted(
                query: access_tokens::BoxedQuery<'static, Db>,
                sort: TokenSort,
            ) -> access_tokens::BoxedQuery<'static, Db> {
                use access_tokens as t;
                match (sort.key, sort.direction) {
                    (SortKey::Created, Direction::Desc) => {
                        query.order((t::created_at.desc(), t::id.desc()))
                    }
                    (SortKey::Created, Direction::Asc) => {
                        query.order((t::created_at.asc(), t::id.asc()))
                    }
                    // Natural order: "Integration 2" before "Integration 10" (see `natural_key`).
                    (SortKey::Name, Direction::Asc) => {
                        query.order((t::name_key.asc(), t::id.asc()))
                    }
                    (SortKey::Name, Direction::Desc) => {
                        query.order((t::name_key.desc(), t::id.desc()))
                    }
                    // "Never used" is the oldest use on both backends (Postgres puts NULL first when
                    // descending, SQLite last), so IS NULL decides before the time does.
                    (SortKey::LastUsed, Direction::Desc) => query.order((
                        t::last_used_at.is_null().asc(),
                        t::last_used_at.desc(),
                        t::id.desc(),
                    )),
                    (SortKey::LastUsed, Direction::Asc) => query.order((
                        t::last_used_at.is_null().desc(),
                        t::last_used_at.asc(),
                        t::id.asc(),
                    )),
                    // "Never expires" is the latest expiry, after every date, on both backends.
                    (SortKey::Expires, Direction::Asc) => query.order((
                        t::expires_at.is_null().asc(),
                        t::expires_at.asc(),
                        t::id.asc(),
                    )),
                    (SortKey::Expires, Direction::Desc) => query.order((
                        t::expires_at.is_null().desc(),
                        t::expires_at.desc(),
                        t::id.desc(),
                    )),
                }
            }
        }
    };
}

queries_for!(sqlite, diesel::sqlite::Sqlite);
queries_for!(pg, diesel::pg::Pg);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_a_search_are_taken_literally() {
        assert_eq!(like_escaped("50%_off\\"), "50\\%\\_off\\\\");
    }

    #[test]
    fn only_a_search_or_a_filter_narrows() {
        assert!(!TokenFilter::default().is_narrowed());
        let live = TokenFilter {
            status: Some(TokenStatus::Live),
            ..TokenFilter::default()
        };
        assert!(live.is_narrowed());
    }
}
