//! "Forgot password?": the same answer for every email, a link by mail that works once for 30
//! minutes, and a reset that ends every session, is in the History, and keeps the second factor.

use diesel::prelude::*;
use kwik_dashboard::db::schema::{audit_events, password_resets};

use super::*;
use crate::accounts::{code, enrol};

/// Mails a reset link to `email` through `app` and the sink, and returns the link's path.
async fn mailed_link(app: &TestApp, sink: &SmtpSink, email: &str, already: usize) -> String {
    forgot(&app.client(), email)
        .await
        .assert_redirect_to("/forgot-password?sent=1");
    wait_for_outbox(app, already + 1).await;
    deliver_all(app).await;
    let mail = wait_for_resets(sink, already + 1)
        .pop()
        .expect("the reset mail");
    path_of(
        &mail
            .link(&format!("{ORIGIN}/reset-password?token="))
            .expect("a reset link"),
    )
}

#[actix_web::test]
async fn a_mailed_link_sets_a_new_password_once_and_ends_every_session() {
    let sink = SmtpSink::start();
    let app = app_mailing_to(&sink).await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let elsewhere = app.client_for("ops@acme.test").await;

    let visitor = app.client();
    visitor
        .get("/login")
        .await
        .assert_contains(r#"<a href="/forgot-password">Forgot your password?</a>"#);
    forgot(&visitor, "  OPS@acme.test ")
        .await
        .assert_redirect_to("/forgot-password?sent=1");
    visitor
        .get("/forgot-password?sent=1")
        .await
        .assert_status(200)
        .assert_contains("Check your email.");
    wait_for_outbox(&app, 1).await;
    let report = deliver_all(&app).await;
    assert_eq!((report.retried, report.failed), (0, 0));

    let mails = wait_for_resets(&sink, 1);
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.to, "ops@acme.test");
    assert_eq!(mail.subject, "Reset your Kwik dashboard password");
    assert!(mail.from.contains("no-reply@dash.test"), "{}", mail.from);
    assert!(
        mail.message_id.starts_with("<kwik-outbox-") && mail.message_id.ends_with("@dash.test>")
    );
    let link = mail
        .link(&format!("{ORIGIN}/reset-password?token="))
        .expect("a link in the text part");
    let token = link.rsplit('=').next().unwrap().to_owned();
    assert_eq!(token.len(), 43);
    assert!(mail.html.contains(&link), "the HTML part has the same link");
    assert!(mail.text.contains("within 30 minutes"));
    // The token is nowhere at rest: only its hash, and the outbox's sealed copy is erased once sent.
    assert!(!app.database_text().contains(&token));
    let row = &outbox(&app)[0];
    assert_eq!(
        (row.status.as_str(), row.sealed_secret.is_none()),
        ("sent", true)
    );

    // The link takes the token out of the address at once.
    let landing = visitor.get(&path_of(&link)).await;
    landing.assert_redirect_to("/reset-password");
    let form = visitor.get("/reset-password").await;
    form.assert_status(200)
        .assert_no_store()
        .assert_contains("Choose a new password")
        .assert_contains("For ops@acme.test.")
        .assert_lacks(&token);
    visitor
        .post(
            "/reset-password",
            &[("password", "short"), ("confirm", "short")],
        )
        .await
        .assert_status(422)
        .assert_contains("Choose another password: the password is too short");
    visitor
        .post(
            "/reset-password",
            &[
                ("password", "a brand new passphrase"),
                ("confirm", "a different one entirely"),
            ],
        )
        .await
        .assert_status(422)
        .assert_contains("The two passwords do not match.");
    set_new_password(&visitor, "a brand new passphrase")
        .await
        .assert_redirect_to("/login?reset=1");
    visitor.get("/login?reset=1").await.assert_contains(
        "Your password was changed, and every session of your account was signed out.",
    );

    // Every session ended; the old password is refused, the new one works.
    elsewhere.get(LIST).await.assert_status(303);
    app.get(LIST).await.assert_status(303);
    app.client()
        .login("ops@acme.test", PASSWORD)
        .await
        .assert_status(401);
    app.client()
        .login("ops@acme.test", "a brand new passphrase")
        .await
        .assert_status(303);
    // The link works once.
    visitor
        .get(&path_of(&link))
        .await
        .assert_redirect_to("/reset-password");
    visitor
        .get("/reset-password")
        .await
        .assert_status(410)
        .assert_contains("This link no longer works");
    // The History has the request and the reset.
    let events: Vec<(String, String)> = app.db(|c| {
        audit_events::table
            .filter(audit_events::event.like("user.password_reset%"))
            .order(audit_events::id)
            .select((audit_events::event, audit_events::actor_role))
            .load(c)
            .unwrap()
    });
    assert_eq!(
        events,
        [
            (
                "user.password_reset_requested".to_owned(),
                "anonymous".to_owned()
            ),
            ("user.password_reset".to_owned(), "anonymous".to_owned())
        ]
    );
    app.get("/settings/history").await;
}

#[actix_web::test]
async fn the_answer_is_the_same_for_a_known_and_an_unknown_email() {
    let sink = SmtpSink::start();
    let app = app_mailing_to(&sink).await;
    app.add_user(
        "ops@acme.test",
        Some("Acme"),
        kwik_dashboard::db::models::Role::Admin,
    );
    let visitor = app.client();
    let known = forgot(&visitor, "ops@acme.test").await;
    let unknown = forgot(&visitor, "nobody@acme.test").await;
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.header("location"), unknown.header("location"));
    assert_eq!(known.body, unknown.body, "byte for byte");
    let page_after = |a: &Answer| a.body.clone();
    let one = visitor.get("/forgot-password?sent=1").await;
    let two = visitor.get("/forgot-password?sent=1").await;
    assert_eq!(page_after(&one), page_after(&two));
    one.assert_lacks("ops@acme.test")
        .assert_lacks("nobody@acme.test");
    // Only the known account got a mail.
    wait_for_outbox(&app, 1).await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
    let rows = outbox(&app);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].recipient, "ops@acme.test");
    // A malformed address is a form error, the same for everyone.
    forgot(&visitor, "not an email")
        .await
        .assert_status(422)
        .assert_contains("Enter the email address you sign in with");
}

#[actix_web::test]
async fn a_link_expires_after_thirty_minutes_and_dies_when_the_password_changes() {
    let sink = SmtpSink::start();
    let app = app_mailing_to(&sink).await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let first = mailed_link(&app, &sink, "ops@acme.test", 0).await;
    let second = mailed_link(&app, &sink, "ops@acme.test", 1).await;
    // The first link expires.
    app.db(|c| {
        diesel::update(password_resets::table.filter(password_resets::id.eq(1)))
            .set(
                password_resets::expires_at
                    .eq(kwik_dashboard::db::now() - time::Duration::seconds(1)),
            )
            .execute(c)
            .unwrap()
    });
    let visitor = app.client();
    visitor.get(&first).await;
    visitor.get("/reset-password").await.assert_status(410);
    // The second dies when the password changes another way (the profile).
    app.get("/settings/profile").await;
    app.post(
        "/settings/profile/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "another sound passphrase"),
            ("confirm_password", "another sound passphrase"),
        ],
    )
    .await
    .assert_status(303);
    visitor.get(&second).await;
    visitor.get("/reset-password").await.assert_status(410);
    set_new_password(&visitor, "yet another passphrase")
        .await
        .assert_status(410);
    app.client()
        .login("ops@acme.test", "another sound passphrase")
        .await
        .assert_status(303);
}

#[actix_web::test]
async fn requests_are_throttled_per_email_silently_and_per_address_openly() {
    let sink = SmtpSink::start();
    let app = app_mailing_to(&sink).await;
    app.add_user(
        "ops@acme.test",
        Some("Acme"),
        kwik_dashboard::db::models::Role::Admin,
    );
    // Three mails an hour for one account, from anywhere; the fourth request answers the same.
    for i in 0..4 {
        let visitor = app.client();
        visitor.set_peer(&format!("198.51.100.{i}:1000"));
        forgot(&visitor, "ops@acme.test")
            .await
            .assert_redirect_to("/forgot-password?sent=1");
    }
    wait_for_outbox(&app, 3).await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(outbox(&app).len(), 3);
    // Ten requests an hour from one address, whatever the emails; the eleventh is told to wait.
    let visitor = app.client();
    visitor.set_peer("203.0.113.77:1000");
    for i in 0..10 {
        forgot(&visitor, &format!("someone{i}@example.com"))
            .await
            .assert_status(303);
    }
    forgot(&visitor, "someone@example.com")
        .await
        .assert_status(429)
        .assert_contains("Too many reset requests from your network");
}

#[actix_web::test]
async fn after_a_reset_an_account_with_two_factor_still_needs_its_code() {
    let sink = SmtpSink::start();
    let app = app_mailing_to(&sink).await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let (key, _) = enrol(&app).await;
    let link = mailed_link(&app, &sink, "ops@acme.test", 0).await;
    let visitor = app.client();
    visitor.get(&link).await;
    visitor.get("/reset-password").await;
    set_new_password(&visitor, "a brand new passphrase")
        .await
        .assert_redirect_to("/login?reset=1");
    let signing_in = app.client();
    signing_in
        .login("ops@acme.test", "a brand new passphrase")
        .await
        .assert_redirect_to("/login/two-factor");
    signing_in.get("/login/two-factor").await;
    signing_in
        // The next step's code: enrolment used this one, and a code works once.
        .post("/login/two-factor", &[("code", &code(&key, 1))])
        .await
        .assert_status(303);
    signing_in.get(LIST).await.assert_status(200);
}
