//! The HTTP side: the route table, handlers per area, page chrome, flash messages and assets.

pub mod api;
pub mod assets;
pub mod checkout;
pub mod csrf;
pub mod current_user;
pub mod error;
pub mod error_page;
pub mod format;
pub mod headers;
pub mod health;
pub mod history;
pub mod json_errors;
pub mod login;
pub mod login_code;
pub mod metrics;
pub mod once;
pub mod page;
pub mod password_reset;
pub mod profile;
pub mod redirects;
pub mod routes;
pub mod scanning;
pub mod security;
pub mod session_store;
pub mod sign_in;
pub mod state;
pub mod sudo;
pub mod support;
pub mod team;
pub mod tokens;

use actix_web::{HttpRequest, HttpResponse};

pub use page::{
    Chrome, Flash, UserView, fragment_or_page, html, html_sized, member_fragment_or_page,
};
pub use routes::{ROUTES, RouteSpec};

use crate::web::current_user::CurrentUser;
use crate::web::error::AppError;

/// `GET /`: the dashboard's heart is the Access Tokens screen; support staff start at their console.
pub(crate) async fn home(current: CurrentUser) -> HttpResponse {
    see_other(landing(&current.user))
}

/// Where a user starts.
pub fn landing(user: &crate::db::models::User) -> &'static str {
    if user.role == crate::db::models::Role::Support {
        "/support"
    } else {
        tokens::PATH
    }
}

/// Unknown paths: a 404 page.
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// A 303 See Other to `location`. A location that is no valid header value (a bug: every target
/// taken from a request passes [`redirects::local_page`] first) goes to the start page instead of
/// failing the request.
pub fn see_other(location: &str) -> HttpResponse {
    let value = actix_web::http::header::HeaderValue::from_str(location)
        .ok()
        .filter(|v| !v.as_bytes().iter().any(u8::is_ascii_control))
        .unwrap_or_else(|| {
            tracing::error!("a redirect target was not a valid Location; sent to the start page");
            actix_web::http::header::HeaderValue::from_static("/")
        });
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, value))
        .finish()
}

/// A redirect that works for both htmx (which follows `HX-Redirect`) and plain forms.
pub fn redirect(req: &HttpRequest, location: &str) -> HttpResponse {
    if is_htmx(req) {
        HttpResponse::Ok()
            .insert_header(("HX-Redirect", location))
            .finish()
    } else {
        see_other(location)
    }
}

/// Whether htmx sent this request (it then expects a fragment, not a page).
pub fn is_htmx(req: &HttpRequest) -> bool {
    req.headers().get("HX-Request").is_some_and(|v| v == "true")
}

/// The client's address as seen through trusted proxies.
pub fn client_ip(
    req: &HttpRequest,
    state: &crate::web::state::AppState,
) -> Option<std::net::IpAddr> {
    let forwarded = req
        .headers()
        .get("X-Forwarded-For")
        .and_then(|v| v.to_str().ok());
    crate::infra::net::client_ip(
        req.peer_addr().map(|a| a.ip()),
        forwarded,
        &state.config.trusted_proxies,
    )
}

/// A JSON text with every non-ASCII character escaped, so it fits in an HTTP header (`HX-Trigger`).
pub fn ascii_json(value: &serde_json::Value) -> String {
    let mut out = String::new();
    for c in value.to_string().chars() {
        if c.is_ascii() && !c.is_ascii_control() {
            out.push(c);
        } else {
            for unit in c.encode_utf16(&mut [0; 2]) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// Who is acting, for the audit history: the user, their address and their browser.
pub fn actor(
    req: &HttpRequest,
    state: &crate::web::state::AppState,
    user: &crate::db::models::User,
) -> crate::domain::audit::Actor {
    crate::domain::audit::Actor::user(
        user,
        client_ip(req, state).map(|ip| ip.to_string()),
        user_agent(req),
    )
}

/// The request's user agent, if any.
pub fn user_agent(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}
