//! The outbox: mail to send, as stored. Written inside the transaction of the change that causes it;
//! claimed, sent and marked by the delivery worker of any instance.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::outbox;

/// A mail waiting to be written.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox)]
pub struct NewMail<'a> {
    /// What kind of mail: `password_reset`, ...
    pub kind: &'a str,
    /// The address it goes to.
    pub recipient: &'a str,
    /// What it says, as JSON; never a secret.
    pub params: &'a str,
    /// A reset token sealed under the master key, for the one mail that carries one.
    pub sealed_secret: Option<&'a [u8]>,
    /// The master key that sealed it.
    pub secret_key_id: Option<&'a str>,
    /// Set for mail that must go once however often its cause is noticed.
    pub dedupe_key: Option<&'a str>,
    /// When to send it first (now).
    pub next_attempt_at: time::PrimitiveDateTime,
    /// Now.
    pub created_at: time::PrimitiveDateTime,
}

/// A stored mail.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub params: String,
    pub sealed_secret: Option<Vec<u8>>,
    pub secret_key_id: Option<String>,
    pub dedupe_key: Option<String>,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    /// Attempts made, the one in progress included.
    pub attempts: i32,
    pub next_attempt_at: time::PrimitiveDateTime,
    /// Until when the instance that claimed it has it; past that, another may.
    pub claimed_until: Option<time::PrimitiveDateTime>,
    /// Why the last attempt failed, without the message.
    pub last_error: Option<String>,
    pub created_at: time::PrimitiveDateTime,
    pub sent_at: Option<time::PrimitiveDateTime>,
}

/// Adds `mail`; with a dedupe key another row already has, nothing (false).
pub fn insert(conn: &mut DbConn, mail: &NewMail<'_>) -> QueryResult<bool> {
    let query = diesel::insert_into(outbox::table)
        .values(mail)
        .on_conflict(outbox::dedupe_key)
        .do_nothing();
    let written = match conn {
        DbConn::Sqlite(c) => query.execute(c),
        DbConn::Pg(c) => query.execute(c),
    }?;
    Ok(written == 1)
}

/// Claims up to `limit` mails due at `now` that nobody holds, until `until`, counting the attempt,
/// oldest due first. On Postgres rows another instance is claiming are skipped (`SKIP LOCKED`), so
/// two instances never hold the same mail; SQLite has one writer at a time.
pub fn claim_due(
    conn: &mut DbConn,
    now: time::PrimitiveDateTime,
    until: time::PrimitiveDateTime,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    conn.write_transaction(|conn| {
        let due = outbox::table
            .filter(outbox::status.eq("pending"))
            .filter(outbox::next_attempt_at.le(now))
            .filter(
                outbox::claimed_until
                    .is_null()
                    .or(outbox::claimed_until.le(now)),
            )
            .order((outbox::next_attempt_at, outbox::id))
            .limit(limit)
            .select(outbox::id);
        let ids: Vec<i64> = match conn {
            DbConn::Pg(c) => due.for_update().skip_locked().load(c)?,
            DbConn::Sqlite(c) => due.load(c)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
            .set((
                outbox::claimed_until.eq(Some(until)),
                outbox::attempts.eq(outbox::attempts + 1),
            ))
            .execute(conn)?;
        outbox::table
            .filter(outbox::id.eq_any(&ids))
            .order((outbox::next_attempt_at, outbox::id))
            .select(OutboxRow::as_select())
            .load(conn)
    })
}

/// Records that mail `id` was sent, and erases the secret it carried.
pub fn mark_sent(conn: &mut DbConn, id: i64, now: time::PrimitiveDateTime) -> QueryResult<()> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq("sent"),
            outbox::sent_at.eq(Some(now)),
            outbox::claimed_until.eq(None::<time::PrimitiveDateTime>),
            outbox::last_error.eq(None::<String>),
            outbox::sealed_secret.eq(None::<Vec<u8>>),
            outbox::secret_key_id.eq(None::<String>),
        ))
        .execute(conn)
        .map(drop)
}

/// Gives mail `id` another attempt at `at`, noting why this one failed.
pub fn mark_retry(
    conn: &mut DbConn,
    id: i64,
    at: time::PrimitiveDateTime,
    error: &str,
) -> QueryResult<()> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::next_attempt_at.eq(at),
            outbox::claimed_until.eq(None::<time::PrimitiveDateTime>),
            outbox::last_error.eq(Some(error)),
        ))
        .execute(conn)
        .map(drop)
}

/// Gives up on mail `id`, noting why, and erases the secret it carried.
pub fn mark_failed(conn: &mut DbConn, id: i64, error: &str) -> QueryResult<()> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq("failed"),
            outbox::claimed_until.eq(None::<time::PrimitiveDateTime>),
            outbox::last_error.eq(Some(error)),
            outbox::sealed_secret.eq(None::<Vec<u8>>),
            outbox::secret_key_id.eq(None::<String>),
        ))
        .execute(conn)
        .map(drop)
}

/// Deletes sent and failed mail created before `before`; returns how many.
pub fn purge(conn: &mut DbConn, before: time::PrimitiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        outbox::table
            .filter(outbox::created_at.lt(before))
            .filter(outbox::status.ne("pending")),
    )
    .execute(conn)
}

/// Every stored mail, newest first (the CLI's and the tests' view).
pub fn recent(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<OutboxRow>> {
    outbox::table
        .order(outbox::id.desc())
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(conn)
}
