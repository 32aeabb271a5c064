//! The secret-scanning receivers: GitHub's signed partner reports (our own P-256 keys, in a key list
//! file in GitHub's format, bodies signed exactly as GitHub signs them) and GitLab's revocation API.
//! A leak disables a live token at once and records where it was found, never the secret; whatever
//! is refused changes nothing.

use actix_web::test::TestRequest;
use base64::Engine;
use diesel::prelude::*;
use kwik_dashboard::db::models::{AccessToken, TokenId, TokenStatus};
use kwik_dashboard::db::schema::{access_tokens, audit_events, leak_reports};
use kwik_dashboard::domain::credentials::sha256;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use serde_json::{Value, json};

use crate::helpers::*;

const GITHUB: &str = "/secret-scanning/github";
const KEY_ID: &str = "0f3a9c1be7d2a4c85e6b1f09d7c3a2e4b5f6a7c8d9e0f1a2b3c4d5e6f7a8b9c0";
const GITLAB_TOKEN: &str = "gitlab-revocation-token-of-forty-chars!!";
const REVOKE: &str = "/secret-scanning/gitlab/v1/revoke_tokens";
const TYPES: &str = "/secret-scanning/gitlab/v1/revocable_token_types";

/// A fixed test key (the scalar 0x2a2a…): tests need no randomness to sign.
fn signing_key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}

/// Writes GitHub's key list format with these keys to the app's key list file.
fn write_key_list(app: &TestApp, keys: &[(&str, &SigningKey)]) {
    let public_keys: Vec<Value> = keys
        .iter()
        .map(|(id, key)| {
            json!({
                "key_identifier": id,
                "key": key.verifying_key().to_public_key_pem(LineEnding::LF).unwrap(),
                "is_current": true,
            })
        })
        .collect();
    std::fs::write(
        app.dir.join("github-keys.json"),
        json!({ "public_keys": public_keys }).to_string(),
    )
    .unwrap();
}

/// base64 of the DER ECDSA P-256/SHA-256 signature of the raw body, as GitHub sends it.
fn sign(key: &SigningKey, body: &str) -> String {
    let signature: Signature = key.sign(body.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(signature.to_der().as_bytes())
}

/// An app that takes GitHub reports signed with `signing_key(42)` as [`KEY_ID`], and GitLab's with
/// [`GITLAB_TOKEN`]; its admin is signed in.
pub async fn scanning_app() -> TestApp {
    scanning_app_with(|_| {}).await
}

/// [`scanning_app`] with `adjust` applied to its configuration too.
pub async fn scanning_app_with(adjust: impl FnOnce(&mut kwik_dashboard::Config)) -> TestApp {
    let app = spawn_app_with(|c| {
        c.github_scanning_keys = Some(c.data_dir.join("github-keys.json"));
        c.gitlab_revocation_token = Some(GITLAB_TOKEN.into());
        adjust(c);
    })
    .await;
    write_key_list(&app, &[(KEY_ID, &signing_key(42))]);
    app.logged_in_admin("Acme", "admin@acme.test").await;
    app
}

async fn report_signed(app: &TestApp, body: &str, key_id: &str, signature: &str) -> Answer {
    app.send(
        TestRequest::post()
            .uri(GITHUB)
            .insert_header(("Content-Type", "application/json"))
            .insert_header(("Github-Public-Key-Identifier", key_id))
            .insert_header(("Github-Public-Key-Signature", signature))
            .set_payload(body.to_owned()),
    )
    .await
}

/// Reports `tokens` as GitHub would, signed with the configured key.
pub async fn report(app: &TestApp, tokens: &[&str]) -> Answer {
    let body = github_body(tokens);
    report_signed(app, &body, KEY_ID, &sign(&signing_key(42), &body)).await
}

fn github_body(tokens: &[&str]) -> String {
    let matches: Vec<Value> = tokens
        .iter()
        .map(|t| {
            json!({
                "token": t,
                "type": "kwik_api_secret",
                "url": "https://github.com/octo/shop/blob/abc123/config.env",
                "source": "commit",
            })
        })
        .collect();
    serde_json::to_string(&matches).unwrap()
}

fn token(app: &TestApp, id: i64) -> AccessToken {
    app.all_tokens().into_iter().find(|t| t.id.0 == id).unwrap()
}

fn events(app: &TestApp) -> Vec<(String, String)> {
    app.db(|c| {
        audit_events::table
            .order(audit_events::id)
            .select((audit_events::event, audit_events::detail))
            .load(c)
            .unwrap()
    })
}

fn leak_rows(app: &TestApp) -> Vec<String> {
    app.db(|c| {
        leak_reports::table
            .order(leak_reports::id)
            .select(leak_reports::outcome)
            .load(c)
            .unwrap()
    })
}

fn labels(answer: &Answer) -> Vec<Value> {
    answer.assert_status(200);
    serde_json::from_str(&answer.body).unwrap()
}

#[actix_web::test]
async fn a_reported_secret_disables_its_live_token_and_answers_true_positive() {
    let app = scanning_app().await;
    let creds = app.issue_token("Shop", &["orders"], "read_write").await;

    let answer = report(&app, &[&creds.secret]).await;

    assert_eq!(
        labels(&answer),
        vec![json!({
            "token_hash": hex::encode(sha256(&creds.secret)),
            "token_type": "kwik_api_secret",
            "label": "true_positive",
        })]
    );
    answer.assert_lacks(&creds.secret);
    let t = token(&app, creds.id);
    assert_eq!(t.status, TokenStatus::Disabled);
    assert_eq!(
        t.status_reason.as_deref(),
        Some(
            "Disabled automatically: found in public commit (https://github.com/octo/shop/blob/abc123/config.env)"
        )
    );
    let (event, detail) = events(&app).pop().unwrap();
    assert_eq!(event, "token.leak_disabled");
    assert!(detail.contains("reporter: GitHub; source: commit; url: https://github.com/octo/shop"));
    assert_eq!(leak_rows(&app), vec!["disabled"]);
    assert!(!app.database_text().contains(&creds.secret));
    // and the credentials stop working at once
    let whoami = app
        .send(
            TestRequest::get()
                .uri("/api/v2/whoami")
                .insert_header(("Authorization", creds.basic_auth())),
        )
        .await;
    assert_ne!(whoami.status.as_u16(), 200, "{}", whoami.body);
}

#[actix_web::test]
async fn a_reported_api_key_disables_its_token_too() {
    let app = scanning_app().await;
    let creds = app.issue_token("Shop", &["orders"], "read_write").await;
    let labels = labels(&report(&app, &[&creds.key]).await);
    assert_eq!(labels[0]["label"], "true_positive");
    assert_eq!(token(&app, creds.id).status, TokenStatus::Disabled);
}

#[actix_web::test]
async fn a_lookalike_with_a_bad_checksum_is_a_false_positive_and_touches_nothing() {
    let app = scanning_app().await;
    let creds = app.issue_token("Shop", &["orders"], "read_write").await;
    let mut lookalike = creds.secret.clone().into_bytes();
    lookalike[12] = if lookalike[12] == b'a' { b'b' } else { b'a' };
    let lookalike = String::from_utf8(lookalike).unwrap();
    let before = events(&app);

    let labels = labels(&report(&app, &[&lookalike, "kwik_ak_short", "ghp_notours"]).await);

    assert!(
        labels.iter().all(|l| l["label"] == "false_positive"),
        "{labels:?}"
    );
    assert_eq!(labels[0]["token_hash"], hex::encode(sha256(&lookalike)));
    assert_eq!(token(&app, creds.id).status, TokenStatus::Live);
    assert_eq!(events(&app), before);
    assert!(leak_rows(&app).is_empty());
}

#[actix_web::test]
async fn unsigned_missigned_reserialised_unknown_key_and_oversize_reports_are_refused() {
    let app = scanning_app().await;
    let creds = app.issue_token("Shop", &["orders"], "read_write").await;
    let body = github_body(&[&creds.secret]);
    let good = sign(&signing_key(42), &body);
    let before = events(&app);

    // no signature at all
    let unsigned = app
        .send(
            TestRequest::post()
                .uri(GITHUB)
                .insert_header(("Content-Type", "application/json"))
                .set_payload(body.clone()),
        )
        .await;
    unsigned.assert_status(401);
    // signed by a key that is not GitHub's, under GitHub's key id
    report_signed(&app, &body, KEY_ID, &sign(&signing_key(7), &body))
        .await
        .assert_status(403);
    // the same JSON, re-serialised (pretty-printed): the signature covers the raw bytes
    let reserialised =
        serde_json::to_string_pretty(&serde_json::from_str::<Value>(&body).unwrap()).unwrap();
    report_signed(&app, &reserialised, KEY_ID, &good)
        .await
        .assert_status(403);
    // a key id GitHub's list does not have
    report_signed(&app, &body, "deadbeef", &good)
        .await
        .assert_status(403);
    // garbage in the signature header
    report_signed(&app, &body, KEY_ID, "%%%")
        .await
        .assert_status(403);
    // over 1 MiB, even correctly signed
    let padding = "x".repeat(1 << 20);
    let big = format!(
        r#"[{{"token":"{}","type":"t","url":"{padding}","source":"content"}}]"#,
        creds.secret
    );
    let oversize = report_signed(&app, &big, KEY_ID, &sign(&signing_key(42), &big)).await;
    oversize.assert_status(413);
    assert_eq!(oversize.header("content-type"), Some("application/json"));

    assert_eq!(token(&app, creds.id).status, TokenStatus::Live);
    assert_eq!(events(&app), before);
    assert!(leak_rows(&app).is_empty());
}

#[actix_web::test]
async fn a_reported_public_key_is_only_recorded() {
    let app = scanning_app().await;
    let creds = app.issue_token("Shop", &["orders"], "read_write").await;

    for _ in 0..2 {
        let labels = labels(&report(&app, &[&creds.public]).await);
        assert_eq!(labels[0]["label"], "true_positive");
    }

    assert_eq!(token(&app, creds.id).status, TokenStatus::Live);
    assert_eq!(leak_rows(&app), vec!["recorded"]);
    let reported = events(&app)
        .into_iter()
        .filter(|(e, _)| e == "token.public_key_reported")
        .count();
    assert_eq!(reported, 1);
}

#[actix_web::test]
async fn a_repeated_report_changes_nothing_more() {
    let app = scanning_app().await;
    let creds = app.issue_token("Shop", &["orders"], "read_write").await;
    report(&app, &[&creds.secret]).await.assert_status(200);
    let (after_first, token_first) = (events(&app), token(&app, creds.id));

    let again = labels(&report(&app, &[&creds.secret, &creds.key]).await);

    assert!(again.iter().all(|l| l["label"] == "true_positive"));
    assert_eq!(events(&app), after_first);
    assert_eq!(leak_rows(&app), vec!["disabled"]);
    assert_eq!(token(&app, creds.id).updated_at, token_first.updated_at);
}

/// Rolls the token's key and secret, keeping the old pair for an hour.
async fn roll_keeping_the_old_pair(app: &TestApp, id: i64) {
    let path = format!("{LIST}/{id}/roll");
    app.get(&path).await.assert_status(200);
    app.post(&path, &[("window", "1h"), ("new_key", "1")])
        .await
        .assert_status(200);
}

#[actix_web::test]
async fn a_rolled_away_key_or_secret_counts_inside_the_grace_window_and_not_after() {
    let app = scanning_app().await;
    let old_key = app.issue_token("Old key", &["orders"], "read_write").await;
    let old_secret = app
        .issue_token("Old secret", &["orders"], "read_write")
        .await;
    let over = app
        .issue_token("Window over", &["orders"], "read_write")
        .await;
    for creds in [&old_key, &old_secret, &over] {
        roll_keeping_the_old_pair(&app, creds.id).await;
    }
    let ended = kwik_dashboard::db::now() - time::Duration::minutes(1);
    app.db(|c| {
        diesel::update(access_tokens::table.find(TokenId(over.id)))
            .set(access_tokens::previous_expires_at.eq(Some(ended)))
            .execute(c)
            .unwrap()
    });

    let outside = labels(&report(&app, &[&over.key, &over.secret]).await);
    assert!(
        outside.iter().all(|l| l["label"] == "false_positive"),
        "{outside:?}"
    );
    assert_eq!(token(&app, over.id).status, TokenStatus::Live);

    let inside = labels(&report(&app, &[&old_key.key, &old_secret.secret]).await);
    assert!(
        inside.iter().all(|l| l["label"] == "true_positive"),
        "{inside:?}"
    );
    assert_eq!(token(&app, old_key.id).status, TokenStatus::Disabled);
    assert_eq!(token(&app, old_secret.id).status, TokenStatus::Disabled);
    assert_eq!(leak_rows(&app), vec!["disabled", "disabled"]);
}

#[actix_web::test]
async fn a_deleted_tokens_credentials_are_false_positives_and_change_nothing() {
    let app = scanning_app().await;
    let creds = app.issue_token("Gone", &["orders"], "read_write").await;
    app.post(
        &format!("{LIST}/{}/delete", creds.id),
        &[("confirm_name", "Gone")],
    )
    .await
    .assert_redirect_to(LIST);
    let before = events(&app);

    let labels = labels(&report(&app, &[&creds.secret, &creds.key, &creds.public]).await);

    assert!(
        labels.iter().all(|l| l["label"] == "false_positive"),
        "{labels:?}"
    );
    assert_eq!(events(&app), before);
    assert!(leak_rows(&app).is_empty());
}

#[actix_web::test]
async fn a_new_key_list_file_is_picked_up_without_a_restart() {
    let app = scanning_app().await;
    let creds = app.issue_token("Shop", &["orders"], "read_write").await;
    let body = github_body(&[&creds.public]);
    let rotated = sign(&signing_key(43), &body);
    report_signed(&app, &body, "rotated-key", &rotated)
        .await
        .assert_status(403);

    write_key_list(
        &app,
        &[
            (KEY_ID, &signing_key(42)),
            ("rotated-key", &signing_key(43)),
        ],
    );

    report_signed(&app, &body, "rotated-key", &rotated)
        .await
        .assert_status(200);
}

#[actix_web::test]
async fn a_batch_of_a_hundred_matches_is_answered_quickly() {
    let app = scanning_app().await;
    let mut secrets = Vec::new();
    for i in 0..100 {
        secrets.push(
            app.issue_token(&format!("T{i}"), &["orders"], "read_write")
                .await
                .secret,
        );
    }
    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();

    let started = std::time::Instant::now();
    let labels = labels(&report(&app, &refs).await);
    let took = started.elapsed();

    assert_eq!(labels.len(), 100);
    assert!(labels.iter().all(|l| l["label"] == "true_positive"));
    assert!(
        app.all_tokens()
            .iter()
            .all(|t| t.status == TokenStatus::Disabled)
    );
    let backend = if app.db.is_postgres() {
        "Postgres"
    } else {
        "SQLite"
    };
    println!("FIGURE secret-scanning: 100 matches, 100 disables, {backend}, debug build: {took:?}");
    // GitHub waits a few seconds; this only catches a pathological regression.
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
}

async fn gitlab(app: &TestApp, req: TestRequest, bearer: Option<&str>) -> Answer {
    let req = match bearer {
        Some(b) => req.insert_header(("Authorization", format!("Bearer {b}"))),
        None => req,
    };
    app.send(req).await
}

#[actix_web::test]
async fn gitlab_needs_its_bearer_token_and_lists_the_revocable_types() {
    let app = scanning_app().await;
    gitlab(&app, TestRequest::get().uri(TYPES), None)
        .await
        .assert_status(401);
    gitlab(
        &app,
        TestRequest::get().uri(TYPES),
        Some("not-the-token-but-long-enough-anyway"),
    )
    .await
    .assert_status(401);
    let types = gitlab(&app, TestRequest::get().uri(TYPES), Some(GITLAB_TOKEN)).await;
    types.assert_status(200);
    let types: Value = serde_json::from_str(&types.body).unwrap();
    assert_eq!(
        types,
        json!({ "types": ["kwik_api_key", "kwik_api_secret"] })
    );
}

#[actix_web::test]
async fn gitlab_revokes_idempotently_and_refuses_what_it_should() {
    let app = scanning_app().await;
    let creds = app.issue_token("Shop", &["orders"], "read_write").await;
    let body = json!([{
        "type": "kwik_api_secret",
        "token": creds.secret,
        "location": "https://gitlab.com/octo/shop/-/blob/main/.env",
    }])
    .to_string();
    let post = |b: &str| TestRequest::post().uri(REVOKE).set_payload(b.to_owned());

    gitlab(&app, post(&body), None).await.assert_status(401);
    assert_eq!(token(&app, creds.id).status, TokenStatus::Live);
    gitlab(&app, post("{not json"), Some(GITLAB_TOKEN))
        .await
        .assert_status(400);
    gitlab(&app, post(r#"[{"token":"x"}]"#), Some(GITLAB_TOKEN))
        .await
        .assert_status(400);

    gitlab(&app, post(&body), Some(GITLAB_TOKEN))
        .await
        .assert_status(204);
    let t = token(&app, creds.id);
    assert_eq!(t.status, TokenStatus::Disabled);
    assert!(
        t.status_reason
            .unwrap()
            .contains("(https://gitlab.com/octo/shop/-/blob/main/.env)")
    );
    let after = events(&app);
    assert!(after.last().unwrap().1.contains("reporter: GitLab"));

    gitlab(&app, post(&body), Some(GITLAB_TOKEN))
        .await
        .assert_status(204);
    assert_eq!(events(&app), after);
    assert_eq!(leak_rows(&app), vec!["disabled"]);
}

#[actix_web::test]
async fn gitlab_is_rate_limited() {
    let app = scanning_app().await;
    let mut statuses = Vec::new();
    for _ in 0..61 {
        let answer = gitlab(&app, TestRequest::get().uri(TYPES), Some(GITLAB_TOKEN)).await;
        statuses.push(answer.status.as_u16());
    }
    assert!(statuses[..60].iter().all(|s| *s == 200), "{statuses:?}");
    let last = gitlab(&app, TestRequest::get().uri(TYPES), Some(GITLAB_TOKEN)).await;
    last.assert_status(429);
    assert!(last.header("retry-after").is_some());
    assert_eq!(statuses[60], 429);
}

#[actix_web::test]
async fn githubs_documented_sample_request_is_accepted_as_github_sends_it() {
    // GitHub's documented sample (key identifier, signature, raw body) and its published key with
    // that identifier: the endpoint verifies GitHub's own bytes, not only ours.
    let app = scanning_app().await;
    let key = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9MJJHnMfn2+H4xL4YaPDA4RpJqUq\nkCmRCBnYERxZanmcpzQSXs1X/AljlKkbJ8qpVIW4clayyef9gWhFbNHWAA==\n-----END PUBLIC KEY-----\n";
    let id = "90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a";
    std::fs::write(
        app.dir.join("github-keys.json"),
        json!({ "public_keys": [{ "key_identifier": id, "key": key, "is_current": false }] })
            .to_string(),
    )
    .unwrap();
    let body = r#"[{"token":"some_token","type":"some_type","url":"some_url"}]"#;
    let signature = "MEUCIQDKZokqnCjrRtw0tni+2Ltvl/uiMJ1EGumEsp1BsNr32AIgQY1YXD2nlj+XNfGK4rBfkMJ1JDOQcYXxa2sY8FNkrKc=";

    let answer = report_signed(&app, body, id, signature).await;

    assert_eq!(
        labels(&answer),
        vec![json!({
            "token_hash": hex::encode(sha256("some_token")),
            "token_type": "some_type",
            "label": "false_positive",
        })]
    );
    report_signed(&app, &body.replace("some_url", "some_url2"), id, signature)
        .await
        .assert_status(403);
}
