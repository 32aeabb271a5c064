//! Sign-in's `next` never sends anyone to another site, and never fails: every hostile value is
//! ignored, on the login page (GET) and on sign-in (POST), signed in or not.

use kwik_dashboard::db::models::Role;

use crate::helpers::*;

/// Values an attacker would try, as they arrive after URL decoding.
const HOSTILE: &[&str] = &[
    "/\t/evil.test",
    "/\n/evil.test",
    "/\r/evil.test",
    "/\0x",
    "/\r\nSet-Cookie: a=b",
    "//evil.test",
    "/\\evil.test",
    "\\/evil.test",
    "/%2F%2Fevil.test",
    "/%5Cevil.test",
    "https://evil.test/",
    "javascript:alert(1)",
    "//user@evil.test",
    "/\u{FF0F}evil.test",
    "/api/v2/whoami",
    "/no/such/page",
];

#[actix_web::test]
async fn a_hostile_next_is_ignored_on_the_login_page_and_after_sign_in() {
    let app = spawn_app().await;
    app.add_user("ops@acme.test", Some("Acme"), Role::Admin);
    for next in HOSTILE {
        let query = format!("/login?next={}", urlencode(next));
        let client = app.client();
        let page = client.get(&query).await;
        page.assert_status(200)
            .assert_contains(r#"name="next" value="""#);
        client
            .post(
                "/login",
                &[
                    ("email", "ops@acme.test"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await
            .assert_redirect_to(LIST);
        // Signed in already, the login page sends them home, not to `next`.
        client.get(&query).await.assert_redirect_to("/");
    }
}

#[actix_web::test]
async fn a_page_of_this_app_is_returned_to_after_sign_in() {
    let app = spawn_app().await;
    app.add_user("ops@acme.test", Some("Acme"), Role::Admin);
    let next = "/settings/history?event=token.created";
    let page = app.get(&format!("/login?next={}", urlencode(next))).await;
    page.assert_status(200)
        .assert_contains(r#"name="next" value="/settings/history?event=token.created""#);
    app.post(
        "/login",
        &[
            ("email", "ops@acme.test"),
            ("password", PASSWORD),
            ("next", next),
        ],
    )
    .await
    .assert_redirect_to(next);
}
