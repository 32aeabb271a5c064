//! The hosted checkout form: a merchant's website posts Kwik's checkout form fields with a token's
//! PUBLIC_KEY, and gets a checkout page for its merchant. This module decides what that page shows;
//! it knows nothing of HTTP. It takes no payment.

pub mod amount;
pub mod customization;
pub mod form;
pub mod frequency;
pub mod submission;

use diesel::prelude::*;

pub use amount::{Amount, AmountError};
pub use customization::Customization;
pub use form::Offer;
pub use frequency::Frequency;
pub use submission::{Problem, Submission};

use crate::db::DbConn;
use crate::db::models::AccessToken;
use crate::domain::credentials::{
    PUBLIC_KEY_PREFIX, PUBLIC_KEY_RANDOM_LEN, Section, Sections, TokenStatus,
};

/// What the database says about a public key: only what the checkout needs. The key and secret
/// hashes are never even loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// The merchant's display name.
    pub merchant: String,
    /// Whether the token may be used.
    pub status: TokenStatus,
    /// The token's sections.
    pub sections: Sections,
}

/// Why a public key cannot start a checkout. Each has its own message, and none tells more about the
/// token than that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyProblem {
    /// No `public_key` field.
    Missing,
    /// Not a PUBLIC_KEY of any token (or not shaped like one).
    Unknown,
    /// The token is disabled.
    Disabled,
    /// The token does not hold the Checkout Page section.
    NoCheckoutSection,
}

impl KeyProblem {
    /// The sentence shown after the field name.
    pub fn message(self) -> &'static str {
        match self {
            Self::Missing => {
                "is required: copy the PUBLIC_KEY of an access token with the Checkout Page section into the form."
            }
            Self::Unknown => {
                "is not recognised. Check that it is the PUBLIC_KEY (kwik_pk_…) of one of your access tokens, copied in full."
            }
            Self::Disabled => {
                "belongs to a disabled access token. Enable the token under Developers › Access Tokens to accept checkouts."
            }
            Self::NoCheckoutSection => {
                "belongs to an access token without the Checkout Page section. Use a token that has that section."
            }
        }
    }

    /// As a form problem.
    pub fn problem(self) -> Problem {
        Problem::new("public_key", self.message())
    }
}

/// Whether `text` has the shape of a PUBLIC_KEY: `kwik_pk_` and 32 base62 characters. Anything else
/// is unknown without asking the database.
pub fn is_public_key_shaped(text: &str) -> bool {
    text.strip_prefix(PUBLIC_KEY_PREFIX).is_some_and(|rest| {
        rest.len() == PUBLIC_KEY_RANDOM_LEN && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// The token holding this PUBLIC_KEY (unique), with its merchant's name.
pub fn find_key(conn: &mut DbConn, public_key: &str) -> QueryResult<Option<KeyRecord>> {
    AccessToken::find_by_public_key(conn, public_key)?
        .map(|(token, merchant)| {
            // A stored value that no longer parses is a fault to report, not a reason to refuse quietly.
            let sections = token
                .sections()
                .map_err(|e| diesel::result::Error::DeserializationError(e.into()))?;
            Ok(KeyRecord {
                merchant,
                status: token.status,
                sections,
            })
        })
        .transpose()
}

/// The merchant a key may take checkouts for, or why not.
pub fn check_key(record: Option<KeyRecord>) -> Result<String, KeyProblem> {
    let record = record.ok_or(KeyProblem::Unknown)?;
    if record.status != TokenStatus::Live {
        return Err(KeyProblem::Disabled);
    }
    if !record.sections.contains(Section::CheckoutPage) {
        return Err(KeyProblem::NoCheckoutSection);
    }
    Ok(record.merchant)
}

/// A checkout ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    /// Who is paid.
    pub merchant: String,
    /// What for, how much and how often.
    pub offer: Offer,
}

/// Checks a submitted form: its public key against the database, and every other field. Either a
/// checkout to show, or every problem found (the key's first).
pub fn prepare(
    conn: &mut DbConn,
    form: &Submission,
) -> QueryResult<Result<Checkout, Vec<Problem>>> {
    let mut problems = Vec::new();
    let key = match form.one("public_key", &mut problems) {
        None => Err(KeyProblem::Missing),
        Some(key) if !is_public_key_shaped(key) => Err(KeyProblem::Unknown),
        Some(key) => check_key(find_key(conn, key)?),
    };
    if let Err(why) = key {
        problems.push(why.problem());
    }
    let offer = form.offer();
    Ok(match (key, offer) {
        (Ok(merchant), Ok(offer)) if problems.is_empty() => Ok(Checkout { merchant, offer }),
        (_, offer) => {
            problems.extend(offer.err().unwrap_or_default());
            Err(problems)
        }
    })
}
