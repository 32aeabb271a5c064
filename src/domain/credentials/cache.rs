//! A small cache of token records by key hash, so a verified request usually needs no database work.
//!
//! Entries live at most the configured TTL (1 s by default). On Postgres, another instance's change
//! (or the CLI's) evicts the token's record as soon as the listener hears of it (`db::listen`), and a
//! reconnected listener drops everything; the TTL bounds it only while the listener is down. A change on this instance invalidates the whole cache before the change is reported
//! done, and a generation counter keeps a lookup that raced the change from putting the old record
//! back: a disabled token never verifies after its disable has returned on the same instance.
//!
//! A record past half its life is read again by the one request that notices first, in the
//! background, while every request keeps using the cached record until the new one is in. So a busy
//! token never expires under load: before, every request in flight when it did (64 at the bench's
//! load) missed at once and went to the database together, stalling them all once a second.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::verify::TokenRecord;

/// A cached record, when it was read, and whether a request is reading it again.
#[derive(Debug)]
struct Entry {
    at: Instant,
    record: Arc<TokenRecord>,
    refreshing: AtomicBool,
}

/// What the cache has for a key hash.
#[derive(Debug)]
pub enum Cached {
    /// A record within its life.
    Fresh(Arc<TokenRecord>),
    /// A record past half its life: use it, and read it again (in the background) with
    /// [`TokenCache::refreshed`]. Only one caller at a time is told so.
    Refresh(Arc<TokenRecord>),
    /// Nothing usable: read it from the database.
    Miss,
}

/// Token records by SHA-256 of API_KEY.
#[derive(Debug)]
pub struct TokenCache {
    entries: RwLock<HashMap<[u8; 32], Entry>>,
    generation: AtomicU64,
    ttl: Duration,
    capacity: usize,
}

impl TokenCache {
    /// A cache keeping records for `ttl`, at most `capacity` of them. A zero TTL disables it.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
            ttl,
            capacity,
        }
    }

    /// The current generation; pass it back to [`TokenCache::put`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The record for this key hash, if it is within its life. Counted as a hit (fresh or to be
    /// refreshed: either answers without waiting) or a miss in the metrics.
    pub fn lookup(&self, key_hash: &[u8; 32]) -> Cached {
        let cached = self.find(key_hash);
        crate::infra::metrics::cache_lookup(
            crate::infra::metrics::CacheName::Token,
            !matches!(cached, Cached::Miss),
        );
        cached
    }

    fn find(&self, key_hash: &[u8; 32]) -> Cached {
        if self.ttl.is_zero() {
            return Cached::Miss;
        }
        let entries = self
            .entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(entry) = entries.get(key_hash) else {
            return Cached::Miss;
        };
        let age = entry.at.elapsed();
        if age >= self.ttl {
            return Cached::Miss;
        }
        if age >= self.ttl / 2 && !entry.refreshing.swap(true, Ordering::AcqRel) {
            return Cached::Refresh(entry.record.clone());
        }
        Cached::Fresh(entry.record.clone())
    }

    /// Takes the outcome of a [`Cached::Refresh`] read made while the generation was `generation`:
    /// the new record, or `None` when the token is gone (the old record is dropped at once).
    pub fn refreshed(&self, key_hash: [u8; 32], record: Option<Arc<TokenRecord>>, generation: u64) {
        match record {
            Some(record) => self.put(key_hash, record, generation),
            None => {
                let mut entries = self
                    .entries
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                entries.remove(&key_hash);
            }
        }
    }

    /// Keeps a record read from the database while the generation was `generation`. Ignored when a
    /// change happened since (the record may predate it).
    pub fn put(&self, key_hash: [u8; 32], record: Arc<TokenRecord>, generation: u64) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if entries.len() >= self.capacity {
            entries.retain(|_, e| e.at.elapsed() < self.ttl);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(
            key_hash,
            Entry {
                at: Instant::now(),
                record,
                refreshing: AtomicBool::new(false),
            },
        );
    }

    /// `result`, having forgotten everything when it is a success: the token operations of the domain
    /// wrap their committed transaction in it, so no caller can forget to.
    pub fn invalidate_after<T, E>(&self, result: Result<T, E>) -> Result<T, E> {
        if result.is_ok() {
            self.invalidate_all();
        }
        result
    }

    /// Forgets the record of one key hash: another instance changed its token. The generation moves
    /// too, so a read that raced the change cannot put the old record back.
    pub fn evict(&self, key_hash: &[u8; 32]) {
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.remove(key_hash);
    }

    /// Forgets everything: called after any token change on this instance.
    pub fn invalidate_all(&self) {
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }
}
