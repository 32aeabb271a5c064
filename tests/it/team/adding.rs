//! The list, and adding a user with a generated or a chosen password.

use kwik_dashboard::db::models::Role;

use super::*;
use crate::helpers::*;

#[actix_web::test]
async fn an_admin_lists_only_their_merchants_users_with_role_status_and_last_login() {
    let app = spawn_app().await;
    app.add_user("viewer@acme.test", Some("Acme"), Role::Viewer);
    app.add_user("owner@other.test", Some("Other Co"), Role::Admin);
    app.add_user("help@kwik.test", None, Role::Support);
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let page = app.get(TEAM).await;
    page.assert_status(200)
        .assert_no_store()
        .assert_contains("<h1>Teams</h1>")
        .assert_contains("ops@acme.test")
        .assert_contains("viewer@acme.test")
        .assert_lacks("owner@other.test")
        .assert_lacks("help@kwik.test")
        .assert_contains(r#"<span class="you-tag">You</span>"#)
        .assert_contains("Viewer")
        .assert_contains("Admin")
        .assert_contains("badge live")
        .assert_contains(">Active</span>")
        .assert_contains("2 users. Dates are in South African time.")
        // The admin just signed in; the viewer never has.
        .assert_contains("just now</time>")
        .assert_contains(r#"<span class="muted">Never</span>"#)
        .assert_contains(" SAST\">");
    let columns: Vec<&str> = regex::Regex::new(r#"<th scope="col">([^<]+)</th>"#)
        .unwrap()
        .captures_iter(&page.body)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    assert_eq!(
        columns,
        ["Email", "Role", "Status", "Two-factor", "Last login"]
    );
    // Nobody is offered to disable their own account.
    let own = app.db(|c| id_of(c, "ops@acme.test"));
    page.assert_lacks(&format!("/settings/teams/{own}/status?status=disabled"))
        .assert_contains(">Disable</a>");
}

#[actix_web::test]
async fn adding_a_viewer_shows_a_generated_password_once_and_it_signs_in() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let form = app.get(&format!("{TEAM}/new")).await;
    form.assert_status(200)
        .assert_contains(r#"value="viewer" checked"#)
        .assert_contains(r#"value="generate" checked"#)
        .assert_contains(r#"autocomplete="new-password""#);
    let reveal = app
        .post(
            TEAM,
            &[
                ("email", "  New.Person@Acme.TEST "),
                ("role", "viewer"),
                ("password_mode", "generate"),
            ],
        )
        .await;
    reveal
        .assert_status(200)
        .assert_no_store()
        .assert_contains("This password is only displayed once.")
        .assert_contains(r#"data-copy="new-password""#);
    let password = reveal.credential("password");
    assert_eq!(password.len(), 20, "{password}");
    let added = app.db(|c| user(c, "new.person@acme.test"));
    assert_eq!(added.role, Role::Viewer);
    assert!(!added.disabled);

    // Never again: not on the list, not in the database.
    app.get(TEAM)
        .await
        .assert_contains("new.person@acme.test")
        .assert_lacks(&password);
    assert!(!app.database_text().contains(password.as_str()));

    let new_person = app.client();
    new_person
        .login("new.person@acme.test", &password)
        .await
        .assert_redirect_to(LIST);
    new_person.get(TEAM).await.assert_status(403);
}

#[actix_web::test]
async fn adding_an_admin_with_a_chosen_password_goes_back_to_the_list() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.get(TEAM).await;
    app.post(
        TEAM,
        &[
            ("email", "second@acme.test"),
            ("role", "admin"),
            ("password_mode", "choose"),
            ("password", "another sound passphrase"),
        ],
    )
    .await
    .assert_redirect_to(TEAM)
    .assert_lacks("another sound passphrase");
    app.get(TEAM)
        .await
        .assert_contains("second@acme.test was added as an Admin.")
        .assert_lacks("another sound passphrase");
    assert_eq!(app.db(|c| user(c, "second@acme.test")).role, Role::Admin);
    let second = app.client();
    second
        .login("second@acme.test", "another sound passphrase")
        .await
        .assert_redirect_to(LIST);
    second.get(TEAM).await.assert_status(200);
}

#[actix_web::test]
async fn a_weak_password_is_a_field_error_and_nobody_is_added() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let before = app.db(team_state);
    app.get(TEAM).await;
    let answer = app
        .post(
            TEAM,
            &[
                ("email", "weak@acme.test"),
                ("role", "admin"),
                ("password_mode", "choose"),
                ("password", "short"),
            ],
        )
        .await;
    answer
        .assert_status(422)
        .assert_contains(r#"id="password-error""#)
        .assert_contains("The password is too short: use at least 12 characters.")
        .assert_contains("Nobody was added.")
        // Input kept, except the password, which is never sent back.
        .assert_contains(r#"value="weak@acme.test""#)
        .assert_contains(r#"value="admin" checked"#)
        .assert_contains(r#"value="choose" checked"#)
        .assert_lacks(r#"value="short""#);
    app.post(
        TEAM,
        &[("email", "weak@acme.test"), ("password_mode", "choose")],
    )
    .await
    .assert_status(422)
    .assert_contains("Enter a password of at least 12 characters, or choose to generate one.");
    assert_eq!(app.db(team_state), before);
    assert!(
        app.db(team_events)
            .iter()
            .all(|e| e.target_label.as_deref() != Some("weak@acme.test"))
    );
}

#[actix_web::test]
async fn a_duplicate_email_in_any_case_is_a_field_error_and_nobody_is_added() {
    let app = spawn_app().await;
    app.add_user("taken@other.test", Some("Other Co"), Role::Viewer);
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let before = app.db(team_state);
    app.get(TEAM).await;
    for email in ["Taken@Other.TEST", "OPS@acme.test"] {
        app.post(TEAM, &[("email", email), ("role", "viewer")])
            .await
            .assert_status(422)
            .assert_contains(r#"id="email-error""#)
            .assert_contains("A user with this email address already exists.")
            .assert_contains(&format!(r#"value="{email}""#));
    }
    assert_eq!(app.db(team_state), before);
}

#[actix_web::test]
async fn a_bad_email_or_role_is_a_field_error_with_the_input_kept() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let before = app.db(team_state);
    app.get(TEAM).await;
    app.post(TEAM, &[("email", "not an email"), ("role", "support")])
        .await
        .assert_status(422)
        .assert_contains("2 fields need attention.")
        .assert_contains("Enter an email address like name@example.co.za.")
        .assert_contains("Choose Admin or Viewer.")
        .assert_contains(r#"value="not an email""#)
        .assert_contains(r#"aria-invalid="true""#);
    app.post(TEAM, &[("email", "")])
        .await
        .assert_status(422)
        .assert_contains("Enter the email address they will sign in with.");
    assert_eq!(app.db(team_state), before);
}

#[actix_web::test]
async fn htmx_add_returns_the_password_and_the_refreshed_table_or_the_form_fragment() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.get_htmx(&format!("{TEAM}/new"))
        .await
        .assert_lacks("<html")
        .assert_contains(r#"id="modal-title""#);
    app.get(TEAM).await;
    app.post_htmx(TEAM, &[("email", "bad")])
        .await
        .assert_status(422)
        .assert_lacks("<html")
        .assert_contains(r#"id="email-error""#);
    let answer = app
        .post_htmx(TEAM, &[("email", "dialog@acme.test"), ("role", "viewer")])
        .await;
    answer
        .assert_status(200)
        .assert_no_store()
        .assert_lacks("<html")
        .assert_contains(r#"data-credential="password""#)
        .assert_contains(r#"id="team-panel""#)
        .assert_contains(r#"data-hx-swap-oob="true""#)
        .assert_contains("dialog@acme.test");
    app.post_htmx(
        TEAM,
        &[
            ("email", "chosen@acme.test"),
            ("password_mode", "choose"),
            ("password", "another sound passphrase"),
        ],
    )
    .await
    .assert_status(200);
}
