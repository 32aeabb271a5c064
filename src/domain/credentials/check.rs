//! Verifying a request as the API and the gateway do, with its cache policy and its usage records:
//! the cheap checks and a cache hit answer at once (microseconds of hashing); a record past half its
//! life is read again in the background while it keeps answering; only a miss waits for the
//! database. Every decision about a found token is counted for its usage chart.
//!
//! During a database outage a cached record keeps answering only within its normal life
//! (`KWIK_TOKEN_CACHE_TTL_MS`); it is never stretched because the database cannot be asked, so a
//! disable made elsewhere is never outlived by more than that TTL. Past it, verification fails closed:
//! the miss waits at most `deadline`, then the request gets its 503.

use std::sync::Arc;
use std::time::Duration;

use super::cache::{Cached, TokenCache};
use super::rate_limit::RateLimiter;
use super::replay_store::FirstUse;
use super::seal::Keyring;
use super::usage::UsageRecorder;
use super::verify::{self, Code, Decision, Facts, Presented, Replays, TokenRecord, Verifier};
use crate::db::{Database, DbError};
use crate::infra::threads::{Batched, Priority, Threads};

/// What a verification uses; borrowed from the application's state for one request.
pub struct Check<'a> {
    /// Where tokens are read.
    pub database: &'a Database,
    /// Recently verified tokens, by key hash.
    pub cache: &'a Arc<TokenCache>,
    /// Opens sealed secrets for signed requests.
    pub keyring: &'a Keyring,
    /// Refuses replays: in this process, or in the store every instance shares.
    pub replays: &'a Replays,
    /// Counts uses for the usage chart and last-used times.
    pub usage: &'a UsageRecorder,
    /// Each token's requests a second, counted by every instance.
    pub limiter: &'a Arc<RateLimiter>,
    /// Where the cache's misses wait to be looked up together.
    pub lookups: &'a KeyLookups,
    /// How long a miss may wait for the database (`KWIK_DB_VERIFY_TIMEOUT_MS`), after which the
    /// request fails closed with [`DbError::TimedOut`].
    pub deadline: Duration,
}

/// The key lookups that missed the cache and wait for a database thread: looked up together, one
/// statement for all of them. Under load each miss would otherwise be a statement and a round trip
/// of its own (at scale, a gateway verifies many keys the cache has not seen).
#[derive(Debug)]
pub struct KeyLookups(Batched<[u8; 32], Looked>);

/// What a batched lookup answers one key: its token or none, or the error the whole batch had.
type Looked = Result<Option<Arc<TokenRecord>>, Arc<DbError>>;

/// Threads looking keys up: few, so that the misses queue behind them and batches grow with the
/// load; two, so that one batch can be read while the next gathers.
pub const LOOKUP_THREADS: usize = 2;

impl KeyLookups {
    /// Lookups on threads of their own.
    pub fn new() -> std::io::Result<Self> {
        Ok(Self(Batched::new(Threads::new(
            "lookup",
            LOOKUP_THREADS,
            Priority::Batch,
        )?)))
    }
}

impl Check<'_> {
    /// Decides about `facts` at `now` (unix seconds), and records the use of the token it found
    /// and the decision's metric. No decision (the database did not answer) is counted as none.
    pub async fn decide(&self, facts: &Facts, now: i64) -> Result<Decision, DbError> {
        let decision = self.decide_uncounted(facts, now).await?;
        crate::infra::metrics::verify_decision(match &decision {
            Decision::Allowed(_) => "allowed",
            Decision::Denied(code) => code.as_str(),
        });
        Ok(decision)
    }

    async fn decide_uncounted(&self, facts: &Facts, now: i64) -> Result<Decision, DbError> {
        let key_hash = match verify::precheck(facts, now) {
            Ok(h) => h,
            Err(code) => return Ok(Decision::Denied(code)),
        };
        let record = match self.cache.lookup(&key_hash) {
            Cached::Fresh(record) => Some(record),
            Cached::Refresh(record) => {
                let (cache, generation) = (self.cache.clone(), self.cache.generation());
                self.database.spawn(move |conn| {
                    match verify::find_by_key_hash(conn, &key_hash) {
                        Ok(found) => cache.refreshed(key_hash, found.map(Arc::new), generation),
                        // The record expires at the end of its life, and the next request reads it.
                        Err(e) => tracing::warn!(error = %e, "could not read a cached token again"),
                    }
                });
                Some(record)
            }
            Cached::Miss => {
                let generation = self.cache.generation();
                // The misses that wait together are looked up together, in one statement.
                let found = self
                    .database
                    .call_batched(&self.lookups.0, self.deadline, key_hash, |c, batch| {
                        verify::find_by_key_hashes(c, batch).map_err(DbError::from)
                    })
                    .await
                    .map_err(DbError::Shared)?;
                if let Some(record) = &found {
                    self.cache.put(key_hash, record.clone(), generation);
                }
                found
            }
        };
        let Some(record) = record else {
            return Ok(Decision::Denied(Code::InvalidCredentials));
        };
        let verifier = Verifier {
            keyring: self.keyring,
            replays: self.replays.local(),
        };
        let mut decision = verifier.decide(&record, facts, now);
        let now_ms = unix_millis();
        if let Decision::Allowed(grant) = &decision
            && !self
                .limiter
                .admit(grant.token_id, record.rate_limit(), now_ms)
        {
            decision = Decision::Denied(Code::RateLimited);
        }
        if let Some(claim) = self.limiter.sync_due(now_ms) {
            self.database.spawn(move |conn| {
                if let Err(e) = claim.run(conn, now_ms) {
                    tracing::warn!(error = %e, "rate limit counts not shared; limiting with what this instance knows");
                }
            });
        }
        // An authentic signature (any answer but these) is recorded where every instance sees
        // it; the verifier already did in memory. A request over the limit does no more work.
        if let Presented::Signed(s) = &facts.presented
            && self.replays.local().is_none()
            && decision != Decision::Denied(Code::InvalidCredentials)
            && decision != Decision::Denied(Code::RateLimited)
        {
            let first = self
                .replays
                .first_use_shared(self.database, &s.signature, s.timestamp, self.deadline)
                .await;
            match first {
                FirstUse::Yes => {}
                FirstUse::No => decision = Decision::Denied(Code::Replayed),
                FirstUse::Unknown => decision = Decision::Denied(Code::ReplayCheckUnavailable),
            }
        }
        match &decision {
            Decision::Allowed(grant) => {
                self.usage
                    .record(grant.token_id, crate::db::now(), facts.client_ip)
            }
            Decision::Denied(Code::RateLimited) => {
                self.usage.record_limited(record.token.id, crate::db::now())
            }
            Decision::Denied(code) => {
                self.usage
                    .record_denied(record.token.id, crate::db::now(), code.as_str())
            }
        }
        Ok(decision)
    }
}

fn unix_millis() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    now.unix_timestamp() * 1000 + i64::from(now.millisecond())
}
