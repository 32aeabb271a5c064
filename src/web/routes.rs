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
        web::session_store::DbSessionStore::new(state.database.clone()),
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
        .app_data(aw::Data::new(pages()))
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
                .configure(|c| register(c, Area::Asset, "/static")),
        )
        // The token-authenticated API: no session, no CSRF (it uses no cookies). Whatever fails
        // answers JSON.
        .service(
            aw::scope("/api/v2")
                .wrap(web::security::api_headers())
                .wrap(from_fn(web::json_errors::json_errors))
                .configure(|c| register(c, Area::Api, "/api/v2"))
                .default_service(aw::to(unrouted)),
        )
        .service(
            aw::scope("/internal/v1")
                .wrap(web::security::api_headers())
                .wrap(from_fn(web::json_errors::json_errors))
                .configure(|c| register(c, Area::Gateway, "/internal/v1"))
                .default_service(aw::to(unrouted)),
        )
        // Secret scanners (GitHub, GitLab) report leaked credentials here, server to server: no
        // session, no CSRF; signed (GitHub) or a bearer token (GitLab). Whatever fails answers JSON.
        .service(
            aw::scope("/secret-scanning")
                .app_data(aw::PayloadConfig::new(web::scanning::BODY_LIMIT))
                .wrap(web::security::api_headers())
                .wrap(from_fn(web::json_errors::json_errors))
                .wrap(tracing_actix_web::TracingLogger::<web::security::RequestSpan>::new())
                .configure(|c| register(c, Area::Scanning, "/secret-scanning"))
                .default_service(aw::to(unrouted)),
        )
        .configure(|c| register(c, Area::Health, ""))
        // Merchants' websites post here cross-site: no session, so no cookie and no CSRF check.
        .service(
            aw::scope("/checkout")
                .wrap(web::security::headers())
                .wrap(tracing_actix_web::TracingLogger::<web::security::RequestSpan>::new())
                .configure(|c| register(c, Area::Checkout, "/checkout"))
                .default_service(aw::to(web::checkout::unrouted)),
        )
        .service(
            aw::scope("")
                .wrap(from_fn(web::sudo::guard))
                .wrap(from_fn(web::csrf::guard))
                .wrap(from_fn(web::error_page::with_chrome))
                .wrap(sessions)
                .wrap(from_fn(web::health::session_store_outage))
                .wrap(from_fn(web::security::secure_cookie))
                .wrap(web::security::headers())
                .wrap(tracing_actix_web::TracingLogger::<web::security::RequestSpan>::new())
                .configure(|c| register(c, Area::Page, ""))
                .default_service(aw::to(web::not_found)),
        );
}

/// GET, and HEAD for monitors and caches that ask for the headers alone (the server sends no body
/// in answer to HEAD).
fn get_or_head() -> actix_web::Route {
    use actix_web::guard::{Any, Get, Head};
    aw::route().guard(Any(Get()).or(Head()))
}

/// Which part of the app a route belongs to; each part has its own middleware (see [`configure`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Pages behind the session and CSRF middleware; roles are checked by each handler's extractor.
    Page,
    /// Embedded static files: no session.
    Asset,
    /// The token-authenticated JSON API.
    Api,
    /// The API gateway's JSON endpoint (bearer token).
    Gateway,
    /// Secret scanners' leak reports (GitHub's signature, GitLab's bearer token).
    Scanning,
    /// The hosted checkout form, posted cross-site by merchants' websites.
    Checkout,
    /// Liveness and readiness, for load balancers and monitors.
    Health,
}

/// A route: where it is, its method and its path pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteSpec {
    /// Which part of the app.
    pub area: Area,
    /// Lower-case HTTP method.
    pub method: &'static str,
    /// Path pattern, in full.
    pub path: &'static str,
    /// Needs a recent sign-in or re-authentication (sudo mode; see `web::sudo`).
    pub sudo: bool,
}

/// Declares every route once: [`ROUTES`] lists them (the role × route matrix test walks it, and
/// fails for a route it has no expectations for) and `register` mounts exactly those, by area.
macro_rules! route_table {
    (@sudo sudo) => { true };
    (@sudo) => { false };
    ($($area:ident $method:ident $($sudo:ident)? $path:literal => $handler:path;)*) => {
        /// Every route of the app.
        pub const ROUTES: &[RouteSpec] = &[
            $(RouteSpec {
                area: Area::$area,
                method: stringify!($method),
                path: $path,
                sudo: route_table!(@sudo $($sudo)?),
            }),*
        ];

        /// Mounts the routes of `area` on `cfg`, their paths relative to `prefix` (the scope's).
        fn register(cfg: &mut aw::ServiceConfig, area: Area, prefix: &str) {
            $(if area == Area::$area {
                let route = aw::$method();
                // Assets and health checks answer HEAD too, for monitors and caches.
                let route = if stringify!($method) == "get" && matches!(area, Area::Asset | Area::Health) {
                    get_or_head()
                } else {
                    route
                };
                cfg.route($path.strip_prefix(prefix).unwrap_or($path), route.to($handler));
            })*
        }
    };
}

/// The app's pages (its `GET` page routes), which redirect targets taken from a request must name.
pub fn pages() -> web::redirects::Pages {
    web::redirects::Pages::new(
        ROUTES
            .iter()
            .filter(|r| r.area == Area::Page && r.method == "get")
            .map(|r| r.path),
    )
}

/// The JSON answer of a JSON scope's address that no route takes: 405 with the methods its path
/// does take, or 404.
async fn unrouted(req: actix_web::HttpRequest) -> actix_web::HttpResponse {
    let allow: Vec<String> = ROUTES
        .iter()
        .filter(|r| matches!(r.area, Area::Api | Area::Gateway | Area::Scanning))
        .filter(|r| actix_web::dev::ResourceDef::new(r.path).is_match(req.path()))
        .map(|r| r.method.to_ascii_uppercase())
        .collect();
    if allow.is_empty() {
        web::json_errors::answer(
            actix_web::http::StatusCode::NOT_FOUND,
            &actix_web::http::header::HeaderMap::new(),
        )
    } else {
        web::json_errors::method_not_allowed(&allow.join(", "))
    }
}

route_table! {
    Asset get "/static/{path:.+}" => web::assets::serve;
    Api get "/api/v2/whoami" => web::api::whoami;
    Gateway post "/internal/v1/verify" => web::api::gateway_verify;
    Scanning post "/secret-scanning/github" => web::scanning::github::report;
    Scanning get "/secret-scanning/gitlab/v1/revocable_token_types" => web::scanning::gitlab::types;
    Scanning post "/secret-scanning/gitlab/v1/revoke_tokens" => web::scanning::gitlab::revoke;
    Health get "/healthz" => web::health::healthz;
    Health get "/readyz" => web::health::readyz;
    Checkout post "/checkout/form" => web::checkout::submit;
    Page get "/" => super::home;
    Page get "/login" => login::form;
    Page post "/login" => login::submit;
    Page post "/logout" => login::logout;
    Page get "/forgot-password" => web::password_reset::form;
    Page post "/forgot-password" => web::password_reset::request;
    Page get "/reset-password" => web::password_reset::reset_form;
    Page post "/reset-password" => web::password_reset::reset;
    Page get "/login/two-factor" => web::login_code::form;
    Page post "/login/two-factor" => web::login_code::submit;
    Page get "/settings/profile" => web::profile::index;
    Page post sudo "/settings/profile/password" => web::profile::password::change;
    Page post "/settings/profile/sessions/end-others" => web::profile::sessions::end_others;
    Page post "/settings/profile/alerts" => web::profile::alerts::save;
    Page post "/settings/profile/sessions/{marker}/end" => web::profile::sessions::end_one;
    Page get "/settings/profile/two-factor" => web::profile::two_factor::enrol_form;
    Page post sudo "/settings/profile/two-factor" => web::profile::two_factor::confirm;
    Page post sudo "/settings/profile/two-factor/recovery-codes" => web::profile::two_factor::regenerate;
    Page post sudo "/settings/profile/two-factor/disable" => web::profile::two_factor::turn_off;
    Page get "/developers/access-tokens" => tokens::index;
    Page post sudo "/developers/access-tokens" => tokens::create;
    Page get "/developers/access-tokens/new" => tokens::new_form;
    Page post "/developers/access-tokens/leak-reports/acknowledge" => tokens::leaks::acknowledge;
    Page get "/developers/access-tokens/{id}" => tokens::detail::show;
    Page get "/developers/access-tokens/{id}/status" => tokens::confirm_status;
    Page post "/developers/access-tokens/{id}/status" => tokens::set_status;
    Page get "/developers/access-tokens/{id}/edit" => tokens::lifecycle::edit_form;
    Page post sudo "/developers/access-tokens/{id}/edit" => tokens::lifecycle::edit;
    Page get "/developers/access-tokens/{id}/roll" => tokens::lifecycle::roll_form;
    Page post sudo "/developers/access-tokens/{id}/roll" => tokens::lifecycle::roll;
    Page get "/developers/access-tokens/{id}/delete" => tokens::lifecycle::delete_form;
    Page post sudo "/developers/access-tokens/{id}/delete" => tokens::lifecycle::delete;
    Page get "/settings/teams" => team::index;
    Page post sudo "/settings/teams" => team::create;
    Page get "/settings/teams/new" => team::new_form;
    Page get "/settings/teams/{id}/role" => team::confirm_role;
    Page post sudo "/settings/teams/{id}/role" => team::set_role;
    Page get "/settings/teams/{id}/status" => team::confirm_status;
    Page post sudo "/settings/teams/{id}/status" => team::set_status;
    Page post sudo "/settings/teams/two-factor" => team::policy::set_policy;
    Page get "/settings/teams/{id}/two-factor" => team::policy::confirm_reset;
    Page post sudo "/settings/teams/{id}/two-factor" => team::policy::reset;
    Page get "/settings/history" => history::index;
    Page get "/settings/history.csv" => history::csv;
    Page get "/support" => support::index;
    Page post "/support/search" => support::search;
    Page post "/support/tokens/{id}/status" => support::set_status;
}
