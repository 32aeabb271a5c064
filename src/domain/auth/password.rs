//! argon2id password hashing and verification, with a dummy hash so that unknown users cost the same.

use argon2::{Algorithm, Argon2, Block, PasswordHash, PasswordHasher, Version};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::config::Argon2Params;
use crate::domain::credentials::{RandomError, random_base62};

/// Shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 12;
/// Longest password accepted (bounds the hashing work an attacker can ask for).
pub const MAX_PASSWORD_LEN: usize = 1024;

/// Hashes and verifies passwords with one fixed set of argon2id parameters.
#[derive(Clone)]
pub struct Passwords {
    argon: Argon2<'static>,
    /// A hash of a random password with the same parameters, verified against for unknown emails.
    dummy_hash: String,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords").finish_non_exhaustive()
    }
}

/// Hashing failed (bad parameters or a failing random source).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

impl HashError {
    /// A hashing failure with this cause.
    pub fn new(cause: impl Into<String>) -> Self {
        Self(cause.into())
    }
}

impl Passwords {
    /// A hasher with these parameters. Computes one dummy hash (one hashing's worth of time).
    pub fn new(params: Argon2Params) -> Result<Self, HashError> {
        let params = argon2::Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| HashError(e.to_string()))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut this = Self {
            argon,
            dummy_hash: String::new(),
        };
        let dummy = generate_password().map_err(|e| HashError(e.to_string()))?;
        this.dummy_hash = this.hash(&dummy)?;
        Ok(this)
    }

    /// The PHC string of `password` with a fresh random salt.
    pub fn hash(&self, password: &str) -> Result<String, HashError> {
        self.argon
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| HashError(e.to_string()))
    }

    /// Whether `password` matches `stored`. With `None` (no such user) the dummy hash is checked so the
    /// answer takes as long, and is always `false`.
    pub fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        let target = stored.unwrap_or(&self.dummy_hash);
        let ok = PasswordHash::new(target)
            .ok()
            .is_some_and(|hash| matches(password.as_bytes(), &hash));
        ok && stored.is_some()
    }
}

/// glibc's malloc serves a freed 19 MiB block's successors from its arenas, and keeps them: after a
/// login storm the process held hundreds of MiB. A block above this size (its dynamic mmap threshold's
/// ceiling, 32 MiB on 64-bit) is always its own mapping, returned to the system when freed. Only the
/// pages argon2 touches become resident, so reserving more costs address space, not memory.
const ALWAYS_MAPPED_BLOCKS: usize = (32 << 20) / 1024 + 1;

/// Whether `password` hashes to `stored`'s output under `stored`'s own parameters, salt and algorithm
/// (argon2's `verify_password`, with the working memory allocated as above). Compared in constant time.
fn matches(password: &[u8], stored: &PasswordHash) -> bool {
    let (Some(salt), Some(expected)) = (&stored.salt, &stored.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(stored.algorithm.as_str()) else {
        return false;
    };
    let version = match stored.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = argon2::Params::try_from(stored) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params);
    let blocks = argon.params().block_count();
    let mut memory: Vec<Block> = Vec::with_capacity(blocks.max(ALWAYS_MAPPED_BLOCKS));
    memory.resize(blocks, Block::default());
    let mut out = Zeroizing::new(vec![0u8; expected.len()]);
    let hashed = argon.hash_password_into_with_memory(password, salt, &mut out, &mut memory[..]);
    // Wipe what the password filled in before the pages go back (black_box: the stores must stay).
    memory.fill(Block::default());
    std::hint::black_box(&memory);
    hashed.is_ok() && bool::from(out.as_slice().ct_eq(expected.as_bytes()))
}

/// Why a chosen password is refused.
pub fn check_strength(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if password.trim().is_empty() {
        return Err("the password is empty".into());
    }
    if chars < MIN_PASSWORD_LEN {
        return Err(format!(
            "the password is too short: use at least {MIN_PASSWORD_LEN} characters"
        ));
    }
    if chars > MAX_PASSWORD_LEN {
        return Err(format!(
            "the password is too long: use at most {MAX_PASSWORD_LEN} characters"
        ));
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 5 {
        return Err("the password is too weak: it repeats too few different characters".into());
    }
    Ok(())
}

/// A random 20-character base62 password (≈119 bits).
pub fn generate_password() -> Result<Zeroizing<String>, RandomError> {
    random_base62(20)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Passwords {
        Passwords::new(Argon2Params {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap()
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let p = cheap();
        let hash = p.hash("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(p.verify("correct horse battery", Some(&hash)));
        assert!(!p.verify("correct horse batterY", Some(&hash)));
        assert!(!p.verify("anything", None));
        assert!(!p.verify("anything", Some("not a phc string")));
    }

    #[test]
    fn a_stored_hash_is_checked_with_its_own_parameters_as_argon2_itself_would() {
        use argon2::PasswordVerifier;
        // Hashes made by argon2 with other costs, versions and variants than the hasher's own.
        let p = cheap();
        for (algorithm, version, m, t, lanes) in [
            (Algorithm::Argon2id, Version::V0x13, 128, 2, 1),
            (Algorithm::Argon2id, Version::V0x13, 256, 1, 2),
            (Algorithm::Argon2i, Version::V0x13, 64, 3, 1),
            (Algorithm::Argon2id, Version::V0x10, 64, 1, 1),
        ] {
            let params = argon2::Params::new(m, t, lanes, Some(24)).unwrap();
            let other = Argon2::new(algorithm, version, params);
            let hash = other
                .hash_password(b"correct horse battery")
                .unwrap()
                .to_string();
            for attempt in ["correct horse battery", "correct horse batterY", ""] {
                let theirs = other
                    .verify_password(attempt.as_bytes(), &PasswordHash::new(&hash).unwrap())
                    .is_ok();
                assert_eq!(p.verify(attempt, Some(&hash)), theirs, "{hash} / {attempt}");
            }
            assert!(p.verify("correct horse battery", Some(&hash)));
        }
    }

    #[test]
    fn weak_passwords_are_refused_with_a_reason() {
        assert!(check_strength("").is_err());
        assert!(check_strength("   ").is_err());
        assert!(check_strength("short").unwrap_err().contains("at least 12"));
        assert!(
            check_strength("aaaaaaaaaaaaaaaa")
                .unwrap_err()
                .contains("weak")
        );
        assert!(check_strength("a sound passphrase").is_ok());
        assert!(check_strength(&generate_password().unwrap()).is_ok());
    }
}
