//! The Access Tokens table at scale: the query string (search, filters, sort, page) read leniently, a
//! notice for anything not understood, and the links that keep a view. A view is all in its URL, so
//! it can be bookmarked, shared, and paged without JavaScript.

use crate::db::models::token_list::{Direction, ExpiryFilter, SortKey, TokenFilter, TokenSort};
use crate::domain::credentials::{Permission, Section, TokenStatus};

pub mod cache;
mod search;
mod view;

pub use crate::domain::tokens::list::{PAGE_SIZE, PAGE_SIZES};
use search::search;
pub use view::{Choice, ListView, ResultsFragment};

/// Longest stretch of a value not understood that a notice repeats.
const ECHO_MAX: usize = 40;

/// The list's query string, exactly as sent. Every field may be missing or empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct ListQuery {
    /// Search: part of a name, or a key as the table shows it.
    pub q: String,
    /// `live` or `disabled`.
    pub status: String,
    /// A section slug, e.g. `payments`.
    pub section: String,
    /// `read_only` or `read_write`.
    pub permission: String,
    /// `never`, `soon` (within 30 days) or `expired`.
    pub expiry: String,
    /// `created` (the default), `name`, `expires` or `last_used`.
    pub sort: String,
    /// `asc` or `desc`; the sort's natural order when missing.
    pub dir: String,
    /// 1-based page number.
    pub page: String,
    /// Tokens per page: `25`, `50` (the default) or `100`.
    pub per: String,
}

/// Something about the query worth telling the reader: a CSS modifier and the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// `warning` (a value was ignored) or `info`.
    pub kind: &'static str,
    /// What happened.
    pub text: String,
}

impl Notice {
    fn ignored(what: &str, value: &str, instead: &str) -> Self {
        let mut shown: String = value.chars().take(ECHO_MAX).collect();
        if value.chars().count() > ECHO_MAX {
            shown.push('…');
        }
        Self {
            kind: "warning",
            text: format!("Unknown {what} “{shown}”: {instead}."),
        }
    }
}

/// What a query asks for, as understood.
#[derive(Debug, Clone)]
pub struct ListRequest {
    /// Which tokens.
    pub filter: TokenFilter,
    /// In which order.
    pub sort: TokenSort,
    /// Which page (1-based; the last page when past it).
    pub page: i64,
    /// Tokens per page.
    pub per_page: i64,
    /// What could not be understood: shown above the table, never an error.
    pub notices: Vec<Notice>,
    /// The query to keep in links and the address bar: values as sent (unknown ones too, so their
    /// notice stays), but never a credential.
    pub canonical: ListQuery,
    /// Whether a credential was taken out of the search, so the address that carried it should be
    /// left at once.
    pub scrubbed: bool,
}

impl ListRequest {
    /// The view's address with `page`.
    pub fn url(&self, page: i64) -> String {
        let page = if page > 1 {
            page.to_string()
        } else {
            String::new()
        };
        let c = &self.canonical;
        let pairs: Vec<(&str, &str)> = [
            ("q", c.q.as_str()),
            ("status", &c.status),
            ("section", &c.section),
            ("permission", &c.permission),
            ("expiry", &c.expiry),
            ("sort", &c.sort),
            ("dir", &c.dir),
            ("per", &c.per),
            ("page", &page),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        let query = serde_html_form::to_string(pairs).unwrap_or_default();
        if query.is_empty() {
            crate::web::tokens::PATH.to_owned()
        } else {
            format!("{}?{query}", crate::web::tokens::PATH)
        }
    }
}

/// A closed set's value: `None` when empty, the notice when unknown.
fn known<T: std::str::FromStr>(
    value: &str,
    what: &str,
    instead: &str,
    notices: &mut Vec<Notice>,
) -> Option<T> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    match value.to_ascii_lowercase().parse() {
        Ok(v) => Some(v),
        Err(_) => {
            notices.push(Notice::ignored(what, value, instead));
            None
        }
    }
}

/// The way a sort goes when no direction is given: names A to Z and the soonest expiry first; the
/// newest creation and the latest use first.
pub fn natural_direction(key: SortKey) -> Direction {
    match key {
        SortKey::Name | SortKey::Expires => Direction::Asc,
        SortKey::Created | SortKey::LastUsed => Direction::Desc,
    }
}

/// Reads the query. Nothing in it is an error: what is not understood is ignored, with a notice.
pub fn read(query: &ListQuery) -> ListRequest {
    let mut notices = Vec::new();
    let (search, q, search_notice) = search(&query.q);
    // The search only speaks up about credentials, and takes them out of the address when it does.
    let scrubbed = search_notice.is_some();
    notices.extend(search_notice);
    let filter = TokenFilter {
        search,
        status: known::<TokenStatus>(
            &query.status,
            "status",
            "showing every status",
            &mut notices,
        ),
        section: known::<Section>(
            &query.section,
            "section",
            "showing every section",
            &mut notices,
        ),
        permission: known::<Permission>(
            &query.permission,
            "permission",
            "showing both permissions",
            &mut notices,
        ),
        expiry: known::<ExpiryFilter>(
            &query.expiry,
            "expiry",
            "showing every expiry",
            &mut notices,
        ),
    };
    let key = match query.sort.trim().to_ascii_lowercase().as_str() {
        "" | "created" => SortKey::Created,
        "name" => SortKey::Name,
        "last_used" => SortKey::LastUsed,
        "expires" => SortKey::Expires,
        other => {
            notices.push(Notice::ignored("sort", other, "sorted newest first"));
            SortKey::Created
        }
    };
    let natural = natural_direction(key);
    let direction = match query.dir.trim().to_ascii_lowercase().as_str() {
        "" => natural,
        "asc" => Direction::Asc,
        "desc" => Direction::Desc,
        other => {
            notices.push(Notice::ignored("order", other, "using the usual order"));
            natural
        }
    };
    let page = match query.page.trim() {
        "" => 1,
        text => match text.parse::<i64>() {
            Ok(n) if n >= 1 => n,
            _ => {
                notices.push(Notice::ignored("page", text, "showing the first page"));
                1
            }
        },
    };
    let per_page = match query.per.trim() {
        "" => PAGE_SIZE,
        text => match text.parse::<i64>() {
            Ok(n) if PAGE_SIZES.contains(&n) => n,
            _ => {
                notices.push(Notice::ignored(
                    "page size",
                    text,
                    "showing 50 a page (25, 50 or 100)",
                ));
                PAGE_SIZE
            }
        },
    };
    ListRequest {
        filter,
        sort: TokenSort { key, direction },
        page,
        per_page,
        notices,
        canonical: ListQuery {
            q,
            status: query.status.trim().to_ascii_lowercase(),
            section: query.section.trim().to_ascii_lowercase(),
            permission: query.permission.trim().to_ascii_lowercase(),
            expiry: query.expiry.trim().to_ascii_lowercase(),
            sort: query.sort.trim().to_ascii_lowercase(),
            dir: query.dir.trim().to_ascii_lowercase(),
            page: String::new(),
            per: query.per.trim().to_ascii_lowercase(),
        },
        scrubbed,
    }
}

#[cfg(test)]
mod tests {
    use super::search::SEARCH_MAX;
    use super::*;
    use crate::db::models::token_list::TokenSearch;
    use crate::domain::credentials::API_KEY_RANDOM_LEN;
    use crate::domain::credentials::format::{API_KEY_PREFIX, API_SECRET_PREFIX};

    fn query(pairs: &str) -> ListQuery {
        serde_html_form::from_str(pairs).unwrap()
    }

    #[test]
    fn an_empty_query_is_the_newest_tokens_first_page_one() {
        let r = read(&query(""));
        assert_eq!(r.filter, TokenFilter::default());
        assert_eq!(r.sort, TokenSort::NEWEST);
        assert_eq!(r.page, 1);
        assert!(r.notices.is_empty());
        assert_eq!(r.url(1), "/developers/access-tokens");
    }

    #[test]
    fn a_long_search_cut_before_a_space_reads_back_the_same_from_its_link() {
        let long = format!("q={}+++tail", "a".repeat(SEARCH_MAX - 1));
        let first = read(&query(&long));
        let link = first.url(1);
        let again = read(&query(link.split_once('?').unwrap().1));
        assert_eq!(again.filter, first.filter, "{link}");
    }

    #[test]
    fn each_sort_has_its_natural_direction_unless_one_is_given() {
        assert_eq!(read(&query("sort=name")).sort.direction, Direction::Asc);
        assert_eq!(
            read(&query("sort=last_used")).sort.direction,
            Direction::Desc
        );
        assert_eq!(
            read(&query("sort=name&dir=desc")).sort.direction,
            Direction::Desc
        );
        assert_eq!(read(&query("dir=asc")).sort.key, SortKey::Created);
    }

    #[test]
    fn unknown_values_are_ignored_with_a_notice_and_kept_in_the_address() {
        let r = read(&query(
            "status=expired&section=nope&sort=size&dir=up&page=x",
        ));
        assert_eq!(r.filter, TokenFilter::default());
        assert_eq!(r.notices.len(), 5);
        assert_eq!(
            r.notices[0].text,
            "Unknown status “expired”: showing every status."
        );
        assert!(
            r.url(2)
                .starts_with("/developers/access-tokens?status=expired&section=nope")
        );
    }

    #[test]
    fn a_key_as_the_table_shows_it_is_searched_by_start_and_end() {
        let r = read(&query("q=kwik_ak_3F9q%E2%80%A6x7Lm"));
        assert_eq!(
            r.filter.search,
            Some(TokenSearch::Key {
                prefix: "kwik_ak_3F9q".into(),
                suffix: Some("x7Lm".into())
            })
        );
        let r = read(&query("q=+Shopify+"));
        assert_eq!(r.filter.search, Some(TokenSearch::Name("Shopify".into())));
    }

    #[test]
    fn credentials_never_stay_in_the_address() {
        let secret = format!("{API_SECRET_PREFIX}{}", "s".repeat(46));
        let r = read(&ListQuery {
            q: secret,
            ..ListQuery::default()
        });
        assert!(r.scrubbed && r.filter.search.is_none());
        assert_eq!(r.url(1), "/developers/access-tokens");

        let key = format!(
            "{API_KEY_PREFIX}3F9q{}x7Lm",
            "A".repeat(API_KEY_RANDOM_LEN - 8)
        );
        let r = read(&ListQuery {
            q: key.clone(),
            ..ListQuery::default()
        });
        assert!(r.scrubbed);
        assert_eq!(r.canonical.q, "kwik_ak_3F9q…x7Lm");
        assert!(!r.url(1).contains(&key));
    }

    #[test]
    fn pager_links_keep_the_view() {
        let r = read(&query("q=a%26b&status=live&sort=name&dir=asc&page=3"));
        assert_eq!(r.page, 3);
        assert_eq!(
            r.url(2),
            "/developers/access-tokens?q=a%26b&status=live&sort=name&dir=asc&page=2"
        );
        assert_eq!(
            r.url(1),
            "/developers/access-tokens?q=a%26b&status=live&sort=name&dir=asc"
        );
    }
}
