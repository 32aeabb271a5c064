//! GitLab's token revocation API: `GET /secret-scanning/gitlab/v1/revocable_token_types` names the
//! token types GitLab should look for, and `POST /secret-scanning/gitlab/v1/revoke_tokens` takes
//! `[{type, token, location}]` and answers 204. Authorised by the pre-shared bearer token
//! `KWIK_GITLAB_REVOCATION_TOKEN` (compared in constant time); 404 while it is unset. Idempotent:
//! a token reported again stays disabled and nothing more is recorded.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use subtle::ConstantTimeEq;

use super::{Reported, handle_all};
use crate::domain::credentials::sha256;
use crate::domain::leaks::Reporter;
use crate::web::error::AppError;
use crate::web::state::AppState;

/// The token types GitLab is told about (one per secret that grants access).
pub const TYPES: [&str; 2] = ["kwik_api_key", "kwik_api_secret"];

/// One finding, as GitLab sends it.
#[derive(Debug, serde::Deserialize)]
struct Revocation {
    #[serde(rename = "type")]
    _kind: String,
    token: String,
    #[serde(default)]
    location: String,
}

/// The refusal to send, if the request lacks the configured bearer token or is over the rate
/// limit; `NotFound` while no token is configured.
fn refusal(req: &HttpRequest, state: &AppState) -> Result<Option<HttpResponse>, AppError> {
    let Some(expected) = state.config.gitlab_revocation_token.as_deref() else {
        return Err(AppError::NotFound);
    };
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Hashes first: equal lengths, so the comparison's time says nothing about the token.
    if !bool::from(sha256(bearer).ct_eq(&sha256(expected))) {
        return Ok(Some(HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"Kwik token revocation\""))
            .json(json!({ "error": "UNAUTHORIZED", "message": "Send Authorization: Bearer $KWIK_GITLAB_REVOCATION_TOKEN." }))));
    }
    Ok(state.gitlab_limit.take().err().map(|wait| {
        HttpResponse::TooManyRequests()
            .insert_header((header::RETRY_AFTER, wait.to_string()))
            .finish()
    }))
}

/// `GET /secret-scanning/gitlab/v1/revocable_token_types`.
pub async fn types(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    if let Some(refused) = refusal(&req, &state)? {
        return Ok(refused);
    }
    Ok(HttpResponse::Ok().json(json!({ "types": TYPES })))
}

/// `POST /secret-scanning/gitlab/v1/revoke_tokens`.
pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    if let Some(refused) = refusal(&req, &state)? {
        return Ok(refused);
    }
    let Ok(revocations) = serde_json::from_slice::<Vec<Revocation>>(&body) else {
        return Err(AppError::BadRequest(
            "not a JSON array of {type, token, location}".into(),
        ));
    };
    let findings = revocations
        .into_iter()
        .map(|r| Reported {
            token: r.token,
            source: "GitLab content".to_owned(),
            url: r.location,
        })
        .collect();
    handle_all(&state, Reporter::GitLab, findings).await?;
    Ok(HttpResponse::NoContent().finish())
}
