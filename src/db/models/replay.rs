//! Signatures of signed requests already accepted by some instance, shared through the database so
//! that a replay to another instance is refused too (see `domain::credentials::replay`).

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::replay_signatures;

/// Records `signature_hash` as used until `expires_at` (unix seconds); false when some instance
/// already had. One `INSERT ... ON CONFLICT DO NOTHING`: the primary key decides, atomically.
pub fn first_use(conn: &mut DbConn, signature_hash: &[u8], expires_at: i64) -> QueryResult<bool> {
    let query = diesel::insert_into(replay_signatures::table)
        .values((
            replay_signatures::signature_hash.eq(signature_hash),
            replay_signatures::expires_at.eq(expires_at),
        ))
        .on_conflict_do_nothing();
    // The upsert is backend SQL the MultiConnection cannot build: run it on the backend itself.
    let inserted = match conn {
        DbConn::Sqlite(c) => query.execute(c)?,
        DbConn::Pg(c) => query.execute(c)?,
    };
    Ok(inserted == 1)
}

/// Deletes at most `batch` signatures expired before `now`; how many it deleted. Small batches keep
/// each statement's locks short while requests insert beside it.
pub fn delete_expired(conn: &mut DbConn, now: i64, batch: i64) -> QueryResult<usize> {
    let expired: Vec<Vec<u8>> = replay_signatures::table
        .filter(replay_signatures::expires_at.lt(now))
        .select(replay_signatures::signature_hash)
        .limit(batch)
        .load(conn)?;
    if expired.is_empty() {
        return Ok(0);
    }
    diesel::delete(
        replay_signatures::table.filter(replay_signatures::signature_hash.eq_any(&expired)),
    )
    .filter(replay_signatures::expires_at.lt(now))
    .execute(conn)
}
