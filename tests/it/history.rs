use diesel::prelude::*;
use kwik_dashboard::db::models::Role;
use kwik_dashboard::db::schema::audit_events;

use crate::helpers::*;

#[derive(Queryable, Debug)]
struct Ev {
    event: String,
    actor_email: Option<String>,
    actor_role: String,
    merchant_id: Option<i64>,
    target_type: Option<String>,
    target_label: Option<String>,
    detail: String,
    ip: Option<String>,
}

fn events(app: &TestApp) -> Vec<Ev> {
    app.db(|c| {
        audit_events::table
            .order(audit_events::id)
            .select((
                audit_events::event,
                audit_events::actor_email,
                audit_events::actor_role,
                audit_events::merchant_id,
                audit_events::target_type,
                audit_events::target_label,
                audit_events::detail,
                audit_events::ip,
            ))
            .load(c)
            .unwrap()
    })
}

#[actix_web::test]
async fn each_action_leaves_exactly_one_event_with_the_right_fields() {
    let app = spawn_app().await;
    app.add_user("ops@acme.test", Some("Acme"), Role::Admin);
    let start = events(&app).len();
    assert_eq!(events(&app)[start - 1].event, "user.added");

    app.login("ops@acme.test", "wrong password!!").await;
    app.login("ops@acme.test", PASSWORD).await;
    let id = app
        .issue_token("Xero", &["orders", "payments"], "read_write")
        .await
        .id;
    app.get(LIST).await;
    app.post(&format!("{LIST}/{id}/status"), &[("status", "disabled")])
        .await;
    app.post(&format!("{LIST}/{id}/status"), &[("status", "disabled")])
        .await; // no change: no event
    app.post("/logout", &[]).await;

    let all = events(&app);
    let new: Vec<&Ev> = all[start..].iter().collect();
    let kinds: Vec<&str> = new.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "login.failed",
            "login.succeeded",
            "token.created",
            "token.disabled",
            "logout"
        ]
    );
    let merchant = all[0].merchant_id;
    assert!(merchant.is_some());
    for e in &new {
        assert_eq!(e.merchant_id, merchant, "{e:?}");
        assert_eq!(e.ip.as_deref(), Some("203.0.113.10"), "{e:?}");
        assert_eq!(e.actor_email.as_deref(), Some("ops@acme.test"), "{e:?}");
    }
    assert_eq!(new[0].actor_role, "anonymous");
    assert_eq!(new[0].detail, "wrong password");
    assert_eq!(new[2].actor_role, "admin");
    assert_eq!(new[2].target_type.as_deref(), Some("token"));
    assert_eq!(new[2].target_label.as_deref(), Some("Xero"));
    assert_eq!(new[2].detail, "Read-Write · Live · Payments, Orders");
    assert_eq!(new[3].detail, "status: Live → Disabled");
    // Never a secret, anywhere in the history.
    let text = format!("{all:?}");
    assert!(!text.contains("kwik_sk_") && !text.contains("kwik_ak_"));
}

#[actix_web::test]
async fn the_history_cannot_be_edited_or_deleted_even_by_sql() {
    let app = spawn_app().await;
    app.add_user("ops@acme.test", Some("Acme"), Role::Admin);
    let update = app.db(|c| {
        diesel::update(audit_events::table)
            .set(audit_events::detail.eq("forged"))
            .execute(c)
    });
    assert!(update.is_err(), "UPDATE must be refused");
    let delete = app.db(|c| diesel::delete(audit_events::table).execute(c));
    assert!(delete.is_err(), "DELETE must be refused");
    assert_eq!(events(&app).len(), 1);
}

#[actix_web::test]
async fn the_history_page_filters_paginates_and_exports_safely() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    for i in 0..3 {
        app.create_token(&format!("=cmd|' /C calc'!A{i}"), &["orders"], "read_only")
            .await;
    }
    let ids: Vec<i64> = app.all_tokens().iter().map(|t| t.id.0).collect();
    app.get(LIST).await;
    for _ in 0..30 {
        for status in ["disabled", "live"] {
            app.post(&format!("{LIST}/{}/status", ids[0]), &[("status", status)])
                .await;
        }
    }
    // 1 user added + 1 sign-in + 3 created + 60 status changes
    let page1 = app.get("/settings/history").await;
    page1
        .assert_status(200)
        .assert_contains("Showing 1–50 of 65")
        .assert_contains("page=2");
    app.get("/settings/history?page=2")
        .await
        .assert_contains("Showing 51–65 of 65");
    app.get("/settings/history?event=token.created")
        .await
        .assert_contains("of 3<")
        .assert_lacks(r#"<td data-label="Event">Token disabled</td>"#);
    app.get(&format!("/settings/history?token={}", ids[1]))
        .await
        .assert_contains("of 1<");
    app.get("/settings/history?event=bogus&from=yesterday")
        .await
        .assert_contains("Unknown event type")
        .assert_contains("Use dates like");
    let today = time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+2))
        .date();
    app.get(&format!("/settings/history?from={today}&to={today}"))
        .await
        .assert_contains("of 65<");
    // An inverted range is flagged, not answered with "No events".
    app.get(&format!(
        "/settings/history?from={today}&to={}",
        today.previous_day().unwrap()
    ))
    .await
    .assert_contains("From is after To: swap the dates, or change one.")
    .assert_contains("of 65<");
    app.get(&format!(
        "/settings/history?to={}",
        today.previous_day().unwrap()
    ))
    .await
    .assert_contains("0 events");
    // htmx gets the results fragment only, and the Export CSV link of the filter bar out of band, so
    // it exports the view shown.
    app.get_htmx("/settings/history?event=token.created")
        .await
        .assert_lacks("<html")
        .assert_contains("of 3<")
        .assert_contains(r#"<a id="history-csv" class="button ghost" href="/settings/history.csv?event=token.created" download data-hx-swap-oob="true">Export CSV</a>"#);
    // On the full page the link is beside the filters, once.
    let page = app.get("/settings/history?event=token.created").await;
    let bar = page
        .body
        .split(r#"<div class="filter-actions">"#)
        .nth(1)
        .unwrap();
    assert!(
        bar.split("</form>")
            .next()
            .unwrap()
            .contains(r#"id="history-csv""#)
    );
    assert_eq!(page.body.matches("Export CSV").count(), 1);

    let csv = app.get("/settings/history.csv?event=token.created").await;
    csv.assert_status(200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(csv.body.lines().count(), 4);
    for line in csv.body.lines().skip(1) {
        for cell in line.split(',') {
            let cell = cell.trim_start_matches('"');
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "formula cell {cell:?} in {line}"
            );
        }
    }
}

#[actix_web::test]
async fn a_merchant_sees_only_its_own_history_and_a_viewer_sees_it_too() {
    let app = spawn_app().await;
    app.other_merchants_token().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.create_token("Ours", &["orders"], "read_only").await;
    app.get("/settings/history")
        .await
        .assert_contains("Ours")
        .assert_lacks("Theirs")
        .assert_lacks("owner@other.test");
    app.add_user("viewer@acme.test", Some("Acme"), Role::Viewer);
    let viewer = app.client_for("viewer@acme.test").await;
    viewer
        .get("/settings/history")
        .await
        .assert_status(200)
        .assert_contains("Ours")
        .assert_lacks("Theirs");
}

#[actix_web::test]
async fn a_renamed_token_is_one_entry_of_the_token_filter_with_its_current_name() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let id = app
        .issue_token("Old name", &["orders"], "read_only")
        .await
        .id;
    app.post(
        &format!("{LIST}/{id}/edit"),
        &[("name", "New name"), ("sections", "orders")],
    )
    .await
    .assert_redirect_to(LIST);
    let page = app.get("/settings/history").await;
    // Both names are in the events themselves; the filter lists the token once, as it is now.
    page.assert_contains(&format!(r#"<option value="{id}">New name</option>"#))
        .assert_lacks(">Old name</option>");
    assert_eq!(page.body.matches(">New name</option>").count(), 1);
}
