//! Two-factor sign-in on the profile: enrolment (a QR code and the key as text, confirmed by a code),
//! the recovery codes (shown once, at enrolment and on regeneration), and turning it off. A user
//! whose merchant requires it is sent here after the password step and can do nothing else first.

use actix_session::Session;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use zeroize::Zeroizing;

use super::PATH;
use crate::domain::auth::totp::{TotpSecret, qr_svg};
use crate::domain::auth::two_factor::{self, TwoFactorError};
use crate::web::current_user::{CurrentUser, EnrollingUser};
use crate::web::error::AppError;
use crate::web::state::AppState;
use crate::web::{Chrome, Flash, html, see_other};

#[derive(Template)]
#[template(path = "profile/enrol.html")]
struct EnrolPage {
    page: Chrome,
    qr: String,
    key_text: Zeroizing<String>,
    forced: bool,
    error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "profile/recovery_codes.html")]
struct CodesPage {
    page: Chrome,
    codes: Vec<Zeroizing<String>>,
    first: bool,
    next: &'static str,
}

/// A page that shows a secret: never cached, never kept by the browser's history cache.
fn secret_page(status: StatusCode, page: &impl Template) -> Result<HttpResponse, AppError> {
    let mut res = html(status, page)?;
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

fn enrol_page(
    session: &Session,
    current: &CurrentUser,
    state: &AppState,
    secret: &TotpSecret,
    status: StatusCode,
    error: Option<&'static str>,
) -> Result<HttpResponse, AppError> {
    let uri = secret.uri(&current.user.email);
    let qr = qr_svg(&uri, "QR code to scan with your authenticator app")
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the QR code could not be drawn")))?;
    let page = EnrolPage {
        page: Chrome::for_user(session, &current.user, current.merchant.as_ref())?,
        qr,
        key_text: secret.base32_grouped(),
        forced: two_factor::must_enrol(
            &current.user,
            current.merchant.as_ref(),
            state.config.support_require_two_factor,
        ),
        error,
    };
    secret_page(status, &page)
}

/// `GET /settings/profile/two-factor`: the pending enrolment's QR code (a new one if none is pending).
pub async fn enrol_form(
    enrolling: EnrollingUser,
    session: Session,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let current = enrolling.0;
    if current.user.totp_enabled_at.is_some() {
        Flash::success("Two-factor sign-in is already on.").set(&session)?;
        return Ok(see_other(PATH));
    }
    let secret = match two_factor::pending(&state.database, &state.keyring, current.user.id).await?
    {
        Some(secret) => secret,
        None => match two_factor::start(&state.database, &state.keyring, current.user.id).await {
            Ok(secret) => secret,
            Err(TwoFactorError::AlreadyOn) => return Ok(see_other(PATH)),
            Err(e) => return Err(e.into()),
        },
    };
    enrol_page(&session, &current, &state, &secret, StatusCode::OK, None)
}

/// The code that confirms enrolment.
#[derive(serde::Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /settings/profile/two-factor`: confirms enrolment with a code, then shows the recovery codes.
pub async fn confirm(
    req: HttpRequest,
    enrolling: EnrollingUser,
    session: Session,
    state: web::Data<AppState>,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let current = enrolling.0;
    let actor = crate::web::actor(&req, &state, &current.user);
    let code = Zeroizing::new(form.into_inner().code);
    match two_factor::confirm(
        &state.database,
        &state.keyring,
        actor,
        current.user.clone(),
        code,
    )
    .await
    {
        Ok(codes) => {
            let page = CodesPage {
                page: Chrome::for_user(&session, &current.user, current.merchant.as_ref())?,
                codes,
                first: true,
                next: crate::web::landing(&current.user),
            };
            secret_page(StatusCode::OK, &page)
        }
        Err(TwoFactorError::WrongCode) => {
            let Some(secret) =
                two_factor::pending(&state.database, &state.keyring, current.user.id).await?
            else {
                return Ok(see_other(super::ENROL_PATH));
            };
            let error = "That code is not correct. Enter the 6-digit code your app shows now (it changes every 30 seconds).";
            enrol_page(
                &session,
                &current,
                &state,
                &secret,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(error),
            )
        }
        Err(TwoFactorError::AlreadyOn) => Ok(see_other(PATH)),
        Err(TwoFactorError::NothingPending) => Ok(see_other(super::ENROL_PATH)),
        Err(e) => Err(e.into()),
    }
}

/// `POST /settings/profile/two-factor/recovery-codes`: a new set of recovery codes, shown once.
pub async fn regenerate(
    req: HttpRequest,
    current: CurrentUser,
    session: Session,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let actor = crate::web::actor(&req, &state, &current.user);
    match two_factor::regenerate(&state.database, actor, current.user.clone()).await {
        Ok(codes) => {
            let page = CodesPage {
                page: Chrome::for_user(&session, &current.user, current.merchant.as_ref())?,
                codes,
                first: false,
                next: PATH,
            };
            secret_page(StatusCode::OK, &page)
        }
        Err(TwoFactorError::NotOn) => {
            Flash::error("Turn on two-factor sign-in first.").set(&session)?;
            Ok(see_other(PATH))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /settings/profile/two-factor/disable`: turns it off, unless the user must use it.
pub async fn turn_off(
    req: HttpRequest,
    current: CurrentUser,
    session: Session,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if two_factor::required(
        &current.user,
        current.merchant.as_ref(),
        state.config.support_require_two_factor,
    ) {
        Flash::error(
            "Two-factor sign-in is required for your account, so it cannot be turned off. An admin can reset it if you lose your phone.",
        )
        .set(&session)?;
        return Ok(see_other(PATH));
    }
    let actor = crate::web::actor(&req, &state, &current.user);
    match two_factor::turn_off(&state.database, actor, current.user).await {
        Ok(()) => Flash::success("Two-factor sign-in is off. Your recovery codes no longer work.")
            .set(&session)?,
        Err(TwoFactorError::NotOn) => {
            Flash::success("Two-factor sign-in was already off.").set(&session)?
        }
        Err(e) => return Err(e.into()),
    }
    Ok(see_other(PATH))
}
