//! Prometheus metrics, on the real binary: the recorder is one per process, so each test starts a
//! server of its own and reads what that process counted. The metrics have a listener of their
//! own (`KWIK_METRICS_BIND`), off by default, and are never on the public one.

mod exposition;

use exposition::{assert_value, parse_exposition, value};

use crate::helpers::*;

const MERCHANT: &str = "Zanzibar Curios";
const EMAIL: &str = "ana@zanzibar.test";

/// One plain request to `port` (no cookie); its whole answer.
fn get(port: u16, path: &str, headers: &[(&str, &str)]) -> Answer {
    exchange(port, "GET", path, headers, b"").unwrap_or_else(|| panic!("no answer to {path}"))
}

#[actix_web::test]
async fn the_metrics_listener_counts_requests_decisions_and_caches_and_shows_no_secret() {
    let app = spawn_app().await;
    app.logged_in_admin(MERCHANT, EMAIL).await;
    let token = app
        .issue_token("Checkout Service", &["orders"], "read_only")
        .await;
    let other = app
        .issue_token("Warehouse Sync", &["orders"], "read_only")
        .await;
    let metrics_port = free_port();
    let metrics_bind = format!("127.0.0.1:{metrics_port}");
    let server = Server::start(
        &app.db,
        &app.db.url,
        &[
            ("KWIK_METRICS_BIND", &metrics_bind),
            ("KWIK_DB_POOL_SIZE", "3"),
            // Long enough that the second of two requests in a row is a hit on any machine.
            ("KWIK_TOKEN_CACHE_TTL_MS", "60000"),
        ],
    );
    let port = server.port;

    // A page, and a sign-in through the form.
    let mut browser = Client::new(port);
    browser.login(EMAIL, PASSWORD).assert_status(303);
    // The token table twice: rendered, then from the list cache.
    for _ in 0..2 {
        browser.get(LIST).unwrap().assert_status(200);
    }
    // A page with an id in its path: counted under its pattern.
    let detail = format!("{LIST}/{}", token.id);
    browser.get(&detail).unwrap().assert_status(200);
    // whoami: allowed twice (a cache miss, then a hit), refused for a wrong secret and for a
    // malformed one.
    let allowed = token.basic_auth();
    for _ in 0..2 {
        let reply = get(port, "/api/v2/whoami", &[("Authorization", &allowed)]);
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let wrong_secret = basic_auth(&token.key, &other.secret);
    let reply = get(port, "/api/v2/whoami", &[("Authorization", &wrong_secret)]);
    assert_eq!(reply.status, 401);
    let malformed = basic_auth(&token.key, "not-a-secret");
    assert_eq!(
        get(port, "/api/v2/whoami", &[("Authorization", &malformed)]).status,
        401
    );
    // Nothing of the metrics on the public listener: an unknown page like any other.
    assert_eq!(get(port, "/metrics", &[]).status, 404);
    // A method outside the standard ones is one label, whatever its name (refused, whichever way).
    let brewed = exchange(port, "BREW", "/healthz", &[], b"")
        .unwrap()
        .status
        .as_u16();
    assert!((400..500).contains(&brewed), "{brewed}");

    // The three alerts queued before the server started (the admin, the two tokens) go out as .eml
    // files in its first delivery round; wait for it on a slow machine.
    let mails = "kwik_mail_deliveries_total";
    let mut scrape = get(metrics_port, "/metrics", &[]);
    for _ in 0..100 {
        let sent = value(
            &parse_exposition(&scrape.body),
            mails,
            &[("outcome", "sent")],
        );
        if sent == Some(3.0) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        scrape = get(metrics_port, "/metrics", &[]);
    }
    assert_eq!(scrape.status, 200);
    assert!(
        scrape
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/plain; version=0.0.4")),
        "{:?}",
        scrape.headers
    );
    let text = &scrape.body;
    let samples = parse_exposition(text);
    let requests = "kwik_http_requests_total";
    let get_route = |route: &'static str, status: &'static str| {
        [("method", "GET"), ("route", route), ("status", status)]
    };
    assert_value(&samples, text, requests, &get_route("/login", "200"), 1.0);
    let post_login = [("method", "POST"), ("route", "/login"), ("status", "303")];
    assert_value(&samples, text, requests, &post_login, 1.0);
    assert_value(&samples, text, requests, &get_route(LIST, "200"), 2.0);
    let detail = get_route("/developers/access-tokens/{id}", "200");
    assert_value(&samples, text, requests, &detail, 1.0);
    let whoami = "/api/v2/whoami";
    assert_value(&samples, text, requests, &get_route(whoami, "200"), 2.0);
    assert_value(&samples, text, requests, &get_route(whoami, "401"), 2.0);
    assert_value(
        &samples,
        text,
        requests,
        &get_route("unmatched", "404"),
        1.0,
    );
    let brewed = brewed.to_string();
    let brew = [
        ("method", "OTHER"),
        ("route", "/healthz"),
        ("status", &brewed),
    ];
    assert_value(&samples, text, requests, &brew, 1.0);
    let latency = "kwik_http_request_duration_seconds";
    let whoami_latency = [("method", "GET"), ("route", whoami)];
    assert_value(
        &samples,
        text,
        &format!("{latency}_count"),
        &whoami_latency,
        4.0,
    );
    let inf = [("method", "GET"), ("route", whoami), ("le", "+Inf")];
    assert_value(&samples, text, &format!("{latency}_bucket"), &inf, 4.0);
    assert_value(&samples, text, mails, &[("outcome", "sent")], 3.0);
    assert_value(&samples, text, mails, &[("outcome", "failed")], 0.0);
    let decisions = "kwik_verify_decisions_total";
    assert_value(&samples, text, decisions, &[("decision", "allowed")], 2.0);
    let invalid = [("decision", "INVALID_CREDENTIALS")];
    assert_value(&samples, text, decisions, &invalid, 1.0);
    assert_value(&samples, text, decisions, &[("decision", "MALFORMED")], 1.0);
    let caches = "kwik_cache_lookups_total";
    // The wrong secret was presented with a cached key: a hit, then refused.
    assert_value(
        &samples,
        text,
        caches,
        &[("cache", "token"), ("result", "miss")],
        1.0,
    );
    assert_value(
        &samples,
        text,
        caches,
        &[("cache", "token"), ("result", "hit")],
        2.0,
    );
    assert_value(
        &samples,
        text,
        caches,
        &[("cache", "list"), ("result", "miss")],
        1.0,
    );
    assert_value(
        &samples,
        text,
        caches,
        &[("cache", "list"), ("result", "hit")],
        1.0,
    );
    assert_value(&samples, text, "kwik_db_pool_max_connections", &[], 3.0);
    let in_use = value(&samples, "kwik_db_pool_connections", &[("state", "in_use")]).unwrap();
    let idle = value(&samples, "kwik_db_pool_connections", &[("state", "idle")]).unwrap();
    // The scrape's own count of sessions may hold one while it renders.
    assert!(
        in_use <= 1.0 && in_use + idle <= 3.0 && idle >= 1.0,
        "{text}"
    );
    let checkouts = value(&samples, "kwik_db_pool_checkout_wait_seconds_count", &[]).unwrap();
    assert!(checkouts >= 5.0, "{text}");
    assert_value(
        &samples,
        text,
        "kwik_db_pool_checkout_timeouts_total",
        &[],
        0.0,
    );
    assert_value(&samples, text, "kwik_password_hash_queue_depth", &[], 0.0);
    let hash_count = "kwik_password_hash_duration_seconds_count";
    assert_value(&samples, text, hash_count, &[("op", "verify")], 1.0);
    let hash_wait = "kwik_password_hash_wait_seconds_count";
    assert_value(&samples, text, hash_wait, &[("op", "verify")], 1.0);
    // The test app's sign-in and the one through the binary.
    assert_value(&samples, text, "kwik_sessions_active", &[], 2.0);
    let version = [("version", env!("CARGO_PKG_VERSION"))];
    assert_value(&samples, text, "kwik_build_info", &version, 1.0);

    // Labels are patterns, methods, codes and names of caches: never who or what.
    for secret in [
        &token.key,
        &token.secret,
        &token.public,
        &other.key,
        &other.secret,
        &other.public,
    ] {
        assert!(!text.contains(secret.as_str()), "{secret} in the metrics");
    }
    for header in [&allowed, &wrong_secret, &malformed] {
        let encoded = header.trim_start_matches("Basic ");
        assert!(
            !text.contains(encoded),
            "an Authorization header in the metrics"
        );
    }
    for name in [
        EMAIL,
        MERCHANT,
        "Checkout Service",
        "Warehouse Sync",
        "127.0.0.1",
    ] {
        assert!(!text.contains(name), "{name} in the metrics");
    }
    assert!(
        !text.contains(&format!("/{}", token.id)),
        "a token id in the metrics"
    );
    // The metrics listener serves nothing else.
    assert_eq!(get(metrics_port, "/", &[]).status, 404);
    assert_eq!(get(metrics_port, LIST, &[]).status, 404);
    let log = server.log();
    assert!(log.contains("serving Prometheus metrics"), "{log}");
}

#[actix_web::test]
async fn metrics_are_off_by_default_and_never_on_the_public_listener() {
    assert_eq!(
        kwik_dashboard::Config::from_lookup(|_| None)
            .unwrap()
            .metrics_bind,
        None
    );
    // The route table has no /metrics: the app's 404 page.
    let app = spawn_app().await;
    app.get("/metrics").await.assert_status(404);
    app.logged_in_admin(MERCHANT, EMAIL).await;
    app.get("/metrics").await.assert_status(404);
    // The binary without KWIK_METRICS_BIND listens once, and says metrics are off.
    let server = Server::start(&app.db, &app.db.url, &[]);
    assert_eq!(get(server.port, "/healthz", &[]).status, 200);
    let public = get(server.port, "/metrics", &[]);
    assert_eq!(public.status, 404);
    assert!(!public.body.contains("kwik_"), "{}", public.body);
    let log = server.log();
    assert!(
        log.contains("metrics are off: KWIK_METRICS_BIND is not set"),
        "{log}"
    );
    assert!(!log.contains("serving Prometheus metrics"), "{log}");
}
