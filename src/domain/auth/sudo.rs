//! Re-authentication before a sensitive action ("sudo mode"): the user's authenticator code (or a
//! recovery code) when they have two-factor sign-in, their password otherwise. Wrong answers count
//! toward the login throttle, so a stolen session cannot guess its way to the sensitive actions.

use zeroize::Zeroizing;

use super::Hashing;
use super::login::LoginError;
use super::throttle::Scope;
use super::two_factor::{self, TwoFactorError};
use crate::db::models::User;
use crate::db::{Database, DbError};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::credentials::seal::Keyring;

/// How a re-authentication ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reauth {
    /// Proven: sensitive actions are open again for the sudo window.
    Confirmed,
    /// The password or code was wrong (or the code was used already).
    Refused,
    /// Too many failures lately: nothing was checked.
    Throttled {
        /// Whole minutes until it opens again.
        minutes: i64,
    },
}

/// Checks `proof` for `user` (read afresh: a code needs their current second factor).
pub async fn reauthenticate(
    database: &Database,
    hashing: &Hashing,
    keyring: &std::sync::Arc<Keyring>,
    actor: Actor,
    user: crate::db::models::UserId,
    proof: Zeroizing<String>,
) -> Result<Reauth, LoginError> {
    let now = crate::db::now();
    let ip = actor.ip.as_deref().and_then(|ip| ip.parse().ok());
    let (user, locked) = database
        .call(move |c| -> Result<_, DbError> {
            let user = User::find(c, user)?;
            let locked = Scope::new(&user.email, ip).locked_until(c, now)?;
            Ok((user, locked))
        })
        .await?;
    if let Some(until) = locked {
        return Ok(Reauth::Throttled {
            minutes: (((until - now).whole_seconds() + 59) / 60).max(1),
        });
    }
    let scope = Scope::new(&user.email, ip);
    let proven = if user.totp_enabled_at.is_some() {
        let (keyring, actor, user) = (keyring.clone(), actor.clone(), user.clone());
        database
            .call(move |c| -> Result<bool, LoginError> {
                match two_factor::check(c, &keyring, &actor, &user, &proof) {
                    Ok(_) => Ok(true),
                    Err(TwoFactorError::WrongCode | TwoFactorError::NotOn) => Ok(false),
                    Err(e) => Err(e.into()),
                }
            })
            .await?
    } else {
        hashing
            .verify(proof, Some(user.password_hash.clone()))
            .await?
    };
    if proven {
        return Ok(Reauth::Confirmed);
    }
    database
        .call(move |c| -> Result<(), DbError> {
            Ok(c.write_transaction(|c| {
                scope.record_failure(c, now)?;
                let target = Target {
                    kind: "user",
                    id: user.id.0,
                    label: &user.email,
                };
                let what = if user.totp_enabled_at.is_some() {
                    "wrong two-factor code"
                } else {
                    "wrong password"
                };
                audit::record(
                    c,
                    &actor,
                    Event::SudoRefused,
                    user.merchant_id,
                    Some(target),
                    what,
                )
            })?)
        })
        .await?;
    Ok(Reauth::Refused)
}
