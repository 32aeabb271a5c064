//! Dashboard users: merchant staff and platform support staff.

use diesel::prelude::*;

use super::{MerchantId, UserId, text_enum};
use crate::db::DbConn;
use crate::db::schema::{merchants, users};

text_enum! {
    /// What a user may do.
    Role {
        /// Manages the merchant's tokens and team.
        Admin = "admin",
        /// Sees the merchant's tokens; changes nothing.
        Viewer = "viewer",
        /// Platform support staff, attached to no merchant.
        Support = "support",
    }
}

impl Role {
    /// How pages name it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Admin => "Admin",
            Self::Viewer => "Viewer",
            Self::Support => "Kwik Support",
        }
    }
}

/// A user account. `email` is stored lower-cased, which makes it unique case-insensitively.
#[derive(
    Debug, Clone, Queryable, Selectable, Identifiable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct User {
    /// Id.
    pub id: UserId,
    /// The merchant, or `None` for support staff.
    pub merchant_id: Option<MerchantId>,
    /// Lower-cased email address.
    pub email: String,
    /// argon2id PHC string. Never serialized, and empty in the signed-in user a request gets (see
    /// `auth::session_store::SignedIn`).
    #[serde(skip)]
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// A disabled user cannot log in, and their sessions are refused.
    pub disabled: bool,
    /// When the account was created (UTC).
    pub created_at: time::PrimitiveDateTime,
    /// Last successful login (UTC).
    pub last_login_at: Option<time::PrimitiveDateTime>,
    /// When two-factor sign-in was turned on; `None`: off (an enrolment may be pending).
    pub totp_enabled_at: Option<time::PrimitiveDateTime>,
}

/// The columns of [`User`], in its field order, for `RETURNING` (the table has more: the sealed
/// TOTP secret is read only by `two_factor`).
pub const USER_COLUMNS: (
    users::id,
    users::merchant_id,
    users::email,
    users::password_hash,
    users::role,
    users::disabled,
    users::created_at,
    users::last_login_at,
    users::totp_enabled_at,
) = (
    users::id,
    users::merchant_id,
    users::email,
    users::password_hash,
    users::role,
    users::disabled,
    users::created_at,
    users::last_login_at,
    users::totp_enabled_at,
);

/// A user to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    /// The merchant, or `None` for support staff.
    pub merchant_id: Option<MerchantId>,
    /// Email, already normalised with [`normalize_email`].
    pub email: &'a str,
    /// argon2id PHC string.
    pub password_hash: &'a str,
    /// Role.
    pub role: Role,
    /// Disabled flag.
    pub disabled: bool,
    /// Creation time (UTC).
    pub created_at: time::PrimitiveDateTime,
}

/// The canonical form of an email address: trimmed and lower-cased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

impl User {
    /// The user with this id.
    pub fn find(conn: &mut DbConn, id: UserId) -> QueryResult<User> {
        users::table.find(id).select(User::as_select()).first(conn)
    }

    /// The user with this (normalised) email, if any.
    pub fn find_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<User>> {
        users::table
            .filter(users::email.eq(email))
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    /// Whether any user exists at all (first-run detection).
    pub fn any_exists(conn: &mut DbConn) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(users::table.select(users::id))).get_result(conn)
    }

    /// Creates a user.
    pub fn insert(conn: &mut DbConn, new: &NewUser<'_>) -> QueryResult<User> {
        diesel::insert_into(users::table)
            .values(new)
            .returning(USER_COLUMNS)
            .get_result(conn)
    }

    /// The merchant's users, by email.
    pub fn list_for_merchant(conn: &mut DbConn, merchant: MerchantId) -> QueryResult<Vec<User>> {
        users::table
            .filter(users::merchant_id.eq(merchant))
            .order((users::email.asc(), users::id.asc()))
            .select(User::as_select())
            .load(conn)
    }

    /// The user with this id if they belong to `merchant`; another merchant's user is `NotFound`.
    pub fn find_in_merchant(
        conn: &mut DbConn,
        merchant: MerchantId,
        id: UserId,
    ) -> QueryResult<User> {
        users::table
            .filter(users::id.eq(id))
            .filter(users::merchant_id.eq(merchant))
            .select(User::as_select())
            .first(conn)
    }

    /// How many enabled admins `merchant` has besides `except`.
    pub fn count_other_enabled_admins(
        conn: &mut DbConn,
        merchant: MerchantId,
        except: UserId,
    ) -> QueryResult<i64> {
        users::table
            .filter(users::merchant_id.eq(merchant))
            .filter(users::role.eq(Role::Admin))
            .filter(users::disabled.eq(false))
            .filter(users::id.ne(except))
            .count()
            .get_result(conn)
    }

    /// Serialises changes to one merchant's team until the transaction ends: a no-op write to the
    /// merchant's row takes its row lock on Postgres and the write lock on SQLite. Without it, two
    /// admins demoting each other at once could each see the other still an admin, and both succeed.
    /// Call it first in the transaction, before any read the decision depends on.
    pub fn lock_team(conn: &mut DbConn, merchant: MerchantId) -> QueryResult<()> {
        let locked = diesel::update(merchants::table.find(merchant))
            .set(merchants::name.eq(merchants::name))
            .execute(conn)?;
        if locked == 0 {
            return Err(diesel::result::Error::NotFound);
        }
        Ok(())
    }

    /// Serialises work on one user's row until the transaction ends (a no-op write, as
    /// [`User::lock_team`] does): two password-reset requests for one account at once then count
    /// each other.
    pub fn lock(conn: &mut DbConn, id: UserId) -> QueryResult<()> {
        diesel::update(users::table.find(id))
            .set(users::email.eq(users::email))
            .execute(conn)
            .map(drop)
    }

    /// Sets a user's role.
    pub fn set_role(conn: &mut DbConn, id: UserId, role: Role) -> QueryResult<User> {
        diesel::update(users::table.find(id))
            .set(users::role.eq(role))
            .returning(USER_COLUMNS)
            .get_result(conn)
    }

    /// Disables or enables a user.
    pub fn set_disabled(conn: &mut DbConn, id: UserId, disabled: bool) -> QueryResult<User> {
        diesel::update(users::table.find(id))
            .set(users::disabled.eq(disabled))
            .returning(USER_COLUMNS)
            .get_result(conn)
    }

    /// Replaces a user's password hash.
    pub fn set_password_hash(conn: &mut DbConn, id: UserId, hash: &str) -> QueryResult<()> {
        diesel::update(users::table.find(id))
            .set(users::password_hash.eq(hash))
            .execute(conn)
            .map(drop)
    }

    /// Records a successful login.
    pub fn record_login(
        conn: &mut DbConn,
        id: UserId,
        at: time::PrimitiveDateTime,
    ) -> QueryResult<()> {
        diesel::update(users::table.find(id))
            .set(users::last_login_at.eq(Some(at)))
            .execute(conn)
            .map(drop)
    }
}
