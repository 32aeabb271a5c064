use crate::helpers::*;

#[actix_web::test]
async fn pages_carry_the_security_headers() {
    let app = spawn_app().await;
    let page = app.get("/login").await;
    assert_eq!(
        page.header("content-security-policy"),
        Some(
            "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
        )
    );
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("referrer-policy"), Some("same-origin"));
    page.assert_no_store();
    // No inline scripts or styles: the CSP would block them.
    page.assert_lacks("<script>")
        .assert_lacks(" style=")
        .assert_lacks("<style");
}

#[actix_web::test]
async fn static_files_are_versioned_typed_and_cached() {
    let app = spawn_app().await;
    let page = app.get("/login").await;
    let url = regex::Regex::new(r#"href="(/static/app\.css\?v=[0-9a-f]{12})""#)
        .unwrap()
        .captures(&page.body)
        .unwrap()[1]
        .to_owned();
    let css = app.get(&url).await;
    css.assert_status(200);
    assert_eq!(css.header("content-type"), Some("text/css"));
    assert_eq!(
        css.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert!(css.header("x-content-type-options").is_some());
    let etag = css.header("etag").unwrap().to_owned();
    let again = app
        .send(
            actix_web::test::TestRequest::get()
                .uri(&url)
                .insert_header(("If-None-Match", etag)),
        )
        .await;
    again.assert_status(304);
    // An unversioned URL revalidates; htmx is the pinned 2.0.11.
    assert_eq!(
        app.get("/static/app.css").await.header("cache-control"),
        Some("no-cache")
    );
    let htmx = app.get("/static/htmx.min.js").await;
    htmx.assert_status(200).assert_contains("2.0.11");
    app.get("/static/nope.js").await.assert_status(404);
}

#[actix_web::test]
async fn unknown_pages_answer_404_with_a_page() {
    let app = spawn_app().await;
    app.get("/nowhere")
        .await
        .assert_status(404)
        .assert_contains("Page not found");
}

#[actix_web::test]
async fn healthz_answers_without_a_session() {
    let app = spawn_app().await;
    let health = app.get("/healthz").await;
    health.assert_status(200);
    assert!(health.header("set-cookie").is_none());
}

#[actix_web::test]
async fn static_files_are_compressed_for_clients_that_accept_it() {
    let app = spawn_app().await;
    let plain = app.get("/static/htmx.min.js").await;
    let zipped = app
        .send(
            actix_web::test::TestRequest::get()
                .uri("/static/htmx.min.js")
                .insert_header(("Accept-Encoding", "gzip")),
        )
        .await;
    zipped.assert_status(200);
    assert_eq!(zipped.header("content-encoding"), Some("gzip"));
    assert!(
        zipped.raw_len < plain.raw_len / 2,
        "{} vs {}",
        zipped.raw_len,
        plain.raw_len
    );
}
