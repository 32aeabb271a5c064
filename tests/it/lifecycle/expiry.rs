//! Expiry: refused from its boundary on, the dates the form takes, and a merchant's maximum lifetime.

use actix_web::test::TestRequest;
use diesel::prelude::*;
use kwik_dashboard::db::schema::{access_tokens, merchants};
use kwik_dashboard::domain::credentials::verify::{Code, Decision};

use super::*;
use crate::helpers::*;

#[actix_web::test]
async fn an_expired_token_is_refused_at_its_boundary() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let Credentials { key, secret, .. } = app
        .token_with(&[("name", "Month"), ("sections", "orders"), ("expiry", "30")])
        .await;
    let expires = app.all_tokens()[0]
        .expires_at
        .unwrap()
        .assume_utc()
        .unix_timestamp();
    assert!(allowed(&verify_at(&app, &key, &secret, expires - 1)));
    assert_eq!(
        verify_at(&app, &key, &secret, expires),
        Decision::Denied(Code::Expired)
    );
    assert_eq!(
        verify_at(&app, &key, &secret, expires + 86_400),
        Decision::Denied(Code::Expired)
    );
    // The table warns within a week, and marks it expired after.
    let soon = kwik_dashboard::db::now() + time::Duration::days(5) + time::Duration::hours(1);
    app.db(|c| {
        diesel::update(access_tokens::table)
            .set(access_tokens::expires_at.eq(Some(soon)))
            .execute(c)
            .unwrap()
    });
    app.get(LIST).await.assert_contains("Expires in 5 days");
    let past = kwik_dashboard::db::now() - time::Duration::minutes(1);
    app.db(|c| {
        diesel::update(access_tokens::table)
            .set(access_tokens::expires_at.eq(Some(past)))
            .execute(c)
            .unwrap()
    });
    app.get(LIST).await.assert_contains("badge expired");
    let answer = app
        .send(
            TestRequest::get()
                .uri("/api/v2/whoami")
                .insert_header(("Authorization", basic_auth(&key, &secret))),
        )
        .await;
    answer.assert_status(401).assert_contains("EXPIRED");
}

async fn with_expiry(app: &TestApp, expiry: &str, on: String) -> Answer {
    app.post(
        LIST,
        &[
            ("name", "T"),
            ("sections", "orders"),
            ("expiry", expiry),
            ("expires_on", &on),
        ],
    )
    .await
}

#[actix_web::test]
async fn expiry_dates_are_checked_and_a_maximum_lifetime_is_enforced() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.get(&format!("{LIST}/new")).await;
    let today = time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+2))
        .date();
    with_expiry(&app, "custom", today.previous_day().unwrap().to_string())
        .await
        .assert_status(422)
        .assert_contains("Choose a day in the future");
    with_expiry(&app, "custom", "soon".into())
        .await
        .assert_status(422)
        .assert_contains("like 2027-03-31");
    with_expiry(&app, "forever", String::new())
        .await
        .assert_status(422)
        .assert_contains("Choose no expiry");
    with_expiry(&app, "custom", today.to_string())
        .await
        .assert_status(200);
    assert_eq!(
        app.all_tokens().len(),
        1,
        "today (until midnight) is a valid last day"
    );

    app.db(|c| {
        diesel::update(merchants::table)
            .set(merchants::max_token_lifetime_days.eq(Some(90)))
            .execute(c)
            .unwrap()
    });
    app.post("/logout", &[]).await;
    app.login("ops@acme.test", PASSWORD).await;
    app.get(&format!("{LIST}/new")).await;
    with_expiry(&app, "never", String::new())
        .await
        .assert_status(422)
        .assert_contains("requires tokens to expire within 90 days");
    with_expiry(
        &app,
        "custom",
        (today + time::Duration::days(200)).to_string(),
    )
    .await
    .assert_status(422)
    .assert_contains("at most 90 days");
    with_expiry(&app, "90", String::new())
        .await
        .assert_status(200);
    assert_eq!(app.all_tokens().len(), 2);
}
