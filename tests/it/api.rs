//! Credentials that really authenticate: `verify`, `GET /api/v2/whoami`, `POST /internal/v1/verify`.

use actix_web::test::TestRequest;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use kwik_dashboard::domain::credentials::verify::{
    Code, Decision, Facts, Presented, Verifier, parse_basic, sign,
};
use kwik_dashboard::domain::credentials::{Section, TokenStatus};
use serde_json::Value;

use crate::helpers::*;

const GATEWAY: &str = "gateway-token-0123456789abcdef0123456789";

/// Issues a token named for how many there are (“Token 0” first) as the signed-in admin, disabling
/// it if asked.
async fn issue(app: &TestApp, sections: &[&str], permission: &str, live: bool) -> Credentials {
    let n = app.all_tokens().len();
    let token = app
        .issue_token(&format!("Token {n}"), sections, permission)
        .await;
    if !live {
        disable(app, token.id).await;
    }
    token
}

fn json(answer: &Answer) -> Value {
    serde_json::from_str(&answer.body).unwrap_or_else(|e| panic!("{e}: {}", answer.body))
}

/// Disables token `id` through `app`'s dashboard, as its signed-in admin.
async fn disable(app: &TestApp, id: i64) {
    app.set_token_status(id, "disabled").await;
}

async fn whoami(app: &TestApp, headers: &[(&str, String)], query: &str) -> Answer {
    let mut req = TestRequest::get().uri(&format!("/api/v2/whoami{query}"));
    for (k, v) in headers {
        req = req.insert_header((k.to_string(), v.clone()));
    }
    app.send(req).await
}

async fn gateway(app: &TestApp, body: Value) -> Value {
    let answer = app
        .send(
            TestRequest::post()
                .uri("/internal/v1/verify")
                .insert_header(("Authorization", format!("Bearer {GATEWAY}")))
                .insert_header(("Content-Type", "application/json"))
                .set_payload(body.to_string()),
        )
        .await;
    answer.assert_status(200);
    json(&answer)
}

#[actix_web::test]
async fn whoami_tells_an_integrator_who_their_credentials_are() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme Stores", "ops@acme.test").await;
    let c = issue(&app, &["payments", "customers"], "read_write", true).await;
    let answer = whoami(&app, &[("Authorization", c.basic_auth())], "").await;
    answer.assert_status(200);
    let body = json(&answer);
    assert_eq!(body["merchant"], "Acme Stores");
    assert_eq!(body["token"]["name"], "Token 0");
    assert_eq!(
        body["token"]["sections"],
        serde_json::json!(["customers", "payments"])
    );
    assert_eq!(body["token"]["permission"], "read_write");
    assert_eq!(body["token"]["status"], "live");
    // Byte for byte as integrators have always parsed it: keys in alphabetical order.
    assert_eq!(
        answer.body,
        r#"{"merchant":"Acme Stores","token":{"name":"Token 0","permission":"read_write","sections":["customers","payments"],"status":"live"}}"#
    );
    answer.assert_lacks(&c.secret);
    assert!(
        answer.header("set-cookie").is_none(),
        "the API sets no cookie"
    );
    // A JSON answer: OWASP's REST headers, and a CSP that lets nothing load.
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(answer.header("x-frame-options"), Some("DENY"));
    assert_eq!(
        answer.header("content-security-policy"),
        Some("default-src 'none'; frame-ancestors 'none'")
    );
    assert_eq!(answer.header("content-type"), Some("application/json"));
}

#[actix_web::test]
async fn an_unknown_key_and_a_wrong_secret_are_refused_alike() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let c = issue(&app, &["payments"], "read_only", true).await;
    let other = issue(&app, &["payments"], "read_only", true).await;
    let unknown_key = format!("kwik_ak_{}", "Z".repeat(32));
    let wrong = whoami(
        &app,
        &[("Authorization", basic_auth(&c.key, &other.secret))],
        "",
    )
    .await;
    let unknown = whoami(
        &app,
        &[("Authorization", basic_auth(&unknown_key, &c.secret))],
        "",
    )
    .await;
    for answer in [&wrong, &unknown] {
        answer.assert_status(401);
        assert_eq!(json(answer)["error"], "INVALID_CREDENTIALS");
        assert_eq!(
            answer.header("www-authenticate"),
            Some("Basic realm=\"Kwik API\"")
        );
    }
    assert_eq!(wrong.body, unknown.body);
}

#[actix_web::test]
async fn malformed_credentials_are_refused_as_malformed() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let c = issue(&app, &["payments"], "read_only", true).await;
    let mut bad_checksum = c.secret.clone();
    let last = bad_checksum.pop().unwrap();
    bad_checksum.push(if last == 'a' { 'b' } else { 'a' });
    for header in [
        "Basic".to_owned(),
        "Basic %%%".to_owned(),
        "Bearer token".to_owned(),
        format!("Basic {}", STANDARD.encode(&c.key)),
        format!("Basic {}", STANDARD.encode(format!("{}:", c.key))),
        basic_auth(&c.key, &bad_checksum),
        basic_auth("not_a_key", &c.secret),
        format!("Basic {}", "A".repeat(2000)),
    ] {
        let answer = whoami(&app, &[("Authorization", header.clone())], "").await;
        answer.assert_status(401);
        assert_eq!(json(&answer)["error"], "MALFORMED", "{header}");
    }
    let none = whoami(&app, &[], "").await;
    none.assert_status(401);
    assert_eq!(json(&none)["error"], "MALFORMED");
}

#[actix_web::test]
async fn a_secret_with_a_bad_checksum_is_refused_before_any_database_work() {
    use diesel::Connection;
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let c = issue(&app, &["payments"], "read_only", true).await;
    let mut tampered = c.secret.clone().into_bytes();
    tampered[12] = if tampered[12] == b'x' { b'y' } else { b'x' };
    let tampered = String::from_utf8(tampered).unwrap();
    // A database with no tables: any query would fail, so an answer proves none was made.
    let mut empty = kwik_dashboard::db::DbConn::Sqlite(
        diesel::SqliteConnection::establish(":memory:").unwrap(),
    );
    let verifier = Verifier {
        keyring: &app.state.keyring,
        replays: app.state.replays.local(),
    };
    let facts = Facts {
        presented: parse_basic(basic_auth(&c.key, &tampered).as_bytes()).unwrap(),
        method: "GET".into(),
        section: None,
        client_ip: None,
    };
    assert_eq!(
        verifier.verify(&mut empty, &facts, unix_now()).unwrap(),
        Decision::Denied(Code::Malformed)
    );
    // The intact secret does need the database (and fails on the empty one): the check above is real.
    let facts = Facts {
        presented: parse_basic(c.basic_auth().as_bytes()).unwrap(),
        ..facts
    };
    assert!(verifier.verify(&mut empty, &facts, unix_now()).is_err());
}

/// What the rules say, written independently of the code under test.
fn expected(
    live: bool,
    read_only: bool,
    method: &str,
    section: Option<&str>,
) -> Option<&'static str> {
    if !live {
        Some("DISABLED")
    } else if section == Some("customers") {
        Some("SECTION_NOT_ALLOWED")
    } else if read_only && !matches!(method, "GET" | "HEAD") {
        Some("READ_ONLY")
    } else {
        None
    }
}

#[actix_web::test]
async fn the_decision_matrix_holds_in_verify_whoami_and_the_gateway() {
    let app = spawn_app_with(|c| c.gateway_token = Some(GATEWAY.into())).await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let mut tokens = Vec::new();
    for live in [true, false] {
        for permission in ["read_only", "read_write"] {
            tokens.push((
                live,
                permission == "read_only",
                issue(&app, &["payments", "orders"], permission, live).await,
            ));
        }
    }
    let verifier = Verifier {
        keyring: &app.state.keyring,
        replays: app.state.replays.local(),
    };
    let mut checked = 0;
    for (live, read_only, c) in &tokens {
        for method in ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] {
            for section in [None, Some("payments"), Some("customers")] {
                let want = expected(*live, *read_only, method, section);
                // verify(), the library function
                let facts = Facts {
                    presented: parse_basic(c.basic_auth().as_bytes()).unwrap(),
                    method: method.into(),
                    section: section.map(|s| s.parse::<Section>().unwrap()),
                    client_ip: None,
                };
                let got = app.db(|conn| verifier.verify(conn, &facts, unix_now()).unwrap());
                match (&got, want) {
                    (Decision::Allowed(g), None) => assert_eq!(g.token_id.0, c.id),
                    (Decision::Denied(code), Some(w)) => assert_eq!(code.as_str(), w),
                    _ => panic!(
                        "verify {live} ro={read_only} {method} {section:?}: got {got:?}, want {want:?}"
                    ),
                }
                // the gateway endpoint
                let mut ask = serde_json::json!({ "authorization": c.basic_auth(), "method": method, "client_ip": "198.51.100.4" });
                if let Some(s) = section {
                    ask["section"] = s.into();
                }
                let answer = gateway(&app, ask).await;
                assert_eq!(
                    answer["valid"],
                    want.is_none(),
                    "gateway {method} {section:?} {answer}"
                );
                assert_eq!(answer["code"], want.map_or(Value::Null, Value::from));
                if want.is_none() {
                    assert_eq!(answer["token"]["id"], c.id);
                }
                // whoami answers GET only; it takes the section from its query
                if method == "GET" {
                    let query = section.map(|s| format!("?section={s}")).unwrap_or_default();
                    let answer = whoami(&app, &[("Authorization", c.basic_auth())], &query).await;
                    match want {
                        None => answer.assert_status(200),
                        Some(code) => {
                            let status = if code == "SECTION_NOT_ALLOWED" {
                                403
                            } else {
                                401
                            };
                            answer.assert_status(status);
                            assert_eq!(json(&answer)["error"], code);
                            &answer
                        }
                    };
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 4 * 6 * 3);
    // A Read-Only refusal is a 403 on whoami too (HEAD is a read, so use the gateway's view above).
}

fn signed_headers(
    c: &Credentials,
    ts: i64,
    method: &str,
    path: &str,
    body: &[u8],
) -> Vec<(&'static str, String)> {
    vec![
        ("X-Kwik-Key", c.key.clone()),
        ("X-Kwik-Timestamp", ts.to_string()),
        (
            "X-Kwik-Signature",
            format!("v1={}", sign(&c.secret, ts, method, path, body)),
        ),
    ]
}

#[actix_web::test]
async fn signed_requests_authenticate_without_sending_the_secret() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let c = issue(&app, &["payments"], "read_only", true).await;
    let other = issue(&app, &["payments"], "read_only", true).await;
    let ts = unix_now();
    let path = "/api/v2/whoami";
    let code = |a: &Answer| json(a)["error"].as_str().unwrap_or("").to_owned();

    let good = signed_headers(&c, ts, "GET", path, b"");
    whoami(&app, &good, "").await.assert_status(200);
    // The same signature again is a replay.
    let again = whoami(&app, &good, "").await;
    again.assert_status(401);
    assert_eq!(code(&again), "REPLAYED");

    let wrong_secret = Credentials {
        secret: other.secret.clone(),
        ..c.clone()
    };
    type Headers = Vec<(&'static str, String)>;
    let cases: Vec<(&str, Headers, &str)> = vec![
        (
            "a wrong secret",
            signed_headers(&wrong_secret, ts, "GET", path, b""),
            "INVALID_CREDENTIALS",
        ),
        (
            "a tampered body",
            signed_headers(&c, ts + 1, "GET", path, b"{\"x\":1}"),
            "INVALID_CREDENTIALS",
        ),
        (
            "a tampered path",
            signed_headers(&c, ts + 2, "GET", "/api/v2/other", b""),
            "INVALID_CREDENTIALS",
        ),
        (
            "a tampered method",
            signed_headers(&c, ts + 3, "POST", path, b""),
            "INVALID_CREDENTIALS",
        ),
        (
            "a stale timestamp",
            signed_headers(&c, ts - 400, "GET", path, b""),
            "SIGNATURE_EXPIRED",
        ),
        (
            "a future timestamp",
            signed_headers(&c, ts + 400, "GET", path, b""),
            "SIGNATURE_EXPIRED",
        ),
        (
            "a malformed signature",
            vec![
                ("X-Kwik-Key", c.key.clone()),
                ("X-Kwik-Timestamp", ts.to_string()),
                ("X-Kwik-Signature", "sha256=abc".into()),
            ],
            "MALFORMED",
        ),
        (
            "a malformed timestamp",
            vec![
                ("X-Kwik-Key", c.key.clone()),
                ("X-Kwik-Timestamp", "yesterday".into()),
                ("X-Kwik-Signature", format!("v1={}", "0".repeat(64))),
            ],
            "MALFORMED",
        ),
    ];
    for (what, headers, want) in cases {
        let answer = whoami(&app, &headers, "").await;
        answer.assert_status(401);
        assert_eq!(code(&answer), want, "{what}");
    }
    // The body is hashed as sent: a signed GET with a body verifies when the signature covers it.
    let with_body = signed_headers(&c, ts + 4, "GET", path, b"raw bytes");
    let mut req = TestRequest::get().uri(path).set_payload("raw bytes");
    for (k, v) in &with_body {
        req = req.insert_header((k.to_string(), v.clone()));
    }
    app.send(req).await.assert_status(200);
}

#[actix_web::test]
async fn the_gateway_endpoint_needs_its_bearer_token_and_is_off_without_one() {
    let off = spawn_app().await;
    let answer = off
        .send(
            TestRequest::post()
                .uri("/internal/v1/verify")
                .set_payload("{}"),
        )
        .await;
    answer.assert_status(404);

    let app = spawn_app_with(|c| c.gateway_token = Some(GATEWAY.into())).await;
    for bearer in [None, Some("Bearer wrong"), Some("Basic abc")] {
        let mut req = TestRequest::post()
            .uri("/internal/v1/verify")
            .set_payload("{}");
        if let Some(b) = bearer {
            req = req.insert_header(("Authorization", b));
        }
        app.send(req).await.assert_status(401);
    }
    let malformed = gateway(&app, serde_json::json!({ "method": "GET" })).await;
    assert_eq!(malformed["code"], "MALFORMED");
}

#[actix_web::test]
async fn the_gateway_checks_signed_requests_and_public_keys() {
    let app = spawn_app_with(|c| c.gateway_token = Some(GATEWAY.into())).await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let c = issue(&app, &["checkout_page", "payments"], "read_write", true).await;
    let ts = unix_now();
    let body = br#"{"amount":"10.00"}"#;
    let path = "/api/v2/payments?x=1";
    let signature = format!("v1={}", sign(&c.secret, ts, "POST", path, body));
    let ask = serde_json::json!({
        "key": c.key, "method": "POST", "section": "payments", "timestamp": ts, "signature": signature,
        "path": path, "body_sha256": hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body)),
    });
    let first = gateway(&app, ask.clone()).await;
    let merchant_id = app.all_tokens()[0].merchant_id.0;
    assert_eq!(
        first,
        serde_json::json!({
            "valid": true, "code": null, "message": null,
            "token": {
                "id": c.id, "name": "Token 0", "merchant_id": merchant_id, "merchant": "Acme",
                "sections": ["payments", "checkout_page"], "permission": "read_write", "status": "live",
            },
        })
    );
    assert_eq!(gateway(&app, ask).await["code"], "REPLAYED");

    let public = gateway(
        &app,
        serde_json::json!({ "public_key": c.public, "section": "checkout_page" }),
    )
    .await;
    assert_eq!(public["valid"], true);
    let unknown = gateway(
        &app,
        serde_json::json!({ "public_key": format!("kwik_pk_{}", "0".repeat(32)) }),
    )
    .await;
    assert_eq!(unknown["code"], "INVALID_CREDENTIALS");
    let wrong_section = gateway(
        &app,
        serde_json::json!({ "public_key": c.public, "section": "orders" }),
    )
    .await;
    assert_eq!(wrong_section["code"], "SECTION_NOT_ALLOWED");
    disable(&app, c.id).await;
    let disabled = gateway(&app, serde_json::json!({ "public_key": c.public })).await;
    assert_eq!(disabled["code"], "DISABLED");
}

#[actix_web::test]
async fn an_unknown_section_is_a_400_of_its_own_not_a_refusal_of_the_token() {
    let app = spawn_app_with(|c| c.gateway_token = Some(GATEWAY.into())).await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let c = issue(&app, &["payments"], "read_only", true).await;
    let auth = [("Authorization", c.basic_auth())];
    let answer = whoami(&app, &auth, "?section=foo").await;
    answer.assert_status(400);
    assert_eq!(json(&answer)["error"], "UNKNOWN_SECTION");
    assert_eq!(answer.header("www-authenticate"), None);
    // A section that exists but is not the token's is still the token's refusal.
    let answer = whoami(&app, &auth, "?section=orders").await;
    answer.assert_status(403);
    assert_eq!(json(&answer)["error"], "SECTION_NOT_ALLOWED");
    let verdict = gateway(
        &app,
        serde_json::json!({ "authorization": c.basic_auth(), "section": "foo" }),
    )
    .await;
    assert_eq!(
        (verdict["valid"].clone(), verdict["code"].clone()),
        (Value::Bool(false), Value::from("UNKNOWN_SECTION"))
    );
}

#[actix_web::test]
async fn last_used_is_written_by_a_flush_and_never_by_a_denial() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let used = issue(&app, &["payments"], "read_only", true).await;
    let refused = issue(&app, &["payments"], "read_only", false).await;
    app.get(LIST).await.assert_contains("Never");

    for ip in ["198.51.100.1", "198.51.100.2", "198.51.100.1"] {
        app.set_peer(&format!("{ip}:5000"));
        whoami(&app, &[("Authorization", used.basic_auth())], "")
            .await
            .assert_status(200);
    }
    whoami(&app, &[("Authorization", refused.basic_auth())], "")
        .await
        .assert_status(401);
    // Nothing is written per request...
    let before = app
        .all_tokens()
        .into_iter()
        .find(|t| t.id.0 == used.id)
        .unwrap();
    assert!(before.last_used_at.is_none());
    // ...until the flush.
    let written = app.db(|c| app.state.usage.flush(c).unwrap());
    assert_eq!(written, 1);
    let tokens = app.all_tokens();
    let after = tokens.iter().find(|t| t.id.0 == used.id).unwrap();
    assert!(after.last_used_at.is_some());
    assert_eq!(after.last_used_ips, "198.51.100.1,198.51.100.2");
    let untouched = tokens.iter().find(|t| t.id.0 == refused.id).unwrap();
    assert!(untouched.last_used_at.is_none() && untouched.last_used_ips.is_empty());
    assert_eq!(untouched.status, TokenStatus::Disabled);
    app.get(LIST).await.assert_contains("just now");
}

#[actix_web::test]
async fn the_database_holds_no_usable_secret_and_sealed_values_need_the_master_key() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let c = issue(&app, &["payments"], "read_only", true).await;
    let everything = app.database_text();
    assert!(!everything.contains(&c.secret) && !everything.contains(&c.secret[8..40]));
    let token = app
        .all_tokens()
        .into_iter()
        .find(|t| t.id.0 == c.id)
        .unwrap();
    let sealed = token.secret_sealed.clone().unwrap();
    let key_id = token.secret_key_id.clone().unwrap();
    let opened = app
        .state
        .keyring
        .open(&key_id, &sealed, &token.key_hash)
        .unwrap();
    assert_eq!(&*opened, c.secret.as_bytes());
    let stranger = kwik_dashboard::domain::credentials::seal::Keyring::new(
        kwik_dashboard::domain::credentials::seal::MasterKey::new(&[9u8; 32]).unwrap(),
        vec![],
    );
    assert!(stranger.open(&key_id, &sealed, &token.key_hash).is_err());
    // Presented as Basic credentials of the sealed bytes, nothing authenticates.
    let as_text = String::from_utf8_lossy(&sealed).into_owned();
    let answer = whoami(&app, &[("Authorization", basic_auth(&c.key, &as_text))], "").await;
    answer.assert_status(401);
    let _ = Presented::Basic {
        key: String::new(),
        secret: zeroize::Zeroizing::new(String::new()),
    };
}

#[actix_web::test]
async fn a_disabled_token_never_verifies_after_its_disable_returned_on_the_same_instance() {
    let app = spawn_app_with(|c| c.token_cache_ttl = std::time::Duration::from_secs(3600)).await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let c = issue(&app, &["payments"], "read_only", true).await;
    let auth = [("Authorization", c.basic_auth())];
    // Cached by a first verification...
    whoami(&app, &auth, "").await.assert_status(200);
    whoami(&app, &auth, "").await.assert_status(200);
    // ...yet the very next request after the disable returned is refused.
    disable(&app, c.id).await;
    let refused = whoami(&app, &auth, "").await;
    refused.assert_status(401);
    assert_eq!(json(&refused)["error"], "DISABLED");
    app.post(&format!("{LIST}/{}/status", c.id), &[("status", "live")])
        .await;
    whoami(&app, &auth, "").await.assert_status(200);
}

#[actix_web::test]
async fn another_instance_sees_a_disable_within_its_cache_ttl() {
    let a = spawn_app().await;
    let b = spawn_app_on(a.db.clone(), |c| {
        c.token_cache_ttl = std::time::Duration::from_millis(300)
    })
    .await;
    a.logged_in_admin("Acme", "ops@acme.test").await;
    let c = issue(&a, &["payments"], "read_only", true).await;
    let auth = [("Authorization", c.basic_auth())];
    whoami(&b, &auth, "").await.assert_status(200);
    disable(&a, c.id).await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(350)).await;
    let refused = whoami(&b, &auth, "").await;
    assert_eq!(json(&refused)["error"], "DISABLED");
}

#[actix_web::test]
async fn a_busy_token_is_read_again_past_half_its_cache_life_not_all_at_once_at_its_end() {
    let a = spawn_app().await;
    let ttl = std::time::Duration::from_secs(4);
    let b = spawn_app_on(a.db.clone(), move |c| c.token_cache_ttl = ttl).await;
    a.logged_in_admin("Acme", "ops@acme.test").await;
    let c = issue(&a, &["payments"], "read_only", true).await;
    let auth = [("Authorization", c.basic_auth())];
    if a.db.is_postgres() {
        // As while the change channel is down: the TTL and its read-ahead are then the fallback.
        use diesel::connection::SimpleConnection;
        a.db(|c| {
            c.batch_execute("ALTER TABLE access_tokens DISABLE TRIGGER access_tokens_notify")
                .unwrap()
        });
    }
    let cached_at = std::time::Instant::now();
    whoami(&b, &auth, "").await.assert_status(200);
    // Disabled by the other instance: b has not been told.
    disable(&a, c.id).await;
    whoami(&b, &auth, "").await.assert_status(200);
    // Past half its life, a request still gets the cached record, and has it read again behind it.
    actix_web::rt::time::sleep(ttl / 2 + std::time::Duration::from_millis(100)).await;
    whoami(&b, &auth, "").await.assert_status(200);
    // So the disable shows before the record's life ends, not only after.
    loop {
        let answer = whoami(&b, &auth, "").await;
        if answer.status == 401 {
            assert_eq!(json(&answer)["error"], "DISABLED");
            break;
        }
        assert!(
            cached_at.elapsed() < ttl - std::time::Duration::from_millis(300),
            "the record was not read again before its life ended"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn verifications_are_counted_per_day_allowed_and_denied_without_a_row_per_request() {
    use diesel::prelude::*;
    use kwik_dashboard::db::schema::token_usage_daily as u;
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let c = issue(&app, &["payments"], "read_only", true).await;
    let other = issue(&app, &["payments"], "read_only", true).await;
    for _ in 0..3 {
        whoami(&app, &[("Authorization", c.basic_auth())], "")
            .await
            .assert_status(200);
    }
    whoami(
        &app,
        &[("Authorization", basic_auth(&c.key, &other.secret))],
        "",
    )
    .await
    .assert_status(401);
    whoami(
        &app,
        &[("Authorization", c.basic_auth())],
        "?section=orders",
    )
    .await
    .assert_status(403);
    let rows = |app: &TestApp| {
        app.db(|conn| {
            u::table
                .select((u::token_id, u::allowed, u::denied))
                .load::<(i64, i64, i64)>(conn)
                .unwrap()
        })
    };
    assert!(rows(&app).is_empty(), "nothing is written per request");
    app.db(|conn| app.state.usage.flush(conn).unwrap());
    assert_eq!(rows(&app), vec![(c.id, 3, 2)]);
    whoami(&app, &[("Authorization", c.basic_auth())], "").await;
    app.db(|conn| app.state.usage.flush(conn).unwrap());
    assert_eq!(rows(&app), vec![(c.id, 4, 2)], "one row a day, added to");
}
