//! User accounts: adding one (CLI, first run, or a merchant admin) with its rules, the add-user
//! form ([`new_member`]), and the team changes admins make ([`team`]). No HTTP.

pub mod new_member;
pub mod team;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use zeroize::Zeroizing;

use crate::db::DbConn;
use crate::db::models::user::normalize_email;
use crate::db::models::{Merchant, MerchantId, NewUser, Role, User};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::auth::Passwords;
use crate::domain::auth::password::{HashError, check_strength, generate_password};
use crate::domain::credentials::RandomError;

/// The merchant created on first run.
pub const DEMO_MERCHANT: &str = "Demo Merchant";
/// The admin created on first run.
pub const DEMO_ADMIN_EMAIL: &str = "admin@example.com";

/// Why a user could not be added; each reads as one clear line.
#[derive(Debug, thiserror::Error)]
pub enum AddUserError {
    /// Not an email address.
    #[error("{0:?} is not an email address")]
    BadEmail(String),
    /// The email is taken (case-insensitively).
    #[error("a user with email {0} already exists")]
    DuplicateEmail(String),
    /// The password is refused.
    #[error("{0}")]
    WeakPassword(String),
    /// admin and viewer need a merchant.
    #[error("--merchant is required for the {0} role")]
    MerchantRequired(Role),
    /// support staff belong to no merchant.
    #[error("--merchant is not allowed for the support role: support staff belong to no merchant")]
    MerchantNotAllowed,
    /// The merchant name is empty or too long.
    #[error("the merchant name must be 1 to 200 characters")]
    BadMerchantName,
    /// No random password could be generated.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// The database refused.
    #[error("database error: {0}")]
    Db(#[from] DieselError),
}

/// Checks the shape of an email address (one `@`, something on both sides, a dot in the domain, no
/// spaces); delivery is not checked.
pub fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// What to set as the new user's password.
pub enum PasswordChoice {
    /// This password, checked for strength.
    Given(Zeroizing<String>),
    /// Generate one and return it.
    Generate,
}

/// Which merchant a new user joins.
#[derive(Debug, Clone, Copy)]
enum Membership<'a> {
    /// The merchant with this name, created if it does not exist (the command line).
    Named(&'a str),
    /// This existing merchant (an admin adding to their own team).
    Existing(MerchantId),
    /// None: Kwik support staff.
    Platform,
}

/// Adds a user; creates the merchant if it does not exist. Returns the user and the generated
/// password, if one was generated. One transaction.
pub fn add_user(
    conn: &mut DbConn,
    passwords: &Passwords,
    actor: &Actor,
    email: &str,
    merchant: Option<&str>,
    role: Role,
    password: PasswordChoice,
) -> Result<(User, Option<Zeroizing<String>>), AddUserError> {
    let membership = merchant.map_or(Membership::Platform, Membership::Named);
    add(conn, passwords, actor, email, membership, role, password)
}

/// A user ready to be added: every rule checked, the password chosen (or generated), not hashed yet.
/// Hashing is the caller's, so a request can hash on the hashing threads without holding a database
/// connection ([`insert`] then takes the hash).
pub struct Prepared<'a> {
    email: String,
    membership: Membership<'a>,
    role: Role,
    password: Zeroizing<String>,
    generated: bool,
}

impl Prepared<'_> {
    /// The password to hash.
    pub fn password(&self) -> &Zeroizing<String> {
        &self.password
    }

    /// The generated password, to show once; `None` when the caller gave one.
    pub fn generated(&self) -> Option<Zeroizing<String>> {
        self.generated.then(|| self.password.clone())
    }
}

/// Checks a new member of an existing merchant's team (a merchant admin's "Add user") by the same
/// rules as [`add_user`]. The merchant is given by id, never looked up or created by name.
pub fn prepare_member(
    merchant: MerchantId,
    email: &str,
    role: Role,
    password: PasswordChoice,
) -> Result<Prepared<'static>, AddUserError> {
    prepare(email, Membership::Existing(merchant), role, password)
}

fn prepare<'a>(
    email: &str,
    membership: Membership<'a>,
    role: Role,
    password: PasswordChoice,
) -> Result<Prepared<'a>, AddUserError> {
    let email = normalize_email(email);
    if !is_plausible_email(&email) {
        return Err(AddUserError::BadEmail(email));
    }
    let membership = match membership {
        Membership::Named(name) => Membership::Named(name.trim()),
        other => other,
    };
    match (role, membership) {
        (Role::Support, Membership::Named(_) | Membership::Existing(_)) => {
            return Err(AddUserError::MerchantNotAllowed);
        }
        (Role::Admin | Role::Viewer, Membership::Platform) => {
            return Err(AddUserError::MerchantRequired(role));
        }
        (_, Membership::Named(name)) if name.is_empty() || name.chars().count() > 200 => {
            return Err(AddUserError::BadMerchantName);
        }
        _ => {}
    }
    let (password, generated) = match password {
        PasswordChoice::Given(p) => {
            check_strength(&p).map_err(AddUserError::WeakPassword)?;
            (p, false)
        }
        PasswordChoice::Generate => (generate_password()?, true),
    };
    Ok(Prepared {
        email,
        membership,
        role,
        password,
        generated,
    })
}

fn add(
    conn: &mut DbConn,
    passwords: &Passwords,
    actor: &Actor,
    email: &str,
    membership: Membership<'_>,
    role: Role,
    password: PasswordChoice,
) -> Result<(User, Option<Zeroizing<String>>), AddUserError> {
    let prepared = prepare(email, membership, role, password)?;
    if User::find_by_email(conn, &prepared.email)?.is_some() {
        return Err(AddUserError::DuplicateEmail(prepared.email));
    }
    let hash = passwords.hash(prepared.password())?;
    let user = insert(conn, actor, &prepared, &hash)?;
    Ok((user, prepared.generated()))
}

/// Adds a prepared user with this password hash, and its `user.added` event, in one transaction
/// (the merchant too, when it is named and new). A taken email is [`AddUserError::DuplicateEmail`].
pub fn insert(
    conn: &mut DbConn,
    actor: &Actor,
    prepared: &Prepared<'_>,
    hash: &str,
) -> Result<User, AddUserError> {
    let (email, role) = (&prepared.email, prepared.role);
    conn.write_transaction(|conn| {
        let merchant_id = match prepared.membership {
            Membership::Named(name) => Some(Merchant::find_or_create(conn, name)?.id),
            Membership::Existing(id) => Some(id),
            Membership::Platform => None,
        };
        let user = User::insert(
            conn,
            &NewUser {
                merchant_id,
                email,
                password_hash: hash,
                role,
                disabled: false,
                created_at: crate::db::now(),
            },
        )?;
        let target = Target {
            kind: "user",
            id: user.id.0,
            label: &user.email,
        };
        audit::record(
            conn,
            actor,
            Event::UserAdded,
            merchant_id,
            Some(target),
            &format!("role: {role}"),
        )?;
        Ok(user)
    })
    .map_err(|e| match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            AddUserError::DuplicateEmail(email.clone())
        }
        other => other.into(),
    })
}

/// On an empty database, creates "Demo Merchant" and its admin with a random password, returned to be
/// printed once. `None` when any user already exists.
pub fn seed_first_run(
    conn: &mut DbConn,
    passwords: &Passwords,
) -> Result<Option<Zeroizing<String>>, AddUserError> {
    if User::any_exists(conn)? {
        return Ok(None);
    }
    match add_user(
        conn,
        passwords,
        &Actor::cli(),
        DEMO_ADMIN_EMAIL,
        Some(DEMO_MERCHANT),
        Role::Admin,
        PasswordChoice::Generate,
    ) {
        Ok((_, password)) => Ok(password),
        // Another instance seeded the same empty database first.
        Err(AddUserError::DuplicateEmail(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::is_plausible_email;

    #[test]
    fn email_shapes() {
        assert!(is_plausible_email("ops@shop.co.za"));
        for bad in ["", "x", "@a.b", "a@b", "a@.b", "a@b.", "a b@c.d", "a@b@c.d"] {
            assert!(!is_plausible_email(bad), "{bad}");
        }
    }
}
