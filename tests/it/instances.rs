//! Several instances on one database, database outages, and the query plans that must stay indexed.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use kwik_dashboard::domain::credentials::TokenStatus;

use crate::helpers::*;

#[actix_web::test]
async fn two_instances_share_sessions_tokens_and_logouts() {
    let a = spawn_app().await;
    let b = spawn_app_on(a.db.clone(), |_| {}).await;

    // A login on A gives a session that B accepts.
    a.logged_in_admin("Acme", "ops@acme.test").await;
    b.set_session_cookie(a.session_cookie());
    b.get(LIST)
        .await
        .assert_status(200)
        .assert_contains("ops@acme.test");

    // A token created and disabled through A is shown as Disabled by B on its next request.
    a.create_token("Shared", &["orders"], "read_only")
        .await
        .assert_status(200);
    let id = a.all_tokens()[0].id.0;
    b.get(LIST)
        .await
        .assert_contains("Shared")
        .assert_contains("badge live");
    a.get(LIST).await;
    a.post(&format!("{LIST}/{id}/status"), &[("status", "disabled")])
        .await
        .assert_redirect_to(LIST);
    b.get(LIST).await.assert_contains("badge disabled");
    assert_eq!(b.all_tokens()[0].status, TokenStatus::Disabled);

    // Logout on B revokes the session on A.
    b.post("/logout", &[])
        .await
        .assert_redirect_to("/login?signed_out=1");
    a.get(LIST).await.assert_redirect_to("/login");
}

#[actix_web::test]
async fn requests_of_one_session_in_flight_together_each_see_it_as_of_their_arrival() {
    let a = spawn_app().await;
    let b = spawn_app_on(a.db.clone(), |_| {}).await;
    a.logged_in_admin("Acme", "ops@acme.test").await;

    // Many at once on one session: each is answered (they may share a read) as its own user.
    let pages = futures_util::future::join_all((0..16).map(|_| a.get(LIST))).await;
    for page in pages {
        page.assert_status(200).assert_contains("ops@acme.test");
    }

    // Signed out on another instance: every request that comes after sees it, however many at once.
    b.set_session_cookie(a.session_cookie());
    b.get(LIST).await.assert_status(200);
    b.post("/logout", &[])
        .await
        .assert_redirect_to("/login?signed_out=1");
    let after = futures_util::future::join_all((0..16).map(|_| a.get(LIST))).await;
    for page in after {
        page.assert_redirect_to("/login");
    }
}

#[actix_web::test]
async fn readiness_reports_a_reachable_database() {
    let app = spawn_app().await;
    app.get("/readyz")
        .await
        .assert_status(200)
        .assert_contains("ready");
    app.get("/healthz").await.assert_status(200);
}

const GATEWAY: &str = "gateway-token-0123456789abcdef0123456789";

/// A TCP forwarder to Postgres that can be cut and restored, to play a database outage.
struct Cable {
    port: u16,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Cable {
    fn to(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let open = Arc::new(Mutex::new(Vec::new()));
        let (up2, open2) = (up.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !up2.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&target) else {
                    continue;
                };
                open2
                    .lock()
                    .unwrap()
                    .extend([client.try_clone().unwrap(), server.try_clone().unwrap()]);
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16 * 1024];
                        while let Ok(n) = from.read(&mut buf) {
                            if n == 0 || to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        Self { port, up, open }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for s in self.open.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

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

#[actix_web::test]
async fn list_and_key_lookup_are_index_scans_on_postgres() {
    use diesel::prelude::*;
    use kwik_dashboard::db::schema::access_tokens;

    let Some(app) = postgres_app_with_ten_thousand_tokens().await else {
        return;
    };
    app.db(|c| {
        let token = access_tokens::table
            .select(kwik_dashboard::db::models::AccessToken::as_select())
            .first(c)
            .unwrap();

        let list = access_tokens::table
            .filter(access_tokens::merchant_id.eq(token.merchant_id))
            .filter(access_tokens::deleted_at.is_null())
            .order((access_tokens::created_at.desc(), access_tokens::id.desc()))
            .select(kwik_dashboard::db::models::AccessToken::as_select());
        let list_sql = diesel::debug_query::<diesel::pg::Pg, _>(&list).to_string();
        let by_key =
            access_tokens::table.filter(access_tokens::key_hash.eq(token.key_hash.clone()));
        let key_sql = diesel::debug_query::<diesel::pg::Pg, _>(&by_key).to_string();

        for (what, sql, arg, index) in [
            (
                "list",
                list_sql,
                token.merchant_id.0.to_string(),
                "access_tokens_merchant_listed",
            ),
            (
                "key lookup",
                key_sql,
                format!("'\\x{}'::bytea", hex::encode(&token.key_hash)),
                "access_tokens_key_hash_key",
            ),
        ] {
            let sql = sql.split(" -- binds:").next().unwrap();
            let plan = prepared_plan(c, sql, &arg);
            assert!(
                !plan.contains("Seq Scan on access_tokens"),
                "{what} scans the table:\n{plan}"
            );
            assert!(plan.contains(index), "{what} does not use {index}:\n{plan}");
        }
    });
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
