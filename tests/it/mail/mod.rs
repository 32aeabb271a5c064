//! Outgoing mail, through a real SMTP server (aiosmtpd on loopback): the outbox and its delivery,
//! and the password reset by email.

mod delivery;
mod reset;

use kwik_dashboard::db::models::outbox::OutboxRow;
use kwik_dashboard::domain::mail::delivery::Report;

use crate::helpers::*;

/// The forgot-password page.
pub const FORGOT: &str = "/forgot-password";

/// An app whose mail goes to `sink`.
pub async fn app_mailing_to(sink: &SmtpSink) -> TestApp {
    let transport = sink.transport();
    spawn_app_with(|c| c.mail.transport = transport).await
}

/// The outbox, newest first.
pub fn outbox(app: &TestApp) -> Vec<OutboxRow> {
    app.db(|c| kwik_dashboard::domain::mail::recent(c, 1000).unwrap())
}

/// Waits (at most 10 s) until the outbox holds `n` mails: a request's work runs after its answer.
pub async fn wait_for_outbox(app: &TestApp, n: usize) -> Vec<OutboxRow> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let rows = outbox(app);
        if rows.len() >= n || std::time::Instant::now() > deadline {
            return rows;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// One delivery round of `app`'s instance.
pub async fn deliver(app: &TestApp) -> Report {
    app.state.delivery().run_once().await.unwrap()
}

/// Asks for a reset link for `email` from `client`, as the form does; the answer.
pub async fn forgot(client: &TestApp, email: &str) -> Answer {
    client.get(FORGOT).await;
    client.post(FORGOT, &[("email", email)]).await
}

/// The path and query of a link to the test app (`http://dash.test/reset-password?token=…`).
pub fn path_of(link: &str) -> String {
    link.strip_prefix(ORIGIN).unwrap_or(link).to_owned()
}
