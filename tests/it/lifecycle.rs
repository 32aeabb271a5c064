//! Edit, roll with a grace window, expiry, IP allowlist and delete.

use actix_web::test::TestRequest;
use diesel::prelude::*;
use kwik_dashboard::db::schema::{access_tokens, audit_events, merchants};
use kwik_dashboard::domain::credentials::verify::{
    Code, Decision, Facts, Verifier, parse_basic, parse_signed, sign,
};

use crate::helpers::*;

/// Verifies Basic credentials at `at` (unix seconds): the controllable clock.
fn verify_at(app: &TestApp, key: &str, secret: &str, at: i64) -> Decision {
    let facts = Facts {
        presented: parse_basic(basic_auth(key, secret).as_bytes()).unwrap(),
        method: "GET".into(),
        section: None,
        client_ip: None,
    };
    let verifier = Verifier {
        keyring: &app.state.keyring,
        replays: &app.state.replays,
    };
    app.db(|c| verifier.verify(c, &facts, at).unwrap())
}

/// Verifies a signed request made at `at` by a client holding `secret`.
fn verify_signed_at(app: &TestApp, key: &str, secret: &str, at: i64) -> Decision {
    let sig = format!("v1={}", sign(secret, at, "GET", "/api/v2/whoami", b""));
    let body = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b""));
    let facts = Facts {
        presented: parse_signed(key, &at.to_string(), &sig, "/api/v2/whoami", &body).unwrap(),
        method: "GET".into(),
        section: None,
        client_ip: None,
    };
    let verifier = Verifier {
        keyring: &app.state.keyring,
        replays: &app.state.replays,
    };
    app.db(|c| verifier.verify(c, &facts, at).unwrap())
}

fn allowed(d: &Decision) -> bool {
    matches!(d, Decision::Allowed(_))
}

#[actix_web::test]
async fn edit_changes_settings_keeps_credentials_and_records_old_to_new() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let Credentials {
        id, key, secret, ..
    } = app.issue_token("Old name", &["orders"], "read_only").await;
    let edit = format!("{LIST}/{id}/edit");
    let form = app.get(&edit).await;
    form.assert_status(200)
        .assert_contains(r#"value="Old name""#)
        .assert_contains("Save changes");
    // Same validation and messages as create; nothing changes.
    app.post(
        &edit,
        &[
            ("name", ""),
            ("sections", "orders"),
            ("ip_allowlist", "10.0.0.300"),
        ],
    )
    .await
    .assert_status(422)
    .assert_contains("Enter a name")
    .assert_contains("“10.0.0.300”: not an IP address or CIDR range");
    assert_eq!(app.all_tokens()[0].name, "Old name");
    app.post(
        &edit,
        &[
            ("name", "New name"),
            ("sections", "orders"),
            ("sections", "payments"),
            ("permission", "read_write"),
            ("ip_allowlist", "203.0.113.0/24"),
        ],
    )
    .await
    .assert_redirect_to(LIST);
    let token = &app.all_tokens()[0];
    assert_eq!(
        (
            token.name.as_str(),
            token.sections.as_str(),
            token.ip_allowlist.as_str()
        ),
        ("New name", "payments,orders", "203.0.113.0/24")
    );
    assert!(
        allowed(&verify_at(&app, &key, &secret, unix_now()))
            || matches!(
                verify_at(&app, &key, &secret, unix_now()),
                Decision::Denied(Code::IpNotAllowed)
            )
    );
    let detail: String = app.db(|c| {
        audit_events::table
            .filter(audit_events::event.eq("token.updated"))
            .select(audit_events::detail)
            .first(c)
            .unwrap()
    });
    assert!(detail.contains("name: Old name → New name"), "{detail}");
    assert!(
        detail.contains("permission: Read-Only → Read-Write"),
        "{detail}"
    );
    assert!(
        detail.contains("IP allowlist: any address → 203.0.113.0/24"),
        "{detail}"
    );
    app.get(LIST).await.assert_contains("“New name” saved");
}

#[actix_web::test]
async fn the_old_secret_works_inside_the_roll_window_and_not_after() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let Credentials {
        id,
        key,
        secret: old,
        ..
    } = app.issue_token("Rolled", &["orders"], "read_only").await;
    let form = app.get(&format!("{LIST}/{id}/roll")).await;
    form.assert_status(200).assert_contains("Roll the secret");
    let sid = form.submission_id();
    let rolled = app
        .post(
            &format!("{LIST}/{id}/roll"),
            &[("window", "1h"), ("submission_id", &sid)],
        )
        .await;
    rolled
        .assert_status(200)
        .assert_no_store()
        .assert_contains("New credentials")
        .assert_contains("Unchanged:");
    let new = rolled.credential("api_secret");
    assert_ne!(new, old);
    assert!(
        !rolled.body.contains(r#"data-credential="api_key""#),
        "the kept key is not revealed again"
    );
    // Revealed once: the same form again shows nothing new.
    let again = app
        .post(
            &format!("{LIST}/{id}/roll"),
            &[("window", "1h"), ("submission_id", &sid)],
        )
        .await;
    again.assert_redirect_to(LIST);
    app.get(LIST)
        .await
        .assert_contains("Rolling: old secret stops in")
        .assert_lacks(&new);

    let t = unix_now();
    for at in [t, t + 59 * 60] {
        assert!(
            allowed(&verify_at(&app, &key, &old, at)),
            "old secret at +{}s",
            at - t
        );
        assert!(allowed(&verify_at(&app, &key, &new, at)));
        assert!(allowed(&verify_signed_at(&app, &key, &old, at)));
        assert!(allowed(&verify_signed_at(&app, &key, &new, at + 1)));
    }
    let after = t + 61 * 60;
    assert_eq!(
        verify_at(&app, &key, &old, after),
        Decision::Denied(Code::InvalidCredentials)
    );
    assert_eq!(
        verify_signed_at(&app, &key, &old, after),
        Decision::Denied(Code::InvalidCredentials)
    );
    assert!(allowed(&verify_at(&app, &key, &new, after)));
    assert!(allowed(&verify_signed_at(&app, &key, &new, after)));
    let rolled_events: i64 = app.db(|c| {
        audit_events::table
            .filter(audit_events::event.eq("token.secret_rolled"))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(rolled_events, 1);
}

#[actix_web::test]
async fn rolling_the_key_too_keeps_the_old_pair_for_the_window_only() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let Credentials {
        id,
        key: old_key,
        secret: old_secret,
        ..
    } = app.issue_token("Both", &["orders"], "read_only").await;
    app.get(&format!("{LIST}/{id}/roll")).await;
    let rolled = app
        .post(
            &format!("{LIST}/{id}/roll"),
            &[("window", "24h"), ("new_key", "1")],
        )
        .await;
    let (new_key, new_secret) = (
        rolled.credential("api_key"),
        rolled.credential("api_secret"),
    );
    assert_ne!(new_key, old_key);
    let t = unix_now();
    assert!(allowed(&verify_at(&app, &old_key, &old_secret, t)));
    assert!(allowed(&verify_at(&app, &new_key, &new_secret, t)));
    assert!(allowed(&verify_signed_at(&app, &old_key, &old_secret, t)));
    assert_eq!(
        verify_at(&app, &old_key, &new_secret, t),
        Decision::Denied(Code::InvalidCredentials)
    );
    assert_eq!(
        verify_at(&app, &new_key, &old_secret, t),
        Decision::Denied(Code::InvalidCredentials)
    );
    let after = t + 25 * 3600;
    assert_eq!(
        verify_at(&app, &old_key, &old_secret, after),
        Decision::Denied(Code::InvalidCredentials)
    );
    assert!(allowed(&verify_at(&app, &new_key, &new_secret, after)));
    // Rolling with "now" ends the old secret at once.
    app.get(&format!("{LIST}/{id}/roll")).await;
    let again = app
        .post(&format!("{LIST}/{id}/roll"), &[("window", "now")])
        .await;
    let newest = again.credential("api_secret");
    assert_eq!(
        verify_at(&app, &new_key, &new_secret, t),
        Decision::Denied(Code::InvalidCredentials)
    );
    assert!(allowed(&verify_at(&app, &new_key, &newest, t)));
}

#[actix_web::test]
async fn an_expired_token_is_refused_at_its_boundary() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let Credentials { key, secret, .. } = app
        .token_with(&[("name", "Month"), ("sections", "orders"), ("expiry", "30")])
        .await;
    let expires = app.all_tokens()[0]
        .expires_at
        .unwrap()
        .assume_utc()
        .unix_timestamp();
    assert!(allowed(&verify_at(&app, &key, &secret, expires - 1)));
    assert_eq!(
        verify_at(&app, &key, &secret, expires),
        Decision::Denied(Code::Expired)
    );
    assert_eq!(
        verify_at(&app, &key, &secret, expires + 86_400),
        Decision::Denied(Code::Expired)
    );
    // The table warns within a week, and marks it expired after.
    let soon = kwik_dashboard::db::now() + time::Duration::days(5) + time::Duration::hours(1);
    app.db(|c| {
        diesel::update(access_tokens::table)
            .set(access_tokens::expires_at.eq(Some(soon)))
            .execute(c)
            .unwrap()
    });
    app.get(LIST).await.assert_contains("Expires in 5 days");
    let past = kwik_dashboard::db::now() - time::Duration::minutes(1);
    app.db(|c| {
        diesel::update(access_tokens::table)
            .set(access_tokens::expires_at.eq(Some(past)))
            .execute(c)
            .unwrap()
    });
    app.get(LIST).await.assert_contains("badge expired");
    let answer = app
        .send(
            TestRequest::get()
                .uri("/api/v2/whoami")
                .insert_header(("Authorization", basic_auth(&key, &secret))),
        )
        .await;
    answer.assert_status(401).assert_contains("EXPIRED");
}

async fn with_expiry(app: &TestApp, expiry: &str, on: String) -> Answer {
    app.post(
        LIST,
        &[
            ("name", "T"),
            ("sections", "orders"),
            ("expiry", expiry),
            ("expires_on", &on),
        ],
    )
    .await
}

#[actix_web::test]
async fn expiry_dates_are_checked_and_a_maximum_lifetime_is_enforced() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.get(&format!("{LIST}/new")).await;
    let today = time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+2))
        .date();
    with_expiry(&app, "custom", today.previous_day().unwrap().to_string())
        .await
        .assert_status(422)
        .assert_contains("Choose a day in the future");
    with_expiry(&app, "custom", "soon".into())
        .await
        .assert_status(422)
        .assert_contains("like 2027-03-31");
    with_expiry(&app, "forever", String::new())
        .await
        .assert_status(422)
        .assert_contains("Choose no expiry");
    with_expiry(&app, "custom", today.to_string())
        .await
        .assert_status(200);
    assert_eq!(
        app.all_tokens().len(),
        1,
        "today (until midnight) is a valid last day"
    );

    app.db(|c| {
        diesel::update(merchants::table)
            .set(merchants::max_token_lifetime_days.eq(Some(90)))
            .execute(c)
            .unwrap()
    });
    app.post("/logout", &[]).await;
    app.login("ops@acme.test", PASSWORD).await;
    app.get(&format!("{LIST}/new")).await;
    with_expiry(&app, "never", String::new())
        .await
        .assert_status(422)
        .assert_contains("requires tokens to expire within 90 days");
    with_expiry(
        &app,
        "custom",
        (today + time::Duration::days(200)).to_string(),
    )
    .await
    .assert_status(422)
    .assert_contains("at most 90 days");
    with_expiry(&app, "90", String::new())
        .await
        .assert_status(200);
    assert_eq!(app.all_tokens().len(), 2);
}

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

#[actix_web::test]
async fn delete_needs_the_name_typed_and_leaves_only_history_behind() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let Credentials {
        id, key, secret, ..
    } = app.issue_token("Doomed", &["orders"], "read_only").await;
    app.get(&format!("{LIST}/{id}/delete"))
        .await
        .assert_status(200)
        .assert_contains("Type the token");
    for typed in ["", "doomed", "Doome"] {
        app.post(&format!("{LIST}/{id}/delete"), &[("confirm_name", typed)])
            .await
            .assert_status(422)
            .assert_contains("exactly to delete it");
    }
    assert!(app.all_tokens()[0].deleted_at.is_none());
    app.post(
        &format!("{LIST}/{id}/delete"),
        &[("confirm_name", "Doomed")],
    )
    .await
    .assert_redirect_to(LIST);
    assert!(app.all_tokens()[0].deleted_at.is_some());
    assert!(
        app.all_tokens()[0].secret_sealed.is_none(),
        "the sealed secret is wiped"
    );
    app.get(LIST)
        .await
        .assert_contains("deleted")
        .assert_lacks(r#">Doomed</a></td>"#);
    assert_eq!(
        verify_at(&app, &key, &secret, unix_now()),
        Decision::Denied(Code::InvalidCredentials)
    );
    app.get(&format!("{LIST}/{id}/edit"))
        .await
        .assert_status(404);
    app.get("/settings/history")
        .await
        .assert_contains("Token deleted")
        .assert_contains("Doomed");
}
