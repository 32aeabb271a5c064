//! `GET/POST /login/two-factor`: the second step of a two-factor sign-in. The password step left the
//! user's id in the server-side session (not signed in); this step takes a code from their
//! authenticator app or a recovery code, within 5 minutes, under the login throttle.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use zeroize::Zeroizing;

use super::sign_in::{NEXT_KEY, begin_session, start_page};
use super::{Chrome, html, see_other};
use crate::db::models::UserId;
use crate::domain::auth::login::{self, CodeAttempt, Outcome};
use crate::domain::auth::totp;
use crate::web::error::AppError;
use crate::web::session_store::{PENDING_AT_KEY, PENDING_USER_KEY};
use crate::web::state::AppState;

/// How long the code step stays open after the password step.
const PENDING_SECONDS: u64 = 5 * 60;
/// One message for every wrong, reused or mistyped code.
const WRONG: &str = "That code is not correct, or it was used already. Enter the current code from your authenticator app, or one of your recovery codes.";

#[derive(Template)]
#[template(path = "login_code.html")]
struct CodePage {
    page: Chrome,
    error: Option<String>,
}

/// The user half-way through signing in on this session, if the 5 minutes have not passed; else
/// where to go instead (an expired step is forgotten, and says so on the login page).
fn pending(session: &Session) -> Result<UserId, &'static str> {
    let uid = session.get::<i64>(PENDING_USER_KEY).ok().flatten();
    let at = session.get::<u64>(PENDING_AT_KEY).ok().flatten();
    match (uid, at) {
        (Some(uid), Some(at)) if totp::unix_now().saturating_sub(at) <= PENDING_SECONDS => {
            Ok(UserId(uid))
        }
        (Some(_), _) => {
            forget(session);
            Err("/login?expired=1")
        }
        (None, _) => Err("/login"),
    }
}

fn forget(session: &Session) {
    session.remove(PENDING_USER_KEY);
    session.remove(PENDING_AT_KEY);
    session.remove(NEXT_KEY);
}

/// `GET /login/two-factor`.
pub async fn form(session: Session) -> Result<HttpResponse, AppError> {
    if let Err(to) = pending(&session) {
        return Ok(see_other(to));
    }
    let page = CodePage {
        page: Chrome::public(&session)?,
        error: None,
    };
    let mut res = html(StatusCode::OK, &page)?;
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

/// The code form.
#[derive(serde::Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /login/two-factor`.
pub async fn submit(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let uid = match pending(&session) {
        Ok(uid) => uid,
        Err(to) => return Ok(see_other(to)),
    };
    let ip = super::client_ip(&req, &state);
    let attempt = CodeAttempt {
        user: uid,
        code: Zeroizing::new(form.into_inner().code),
        ip,
        user_agent: super::user_agent(&req),
    };
    let again = |status, error: String| -> Result<HttpResponse, AppError> {
        let page = CodePage {
            page: Chrome::public(&session)?,
            error: Some(error),
        };
        html(status, &page)
    };
    match login::second_step(&state.database, &state.keyring, attempt).await? {
        Outcome::Throttled { minutes } => {
            tracing::warn!(ip = ?ip, "two-factor code refused: throttled");
            let unit = if minutes == 1 { "minute" } else { "minutes" };
            again(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Too many failed sign-in attempts. For your security, sign-in is paused: try again in {minutes} {unit}."
                ),
            )
        }
        Outcome::Refused | Outcome::CodeRequired(_) | Outcome::Disabled(_) => {
            tracing::info!(ip = ?ip, "two-factor code refused");
            again(StatusCode::UNAUTHORIZED, WRONG.to_owned())
        }
        Outcome::SignedIn(user) => {
            let next = session
                .get::<String>(NEXT_KEY)
                .ok()
                .flatten()
                .unwrap_or_default();
            begin_session(&req, &state, &session, &user)?;
            Ok(see_other(start_page(&user, &next)))
        }
    }
}
