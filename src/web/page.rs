//! What every page shares: the chrome (assets, CSRF token, the signed-in user, navigation), the flash
//! message of the page before, and rendering a template as an HTML answer.

use actix_session::Session;
use actix_web::HttpResponse;

use crate::web::assets;
use crate::web::csrf;
use crate::web::current_user::MerchantUser;
use crate::web::error::AppError;

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

    /// A message about something refused.
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            kind: "error".into(),
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

    /// Chrome for any signed-in user's page (the profile, a prompt): their merchant's name, or Kwik
    /// Support; takes the pending flash message.
    pub fn for_user(
        session: &Session,
        user: &crate::db::models::User,
        merchant: Option<&crate::db::models::Merchant>,
    ) -> Result<Self, AppError> {
        Ok(Self {
            flash: Flash::take(session),
            nav: "profile",
            ..Self::for_error(session, user, merchant)?
        })
    }

    /// Chrome for an error page of a signed-in user: no navigation entry is current, and a pending
    /// flash message is left for the next real page.
    pub fn for_error(
        session: &Session,
        user: &crate::db::models::User,
        merchant: Option<&crate::db::models::Merchant>,
    ) -> Result<Self, AppError> {
        Ok(Self {
            assets: assets::AssetUrls::get(),
            csrf_token: csrf::token(session)?,
            user: Some(UserView::of(
                user,
                merchant.map_or("Kwik Support", |m| m.name.as_str()),
            )),
            flash: None,
            nav: "",
        })
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

/// The answer to a request htmx may have sent: for htmx the fragment alone (it swaps it into the
/// page already shown, a dialog say), otherwise the full page with its chrome, which holds the same
/// fragment. `content` goes to whichever of the two is built.
pub fn fragment_or_page<C, F, P>(
    req: &actix_web::HttpRequest,
    status: actix_web::http::StatusCode,
    content: C,
    fragment: impl FnOnce(C) -> F,
    page: impl FnOnce(C) -> Result<P, AppError>,
) -> Result<HttpResponse, AppError>
where
    F: askama::Template,
    P: askama::Template,
{
    if super::is_htmx(req) {
        html(status, &fragment(content))
    } else {
        html(status, &page(content)?)
    }
}

/// [`fragment_or_page`] for a form or confirmation of a merchant's page: the fragment holds the
/// content and the session's CSRF token; the page, the same and the chrome at navigation entry
/// `nav`.
pub fn member_fragment_or_page<C, F, P>(
    req: &actix_web::HttpRequest,
    (session, member, nav): (&Session, &MerchantUser, &'static str),
    status: actix_web::http::StatusCode,
    content: C,
    fragment: impl FnOnce(C, String) -> F,
    page: impl FnOnce(Chrome, C, String) -> P,
) -> Result<HttpResponse, AppError>
where
    F: askama::Template,
    P: askama::Template,
{
    let csrf_token = csrf::token(session)?;
    fragment_or_page(
        req,
        status,
        (content, csrf_token),
        |(content, csrf_token)| fragment(content, csrf_token),
        |(content, csrf_token)| {
            let chrome = Chrome::for_member(session, member)?.at(nav);
            Ok(page(chrome, content, csrf_token))
        },
    )
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
