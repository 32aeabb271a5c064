//! Pages of the token table, rendered once and shown again while nothing they show has changed.
//!
//! An entry is reused only while the merchant's `tokens_version` is the one it was rendered at. The
//! database bumps that version with every change to the merchant's tokens (the usage flush's
//! last-used times included), whichever instance or CLI made it, and every request reads it with the
//! signed-in user's merchant. So a change is in the very next page, everywhere. Entries also expire
//! after the TTL (1 s by default): that bounds how old the clock-relative wording can be ("Expires in
//! 5 days", "2 minutes ago", the Expired badge).
//!
//! A busy page is rendered again ahead of its end: past half the TTL, the first request reads and
//! renders it afresh while the others keep getting the cached page. Otherwise every request in
//! flight would miss together when it expires (64 renders at once, a 30 ms stall once a second).
//! When the new rows are the same HTML, the old ones are kept, with their compressed form.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::db::models::MerchantId;
use crate::domain::tokens::list::Summary;
use crate::web::tokens::rows::Rows;

/// Which page of which merchant's table, as whom.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    merchant: MerchantId,
    /// Admins see the row actions, viewers do not.
    can_manage: bool,
    /// The view's canonical address (search, filters, sort and page).
    view: String,
}

#[derive(Debug)]
struct Entry {
    version: i64,
    at: Instant,
    summary: Summary,
    rows: Rows,
    /// A request is rendering this page afresh (see the module's notes).
    refreshing: bool,
}

/// Rendered pages of token rows. Holds at most `max_bytes` of HTML.
#[derive(Debug)]
pub struct ListCache {
    entries: Mutex<HashMap<Key, Entry>>,
    ttl: Duration,
    max_bytes: usize,
}

impl ListCache {
    /// A cache keeping pages for `ttl`, at most `max_bytes` of them. A zero TTL disables it.
    pub fn new(ttl: Duration, max_bytes: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            ttl,
            max_bytes,
        }
    }

    /// The page rendered for `view` while the merchant's tokens were at `version`, if still fresh.
    /// `None` also tells the first caller past half the TTL to render the page afresh and `put` it
    /// (a miss in the metrics).
    pub fn get(
        &self,
        merchant: MerchantId,
        can_manage: bool,
        view: &str,
        version: i64,
    ) -> Option<(Summary, Rows)> {
        let found = self.find(merchant, can_manage, view, version);
        crate::infra::metrics::cache_lookup(
            crate::infra::metrics::CacheName::List,
            found.is_some(),
        );
        found
    }

    fn find(
        &self,
        merchant: MerchantId,
        can_manage: bool,
        view: &str,
        version: i64,
    ) -> Option<(Summary, Rows)> {
        if self.ttl.is_zero() {
            return None;
        }
        let key = Key {
            merchant,
            can_manage,
            view: view.to_owned(),
        };
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = entries.get_mut(&key)?;
        let age = entry.at.elapsed();
        if entry.version != version || age >= self.ttl {
            return None;
        }
        if age >= self.ttl / 2 && !entry.refreshing {
            entry.refreshing = true;
            return None;
        }
        Some((entry.summary, entry.rows.clone()))
    }

    /// Keeps a page read from the database when the version was `version` (read before the page, so
    /// a change in between only makes the entry look older than it is).
    pub fn put(
        &self,
        merchant: MerchantId,
        can_manage: bool,
        view: String,
        version: i64,
        summary: Summary,
        rows: Rows,
    ) {
        if self.ttl.is_zero() || rows.html_len() > self.max_bytes {
            return;
        }
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let held: usize = entries.values().map(|e| e.rows.html_len()).sum();
        if held + rows.html_len() > self.max_bytes {
            entries.retain(|_, e| e.at.elapsed() < self.ttl);
            let held: usize = entries.values().map(|e| e.rows.html_len()).sum();
            if held + rows.html_len() > self.max_bytes {
                entries.clear();
            }
        }
        let key = Key {
            merchant,
            can_manage,
            view,
        };
        // The same rows again: keep the ones held, compressed already if they were.
        let rows = match entries.get(&key) {
            Some(old) if old.rows.same_html(&rows) => old.rows.clone(),
            _ => rows,
        };
        entries.insert(
            key,
            Entry {
                version,
                at: Instant::now(),
                summary,
                rows,
                refreshing: false,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> Summary {
        Summary {
            total: 0,
            page: 1,
            any: false,
            shown: 0,
            per_page: 50,
        }
    }

    fn rows() -> Rows {
        Rows::from_html("<tr><td>x</td></tr>", 1)
    }

    #[test]
    fn a_page_is_reused_only_at_the_same_version_view_and_role() {
        let cache = ListCache::new(Duration::from_secs(60), 1 << 20);
        let m = MerchantId(7);
        cache.put(m, true, "/a".into(), 3, summary(), rows());
        assert!(cache.get(m, true, "/a", 3).is_some());
        assert!(
            cache.get(m, true, "/a", 4).is_none(),
            "a change bumps the version"
        );
        assert!(
            cache.get(m, false, "/a", 3).is_none(),
            "viewers get their own rows"
        );
        assert!(cache.get(m, true, "/b", 3).is_none());
        assert!(cache.get(MerchantId(8), true, "/a", 3).is_none());
    }

    #[test]
    fn pages_expire_and_a_zero_ttl_keeps_nothing() {
        let cache = ListCache::new(Duration::from_millis(30), 1 << 20);
        cache.put(MerchantId(1), true, "/a".into(), 1, summary(), rows());
        std::thread::sleep(Duration::from_millis(40));
        assert!(cache.get(MerchantId(1), true, "/a", 1).is_none());
        let off = ListCache::new(Duration::ZERO, 1 << 20);
        off.put(MerchantId(1), true, "/a".into(), 1, summary(), rows());
        assert!(off.get(MerchantId(1), true, "/a", 1).is_none());
    }

    #[test]
    fn past_half_its_life_one_caller_renders_a_page_again_while_the_others_reuse_it() {
        let cache = ListCache::new(Duration::from_millis(200), 1 << 20);
        let m = MerchantId(1);
        cache.put(m, true, "/a".into(), 1, summary(), rows());
        assert!(cache.get(m, true, "/a", 1).is_some());
        std::thread::sleep(Duration::from_millis(110));
        assert!(cache.get(m, true, "/a", 1).is_none(), "this one renders");
        for _ in 0..5 {
            assert!(cache.get(m, true, "/a", 1).is_some(), "the others reuse");
        }
        let held = cache.get(m, true, "/a", 1).unwrap().1;
        let zipped: *const _ = held.deflated().unwrap();
        // The same HTML rendered again: the held rows stay, with their compressed form, now young.
        cache.put(m, true, "/a".into(), 1, summary(), rows());
        let again = cache.get(m, true, "/a", 1).unwrap().1;
        assert!(std::ptr::eq(zipped, again.deflated().unwrap()));
        std::thread::sleep(Duration::from_millis(50));
        assert!(cache.get(m, true, "/a", 1).is_some(), "young again");
        // Different HTML replaces them.
        let other = Rows::from_html("<tr><td>y</td></tr>", 1);
        cache.put(m, true, "/a".into(), 1, summary(), other);
        let fresh = cache.get(m, true, "/a", 1).unwrap().1;
        assert!(!std::ptr::eq(zipped, fresh.deflated().unwrap()));
    }

    #[test]
    fn the_cache_never_holds_more_than_its_budget() {
        let one = rows().html_len();
        let cache = ListCache::new(Duration::from_secs(60), one * 2);
        for i in 0..10 {
            cache.put(MerchantId(i), true, "/a".into(), 1, summary(), rows());
            let entries = cache.entries.lock().unwrap_or_else(|e| e.into_inner());
            let held: usize = entries.values().map(|e| e.rows.html_len()).sum();
            assert!(held <= one * 2, "{held} bytes held");
        }
        assert!(
            cache.get(MerchantId(9), true, "/a", 1).is_some(),
            "the newest stays"
        );
    }
}
