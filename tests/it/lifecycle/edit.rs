//! Editing a token: the same checks as create, the credentials kept, and old → new in the history.

use diesel::prelude::*;
use kwik_dashboard::db::schema::audit_events;
use kwik_dashboard::domain::credentials::verify::{Code, Decision};

use super::*;
use crate::helpers::*;

#[actix_web::test]
async fn edit_changes_settings_keeps_credentials_and_records_old_to_new() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let Credentials {
        id, key, secret, ..
    } = app.issue_token("Old name", &["orders"], "read_only").await;
    let edit = format!("{LIST}/{id}/edit");
    let form = app.get(&edit).await;
    form.assert_status(200)
        .assert_contains(r#"value="Old name""#)
        .assert_contains("Save changes");
    // Same validation and messages as create; nothing changes.
    app.post(
        &edit,
        &[
            ("name", ""),
            ("sections", "orders"),
            ("ip_allowlist", "10.0.0.300"),
        ],
    )
    .await
    .assert_status(422)
    .assert_contains("Enter a name")
    .assert_contains("“10.0.0.300”: not an IP address or CIDR range");
    assert_eq!(app.all_tokens()[0].name, "Old name");
    app.post(
        &edit,
        &[
            ("name", "New name"),
            ("sections", "orders"),
            ("sections", "payments"),
            ("permission", "read_write"),
            ("ip_allowlist", "203.0.113.0/24"),
        ],
    )
    .await
    .assert_redirect_to(LIST);
    let token = &app.all_tokens()[0];
    assert_eq!(
        (
            token.name.as_str(),
            token.sections.as_str(),
            token.ip_allowlist.as_str()
        ),
        ("New name", "payments,orders", "203.0.113.0/24")
    );
    assert!(
        allowed(&verify_at(&app, &key, &secret, unix_now()))
            || matches!(
                verify_at(&app, &key, &secret, unix_now()),
                Decision::Denied(Code::IpNotAllowed)
            )
    );
    let detail: String = app.db(|c| {
        audit_events::table
            .filter(audit_events::event.eq("token.updated"))
            .select(audit_events::detail)
            .first(c)
            .unwrap()
    });
    assert!(detail.contains("name: Old name → New name"), "{detail}");
    assert!(
        detail.contains("permission: Read-Only → Read-Write"),
        "{detail}"
    );
    assert!(
        detail.contains("IP allowlist: any address → 203.0.113.0/24"),
        "{detail}"
    );
    app.get(LIST).await.assert_contains("“New name” saved");
}
