//! actix-session's `SessionStore` over the `sessions` table, so that logout (and later disabling a
//! user) revokes a session at once, on every instance. The cookie carries only an opaque random key;
//! the table keeps its SHA-256.
//!
//! Every call goes through `db::Database` and so has the same deadline as a page's own calls
//! (`KWIK_DB_CALL_TIMEOUT_MS`): a database that stops answering gives the page its 503 (see
//! `health::session_store_outage`) at the deadline, instead of holding the request in the middleware.

use std::collections::HashMap;
use std::sync::Arc;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::OptionalExtension;

use crate::db::models::{Merchant, SessionRow, User, UserId};
use crate::db::{self, Database, DbError};
use crate::domain::credentials::{random_bytes, sha256};

/// The session state key holding the logged-in user's id.
pub const USER_ID_KEY: &str = "uid";
/// The session state key of the user half-way through a two-factor sign-in (password checked).
pub const PENDING_USER_KEY: &str = "pending_uid";
/// When that password step passed (unix seconds): the code step is open for 5 minutes after it.
pub const PENDING_AT_KEY: &str = "pending_at";
/// When the user last proved who they are (sign-in, or a sudo prompt), in unix seconds.
pub const SUDO_AT_KEY: &str = "sudo_at";
/// The user agent and address the session signed in from, as the profile lists them.
pub const DEVICE_KEY: &str = "device";
/// See [`DEVICE_KEY`].
pub const ADDRESS_KEY: &str = "address";
/// A random label of the signed-in session, naming it on the profile page (no secret: it only lets
/// the same user sign that session out).
pub const MARKER_KEY: &str = "sid";
/// The session state key under which `load` hands over the signed-in user and their merchant, read
/// from the database in the same trip as the session (one blocking call a request instead of two).
/// Its value is a number that [`take_signed_in`] redeems on the same thread. Only ever in memory:
/// `save` and `update` drop it, so it is never stored.
pub const SIGNED_IN_KEY: &str = "_signed_in";

/// How many users read by `load` a worker thread keeps for their requests to take. A request takes
/// its own as soon as its handler's extractors run, so only the requests in flight on the thread are
/// ever waiting; one that was dropped reads its user again.
const HANDOFFS_KEPT: usize = 1024;

thread_local! {
    /// Users read by `load` on this worker thread, by handoff number, oldest first. The same request
    /// takes its own on the same thread: actix runs each request on one worker from start to end.
    static HANDOFFS: std::cell::RefCell<(u64, std::collections::VecDeque<(u64, SignedIn)>)> =
        const { std::cell::RefCell::new((0, std::collections::VecDeque::new())) };
}

/// Keeps `signed_in` for this thread's request to take; returns its handoff number.
fn hand_over(signed_in: SignedIn) -> u64 {
    HANDOFFS.with_borrow_mut(|(next, waiting)| {
        *next += 1;
        if waiting.len() >= HANDOFFS_KEPT {
            waiting.pop_front();
        }
        waiting.push_back((*next, signed_in));
        *next
    })
}

/// The user `load` handed over under `number` on this thread, if it is still kept.
pub fn take_signed_in(number: u64) -> Option<SignedIn> {
    HANDOFFS.with_borrow_mut(|(_, waiting)| {
        let at = waiting.iter().rposition(|(n, _)| *n == number)?;
        waiting.remove(at).map(|(_, signed_in)| signed_in)
    })
}

/// What `load` read about the session's user, as of this request.
#[derive(Debug, Clone)]
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

/// A session as read from the database: its state and user, or (`Err`) state text that is not a
/// map, for actix-session to report; `None` when there is no live session.
type Loaded = Option<Result<(State, Option<SignedIn>), String>>;

/// Database-backed session storage.
#[derive(Clone)]
pub struct DbSessionStore {
    database: Database,
    /// Reads of one session that have not started yet answer every request that asks meanwhile.
    reads: crate::infra::threads::Joined<[u8; 32], Result<Loaded, Arc<DbError>>>,
}

impl DbSessionStore {
    /// A store on this database. Use it with a state TTL of [`IDLE_TIMEOUT`] and the
    /// `OnStateChanges` extension policy: loading a session already extends its idle expiry (see
    /// `load`).
    pub fn new(database: Database) -> Self {
        Self {
            database,
            reads: Default::default(),
        }
    }

    async fn run<T, F>(&self, f: F) -> anyhow::Result<T>
    where
        F: FnOnce(&mut db::DbConn) -> diesel::QueryResult<T> + Send + 'static,
        T: Send + 'static,
    {
        Ok(self
            .database
            .call(move |c| f(c).map_err(DbError::from))
            .await?)
    }

    async fn insert(&self, state: &State, ttl: &CookieDuration) -> anyhow::Result<SessionKey> {
        let key = URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
        let now = db::now();
        let row = SessionRow {
            id_hash: sha256(&key).to_vec(),
            user_id: user_of(state),
            pending_user_id: pending_of(state),
            state: serde_json::to_string(state)?,
            created_at: now,
            expires_at: now + idle(ttl),
            absolute_expires_at: now + ABSOLUTE_LIFETIME,
        };
        self.run(move |c| SessionRow::insert(c, &row)).await?;
        SessionKey::try_from(key).map_err(|e| anyhow::anyhow!("{e}"))
    }
}

/// The live session with this id hash, with its user: the one read of a page's session. Also whether
/// its idle expiry is due to be pushed (see [`touch`]).
fn read_live(c: &mut db::DbConn, id_hash: &[u8]) -> Result<(Loaded, bool), DbError> {
    let now = db::now();
    let Some(live) = SessionRow::load_live(c, id_hash, now)? else {
        return Ok((None, false));
    };
    let due = live.expires_at < touch_before(now);
    let Ok(mut state) = serde_json::from_str::<State>(&live.state) else {
        return Ok((Some(Err(live.state)), due));
    };
    state.remove(SIGNED_IN_KEY);
    let signed_in = match user_of(&state) {
        // The row's user id is written with the state, so they agree; if ever not, the state's
        // user is the one signed in.
        Some(uid) if live.user_id == Some(uid) => {
            Some(SignedIn::new(uid, live.user, live.merchant))
        }
        Some(uid) => Some(SignedIn::read(c, uid)?),
        None => None,
    };
    Ok((Some(Ok((state, signed_in))), due))
}

/// An idle expiry earlier than this is due to be pushed at `now` (it has not moved for a [`TOUCH_STEP`]).
fn touch_before(now: time::PrimitiveDateTime) -> time::PrimitiveDateTime {
    now + IDLE_TIMEOUT - TOUCH_STEP
}

/// Any request is activity: pushes the session's idle expiry, at most once per [`TOUCH_STEP`], so that
/// requests that do not change the session cost a read and, once a minute, one small write. A failure
/// only leaves the old expiry (the next request tries again).
fn touch(c: &mut db::DbConn, id_hash: &[u8]) {
    let now = db::now();
    let touched = SessionRow::touch(c, id_hash, now + IDLE_TIMEOUT, touch_before(now));
    if let Err(e) = touched {
        tracing::warn!(error = %e, "could not extend a session's idle expiry");
    }
}

/// The user a session state belongs to (actix-session stores values as JSON text).
fn user_of(state: &State) -> Option<UserId> {
    id_at(state, USER_ID_KEY)
}

/// The user whose two-factor sign-in the state is half-way through.
fn pending_of(state: &State) -> Option<UserId> {
    id_at(state, PENDING_USER_KEY)
}

fn id_at(state: &State, key: &str) -> Option<UserId> {
    state
        .get(key)
        .and_then(|v| serde_json::from_str::<i64>(v).ok())
        .map(UserId)
}

/// The idle timeout: the middleware's TTL, which is configured from [`IDLE_TIMEOUT`].
fn idle(ttl: &CookieDuration) -> time::Duration {
    time::Duration::seconds(ttl.whole_seconds())
}

impl SessionStore for DbSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        let id_hash = sha256(session_key.as_ref());
        let database = self.database.clone();
        // Requests of the same session that queue while its read waits for a thread share it (see
        // `Joined`): never a read that started before they arrived.
        let stored = self
            .database
            .call_joined(&self.reads, id_hash, move |c| {
                let read = read_live(c, &id_hash);
                if let Ok((_, true)) = read {
                    // A job of its own, after the read: the requests sharing this read never wait
                    // for the write (a commit on Postgres, the write lock on SQLite).
                    database.spawn(move |c| touch(c, &id_hash));
                }
                read.map(|(loaded, _)| loaded)
            })
            .await
            .map_err(|e| LoadError::Other(anyhow::Error::new(e)))?;
        match stored {
            None => Ok(None),
            Some(Ok((mut state, signed_in))) => {
                if let Some(signed_in) = signed_in {
                    let number = hand_over(signed_in);
                    state.insert(SIGNED_IN_KEY.to_owned(), number.to_string());
                }
                Ok(Some(state))
            }
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
        let (user, pending) = (user_of(&state), pending_of(&state));
        let text =
            serde_json::to_string(&state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let now = db::now();
        let expires = now + idle(ttl);
        let found = self
            .run(move |c| SessionRow::update_state(c, &id_hash, user, pending, &text, expires, now))
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
        self.run(move |c| SessionRow::touch(c, &id_hash, expires, expires).map(drop))
            .await
    }

    async fn delete(&self, session_key: &SessionKey) -> anyhow::Result<()> {
        let id_hash = sha256(session_key.as_ref()).to_vec();
        self.run(move |c| SessionRow::delete(c, &id_hash)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nobody(uid: i64) -> SignedIn {
        SignedIn {
            uid,
            user: None,
            merchant: None,
        }
    }

    #[test]
    fn a_handed_over_user_is_taken_once_and_only_by_its_number() {
        let a = hand_over(nobody(1));
        let b = hand_over(nobody(2));
        assert_eq!(take_signed_in(b).map(|s| s.uid), Some(2));
        assert!(take_signed_in(b).is_none(), "taken once");
        assert!(take_signed_in(b + 1).is_none());
        assert_eq!(take_signed_in(a).map(|s| s.uid), Some(1));
    }

    #[test]
    fn a_thread_keeps_a_bounded_number_and_drops_the_oldest() {
        let first = hand_over(nobody(0));
        for uid in 1..=HANDOFFS_KEPT as i64 {
            hand_over(nobody(uid));
        }
        assert!(take_signed_in(first).is_none(), "the oldest went");
        assert_eq!(
            HANDOFFS.with_borrow(|(_, waiting)| waiting.len()),
            HANDOFFS_KEPT
        );
        // Another thread has its own: nothing handed over here is there.
        let elsewhere = std::thread::spawn(move || take_signed_in(first + 1).is_none());
        assert!(elsewhere.join().unwrap_or(false));
    }
}
