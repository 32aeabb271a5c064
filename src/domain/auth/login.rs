//! Signing in, as a use case (zero2prod's `validate_credentials` shape): the throttle, the password
//! check on the hashing threads, the failure and success records, and the history events. Every
//! wrong email, wrong password and disabled account ends the same way, so an attacker learns
//! nothing; every attempt is in the History against the account it aimed at.

use std::net::IpAddr;

use diesel::Connection;
use zeroize::Zeroizing;

use super::Hashing;
use super::password::HashError;
use super::throttle::Scope;
use crate::db::models::User;
use crate::db::models::user::normalize_email;
use crate::db::{Database, DbConn, DbError};
use crate::domain::audit::{self, Actor, Event, Target};

/// A sign-in as submitted.
pub struct Attempt {
    /// The email as typed.
    pub email: String,
    /// The password as typed.
    pub password: Zeroizing<String>,
    /// The client's address, as seen through trusted proxies.
    pub ip: Option<IpAddr>,
    /// The client's user agent.
    pub user_agent: Option<String>,
}

/// How a sign-in ended.
#[derive(Debug)]
pub enum Outcome {
    /// Too many recent failures for this email or address: nothing was checked.
    Throttled {
        /// Whole minutes until sign-in opens again (at least 1).
        minutes: i64,
    },
    /// Wrong email, wrong password or a disabled account: one answer for all.
    Refused,
    /// The password matched an enabled account, whose login is recorded.
    SignedIn(User),
}

/// What can fail besides the attempt itself.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The database.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The password check.
    #[error(transparent)]
    Hash(#[from] HashError),
}

/// Decides a sign-in and records it.
pub async fn attempt(
    database: &Database,
    hashing: &Hashing,
    attempt: Attempt,
) -> Result<Outcome, LoginError> {
    let email = normalize_email(&attempt.email);
    let scope = Scope::new(&email, attempt.ip);
    let now = crate::db::now();
    let actor = {
        let mut a = Actor::anonymous(attempt.ip.map(|i| i.to_string()), attempt.user_agent);
        a.email = Some(email.clone());
        a
    };

    let (locked_until, user) = {
        let (scope, email) = (scope.clone(), email.clone());
        database
            .call(move |c| -> Result<_, DbError> {
                let locked = scope.locked_until(c, now)?;
                let user = if locked.is_none() {
                    User::find_by_email(c, &email)?
                } else {
                    None
                };
                Ok((locked, user))
            })
            .await?
    };
    if let Some(until) = locked_until {
        // The attempt is recorded against the account it aimed at, if there is one.
        database
            .call(move |c| -> Result<(), DbError> {
                let user = User::find_by_email(c, &email)?;
                let why = "throttled: too many failed attempts";
                Ok(record_failure(c, &actor, user.as_ref(), why)?)
            })
            .await?;
        let minutes = ((until - now).whole_seconds() + 59) / 60;
        return Ok(Outcome::Throttled {
            minutes: minutes.max(1),
        });
    }

    let stored = user.as_ref().map(|u| u.password_hash.clone());
    // On the hashing threads: a bounded number at once, the rest wait their turn, none is refused.
    let matches = hashing.verify(attempt.password, stored).await?;
    let Some(user) = user.clone().filter(|u| matches && !u.disabled) else {
        let why = match &user {
            None => "unknown email",
            Some(u) if u.disabled && matches => "account disabled",
            Some(_) => "wrong password",
        };
        database
            .call(move |c| -> Result<(), DbError> {
                Ok(c.transaction(|c| {
                    scope.record_failure(c, now)?;
                    record_failure(c, &actor, user.as_ref(), why)
                })?)
            })
            .await?;
        return Ok(Outcome::Refused);
    };

    let signed_in = Actor::user(&user, actor.ip.clone(), actor.user_agent.clone());
    let recorded = user.clone();
    database
        .call(move |c| -> Result<(), DbError> {
            Ok(c.transaction(|c| {
                scope.record_success(c)?;
                User::record_login(c, recorded.id, now)?;
                let target = Target {
                    kind: "user",
                    id: recorded.id.0,
                    label: &recorded.email,
                };
                audit::record(
                    c,
                    &signed_in,
                    Event::LoginSucceeded,
                    recorded.merchant_id,
                    Some(target),
                    "",
                )
            })?)
        })
        .await?;
    Ok(Outcome::SignedIn(user))
}

/// Records a refused sign-in, against the account it aimed at when there is one.
fn record_failure(
    c: &mut DbConn,
    attempt: &Actor,
    user: Option<&User>,
    why: &str,
) -> diesel::QueryResult<()> {
    let target = user.map(|u| Target {
        kind: "user",
        id: u.id.0,
        label: &u.email,
    });
    audit::record(
        c,
        attempt,
        Event::LoginFailed,
        user.and_then(|u| u.merchant_id),
        target,
        why,
    )
}
