//! The hosted checkout form: a merchant's website posts Kwik's checkout form fields with a token's
//! PUBLIC_KEY, and gets a checkout page for its merchant. This module decides what that page shows;
//! it knows nothing of HTTP. It takes no payment.

pub mod amount;
pub mod customization;
pub mod form;
pub mod frequency;
pub mod submission;

use diesel::QueryResult;

pub use amount::{Amount, AmountError};
pub use customization::Customization;
pub use form::Offer;
pub use frequency::Frequency;
pub use submission::{Problem, Submission};

use crate::db::DbConn;
use crate::domain::credentials::Section;
use crate::domain::credentials::public_key::{self, Refusal};

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

impl KeyProblem {
    /// The checkout's wording of the shared rule's refusal.
    fn of(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Unknown => Self::Unknown,
            Refusal::Disabled => Self::Disabled,
            Refusal::SectionNotAllowed => Self::NoCheckoutSection,
        }
    }
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
        Some(key) => public_key::check(conn, key, Some(Section::CheckoutPage))?
            .map(|accepted| accepted.merchant_name)
            .map_err(KeyProblem::of),
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
