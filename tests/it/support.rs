use diesel::prelude::*;
use kwik_dashboard::db::models::Role;
use kwik_dashboard::db::schema::audit_events;
use kwik_dashboard::domain::credentials::TokenStatus;

use crate::helpers::*;

/// An admin at Acme Stores, signed in on `app`, creates a token; then support signs in on a client
/// of its own. The token, and support's client.
async fn token_then_support(app: &TestApp) -> (Credentials, TestApp) {
    app.logged_in_admin("Acme Stores", "ops@acme.test").await;
    let token = app
        .issue_token("Shopify sync", &["payments"], "read_write")
        .await;
    app.add_user("agent@kwik.test", None, Role::Support);
    let support = app.client();
    support
        .login("agent@kwik.test", PASSWORD)
        .await
        .assert_redirect_to("/support");
    (token, support)
}

#[actix_web::test]
async fn support_finds_a_token_by_full_key_displayed_key_prefix_public_key_and_name() {
    let app = spawn_app().await;
    let (token, support) = token_then_support(&app).await;
    let (key, secret) = (token.key, token.secret);
    let shown = format!("{}…{}", &key[..12], &key[key.len() - 4..]);
    for q in [
        key.clone(),
        shown.clone(),
        key[..12].to_owned(),
        key[..10].to_owned(),
        token.public,
        "shopify".into(),
        "acme st".into(),
    ] {
        let page = support.get(&format!("/support?q={}", urlencode(&q))).await;
        page.assert_status(200)
            .assert_contains("Shopify sync")
            .assert_contains("Acme Stores")
            .assert_contains(&shown);
        page.assert_lacks(&secret);
        if q != key {
            // Only what was typed is echoed: a result never spells out the key.
            page.assert_lacks(&key[12..key.len() - 4]);
        }
    }
    support
        .get("/support?q=kwik_ak_ZZZZ")
        .await
        .assert_contains("No token matches");
    // A pasted secret never reaches an address: the form posts it, and the answer leads to an
    // address without it. One typed into the address bar leaves it at once.
    support
        .get("/support")
        .await
        .assert_contains(r#"<form method="post" action="/support/search""#);
    support
        .post("/support/search", &[("q", &format!(" {secret} "))])
        .await
        .assert_redirect_to("/support?refused=secret");
    support
        .get(&format!("/support?q={}", urlencode(&secret)))
        .await
        .assert_redirect_to("/support?refused=secret");
    support
        .get("/support?refused=secret")
        .await
        .assert_status(200)
        .assert_contains("That is an API_SECRET")
        .assert_lacks(&secret)
        .assert_lacks("Shopify sync");
    // Anything else is shown at an address that can be reloaded.
    support
        .post("/support/search", &[("q", " Shopify ")])
        .await
        .assert_redirect_to("/support?q=Shopify");
}

/// A name in any case and any script, the token's or its merchant's, on SQLite too (whose own
/// `lower()` folds ASCII only).
#[actix_web::test]
async fn support_finds_names_in_any_case_in_every_script() {
    let app = spawn_app().await;
    app.logged_in_admin("Ölwerk Zürich", "ops@olwerk.test")
        .await;
    app.issue_token("Caisse École", &["payments"], "read_only")
        .await;
    app.add_user("agent@kwik.test", None, Role::Support);
    let support = app.client();
    support.login("agent@kwik.test", PASSWORD).await;
    for q in ["caisse école", "CAISSE ÉCOLE", "ölwerk", "ZÜRICH"] {
        support
            .get(&format!("/support?q={}", urlencode(q)))
            .await
            .assert_status(200)
            .assert_contains("Caisse École")
            .assert_contains("Ölwerk Zürich");
    }
    support
        .get(&format!("/support?q={}", urlencode("ecole")))
        .await
        .assert_contains("No token matches");
}

#[actix_web::test]
async fn disabling_from_the_console_needs_a_reason_and_the_merchant_sees_it() {
    let app = spawn_app().await;
    let (Credentials { key, id, .. }, support) = token_then_support(&app).await;
    let q = key[..12].to_owned();
    support.get(&format!("/support?q={q}")).await;
    for reason in ["", "  no ", &"x".repeat(501)] {
        support
            .post(
                &format!("/support/tokens/{id}/status"),
                &[("status", "disabled"), ("reason", reason), ("q", &q)],
            )
            .await
            .assert_status(422)
            .assert_contains("Give a reason of 5 to 500 characters");
        assert_eq!(app.all_tokens()[0].status, TokenStatus::Live);
    }
    let reason = "Key posted publicly on GitHub";
    support
        .post(
            &format!("/support/tokens/{id}/status"),
            &[("status", "disabled"), ("reason", reason), ("q", &q)],
        )
        .await
        .assert_redirect_to(&format!("/support?q={q}"));
    assert_eq!(app.all_tokens()[0].status, TokenStatus::Disabled);
    support
        .get(&format!("/support?q={q}"))
        .await
        .assert_contains("Disabled by Kwik Support")
        .assert_contains(reason);

    // The merchant's table and history say who, when and why.
    app.get(LIST)
        .await
        .assert_contains("Disabled by Kwik Support on")
        .assert_contains(reason);
    app.get("/settings/history")
        .await
        .assert_contains("Token disabled")
        .assert_contains("Kwik Support")
        .assert_contains(reason)
        .assert_lacks("agent@kwik.test");
}

#[actix_web::test]
async fn support_cannot_create_tokens_nor_see_merchant_pages_and_merchants_cannot_use_the_console()
{
    let app = spawn_app().await;
    let (Credentials { id, .. }, support) = token_then_support(&app).await;
    support.get(LIST).await.assert_status(403);
    support.get(&format!("{LIST}/new")).await.assert_status(403);
    support.get("/support").await;
    support
        .post(LIST, &[("name", "x"), ("sections", "orders")])
        .await
        .assert_status(403);
    support
        .post(&format!("{LIST}/{id}/status"), &[("status", "disabled")])
        .await
        .assert_status(403);
    assert_eq!(app.all_tokens().len(), 1);
    app.get("/support").await.assert_status(403);
    app.post(
        &format!("/support/tokens/{id}/status"),
        &[("status", "disabled"), ("reason", "merchant trying")],
    )
    .await
    .assert_status(403);
    assert_eq!(app.all_tokens()[0].status, TokenStatus::Live);
}

#[actix_web::test]
async fn support_history_shows_the_tokens_it_touched_only() {
    let app = spawn_app().await;
    let (Credentials { id, .. }, support) = token_then_support(&app).await;
    support.get("/support").await;
    support
        .post(
            &format!("/support/tokens/{id}/status"),
            &[("status", "disabled"), ("reason", "Suspected leak")],
        )
        .await;
    let history = support.get("/settings/history").await;
    history
        .assert_status(200)
        .assert_contains("Token disabled")
        .assert_contains("Token created");
    history
        // The admin's sign-in is not about a token support touched.
        .assert_lacks(r#"<td data-label="Event">Signed in</td>"#)
        // Support's history spans merchants: a Merchant column, and a heading that says whose.
        .assert_contains(r#"<th scope="col">Merchant</th>"#)
        .assert_contains(r#"<td data-label="Merchant" class="merchant">Acme Stores</td>"#)
        .assert_contains(r#"<p class="eyebrow">Kwik Support</p>"#)
        .assert_lacks("your team");
    // A merchant's own history has neither.
    app.get("/settings/history")
        .await
        .assert_lacks(r#"<th scope="col">Merchant</th>"#)
        .assert_contains(r#"<p class="eyebrow">Settings</p>"#);
    let events: i64 = app.db(|c| {
        audit_events::table
            .filter(audit_events::event.eq("token.disabled"))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(events, 1);
}
