//! Two-factor sign-in as use cases: enrolment (a pending secret, confirmed by a valid code), checking
//! a code or a recovery code (each accepted once, on every instance), new recovery codes, turning it
//! off, and an admin's reset of a member. Each change is one transaction with its History entry.

use zeroize::Zeroizing;

use super::totp::{self, TotpSecret};
use crate::db::models::two_factor as stored;
use crate::db::models::{SessionRow, User, UserId};
use crate::db::{Database, DbConn, DbError};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::credentials::RandomError;
use crate::domain::credentials::seal::{Keyring, SealError};

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum TwoFactorError {
    /// The code is not the current one, was used already, or is no unused recovery code.
    #[error("wrong code")]
    WrongCode,
    /// Two-factor sign-in is on already: turn it off before enrolling again.
    #[error("two-factor sign-in is already on")]
    AlreadyOn,
    /// There is no enrolment to confirm (it was confirmed or replaced meanwhile).
    #[error("no enrolment is pending")]
    NothingPending,
    /// Two-factor sign-in is off: there is nothing to regenerate or turn off.
    #[error("two-factor sign-in is off")]
    NotOn,
    /// A sealed secret does not open (a master key is missing).
    #[error(transparent)]
    Seal(#[from] SealError),
    /// The random source.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// The database.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for TwoFactorError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e.into())
    }
}

/// How a second factor was proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    /// A code from the authenticator app.
    Totp,
    /// One of the recovery codes (now used up).
    RecoveryCode,
}

/// A user's second factor as the profile shows it.
#[derive(Debug, Clone, Copy)]
pub struct Status {
    /// When it was turned on; `None`: off.
    pub enabled_at: Option<time::PrimitiveDateTime>,
    /// Unused recovery codes.
    pub recovery_codes_left: i64,
}

fn target(user: &User) -> Target<'_> {
    Target {
        kind: "user",
        id: user.id.0,
        label: &user.email,
    }
}

/// The user's second factor, for the profile.
pub async fn status(database: &Database, user: UserId) -> Result<Status, DbError> {
    database
        .call(move |c| -> Result<Status, DbError> {
            let enabled_at = stored::find(c, user)?.and_then(|t| t.enabled_at);
            let left = if enabled_at.is_some() {
                stored::recovery_codes_left(c, user)?
            } else {
                0
            };
            Ok(Status {
                enabled_at,
                recovery_codes_left: left,
            })
        })
        .await
}

/// Starts (or restarts) enrolment: a new secret, kept sealed and pending until a code confirms it.
/// The caller shows it once, as a QR code and as text.
pub async fn start(
    database: &Database,
    keyring: &std::sync::Arc<Keyring>,
    user: UserId,
) -> Result<TotpSecret, TwoFactorError> {
    let secret = TotpSecret::generate()?;
    let (key_id, sealed) = secret.seal(keyring, user)?;
    let set = database
        .call(move |c| -> Result<bool, DbError> {
            Ok(stored::set_pending(c, user, &key_id, &sealed)?)
        })
        .await?;
    if set {
        Ok(secret)
    } else {
        Err(TwoFactorError::AlreadyOn)
    }
}

/// The pending secret again (to show the same QR code after a wrong code), if enrolment is pending.
pub async fn pending(
    database: &Database,
    keyring: &std::sync::Arc<Keyring>,
    user: UserId,
) -> Result<Option<TotpSecret>, TwoFactorError> {
    let row = database
        .call(move |c| -> Result<_, DbError> { Ok(stored::find(c, user)?) })
        .await?;
    match row {
        Some(t) if t.enabled_at.is_none() => {
            Ok(Some(TotpSecret::open(keyring, user, &t.key_id, &t.sealed)?))
        }
        _ => Ok(None),
    }
}

/// Confirms enrolment with a code of the pending secret: two-factor sign-in is on, the code's step
/// is used, and a first set of recovery codes is returned to be shown once.
pub async fn confirm(
    database: &Database,
    keyring: &std::sync::Arc<Keyring>,
    actor: Actor,
    user: User,
    code: Zeroizing<String>,
) -> Result<Vec<Zeroizing<String>>, TwoFactorError> {
    let secret = match pending(database, keyring, user.id).await? {
        Some(secret) => secret,
        None if user.totp_enabled_at.is_some() => return Err(TwoFactorError::AlreadyOn),
        None => return Err(TwoFactorError::NothingPending),
    };
    let step = secret
        .check(&code, totp::unix_now())
        .ok_or(TwoFactorError::WrongCode)?;
    let codes = totp::recovery_codes()?;
    let hashes: Vec<[u8; 32]> = codes.iter().map(|c| totp::recovery_hash(c)).collect();
    database
        .call(move |c| -> Result<(), TwoFactorError> {
            c.write_transaction(|c| {
                let now = crate::db::now();
                if !stored::enable(c, user.id, step, now)? {
                    return Err(TwoFactorError::NothingPending);
                }
                stored::replace_recovery_codes(c, user.id, &hashes, now)?;
                audit::record(
                    c,
                    &actor,
                    Event::TwoFactorEnabled,
                    user.merchant_id,
                    Some(target(&user)),
                    "authenticator app",
                )?;
                Ok(())
            })
        })
        .await?;
    Ok(codes)
}

/// Checks a second factor of `user`: a TOTP code (its step accepted once, across every instance) or
/// an unused recovery code (used up). A used recovery code is recorded in the History here.
pub fn check(
    c: &mut DbConn,
    keyring: &Keyring,
    actor: &Actor,
    user: &User,
    code: &str,
) -> Result<Factor, TwoFactorError> {
    let Some(sealed) = stored::find(c, user.id)?.filter(|t| t.enabled_at.is_some()) else {
        return Err(TwoFactorError::NotOn);
    };
    if totp::is_recovery_code(code) {
        let hash = totp::recovery_hash(code);
        return c.write_transaction(|c| {
            if !stored::use_recovery_code(c, user.id, &hash, crate::db::now())? {
                return Err(TwoFactorError::WrongCode);
            }
            let left = stored::recovery_codes_left(c, user.id)?;
            audit::record(
                c,
                actor,
                Event::RecoveryCodeUsed,
                user.merchant_id,
                Some(target(user)),
                &format!("{left} left"),
            )?;
            Ok(Factor::RecoveryCode)
        });
    }
    let secret = TotpSecret::open(keyring, user.id, &sealed.key_id, &sealed.sealed)?;
    let step = secret
        .check(code, totp::unix_now())
        .ok_or(TwoFactorError::WrongCode)?;
    if stored::accept_step(c, user.id, step)? {
        Ok(Factor::Totp)
    } else {
        // The code was right but used already (RFC 6238 section 5.2): the same answer as a wrong one.
        Err(TwoFactorError::WrongCode)
    }
}

/// Replaces the user's recovery codes; the old set stops working. Returns the new set, to show once.
pub async fn regenerate(
    database: &Database,
    actor: Actor,
    user: User,
) -> Result<Vec<Zeroizing<String>>, TwoFactorError> {
    let codes = totp::recovery_codes()?;
    let hashes: Vec<[u8; 32]> = codes.iter().map(|c| totp::recovery_hash(c)).collect();
    database
        .call(move |c| -> Result<(), TwoFactorError> {
            c.write_transaction(|c| {
                if stored::find(c, user.id)?
                    .and_then(|t| t.enabled_at)
                    .is_none()
                {
                    return Err(TwoFactorError::NotOn);
                }
                stored::replace_recovery_codes(c, user.id, &hashes, crate::db::now())?;
                audit::record(
                    c,
                    &actor,
                    Event::RecoveryCodesRegenerated,
                    user.merchant_id,
                    Some(target(&user)),
                    "",
                )?;
                Ok(())
            })
        })
        .await?;
    Ok(codes)
}

/// Turns the user's own two-factor sign-in off (secret and recovery codes gone).
pub async fn turn_off(database: &Database, actor: Actor, user: User) -> Result<(), TwoFactorError> {
    database
        .call(move |c| -> Result<(), TwoFactorError> {
            c.write_transaction(|c| {
                if user_enabled(c, user.id)?.is_none() {
                    return Err(TwoFactorError::NotOn);
                }
                stored::remove(c, user.id)?;
                audit::record(
                    c,
                    &actor,
                    Event::TwoFactorDisabled,
                    user.merchant_id,
                    Some(target(&user)),
                    "",
                )?;
                Ok(())
            })
        })
        .await
}

/// Resets `member`'s two-factor sign-in on an admin's behalf: secret and codes gone, every session of
/// the member ended, recorded in the History. The member enrols again at their next sign-in if the
/// merchant requires it.
pub fn reset(c: &mut DbConn, actor: &Actor, member: &User) -> Result<usize, TwoFactorError> {
    c.write_transaction(|c| {
        if user_enabled(c, member.id)?.is_none() {
            return Err(TwoFactorError::NotOn);
        }
        stored::remove(c, member.id)?;
        let ended = SessionRow::delete_for_user(c, member.id, None)?;
        audit::record(
            c,
            actor,
            Event::TwoFactorReset,
            member.merchant_id,
            Some(target(member)),
            &format!("{ended} sessions ended"),
        )?;
        Ok(ended)
    })
}

fn user_enabled(
    c: &mut DbConn,
    user: UserId,
) -> diesel::QueryResult<Option<time::PrimitiveDateTime>> {
    Ok(stored::find(c, user)?.and_then(|t| t.enabled_at))
}

/// Whether `user` must enrol before doing anything else: their merchant requires a second factor, or
/// they are support staff and the configuration requires it of support.
pub fn must_enrol(
    user: &User,
    merchant: Option<&crate::db::models::Merchant>,
    support_requires: bool,
) -> bool {
    user.totp_enabled_at.is_none() && required(user, merchant, support_requires)
}

/// Whether `user` must use two-factor sign-in (so may not turn it off).
pub fn required(
    user: &User,
    merchant: Option<&crate::db::models::Merchant>,
    support_requires: bool,
) -> bool {
    match merchant {
        Some(m) => m.require_two_factor,
        None => user.role == crate::db::models::Role::Support && support_requires,
    }
}

/// Sets whether `merchant` requires two-factor sign-in of every member, and records it. An admin
/// without a second factor may not require one (they would lock themselves out of their own change).
pub fn set_policy(
    c: &mut DbConn,
    actor: &Actor,
    admin: &User,
    merchant: &crate::db::models::Merchant,
    require: bool,
) -> Result<bool, TwoFactorError> {
    c.write_transaction(|c| {
        if require && user_enabled(c, admin.id)?.is_none() {
            return Err(TwoFactorError::NotOn);
        }
        if merchant.require_two_factor == require {
            return Ok(false);
        }
        crate::db::models::Merchant::set_require_two_factor(c, merchant.id, require)?;
        let target = Target {
            kind: "merchant",
            id: merchant.id.0,
            label: &merchant.name,
        };
        let detail = if require { "required" } else { "not required" };
        audit::record(
            c,
            actor,
            Event::TwoFactorPolicyChanged,
            Some(merchant.id),
            Some(target),
            detail,
        )?;
        Ok(true)
    })
}
