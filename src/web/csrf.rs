//! CSRF protection for every state-changing request: a per-session synchronizer token, sent in the
//! `csrf_token` form field or the `X-CSRF-Token` header and compared in constant time, plus an Origin
//! (or Referer) that must name this host.

use actix_session::{Session, SessionExt};
use actix_web::body::BoxBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::web;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

use crate::web::error::AppError;
use crate::web::state::AppState;

/// Session key of the token.
const SESSION_KEY: &str = "csrf";
/// Form field carrying the token.
pub const FORM_FIELD: &str = "csrf_token";
/// Header carrying the token (set by htmx from the page's meta tag).
pub const HEADER: &str = "X-CSRF-Token";

/// The session's token, created on first use.
pub fn token(session: &Session) -> Result<String, AppError> {
    if let Some(existing) = session
        .get::<String>(SESSION_KEY)
        .map_err(AppError::internal)?
    {
        return Ok(existing);
    }
    rotate(session)
}

/// Replaces the session's token (at login, so a token seen before login is useless after it).
pub fn rotate(session: &Session) -> Result<String, AppError> {
    let fresh = URL_SAFE_NO_PAD
        .encode(crate::domain::credentials::random_bytes::<32>().map_err(AppError::internal)?);
    session
        .insert(SESSION_KEY, &fresh)
        .map_err(AppError::internal)?;
    Ok(fresh)
}

#[derive(serde::Deserialize)]
struct TokenField {
    csrf_token: Option<String>,
}

/// Middleware: refuses any non-safe request whose origin or token does not check out, with a 403 page,
/// before a handler runs.
pub async fn guard(
    mut req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.call(req).await;
    }
    if let Err(why) = check_origin(&req) {
        return Ok(req.error_response(AppError::Csrf(why)));
    }
    let expected = req.get_session().get::<String>(SESSION_KEY).ok().flatten();
    let mut provided = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if provided.is_none() && is_form(&req) {
        let body = req.extract::<web::Bytes>().await?;
        provided = serde_html_form::from_bytes::<TokenField>(&body)
            .ok()
            .and_then(|f| f.csrf_token);
        // Put the body back for the handler.
        req.set_payload(Payload::from(body));
    }
    match (expected, provided) {
        (Some(expected), Some(provided))
            if bool::from(expected.as_bytes().ct_eq(provided.as_bytes())) =>
        {
            next.call(req).await
        }
        (None, _) => Ok(req.error_response(AppError::Csrf("no token in session"))),
        (_, None) => Ok(req.error_response(AppError::Csrf("no token sent"))),
        _ => Ok(req.error_response(AppError::Csrf("wrong token"))),
    }
}

fn is_form(req: &ServiceRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
}

/// The Origin header, or failing that the Referer, must name the host this request was sent to.
fn check_origin(req: &ServiceRequest) -> Result<(), &'static str> {
    let host = request_host(req).ok_or("request has no host")?;
    let headers = req.headers();
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok())
        .ok_or("neither Origin nor Referer sent")?;
    if authority_of(claimed).is_some_and(|a| a.eq_ignore_ascii_case(&host)) {
        Ok(())
    } else {
        Err("foreign origin")
    }
}

/// The host the client addressed: `X-Forwarded-Host` from a trusted proxy, else `Host`.
fn request_host(req: &ServiceRequest) -> Option<String> {
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .zip(req.peer_addr())
        .is_some_and(|(state, peer)| {
            crate::infra::net::is_trusted(peer.ip(), &state.config.trusted_proxies)
        });
    let headers = req.headers();
    let forwarded = trusted
        .then(|| headers.get("X-Forwarded-Host"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_owned());
    forwarded
        .or_else(|| {
            headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        })
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
}

/// `host[:port]` of an `http(s)://` URL or origin.
fn authority_of(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|a| !a.is_empty())
}

#[cfg(test)]
mod tests {
    use super::authority_of;

    #[test]
    fn the_authority_is_read_from_origins_and_referers() {
        assert_eq!(
            authority_of("https://dash.kwik.co.za"),
            Some("dash.kwik.co.za")
        );
        assert_eq!(
            authority_of("http://127.0.0.1:8080/login?x=1"),
            Some("127.0.0.1:8080")
        );
        assert_eq!(authority_of("null"), None);
        assert_eq!(authority_of("ftp://x"), None);
        assert_eq!(authority_of("https://"), None);
    }
}
