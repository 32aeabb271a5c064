//! kwik-dashboard: the Kwik merchant dashboard's Access Tokens screen, server-rendered.
//!
//! Layers point one way: `web` → `domain` → `db`. The base (`config`, `keys`) and the plumbing
//! (`infra`) import from none of them; `cli` and this file sit on top and may use them all.

pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod infra;
pub mod keys;
pub mod web;

use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, TtlExtensionPolicy};
use actix_web::cookie::SameSite;
use actix_web::middleware::from_fn;
use actix_web::web as aw;

pub use config::Config;
pub use web::state::AppState;

/// Name of the session cookie. It carries only an opaque id.
pub const SESSION_COOKIE: &str = "kwik_session";

/// The one route table, used by `main` and by every test. It takes the state because the session
/// middleware needs the pool and the cookie key when it is built.
pub fn configure(cfg: &mut aw::ServiceConfig, state: &AppState) {
    let idle = actix_web::cookie::time::Duration::seconds(
        web::session_store::IDLE_TIMEOUT.whole_seconds(),
    );
    let sessions = SessionMiddleware::builder(
        web::session_store::DbSessionStore::new(state.pool.clone(), state.db_threads.clone()),
        state.session_key.clone(),
    )
    .cookie_name(SESSION_COOKIE.to_owned())
    .cookie_secure(state.config.cookie_secure == config::CookieSecure::Always)
    .cookie_http_only(true)
    .cookie_same_site(SameSite::Lax)
    .session_lifecycle(
        BrowserSession::default()
            .state_ttl(idle)
            // The store extends the idle expiry when it loads a session; see DbSessionStore::load.
            .state_ttl_extension_policy(TtlExtensionPolicy::OnStateChanges),
    )
    .build();

    cfg.app_data(aw::Data::new(state.clone()))
        .app_data(
            aw::PathConfig::default().error_handler(|_, _| web::error::AppError::NotFound.into()),
        )
        .app_data(
            aw::QueryConfig::default()
                .error_handler(|e, _| web::error::AppError::BadRequest(e.to_string()).into()),
        )
        .app_data(
            aw::FormConfig::default()
                .limit(64 * 1024)
                .error_handler(|e, _| web::error::AppError::BadRequest(e.to_string()).into()),
        )
        .app_data(aw::PayloadConfig::new(64 * 1024))
        // Assets and health checks need no session: served before the session scope.
        .service(
            aw::scope("/static")
                // gzip/brotli by Accept-Encoding: htmx drops from 51 KB to about 16 KB on the wire.
                .wrap(actix_web::middleware::Compress::default())
                .wrap(web::security::headers())
                .route("/{path:.+}", get_or_head().to(web::assets::serve)),
        )
        // The token-authenticated API: no session, no CSRF (it uses no cookies).
        .service(
            aw::scope("/api/v2")
                .wrap(web::security::api_headers())
                .route("/whoami", aw::get().to(web::api::whoami))
                .default_service(aw::to(web::api::not_found)),
        )
        .service(
            aw::scope("/internal/v1")
                .wrap(web::security::api_headers())
                .route("/verify", aw::post().to(web::api::gateway_verify))
                .default_service(aw::to(web::api::not_found)),
        )
        .route("/healthz", get_or_head().to(web::health::healthz))
        .route("/readyz", get_or_head().to(web::health::readyz))
        // Merchants' websites post here cross-site: no session, so no cookie and no CSRF check.
        .service(
            aw::resource("/checkout/form")
                .wrap(web::security::headers())
                .wrap(tracing_actix_web::TracingLogger::<web::security::RequestSpan>::new())
                .route(aw::post().to(web::checkout::submit))
                .default_service(aw::to(web::checkout::method_not_allowed)),
        )
        .service(
            aw::scope("")
                .wrap(from_fn(web::csrf::guard))
                .wrap(sessions)
                .wrap(from_fn(web::health::session_store_outage))
                .wrap(from_fn(web::security::secure_cookie))
                .wrap(web::security::headers())
                .wrap(tracing_actix_web::TracingLogger::<web::security::RequestSpan>::new())
                .configure(web::routes)
                .default_service(aw::to(web::not_found)),
        );
}

/// GET, and HEAD for monitors and caches that ask for the headers alone (the server sends no body
/// in answer to HEAD).
fn get_or_head() -> actix_web::Route {
    use actix_web::guard::{Any, Get, Head};
    aw::route().guard(Any(Get()).or(Head()))
}
