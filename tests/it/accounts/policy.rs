//! The merchant's two-factor policy, the support staff's, and an admin's reset of a member.

use kwik_dashboard::db::models::Role;

use super::*;

const TEAMS: &str = "/settings/teams";

fn id_of(app: &TestApp, email: &str) -> i64 {
    use diesel::prelude::*;
    use kwik_dashboard::db::schema::users;
    app.db(|c| {
        users::table
            .filter(users::email.eq(email))
            .select(users::id)
            .first(c)
            .unwrap()
    })
}

#[actix_web::test]
async fn a_required_second_factor_sends_members_to_enrol_before_anything_else() {
    let app = spawn_app().await;
    app.add_user("ana@shop.test", Some("Shop"), Role::Admin);
    app.add_user("vic@shop.test", Some("Shop"), Role::Viewer);
    let ana = app.client_for("ana@shop.test").await;
    ana.get(TEAMS).await.assert_contains(
        "first <a href=\"/settings/profile/two-factor\">turn it on for your own account</a>",
    );
    // Not before the admin has it: they would be the first one locked out.
    ana.post(&format!("{TEAMS}/two-factor"), &[("require", "true")])
        .await
        .assert_redirect_to(TEAMS);
    ana.get(TEAMS)
        .await
        .assert_contains("Turn on two-factor sign-in for your own account first.")
        .assert_contains(">Not required</span>");
    enrol(&ana).await;
    ana.post(&format!("{TEAMS}/two-factor"), &[("require", "true")])
        .await
        .assert_redirect_to(TEAMS);
    ana.get(TEAMS).await.assert_contains(">Required</span>");
    assert!(
        events(&app)
            .iter()
            .any(|e| e == "merchant.2fa_policy_changed required")
    );

    // The viewer's password works, and then every page sends them to enrol.
    let vic = app.client();
    vic.login("vic@shop.test", PASSWORD)
        .await
        .assert_status(303);
    for page in [LIST, "/settings/history", "/settings/profile", "/"] {
        vic.get(page).await.assert_redirect_to(ENROL);
    }
    let htmx = vic.get_htmx(LIST).await;
    assert_eq!(htmx.header("hx-redirect"), Some(ENROL));
    let page = vic.get(ENROL).await;
    page.assert_status(200)
        .assert_contains("Your account must use two-factor sign-in.")
        .assert_contains("Sign out instead");
    let key = key_on(&page);
    vic.post(ENROL, &[("code", &code(&key, 0))])
        .await
        .assert_status(200);
    vic.get(LIST).await.assert_status(200);
    // Required, so not to be turned off.
    vic.post("/settings/profile/two-factor/disable", &[])
        .await
        .assert_redirect_to("/settings/profile");
    vic.get("/settings/profile")
        .await
        .assert_contains("cannot be turned off")
        .assert_contains(">On</span>");
}

#[actix_web::test]
async fn an_admin_resets_a_members_second_factor_which_ends_their_sessions() {
    let app = spawn_app().await;
    app.add_user("ana@shop.test", Some("Shop"), Role::Admin);
    app.add_user("vic@shop.test", Some("Shop"), Role::Viewer);
    let ana = app.client_for("ana@shop.test").await;
    let vic = app.client_for("vic@shop.test").await;
    let (key, _) = enrol(&vic).await;
    let vic_id = id_of(&app, "vic@shop.test");
    let teams = ana.get(TEAMS).await;
    teams.assert_contains(&format!(r#"href="/settings/teams/{vic_id}/two-factor""#));
    ana.get(&format!("{TEAMS}/{vic_id}/two-factor"))
        .await
        .assert_status(200)
        .assert_contains("Reset two-factor sign-in of vic@shop.test?");
    ana.post(&format!("{TEAMS}/{vic_id}/two-factor"), &[])
        .await
        .assert_redirect_to(TEAMS);
    ana.get(TEAMS)
        .await
        .assert_contains("Two-factor sign-in of vic@shop.test was reset and their sessions ended.");
    vic.get(LIST).await.assert_redirect_to("/login");
    assert!(
        events(&app)
            .iter()
            .any(|e| e == "user.2fa_reset 1 sessions ended")
    );
    // Their old app's codes mean nothing now; the password alone signs in (nothing requires more).
    let again = app.client();
    again
        .login("vic@shop.test", PASSWORD)
        .await
        .assert_redirect_to(LIST);
    assert!(!code(&key, 0).is_empty());
    // An admin's own second factor is theirs to manage, from the profile.
    let own = id_of(&app, "ana@shop.test");
    ana.get(&format!("{TEAMS}/{own}/two-factor"))
        .await
        .assert_status(403);
    // Another merchant's admin cannot reach the member.
    let other = app.client();
    other.logged_in_admin("Other Co", "owner@other.test").await;
    other
        .get(&format!("{TEAMS}/{vic_id}/two-factor"))
        .await
        .assert_status(404);
}

#[actix_web::test]
async fn support_staff_enrol_first_when_the_configuration_requires_it() {
    let app = spawn_app_with(|c| c.support_require_two_factor = true).await;
    app.add_user("sam@kwik.test", None, Role::Support);
    let sam = app.client_for("sam@kwik.test").await;
    sam.get("/support").await.assert_redirect_to(ENROL);
    let (key, _) = enrol(&sam).await;
    sam.get("/support").await.assert_status(200);
    let next = app.client();
    password_step(&next, "sam@kwik.test").await;
    next.post("/login/two-factor", &[("code", &code(&key, 1))])
        .await
        .assert_redirect_to("/support");
}

#[actix_web::test]
async fn the_cli_resets_a_support_users_second_factor_and_ends_their_sessions() {
    let app = spawn_app_with(|c| c.support_require_two_factor = true).await;
    app.add_user("sam@kwik.test", None, Role::Support);
    let sam = app.client_for("sam@kwik.test").await;
    enrol(&sam).await;
    sam.get("/support").await.assert_status(200);
    let reset = |email: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_kwik-dashboard"))
            .current_dir(app.db.dir.path())
            .env_clear()
            .env("KWIK_DATA_DIR", app.db.dir.path())
            .env("DATABASE_URL", &app.db.url)
            .env("KWIK_LOG", "warn")
            .args(["user", "reset-two-factor", "--email", email])
            .output()
            .unwrap()
    };
    let out = reset("Sam@Kwik.test");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "Two-factor sign-in of sam@kwik.test was reset; 1 sessions ended."
    );
    sam.get("/support").await.assert_redirect_to("/login");
    assert!(
        events(&app)
            .iter()
            .any(|e| e == "user.2fa_reset 1 sessions ended")
    );
    // Again: nothing to reset, one clear line and a failing exit.
    let again = reset("sam@kwik.test");
    assert!(!again.status.success());
    assert_eq!(
        String::from_utf8_lossy(&again.stderr).trim(),
        "error: sam@kwik.test has no two-factor sign-in"
    );
    // The password alone now leads to enrolment again (support must use it).
    let next = app.client_for("sam@kwik.test").await;
    next.get("/support").await.assert_redirect_to(ENROL);
}
