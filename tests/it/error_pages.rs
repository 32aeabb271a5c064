//! Error pages keep the app around them for a signed-in user, and send each user back to their own
//! start page (#25 bug 5: a support user's 403 offered "Back to Access Tokens", another 403).

use kwik_dashboard::db::models::Role;

use crate::helpers::*;

/// The chrome of a signed-in page: the sign-out form and the main navigation.
#[track_caller]
fn assert_in_app(answer: &Answer) {
    answer
        .assert_contains(r#"action="/logout""#)
        .assert_contains(r#"aria-label="Main""#);
}

#[actix_web::test]
async fn a_support_users_403_keeps_the_chrome_and_leads_to_the_console() {
    let app = spawn_app().await;
    app.add_user("agent@kwik.test", None, Role::Support);
    let support = app.client();
    support.login("agent@kwik.test", PASSWORD).await;
    let refused = support.get(LIST).await;
    refused.assert_status(403).assert_contains("Not allowed");
    assert_in_app(&refused);
    refused
        .assert_contains(r#"href="/support">Back to the support console</a>"#)
        .assert_contains("Support console")
        .assert_lacks("Back to Access Tokens");
}

#[actix_web::test]
async fn a_merchant_users_404_keeps_the_chrome_and_leads_to_access_tokens() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme Stores", "ops@acme.test").await;
    for path in ["/nowhere", "/developers/access-tokens/999999"] {
        let missing = app.get(path).await;
        missing.assert_status(404).assert_contains("Page not found");
        assert_in_app(&missing);
        missing
            .assert_contains("Acme Stores")
            .assert_contains(r#"href="/developers/access-tokens">Back to Access Tokens</a>"#);
    }
}

#[actix_web::test]
async fn a_refusal_by_the_csrf_guard_keeps_the_chrome_too() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.get(LIST).await;
    let refused = app
        .post_raw(
            LIST,
            &[("name", "x"), ("sections", "payments")],
            &[("Origin", ORIGIN)],
        )
        .await;
    refused
        .assert_status(403)
        .assert_contains("Request refused");
    assert_in_app(&refused);
    assert!(app.all_tokens().is_empty());
}

#[actix_web::test]
async fn without_a_user_or_for_htmx_the_error_page_stands_alone() {
    let app = spawn_app().await;
    let anonymous = app.get("/nowhere").await;
    anonymous
        .assert_status(404)
        .assert_contains(r#"href="/">Go to the start page</a>"#)
        .assert_lacks(r#"action="/logout""#);
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let fragment = app.get_htmx("/developers/access-tokens/999999").await;
    fragment
        .assert_status(404)
        .assert_lacks(r#"action="/logout""#);
}
