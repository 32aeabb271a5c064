//! The create and edit form's state: the values as typed, the choices offered, and the errors.

use crate::db::models::AccessToken;
use crate::domain::credentials::{Permission, Section, TokenStatus};
use crate::domain::tokens::{EXPIRY_MAX_DAYS, FieldErrors, TokenInput};
use crate::infra::sa_time;
use crate::web::format;

/// The fixed expiry choices, in days.
const EXPIRY_DAYS: [i32; 3] = [30, 60, 90];

/// A section checkbox.
#[derive(Debug, Clone)]
pub struct SectionOption {
    pub slug: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

/// The create form's state: the values as submitted and the errors.
#[derive(Debug, Clone)]
pub struct FormView {
    pub name: String,
    pub sections: Vec<SectionOption>,
    pub read_write: bool,
    pub disabled: bool,
    pub errors: FieldErrors,
    pub submission_id: String,
    /// Expiry choice: never, 30, 60, 90 or custom.
    pub expiry: String,
    /// The custom expiry day.
    pub expires_on: String,
    /// The merchant's maximum token lifetime in days: the choices beyond it are not offered.
    pub max_lifetime_days: Option<i32>,
    /// The allowlist as typed.
    pub ip_allowlist: String,
    /// The token's own rate limit as typed; empty: the merchant's.
    pub rate_limit: String,
    /// The merchant's rate limit, which an empty field means.
    pub merchant_rate_limit: i32,
    /// Where the form posts.
    pub action: String,
    /// Editing an existing token (not creating one).
    pub editing: bool,
}

impl FormView {
    /// A blank form: Read-Only and Live preselected, the safe defaults, and the longest expiry the
    /// merchant allows when it requires one (no expiry otherwise).
    pub fn blank(submission_id: String, max_lifetime_days: Option<i32>) -> Self {
        let mut form = Self::from_input(
            &TokenInput::default(),
            FieldErrors::default(),
            submission_id,
        )
        .within(max_lifetime_days);
        if let Some(max) = max_lifetime_days {
            match EXPIRY_DAYS.iter().rev().find(|days| **days <= max) {
                Some(days) => form.expiry = days.to_string(),
                None => {
                    form.expiry = "custom".into();
                    form.expires_on = form.last_day();
                }
            }
        }
        form
    }

    /// The same form under a merchant's maximum lifetime: choices beyond it are not offered.
    pub fn within(mut self, max_lifetime_days: Option<i32>) -> Self {
        self.max_lifetime_days = max_lifetime_days;
        self
    }

    /// Today in South Africa, the first day a token may expire (`min` of the date field).
    pub fn first_day(&self) -> String {
        format::day_iso(sa_time::day_of(crate::db::now()))
    }

    /// The last day the merchant allows, or the last within 10 years (`max` of the date field).
    pub fn last_day(&self) -> String {
        let days = self
            .max_lifetime_days
            .map_or(EXPIRY_MAX_DAYS - 1, i64::from)
            .min(EXPIRY_MAX_DAYS - 1);
        format::day_iso(sa_time::day_of(crate::db::now()) + time::Duration::days(days))
    }

    /// The form as submitted, with its errors.
    pub fn from_input(input: &TokenInput, errors: FieldErrors, submission_id: String) -> Self {
        Self {
            name: input.name.clone(),
            sections: Section::ALL
                .iter()
                .map(|s| SectionOption {
                    slug: s.as_str(),
                    label: s.label(),
                    checked: input.sections.iter().any(|x| x == s.as_str()),
                })
                .collect(),
            read_write: input.permission.as_deref() == Some(Permission::ReadWrite.as_str()),
            disabled: input.status.as_deref() == Some(TokenStatus::Disabled.as_str()),
            errors,
            submission_id,
            expiry: input.expiry.clone().unwrap_or_else(|| "never".into()),
            expires_on: input.expires_on.clone().unwrap_or_default(),
            max_lifetime_days: None,
            ip_allowlist: input.ip_allowlist.clone().unwrap_or_default(),
            rate_limit: input.rate_limit.clone().unwrap_or_default(),
            merchant_rate_limit: crate::domain::credentials::rate_limit::DEFAULT_PER_SECOND,
            action: "/developers/access-tokens".into(),
            editing: false,
        }
    }

    /// The form for editing `token`, filled with its settings.
    pub fn for_token(token: &AccessToken, merchant_rate_limit: i32) -> Self {
        let input = TokenInput {
            name: token.name.clone(),
            sections: token
                .sections()
                .unwrap_or_default()
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
            permission: Some(token.permission.as_str().into()),
            status: Some(token.status.as_str().into()),
            expiry: Some(
                if token.expires_at.is_some() {
                    "custom"
                } else {
                    "never"
                }
                .into(),
            ),
            expires_on: token.expires_at.map(format::iso_day),
            ip_allowlist: Some(token.ip_allowlist.replace(',', "\n")),
            rate_limit: token.rate_limit.map(|n| n.to_string()),
        };
        Self::editing(
            token.id.0,
            &input,
            FieldErrors::default(),
            merchant_rate_limit,
        )
    }

    /// An edit form as submitted, with its errors; an empty rate limit means `merchant_rate_limit`.
    pub fn editing(
        id: i64,
        input: &TokenInput,
        errors: FieldErrors,
        merchant_rate_limit: i32,
    ) -> Self {
        let mut form = Self::from_input(input, errors, String::new());
        form.action = format!("/developers/access-tokens/{id}/edit");
        form.editing = true;
        form.merchant_rate_limit = merchant_rate_limit;
        form
    }

    /// The longest name the server accepts: the field says it, and stops there.
    pub fn name_max(&self) -> usize {
        crate::domain::tokens::NAME_MAX
    }

    /// The expiry choices, (value, label, checked): those the merchant allows, and the one chosen
    /// (an edit of a token made before the rule keeps showing what it has).
    pub fn expiry_options(&self) -> Vec<(&'static str, &'static str, bool)> {
        let chosen = if self.expiry.is_empty() {
            "never"
        } else {
            self.expiry.as_str()
        };
        let allowed = |value: &str| match (value, self.max_lifetime_days) {
            (_, None) | ("custom", _) => true,
            ("never", Some(_)) => false,
            (days, Some(max)) => days.parse::<i32>().is_ok_and(|d| d <= max),
        };
        [
            ("never", "No expiry"),
            ("30", "30 days"),
            ("60", "60 days"),
            ("90", "90 days"),
            ("custom", "On a date"),
        ]
        .into_iter()
        .filter(|(value, _)| allowed(value) || *value == chosen)
        .map(|(value, label)| (value, label, value == chosen))
        .collect()
    }

    pub fn permission_options(&self) -> [(Permission, bool); 2] {
        [
            (Permission::ReadOnly, !self.read_write),
            (Permission::ReadWrite, self.read_write),
        ]
    }

    pub fn status_options(&self) -> [(TokenStatus, bool); 2] {
        [
            (TokenStatus::Live, !self.disabled),
            (TokenStatus::Disabled, self.disabled),
        ]
    }
}
