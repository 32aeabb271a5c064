//! The outbox survives `kill -9` between a change and its mail: the real binary queues a reset mail,
//! dies before sending it, and the next start sends it through a real SMTP server. The link's
//! token is in no log and not in the database; the link then works against the new process.

use crate::helpers::*;

#[actix_web::test]
async fn a_mail_queued_before_a_kill_9_is_sent_after_the_restart() {
    let app = spawn_app().await;
    app.add_user(
        "ops@acme.test",
        Some("Acme"),
        kwik_dashboard::db::models::Role::Viewer,
    );
    // A server that would not take the mail, looked at once a minute: the mail waits in the outbox.
    let closed = free_port().to_string();
    let away = format!("smtp://127.0.0.1:{closed}");
    let first = Server::start(
        &app.db,
        &app.db.url,
        &[("KWIK_SMTP_URL", &away), ("KWIK_MAIL_POLL_MS", "60000")],
    );
    let first_port = first.port;
    let mut browser = Client::new(first_port);
    browser.get("/forgot-password").expect("the form");
    let asked = browser
        .post("/forgot-password", &[("email", "ops@acme.test")])
        .expect("an answer");
    assert_eq!(asked.status, 303, "{}", asked.body);
    let queued = crate::mail::wait_for_outbox(&app, 1).await;
    assert_eq!((queued.len(), queued[0].status.as_str()), (1, "pending"));
    let first_log = first.kill9();

    let sink = SmtpSink::start();
    let url = format!("smtp://127.0.0.1:{}", sink.port);
    let second = Server::start(
        &app.db,
        &app.db.url,
        &[("KWIK_SMTP_URL", &url), ("KWIK_MAIL_POLL_MS", "100")],
    );
    let mails = sink.wait_for(1);
    assert_eq!(mails.len(), 1, "the queued mail went after the restart");
    assert_eq!(mails[0].to, "ops@acme.test");
    // Rendered when sent: the link starts with the sending instance's public address.
    let prefix = format!("http://127.0.0.1:{}/reset-password?token=", second.port);
    let link = mails[0].link(&prefix).expect("a link to the dashboard");
    let token = link.rsplit('=').next().unwrap().to_owned();

    // The link works against the new process.
    let mut browser = Client::new(second.port);
    let path = link.trim_start_matches(&format!("http://127.0.0.1:{}", second.port));
    assert_eq!(browser.get(path).expect("the link").status, 303);
    assert_eq!(
        browser.get("/reset-password").expect("the form").status,
        200
    );
    let done = browser
        .post(
            "/reset-password",
            &[
                ("password", "a brand new passphrase"),
                ("confirm", "a brand new passphrase"),
            ],
        )
        .expect("an answer");
    assert_eq!(done.status, 303, "{}", done.body);
    let second_log = second.log();
    for log in [&first_log, &second_log] {
        assert!(!log.contains(&token), "the token is in a log:\n{log}");
        assert!(!log.contains("a brand new passphrase"));
        assert!(!log.contains("ERROR"), "{log}");
    }
    assert!(second_log.contains("mail sent"), "{second_log}");
    assert!(
        second_log.contains(&format!("SMTP to smtp://127.0.0.1:{}", sink.port)),
        "start-up says where mail goes:\n{second_log}"
    );
    assert!(!app.database_text().contains(&token));
    let rows = crate::mail::outbox(&app);
    assert_eq!(
        (rows[0].status.as_str(), rows[0].sealed_secret.is_none()),
        ("sent", true)
    );
}
