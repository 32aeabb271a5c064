//! The replay guard: each signed request's signature is accepted once.
//!
//! A signature needs remembering only until its timestamp leaves the accepted window, `timestamp +
//! SIGNATURE_WINDOW_SECS`, after which the request is refused as too old anyway. Signatures are kept in
//! slots by that expiry, [`SLOT_SECS`] wide. So:
//! - a replay carries the same timestamp, so it is looked for in one slot;
//! - forgetting is dropping whole slots once everything in them has expired, never a scan of the rest;
//! - no single table holds everything, so growing one never copies 500,000 entries at once.
//!
//! Memory is bounded: when full of unexpired signatures it refuses new ones (fails closed) rather
//! than forgetting any.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

/// Width of a slot, in seconds of expiry. A 300 s window either side makes about 60 live slots.
pub const SLOT_SECS: i64 = 10;

/// Remembers recent signatures so each is accepted once.
#[derive(Debug)]
pub struct ReplayGuard {
    inner: Mutex<Slots>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Slots {
    /// By `expires.div_euclid(SLOT_SECS)`: the first 16 bytes of each signature expiring in it.
    by_expiry: BTreeMap<i64, HashSet<[u8; 16]>>,
    /// Signatures held, across the slots.
    len: usize,
}

impl Slots {
    /// Drops the slots whose signatures have all expired by `now`.
    fn forget_expired(&mut self, now: i64) {
        // Slot s holds expiries up to (s + 1) * SLOT_SECS - 1: all past once (s + 1) * SLOT_SECS <= now.
        let live = now.div_euclid(SLOT_SECS);
        while let Some(oldest) = self.by_expiry.first_entry() {
            if *oldest.key() >= live {
                break;
            }
            self.len -= oldest.remove().len();
        }
    }
}

impl ReplayGuard {
    /// A guard remembering at most `capacity` signatures.
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Slots::default()),
            capacity,
        }
    }

    /// Records a signature valid until `expires` (unix seconds); false when it was already seen (or
    /// when the guard is full of unexpired signatures).
    pub fn first_use(&self, signature: &[u8; 32], expires: i64, now: i64) -> bool {
        let mut key = [0u8; 16];
        key.copy_from_slice(&signature[..16]);
        let mut slots = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        slots.forget_expired(now);
        let slot = expires.div_euclid(SLOT_SECS);
        if slots.by_expiry.get(&slot).is_some_and(|s| s.contains(&key)) {
            return false;
        }
        if slots.len >= self.capacity {
            tracing::warn!(
                capacity = self.capacity,
                "replay guard saturated; refusing signed requests"
            );
            return false;
        }
        slots.by_expiry.entry(slot).or_default().insert(key);
        slots.len += 1;
        true
    }

    /// Signatures held now.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(n: u32) -> [u8; 32] {
        let mut s = [0u8; 32];
        s[..4].copy_from_slice(&n.to_le_bytes());
        s
    }

    #[test]
    fn the_replay_guard_accepts_each_signature_once_and_stays_bounded() {
        let guard = ReplayGuard::new(2);
        let (a, b, c) = ([1u8; 32], [2u8; 32], [3u8; 32]);
        assert!(guard.first_use(&a, 100, 0));
        assert!(!guard.first_use(&a, 100, 50));
        assert!(guard.first_use(&b, 100, 0));
        // Full of unexpired signatures: fail closed.
        assert!(!guard.first_use(&c, 100, 10));
        // Once the others expire, there is room again.
        assert!(guard.first_use(&c, 300, 200));
        assert!(
            guard.first_use(&a, 400, 200),
            "an expired entry no longer blocks"
        );
    }

    #[test]
    fn a_signature_is_remembered_through_its_last_second_and_forgotten_after() {
        for expires in [-11, -10, -1, 0, 9, 10, 19, 1_700_000_305] {
            let guard = ReplayGuard::new(10);
            assert!(guard.first_use(&sig(1), expires, expires - 600));
            assert!(!guard.first_use(&sig(1), expires, expires - 1), "{expires}");
            assert!(!guard.first_use(&sig(1), expires, expires), "{expires}");
            // A second past its expiry its slot may go; the request would be refused as too old.
            assert!(guard.first_use(&sig(2), expires + 600, expires + SLOT_SECS));
            assert_eq!(guard.len(), 1, "{expires}: only the new one is held");
        }
    }

    #[test]
    fn expired_slots_are_dropped_whole_and_the_count_follows() {
        let guard = ReplayGuard::new(100_000);
        let now = 1_700_000_000;
        // 60,000 signatures over a 600 s spread of expiries, as a busy window makes.
        for n in 0..60_000u32 {
            assert!(guard.first_use(&sig(n), now + i64::from(n % 600), now));
        }
        assert_eq!(guard.len(), 60_000);
        // 300 s later, the half that expired is gone; the rest is still refused as replays.
        assert!(guard.first_use(&sig(1_000_000), now + 600, now + 300));
        assert_eq!(guard.len(), 30_000 + 1);
        assert!(!guard.first_use(&sig(599), now + 599, now + 300));
        assert!(guard.first_use(&sig(0), now, now + 300 + SLOT_SECS));
    }
}
