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
use crate::credentials::cache::TokenCache;
use crate::credentials::seal::{Keyring, MASTER_KEY_LEN, MasterKey};
use crate::credentials::usage::UsageRecorder;
use crate::credentials::verify::ReplayGuard;
use crate::db::{self, DbConn, DbPool};
use crate::error::AppError;
use crate::threads::{Priority, Threads};

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
    /// Master keys sealing API secrets.
    pub keyring: Arc<Keyring>,
    /// Signatures seen recently, to refuse replays.
    pub replays: Arc<ReplayGuard>,
    /// Last-used times and IPs waiting to be written.
    pub usage: Arc<UsageRecorder>,
    /// Recently verified tokens, by key hash.
    pub token_cache: Arc<TokenCache>,
    /// Recently rendered pages of the token table.
    pub list_cache: Arc<crate::web::token_list::cache::ListCache>,
    /// Bounds concurrent password hashing (memory and CPU) where a hash runs inside a database call.
    pub login_slots: Arc<tokio::sync::Semaphore>,
    /// The threads sign-ins hash on: bounded memory, and sign-ins queue instead of failing.
    pub hash_threads: Threads,
    /// The threads database calls run on, one per pooled connection.
    pub db_threads: Threads,
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
        let keyring = Arc::new(load_keyring(&config)?);
        let replays = Arc::new(ReplayGuard::new(config.replay_cache_size));
        let (config_ttl, argon2_concurrency) = (config.token_cache_ttl, config.argon2_concurrency);
        let db_threads = Threads::new(
            "db",
            db::call_threads(&config.database_url, config.db_pool_size),
            Priority::Batch,
        )?;
        Ok(Self {
            pool,
            config: Arc::new(config),
            session_key,
            passwords,
            keyring,
            replays,
            usage: Arc::new(UsageRecorder::default()),
            token_cache: Arc::new(TokenCache::new(config_ttl, 100_000)),
            // 8 MiB: about 70 pages of 50 rows.
            list_cache: Arc::new(crate::web::token_list::cache::ListCache::new(
                config_ttl,
                8 << 20,
            )),
            login_slots: Arc::new(tokio::sync::Semaphore::new(argon2_concurrency)),
            hash_threads: Threads::new("hash", argon2_concurrency, Priority::Lowest)?,
            db_threads,
        })
    }

    /// Runs `f` with a pooled connection on the database threads, so diesel never blocks an async
    /// worker.
    pub async fn db<T, E, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Into<AppError> + Send + 'static,
    {
        let pool = self.pool.clone();
        self.db_threads
            .run(move || {
                let mut conn = pool
                    .get()
                    .map_err(|e| AppError::from(db::DbError::from(e)))?;
                f(&mut conn).map_err(Into::into)
            })
            .await
            .map_err(AppError::internal)?
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

/// The keyring from the configuration, or from `master.key` (created on first use).
pub fn load_keyring(config: &Config) -> anyhow::Result<Keyring> {
    let current = match &config.master_key {
        Some(k) => k.clone(),
        None => load_or_create_key_file(
            &config.data_dir,
            MASTER_KEY_FILE,
            MASTER_KEY_LEN,
            decode_master_key,
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

/// Reads `session.key` from the data folder, or creates it with 64 random bytes and mode 0600.
fn load_or_create_session_key(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    load_or_create_key_file(
        data_dir,
        SESSION_KEY_FILE,
        SESSION_KEY_LEN,
        decode_session_key,
    )
}

/// Reads a base64 key file, or creates it with `len` random bytes and mode 0600. The key's value is
/// never logged, only that it was generated and where.
fn load_or_create_key_file(
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
    let key = crate::credentials::random_bytes::<64>()?;
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
