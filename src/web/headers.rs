//! The security headers, listed once: the header middleware adds them to what handlers answer, and
//! error answers built outside it (by middleware, or before a route matched) carry the same set.

use actix_web::http::header::{self, HeaderName};

/// The Content-Security-Policy of pages: only this origin's scripts and styles, no framing.
pub const CSP: &str = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/// The Content-Security-Policy of JSON answers: nothing in them may load or run, or be framed.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// What every answer carries: its CSP, nosniff, no framing, and no caching anywhere (dynamic pages
/// may hold credentials: the one-time reveal). OWASP's REST set, for the API.
pub fn common(csp: &'static str) -> [(HeaderName, &'static str); 4] {
    [
        (header::CONTENT_SECURITY_POLICY, csp),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CACHE_CONTROL, "no-store"),
    ]
}

/// What pages carry besides [`common`]: the referrer, opener and permissions policies.
pub fn page_only() -> [(HeaderName, &'static str); 3] {
    [
        (header::REFERRER_POLICY, "same-origin"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), payment=()",
        ),
    ]
}

/// Every header of a page.
pub fn page() -> impl Iterator<Item = (HeaderName, &'static str)> {
    common(CSP).into_iter().chain(page_only())
}
