//! The IP allowlist, and X-Forwarded-For only from a trusted proxy.

use actix_web::test::TestRequest;

use crate::helpers::*;

#[actix_web::test]
async fn the_ip_allowlist_matches_v4_v6_and_ranges() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let auth = app
        .token_with(&[
            ("name", "Office"),
            ("sections", "orders"),
            ("ip_allowlist", "198.51.100.7\n10.20.0.0/16, 2001:db8::/32"),
        ])
        .await
        .basic_auth();
    for (peer, ok) in [
        ("198.51.100.7:1", true),
        ("198.51.100.8:1", false),
        ("10.20.99.1:1", true),
        ("10.21.0.1:1", false),
        ("[2001:db8:5::1]:1", true),
        ("[2001:db9::1]:1", false),
    ] {
        app.set_peer(peer);
        let answer = app
            .send(
                TestRequest::get()
                    .uri("/api/v2/whoami")
                    .insert_header(("Authorization", auth.clone())),
            )
            .await;
        if ok {
            answer.assert_status(200);
        } else {
            answer.assert_status(403).assert_contains("IP_NOT_ALLOWED");
        }
    }
}

#[actix_web::test]
async fn x_forwarded_for_counts_only_from_a_trusted_proxy() {
    let app = spawn_app_with(|c| c.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()]).await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let auth = app
        .token_with(&[
            ("name", "Office"),
            ("sections", "orders"),
            ("ip_allowlist", "203.0.113.5"),
        ])
        .await
        .basic_auth();
    let whoami = |xff: &'static str| {
        TestRequest::get()
            .uri("/api/v2/whoami")
            .insert_header(("Authorization", auth.clone()))
            .insert_header(("X-Forwarded-For", xff))
    };
    app.set_peer("10.0.0.2:1");
    app.send(whoami("203.0.113.5")).await.assert_status(200);
    app.send(whoami("198.51.100.1")).await.assert_status(403);
    // From an untrusted peer the header is ignored: the peer itself is the client.
    app.set_peer("198.51.100.9:1");
    app.send(whoami("203.0.113.5")).await.assert_status(403);
}
