//! Deciding whether a request's credentials grant access: Basic (Kwik-compatible) or signed. Takes
//! plain facts, returns a [`Decision`]; knows nothing of HTTP, so the API, the gateway endpoint and the
//! CLI share it.

mod decide;
mod parse;
mod signature;
#[cfg(test)]
mod tests;

use std::net::IpAddr;
use std::sync::Arc;

pub use super::replay::ReplayGuard;
pub use super::replay_store::Replays;
use super::{Permission, Section, Sections, TokenStatus};
use crate::db::DbConn;
use crate::db::models::{AccessToken, MerchantId, TokenId};
pub use decide::{Verifier, ip_allowed};
pub use parse::{parse_basic, parse_signed, precheck};
pub use signature::{sign, string_to_sign};

/// How far a signed request's timestamp may be from the server's clock, in seconds.
pub const SIGNATURE_WINDOW_SECS: i64 = 300;
/// Longest `Authorization` header accepted (anything longer is malformed, not parsed).
pub const MAX_AUTHORIZATION_LEN: usize = 512;

/// Why a request was refused. The text form is the wire code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// An unknown key and a wrong secret look the same from outside.
    InvalidCredentials,
    /// The token exists but is disabled.
    Disabled,
    /// The token lacks the section asked for.
    SectionNotAllowed,
    /// A Read-Only token asked to change something.
    ReadOnly,
    /// The credentials are not in a form that could ever be valid.
    Malformed,
    /// A signed request's timestamp is outside the window.
    SignatureExpired,
    /// A signed request was already seen.
    Replayed,
    /// The store shared by every instance that refuses replays cannot be reached: signed requests
    /// are refused (fail closed) until it can; Basic keeps working.
    ReplayCheckUnavailable,
    /// The token's expiry date has passed.
    Expired,
    /// The client's address is not in the token's allowlist.
    IpNotAllowed,
    /// The token made more requests than its rate limit allows (429, with `Retry-After`).
    RateLimited,
    /// The request names a section that does not exist (400): a mistake in the request, not a
    /// refusal of the credentials.
    UnknownSection,
}

impl Code {
    /// Every code, in the order a token's page lists refusals of equal count.
    pub const ALL: [Self; 12] = [
        Self::InvalidCredentials,
        Self::Disabled,
        Self::Expired,
        Self::IpNotAllowed,
        Self::SectionNotAllowed,
        Self::ReadOnly,
        Self::RateLimited,
        Self::SignatureExpired,
        Self::Replayed,
        Self::ReplayCheckUnavailable,
        Self::Malformed,
        Self::UnknownSection,
    ];

    /// The code of a wire form, if it is one.
    pub fn parse(wire: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|code| code.as_str() == wire)
    }

    /// What a refusal with this code of a known token means, in a few words: `Wrong secret`.
    pub fn reason(self) -> &'static str {
        match self {
            // The key was found, so the secret (or the signature made with it) was wrong.
            Self::InvalidCredentials => "Wrong secret or signature",
            Self::Disabled => "Token disabled",
            Self::SectionNotAllowed => "Section not allowed",
            Self::ReadOnly => "Write with a Read-Only token",
            Self::Malformed => "Malformed credentials",
            Self::SignatureExpired => "Signature timestamp too old",
            Self::Replayed => "Signed request replayed",
            Self::ReplayCheckUnavailable => "Replay check unavailable",
            Self::Expired => "Token expired",
            Self::IpNotAllowed => "IP address not allowed",
            Self::RateLimited => "Over the rate limit",
            Self::UnknownSection => "Unknown section",
        }
    }

    /// The wire form, e.g. `INVALID_CREDENTIALS`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidCredentials => "INVALID_CREDENTIALS",
            Self::Disabled => "DISABLED",
            Self::SectionNotAllowed => "SECTION_NOT_ALLOWED",
            Self::ReadOnly => "READ_ONLY",
            Self::Malformed => "MALFORMED",
            Self::SignatureExpired => "SIGNATURE_EXPIRED",
            Self::Replayed => "REPLAYED",
            Self::ReplayCheckUnavailable => "REPLAY_CHECK_UNAVAILABLE",
            Self::Expired => "EXPIRED",
            Self::IpNotAllowed => "IP_NOT_ALLOWED",
            Self::RateLimited => "RATE_LIMITED",
            Self::UnknownSection => "UNKNOWN_SECTION",
        }
    }

    /// A human explanation.
    pub fn message(self) -> &'static str {
        match self {
            Self::InvalidCredentials => "The API key or secret is not valid.",
            Self::Disabled => {
                "This token is disabled. A merchant admin can enable it on the Access Tokens screen."
            }
            Self::SectionNotAllowed => "This token does not have access to that section.",
            Self::ReadOnly => {
                "This token is Read-Only: it can retrieve data but cannot create, update or delete records."
            }
            Self::Malformed => {
                "The credentials are malformed. Send Authorization: Basic base64(API_KEY:API_SECRET), or a signed request."
            }
            Self::SignatureExpired => {
                "The request timestamp is more than 300 seconds from the server's clock."
            }
            Self::Replayed => "This signed request was already used. Sign every request afresh.",
            Self::ReplayCheckUnavailable => {
                "Signed requests cannot be checked against replay right now: try again in a moment, or use Basic."
            }
            Self::Expired => "This token has expired. A merchant admin can create a new one.",
            Self::IpNotAllowed => "This token may not be used from this IP address.",
            Self::RateLimited => {
                "This token sent more requests a second than its rate limit allows. Wait the seconds in Retry-After, then try again."
            }
            Self::UnknownSection => {
                "There is no such section. Use one of customers, customer_bank_accounts, customer_cards, customer_mandates, payments, transactions, recipients, payouts, checkout_page or orders."
            }
        }
    }

    /// Whether the refusal is the server's, not the credentials' (503: try again later).
    pub fn is_unavailable(self) -> bool {
        self == Self::ReplayCheckUnavailable
    }

    /// Whether this is an authorization refusal (403) rather than an authentication one (401).
    pub fn is_forbidden(self) -> bool {
        matches!(
            self,
            Self::SectionNotAllowed | Self::ReadOnly | Self::IpNotAllowed
        )
    }
}

/// The credentials a request presents.
#[derive(Debug, Clone)]
pub enum Presented {
    /// `Authorization: Basic base64(API_KEY:API_SECRET)`, already decoded.
    Basic {
        /// API_KEY.
        key: String,
        /// API_SECRET.
        secret: zeroize::Zeroizing<String>,
    },
    /// `X-Kwik-Key`, `X-Kwik-Timestamp`, `X-Kwik-Signature` over the request.
    Signed(Signed),
}

/// The signed fields of a request.
#[derive(Debug, Clone)]
pub struct Signed {
    /// API_KEY.
    pub key: String,
    /// Unix seconds as sent.
    pub timestamp: i64,
    /// The HMAC-SHA256 from `v1=<hex>`.
    pub signature: [u8; 32],
    /// Path and query exactly as requested.
    pub path_and_query: String,
    /// Lowercase hex SHA-256 of the raw body.
    pub body_sha256: String,
}

/// Everything `verify` looks at.
#[derive(Debug, Clone)]
pub struct Facts {
    /// The credentials.
    pub presented: Presented,
    /// HTTP method, upper case.
    pub method: String,
    /// The section the request is for, if any.
    pub section: Option<Section>,
    /// The client's address, if known.
    pub client_ip: Option<IpAddr>,
}

/// What an allowed request may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The token.
    pub token_id: TokenId,
    /// Its name.
    pub token_name: String,
    /// Its merchant.
    pub merchant_id: MerchantId,
    /// The merchant's name.
    pub merchant_name: String,
    /// Its sections.
    pub sections: Sections,
    /// Its permission.
    pub permission: Permission,
    /// Its status (always Live when allowed).
    pub status: TokenStatus,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead, with this grant.
    Allowed(Grant),
    /// Refused, for this reason.
    Denied(Code),
}

/// A token as verification sees it.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    /// The stored token.
    pub token: AccessToken,
    /// Its merchant's name.
    pub merchant_name: String,
    /// Its merchant's rate limit, which applies when the token has none of its own.
    pub merchant_rate_limit: i32,
    /// The token's sections, parsed once when it is read rather than on every request; `None` when
    /// the stored value does not parse (every request is then refused, and says why in the log).
    pub sections: Option<Sections>,
}

impl TokenRecord {
    /// The record of a token read with its merchant's name and rate limit.
    pub fn new(token: AccessToken, merchant_name: String, merchant_rate_limit: i32) -> Self {
        let sections = token.sections().ok();
        Self {
            token,
            merchant_name,
            merchant_rate_limit,
            sections,
        }
    }

    /// Requests a second the token may make: its own limit, or its merchant's.
    pub fn rate_limit(&self) -> u32 {
        u32::try_from(self.token.rate_limit.unwrap_or(self.merchant_rate_limit)).unwrap_or(1)
    }
}

/// The token with this key hash, current or (during a roll's grace window) previous, and its
/// merchant's name.
pub fn find_by_key_hash(
    conn: &mut DbConn,
    key_hash: &[u8],
) -> diesel::QueryResult<Option<TokenRecord>> {
    Ok(AccessToken::find_by_key_hash(conn, key_hash)?.map(
        |(token, merchant_name, merchant_rate_limit)| {
            TokenRecord::new(token, merchant_name, merchant_rate_limit)
        },
    ))
}

/// For each of `key_hashes`, in order, the token with that key hash, as [`find_by_key_hash`]
/// answers it, shared (as the cache keeps it): the lookups of many requests in one statement.
pub fn find_by_key_hashes(
    conn: &mut DbConn,
    key_hashes: &[[u8; 32]],
) -> diesel::QueryResult<Vec<Option<Arc<TokenRecord>>>> {
    let found: Vec<Arc<TokenRecord>> = AccessToken::find_by_key_hashes(conn, key_hashes)?
        .into_iter()
        .map(|(token, merchant_name, merchant_rate_limit)| {
            Arc::new(TokenRecord::new(token, merchant_name, merchant_rate_limit))
        })
        .collect();
    Ok(key_hashes
        .iter()
        .map(|hash| {
            found
                .iter()
                .find(|r| {
                    r.token.key_hash.as_slice() == hash
                        || r.token.previous_key_hash.as_deref() == Some(hash.as_slice())
                })
                .cloned()
        })
        .collect())
}
