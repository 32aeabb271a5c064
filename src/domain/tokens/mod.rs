//! Access-token use cases: validating the create form, creating a token with fresh credentials, and
//! enabling or disabling it. Plain values in, decisions out; no HTTP.

pub mod create;
mod field_errors;
pub mod input;
pub mod lifecycle;
pub mod list;
pub mod status;

pub use create::{CreateError, create};
pub use input::{
    ALLOWLIST_MAX, EXPIRY_MAX_DAYS, FieldErrors, NAME_MAX, Rules, TokenInput, TokenSpec,
    allowlist_text, parse_allowlist, validate,
};
pub use status::{REASON_CHARS, Scope, StatusError, set_status};

use crate::db::models::AccessToken;
use crate::domain::audit::Target;
use crate::domain::credentials::Section;

/// The history's reference to a token.
pub fn target(token: &AccessToken) -> Target<'_> {
    Target {
        kind: "token",
        id: token.id.0,
        label: &token.name,
    }
}

/// A token's settings in one line, for the history: `Read-Write · Live · Customers, Payments`.
pub fn describe(spec: &TokenSpec) -> String {
    let sections = spec
        .sections
        .iter()
        .map(Section::label)
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "{} · {} · {sections}",
        spec.permission.label(),
        spec.status.label()
    )
}
