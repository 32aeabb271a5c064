//! The connection pool: how each connection is opened and set up, when a pooled one is checked
//! before it is lent, and when one is dropped instead of pooled again.

use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::{Backend, DbConn, DbPool, pg_url, sql};

/// How connections are opened and pooled.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// Maximum connections.
    pub max_size: u32,
    /// How long `get()` waits for a connection.
    pub connect_timeout: Duration,
    /// Postgres `statement_timeout`.
    pub statement_timeout: Option<Duration>,
}

/// An r2d2 connection manager that opens the backend chosen by [`Backend`] and configures each connection.
#[derive(Debug)]
pub struct ConnectionManager {
    backend: Backend,
    statement_timeout: Option<Duration>,
    /// How many connections were found broken, given back or checked. One found broken may have
    /// gone with others (a restart, a cut network): those given back before it are checked again.
    found_broken: AtomicU64,
}

/// How long after it was given back whole a Postgres connection is lent again without a check.
/// Under load a connection goes out again within a millisecond of coming back, and checking it each
/// time cost a round trip and a statement per call: as many statements as the calls themselves
/// for a signed request's replay write, a third of an uncached list page's. A connection idle for
/// longer, or given back before another was found broken, is checked as before.
pub const TRUSTED_FOR: Duration = Duration::from_millis(250);

/// A pooled connection, used as the [`DbConn`] it holds; what the pool knew when it was last given
/// back whole and trusted (when, and how many connections had been found broken by then); and
/// whether a statement failed on it since it was lent.
pub struct Pooled {
    conn: DbConn,
    returned: Option<(Instant, u64)>,
    failed: Arc<AtomicBool>,
}

/// Marks a connection on which a statement failed (diesel's instrumentation sees every one). A
/// connection whose server ended it mid-query can still look whole to diesel (its transaction
/// status is read before libpq notices the socket closed); so a connection with a failure is never
/// trusted, only checked, and the check drops a dead one.
struct Failures(Arc<AtomicBool>);

impl diesel::connection::Instrumentation for Failures {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        if let diesel::connection::InstrumentationEvent::FinishQuery { error: Some(_), .. } = event
        {
            self.0.store(true, Ordering::SeqCst);
        }
    }
}

impl Deref for Pooled {
    type Target = DbConn;

    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

impl ConnectionManager {
    /// Whether `conn` is checked before it is lent at `now`. Never on SQLite: a file handle in this
    /// process, nothing between it and the data can break. On Postgres, unless it was given back
    /// whole within [`TRUSTED_FOR`] and no connection has been found broken since.
    fn needs_check(&self, conn: &Pooled, now: Instant) -> bool {
        match (&conn.conn, conn.returned) {
            (DbConn::Sqlite(_), _) => false,
            (DbConn::Pg(_), Some((at, broken_then))) => {
                now.saturating_duration_since(at) >= TRUSTED_FOR
                    || broken_then != self.found_broken.load(Ordering::SeqCst)
            }
            (DbConn::Pg(_), None) => true,
        }
    }

    fn found_broken(&self) {
        self.found_broken.fetch_add(1, Ordering::SeqCst);
    }

    /// Opens a connection to the backend and sets it up.
    fn open(&self) -> Result<DbConn, diesel::ConnectionError> {
        match &self.backend {
            Backend::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)?;
                // busy_timeout makes writers queue instead of failing with SQLITE_BUSY. WAL (which
                // lets readers work while one writer writes) is set once in `connect`: it is kept in
                // the file, and pooled connections switching it at the same time fail with "database
                // is locked".
                conn.batch_execute(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
                     PRAGMA synchronous = NORMAL;",
                )
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                sql::register_fold_case(&mut conn)
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConn::Sqlite(conn))
            }
            Backend::Postgres(url) => {
                let mut conn = PgConnection::establish(url)?;
                // Timestamps are bound as UTC `timestamp` values into `timestamptz` columns.
                let mut setup = String::from("SET TIME ZONE 'UTC';");
                if let Some(limit) = self.statement_timeout {
                    setup.push_str(&format!("SET statement_timeout = {};", limit.as_millis()));
                }
                conn.batch_execute(&setup)
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConn::Pg(conn))
            }
        }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = Pooled;
    type Error = diesel::ConnectionError;

    fn connect(&self) -> Result<Pooled, Self::Error> {
        let mut conn = self.open()?;
        let failed = Arc::new(AtomicBool::new(false));
        if let DbConn::Pg(pg) = &mut conn {
            pg.set_instrumentation(Failures(failed.clone()));
        }
        Ok(Pooled {
            conn,
            returned: None,
            failed,
        })
    }

    fn is_valid(&self, conn: &mut Pooled) -> Result<(), Self::Error> {
        if !self.needs_check(conn, Instant::now()) {
            return Ok(());
        }
        conn.batch_execute("SELECT 1").map_err(|e| {
            self.found_broken();
            diesel::ConnectionError::CouldntSetupConfiguration(e)
        })
    }

    /// Checked as each connection comes back: diesel's rule (a transaction left open, or a
    /// transaction manager in error: how [`discard`] marks a connection, and how diesel marks one
    /// whose server is gone), and a connection given back by a thread unwinding from a panic. A
    /// broken one is dropped, not pooled again; a whole one is trusted for [`TRUSTED_FOR`], unless a
    /// statement failed on it (see [`Failures`]).
    fn has_broken(&self, conn: &mut Pooled) -> bool {
        let broken =
            std::thread::panicking() || diesel::r2d2::R2D2Connection::is_broken(&mut conn.conn);
        let failed = conn.failed.swap(false, Ordering::SeqCst);
        if broken {
            self.found_broken();
        } else if failed {
            conn.returned = None;
        } else {
            conn.returned = Some((Instant::now(), self.found_broken.load(Ordering::SeqCst)));
        }
        broken
    }
}

/// Makes the pool drop `conn` when it is given back instead of lending it again: used for a
/// connection whose call outlived its deadline, which sat on a socket that stopped answering. It
/// puts the connection's transaction manager in error, which diesel's `R2D2Connection::is_broken`
/// (and so [`ConnectionManager`]'s `has_broken`) reports; nothing runs on it after this.
pub(crate) fn discard(conn: &mut DbConn) {
    use diesel::connection::TransactionManager;
    <DbConn as TransactionManager<DbConn>>::transaction_manager_status_mut(conn).set_in_error();
}

/// Opens a pool on `database_url`, creating the SQLite file's folder if it is missing. Fails when the
/// database cannot be reached now; once running, the pool reconnects by itself after an outage. A
/// Postgres URL gets libpq's keepalive and socket timeouts unless it sets them (see `pg_url`).
pub fn connect(database_url: &str, options: &PoolOptions) -> Result<DbPool, String> {
    let backend = match Backend::from_url(database_url)? {
        Backend::Postgres(url) => {
            Backend::Postgres(pg_url::with_socket_timeouts(&url, options.connect_timeout))
        }
        sqlite => sqlite,
    };
    if let Backend::Sqlite(path) = &backend
        && let Some(dir) = Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create the database folder {}: {e}", dir.display()))?;
    }
    if let Backend::Sqlite(path) = &backend {
        let mut conn = SqliteConnection::establish(path)
            .map_err(|e| format!("cannot open the database: {e}"))?;
        conn.batch_execute("PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL;")
            .map_err(|e| format!("cannot switch the database to WAL: {e}"))?;
    }
    r2d2::Pool::builder()
        .max_size(options.max_size)
        // Keep a couple of connections warm, not the whole pool: N instances × pool size must fit
        // under the server's max_connections.
        .min_idle(Some(options.max_size.min(2)))
        .connection_timeout(options.connect_timeout)
        // Connections are checked as they are lent (unless trusted, see `TRUSTED_FOR`), so those
        // broken by an outage are replaced.
        .test_on_check_out(true)
        .event_handler(Box::new(PoolEvents))
        .build(ConnectionManager {
            backend,
            statement_timeout: options.statement_timeout,
            found_broken: AtomicU64::new(0),
        })
        .map_err(|e| format!("cannot open the database: {e}"))
}

/// Counts checkout waits and timeouts for the metrics (no-ops unless they are served).
#[derive(Debug)]
struct PoolEvents;

impl r2d2::HandleEvent for PoolEvents {
    fn handle_checkout(&self, event: r2d2::event::CheckoutEvent) {
        crate::infra::metrics::pool_checkout(event.duration());
    }

    fn handle_timeout(&self, _: r2d2::event::TimeoutEvent) {
        crate::infra::metrics::pool_timeout();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_discarded_connection_is_dropped_by_the_pool_not_lent_again() {
        let dir = tempfile::tempdir().unwrap();
        let options = PoolOptions {
            max_size: 1,
            connect_timeout: Duration::from_secs(5),
            statement_timeout: None,
        };
        let pool = connect(&dir.path().join("t.db").to_string_lossy(), &options).unwrap();
        let marked = |conn: &mut DbConn| conn.batch_execute("SELECT * FROM marker").is_ok();
        let mut conn = pool.get().unwrap();
        conn.batch_execute("CREATE TEMP TABLE marker (x)").unwrap();
        drop(conn);
        let mut conn = pool.get().unwrap();
        assert!(marked(&mut conn), "a connection given back is lent again");
        discard(&mut conn);
        drop(conn);
        let mut conn = pool.get().unwrap();
        assert!(!marked(&mut conn), "the discarded one was replaced");
    }
}
