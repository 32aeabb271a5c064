//! actix-session's `SessionStore` over the `sessions` table, so that logout (and later disabling a
//! user) revokes a session at once, on every instance. The cookie carries only an opaque random key;
//! the table keeps its SHA-256.

use std::collections::HashMap;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::OptionalExtension;

use crate::credentials::{random_bytes, sha256};
use crate::db::models::{Merchant, SessionRow, User, UserId};
use crate::db::{self, DbPool};

/// The session state key holding the logged-in user's id.
pub const USER_ID_KEY: &str = "uid";
/// The session state key under which `load` hands over the signed-in user and their merchant, read
/// from the database in the same trip as the session (one blocking call a request instead of two).
/// Only ever in memory: `save` and `update` drop it, so it is never stored.
pub const SIGNED_IN_KEY: &str = "_signed_in";

/// What `load` read about the session's user, as of this request.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct SignedIn {
    /// The session's user id when it was read.
    pub uid: i64,
    /// The user (`None`: deleted since login). Carries no password hash.
    pub user: Option<User>,
    /// Their merchant, for merchant staff.
    pub merchant: Option<Merchant>,
}

impl SignedIn {
    /// Reads user `uid` (without their password hash) and their merchant.
    pub fn read(conn: &mut db::DbConn, uid: UserId) -> diesel::QueryResult<Self> {
        let user = User::find(conn, uid).optional()?;
        let merchant = match user.as_ref().and_then(|u| u.merchant_id) {
            Some(m) => Some(Merchant::find(conn, m)?),
            None => None,
        };
        Ok(Self::new(uid, user, merchant))
    }

    /// User `uid` as read (their password hash is dropped here) and their merchant.
    fn new(uid: UserId, user: Option<User>, merchant: Option<Merchant>) -> Self {
        let user = user.map(|mut user| {
            user.password_hash.clear();
            user
        });
        Self {
            uid: uid.0,
            user,
            merchant,
        }
    }
}

/// Sessions end this long after login, however active.
pub const ABSOLUTE_LIFETIME: time::Duration = time::Duration::hours(12);
/// Sessions end after this long without a request.
pub const IDLE_TIMEOUT: time::Duration = time::Duration::minutes(30);
/// An idle expiry is only rewritten once it has moved by this much (one write a minute, not one a request).
const TOUCH_STEP: time::Duration = time::Duration::minutes(1);

type State = HashMap<String, String>;

/// Database-backed session storage.
#[derive(Clone)]
pub struct DbSessionStore {
    pool: DbPool,
    threads: crate::threads::Threads,
}

impl DbSessionStore {
    /// A store on this pool, queried on these threads. Use it with a state TTL of [`IDLE_TIMEOUT`] and the `OnStateChanges`
    /// extension policy: loading a session already extends its idle expiry (see `load`).
    pub fn new(pool: DbPool, threads: crate::threads::Threads) -> Self {
        Self { pool, threads }
    }

    async fn run<T, F>(&self, f: F) -> anyhow::Result<T>
    where
        F: FnOnce(&mut db::DbConn) -> diesel::QueryResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        self.threads
            .run(move || -> anyhow::Result<T> {
                let mut conn = pool.get()?;
                Ok(f(&mut conn)?)
            })
            .await?
    }

    async fn insert(&self, state: &State, ttl: &CookieDuration) -> anyhow::Result<SessionKey> {
        let key = URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
        let now = db::now();
        let row = SessionRow {
            id_hash: sha256(&key).to_vec(),
            user_id: user_of(state),
            state: serde_json::to_string(state)?,
            created_at: now,
            expires_at: now + idle(ttl),
            absolute_expires_at: now + ABSOLUTE_LIFETIME,
        };
        self.run(move |c| SessionRow::insert(c, &row)).await?;
        SessionKey::try_from(key).map_err(|e| anyhow::anyhow!("{e}"))
    }
}

/// The user a session state belongs to (actix-session stores values as JSON text).
fn user_of(state: &State) -> Option<UserId> {
    state
        .get(USER_ID_KEY)
        .and_then(|v| serde_json::from_str::<i64>(v).ok())
        .map(UserId)
}

/// The idle timeout: the middleware's TTL, which is configured from [`IDLE_TIMEOUT`].
fn idle(ttl: &CookieDuration) -> time::Duration {
    time::Duration::seconds(ttl.whole_seconds())
}

impl SessionStore for DbSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        let id_hash = sha256(session_key.as_ref()).to_vec();
        // Any request is activity: push the idle expiry here, at most once per TOUCH_STEP, so that
        // requests that do not change the session cost a read and, rarely, one small write.
        let stored = self
            .run(move |c| {
                let now = db::now();
                let Some(live) = SessionRow::load_live(c, &id_hash, now)? else {
                    return Ok(None);
                };
                if live.expires_at < now + IDLE_TIMEOUT - TOUCH_STEP {
                    SessionRow::touch(c, &id_hash, now + IDLE_TIMEOUT)?;
                }
                let Ok(mut state) = serde_json::from_str::<State>(&live.state) else {
                    return Ok(Some(Err(live.state)));
                };
                state.remove(SIGNED_IN_KEY);
                if let Some(uid) = user_of(&state) {
                    // The row's user id is written with the state, so they agree; if ever not, the
                    // state's user is the one signed in.
                    let signed_in = if live.user_id == Some(uid) {
                        SignedIn::new(uid, live.user, live.merchant)
                    } else {
                        SignedIn::read(c, uid)?
                    };
                    let signed_in = serde_json::to_string(&signed_in)
                        .map_err(|e| diesel::result::Error::SerializationError(e.into()))?;
                    state.insert(SIGNED_IN_KEY.to_owned(), signed_in);
                }
                Ok(Some(Ok(state)))
            })
            .await
            .map_err(LoadError::Other)?;
        match stored {
            None => Ok(None),
            Some(Ok(state)) => Ok(Some(state)),
            Some(Err(text)) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| LoadError::Deserialization(e.into())),
        }
    }

    async fn save(&self, mut state: State, ttl: &CookieDuration) -> Result<SessionKey, SaveError> {
        state.remove(SIGNED_IN_KEY);
        self.insert(&state, ttl).await.map_err(SaveError::Other)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        mut state: State,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        state.remove(SIGNED_IN_KEY);
        let id_hash = sha256(session_key.as_ref()).to_vec();
        let user = user_of(&state);
        let text =
            serde_json::to_string(&state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let now = db::now();
        let expires = now + idle(ttl);
        let found = self
            .run(move |c| SessionRow::update_state(c, &id_hash, user, &text, expires, now))
            .await
            .map_err(UpdateError::Other)?;
        if found {
            return Ok(session_key);
        }
        // Revoked or expired while this request ran: never resurrect the login, start anonymous.
        state.remove(USER_ID_KEY);
        self.insert(&state, ttl).await.map_err(UpdateError::Other)
    }

    async fn update_ttl(
        &self,
        session_key: &SessionKey,
        ttl: &CookieDuration,
    ) -> anyhow::Result<()> {
        let id_hash = sha256(session_key.as_ref()).to_vec();
        let expires = db::now() + idle(ttl);
        self.run(move |c| SessionRow::touch(c, &id_hash, expires))
            .await
    }

    async fn delete(&self, session_key: &SessionKey) -> anyhow::Result<()> {
        let id_hash = sha256(session_key.as_ref()).to_vec();
        self.run(move |c| SessionRow::delete(c, &id_hash)).await
    }
}
