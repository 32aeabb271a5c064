//! Signatures of signed requests already accepted by some instance, shared through the database so
//! that a replay to another instance is refused too (see `domain::credentials::replay`).

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Binary};

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

/// Records many signatures at once, in one statement and one commit: for each `(hash, expires_at)`
/// in order, whether it is the first use. A hash that appears twice is a first use only the first
/// time. Rows are written in hash order, so that concurrent batches wait for each other in one
/// order and cannot deadlock.
pub fn first_uses(conn: &mut DbConn, signatures: &[([u8; 32], i64)]) -> QueryResult<Vec<bool>> {
    let mut sorted: Vec<&([u8; 32], i64)> = signatures.iter().collect();
    sorted.sort_by_key(|(hash, _)| *hash);
    sorted.dedup_by_key(|(hash, _)| *hash);
    let inserted: std::collections::HashSet<Vec<u8>> = match conn {
        DbConn::Pg(c) => UnnestInsert {
            hashes: sorted.iter().map(|(h, _)| h.to_vec()).collect(),
            expires: sorted.iter().map(|(_, e)| *e).collect(),
        }
        .load::<Vec<u8>>(c)?
        .into_iter()
        .collect(),
        // One instance never shares its store; kept so that the function works on both backends.
        DbConn::Sqlite(_) => {
            let mut inserted = std::collections::HashSet::new();
            for (hash, expires) in &sorted {
                if first_use(conn, hash, *expires)? {
                    inserted.insert(hash.to_vec());
                }
            }
            inserted
        }
    };
    let mut answered = std::collections::HashSet::new();
    Ok(signatures
        .iter()
        .map(|(hash, _)| inserted.contains(hash.as_slice()) && answered.insert(*hash))
        .collect())
}

/// `INSERT ... SELECT * FROM unnest($1, $2) ON CONFLICT DO NOTHING RETURNING signature_hash`, as a
/// statement of its own type: diesel keeps it prepared per connection, where a `sql_query` would be
/// parsed and planned again for every batch (a third of Postgres's work a signed request, by
/// `perf`).
#[derive(Debug)]
struct UnnestInsert {
    hashes: Vec<Vec<u8>>,
    expires: Vec<i64>,
}

impl QueryId for UnnestInsert {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for UnnestInsert {
    type SqlType = Binary;
}

impl QueryFragment<Pg> for UnnestInsert {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "INSERT INTO replay_signatures (signature_hash, expires_at) SELECT * FROM unnest(",
        );
        out.push_bind_param::<Array<Binary>, _>(&self.hashes)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<BigInt>, _>(&self.expires)?;
        out.push_sql(") ON CONFLICT DO NOTHING RETURNING signature_hash");
        Ok(())
    }
}

impl RunQueryDsl<PgConnection> for UnnestInsert {}

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
