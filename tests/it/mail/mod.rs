//! Outgoing mail, through a real SMTP server (aiosmtpd on loopback): the outbox and its delivery,
//! and the password reset by email.

mod alerts;
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

/// The password reset mails in the outbox, newest first (alerts are left out: adding an admin, as
/// most tests do first, queues one).
pub fn outbox(app: &TestApp) -> Vec<OutboxRow> {
    app.db(|c| kwik_dashboard::domain::mail::recent(c, 1000).unwrap())
        .into_iter()
        .filter(|r| r.kind == "password_reset")
        .collect()
}

/// The reset mails the sink received, in the order they were queued.
pub fn resets(sink: &SmtpSink) -> Vec<Received> {
    sink.received()
        .into_iter()
        .filter(|m| m.subject == "Reset your Kwik dashboard password")
        .collect()
}

/// Delivery rounds until nothing is due; what they did in all.
pub async fn deliver_all(app: &TestApp) -> Report {
    let mut all = Report::default();
    loop {
        let round = deliver(app).await;
        if round.is_empty() {
            return all;
        }
        all.sent += round.sent;
        all.retried += round.retried;
        all.failed += round.failed;
    }
}

/// Waits (at most 10 s) until the sink received `n` reset mails, and returns them.
pub fn wait_for_resets(sink: &SmtpSink, n: usize) -> Vec<Received> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let got = resets(sink);
        if got.len() >= n || std::time::Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Waits (at most 10 s) until the outbox holds `n` reset mails: a request's work runs after its
/// answer.
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

/// Submits `password`, twice, on the new-password form `client` holds; the answer.
pub async fn set_new_password(client: &TestApp, password: &str) -> Answer {
    client
        .post(
            "/reset-password",
            &[("password", password), ("confirm", password)],
        )
        .await
}

/// The path and query of a link to the test app (`http://dash.test/reset-password?token=…`).
pub fn path_of(link: &str) -> String {
    link.strip_prefix(ORIGIN).unwrap_or(link).to_owned()
}
