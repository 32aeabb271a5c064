//! The HTTP side: the route table, handlers per area, page chrome, flash messages and assets.

pub mod access_tokens;
pub mod api;
pub mod assets;
pub mod checkout;
pub mod format;
pub mod health;
pub mod login;
pub mod security;
pub mod team;
pub mod token_views;

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::auth::{CurrentUser, csrf};
use crate::error::AppError;

/// The routes behind the session and CSRF middleware.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/login", web::get().to(login::form))
        .route("/login", web::post().to(login::submit))
        .route("/logout", web::post().to(login::logout))
        .service(
            web::scope(team::PATH)
                .route("", web::get().to(team::index))
                .route("", web::post().to(team::create))
                .route("/new", web::get().to(team::new_form))
                .route("/{id}/role", web::get().to(team::confirm_role))
                .route("/{id}/role", web::post().to(team::set_role))
                .route("/{id}/status", web::get().to(team::confirm_status))
                .route("/{id}/status", web::post().to(team::set_status)),
        )
        .service(
            web::scope("/developers/access-tokens")
                .route("", web::get().to(access_tokens::index))
                .route("", web::post().to(access_tokens::create))
                .route("/new", web::get().to(access_tokens::new_form))
                .route("/{id}/status", web::get().to(access_tokens::confirm_status))
                .route("/{id}/status", web::post().to(access_tokens::set_status)),
        );
}

/// `GET /`: the dashboard's heart is the Access Tokens screen.
async fn home(_user: CurrentUser) -> HttpResponse {
    see_other(access_tokens::PATH)
}

/// Unknown paths: a 404 page.
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// `GET /healthz`: liveness only (no database).
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok")
}

/// A 303 See Other to `location`.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location))
        .finish()
}

/// Whether htmx sent this request (it then expects a fragment, not a page).
pub fn is_htmx(req: &HttpRequest) -> bool {
    req.headers().get("HX-Request").is_some_and(|v| v == "true")
}

/// A one-shot message shown on the next page.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Flash {
    /// `success` or `error`: a CSS modifier.
    pub kind: String,
    /// The text.
    pub message: String,
}

const FLASH_KEY: &str = "flash";

impl Flash {
    /// A success message.
    pub fn success(message: impl Into<String>) -> Self {
        Self {
            kind: "success".into(),
            message: message.into(),
        }
    }

    /// Stores the message for the next page.
    pub fn set(self, session: &Session) -> Result<(), AppError> {
        session.insert(FLASH_KEY, self).map_err(AppError::internal)
    }

    /// Takes the pending message, if any.
    pub fn take(session: &Session) -> Option<Self> {
        session.remove_as::<Self>(FLASH_KEY).and_then(Result::ok)
    }
}

/// The signed-in user as the header shows them.
#[derive(Debug, Clone)]
pub struct UserView {
    /// Email.
    pub email: String,
    /// Merchant name.
    pub merchant: String,
    /// Role label.
    pub role: &'static str,
}

/// What every page needs besides its own content.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// Versioned asset URLs.
    pub assets: assets::AssetUrls,
    /// The session's CSRF token, for forms and for htmx's header.
    pub csrf_token: String,
    /// The signed-in user, if any.
    pub user: Option<UserView>,
    /// A pending flash message.
    pub flash: Option<Flash>,
}

impl Chrome {
    /// Chrome for a page without a signed-in user.
    pub fn public(session: &Session) -> Result<Self, AppError> {
        Ok(Self {
            assets: assets::AssetUrls::get(),
            csrf_token: csrf::token(session)?,
            user: None,
            flash: None,
        })
    }

    /// Chrome for a merchant page; takes the pending flash message.
    pub fn for_member(
        session: &Session,
        member: &crate::auth::current_user::MerchantUser,
    ) -> Result<Self, AppError> {
        Ok(Self {
            assets: assets::AssetUrls::get(),
            csrf_token: csrf::token(session)?,
            user: Some(UserView {
                email: member.user.email.clone(),
                merchant: member.merchant.name.clone(),
                role: match member.user.role {
                    crate::db::models::Role::Admin => "Admin",
                    crate::db::models::Role::Viewer => "Viewer",
                    crate::db::models::Role::Support => "Kwik Support",
                },
            }),
            flash: Flash::take(session),
        })
    }
}

/// Renders a template as an HTML response with `status`.
pub fn html(
    status: actix_web::http::StatusCode,
    page: &impl askama::Template,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(page.render()?))
}

/// The client's address as seen through trusted proxies.
pub fn client_ip(req: &HttpRequest, state: &crate::state::AppState) -> Option<std::net::IpAddr> {
    let forwarded = req
        .headers()
        .get("X-Forwarded-For")
        .and_then(|v| v.to_str().ok());
    crate::net::client_ip(
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
    state: &crate::state::AppState,
    user: &crate::db::models::User,
) -> crate::audit::Actor {
    crate::audit::Actor::user(
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
