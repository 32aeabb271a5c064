//! Prometheus metrics: the process's recorder, and every series the app records, named here once
//! (the README's list and `docs/grafana-kwik-dashboard.json` follow this file).
//!
//! The `metrics` facade keeps one recorder per process. Until [`install`] runs (the server does,
//! only when `KWIK_METRICS_BIND` is set) every function here is a no-op, so the command line and
//! the tests record nothing.
//!
//! Labels hold only bounded values: route patterns, methods, status codes, refusal codes, cache
//! and pool state names. Never a key, a name, an email, an address or an id.

use std::time::Duration;

use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

/// Requests answered, by `method`, `route` (the pattern, or `unmatched`) and `status`.
pub const HTTP_REQUESTS: &str = "kwik_http_requests_total";
/// Time to answer a request, by `method` and `route`.
pub const HTTP_DURATION: &str = "kwik_http_request_duration_seconds";
/// Credential verifications, by `decision`: `allowed` or the refusal code.
pub const VERIFY_DECISIONS: &str = "kwik_verify_decisions_total";
/// Cache lookups, by `cache` (`token`, `list`) and `result` (`hit`, `miss`).
pub const CACHE_LOOKUPS: &str = "kwik_cache_lookups_total";
/// Pooled database connections, by `state` (`in_use`, `idle`), sampled at scrape time.
pub const POOL_CONNECTIONS: &str = "kwik_db_pool_connections";
/// The most connections the pool opens (`KWIK_DB_POOL_SIZE`).
pub const POOL_MAX: &str = "kwik_db_pool_max_connections";
/// How long a checkout waited for a connection.
pub const POOL_WAIT: &str = "kwik_db_pool_checkout_wait_seconds";
/// Checkouts that gave up after `KWIK_DB_CONNECT_TIMEOUT_MS`.
pub const POOL_TIMEOUTS: &str = "kwik_db_pool_checkout_timeouts_total";
/// Password hashes and checks waiting for a hashing thread, sampled at scrape time.
pub const HASH_QUEUE: &str = "kwik_password_hash_queue_depth";
/// How long a hash or check waited for a hashing thread, by `op` (`hash`, `verify`).
pub const HASH_WAIT: &str = "kwik_password_hash_wait_seconds";
/// How long a hash or check took on its thread, by `op`.
pub const HASH_DURATION: &str = "kwik_password_hash_duration_seconds";
/// Sessions not yet expired, counted at scrape time; NaN when the database did not answer.
pub const SESSIONS_ACTIVE: &str = "kwik_sessions_active";
/// Always 1, with the running `version`.
pub const BUILD_INFO: &str = "kwik_build_info";
/// Attempts to send a mail from the outbox, by outcome.
pub const MAIL_DELIVERIES: &str = "kwik_mail_deliveries_total";

/// Request latencies: from a cached whoami (well under a millisecond) to a page waiting out its
/// database deadline (2 s by default).
const HTTP_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Checkout waits: microseconds when a connection is idle, up to the 3 s connect timeout.
const POOL_BUCKETS: &[f64] = &[
    0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 3.0, 10.0,
];
/// argon2id takes about 20 ms with the OWASP cost; a sign-in storm queues for seconds.
const HASH_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Renders the metrics of the installed recorder; cheap to clone.
#[derive(Clone)]
pub struct Exporter(PrometheusHandle);

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exporter").finish_non_exhaustive()
    }
}

impl Exporter {
    /// Every series in the Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        self.0.render()
    }

    /// Drains the histograms' pending samples; run it every few seconds, whether or not anyone
    /// scrapes, or they grow without bound.
    pub fn upkeep(&self) {
        self.0.run_upkeep();
    }
}

/// Installs the process's recorder, with histogram buckets, descriptions and `kwik_build_info`.
/// Fails if a recorder is already installed (it is done once, by `serve`).
pub fn install() -> Result<Exporter, BuildError> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.into()), HTTP_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full(POOL_WAIT.into()), POOL_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full(HASH_WAIT.into()), HASH_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full(HASH_DURATION.into()), HASH_BUCKETS)?
        .install_recorder()?;
    describe();
    // Shown from the start, so that a dashboard's rate() has a zero to count from.
    counter!(POOL_TIMEOUTS).absolute(0);
    for outcome in ["sent", "retried", "failed"] {
        counter!(MAIL_DELIVERIES, "outcome" => outcome).absolute(0);
    }
    gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    Ok(Exporter(handle))
}

/// The `# HELP` lines.
fn describe() {
    describe_counter!(
        MAIL_DELIVERIES,
        Unit::Count,
        "Attempts to send a mail from the outbox, by outcome: sent, retried (will be tried again) or failed (given up)."
    );
    describe_counter!(
        HTTP_REQUESTS,
        Unit::Count,
        "HTTP requests answered, by route pattern and status."
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time to answer an HTTP request, by route pattern."
    );
    describe_counter!(
        VERIFY_DECISIONS,
        Unit::Count,
        "Credential verifications (whoami, the gateway), by decision: allowed or the refusal code."
    );
    describe_counter!(
        CACHE_LOOKUPS,
        Unit::Count,
        "Lookups in the token cache and the token list cache, hits and misses."
    );
    describe_gauge!(
        POOL_CONNECTIONS,
        Unit::Count,
        "Pooled database connections in use and idle."
    );
    describe_gauge!(
        POOL_MAX,
        Unit::Count,
        "The most database connections the pool opens."
    );
    describe_histogram!(
        POOL_WAIT,
        Unit::Seconds,
        "Time a database pool checkout waited for a connection."
    );
    describe_counter!(
        POOL_TIMEOUTS,
        Unit::Count,
        "Database pool checkouts that timed out."
    );
    describe_gauge!(
        HASH_QUEUE,
        Unit::Count,
        "Password hashes and checks waiting for a hashing thread."
    );
    describe_histogram!(
        HASH_WAIT,
        Unit::Seconds,
        "Time a password hash or check waited for a hashing thread."
    );
    describe_histogram!(
        HASH_DURATION,
        Unit::Seconds,
        "Time a password hash or check took on its thread."
    );
    describe_gauge!(
        SESSIONS_ACTIVE,
        Unit::Count,
        "Sign-in sessions not yet expired (NaN: the database did not answer)."
    );
    describe_gauge!(
        BUILD_INFO,
        Unit::Count,
        "Always 1; the label says the version running."
    );
}

/// One request answered. `method` and `route` must already be bounded (see [`method_label`]).
pub fn http_request(method: &'static str, route: String, status: u16, took: Duration) {
    histogram!(HTTP_DURATION, "method" => method, "route" => route.clone()).record(took);
    counter!(HTTP_REQUESTS, "method" => method, "route" => route, "status" => status_label(status))
        .increment(1);
}

/// The method as a label: the standard ones by name, anything else (a client may send any token)
/// as `OTHER`.
pub fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE",
    ];
    KNOWN.into_iter().find(|m| *m == method).unwrap_or("OTHER")
}

/// The status code as a label, without allocating for the usual ones.
fn status_label(status: u16) -> metrics::SharedString {
    match status {
        200 => "200".into(),
        303 => "303".into(),
        401 => "401".into(),
        403 => "403".into(),
        404 => "404".into(),
        503 => "503".into(),
        other => other.to_string().into(),
    }
}

/// One attempt to send a mail: `sent`, `retried` or `failed`.
pub fn mail_delivery(outcome: &'static str) {
    counter!(MAIL_DELIVERIES, "outcome" => outcome).increment(1);
}

/// A credential verification decided: `allowed`, or the refusal's wire code.
pub fn verify_decision(decision: &'static str) {
    counter!(VERIFY_DECISIONS, "decision" => decision).increment(1);
}

/// Which cache a lookup went to.
#[derive(Debug, Clone, Copy)]
pub enum CacheName {
    /// Verified token records (`domain::credentials::cache`).
    Token,
    /// Rendered rows of the token table (`web::tokens::list::cache`).
    List,
}

/// A cache lookup: whether it answered.
pub fn cache_lookup(cache: CacheName, hit: bool) {
    let cache = match cache {
        CacheName::Token => "token",
        CacheName::List => "list",
    };
    let result = if hit { "hit" } else { "miss" };
    counter!(CACHE_LOOKUPS, "cache" => cache, "result" => result).increment(1);
}

/// The pool as it is now: connections lent out, idle ones, and its size.
pub fn pool_state(in_use: u32, idle: u32, max: u32) {
    gauge!(POOL_CONNECTIONS, "state" => "in_use").set(in_use);
    gauge!(POOL_CONNECTIONS, "state" => "idle").set(idle);
    gauge!(POOL_MAX).set(max);
}

/// A checkout got its connection after `waited`.
pub fn pool_checkout(waited: Duration) {
    histogram!(POOL_WAIT).record(waited);
}

/// A checkout gave up.
pub fn pool_timeout() {
    counter!(POOL_TIMEOUTS).increment(1);
}

/// Which password operation ran.
#[derive(Debug, Clone, Copy)]
pub enum HashOp {
    /// A new hash (a password set or changed).
    Hash,
    /// A check against a stored hash (a sign-in, a re-authentication).
    Verify,
}

/// A password hash or check ran for `took`, after waiting `waited` for a thread.
pub fn password_hash(op: HashOp, waited: Duration, took: Duration) {
    let op = match op {
        HashOp::Hash => "hash",
        HashOp::Verify => "verify",
    };
    histogram!(HASH_WAIT, "op" => op).record(waited);
    histogram!(HASH_DURATION, "op" => op).record(took);
}

/// Password work waiting for a hashing thread now.
pub fn hash_queue(depth: usize) {
    gauge!(HASH_QUEUE).set(depth as f64);
}

/// Sessions not yet expired now; `None` when they could not be counted.
pub fn sessions_active(count: Option<i64>) {
    gauge!(SESSIONS_ACTIVE).set(count.map_or(f64::NAN, |n| n as f64));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_outside_the_standard_ones_share_one_label() {
        assert_eq!(method_label("GET"), "GET");
        assert_eq!(method_label("PATCH"), "PATCH");
        assert_eq!(method_label("get"), "OTHER");
        assert_eq!(method_label("BREW-COFFEE-42"), "OTHER");
    }

    /// Every family, as the README and the Grafana dashboard must name them.
    const ALL: [&str; 13] = [
        HTTP_REQUESTS,
        HTTP_DURATION,
        VERIFY_DECISIONS,
        CACHE_LOOKUPS,
        POOL_CONNECTIONS,
        POOL_MAX,
        POOL_WAIT,
        POOL_TIMEOUTS,
        HASH_QUEUE,
        HASH_WAIT,
        HASH_DURATION,
        SESSIONS_ACTIVE,
        BUILD_INFO,
    ];

    #[test]
    fn the_readme_and_the_grafana_dashboard_name_every_metric() {
        let readme = include_str!("../../README.md");
        let grafana = include_str!("../../docs/grafana-kwik-dashboard.json");
        let dashboard: serde_json::Value = serde_json::from_str(grafana).unwrap();
        assert!(grafana.contains("${DS_PROMETHEUS}"));
        assert!(dashboard["panels"].as_array().is_some_and(|p| p.len() > 10));
        for name in ALL {
            assert!(
                readme.contains(&format!("`{name}")),
                "{name} not in the README"
            );
            assert!(
                grafana.contains(name),
                "{name} not in the Grafana dashboard"
            );
        }
    }

    #[test]
    fn status_labels_are_the_code() {
        assert_eq!(status_label(200).as_ref(), "200");
        assert_eq!(status_label(429).as_ref(), "429");
    }
}
