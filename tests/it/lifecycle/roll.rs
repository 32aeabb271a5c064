//! Rolling the secret, or the key too: the old credentials work for the grace window only.

use diesel::prelude::*;
use kwik_dashboard::db::schema::audit_events;
use kwik_dashboard::domain::credentials::verify::{Code, Decision};

use super::*;
use crate::helpers::*;

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
