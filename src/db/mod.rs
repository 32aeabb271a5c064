//! Database access: one connection type over SQLite and Postgres, its pool, and the embedded migrations.

mod database;
pub mod listen;
mod migrate;
pub mod models;
mod pg_url;
mod pool;
pub mod schema;
pub mod sql;
pub mod stamp;

pub(crate) use sql::on_backend;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

/// A connection to whichever backend `DATABASE_URL` names.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    /// The embedded default.
    Sqlite(SqliteConnection),
    /// For several instances sharing one database.
    Pg(PgConnection),
}

impl DbConn {
    /// Runs `f` in a transaction that writes. On SQLite it begins with `BEGIN IMMEDIATE`, taking the
    /// write lock before the first read: a deferred `BEGIN` that reads and then writes fails at once
    /// with "database is locked" when another writer committed in between (its snapshot cannot be
    /// upgraded, so `busy_timeout` does not help), while an immediate one queues behind the other
    /// writer. Found by 200 concurrent rolls (`tests/it/crash`). On Postgres, and inside a
    /// transaction already open, a plain (nested) transaction.
    pub fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        use diesel::connection::{AnsiTransactionManager, TransactionManager};
        type Manager = DbConn;
        let open = <Manager as TransactionManager<DbConn>>::transaction_manager_status_mut(self)
            .transaction_depth()?
            .is_some();
        let DbConn::Sqlite(sqlite) = self else {
            return self.transaction(f);
        };
        if open {
            return self.transaction(f);
        }
        AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
        match f(self) {
            Ok(value) => {
                <Manager as TransactionManager<DbConn>>::commit_transaction(self)?;
                Ok(value)
            }
            Err(e) => {
                // A failed rollback leaves the transaction manager in error: the pool then drops
                // the connection (`has_broken`). The caller hears the first error.
                let _ = <Manager as TransactionManager<DbConn>>::rollback_transaction(self);
                Err(e)
            }
        }
    }
}

/// A pool of [`DbConn`].
pub type DbPool = r2d2::Pool<ConnectionManager>;

/// Anything that can go wrong between the application and its database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection could be had (database down, pool exhausted past its timeout).
    #[error("database unavailable")]
    Unavailable(#[from] r2d2::Error),
    /// A query failed.
    #[error("database query failed")]
    Query(#[from] diesel::result::Error),
    /// Migrations could not be applied.
    #[error("database migration failed: {0}")]
    Migration(String),
    /// The call gave no answer (it panicked, or the database threads stopped).
    #[error(transparent)]
    Stopped(#[from] crate::infra::threads::Stopped),
    /// The call did not end within its deadline (see [`Database::call`]): the database, or the
    /// network to it, stopped answering, or every database thread is held by calls that did.
    #[error("the database did not answer within {0:?}")]
    TimedOut(Duration),
    /// The error of a call that answered several requests at once (see [`Database::call_batched`]).
    #[error(transparent)]
    Shared(std::sync::Arc<DbError>),
}

pub use database::Database;
pub use migrate::migrate;
pub(crate) use pool::discard;
pub use pool::{ConnectionManager, PoolOptions, Pooled, TRUSTED_FOR, connect};

impl DbError {
    /// Whether the database, not the query, failed: the connection was closed, reset or lost in
    /// the middle of the call (a restart, a failover, a cut network), or stopped answering until the
    /// call's deadline (its connection is then discarded: lost too). The request can be tried
    /// again; it is no bug.
    pub fn is_connection_lost(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            Self::Unavailable(_) | Self::TimedOut(_) => true,
            Self::Query(Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            )) => true,
            // A transaction whose connection died cannot even be rolled back.
            Self::Query(Error::BrokenTransactionManager) => true,
            Self::Shared(e) => e.is_connection_lost(),
            _ => false,
        }
    }
}

/// Which backend a database URL names, decided by its scheme (never by trying each in turn, which
/// would hide the real connection error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file path (`sqlite://` prefix optional).
    Sqlite(String),
    /// A `postgres://` or `postgresql://` URL.
    Postgres(String),
}

impl Backend {
    /// Picks the backend from the URL's scheme; an unknown scheme is an error that names it.
    pub fn from_url(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        if let Some(path) = url.strip_prefix("sqlite://") {
            return Ok(Self::Sqlite(path.to_owned()));
        }
        if let Some((scheme, _)) = url.split_once("://") {
            return Err(format!(
                "DATABASE_URL: unknown scheme {scheme:?}; use a SQLite path, sqlite://, postgres:// or postgresql://"
            ));
        }
        if url.is_empty() {
            return Err("DATABASE_URL is empty".into());
        }
        Ok(Self::Sqlite(url.to_owned()))
    }
}

/// How many threads database calls run on (`threads`).
///
/// On Postgres, one per pooled connection: a call mostly waits for the network, so calls overlap. On
/// SQLite a call is CPU work on a local file, so threads beyond the CPUs only take turns (and each
/// keeps its own connection's page cache and allocator arena warm). Two at least, so a writer
/// waiting for the lock does not hold up every reader. Measured with `bench/run.py` on 1 CPU: 2
/// threads served the list page as fast as 10, with a login-storm peak RSS 8 MB lower.
pub fn call_threads(database_url: &str, pool_size: u32) -> usize {
    let pool_size = pool_size.max(1) as usize;
    match Backend::from_url(database_url) {
        Ok(Backend::Sqlite(_)) => {
            let cpus = std::thread::available_parallelism().map_or(1, usize::from);
            cpus.max(2).min(pool_size)
        }
        _ => pool_size,
    }
}

diesel::define_sql_function!(
    /// SQL `lower()`: Unicode case folding on Postgres, ASCII only on SQLite.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text
);

/// The current time in UTC, as stored in every timestamp column. Set here, not by SQL defaults, so
/// SQLite and Postgres keep the same precision.
pub fn now() -> time::PrimitiveDateTime {
    let now = time::OffsetDateTime::now_utc();
    time::PrimitiveDateTime::new(now.date(), now.time())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_get_a_thread_per_connection_on_postgres_and_about_one_per_cpu_on_sqlite() {
        assert_eq!(call_threads("postgres://u@h/db", 10), 10);
        assert_eq!(call_threads("postgresql://u@h/db", 3), 3);
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        assert_eq!(call_threads("/tmp/kwik.db", 64), cpus.max(2));
        assert_eq!(call_threads("sqlite:///tmp/kwik.db", 1), 1);
        assert_eq!(call_threads("/tmp/kwik.db", 0), 1);
    }

    /// `.cargo/config.toml` builds the bundled SQLite with these: without QPSG a page re-plans its
    /// query on every call, and without multi-thread mode every column read locks a mutex.
    #[test]
    fn the_bundled_sqlite_is_built_with_the_projects_flags() {
        #[derive(QueryableByName)]
        struct Opt {
            #[diesel(sql_type = diesel::sql_types::Text)]
            compile_options: String,
        }
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let opts: Vec<String> =
            diesel::sql_query("SELECT compile_options FROM pragma_compile_options")
                .load::<Opt>(&mut conn)
                .unwrap()
                .into_iter()
                .map(|o| o.compile_options)
                .collect();
        for want in ["ENABLE_QPSG", "THREADSAFE=2"] {
            assert!(opts.iter().any(|o| o == want), "{want} is not in {opts:?}");
        }
    }

    #[test]
    fn the_backend_comes_from_the_url_scheme() {
        assert_eq!(
            Backend::from_url("data/kwik.db"),
            Ok(Backend::Sqlite("data/kwik.db".into()))
        );
        assert_eq!(
            Backend::from_url("sqlite:///tmp/x.db"),
            Ok(Backend::Sqlite("/tmp/x.db".into()))
        );
        assert!(matches!(
            Backend::from_url("postgres://u@h/db"),
            Ok(Backend::Postgres(_))
        ));
        assert!(matches!(
            Backend::from_url("postgresql://u@h/db"),
            Ok(Backend::Postgres(_))
        ));
        let err = Backend::from_url("mysql://u@h/db").unwrap_err();
        assert!(err.contains("\"mysql\""), "{err}");
    }
}
