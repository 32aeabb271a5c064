//! Several instances on one Postgres behaving as one system: a signature accepted by any instance is
//! refused by every other, and when the shared replay store cannot be reached, signed requests are
//! refused (fail closed) while Basic keeps working.

use std::rc::Rc;
use std::time::Duration;

use actix_web::test::TestRequest;
use kwik_dashboard::db::models::replay;
use kwik_dashboard::domain::credentials::verify::sign;

use crate::helpers::*;

pub(crate) const GATEWAY: &str = "gateway-token-0123456789abcdef0123456789";
const WHOAMI: &str = "/api/v2/whoami";

/// `GET /api/v2/whoami` signed with `c`'s secret at `ts`.
pub(crate) fn signed_whoami(c: &Credentials, ts: i64) -> TestRequest {
    TestRequest::get()
        .uri(WHOAMI)
        .insert_header(("X-Kwik-Key", c.key.clone()))
        .insert_header(("X-Kwik-Timestamp", ts.to_string()))
        .insert_header((
            "X-Kwik-Signature",
            format!("v1={}", sign(&c.secret, ts, "GET", WHOAMI, b"")),
        ))
}

/// The gateway's question about the same signed request as [`signed_whoami`].
pub(crate) fn signed_gateway(c: &Credentials, ts: i64) -> TestRequest {
    let body = serde_json::json!({
        "key": c.key,
        "timestamp": ts,
        "signature": format!("v1={}", sign(&c.secret, ts, "GET", WHOAMI, b"")),
        "method": "GET",
        "path": WHOAMI,
        "body_sha256": hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"")),
    });
    TestRequest::post()
        .uri("/internal/v1/verify")
        .insert_header(("Authorization", format!("Bearer {GATEWAY}")))
        .insert_header(("Content-Type", "application/json"))
        .set_payload(body.to_string())
}

pub(crate) fn basic_whoami(c: &Credentials) -> TestRequest {
    TestRequest::get()
        .uri(WHOAMI)
        .insert_header(("Authorization", c.basic_auth()))
}

#[track_caller]
pub(crate) fn assert_code(answer: &Answer, status: u16, code: &str) {
    answer.assert_status(status);
    assert!(
        answer.body.contains(&format!("\"{code}\"")),
        "wanted {code}: {}",
        answer.body
    );
}

#[actix_web::test]
async fn a_signature_accepted_by_one_instance_is_refused_by_every_other() {
    let db = Rc::new(TestDb::new());
    if !db.is_postgres() {
        eprintln!("skipped: several instances share a replay store on Postgres only");
        return;
    }
    let with_gateway = |c: &mut kwik_dashboard::Config| c.gateway_token = Some(GATEWAY.into());
    let a = spawn_app_on(db.clone(), with_gateway).await;
    let b = spawn_app_on(db.clone(), with_gateway).await;
    a.logged_in_admin("Acme", "ops@acme.test").await;
    let c = a.issue_token("Shop sync", &["payments"], "read_only").await;
    let ts = unix_now();

    assert_replays_refused_across(&a, &b, &c, ts).await;
    // Basic writes nothing to the store.
    a.send(basic_whoami(&c)).await.assert_status(200);
    let held = a.db(|conn| {
        use diesel::prelude::*;
        use kwik_dashboard::db::schema::replay_signatures;
        replay_signatures::table
            .count()
            .get_result::<i64>(conn)
            .unwrap()
    });
    assert_eq!(held, 2, "one row per accepted signature, none for Basic");
}

#[actix_web::test]
async fn an_unreachable_replay_store_refuses_signed_requests_keeps_basic_and_recovers() {
    let db = Rc::new(TestDb::new());
    if !db.is_postgres() {
        eprintln!("skipped: the shared replay store is on Postgres only");
        return;
    }
    let (cable, url) = Cable::in_front_of(&db.url);
    let app = spawn_app_on(db.clone(), |c| {
        c.database_url = url;
        c.db_connect_timeout = Duration::from_millis(500);
        c.gateway_token = Some(GATEWAY.into());
        // Long enough that Basic answers from the cache through the whole outage.
        c.token_cache_ttl = Duration::from_secs(60);
    })
    .await;
    // Its listener, once connected, empties the cache (it may have missed changes): let it connect
    // before the token is cached, or a slow start leaves Basic nothing to answer from in the cut.
    wait_for_listeners(&db.url, 1, &[]).await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let c = app
        .issue_token("Shop sync", &["payments"], "read_only")
        .await;
    let ts = unix_now();
    app.send(signed_whoami(&c, ts)).await.assert_status(200);
    app.get("/readyz")
        .await
        .assert_status(200)
        .assert_contains(r#""replay_store":"database""#)
        .assert_contains(r#""rate_limits":"shared""#);

    cable.cut();
    // Signed: refused with its own code, on whoami and on the gateway, never accepted unrecorded.
    for answer in [
        app.send(signed_whoami(&c, ts + 1)).await,
        app.send(signed_gateway(&c, ts + 2)).await,
    ] {
        assert_code(&answer, 503, "REPLAY_CHECK_UNAVAILABLE");
        assert_eq!(answer.header("retry-after"), Some("5"));
    }
    // Basic keeps working from the cached token.
    app.send(basic_whoami(&c)).await.assert_status(200);
    app.get("/readyz")
        .await
        .assert_status(503)
        .assert_contains(r#""signed_requests":"refused""#)
        .assert_contains(r#""rate_limits":"per instance""#);

    cable.restore();
    // Recovers by itself: the next signed requests are recorded and accepted again.
    assert_signed_recovers(&app, &c, ts + 10).await;
    app.get("/readyz").await.assert_status(200);
}

/// A signed request at `ts` accepted by `a` is refused as `REPLAYED` by `b` (whoami and the
/// gateway) and by `a` again; and one at `ts + 1` first seen by `b`'s gateway is refused by `a`.
pub(crate) async fn assert_replays_refused_across(
    a: &TestApp,
    b: &TestApp,
    c: &Credentials,
    ts: i64,
) {
    a.send(signed_whoami(c, ts)).await.assert_status(200);
    // The same request, unchanged, to the other instance and to the gateway there: replays.
    assert_code(&b.send(signed_whoami(c, ts)).await, 401, "REPLAYED");
    let verdict = b.send(signed_gateway(c, ts)).await;
    assert_code(&verdict, 200, "REPLAYED");
    assert!(
        verdict.body.contains(r#""valid":false"#),
        "{}",
        verdict.body
    );
    // And back on A too.
    assert_code(&a.send(signed_whoami(c, ts)).await, 401, "REPLAYED");

    // A fresh signature first seen by the gateway on B is refused on A's whoami.
    b.send(signed_gateway(c, ts + 1))
        .await
        .assert_status(200)
        .assert_contains(r#""valid":true"#);
    assert_code(&a.send(signed_whoami(c, ts + 1)).await, 401, "REPLAYED");
}

/// Fresh signed requests from `ts` on are accepted again within 4 s (the replay store came back).
pub(crate) async fn assert_signed_recovers(app: &TestApp, c: &Credentials, ts: i64) {
    for n in 0..40 {
        if app.send(signed_whoami(c, ts + n)).await.status.as_u16() == 200 {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("signed requests still refused 4 s after the replay store came back");
}

#[actix_web::test]
async fn the_replay_store_forgets_expired_signatures_in_batches_and_keeps_live_ones() {
    let app = spawn_app().await;
    let now = 1_700_000_000;
    app.db(|c| {
        for n in 0..2_500u32 {
            let mut hash = [0u8; 32];
            hash[..4].copy_from_slice(&n.to_le_bytes());
            // 2,000 expired a second ago, 500 still live.
            let expires = if n < 2_000 { now - 1 } else { now + 300 };
            assert!(replay::first_use(c, &hash, expires).unwrap());
            assert!(!replay::first_use(c, &hash, expires).unwrap(), "a replay");
        }
        assert_eq!(replay::delete_expired(c, now, 1_000).unwrap(), 1_000);
        assert_eq!(replay::delete_expired(c, now, 1_000).unwrap(), 1_000);
        assert_eq!(replay::delete_expired(c, now, 1_000).unwrap(), 0);
        let live = [0u8; 32];
        let mut last_live = live;
        last_live[..4].copy_from_slice(&2_499u32.to_le_bytes());
        assert!(
            !replay::first_use(c, &last_live, now + 300).unwrap(),
            "live is kept"
        );
        assert!(
            replay::first_use(c, &live, now + 300).unwrap(),
            "expired is gone"
        );
    });
}

#[actix_web::test]
async fn signatures_written_together_are_each_a_first_use_once() {
    let app = spawn_app().await;
    let sig = |n: u8| ([n; 32], 1_900_000_000);
    app.db(|c| {
        assert!(replay::first_use(c, &[2; 32], 1_900_000_000).unwrap());
        // A new one, one already used, a new one twice in the same batch, another new one.
        let batch = [sig(1), sig(2), sig(3), sig(3), sig(4)];
        assert_eq!(
            replay::first_uses(c, &batch).unwrap(),
            [true, false, true, false, true]
        );
        assert_eq!(
            replay::first_uses(c, &[sig(4), sig(5)]).unwrap(),
            [false, true]
        );
    });
}

/// The pids of the token change listeners connected to `url`'s database.
fn listener_pids(url: &str) -> Vec<i32> {
    on_postgres(
        url,
        "SELECT pid FROM pg_stat_activity WHERE application_name = $1 \
         AND datname = current_database() ORDER BY pid",
        None,
    )
}

/// Runs `sql` with `$1` = the listener's application name, or `pid`, on a plain connection to
/// `url`, on a thread of its own (the sync client cannot run inside the test's runtime); the first
/// column of each row.
fn on_postgres(url: &str, sql: &'static str, pid: Option<i32>) -> Vec<i32> {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let name = kwik_dashboard::db::listen::APPLICATION_NAME;
        let rows = match pid {
            Some(pid) => client.query(sql, &[&pid]),
            None => client.query(sql, &[&name]),
        };
        rows.unwrap()
            .iter()
            .filter_map(|row| row.try_get(0).ok())
            .collect()
    })
    .join()
    .unwrap()
}

/// Waits (at most 5 s) until `n` listeners are connected to `url`'s database, none of them in
/// `not`; their pids.
pub(crate) async fn wait_for_listeners(url: &str, n: usize, not: &[i32]) -> Vec<i32> {
    for _ in 0..100 {
        let pids = listener_pids(url);
        if pids.len() == n && pids.iter().all(|p| !not.contains(p)) {
            // LISTEN runs just after the connection shows up: give it a moment.
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
            return pids;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{n} listeners did not connect: {:?}", listener_pids(url));
}

/// Sets token `id`'s status through `app`'s dashboard.
async fn set_status(app: &TestApp, id: i64, status: &str) {
    app.post(&format!("{LIST}/{id}/status"), &[("status", status)])
        .await
        .assert_redirect_to(LIST);
}

/// Disables through `a`, then asks `b` until it refuses; how long that took. `b` has the token's
/// live record cached first, and its TTL is long, so only the notification can explain the refusal.
async fn disable_seen_after(a: &TestApp, b: &TestApp, c: &Credentials) -> Duration {
    set_status(a, c.id, "live").await;
    // The enable's notification may still be on its way: wait until b answers from a live record.
    for _ in 0..100 {
        if b.send(basic_whoami(c)).await.status.as_u16() == 200 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(2)).await;
    }
    b.send(basic_whoami(c)).await.assert_status(200);
    set_status(a, c.id, "disabled").await;
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if b.send(basic_whoami(c)).await.status.as_u16() == 401 {
            return start.elapsed();
        }
        actix_web::rt::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("b still accepts the token 5 s after the disable on a");
}

/// Two instances with a token cache TTL far beyond what the tests allow, so that the TTL cannot be
/// what makes a change seen.
async fn two_instances_with_long_cache() -> Option<(TestApp, TestApp, Credentials)> {
    let db = Rc::new(TestDb::new());
    if !db.is_postgres() {
        eprintln!("skipped: changes reach other instances by LISTEN/NOTIFY on Postgres only");
        return None;
    }
    let long = |c: &mut kwik_dashboard::Config| c.token_cache_ttl = Duration::from_secs(60);
    let a = spawn_app_on(db.clone(), long).await;
    let b = spawn_app_on(db.clone(), long).await;
    a.logged_in_admin("Acme", "ops@acme.test").await;
    let c = a.issue_token("Shop sync", &["payments"], "read_only").await;
    // B is asked every millisecond: the rate limit is not what these tests are about.
    a.set_rate_limit(c.id, 1_000_000);
    wait_for_listeners(&db.url, 2, &[]).await;
    Some((a, b, c))
}

#[actix_web::test]
async fn a_disable_through_one_instance_is_refused_by_another_within_50_ms() {
    let Some((a, b, c)) = two_instances_with_long_cache().await else {
        return;
    };
    let mut took: Vec<Duration> = Vec::new();
    for _ in 0..100 {
        took.push(disable_seen_after(&a, &b, &c).await);
    }
    took.sort();
    let (p50, p99, max) = (took[49], took[98], took[99]);
    println!("disable on A refused on B after: p50 {p50:?}, p99 {p99:?}, max {max:?} (100 trials)");
    // The target is 50 ms; the bound asserted is generous so a loaded machine does not flake.
    assert!(p99 < Duration::from_millis(500), "p99 {p99:?}");
}

#[actix_web::test]
async fn a_lost_listener_reconnects_by_itself_and_changes_reach_it_again() {
    let Some((a, b, c)) = two_instances_with_long_cache().await else {
        return;
    };
    let url = a.db.url.clone();
    let before = listener_pids(&url);
    for pid in &before {
        on_postgres(&url, "SELECT pg_terminate_backend($1)", Some(*pid));
    }
    let after = wait_for_listeners(&url, 2, &before).await;
    println!("listeners {before:?} terminated; reconnected as {after:?}");
    for _ in 0..3 {
        let took = disable_seen_after(&a, &b, &c).await;
        assert!(took < Duration::from_millis(500), "{took:?}");
    }
}

#[actix_web::test]
async fn a_change_written_outside_any_instance_as_the_cli_does_is_refused_at_once() {
    let Some((a, b, c)) = two_instances_with_long_cache().await else {
        return;
    };
    b.send(basic_whoami(&c)).await.assert_status(200);
    // A plain connection of its own, as the CLI's: no instance's code runs, only the trigger.
    a.db(|conn| {
        use diesel::prelude::*;
        use kwik_dashboard::db::schema::access_tokens;
        diesel::update(access_tokens::table.find(c.id))
            .set(access_tokens::deleted_at.eq(Some(kwik_dashboard::db::now())))
            .execute(conn)
            .unwrap()
    });
    let start = std::time::Instant::now();
    loop {
        let answer = b.send(basic_whoami(&c)).await;
        if answer.status.as_u16() == 401 {
            assert_code(&answer, 401, "INVALID_CREDENTIALS");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_millis(500),
            "still accepted"
        );
        actix_web::rt::time::sleep(Duration::from_millis(1)).await;
    }
}
