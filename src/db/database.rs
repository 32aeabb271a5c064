//! The pool and the threads its calls run on. Every database call of a request goes through
//! [`Database::call`]: diesel blocks, so it runs on the database threads (one per pooled connection),
//! never on an async worker.
//!
//! Every call has a deadline, counted from when it is asked, so that waiting behind busy or stuck
//! threads counts too: past it the caller gets [`DbError::TimedOut`] at once, whatever the database
//! does. A call still waiting for a thread or a connection then never runs. One already running
//! cannot be stopped (diesel blocks inside libpq), so it goes on until the socket answers or gives
//! up (see `pg_url`), and its connection is then discarded instead of going back to the pool: it sat
//! on a socket that stopped answering, and nothing says its session is in a state to trust.

use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::{DbConn, DbError, DbPool};
use crate::infra::threads::{Batched, Joined, Threads};

/// A pool with its call threads; cheap to clone.
#[derive(Clone)]
pub struct Database {
    /// The connections.
    pub pool: DbPool,
    /// The threads calls run on.
    pub threads: Threads,
    /// How long [`Database::call`] waits for an answer (`KWIK_DB_CALL_TIMEOUT_MS`).
    pub deadline: Duration,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// Runs `f` with a pooled connection on the database threads and waits (asynchronously) for it,
    /// at most [`Database::deadline`] (see the module's notes).
    pub async fn call<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.call_within(self.deadline, f).await
    }

    /// [`Database::call`] with a deadline of its own: shorter for verifying credentials and for
    /// readiness checks, whose callers should hear "unavailable" before they give up themselves.
    pub async fn call_within<T, E, F>(&self, deadline: Duration, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let given_up = Arc::new(AtomicBool::new(false));
        let (pool, late) = (self.pool.clone(), given_up.clone());
        let answer = self.threads.run(move || attend(&pool, &late, f));
        match tokio::time::timeout(deadline, answer).await {
            Ok(Ok(Some(answer))) => answer,
            // Not run: only when the deadline had passed, so this is never awaited; kept total.
            Ok(Ok(None)) => Err(E::from(DbError::TimedOut(deadline))),
            Ok(Err(stopped)) => Err(E::from(DbError::Stopped(stopped))),
            Err(_) => {
                given_up.store(true, Ordering::SeqCst);
                Err(E::from(DbError::TimedOut(deadline)))
            }
        }
    }

    /// [`Database::call`] for a read that the calls for the same `key` queued at the same time share
    /// (see [`Joined`]). Each caller keeps its own deadline. The run starts only if one of its
    /// callers still waits; and once the caller that queued it has given up (the earliest deadline
    /// of them all), the run is late and its connection is discarded when it ends.
    pub async fn call_joined<K, T, F>(
        &self,
        joined: &Joined<K, Result<T, Arc<DbError>>>,
        key: K,
        f: F,
    ) -> Result<T, Arc<DbError>>
    where
        K: Hash + Eq + Clone + Send + 'static,
        T: Clone + Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, DbError> + Send + 'static,
    {
        let given_up = Arc::new(AtomicBool::new(false));
        let (pool, late) = (self.pool.clone(), given_up.clone());
        let answer = joined.run(&self.threads, key, move || {
            let mut conn = pool.get().map_err(|e| Arc::new(DbError::from(e)))?;
            let answer = f(&mut conn).map_err(Arc::new);
            if late.load(Ordering::SeqCst) {
                super::discard(&mut conn);
            }
            answer
        });
        match tokio::time::timeout(self.deadline, answer).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(stopped)) => Err(Arc::new(DbError::Stopped(stopped))),
            Err(_) => {
                given_up.store(true, Ordering::SeqCst);
                Err(Arc::new(DbError::TimedOut(self.deadline)))
            }
        }
    }

    /// A write that the calls queued at the same time share (see [`Batched`], whose own threads it
    /// runs on): `f` gets every waiting caller's item on one connection and answers each, in order. Each caller waits at
    /// most `deadline`; an error of the run is every caller's.
    pub async fn call_batched<I, T, F>(
        &self,
        batched: &Batched<I, Result<T, Arc<DbError>>>,
        deadline: Duration,
        item: I,
        f: F,
    ) -> Result<T, Arc<DbError>>
    where
        I: Send + 'static,
        T: Send + 'static,
        F: FnOnce(&mut DbConn, &[I]) -> Result<Vec<T>, DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let answer = batched.run(item, move |items| {
            let run = pool.get().map_err(DbError::from).and_then(|mut conn| {
                let started = std::time::Instant::now();
                let answer = f(&mut conn, &items);
                // Its callers gave up meanwhile: the connection sat on a socket that stopped
                // answering, and goes (as a late call's does).
                if started.elapsed() > deadline {
                    super::discard(&mut conn);
                }
                answer
            });
            match run {
                Ok(answers) => answers.into_iter().map(Ok).collect(),
                Err(e) => {
                    let e = Arc::new(e);
                    items.iter().map(|_| Err(e.clone())).collect()
                }
            }
        });
        match tokio::time::timeout(deadline, answer).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(stopped)) => Err(Arc::new(DbError::Stopped(stopped))),
            Err(_) => Err(Arc::new(DbError::TimedOut(deadline))),
        }
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

/// On a database thread: runs `f` on a pooled connection unless its caller has given up by the time
/// a thread and a connection are free (`None`), and discards the connection if the caller gave up
/// while `f` ran.
fn attend<T, E, F>(pool: &DbPool, given_up: &AtomicBool, f: F) -> Option<Result<T, E>>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<DbError>,
{
    if given_up.load(Ordering::SeqCst) {
        return None;
    }
    let mut conn = match pool.get() {
        Ok(conn) => conn,
        Err(e) => return Some(Err(E::from(DbError::from(e)))),
    };
    if given_up.load(Ordering::SeqCst) {
        // Just checked out (and checked): it goes back to the pool unused.
        return None;
    }
    let answer = f(&mut conn);
    if given_up.load(Ordering::SeqCst) {
        super::discard(&mut conn);
    }
    Some(answer)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::time::Instant;

    use diesel::connection::SimpleConnection;

    use super::*;
    use crate::infra::threads::Priority;

    /// A database on a temp SQLite file with one connection and one thread, answering within 200 ms.
    fn one_connection(dir: &tempfile::TempDir) -> Database {
        let options = crate::db::PoolOptions {
            max_size: 1,
            connect_timeout: Duration::from_secs(5),
            statement_timeout: None,
        };
        let path = dir.path().join("t.db");
        Database {
            pool: crate::db::connect(&path.to_string_lossy(), &options).unwrap(),
            threads: Threads::new("test-db", 1, Priority::Batch).unwrap(),
            deadline: Duration::from_millis(200),
        }
    }

    /// Whether the connection the next call gets is the one that made the temp table `marker`.
    async fn same_connection_as_the_marked_one(db: &Database) -> bool {
        db.call_within(Duration::from_secs(5), |c| {
            Ok::<_, DbError>(c.batch_execute("SELECT * FROM marker").is_ok())
        })
        .await
        .unwrap()
    }

    #[actix_web::test]
    async fn a_call_in_time_answers_and_its_connection_is_pooled_again() {
        let dir = tempfile::tempdir().unwrap();
        let db = one_connection(&dir);
        db.call(|c| {
            c.batch_execute("CREATE TEMP TABLE marker (x)")
                .map_err(DbError::from)
        })
        .await
        .unwrap();
        assert!(same_connection_as_the_marked_one(&db).await);
    }

    #[actix_web::test]
    async fn past_its_deadline_a_call_answers_at_once_and_its_connection_is_discarded() {
        let dir = tempfile::tempdir().unwrap();
        let db = one_connection(&dir);
        let started = Instant::now();
        let stuck: Result<(), DbError> = db
            .call(|c| {
                c.batch_execute("CREATE TEMP TABLE marker (x)")?;
                // A query on a socket that stopped answering.
                std::thread::sleep(Duration::from_millis(600));
                Ok(())
            })
            .await;
        let waited = started.elapsed();
        assert!(matches!(stuck, Err(DbError::TimedOut(_))), "{stuck:?}");
        assert!(stuck.unwrap_err().is_connection_lost());
        assert!(waited < Duration::from_millis(450), "{waited:?}");
        // The next call waits for the stuck one's thread, then gets a new connection.
        assert!(!same_connection_as_the_marked_one(&db).await);
    }

    #[actix_web::test]
    async fn a_call_queued_behind_a_stuck_one_times_out_at_its_own_deadline_and_never_runs() {
        let dir = tempfile::tempdir().unwrap();
        let db = one_connection(&dir);
        let ran = Arc::new(AtomicUsize::new(0));
        let stuck = db.call_within(Duration::from_secs(5), |_| {
            std::thread::sleep(Duration::from_millis(700));
            Ok::<_, DbError>(())
        });
        let queued = {
            let (ran, db) = (ran.clone(), db.clone());
            async move {
                let started = Instant::now();
                let answer = db
                    .call(move |_| {
                        ran.fetch_add(1, Ordering::SeqCst);
                        Ok::<_, DbError>(())
                    })
                    .await;
                (answer, started.elapsed())
            }
        };
        let (stuck, (queued, waited)) = futures_util::future::join(stuck, queued).await;
        stuck.unwrap();
        assert!(matches!(queued, Err(DbError::TimedOut(_))), "{queued:?}");
        assert!(waited < Duration::from_millis(450), "{waited:?}");
        // The thread is free again; the abandoned call was skipped, not run late.
        db.call(|_| Ok::<_, DbError>(())).await.unwrap();
        assert_eq!(ran.load(Ordering::SeqCst), 0);
    }

    #[actix_web::test]
    async fn a_joined_read_past_its_deadline_answers_at_once_and_discards_its_connection() {
        let dir = tempfile::tempdir().unwrap();
        let db = one_connection(&dir);
        let joined = Joined::<u8, Result<u8, Arc<DbError>>>::default();
        let started = Instant::now();
        let stuck = db
            .call_joined(&joined, 1, |c| {
                c.batch_execute("CREATE TEMP TABLE marker (x)")?;
                std::thread::sleep(Duration::from_millis(600));
                Ok(1)
            })
            .await;
        assert!(matches!(
            stuck.as_ref().map_err(|e| &**e),
            Err(DbError::TimedOut(_))
        ));
        assert!(started.elapsed() < Duration::from_millis(450));
        assert!(!same_connection_as_the_marked_one(&db).await);
        assert_eq!(db.call_joined(&joined, 1, |_| Ok(2)).await.unwrap(), 2);
    }
}
