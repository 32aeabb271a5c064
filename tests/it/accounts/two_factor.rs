//! Two-factor sign-in: enrolment, the code step, codes accepted once, recovery codes, the throttle,
//! and no secret stored or shown where it should not be.

use diesel::prelude::*;
use kwik_dashboard::db::models::Role;
use kwik_dashboard::db::schema::users;

use super::*;

const WRONG: &str = "That code is not correct, or it was used already.";

async fn admin() -> (TestApp, TestApp) {
    let app = spawn_app().await;
    app.add_user("ana@shop.test", Some("Shop"), Role::Admin);
    let client = app.client_for("ana@shop.test").await;
    (app, client)
}

#[actix_web::test]
async fn enrolment_shows_a_qr_code_and_the_key_and_turns_on_only_with_a_valid_code() {
    let (app, ana) = admin().await;
    let page = ana.get(ENROL).await;
    page.assert_status(200)
        .assert_no_store()
        .assert_contains(r#"<svg xmlns="http://www.w3.org/2000/svg" role="img""#)
        .assert_lacks("style=");
    let svg = &page.body[page.body.find("<svg").unwrap()..page.body.find("</svg>").unwrap()];
    assert!(!svg.contains("<script") && svg.contains("<path"), "{svg}");
    let key = key_on(&page);
    assert_eq!(key.len(), 32, "160 bits in base32");
    // Reloading shows the same pending key: an app that scanned it keeps working.
    assert_eq!(key_on(&ana.get(ENROL).await), key);
    // A wrong code is a field error, the same key still shown, and nothing turned on.
    let wrong = ana.post(ENROL, &[("code", "000000")]).await;
    wrong
        .assert_status(422)
        .assert_contains("That code is not correct");
    assert_eq!(key_on(&wrong), key);
    ana.get("/settings/profile")
        .await
        .assert_contains(">Off</span>");
    let stale = code(&key, -3);
    ana.post(ENROL, &[("code", &stale)])
        .await
        .assert_status(422);

    let done = ana.post(ENROL, &[("code", &code(&key, 0))]).await;
    done.assert_status(200).assert_no_store().assert_lacks(&key);
    let codes = recovery_codes_on(&done);
    assert_eq!(codes.len(), 10);
    let profile = ana.get("/settings/profile").await;
    profile
        .assert_contains(">On</span>")
        .assert_contains("10 of 10 recovery codes left.")
        .assert_lacks(&key);
    // The key is never shown again: the enrolment page sends back to the profile.
    ana.get(ENROL).await.assert_redirect_to("/settings/profile");
    assert!(
        events(&app)
            .iter()
            .any(|e| e == "user.2fa_enabled authenticator app")
    );
    // At rest: sealed, never the key or a recovery code in plain form.
    let stored = app.database_text();
    assert!(!stored.contains(&key));
    for c in &codes {
        assert!(!stored.contains(c.as_str()) && !stored.contains(&c.replace('-', "")));
    }
    let sealed: Option<Vec<u8>> = app.db(|c| {
        users::table
            .filter(users::email.eq("ana@shop.test"))
            .select(users::totp_secret_sealed)
            .first(c)
            .unwrap()
    });
    assert!(sealed.is_some_and(|s| s.len() == 12 + 20 + 16));
}

#[actix_web::test]
async fn signing_in_takes_a_code_after_the_password_and_each_code_works_once() {
    let (app, ana) = admin().await;
    let (key, _) = enrol(&ana).await;
    let phone = app.client();
    password_step(&phone, "ana@shop.test").await;
    // Half signed in is not signed in.
    phone.get(LIST).await.assert_redirect_to("/login");
    let step = phone.get("/login/two-factor").await;
    step.assert_status(200)
        .assert_no_store()
        .assert_contains(r#"autocomplete="one-time-code""#);
    let wrong = phone
        .post("/login/two-factor", &[("code", "123 456")])
        .await;
    wrong.assert_status(401).assert_contains(WRONG);
    // The next step's code is accepted now (one step of clock drift either way)...
    let next = code(&key, 1);
    phone
        .post("/login/two-factor", &[("code", &next)])
        .await
        .assert_redirect_to(LIST);
    phone.get(LIST).await.assert_status(200);
    // ...and once: the same code on another browser, with the right password, is refused.
    let thief = app.client();
    password_step(&thief, "ana@shop.test").await;
    thief
        .post("/login/two-factor", &[("code", &next)])
        .await
        .assert_status(401)
        .assert_contains(WRONG);
    // Nor does an earlier step's code work once a later one was used.
    thief
        .post("/login/two-factor", &[("code", &code(&key, 0))])
        .await
        .assert_status(401);
    thief.get(LIST).await.assert_redirect_to("/login");
    let log = events(&app);
    assert!(
        log.iter()
            .any(|e| e == "login.succeeded with an authenticator code")
    );
    assert!(
        log.iter()
            .any(|e| e == "login.failed wrong two-factor code")
    );
}

#[actix_web::test]
async fn a_recovery_code_signs_in_once_and_new_codes_void_the_old_set() {
    let (app, ana) = admin().await;
    let (_, codes) = enrol(&ana).await;
    let lost_phone = app.client();
    password_step(&lost_phone, "ana@shop.test").await;
    // Typed in capitals with a space instead of the dash: the same code.
    let typed = codes[0].to_uppercase().replace('-', " ");
    lost_phone
        .post("/login/two-factor", &[("code", &typed)])
        .await
        .assert_redirect_to(LIST);
    assert!(
        events(&app)
            .iter()
            .any(|e| e == "user.recovery_code_used 9 left")
    );
    lost_phone
        .get("/settings/profile")
        .await
        .assert_contains("9 of 10 recovery codes left.");
    let again = app.client();
    password_step(&again, "ana@shop.test").await;
    again
        .post("/login/two-factor", &[("code", &codes[0])])
        .await
        .assert_status(401);

    let fresh = ana
        .post("/settings/profile/two-factor/recovery-codes", &[])
        .await;
    fresh.assert_status(200).assert_no_store();
    let new_codes = recovery_codes_on(&fresh);
    assert_eq!(new_codes.len(), 10);
    assert!(new_codes.iter().all(|c| !codes.contains(c)));
    again
        .post("/login/two-factor", &[("code", &codes[1])])
        .await
        .assert_status(401);
    again
        .post("/login/two-factor", &[("code", &new_codes[3])])
        .await
        .assert_redirect_to(LIST);
    assert!(
        events(&app)
            .iter()
            .any(|e| e == "user.recovery_codes_regenerated")
    );
}

#[actix_web::test]
async fn wrong_codes_count_toward_the_login_throttle() {
    let (app, ana) = admin().await;
    let (key, _) = enrol(&ana).await;
    let guesser = app.client();
    password_step(&guesser, "ana@shop.test").await;
    for _ in 0..5 {
        guesser
            .post("/login/two-factor", &[("code", "999999")])
            .await
            .assert_status(401);
    }
    // Locked for the email: even the right code is not checked now.
    guesser
        .post("/login/two-factor", &[("code", &code(&key, 1))])
        .await
        .assert_status(429)
        .assert_contains("Too many failed sign-in attempts");
    let other = app.client();
    other
        .login("ana@shop.test", PASSWORD)
        .await
        .assert_status(429);
}

#[actix_web::test]
async fn the_code_step_closes_five_minutes_after_the_password() {
    let (app, ana) = admin().await;
    let (key, _) = enrol(&ana).await;
    let slow = app.client();
    password_step(&slow, "ana@shop.test").await;
    set_in_every_session(&app, "pending_at", &(unix_now() - 301).to_string());
    slow.post("/login/two-factor", &[("code", &code(&key, 1))])
        .await
        .assert_redirect_to("/login?expired=1");
    slow.get("/login?expired=1")
        .await
        .assert_contains("Your sign-in timed out");
    slow.get(LIST).await.assert_redirect_to("/login");
}

#[actix_web::test]
async fn turning_it_off_needs_it_on_and_removes_the_key_and_codes() {
    let (app, ana) = admin().await;
    let (_, codes) = enrol(&ana).await;
    ana.post("/settings/profile/two-factor/disable", &[])
        .await
        .assert_redirect_to("/settings/profile");
    ana.get("/settings/profile")
        .await
        .assert_contains("Two-factor sign-in is off.")
        .assert_contains(">Off</span>");
    let next = app.client();
    next.login("ana@shop.test", PASSWORD)
        .await
        .assert_redirect_to(LIST);
    let left: i64 = app.db(|c| {
        kwik_dashboard::db::schema::recovery_codes::table
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(left, 0, "codes gone: {codes:?}");
    assert!(events(&app).iter().any(|e| e == "user.2fa_disabled"));
}

#[actix_web::test]
async fn a_master_key_rotation_reseals_the_totp_secret_and_sign_in_still_works() {
    use kwik_dashboard::domain::credentials::rotation::reseal_all;
    use kwik_dashboard::domain::credentials::seal::{Keyring, MasterKey};
    let (app, ana) = admin().await;
    let (key, _) = enrol(&ana).await;
    let new = Keyring::new(MasterKey::new(&[6u8; 32]).unwrap(), vec![]);
    let count = app.db(|c| reseal_all(c, &app.state.keyring, &new).unwrap());
    assert_eq!(count, 1, "the one TOTP secret");
    let key_id: Option<String> = app.db(|c| {
        users::table
            .filter(users::email.eq("ana@shop.test"))
            .select(users::totp_key_id)
            .first(c)
            .unwrap()
    });
    assert_eq!(key_id.as_deref(), Some(new.current_id()));
    // An instance with the new key (and no old one) signs in with the app's next code.
    let rotated = spawn_app_on(app.db.clone(), |c| {
        c.master_key = Some(vec![6u8; 32]);
    })
    .await;
    password_step(&rotated, "ana@shop.test").await;
    rotated
        .post("/login/two-factor", &[("code", &code(&key, 1))])
        .await
        .assert_redirect_to(LIST);
}
