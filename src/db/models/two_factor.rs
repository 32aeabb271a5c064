//! A user's second factor as stored: the sealed TOTP secret, the last time step accepted, and the
//! hashes of their recovery codes. Nothing here is usable without the master key or the codes.

use diesel::prelude::*;

use super::UserId;
use crate::db::DbConn;
use crate::db::schema::{recovery_codes, users};

/// A user's sealed TOTP secret.
#[derive(Debug, Clone, Queryable)]
pub struct SealedTotp {
    /// AES-256-GCM sealed secret, bound to the user's id.
    pub sealed: Vec<u8>,
    /// Id of the master key that sealed it.
    pub key_id: String,
    /// When enrolment was confirmed; `None`: still pending.
    pub enabled_at: Option<time::PrimitiveDateTime>,
    /// The last time step a code was accepted for.
    pub last_step: Option<i64>,
}

type TotpColumns = (
    Option<Vec<u8>>,
    Option<String>,
    Option<time::PrimitiveDateTime>,
    Option<i64>,
);

/// The user's TOTP secret, pending or enabled, if they have one.
pub fn find(conn: &mut DbConn, user: UserId) -> QueryResult<Option<SealedTotp>> {
    let row: Option<TotpColumns> = users::table
        .find(user)
        .select((
            users::totp_secret_sealed,
            users::totp_key_id,
            users::totp_enabled_at,
            users::totp_last_step,
        ))
        .first(conn)
        .optional()?;
    Ok(row.and_then(|(sealed, key_id, enabled_at, last_step)| {
        Some(SealedTotp {
            sealed: sealed?,
            key_id: key_id?,
            enabled_at,
            last_step,
        })
    }))
}

/// Keeps a new secret pending confirmation, replacing an earlier pending one. Refused (`false`) when
/// two-factor sign-in is already on: turning it off comes first.
pub fn set_pending(
    conn: &mut DbConn,
    user: UserId,
    key_id: &str,
    sealed: &[u8],
) -> QueryResult<bool> {
    let n = diesel::update(
        users::table
            .find(user)
            .filter(users::totp_enabled_at.is_null()),
    )
    .set((
        users::totp_secret_sealed.eq(Some(sealed)),
        users::totp_key_id.eq(Some(key_id)),
        users::totp_last_step.eq(None::<i64>),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Turns two-factor sign-in on with the pending secret, whose code for `step` was just accepted.
pub fn enable(
    conn: &mut DbConn,
    user: UserId,
    step: i64,
    at: time::PrimitiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        users::table
            .find(user)
            .filter(users::totp_enabled_at.is_null())
            .filter(users::totp_secret_sealed.is_not_null()),
    )
    .set((
        users::totp_enabled_at.eq(Some(at)),
        users::totp_last_step.eq(Some(step)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Records `step` as used, if it is later than the last one accepted: `false` when the code (or an
/// earlier one) was already used. One statement, so two instances cannot both accept it.
pub fn accept_step(conn: &mut DbConn, user: UserId, step: i64) -> QueryResult<bool> {
    let n = diesel::update(
        users::table
            .find(user)
            .filter(users::totp_enabled_at.is_not_null())
            .filter(
                users::totp_last_step
                    .is_null()
                    .or(users::totp_last_step.lt(step)),
            ),
    )
    .set(users::totp_last_step.eq(Some(step)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Turns two-factor sign-in off: the secret and every recovery code are gone.
pub fn remove(conn: &mut DbConn, user: UserId) -> QueryResult<()> {
    diesel::update(users::table.find(user))
        .set((
            users::totp_secret_sealed.eq(None::<Vec<u8>>),
            users::totp_key_id.eq(None::<String>),
            users::totp_enabled_at.eq(None::<time::PrimitiveDateTime>),
            users::totp_last_step.eq(None::<i64>),
        ))
        .execute(conn)?;
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user)))
        .execute(conn)
        .map(drop)
}

/// Users' sealed secrets not sealed under master key `not_under` yet, with their key ids, in id order
/// after `after` (for a master key rotation).
pub fn sealed_batch(
    conn: &mut DbConn,
    not_under: &str,
    after: UserId,
    limit: i64,
) -> QueryResult<Vec<(UserId, Vec<u8>, String)>> {
    let rows: Vec<(UserId, Option<Vec<u8>>, Option<String>)> = users::table
        .filter(users::id.gt(after))
        .filter(users::totp_secret_sealed.is_not_null())
        .filter(users::totp_key_id.ne(not_under))
        .order(users::id.asc())
        .limit(limit)
        .select((users::id, users::totp_secret_sealed, users::totp_key_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, sealed, key)| Some((id, sealed?, key?)))
        .collect())
}

/// Stores a re-sealed secret.
pub fn store_sealed(
    conn: &mut DbConn,
    user: UserId,
    key_id: &str,
    sealed: &[u8],
) -> QueryResult<()> {
    diesel::update(users::table.find(user))
        .set((
            users::totp_secret_sealed.eq(Some(sealed)),
            users::totp_key_id.eq(Some(key_id)),
        ))
        .execute(conn)
        .map(drop)
}

/// Replaces the user's recovery codes with these hashes (the old set stops working).
pub fn replace_recovery_codes(
    conn: &mut DbConn,
    user: UserId,
    hashes: &[[u8; 32]],
    at: time::PrimitiveDateTime,
) -> QueryResult<()> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user))).execute(conn)?;
    for hash in hashes {
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::user_id.eq(user),
                recovery_codes::code_hash.eq(hash.to_vec()),
                recovery_codes::created_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Uses the unused recovery code with this hash: `false` if there is none (wrong, or used already).
pub fn use_recovery_code(
    conn: &mut DbConn,
    user: UserId,
    hash: &[u8; 32],
    at: time::PrimitiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user))
            .filter(recovery_codes::code_hash.eq(hash.to_vec()))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(Some(at)))
    .execute(conn)?;
    Ok(n == 1)
}

/// How many of the user's recovery codes are still unused.
pub fn recovery_codes_left(conn: &mut DbConn, user: UserId) -> QueryResult<i64> {
    recovery_codes::table
        .filter(recovery_codes::user_id.eq(user))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}
