//! Hostile input on every route of the route table: oversized, malformed and mischievous requests
//! are answered with a clear 4xx (or the normal page), never a 5xx; nothing is stored; the app keeps
//! answering. Part of issue #19's resilience suite.

use actix_web::test::TestRequest;
use diesel::prelude::*;
use kwik_dashboard::db::models::Role;
use kwik_dashboard::db::schema::{access_tokens, merchants, users};
use kwik_dashboard::web::{ROUTES, RouteSpec};

use crate::helpers::*;

/// Values for a path parameter, mischievous ones first.
fn segments(name: &str) -> &'static [&'static str] {
    match name {
        "{path:.+}" => &[
            "../Cargo.toml",
            "..%2f..%2fCargo.toml",
            "%2e%2e/%2e%2e/etc/passwd",
            "app.css%00.js",
            "....//....//etc/passwd",
        ],
        _ => &[
            "0",
            "-1",
            "9223372036854775808",
            "99999999999999999999999",
            "abc",
            "1%00",
            "%E2%80%AE1",
            "..%2F..",
        ],
    }
}

/// Every concrete URL the catalogue tries for `route`.
fn urls(route: &RouteSpec) -> Vec<String> {
    let Some(start) = route.path.find('{') else {
        return vec![route.path.to_owned()];
    };
    let end = route.path[start..].find('}').unwrap() + start + 1;
    let param = &route.path[start..end];
    segments(param)
        .iter()
        .map(|v| format!("{}{v}{}", &route.path[..start], &route.path[end..]))
        .flat_map(|u| {
            if u.contains('{') {
                // A second parameter: its first value is enough.
                vec![u.replacen(&u[u.find('{').unwrap()..=u.find('}').unwrap()], "1", 1)]
            } else {
                vec![u]
            }
        })
        .collect()
}

const LONG: usize = 10_000;

/// Form bodies: long, NUL, right-to-left and zero-width text, duplicated and missing fields.
fn form_bodies(csrf: &str) -> Vec<(&'static str, Vec<u8>)> {
    let long = "x".repeat(LONG);
    let fields = [
        "name",
        "email",
        "password",
        "code",
        "sections",
        "permission",
        "status",
        "reason",
        "confirm_name",
        "submission_id",
        "role",
        "require",
        "sudo_proof",
        "window",
        "expires",
        "ip_allowlist",
        "current_password",
        "new_password",
        "confirm_password",
        "q",
    ];
    let with = |value: &str| -> Vec<u8> {
        let mut pairs: Vec<(&str, &str)> = fields.iter().map(|f| (*f, value)).collect();
        pairs.push(("csrf_token", csrf));
        serde_html_form::to_string(&pairs).unwrap().into_bytes()
    };
    // 10,000 characters in every field, five fields a body: under the 64 KiB form limit, so the
    // handlers themselves get them.
    let long_bodies = fields.chunks(5).map(|chunk| {
        let mut pairs: Vec<(&str, &str)> = fields.iter().map(|f| (*f, "a")).collect();
        pairs.retain(|(f, _)| !chunk.contains(f));
        pairs.extend(chunk.iter().map(|f| (*f, long.as_str())));
        pairs.push(("csrf_token", csrf));
        (
            "10,000-character fields",
            serde_html_form::to_string(&pairs).unwrap().into_bytes(),
        )
    });
    let mut duplicated = with("a");
    duplicated.extend_from_slice(b"&name=b&name=c&csrf_token=other");
    let mut bad_utf8 = b"name=%FF%FE%FD&email=\xff\xfe&csrf_token=".to_vec();
    bad_utf8.extend_from_slice(csrf.as_bytes());
    let mut bodies: Vec<(&'static str, Vec<u8>)> = long_bodies.collect();
    bodies.extend([
        ("NUL bytes", with("a\0b\0")),
        (
            "right-to-left and zero-width",
            with("\u{202e}evil\u{200b}\u{feff}"),
        ),
        ("negative and huge numbers", with("-9223372036854775809")),
        ("duplicated fields", duplicated),
        ("missing fields", format!("csrf_token={csrf}").into_bytes()),
        ("invalid UTF-8", bad_utf8),
        ("1 MiB body", {
            let mut b = with("y");
            b.extend(std::iter::repeat_n(b'z', 1 << 20));
            b
        }),
    ]);
    bodies
}

fn snapshot(app: &TestApp) -> (i64, i64, i64) {
    app.db(|c| {
        (
            access_tokens::table.count().get_result(c).unwrap(),
            users::table.count().get_result(c).unwrap(),
            merchants::table.count().get_result(c).unwrap(),
        )
    })
}

#[actix_web::test]
async fn every_route_answers_hostile_input_with_a_4xx_or_its_page_and_stores_nothing() {
    // Long deadlines: this test is about input, and a busy machine must not turn it into 503s.
    let app = spawn_app_with(|c| {
        c.db_call_timeout = std::time::Duration::from_secs(20);
        c.db_verify_timeout = std::time::Duration::from_secs(20);
    })
    .await;
    app.add_user("ana@shop.test", Some("Shop"), Role::Admin);
    let admin = app.client_for("ana@shop.test").await;
    admin
        .issue_token("Existing", &["orders"], "read_only")
        .await;
    let before = snapshot(&app);
    let mut tried = 0usize;
    let mut failures = Vec::new();
    let mut check = |what: String, status: u16| {
        tried += 1;
        if status >= 500 {
            failures.push(format!("{status}: {what}"));
        }
    };
    for route in ROUTES {
        // Signing out ends the session the rest of the catalogue uses: it goes last, alone.
        if route.path == "/logout" {
            continue;
        }
        for url in urls(route) {
            for who in ["admin", "anonymous"] {
                let client = if who == "admin" {
                    admin.client()
                } else {
                    app.client()
                };
                if who == "admin" {
                    client.set_session_cookie(admin.session_cookie());
                    client.get("/settings/profile").await;
                } else {
                    client.get("/login").await;
                }
                let csrf = client.csrf_token();
                if route.method == "get" {
                    let long = "q".repeat(LONG);
                    for query in [
                        format!("?q={long}"),
                        "?page=-1&page=99999999999999999999&per=0".to_owned(),
                        "?status=%00&sort=%E2%80%AE&next=//evil.example&from=%FF".to_owned(),
                        "?q=%FF%FE&q=a&q=b".to_owned(),
                    ] {
                        let answer = client.get(&format!("{url}{query}")).await;
                        check(
                            format!("{who} GET {url}{}", &query[..query.len().min(40)]),
                            answer.status.as_u16(),
                        );
                    }
                } else {
                    for (label, body) in form_bodies(&csrf) {
                        let req = TestRequest::post()
                            .uri(&url)
                            .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
                            .insert_header(("Origin", ORIGIN))
                            .set_payload(body);
                        let answer = client.send(req).await;
                        check(format!("{who} POST {url}: {label}"), answer.status.as_u16());
                    }
                    for (label, content_type, body) in [
                        (
                            "JSON where a form goes",
                            "application/json",
                            r#"{"name":"x","sections":["orders"]}"#.to_owned(),
                        ),
                        ("a form as text/plain", "text/plain", "name=x".to_owned()),
                        ("no content type", "", "name=x".to_owned()),
                        ("JSON array", "application/json", "[".repeat(10_000)),
                    ] {
                        let mut req = TestRequest::post()
                            .uri(&url)
                            .insert_header(("Origin", ORIGIN))
                            .insert_header(("X-CSRF-Token", csrf.as_str()))
                            .set_payload(body);
                        if !content_type.is_empty() {
                            req = req.insert_header(("Content-Type", content_type));
                        }
                        let answer = client.send(req).await;
                        check(format!("{who} POST {url}: {label}"), answer.status.as_u16());
                    }
                }
                // Malformed headers, on the same route.
                for (name, value) in [
                    ("Authorization", "Basic !!!not base64!!!".to_owned()),
                    ("Authorization", "Basic a2V5LXdpdGhvdXQtY29sb24=".to_owned()),
                    ("Authorization", format!("Bearer {}", "t".repeat(LONG))),
                    ("Authorization", "Signature keyId=,,,=".to_owned()),
                    ("Cookie", "kwik_session=%%%; kwik_session=again".to_owned()),
                    ("X-Forwarded-For", "not-an-ip, ::::, 999.1.1.1".to_owned()),
                    ("X-Forwarded-Host", "evil.example\u{0}".replace('\0', "")),
                ] {
                    let method = if route.method == "get" {
                        TestRequest::get()
                    } else {
                        TestRequest::post()
                    };
                    let req = method
                        .uri(&url)
                        .insert_header(("Origin", ORIGIN))
                        .insert_header((name, value.as_str()));
                    let answer = client.send(req).await;
                    check(
                        format!("{who} {} {url} with a bad {name}", route.method),
                        answer.status.as_u16(),
                    );
                }
            }
        }
    }
    // One 50 MiB body per part of the app: refused by size, not read into memory.
    for url in [
        "/login",
        "/developers/access-tokens",
        "/checkout/form",
        "/internal/v1/verify",
        "/settings/teams",
    ] {
        let req = TestRequest::post()
            .uri(url)
            .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
            .insert_header(("Origin", ORIGIN))
            .set_payload(vec![b'a'; 50 << 20]);
        let answer = admin.send(req).await;
        check(format!("POST {url}: 50 MiB"), answer.status.as_u16());
        assert!(answer.status.is_client_error(), "{url}: {}", answer.status);
    }
    assert!(
        failures.is_empty(),
        "{} of {tried} inputs answered 5xx:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(snapshot(&app), before, "hostile input stored something");
    // Still up, and still serving the admin.
    admin.get(LIST).await.assert_status(200);
    eprintln!("hostile inputs tried: {tried}, on {} routes", ROUTES.len());
    assert!(tried > 2_000, "{tried}");
}

#[actix_web::test]
async fn the_real_binary_logs_at_most_a_line_a_hostile_request_and_never_its_secrets() {
    let app = spawn_app().await;
    app.add_user("ana@shop.test", Some("Shop"), Role::Admin);
    // The default log settings: no access lines, so every line is one a request caused.
    let server = Server::start(
        &app.db,
        &app.db.url,
        &[(
            "KWIK_LOG",
            "info,actix_server=warn,kwik_dashboard::access=warn",
        )],
    );
    let mut admin = Client::new(server.port);
    assert_eq!(admin.login("ana@shop.test", PASSWORD).status, 303);
    admin.get(LIST).unwrap().assert_status(200);
    // What must never reach the log: the secret parts of each input.
    const MARK: &str = "Zq9SecretPart";
    let secret = format!("kwik_sk_{MARK}{}", "x".repeat(24));
    let basic = basic_auth(&format!("kwik_ak_{MARK}"), &secret);
    let long = "q".repeat(LONG);
    let logged_before = server.log().lines().count();
    let mut sent = 0usize;
    let mut send =
        |client: &mut Client, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]| {
            sent += 1;
            let answer = client
                .send(method, path, headers, body)
                .unwrap_or_else(|| panic!("no answer to {method} {path}"));
            assert!(
                answer.status.as_u16() < 500,
                "{method} {path}: {}",
                answer.status
            );
        };
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let password_body = format!("email=ana%40shop.test%00&password={secret}");
    for round in 0..5 {
        let mut anonymous = Client::new(server.port);
        anonymous.get("/login");
        send(
            &mut anonymous,
            "POST",
            "/login",
            &form,
            password_body.as_bytes(),
        );
        send(
            &mut admin,
            "GET",
            &format!("{LIST}?q=%FF%FE&q={long}&page=-{round}"),
            &[],
            b"",
        );
        send(
            &mut admin,
            "GET",
            "/api/v2/whoami",
            &[("Authorization", &basic)],
            b"",
        );
        send(
            &mut admin,
            "GET",
            "/api/v2/whoami",
            &[("Authorization", "Basic !!!")],
            b"",
        );
        send(
            &mut admin,
            "POST",
            LIST,
            &form,
            b"name=\xff\xfe\x00&sections=orders",
        );
        send(
            &mut admin,
            "POST",
            LIST,
            &[("Content-Type", "application/json")],
            secret.as_bytes(),
        );
        send(&mut admin, "POST", "/login", &form, &vec![b'a'; 1 << 20]);
        send(&mut admin, "GET", "/static/../../Cargo.toml", &[], b"");
        send(
            &mut admin,
            "GET",
            "/static/%2e%2e/%2e%2e/Cargo.toml",
            &[],
            b"",
        );
        send(
            &mut admin,
            "GET",
            LIST,
            &[("X-Forwarded-For", "999.1.1.1, ::::, \u{202e}")],
            b"",
        );
        let mut stranger = Client::new(server.port);
        send(
            &mut stranger,
            "GET",
            LIST,
            &[("Cookie", "kwik_session=%%%; kwik_session=again")],
            b"",
        );
        send(
            &mut stranger,
            "POST",
            "/secret-scanning/gitlab/v1/revoke_tokens",
            &[("Authorization", &format!("Bearer {secret}"))],
            secret.as_bytes(),
        );
    }
    // Each line is written before its answer is sent: every request's lines are in by now.
    let per_request = server.log().lines().count() - logged_before;
    eprintln!("{sent} hostile requests to the binary: {per_request} log lines");
    let (status, log) = server.stop("-TERM", std::time::Duration::from_secs(15));
    assert!(status.success(), "{log}");
    assert!(
        per_request <= sent,
        "{per_request} lines for {sent} requests:\n{log}"
    );
    assert!(!log.contains(MARK), "a secret part reached the log:\n{log}");
    assert!(
        !log.contains("\u{202e}"),
        "a control character reached the log"
    );
}
