//! When the pool checks a Postgres connection before lending it (`db::pool::TRUSTED_FOR`): not when
//! it came back whole a moment ago, yes when it has been idle, and yes when another connection was
//! found broken since. Seen from Postgres itself: `pg_stat_activity` shows each backend's last
//! statement, which is the check's `SELECT 1` only if the pool ran it.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use kwik_dashboard::db::{self, DbConn, DbPool, PoolOptions, TRUSTED_FOR};

use crate::helpers::*;

/// A fresh Postgres database, or `None` (and a note) on SQLite, whose connections are never checked.
fn postgres() -> Option<TestDb> {
    let db = TestDb::new();
    if db.is_postgres() {
        return Some(db);
    }
    eprintln!("skipped: SQLite connections are never checked (set TEST_DATABASE_URL)");
    None
}

fn pool(db: &TestDb, size: u32) -> DbPool {
    let options = PoolOptions {
        max_size: size,
        connect_timeout: Duration::from_secs(5),
        statement_timeout: None,
    };
    db::connect(&db.url, &options).unwrap()
}

#[derive(QueryableByName)]
struct Backend {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pid: i32,
}

/// This connection's backend, after running a statement of its own that names `mark`.
fn mark(conn: &mut DbConn, mark: &str) -> i32 {
    let DbConn::Pg(pg) = conn else { unreachable!() };
    diesel::sql_query(format!("SELECT pg_backend_pid() AS pid, '{mark}' AS mark"))
        .get_result::<Backend>(pg)
        .unwrap()
        .pid
}

/// The last statement backend `pid` ran, read from another connection.
fn last_statement(db: &TestDb, pid: i32) -> String {
    #[derive(QueryableByName)]
    struct Last {
        #[diesel(sql_type = diesel::sql_types::Text)]
        query: String,
    }
    let mut watcher = PgConnection::establish(&db.url).unwrap();
    diesel::sql_query("SELECT query FROM pg_stat_activity WHERE pid = $1")
        .bind::<diesel::sql_types::Integer, _>(pid)
        .get_result::<Last>(&mut watcher)
        .unwrap()
        .query
}

#[test]
fn a_connection_back_a_moment_ago_is_lent_unchecked_and_an_idle_one_is_checked() {
    let Some(db) = postgres() else {
        return;
    };
    let pool = pool(&db, 1);
    let pid = mark(&mut pool.get().unwrap(), "first");

    // Back a moment ago: lent again as it is.
    let conn = pool.get().unwrap();
    let last = last_statement(&db, pid);
    assert!(last.contains("'first'"), "checked though just back: {last}");
    drop(conn);

    // Idle past the trust: checked first.
    std::thread::sleep(TRUSTED_FOR + Duration::from_millis(50));
    let mut conn = pool.get().unwrap();
    assert_eq!(
        last_statement(&db, pid),
        "SELECT 1",
        "lent unchecked after idling"
    );
    assert_eq!(
        mark(&mut conn, "again"),
        pid,
        "the same connection, still whole"
    );
}

#[test]
fn once_a_connection_is_found_broken_the_others_are_checked_before_they_are_lent() {
    let Some(db) = postgres() else {
        return;
    };
    let pool = pool(&db, 2);
    let mut lost = pool.get().unwrap();
    let mut kept = pool.get().unwrap();
    let lost_pid = mark(&mut lost, "lost");
    let kept_pid = mark(&mut kept, "kept");
    drop(kept);

    // The server ends one backend, as a restart would: the next statement on it fails, and it is
    // dropped as it comes back.
    PgConnection::establish(&db.url)
        .unwrap()
        .batch_execute(&format!("SELECT pg_terminate_backend({lost_pid})"))
        .unwrap();
    assert!(lost.batch_execute("SELECT 'after'").is_err());
    drop(lost);

    // The other came back whole a moment ago, but before that: checked, not trusted. (The pool may
    // have opened a replacement meanwhile: take both.)
    let (mut first, mut second) = (pool.get().unwrap(), pool.get().unwrap());
    assert_eq!(
        last_statement(&db, kept_pid),
        "SELECT 1",
        "lent unchecked after another was found broken"
    );
    let pids = [mark(&mut first, "next"), mark(&mut second, "next")];
    assert!(pids.contains(&kept_pid), "{pids:?}");
}

#[test]
fn a_connection_on_which_a_statement_failed_is_checked_before_it_is_lent_again() {
    let Some(db) = postgres() else {
        return;
    };
    let pool = pool(&db, 1);
    let mut conn = pool.get().unwrap();
    let pid = mark(&mut conn, "before");
    // A failure diesel does not count as breaking the connection (as a server ending the backend
    // mid-query can look): the connection comes back to the pool, but not trusted.
    assert!(conn.batch_execute("SELECT * FROM no_such_table").is_err());
    drop(conn);
    let mut conn = pool.get().unwrap();
    assert_eq!(
        last_statement(&db, pid),
        "SELECT 1",
        "lent unchecked after a failure"
    );
    assert_eq!(mark(&mut conn, "after"), pid, "still whole: kept");
}
