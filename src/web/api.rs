//! The token-authenticated API: `GET /api/v2/whoami` for integrators to test their credentials, and
//! `POST /internal/v1/verify` for the API gateway. JSON in and out; no session, no CSRF (no cookies).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::db::models::Sections;
use crate::domain::credentials::check::Check;
use crate::domain::credentials::public_key::{self, Accepted, Refusal};
use crate::domain::credentials::rate_limit::RETRY_AFTER_SECS;
use crate::domain::credentials::verify::{self, Code, Decision, Facts, Grant, Presented};
use crate::domain::credentials::{Section, sha256};
use crate::web::error::AppError;
use crate::web::state::AppState;

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The credentials of a request: Basic if `Authorization` is sent, else the signed headers.
fn presented(headers: &HeaderMap, path_and_query: &str, body: &[u8]) -> Result<Presented, Code> {
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        return verify::parse_basic(auth.as_bytes());
    }
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match (
        text("X-Kwik-Key"),
        text("X-Kwik-Timestamp"),
        text("X-Kwik-Signature"),
    ) {
        (Some(key), Some(ts), Some(sig)) => verify::parse_signed(
            key,
            ts,
            sig,
            path_and_query,
            &hex::encode(sha256_bytes(body)),
        ),
        _ => Err(Code::Malformed),
    }
}

fn sha256_bytes(body: &[u8]) -> [u8; 32] {
    <sha2::Sha256 as sha2::Digest>::digest(body).into()
}

/// Decides with the verification use case, on this application's caches and keys.
async fn decide(state: &web::Data<AppState>, facts: Facts) -> Result<Decision, AppError> {
    let check = Check {
        database: &state.database,
        cache: &state.token_cache,
        keyring: &state.keyring,
        replays: &state.replays,
        usage: &state.usage,
        limiter: &state.limiter,
        lookups: &state.key_lookups,
        deadline: state.config.db_verify_timeout,
    };
    Ok(check.decide(&facts, unix_now()).await?)
}

/// A granted token as the gateway sees it. Fields in alphabetical order, as it has always had them.
#[derive(serde::Serialize)]
struct GrantJson<'a> {
    id: i64,
    merchant: &'a str,
    merchant_id: i64,
    name: &'a str,
    permission: &'static str,
    sections: &'a Sections,
    status: &'static str,
}

impl<'a> GrantJson<'a> {
    fn of(grant: &'a Grant) -> Self {
        Self {
            id: grant.token_id.0,
            merchant: &grant.merchant_name,
            merchant_id: grant.merchant_id.0,
            name: &grant.token_name,
            permission: grant.permission.as_str(),
            sections: &grant.sections,
            status: grant.status.as_str(),
        }
    }
}

/// The gateway's answer. Fields in alphabetical order, as it has always had them.
#[derive(serde::Serialize)]
struct VerdictJson<'a> {
    code: Option<&'static str>,
    message: Option<&'static str>,
    /// With `RATE_LIMITED`: seconds to wait, as whoami's `Retry-After` says.
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
    token: Option<GrantJson<'a>>,
    valid: bool,
}

/// whoami's answer: the merchant, and the token as its integrator knows it.
#[derive(serde::Serialize)]
struct WhoamiJson<'a> {
    merchant: &'a str,
    token: WhoamiToken<'a>,
}

/// Fields in alphabetical order, as the answer has always had them.
#[derive(serde::Serialize)]
struct WhoamiToken<'a> {
    name: &'a str,
    permission: &'static str,
    sections: &'a Sections,
    status: &'static str,
}

/// A 200 with `body` as JSON, written into one buffer sized for these small answers (actix's
/// `json` grows its string from empty, five allocations for a whoami).
fn ok_json(body: &impl serde::Serialize) -> HttpResponse {
    let mut buf = Vec::with_capacity(512);
    match serde_json::to_writer(&mut buf, body) {
        Ok(()) => HttpResponse::Ok()
            .insert_header(header::ContentType::json())
            .body(buf),
        Err(e) => HttpResponse::from_error(AppError::Internal(e.into())),
    }
}

fn denial(code: Code) -> HttpResponse {
    if code.is_unavailable() {
        return unavailable(code);
    }
    if code == Code::UnknownSection {
        return HttpResponse::BadRequest()
            .json(json!({ "error": code.as_str(), "message": code.message() }));
    }
    if code == Code::RateLimited {
        return HttpResponse::TooManyRequests()
            .insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS.to_string()))
            .json(json!({ "error": code.as_str(), "message": code.message() }));
    }
    let status = if code.is_forbidden() {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::UNAUTHORIZED
    };
    HttpResponse::build(status)
        .insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"Kwik API\""))
        .json(json!({ "error": code.as_str(), "message": code.message() }))
}

/// 503 with the refusal's own code: the server cannot decide now (fail closed), try again.
fn unavailable(code: Code) -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header((header::RETRY_AFTER, "5"))
        .json(json!({ "error": code.as_str(), "message": code.message() }))
}

/// Query of whoami: optionally, a section to test access to.
#[derive(Debug, serde::Deserialize)]
pub struct WhoamiQuery {
    section: Option<String>,
}

/// `GET /api/v2/whoami`: who these credentials are, or why they are refused.
pub async fn whoami(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<WhoamiQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let presented = match presented(req.headers(), path, &body) {
        Ok(p) => p,
        Err(code) => return Ok(denial(code)),
    };
    let section = match query.section.as_deref() {
        None | Some("") => None,
        Some(s) => match s.parse::<Section>() {
            Ok(s) => Some(s),
            Err(_) => return Ok(denial(Code::UnknownSection)),
        },
    };
    let facts = Facts {
        presented,
        method: req.method().as_str().to_owned(),
        section,
        client_ip: super::client_ip(&req, &state),
    };
    Ok(match decide(&state, facts).await? {
        Decision::Allowed(grant) => ok_json(&WhoamiJson {
            merchant: &grant.merchant_name,
            token: WhoamiToken {
                name: &grant.token_name,
                permission: grant.permission.as_str(),
                sections: &grant.sections,
                status: grant.status.as_str(),
            },
        }),
        Decision::Denied(code) => denial(code),
    })
}

/// What the gateway asks about one request.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct VerifyRequest {
    authorization: Option<String>,
    key: Option<String>,
    method: Option<String>,
    section: Option<String>,
    client_ip: Option<String>,
    timestamp: Option<serde_json::Value>,
    signature: Option<String>,
    path: Option<String>,
    body_sha256: Option<String>,
    public_key: Option<String>,
}

fn verdict(decision: Decision) -> HttpResponse {
    if let Decision::Denied(code) = decision
        && code.is_unavailable()
    {
        // Not "invalid": the gateway must not cache it as a verdict about the credentials.
        return unavailable(code);
    }
    ok_json(&match &decision {
        Decision::Allowed(grant) => VerdictJson {
            valid: true,
            code: None,
            message: None,
            retry_after: None,
            token: Some(GrantJson::of(grant)),
        },
        Decision::Denied(code) => VerdictJson {
            valid: false,
            code: Some(code.as_str()),
            message: Some(code.message()),
            retry_after: (*code == Code::RateLimited).then_some(RETRY_AFTER_SECS),
            token: None,
        },
    })
}

/// `POST /internal/v1/verify`: the gateway's question, answered 200 with `valid` true or false.
pub async fn gateway_verify(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let Some(expected) = state.config.gateway_token.as_deref() else {
        return Err(AppError::NotFound);
    };
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !bool::from(sha256(bearer).ct_eq(&sha256(expected))) {
        return Ok(HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"Kwik gateway\""))
            .json(json!({ "error": "UNAUTHORIZED", "message": "Send Authorization: Bearer $KWIK_GATEWAY_TOKEN." })));
    }
    let content_type = req.headers().get(header::CONTENT_TYPE);
    if content_type.is_some_and(|v| !v.as_bytes().starts_with(b"application/json")) {
        return Ok(HttpResponse::UnsupportedMediaType().finish());
    }
    let Ok(ask) = serde_json::from_slice::<VerifyRequest>(&body) else {
        return Ok(verdict(Decision::Denied(Code::Malformed)));
    };
    let section = match ask.section.as_deref() {
        None | Some("") => None,
        Some(s) => match s.parse::<Section>() {
            Ok(s) => Some(s),
            Err(_) => return Ok(verdict(Decision::Denied(Code::UnknownSection))),
        },
    };
    if let Some(public_key) = ask.public_key {
        return Ok(verdict(
            check_public_key(&state, public_key, section).await?,
        ));
    }
    let presented = match (&ask.authorization, &ask.key) {
        (Some(auth), _) => verify::parse_basic(auth.as_bytes()),
        (None, Some(key)) => {
            let ts = match &ask.timestamp {
                Some(serde_json::Value::Number(n)) => n.to_string(),
                Some(serde_json::Value::String(s)) => s.clone(),
                _ => String::new(),
            };
            verify::parse_signed(
                key,
                &ts,
                ask.signature.as_deref().unwrap_or_default(),
                ask.path.as_deref().unwrap_or_default(),
                ask.body_sha256.as_deref().unwrap_or_default(),
            )
        }
        (None, None) => Err(Code::Malformed),
    };
    let presented = match presented {
        Ok(p) => p,
        Err(code) => return Ok(verdict(Decision::Denied(code))),
    };
    let facts = Facts {
        presented,
        method: ask
            .method
            .unwrap_or_else(|| "GET".into())
            .to_ascii_uppercase(),
        section,
        client_ip: ask.client_ip.and_then(|ip| ip.trim().parse().ok()),
    };
    Ok(verdict(decide(&state, facts).await?))
}

/// A PUBLIC_KEY is valid when the shared rule accepts it (with the section, when one is asked for).
async fn check_public_key(
    state: &web::Data<AppState>,
    public_key: String,
    section: Option<Section>,
) -> Result<Decision, AppError> {
    let checked = state
        .database
        .call_within(state.config.db_verify_timeout, move |c| {
            public_key::check(c, &public_key, section).map_err(AppError::from)
        })
        .await?;
    Ok(match checked {
        Err(Refusal::Unknown) => Decision::Denied(Code::InvalidCredentials),
        Err(Refusal::Disabled) => Decision::Denied(Code::Disabled),
        Err(Refusal::SectionNotAllowed) => Decision::Denied(Code::SectionNotAllowed),
        Ok(Accepted {
            token,
            merchant_name,
            sections,
        }) => Decision::Allowed(Grant {
            token_id: token.id,
            token_name: token.name,
            merchant_id: token.merchant_id,
            merchant_name,
            sections,
            permission: token.permission,
            status: token.status,
        }),
    })
}
