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
use crate::web::error::AppError;
use crate::web::state::AppState;

use super::headers::API_CSP;

/// Headers added to every page and asset (a handler's own value wins).
pub fn headers() -> DefaultHeaders {
    added(super::headers::page())
}

/// Headers for the JSON API, which no browser renders: OWASP's REST set (no-store, nosniff, no
/// framing, a CSP that allows nothing). The page-only ones (referrer, opener and permissions
/// policies) are left off.
pub fn api_headers() -> DefaultHeaders {
    added(super::headers::common(API_CSP))
}

fn added(list: impl IntoIterator<Item = (header::HeaderName, &'static str)>) -> DefaultHeaders {
    list.into_iter()
        .fold(DefaultHeaders::new(), |headers, pair| headers.add(pair))
}

/// Whether the client reached us over https: directly, or as told by a trusted proxy.
pub fn is_https(req: &ServiceRequest, state: &AppState) -> bool {
    if req.app_config().secure() {
        return true;
    }
    let from_trusted_proxy = req.peer_addr().is_some_and(|peer| {
        crate::infra::net::is_trusted(peer.ip(), &state.config.trusted_proxies)
    });
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

/// What the access line of a request needs at its end: when it started, and how it is named.
struct Access {
    start: std::time::Instant,
    route: String,
    request_id: String,
}

/// Target of the one access line per request (`KWIK_LOG=...,kwik_dashboard::access=info` turns it on;
/// `KWIK_LOG_FORMAT=json` does by default).
pub const ACCESS_TARGET: &str = "kwik_dashboard::access";

impl tracing_actix_web::RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> tracing::Span {
        if tracing::enabled!(target: ACCESS_TARGET, tracing::Level::INFO) {
            let access = Access {
                start: std::time::Instant::now(),
                route: request.match_pattern().unwrap_or_default(),
                request_id: request
                    .extensions()
                    .get::<tracing_actix_web::RequestId>()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            };
            request.extensions_mut().insert(access);
        }
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
        if let Ok(res) = outcome
            && let Some(access) = res.request().extensions().get::<Access>()
        {
            tracing::info!(
                target: ACCESS_TARGET,
                request_id = %access.request_id,
                method = %res.request().method(),
                route = %access.route,
                status = status.as_u16(),
                duration_ms = access.start.elapsed().as_secs_f64() * 1000.0,
                "request"
            );
        }
    }
}

/// The event for a request answered from an error, as tracing-actix-web's own (turned off in
/// `Cargo.toml`) logged it: a warning for a 4xx, an error otherwise. Except two kinds of the app's
/// own errors. Those [`AppError`] logs itself when it becomes an answer (an outage, a bug, a CSRF or
/// role refusal) are not logged twice. The way to the login form (or to two-factor enrolment) for a
/// visit without a live session (a bookmark, an expired session) is ordinary, not a failure.
fn log_error(error: &actix_web::Error, status: StatusCode) {
    if error.as_error::<AppError>().is_some_and(|e| {
        matches!(
            e,
            AppError::LoginRequired
                | AppError::AccountDisabled
                | AppError::EnrolmentRequired
                | AppError::Unavailable(_)
                | AppError::Internal(_)
                | AppError::Csrf(_)
                | AppError::Forbidden(_)
        )
    }) {
        return;
    }
    const WHAT: &str = "Error encountered while processing the incoming HTTP request";
    if status.is_client_error() {
        tracing::warn!("{WHAT}: {error:?}");
    } else {
        tracing::error!("{WHAT}: {error:?}");
    }
}
