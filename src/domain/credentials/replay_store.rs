//! Where signatures already accepted are remembered: in this process on SQLite (one instance), in
//! the database on Postgres, or in Redis when `KWIK_REDIS_URL` is set; the last two are shared by
//! every instance, so that a signed request accepted by one is refused by all the others for its
//! whole window.
//!
//! The shared store is an `INSERT ... ON CONFLICT DO NOTHING` of each signed request (Basic never
//! writes), keyed by the SHA-256 of the signature and kept until the timestamp leaves the window.
//! The signatures that arrive while a database thread is busy are written together, in one
//! statement and one commit (see `infra::threads::Batched`): a durable commit waits for a disk
//! flush, and under load one flush for many requests is what lets signed requests keep up.
//! In Redis each signature is a `SET NX EXAT` of its hash, the waiting ones sent in one pipeline.
//! When it cannot be written, signed requests are refused with `REPLAY_CHECK_UNAVAILABLE` (fail
//! closed): accepting one unrecorded would let it be replayed elsewhere.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::replay::ReplayGuard;
use super::verify::SIGNATURE_WINDOW_SECS;
use crate::db::models::replay;
use crate::db::{Database, DbError};
use crate::infra::redis_set::RedisSet;
use crate::infra::threads::{Batched, Priority, Threads};

/// How many expired signatures one cleanup statement deletes.
pub const CLEANUP_BATCH: i64 = 1000;

/// The replay store of this instance.
#[derive(Debug)]
pub enum Replays {
    /// In this process: SQLite, one instance.
    Memory(ReplayGuard),
    /// In the database (`replay_signatures`), shared by every instance on it.
    Shared(SharedStore),
    /// In Redis, shared by every instance using it.
    Redis(RedisStore),
}

/// The signatures waiting to be sent to Redis together, and whether the last call answered.
#[derive(Debug)]
pub struct RedisStore {
    healthy: AtomicBool,
    set: Arc<RedisSet>,
    /// `None`: Redis did not answer.
    waiting: Batched<([u8; 32], i64), Option<bool>>,
}

/// Where signatures go in Redis: `kwik:replay:<hex SHA-256 of the signature>`.
pub const REDIS_PREFIX: &str = "kwik:replay:";

impl RedisStore {
    /// A store on the Redis at `url`, sending on threads of its own. Nothing is connected yet.
    pub fn new(url: &str) -> anyhow::Result<Self> {
        let set = RedisSet::new(url, REDIS_PREFIX)
            .map_err(|e| anyhow::anyhow!("KWIK_REDIS_URL unusable: {e}"))?;
        Ok(Self {
            healthy: AtomicBool::new(true),
            set: Arc::new(set),
            waiting: Batched::new(Threads::new("replay", WRITE_THREADS, Priority::Batch)?),
        })
    }

    async fn first_use(&self, item: ([u8; 32], i64), deadline: Duration) -> Option<bool> {
        let set = self.set.clone();
        let run = self.waiting.run(item, move |batch| {
            match set.first_uses(&batch, deadline) {
                Ok(answers) => answers.into_iter().map(Some).collect(),
                Err(e) => {
                    tracing::warn!(error = %e, "replay store (Redis) unreachable; refusing signed requests");
                    batch.iter().map(|_| None).collect()
                }
            }
        });
        let answer = tokio::time::timeout(deadline, run)
            .await
            .ok()
            .and_then(Result::ok)
            .flatten();
        self.healthy.store(answer.is_some(), Ordering::Relaxed);
        answer
    }
}

/// The signatures waiting to be written together, and whether the last write succeeded (for
/// `/readyz`).
#[derive(Debug)]
pub struct SharedStore {
    healthy: AtomicBool,
    waiting: Batched<([u8; 32], i64), Result<bool, Arc<DbError>>>,
}

/// Threads writing signatures: while they wait for a commit, the next signatures queue, so under
/// load each commit carries many; two, so that one batch can be written while the other commits.
pub const WRITE_THREADS: usize = 2;

impl SharedStore {
    /// A store writing on threads of its own.
    pub fn new() -> std::io::Result<Self> {
        Ok(Self {
            healthy: AtomicBool::new(true),
            waiting: Batched::new(Threads::new("replay", WRITE_THREADS, Priority::Batch)?),
        })
    }
}

/// What the shared store said about one signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstUse {
    /// Not seen before by any instance; now recorded.
    Yes,
    /// Seen before: a replay.
    No,
    /// The store could not be asked: refuse (fail closed).
    Unknown,
}

impl Replays {
    /// The in-process guard, when this instance uses one.
    pub fn local(&self) -> Option<&ReplayGuard> {
        match self {
            Self::Memory(guard) => Some(guard),
            Self::Shared(_) | Self::Redis(_) => None,
        }
    }

    /// A short name for `/readyz`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Memory(_) => "memory",
            Self::Shared(_) => "database",
            Self::Redis(_) => "redis",
        }
    }

    /// Whether the shared store's last write worked (always true in memory).
    pub fn healthy(&self) -> bool {
        match self {
            Self::Memory(_) => true,
            Self::Shared(store) => store.healthy.load(Ordering::Relaxed),
            Self::Redis(store) => store.healthy.load(Ordering::Relaxed),
        }
    }

    /// Whether a store outside the database answers now, within `deadline` (for `/readyz`); true
    /// for the others, which the database's own check covers.
    pub async fn reachable(&self, deadline: Duration) -> bool {
        let Self::Redis(store) = self else {
            return true;
        };
        let set = store.set.clone();
        let ping = tokio::task::spawn_blocking(move || set.ping(deadline));
        let ok = matches!(tokio::time::timeout(deadline, ping).await, Ok(Ok(Ok(()))));
        store.healthy.store(ok, Ordering::Relaxed);
        ok
    }

    /// Records a signature with this timestamp in the shared store, waiting at most `deadline`.
    /// In memory there is nothing to do here: the verifier already checked it.
    pub async fn first_use_shared(
        &self,
        database: &Database,
        signature: &[u8; 32],
        timestamp: i64,
        deadline: Duration,
    ) -> FirstUse {
        if let Self::Memory(_) = self {
            return FirstUse::Yes;
        }
        let hash: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(signature).into();
        let expires = timestamp + SIGNATURE_WINDOW_SECS;
        let store = match self {
            Self::Memory(_) => return FirstUse::Yes,
            Self::Redis(store) => {
                return match store.first_use((hash, expires), deadline).await {
                    Some(true) => FirstUse::Yes,
                    Some(false) => FirstUse::No,
                    None => FirstUse::Unknown,
                };
            }
            Self::Shared(store) => store,
        };
        let answer = database
            .call_batched(&store.waiting, deadline, (hash, expires), |c, batch| {
                replay::first_uses(c, batch).map_err(DbError::from)
            })
            .await;
        store.healthy.store(answer.is_ok(), Ordering::Relaxed);
        match answer {
            Ok(true) => FirstUse::Yes,
            Ok(false) => FirstUse::No,
            Err(e) => {
                tracing::warn!(error = %e, "replay store unreachable; refusing signed requests");
                FirstUse::Unknown
            }
        }
    }

    /// Deletes the shared store's expired signatures in batches; how many. They are refused as
    /// too old anyway: this only frees space.
    pub async fn forget_expired(&self, database: &Database, now: i64) -> Result<usize, DbError> {
        if !matches!(self, Self::Shared(_)) {
            return Ok(0);
        }
        let mut total = 0;
        loop {
            let n = database
                .call(move |c| replay::delete_expired(c, now, CLEANUP_BATCH).map_err(DbError::from))
                .await?;
            total += n;
            if n < CLEANUP_BATCH as usize {
                return Ok(total);
            }
        }
    }
}
