//! The signed-request scheme: the string a signature covers, and the signature a client computes.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

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
