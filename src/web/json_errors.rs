//! JSON routes answer JSON, whatever fails: a middleware on every JSON scope (`/api`, `/internal`)
//! turns any error answer that is not already JSON (a route that does not exist, a method the route
//! does not take, a body too large or of the wrong type, a database outage, a bug) into
//! `{"error": CODE, "message": ...}` with the API's headers. Error pages are HTML for people; an API
//! client must never have to parse one, nor get the page's CSP.

use actix_web::HttpResponse;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::middleware::Next;

use super::headers::{API_CSP, common};

/// Headers of the original answer that say something the client needs, and are kept.
const KEPT: [header::HeaderName; 3] =
    [header::RETRY_AFTER, header::WWW_AUTHENTICATE, header::ALLOW];

/// The wire code and message of an error status.
pub fn describe(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => ("BAD_REQUEST", "The request could not be understood."),
        401 => ("UNAUTHORIZED", "Credentials are missing or not accepted."),
        403 => ("FORBIDDEN", "These credentials may not do this."),
        404 => ("NOT_FOUND", "No such API endpoint."),
        405 => (
            "METHOD_NOT_ALLOWED",
            "This endpoint does not take that method.",
        ),
        413 => ("PAYLOAD_TOO_LARGE", "The request body is too large."),
        415 => (
            "UNSUPPORTED_MEDIA_TYPE",
            "Send the body as application/json.",
        ),
        429 => (
            "RATE_LIMITED",
            "Too many requests: wait as Retry-After says, then try again.",
        ),
        503 => (
            "UNAVAILABLE",
            "Temporarily unavailable: try again in a moment.",
        ),
        500..=599 => (
            "INTERNAL_ERROR",
            "An unexpected error occurred; nothing secret was exposed.",
        ),
        _ => ("ERROR", "The request failed."),
    }
}

/// A JSON error answer for `status`, with the API's headers and those of `kept` worth keeping.
pub fn answer(status: StatusCode, kept: &HeaderMap) -> HttpResponse {
    let (code, message) = describe(status);
    let mut res = HttpResponse::build(status);
    for (name, value) in common(API_CSP) {
        res.insert_header((name, value));
    }
    for name in KEPT {
        if let Some(value) = kept.get(&name) {
            res.insert_header((name, value.clone()));
        }
    }
    res.json(serde_json::json!({ "error": code, "message": message }))
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// Middleware: error answers of the wrapped scope become JSON (see the module's notes).
pub async fn json_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = match next.call(req).await {
        Ok(res) => res.map_into_boxed_body(),
        // An error from an inner middleware: it is answered with the JSON of its status.
        Err(e) => {
            let original = e.error_response();
            let json = answer(original.status(), original.headers());
            return Err(actix_web::error::InternalError::from_response(e, json).into());
        }
    };
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(res.headers()) {
        return Ok(res);
    }
    let (http, original) = res.into_parts();
    let json = answer(original.status(), original.headers());
    Ok(ServiceResponse::new(http, json))
}

/// The JSON 405 of a resource, with the methods it takes.
pub fn method_not_allowed(allow: &str) -> HttpResponse {
    let mut headers = HeaderMap::new();
    if let Ok(allow) = HeaderValue::from_str(allow) {
        headers.insert(header::ALLOW, allow);
    }
    answer(StatusCode::METHOD_NOT_ALLOWED, &headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_status_has_its_own_code() {
        for (status, code) in [
            (400, "BAD_REQUEST"),
            (404, "NOT_FOUND"),
            (405, "METHOD_NOT_ALLOWED"),
            (413, "PAYLOAD_TOO_LARGE"),
            (415, "UNSUPPORTED_MEDIA_TYPE"),
            (429, "RATE_LIMITED"),
            (500, "INTERNAL_ERROR"),
            (502, "INTERNAL_ERROR"),
            (503, "UNAVAILABLE"),
        ] {
            assert_eq!(describe(StatusCode::from_u16(status).unwrap()).0, code);
        }
    }

    #[test]
    fn the_answer_is_json_with_the_api_csp_and_keeps_retry_after() {
        let mut kept = HeaderMap::new();
        kept.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        kept.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'"),
        );
        let res = answer(StatusCode::SERVICE_UNAVAILABLE, &kept);
        assert_eq!(
            res.headers().get(header::CONTENT_TYPE).unwrap(),
            "application/json"
        );
        assert_eq!(
            res.headers().get(header::CONTENT_SECURITY_POLICY).unwrap(),
            API_CSP
        );
        assert_eq!(res.headers().get(header::RETRY_AFTER).unwrap(), "5");
        assert_eq!(
            res.headers().get(header::CACHE_CONTROL).unwrap(),
            "no-store"
        );
    }
}
