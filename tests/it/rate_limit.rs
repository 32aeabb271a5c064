//! The per-token rate limit: 429 `RATE_LIMITED` with `Retry-After` past it, the same decision from
//! the gateway, set per token on the edit form and per merchant from the command line, counted in
//! the usage chart, and held across instances on Postgres.

use std::rc::Rc;
use std::time::{Duration, Instant};

use actix_web::test::TestRequest;
use kwik_dashboard::db::models::TokenId;
use kwik_dashboard::db::models::rate_count::{self, Hits};

use crate::helpers::*;

const GATEWAY: &str = "gateway-token-0123456789abcdef0123456789";

fn whoami(c: &Credentials) -> TestRequest {
    TestRequest::get()
        .uri("/api/v2/whoami")
        .insert_header(("Authorization", c.basic_auth()))
}

fn gateway(c: &Credentials) -> TestRequest {
    TestRequest::post()
        .uri("/internal/v1/verify")
        .insert_header(("Authorization", format!("Bearer {GATEWAY}")))
        .insert_header(("Content-Type", "application/json"))
        .set_payload(serde_json::json!({ "authorization": c.basic_auth() }).to_string())
}

/// How many of `n` whoami requests `app` allows.
async fn allowed_of(app: &TestApp, c: &Credentials, n: usize) -> usize {
    let mut allowed = 0;
    for _ in 0..n {
        if app.send(whoami(c)).await.status.as_u16() == 200 {
            allowed += 1;
        }
    }
    allowed
}

/// Sets token `id`'s own limit through its edit form (`""`: the merchant's).
async fn set_token_limit(app: &TestApp, id: i64, limit: &str) -> Answer {
    app.post(
        &format!("{LIST}/{id}/edit"),
        &[
            ("name", "Shop sync"),
            ("sections", "payments"),
            ("rate_limit", limit),
        ],
    )
    .await
}

/// Waits until the wall clock is early in a second, so that a short burst stays within it.
async fn start_of_a_second() {
    loop {
        let ms = time::OffsetDateTime::now_utc().millisecond();
        if ms < 300 {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(u64::from(1000 - ms) + 1)).await;
    }
}

#[actix_web::test]
async fn past_its_limit_a_token_gets_429_rate_limited_and_the_gateway_the_same_decision() {
    let app = spawn_app_with(|c| c.gateway_token = Some(GATEWAY.into())).await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let c = app
        .issue_token("Shop sync", &["payments"], "read_only")
        .await;
    // A limit the form refuses, with its message, and nothing changed.
    set_token_limit(&app, c.id, "0")
        .await
        .assert_status(422)
        .assert_contains("Enter a whole number of requests a second from 1 to 1,000,000");
    assert_eq!(app.all_tokens()[0].rate_limit, None);
    set_token_limit(&app, c.id, "5")
        .await
        .assert_redirect_to(LIST);
    assert_eq!(app.all_tokens()[0].rate_limit, Some(5));
    app.get(&format!("{LIST}/{}/edit", c.id))
        .await
        .assert_contains(r#"name="rate_limit""#)
        .assert_contains(r#"value="5""#);
    app.get("/settings/history")
        .await
        .assert_contains("rate limit: the organisation’s → 5 a second");

    start_of_a_second().await;
    assert_eq!(
        allowed_of(&app, &c, 5).await,
        5,
        "a burst of the whole limit"
    );
    let refused = app.send(whoami(&c)).await;
    refused
        .assert_status(429)
        .assert_contains(r#""error":"RATE_LIMITED""#);
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(
        refused.header("www-authenticate"),
        None,
        "not a credentials problem"
    );
    app.get("/readyz")
        .await
        .assert_contains(if app.db.is_postgres() {
            r#""rate_limits":"shared""#
        } else {
            r#""rate_limits":"memory""#
        });
    app.send(gateway(&c))
        .await
        .assert_status(200)
        .assert_contains(r#""valid":false"#)
        .assert_contains(r#""code":"RATE_LIMITED""#)
        .assert_contains(r#""retry_after":1"#);

    // Once most of that second has slid out of the last one, the token works again.
    actix_web::rt::time::sleep(Duration::from_millis(1600)).await;
    app.send(whoami(&c)).await.assert_status(200);

    // The refusals are counted apart in the usage chart: 5 + 1 allowed, 2 rate limited.
    app.db(|conn| app.state.usage.flush(conn).unwrap());
    app.get(&format!("{LIST}/{}", c.id))
        .await
        .assert_contains("Rate limited <strong>2</strong>")
        .assert_contains("6 allowed, 0 denied, 2 rate limited")
        .assert_contains("5 requests a second")
        .assert_contains("This token’s own limit.");
}

#[actix_web::test]
async fn a_merchants_limit_from_the_command_line_applies_to_its_tokens_without_their_own() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let c = app
        .issue_token("Shop sync", &["payments"], "read_only")
        .await;
    let own = app
        .issue_token("Own limit", &["payments"], "read_only")
        .await;
    app.post(
        &format!("{LIST}/{}/edit", own.id),
        &[
            ("name", "Own limit"),
            ("sections", "payments"),
            ("rate_limit", "50"),
        ],
    )
    .await
    .assert_redirect_to(LIST);

    let set = |per_second: &str| {
        crate::cli::run(
            &app.db,
            &[
                "merchant",
                "set-rate-limit",
                "--merchant",
                "Acme",
                "--per-second",
                per_second,
            ],
            None,
        )
    };
    let bad = set("0");
    assert!(!bad.status.success());
    assert!(crate::cli::text(&bad.stderr).contains("--per-second must be a whole number"));
    let out = set("3");
    assert!(out.status.success(), "{}", crate::cli::text(&out.stderr));
    assert!(crate::cli::text(&out.stdout).contains("may now make 3 requests a second"));
    app.get("/settings/history")
        .await
        .assert_contains("Rate limit changed")
        .assert_contains("100 → 3 requests a second, for tokens without their own");

    // A fresh instance on the same database (nothing cached).
    let fresh = spawn_app_on(app.db.clone(), |_| {}).await;
    start_of_a_second().await;
    assert_eq!(allowed_of(&fresh, &c, 10).await, 3);
    assert_eq!(
        allowed_of(&fresh, &own, 10).await,
        10,
        "its own limit is 50"
    );
    app.get(&format!("{LIST}/{}", c.id))
        .await
        .assert_contains("3 requests a second")
        .assert_contains("Your organisation’s limit");
}

#[actix_web::test]
async fn shared_counts_add_up_per_token_and_second_and_old_seconds_are_deleted() {
    let app = spawn_app().await;
    let hits = |token, window, count| Hits {
        token: TokenId(token),
        window,
        count,
    };
    app.db(|c| {
        let first =
            rate_count::add(c, &[hits(1, 100, 3), hits(1, 101, 2), hits(2, 101, 7)]).unwrap();
        assert_eq!(first.iter().map(|t| t.hits).collect::<Vec<_>>(), [3, 2, 7]);
        let again = rate_count::add(c, &[hits(1, 101, 5)]).unwrap();
        assert_eq!(
            (again[0].token_id, again[0].window_start, again[0].hits),
            (1, 101, 7)
        );
        assert_eq!(rate_count::delete_before(c, 101).unwrap(), 1);
        assert_eq!(
            rate_count::add(c, &[hits(1, 100, 1)]).unwrap()[0].hits,
            1,
            "deleted"
        );
    });
}

/// `n` instances on one Postgres, and a token limited to `limit` a second; `None` on SQLite.
async fn instances(n: usize, limit: &str) -> Option<(Vec<TestApp>, Credentials)> {
    let db = Rc::new(TestDb::new());
    if !db.is_postgres() {
        eprintln!("skipped: instances share rate-limit counts on Postgres only");
        return None;
    }
    let mut apps = Vec::new();
    for _ in 0..n {
        apps.push(spawn_app_on(db.clone(), |_| {}).await);
    }
    apps[0].logged_in_admin("Acme", "ops@acme.test").await;
    let c = apps[0]
        .issue_token("Shop sync", &["payments"], "read_only")
        .await;
    set_token_limit(&apps[0], c.id, limit)
        .await
        .assert_redirect_to(LIST);
    Some((apps, c))
}

#[actix_web::test]
async fn what_one_instance_allowed_counts_against_the_token_on_another() {
    let Some((apps, c)) = instances(2, "40").await else {
        return;
    };
    let (a, b) = (&apps[0], &apps[1]);
    start_of_a_second().await;
    assert_eq!(allowed_of(a, &c, 30).await, 30);
    // A's counts reach the shared store with its next request after the sync interval.
    actix_web::rt::time::sleep(Duration::from_millis(30)).await;
    assert_eq!(allowed_of(a, &c, 1).await, 1);
    actix_web::rt::time::sleep(Duration::from_millis(30)).await;
    // B's first request learns the fleet's count (it is allowed: 31 of 40)...
    assert_eq!(allowed_of(b, &c, 1).await, 1);
    actix_web::rt::time::sleep(Duration::from_millis(30)).await;
    // ...and then B allows only what is left of the token's 40, not 40 of its own.
    let on_b = allowed_of(b, &c, 20).await;
    println!("B allowed {on_b} of 20 after A's 31 (limit 40)");
    assert!(
        (6..=10).contains(&on_b),
        "B allowed {on_b}: 8 were left of the token's limit"
    );
}

#[actix_web::test]
async fn a_token_limited_to_100_a_second_sending_300_through_three_instances_gets_about_100() {
    let Some((apps, c)) = instances(3, "100").await else {
        return;
    };
    // 100 requests a second to each instance (one every 3.3 ms, in turn) for 4 seconds.
    let (mut sent, mut allowed, mut allowed_after_first) = (0u32, 0u32, 0u32);
    let start = Instant::now();
    let mut next = start;
    while start.elapsed() < Duration::from_secs(4) {
        let app = &apps[sent as usize % apps.len()];
        let ok = app.send(whoami(&c)).await.status.as_u16() == 200;
        sent += 1;
        if ok {
            allowed += 1;
            if start.elapsed() >= Duration::from_secs(1) {
                allowed_after_first += 1;
            }
        }
        next += Duration::from_micros(3_333);
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            actix_web::rt::time::sleep(wait).await;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let steady = f64::from(allowed_after_first) / (secs - 1.0);
    println!(
        "sent {sent} in {secs:.2} s ({:.0}/s): allowed {allowed}, {steady:.1}/s after the first second (limit 100)",
        f64::from(sent) / secs
    );
    // Each instance alone would allow up to 100 a second: together, about 300.
    assert!(
        steady <= 110.0,
        "over-admission beyond 10 %: {steady:.1} a second"
    );
    assert!(
        f64::from(sent) / secs > 150.0,
        "the load did not exceed the limit"
    );
}

#[actix_web::test]
async fn a_merchants_new_limit_reaches_a_running_instance_at_once() {
    let db = Rc::new(TestDb::new());
    if !db.is_postgres() {
        eprintln!("skipped: changes reach other instances by LISTEN/NOTIFY on Postgres only");
        return;
    }
    // A token cache TTL far beyond the test: only the notification can explain the new limit.
    let long = |c: &mut kwik_dashboard::Config| c.token_cache_ttl = Duration::from_secs(60);
    let a = spawn_app_on(db.clone(), long).await;
    let b = spawn_app_on(db.clone(), long).await;
    a.logged_in_admin("Acme", "ops@acme.test").await;
    let c = a.issue_token("Shop sync", &["payments"], "read_only").await;
    crate::fleet::wait_for_listeners(&db.url, 2, &[]).await;
    b.send(whoami(&c)).await.assert_status(200);
    // As the CLI does: a plain connection, no instance's code.
    a.db(|conn| {
        let acme = kwik_dashboard::db::models::Merchant::find_by_name(conn, "Acme")
            .unwrap()
            .unwrap();
        kwik_dashboard::db::models::Merchant::set_rate_limit(conn, acme.id, 1).unwrap();
    });
    // 50 requests a second, half the old limit: only the new limit of 1 refuses them.
    let start = Instant::now();
    loop {
        let answer = b.send(whoami(&c)).await;
        if answer.status.as_u16() == 429 {
            break;
        }
        answer.assert_status(200);
        assert!(
            start.elapsed() < Duration::from_millis(500),
            "the old limit still applies"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "new merchant limit applied on B after {:?}",
        start.elapsed()
    );
}
