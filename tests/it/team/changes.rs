//! Role changes, and disabling a user (which ends their sessions) or enabling them again.

use kwik_dashboard::db::models::Role;

use super::*;
use crate::helpers::*;

#[actix_web::test]
async fn changing_a_role_asks_first_and_records_old_and_new() {
    let app = spawn_app().await;
    app.add_user("viewer@acme.test", Some("Acme"), Role::Viewer);
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let id = app.db(|c| id_of(c, "viewer@acme.test"));
    let path = format!("{TEAM}/{id}/role");
    app.get(&format!("{path}?role=admin"))
        .await
        .assert_status(200)
        .assert_contains("Make viewer@acme.test an admin?")
        .assert_contains(r#"name="role" value="admin""#);
    // Without a choice, the confirmation offers the other role.
    app.get(&path)
        .await
        .assert_contains(r#"name="role" value="admin""#);
    app.post(&path, &[("role", "admin")])
        .await
        .assert_redirect_to(TEAM);
    assert_eq!(app.db(|c| user(c, "viewer@acme.test")).role, Role::Admin);
    app.get(TEAM)
        .await
        .assert_contains("viewer@acme.test is now an admin");
    let events = app.db(team_events);
    let changed: Vec<_> = events
        .iter()
        .filter(|e| e.event == "user.role_changed")
        .collect();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].detail, "role: viewer → admin");

    // Asking for the role they have changes and records nothing.
    app.post(&path, &[("role", "admin")])
        .await
        .assert_redirect_to(TEAM);
    assert_eq!(app.db(team_events).len(), events.len());
    app.get(TEAM)
        .await
        .assert_contains("viewer@acme.test is already an Admin.");
}

#[actix_web::test]
async fn htmx_role_change_swaps_the_row_and_announces_it() {
    let app = spawn_app().await;
    app.add_user("viewer@acme.test", Some("Acme"), Role::Viewer);
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let id = app.db(|c| id_of(c, "viewer@acme.test"));
    app.get_htmx(&format!("{TEAM}/{id}/role?role=admin"))
        .await
        .assert_lacks("<html")
        .assert_contains(&format!(r##"data-hx-target="#member-{id}""##));
    app.get(TEAM).await;
    let answer = app
        .post_htmx(&format!("{TEAM}/{id}/role"), &[("role", "admin")])
        .await;
    answer
        .assert_status(200)
        .assert_lacks("<html")
        .assert_contains(&format!(r#"<tr id="member-{id}">"#))
        .assert_contains("Make viewer</a>");
    let trigger = answer.header("hx-trigger").unwrap();
    assert!(
        trigger.contains("kwik:flash") && trigger.contains("is now an admin"),
        "{trigger}"
    );
}

#[actix_web::test]
async fn disabling_a_user_ends_their_existing_session_at_once() {
    let app = spawn_app().await;
    app.add_user("leaver@acme.test", Some("Acme"), Role::Admin);
    app.logged_in_admin("Acme", "ops@acme.test").await;
    // The leaver is signed in on another instance of the dashboard.
    let theirs = spawn_app_on(app.db.clone(), |_| {}).await;
    theirs
        .login("leaver@acme.test", PASSWORD)
        .await
        .assert_redirect_to(LIST);
    theirs.get(TEAM).await.assert_status(200);
    assert_eq!(app.db(|c| live_sessions_of(c, "leaver@acme.test")), 1);

    let id = app.db(|c| id_of(c, "leaver@acme.test"));
    app.get(&format!("{TEAM}/{id}/status?status=disabled"))
        .await
        .assert_contains("Disable leaver@acme.test?")
        .assert_contains("signed out of every browser at once");
    app.post(&format!("{TEAM}/{id}/status"), &[("status", "disabled")])
        .await
        .assert_redirect_to(TEAM);
    assert!(app.db(|c| user(c, "leaver@acme.test")).disabled);
    assert_eq!(app.db(|c| live_sessions_of(c, "leaver@acme.test")), 0);
    app.get(TEAM)
        .await
        .assert_contains("leaver@acme.test is disabled and signed out everywhere.")
        .assert_contains("badge disabled")
        .assert_contains(">Enable</a>");

    // Their very next request is refused, on any page, and a new sign-in too: with the right
    // password they are told who disabled the account.
    theirs.get(TEAM).await.assert_redirect_to("/login");
    theirs.get(LIST).await.assert_redirect_to("/login");
    theirs
        .login("leaver@acme.test", PASSWORD)
        .await
        .assert_status(403)
        .assert_contains("This account was disabled by");

    // Enabled again, they can sign in with the same password.
    app.post(&format!("{TEAM}/{id}/status"), &[("status", "active")])
        .await
        .assert_redirect_to(TEAM);
    theirs
        .login("leaver@acme.test", PASSWORD)
        .await
        .assert_redirect_to(LIST);
}

#[actix_web::test]
async fn an_admin_with_another_admin_may_step_down_and_leaves_the_page() {
    let app = spawn_app().await;
    app.add_user("other@acme.test", Some("Acme"), Role::Admin);
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let me = app.db(|c| id_of(c, "ops@acme.test"));
    app.get(&format!("{TEAM}/{me}/role?role=viewer"))
        .await
        .assert_contains("Make yourself a viewer?")
        .assert_contains("You will lose access to this page");
    app.post(&format!("{TEAM}/{me}/role"), &[("role", "viewer")])
        .await
        .assert_redirect_to(LIST);
    app.get(LIST).await.assert_contains("You are now a viewer");
    app.get(TEAM).await.assert_status(403);
}
