//! A fixed-window request counter, per instance: enough for an endpoint whose callers are few and
//! known (GitLab's revocation API), where a shared counter would be more than the need.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A fixed-window request counter (per instance): at most `limit` requests per `window`.
#[derive(Debug)]
pub struct RateLimit {
    limit: u32,
    window: Duration,
    current: Mutex<(Instant, u32)>,
}

impl Default for RateLimit {
    /// 60 requests a minute: a batching caller (GitLab sends its findings in batches), so this is far above its need.
    fn default() -> Self {
        Self::new(60, Duration::from_secs(60))
    }
}

impl RateLimit {
    /// `limit` requests per `window`.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            current: Mutex::new((Instant::now(), 0)),
        }
    }

    /// Counts a request: `Err(seconds to wait)` when over the limit.
    pub fn take(&self) -> Result<(), u64> {
        let mut current = self
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        if now.duration_since(current.0) >= self.window {
            *current = (now, 0);
        }
        if current.1 >= self.limit {
            let left = self.window.saturating_sub(now.duration_since(current.0));
            return Err(left.as_secs().max(1));
        }
        current.1 += 1;
        Ok(())
    }
}
