//! The PUBLIC_KEY rule, written once for the hosted checkout and the gateway: a public key is good
//! when it names a live token that holds the section asked for. A deleted token's key is unknown, as
//! if it had never existed; a stored value that no longer parses is a fault to report, never a reason
//! to refuse (or allow) quietly.

use diesel::QueryResult;

use super::format::PUBLIC_KEY_PREFIX;
use super::{PUBLIC_KEY_RANDOM_LEN, Section, Sections, TokenStatus};
use crate::db::DbConn;
use crate::db::models::AccessToken;

/// Why a public key is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not a PUBLIC_KEY of any token (or not even shaped like one, or its token was deleted).
    Unknown,
    /// The token is disabled.
    Disabled,
    /// The token does not hold the section asked for.
    SectionNotAllowed,
}

/// A public key's token, as the rule found it usable.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// The token.
    pub token: AccessToken,
    /// Its merchant's display name.
    pub merchant_name: String,
    /// Its sections, read.
    pub sections: Sections,
}

/// Whether `text` has the shape of a PUBLIC_KEY: `kwik_pk_` and 32 base62 characters. Anything else
/// is unknown without asking the database.
pub fn is_shaped(text: &str) -> bool {
    text.strip_prefix(PUBLIC_KEY_PREFIX).is_some_and(|rest| {
        rest.len() == PUBLIC_KEY_RANDOM_LEN && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// Checks `public_key`, with `section` when one is required.
pub fn check(
    conn: &mut DbConn,
    public_key: &str,
    section: Option<Section>,
) -> QueryResult<Result<Accepted, Refusal>> {
    if !is_shaped(public_key) {
        return Ok(Err(Refusal::Unknown));
    }
    let Some((token, merchant_name)) = AccessToken::find_by_public_key(conn, public_key)? else {
        return Ok(Err(Refusal::Unknown));
    };
    decide(token, merchant_name, section)
}

fn decide(
    token: AccessToken,
    merchant_name: String,
    section: Option<Section>,
) -> QueryResult<Result<Accepted, Refusal>> {
    if token.deleted_at.is_some() {
        return Ok(Err(Refusal::Unknown));
    }
    if token.status != TokenStatus::Live {
        return Ok(Err(Refusal::Disabled));
    }
    let sections = token
        .sections()
        .map_err(|e| diesel::result::Error::DeserializationError(e.into()))?;
    if section.is_some_and(|s| !sections.contains(s)) {
        return Ok(Err(Refusal::SectionNotAllowed));
    }
    Ok(Ok(Accepted {
        token,
        merchant_name,
        sections,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_shape_is_a_public_key() {
        let good = format!("kwik_pk_{}", "aZ3".repeat(10) + "xy");
        assert!(is_shaped(&good));
        assert!(!is_shaped(&good[..good.len() - 1]));
        assert!(!is_shaped(&format!("{good}x")));
        assert!(!is_shaped(&good.replace("kwik_pk_", "kwik_ak_")));
        assert!(!is_shaped(&format!("kwik_pk_{}-", "a".repeat(31))));
    }
}
