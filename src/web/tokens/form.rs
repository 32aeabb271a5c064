//! The create and edit form's state: the values as typed, the choices offered, and the errors.

use crate::db::models::AccessToken;
use crate::domain::credentials::{Permission, Section, TokenStatus};
use crate::domain::tokens::{FieldErrors, TokenInput};
use crate::web::format;

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
    /// A blank form: Read-Only and Live preselected, the safe defaults.
    pub fn blank(submission_id: String) -> Self {
        Self::from_input(
            &TokenInput::default(),
            FieldErrors::default(),
            submission_id,
        )
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

    /// The expiry choices: (value, label, checked).
    pub fn expiry_options(&self) -> [(&'static str, &'static str, bool); 5] {
        let is = |v: &str| self.expiry == v;
        [
            ("never", "No expiry", is("never") || self.expiry.is_empty()),
            ("30", "30 days", is("30")),
            ("60", "60 days", is("60")),
            ("90", "90 days", is("90")),
            ("custom", "On a date", is("custom")),
        ]
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
