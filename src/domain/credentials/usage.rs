//! Last-used times and client IPs of tokens, gathered in memory by every allowed verification and
//! written in one batch every few seconds (and at shutdown), so verification never writes per request.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use diesel::QueryResult;

use crate::db::DbConn;
use crate::db::models::access_token::DayUsage;
use crate::db::models::{AccessToken, TokenId};

/// Distinct client IPs kept per token.
pub const IPS_KEPT: usize = 5;

/// Days of use a token's page charts and the table counts, today included.
pub const WINDOW_DAYS: i64 = 30;

/// The South African days of the usage window ending today: (first, today).
pub fn window() -> (time::Date, time::Date) {
    let today = sa_day(crate::db::now());
    (today - time::Duration::days(WINDOW_DAYS - 1), today)
}

/// Requests (allowed, denied and rate limited) of each of these tokens in the usage window, as
/// written so far (the last few seconds' counts are still in memory); tokens without any are left
/// out.
pub fn requests_in_window(
    conn: &mut DbConn,
    ids: &[TokenId],
) -> QueryResult<HashMap<TokenId, i64>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let (first, _) = window();
    Ok(AccessToken::requests_since(conn, ids, first)?
        .into_iter()
        .collect())
}

/// Use of one token not yet written.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    at: time::PrimitiveDateTime,
    /// Most recent first, distinct.
    ips: Vec<IpAddr>,
}

/// Uses waiting to be written.
#[derive(Debug, Default)]
pub struct UsageRecorder {
    pending: Mutex<HashMap<TokenId, Pending>>,
    /// Verifications per token and South African day.
    daily: Mutex<Daily>,
}

/// Counts per token and South African day not yet written: totals, and refusals by answer code.
/// Kept under one lock and written in one transaction, so the two always agree.
#[derive(Debug, Default)]
struct Daily {
    usage: HashMap<(TokenId, time::Date), DayUsage>,
    denials: HashMap<(TokenId, time::Date, &'static str), i64>,
}

impl Daily {
    fn is_empty(&self) -> bool {
        self.usage.is_empty() && self.denials.is_empty()
    }

    /// Puts `other`'s counts (taken for a write that failed) back.
    fn absorb(&mut self, other: Self) {
        for (key, counts) in other.usage {
            self.usage.entry(key).or_default().add(counts);
        }
        for (key, n) in other.denials {
            *self.denials.entry(key).or_default() += n;
        }
    }
}

use crate::infra::sa_time::day_of as sa_day;

/// `recent` in front of `older`, distinct, at most [`IPS_KEPT`].
fn merge_ips(recent: &[IpAddr], older: impl IntoIterator<Item = IpAddr>) -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = Vec::with_capacity(IPS_KEPT);
    for ip in recent.iter().copied().chain(older) {
        if out.len() == IPS_KEPT {
            break;
        }
        if !out.contains(&ip) {
            out.push(ip);
        }
    }
    out
}

impl UsageRecorder {
    /// Counts a refused verification of `token` (a known token: wrong secret, disabled, ...),
    /// answered with `code` (`DISABLED`, ...).
    pub fn record_denied(&self, token: TokenId, at: time::PrimitiveDateTime, code: &'static str) {
        let mut daily = self
            .daily
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let day = sa_day(at);
        daily.usage.entry((token, day)).or_default().add(DayUsage {
            denied: 1,
            ..DayUsage::default()
        });
        *daily.denials.entry((token, day, code)).or_default() += 1;
    }

    /// Counts a request of `token` refused for its rate limit.
    pub fn record_limited(&self, token: TokenId, at: time::PrimitiveDateTime) {
        self.count(
            token,
            at,
            DayUsage {
                limited: 1,
                ..DayUsage::default()
            },
        );
    }

    fn count(&self, token: TokenId, at: time::PrimitiveDateTime, counts: DayUsage) {
        let mut daily = self
            .daily
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        daily
            .usage
            .entry((token, sa_day(at)))
            .or_default()
            .add(counts);
    }

    /// Notes that `token` was used (allowed) at `at` from `ip`.
    pub fn record(&self, token: TokenId, at: time::PrimitiveDateTime, ip: Option<IpAddr>) {
        self.count(
            token,
            at,
            DayUsage {
                allowed: 1,
                ..DayUsage::default()
            },
        );
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = pending.entry(token).or_insert_with(|| Pending {
            at,
            ips: Vec::new(),
        });
        entry.at = entry.at.max(at);
        if let Some(ip) = ip {
            entry.ips = merge_ips(&[ip], entry.ips.iter().copied());
        }
    }

    /// How many tokens have unwritten use (or unwritten counts).
    pub fn pending_count(&self) -> usize {
        let used = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len();
        used + self
            .daily
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .usage
            .len()
    }

    /// Writes everything pending: daily counts, then last-used, one transaction each. On failure what
    /// was taken is put back for the next try.
    pub fn flush(&self, conn: &mut DbConn) -> QueryResult<usize> {
        self.flush_daily(conn)?;
        self.flush_last_used(conn)
    }

    fn flush_daily(&self, conn: &mut DbConn) -> QueryResult<()> {
        let counts = std::mem::take(
            &mut *self
                .daily
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        if counts.is_empty() {
            return Ok(());
        }
        // In key order, so that instances flushing at once take row locks in the same order and
        // cannot deadlock.
        let mut usage: Vec<_> = counts.usage.iter().collect();
        usage.sort_unstable_by_key(|((token, day), _)| (token.0, *day));
        let mut denials: Vec<_> = counts.denials.iter().collect();
        denials.sort_unstable_by_key(|((token, day, code), _)| (token.0, *day, *code));
        let written = conn.write_transaction(|conn| {
            for ((token, day), day_counts) in usage {
                AccessToken::add_daily_usage(conn, *token, *day, day_counts)?;
            }
            for ((token, day, code), n) in denials {
                AccessToken::add_daily_denials(conn, *token, *day, code, *n)?;
            }
            Ok(())
        });
        if written.is_err() {
            self.daily
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .absorb(counts);
        }
        written
    }

    fn flush_last_used(&self, conn: &mut DbConn) -> QueryResult<usize> {
        let batch = std::mem::take(
            &mut *self
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        if batch.is_empty() {
            return Ok(0);
        }
        let ids: Vec<TokenId> = batch.keys().copied().collect();
        let written = conn.write_transaction(|conn| {
            let stored = AccessToken::usage_of(conn, &ids)?;
            for (id, last_at, last_ips) in &stored {
                let Some(new) = batch.get(id) else { continue };
                let older = last_ips.split(',').filter_map(|s| s.trim().parse().ok());
                let ips = merge_ips(&new.ips, older);
                let at = last_at.map_or(new.at, |t| t.max(new.at));
                let text = ips
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(",");
                AccessToken::set_usage(conn, *id, at, &text)?;
            }
            Ok(stored.len())
        });
        if written.is_err() {
            let mut pending = self
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for (id, used) in batch {
                let entry = pending.entry(id).or_insert_with(|| used.clone());
                entry.at = entry.at.max(used.at);
                entry.ips = merge_ips(&entry.ips.clone(), used.ips);
            }
        }
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ips_are_distinct_most_recent_first_and_at_most_five() {
        let older = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"].map(ip);
        let merged = merge_ips(&[ip("10.0.0.3"), ip("10.0.0.9")], older);
        assert_eq!(
            merged,
            ["10.0.0.3", "10.0.0.9", "10.0.0.1", "10.0.0.2", "10.0.0.4"].map(ip)
        );
    }

    #[test]
    fn recording_coalesces_per_token() {
        let r = UsageRecorder::default();
        let t0 = crate::db::now();
        r.record(TokenId(1), t0, Some(ip("10.0.0.1")));
        r.record(
            TokenId(1),
            t0 + time::Duration::seconds(5),
            Some(ip("10.0.0.2")),
        );
        r.record(TokenId(2), t0, None);
        assert_eq!(
            r.pending_count(),
            4,
            "two tokens used, two token-days counted"
        );
        let pending = r.pending.lock().unwrap();
        assert_eq!(
            pending[&TokenId(1)].ips,
            vec![ip("10.0.0.2"), ip("10.0.0.1")]
        );
        assert_eq!(pending[&TokenId(1)].at, t0 + time::Duration::seconds(5));
    }
}
