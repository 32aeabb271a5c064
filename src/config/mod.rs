//! Runtime configuration, read once from the environment (and `.env`) at start-up.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::infra::net::IpNet;

mod mail;
pub use mail::{MailConfig, MailTransport};

/// Whether the session cookie carries the `Secure` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieSecure {
    /// Secure when the request came over https, or with `X-Forwarded-Proto: https` from a trusted proxy.
    Auto,
    /// Always Secure.
    Always,
    /// Never Secure (plain-http development only).
    Never,
}

/// argon2id cost parameters for password hashing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory cost in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub iterations: u32,
    /// Degree of parallelism.
    pub parallelism: u32,
}

impl Argon2Params {
    /// OWASP's recommended minimum for argon2id: 19 MiB, 2 passes, 1 lane.
    pub const OWASP: Self = Self {
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
    };
}

/// Everything the application needs to know about its environment. Tests build it as a plain struct.
#[derive(Debug, Clone)]
pub struct Config {
    /// Folder for the SQLite database (by default) and the generated session key file.
    pub data_dir: PathBuf,
    /// Database URL: a SQLite path (optionally `sqlite://`), or `postgres://` / `postgresql://`.
    pub database_url: String,
    /// Address the HTTP server listens on.
    pub bind: SocketAddr,
    /// Policy for the session cookie's `Secure` attribute.
    pub cookie_secure: CookieSecure,
    /// Proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` / `X-Forwarded-Host` headers are believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Session signing key material (at least 64 bytes). `None`: load or create `session.key` in `data_dir`.
    pub session_key: Option<Vec<u8>>,
    /// Password hashing cost.
    pub argon2: Argon2Params,
    /// Maximum number of pooled database connections.
    pub db_pool_size: u32,
    /// How long a request waits for a database connection before answering 503.
    pub db_connect_timeout: std::time::Duration,
    /// Longest a single statement may run on Postgres before it is cancelled (`None`: no limit).
    pub db_statement_timeout: Option<std::time::Duration>,
    /// Deadline of each database call of a request (queueing included): past it, 503 at once.
    pub db_call_timeout: std::time::Duration,
    /// Deadline of the database read that verifies credentials (whoami, the gateway); at most
    /// `db_call_timeout`.
    pub db_verify_timeout: std::time::Duration,
    /// The master key sealing API secrets (32 bytes). `None`: load or create `master.key` in `data_dir`.
    pub master_key: Option<Vec<u8>>,
    /// Earlier master keys, still accepted to open secrets until `rotate-master-key` re-seals them.
    pub previous_master_keys: Vec<Vec<u8>>,
    /// Bearer token of the API gateway for `POST /internal/v1/verify`; `None` disables that endpoint.
    pub gateway_token: Option<String>,
    /// GitHub's secret-scanning key list (its `public_keys` JSON format), read again when it changes;
    /// `None` disables `POST /secret-scanning/github`.
    pub github_scanning_keys: Option<PathBuf>,
    /// Bearer token GitLab sends to the token revocation API; `None` disables those endpoints.
    pub gitlab_revocation_token: Option<String>,
    /// How many signed-request signatures are remembered to refuse replays.
    pub replay_cache_size: usize,
    /// Redis for the replay store, shared by every instance using it; `None`: the database's
    /// (Postgres) or this process's (SQLite).
    pub redis_url: Option<String>,
    /// How long a verified token's record is reused without asking the database (zero: never).
    pub token_cache_ttl: std::time::Duration,
    /// On Postgres, how often (at most, and only while it has new counts) an instance adds its
    /// rate-limit counts to the fleet's and reads their totals, in milliseconds.
    pub rate_sync_ms: u64,
    /// Password hashes computed at once (each takes the argon2 memory cost); logins beyond wait.
    pub argon2_concurrency: usize,
    /// How long a sign-in or a re-authentication keeps sensitive actions open (sudo mode); zero asks
    /// before every sensitive action.
    pub sudo_window: std::time::Duration,
    /// Whether support staff must sign in with a second factor.
    pub support_require_two_factor: bool,
    /// How long a stopping server (SIGTERM, SIGINT) lets requests in flight finish.
    pub shutdown_timeout: std::time::Duration,
    /// Where Prometheus scrapes `/metrics`: a listener of its own, never the public one. `None`
    /// (the default): no metrics are recorded or served.
    pub metrics_bind: Option<SocketAddr>,
    /// Outgoing mail: `KWIK_SMTP_URL`, `KWIK_MAIL_FROM`, `KWIK_PUBLIC_URL`, `KWIK_MAIL_POLL_MS`
    /// (see [`MailConfig`]).
    pub mail: MailConfig,
}

/// A configuration value that could not be understood; the message names the variable.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Reads the configuration from the environment. Variables (all optional):
    ///
    /// - `KWIK_DATA_DIR`: data folder, default `data`.
    /// - `DATABASE_URL`: default `$KWIK_DATA_DIR/kwik.db` (SQLite, created with its folder if missing).
    /// - `KWIK_BIND`: listen address, default `127.0.0.1:8080`.
    /// - `KWIK_COOKIE_SECURE`: `auto` (default), `true` or `false`.
    /// - `KWIK_TRUSTED_PROXIES`: comma-separated IPs or CIDR ranges of reverse proxies, default none.
    /// - `KWIK_SESSION_KEY`: base64 of at least 64 random bytes; shared by every instance. Default:
    ///   generated once into `$KWIK_DATA_DIR/session.key` (mode 0600).
    /// - `KWIK_ARGON2_MEMORY_KIB`, `KWIK_ARGON2_ITERATIONS`, `KWIK_ARGON2_PARALLELISM`: password hashing
    ///   cost, default 19456 / 2 / 1 (OWASP).
    /// - `KWIK_DB_POOL_SIZE`: database connections per instance, default 10.
    /// - `KWIK_DB_CONNECT_TIMEOUT_MS`: how long a request waits for a connection, default 3000.
    /// - `KWIK_DB_STATEMENT_TIMEOUT_MS`: Postgres `statement_timeout`, default 5000; 0 disables it
    ///   (not for migrations: see `db::migrate`).
    /// - `KWIK_DB_CALL_TIMEOUT_MS`: deadline of a request's database call, default 2000 (1 to 600000).
    /// - `KWIK_DB_VERIFY_TIMEOUT_MS`: deadline of a credential lookup, default 500 (1 to
    ///   `KWIK_DB_CALL_TIMEOUT_MS`).
    /// - `KWIK_MASTER_KEY`: base64 of 32 random bytes sealing API secrets; shared by every instance.
    ///   Default: generated once into `$KWIK_DATA_DIR/master.key` (mode 0600).
    /// - `KWIK_MASTER_KEY_PREVIOUS`: comma-separated base64 keys still accepted for opening (rotation).
    /// - `KWIK_GATEWAY_TOKEN`: bearer token for `POST /internal/v1/verify`; unset disables the endpoint.
    /// - `KWIK_GITHUB_SCANNING_KEYS`: path of GitHub's secret-scanning public key list (JSON, as
    ///   GitHub publishes it); unset disables `POST /secret-scanning/github`.
    /// - `KWIK_GITLAB_REVOCATION_TOKEN`: bearer token of GitLab's token revocation API (at least 32
    ///   characters); unset disables `/secret-scanning/gitlab/v1/*`.
    /// - `KWIK_REPLAY_CACHE_SIZE`: signatures remembered against replay, default 500000.
    /// - `KWIK_REDIS_URL`: `redis://[user:password@]host[:port][/db]` of a Redis keeping the replay
    ///   store instead of the database (Postgres) or this process (SQLite).
    /// - `KWIK_TOKEN_CACHE_TTL_MS`: how long verification reuses a token record, default 1000; 0 disables.
    /// - `KWIK_RATE_SYNC_MS`: on Postgres, how often an instance shares its rate-limit counts with the
    ///   fleet while it has new ones, default 10 (1 to 1000).
    /// - `KWIK_ARGON2_CONCURRENCY`: password hashes at once, default the number of CPUs.
    /// - `KWIK_SUDO_MINUTES`: how long a sign-in or re-authentication allows sensitive actions, default 15;
    ///   0 asks before every one.
    /// - `KWIK_SUPPORT_REQUIRE_2FA`: support staff must use two-factor sign-in, default `true`.
    /// - `KWIK_SHUTDOWN_TIMEOUT_S`: how long requests in flight may finish on SIGTERM/SIGINT, default 30.
    /// - `KWIK_METRICS_BIND`: address of the Prometheus `/metrics` listener (e.g. `127.0.0.1:9464`);
    ///   unset, the default, serves no metrics. It must differ from `KWIK_BIND`.
    /// - `KWIK_SMTP_URL`, `KWIK_MAIL_FROM`, `KWIK_PUBLIC_URL`, `KWIK_MAIL_POLL_MS`: outgoing mail,
    ///   see [`MailConfig`]; without a server, mail is written to `$KWIK_DATA_DIR/mail/`.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Same as [`Config::from_env`], reading variables through `get` (testable without touching the process
    /// environment).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let data_dir = PathBuf::from(get("KWIK_DATA_DIR").unwrap_or_else(|| "data".into()));
        let database_url = get("DATABASE_URL")
            .unwrap_or_else(|| data_dir.join("kwik.db").to_string_lossy().into_owned());
        let bind = parse_var(&get, "KWIK_BIND", "127.0.0.1:8080", |v| v.parse().ok())?;
        let cookie_secure = parse_var(&get, "KWIK_COOKIE_SECURE", "auto", |v| {
            if v.eq_ignore_ascii_case("auto") {
                Some(CookieSecure::Auto)
            } else {
                parse_bool(v).map(|on| {
                    if on {
                        CookieSecure::Always
                    } else {
                        CookieSecure::Never
                    }
                })
            }
        })?;
        let trusted_proxies = parse_var(&get, "KWIK_TRUSTED_PROXIES", "", |v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().ok())
                .collect()
        })?;
        let session_key = match get("KWIK_SESSION_KEY") {
            None => None,
            Some(v) => Some(
                crate::keys::decode_session_key(&v)
                    .map_err(|e| ConfigError(format!("KWIK_SESSION_KEY: {e}")))?,
            ),
        };
        let argon2 = Argon2Params {
            memory_kib: parse_var(&get, "KWIK_ARGON2_MEMORY_KIB", "19456", |v| v.parse().ok())?,
            iterations: parse_var(&get, "KWIK_ARGON2_ITERATIONS", "2", |v| v.parse().ok())?,
            parallelism: parse_var(&get, "KWIK_ARGON2_PARALLELISM", "1", |v| v.parse().ok())?,
        };
        let db_pool_size = parse_var(&get, "KWIK_DB_POOL_SIZE", "10", |v| {
            v.parse().ok().filter(|n| *n > 0)
        })?;
        let db_connect_timeout = parse_var(&get, "KWIK_DB_CONNECT_TIMEOUT_MS", "3000", |v| {
            v.parse()
                .ok()
                .filter(|n| *n > 0)
                .map(std::time::Duration::from_millis)
        })?;
        let db_statement_timeout = parse_var(&get, "KWIK_DB_STATEMENT_TIMEOUT_MS", "5000", |v| {
            v.parse::<u64>()
                .ok()
                .map(|ms| (ms > 0).then(|| std::time::Duration::from_millis(ms)))
        })?;
        let db_call_timeout = millis(&get, "KWIK_DB_CALL_TIMEOUT_MS", 2000)?;
        let db_verify_timeout = millis(&get, "KWIK_DB_VERIFY_TIMEOUT_MS", 500)?;
        if db_verify_timeout > db_call_timeout {
            return Err(ConfigError(format!(
                "KWIK_DB_VERIFY_TIMEOUT_MS ({} ms) is longer than KWIK_DB_CALL_TIMEOUT_MS ({} ms): \
                 a credential lookup must not be allowed longer than any other database call",
                db_verify_timeout.as_millis(),
                db_call_timeout.as_millis()
            )));
        }
        let decode_key = |name: &str, v: &str| {
            crate::keys::decode_master_key(v).map_err(|e| ConfigError(format!("{name}: {e}")))
        };
        let master_key = get("KWIK_MASTER_KEY")
            .map(|v| decode_key("KWIK_MASTER_KEY", &v))
            .transpose()?;
        let previous_master_keys = get("KWIK_MASTER_KEY_PREVIOUS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| decode_key("KWIK_MASTER_KEY_PREVIOUS", v))
            .collect::<Result<_, _>>()?;
        let gateway_token = get("KWIK_GATEWAY_TOKEN");
        if gateway_token.as_ref().is_some_and(|t| t.len() < 32) {
            return Err(ConfigError(
                "KWIK_GATEWAY_TOKEN: use at least 32 characters".into(),
            ));
        }
        let github_scanning_keys = get("KWIK_GITHUB_SCANNING_KEYS").map(PathBuf::from);
        let gitlab_revocation_token = get("KWIK_GITLAB_REVOCATION_TOKEN");
        if gitlab_revocation_token
            .as_ref()
            .is_some_and(|t| t.len() < 32)
        {
            return Err(ConfigError(
                "KWIK_GITLAB_REVOCATION_TOKEN: use at least 32 characters".into(),
            ));
        }
        let replay_cache_size = parse_var(&get, "KWIK_REPLAY_CACHE_SIZE", "500000", |v| {
            v.parse().ok().filter(|n| *n > 0)
        })?;
        let redis_url = get("KWIK_REDIS_URL").filter(|u| !u.is_empty());
        if redis_url
            .as_ref()
            .is_some_and(|u| !u.starts_with("redis://"))
        {
            return Err(ConfigError(
                "KWIK_REDIS_URL: use redis://[user:password@]host[:port][/db]".into(),
            ));
        }
        let token_cache_ttl = parse_var(&get, "KWIK_TOKEN_CACHE_TTL_MS", "1000", |v| {
            v.parse().ok().map(std::time::Duration::from_millis)
        })?;
        let rate_sync_ms = parse_var(&get, "KWIK_RATE_SYNC_MS", "10", |v| {
            v.parse().ok().filter(|n| (1..=1000).contains(n))
        })?;
        let cpus = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .to_string();
        let argon2_concurrency = parse_var(&get, "KWIK_ARGON2_CONCURRENCY", &cpus, |v| {
            v.parse().ok().filter(|n| *n > 0)
        })?;
        let sudo_window = parse_var(&get, "KWIK_SUDO_MINUTES", "15", |v| {
            v.parse::<u64>()
                .ok()
                .filter(|m| *m <= 24 * 60)
                .map(|m| std::time::Duration::from_secs(m * 60))
        })?;
        let support_require_two_factor =
            parse_var(&get, "KWIK_SUPPORT_REQUIRE_2FA", "true", parse_bool)?;
        let shutdown_timeout = parse_var(&get, "KWIK_SHUTDOWN_TIMEOUT_S", "30", |v| {
            v.parse::<u64>()
                .ok()
                .filter(|s| (1..=3600).contains(s))
                .map(std::time::Duration::from_secs)
        })?;
        let metrics_bind = metrics_bind(&get, bind)?;
        let mail = MailConfig::from_lookup(&get, bind)?;
        Ok(Self {
            mail,
            metrics_bind,
            shutdown_timeout,
            sudo_window,
            support_require_two_factor,
            token_cache_ttl,
            rate_sync_ms,
            argon2_concurrency,
            master_key,
            previous_master_keys,
            gateway_token,
            github_scanning_keys,
            gitlab_revocation_token,
            replay_cache_size,
            redis_url,
            data_dir,
            database_url,
            bind,
            cookie_secure,
            trusted_proxies,
            session_key,
            argon2,
            db_pool_size,
            db_connect_timeout,
            db_statement_timeout,
            db_call_timeout,
            db_verify_timeout,
        })
    }
}

/// `KWIK_METRICS_BIND`: off unless set; an address and port apart from the public listener's.
fn metrics_bind(
    get: &impl Fn(&str) -> Option<String>,
    bind: SocketAddr,
) -> Result<Option<SocketAddr>, ConfigError> {
    let Some(raw) = get("KWIK_METRICS_BIND") else {
        return Ok(None);
    };
    let addr: SocketAddr = raw.trim().parse().map_err(|_| {
        ConfigError(format!(
            "KWIK_METRICS_BIND: cannot understand {raw:?}; use an IP address and a port, \
             e.g. 127.0.0.1:9464 (unset it to serve no metrics)"
        ))
    })?;
    if addr == bind {
        return Err(ConfigError(format!(
            "KWIK_METRICS_BIND ({addr}) is the same as KWIK_BIND: metrics need a listener of \
             their own, apart from the public one"
        )));
    }
    Ok(Some(addr))
}

/// `true`/`1`/`yes` or `false`/`0`/`no`, in any case.
fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

/// Longest deadline a database call may be given: ten minutes (a bigger value is surely a typo).
const MAX_DEADLINE_MS: u64 = 600_000;

/// A deadline in milliseconds, from 1 to [`MAX_DEADLINE_MS`]; the error says which and why.
fn millis(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: u64,
) -> Result<std::time::Duration, ConfigError> {
    let Some(raw) = get(name) else {
        return Ok(std::time::Duration::from_millis(default));
    };
    match raw.trim().parse::<u64>() {
        Ok(ms) if (1..=MAX_DEADLINE_MS).contains(&ms) => Ok(std::time::Duration::from_millis(ms)),
        Ok(ms) => Err(ConfigError(format!(
            "{name}: {ms} ms is out of range; use 1 to {MAX_DEADLINE_MS} (milliseconds)"
        ))),
        Err(_) => Err(ConfigError(format!(
            "{name}: cannot understand {raw:?}; use a whole number of milliseconds, e.g. {default}"
        ))),
    }
}

pub(crate) fn parse_var<T>(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, ConfigError> {
    let raw = get(name).unwrap_or_else(|| default.to_owned());
    parse(raw.trim()).ok_or_else(|| ConfigError(format!("{name}: cannot understand {raw:?}")))
}

#[cfg(test)]
mod tests;
