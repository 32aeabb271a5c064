//! The schema's migrations, embedded for each backend, and the start-up step that applies them.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{DbConn, DbError, models};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Applies every pending migration of the connection's backend.
pub fn migrate(conn: &mut DbConn) -> Result<(), DbError> {
    let failed = |e: &dyn std::fmt::Display| DbError::Migration(e.to_string());
    let applied = match conn {
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConn::Pg(c) => {
            // A migration may read or rewrite every token (a million at scale, for minutes): it runs
            // without the statement timeout meant for requests, which the connection gets back.
            c.batch_execute(
                "SELECT set_config('kwik.statement_timeout', current_setting('statement_timeout'), \
                 false); SET statement_timeout = 0;",
            )
            .map_err(|e| failed(&e))?;
            let applied = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len());
            let restored = c.batch_execute(
                "SELECT set_config('statement_timeout', \
                 current_setting('kwik.statement_timeout'), false);",
            );
            // A failed migration's own error comes first.
            let applied = applied.map_err(|e| failed(&e))?;
            restored.map_err(|e| failed(&e))?;
            Ok(applied)
        }
    }
    .map_err(|e| failed(&e))?;
    if applied > 0 {
        tracing::info!(applied, "database migrations applied");
    }
    let keyed = conn
        .transaction(models::access_token::backfill_name_keys)
        .map_err(DbError::Query)?;
    if keyed > 0 {
        tracing::info!(tokens = keyed, "name sort keys written");
    }
    Ok(())
}
