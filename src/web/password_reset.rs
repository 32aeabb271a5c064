//! `GET/POST /forgot-password` and `GET/POST /reset-password`: a new password by an emailed link.
//!
//! The request's answer is the same redirect whatever the email: the work (finding the account,
//! the reset, its mail) runs after it, in the background. The link's token is taken out of the
//! address at once: its hash goes into the session and the browser is sent to `/reset-password`.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use zeroize::Zeroizing;

use super::{Chrome, html, see_other};
use crate::domain::audit::Actor;
use crate::domain::auth::reset::{self, ResetError};
use crate::web::error::AppError;
use crate::web::session_store::USER_ID_KEY;
use crate::web::state::AppState;

/// How long a request's work waits, so that its answer is sent first.
const AFTER_THE_ANSWER: std::time::Duration = std::time::Duration::from_millis(20);

/// The session key holding the hash of the link's token, between the link and the form.
const RESET_KEY: &str = "password_reset";

#[derive(Template)]
#[template(path = "password/forgot.html")]
struct ForgotPage {
    page: Chrome,
    sent: bool,
    error: Option<String>,
    minutes: i64,
}

#[derive(Template)]
#[template(path = "password/reset.html")]
struct ResetPage {
    page: Chrome,
    /// The account the link is for; `None`: the link no longer works.
    email: Option<String>,
    error: Option<String>,
}

/// Query of the forgot-password page.
#[derive(Debug, serde::Deserialize)]
pub struct ForgotQuery {
    sent: Option<String>,
}

/// `GET /forgot-password`: the form, or, after it was sent, what happens next.
pub async fn form(
    session: Session,
    query: web::Query<ForgotQuery>,
) -> Result<HttpResponse, AppError> {
    if session.get::<i64>(USER_ID_KEY).ok().flatten().is_some() {
        // Signed in: the profile changes the password with the current one.
        return Ok(see_other("/settings/profile"));
    }
    forgot_page(&session, StatusCode::OK, query.sent.is_some(), None)
}

fn forgot_page(
    session: &Session,
    status: StatusCode,
    sent: bool,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    html(
        status,
        &ForgotPage {
            page: Chrome::public(session)?,
            sent,
            error,
            minutes: reset::LINK_LIFETIME.whole_minutes(),
        },
    )
}

/// The forgot-password form.
#[derive(serde::Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// `POST /forgot-password`: the same redirect for every well-formed email, at once; a client
/// address asking too often is told to wait (that says nothing about any account).
pub async fn request(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    form: web::Form<ForgotForm>,
) -> Result<HttpResponse, AppError> {
    let email = form.into_inner().email.trim().to_owned();
    if email.len() > 254 || !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        return forgot_page(
            &session,
            StatusCode::UNPROCESSABLE_ENTITY,
            false,
            Some("Enter the email address you sign in with, like name@example.com.".into()),
        );
    }
    let ip = super::client_ip(&req, &state).map(|ip| ip.to_string());
    let now = crate::db::now();
    let counted_ip = ip.clone().unwrap_or_else(|| "unknown".into());
    let allowed = state
        .db(move |c| reset::ip_allowed(c, &counted_ip, now))
        .await?;
    if !allowed {
        tracing::warn!(ip = ?ip, "password reset requests throttled");
        return forgot_page(
            &session,
            StatusCode::TOO_MANY_REQUESTS,
            false,
            Some(format!(
                "Too many reset requests from your network. For your security, try again in {} minutes.",
                reset::WINDOW.whole_minutes()
            )),
        );
    }
    let actor = Actor::anonymous(ip, super::user_agent(&req));
    let (database, keyring) = (state.database.clone(), state.keyring.clone());
    actix_web::rt::spawn(async move {
        // After the answer has gone out: the work must not slow the answer of an account that
        // exists (the CPU it takes would otherwise overlap with sending it).
        actix_web::rt::time::sleep(AFTER_THE_ANSWER).await;
        let done = database
            .call(move |c| {
                reset::request(c, &keyring, &email, &actor, now).map_err(crate::db::DbError::from)
            })
            .await;
        match done {
            Ok(true) => tracing::info!("password reset link queued"),
            Ok(false) => {
                tracing::info!("password reset asked for no usable account, or over its limit")
            }
            Err(e) => tracing::error!(error = %e, "password reset request failed"),
        }
    });
    Ok(see_other("/forgot-password?sent=1"))
}

/// Query of the reset page: the link's token, once.
#[derive(Debug, serde::Deserialize)]
pub struct ResetQuery {
    token: Option<String>,
}

/// `GET /reset-password`: with `?token=`, keeps its hash in the session and sends the browser to the
/// same page without it; then the form, or why the link no longer works.
pub async fn reset_form(
    session: Session,
    state: web::Data<AppState>,
    query: web::Query<ResetQuery>,
) -> Result<HttpResponse, AppError> {
    if let Some(token) = query.into_inner().token {
        let hash = reset::token_hash(token.trim());
        session
            .insert(RESET_KEY, hex::encode(hash))
            .map_err(AppError::internal)?;
        return Ok(see_other("/reset-password"));
    }
    let email = live_reset(&session, &state).await?;
    reset_page(&session, StatusCode::OK, email, None)
}

/// The email of the reset the session holds, if its link still works.
async fn live_reset(session: &Session, state: &AppState) -> Result<Option<String>, AppError> {
    let Some(hash) = session_hash(session) else {
        return Ok(None);
    };
    let live = state
        .db(move |c| reset::check(c, &hash, crate::db::now()))
        .await?;
    Ok(live.map(|(_, user)| user.email))
}

fn session_hash(session: &Session) -> Option<Vec<u8>> {
    session
        .get::<String>(RESET_KEY)
        .ok()
        .flatten()
        .and_then(|h| hex::decode(h).ok())
}

fn reset_page(
    session: &Session,
    status: StatusCode,
    email: Option<String>,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let status = if email.is_none() {
        StatusCode::GONE
    } else {
        status
    };
    html(
        status,
        &ResetPage {
            page: Chrome::public(session)?,
            email,
            error,
        },
    )
}

/// The new-password form.
#[derive(serde::Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /reset-password`: sets the new password, ends every session of the account, and sends the
/// browser to sign in with it (and with the second factor, when the account has one).
pub async fn reset(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse, AppError> {
    let ResetForm { password, confirm } = form.into_inner();
    let Some(hash) = session_hash(&session) else {
        return reset_page(&session, StatusCode::GONE, None, None);
    };
    let actor = Actor::anonymous(
        super::client_ip(&req, &state).map(|ip| ip.to_string()),
        super::user_agent(&req),
    );
    let done = reset::complete(
        &state.database,
        &state.hashing,
        hash,
        Zeroizing::new(password),
        Zeroizing::new(confirm),
        actor,
    )
    .await;
    match done {
        Ok(user) => {
            session.remove(RESET_KEY);
            tracing::info!(user = user.id.0, "password reset by email link");
            Ok(see_other("/login?reset=1"))
        }
        Err(ResetError::Invalid) => {
            session.remove(RESET_KEY);
            reset_page(&session, StatusCode::GONE, None, None)
        }
        Err(e @ (ResetError::Weak(_) | ResetError::Mismatch)) => {
            let email = live_reset(&session, &state).await?;
            reset_page(
                &session,
                StatusCode::UNPROCESSABLE_ENTITY,
                email,
                Some(e.to_string()),
            )
        }
        Err(ResetError::Hash(e)) => Err(AppError::internal(e)),
        Err(ResetError::Db(e)) => Err(e.into()),
    }
}
