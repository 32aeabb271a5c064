//! The HTTP side: the route table, handlers per area, page chrome, flash messages and assets.

pub mod access_tokens;
pub mod api;
pub mod assets;
pub mod checkout;
pub mod csrf;
pub mod current_user;
pub mod error;
pub mod format;
pub mod headers;
pub mod health;
pub mod history;
pub mod login;
pub mod security;
pub mod session_store;
pub mod state;
pub mod support;
pub mod team;
pub mod token_detail;
pub mod token_lifecycle;
pub mod token_list;
pub mod token_views;

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::web::current_user::CurrentUser;
use crate::web::error::AppError;

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
        pub fn routes(cfg: &mut web::ServiceConfig) {
            $(cfg.route($path, web::$method().to($handler));)*
        }
    };
}

route_table! {
    get "/" => home;
    get "/login" => login::form;
    post "/login" => login::submit;
    post "/logout" => login::logout;
    get "/developers/access-tokens" => access_tokens::index;
    post "/developers/access-tokens" => access_tokens::create;
    get "/developers/access-tokens/new" => access_tokens::new_form;
    get "/developers/access-tokens/{id}" => token_detail::show;
    get "/developers/access-tokens/{id}/status" => access_tokens::confirm_status;
    post "/developers/access-tokens/{id}/status" => access_tokens::set_status;
    get "/developers/access-tokens/{id}/edit" => token_lifecycle::edit_form;
    post "/developers/access-tokens/{id}/edit" => token_lifecycle::edit;
    get "/developers/access-tokens/{id}/roll" => token_lifecycle::roll_form;
    post "/developers/access-tokens/{id}/roll" => token_lifecycle::roll;
    get "/developers/access-tokens/{id}/delete" => token_lifecycle::delete_form;
    post "/developers/access-tokens/{id}/delete" => token_lifecycle::delete;
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

/// `GET /`: the dashboard's heart is the Access Tokens screen; support staff start at their console.
async fn home(current: CurrentUser) -> HttpResponse {
    see_other(landing(&current.user))
}

/// Where a user starts.
pub fn landing(user: &crate::db::models::User) -> &'static str {
    if user.role == crate::db::models::Role::Support {
        "/support"
    } else {
        access_tokens::PATH
    }
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
        // `remove` marks the session changed even when the key is absent, and a changed session is
        // written back to the database: look first, so a page view without a message writes nothing.
        if !session.contains_key(FLASH_KEY) {
            return None;
        }
        session.remove_as::<Self>(FLASH_KEY).and_then(Result::ok)
    }
}

/// The signed-in user as the header and navigation show them.
#[derive(Debug, Clone)]
pub struct UserView {
    /// Email.
    pub email: String,
    /// Merchant name, or "Kwik Support".
    pub merchant: String,
    /// Role label.
    pub role: &'static str,
    /// May manage the team (merchant admins).
    pub is_admin: bool,
    /// Kwik Support staff (support console instead of merchant pages).
    pub is_support: bool,
}

impl UserView {
    fn of(user: &crate::db::models::User, merchant: &str) -> Self {
        use crate::db::models::Role;
        Self {
            email: user.email.clone(),
            merchant: merchant.to_owned(),
            role: match user.role {
                Role::Admin => "Admin",
                Role::Viewer => "Viewer",
                Role::Support => "Kwik Support",
            },
            is_admin: user.role == Role::Admin,
            is_support: user.role == Role::Support,
        }
    }
}

/// What every page needs besides its own content.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// Versioned asset URLs.
    pub assets: &'static assets::AssetUrls,
    /// The session's CSRF token, for forms and for htmx's header.
    pub csrf_token: String,
    /// The signed-in user, if any.
    pub user: Option<UserView>,
    /// A pending flash message.
    pub flash: Option<Flash>,
    /// Which navigation entry is current: `tokens`, `teams`, `history` or `support`.
    pub nav: &'static str,
}

impl Chrome {
    /// Chrome for a page without a signed-in user.
    pub fn public(session: &Session) -> Result<Self, AppError> {
        Ok(Self {
            assets: assets::AssetUrls::get(),
            csrf_token: csrf::token(session)?,
            user: None,
            flash: None,
            nav: "",
        })
    }

    /// Chrome for a merchant page; takes the pending flash message.
    pub fn for_member(
        session: &Session,
        member: &crate::web::current_user::MerchantUser,
    ) -> Result<Self, AppError> {
        Ok(Self {
            assets: assets::AssetUrls::get(),
            csrf_token: csrf::token(session)?,
            user: Some(UserView::of(&member.user, &member.merchant.name)),
            flash: Flash::take(session),
            nav: "tokens",
        })
    }

    /// The same chrome with `entry` as the current navigation entry.
    pub fn at(mut self, entry: &'static str) -> Self {
        self.nav = entry;
        self
    }

    /// Chrome for a Kwik Support page; takes the pending flash message.
    pub fn for_support(
        session: &Session,
        user: &crate::db::models::User,
    ) -> Result<Self, AppError> {
        Ok(Self {
            assets: assets::AssetUrls::get(),
            csrf_token: csrf::token(session)?,
            user: Some(UserView::of(user, "Kwik Support")),
            flash: Flash::take(session),
            nav: "support",
        })
    }
}

/// Renders a template as an HTML response with `status`.
pub fn html(
    status: actix_web::http::StatusCode,
    page: &impl askama::Template,
) -> Result<HttpResponse, AppError> {
    html_sized(status, page, 0)
}

/// [`html`] for a page known to hold about `inner` bytes of already-rendered HTML (a page of table
/// rows): the buffer is sized once instead of doubling, and copying, its way up.
pub fn html_sized<T: askama::Template>(
    status: actix_web::http::StatusCode,
    page: &T,
    inner: usize,
) -> Result<HttpResponse, AppError> {
    let mut body = String::with_capacity(inner + T::SIZE_HINT.max(16 << 10));
    page.render_into(&mut body)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// A page built around a page of `rows` by `page`. When `gzip`, it is one gzip member in which only
/// the rows are compressed (see [`gzip`]): the page is rendered with `rows.stand_in()` and split at
/// its marker. Otherwise, or if the rows could not be compressed, plain [`html_sized`].
pub fn html_around_rows<T: askama::Template>(
    status: actix_web::http::StatusCode,
    rows: &token_views::Rows,
    gzip: bool,
    page: impl FnOnce(token_views::Rows) -> T,
) -> Result<HttpResponse, AppError> {
    let zipped = if gzip {
        rows.deflated()
            .zip(rows.stand_in())
            .zip(token_views::ROWS_MARK.as_deref())
    } else {
        None
    };
    let Some(((deflated, stand_in), mark)) = zipped else {
        return html_sized(status, &page(rows.clone()), rows.html_len());
    };
    let mut shell = String::with_capacity(T::SIZE_HINT.max(16 << 10));
    page(stand_in).render_into(&mut shell)?;
    let mut res = HttpResponse::build(status);
    res.content_type("text/html; charset=utf-8");
    let Some(at) = memchr::memmem::find(shell.as_bytes(), mark.as_bytes()) else {
        // No table (no rows to show): the page is whole, and small.
        return Ok(res.body(shell));
    };
    let (before, after) = (&shell[..at], &shell[at + mark.len()..]);
    Ok(res
        .insert_header((actix_web::http::header::CONTENT_ENCODING, "gzip"))
        .body(crate::infra::gzip::member(
            before.as_bytes(),
            deflated,
            after.as_bytes(),
        )))
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
