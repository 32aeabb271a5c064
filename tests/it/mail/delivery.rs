//! Delivery: `.eml` files without a server, retries with backoff when the server is away, and each
//! mail sent once by two instances sharing one database.

use std::sync::Arc;

use kwik_dashboard::config::{MailConfig, MailTransport};
use kwik_dashboard::domain::mail::delivery::{Delivery, backoff};
use kwik_dashboard::infra::mail::Mailer;

use super::*;

/// A delivery of `app`'s outbox through `transport`.
fn delivery_via(app: &TestApp, transport: MailTransport) -> Delivery {
    let config = MailConfig {
        transport,
        ..app.state.config.mail.clone()
    };
    Delivery {
        mailer: Arc::new(Mailer::new(&config, &app.dir).unwrap()),
        ..app.state.delivery()
    }
}

#[actix_web::test]
async fn without_a_server_mail_is_written_as_eml_files() {
    let app = spawn_app().await;
    app.add_user(
        "ops@acme.test",
        Some("Acme"),
        kwik_dashboard::db::models::Role::Viewer,
    );
    forgot(&app.client(), "ops@acme.test").await;
    wait_for_outbox(&app, 1).await;
    assert_eq!(deliver(&app).await.sent, 1);
    let files: Vec<_> = std::fs::read_dir(app.dir.join("mail"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let mail = parse(&std::fs::read(&files[0]).unwrap());
    assert_eq!(mail.subject, "Reset your Kwik dashboard password");
    assert!(
        mail.link(&format!("{ORIGIN}/reset-password?token="))
            .is_some()
    );
    assert!(
        app.state
            .mailer
            .describe()
            .contains("written as .eml files")
    );
}

#[actix_web::test]
async fn a_server_that_is_away_gets_the_mail_later_with_backoff() {
    let sink = SmtpSink::start();
    let app = app_mailing_to(&sink).await;
    app.add_user(
        "ops@acme.test",
        Some("Acme"),
        kwik_dashboard::db::models::Role::Viewer,
    );
    forgot(&app.client(), "ops@acme.test").await;
    wait_for_outbox(&app, 1).await;
    // Nothing listens on this port: the attempt fails and the mail waits 30 s for the next.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let away = delivery_via(
        &app,
        MailTransport::Smtp {
            url: format!("smtp://127.0.0.1:{closed}"),
            shown: "away".into(),
        },
    );
    let report = away.run_once().await.unwrap();
    assert_eq!((report.sent, report.retried), (0, 1));
    let row = outbox(&app).remove(0);
    assert_eq!((row.status.as_str(), row.attempts), ("pending", 1));
    assert!(
        row.last_error
            .as_deref()
            .is_some_and(|e| e.starts_with("SMTP:")),
        "{row:?}"
    );
    let wait = row.next_attempt_at - kwik_dashboard::db::now();
    assert!(
        wait > time::Duration::seconds(25) && wait <= backoff(1),
        "{wait}"
    );
    assert!(
        row.sealed_secret.is_some(),
        "the link is kept, sealed, for the next attempt"
    );
    // Not due yet: nothing is sent, even with the server back.
    assert!(deliver(&app).await.is_empty());
    // When it is due, it goes.
    app.db(|c| {
        use diesel::prelude::*;
        use kwik_dashboard::db::schema::outbox;
        diesel::update(outbox::table)
            .set(outbox::next_attempt_at.eq(kwik_dashboard::db::now()))
            .execute(c)
            .unwrap()
    });
    assert_eq!(deliver(&app).await.sent, 1);
    assert_eq!(sink.wait_for(1).len(), 1);
    let row = outbox(&app).remove(0);
    assert_eq!((row.status.as_str(), row.attempts), ("sent", 2));
}

#[actix_web::test]
async fn two_instances_on_one_database_send_each_mail_once() {
    let sink = SmtpSink::start();
    let a = app_mailing_to(&sink).await;
    let transport = sink.transport();
    let b = spawn_app_on(a.db.clone(), |c| c.mail.transport = transport).await;
    for i in 0..12 {
        let email = format!("user{i}@acme.test");
        a.add_user(
            &email,
            Some("Acme"),
            kwik_dashboard::db::models::Role::Viewer,
        );
        let visitor = a.client();
        visitor.set_peer(&format!("198.51.100.{i}:1000"));
        forgot(&visitor, &email).await;
    }
    wait_for_outbox(&a, 12).await;
    let (one, two) =
        futures_util::future::join(a.state.delivery().run_once(), b.state.delivery().run_once())
            .await;
    let (one, two) = (one.unwrap(), two.unwrap());
    assert_eq!(one.sent + two.sent, 12, "{one:?} {two:?}");
    let mails = sink.wait_for(12);
    let mut ids: Vec<&str> = mails.iter().map(|m| m.message_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!((mails.len(), ids.len()), (12, 12));
    assert!(
        outbox(&a)
            .iter()
            .all(|r| r.status == "sent" && r.attempts == 1)
    );
}

#[actix_web::test]
async fn sent_mail_is_kept_thirty_days_and_pending_mail_until_it_goes() {
    let app = spawn_app().await;
    app.add_user(
        "ops@acme.test",
        Some("Acme"),
        kwik_dashboard::db::models::Role::Viewer,
    );
    for _ in 0..2 {
        let visitor = app.client();
        forgot(&visitor, "ops@acme.test").await;
    }
    wait_for_outbox(&app, 2).await;
    assert_eq!(deliver(&app).await.sent, 2);
    forgot(&app.client(), "ops@acme.test").await;
    wait_for_outbox(&app, 3).await;
    // Age everything: one sent mail 31 days, one 29; the pending one and every reset 31 days.
    app.db(|c| {
        use diesel::prelude::*;
        use kwik_dashboard::db::schema::{outbox, password_resets};
        let now = kwik_dashboard::db::now();
        let ids: Vec<i64> = outbox::table
            .order(outbox::id)
            .select(outbox::id)
            .load(c)
            .unwrap();
        for (id, days) in ids.iter().zip([31, 29, 31]) {
            diesel::update(outbox::table.find(id))
                .set(outbox::created_at.eq(now - time::Duration::days(days)))
                .execute(c)
                .unwrap();
        }
        diesel::update(password_resets::table)
            .set(password_resets::expires_at.eq(now - time::Duration::days(31)))
            .execute(c)
            .unwrap();
    });
    assert_eq!(app.state.delivery().purge().await.unwrap(), 1 + 3);
    let left: Vec<(String, i32)> = outbox(&app)
        .iter()
        .map(|r| (r.status.clone(), r.attempts))
        .collect();
    assert_eq!(left, [("pending".to_owned(), 0), ("sent".to_owned(), 1)]);
}
