//! Error pages inside the app: a signed-in user who meets a 403 or a 404 keeps the navigation and
//! the sign-out button, and is offered their own start page (a support user's is the console, not
//! Access Tokens, which would be another 403).
//!
//! [`AppError`] answers without the request, so it can only build the standalone page. This
//! middleware, inside the session scope, sees which error it was and who asked, and renders the
//! same title and message in the layout. htmx requests keep the standalone body (the dialog shows
//! its own note), and so does a 503: reading the user needs the database that is down.

use actix_session::SessionExt;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use askama::Template;

use crate::web::current_user::CurrentUser;
use crate::web::error::AppError;
use crate::web::page::Chrome;

/// The in-app error page.
#[derive(Template)]
#[template(path = "error_in_app.html")]
struct InAppError {
    page: Chrome,
    status: u16,
    title: &'static str,
    message: &'static str,
    landing: &'static str,
    landing_label: &'static str,
}

/// Middleware: the error answers of signed-in users' page requests get the app's chrome.
pub async fn with_chrome(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let wanted = !super::is_htmx(req.request());
    // The guards inside (CSRF, sudo) answer their refusals as responses that keep the error.
    let res = next.call(req).await?.map_into_boxed_body();
    if !wanted {
        return Ok(res);
    }
    let Some(text) = res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>())
        .filter(|e| !matches!(e, AppError::Unavailable(_)))
        .filter(|_| res.status().is_client_error() || res.status().is_server_error())
        .map(|e| e.page_text())
    else {
        return Ok(res);
    };
    let http = res.request().clone();
    let Ok(current) = CurrentUser::load_any(&http).await else {
        return Ok(res);
    };
    let session = http.get_session();
    let Ok(chrome) = Chrome::for_error(&session, &current.user, current.merchant.as_ref()) else {
        return Ok(res);
    };
    let landing = super::landing(&current.user);
    let page = InAppError {
        page: chrome,
        status: res.status().as_u16(),
        title: text.0,
        message: text.1,
        landing,
        landing_label: if landing == "/support" {
            "Back to the support console"
        } else {
            "Back to Access Tokens"
        },
    };
    let Ok(body) = page.render() else {
        return Ok(res);
    };
    Ok(res.map_body(|head, _| {
        head.headers_mut()
            .remove(actix_web::http::header::CONTENT_LENGTH);
        BoxBody::new(body)
    }))
}
