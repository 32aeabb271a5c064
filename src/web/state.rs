//! Application state shared by every worker: the pool, the configuration and the keys. Lives in
//! `web::Data`; there are no globals.

use std::sync::Arc;

use actix_web::cookie::Key;

use crate::config::Config;
use crate::db::listen::Heard;
use crate::db::{self, Database, DbConn};
use crate::domain::auth::{Hashing, Passwords};
use crate::domain::credentials::cache::TokenCache;
use crate::domain::credentials::check::KeyLookups;
use crate::domain::credentials::rate_limit::RateLimiter;
use crate::domain::credentials::replay_store::{RedisStore, Replays, SharedStore};
use crate::domain::credentials::seal::{Keyring, load_keyring};
use crate::domain::credentials::usage::UsageRecorder;
use crate::domain::credentials::verify::ReplayGuard;
use crate::infra::threads::{Priority, Threads};
use crate::web::error::AppError;

/// Shared state; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The configuration the app started with.
    pub config: Arc<Config>,
    /// Signs and encrypts the session cookie. Every instance must share it.
    pub session_key: Key,
    /// Password hashing with the configured cost, on its own bounded threads: the one limiter every
    /// hash of a request goes through.
    pub hashing: Hashing,
    /// Master keys sealing API secrets.
    pub keyring: Arc<Keyring>,
    /// Signatures seen recently, to refuse replays: in memory on SQLite, in the database (shared by
    /// every instance) on Postgres.
    pub replays: Arc<Replays>,
    /// Last-used times and IPs waiting to be written.
    pub usage: Arc<UsageRecorder>,
    /// Each token's requests a second: in memory on SQLite, shared by every instance on Postgres.
    pub limiter: Arc<RateLimiter>,
    /// Recently verified tokens, by key hash.
    pub token_cache: Arc<TokenCache>,
    /// The cache's misses, looked up together.
    pub key_lookups: Arc<KeyLookups>,
    /// Recently rendered pages of the token table.
    pub list_cache: Arc<crate::web::tokens::list::cache::ListCache>,
    /// GitHub's secret-scanning keys, when configured.
    pub github_keys: Option<Arc<crate::domain::leaks::github_keys::KeyFile>>,
    /// Requests to GitLab's revocation API in the current window (its own rate limit).
    pub gitlab_limit: Arc<crate::infra::rate_limit::RateLimit>,
    /// Database connections, with the threads database calls run on (one per pooled connection).
    pub database: Database,
    /// Where outgoing mail goes: an SMTP server, or `.eml` files.
    pub mailer: Arc<crate::infra::mail::Mailer>,
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
            None => crate::keys::load_or_create_session_key(&config.data_dir)?,
        };
        let session_key = Key::try_from(key_material.as_slice())
            .map_err(|e| anyhow::anyhow!("session key unusable: {e}"))?;
        let passwords = Passwords::new(config.argon2)?;
        let keyring = Arc::new(load_keyring(&config)?);
        let fleet = matches!(
            db::Backend::from_url(&config.database_url),
            Ok(db::Backend::Postgres(_))
        );
        let replays = Arc::new(match (&config.redis_url, fleet) {
            (Some(url), _) => Replays::Redis(RedisStore::new(url)?),
            (None, true) => Replays::Shared(SharedStore::new()?),
            (None, false) => Replays::Memory(ReplayGuard::new(config.replay_cache_size)),
        });
        let limiter = Arc::new(RateLimiter::new(fleet, config.rate_sync_ms));
        let (config_ttl, argon2_concurrency) = (config.token_cache_ttl, config.argon2_concurrency);
        let token_cache = Arc::new(TokenCache::new(config_ttl, 100_000));
        if fleet {
            listen_for_changes(&config.database_url, &token_cache)?;
        }
        let db_threads = Threads::new(
            "db",
            db::call_threads(&config.database_url, config.db_pool_size),
            Priority::Batch,
        )?;
        let mailer = Arc::new(crate::infra::mail::Mailer::new(
            &config.mail,
            &config.data_dir,
        )?);
        Ok(Self {
            mailer,
            database: Database {
                pool,
                threads: db_threads,
                deadline: config.db_call_timeout,
            },
            github_keys: config
                .github_scanning_keys
                .as_ref()
                .map(|p| Arc::new(crate::domain::leaks::github_keys::KeyFile::new(p))),
            gitlab_limit: Arc::default(),
            config: Arc::new(config),
            session_key,
            keyring,
            replays,
            usage: Arc::new(UsageRecorder::default()),
            limiter,
            token_cache,
            key_lookups: Arc::new(KeyLookups::new()?),
            // 8 MiB: about 70 pages of 50 rows.
            list_cache: Arc::new(crate::web::tokens::list::cache::ListCache::new(
                config_ttl,
                8 << 20,
            )),
            hashing: Hashing::new(
                passwords,
                Threads::new("hash", argon2_concurrency, Priority::Lowest)?,
            ),
        })
    }

    /// What sends the outbox's mail from this instance.
    pub fn delivery(&self) -> crate::domain::mail::delivery::Delivery {
        crate::domain::mail::delivery::Delivery {
            database: self.database.clone(),
            mailer: self.mailer.clone(),
            keyring: self.keyring.clone(),
            from: self.config.mail.from.clone(),
            public_url: self.config.mail.public_url.clone(),
        }
    }

    /// Runs `f` with a pooled connection on the database threads, so diesel never blocks an async
    /// worker; past `KWIK_DB_CALL_TIMEOUT_MS` the request gets its 503 at once (see `db::Database`).
    pub async fn db<T, E, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Into<AppError> + Send + 'static,
    {
        self.database
            .call(move |conn| f(conn).map_err(Into::into))
            .await
    }
}

/// Evicts the tokens that other instances or the CLI change, as the database tells (see
/// `db::listen`), from this instance's verification cache; everything when the listener
/// (re)connects. The listener stops once this instance's cache is gone.
fn listen_for_changes(url: &str, cache: &Arc<TokenCache>) -> std::io::Result<()> {
    let cache = Arc::downgrade(cache);
    db::listen::spawn(url, move |heard| {
        let Some(cache) = cache.upgrade() else {
            return false;
        };
        match heard {
            Heard::Changed(key_hash) => cache.evict(&key_hash),
            Heard::Connected => cache.invalidate_all(),
            Heard::Quiet => {}
        }
        true
    })
}
