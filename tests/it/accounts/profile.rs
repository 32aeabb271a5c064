//! Settings › Profile: every role has it; the password change ends the other sessions on every
//! instance; sessions are listed and signed out one by one or all at once.

use kwik_dashboard::db::models::Role;

use super::*;

const PROFILE: &str = "/settings/profile";

#[actix_web::test]
async fn every_role_sees_its_account_on_the_profile() {
    let app = spawn_app().await;
    app.add_user("ana@shop.test", Some("Shop"), Role::Admin);
    app.add_user("vic@shop.test", Some("Shop"), Role::Viewer);
    app.add_user("sam@kwik.test", None, Role::Support);
    for (email, role, merchant) in [
        ("ana@shop.test", "Admin", "Shop"),
        ("vic@shop.test", "Viewer", "Shop"),
        ("sam@kwik.test", "Kwik Support", "Kwik (platform support)"),
    ] {
        let client = app.client_for(email).await;
        let page = client.get(PROFILE).await;
        page.assert_status(200)
            .assert_no_store()
            .assert_contains(&format!("<dd>{email}</dd>"))
            .assert_contains(&format!("<dd>{role}</dd>"))
            .assert_contains(&format!("<dd>{merchant}</dd>"))
            .assert_contains(r#"href="/settings/profile" aria-current="page">Profile</a>"#)
            .assert_contains("This session");
    }
}

#[actix_web::test]
async fn a_password_change_ends_the_other_sessions_on_every_instance_and_renews_this_one() {
    let a = spawn_app().await;
    a.add_user("ana@shop.test", Some("Shop"), Role::Admin);
    let b = spawn_app_on(a.db.clone(), |_| {}).await;
    let here = a.client_for("ana@shop.test").await;
    let laptop = b.client_for("ana@shop.test").await;
    laptop.get(LIST).await.assert_status(200);
    here.get(PROFILE).await;
    let before = here.session_cookie();
    let new = "an even sounder passphrase 43";
    let done = here
        .post(
            "/settings/profile/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", new),
                ("confirm_password", new),
            ],
        )
        .await;
    done.assert_redirect_to(PROFILE);
    assert_ne!(here.session_cookie(), before, "a new session id");
    here.get(PROFILE)
        .await
        .assert_status(200)
        .assert_contains("Your password was changed. Your 1 other session was signed out.");
    // The other instance's session is gone at once.
    laptop.get(LIST).await.assert_redirect_to("/login");
    let old = a.client();
    old.login("ana@shop.test", PASSWORD)
        .await
        .assert_status(401);
    let fresh = b.client();
    fresh
        .login("ana@shop.test", new)
        .await
        .assert_redirect_to(LIST);
    assert!(
        events(&a)
            .iter()
            .any(|e| e == "user.password_changed 1 other sessions ended")
    );
    let stored = a.database_text();
    assert!(!stored.contains(new) && !stored.contains(PASSWORD));
}

#[actix_web::test]
async fn a_wrong_current_password_or_a_bad_new_one_is_a_field_error_and_changes_nothing() {
    let app = spawn_app().await;
    app.add_user("ana@shop.test", Some("Shop"), Role::Admin);
    let ana = app.client_for("ana@shop.test").await;
    ana.get(PROFILE).await;
    for (current, new, confirm, error) in [
        (
            "wrong",
            "a fine new passphrase",
            "a fine new passphrase",
            "Your current password is not correct.",
        ),
        (PASSWORD, "short", "short", "at least 12"),
        (
            PASSWORD,
            "a fine new passphrase",
            "a different one here",
            "The two new passwords do not match.",
        ),
        (
            PASSWORD,
            PASSWORD,
            PASSWORD,
            "Choose a password different from your current one.",
        ),
    ] {
        let page = ana
            .post(
                "/settings/profile/password",
                &[
                    ("current_password", current),
                    ("new_password", new),
                    ("confirm_password", confirm),
                ],
            )
            .await;
        page.assert_status(422)
            .assert_contains(error)
            .assert_contains(r#"aria-invalid="true""#)
            .assert_lacks(&format!(r#"value="{new}""#));
    }
    app.client()
        .login("ana@shop.test", PASSWORD)
        .await
        .assert_redirect_to(LIST);
    assert!(
        !events(&app)
            .iter()
            .any(|e| e.starts_with("user.password_changed"))
    );
}

fn markers(body: &str) -> Vec<String> {
    regex::Regex::new(r#"action="/settings/profile/sessions/([0-9a-f]+)/end""#)
        .unwrap()
        .captures_iter(body)
        .map(|c| c[1].to_owned())
        .collect()
}

#[actix_web::test]
async fn sessions_are_listed_with_their_device_and_signed_out_one_or_all() {
    let app = spawn_app().await;
    app.add_user("ana@shop.test", Some("Shop"), Role::Admin);
    let ana = app.client_for("ana@shop.test").await;
    let phone = app.client();
    phone.set_peer("198.51.100.7:5000");
    phone.login("ana@shop.test", PASSWORD).await;
    let tablet = app.client_for("ana@shop.test").await;
    let page = ana.get(PROFILE).await;
    page.assert_contains("<code>198.51.100.7</code>")
        .assert_contains("Sign out of all other sessions");
    assert_eq!(page.body.matches("This session").count(), 1);
    let all = markers(&page.body);
    assert_eq!(all.len(), 3);
    // The phone's row is the one from its address.
    let phone_marker = {
        let at = page.body.find("198.51.100.7").unwrap();
        markers(&page.body[at..])[0].clone()
    };
    ana.post(
        &format!("/settings/profile/sessions/{phone_marker}/end"),
        &[],
    )
    .await
    .assert_redirect_to(PROFILE);
    phone.get(LIST).await.assert_redirect_to("/login");
    tablet.get(LIST).await.assert_status(200);
    ana.post("/settings/profile/sessions/end-others", &[])
        .await
        .assert_redirect_to(PROFILE);
    ana.get(PROFILE)
        .await
        .assert_contains("Your 1 other session was signed out.");
    tablet.get(LIST).await.assert_redirect_to("/login");
    ana.get(LIST).await.assert_status(200);
    // Another user's session cannot be named: nothing happens to it.
    let vic = app.client();
    app.add_user("vic@shop.test", Some("Shop"), Role::Viewer);
    vic.login("vic@shop.test", PASSWORD).await;
    let vics = markers(&vic.get(PROFILE).await.body);
    ana.post(&format!("/settings/profile/sessions/{}/end", vics[0]), &[])
        .await
        .assert_redirect_to(PROFILE);
    vic.get(PROFILE).await.assert_status(200);
    let log = events(&app);
    assert!(
        log.iter()
            .any(|e| e == "user.sessions_ended one session: 1 ended")
    );
    assert!(
        log.iter()
            .any(|e| e == "user.sessions_ended all other sessions: 1 ended")
    );
}
