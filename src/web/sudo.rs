//! Sudo mode: the sensitive actions (the routes marked `sudo` in the route table) need a sign-in or
//! a re-authentication within the last `KWIK_SUDO_MINUTES`. When it is older, the action is not run:
//! the answer is a prompt for the user's authenticator code (or their password, without two-factor
//! sign-in) that carries the submitted form along, and sends it again to the same address with the
//! proof. So the action goes on with the user's input, in the dialog with htmx and as a page without
//! JavaScript. The time is kept in the server-side session, so it holds on every instance.

use actix_session::SessionExt;
use actix_web::body::BoxBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::web;
use askama::Template;
use zeroize::Zeroizing;

use crate::db::models::UserId;
use crate::domain::auth::sudo::{Reauth, reauthenticate};
use crate::domain::auth::totp::unix_now;
use crate::web::error::AppError;
use crate::web::page::Chrome;
use crate::web::session_store::{SUDO_AT_KEY, SignedIn, USER_ID_KEY};
use crate::web::state::AppState;

/// The prompt's field: the code or password that proves it is still the user.
pub const PROOF_FIELD: &str = "sudo_proof";
/// The route whose own form asks for the current password: without two-factor sign-in, that field
/// is the re-authentication, so no prompt comes first.
const PASSWORD_CHANGE: &str = "/settings/profile/password";

/// What the prompt shows.
struct Prompt {
    csrf_token: String,
    action: String,
    /// The form as submitted, without its CSRF token and any earlier proof.
    fields: Vec<(String, String)>,
    two_factor: bool,
    /// The form had a password in it, which is not carried along.
    typed_password: bool,
    error: Option<String>,
    /// With htmx: the element the original form replaced (`member-3`), when not the dialog's content.
    row_target: Option<String>,
}

/// The prompt as a fragment: htmx swaps it into the dialog.
#[derive(Template)]
#[template(path = "sudo/_prompt.html")]
struct PromptFragment {
    prompt: Prompt,
}

/// The prompt inside a page, without JavaScript.
#[derive(Template)]
#[template(path = "sudo/page.html")]
struct PromptPage {
    page: Chrome,
    prompt: Prompt,
}

/// Whether the request is a `POST` to a route marked `sudo`.
fn is_sensitive(req: &ServiceRequest) -> bool {
    req.method() == Method::POST
        && crate::web::ROUTES.iter().any(|r| {
            r.sudo
                && r.method == "post"
                && actix_web::dev::ResourceDef::new(r.path).is_match(req.path())
        })
}

/// Whether a form field holds a password (never echoed back into a page): `password`, or a name
/// ending in `_password` (not `password_mode`, a choice).
fn is_password(name: &str) -> bool {
    name == "password" || name.ends_with("_password")
}

/// Whether the session proved who it is within the sudo window.
pub fn is_fresh(session: &actix_session::Session, window: std::time::Duration) -> bool {
    session
        .get::<u64>(SUDO_AT_KEY)
        .ok()
        .flatten()
        .is_some_and(|at| unix_now().saturating_sub(at) < window.as_secs())
}

/// Middleware (inside the CSRF guard): runs a sensitive action only in sudo mode.
pub async fn guard(
    mut req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if !is_sensitive(&req) {
        return next.call(req).await;
    }
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await;
    };
    let session = req.get_session();
    let Some(uid) = session.get::<i64>(USER_ID_KEY).ok().flatten() else {
        // Not signed in: the handler answers that.
        return next.call(req).await;
    };
    if is_fresh(&session, state.config.sudo_window) {
        return next.call(req).await;
    }
    let signed_in = match state.db(move |c| SignedIn::read(c, UserId(uid))).await {
        Ok(SignedIn {
            user: Some(user),
            merchant,
            ..
        }) if !user.disabled => (user, merchant),
        Ok(_) => return next.call(req).await,
        Err(e) => return Ok(req.error_response(e)),
    };
    let (user, merchant) = signed_in;
    let two_factor = user.totp_enabled_at.is_some();
    if req.path() == PASSWORD_CHANGE && !two_factor {
        return next.call(req).await;
    }
    let body = req.extract::<web::Bytes>().await?;
    let pairs: Vec<(String, String)> = serde_html_form::from_bytes(&body).unwrap_or_default();
    let proof = pairs
        .iter()
        .find(|(k, _)| k == PROOF_FIELD)
        .map(|(_, v)| Zeroizing::new(v.clone()));
    // A password typed into the form (a member's chosen one, a password change) is never written
    // back into a page: the user types it again after the prompt.
    let typed_password = pairs.iter().any(|(k, v)| is_password(k) && !v.is_empty());
    let fields: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(k, _)| k != PROOF_FIELD && k != crate::web::csrf::FORM_FIELD && !is_password(k))
        .collect();
    let mut error = None;
    let mut status = StatusCode::OK;
    if let Some(proof) = proof {
        let actor = crate::web::actor(req.request(), &state, &user);
        let decided = reauthenticate(
            &state.database,
            &state.hashing,
            &state.keyring,
            actor,
            user.id,
            proof,
        )
        .await;
        match decided {
            Ok(Reauth::Confirmed) => {
                session.insert(SUDO_AT_KEY, unix_now())?;
                // The action runs with the form as it was first sent (and its CSRF token).
                let mut again = fields.clone();
                if let Ok(token) = crate::web::csrf::token(&session) {
                    again.push((crate::web::csrf::FORM_FIELD.to_owned(), token));
                }
                let body = serde_html_form::to_string(&again).map_err(AppError::internal)?;
                req.set_payload(Payload::from(web::Bytes::from(body)));
                return next.call(req).await;
            }
            Ok(Reauth::Refused) => {
                status = StatusCode::UNPROCESSABLE_ENTITY;
                error = Some(if two_factor {
                    "That code is not correct, or it was used already. Enter the current code from your authenticator app, or a recovery code.".to_owned()
                } else {
                    "That password is not correct.".to_owned()
                });
            }
            Ok(Reauth::Throttled { minutes }) => {
                status = StatusCode::TOO_MANY_REQUESTS;
                let unit = if minutes == 1 { "minute" } else { "minutes" };
                error = Some(format!(
                    "Too many wrong attempts. For your security, try again in {minutes} {unit}."
                ));
            }
            Err(e) => {
                let e = AppError::from(e);
                return Ok(req.error_response(e));
            }
        }
    }
    let htmx = req.headers().get("HX-Request").is_some_and(|v| v == "true");
    let row_target = req
        .headers()
        .get("HX-Target")
        .and_then(|v| v.to_str().ok())
        .filter(|t| *t != "modal-content" && !t.is_empty())
        .filter(|t| {
            t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned);
    let prompt = Prompt {
        csrf_token: crate::web::csrf::token(&session)?,
        action: req.path().to_owned(),
        fields,
        two_factor,
        typed_password,
        error,
        row_target,
    };
    let (http, _) = req.into_parts();
    let mut res = if htmx {
        let mut res = crate::web::page::html(status, &PromptFragment { prompt })?;
        let headers = res.headers_mut();
        headers.insert(
            header::HeaderName::from_static("hx-retarget"),
            header::HeaderValue::from_static("#modal-content"),
        );
        headers.insert(
            header::HeaderName::from_static("hx-reswap"),
            header::HeaderValue::from_static("innerHTML"),
        );
        res
    } else {
        let chrome = Chrome::for_user(&session, &user, merchant.as_ref())?;
        crate::web::page::html(
            status,
            &PromptPage {
                page: chrome,
                prompt,
            },
        )?
    };
    // The prompt carries the form back: never into a cache.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(ServiceResponse::new(http, res))
}
