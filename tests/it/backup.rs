//! `backup --to`: a consistent copy of the SQLite database taken while writes go on, which restores
//! into a fresh data directory where the tokens verify and the History is whole.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::helpers::*;

fn kwik(dir: &std::path::Path, url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kwik-dashboard"));
    cmd.current_dir(dir)
        .env_clear()
        .env("KWIK_DATA_DIR", dir)
        .env("DATABASE_URL", url)
        // The test app's keys (helpers::test_config): a restore needs the same ones.
        .env("KWIK_MASTER_KEY", STANDARD.encode([5u8; 32]))
        .env("KWIK_SESSION_KEY", STANDARD.encode([7u8; 64]))
        .env("KWIK_LOG", "warn");
    cmd
}

fn count(url: &str, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut c = SqliteConnection::establish(url).unwrap();
    diesel::sql_query(sql).get_result::<N>(&mut c).unwrap().n
}

#[actix_web::test]
async fn a_backup_taken_under_writes_restores_with_working_tokens_and_the_whole_history() {
    let app = spawn_app().await;
    if app.db.is_postgres() {
        let out = kwik(app.db.dir.path(), &app.db.url)
            .args(["backup", "--to", "x.db"])
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
        return;
    }
    // A reader that stays in its transaction keeps SQLite from checkpointing what comes after it
    // out of the write-ahead log: the tokens below live only in the log, so a copy of the database
    // file alone would lose them. A real backup must not.
    let mut reader = SqliteConnection::establish(&app.db.url).unwrap();
    reader
        .batch_execute("BEGIN; SELECT count(*) FROM merchants;")
        .unwrap();
    app.logged_in_admin("Shop", "ana@shop.test").await;
    let mut tokens = Vec::new();
    for name in ["Till", "Payroll", "Website"] {
        tokens.push(app.issue_token(name, &["orders"], "read_only").await);
    }
    // Writes go on while the backup runs: a second connection adds rows as fast as it can.
    let writing = Arc::new(AtomicBool::new(true));
    let writer = {
        let (url, writing) = (app.db.url.clone(), writing.clone());
        std::thread::spawn(move || {
            let mut c = SqliteConnection::establish(&url).unwrap();
            c.batch_execute("PRAGMA busy_timeout = 5000").unwrap();
            let mut n = 0;
            while writing.load(Ordering::SeqCst) {
                c.batch_execute(
                    "INSERT INTO login_failures (scope_key, created_at) VALUES ('email:load@x', '2026-12-02 00:00:00')",
                )
                .unwrap();
                n += 1;
            }
            n
        })
    };
    std::thread::sleep(Duration::from_millis(200));
    let backup = app.db.dir.path().join("backups").join("kwik-backup.db");
    std::fs::create_dir_all(backup.parent().unwrap()).unwrap();
    let started = Instant::now();
    let out = kwik(app.db.dir.path(), &app.db.url)
        .args(["backup", "--to", backup.to_str().unwrap()])
        .output()
        .unwrap();
    let took = started.elapsed();
    reader.batch_execute("COMMIT").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    writing.store(false, Ordering::SeqCst);
    let written = writer.join().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("Keep master.key and session.key"), "{said}");
    assert!(written > 10, "the writer ran: {written} rows");
    eprintln!("backup under {written} concurrent inserts took {took:?}");
    // Never over an existing file.
    let again = kwik(app.db.dir.path(), &app.db.url)
        .args(["backup", "--to", backup.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));

    // Restore: the file as kwik.db of a fresh data directory, the same keys.
    let fresh = tempfile::tempdir().unwrap();
    let restored = fresh.path().join("kwik.db");
    std::fs::copy(&backup, &restored).unwrap();
    let url = restored.to_str().unwrap().to_owned();
    let mut c = SqliteConnection::establish(&url).unwrap();
    #[derive(QueryableByName)]
    struct Check {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }
    let check: Check = diesel::sql_query("PRAGMA integrity_check")
        .get_result(&mut c)
        .unwrap();
    assert_eq!(check.integrity_check, "ok");
    assert_eq!(count(&url, "SELECT count(*) AS n FROM access_tokens"), 3);
    assert_eq!(
        count(
            &url,
            "SELECT count(*) AS n FROM audit_events WHERE event = 'token.created'"
        ),
        3,
        "the History is whole"
    );
    assert_eq!(
        count(&url, "SELECT count(*) AS n FROM audit_events"),
        count(&app.db.url, "SELECT count(*) AS n FROM audit_events"),
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = kwik(fresh.path(), &url)
        .env("KWIK_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let whoami = |auth: &str| -> Option<String> {
        use std::io::Write;
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        let req = format!(
            "GET /api/v2/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nConnection: close\r\n\r\n"
        );
        s.write_all(req.as_bytes()).ok()?;
        let mut answer = String::new();
        s.read_to_string(&mut answer).ok()?;
        Some(answer)
    };
    let ready = Instant::now();
    let mut first = None;
    while first.is_none() {
        first = whoami(&tokens[0].basic_auth());
        assert!(
            ready.elapsed() < Duration::from_secs(20),
            "the restored server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    for token in &tokens {
        let answer = whoami(&token.basic_auth()).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    server.kill().unwrap();
    let _ = server.wait();
}
