//! Response hardening: security headers on every response, `no-store` on every dynamic page, and the
//! `Secure` cookie attribute decided per request when `KWIK_COOKIE_SECURE=auto`.

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::web;

use crate::config::CookieSecure;
use crate::error::AppError;
use crate::state::AppState;

/// The Content-Security-Policy: only this origin's scripts and styles, no framing.
pub const CSP: &str = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/// Headers added to every page and asset (a handler's own value wins).
pub fn headers() -> DefaultHeaders {
    common(CSP)
        .add((header::REFERRER_POLICY, "same-origin"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), payment=()",
        ))
}

/// The Content-Security-Policy of JSON answers: nothing in them may load or run, or be framed.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Headers for the JSON API, which no browser renders: OWASP's REST set (no-store, nosniff, no
/// framing, a CSP that allows nothing). The page-only ones (referrer, opener and permissions
/// policies) are left off.
pub fn api_headers() -> DefaultHeaders {
    common(API_CSP)
}

/// What every answer carries: its CSP, nosniff, no framing, and no caching anywhere (dynamic pages
/// may hold credentials: the one-time reveal).
fn common(csp: &'static str) -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, csp))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::CACHE_CONTROL, "no-store"))
}

/// Whether the client reached us over https: directly, or as told by a trusted proxy.
pub fn is_https(req: &ServiceRequest, state: &AppState) -> bool {
    if req.app_config().secure() {
        return true;
    }
    let from_trusted_proxy = req
        .peer_addr()
        .is_some_and(|peer| crate::net::is_trusted(peer.ip(), &state.config.trusted_proxies));
    from_trusted_proxy
        && req
            .headers()
            .get("X-Forwarded-Proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(',')
                    .next()
                    .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
            })
}

/// Middleware: in `auto` mode, marks the session cookie `Secure` on responses to https requests.
pub async fn secure_cookie(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let secure = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.config.cookie_secure == CookieSecure::Auto && is_https(&req, s));
    let mut res = next.call(req).await?;
    if secure {
        let headers = res.headers_mut();
        let cookies: Vec<HeaderValue> = headers.get_all(header::SET_COOKIE).cloned().collect();
        headers.remove(header::SET_COOKIE);
        for cookie in cookies {
            let text = cookie.to_str().unwrap_or_default();
            let value = if text.to_ascii_lowercase().contains("; secure") {
                cookie
            } else {
                HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or(cookie)
            };
            headers.append(header::SET_COOKIE, value);
        }
    }
    Ok(res)
}

/// The request span of the log: method, route, path (never the query string, where a pasted
/// credential could ride along), status and a request id.
pub struct RequestSpan;

impl tracing_actix_web::RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> tracing::Span {
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = request.match_pattern().unwrap_or_default(),
            http.path = %request.path(),
            http.status_code = tracing::field::Empty,
            request_id = %request
                .extensions()
                .get::<tracing_actix_web::RequestId>()
                .map(ToString::to_string)
                .unwrap_or_default(),
        )
    }

    fn on_request_end<B: MessageBody>(
        span: tracing::Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        let (status, error) = match outcome {
            Ok(res) => (res.status(), res.response().error()),
            Err(e) => (e.as_response_error().status_code(), Some(e)),
        };
        span.record("http.status_code", status.as_u16());
        if let Some(error) = error {
            log_error(error, status);
        }
    }
}

/// The event for a request answered from an error, as tracing-actix-web's own (turned off in
/// `Cargo.toml`) logged it: a warning for a 4xx, an error otherwise. Except the way to the login form
/// for a visit without a live session (a bookmark, an expired session): ordinary, not a failure. It is
/// made from an error and is a 303, so the library logged each one at ERROR.
fn log_error(error: &actix_web::Error, status: StatusCode) {
    if error
        .as_error::<AppError>()
        .is_some_and(|e| matches!(e, AppError::LoginRequired))
    {
        return;
    }
    const WHAT: &str = "Error encountered while processing the incoming HTTP request";
    if status.is_client_error() {
        tracing::warn!("{WHAT}: {error:?}");
    } else {
        tracing::error!("{WHAT}: {error:?}");
    }
}
