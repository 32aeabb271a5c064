//! A row of the Access Tokens table, as its templates show it: built from a token as the table reads
//! it, and shown on the token's page, in confirmations and in the support console too.

use crate::db::models::AccessToken;
use crate::db::models::token_list::ListedToken;
use crate::domain::credentials::{Permission, Section, TokenStatus};
use crate::web::format;

/// Chips shown before "+N more".
const CHIPS_SHOWN: usize = 2;

/// One table row.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub partial_key: String,
    pub status: TokenStatus,
    pub permission: Permission,
    pub sections_shown: Vec<&'static str>,
    pub sections_more: Vec<&'static str>,
    pub created_date: String,
    pub created_full: String,
    pub created_iso: String,
    /// "Never", or how long ago it was last used.
    pub last_used: String,
    /// The full last-used time, for a title.
    pub last_used_full: Option<String>,
    /// "Disabled by Kwik Support on 22 Nov 2026: “reason”", when support made the last change;
    /// "Disabled automatically: found in public commit (URL) on 22 Nov 2026 14:05", after a leak
    /// report.
    pub status_note: Option<String>,
    /// Last disabled after a leak report (the Access Tokens banner and the support filter say so).
    pub leak_disabled: bool,
    /// The token was deleted (only the support console still lists it).
    pub deleted: bool,
    /// The token's expiry has passed.
    pub expired: bool,
    /// The Expires column: "in 22 days", "Never" or "Expired".
    pub expires: String,
    /// Its tone, a CSS modifier: `never` (a warning), `soon` (within a week), `expired`, or empty.
    pub expires_tone: &'static str,
    /// The expiry's full date and time, for a title.
    pub expires_full: Option<String>,
    /// "Rolling: old secret stops in 3 h" during a roll's grace window.
    pub rolling_note: Option<String>,
    /// Requests (allowed, denied and rate limited) in the last 30 days: `1,204`.
    pub requests: String,
    /// Whether that is none.
    pub no_requests: bool,
}

impl TokenRow {
    /// The row of a whole stored token (its page, a confirmation, the support console).
    pub fn new(token: &AccessToken) -> Self {
        Self::listed(&ListedToken::from(token))
    }

    /// The row of a token as the table reads it.
    pub fn listed(token: &ListedToken) -> Self {
        // A stored value that no longer parses shows as-is rather than hiding the token.
        let labels: Vec<&'static str> =
            match crate::domain::credentials::Sections::parse_stored(&token.sections) {
                Ok(s) => s.iter().map(Section::label).collect(),
                Err(_) => vec!["(unreadable sections)"],
            };
        let (shown, more) = labels.split_at(labels.len().min(CHIPS_SHOWN));
        let now = crate::db::now();
        Self {
            id: token.id.0,
            name: token.name.clone(),
            partial_key: token.partial_key(),
            status: token.status,
            permission: token.permission,
            sections_shown: shown.to_vec(),
            sections_more: more.to_vec(),
            created_date: format::date(token.created_at),
            created_full: format::date_time(token.created_at),
            created_iso: format::iso(token.created_at),
            last_used: token
                .last_used_at
                .map_or_else(|| "Never".to_owned(), |t| format::ago(t, now)),
            last_used_full: token.last_used_at.map(format::date_time),
            status_note: leak_note(token).or_else(|| support_note(token)),
            leak_disabled: leak_disabled(token),
            deleted: token.deleted_at.is_some(),
            expired: token.expires_at.is_some_and(|at| at <= now),
            expires: match token.expires_at {
                None => "Never".to_owned(),
                Some(at) if at <= now => "Expired".to_owned(),
                Some(at) => format!("in {}", format::remaining(at - now)),
            },
            expires_tone: match token.expires_at {
                None => "never",
                Some(at) if at <= now => "expired",
                Some(at) if at - now <= time::Duration::days(7) => "soon",
                Some(_) => "",
            },
            expires_full: token.expires_at.map(format::date_time),
            rolling_note: token
                .previous_expires_at
                .filter(|until| *until > now)
                .map(|until| {
                    format!(
                        "Rolling: old secret stops in {}",
                        format::remaining(until - now)
                    )
                }),
            requests: "0".to_owned(),
            no_requests: true,
        }
    }

    /// This row with the token's requests in the last 30 days.
    pub fn with_requests(mut self, requests: i64) -> Self {
        self.requests = format::count(requests);
        self.no_requests = requests == 0;
        self
    }

    pub fn is_live(&self) -> bool {
        self.status == TokenStatus::Live
    }
}

/// "Disabled automatically: found in public commit (URL) on 2 Dec 2026, 14:05".
fn leak_note(token: &ListedToken) -> Option<String> {
    if !leak_disabled(token) {
        return None;
    }
    let when = token
        .status_changed_at
        .map(|t| format!(" on {}", format::date_time(t)))
        .unwrap_or_default();
    token.status_reason.as_deref().map(|r| format!("{r}{when}"))
}

/// "Disabled by Kwik Support on 22 Nov 2026: “reason”", when support made the last change.
fn support_note(token: &ListedToken) -> Option<String> {
    token.status_changed_by_support.then(|| {
        let verb = if token.status == TokenStatus::Live {
            "Enabled"
        } else {
            "Disabled"
        };
        let when = token
            .status_changed_at
            .map(|t| format!(" on {}", format::date(t)))
            .unwrap_or_default();
        let why = token
            .status_reason
            .as_deref()
            .map(|r| format!(": “{r}”"))
            .unwrap_or_default();
        format!("{verb} by Kwik Support{when}{why}")
    })
}

fn leak_disabled(token: &ListedToken) -> bool {
    crate::domain::leaks::is_leak_disable(
        token.status,
        token.status_changed_by_support,
        token.status_reason.as_deref(),
    )
}
