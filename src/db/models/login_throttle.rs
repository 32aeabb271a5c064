//! Failed-login counters and lockouts, kept in the database so that every instance shares them.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{login_failures, login_lockouts};

/// The latest lockout end among `scope_keys` that is still in the future at `now`.
pub fn locked_until(
    conn: &mut DbConn,
    scope_keys: &[&str],
    now: time::PrimitiveDateTime,
) -> QueryResult<Option<time::PrimitiveDateTime>> {
    login_lockouts::table
        .filter(login_lockouts::scope_key.eq_any(scope_keys))
        .filter(login_lockouts::locked_until.gt(now))
        .select(login_lockouts::locked_until)
        .order(login_lockouts::locked_until.desc())
        .first(conn)
        .optional()
}

/// Records one failure for `scope_key` and returns how many it has had since `window_start`.
pub fn record_failure(
    conn: &mut DbConn,
    scope_key: &str,
    now: time::PrimitiveDateTime,
    window_start: time::PrimitiveDateTime,
) -> QueryResult<i64> {
    // Old rows of this key are of no further use; pruning here keeps the table small without a job.
    diesel::delete(
        login_failures::table
            .filter(login_failures::scope_key.eq(scope_key))
            .filter(login_failures::created_at.lt(window_start)),
    )
    .execute(conn)?;
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::scope_key.eq(scope_key),
            login_failures::created_at.eq(now),
        ))
        .execute(conn)?;
    login_failures::table
        .filter(login_failures::scope_key.eq(scope_key))
        .filter(login_failures::created_at.ge(window_start))
        .count()
        .get_result(conn)
}

/// Locks `scope_key` until `until`, and forgets its counted failures so the next window starts afresh.
pub fn lock(conn: &mut DbConn, scope_key: &str, until: time::PrimitiveDateTime) -> QueryResult<()> {
    // Delete-then-insert instead of an upsert: the same SQL on both backends, inside the caller's
    // transaction.
    diesel::delete(login_lockouts::table.filter(login_lockouts::scope_key.eq(scope_key)))
        .execute(conn)?;
    diesel::insert_into(login_lockouts::table)
        .values((
            login_lockouts::scope_key.eq(scope_key),
            login_lockouts::locked_until.eq(until),
        ))
        .execute(conn)?;
    clear(conn, scope_key)
}

/// Forgets the counted failures of `scope_key`.
pub fn clear(conn: &mut DbConn, scope_key: &str) -> QueryResult<()> {
    diesel::delete(login_failures::table.filter(login_failures::scope_key.eq(scope_key)))
        .execute(conn)
        .map(drop)
}
