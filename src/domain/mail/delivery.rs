//! Sending what the outbox holds: claim what is due, render it, send it over the mailer, and record
//! the outcome. Any instance may run it; a claim holds a mail for [`LEASE`], so two instances never
//! send the same one, and one that stopped mid-send lets another take it over when the lease ends.
//! A failed attempt is retried with growing waits, up to [`MAX_ATTEMPTS`].

use std::sync::Arc;

use super::{Mail, bound_to, render};
use crate::db::models::outbox::{self, OutboxRow};
use crate::db::{Database, DbError};
use crate::domain::credentials::seal::Keyring;
use crate::infra::mail::{MailError, Mailer, Outgoing};

/// Attempts a mail gets before it is given up (about a day of waits).
pub const MAX_ATTEMPTS: i32 = 10;
/// How long a claim holds a mail: longer than an SMTP conversation may take.
pub const LEASE: time::Duration = time::Duration::minutes(2);
/// Mails claimed at once.
const BATCH: i64 = 20;
/// How long sent and failed mail is kept, with its status.
pub const KEEP: time::Duration = time::Duration::days(30);

/// The wait before the next attempt after `attempts` failed ones: 30 s, 2 min, 8 min, 32 min, then
/// every 2 hours.
pub fn backoff(attempts: i32) -> time::Duration {
    let exponent = u32::try_from(attempts.clamp(1, 8) - 1).unwrap_or(0);
    let seconds = 30_i64.saturating_mul(4_i64.saturating_pow(exponent));
    time::Duration::seconds(seconds.min(2 * 60 * 60))
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// Mails the server accepted (or the files written).
    pub sent: usize,
    /// Mails that failed this time and will be tried again.
    pub retried: usize,
    /// Mails given up.
    pub failed: usize,
}

impl Report {
    /// Whether the round did anything.
    pub fn is_empty(&self) -> bool {
        self.sent + self.retried + self.failed == 0
    }
}

/// What delivery needs.
#[derive(Clone)]
pub struct Delivery {
    /// Where the outbox is.
    pub database: Database,
    /// Where mail goes.
    pub mailer: Arc<Mailer>,
    /// Opens the secrets mails carry.
    pub keyring: Arc<Keyring>,
    /// `Kwik <no-reply@example.com>`.
    pub from: String,
    /// What links start with.
    pub public_url: String,
}

impl Delivery {
    /// Claims the mail due now and sends it, one after the other.
    pub async fn run_once(&self) -> Result<Report, DbError> {
        let now = crate::db::now();
        let until = now + LEASE;
        let claimed = self
            .database
            .call(move |c| outbox::claim_due(c, now, until, BATCH).map_err(DbError::from))
            .await?;
        let mut report = Report::default();
        for row in claimed {
            let outcome = match self.outgoing(&row) {
                Ok(mail) => {
                    let (mailer, from) = (self.mailer.clone(), self.from.clone());
                    tokio::task::spawn_blocking(move || mailer.send(&from, &mail))
                        .await
                        .unwrap_or_else(|e| {
                            Err(MailError {
                                message: format!("the sending thread stopped: {e}"),
                                permanent: false,
                            })
                        })
                }
                Err(e) => Err(e),
            };
            let (id, attempts, kind) = (row.id, row.attempts, row.kind.clone());
            let now = crate::db::now();
            match outcome {
                Ok(()) => {
                    report.sent += 1;
                    crate::infra::metrics::mail_delivery("sent");
                    tracing::info!(mail = id, kind, attempt = attempts, "mail sent");
                    self.database
                        .call(move |c| outbox::mark_sent(c, id, now).map_err(DbError::from))
                        .await?;
                }
                Err(e) if e.permanent || attempts >= MAX_ATTEMPTS => {
                    report.failed += 1;
                    crate::infra::metrics::mail_delivery("failed");
                    tracing::error!(mail = id, kind, attempt = attempts, error = %e.message, "mail given up");
                    self.database
                        .call(move |c| {
                            outbox::mark_failed(c, id, &e.message).map_err(DbError::from)
                        })
                        .await?;
                }
                Err(e) => {
                    report.retried += 1;
                    crate::infra::metrics::mail_delivery("retried");
                    let at = now + backoff(attempts);
                    tracing::warn!(mail = id, kind, attempt = attempts, error = %e.message, retry_in_s = backoff(attempts).whole_seconds(), "mail not sent; will retry");
                    self.database
                        .call(move |c| {
                            outbox::mark_retry(c, id, at, &e.message).map_err(DbError::from)
                        })
                        .await?;
                }
            }
        }
        Ok(report)
    }

    /// Deletes sent and failed mail older than [`KEEP`], and password resets a day past their end;
    /// returns how many rows.
    pub async fn purge(&self) -> Result<usize, DbError> {
        let now = crate::db::now();
        self.database
            .call(move |c| {
                let mails = outbox::purge(c, now - KEEP)?;
                let resets =
                    crate::db::models::password_reset::purge(c, now - time::Duration::days(1))?;
                Ok::<_, DbError>(mails + resets)
            })
            .await
    }

    /// The mail `row` holds, rendered, its secret opened.
    fn outgoing(&self, row: &OutboxRow) -> Result<Outgoing, MailError> {
        let permanent = |message: String| MailError {
            message,
            permanent: true,
        };
        let mail: Mail = serde_json::from_str(&row.params)
            .map_err(|e| permanent(format!("unreadable {} mail: {e}", row.kind)))?;
        let secret = match (&row.sealed_secret, &row.secret_key_id) {
            (Some(sealed), Some(key_id)) => {
                let opened = self
                    .keyring
                    .open(key_id, sealed, &bound_to(&row.kind, &row.recipient))
                    .map_err(|e| permanent(format!("its sealed link does not open: {e}")))?;
                Some(zeroize::Zeroizing::new(
                    String::from_utf8(opened.to_vec())
                        .map_err(|_| permanent("its sealed link is not text".into()))?,
                ))
            }
            _ => None,
        };
        let words = render(
            &mail,
            &row.recipient,
            secret.as_deref().map(String::as_str),
            &self.public_url,
        )
        .map_err(|e| permanent(e.to_string()))?;
        Ok(Outgoing {
            to: row.recipient.clone(),
            subject: words.subject,
            text: words.text,
            html: words.html,
            message_id: format!("<kwik-outbox-{}@{}>", row.id, host_of(&self.public_url)),
        })
    }
}

/// `dash.example.com` of `https://dash.example.com:8443/x`.
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or("localhost"),
        None => authority.split(':').next().unwrap_or("localhost"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_fourfold_from_thirty_seconds_to_two_hours() {
        let waits: Vec<i64> = (1..=MAX_ATTEMPTS)
            .map(|n| backoff(n).whole_seconds())
            .collect();
        assert_eq!(
            waits,
            [
                30, 120, 480, 1_920, 7_200, 7_200, 7_200, 7_200, 7_200, 7_200
            ]
        );
    }

    #[test]
    fn message_ids_name_the_dashboards_host() {
        assert_eq!(
            host_of("https://dash.example.com:8443/x"),
            "dash.example.com"
        );
        assert_eq!(host_of("http://127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(host_of("http://[::1]:8080"), "::1");
    }
}
