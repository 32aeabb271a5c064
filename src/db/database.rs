//! The pool and the threads its calls run on. Every database call of a request goes through
//! [`Database::call`]: diesel blocks, so it runs on the database threads (one per pooled connection),
//! never on an async worker.

use super::{DbConn, DbError, DbPool};
use crate::infra::threads::Threads;

/// A pool with its call threads; cheap to clone.
#[derive(Clone)]
pub struct Database {
    /// The connections.
    pub pool: DbPool,
    /// The threads calls run on.
    pub threads: Threads,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").finish_non_exhaustive()
    }
}

impl Database {
    /// Runs `f` with a pooled connection on the database threads and waits (asynchronously) for it.
    pub async fn call<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        self.threads
            .run(move || {
                let mut conn = pool.get().map_err(|e| E::from(DbError::from(e)))?;
                f(&mut conn)
            })
            .await
            .map_err(|e| E::from(DbError::Stopped(e)))?
    }

    /// Queues `f` on the database threads; nothing waits for it. A connection that cannot be had is
    /// logged, and `f` does not run.
    pub fn spawn(&self, f: impl FnOnce(&mut DbConn) + Send + 'static) {
        let pool = self.pool.clone();
        self.threads.spawn(move || match pool.get() {
            Ok(mut conn) => f(&mut conn),
            Err(e) => tracing::warn!(error = %e, "background database call skipped"),
        });
    }
}
