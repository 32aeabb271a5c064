//! The typed text formats of the credentials, and API_SECRET's offline-checkable checksum.

/// API_KEY starts with this.
pub const API_KEY_PREFIX: &str = "kwik_ak_";
/// API_SECRET starts with this.
pub const API_SECRET_PREFIX: &str = "kwik_sk_";
/// PUBLIC_KEY starts with this.
pub const PUBLIC_KEY_PREFIX: &str = "kwik_pk_";

/// Characters of the checksum that ends an API_SECRET.
pub const CHECKSUM_LEN: usize = 6;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Which credential a string claims to be, by its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `kwik_ak_…`
    ApiKey,
    /// `kwik_sk_…`
    ApiSecret,
    /// `kwik_pk_…`
    PublicKey,
}

/// The kind of credential `text` claims to be, or `None` for any other text.
pub fn kind_of(text: &str) -> Option<Kind> {
    if text.starts_with(API_KEY_PREFIX) {
        Some(Kind::ApiKey)
    } else if text.starts_with(API_SECRET_PREFIX) {
        Some(Kind::ApiSecret)
    } else if text.starts_with(PUBLIC_KEY_PREFIX) {
        Some(Kind::PublicKey)
    } else {
        None
    }
}

/// The checksum of `body` (everything before the checksum, prefix included): CRC32 (IEEE), written as
/// 6 base62 digits, most significant first, zero-padded. `62^6 > 2^32`, so every CRC fits.
pub fn checksum(body: &str) -> String {
    let mut n = crc32fast::hash(body.as_bytes());
    let mut digits = [b'0'; CHECKSUM_LEN];
    for d in digits.iter_mut().rev() {
        *d = BASE62[(n % 62) as usize];
        n /= 62;
    }
    digits.iter().map(|&b| char::from(b)).collect()
}

/// Whether `secret` is a well-formed API_SECRET whose last 6 characters are the checksum of the rest.
/// A secret scanner can run this offline; the verifier runs it before any database work.
pub fn has_valid_checksum(secret: &str) -> bool {
    if !secret.starts_with(API_SECRET_PREFIX)
        || secret.len() <= API_SECRET_PREFIX.len() + CHECKSUM_LEN
        || !secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return false;
    }
    let (body, sum) = secret.split_at(secret.len() - CHECKSUM_LEN);
    // Not secret-dependent timing: the checksum is public structure, not a credential.
    checksum(body) == sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_matches_a_known_crc32() {
        // CRC32("123456789") is the standard check value 0xCBF43926, which is "3jZRME" in base62.
        assert_eq!(checksum("123456789"), "3jZRME");
        assert_eq!(checksum(""), "000000");
    }

    #[test]
    fn a_generated_secret_validates_and_a_changed_one_does_not() {
        let creds = crate::domain::credentials::NewCredentials::generate().unwrap();
        assert!(has_valid_checksum(&creds.api_secret));
        // change one character of the random part: the checksum no longer matches
        let mut bytes = creds.api_secret.as_bytes().to_vec();
        bytes[10] = if bytes[10] == b'a' { b'b' } else { b'a' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert!(!has_valid_checksum(&tampered));
    }

    #[test]
    fn malformed_secrets_are_refused_without_panicking() {
        for s in [
            "",
            "kwik_sk_",
            "kwik_sk_abc",
            "kwik_ak_0123456789abcdef",
            "kwik_sk_ab-cd000000",
            "kwik_sk_é0000000000",
        ] {
            assert!(!has_valid_checksum(s), "{s}");
        }
    }

    #[test]
    fn kinds_are_told_by_prefix() {
        assert_eq!(kind_of("kwik_ak_x"), Some(Kind::ApiKey));
        assert_eq!(kind_of("kwik_sk_x"), Some(Kind::ApiSecret));
        assert_eq!(kind_of("kwik_pk_x"), Some(Kind::PublicKey));
        assert_eq!(kind_of("sk_live_x"), None);
    }
}
