//! JSON routes answer JSON whatever fails: `{"error": CODE, "message": ...}` with the API's headers,
//! never the HTML error page or the framework's plain text.

use actix_web::test::TestRequest;
use serde_json::Value;

use crate::helpers::*;

const GATEWAY: &str = "gateway-token-0123456789abcdef0123456789";
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Asserts `answer` is the JSON error `code` with `status`, under the API's CSP and `no-store`.
fn assert_json_error(answer: &Answer, status: u16, code: &str) {
    answer.assert_status(status).assert_no_store();
    assert_eq!(
        answer.header("content-type"),
        Some("application/json"),
        "{}",
        answer.body
    );
    assert_eq!(answer.header("content-security-policy"), Some(API_CSP));
    let body: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(body["error"], code, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(!answer.body.contains("<html"), "{}", answer.body);
}

#[actix_web::test]
async fn unknown_paths_and_a_disabled_gateway_answer_a_json_404() {
    let app = spawn_app().await;
    for path in ["/api/v2/nope", "/api/v2/", "/internal/v1/nothing"] {
        assert_json_error(&app.get(path).await, 404, "NOT_FOUND");
    }
    // No KWIK_GATEWAY_TOKEN: the endpoint does not exist, and says so in JSON.
    let answer = app
        .send(
            TestRequest::post()
                .uri("/internal/v1/verify")
                .insert_header(("Content-Type", "application/json"))
                .set_payload("{}"),
        )
        .await;
    assert_json_error(&answer, 404, "NOT_FOUND");
}

#[actix_web::test]
async fn a_wrong_method_is_a_json_405_naming_the_one_allowed() {
    let app = spawn_app_with(|c| c.gateway_token = Some(GATEWAY.into())).await;
    let answer = app
        .send(TestRequest::post().uri("/api/v2/whoami").set_payload("x"))
        .await;
    assert_json_error(&answer, 405, "METHOD_NOT_ALLOWED");
    assert_eq!(answer.header("allow"), Some("GET"));
    let answer = app.get("/internal/v1/verify").await;
    assert_json_error(&answer, 405, "METHOD_NOT_ALLOWED");
    assert_eq!(answer.header("allow"), Some("POST"));
}

#[actix_web::test]
async fn a_body_too_large_is_a_json_413_and_a_body_not_json_a_415() {
    let app = spawn_app_with(|c| c.gateway_token = Some(GATEWAY.into())).await;
    let big = "x".repeat(1 << 20);
    let answer = app
        .send(
            TestRequest::get()
                .uri("/api/v2/whoami")
                .insert_header(("Content-Length", big.len().to_string()))
                .set_payload(big.clone()),
        )
        .await;
    assert_json_error(&answer, 413, "PAYLOAD_TOO_LARGE");
    let answer = app
        .send(
            TestRequest::post()
                .uri("/internal/v1/verify")
                .insert_header(("Authorization", format!("Bearer {GATEWAY}")))
                .insert_header(("Content-Type", "application/json"))
                .set_payload(big),
        )
        .await;
    assert_json_error(&answer, 413, "PAYLOAD_TOO_LARGE");
    let answer = app
        .send(
            TestRequest::post()
                .uri("/internal/v1/verify")
                .insert_header(("Authorization", format!("Bearer {GATEWAY}")))
                .insert_header(("Content-Type", "text/plain"))
                .set_payload(r#"{"authorization":"Basic eA=="}"#),
        )
        .await;
    assert_json_error(&answer, 415, "UNSUPPORTED_MEDIA_TYPE");
}
