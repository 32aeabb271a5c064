//! The use cases' own guarantees, whichever way they are reached: a token change is seen by the very
//! next verification on every path, a password hash never holds a database connection, and the
//! public-key rule answers alike for the checkout and the gateway.

use std::time::Duration;

use actix_web::test::TestRequest;
use kwik_dashboard::db::models::{Role, TokenId};
use kwik_dashboard::domain::audit::Actor;
use kwik_dashboard::domain::credentials::TokenStatus;
use kwik_dashboard::domain::tokens::{self, Scope};

use crate::helpers::*;

const GATEWAY: &str = "gateway-token-0123456789abcdef0123456789";

async fn whoami(app: &TestApp, authorization: &str) -> Answer {
    app.send(
        TestRequest::get()
            .uri("/api/v2/whoami")
            .insert_header(("Authorization", authorization.to_owned())),
    )
    .await
}

/// The code of a refused whoami, or `"OK"`.
async fn verdict(app: &TestApp, authorization: &str) -> String {
    let answer = whoami(app, authorization).await;
    if answer.status == 200 {
        return "OK".into();
    }
    let body: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    body["error"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn every_way_of_changing_a_token_is_seen_by_the_next_verification() {
    // A cache that would keep a token for an hour: only invalidation makes a change visible.
    let app = spawn_app_with(|c| c.token_cache_ttl = Duration::from_secs(3600)).await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let c = app
        .issue_token("Shop sync", &["payments"], "read_only")
        .await;
    let auth = c.basic_auth();
    assert_eq!(verdict(&app, &auth).await, "OK");

    // The dashboard's enable/disable.
    app.get(LIST).await;
    app.post(
        &format!("{LIST}/{}/status", c.id),
        &[("status", "disabled")],
    )
    .await
    .assert_redirect_to(LIST);
    assert_eq!(verdict(&app, &auth).await, "DISABLED");
    app.post(&format!("{LIST}/{}/status", c.id), &[("status", "live")])
        .await
        .assert_redirect_to(LIST);
    assert_eq!(verdict(&app, &auth).await, "OK");

    // Kwik Support's console.
    app.add_user("agent@kwik.test", None, Role::Support);
    let support = app.client_for("agent@kwik.test").await;
    support.get("/support").await;
    support
        .post(
            &format!("/support/tokens/{}/status", c.id),
            &[
                ("status", "disabled"),
                ("reason", "Posted in a public gist"),
            ],
        )
        .await
        .assert_status(303);
    assert_eq!(verdict(&app, &auth).await, "DISABLED");

    // The command line's `token enable`, which calls the same domain operation.
    app.db(|conn| {
        tokens::set_status(
            conn,
            &app.state.token_cache,
            Scope::Platform,
            TokenId(c.id),
            TokenStatus::Live,
            &Actor::cli(),
            Some("False alarm, checked with the merchant"),
        )
        .unwrap()
    });
    assert_eq!(verdict(&app, &auth).await, "OK");

    // The lifecycle: an edit that disables, a roll that ends the old secret now, a delete.
    let edit = format!("{LIST}/{}/edit", c.id);
    app.get(&edit).await;
    app.post(
        &edit,
        &[
            ("name", "Shop sync"),
            ("sections", "payments"),
            ("permission", "read_only"),
            ("status", "disabled"),
        ],
    )
    .await
    .assert_redirect_to(LIST);
    assert_eq!(verdict(&app, &auth).await, "DISABLED");
    app.post(
        &edit,
        &[
            ("name", "Shop sync"),
            ("sections", "payments"),
            ("permission", "read_only"),
            ("status", "live"),
        ],
    )
    .await
    .assert_redirect_to(LIST);
    assert_eq!(verdict(&app, &auth).await, "OK");

    let roll = format!("{LIST}/{}/roll", c.id);
    let sid = app.get(&roll).await.submission_id();
    let rolled = app
        .post(&roll, &[("window", "now"), ("submission_id", &sid)])
        .await;
    rolled.assert_status(200);
    assert_eq!(verdict(&app, &auth).await, "INVALID_CREDENTIALS");
    let new_auth = basic_auth(&c.key, &rolled.credential("api_secret"));
    assert_eq!(verdict(&app, &new_auth).await, "OK");

    app.post(
        &format!("{LIST}/{}/delete", c.id),
        &[("confirm_name", "Shop sync")],
    )
    .await
    .assert_redirect_to(LIST);
    assert_eq!(verdict(&app, &new_auth).await, "INVALID_CREDENTIALS");
}

#[actix_web::test]
async fn adding_a_member_hashes_without_holding_the_only_database_connection() {
    // One pooled connection, and a password hash slow enough to be caught holding it.
    let app = spawn_app_with(|c| {
        c.db_pool_size = 1;
        c.argon2.memory_kib = 32 * 1024;
        c.argon2.iterations = 24;
    })
    .await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.get("/settings/teams/new").await.assert_status(200);
    let started = std::time::Instant::now();
    let adding = async {
        let added = app
            .post(
                "/settings/teams",
                &[
                    ("email", "new@acme.test"),
                    ("role", "viewer"),
                    ("password_mode", "generate"),
                ],
            )
            .await;
        (added, started.elapsed())
    };
    let page = async {
        // Let the add reach its hash first.
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        let page = app.get(LIST).await;
        (page.status, started.elapsed())
    };
    let ((added, added_after), (page_status, page_after)) =
        futures_util::future::join(adding, page).await;
    added.assert_status(200).assert_contains("new@acme.test");
    assert_eq!(page_status, 200);
    assert!(
        page_after < added_after,
        "the page waited for the hash: it answered after {page_after:?}, the add after {added_after:?}"
    );
}

/// What the hosted checkout and the gateway each say about `public_key`: the checkout's status and
/// page, and the gateway's status and body.
async fn both_verdicts(app: &TestApp, public_key: &str) -> ((u16, String), (u16, String)) {
    let shopper = app.client();
    let checkout = shopper
        .post_raw(
            "/checkout/form",
            &[
                ("public_key", public_key),
                ("type", "CHOOSE_WHAT_TO_PAY"),
                ("item_title", "Annual membership"),
                ("item_frequency", "ONE_TIME"),
                ("item_amount", "1250"),
            ],
            &[("Origin", "https://shop.acme.example")],
        )
        .await;
    let gateway = app
        .send(
            TestRequest::post()
                .uri("/internal/v1/verify")
                .insert_header(("Authorization", format!("Bearer {GATEWAY}")))
                .insert_header(("Content-Type", "application/json"))
                .set_payload(
                    serde_json::json!({ "public_key": public_key, "section": "checkout_page" })
                        .to_string(),
                ),
        )
        .await;
    (
        (checkout.status.as_u16(), checkout.body),
        (gateway.status.as_u16(), gateway.body),
    )
}

#[actix_web::test]
async fn the_checkout_and_the_gateway_judge_a_public_key_by_one_rule() {
    use diesel::prelude::*;
    use kwik_dashboard::db::schema::access_tokens;

    let app = spawn_app_with(|c| c.gateway_token = Some(GATEWAY.into())).await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let with = app
        .issue_token("Checkout", &["checkout_page"], "read_only")
        .await;
    let without = app.issue_token("Orders", &["orders"], "read_only").await;

    let ((status, page), (_, verdict)) = both_verdicts(&app, &with.public).await;
    assert_eq!(status, 200, "{page}");
    assert!(verdict.contains(r#""valid":true"#), "{verdict}");

    let ((status, page), (_, verdict)) = both_verdicts(&app, &without.public).await;
    assert_eq!(status, 422);
    assert!(page.contains("without the Checkout Page section"));
    assert!(verdict.contains("SECTION_NOT_ALLOWED"), "{verdict}");

    let unknown = format!("kwik_pk_{}", "A".repeat(32));
    for key in [unknown.as_str(), "kwik_pk_short"] {
        let ((status, page), (_, verdict)) = both_verdicts(&app, key).await;
        assert_eq!(status, 422);
        assert!(page.contains("is not recognised"));
        assert!(verdict.contains("INVALID_CREDENTIALS"), "{verdict}");
    }

    app.get(LIST).await;
    app.post(
        &format!("{LIST}/{}/status", with.id),
        &[("status", "disabled")],
    )
    .await
    .assert_redirect_to(LIST);
    let ((status, page), (_, verdict)) = both_verdicts(&app, &with.public).await;
    assert_eq!(status, 422);
    assert!(page.contains("belongs to a disabled access token"));
    assert!(verdict.contains(r#""code":"DISABLED""#), "{verdict}");

    // A deleted token's key is unknown to both, as if it had never existed.
    app.post(
        &format!("{LIST}/{}/delete", with.id),
        &[("confirm_name", "Checkout")],
    )
    .await
    .assert_redirect_to(LIST);
    let ((status, page), (_, verdict)) = both_verdicts(&app, &with.public).await;
    assert_eq!(status, 422);
    assert!(page.contains("is not recognised"));
    assert!(verdict.contains("INVALID_CREDENTIALS"), "{verdict}");

    // Sections that no longer parse are a fault for both, never quietly "no sections".
    app.db(|c| {
        diesel::update(access_tokens::table.find(TokenId(without.id)))
            .set(access_tokens::sections.eq("checkout_page,nonsense"))
            .execute(c)
            .unwrap()
    });
    let ((status, _), (gateway_status, verdict)) = both_verdicts(&app, &without.public).await;
    assert_eq!(status, 500);
    assert_eq!(gateway_status, 500, "{verdict}");
    assert!(verdict.contains("INTERNAL_ERROR"), "{verdict}");
}
