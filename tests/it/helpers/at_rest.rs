//! No credential at rest: every API_KEY and API_SECRET a test is shown is remembered (on its
//! thread), and when the test's database goes, its files (the SQLite database, its write-ahead log,
//! the logs of any server binary the test ran) or a `pg_dump` of its Postgres database are searched
//! for each of them, for its random part alone, and for its Basic header. One found fails the test.

use std::cell::RefCell;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

thread_local! {
    /// The current test's credentials: (API_KEY, API_SECRET) halves as they were revealed.
    static REVEALED: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
}

/// Remembers a credential a reveal showed (`api_key`, `api_secret`; a public key is public).
pub fn remember(which: &str, value: &str) {
    REVEALED.with(|r| {
        let mut r = r.borrow_mut();
        match which {
            "api_key" => r.push((value.to_owned(), String::new())),
            "api_secret" => match r.last_mut() {
                Some((_, secret)) if secret.is_empty() => *secret = value.to_owned(),
                _ => r.push((String::new(), value.to_owned())),
            },
            _ => {}
        }
    });
}

/// Every string that must never be at rest, for what this thread (one test) was shown.
fn needles() -> Vec<String> {
    let pairs = REVEALED.with(|r| r.borrow().clone());
    let mut needles = Vec::new();
    for (key, secret) in pairs {
        if !key.is_empty() && !secret.is_empty() {
            needles.push(STANDARD.encode(format!("{key}:{secret}")));
        }
        for (prefix, value) in [("kwik_ak_", key), ("kwik_sk_", secret)] {
            if value.is_empty() {
                continue;
            }
            needles.push(value.trim_start_matches(prefix).to_owned());
            needles.push(value);
        }
    }
    needles
}

/// The needles found in `bytes`, as short labels (never the credential itself).
pub fn found_in(bytes: &[u8], needles: &[String]) -> Vec<String> {
    needles
        .iter()
        .filter(|n| !n.is_empty() && bytes.windows(n.len()).any(|w| w == n.as_bytes()))
        .map(|n| format!("{}…", &n[..8.min(n.len())]))
        .collect()
}

/// Fails (panics) when any credential this thread was shown is in `dir`'s files or in a dump of
/// the Postgres database at `postgres_url`.
pub fn assert_none_at_rest(dir: &Path, postgres_url: Option<&str>) {
    let needles = needles();
    if needles.is_empty() {
        return;
    }
    let mut hits = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.is_file());
    for path in files {
        if let Ok(bytes) = std::fs::read(&path) {
            for label in found_in(&bytes, &needles) {
                hits.push(format!("{label} in {}", path.display()));
            }
        }
    }
    if let Some(url) = postgres_url {
        let dump = std::process::Command::new("pg_dump")
            .args(["--data-only", "--no-owner", "--dbname", url])
            .output()
            .expect("pg_dump, to search the database for credentials");
        assert!(
            dump.status.success(),
            "pg_dump failed: {}",
            String::from_utf8_lossy(&dump.stderr)
        );
        for label in found_in(&dump.stdout, &needles) {
            hits.push(format!("{label} in pg_dump"));
        }
    }
    assert!(hits.is_empty(), "credentials at rest: {hits:?}");
}

#[test]
fn a_planted_secret_is_found_and_a_clean_file_passes() {
    let dir = tempfile::TempDir::new().unwrap();
    let secret = "kwik_sk_0123456789abcdefghijABCDEFGHIJ0123456789abc3jZRME";
    remember("api_key", "kwik_ak_3F9qLm2Xx7Lm0123456789abcdefAB");
    remember("api_secret", secret);
    std::fs::write(dir.path().join("clean.log"), "nothing here").unwrap();
    assert_none_at_rest(dir.path(), None);
    std::fs::write(dir.path().join("leak.log"), format!("a {} b", &secret[8..])).unwrap();
    let caught = std::panic::catch_unwind(|| assert_none_at_rest(dir.path(), None));
    assert!(caught.is_err(), "a planted secret went unnoticed");
}
