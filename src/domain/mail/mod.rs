//! Mail that reaches people who are not looking at the dashboard. A change that causes mail writes
//! it to the outbox in its own transaction ([`enqueue`]); [`delivery`] sends it later, from any
//! instance, with retries. What a mail says is kept as plain values and rendered when it is sent;
//! the one secret a mail may carry (a password reset's token) is sealed under the master key until
//! then, and erased once it went.

pub mod alerts;
pub mod delivery;
pub mod expiry;
mod render;

use diesel::QueryResult;

pub use alerts::Alert;
pub use render::{RenderError, Rendered, render};

use crate::db::DbConn;
use crate::db::models::outbox::{self, NewMail};
use crate::domain::credentials::seal::{Keyring, SealError};

/// The mails there are, with what each says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Mail {
    /// A link to choose a new password, valid `minutes`; the link's token is the sealed secret.
    PasswordReset {
        /// How long the link works.
        minutes: i64,
    },
    /// A security alert or an expiry warning to one of a merchant's admins.
    Alert {
        /// Which one.
        alert: Alert,
        /// `The secret of “Shopify sync” was rolled`.
        headline: String,
        /// Labelled facts: (`Token`, `Shopify sync (kwik_ak_3F9q…x7Lm)`), (`By`, ...), ...
        facts: Vec<(String, String)>,
        /// The dashboard page it is about: `/developers/access-tokens/5`.
        path: String,
        /// The merchant the admin gets it for.
        merchant: String,
    },
}

impl Mail {
    /// The outbox's `kind`: `password_reset`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::PasswordReset { .. } => "password_reset",
            Self::Alert { .. } => "alert",
        }
    }
}

/// Why a mail could not be queued.
#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    /// The database.
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    /// Sealing its secret.
    #[error(transparent)]
    Seal(#[from] SealError),
}

impl From<EnqueueError> for diesel::result::Error {
    fn from(e: EnqueueError) -> Self {
        match e {
            EnqueueError::Db(e) => e,
            // Rolls the caller's transaction back: no change without its mail.
            EnqueueError::Seal(e) => diesel::result::Error::QueryBuilderError(e.into()),
        }
    }
}

/// What binds a sealed secret to its mail: it opens for no other recipient or kind.
fn bound_to(kind: &str, recipient: &str) -> Vec<u8> {
    format!("outbox:{kind}:{recipient}").into_bytes()
}

/// Queues `mail` to `recipient`, with `secret` sealed for it by the keyring, inside the caller's
/// transaction. With a `dedupe_key` another mail already has, nothing is queued (false).
pub fn enqueue(
    conn: &mut DbConn,
    recipient: &str,
    mail: &Mail,
    secret: Option<(&Keyring, &str)>,
    dedupe_key: Option<&str>,
) -> Result<bool, EnqueueError> {
    let kind = mail.kind();
    let sealed = secret
        .map(|(keyring, s)| keyring.seal(s.as_bytes(), &bound_to(kind, recipient)))
        .transpose()?;
    let params = serde_json::to_string(mail)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    let now = crate::db::now();
    Ok(outbox::insert(
        conn,
        &NewMail {
            kind,
            recipient,
            params: &params,
            sealed_secret: sealed.as_ref().map(|(_, s)| s.as_slice()),
            secret_key_id: sealed.as_ref().map(|(id, _)| id.as_str()),
            dedupe_key,
            next_attempt_at: now,
            created_at: now,
        },
    )?)
}

/// Mails queued recently, newest first, with their status (`pending`, `sent`, `failed`).
pub fn recent(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<outbox::OutboxRow>> {
    outbox::recent(conn, limit)
}
