//! Key material kept outside the database: the session key and the master key, as base64 text in
//! the environment or in files of the data folder (created once, mode 0600). Base layer: knows only
//! the sizes, not what the keys are used for.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Minimum bytes of session key material (what the cookie signing/encryption key needs).
pub const SESSION_KEY_LEN: usize = 64;
/// Name of the generated session key file inside the data folder.
pub const SESSION_KEY_FILE: &str = "session.key";
/// Bytes of a master key (AES-256).
pub const MASTER_KEY_LEN: usize = 32;

/// Decodes `KWIK_SESSION_KEY` (standard base64 of at least 64 bytes).
pub fn decode_session_key(text: &str) -> Result<Vec<u8>, String> {
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|_| "not valid base64".to_string())?;
    if bytes.len() < SESSION_KEY_LEN {
        return Err(format!(
            "too short: {} bytes, need at least {SESSION_KEY_LEN} (generate with `openssl rand -base64 64`)",
            bytes.len()
        ));
    }
    Ok(bytes)
}

/// Decodes a master key (standard base64 of exactly 32 bytes).
pub fn decode_master_key(text: &str) -> Result<Vec<u8>, String> {
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|_| "not valid base64".to_string())?;
    if bytes.len() != MASTER_KEY_LEN {
        return Err(format!(
            "{} bytes, need exactly {MASTER_KEY_LEN} (generate with `openssl rand -base64 32`)",
            bytes.len()
        ));
    }
    Ok(bytes)
}

/// Name of the generated master key file inside the data folder.
pub const MASTER_KEY_FILE: &str = "master.key";

/// Reads `session.key` from the data folder, or creates it with 64 random bytes and mode 0600.
pub fn load_or_create_session_key(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    load_or_create_key_file(
        data_dir,
        SESSION_KEY_FILE,
        SESSION_KEY_LEN,
        decode_session_key,
    )
}

/// Reads a base64 key file, or creates it with `len` random bytes and mode 0600. The key's value is
/// never logged, only that it was generated and where.
pub fn load_or_create_key_file(
    data_dir: &Path,
    name: &str,
    len: usize,
    decode: fn(&str) -> Result<Vec<u8>, String>,
) -> anyhow::Result<Vec<u8>> {
    let path = data_dir.join(name);
    if path.exists() {
        let text = std::fs::read_to_string(&path)?;
        return decode(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()));
    }
    std::fs::create_dir_all(data_dir)?;
    let key = crate::infra::random::random_bytes::<64>()?;
    let key = &key[..len.min(64)];
    write_key_file(&path, key, true)?;
    tracing::info!(path = %path.display(), "generated a new {name}; every instance must share it");
    Ok(key.to_vec())
}

/// Writes a base64 key file with mode 0600 (`create_new`: refuse to overwrite).
pub fn write_key_file(path: &Path, key: &[u8], create_new: bool) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).mode(0o600);
    if create_new {
        options.create_new(true);
    } else {
        options.create(true).truncate(true);
    }
    let mut file = options.open(path)?;
    writeln!(file, "{}", STANDARD.encode(key))?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_key_file_is_created_once_with_mode_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create_session_key(dir.path()).unwrap();
        let second = load_or_create_session_key(dir.path()).unwrap();
        assert_eq!(first, second);
        assert_eq!(first.len(), 64);
        let mode = std::fs::metadata(dir.path().join(SESSION_KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn short_or_garbled_session_keys_are_refused() {
        assert!(decode_session_key("!!!").is_err());
        assert!(
            decode_session_key(&STANDARD.encode([1u8; 32]))
                .unwrap_err()
                .contains("too short")
        );
        assert!(decode_session_key(&STANDARD.encode([1u8; 64])).is_ok());
    }
}
