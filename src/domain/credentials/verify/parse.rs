//! Reading what a request presents: the Basic header, the signed-request headers, and the checks
//! that need neither the database nor the token (shapes, checksum, timestamp).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{Code, Facts, MAX_AUTHORIZATION_LEN, Presented, SIGNATURE_WINDOW_SECS, Signed};
use crate::domain::credentials::format::{API_KEY_PREFIX, has_valid_checksum};
use crate::domain::credentials::{API_KEY_RANDOM_LEN, sha256};

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

pub(super) fn well_formed_key(key: &str) -> bool {
    key.len() == API_KEY_PREFIX.len() + API_KEY_RANDOM_LEN
        && key.starts_with(API_KEY_PREFIX)
        && key[API_KEY_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
}
