//! `POST /secret-scanning/github`: GitHub's secret scanning partner program. The body is a JSON
//! array of `{token, type, url, source}`, signed (ECDSA P-256, SHA-256, over the raw body) with the
//! key named in `Github-Public-Key-Identifier`; the answer is GitHub's feedback format, with the
//! SHA-256 of each token, never the token.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::{Reported, handle_all};
use crate::domain::leaks::Reporter;
use crate::domain::leaks::github_keys::SignatureError;
use crate::web::error::AppError;
use crate::web::state::AppState;

/// The header naming GitHub's signing key.
pub const KEY_ID_HEADER: &str = "Github-Public-Key-Identifier";
/// The header with the signature (base64 of DER).
pub const SIGNATURE_HEADER: &str = "Github-Public-Key-Signature";

/// One match, as GitHub sends it.
#[derive(Debug, serde::Deserialize)]
struct Match {
    token: String,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    source: String,
}

/// One line of GitHub's feedback format.
#[derive(Debug, serde::Serialize)]
struct Feedback {
    token_hash: String,
    token_type: String,
    label: &'static str,
}

fn refused(status: actix_web::http::StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "error": "SIGNATURE_REFUSED", "message": message }))
}

/// The handler (see the module's notes). 404 while `KWIK_GITHUB_SCANNING_KEYS` is unset.
pub async fn report(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let Some(keys) = state.github_keys.clone() else {
        return Err(AppError::NotFound);
    };
    let text = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (Some(key_id), Some(signature)) = (text(KEY_ID_HEADER), text(SIGNATURE_HEADER)) else {
        return Ok(refused(
            actix_web::http::StatusCode::UNAUTHORIZED,
            "Send Github-Public-Key-Identifier and Github-Public-Key-Signature.",
        ));
    };
    let signed = body.clone();
    let checked = web::block(move || keys.verify(&key_id, &signature, &signed))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("signature check: {e}")))?;
    match checked {
        Ok(()) => {}
        Err(SignatureError::UnknownKey) => {
            return Ok(refused(
                actix_web::http::StatusCode::FORBIDDEN,
                "Unknown key identifier.",
            ));
        }
        Err(SignatureError::Bad) => {
            return Ok(refused(
                actix_web::http::StatusCode::FORBIDDEN,
                "The signature does not match the body.",
            ));
        }
        Err(e @ SignatureError::KeyList { .. }) => {
            tracing::error!(error = %e, "GitHub secret-scanning keys unusable");
            return Err(AppError::Unavailable(e.into()));
        }
    }
    if req
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| !v.as_bytes().starts_with(b"application/json"))
    {
        return Ok(HttpResponse::UnsupportedMediaType().finish());
    }
    let Ok(matches) = serde_json::from_slice::<Vec<Match>>(&body) else {
        return Err(AppError::BadRequest("not a JSON array of matches".into()));
    };
    let feedback: Vec<(String, String)> = matches
        .iter()
        .map(|m| {
            (
                hex::encode(crate::domain::credentials::sha256(&m.token)),
                m.kind.clone(),
            )
        })
        .collect();
    let findings = matches
        .into_iter()
        .map(|m| Reported {
            token: m.token,
            source: if m.source.is_empty() {
                "content".to_owned()
            } else {
                m.source
            },
            url: m.url,
        })
        .collect();
    let outcomes = handle_all(&state, Reporter::GitHub, findings).await?;
    let answer: Vec<Feedback> = feedback
        .into_iter()
        .zip(outcomes)
        .map(|((token_hash, token_type), outcome)| Feedback {
            token_hash,
            token_type,
            label: if outcome.is_true_positive() {
                "true_positive"
            } else {
                "false_positive"
            },
        })
        .collect();
    Ok(HttpResponse::Ok().json(answer))
}
