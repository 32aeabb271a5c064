//! Signing in, as a use case (zero2prod's `validate_credentials` shape): the throttle, the password
//! check on the hashing threads, the failure and success records, and the history events. Every
//! wrong email, wrong password and disabled account ends the same way, so an attacker learns
//! nothing; every attempt is in the History against the account it aimed at.

use std::net::IpAddr;

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
    /// The password matched, but the account is disabled. Only someone who knows the password
    /// learns this, and with it whom to ask.
    Disabled(DisabledBy),
    /// The password matched an enabled account, whose login is recorded.
    SignedIn(User),
    /// The password matched an enabled account with two-factor sign-in: a code must follow (see
    /// [`second_step`]). Nothing is recorded yet, and the failures counted so far still count.
    CodeRequired(User),
}

/// Who disabled an account, for its owner to know whom to ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisabledBy {
    /// The admin's email, or "Kwik Support"; none when the History does not say.
    pub actor: Option<String>,
    /// When (UTC).
    pub at: Option<time::PrimitiveDateTime>,
    /// The account's organisation; none for Kwik's own support staff.
    pub merchant: Option<String>,
}

impl DisabledBy {
    /// From the account's latest "User disabled" event and its merchant.
    pub fn read(conn: &mut DbConn, user: &User) -> diesel::QueryResult<Self> {
        let event = crate::db::models::audit::AuditEvent::latest_about(
            conn,
            "user",
            user.id.0,
            Event::UserDisabled.as_str(),
        )?;
        let merchant = match user.merchant_id {
            Some(id) => Some(crate::db::models::Merchant::find(conn, id)?.name),
            None => None,
        };
        Ok(Self {
            actor: event.as_ref().and_then(|e| match e.actor_role.as_str() {
                "support" => Some("Kwik Support".to_owned()),
                _ => e.actor_email.clone(),
            }),
            at: event.map(|e| e.occurred_at),
            merchant,
        })
    }
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
    /// Checking the second factor (its secret does not open, say).
    #[error(transparent)]
    TwoFactor(#[from] super::two_factor::TwoFactorError),
}

impl From<diesel::result::Error> for LoginError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e.into())
    }
}

/// Decides a sign-in and records it.
pub async fn attempt(
    database: &Database,
    hashing: &Hashing,
    attempt: Attempt,
) -> Result<Outcome, LoginError> {
    // No address has a control character: one (a NUL, say) marks the attempt as junk, and is
    // replaced before it reaches the throttle or the History (Postgres refuses NUL in text).
    let email = normalize_email(&attempt.email).replace(|c: char| c.is_control(), "\u{fffd}");
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
        let disabled = user.clone().filter(|u| u.disabled && matches);
        database
            .call(move |c| -> Result<(), DbError> {
                Ok(c.write_transaction(|c| {
                    scope.record_failure(c, now)?;
                    record_failure(c, &actor, user.as_ref(), why)
                })?)
            })
            .await?;
        if let Some(user) = disabled {
            let by = database
                .call(move |c| -> Result<_, DbError> { Ok(DisabledBy::read(c, &user)?) })
                .await?;
            return Ok(Outcome::Disabled(by));
        }
        return Ok(Outcome::Refused);
    };

    if user.totp_enabled_at.is_some() {
        return Ok(Outcome::CodeRequired(user));
    }
    record_success(database, &scope, &actor, user, "").await
}

/// The second step of a two-factor sign-in, for the user whose password was accepted.
pub struct CodeAttempt {
    /// The user the password step accepted.
    pub user: crate::db::models::UserId,
    /// The code as typed: six digits, or a recovery code.
    pub code: Zeroizing<String>,
    /// The client's address.
    pub ip: Option<IpAddr>,
    /// The client's user agent.
    pub user_agent: Option<String>,
}

/// Decides the code step of a two-factor sign-in and records it. It counts toward the same throttle
/// as the password (5 failures per email, 20 per address); a wrong, reused or mistyped code is one
/// answer. A user disabled or reset meanwhile is refused.
pub async fn second_step(
    database: &Database,
    keyring: &std::sync::Arc<crate::domain::credentials::seal::Keyring>,
    attempt: CodeAttempt,
) -> Result<Outcome, LoginError> {
    use super::two_factor::{self, Factor, TwoFactorError};
    let now = crate::db::now();
    let keyring = keyring.clone();
    let mut actor = Actor::anonymous(attempt.ip.map(|i| i.to_string()), attempt.user_agent);
    let (uid, ip, code) = (attempt.user, attempt.ip, attempt.code);
    let decided = {
        let actor = actor.clone();
        database
            .call(move |c| -> Result<_, LoginError> {
                let Some(user) = User::find(c, uid).ok().filter(|u| !u.disabled) else {
                    return Ok(None);
                };
                let scope = Scope::new(&user.email, ip);
                if let Some(until) = scope.locked_until(c, now)? {
                    let why = "throttled: too many failed attempts";
                    record_failure(c, &with_email(&actor, &user), Some(&user), why)?;
                    return Ok(Some((user, scope, Err(Some(until)))));
                }
                let checked = two_factor::check(
                    c,
                    &keyring,
                    &Actor::user(&user, actor.ip.clone(), actor.user_agent.clone()),
                    &user,
                    &code,
                );
                let checked = match checked {
                    Ok(factor) => Ok(factor),
                    Err(TwoFactorError::WrongCode | TwoFactorError::NotOn) => {
                        c.write_transaction(|c| {
                            scope.record_failure(c, now)?;
                            record_failure(
                                c,
                                &with_email(&actor, &user),
                                Some(&user),
                                "wrong two-factor code",
                            )
                        })
                        .map_err(DbError::from)?;
                        Err(None)
                    }
                    Err(TwoFactorError::Db(e)) => return Err(e.into()),
                    Err(other) => return Err(other.into()),
                };
                Ok(Some((user, scope, checked)))
            })
            .await?
    };
    let Some((user, scope, checked)) = decided else {
        return Ok(Outcome::Refused);
    };
    match checked {
        Err(Some(until)) => Ok(Outcome::Throttled {
            minutes: (((until - now).whole_seconds() + 59) / 60).max(1),
        }),
        Err(None) => Ok(Outcome::Refused),
        Ok(factor) => {
            actor.email = Some(user.email.clone());
            let how = match factor {
                Factor::Totp => "with an authenticator code",
                Factor::RecoveryCode => "with a recovery code",
            };
            record_success(database, &scope, &actor, user, how).await
        }
    }
}

fn with_email(actor: &Actor, user: &User) -> Actor {
    let mut a = actor.clone();
    a.email = Some(user.email.clone());
    a
}

/// Records a completed sign-in: the email's failures forgotten, the login time, the History.
async fn record_success(
    database: &Database,
    scope: &Scope,
    actor: &Actor,
    user: User,
    detail: &'static str,
) -> Result<Outcome, LoginError> {
    let now = crate::db::now();
    let signed_in = Actor::user(&user, actor.ip.clone(), actor.user_agent.clone());
    let (recorded, scope) = (user.clone(), scope.clone());
    database
        .call(move |c| -> Result<(), DbError> {
            Ok(c.write_transaction(|c| {
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
                    detail,
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
