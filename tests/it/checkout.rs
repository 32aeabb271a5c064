//! `POST /checkout/form`: the public key, cross-site use without session or CSRF, and what the pages
//! never show. The form fields themselves are in `fields`.

use diesel::prelude::*;
use kwik_dashboard::db::schema::access_tokens;

use crate::helpers::*;

mod fields;

const FORM: &str = "/checkout/form";
/// The merchant's own website, which posts the checkout form cross-site.
const SHOP: &str = "https://shop.acme.example";
const MERCHANT: &str = "Acme Trading";

/// A merchant admin creates a token with `sections`; returns its PUBLIC_KEY. The client then forgets
/// the dashboard session, as a shopper's browser on the merchant's site has none.
async fn public_key(app: &TestApp, sections: &[&str]) -> String {
    app.logged_in_admin(MERCHANT, "ops@acme.test").await;
    let key = app
        .issue_token("Website checkout", sections, "read_only")
        .await
        .public;
    app.set_session_cookie(None);
    key
}

/// The documented basic form, with `public_key`.
fn basic(key: &str) -> Vec<(&str, &str)> {
    vec![
        ("public_key", key),
        ("type", "CHOOSE_WHAT_TO_PAY"),
        ("item_title", "Annual membership"),
        ("item_frequency", "ONE_TIME"),
        ("item_amount", "1250"),
    ]
}

/// `fields` with `name` set to `value` (added if absent).
fn with<'a>(
    mut fields: Vec<(&'a str, &'a str)>,
    name: &'a str,
    value: &'a str,
) -> Vec<(&'a str, &'a str)> {
    fields.retain(|(n, _)| *n != name);
    fields.push((name, value));
    fields
}

/// `fields` without `name`.
fn without<'a>(mut fields: Vec<(&'a str, &'a str)>, name: &str) -> Vec<(&'a str, &'a str)> {
    fields.retain(|(n, _)| *n != name);
    fields
}

#[actix_web::test]
async fn a_valid_form_renders_the_merchant_item_and_amount() {
    let app = spawn_app().await;
    let key = public_key(&app, &["checkout_page"]).await;
    app.post_raw(FORM, &basic(&key), &[("Origin", SHOP)])
        .await
        .assert_status(200)
        .assert_no_store()
        .assert_contains("Pay <span class=\"checkout-merchant\">Acme Trading</span>")
        .assert_contains("<h1 id=\"item-title\">Annual membership</h1>")
        .assert_contains("R 1,250.00")
        .assert_contains("<dd>once</dd>")
        .assert_contains("Preview only.")
        .assert_contains("No payment is taken")
        .assert_contains("disabled aria-describedby=\"preview-note\">Pay now</button>")
        .assert_lacks("<form");
}

#[actix_web::test]
async fn a_post_from_a_foreign_site_without_session_or_csrf_token_works_and_sets_no_cookie() {
    let app = spawn_app().await;
    let key = public_key(&app, &["payments", "checkout_page"]).await;
    for headers in [
        vec![("Origin", SHOP)],
        vec![("Origin", "null")],
        vec![("Referer", "https://shop.acme.example/donate")],
        vec![],
    ] {
        let page = app.post_raw(FORM, &basic(&key), &headers).await;
        page.assert_status(200).assert_contains("Annual membership");
        assert_eq!(page.header("set-cookie"), None, "{headers:?}");
    }
}

#[actix_web::test]
async fn a_signed_in_merchant_posting_the_form_gets_no_session_cookie_back() {
    let app = spawn_app().await;
    app.logged_in_admin(MERCHANT, "ops@acme.test").await;
    let key = app
        .issue_token("Website checkout", &["checkout_page"], "read_only")
        .await
        .public;
    let page = app.post_raw(FORM, &basic(&key), &[("Origin", SHOP)]).await;
    page.assert_status(200);
    assert_eq!(page.header("set-cookie"), None);
    // And the dashboard session still works.
    app.get(LIST).await.assert_status(200);
}

#[actix_web::test]
async fn the_page_carries_the_security_headers_and_no_inline_script_or_style() {
    let app = spawn_app().await;
    let key = public_key(&app, &["checkout_page"]).await;
    let page = app.post_raw(FORM, &basic(&key), &[("Origin", SHOP)]).await;
    assert!(
        page.header("content-security-policy")
            .is_some_and(|c| c.contains("default-src 'self'"))
    );
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    page.assert_no_store()
        .assert_contains("<html lang=\"en-ZA\">")
        .assert_lacks("<script")
        .assert_lacks(" style=")
        .assert_lacks("<style");
}

#[actix_web::test]
async fn an_unknown_key_is_refused() {
    let app = spawn_app().await;
    public_key(&app, &["checkout_page"]).await;
    let unknown = format!("kwik_pk_{}", "A".repeat(32));
    for key in [
        unknown.as_str(),
        "kwik_pk_short",
        "pk_live_123",
        "' OR 1=1 --",
    ] {
        app.post_raw(FORM, &basic(key), &[("Origin", SHOP)])
            .await
            .assert_status(422)
            .assert_no_store()
            .assert_contains("<code>public_key</code> is not recognised.")
            .assert_lacks(MERCHANT);
    }
    app.post_raw(FORM, &without(basic(""), "public_key"), &[("Origin", SHOP)])
        .await
        .assert_status(422)
        .assert_contains("<code>public_key</code> is required");
}

#[actix_web::test]
async fn a_disabled_key_is_refused_without_revealing_the_merchant() {
    let app = spawn_app().await;
    let key = public_key(&app, &["checkout_page"]).await;
    app.db(|c| {
        diesel::update(access_tokens::table)
            .set(access_tokens::status.eq("disabled"))
            .execute(c)
            .unwrap()
    });
    app.post_raw(FORM, &basic(&key), &[("Origin", SHOP)])
        .await
        .assert_status(422)
        .assert_contains("belongs to a disabled access token")
        .assert_lacks(MERCHANT)
        .assert_lacks("Website checkout")
        .assert_lacks("kwik_ak_");
}

#[actix_web::test]
async fn a_key_without_the_checkout_page_section_is_refused() {
    let app = spawn_app().await;
    let key = public_key(&app, &["payments", "orders"]).await;
    app.post_raw(FORM, &basic(&key), &[("Origin", SHOP)])
        .await
        .assert_status(422)
        .assert_contains("without the Checkout Page section")
        .assert_lacks(MERCHANT)
        .assert_lacks("Orders");
}

#[actix_web::test]
async fn a_get_explains_the_address_with_a_405() {
    let app = spawn_app().await;
    let page = app.get(FORM).await;
    page.assert_status(405)
        .assert_no_store()
        .assert_contains("Nothing to show at this address")
        .assert_contains("with the POST method");
    assert_eq!(page.header("allow"), Some("POST"));
    assert_eq!(page.header("set-cookie"), None);
}

#[actix_web::test]
async fn a_multipart_form_is_refused_with_a_clear_415() {
    let app = spawn_app().await;
    let page = app
        .send(
            actix_web::test::TestRequest::post()
                .uri(FORM)
                .insert_header(("Origin", SHOP))
                .insert_header(("Content-Type", "multipart/form-data; boundary=x"))
                .set_payload("--x--"),
        )
        .await;
    page.assert_status(415)
        .assert_contains("<code>enctype</code> must be application/x-www-form-urlencoded");
}

#[actix_web::test]
async fn no_page_reveals_the_api_key_secret_or_hashes() {
    let app = spawn_app().await;
    app.logged_in_admin(MERCHANT, "ops@acme.test").await;
    let Credentials {
        key: api_key,
        secret,
        public: key,
        ..
    } = app
        .issue_token("Website checkout", &["checkout_page"], "read_write")
        .await;
    app.set_session_cookie(None);
    let token = &app.all_tokens()[0];
    let hashes = [
        hex::encode(&token.key_hash),
        hex::encode(&token.secret_hash),
    ];
    let ok = app.post_raw(FORM, &basic(&key), &[("Origin", SHOP)]).await;
    let bad = app
        .post_raw(
            FORM,
            &with(basic(&key), "item_amount", "x"),
            &[("Origin", SHOP)],
        )
        .await;
    for page in [ok, bad] {
        page.assert_lacks(&api_key)
            .assert_lacks(&secret)
            .assert_lacks(&hashes[0])
            .assert_lacks(&hashes[1])
            .assert_lacks(&token.key_prefix)
            .assert_lacks("Website checkout")
            .assert_lacks("Read-Write");
    }
}
