//! Who may use the team routes, and what each action leaves in the history.

use diesel::prelude::*;
use kwik_dashboard::db::DbConn;
use kwik_dashboard::db::models::Role;
use kwik_dashboard::db::schema::sessions;

use super::*;
use crate::helpers::*;

/// The CSRF token of `email`'s session, read from the store: support staff have no page that shows
/// one yet, and a refusal must come from the role check, not from a missing token.
fn session_csrf(c: &mut DbConn, email: &str) -> String {
    let id = user(c, email).id;
    let state: String = sessions::table
        .filter(sessions::user_id.eq(id))
        .select(sessions::state)
        .first(c)
        .unwrap();
    let values: std::collections::HashMap<String, String> = serde_json::from_str(&state).unwrap();
    serde_json::from_str(&values["csrf"]).unwrap()
}

#[actix_web::test]
async fn another_merchants_user_is_not_found_on_every_route() {
    let app = spawn_app().await;
    app.add_user("theirs@other.test", Some("Other Co"), Role::Admin);
    app.add_user("help@kwik.test", None, Role::Support);
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let before = app.db(team_state);
    for email in ["theirs@other.test", "help@kwik.test"] {
        let id = app.db(|c| id_of(c, email));
        for path in [
            format!("{TEAM}/{id}/role?role=viewer"),
            format!("{TEAM}/{id}/status?status=disabled"),
        ] {
            app.get(&path).await.assert_status(404);
        }
        app.get(TEAM).await;
        app.post(&format!("{TEAM}/{id}/role"), &[("role", "viewer")])
            .await
            .assert_status(404);
        app.post(&format!("{TEAM}/{id}/status"), &[("status", "disabled")])
            .await
            .assert_status(404);
        app.post_htmx(&format!("{TEAM}/{id}/status"), &[("status", "disabled")])
            .await
            .assert_status(404);
    }
    app.get(&format!("{TEAM}/not-a-number/role"))
        .await
        .assert_status(404);
    app.get(&format!("{TEAM}/424242/status"))
        .await
        .assert_status(404);
    assert_eq!(app.db(team_state), before);
}

#[actix_web::test]
async fn a_viewer_and_a_support_user_get_403_on_every_team_route_and_nothing_changes() {
    let app = spawn_app().await;
    app.add_user("ops@acme.test", Some("Acme"), Role::Admin);
    app.add_user("viewer@acme.test", Some("Acme"), Role::Viewer);
    app.add_user("help@kwik.test", None, Role::Support);
    let ops = app.db(|c| id_of(c, "ops@acme.test"));
    let before = app.db(team_state);
    let events = app.db(team_events).len();
    for (email, why) in [
        ("viewer@acme.test", "Only merchant admins can do this"),
        ("help@kwik.test", "This page is for merchant staff."),
    ] {
        let client = app.client_for(email).await;
        let csrf = app.db(|c| session_csrf(c, email));
        for path in [
            TEAM.to_owned(),
            format!("{TEAM}/new"),
            format!("{TEAM}/{ops}/role?role=viewer"),
            format!("{TEAM}/{ops}/status?status=disabled"),
        ] {
            client
                .get(&path)
                .await
                .assert_status(403)
                .assert_contains(why);
            client.get_htmx(&path).await.assert_status(403);
        }
        let posts: [(String, &[(&str, &str)]); 3] = [
            (
                TEAM.to_owned(),
                &[("email", "sneaky@acme.test"), ("role", "admin")],
            ),
            (format!("{TEAM}/{ops}/role"), &[("role", "viewer")]),
            (format!("{TEAM}/{ops}/status"), &[("status", "disabled")]),
        ];
        for (path, fields) in posts {
            let mut form = fields.to_vec();
            form.push(("csrf_token", &csrf));
            client
                .post_raw(&path, &form, &[("Origin", ORIGIN)])
                .await
                .assert_status(403)
                .assert_contains(why);
            client
                .post_raw(
                    &path,
                    fields,
                    &[
                        ("Origin", ORIGIN),
                        ("HX-Request", "true"),
                        ("X-CSRF-Token", &csrf),
                    ],
                )
                .await
                .assert_status(403);
        }
    }
    assert_eq!(app.db(team_state), before);
    assert_eq!(app.db(team_events).len(), events);
    // Anonymous visitors are sent to sign in.
    app.client().get(TEAM).await.assert_redirect_to("/login");
}

#[actix_web::test]
async fn each_team_action_leaves_exactly_one_event_with_the_right_fields() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let (me, merchant) = app.db(|c| {
        let u = user(c, "ops@acme.test");
        (u.id, u.merchant_id.unwrap())
    });
    let start = app.db(team_events).len();
    app.get(TEAM).await;
    app.post(TEAM, &[("email", "new@acme.test"), ("role", "viewer")])
        .await
        .assert_status(200);
    let id = app.db(|c| id_of(c, "new@acme.test"));
    app.post(&format!("{TEAM}/{id}/role"), &[("role", "admin")])
        .await
        .assert_status(303);
    app.post(&format!("{TEAM}/{id}/status"), &[("status", "disabled")])
        .await
        .assert_status(303);
    app.post(&format!("{TEAM}/{id}/status"), &[("status", "active")])
        .await
        .assert_status(303);

    let events = app.db(team_events);
    let ours = &events[start..];
    let summary: Vec<(&str, &str)> = ours
        .iter()
        .map(|e| (e.event.as_str(), e.detail.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("user.added", "role: viewer"),
            ("user.role_changed", "role: viewer → admin"),
            (
                "user.disabled",
                "status: active → disabled; sessions ended: 0"
            ),
            ("user.enabled", "status: disabled → active"),
        ]
    );
    for e in ours {
        assert_eq!(e.actor_user_id, Some(me));
        assert_eq!(e.actor_email.as_deref(), Some("ops@acme.test"));
        assert_eq!(e.actor_role, "admin");
        assert_eq!(e.merchant_id, Some(merchant));
        assert_eq!(e.target_type.as_deref(), Some("user"));
        assert_eq!(e.target_id, Some(id));
        assert_eq!(e.target_label.as_deref(), Some("new@acme.test"));
        assert_eq!(e.ip.as_deref(), Some("203.0.113.10"));
    }
    // No event ever holds the generated password.
    let everything: String = events.iter().map(|e| format!("{e:?}")).collect();
    assert!(!everything.to_lowercase().contains("password:"));
}
