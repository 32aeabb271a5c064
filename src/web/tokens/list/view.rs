//! What the table shows for a request: the page of tokens, the count, the pager, and the choices of the
//! filter form.

use crate::domain::tokens::list::Summary;
use askama::Template;

use crate::db::models::token_list::{Direction, ExpiryFilter, SortKey};
use crate::domain::credentials::{Permission, Section, TokenStatus};
use crate::web::format;
use crate::web::tokens::list::{ListQuery, ListRequest, Notice, PAGE_SIZES, natural_direction};
use crate::web::tokens::rows::Rows;

/// An option of a filter menu.
#[derive(Debug, Clone)]
pub struct Choice {
    /// What the form sends (`""` for "all").
    pub value: &'static str,
    /// What the menu shows.
    pub label: &'static str,
    /// Whether the view uses it.
    pub selected: bool,
}

fn choices(
    all: &'static str,
    options: impl IntoIterator<Item = (&'static str, &'static str)>,
    current: &str,
) -> Vec<Choice> {
    let mut out = vec![Choice {
        value: "",
        label: all,
        selected: true,
    }];
    for (value, label) in options {
        let selected = value == current;
        out[0].selected &= !selected;
        out.push(Choice {
            value,
            label,
            selected,
        });
    }
    out
}

/// A page size the pager offers.
#[derive(Debug, Clone)]
pub struct PageSize {
    /// Tokens a page.
    pub size: i64,
    /// This view at that size, from page 1.
    pub href: String,
    /// Whether the view shows this many.
    pub current: bool,
}

/// A column header; the sortable ones link to the table sorted by them.
#[derive(Debug, Clone)]
pub struct Header {
    /// The column's name.
    pub label: &'static str,
    /// The sort link, for a sortable column.
    pub sort: Option<SortLink>,
    /// A few muted words after the name: `30 days`.
    pub hint: &'static str,
}

/// A header's link: the view sorted by its column (the other way round if it already is).
#[derive(Debug, Clone)]
pub struct SortLink {
    /// The address of that view, from page 1.
    pub href: String,
    /// `ascending` or `descending` on the column the table is sorted by.
    pub aria: Option<&'static str>,
    /// An arrow on the sorted column, a faint one on the others.
    pub mark: &'static str,
}

/// The table's columns in order, with a sort link on the sortable ones.
fn headers(request: &ListRequest) -> Vec<Header> {
    let sortable = |label: &'static str, key: SortKey, value: &'static str| {
        let current = request.sort.key == key;
        let natural = natural_direction(key);
        // A click on the sorted column turns it round; on another, sorts by it its usual way.
        let dir = match (current, request.sort.direction) {
            (true, d) if d == natural => Some(flip(natural)),
            _ => None,
        };
        let mut sorted = request.clone();
        sorted.canonical.sort = value.to_owned();
        sorted.canonical.dir = dir.map_or("", direction_value).to_owned();
        let aria = current.then_some(match request.sort.direction {
            Direction::Asc => "ascending",
            Direction::Desc => "descending",
        });
        let mark = match aria {
            Some("ascending") => "↑",
            Some(_) => "↓",
            None => "↕",
        };
        Header {
            label,
            sort: Some(SortLink {
                href: sorted.url(1),
                aria,
                mark,
            }),
            hint: "",
        }
    };
    let plain = |label| Header {
        label,
        sort: None,
        hint: "",
    };
    vec![
        sortable("Created", SortKey::Created, ""),
        sortable("Name", SortKey::Name, "name"),
        plain("Key"),
        plain("Status"),
        plain("Permissions"),
        plain("Sections"),
        sortable("Expires", SortKey::Expires, "expires"),
        sortable("Last used", SortKey::LastUsed, "last_used"),
        Header {
            hint: "30 days",
            ..plain("Requests")
        },
    ]
}

fn flip(d: Direction) -> Direction {
    match d {
        Direction::Asc => Direction::Desc,
        Direction::Desc => Direction::Asc,
    }
}

fn direction_value(d: Direction) -> &'static str {
    match d {
        Direction::Asc => "asc",
        Direction::Desc => "desc",
    }
}

/// Everything the table, its pager and its filter form show besides the rows.
#[derive(Debug, Clone)]
pub struct ListView {
    /// The values the form shows.
    pub form: ListQuery,
    /// What in the query was not understood, or was changed.
    pub notices: Vec<Notice>,
    /// Whether a search or filter narrows the tokens.
    pub narrowed: bool,
    /// How many of the menus (status, section, permission, expiry) narrow them.
    pub filter_count: usize,
    /// Whether the merchant has any token (otherwise the first-token empty state shows).
    pub any: bool,
    /// How many tokens match.
    pub total: i64,
    /// `Showing 1–50 of 1,234`.
    pub showing: String,
    /// `Page 1 of 25`.
    pub page_of: String,
    /// The order in words: `newest first`, `by name, A to Z`, ...
    pub order: &'static str,
    /// The previous page, if any.
    pub prev: Option<String>,
    /// The next page, if any.
    pub next: Option<String>,
    /// This view's address.
    pub url: String,
    /// The status menu.
    pub statuses: Vec<Choice>,
    /// The section menu.
    pub sections: Vec<Choice>,
    /// The permission menu.
    pub permissions: Vec<Choice>,
    /// The expiry menu.
    pub expiries: Vec<Choice>,
    /// The page sizes, each with the address of this view at that size.
    pub sizes: Vec<PageSize>,
    /// The column headers, with their sort links.
    pub headers: Vec<Header>,
}

impl ListView {
    /// The view of `found`, the answer to `request`.
    pub fn new(request: ListRequest, found: &Summary) -> Self {
        let mut notices = request.notices.clone();
        if found.page < request.page && found.total > 0 {
            notices.push(Notice {
                kind: "warning",
                text: format!(
                    "There is no page {}: showing page {}, the last.",
                    format::count(request.page),
                    format::count(found.page)
                ),
            });
        }
        let per_page = found.per_page;
        let last = ((found.total + per_page - 1) / per_page).max(1);
        let first_shown = (found.page - 1) * per_page + 1;
        let last_shown = first_shown + found.shown - 1;
        let (key, direction) = (request.sort.key, request.sort.direction);
        let form = request.canonical.clone();
        Self {
            notices,
            narrowed: request.filter.is_narrowed(),
            filter_count: [
                request.filter.status.is_some(),
                request.filter.section.is_some(),
                request.filter.permission.is_some(),
                request.filter.expiry.is_some(),
            ]
            .into_iter()
            .filter(|on| *on)
            .count(),
            any: found.any,
            total: found.total,
            showing: format!(
                "Showing {}–{} of {}",
                format::count(first_shown),
                format::count(last_shown),
                format::count(found.total)
            ),
            page_of: format!(
                "Page {} of {}",
                format::count(found.page),
                format::count(last)
            ),
            order: match (key, direction) {
                (SortKey::Created, Direction::Desc) => "newest first",
                (SortKey::Created, Direction::Asc) => "oldest first",
                (SortKey::Name, Direction::Asc) => "by name, A to Z",
                (SortKey::Name, Direction::Desc) => "by name, Z to A",
                (SortKey::LastUsed, Direction::Desc) => "most recently used first",
                (SortKey::LastUsed, Direction::Asc) => "least recently used first",
                (SortKey::Expires, Direction::Asc) => "expiring soonest first",
                (SortKey::Expires, Direction::Desc) => "expiring latest first",
            },
            headers: headers(&request),
            sizes: PAGE_SIZES
                .iter()
                .map(|&n| {
                    let mut sized = request.clone();
                    sized.canonical.per = if n == crate::web::tokens::list::PAGE_SIZE {
                        String::new()
                    } else {
                        n.to_string()
                    };
                    PageSize {
                        size: n,
                        href: sized.url(1),
                        current: n == per_page,
                    }
                })
                .collect(),
            prev: (found.page > 1).then(|| request.url(found.page - 1)),
            next: (found.page < last).then(|| request.url(found.page + 1)),
            url: request.url(found.page),
            statuses: choices(
                "All statuses",
                TokenStatus::ALL.iter().map(|s| (s.as_str(), s.label())),
                request.filter.status.map_or("", TokenStatus::as_str),
            ),
            sections: choices(
                "All sections",
                Section::ALL.iter().map(|s| (s.as_str(), s.label())),
                request.filter.section.map_or("", Section::as_str),
            ),
            permissions: choices(
                "Any permission",
                Permission::ALL.iter().map(|p| (p.as_str(), p.label())),
                request.filter.permission.map_or("", Permission::as_str),
            ),
            expiries: choices(
                "Any expiry",
                ExpiryFilter::ALL.iter().map(|f| (f.as_str(), f.label())),
                request.filter.expiry.map_or("", |f| f.as_str()),
            ),
            form,
        }
    }

    /// What a screen reader hears after the results change.
    pub fn status_text(&self) -> String {
        if self.total == 0 {
            "No tokens match these filters.".to_owned()
        } else {
            format!("{} tokens, {}.", self.showing, self.order)
        }
    }
}

/// The results region alone, for htmx: the table (or the empty state) and its pager, plus the status
/// line that screen readers announce.
#[derive(Template)]
#[template(path = "access_tokens/_results_swap.html")]
pub struct ResultsFragment {
    /// The page's rows.
    pub tokens: Rows,
    /// Whether the viewer may enable and disable tokens.
    pub can_manage: bool,
    /// The rest of the view.
    pub list: ListView,
}
