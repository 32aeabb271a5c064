//! `backup --to FILE`: a consistent copy of a SQLite database taken while the server runs
//! (`VACUUM INTO`: one read transaction, so writers go on and the copy is whole). Postgres has its
//! own tools; the README gives the `pg_dump` and `pg_restore` commands.

use std::path::Path;

use diesel::RunQueryDsl;

use crate::db::DbConn;

/// Writes the backup to `to`, which must not exist; returns what to tell the operator.
pub fn backup(to: &Path) -> anyhow::Result<String> {
    if to.exists() {
        anyhow::bail!(
            "{} exists already: choose a new file (a backup never overwrites)",
            to.display()
        );
    }
    let state = super::open()?;
    let mut conn = state.database.pool.get()?;
    let DbConn::Sqlite(sqlite) = &mut **conn else {
        anyhow::bail!(
            "the database is Postgres: back it up with pg_dump (see the README's Operations section)"
        );
    };
    let target = to
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("{} is not a UTF-8 path", to.display()))?;
    // A string literal: quotes doubled, so no path can end the statement.
    let statement = format!("VACUUM INTO '{}'", target.replace('\'', "''"));
    diesel::sql_query(statement).execute(sqlite)?;
    let bytes = std::fs::metadata(to)?.len();
    Ok(format!(
        "Backed up to {} ({bytes} bytes). Keep master.key and session.key (or KWIK_MASTER_KEY and \
         KWIK_SESSION_KEY) safely beside it: they are not in the database, and without the master key \
         the sealed API secrets cannot be opened (signed requests stop working; Basic still works). \
         To restore, put the file at $KWIK_DATA_DIR/kwik.db with the same keys.",
        to.display()
    ))
}
