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
    daily: Mutex<HashMap<(TokenId, time::Date), DayUsage>>,
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
    /// Counts a refused verification of `token` (a known token: wrong secret, disabled, ...).
    pub fn record_denied(&self, token: TokenId, at: time::PrimitiveDateTime) {
        self.count(
            token,
            at,
            DayUsage {
                denied: 1,
                ..DayUsage::default()
            },
        );
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
        daily.entry((token, sa_day(at))).or_default().add(counts);
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
        let written = conn.write_transaction(|conn| {
            for ((token, day), day_counts) in &counts {
                AccessToken::add_daily_usage(conn, *token, *day, day_counts)?;
            }
            Ok(())
        });
        if written.is_err() {
            let mut daily = self
                .daily
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for (key, day_counts) in counts {
                daily.entry(key).or_default().add(day_counts);
            }
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
