//! Deciding whether a request's credentials grant access: Basic (Kwik-compatible) or signed. Takes
//! plain facts, returns a [`Decision`]; knows nothing of HTTP, so the API, the gateway endpoint and the
//! CLI share it.

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use diesel::prelude::*;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::format::{API_KEY_PREFIX, has_valid_checksum};
pub use super::replay::ReplayGuard;
use super::seal::Keyring;
use super::{API_KEY_RANDOM_LEN, Permission, Section, Sections, TokenStatus, sha256};
use crate::db::DbConn;
use crate::db::models::{AccessToken, MerchantId, TokenId};
use crate::db::schema::{access_tokens, merchants};

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
    /// The token's expiry date has passed.
    Expired,
    /// The client's address is not in the token's allowlist.
    IpNotAllowed,
}

impl Code {
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
            Self::Expired => "EXPIRED",
            Self::IpNotAllowed => "IP_NOT_ALLOWED",
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
            Self::Expired => "This token has expired. A merchant admin can create a new one.",
            Self::IpNotAllowed => "This token may not be used from this IP address.",
        }
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

/// Parses an `Authorization` header value of the Basic scheme.
pub fn parse_basic(header: &[u8]) -> Result<Presented, Code> {
    if header.len() > MAX_AUTHORIZATION_LEN {
        return Err(Code::Malformed);
    }
    let text = std::str::from_utf8(header)
        .map_err(|_| Code::Malformed)?
        .trim();
    let (scheme, encoded) = text.split_once(' ').ok_or(Code::Malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(Code::Malformed);
    }
    let decoded = zeroize::Zeroizing::new(
        STANDARD
            .decode(encoded.trim())
            .map_err(|_| Code::Malformed)?,
    );
    let decoded = std::str::from_utf8(&decoded).map_err(|_| Code::Malformed)?;
    let (key, secret) = decoded.split_once(':').ok_or(Code::Malformed)?;
    if key.is_empty() || secret.is_empty() {
        return Err(Code::Malformed);
    }
    Ok(Presented::Basic {
        key: key.to_owned(),
        secret: zeroize::Zeroizing::new(secret.to_owned()),
    })
}

/// Parses the signed-request headers: the key, `X-Kwik-Timestamp` and `X-Kwik-Signature: v1=<hex>`.
pub fn parse_signed(
    key: &str,
    timestamp: &str,
    signature: &str,
    path_and_query: &str,
    body_sha256: &str,
) -> Result<Presented, Code> {
    let timestamp = timestamp.trim();
    if timestamp.is_empty()
        || timestamp.len() > 12
        || !timestamp.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(Code::Malformed);
    }
    let timestamp: i64 = timestamp.parse().map_err(|_| Code::Malformed)?;
    let hex_sig = signature
        .trim()
        .strip_prefix("v1=")
        .ok_or(Code::Malformed)?;
    if hex_sig.len() != 64
        || !hex_sig
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(Code::Malformed);
    }
    let mut sig = [0u8; 32];
    hex::decode_to_slice(hex_sig, &mut sig).map_err(|_| Code::Malformed)?;
    let body = body_sha256.trim();
    if body.len() != 64
        || !body
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(Code::Malformed);
    }
    if path_and_query.is_empty() || !path_and_query.starts_with('/') {
        return Err(Code::Malformed);
    }
    Ok(Presented::Signed(Signed {
        key: key.trim().to_owned(),
        timestamp,
        signature: sig,
        path_and_query: path_and_query.to_owned(),
        body_sha256: body.to_owned(),
    }))
}

/// The text a signature covers: `"{timestamp}\n{METHOD}\n{path_and_query}\n{hex sha256(body)}"`.
pub fn string_to_sign(
    timestamp: i64,
    method: &str,
    path_and_query: &str,
    body_sha256: &str,
) -> String {
    format!(
        "{timestamp}\n{}\n{path_and_query}\n{body_sha256}",
        method.to_ascii_uppercase()
    )
}

/// The `v1` signature of a request, as lowercase hex (what a client computes).
pub fn sign(
    secret: &str,
    timestamp: i64,
    method: &str,
    path_and_query: &str,
    body: &[u8],
) -> String {
    let body_hash = hex::encode(<Sha256 as sha2::Digest>::digest(body));
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(string_to_sign(timestamp, method, path_and_query, &body_hash).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The checks that need neither the database nor the token: the shape of the key and secret (with
/// the secret's checksum) and the signature's timestamp. Returns the key hash to look up.
pub fn precheck(facts: &Facts, now: i64) -> Result<[u8; 32], Code> {
    let key = match &facts.presented {
        Presented::Basic { key, secret } => {
            if !well_formed_key(key) || !has_valid_checksum(secret) {
                return Err(Code::Malformed);
            }
            key
        }
        Presented::Signed(s) => {
            if !well_formed_key(&s.key) {
                return Err(Code::Malformed);
            }
            if (now - s.timestamp).abs() > SIGNATURE_WINDOW_SECS {
                return Err(Code::SignatureExpired);
            }
            &s.key
        }
    };
    Ok(sha256(key))
}

fn well_formed_key(key: &str) -> bool {
    key.len() == API_KEY_PREFIX.len() + API_KEY_RANDOM_LEN
        && key.starts_with(API_KEY_PREFIX)
        && key[API_KEY_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
}

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

/// A token as verification sees it.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    /// The stored token.
    pub token: AccessToken,
    /// Its merchant's name.
    pub merchant_name: String,
}

/// The token with this key hash, current or (during a roll's grace window) previous, and its
/// merchant's name. Both hashes have a unique index.
pub fn find_by_key_hash(conn: &mut DbConn, key_hash: &[u8]) -> QueryResult<Option<TokenRecord>> {
    access_tokens::table
        .inner_join(merchants::table)
        .filter(
            access_tokens::key_hash
                .eq(key_hash)
                .or(access_tokens::previous_key_hash.eq(key_hash)),
        )
        .select((AccessToken::as_select(), merchants::name))
        .first::<(AccessToken, String)>(conn)
        .optional()
        .map(|found| {
            found.map(|(token, merchant_name)| TokenRecord {
                token,
                merchant_name,
            })
        })
}

/// What verification needs besides the database.
pub struct Verifier<'a> {
    /// Opens sealed secrets for signed requests.
    pub keyring: &'a Keyring,
    /// Refuses replays.
    pub replays: &'a ReplayGuard,
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
        let by_previous_key =
            token.previous_key_hash.as_deref() == Some(sha256(presented_key).as_slice());
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
        if let Presented::Signed(s) = &facts.presented
            && !self
                .replays
                .first_use(&s.signature, s.timestamp + SIGNATURE_WINDOW_SECS, now)
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
        let Ok(sections) = token.sections() else {
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

#[cfg(test)]
mod tests {
    use super::*;

    // The README's worked example; the expected values were computed independently (Python hmac).
    const KEY: &str = "kwik_ak_3F9qZt7LmN2pR8sV4wX6yB1cD5eG0hJx";
    const SECRET: &str = "kwik_sk_Q2w9E8r7T6y5U4i3O2p1A0s9D8f7G6h5J4k3L2z10F1GCU";
    const BODY: &[u8] = br#"{"amount":"125.00","currency":"ZAR"}"#;
    const PATH: &str = "/api/v2/payments?reference=INV-1001";

    #[test]
    fn the_readme_signing_example_holds() {
        assert!(has_valid_checksum(SECRET));
        assert!(well_formed_key(KEY));
        assert_eq!(
            hex::encode(<Sha256 as sha2::Digest>::digest(BODY)),
            "a5d394ee846921c1bd2bde48392a11269685fc79ad059e21a54ce34390cec586"
        );
        assert_eq!(
            sign(SECRET, 1_795_000_000, "POST", PATH, BODY),
            "d33bb57ae8bdea53ff1f7dfea6c8db50201aecb975b5a8aaacbfdc8cfa8bbbb7"
        );
    }

    #[test]
    fn basic_headers_parse_or_are_malformed() {
        let good = format!("Basic {}", STANDARD.encode(format!("{KEY}:{SECRET}")));
        assert!(matches!(
            parse_basic(good.as_bytes()),
            Ok(Presented::Basic { .. })
        ));
        let lower = format!("basic {}", STANDARD.encode(format!("{KEY}:{SECRET}")));
        assert!(parse_basic(lower.as_bytes()).is_ok());
        for bad in [
            "".to_owned(),
            "Basic".to_owned(),
            "Bearer abc".to_owned(),
            "Basic !!!not-base64".to_owned(),
            format!("Basic {}", STANDARD.encode("no-colon-here")),
            format!("Basic {}", STANDARD.encode(":secret")),
            format!("Basic {}", STANDARD.encode("key:")),
            format!("Basic {}", STANDARD.encode("x".repeat(600))),
        ] {
            assert_eq!(
                parse_basic(bad.as_bytes()).err(),
                Some(Code::Malformed),
                "{bad}"
            );
        }
        let not_utf8 = format!("Basic {}", STANDARD.encode([0xff, 0xfe, b':', 0xfd]));
        assert_eq!(
            parse_basic(not_utf8.as_bytes()).err(),
            Some(Code::Malformed)
        );
        assert_eq!(parse_basic(&[0xff, 0xfe]).err(), Some(Code::Malformed));
    }

    #[test]
    fn signed_headers_parse_or_are_malformed() {
        let sig = format!("v1={}", "a".repeat(64));
        let body = "b".repeat(64);
        assert!(parse_signed(KEY, "1795000000", &sig, PATH, &body).is_ok());
        for (ts, s, p, b) in [
            ("", sig.as_str(), PATH, body.as_str()),
            ("-5", &sig, PATH, &body),
            ("12a", &sig, PATH, &body),
            ("1795000000", "a".repeat(64).as_str(), PATH, &body),
            ("1795000000", "v2=aa", PATH, &body),
            ("1795000000", &format!("v1={}", "A".repeat(64)), PATH, &body),
            ("1795000000", &sig, "no-slash", &body),
            ("1795000000", &sig, PATH, "short"),
        ] {
            assert_eq!(
                parse_signed(KEY, ts, s, p, b).err(),
                Some(Code::Malformed),
                "{ts} {s} {p} {b}"
            );
        }
    }

    mod fuzz {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn parse_basic_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..700)) {
                let _ = parse_basic(&bytes);
            }

            #[test]
            fn parse_basic_never_panics_on_basic_looking_input(inner in ".{0,300}") {
                let _ = parse_basic(format!("Basic {}", STANDARD.encode(inner)).as_bytes());
            }

            #[test]
            fn parse_signed_never_panics(ts in ".{0,20}", sig in ".{0,80}", path in ".{0,50}", body in ".{0,70}") {
                let _ = parse_signed("kwik_ak_x", &ts, &sig, &path, &body);
            }
        }
    }
}
