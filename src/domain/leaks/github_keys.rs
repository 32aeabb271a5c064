//! GitHub's secret-scanning signing keys and the check of a report's signature: ECDSA P-256 with
//! SHA-256 over the raw body, the signature base64 of DER, the key named by its identifier. The
//! keys are read from a file in GitHub's own list format
//! (`{"public_keys":[{"key_identifier","key","is_current"}]}`, as `api.github.com/meta/public_keys/
//! secret_scanning` serves it) and read again whenever the file's modification time or size
//! changes, so a key rotation needs no restart.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::SystemTime;

use base64::Engine;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;

/// Why a report's signature is refused, or could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    /// No key with that identifier in the list.
    #[error("unknown key identifier")]
    UnknownKey,
    /// Not base64 of a DER signature, or not a signature of this body by that key.
    #[error("bad signature")]
    Bad,
    /// The key list could not be read or understood (an operator's problem, not the caller's).
    #[error("key list {path}: {why}")]
    KeyList {
        /// The file.
        path: String,
        /// What went wrong.
        why: String,
    },
}

#[derive(serde::Deserialize)]
struct KeyList {
    public_keys: Vec<ListedKey>,
}

#[derive(serde::Deserialize)]
struct ListedKey {
    key_identifier: String,
    key: String,
}

/// The parsed keys, by identifier.
pub type Keys = HashMap<String, VerifyingKey>;

/// Reads GitHub's key list format.
pub fn parse_key_list(json: &str) -> Result<Keys, String> {
    let list: KeyList = serde_json::from_str(json).map_err(|e| e.to_string())?;
    list.public_keys
        .into_iter()
        .map(|k| match VerifyingKey::from_public_key_pem(k.key.trim()) {
            Ok(v) => Ok((k.key_identifier, v)),
            Err(e) => Err(format!("key {}: {e}", k.key_identifier)),
        })
        .collect()
}

/// Checks `signature_b64` (base64 of DER) over `body` with the key `key_id` of `keys`.
pub fn verify(
    keys: &Keys,
    key_id: &str,
    signature_b64: &str,
    body: &[u8],
) -> Result<(), SignatureError> {
    let key = keys.get(key_id).ok_or(SignatureError::UnknownKey)?;
    let der = base64::engine::general_purpose::STANDARD
        .decode(signature_b64.trim())
        .map_err(|_| SignatureError::Bad)?;
    let signature = Signature::from_der(&der).map_err(|_| SignatureError::Bad)?;
    key.verify(body, &signature)
        .map_err(|_| SignatureError::Bad)
}

/// What identifies one version of the file.
type Stamp = (Option<SystemTime>, u64);

/// The key list file, read again when it changes.
#[derive(Debug)]
pub struct KeyFile {
    path: PathBuf,
    loaded: Mutex<Option<(Stamp, Keys)>>,
}

impl KeyFile {
    /// The file at `path` (read at the first report).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            loaded: Mutex::new(None),
        }
    }

    fn failure(&self, why: impl std::fmt::Display) -> SignatureError {
        SignatureError::KeyList {
            path: self.path.display().to_string(),
            why: why.to_string(),
        }
    }

    /// Checks a report's signature with the current keys (blocking: a `stat`, and a read of the file
    /// when it changed).
    pub fn verify(
        &self,
        key_id: &str,
        signature_b64: &str,
        body: &[u8],
    ) -> Result<(), SignatureError> {
        let meta = std::fs::metadata(&self.path).map_err(|e| self.failure(e))?;
        let stamp = (meta.modified().ok(), meta.len());
        let mut loaded = self
            .loaded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if loaded.as_ref().is_none_or(|(s, _)| *s != stamp) {
            let text = std::fs::read_to_string(&self.path).map_err(|e| self.failure(e))?;
            let keys = parse_key_list(&text).map_err(|e| self.failure(e))?;
            *loaded = Some((stamp, keys));
        }
        let keys = loaded
            .as_ref()
            .map(|(_, k)| k)
            .ok_or(SignatureError::UnknownKey)?;
        verify(keys, key_id, signature_b64, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // GitHub's documented sample message ("Secret scanning partner program": "Sample message sent
    // to verify endpoint"): its key identifier, signature and raw body, byte for byte.
    const DOCS_KEY_ID: &str = "90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a";
    const DOCS_SIGNATURE: &str = "MEUCIQDKZokqnCjrRtw0tni+2Ltvl/uiMJ1EGumEsp1BsNr32AIgQY1YXD2nlj+XNfGK4rBfkMJ1JDOQcYXxa2sY8FNkrKc=";
    const DOCS_BODY: &str = r#"[{"token":"some_token","type":"some_type","url":"some_url"}]"#;
    // GitHub's public key with that identifier, as its key list publishes it (no longer current).
    const DOCS_KEY_LIST: &str = r#"{"public_keys":[{"key_identifier":"90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a","key":"-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9MJJHnMfn2+H4xL4YaPDA4RpJqUq\nkCmRCBnYERxZanmcpzQSXs1X/AljlKkbJ8qpVIW4clayyef9gWhFbNHWAA==\n-----END PUBLIC KEY-----\n","is_current":false}]}"#;

    #[test]
    fn githubs_documented_sample_verifies() {
        let keys = parse_key_list(DOCS_KEY_LIST).unwrap();
        verify(&keys, DOCS_KEY_ID, DOCS_SIGNATURE, DOCS_BODY.as_bytes()).unwrap();
    }

    #[test]
    fn the_documented_signature_fails_for_any_other_body_or_key_id() {
        let keys = parse_key_list(DOCS_KEY_LIST).unwrap();
        // the same JSON re-serialised with a space: the signature is over the raw bytes
        let spaced = DOCS_BODY.replace(r#","type""#, r#", "type""#);
        assert!(matches!(
            verify(&keys, DOCS_KEY_ID, DOCS_SIGNATURE, spaced.as_bytes()),
            Err(SignatureError::Bad)
        ));
        assert!(matches!(
            verify(&keys, "bcb53661", DOCS_SIGNATURE, DOCS_BODY.as_bytes()),
            Err(SignatureError::UnknownKey)
        ));
        assert!(matches!(
            verify(&keys, DOCS_KEY_ID, "not base64!", DOCS_BODY.as_bytes()),
            Err(SignatureError::Bad)
        ));
    }

    #[test]
    fn a_key_list_that_is_not_githubs_format_is_an_error() {
        assert!(parse_key_list("{}").is_err());
        assert!(
            parse_key_list(r#"{"public_keys":[{"key_identifier":"x","key":"nope"}]}"#).is_err()
        );
    }
}
