//! What people see after a leak report: the note on the token's row, page and support result, the
//! History entry, and the Access Tokens banner until an admin acknowledges it.

use actix_web::test::TestRequest;
use kwik_dashboard::db::models::Role;

use crate::helpers::*;
use crate::secret_scanning::{report, scanning_app};

const FOUND: &str = "Disabled automatically: found in public commit (https://github.com/octo/shop/blob/abc123/config.env) on ";

#[actix_web::test]
async fn the_token_row_page_history_and_support_show_where_it_was_found_never_the_secret() {
    let app = scanning_app().await;
    let creds = app.issue_token("Shop", &["orders"], "read_write").await;
    report(&app, &[&creds.secret]).await.assert_status(200);

    app.get(LIST)
        .await
        .assert_status(200)
        .assert_contains(FOUND)
        .assert_lacks(&creds.secret);
    app.get(&format!("{LIST}/{}", creds.id))
        .await
        .assert_status(200)
        .assert_contains(FOUND)
        .assert_lacks(&creds.secret);
    app.get("/settings/history")
        .await
        .assert_status(200)
        .assert_contains("Disabled after a leak report")
        .assert_contains("GitHub secret scanning")
        .assert_contains("reporter: GitHub; source: commit; url: https://github.com/octo/shop")
        .assert_lacks(&creds.secret);
    app.get("/settings/history.csv")
        .await
        .assert_lacks(&creds.secret);

    app.add_user("agent@kwik.test", None, Role::Support);
    let support = app.client();
    support.login("agent@kwik.test", PASSWORD).await;
    support
        .get(&format!("/support?q={}", urlencode(&creds.key)))
        .await
        .assert_status(200)
        .assert_contains(FOUND);
}

#[actix_web::test]
async fn the_banner_lists_leak_disables_until_an_admin_acknowledges_them() {
    let app = scanning_app().await;
    app.get(LIST).await.assert_lacks("leak-banner");
    let creds = app.issue_token("Shop", &["orders"], "read_write").await;
    report(&app, &[&creds.secret]).await.assert_status(200);
    app.add_user("viewer@acme.test", Some("Acme"), Role::Viewer);
    let viewer = app.client_for("viewer@acme.test").await;

    let page = app.get(LIST).await;
    page.assert_contains("Tokens disabled after a leak report")
        .assert_contains(&format!("href=\"{LIST}/{}\">Shop</a>", creds.id))
        .assert_contains("roll its secret")
        .assert_contains("leak-reports/acknowledge");
    viewer
        .get(LIST)
        .await
        .assert_contains("Tokens disabled after a leak report")
        .assert_lacks("leak-reports/acknowledge");
    // the viewer may not acknowledge, nor may a forged form without the CSRF token
    viewer
        .post(&format!("{LIST}/leak-reports/acknowledge"), &[])
        .await
        .assert_status(403);
    let forged = app
        .send(TestRequest::post().uri(&format!("{LIST}/leak-reports/acknowledge")))
        .await;
    assert_eq!(forged.status.as_u16(), 403, "{}", forged.body);
    app.get(LIST).await.assert_contains("leak-banner");

    app.post(&format!("{LIST}/leak-reports/acknowledge"), &[])
        .await
        .assert_redirect_to(LIST);

    app.get(LIST)
        .await
        .assert_lacks("leak-banner")
        .assert_contains("Leak report acknowledged");
    viewer.get(LIST).await.assert_lacks("leak-banner");
    app.get("/settings/history")
        .await
        .assert_contains("Leak report acknowledged");
    // the token itself stays disabled until someone enables it
    app.get(&format!("{LIST}/{}", creds.id))
        .await
        .assert_contains(FOUND);
}

#[actix_web::test]
async fn support_can_list_the_tokens_disabled_after_a_leak_report() {
    let app = scanning_app().await;
    let leaked = app
        .issue_token("Leaked one", &["orders"], "read_write")
        .await;
    let other = app
        .issue_token("Turned off by hand", &["orders"], "read_write")
        .await;
    app.issue_token("Still fine", &["orders"], "read_write")
        .await;
    report(&app, &[&leaked.secret]).await.assert_status(200);
    app.post(
        &format!("{LIST}/{}/status", other.id),
        &[("status", "disabled")],
    )
    .await;
    let by_hand = app
        .all_tokens()
        .into_iter()
        .find(|t| t.id.0 == other.id)
        .unwrap();
    assert_eq!(
        by_hand.status,
        kwik_dashboard::db::models::TokenStatus::Disabled
    );
    app.add_user("agent@kwik.test", None, Role::Support);
    let support = app.client();
    support.login("agent@kwik.test", PASSWORD).await;

    let page = support.get("/support?filter=leaks").await;
    page.assert_status(200)
        .assert_contains("Showing tokens disabled after a leak report")
        .assert_contains("Leaked one")
        .assert_contains(FOUND)
        .assert_lacks("Turned off by hand")
        .assert_lacks("Still fine")
        .assert_lacks(&leaked.secret);
    support
        .get("/support")
        .await
        .assert_contains("/support?filter=leaks");
}

/// The merchant's kept count of unacknowledged leak disables, and the count the reports say.
fn leak_counts(app: &TestApp) -> (i64, i64) {
    use diesel::prelude::*;
    use kwik_dashboard::db::schema::{leak_reports, merchants};
    app.db(|conn| {
        let kept = merchants::table
            .filter(merchants::name.eq("Acme"))
            .select(merchants::leaks_unacknowledged)
            .first::<i64>(conn)
            .unwrap();
        let actual = leak_reports::table
            .filter(leak_reports::outcome.eq("disabled"))
            .filter(leak_reports::acknowledged_at.is_null())
            .count()
            .get_result::<i64>(conn)
            .unwrap();
        (kept, actual)
    })
}

#[actix_web::test]
async fn the_kept_count_that_spares_the_banner_query_follows_every_report_and_acknowledgement() {
    let app = scanning_app().await;
    let first = app.issue_token("Shop", &["orders"], "read_write").await;
    let second = app.issue_token("Backup", &["orders"], "read_only").await;
    assert_eq!(leak_counts(&app), (0, 0));
    report(&app, &[&first.secret]).await.assert_status(200);
    assert_eq!(leak_counts(&app), (1, 1));
    // Reported again: already disabled, nothing new to acknowledge.
    report(&app, &[&first.secret]).await.assert_status(200);
    assert_eq!(leak_counts(&app), (1, 1));
    report(&app, &[&second.secret]).await.assert_status(200);
    assert_eq!(leak_counts(&app), (2, 2));
    app.get(LIST).await.assert_contains("leak-banner");

    app.post(&format!("{LIST}/leak-reports/acknowledge"), &[])
        .await
        .assert_redirect_to(LIST);
    assert_eq!(leak_counts(&app), (0, 0));
    app.get(LIST).await.assert_lacks("leak-banner");

    let third = app.issue_token("Later", &["orders"], "read_only").await;
    report(&app, &[&third.secret]).await.assert_status(200);
    assert_eq!(leak_counts(&app), (1, 1));
    app.get(LIST).await.assert_contains("leak-banner");
    // Rows deleted (as a merchant's removal cascades) leave the count right too.
    app.db(|conn| {
        use diesel::prelude::*;
        use kwik_dashboard::db::schema::leak_reports;
        diesel::delete(leak_reports::table).execute(conn).unwrap();
    });
    assert_eq!(leak_counts(&app), (0, 0));
    app.get(LIST).await.assert_lacks("leak-banner");
}
