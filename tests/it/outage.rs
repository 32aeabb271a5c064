//! Database outages played with real sockets on Postgres: cut connections, connections dropped in the
//! middle of a query. Every request that needs the database answers 503, never 500, and the app
//! recovers by itself.

use crate::helpers::*;

const GATEWAY: &str = "gateway-token-0123456789abcdef0123456789";

#[actix_web::test]
async fn a_database_outage_gives_503_pages_and_the_app_recovers_by_itself() {
    let db = std::rc::Rc::new(TestDb::new());
    if !db.is_postgres() {
        eprintln!("skipped: the outage is played on Postgres (set TEST_DATABASE_URL)");
        return;
    }
    // Route the app's connections through a cable we can cut.
    let authority = db
        .url
        .split('@')
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_owned();
    let cable = Cable::to(authority.clone());
    let url = db
        .url
        .replace(&authority, &format!("127.0.0.1:{}", cable.port));
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
    let whoami = app
        .send(
            actix_web::test::TestRequest::get()
                .uri("/api/v2/whoami")
                .insert_header(("Authorization", token.basic_auth())),
        )
        .await;
    let gateway = app
        .send(
            actix_web::test::TestRequest::post()
                .uri("/internal/v1/verify")
                .insert_header(("Authorization", format!("Bearer {GATEWAY}")))
                .insert_header(("Content-Type", "application/json"))
                .set_payload(format!(r#"{{"authorization":"{}"}}"#, token.basic_auth())),
        )
        .await;
    for answer in [whoami, gateway] {
        answer.assert_status(503).assert_no_store();
        assert_eq!(answer.header("content-type"), Some("application/json"));
        assert_eq!(answer.header("retry-after"), Some("5"));
        assert_eq!(
            answer.header("content-security-policy"),
            Some("default-src 'none'; frame-ancestors 'none'")
        );
        assert!(
            answer.body.contains(r#""error":"UNAVAILABLE""#),
            "{}",
            answer.body
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
            actix_web::test::TestRequest::get()
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
    let app = spawn_app_on(db, |c| c.gateway_token = Some(GATEWAY.into())).await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    // Never verified, so not in the token cache: whoami and the gateway read it.
    let token = app
        .issue_token("Shop sync", &["payments"], "read_only")
        .await;
    let form = app.get(&format!("{LIST}/new")).await.submission_id();

    let page = with_the_connection_dropped_mid_query(&app, app.get(LIST)).await;
    page.assert_status(503)
        .assert_contains("Temporarily unavailable");
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
    create.assert_status(503);
    let whoami = with_the_connection_dropped_mid_query(
        &app,
        app.send(
            actix_web::test::TestRequest::get()
                .uri("/api/v2/whoami")
                .insert_header(("Authorization", token.basic_auth())),
        ),
    )
    .await;
    let gateway = with_the_connection_dropped_mid_query(
        &app,
        app.send(
            actix_web::test::TestRequest::post()
                .uri("/internal/v1/verify")
                .insert_header(("Authorization", format!("Bearer {GATEWAY}")))
                .insert_header(("Content-Type", "application/json"))
                .set_payload(format!(r#"{{"authorization":"{}"}}"#, token.basic_auth())),
        ),
    )
    .await;
    for answer in [whoami, gateway] {
        answer.assert_status(503);
        assert_eq!(answer.header("content-type"), Some("application/json"));
        assert!(
            answer.body.contains(r#""error":"UNAVAILABLE""#),
            "{}",
            answer.body
        );
    }
    // Nothing was half-written, and the app goes on by itself.
    assert_eq!(app.all_tokens().len(), 1);
    app.get(LIST).await.assert_status(200);
    assert_eq!(
        app.send(
            actix_web::test::TestRequest::get()
                .uri("/api/v2/whoami")
                .insert_header(("Authorization", token.basic_auth())),
        )
        .await
        .status,
        200
    );
}
