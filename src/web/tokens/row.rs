//! A row of the Access Tokens table, as its templates show it: built from a token as the table reads
//! it, and shown on the token's page, in confirmations and in the support console too.

use time::PrimitiveDateTime;

use crate::db::models::AccessToken;
use crate::db::models::token_list::ListedToken;
use crate::domain::credentials::{Permission, Section, TokenStatus};
use crate::web::format::{self, Label, Shown};

/// Chips shown before "+N more".
const CHIPS_SHOWN: usize = 2;

/// One table row. It keeps the token's times, not their text: a template writes each straight into
/// the page (see [`format::Shown`]), so a row costs no allocation per date.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    /// Start of API_KEY (`kwik_ak_3F9q`).
    pub key_prefix: String,
    /// Last characters of API_KEY.
    pub key_suffix: String,
    pub status: TokenStatus,
    pub permission: Permission,
    /// The sections' labels, in the help page's order.
    pub sections: SectionLabels,
    created_at: PrimitiveDateTime,
    last_used_at: Option<PrimitiveDateTime>,
    expires_at: Option<PrimitiveDateTime>,
    /// When the row was read: ages and time left count from it.
    now: PrimitiveDateTime,
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
    /// The expiry's tone, a CSS modifier: `never` (a warning), `soon` (within a week), `expired`,
    /// or empty.
    pub expires_tone: Label,
    /// "Rolling: old secret stops in 3 h" during a roll's grace window.
    pub rolling_note: Option<String>,
    /// Requests (allowed, denied and rate limited) in the last 30 days.
    requests: i64,
}

impl TokenRow {
    /// The row of a whole stored token (its page, a confirmation, the support console).
    pub fn new(token: &AccessToken) -> Self {
        Self::listed(ListedToken::from(token))
    }

    /// The row of a token as the table reads it.
    pub fn listed(token: ListedToken) -> Self {
        let now = crate::db::now();
        let status_note = leak_note(&token).or_else(|| support_note(&token));
        let leak_disabled = leak_disabled(&token);
        Self {
            id: token.id.0,
            sections: SectionLabels::of(&token.sections),
            status: token.status,
            permission: token.permission,
            created_at: token.created_at,
            last_used_at: token.last_used_at,
            expires_at: token.expires_at,
            now,
            status_note,
            leak_disabled,
            deleted: token.deleted_at.is_some(),
            expired: token.expires_at.is_some_and(|at| at <= now),
            expires_tone: Label::new(match token.expires_at {
                None => "never",
                Some(at) if at <= now => "expired",
                Some(at) if at - now <= time::Duration::days(7) => "soon",
                Some(_) => "",
            }),
            rolling_note: token
                .previous_expires_at
                .filter(|until| *until > now)
                .map(|until| {
                    format!(
                        "Rolling: old secret stops in {}",
                        format::remaining(until - now)
                    )
                }),
            requests: 0,
            name: token.name,
            key_prefix: token.key_prefix,
            key_suffix: token.key_suffix,
        }
    }

    /// This row with the token's requests in the last 30 days.
    pub fn with_requests(mut self, requests: i64) -> Self {
        self.requests = requests;
        self
    }

    pub fn is_live(&self) -> bool {
        self.status == TokenStatus::Live
    }

    /// `live` or `disabled`, for a data attribute.
    pub fn status_name(&self) -> Label {
        Label::new(self.status.as_str())
    }

    /// `read_only` or `read_write`, for a class.
    pub fn permission_name(&self) -> Label {
        Label::new(self.permission.as_str())
    }

    /// `Read-Only` or `Read-Write`.
    pub fn permission_label(&self) -> Label {
        Label::new(self.permission.label())
    }

    /// The partial key: `kwik_ak_3F9q…x7Lm`.
    pub fn partial_key(&self) -> String {
        crate::db::models::token_list::partial_key(&self.key_prefix, &self.key_suffix)
    }

    /// `22 Nov 2026`.
    pub fn created_date(&self) -> Shown {
        format::date_shown(self.created_at)
    }

    /// `22 Nov 2026, 14:03:12 SAST`.
    pub fn created_full(&self) -> Shown {
        format::date_time_shown(self.created_at)
    }

    /// `2026-11-22T12:03:12Z`, for `<time datetime>`.
    pub fn created_iso(&self) -> Shown {
        format::iso_shown(self.created_at)
    }

    /// "Never", or how long ago it was last used.
    pub fn last_used(&self) -> Shown {
        self.last_used_at
            .map_or(Shown::word("Never"), |t| format::ago_shown(t, self.now))
    }

    /// The full last-used time, for a title.
    pub fn last_used_full(&self) -> Option<Shown> {
        self.last_used_at.map(format::date_time_shown)
    }

    /// The Expires column: "in 22 days", "Never" or "Expired".
    pub fn expires(&self) -> Shown {
        match self.expires_at {
            None => Shown::word("Never"),
            Some(at) if at <= self.now => Shown::word("Expired"),
            Some(at) => format::remaining_shown(at - self.now),
        }
    }

    /// The expiry's full date and time, for a title.
    pub fn expires_full(&self) -> Option<Shown> {
        self.expires_at.map(format::date_time_shown)
    }

    /// Requests in the last 30 days: `1,204`.
    pub fn requests(&self) -> Shown {
        format::count_shown(self.requests)
    }

    /// Whether it has had none.
    pub fn no_requests(&self) -> bool {
        self.requests == 0
    }
}

/// A token's sections as the table shows them: the first [`CHIPS_SHOWN`] labels as chips, the rest
/// behind "+N". Held in place, not in a `Vec`: a token has at most every section.
#[derive(Debug, Clone, Copy)]
pub struct SectionLabels {
    labels: [Label; SECTIONS],
    len: usize,
}

/// How many sections there are.
const SECTIONS: usize = 10;
const _: () = assert!(Section::ALL.len() == SECTIONS);

impl SectionLabels {
    /// The labels of a stored section list (`payments,payouts`), in the help page's order. A stored
    /// value that no longer parses shows as such rather than hiding the token.
    pub fn of(stored: &str) -> Self {
        let mut present = [false; SECTIONS];
        for slug in stored.split(',').filter(|s| !s.is_empty()) {
            match Section::ALL.iter().position(|s| s.as_str() == slug) {
                Some(i) => present[i] = true,
                None => return Self::one("(unreadable sections)"),
            }
        }
        let mut labels = Self {
            labels: [Label::new(""); SECTIONS],
            len: 0,
        };
        for (section, _) in Section::ALL.iter().zip(present).filter(|(_, p)| *p) {
            labels.labels[labels.len] = Label::new(section.label());
            labels.len += 1;
        }
        labels
    }

    fn one(label: &'static str) -> Self {
        let mut labels = [Label::new(""); SECTIONS];
        labels[0] = Label::new(label);
        Self { labels, len: 1 }
    }

    /// The labels shown as chips.
    pub fn shown(&self) -> &[Label] {
        &self.labels[..self.len.min(CHIPS_SHOWN)]
    }

    /// The labels behind "+N".
    pub fn more(&self) -> &[Label] {
        &self.labels[self.len.min(CHIPS_SHOWN)..self.len]
    }

    /// Every label.
    pub fn all(&self) -> &[Label] {
        &self.labels[..self.len]
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

#[cfg(test)]
mod tests {
    use super::SectionLabels;
    use crate::web::format::Label;

    fn texts(labels: &[Label]) -> Vec<&'static str> {
        labels.iter().map(Label::as_str).collect()
    }

    #[test]
    fn section_labels_keep_the_help_pages_order_and_split_after_two_chips() {
        let labels = SectionLabels::of("payouts,customers,orders,payments");
        assert_eq!(
            texts(labels.all()),
            ["Customers", "Payments", "Payouts", "Orders"]
        );
        assert_eq!(texts(labels.shown()), ["Customers", "Payments"]);
        assert_eq!(texts(labels.more()), ["Payouts", "Orders"]);

        let one = SectionLabels::of("checkout_page");
        assert_eq!(texts(one.shown()), ["Checkout Page"]);
        assert!(one.more().is_empty());

        // Every section once, even when stored twice.
        let every = crate::domain::credentials::Section::ALL
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(
            SectionLabels::of(&format!("{every},{every}")).all().len(),
            10
        );
    }

    #[test]
    fn unreadable_sections_say_so_rather_than_hide_the_token() {
        let labels = SectionLabels::of("payments,teleportation");
        assert_eq!(texts(labels.all()), ["(unreadable sections)"]);
        assert!(SectionLabels::of("").all().is_empty());
    }

    /// Labels are written into pages unescaped (see `format::Label`).
    #[test]
    fn every_label_a_row_writes_unescaped_is_plain() {
        use crate::domain::credentials::{Permission, Section, TokenStatus};
        let labels = Section::ALL
            .iter()
            .flat_map(|s| [s.label(), s.as_str()])
            .chain(Permission::ALL.iter().flat_map(|p| [p.label(), p.as_str()]))
            .chain(TokenStatus::ALL.iter().map(|s| s.as_str()))
            .chain(["(unreadable sections)", "never", "expired", "soon"]);
        for label in labels {
            assert!(crate::web::format::is_plain(label), "{label:?}");
        }
        assert!(!crate::web::format::is_plain("Tom & Jerry"));
        assert!(!crate::web::format::is_plain("it's"));
    }
}
