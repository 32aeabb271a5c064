//! "Forgot password?": a link by email that sets a new password once. The link's token is random
//! (43 base62 characters from the OS), kept only as its SHA-256, valid 30 minutes, used once, and
//! dead as soon as the password changes by any means. Using it ends every session of the user and
//! is recorded in the History; signing in afterwards still asks for the second factor.
//!
//! The request's answer never depends on the account: the web layer answers at once and runs
//! [`request`] in the background, whose outcome nobody outside sees.

use diesel::QueryResult;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::Hashing;
use super::password::{HashError, check_strength};
use crate::db::models::login_throttle;
use crate::db::models::password_reset::{self, NewReset, ResetRow};
use crate::db::models::user::normalize_email;
use crate::db::models::{SessionRow, User};
use crate::db::{Database, DbConn, DbError};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::credentials::seal::{Keyring, SealError};
use crate::domain::credentials::{random_base62, sha256};
use crate::domain::mail::{self, EnqueueError, Mail};

/// How long a link works.
pub const LINK_LIFETIME: time::Duration = time::Duration::minutes(30);
/// Reset mails one account gets within [`WINDOW`]; past it, requests are dropped silently.
pub const PER_EMAIL: i64 = 3;
/// Requests one client address may make within [`WINDOW`]; past it, it is told to wait.
pub const PER_IP: i64 = 10;
/// The window both limits count in.
pub const WINDOW: time::Duration = time::Duration::hours(1);
/// Characters of a link's token.
const TOKEN_LEN: usize = 43;

/// SHA-256 of a link's token: what is stored, and what a session keeps between the link and the form.
pub fn token_hash(token: &str) -> [u8; 32] {
    sha256(token)
}

/// Counts a request from `ip` (the same work whatever the email); false once it made more than
/// [`PER_IP`] within the window.
pub fn ip_allowed(conn: &mut DbConn, ip: &str, now: time::PrimitiveDateTime) -> QueryResult<bool> {
    let key = format!("reset-ip:{ip}");
    Ok(login_throttle::record_failure(conn, &key, now, now - WINDOW)? <= PER_IP)
}

/// The work behind a request for `email`: when it names an enabled user whose limit allows, a
/// reset, its mail and its History event, in one transaction; otherwise nothing. Whether a mail
/// was queued is for logs and tests, never for the answer.
pub fn request(
    conn: &mut DbConn,
    keyring: &Keyring,
    email: &str,
    actor: &Actor,
    now: time::PrimitiveDateTime,
) -> QueryResult<bool> {
    let email = normalize_email(email);
    conn.write_transaction(|conn| {
        let Some(user) = User::find_by_email(conn, &email)? else {
            return Ok(false);
        };
        if user.disabled {
            return Ok(false);
        }
        // Concurrent requests for one account count each other (Postgres' row lock; SQLite has one
        // writer): the limit holds under a burst.
        User::lock(conn, user.id)?;
        let key = format!("reset-email:{email}");
        if login_throttle::record_failure(conn, &key, now, now - WINDOW)? > PER_EMAIL {
            return Ok(false);
        }
        let token = random_base62(TOKEN_LEN)
            .map_err(|e| diesel::result::Error::from(EnqueueError::Seal(SealError::Random(e))))?;
        password_reset::insert(
            conn,
            &NewReset {
                user_id: user.id,
                token_hash: &token_hash(&token),
                password_fingerprint: &sha256(&user.password_hash),
                created_at: now,
                expires_at: now + LINK_LIFETIME,
                requested_ip: actor.ip.as_deref(),
            },
        )?;
        mail::enqueue(
            conn,
            &user.email,
            &Mail::PasswordReset {
                minutes: LINK_LIFETIME.whole_minutes(),
            },
            Some((keyring, &token)),
            None,
        )
        .map_err(diesel::result::Error::from)?;
        audit::record(
            conn,
            actor,
            Event::PasswordResetRequested,
            user.merchant_id,
            Some(target(&user)),
            "a reset link was mailed",
        )?;
        Ok(true)
    })
}

/// The reset `token_hash` names and its user, if the link still works at `now`: not used, not
/// expired, the user enabled, and the password unchanged since it was asked for.
pub fn check(
    conn: &mut DbConn,
    token_hash: &[u8],
    now: time::PrimitiveDateTime,
) -> QueryResult<Option<(ResetRow, User)>> {
    let Some(reset) = password_reset::find_by_token_hash(conn, token_hash)? else {
        return Ok(None);
    };
    if reset.used_at.is_some() || reset.expires_at <= now {
        return Ok(None);
    }
    let user = User::find(conn, reset.user_id)?;
    let unchanged: bool = sha256(&user.password_hash)
        .ct_eq(reset.password_fingerprint.as_slice())
        .into();
    Ok((unchanged && !user.disabled).then_some((reset, user)))
}

/// Why a new password was not set; each is shown on the form.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// The link is unknown, used, expired, or the password changed since.
    #[error(
        "This link no longer works: it was used, it expired, or the password changed since. Ask for a new one."
    )]
    Invalid,
    /// The new password breaks a rule.
    #[error("Choose another password: {0}.")]
    Weak(String),
    /// The two passwords differ.
    #[error("The two passwords do not match.")]
    Mismatch,
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// The database.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Sets the new password of the reset `token_hash` names, if its link still works: in one
/// transaction the link is used (once, even against a concurrent use), the user's other links die,
/// every session of theirs ends, and the History says so. Returns the user.
pub async fn complete(
    database: &Database,
    hashing: &Hashing,
    token_hash: Vec<u8>,
    new: Zeroizing<String>,
    confirm: Zeroizing<String>,
    actor: Actor,
) -> Result<User, ResetError> {
    let hash_of_link = token_hash.clone();
    let live = database
        .call(move |c| -> Result<_, DbError> { Ok(check(c, &hash_of_link, crate::db::now())?) })
        .await?;
    if live.is_none() {
        return Err(ResetError::Invalid);
    }
    if *new != *confirm {
        return Err(ResetError::Mismatch);
    }
    check_strength(&new).map_err(ResetError::Weak)?;
    let hash = hashing.hash(new).await?;
    database
        .call(move |c| -> Result<User, ResetError> {
            c.write_transaction(|c| {
                let now = crate::db::now();
                let Some((reset, user)) = check(c, &token_hash, now)? else {
                    return Err(ResetError::Invalid);
                };
                if !password_reset::mark_used(c, reset.id, now)? {
                    return Err(ResetError::Invalid);
                }
                User::set_password_hash(c, user.id, &hash)?;
                password_reset::retire_for_user(c, user.id, now)?;
                let ended = SessionRow::delete_for_user(c, user.id, None)?;
                audit::record(
                    c,
                    &actor,
                    Event::PasswordReset,
                    user.merchant_id,
                    Some(target(&user)),
                    &format!("by an emailed link; {ended} sessions ended"),
                )?;
                Ok(user)
            })
        })
        .await
}

impl From<diesel::result::Error> for ResetError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(DbError::from(e))
    }
}

fn target(user: &User) -> Target<'_> {
    Target {
        kind: "user",
        id: user.id.0,
        label: &user.email,
    }
}
