//! The one route table: every URL meets its handler here, and `main` and every test mount it.

use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, TtlExtensionPolicy};
use actix_web::cookie::SameSite;
use actix_web::middleware::from_fn;
use actix_web::web as aw;

use crate::config::CookieSecure;
use crate::web;
use crate::web::error::AppError;
use crate::web::state::AppState;
use crate::web::{history, login, support, team, tokens};

/// Name of the session cookie. It carries only an opaque id.
pub const SESSION_COOKIE: &str = "kwik_session";

/// The one route table, used by `main` and by every test. It takes the state because the session
/// middleware needs the pool and the cookie key when it is built.
pub fn configure(cfg: &mut aw::ServiceConfig, state: &AppState) {
    let idle = actix_web::cookie::time::Duration::seconds(
        web::session_store::IDLE_TIMEOUT.whole_seconds(),
    );
    let sessions = SessionMiddleware::builder(
        web::session_store::DbSessionStore::new(state.pool.clone(), state.database.threads.clone()),
        state.session_key.clone(),
    )
    .cookie_name(SESSION_COOKIE.to_owned())
    .cookie_secure(state.config.cookie_secure == CookieSecure::Always)
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
        .app_data(aw::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()))
        .app_data(
            aw::QueryConfig::default()
                .error_handler(|e, _| AppError::BadRequest(e.to_string()).into()),
        )
        .app_data(
            aw::FormConfig::default()
                .limit(64 * 1024)
                .error_handler(|e, _| AppError::BadRequest(e.to_string()).into()),
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
                .wrap(from_fn(web::json_errors::json_errors))
                .service(
                    aw::resource("/whoami")
                        .route(aw::get().to(web::api::whoami))
                        .default_service(aw::to(|| async {
                            web::json_errors::method_not_allowed("GET")
                        })),
                )
                .default_service(aw::to(web::api::not_found)),
        )
        .service(
            aw::scope("/internal/v1")
                .wrap(web::security::api_headers())
                .wrap(from_fn(web::json_errors::json_errors))
                .service(
                    aw::resource("/verify")
                        .route(aw::post().to(web::api::gateway_verify))
                        .default_service(aw::to(|| async {
                            web::json_errors::method_not_allowed("POST")
                        })),
                )
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
                .configure(routes)
                .default_service(aw::to(web::not_found)),
        );
}

/// GET, and HEAD for monitors and caches that ask for the headers alone (the server sends no body
/// in answer to HEAD).
fn get_or_head() -> actix_web::Route {
    use actix_web::guard::{Any, Get, Head};
    aw::route().guard(Any(Get()).or(Head()))
}

/// A page route: method and path pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteSpec {
    /// Lower-case HTTP method.
    pub method: &'static str,
    /// Path pattern, as registered.
    pub path: &'static str,
}

/// Declares the page routes once: [`ROUTES`] lists them (the role × route matrix test walks it, and
/// fails for a route it has no expectations for) and [`routes`] registers exactly those.
macro_rules! route_table {
    ($($method:ident $path:literal => $handler:path;)*) => {
        /// Every page route behind the session and CSRF middleware.
        pub const ROUTES: &[RouteSpec] = &[$(RouteSpec { method: stringify!($method), path: $path }),*];

        /// Registers [`ROUTES`]; roles are checked by each handler's extractor.
        pub fn routes(cfg: &mut aw::ServiceConfig) {
            $(cfg.route($path, aw::$method().to($handler));)*
        }
    };
}

route_table! {
    get "/" => super::home;
    get "/login" => login::form;
    post "/login" => login::submit;
    post "/logout" => login::logout;
    get "/developers/access-tokens" => tokens::index;
    post "/developers/access-tokens" => tokens::create;
    get "/developers/access-tokens/new" => tokens::new_form;
    get "/developers/access-tokens/{id}" => tokens::detail::show;
    get "/developers/access-tokens/{id}/status" => tokens::confirm_status;
    post "/developers/access-tokens/{id}/status" => tokens::set_status;
    get "/developers/access-tokens/{id}/edit" => tokens::lifecycle::edit_form;
    post "/developers/access-tokens/{id}/edit" => tokens::lifecycle::edit;
    get "/developers/access-tokens/{id}/roll" => tokens::lifecycle::roll_form;
    post "/developers/access-tokens/{id}/roll" => tokens::lifecycle::roll;
    get "/developers/access-tokens/{id}/delete" => tokens::lifecycle::delete_form;
    post "/developers/access-tokens/{id}/delete" => tokens::lifecycle::delete;
    get "/settings/teams" => team::index;
    post "/settings/teams" => team::create;
    get "/settings/teams/new" => team::new_form;
    get "/settings/teams/{id}/role" => team::confirm_role;
    post "/settings/teams/{id}/role" => team::set_role;
    get "/settings/teams/{id}/status" => team::confirm_status;
    post "/settings/teams/{id}/status" => team::set_status;
    get "/settings/history" => history::index;
    get "/settings/history.csv" => history::csv;
    get "/support" => support::index;
    post "/support/tokens/{id}/status" => support::set_status;
}
