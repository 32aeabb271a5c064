//! `GET/POST /login` and `POST /logout`.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use diesel::{Connection, QueryResult};
use zeroize::Zeroizing;

use super::{Chrome, html, see_other};
use crate::db::{self, models::User, models::user::normalize_email};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::auth::throttle::Scope;
use crate::web::csrf;
use crate::web::current_user::CurrentUser;
use crate::web::error::AppError;
use crate::web::session_store::USER_ID_KEY;
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
}

/// Where to go after login: a local path only, never another site.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => super::tokens::PATH,
    }
}

/// `GET /login`.
pub async fn form(
    session: Session,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(query.next.as_deref()).to_owned();
    if session.get::<i64>(USER_ID_KEY).ok().flatten().is_some() {
        return Ok(see_other(&next));
    }
    let notice = query.signed_out.is_some().then_some("You have signed out.");
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
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let LoginForm {
        email,
        password,
        next,
    } = form.into_inner();
    let password = Zeroizing::new(password);
    let next = safe_next(next.as_deref()).to_owned();
    let email = normalize_email(&email);
    let ip = super::client_ip(&req, &state);
    let scope = Scope::new(&email, ip);
    let now = db::now();

    let (locked_until, user) = {
        let (scope, email) = (scope.clone(), email.clone());
        state
            .db(move |c| -> QueryResult<_> {
                let locked = scope.locked_until(c, now)?;
                let user = if locked.is_none() {
                    User::find_by_email(c, &email)?
                } else {
                    None
                };
                Ok((locked, user))
            })
            .await?
    };
    let again = |status, error: String| -> Result<HttpResponse, AppError> {
        let page = LoginPage {
            page: Chrome::public(&session)?,
            email: email.clone(),
            next: next.clone(),
            error: Some(error),
            notice: None,
        };
        html(status, &page)
    };
    let attempt = {
        let mut a = Actor::anonymous(ip.map(|i| i.to_string()), super::user_agent(&req));
        a.email = Some(email.clone());
        a
    };
    if let Some(until) = locked_until {
        // The attempt is recorded against the account it aimed at, if there is one.
        let (email, attempt) = (email.clone(), attempt.clone());
        state
            .db(move |c| -> QueryResult<()> {
                let user = User::find_by_email(c, &email)?;
                record_failure(
                    c,
                    &attempt,
                    user.as_ref(),
                    "throttled: too many failed attempts",
                )
            })
            .await?;
        let minutes = ((until - now).whole_seconds() + 59) / 60;
        let unit = if minutes == 1 { "minute" } else { "minutes" };
        tracing::warn!(ip = ?ip, "login refused: throttled");
        return again(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many failed sign-in attempts. For your security, sign-in is paused: try again in {minutes} {unit}."
            ),
        );
    }

    let stored = user.as_ref().map(|u| u.password_hash.clone());
    // On the hashing threads: a bounded number at once, the rest wait their turn, none is refused.
    let matches = state
        .hashing
        .verify(password, stored)
        .await
        .map_err(AppError::internal)?;
    let Some(user) = user.clone().filter(|u| matches && !u.disabled) else {
        let why = match &user {
            None => "unknown email",
            Some(u) if u.disabled && matches => "account disabled",
            Some(_) => "wrong password",
        };
        state
            .db(move |c| -> QueryResult<()> {
                c.transaction(|c| {
                    scope.record_failure(c, now)?;
                    record_failure(c, &attempt, user.as_ref(), why)
                })
            })
            .await?;
        tracing::info!(ip = ?ip, "login failed");
        return again(StatusCode::UNAUTHORIZED, INVALID.to_owned());
    };

    let user_id = user.id;
    let user_for_landing = user.clone();
    let actor = Actor::user(&user, attempt.ip.clone(), attempt.user_agent.clone());
    state
        .db(move |c| -> QueryResult<()> {
            c.transaction(|c| {
                scope.record_success(c)?;
                User::record_login(c, user_id, now)?;
                let target = Target {
                    kind: "user",
                    id: user.id.0,
                    label: &user.email,
                };
                audit::record(
                    c,
                    &actor,
                    Event::LoginSucceeded,
                    user.merchant_id,
                    Some(target),
                    "",
                )
            })
        })
        .await?;
    // A new session id at login defeats session fixation; a new CSRF token too.
    session.renew();
    session
        .insert(USER_ID_KEY, user_id.0)
        .map_err(AppError::internal)?;
    csrf::rotate(&session)?;
    tracing::info!(user = user_id.0, "login succeeded");
    // Without a page to return to, each role starts at its own screen.
    let next = if next == super::tokens::PATH {
        super::landing(&user_for_landing).to_owned()
    } else {
        next
    };
    Ok(see_other(&next))
}

/// Records a refused sign-in, against the account it aimed at when there is one.
fn record_failure(
    c: &mut crate::db::DbConn,
    attempt: &Actor,
    user: Option<&User>,
    why: &str,
) -> QueryResult<()> {
    let target = user.map(|u| Target {
        kind: "user",
        id: u.id.0,
        label: &u.email,
    });
    audit::record(
        c,
        attempt,
        Event::LoginFailed,
        user.and_then(|u| u.merchant_id),
        target,
        why,
    )
}

/// `POST /logout`: the session is deleted server side, so its cookie is worthless from now on.
pub async fn logout(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    current: Option<CurrentUser>,
) -> Result<HttpResponse, AppError> {
    if let Some(current) = current {
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

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_never_leaves_the_site() {
        assert_eq!(
            safe_next(Some("/developers/access-tokens?x=1")),
            "/developers/access-tokens?x=1"
        );
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "evil",
        ] {
            assert_eq!(safe_next(Some(bad)), "/developers/access-tokens", "{bad}");
        }
    }
}
