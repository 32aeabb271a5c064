//! Server-side session rows, keyed by the SHA-256 of the cookie's opaque value.

use diesel::prelude::*;

use super::{Merchant, User, UserId};
use crate::db::DbConn;
use crate::db::schema::{merchants, sessions, users};

type LiveRow = (
    String,
    time::PrimitiveDateTime,
    Option<UserId>,
    Option<User>,
    Option<Merchant>,
);

/// A live session as the session store loads it.
#[derive(Debug)]
pub struct LiveSession {
    /// The session's key-value state, as JSON.
    pub state: String,
    /// Idle expiry (UTC).
    pub expires_at: time::PrimitiveDateTime,
    /// The logged-in user's id, as stored with the state.
    pub user_id: Option<UserId>,
    /// That user, if they still exist (with their password hash).
    pub user: Option<User>,
    /// Their merchant, for merchant staff.
    pub merchant: Option<Merchant>,
}

/// A stored session.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct SessionRow {
    /// SHA-256 of the session key the cookie carries.
    pub id_hash: Vec<u8>,
    /// The logged-in user, if any (anonymous sessions hold only a CSRF token).
    pub user_id: Option<UserId>,
    /// The session's key-value state, as JSON.
    pub state: String,
    /// Creation time (UTC).
    pub created_at: time::PrimitiveDateTime,
    /// Idle expiry (UTC), pushed forward by activity.
    pub expires_at: time::PrimitiveDateTime,
    /// Absolute expiry (UTC), fixed at creation.
    pub absolute_expires_at: time::PrimitiveDateTime,
    /// The user whose two-factor sign-in this session is half-way through.
    pub pending_user_id: Option<UserId>,
}

/// One of a user's live sessions, as the profile page lists them.
#[derive(Debug, Clone, Queryable)]
pub struct UserSession {
    /// SHA-256 of the session key.
    pub id_hash: Vec<u8>,
    /// The session's state, as JSON (it holds the device and address it signed in from).
    pub state: String,
    /// When it was created: the sign-in.
    pub created_at: time::PrimitiveDateTime,
    /// Idle expiry: the last request came one idle timeout (at most a minute more) before it.
    pub expires_at: time::PrimitiveDateTime,
}

impl SessionRow {
    /// A session that has not expired at `now`, with its user (if they still exist) and their
    /// merchant, in one statement: one read lock of the database a request instead of three.
    pub fn load_live(
        conn: &mut DbConn,
        id_hash: &[u8],
        now: time::PrimitiveDateTime,
    ) -> QueryResult<Option<LiveSession>> {
        // On the concrete connection (see `on_backend`): through the MultiConnection wrapper the
        // SQL text was written out again on every call, a fifth of this call's CPU on SQLite.
        let row = crate::db::on_backend!(conn, |c| {
            sessions::table
                .left_join(users::table)
                .left_join(merchants::table.on(merchants::id.nullable().eq(users::merchant_id)))
                .filter(sessions::id_hash.eq(id_hash))
                .filter(sessions::expires_at.gt(now))
                .filter(sessions::absolute_expires_at.gt(now))
                .select((
                    sessions::state,
                    sessions::expires_at,
                    sessions::user_id,
                    Option::<User>::as_select(),
                    merchants::all_columns.nullable(),
                ))
                .first::<LiveRow>(c)
                .optional()
        })?;
        Ok(
            row.map(|(state, expires_at, user_id, user, merchant)| LiveSession {
                state,
                expires_at,
                user_id,
                user,
                merchant,
            }),
        )
    }

    /// Stores a new session.
    pub fn insert(conn: &mut DbConn, row: &SessionRow) -> QueryResult<()> {
        diesel::insert_into(sessions::table)
            .values(row)
            .execute(conn)
            .map(drop)
    }

    /// Replaces a live session's state and pushes its idle expiry; returns whether it still existed.
    pub fn update_state(
        conn: &mut DbConn,
        id_hash: &[u8],
        user_id: Option<UserId>,
        pending_user_id: Option<UserId>,
        state: &str,
        expires_at: time::PrimitiveDateTime,
        now: time::PrimitiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(
            sessions::table
                .filter(sessions::id_hash.eq(id_hash))
                .filter(sessions::absolute_expires_at.gt(now)),
        )
        .set((
            sessions::user_id.eq(user_id),
            sessions::pending_user_id.eq(pending_user_id),
            sessions::state.eq(state),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(|n| n > 0)
    }

    /// Pushes a session's idle expiry to `expires_at` if it is still before `if_before` (at most
    /// `expires_at`); whether it did. Concurrent requests of one session all see the old expiry and
    /// all touch it: with a threshold below the new value, the first moves it and the others find it
    /// moved (on Postgres after waiting for its row lock, so one commit, not one each).
    pub fn touch(
        conn: &mut DbConn,
        id_hash: &[u8],
        expires_at: time::PrimitiveDateTime,
        if_before: time::PrimitiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(
            sessions::table
                .filter(sessions::id_hash.eq(id_hash))
                .filter(sessions::expires_at.lt(if_before.min(expires_at))),
        )
        .set(sessions::expires_at.eq(expires_at))
        .execute(conn)
        .map(|n| n > 0)
    }

    /// Deletes one session.
    pub fn delete(conn: &mut DbConn, id_hash: &[u8]) -> QueryResult<()> {
        diesel::delete(sessions::table.filter(sessions::id_hash.eq(id_hash)))
            .execute(conn)
            .map(drop)
    }

    /// Deletes every session of a user, signed in or half-way through a two-factor sign-in, except
    /// the one with hash `keep` (the request's own, when it should stay signed in).
    pub fn delete_for_user(
        conn: &mut DbConn,
        user: UserId,
        keep: Option<&[u8]>,
    ) -> QueryResult<usize> {
        let of_user = sessions::table.filter(
            sessions::user_id
                .eq(user)
                .or(sessions::pending_user_id.eq(user)),
        );
        match keep {
            Some(keep) => diesel::delete(of_user.filter(sessions::id_hash.ne(keep))).execute(conn),
            None => diesel::delete(of_user).execute(conn),
        }
    }

    /// The user's signed-in sessions that are live at `now`, the most recently active first.
    pub fn live_for_user(
        conn: &mut DbConn,
        user: UserId,
        now: time::PrimitiveDateTime,
    ) -> QueryResult<Vec<UserSession>> {
        sessions::table
            .filter(sessions::user_id.eq(user))
            .filter(sessions::expires_at.gt(now))
            .filter(sessions::absolute_expires_at.gt(now))
            .order((sessions::expires_at.desc(), sessions::created_at.desc()))
            .select((
                sessions::id_hash,
                sessions::state,
                sessions::created_at,
                sessions::expires_at,
            ))
            .load(conn)
    }

    /// Deletes the user's session with this hash; whether there was one.
    pub fn delete_of_user(conn: &mut DbConn, user: UserId, id_hash: &[u8]) -> QueryResult<bool> {
        diesel::delete(
            sessions::table
                .filter(sessions::user_id.eq(user))
                .filter(sessions::id_hash.eq(id_hash)),
        )
        .execute(conn)
        .map(|n| n > 0)
    }

    /// How many sessions are still live at `now` (for the metrics: a range of the expiry index).
    pub fn count_live(conn: &mut DbConn, now: time::PrimitiveDateTime) -> QueryResult<i64> {
        sessions::table
            .filter(sessions::expires_at.gt(now))
            .filter(sessions::absolute_expires_at.gt(now))
            .count()
            .get_result(conn)
    }

    /// Deletes sessions that have expired by `now`.
    pub fn delete_expired(conn: &mut DbConn, now: time::PrimitiveDateTime) -> QueryResult<usize> {
        diesel::delete(
            sessions::table.filter(
                sessions::expires_at
                    .le(now)
                    .or(sessions::absolute_expires_at.le(now)),
            ),
        )
        .execute(conn)
    }
}
