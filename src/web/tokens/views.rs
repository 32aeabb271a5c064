//! What the Access Tokens templates show: rows, the form, the reveal and the confirmation, each built
//! from domain values, and the template structs (one per page or fragment).

use zeroize::Zeroizing;

use crate::db::models::AccessToken;
use crate::domain::credentials::{NewCredentials, TokenStatus};

pub use super::form::{FormView, SectionOption};
pub use super::row::TokenRow;

/// The three credentials, shown once.
pub struct RevealView {
    pub token_name: String,
    /// `None` after a roll that kept the key (then `key_kept` shows it partially).
    pub api_key: Option<Zeroizing<String>>,
    pub key_kept: Option<String>,
    /// A roll rather than a creation.
    pub rolled: bool,
    pub api_secret: Zeroizing<String>,
    pub public_key: String,
}

impl RevealView {
    pub fn new(token: &AccessToken, credentials: NewCredentials) -> Self {
        Self {
            token_name: token.name.clone(),
            api_key: Some(credentials.api_key),
            key_kept: None,
            rolled: false,
            api_secret: credentials.api_secret,
            public_key: credentials.public_key,
        }
    }
}

/// What a status change will do, for the confirmation.
#[derive(Debug, Clone)]
pub struct ConfirmView {
    pub row: TokenRow,
    pub target: TokenStatus,
    /// The page the confirmation was opened from, and goes back to.
    pub from: ReturnTo,
}

impl ConfirmView {
    pub fn disabling(&self) -> bool {
        self.target == TokenStatus::Disabled
    }

    /// Where Cancel, the back link and the finished change lead.
    pub fn back_href(&self) -> String {
        self.from.href(self.row.id)
    }
}

/// The page an enable/disable confirmation was opened from (`?from=` on the confirmation, `from` in
/// its form). The table swaps the changed row in place; the detail page has no row to swap, so it is
/// shown again, with the new status and the message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReturnTo {
    #[default]
    Table,
    Detail,
}

impl ReturnTo {
    /// The address of that page for the token `id`.
    pub fn href(self, id: i64) -> String {
        match self {
            ReturnTo::Table => crate::web::tokens::PATH.to_owned(),
            ReturnTo::Detail => format!("{}/{id}", crate::web::tokens::PATH),
        }
    }

    pub fn is_detail(self) -> bool {
        self == ReturnTo::Detail
    }
}
