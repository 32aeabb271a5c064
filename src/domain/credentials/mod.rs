//! API credentials: generation from the OS CSPRNG, their typed formats, the secret's checksum, and
//! the hashes that are all the database ever keeps. Knows nothing of HTTP.

pub mod cache;
pub mod check;
pub mod format;
pub mod public_key;
pub mod rate_limit;
pub mod replay;
pub mod replay_store;
pub mod rotation;
pub mod seal;
pub mod usage;
pub mod verify;

pub use format::{
    API_KEY_PREFIX, API_SECRET_PREFIX, Kind, PUBLIC_KEY_PREFIX, has_valid_checksum, kind_of,
};

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

pub use crate::db::models::{Permission, Section, Sections, TokenStatus};
pub use crate::infra::random::{RandomError, random_bytes};

/// Random base62 characters in API_KEY (≈190 bits).
pub const API_KEY_RANDOM_LEN: usize = 32;
/// Random base62 characters in API_SECRET (≈238 bits), before its 6-character checksum.
pub const API_SECRET_RANDOM_LEN: usize = 40;
/// Random base62 characters in PUBLIC_KEY (≈190 bits).
pub const PUBLIC_KEY_RANDOM_LEN: usize = 32;
/// Random characters shown at the start of the partial key.
const DISPLAY_HEAD: usize = 4;
/// Characters shown at the end of the partial key.
const DISPLAY_TAIL: usize = 4;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A freshly generated set of credentials. The key and secret are wiped from memory on drop; they exist
/// only to be shown once.
pub struct NewCredentials {
    /// `kwik_ak_…`.
    pub api_key: Zeroizing<String>,
    /// `kwik_sk_…` ending in its checksum.
    pub api_secret: Zeroizing<String>,
    /// `kwik_pk_…`, public by design.
    pub public_key: String,
}

impl std::fmt::Debug for NewCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewCredentials")
            .field("api_key", &"[redacted]")
            .field("api_secret", &"[redacted]")
            .field("public_key", &self.public_key)
            .finish()
    }
}

impl NewCredentials {
    /// Generates API_KEY, API_SECRET and PUBLIC_KEY from the OS CSPRNG.
    pub fn generate() -> Result<Self, RandomError> {
        let api_key = Zeroizing::new(format!(
            "{API_KEY_PREFIX}{}",
            *random_base62(API_KEY_RANDOM_LEN)?
        ));
        let mut api_secret = Zeroizing::new(format!(
            "{API_SECRET_PREFIX}{}",
            *random_base62(API_SECRET_RANDOM_LEN)?
        ));
        let checksum = format::checksum(&api_secret);
        api_secret.push_str(&checksum);
        let public_key = format!(
            "{PUBLIC_KEY_PREFIX}{}",
            *random_base62(PUBLIC_KEY_RANDOM_LEN)?
        );
        Ok(Self {
            api_key,
            api_secret,
            public_key,
        })
    }

    /// SHA-256 of API_KEY: the lookup index.
    pub fn key_hash(&self) -> [u8; 32] {
        sha256(&self.api_key)
    }

    /// SHA-256 of API_SECRET.
    pub fn secret_hash(&self) -> [u8; 32] {
        sha256(&self.api_secret)
    }

    /// The key's first characters, kept for identification (`kwik_ak_3F9q`).
    pub fn key_prefix(&self) -> &str {
        let end = API_KEY_PREFIX.len() + DISPLAY_HEAD;
        self.api_key.get(..end).unwrap_or_default()
    }

    /// The key's last characters, kept for identification (`x7Lm`).
    pub fn key_suffix(&self) -> &str {
        let start = self.api_key.len().saturating_sub(DISPLAY_TAIL);
        self.api_key.get(start..).unwrap_or_default()
    }
}

/// SHA-256 of a credential's text.
pub fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// `len` characters drawn uniformly from base62 with the OS CSPRNG (rejection sampling: no modulo
/// bias).
pub fn random_base62(len: usize) -> Result<Zeroizing<String>, RandomError> {
    let mut out = Zeroizing::new(String::with_capacity(len));
    let mut buf = Zeroizing::new([0u8; 64]);
    while out.len() < len {
        crate::infra::random::fill(buf.as_mut())?;
        // 248 = 4 × 62: bytes at or above it would favour the first characters, so they are skipped.
        for &b in buf.iter().filter(|&&b| b < 248) {
            out.push(char::from(BASE62[usize::from(b % 62)]));
            if out.len() == len {
                break;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_credentials_have_their_typed_formats() {
        let c = NewCredentials::generate().unwrap();
        assert!(c.api_key.starts_with("kwik_ak_"));
        assert_eq!(c.api_key.len(), 8 + API_KEY_RANDOM_LEN);
        assert!(c.api_secret.starts_with("kwik_sk_"));
        assert_eq!(c.api_secret.len(), 8 + API_SECRET_RANDOM_LEN + 6);
        assert!(c.public_key.starts_with("kwik_pk_"));
        assert_eq!(c.public_key.len(), 8 + PUBLIC_KEY_RANDOM_LEN);
        for v in [
            c.api_key.as_str(),
            c.api_secret.as_str(),
            c.public_key.as_str(),
        ] {
            // a double-click selects the whole value: only word characters
            assert!(
                v.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_'),
                "{v}"
            );
        }
        assert_eq!(kind_of(&c.api_key), Some(Kind::ApiKey));
        assert_eq!(kind_of(&c.api_secret), Some(Kind::ApiSecret));
        assert_eq!(kind_of(&c.public_key), Some(Kind::PublicKey));
    }

    #[test]
    fn each_generation_is_different() {
        let a = NewCredentials::generate().unwrap();
        let b = NewCredentials::generate().unwrap();
        assert_ne!(*a.api_key, *b.api_key);
        assert_ne!(*a.api_secret, *b.api_secret);
        assert_ne!(a.public_key, b.public_key);
    }

    #[test]
    fn the_partial_key_is_head_and_tail_of_the_key() {
        let c = NewCredentials::generate().unwrap();
        assert_eq!(c.key_prefix(), &c.api_key[..12]);
        assert_eq!(c.key_suffix(), &c.api_key[c.api_key.len() - 4..]);
    }

    #[test]
    fn hashes_are_sha256_of_the_text() {
        let c = NewCredentials::generate().unwrap();
        assert_eq!(
            c.key_hash().to_vec(),
            Sha256::digest(c.api_key.as_bytes()).to_vec()
        );
        assert_ne!(c.key_hash(), c.secret_hash());
    }

    #[test]
    fn base62_draws_cover_the_alphabet_evenly() {
        let sample = random_base62(62 * 400).unwrap();
        let mut counts = [0usize; 62];
        for b in sample.bytes() {
            let i = BASE62.iter().position(|&c| c == b).unwrap();
            counts[i] += 1;
        }
        // 400 expected per character; a biased draw (e.g. plain modulo 256) skews the first 8 by 25%.
        assert!(
            counts.iter().all(|&n| (250..=560).contains(&n)),
            "{counts:?}"
        );
    }

    #[test]
    fn debug_output_never_shows_the_key_or_secret() {
        let c = NewCredentials::generate().unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains(c.api_key.as_str()) && !shown.contains(c.api_secret.as_str()));
    }
}
