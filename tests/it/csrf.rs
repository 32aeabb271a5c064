use crate::helpers::*;

fn token_fields<'a>() -> Vec<(&'a str, &'a str)> {
    vec![("name", "Should not exist"), ("sections", "payments")]
}

#[actix_web::test]
async fn a_post_without_a_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.get(LIST).await;
    app.post_raw(LIST, &token_fields(), &[("Origin", ORIGIN)])
        .await
        .assert_status(403)
        .assert_contains("Request refused");
    assert!(app.all_tokens().is_empty());
}

#[actix_web::test]
async fn a_post_with_a_wrong_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.get(LIST).await;
    let mut fields = token_fields();
    fields.push(("csrf_token", "forged-token-value"));
    app.post_raw(LIST, &fields, &[("Origin", ORIGIN)])
        .await
        .assert_status(403);
    app.post_raw(
        LIST,
        &token_fields(),
        &[("Origin", ORIGIN), ("X-CSRF-Token", "forged")],
    )
    .await
    .assert_status(403);
    assert!(app.all_tokens().is_empty());
}

#[actix_web::test]
async fn a_post_from_a_foreign_origin_is_refused_even_with_the_right_token() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.get(LIST).await;
    let token = app.csrf_token();
    let mut fields = token_fields();
    fields.push(("csrf_token", &token));
    app.post_raw(LIST, &fields, &[("Origin", "https://evil.example")])
        .await
        .assert_status(403);
    app.post_raw(LIST, &fields, &[("Origin", "null")])
        .await
        .assert_status(403);
    app.post_raw(
        LIST,
        &fields,
        &[("Referer", "https://evil.example/dash.test/")],
    )
    .await
    .assert_status(403);
    // Neither Origin nor Referer: refused too.
    app.post_raw(LIST, &fields, &[]).await.assert_status(403);
    assert!(app.all_tokens().is_empty());
    // The same request from this origin, or with a same-origin Referer, goes through.
    app.post_raw(
        LIST,
        &fields,
        &[("Referer", "http://dash.test/developers/access-tokens/new")],
    )
    .await
    .assert_status(200);
    assert_eq!(app.all_tokens().len(), 1);
}

#[actix_web::test]
async fn login_itself_needs_the_token() {
    let app = spawn_app().await;
    app.add_user(
        "ops@acme.test",
        Some("Acme"),
        kwik_dashboard::db::models::Role::Admin,
    );
    app.get("/login").await;
    app.post_raw(
        "/login",
        &[("email", "ops@acme.test"), ("password", PASSWORD)],
        &[("Origin", ORIGIN)],
    )
    .await
    .assert_status(403);
    app.get(LIST).await.assert_redirect_to("/login");
}

#[actix_web::test]
async fn logout_needs_the_token() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.post_raw("/logout", &[], &[("Origin", ORIGIN)])
        .await
        .assert_status(403);
    app.get(LIST).await.assert_status(200);
}

#[actix_web::test]
async fn the_token_from_before_login_is_useless_after_it() {
    let app = spawn_app().await;
    app.add_user(
        "ops@acme.test",
        Some("Acme"),
        kwik_dashboard::db::models::Role::Admin,
    );
    app.get("/login").await;
    let before = app.csrf_token();
    app.post(
        "/login",
        &[("email", "ops@acme.test"), ("password", PASSWORD)],
    )
    .await
    .assert_redirect_to(LIST);
    let mut fields = token_fields();
    fields.push(("csrf_token", &before));
    app.post_raw(LIST, &fields, &[("Origin", ORIGIN)])
        .await
        .assert_status(403);
}
