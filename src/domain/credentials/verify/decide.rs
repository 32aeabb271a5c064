//! The decision for a found token: its secret (hash for Basic, sealed for a signature), replay,
//! status, expiry, allowlist, section and permission, in that order.

use std::net::IpAddr;

use diesel::prelude::*;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::{
    Code, Decision, Facts, Grant, Presented, ReplayGuard, SIGNATURE_WINDOW_SECS, Signed,
    TokenRecord, find_by_key_hash, precheck, string_to_sign,
};
use crate::db::DbConn;
use crate::db::models::AccessToken;
use crate::domain::credentials::seal::Keyring;
use crate::domain::credentials::{Permission, TokenStatus, sha256};

/// One of a token's secrets (current or previous).
struct Secret<'a> {
    hash: Option<&'a [u8]>,
    sealed: Option<&'a [u8]>,
    key_id: Option<&'a str>,
}

/// Whether `ip` may use a token with this allowlist (empty: anyone; unknown address: no one).
pub fn ip_allowed(allowlist: &str, ip: Option<IpAddr>) -> bool {
    if allowlist.trim().is_empty() {
        return true;
    }
    let Some(ip) = ip else { return false };
    allowlist
        .split(',')
        .filter_map(|net| net.trim().parse::<crate::infra::net::IpNet>().ok())
        .any(|net| net.contains(ip))
}

/// What verification needs besides the database.
pub struct Verifier<'a> {
    /// Opens sealed secrets for signed requests.
    pub keyring: &'a Keyring,
    /// Refuses replays, in this process; `None` when the caller refuses them with a store shared by
    /// every instance instead, once the signature is known to be authentic (see `check`).
    pub replays: Option<&'a ReplayGuard>,
}

impl Verifier<'_> {
    /// Decides. Cheap checks first: a malformed key or a secret with a bad checksum, or a stale
    /// timestamp, costs no database work. `now` is unix seconds.
    pub fn verify(&self, conn: &mut DbConn, facts: &Facts, now: i64) -> QueryResult<Decision> {
        let key_hash = match precheck(facts, now) {
            Ok(h) => h,
            Err(code) => return Ok(Decision::Denied(code)),
        };
        Ok(match find_by_key_hash(conn, &key_hash)? {
            Some(record) => self.decide(&record, facts, now),
            None => Decision::Denied(Code::InvalidCredentials),
        })
    }

    /// The decision for a found token (split out so a cache can feed it).
    pub fn decide(&self, record: &TokenRecord, facts: &Facts, now: i64) -> Decision {
        let token = &record.token;
        let now_utc = time::OffsetDateTime::from_unix_timestamp(now)
            .map(|t| time::PrimitiveDateTime::new(t.date(), t.time()))
            .unwrap_or_else(|_| crate::db::now());
        if token.deleted_at.is_some() {
            // Deleted means revoked for good: to the caller it is as if the key never existed.
            return Decision::Denied(Code::InvalidCredentials);
        }
        let grace = token
            .previous_expires_at
            .is_some_and(|until| until > now_utc);
        let presented_key = match &facts.presented {
            Presented::Basic { key, .. } => key,
            Presented::Signed(s) => &s.key,
        };
        // Only a rolled key has a previous one: the presented key is hashed again only then.
        let by_previous_key = token
            .previous_key_hash
            .as_deref()
            .is_some_and(|previous| previous == sha256(presented_key).as_slice());
        let current = Secret {
            hash: Some(&token.secret_hash),
            sealed: token.secret_sealed.as_deref(),
            key_id: token.secret_key_id.as_deref(),
        };
        let previous = Secret {
            hash: token.previous_secret_hash.as_deref(),
            sealed: token.previous_secret_sealed.as_deref(),
            key_id: token.previous_secret_key_id.as_deref(),
        };
        // The old key works only with the old secret, and only in the window; the current key works
        // with the current secret, and with the old one in the window when the key was not rolled.
        let authentic = if by_previous_key {
            grace && self.matches(token, &previous, facts)
        } else {
            self.matches(token, &current, facts)
                || (grace
                    && token.previous_key_hash.is_none()
                    && self.matches(token, &previous, facts))
        };
        if !authentic {
            return Decision::Denied(Code::InvalidCredentials);
        }
        if let (Presented::Signed(s), Some(replays)) = (&facts.presented, self.replays)
            && !replays.first_use(&s.signature, s.timestamp + SIGNATURE_WINDOW_SECS, now)
        {
            return Decision::Denied(Code::Replayed);
        }
        if token.status != TokenStatus::Live {
            return Decision::Denied(Code::Disabled);
        }
        if token.expires_at.is_some_and(|at| at <= now_utc) {
            return Decision::Denied(Code::Expired);
        }
        if !ip_allowed(&token.ip_allowlist, facts.client_ip) {
            return Decision::Denied(Code::IpNotAllowed);
        }
        let Some(sections) = record.sections.clone() else {
            tracing::error!(token = token.id.0, "stored sections do not parse; refusing");
            return Decision::Denied(Code::SectionNotAllowed);
        };
        if let Some(wanted) = facts.section
            && !sections.contains(wanted)
        {
            return Decision::Denied(Code::SectionNotAllowed);
        }
        let reads_only = matches!(facts.method.as_str(), "GET" | "HEAD");
        if token.permission == Permission::ReadOnly && !reads_only {
            return Decision::Denied(Code::ReadOnly);
        }
        Decision::Allowed(Grant {
            token_id: token.id,
            token_name: token.name.clone(),
            merchant_id: token.merchant_id,
            merchant_name: record.merchant_name.clone(),
            sections,
            permission: token.permission,
            status: token.status,
        })
    }

    /// Whether the presented credentials match this secret: its hash for Basic (in constant time),
    /// its sealed value for a signature.
    fn matches(&self, token: &AccessToken, secret: &Secret<'_>, facts: &Facts) -> bool {
        match &facts.presented {
            Presented::Basic {
                secret: presented, ..
            } => secret
                .hash
                .is_some_and(|h| bool::from(sha256(presented).ct_eq(h))),
            Presented::Signed(s) => match (secret.sealed, secret.key_id) {
                (Some(sealed), Some(key_id)) => {
                    self.signature_matches(token, sealed, key_id, s, &facts.method)
                }
                // Tokens created before signing existed have no sealed secret: Basic only.
                _ => false,
            },
        }
    }

    fn signature_matches(
        &self,
        token: &AccessToken,
        sealed: &[u8],
        key_id: &str,
        signed: &Signed,
        method: &str,
    ) -> bool {
        // A secret is sealed bound to the key hash current when it was sealed: the previous key's
        // hash for a secret kept from before a key roll.
        let bound_to = token
            .previous_key_hash
            .as_deref()
            .filter(|_| Some(sealed) == token.previous_secret_sealed.as_deref())
            .unwrap_or(&token.key_hash);
        let secret = match self.keyring.open(key_id, sealed, bound_to) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(token = token.id.0, error = %e, "sealed secret does not open");
                return false;
            }
        };
        let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(&secret) else {
            return false;
        };
        mac.update(
            string_to_sign(
                signed.timestamp,
                method,
                &signed.path_and_query,
                &signed.body_sha256,
            )
            .as_bytes(),
        );
        // verify_slice compares in constant time.
        mac.verify_slice(&signed.signature).is_ok()
    }
}
