//! No authenticator key, code, recovery code or password reaches the log, at any level, through the
//! whole two-factor life: enrolment, a wrong code, a code, a recovery code, a password change, and a
//! password reset by a link sent through a real SMTP server.
//!
//! A test binary of its own: the subscriber that records everything must be the process's global one,
//! set before any log call site is first hit (a thread-local one misses call sites whose interest
//! another test cached earlier).

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, unused_imports)]

#[path = "it/helpers/mod.rs"]
mod helpers;

use std::sync::{Arc, Mutex};

use helpers::*;
use kwik_dashboard::db::models::Role;
use kwik_dashboard::domain::auth::totp::{STEP_SECONDS, TotpSecret};

#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn code(key: &str, steps: i64) -> String {
    let bytes = totp_rs::Secret::try_from_base32(key).unwrap();
    let secret = TotpSecret::from_bytes(bytes.as_bytes()).unwrap();
    let at = unix_now() + steps * STEP_SECONDS as i64;
    secret.code_at(u64::try_from(at).unwrap())
}

#[actix_web::test]
async fn no_key_code_recovery_code_or_password_is_logged() {
    let sink = Sink::default();
    let writer = sink.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        // No timestamps: their digits could look like a six-digit code.
        .without_time()
        .with_writer(move || writer.clone())
        .init();

    let app = spawn_app().await;
    app.add_user("ana@shop.test", Some("Shop"), Role::Admin);
    let ana = app.client_for("ana@shop.test").await;
    let page = ana.get("/settings/profile/two-factor").await;
    let key = regex::Regex::new(r#"id="totp-key">([A-Z2-7 ]+)</code>"#)
        .unwrap()
        .captures(&page.body)
        .unwrap()[1]
        .replace(' ', "");
    let done = ana
        .post("/settings/profile/two-factor", &[("code", &code(&key, 0))])
        .await;
    let codes: Vec<String> =
        regex::Regex::new(r#"<code data-credential="recovery">([a-z0-9-]+)</code>"#)
            .unwrap()
            .captures_iter(&done.body)
            .map(|c| c[1].to_owned())
            .collect();
    assert_eq!(codes.len(), 10);

    let next = code(&key, 1);
    let phone = app.client();
    phone.login("ana@shop.test", PASSWORD).await;
    phone.get("/login/two-factor").await;
    phone
        .post("/login/two-factor", &[("code", "000000")])
        .await
        .assert_status(401);
    phone
        .post("/login/two-factor", &[("code", &next)])
        .await
        .assert_redirect_to(LIST);
    let other = app.client();
    other.login("ana@shop.test", PASSWORD).await;
    other.get("/login/two-factor").await;
    other
        .post("/login/two-factor", &[("code", &codes[2])])
        .await
        .assert_redirect_to(LIST);
    // A password change.
    ana.get(LIST).await;
    ana.post(
        "/settings/profile/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "a new secret passphrase 7"),
            ("confirm_password", "a new secret passphrase 7"),
        ],
    )
    .await;

    // A password reset by an emailed link, sent through a real SMTP server.
    let smtp = SmtpSink::start();
    let mailer = kwik_dashboard::infra::mail::Mailer::new(
        &kwik_dashboard::config::MailConfig {
            transport: smtp.transport(),
            ..app.state.config.mail.clone()
        },
        &app.dir,
    )
    .unwrap();
    let delivery = kwik_dashboard::domain::mail::delivery::Delivery {
        mailer: Arc::new(mailer),
        ..app.state.delivery()
    };
    let visitor = app.client();
    visitor.get("/forgot-password").await;
    visitor
        .post("/forgot-password", &[("email", "ana@shop.test")])
        .await
        .assert_status(303);
    // Alerts (ana was added as an admin) go too; wait for the reset mail.
    let mut mail = None;
    for _ in 0..200 {
        delivery.run_once().await.unwrap();
        mail = smtp
            .received()
            .into_iter()
            .find(|m| m.subject == "Reset your Kwik dashboard password");
        if mail.is_some() {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mail = mail.expect("the reset mail");
    let link = mail
        .link(&format!("{ORIGIN}/reset-password?token="))
        .unwrap();
    let token = link.rsplit('=').next().unwrap().to_owned();
    visitor.get(link.trim_start_matches(ORIGIN)).await;
    visitor.get("/reset-password").await.assert_status(200);
    visitor
        .post(
            "/reset-password",
            &[
                ("password", "a reset passphrase 8"),
                ("confirm", "a reset passphrase 8"),
            ],
        )
        .await
        .assert_redirect_to("/login?reset=1");

    let log = String::from_utf8_lossy(&sink.0.lock().unwrap()).into_owned();
    assert!(
        log.contains("login succeeded"),
        "the log was captured:\n{log}"
    );
    assert!(log.contains("two-factor code refused"), "{log}");
    assert!(log.contains("password reset by email link"), "{log}");
    let mut secrets = vec![
        PASSWORD.to_owned(),
        "a new secret passphrase 7".to_owned(),
        "a reset passphrase 8".to_owned(),
        token,
        key.clone(),
        next,
    ];
    secrets.extend(codes.iter().cloned());
    secrets.extend(codes.iter().map(|c| c.replace('-', "")));
    for secret in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "{secret} in the log:\n{log}"
        );
    }
}
