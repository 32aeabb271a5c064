//! The per-token rate limit (Kwik's API documents 100 requests a second): decided locally, in
//! memory, on every request, with counts shared by every instance through the database.
//!
//! Each token has a count per second (a window). A request is allowed while the sliding estimate,
//! the previous second's count weighted by how much of it still lies within the last second plus the
//! current second's count, stays below the limit; so a token may burst its whole limit at once, and
//! over any second it gets about its limit. On SQLite (one instance) the counts are this process's.
//! On Postgres every instance adds what it allowed to `rate_counts` and reads the fleet's total
//! back, one statement for all its tokens, at most every `KWIK_RATE_SYNC_MS` and only while it
//! has counts to add, never per request. Between syncs each instance knows the others' counts as of
//! the last sync, so a fleet over-admits at most what the other instances allow in one sync
//! interval. When the database cannot be reached, each instance keeps limiting with what it knew
//! plus its own counts (the limit then holds per instance, not per fleet); it must not stop traffic.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use diesel::QueryResult;

use crate::db::DbConn;
use crate::db::models::rate_count::{self, Hits};
use crate::db::models::{Merchant, TokenId};
use crate::domain::audit::{self, Actor, Event, Target};

/// Requests a second a token may make unless told otherwise (Kwik's documented limit).
pub const DEFAULT_PER_SECOND: i32 = 100;
/// The highest limit a token or merchant may be given.
pub const MAX_PER_SECOND: i32 = 1_000_000;
/// What a refused request is told to wait, in seconds: within it the estimate has room again.
pub const RETRY_AFTER_SECS: u64 = 1;

const WINDOW_MS: i64 = 1000;

/// Sets the requests a second that `merchant`'s tokens without a limit of their own may make, and
/// records it in the merchant's History, in one transaction; whether it changed.
pub fn set_for_merchant(
    conn: &mut DbConn,
    merchant: &Merchant,
    per_second: i32,
    actor: &Actor,
) -> QueryResult<bool> {
    if merchant.rate_limit == per_second {
        return Ok(false);
    }
    conn.write_transaction(|c| {
        Merchant::set_rate_limit(c, merchant.id, per_second)?;
        let target = Target {
            kind: "merchant",
            id: merchant.id.0,
            label: &merchant.name,
        };
        let detail = format!(
            "{} → {per_second} requests a second, for tokens without their own",
            merchant.rate_limit
        );
        audit::record(
            c,
            actor,
            Event::RateLimitChanged,
            Some(merchant.id),
            Some(target),
            &detail,
        )?;
        Ok(true)
    })
}

/// Reads a limit as typed: empty is `None` (the merchant's limit applies), else a whole number of
/// requests a second from 1 to [`MAX_PER_SECOND`]; the error is a message for the form or the CLI.
pub fn parse_per_second(text: &str) -> Result<Option<i32>, String> {
    let text = text.trim().replace([',', ' ', '_'], "");
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<i32>()
        .ok()
        .filter(|n| (1..=MAX_PER_SECOND).contains(n))
        .map(Some)
        .ok_or_else(|| {
            "Enter a whole number of requests a second from 1 to 1,000,000, or leave it empty for your organisation’s limit.".to_owned()
        })
}

/// One token's count in one second: the fleet's total as last read, and what this instance allowed
/// since (not yet in that total).
#[derive(Debug, Clone, Copy, Default)]
struct Window {
    index: i64,
    synced: u64,
    pending: u64,
}

impl Window {
    fn at(index: i64) -> Self {
        Self {
            index,
            ..Self::default()
        }
    }

    fn total(&self) -> u64 {
        self.synced + self.pending
    }
}

/// A token's current and previous seconds.
#[derive(Debug, Clone, Copy)]
struct Counter {
    current: Window,
    previous: Window,
}

impl Counter {
    fn new(window: i64) -> Self {
        Self {
            current: Window::at(window),
            previous: Window::at(window - 1),
        }
    }

    /// Moves to `window` (a clock that steps back a little counts in the current one).
    fn roll(&mut self, window: i64) {
        if window == self.current.index + 1 {
            self.previous = self.current;
            self.current = Window::at(window);
        } else if window > self.current.index + 1 {
            *self = Self::new(window);
        }
    }

    fn window_mut(&mut self, index: i64) -> Option<&mut Window> {
        if self.current.index == index {
            Some(&mut self.current)
        } else if self.previous.index == index {
            Some(&mut self.previous)
        } else {
            None
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    tokens: HashMap<TokenId, Counter>,
    /// What this instance allowed and has not yet added to the shared counts.
    unsent: HashMap<(TokenId, i64), u64>,
}

/// The limiter of one instance.
#[derive(Debug)]
pub struct RateLimiter {
    counts: Mutex<Counts>,
    /// Whether counts are shared through the database (Postgres).
    shared: bool,
    sync_every_ms: i64,
    last_sync_ms: AtomicI64,
    syncing: AtomicBool,
    healthy: AtomicBool,
}

impl RateLimiter {
    /// A limiter sharing its counts through the database when `shared`, at most every
    /// `sync_every_ms` milliseconds.
    pub fn new(shared: bool, sync_every_ms: u64) -> Self {
        Self {
            counts: Mutex::default(),
            shared,
            sync_every_ms: i64::try_from(sync_every_ms).unwrap_or(i64::MAX),
            last_sync_ms: AtomicI64::new(0),
            syncing: AtomicBool::new(false),
            healthy: AtomicBool::new(true),
        }
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts a request of `token`, limited to `per_second`, at `now_ms` (unix milliseconds):
    /// whether it is allowed. A refused request is not counted.
    pub fn admit(&self, token: TokenId, per_second: u32, now_ms: i64) -> bool {
        let window = now_ms.div_euclid(WINDOW_MS);
        let elapsed = now_ms.rem_euclid(WINDOW_MS);
        let mut counts = self.counts();
        let counter = counts
            .tokens
            .entry(token)
            .or_insert_with(|| Counter::new(window));
        counter.roll(window);
        // previous × (share of the last second still in it) + current, in thousandths.
        let estimate = u128::from(counter.previous.total()) * ((WINDOW_MS - elapsed) as u128)
            + u128::from(counter.current.total()) * WINDOW_MS as u128;
        if estimate + WINDOW_MS as u128 > u128::from(per_second) * WINDOW_MS as u128 {
            return false;
        }
        let counted = counter.current.index;
        counter.current.pending += 1;
        if self.shared {
            *counts.unsent.entry((token, counted)).or_default() += 1;
        }
        true
    }

    /// A claim to add this instance's counts to the shared ones now, when it has some and the last
    /// sync was at least the interval ago and is over. Run it with [`SyncClaim::run`]; dropped
    /// unrun (no database connection), it leaves the counts for the next one.
    pub fn sync_due(self: &Arc<Self>, now_ms: i64) -> Option<SyncClaim> {
        if !self.shared || now_ms - self.last_sync_ms.load(Ordering::Relaxed) < self.sync_every_ms {
            return None;
        }
        if self.counts().unsent.is_empty() || self.syncing.swap(true, Ordering::AcqRel) {
            return None;
        }
        self.last_sync_ms.store(now_ms, Ordering::Relaxed);
        Some(SyncClaim {
            limiter: self.clone(),
            ran: false,
        })
    }

    /// Adds this instance's new counts to the shared ones and learns the fleet's totals; forgets
    /// tokens idle for two seconds. On failure the counts are kept for the next try.
    fn sync(&self, conn: &mut DbConn, now_ms: i64) -> QueryResult<()> {
        let window = now_ms.div_euclid(WINDOW_MS);
        let mut hits: Vec<Hits> = {
            let mut counts = self.counts();
            counts.tokens.retain(|_, c| c.current.index >= window - 1);
            std::mem::take(&mut counts.unsent)
                .into_iter()
                // An older second no longer decides anything.
                .filter(|((_, w), _)| *w >= window - 1)
                .map(|((token, w), n)| Hits {
                    token,
                    window: w,
                    count: i64::try_from(n).unwrap_or(i64::MAX),
                })
                .collect()
        };
        hits.sort_by_key(|h| (h.token, h.window));
        let answer = rate_count::add(conn, &hits);
        let mut counts = self.counts();
        match &answer {
            Ok(totals) => {
                let sent: HashMap<(TokenId, i64), i64> = hits
                    .iter()
                    .map(|h| ((h.token, h.window), h.count))
                    .collect();
                for total in totals {
                    let key = (TokenId(total.token_id), total.window_start);
                    let Some(w) = counts
                        .tokens
                        .get_mut(&key.0)
                        .and_then(|c| c.window_mut(key.1))
                    else {
                        continue;
                    };
                    let sent = sent.get(&key).copied().unwrap_or(0);
                    w.pending = w.pending.saturating_sub(u64::try_from(sent).unwrap_or(0));
                    w.synced = w.synced.max(u64::try_from(total.hits).unwrap_or(0));
                }
            }
            Err(_) => {
                for h in &hits {
                    *counts.unsent.entry((h.token, h.window)).or_default() +=
                        u64::try_from(h.count).unwrap_or(0);
                }
            }
        }
        drop(counts);
        self.healthy.store(answer.is_ok(), Ordering::Relaxed);
        answer.map(drop)
    }

    /// Whether the last sync with the shared counts worked (always true when not shared).
    pub fn healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    /// Whether counts are shared with other instances (through the database).
    pub fn is_shared(&self) -> bool {
        self.shared
    }

    /// How many tokens this instance is counting.
    pub fn tokens_counted(&self) -> usize {
        self.counts().tokens.len()
    }
}

/// The right to sync this instance's counts once (see [`RateLimiter::sync_due`]).
#[derive(Debug)]
pub struct SyncClaim {
    limiter: Arc<RateLimiter>,
    ran: bool,
}

impl SyncClaim {
    /// Syncs (see [`RateLimiter`]): adds the counts, reads the totals.
    pub fn run(mut self, conn: &mut DbConn, now_ms: i64) -> QueryResult<()> {
        self.ran = true;
        self.limiter.sync(conn, now_ms)
    }
}

impl Drop for SyncClaim {
    fn drop(&mut self) {
        if !self.ran {
            self.limiter.healthy.store(false, Ordering::Relaxed);
        }
        self.limiter.syncing.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: TokenId = TokenId(7);

    fn admitted(l: &RateLimiter, per_second: u32, times: &[i64]) -> usize {
        times.iter().filter(|&&t| l.admit(T, per_second, t)).count()
    }

    #[test]
    fn a_token_may_burst_its_whole_limit_and_no_more() {
        let l = RateLimiter::new(false, 10);
        assert_eq!(admitted(&l, 100, &[5_000_000; 150]), 100);
        assert!(!l.admit(T, 100, 5_000_999), "still the same second");
    }

    #[test]
    fn the_previous_second_weighs_by_how_much_of_it_is_still_within_a_second() {
        let l = RateLimiter::new(false, 10);
        assert_eq!(admitted(&l, 100, &[1_000; 100]), 100);
        // Half-way through the next second, half of the previous still counts: 50 more fit.
        assert_eq!(admitted(&l, 100, &[2_500; 100]), 50);
        // Two seconds later nothing of it counts.
        assert_eq!(admitted(&l, 100, &[4_000; 150]), 100);
    }

    #[test]
    fn a_steady_stream_of_three_times_the_limit_gets_about_the_limit() {
        let l = RateLimiter::new(false, 10);
        // 300 requests a second for 10 seconds, evenly spaced.
        let times: Vec<i64> = (0..3000).map(|i| 10_000 + i * 10 / 3).collect();
        let got = admitted(&l, 100, &times);
        // The first second's burst, then about 100 a second.
        assert!((950..=1100).contains(&got), "admitted {got}");
    }

    #[test]
    fn limits_are_whole_numbers_in_range_and_empty_means_the_merchants() {
        assert_eq!(parse_per_second(""), Ok(None));
        assert_eq!(parse_per_second(" 250 "), Ok(Some(250)));
        assert_eq!(parse_per_second("1,000,000"), Ok(Some(1_000_000)));
        for bad in ["0", "-5", "1.5", "ten", "1000001"] {
            assert!(parse_per_second(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tokens_are_limited_apart() {
        let l = RateLimiter::new(false, 10);
        assert_eq!(admitted(&l, 2, &[0, 0, 0]), 2);
        assert!(l.admit(TokenId(8), 2, 0));
    }

    #[test]
    fn nothing_is_synced_when_not_shared_or_with_nothing_new() {
        let solo = Arc::new(RateLimiter::new(false, 10));
        solo.admit(T, 100, 1_000);
        assert!(solo.sync_due(2_000).is_none());
        let shared = Arc::new(RateLimiter::new(true, 10));
        assert!(shared.sync_due(2_000).is_none(), "no counts yet");
        shared.admit(T, 100, 2_000);
        let claim = shared.sync_due(2_000);
        assert!(claim.is_some());
        assert!(shared.sync_due(2_050).is_none(), "one sync at a time");
        drop(claim);
        assert!(!shared.healthy(), "a claim dropped unrun is a failed sync");
        assert!(shared.sync_due(2_005).is_none(), "not before the interval");
        assert!(shared.sync_due(2_010).is_some());
    }
}
