//! Database outages played with real sockets on Postgres: cut connections, connections dropped in the
//! middle of a query, a database that stops answering. Every request that needs the database
//! answers 503, never 500 and never late, and the app recovers by itself.

use std::time::{Duration, Instant};

use actix_web::test::TestRequest;

use crate::helpers::*;

const GATEWAY: &str = "gateway-token-0123456789abcdef0123456789";

/// `GET /api/v2/whoami` with `token`'s Basic credentials.
fn whoami(token: &Credentials) -> TestRequest {
    TestRequest::get()
        .uri("/api/v2/whoami")
        .insert_header(("Authorization", token.basic_auth()))
}

/// The gateway's question about `token`'s Basic credentials.
fn gateway(token: &Credentials) -> TestRequest {
    TestRequest::post()
        .uri("/internal/v1/verify")
        .insert_header(("Authorization", format!("Bearer {GATEWAY}")))
        .insert_header(("Content-Type", "application/json"))
        .set_payload(format!(r#"{{"authorization":"{}"}}"#, token.basic_auth()))
}

/// Asserts the API's JSON 503: `UNAVAILABLE`, with `Retry-After`, never the HTML page.
#[track_caller]
fn assert_json_unavailable(answer: &Answer) {
    answer.assert_status(503);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(answer.header("retry-after"), Some("5"));
    assert!(
        answer.body.contains(r#""error":"UNAVAILABLE""#),
        "{}",
        answer.body
    );
}

#[actix_web::test]
async fn a_database_outage_gives_503_pages_and_the_app_recovers_by_itself() {
    let db = std::rc::Rc::new(TestDb::new());
    if !db.is_postgres() {
        eprintln!("skipped: the outage is played on Postgres (set TEST_DATABASE_URL)");
        return;
    }
    // Route the app's connections through a cable we can cut.
    let (cable, url) = Cable::in_front_of(&db.url);
    let app = spawn_app_on(db.clone(), |c| {
        c.database_url = url;
        c.db_connect_timeout = std::time::Duration::from_millis(500);
        c.gateway_token = Some(GATEWAY.into());
    })
    .await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.get(LIST).await.assert_status(200);
    // Never verified yet, so not in the token cache: checking it needs the database.
    let token = app
        .issue_token("Shop sync", &["payments"], "read_only")
        .await;

    cable.cut();
    // The API and the gateway answer a JSON 503 under the API's CSP, never the HTML page.
    for answer in [
        app.send(whoami(&token)).await,
        app.send(gateway(&token)).await,
    ] {
        assert_json_unavailable(&answer);
        answer.assert_no_store();
        assert_eq!(
            answer.header("content-security-policy"),
            Some("default-src 'none'; frame-ancestors 'none'")
        );
    }
    app.get(LIST)
        .await
        .assert_status(503)
        .assert_contains("Temporarily unavailable")
        .assert_lacks("diesel")
        .assert_lacks("r2d2");
    let anonymous = app
        .send(
            TestRequest::get()
                .uri("/login")
                .insert_header(("Cookie", "x=y")),
        )
        .await;
    anonymous.assert_status(503);
    assert!(anonymous.header("content-security-policy").is_some());
    app.get("/readyz").await.assert_status(503);
    app.get("/healthz").await.assert_status(200);

    cable.restore();
    app.get("/readyz").await.assert_status(200);
    app.get(LIST)
        .await
        .assert_status(200)
        .assert_contains("ops@acme.test");
}

/// Sends `request` while the access-token table is locked by another session, and kills the app's
/// database connection while its query waits on that lock: the connection drops in the middle of
/// the query, as in a restart or failover.
async fn with_the_connection_dropped_mid_query(
    app: &TestApp,
    request: impl std::future::Future<Output = Answer>,
) -> Answer {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, RunQueryDsl};

    let mut locker = diesel::PgConnection::establish(&app.db.url).unwrap();
    locker
        .batch_execute("BEGIN; LOCK TABLE access_tokens IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let url = app.db.url.clone();
    let killer = async move {
        // Until the request's query waits on the lock, then end that backend.
        for _ in 0..100 {
            actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
            let mut killer = diesel::PgConnection::establish(&url).unwrap();
            let killed: Vec<bool> = diesel::sql_query(
                "SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock' \
                 AND pid <> pg_backend_pid()",
            )
            .load::<Killed>(&mut killer)
            .unwrap()
            .into_iter()
            .map(|k| k.killed)
            .collect();
            if killed.contains(&true) {
                return;
            }
        }
        panic!("the request's query never waited on the lock");
    };
    let (answer, ()) = futures_util::future::join(request, killer).await;
    locker.batch_execute("ROLLBACK").unwrap();
    answer
}

#[derive(diesel::QueryableByName)]
struct Killed {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    killed: bool,
}

#[actix_web::test]
async fn a_connection_dropped_mid_query_answers_503_and_never_500() {
    let db = std::rc::Rc::new(TestDb::new());
    if !db.is_postgres() {
        eprintln!("skipped: connections are dropped on Postgres (set TEST_DATABASE_URL)");
        return;
    }
    let app = spawn_app_on(db, |c| {
        c.gateway_token = Some(GATEWAY.into());
        // Deadlines far longer than the drop takes, so that only the drop can answer 503.
        c.db_call_timeout = Duration::from_secs(10);
        c.db_verify_timeout = Duration::from_secs(10);
    })
    .await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    // Never verified, so not in the token cache: whoami and the gateway read it.
    let token = app
        .issue_token("Shop sync", &["payments"], "read_only")
        .await;
    let form = app.get(&format!("{LIST}/new")).await.submission_id();

    let page = with_the_connection_dropped_mid_query(&app, app.get(LIST)).await;
    page.assert_status(503)
        .assert_contains("Temporarily unavailable");
    assert_eq!(page.header("retry-after"), Some("5"));
    let create = with_the_connection_dropped_mid_query(
        &app,
        app.post(
            LIST,
            &[
                ("name", "Second"),
                ("sections", "orders"),
                ("permission", "read_only"),
                ("submission_id", &form),
            ],
        ),
    )
    .await;
    create
        .assert_status(503)
        .assert_contains("Temporarily unavailable");
    assert_eq!(create.header("retry-after"), Some("5"));
    let whoami_answer = with_the_connection_dropped_mid_query(&app, app.send(whoami(&token))).await;
    let gateway_answer =
        with_the_connection_dropped_mid_query(&app, app.send(gateway(&token))).await;
    for answer in [whoami_answer, gateway_answer] {
        assert_json_unavailable(&answer);
    }
    // Nothing was half-written, and the app goes on by itself.
    assert_eq!(app.all_tokens().len(), 1);
    app.get(LIST).await.assert_status(200);
    app.send(whoami(&token)).await.assert_status(200);
    app.send(gateway(&token))
        .await
        .assert_status(200)
        .assert_contains(r#""valid":true"#);
}

#[actix_web::test]
async fn during_an_outage_a_cached_token_verifies_only_until_its_cache_ttl_ends() {
    let db = std::rc::Rc::new(TestDb::new());
    if !db.is_postgres() {
        eprintln!("skipped: the outage is played on Postgres (set TEST_DATABASE_URL)");
        return;
    }
    let (cable, url) = Cable::in_front_of(&db.url);
    let app = spawn_app_on(db.clone(), |c| {
        c.database_url = url;
        c.db_connect_timeout = Duration::from_millis(500);
        c.gateway_token = Some(GATEWAY.into());
    })
    .await;
    let ttl = app.state.config.token_cache_ttl;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let token = app
        .issue_token("Shop sync", &["payments"], "read_only")
        .await;
    // Verified once: its record is cached from before this instant, for one TTL.
    app.send(whoami(&token)).await.assert_status(200);
    let cached = Instant::now();

    cable.cut();
    // Within the TTL the cached record answers, as it would with the database up.
    app.send(whoami(&token)).await.assert_status(200);
    app.send(gateway(&token))
        .await
        .assert_status(200)
        .assert_contains(r#""valid":true"#);
    assert!(cached.elapsed() < ttl, "the machine was too slow to check");
    // Past it nothing stretches the record's life: verification fails closed.
    let expired = cached + ttl + Duration::from_millis(100);
    actix_web::rt::time::sleep(expired.saturating_duration_since(Instant::now())).await;
    assert_json_unavailable(&app.send(whoami(&token)).await);
    assert_json_unavailable(&app.send(gateway(&token)).await);

    cable.restore();
    app.send(whoami(&token)).await.assert_status(200);
}

/// How long the stall test keeps the database silent: the 30 s of the issue.
const STALL: Duration = Duration::from_secs(30);
/// What a 503 may take beyond its deadline on a busy test machine.
const MARGIN: Duration = Duration::from_millis(300);
/// How soon after the database answers again everything must be answered as usual.
const RECOVERY: Duration = Duration::from_secs(2);

/// `request`'s answer and how long it took, failing the test if there is none within `limit` (a
/// request that hangs fails at once, rather than holding the test for the rest of the stall).
async fn within(
    kind: &str,
    limit: Duration,
    request: impl std::future::Future<Output = Answer>,
) -> (Answer, Duration) {
    let started = Instant::now();
    match actix_web::rt::time::timeout(limit, request).await {
        Ok(answer) => (answer, started.elapsed()),
        Err(_) => panic!("{kind} gave no answer within {limit:?}"),
    }
}

#[actix_web::test]
async fn a_stalled_database_answers_503_within_the_deadlines_and_recovers_within_2_s() {
    let db = std::rc::Rc::new(TestDb::new());
    if !db.is_postgres() {
        eprintln!("skipped: the stall is played on Postgres (set TEST_DATABASE_URL)");
        return;
    }
    let (cable, url) = Cable::in_front_of(&db.url);
    let app = spawn_app_on(db.clone(), |c| {
        c.database_url = url;
        c.gateway_token = Some(GATEWAY.into());
        // The production defaults (KWIK_DB_CALL_TIMEOUT_MS, KWIK_DB_VERIFY_TIMEOUT_MS).
        c.db_call_timeout = Duration::from_millis(2000);
        c.db_verify_timeout = Duration::from_millis(500);
    })
    .await;
    let config = app.state.config.clone();
    app.logged_in_admin("Acme", "ops@acme.test").await;
    // Never verified, so not in the token cache: whoami and the gateway read it.
    let token = app
        .issue_token("Shop sync", &["payments"], "read_only")
        .await;
    app.get(LIST).await.assert_status(200);

    // Connections stay open and new ones are accepted, but no byte crosses: a hung server.
    cable.stall();
    let stalled = Instant::now();
    let kinds = ["page", "whoami", "gateway", "readyz"];
    let limits = [
        config.db_call_timeout + MARGIN,
        config.db_verify_timeout + MARGIN,
        config.db_verify_timeout + MARGIN,
        Duration::from_secs(1),
    ];
    let (mut fastest, mut slowest, mut rounds) = ([Duration::MAX; 4], [Duration::ZERO; 4], 0);
    // Round after round for the whole stall: the first calls hold every database thread, and the
    // later ones queue behind them, which must not make them late.
    while stalled.elapsed() < STALL {
        let (page, who, gate, ready) = futures_util::future::join4(
            within(kinds[0], limits[0], app.get(LIST)),
            within(kinds[1], limits[1], app.send(whoami(&token))),
            within(kinds[2], limits[2], app.send(gateway(&token))),
            within(kinds[3], limits[3], app.get("/readyz")),
        )
        .await;
        page.0
            .assert_status(503)
            .assert_contains("Temporarily unavailable");
        assert_json_unavailable(&who.0);
        assert_json_unavailable(&gate.0);
        ready.0.assert_status(503).assert_contains("unavailable");
        for (i, (_, took)) in [page, who, gate, ready].into_iter().enumerate() {
            fastest[i] = fastest[i].min(took);
            slowest[i] = slowest[i].max(took);
        }
        rounds += 1;
        // Liveness needs no database: it answers at once throughout.
        let limit = Duration::from_millis(100);
        within("healthz", limit, app.get("/healthz"))
            .await
            .0
            .assert_status(200);
    }
    let stall = stalled.elapsed();

    cable.resume();
    let resumed = Instant::now();
    let recovery = loop {
        let (page, who, ready) = futures_util::future::join3(
            app.get(LIST),
            app.send(whoami(&token)),
            app.get("/readyz"),
        )
        .await;
        let statuses = [page.status, who.status, ready.status].map(|s| s.as_u16());
        if statuses == [200; 3] {
            break resumed.elapsed();
        }
        assert!(
            statuses.iter().all(|s| *s == 503 || *s == 200),
            "only 503 while recovering, never 500: {statuses:?}"
        );
        assert!(
            resumed.elapsed() < RECOVERY,
            "not recovered {:?} after the database answered again: {statuses:?}",
            resumed.elapsed()
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    };
    // And no error after that.
    for _ in 0..20 {
        let (page, who, gate, ready) = futures_util::future::join4(
            app.get(LIST),
            app.send(whoami(&token)),
            app.send(gateway(&token)),
            app.get("/readyz"),
        )
        .await;
        for answer in [page, who, gate, ready] {
            answer.assert_status(200);
        }
    }
    eprintln!(
        "stall of {stall:?}, {rounds} rounds: 503 after {} ; recovered {recovery:?} after resume",
        kinds
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{k} {:?}..{:?}", fastest[i], slowest[i]))
            .collect::<Vec<_>>()
            .join(", ")
    );
}
