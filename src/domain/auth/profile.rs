//! What every user does for themselves: change their password, and see and end their sessions.
//! Each change ends the sessions it should at once, on every instance (they live in the database),
//! and is recorded in the History without the password.

use zeroize::Zeroizing;

use super::Hashing;
use super::password::{HashError, check_strength};
use super::throttle::Scope;
use crate::db::models::session::UserSession;
use crate::db::models::{SessionRow, User, UserId};
use crate::db::{Database, DbError};
use crate::domain::audit::{self, Actor, Event, Target};

/// A password change as submitted.
pub struct PasswordChange {
    /// The current password, as typed.
    pub current: Zeroizing<String>,
    /// The new one.
    pub new: Zeroizing<String>,
    /// The new one again.
    pub confirm: Zeroizing<String>,
}

/// Why a password change was refused; each is shown next to its field.
#[derive(Debug, thiserror::Error)]
pub enum PasswordChangeError {
    /// The current password is wrong.
    #[error("Your current password is not correct.")]
    WrongCurrent,
    /// No current password was typed (nothing is checked, nothing counted).
    #[error("Enter your current password.")]
    MissingCurrent,
    /// Too many wrong passwords lately.
    #[error("Too many wrong passwords. For your security, try again in {0} minutes.")]
    Throttled(i64),
    /// The new password breaks a rule.
    #[error("{0}")]
    Weak(String),
    /// The two new passwords differ.
    #[error("The two new passwords do not match.")]
    Mismatch,
    /// The new password is the current one.
    #[error("Choose a password different from your current one.")]
    Unchanged,
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// The database.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Changes `user`'s password after checking the current one (on the hashing threads, counted by
/// the login throttle when wrong), and ends every other session of theirs, signed in or half-way
/// through a two-factor sign-in, except the one `keep` names. Returns how many ended.
pub async fn change_password(
    database: &Database,
    hashing: &Hashing,
    actor: Actor,
    user: UserId,
    change: PasswordChange,
    keep: Option<Vec<u8>>,
) -> Result<usize, PasswordChangeError> {
    if change.current.is_empty() {
        return Err(PasswordChangeError::MissingCurrent);
    }
    let now = crate::db::now();
    let ip = actor.ip.as_deref().and_then(|ip| ip.parse().ok());
    let (stored, locked) = database
        .call(move |c| -> Result<_, DbError> {
            let stored = User::find(c, user)?;
            let locked = Scope::new(&stored.email, ip).locked_until(c, now)?;
            Ok((stored, locked))
        })
        .await?;
    if let Some(until) = locked {
        return Err(PasswordChangeError::Throttled(
            (((until - now).whole_seconds() + 59) / 60).max(1),
        ));
    }
    let scope = Scope::new(&stored.email, ip);
    if !hashing
        .verify(change.current.clone(), Some(stored.password_hash.clone()))
        .await?
    {
        database
            .call(move |c| -> Result<(), DbError> { Ok(scope.record_failure(c, now)?) })
            .await?;
        return Err(PasswordChangeError::WrongCurrent);
    }
    if *change.new != *change.confirm {
        return Err(PasswordChangeError::Mismatch);
    }
    check_strength(&change.new).map_err(PasswordChangeError::Weak)?;
    if *change.new == *change.current {
        return Err(PasswordChangeError::Unchanged);
    }
    let hash = hashing.hash(change.new).await?;
    let ended = database
        .call(move |c| -> Result<usize, DbError> {
            Ok(c.write_transaction(|c| {
                User::set_password_hash(c, stored.id, &hash)?;
                let ended = SessionRow::delete_for_user(c, stored.id, keep.as_deref())?;
                audit::record(
                    c,
                    &actor,
                    Event::PasswordChanged,
                    stored.merchant_id,
                    Some(target(&stored)),
                    &format!("{ended} other sessions ended"),
                )?;
                Ok::<_, diesel::result::Error>(ended)
            })?)
        })
        .await?;
    Ok(ended)
}

fn target(user: &User) -> Target<'_> {
    Target {
        kind: "user",
        id: user.id.0,
        label: &user.email,
    }
}

/// The user's live sessions, the most recently active first.
pub async fn sessions(database: &Database, user: UserId) -> Result<Vec<UserSession>, DbError> {
    database
        .call(move |c| -> Result<_, DbError> {
            Ok(SessionRow::live_for_user(c, user, crate::db::now())?)
        })
        .await
}

/// Ends the user's sessions with these id hashes (one row's "Sign out", or every other one), and
/// records it. Returns how many ended.
pub async fn end_sessions(
    database: &Database,
    actor: Actor,
    user: User,
    hashes: Vec<Vec<u8>>,
    what: &'static str,
) -> Result<usize, DbError> {
    database
        .call(move |c| -> Result<usize, DbError> {
            Ok(c.write_transaction(|c| {
                let mut ended = 0;
                for hash in &hashes {
                    ended += usize::from(SessionRow::delete_of_user(c, user.id, hash)?);
                }
                if ended > 0 {
                    audit::record(
                        c,
                        &actor,
                        Event::SessionsEnded,
                        user.merchant_id,
                        Some(target(&user)),
                        &format!("{what}: {ended} ended"),
                    )?;
                }
                Ok::<_, diesel::result::Error>(ended)
            })?)
        })
        .await
}
