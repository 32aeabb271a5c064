//! `GET/POST /login` and `POST /logout`.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use zeroize::Zeroizing;

use super::{Chrome, html, see_other};
use crate::db::models::user::normalize_email;
use crate::domain::audit::{self, Event, Target};
use crate::domain::auth::login::{self, Attempt, DisabledBy, Outcome};
use crate::domain::auth::totp;
use crate::web::csrf;
use crate::web::current_user::EnrollingUser;
use crate::web::error::AppError;
use crate::web::redirects::Pages;
use crate::web::session_store::{PENDING_AT_KEY, PENDING_USER_KEY, USER_ID_KEY};
use crate::web::state::AppState;

/// The one message for every wrong email, password or disabled account: it tells an attacker nothing.
const INVALID: &str = "Incorrect email or password.";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    page: Chrome,
    email: String,
    next: String,
    error: Option<String>,
    notice: Option<&'static str>,
}

/// Query of the login page.
#[derive(Debug, serde::Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    signed_out: Option<String>,
    expired: Option<String>,
    disabled: Option<String>,
    reset: Option<String>,
}

/// The page to return to after sign-in, if `next` names one safely (see [`Pages::local_page`]).
pub(crate) fn safe_next<'a>(pages: &Pages, next: Option<&'a str>) -> Option<&'a str> {
    next.and_then(|n| pages.local_page(n))
}

/// `GET /login`.
pub async fn form(
    session: Session,
    pages: web::Data<Pages>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(&pages, query.next.as_deref())
        .unwrap_or_default()
        .to_owned();
    if session.get::<i64>(USER_ID_KEY).ok().flatten().is_some() {
        // Signed in already: the page asked for, or the start page of their role.
        return Ok(see_other(if next.is_empty() { "/" } else { &next }));
    }
    let notice = if query.disabled.is_some() {
        Some(
            "You were signed out: your account has been disabled. Ask an admin of your \
             organisation to enable it again.",
        )
    } else if query.reset.is_some() {
        Some(
            "Your password was changed, and every session of your account was signed out. Sign in \
             with the new password.",
        )
    } else if query.expired.is_some() {
        Some("Your sign-in timed out before the code was entered. Enter your password again.")
    } else {
        query.signed_out.is_some().then_some("You have signed out.")
    };
    let page = LoginPage {
        page: Chrome::public(&session)?,
        email: String::new(),
        next,
        error: None,
        notice,
    };
    html(StatusCode::OK, &page)
}

/// The login form.
#[derive(serde::Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// `POST /login`: argon2id on the hashing threads, the same answer for every kind of wrong, throttled per
/// email and per IP, and a fresh session id on success.
pub async fn submit(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let LoginForm {
        email,
        password,
        next,
    } = form.into_inner();
    let next = safe_next(&pages, next.as_deref())
        .unwrap_or_default()
        .to_owned();
    let ip = super::client_ip(&req, &state);
    let attempt = Attempt {
        email: email.clone(),
        password: Zeroizing::new(password),
        ip,
        user_agent: super::user_agent(&req),
    };
    let again = |status, error: String| -> Result<HttpResponse, AppError> {
        let page = LoginPage {
            page: Chrome::public(&session)?,
            email: normalize_email(&email),
            next: next.clone(),
            error: Some(error),
            notice: None,
        };
        html(status, &page)
    };
    let user = match login::attempt(&state.database, &state.hashing, attempt).await {
        Err(e) => return Err(e.into()),
        Ok(Outcome::Throttled { minutes }) => {
            let unit = if minutes == 1 { "minute" } else { "minutes" };
            tracing::warn!(ip = ?ip, "login refused: throttled");
            return again(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Too many failed sign-in attempts. For your security, sign-in is paused: try again in {minutes} {unit}."
                ),
            );
        }
        Ok(Outcome::Refused) => {
            tracing::info!(ip = ?ip, "login failed");
            return again(StatusCode::UNAUTHORIZED, INVALID.to_owned());
        }
        Ok(Outcome::Disabled(by)) => {
            tracing::info!(ip = ?ip, "login refused: account disabled");
            return again(StatusCode::FORBIDDEN, disabled_message(&by));
        }
        Ok(Outcome::CodeRequired(user)) => {
            // Half signed in, server side: the code step is open for 5 minutes, in a new session.
            session.renew();
            session
                .insert(PENDING_USER_KEY, user.id.0)
                .and_then(|()| session.insert(PENDING_AT_KEY, totp::unix_now()))
                .and_then(|()| session.insert(super::sign_in::NEXT_KEY, &next))
                .map_err(AppError::internal)?;
            csrf::rotate(&session)?;
            tracing::info!(user = user.id.0, "password accepted, code required");
            return Ok(see_other(super::sign_in::CODE_PATH));
        }
        Ok(Outcome::SignedIn(user)) => user,
    };
    super::sign_in::begin_session(&req, &state, &session, &user)?;
    Ok(see_other(super::sign_in::start_page(&user, &next)))
}

/// Whom to ask about a disabled account, told only after the right password.
fn disabled_message(by: &DisabledBy) -> String {
    let how = match (&by.actor, by.at) {
        (Some(actor), Some(at)) => format!(
            "This account was disabled by {actor} on {}.",
            crate::infra::sa_time::date(at)
        ),
        _ => "This account is disabled.".to_owned(),
    };
    let ask = match (&by.merchant, &by.actor) {
        (Some(merchant), Some(actor)) if actor != "Kwik Support" => {
            format!("Ask them, or another admin of {merchant}, to enable it again.")
        }
        (Some(merchant), _) => format!("Ask an admin of {merchant} to enable it again."),
        (None, _) => "Ask a Kwik operator to enable it again.".to_owned(),
    };
    format!("{how} {ask}")
}

/// `POST /logout`: the session is deleted server side, so its cookie is worthless from now on.
pub async fn logout(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    current: Option<EnrollingUser>,
) -> Result<HttpResponse, AppError> {
    if let Some(EnrollingUser(current)) = current {
        let actor = super::actor(&req, &state, &current.user);
        let user = current.user;
        state
            .db(move |c| {
                let target = Target {
                    kind: "user",
                    id: user.id.0,
                    label: &user.email,
                };
                audit::record(c, &actor, Event::Logout, user.merchant_id, Some(target), "")
            })
            .await?;
    }
    session.purge();
    Ok(see_other("/login?signed_out=1"))
}
