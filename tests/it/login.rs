use diesel::prelude::*;
use kwik_dashboard::db::models::{Role, SessionRow};
use kwik_dashboard::db::schema::{sessions, users};

use crate::helpers::*;

/// Sets every session's idle expiry to `at`, as if time had passed since its last request.
fn set_idle_expiry(app: &TestApp, at: time::PrimitiveDateTime) {
    app.db(|c| {
        diesel::update(sessions::table)
            .set(sessions::expires_at.eq(at))
            .execute(c)
            .unwrap()
    });
}

#[actix_web::test]
async fn the_root_sends_visitors_to_login_and_users_to_their_tokens() {
    let app = spawn_app().await;
    app.get("/").await.assert_redirect_to("/login");
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.get("/").await.assert_redirect_to(LIST);
}

#[actix_web::test]
async fn login_succeeds_with_the_right_password_and_any_email_case() {
    let app = spawn_app().await;
    app.add_user("ops@acme.test", Some("Acme Stores"), Role::Admin);
    app.login("  OPS@Acme.TEST ", PASSWORD)
        .await
        .assert_redirect_to(LIST);
    app.get(LIST)
        .await
        .assert_status(200)
        .assert_contains("Acme Stores")
        .assert_contains("ops@acme.test");
    let last_login = app.db(|c| {
        users::table
            .select(users::last_login_at)
            .first::<Option<time::PrimitiveDateTime>>(c)
            .unwrap()
    });
    assert!(last_login.is_some());
}

#[actix_web::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;
    app.add_user("ops@acme.test", Some("Acme"), Role::Admin);
    let wrong = app.login("ops@acme.test", "not the password at all").await;
    let unknown = app
        .login("nobody@acme.test", "not the password at all")
        .await;
    wrong
        .assert_status(401)
        .assert_contains("Incorrect email or password.");
    unknown.assert_status(401);
    assert_eq!(
        wrong.body.replace("ops@acme.test", "EMAIL"),
        unknown.body.replace("nobody@acme.test", "EMAIL"),
        "the two answers must not tell an account exists"
    );
}

#[actix_web::test]
async fn a_disabled_user_is_told_whom_to_ask_only_after_the_right_password() {
    let app = spawn_app().await;
    app.add_user("gone@acme.test", Some("Acme"), Role::Viewer);
    let gone = app.client_for("gone@acme.test").await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let id = app.db(|c| {
        users::table
            .filter(users::email.eq("gone@acme.test"))
            .select(users::id)
            .first::<kwik_dashboard::db::models::UserId>(c)
            .unwrap()
    });
    app.get("/settings/teams").await;
    app.post(
        &format!("/settings/teams/{}/status", id.0),
        &[("status", "disabled")],
    )
    .await
    .assert_status(303);

    // Their session ended with the disable: the next page is the sign-in.
    gone.get(LIST).await.assert_redirect_to("/login");
    // A wrong password hears what anyone hears: nothing about the account.
    app.client()
        .login("gone@acme.test", "not the password")
        .await
        .assert_status(401)
        .assert_contains("Incorrect email or password.")
        .assert_lacks("disabled");
    // The right one is told the account is disabled, by whom and when, and whom to ask.
    let today = kwik_dashboard::infra::sa_time::date(kwik_dashboard::db::now());
    app.client()
        .login("gone@acme.test", PASSWORD)
        .await
        .assert_status(403)
        .assert_contains(&format!(
            "This account was disabled by ops@acme.test on {today}. Ask them, or another admin \
             of Acme, to enable it again."
        ))
        .assert_lacks("Incorrect email or password.");
}

#[actix_web::test]
async fn an_account_disabled_outside_the_dashboard_is_told_to_ask_its_admins() {
    let app = spawn_app().await;
    app.add_user("gone@acme.test", Some("Acme"), Role::Admin);
    let gone = app.client_for("gone@acme.test").await;
    // Disabled straight in the database: the session is still there, and is refused with a reason.
    app.db(|c| {
        diesel::update(users::table)
            .set(users::disabled.eq(true))
            .execute(c)
            .unwrap()
    });
    gone.get(LIST).await.assert_redirect_to("/login?disabled=1");
    gone.get("/login?disabled=1")
        .await
        .assert_contains("You were signed out: your account has been disabled.");
    app.login("gone@acme.test", PASSWORD)
        .await
        .assert_status(403)
        .assert_contains("This account is disabled. Ask an admin of Acme to enable it again.");
}

#[actix_web::test]
async fn five_failures_for_an_email_lock_it_even_for_the_right_password() {
    let app = spawn_app().await;
    app.add_user("ops@acme.test", Some("Acme"), Role::Admin);
    for _ in 0..5 {
        app.login("ops@acme.test", "wrong password here")
            .await
            .assert_status(401);
    }
    app.login("ops@acme.test", PASSWORD)
        .await
        .assert_status(429)
        .assert_contains("Too many failed sign-in attempts")
        .assert_contains("15 minutes");
    app.get(LIST).await.assert_redirect_to("/login");
    // Another email from another address is not affected.
    app.add_user("other@acme.test", Some("Acme"), Role::Admin);
    app.set_peer("198.51.100.7:1234");
    app.login("other@acme.test", PASSWORD)
        .await
        .assert_redirect_to(LIST);
}

#[actix_web::test]
async fn twenty_failures_from_one_address_lock_that_address() {
    let app = spawn_app().await;
    app.add_user("ops@acme.test", Some("Acme"), Role::Admin);
    for i in 0..20 {
        app.login(&format!("guess{i}@acme.test"), "wrong password here")
            .await
            .assert_status(401);
    }
    app.login("ops@acme.test", PASSWORD)
        .await
        .assert_status(429);
    app.set_peer("198.51.100.8:1234");
    app.login("ops@acme.test", PASSWORD)
        .await
        .assert_redirect_to(LIST);
}

#[actix_web::test]
async fn the_session_id_changes_at_login() {
    let app = spawn_app().await;
    app.add_user("ops@acme.test", Some("Acme"), Role::Admin);
    app.get("/login").await;
    let before = app
        .session_cookie()
        .expect("the login page starts a session for its CSRF token");
    app.post(
        "/login",
        &[("email", "ops@acme.test"), ("password", PASSWORD)],
    )
    .await
    .assert_redirect_to(LIST);
    let after = app.session_cookie().unwrap();
    assert_ne!(before, after);
    // The pre-login session id is worthless now.
    app.set_session_cookie(Some(before));
    app.get(LIST).await.assert_redirect_to("/login");
}

#[actix_web::test]
async fn logout_revokes_the_session_server_side() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let stolen = app.session_cookie().unwrap();
    app.get(LIST).await.assert_status(200);
    app.post("/logout", &[])
        .await
        .assert_redirect_to("/login?signed_out=1");
    app.set_session_cookie(Some(stolen));
    app.get(LIST).await.assert_redirect_to("/login");
}

#[actix_web::test]
async fn the_session_table_keeps_only_hashes_of_session_ids() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let cookie = app.session_cookie().unwrap();
    let hashes: Vec<Vec<u8>> =
        app.db(|c| sessions::table.select(sessions::id_hash).load(c).unwrap());
    assert!(!hashes.is_empty());
    assert!(hashes.iter().all(|h| h.len() == 32));
    let value = cookie.split_once('=').unwrap().1.to_owned();
    let everything = app.database_text();
    assert!(everything.contains("ops@acme.test"));
    assert!(!everything.contains(&value));
}

#[actix_web::test]
async fn an_idle_session_expires_after_30_minutes() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let past = kwik_dashboard::db::now() - time::Duration::minutes(31);
    set_idle_expiry(&app, past);
    app.get(LIST).await.assert_redirect_to("/login");
}

#[actix_web::test]
async fn activity_extends_the_session_but_not_past_12_hours() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    // Almost idle-expired: a request pushes the idle expiry forward.
    let soon = kwik_dashboard::db::now() + time::Duration::minutes(2);
    set_idle_expiry(&app, soon);
    app.get(LIST).await.assert_status(200);
    // The write follows the answer, on its own job.
    let expires = || -> time::PrimitiveDateTime {
        app.db(|c| {
            sessions::table
                .select(sessions::expires_at)
                .first(c)
                .unwrap()
        })
    };
    for _ in 0..200 {
        if expires() > soon {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(expires() > soon + time::Duration::minutes(20));
    // The requests in flight when it was stale all read the old expiry and all touch it: only the
    // first moves it, the others find it fresh and write nothing.
    let id_hash: Vec<u8> = app.db(|c| sessions::table.select(sessions::id_hash).first(c).unwrap());
    let now = kwik_dashboard::db::now();
    let later = now + time::Duration::minutes(30);
    let touch = |at| {
        app.db(|c| SessionRow::touch(c, &id_hash, at, at - time::Duration::minutes(1)).unwrap())
    };
    assert!(!touch(later), "fresh already: nothing written");
    set_idle_expiry(&app, soon);
    assert!(touch(later));
    assert!(
        !touch(later + time::Duration::seconds(1)),
        "the second finds it moved"
    );
    // Past the absolute lifetime, activity does not help.
    let past = kwik_dashboard::db::now() - time::Duration::seconds(1);
    app.db(|c| {
        diesel::update(sessions::table)
            .set(sessions::absolute_expires_at.eq(past))
            .execute(c)
            .unwrap()
    });
    app.get(LIST).await.assert_redirect_to("/login");
}

#[actix_web::test]
async fn the_session_cookie_is_http_only_lax_and_not_secure_over_plain_http() {
    let app = spawn_app().await;
    let cookie = app
        .get("/login")
        .await
        .header("set-cookie")
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "{cookie}");
}

#[actix_web::test]
async fn x_forwarded_proto_makes_the_cookie_secure_only_from_a_trusted_proxy() {
    let https = actix_web::test::TestRequest::get()
        .uri("/login")
        .insert_header(("X-Forwarded-Proto", "https"));
    let untrusted = spawn_app().await;
    let cookie = untrusted
        .send(https)
        .await
        .header("set-cookie")
        .unwrap()
        .to_owned();
    assert!(
        !cookie.contains("Secure"),
        "spoofed header believed: {cookie}"
    );

    let behind_proxy =
        spawn_app_with(|c| c.trusted_proxies = vec!["203.0.113.0/24".parse().unwrap()]).await;
    let https = actix_web::test::TestRequest::get()
        .uri("/login")
        .insert_header(("X-Forwarded-Proto", "https"));
    let cookie = behind_proxy
        .send(https)
        .await
        .header("set-cookie")
        .unwrap()
        .to_owned();
    assert!(cookie.contains("; Secure"), "{cookie}");
}
