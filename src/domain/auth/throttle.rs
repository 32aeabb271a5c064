//! Login throttling: after 5 failures for one email, or 20 from one IP, within 15 minutes, further
//! attempts for that email or IP are refused for 15 minutes, whatever the password.

use std::net::IpAddr;

use diesel::QueryResult;

use crate::db::DbConn;
use crate::db::models::login_throttle;

/// Failures allowed per email within [`WINDOW`].
pub const MAX_FAILURES_PER_EMAIL: i64 = 5;
/// Failures allowed per client IP within [`WINDOW`].
pub const MAX_FAILURES_PER_IP: i64 = 20;
/// The window failures are counted in.
pub const WINDOW: time::Duration = time::Duration::minutes(15);
/// How long a lockout lasts.
pub const LOCKOUT: time::Duration = time::Duration::minutes(15);

/// The counters one login attempt touches.
#[derive(Debug, Clone)]
pub struct Scope {
    email: String,
    ip: Option<String>,
}

impl Scope {
    /// The scope of an attempt for `email` (normalised) from `ip` (unknown for in-process requests).
    pub fn new(email: &str, ip: Option<IpAddr>) -> Self {
        Self {
            email: format!("email:{email}"),
            ip: ip.map(|ip| format!("ip:{ip}")),
        }
    }

    fn keys(&self) -> Vec<&str> {
        std::iter::once(self.email.as_str())
            .chain(self.ip.as_deref())
            .collect()
    }

    /// Until when attempts in this scope are refused, if they are.
    pub fn locked_until(
        &self,
        conn: &mut DbConn,
        now: time::PrimitiveDateTime,
    ) -> QueryResult<Option<time::PrimitiveDateTime>> {
        login_throttle::locked_until(conn, &self.keys(), now)
    }

    /// Counts a failed attempt, locking the email or IP when it reaches its limit. One transaction.
    pub fn record_failure(
        &self,
        conn: &mut DbConn,
        now: time::PrimitiveDateTime,
    ) -> QueryResult<()> {
        conn.write_transaction(|conn| {
            let limits = [
                (Some(&self.email), MAX_FAILURES_PER_EMAIL),
                (self.ip.as_ref(), MAX_FAILURES_PER_IP),
            ];
            for (key, limit) in limits {
                let Some(key) = key else { continue };
                let failures = login_throttle::record_failure(conn, key, now, now - WINDOW)?;
                if failures >= limit {
                    login_throttle::lock(conn, key, now + LOCKOUT)?;
                }
            }
            Ok(())
        })
    }

    /// Forgets the email's failures after a successful login (the IP's count stands).
    pub fn record_success(&self, conn: &mut DbConn) -> QueryResult<()> {
        login_throttle::clear(conn, &self.email)
    }
}
