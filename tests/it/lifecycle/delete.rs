//! Deleting a token: the name typed to confirm, and only its history left behind.

use kwik_dashboard::domain::credentials::verify::{Code, Decision};

use super::*;
use crate::helpers::*;

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
