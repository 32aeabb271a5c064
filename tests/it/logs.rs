//! `KWIK_LOG_FORMAT=json`: every line of the real binary's log is one JSON object, and each page
//! request has an access line with its request id, route, status and duration.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::TestDb;

fn start(db: &TestDb, format: &str) -> (std::process::Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_kwik-dashboard"))
        .current_dir(db.dir.path())
        .env_clear()
        .env("KWIK_DATA_DIR", db.dir.path())
        .env("DATABASE_URL", &db.url)
        .env("KWIK_BIND", format!("127.0.0.1:{port}"))
        .env("KWIK_LOG_FORMAT", format)
        .env("KWIK_ARGON2_MEMORY_KIB", "256")
        .env("KWIK_ARGON2_ITERATIONS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (child, port)
}

fn get(port: u16, path: &str) -> Option<String> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .ok()?;
    let mut answer = String::new();
    s.read_to_string(&mut answer).ok()?;
    Some(answer)
}

fn stop(mut child: std::process::Child) -> String {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    child.wait().unwrap();
    log
}

#[test]
fn json_logs_are_one_object_a_line_with_an_access_line_per_request() {
    let db = TestDb::new();
    let (child, port) = start(&db, "json");
    let ready = Instant::now();
    while get(port, "/healthz").is_none() {
        assert!(
            ready.elapsed() < Duration::from_secs(20),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(get(port, "/login").unwrap().starts_with("HTTP/1.1 200"));
    assert!(
        get(port, "/no-such-page")
            .unwrap()
            .starts_with("HTTP/1.1 404")
    );
    let log = stop(child);
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(lines.len() >= 4, "{log}");
    let access: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["target"] == "kwik_dashboard::access")
        .collect();
    let login = access
        .iter()
        .find(|l| l["fields"]["route"] == "/login")
        .unwrap_or_else(|| panic!("no access line for /login:\n{log}"));
    assert_eq!(login["level"], "INFO");
    assert_eq!(login["fields"]["status"], 200);
    assert_eq!(login["fields"]["method"], "GET");
    assert!(login["fields"]["duration_ms"].as_f64().unwrap() >= 0.0);
    let id = login["fields"]["request_id"].as_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    assert!(access.iter().any(|l| l["fields"]["status"] == 404), "{log}");
    // The start-up lines are JSON too, and the stop is logged.
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "serving the Kwik dashboard")
    );
}

#[test]
fn text_logs_stay_the_default_without_access_lines() {
    let db = TestDb::new();
    let (child, port) = start(&db, "text");
    let ready = Instant::now();
    while get(port, "/healthz").is_none() {
        assert!(
            ready.elapsed() < Duration::from_secs(20),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    get(port, "/login").unwrap();
    let log = stop(child);
    assert!(log.contains("serving the Kwik dashboard"), "{log}");
    assert!(!log.contains("kwik_dashboard::access"), "{log}");
    assert!(!log.trim_start().starts_with('{'));
}

#[test]
fn an_unknown_log_format_is_refused_in_one_line() {
    let db = TestDb::new();
    let out = Command::new(env!("CARGO_BIN_EXE_kwik-dashboard"))
        .current_dir(db.dir.path())
        .env_clear()
        .env("KWIK_DATA_DIR", db.dir.path())
        .env("KWIK_LOG_FORMAT", "xml")
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "error: KWIK_LOG_FORMAT: cannot understand \"xml\"; use text or json"
    );
}
