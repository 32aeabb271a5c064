//! Security alerts and expiry warnings to a merchant's admins, through a real SMTP server: each
//! change on the list alerts every admin who gets it, names the token by its partial key (never a
//! credential), links to the page it is about, and honours the admin's choices on the profile.

use diesel::prelude::*;
use kwik_dashboard::db::models::Role;
use kwik_dashboard::db::schema::access_tokens;
use kwik_dashboard::domain::mail::expiry::queue_warnings;

use super::*;
use crate::accounts::enrol;

/// Sends what is queued and returns the subjects `to` received, in order.
async fn subjects_to(app: &TestApp, sink: &SmtpSink, to: &str, expected: usize) -> Vec<String> {
    while !deliver(app).await.is_empty() {}
    sink.wait_for(expected)
        .into_iter()
        .filter(|m| m.to == to)
        .map(|m| m.subject)
        .collect()
}

#[actix_web::test]
async fn each_security_change_alerts_the_admins_and_no_alert_holds_a_credential() {
    let sink = SmtpSink::start();
    let transport = sink.transport();
    let app = crate::secret_scanning::scanning_app_with(|c| c.mail.transport = transport).await;
    // scanning_app signed in admin@acme.test, of Acme.
    let made = app
        .issue_token("Shop sync", &["orders"], "read_write")
        .await;
    let leaked = app.issue_token("Leaky", &["orders"], "read_only").await;
    // Roll, delete, a support disable, a leak report, a new admin, two-factor off.
    let form = app.get(&format!("{LIST}/{}/roll", made.id)).await;
    let sid = form.submission_id();
    app.post(
        &format!("{LIST}/{}/roll", made.id),
        &[("window", "now"), ("submission_id", &sid)],
    )
    .await
    .assert_status(200);
    app.add_user("agent@kwik.test", None, Role::Support);
    let support = app.client();
    support.login("agent@kwik.test", PASSWORD).await;
    support.get("/support").await;
    support
        .post(
            &format!("/support/tokens/{}/status", made.id),
            &[("status", "disabled"), ("reason", "Seen in a public paste")],
        )
        .await
        .assert_status(303);
    crate::secret_scanning::report(&app, &[&leaked.secret])
        .await
        .assert_status(200);
    app.get("/settings/teams").await;
    app.post(
        "/settings/teams",
        &[("email", "second@acme.test"), ("role", "admin")],
    )
    .await
    .assert_status(200);
    enrol(&app).await;
    app.post("/settings/profile/two-factor/disable", &[])
        .await
        .assert_status(303);
    app.post(
        &format!("{LIST}/{}/delete", made.id),
        &[("confirm_name", "Shop sync")],
    )
    .await
    .assert_status(303);

    let subjects = subjects_to(&app, &sink, "admin@acme.test", 12).await;
    assert_eq!(
        subjects,
        [
            // Their own account, added as an admin before the test began.
            "Kwik security alert: admin@acme.test is now an admin of Acme",
            "Kwik security alert: A new access token, “Shop sync”, was created",
            "Kwik security alert: A new access token, “Leaky”, was created",
            "Kwik security alert: The secret of “Shop sync” was rolled",
            "Kwik security alert: Kwik Support disabled “Shop sync”",
            "Kwik security alert: “Leaky” was found in public and disabled",
            "Kwik security alert: second@acme.test is now an admin of Acme",
            "Kwik security alert: Two-factor sign-in was turned off for admin@acme.test",
            "Kwik security alert: The access token “Shop sync” was deleted",
        ]
    );
    let mails = sink.received();
    // The new admin hears about what happened after they joined.
    let second: Vec<&str> = mails
        .iter()
        .filter(|m| m.to == "second@acme.test")
        .map(|m| m.subject.as_str())
        .collect();
    assert_eq!(second.len(), 3, "{second:?}");
    let rolled = mails
        .iter()
        .find(|m| m.subject.contains("was rolled"))
        .unwrap();
    let token = app
        .all_tokens()
        .into_iter()
        .find(|t| t.name == "Shop sync")
        .unwrap();
    assert!(
        rolled
            .text
            .contains(&format!("Token: Shop sync ({})", token.partial_key()))
    );
    assert!(
        rolled
            .text
            .contains(&format!("{ORIGIN}/developers/access-tokens/{}", made.id))
    );
    assert!(rolled.text.contains("By: admin@acme.test"));
    assert!(
        rolled
            .text
            .contains(&format!("{ORIGIN}/settings/profile#alerts"))
    );
    let leak = mails
        .iter()
        .find(|m| m.subject.contains("found in public"))
        .unwrap();
    assert!(
        leak.text
            .contains("Alerts about leaked credentials cannot be turned off.")
    );
    assert!(
        leak.text.contains("By: GitHub secret scanning"),
        "{}",
        leak.text
    );
    // No credential in any alert, in either part.
    for mail in &mails {
        for secret in [&made.key, &made.secret, &leaked.key, &leaked.secret] {
            assert!(!mail.text.contains(secret.as_str()) && !mail.html.contains(secret.as_str()));
        }
    }
}

#[actix_web::test]
async fn an_alert_turned_off_is_not_sent_but_a_leak_alert_always_is() {
    let sink = SmtpSink::start();
    let transport = sink.transport();
    let app = crate::secret_scanning::scanning_app_with(|c| c.mail.transport = transport).await;
    let profile = app.get("/settings/profile").await;
    profile
        .assert_contains(r#"<section class="panel profile-section" id="alerts""#)
        .assert_contains(r#"value="token_leaked" checked disabled"#);
    // Only rolls are kept on (a leak alert's box cannot be unticked).
    app.post("/settings/profile/alerts", &[("alerts", "token_rolled")])
        .await
        .assert_redirect_to("/settings/profile#alerts");
    let page = app.get("/settings/profile").await;
    page.assert_contains(r#"value="token_rolled" checked>"#)
        .assert_contains(r#"value="token_created">"#)
        .assert_contains("Your email alerts are saved.");
    let made = app.issue_token("Quiet", &["orders"], "read_only").await;
    crate::secret_scanning::report(&app, &[&made.secret])
        .await
        .assert_status(200);
    let subjects = subjects_to(&app, &sink, "admin@acme.test", 2).await;
    assert_eq!(
        subjects[1..],
        ["Kwik security alert: “Quiet” was found in public and disabled".to_owned()],
        "{subjects:?}"
    );
}

#[actix_web::test]
async fn expiry_warnings_go_once_per_step_however_many_instances_sweep() {
    let sink = SmtpSink::start();
    let a = app_mailing_to(&sink).await;
    let transport = sink.transport();
    let b = spawn_app_on(a.db.clone(), |c| c.mail.transport = transport).await;
    a.logged_in_admin("Acme", "ops@acme.test").await;
    let t = a.issue_token("Nightly", &["orders"], "read_only").await;
    let forever = a.issue_token("Forever", &["orders"], "read_only").await;
    let _ = forever;
    while !deliver(&a).await.is_empty() {}
    let before = sink.wait_for(2).len();
    let set_expiry = |at: time::PrimitiveDateTime| {
        a.db(|c| {
            diesel::update(access_tokens::table.find(kwik_dashboard::db::models::TokenId(t.id)))
                .set(access_tokens::expires_at.eq(Some(at)))
                .execute(c)
                .unwrap()
        })
    };
    let now = kwik_dashboard::db::now();
    set_expiry(now + time::Duration::days(5));
    // Two instances sweep, twice each: one warning.
    let mut queued = 0;
    for app in [&a, &b, &a, &b] {
        queued += app.db(|c| queue_warnings(c, kwik_dashboard::db::now()).unwrap());
    }
    assert_eq!(queued, 1);
    // It expires: one more.
    set_expiry(now - time::Duration::minutes(5));
    for app in [&b, &a] {
        queued += app.db(|c| queue_warnings(c, kwik_dashboard::db::now()).unwrap());
    }
    assert_eq!(queued, 2);
    let subjects = subjects_to(&a, &sink, "ops@acme.test", before + 2).await;
    assert_eq!(
        subjects[before..],
        [
            "Kwik: “Nightly” expires within 7 days".to_owned(),
            "Kwik: “Nightly” has expired".to_owned()
        ]
    );
    let expired = sink.received().pop().unwrap();
    assert!(
        expired
            .text
            .contains("Create a new token and move your integration to it")
    );
    assert!(
        expired
            .text
            .contains(&format!("{ORIGIN}/developers/access-tokens/{}", t.id))
    );
}
