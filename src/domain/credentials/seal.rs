//! Sealing API secrets with AES-256-GCM under a master key kept outside the database, so the server
//! can check request signatures without a database copy giving anyone a usable secret.
//!
//! A sealed value is `nonce (12 bytes) || ciphertext || tag (16 bytes)`, stored with the id of the
//! master key that sealed it. The associated data binds it to its token's key hash, so a sealed value
//! moved to another row does not open.

use aes_gcm::aead::Aead;
use aes_gcm::aead::Payload;
use aes_gcm::{Aes256Gcm, KeyInit};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{RandomError, random_bytes};

/// Bytes of a master key.
pub use crate::keys::MASTER_KEY_LEN;
const NONCE_LEN: usize = 12;

/// One master key and its public id.
pub struct MasterKey {
    id: String,
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl MasterKey {
    /// A master key from its 32 bytes. Its id is derived from the key (a hash), so it can be logged.
    pub fn new(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() != MASTER_KEY_LEN {
            return Err(format!(
                "a master key is {MASTER_KEY_LEN} bytes, not {}",
                bytes.len()
            ));
        }
        let cipher = Aes256Gcm::new_from_slice(bytes).map_err(|e| e.to_string())?;
        let digest = Sha256::new()
            .chain_update(b"kwik master key id\0")
            .chain_update(bytes)
            .finalize();
        Ok(Self {
            id: hex::encode(&digest[..8]),
            cipher,
        })
    }

    /// The key's id, stored next to every value it seals.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The current master key, and earlier ones still able to open values during a rotation.
#[derive(Debug)]
pub struct Keyring {
    current: MasterKey,
    previous: Vec<MasterKey>,
}

/// Why a sealed value could not be opened or made.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// No key with this id is configured.
    #[error("no master key with id {0} is configured")]
    UnknownKey(String),
    /// The value is damaged, was sealed for another token, or the key is wrong.
    #[error("sealed value does not open")]
    Corrupt,
    /// The random source failed.
    #[error(transparent)]
    Random(#[from] RandomError),
}

impl Keyring {
    /// A keyring sealing with `current` and also opening with `previous`.
    pub fn new(current: MasterKey, previous: Vec<MasterKey>) -> Self {
        Self { current, previous }
    }

    /// The id of the key new values are sealed with.
    pub fn current_id(&self) -> &str {
        self.current.id()
    }

    /// Seals `secret` for the token whose key hash is `bound_to`; returns the key id and the sealed bytes.
    pub fn seal(&self, secret: &[u8], bound_to: &[u8]) -> Result<(String, Vec<u8>), SealError> {
        let nonce = random_bytes::<NONCE_LEN>()?;
        let ciphertext = self
            .current
            .cipher
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: secret,
                    aad: bound_to,
                },
            )
            .map_err(|_| SealError::Corrupt)?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        Ok((self.current.id.clone(), sealed))
    }

    /// Opens a value sealed by [`Keyring::seal`] with the same `bound_to`.
    pub fn open(
        &self,
        key_id: &str,
        sealed: &[u8],
        bound_to: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == key_id)
            .ok_or_else(|| SealError::UnknownKey(key_id.to_owned()))?;
        if sealed.len() < NONCE_LEN + 16 {
            return Err(SealError::Corrupt);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealError::Corrupt)?;
        key.cipher
            .decrypt(
                &nonce.into(),
                Payload {
                    msg: ciphertext,
                    aad: bound_to,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| SealError::Corrupt)
    }
}

/// The keyring from the configuration, or from `master.key` (created on first use).
pub fn load_keyring(config: &crate::config::Config) -> anyhow::Result<Keyring> {
    let current = match &config.master_key {
        Some(k) => k.clone(),
        None => crate::keys::load_or_create_key_file(
            &config.data_dir,
            crate::keys::MASTER_KEY_FILE,
            MASTER_KEY_LEN,
            crate::keys::decode_master_key,
        )?,
    };
    let current = MasterKey::new(&current).map_err(anyhow::Error::msg)?;
    let previous = config
        .previous_master_keys
        .iter()
        .map(|k| MasterKey::new(k).map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Keyring::new(current, previous))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(byte: u8) -> Keyring {
        Keyring::new(MasterKey::new(&[byte; 32]).unwrap(), vec![])
    }

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_binding() {
        let r = ring(1);
        let (id, sealed) = r.seal(b"kwik_sk_secret", b"hash-a").unwrap();
        assert_eq!(id, r.current_id());
        assert!(!sealed.windows(14).any(|w| w == b"kwik_sk_secret"));
        assert_eq!(
            &*r.open(&id, &sealed, b"hash-a").unwrap(),
            b"kwik_sk_secret"
        );
        assert!(matches!(
            r.open(&id, &sealed, b"hash-b"),
            Err(SealError::Corrupt)
        ));
        let other = ring(2);
        assert!(matches!(
            other.open(&id, &sealed, b"hash-a"),
            Err(SealError::UnknownKey(_))
        ));
        let mut tampered = sealed.clone();
        tampered[20] ^= 1;
        assert!(matches!(
            r.open(&id, &tampered, b"hash-a"),
            Err(SealError::Corrupt)
        ));
        assert!(matches!(
            r.open(&id, &sealed[..10], b"hash-a"),
            Err(SealError::Corrupt)
        ));
    }

    #[test]
    fn previous_keys_still_open_during_a_rotation() {
        let old = ring(1);
        let (id, sealed) = old.seal(b"s", b"h").unwrap();
        let rotated = Keyring::new(
            MasterKey::new(&[2; 32]).unwrap(),
            vec![MasterKey::new(&[1; 32]).unwrap()],
        );
        assert_ne!(rotated.current_id(), id);
        assert_eq!(&*rotated.open(&id, &sealed, b"h").unwrap(), b"s");
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let r = ring(3);
        let (_, a) = r.seal(b"same", b"h").unwrap();
        let (_, b) = r.seal(b"same", b"h").unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn master_keys_must_be_32_bytes() {
        assert!(MasterKey::new(&[0; 31]).is_err());
        assert!(MasterKey::new(&[0; 33]).is_err());
    }
}
