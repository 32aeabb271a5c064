//! Password resets as stored: the link's token only as its SHA-256.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::models::UserId;
use crate::db::schema::password_resets;

/// A reset to record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = password_resets)]
pub struct NewReset<'a> {
    pub user_id: UserId,
    /// SHA-256 of the token in the link.
    pub token_hash: &'a [u8],
    /// SHA-256 of the user's stored password hash when it was asked for.
    pub password_fingerprint: &'a [u8],
    pub created_at: time::PrimitiveDateTime,
    pub expires_at: time::PrimitiveDateTime,
    /// The address it was asked from.
    pub requested_ip: Option<&'a str>,
}

/// A stored reset.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = password_resets)]
pub struct ResetRow {
    pub id: i64,
    pub user_id: UserId,
    pub token_hash: Vec<u8>,
    pub password_fingerprint: Vec<u8>,
    pub created_at: time::PrimitiveDateTime,
    pub expires_at: time::PrimitiveDateTime,
    pub used_at: Option<time::PrimitiveDateTime>,
    pub requested_ip: Option<String>,
}

/// Records a reset; returns its id.
pub fn insert(conn: &mut DbConn, reset: &NewReset<'_>) -> QueryResult<i64> {
    diesel::insert_into(password_resets::table)
        .values(reset)
        .returning(password_resets::id)
        .get_result(conn)
}

/// The reset whose token hashes to `token_hash`, used or not.
pub fn find_by_token_hash(conn: &mut DbConn, token_hash: &[u8]) -> QueryResult<Option<ResetRow>> {
    password_resets::table
        .filter(password_resets::token_hash.eq(token_hash))
        .select(ResetRow::as_select())
        .first(conn)
        .optional()
}

/// Marks reset `id` used at `now`, if it was not yet; false when another request used it first.
pub fn mark_used(conn: &mut DbConn, id: i64, now: time::PrimitiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        password_resets::table
            .find(id)
            .filter(password_resets::used_at.is_null()),
    )
    .set(password_resets::used_at.eq(Some(now)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Ends every unused reset of `user` (after a reset, the others are of no use).
pub fn retire_for_user(
    conn: &mut DbConn,
    user: UserId,
    now: time::PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        password_resets::table
            .filter(password_resets::user_id.eq(user))
            .filter(password_resets::used_at.is_null()),
    )
    .set(password_resets::used_at.eq(Some(now)))
    .execute(conn)
}

/// Deletes resets that ended before `before`.
pub fn purge(conn: &mut DbConn, before: time::PrimitiveDateTime) -> QueryResult<usize> {
    diesel::delete(password_resets::table.filter(password_resets::expires_at.lt(before)))
        .execute(conn)
}
