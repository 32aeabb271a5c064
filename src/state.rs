//! Application state shared by every worker: the pool, the configuration and the keys. Lives in
//! `web::Data`; there are no globals.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Arc;

use actix_web::cookie::Key;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::auth::Passwords;
use crate::config::Config;
use crate::db::{self, DbConn, DbPool};
use crate::error::AppError;

/// Minimum bytes of session key material (what the cookie signing/encryption key needs).
const SESSION_KEY_LEN: usize = 64;
/// Name of the generated session key file inside the data folder.
const SESSION_KEY_FILE: &str = "session.key";

/// Shared state; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Database connections.
    pub pool: DbPool,
    /// The configuration the app started with.
    pub config: Arc<Config>,
    /// Signs and encrypts the session cookie. Every instance must share it.
    pub session_key: Key,
    /// Password hashing with the configured cost.
    pub passwords: Arc<Passwords>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Opens the database, applies pending migrations, and loads (or creates) the session key.
    pub fn build(config: Config) -> anyhow::Result<Self> {
        let options = db::PoolOptions {
            max_size: config.db_pool_size,
            connect_timeout: config.db_connect_timeout,
            statement_timeout: config.db_statement_timeout,
        };
        let pool = db::connect(&config.database_url, &options).map_err(anyhow::Error::msg)?;
        {
            let mut conn = pool.get()?;
            db::migrate(&mut conn)?;
        }
        let key_material = match &config.session_key {
            Some(k) => k.clone(),
            None => load_or_create_session_key(&config.data_dir)?,
        };
        let session_key = Key::try_from(key_material.as_slice())
            .map_err(|e| anyhow::anyhow!("session key unusable: {e}"))?;
        let passwords = Arc::new(Passwords::new(config.argon2)?);
        Ok(Self {
            pool,
            config: Arc::new(config),
            session_key,
            passwords,
        })
    }

    /// Runs `f` with a pooled connection on the blocking thread pool, so diesel never blocks an
    /// async worker.
    pub async fn db<T, E, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Into<AppError> + Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool
                .get()
                .map_err(|e| AppError::from(db::DbError::from(e)))?;
            f(&mut conn).map_err(Into::into)
        })
        .await?
    }
}

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

/// Reads `session.key` from the data folder, or creates it with 64 random bytes and mode 0600.
fn load_or_create_session_key(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    let path = data_dir.join(SESSION_KEY_FILE);
    if path.exists() {
        let text = std::fs::read_to_string(&path)?;
        return decode_session_key(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()));
    }
    std::fs::create_dir_all(data_dir)?;
    let key = crate::credentials::random_bytes::<SESSION_KEY_LEN>()?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)?;
    writeln!(file, "{}", STANDARD.encode(key))?;
    tracing::info!(path = %path.display(), "generated a new session key; share it with every instance (KWIK_SESSION_KEY)");
    Ok(key.to_vec())
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
