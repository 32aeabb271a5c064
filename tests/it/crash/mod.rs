//! Crash safety with the real binary: 200 changes at once from several signed-in sessions, the
//! server `kill -9`ed in the middle, then started again on the same database (SQLite, or Postgres
//! with `TEST_DATABASE_URL`). Every change that answered is whole and works; every change that did
//! not is either whole or absent, never half-written; the History holds one entry per change. And
//! the database cut under load instead of the app.

mod database;
mod mail;
mod team;
mod tokens;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use kwik_dashboard::db::schema::audit_events;
use kwik_dashboard::domain::credentials::verify::sign;

use crate::helpers::*;

/// Changes sent at once.
const CHANGES: usize = 200;
/// Answers awaited before the kill: about a quarter of the changes are through, the rest in flight.
const KILL_AFTER: usize = 50;
/// Signed-in sessions the changes are spread over.
const SESSIONS: usize = 4;

/// What the race left: the answer each change got (`None`: cut by the kill).
struct Raced<T> {
    got: Vec<Option<T>>,
}

impl<T> Raced<T> {
    fn answered(&self) -> impl Iterator<Item = (usize, &T)> {
        self.got
            .iter()
            .enumerate()
            .filter_map(|(i, g)| g.as_ref().map(|t| (i, t)))
    }
}

/// Runs `CHANGES` copies of `change` at once, each on a thread of its own with a copy of one of
/// `sessions`, and `kill -9`s `server` once `KILL_AFTER` of them have answered. `change(i, client)`
/// gives what change `i` answered, or `None` when it got no whole answer.
fn race_and_kill<T: Send + 'static>(
    server: Server,
    sessions: &[Client],
    change: impl Fn(usize, &mut Client) -> Option<T> + Send + Sync + 'static,
) -> Raced<T> {
    let change = Arc::new(change);
    let answered = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(CHANGES + 1));
    let threads: Vec<_> = (0..CHANGES)
        .map(|i| {
            let (change, answered, start) = (change.clone(), answered.clone(), start.clone());
            let mut client = sessions[i % sessions.len()].clone();
            std::thread::spawn(move || {
                start.wait();
                let got = change(i, &mut client);
                if got.is_some() {
                    answered.fetch_add(1, Ordering::SeqCst);
                }
                got
            })
        })
        .collect();
    start.wait();
    let racing = Instant::now();
    while answered.load(Ordering::SeqCst) < KILL_AFTER {
        assert!(
            racing.elapsed() < Duration::from_secs(120),
            "only {} of {CHANGES} changes answered:\n{}",
            answered.load(Ordering::SeqCst),
            server.log()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let answered_at_kill = answered.load(Ordering::SeqCst);
    let log = server.kill9();
    if let Some(at) = log.find(" ERROR ") {
        let end = log.len().min(at + 3000);
        panic!("an error logged under load:\n{}", &log[at..end]);
    }
    let got: Vec<Option<T>> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let raced = Raced { got };
    let through = raced.answered().count();
    eprintln!(
        "{through} of {CHANGES} changes answered ({answered_at_kill} when the kill was sent), {} cut",
        CHANGES - through
    );
    assert!(
        through < CHANGES,
        "every change answered before the kill landed: nothing was in flight"
    );
    raced
}

/// Starts the binary on `app`'s database again after the kill: it must start cleanly (migrations,
/// no error logged) and be ready.
fn restart(app: &TestApp) -> Server {
    let server = Server::start(&app.db, &app.db.url, &[]);
    let log = server.log();
    assert!(
        !log.contains("ERROR") && !log.contains("panicked"),
        "the restart logged an error:\n{log}"
    );
    server
}

/// `count` sessions of admins of one merchant, signed in to `server` through the login form.
fn admin_sessions(app: &TestApp, server: &Server, count: usize) -> Vec<Client> {
    (0..count)
        .map(|n| {
            let email = format!("admin{n}@crash.test");
            app.add_user(
                &email,
                Some("Crash Co"),
                kwik_dashboard::db::models::Role::Admin,
            );
            let mut client = Client::new(server.port);
            let login = client.login(&email, PASSWORD);
            assert_eq!(login.status, 303, "{}", login.body);
            client
        })
        .collect()
}

/// The text of the element carrying `data-credential="<which>"`, if the page has one.
fn revealed(answer: &Answer, which: &str) -> Option<String> {
    let re = regex::Regex::new(&format!(r#"data-credential="{which}">([^<]*)<"#)).unwrap();
    Some(re.captures(&answer.body)?[1].to_owned())
}

/// The status `whoami` answers with `key` and `secret` as Basic credentials.
fn basic_status(server: &Server, key: &str, secret: &str) -> u16 {
    let auth = basic_auth(key, secret);
    exchange(
        server.port,
        "GET",
        "/api/v2/whoami",
        &[("Authorization", &auth)],
        b"",
    )
    .expect("an answer")
    .status
    .as_u16()
}

/// The status `whoami` answers when signed with `key` and `secret` (the secret never sent).
fn signed_status(server: &Server, key: &str, secret: &str) -> u16 {
    let ts = unix_now();
    let signature = format!("v1={}", sign(secret, ts, "GET", "/api/v2/whoami", b""));
    exchange(
        server.port,
        "GET",
        "/api/v2/whoami",
        &[
            ("X-Kwik-Key", key),
            ("X-Kwik-Timestamp", &ts.to_string()),
            ("X-Kwik-Signature", &signature),
        ],
        b"",
    )
    .expect("an answer")
    .status
    .as_u16()
}

/// How many History entries of `event` each target has, by target id.
fn history_counts(app: &TestApp, event: &str) -> std::collections::BTreeMap<i64, usize> {
    let targets: Vec<Option<i64>> = app.db(|c| {
        audit_events::table
            .filter(audit_events::event.eq(event))
            .select(audit_events::target_id)
            .load(c)
            .unwrap()
    });
    let mut counts = std::collections::BTreeMap::new();
    for target in targets {
        *counts
            .entry(target.expect("an entry names its target"))
            .or_default() += 1;
    }
    counts
}
