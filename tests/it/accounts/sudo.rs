//! Sudo mode: a sensitive action after the sudo window asks who it is, keeps the input, and goes
//! on after the proof; with htmx in the open dialog, without JavaScript as a page.

use kwik_dashboard::db::models::Role;

use super::*;

async fn stale_admin() -> (TestApp, TestApp) {
    let app = spawn_app().await;
    app.add_user("ana@shop.test", Some("Shop"), Role::Admin);
    let ana = app.client_for("ana@shop.test").await;
    ana.get(LIST).await;
    (app, ana)
}

fn created(app: &TestApp) -> Vec<String> {
    app.all_tokens().into_iter().map(|t| t.name).collect()
}

#[actix_web::test]
async fn a_create_with_a_stale_sudo_time_asks_for_the_password_then_proceeds_with_the_same_input() {
    let (app, ana) = stale_admin().await;
    let form = ana.get(&format!("{LIST}/new")).await;
    let submission = form.submission_id();
    age_sudo(&app);
    let fields = [
        ("name", "Payroll sync"),
        ("permission", "read_write"),
        ("sections", "orders"),
        ("sections", "payouts"),
        ("submission_id", submission.as_str()),
    ];
    let prompt = ana.post(LIST, &fields).await;
    prompt
        .assert_status(200)
        .assert_no_store()
        .assert_contains("Confirm it’s you")
        .assert_contains(r#"type="password" autocomplete="current-password""#)
        .assert_contains(r#"<input type="hidden" name="name" value="Payroll sync">"#)
        .assert_contains(r#"<input type="hidden" name="sections" value="payouts">"#)
        .assert_contains(&format!(r#"action="{LIST}""#));
    assert!(created(&app).is_empty(), "nothing created before the proof");

    // The prompt posts the same fields back with the proof.
    let mut again: Vec<(&str, &str)> = fields.to_vec();
    again.push(("sudo_proof", "not my password"));
    let wrong = ana.post(LIST, &again).await;
    wrong
        .assert_status(422)
        .assert_contains("That password is not correct.")
        .assert_contains(r#"value="Payroll sync""#);
    assert!(created(&app).is_empty());
    again.pop();
    again.push(("sudo_proof", PASSWORD));
    let reveal = ana.post(LIST, &again).await;
    reveal.assert_status(200).assert_contains("kwik_sk_");
    let token = app.all_tokens().pop().unwrap();
    assert_eq!(token.name, "Payroll sync");
    assert_eq!(token.permission.as_str(), "read_write");
    assert_eq!(token.sections, "payouts,orders", "in the help page's order");
    assert!(
        events(&app)
            .iter()
            .any(|e| e == "user.sudo_refused wrong password")
    );
    // Sudo mode is on again for the window: the next action asks nothing.
    ana.issue_token("Second", &["orders"], "read_only").await;
    assert_eq!(created(&app).len(), 2);
}

#[actix_web::test]
async fn with_htmx_the_prompt_replaces_the_dialog_and_the_action_continues_there() {
    let (app, ana) = stale_admin().await;
    let submission = ana.get(&format!("{LIST}/new")).await.submission_id();
    age_sudo(&app);
    let fields = [
        ("name", "Dialog token"),
        ("permission", "read_only"),
        ("sections", "orders"),
        ("submission_id", submission.as_str()),
    ];
    let prompt = ana.post_htmx(LIST, &fields).await;
    prompt.assert_status(200).assert_lacks("<html");
    assert_eq!(prompt.header("hx-retarget"), Some("#modal-content"));
    assert_eq!(prompt.header("hx-reswap"), Some("innerHTML"));
    prompt
        .assert_contains(r#"<h2 id="modal-title">Confirm it’s you</h2>"#)
        .assert_contains(r##"data-hx-target="#modal-content""##);
    let mut again = fields.to_vec();
    again.push(("sudo_proof", PASSWORD));
    let reveal = ana.post_htmx(LIST, &again).await;
    reveal
        .assert_status(200)
        .assert_contains("kwik_sk_")
        .assert_lacks("<html");
    assert_eq!(created(&app), ["Dialog token"]);
}

#[actix_web::test]
async fn a_row_change_keeps_its_row_as_the_target_after_the_prompt() {
    let (app, ana) = stale_admin().await;
    app.add_user("vic@shop.test", Some("Shop"), Role::Viewer);
    let vic = app.db(|c| {
        use diesel::prelude::*;
        use kwik_dashboard::db::schema::users;
        users::table
            .filter(users::email.eq("vic@shop.test"))
            .select(users::id)
            .first::<i64>(c)
            .unwrap()
    });
    age_sudo(&app);
    let token = ana.csrf_token();
    let url = format!("/settings/teams/{vic}/role");
    let target = format!("member-{vic}");
    let prompt = ana
        .post_raw(
            &url,
            &[("role", "admin")],
            &[
                ("Origin", ORIGIN),
                ("HX-Request", "true"),
                ("HX-Target", &target),
                ("X-CSRF-Token", &token),
            ],
        )
        .await;
    prompt.assert_status(200).assert_contains(&format!(
        r##"data-hx-target="#{target}" data-hx-swap="outerHTML" data-closes-dialog-on-success"##
    ));
    let row = ana
        .post_htmx(&url, &[("role", "admin"), ("sudo_proof", PASSWORD)])
        .await;
    row.assert_status(200)
        .assert_contains(&format!(r#"<tr id="{target}">"#));
}

#[actix_web::test]
async fn with_two_factor_the_prompt_takes_a_code_once() {
    let (app, ana) = stale_admin().await;
    let (key, _) = enrol(&ana).await;
    age_sudo(&app);
    let submission = ana.get(&format!("{LIST}/new")).await.submission_id();
    let fields = [
        ("name", "Coded"),
        ("permission", "read_only"),
        ("sections", "orders"),
        ("submission_id", submission.as_str()),
    ];
    ana.post(LIST, &fields)
        .await
        .assert_status(200)
        .assert_contains(r#"autocomplete="one-time-code""#)
        .assert_lacks(r#"type="password""#);
    // The password is no proof once a second factor is on.
    let mut with = fields.to_vec();
    with.push(("sudo_proof", PASSWORD));
    ana.post(LIST, &with).await.assert_status(422);
    let next = code(&key, 1);
    with.pop();
    with.push(("sudo_proof", &next));
    ana.post(LIST, &with)
        .await
        .assert_status(200)
        .assert_contains("kwik_sk_");
    // The same code again, after the window passed once more: refused.
    age_sudo(&app);
    let submission = ana.get(&format!("{LIST}/new")).await.submission_id();
    let reuse = [
        ("name", "Coded again"),
        ("permission", "read_only"),
        ("sections", "orders"),
        ("submission_id", submission.as_str()),
        ("sudo_proof", next.as_str()),
    ];
    ana.post(LIST, &reuse).await.assert_status(422);
    assert_eq!(created(&app), ["Coded"]);
}

#[actix_web::test]
async fn wrong_proofs_are_throttled_like_sign_ins() {
    let (app, ana) = stale_admin().await;
    age_sudo(&app);
    let fields = |proof: &'static str| {
        vec![
            ("name", "Guess"),
            ("permission", "read_only"),
            ("sections", "orders"),
            ("sudo_proof", proof),
        ]
    };
    for _ in 0..5 {
        ana.post(LIST, &fields("guess")).await.assert_status(422);
    }
    ana.post(LIST, &fields(PASSWORD))
        .await
        .assert_status(429)
        .assert_contains("Too many wrong attempts");
    assert!(created(&app).is_empty());
}

#[actix_web::test]
async fn every_sensitive_route_is_guarded_and_the_rest_are_not() {
    use kwik_dashboard::web::ROUTES;
    let sensitive: Vec<&str> = ROUTES.iter().filter(|r| r.sudo).map(|r| r.path).collect();
    for path in [
        "/developers/access-tokens",
        "/developers/access-tokens/{id}/edit",
        "/developers/access-tokens/{id}/roll",
        "/developers/access-tokens/{id}/delete",
        "/settings/teams",
        "/settings/teams/{id}/role",
        "/settings/teams/{id}/status",
        "/settings/teams/two-factor",
        "/settings/teams/{id}/two-factor",
        "/settings/profile/password",
        "/settings/profile/two-factor",
        "/settings/profile/two-factor/recovery-codes",
        "/settings/profile/two-factor/disable",
    ] {
        assert!(sensitive.contains(&path), "{path} is not guarded");
    }
    assert_eq!(sensitive.len(), 13, "{sensitive:?}");
    assert!(ROUTES.iter().filter(|r| r.sudo).all(|r| r.method == "post"));
    // Disabling a token stays one step: support and admins use it in an emergency.
    let (app, ana) = stale_admin().await;
    let id = ana.issue_token("Urgent", &["orders"], "read_only").await.id;
    age_sudo(&app);
    ana.post(&format!("{LIST}/{id}/status"), &[("status", "disabled")])
        .await
        .assert_status(303);
}

#[actix_web::test]
async fn a_typed_password_is_never_written_back_into_the_prompt() {
    let (app, ana) = stale_admin().await;
    ana.get("/settings/teams/new").await;
    age_sudo(&app);
    let chosen = "a chosen member passphrase";
    let fields = [
        ("email", "new@shop.test"),
        ("role", "viewer"),
        ("password_mode", "choose"),
        ("password", chosen),
    ];
    let prompt = ana.post("/settings/teams", &fields).await;
    prompt
        .assert_status(200)
        .assert_lacks(chosen)
        .assert_contains(r#"<input type="hidden" name="password_mode" value="choose">"#)
        .assert_contains("the password you typed in the form is not kept");
    // After the proof the form comes back with the rest kept and asks for the password again.
    let again = ana
        .post(
            "/settings/teams",
            &[
                ("email", "new@shop.test"),
                ("role", "viewer"),
                ("password_mode", "choose"),
                ("sudo_proof", PASSWORD),
            ],
        )
        .await;
    again
        .assert_status(422)
        .assert_contains(r#"value="new@shop.test""#);
    // And with the password typed again (sudo mode is on now), the member is added.
    ana.post("/settings/teams", &fields)
        .await
        .assert_redirect_to("/settings/teams");
}
