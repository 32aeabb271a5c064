//! Several instances on one Postgres behaving as one system: a signature accepted by any instance is
//! refused by every other, and when the shared replay store cannot be reached, signed requests are
//! refused (fail closed) while Basic keeps working.

use std::rc::Rc;
use std::time::Duration;

use actix_web::test::TestRequest;
use kwik_dashboard::db::models::replay;
use kwik_dashboard::domain::credentials::verify::sign;

use crate::helpers::*;

const GATEWAY: &str = "gateway-token-0123456789abcdef0123456789";
const WHOAMI: &str = "/api/v2/whoami";

/// `GET /api/v2/whoami` signed with `c`'s secret at `ts`.
fn signed_whoami(c: &Credentials, ts: i64) -> TestRequest {
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
fn signed_gateway(c: &Credentials, ts: i64) -> TestRequest {
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

fn basic_whoami(c: &Credentials) -> TestRequest {
    TestRequest::get()
        .uri(WHOAMI)
        .insert_header(("Authorization", c.basic_auth()))
}

#[track_caller]
fn assert_code(answer: &Answer, status: u16, code: &str) {
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

    a.send(signed_whoami(&c, ts)).await.assert_status(200);
    // The same request, unchanged, to the other instance and to the gateway there: replays.
    assert_code(&b.send(signed_whoami(&c, ts)).await, 401, "REPLAYED");
    let verdict = b.send(signed_gateway(&c, ts)).await;
    assert_code(&verdict, 200, "REPLAYED");
    assert!(
        verdict.body.contains(r#""valid":false"#),
        "{}",
        verdict.body
    );
    // And back on A too.
    assert_code(&a.send(signed_whoami(&c, ts)).await, 401, "REPLAYED");

    // A fresh signature first seen by the gateway on B is refused on A's whoami.
    b.send(signed_gateway(&c, ts + 1))
        .await
        .assert_status(200)
        .assert_contains(r#""valid":true"#);
    assert_code(&a.send(signed_whoami(&c, ts + 1)).await, 401, "REPLAYED");
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
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let c = app
        .issue_token("Shop sync", &["payments"], "read_only")
        .await;
    let ts = unix_now();
    app.send(signed_whoami(&c, ts)).await.assert_status(200);
    app.get("/readyz")
        .await
        .assert_status(200)
        .assert_contains(r#""replay_store":"database""#);

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
        .assert_contains(r#""signed_requests":"refused""#);

    cable.restore();
    // Recovers by itself: the next signed requests are recorded and accepted again.
    let mut recovered = false;
    for n in 0..40 {
        if app
            .send(signed_whoami(&c, ts + 10 + n))
            .await
            .status
            .as_u16()
            == 200
        {
            recovered = true;
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        recovered,
        "signed requests still refused 4 s after the store came back"
    );
    app.get("/readyz").await.assert_status(200);
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
