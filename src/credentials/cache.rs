//! A small cache of token records by key hash, so a verified request usually needs no database work.
//!
//! Entries live at most the configured TTL (1 s by default): another instance's change is seen within
//! that time. A change on this instance invalidates the whole cache before the change is reported
//! done, and a generation counter keeps a lookup that raced the change from putting the old record
//! back: a disabled token never verifies after its disable has returned on the same instance.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::verify::TokenRecord;

/// A cached record and when it was read.
type Entry = (Instant, Arc<TokenRecord>);

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

    /// A fresh record for this key hash.
    pub fn get(&self, key_hash: &[u8; 32]) -> Option<Arc<TokenRecord>> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self
            .entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries
            .get(key_hash)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, record)| record.clone())
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
            entries.retain(|_, (at, _)| at.elapsed() < self.ttl);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key_hash, (Instant::now(), record));
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
