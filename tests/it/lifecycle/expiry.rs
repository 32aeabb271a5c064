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
    // The Expires column says how long is left, in a warning tone within a week, and marks it
    // expired after.
    let soon = kwik_dashboard::db::now() + time::Duration::days(5) + time::Duration::hours(1);
    app.db(|c| {
        diesel::update(access_tokens::table)
            .set(access_tokens::expires_at.eq(Some(soon)))
            .execute(c)
            .unwrap()
    });
    app.get(LIST)
        .await
        .assert_contains(r#"<td class="expires soon"><span title="#)
        .assert_contains(">in 5 days</span></td>");
    let past = kwik_dashboard::db::now() - time::Duration::minutes(1);
    app.db(|c| {
        diesel::update(access_tokens::table)
            .set(access_tokens::expires_at.eq(Some(past)))
            .execute(c)
            .unwrap()
    });
    app.get(LIST)
        .await
        .assert_contains("badge expired")
        .assert_contains(">Expired</span></td>");
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
    // Names are unique in a merchant: each attempt its own.
    let name = format!("T {expiry} {on} {}", app.all_tokens().len());
    app.post(
        LIST,
        &[
            ("name", &name),
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

#[actix_web::test]
async fn a_date_typed_with_another_expiry_choice_is_an_error_not_ignored() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.get(&format!("{LIST}/new")).await;
    let day = (kwik_dashboard::db::now().date() + time::Duration::days(20)).to_string();
    for (choice, label) in [("never", "No expiry"), ("30", "30 days")] {
        with_expiry(&app, choice, day.clone())
            .await
            .assert_status(422)
            .assert_contains(&format!(
                "A last day was typed, but “{label}” is chosen: choose “On a date” to use the date"
            ))
            // The date stays in the form, to be used or cleared.
            .assert_contains(&format!(r#"value="{day}""#));
    }
    assert!(app.all_tokens().is_empty());
    with_expiry(&app, "custom", day.clone())
        .await
        .assert_status(200);
    with_expiry(&app, "never", " ".into())
        .await
        .assert_status(200);
    assert_eq!(app.all_tokens().len(), 2);
}

/// The expiry radios a form offers, and which one is checked.
fn expiry_choices(form: &Answer) -> (Vec<String>, Option<String>) {
    let radio = regex::Regex::new(r#"name="expiry" value="(\w+)"( checked)?"#).unwrap();
    let mut offered = Vec::new();
    let mut checked = None;
    for m in radio.captures_iter(&form.body) {
        offered.push(m[1].to_owned());
        if m.get(2).is_some() {
            checked = Some(m[1].to_owned());
        }
    }
    (offered, checked)
}

#[actix_web::test]
async fn create_opens_on_the_longest_expiry_allowed_and_offers_only_those() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let (offered, checked) = expiry_choices(&app.get(&format!("{LIST}/new")).await);
    assert_eq!(offered, ["never", "30", "60", "90", "custom"]);
    assert_eq!(checked.as_deref(), Some("never"));
    let none = app
        .token_with(&[("name", "Forever"), ("sections", "orders")])
        .await;

    let set_max = |days: i32| {
        app.db(move |c| {
            diesel::update(merchants::table)
                .set(merchants::max_token_lifetime_days.eq(Some(days)))
                .execute(c)
                .unwrap()
        })
    };
    set_max(75);
    let form = app.get(&format!("{LIST}/new")).await;
    form.assert_contains("requires tokens to expire within 75 days");
    let (offered, checked) = expiry_choices(&form);
    assert_eq!(offered, ["30", "60", "custom"]);
    assert_eq!(checked.as_deref(), Some("60"));

    // Under 30 days, only a date, preset to the last day allowed, which the server takes.
    set_max(10);
    let form = app.get(&format!("{LIST}/new")).await;
    let (offered, checked) = expiry_choices(&form);
    assert_eq!(offered, ["custom"]);
    assert_eq!(checked.as_deref(), Some("custom"));
    let sa_today = (kwik_dashboard::db::now() + time::Duration::hours(2)).date();
    let last = (sa_today + time::Duration::days(10)).to_string();
    form.assert_contains(&format!(r#"value="{last}" min="{sa_today}" max="{last}""#));
    with_expiry(&app, "custom", last).await.assert_status(200);

    // A token made before the rule still shows its own choice when edited.
    let (offered, checked) = expiry_choices(&app.get(&format!("{LIST}/{}/edit", none.id)).await);
    assert_eq!(offered, ["never", "custom"]);
    assert_eq!(checked.as_deref(), Some("never"));
}
