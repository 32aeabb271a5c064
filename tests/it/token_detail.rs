//! A token's detail page: who may see it, and its actions (the chart's numbers are in
//! `token_chart.rs`).

use kwik_dashboard::db::models::Role;
use kwik_dashboard::domain::credentials::TokenStatus;

use crate::helpers::*;

#[actix_web::test]
async fn the_tables_names_link_to_their_detail_pages() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let id = app.issue_token("Linked", &["orders"], "read_only").await.id;
    app.get(LIST).await.assert_contains(&format!(
        r#"<td class="token-name"><a href="/developers/access-tokens/{id}" title="Linked">Linked</a></td>"#
    ));
    app.get(&format!("{LIST}/{id}"))
        .await
        .assert_contains(r#"<a href="/developers/access-tokens"><span aria-hidden="true">←</span> Access Tokens</a>"#);
}

#[actix_web::test]
async fn another_merchants_token_is_not_found_and_support_is_refused() {
    let app = spawn_app().await;
    let theirs = app.other_merchants_token().await;

    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.get(&format!("{LIST}/{theirs}"))
        .await
        .assert_status(404)
        .assert_lacks("Theirs");
    app.get(&format!("{LIST}/{}", theirs + 1000))
        .await
        .assert_status(404);
    app.get(&format!("{LIST}/not-a-number"))
        .await
        .assert_status(404);
    // The create form keeps its own address.
    app.get(&format!("{LIST}/new")).await.assert_status(200);

    app.add_user("agent@kwik.test", None, Role::Support);
    let support = app.client_for("agent@kwik.test").await;
    support
        .get(&format!("{LIST}/{theirs}"))
        .await
        .assert_status(403);
    app.client()
        .get(&format!("{LIST}/{theirs}"))
        .await
        .assert_redirect_to("/login");
}

#[actix_web::test]
async fn a_viewer_sees_the_detail_page_without_actions() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let id = app.issue_token("Shared", &["orders"], "read_only").await.id;
    // The admin's page has every action (the row menu leads here without JavaScript), Delete last.
    let page = app.get(&format!("{LIST}/{id}")).await;
    page.assert_contains(r#"<div class="actions" id="actions">"#)
        .assert_contains(&format!("{LIST}/{id}/status?status=disabled"));
    let actions: Vec<&str> = regex::Regex::new(
        r#"class="button (?:secondary|danger)" href="[^"]+"(?:\s+data-[^>]+)?>([A-Za-z ]+)</a>"#,
    )
    .unwrap()
    .captures_iter(&page.body)
    .map(|c| c.get(1).unwrap().as_str())
    .collect();
    assert_eq!(actions, ["Edit", "Roll secret", "Disable", "Delete"]);
    app.add_user("viewer@acme.test", Some("Acme"), Role::Viewer);
    let viewer = app.client_for("viewer@acme.test").await;
    viewer
        .get(&format!("{LIST}/{id}"))
        .await
        .assert_status(200)
        .assert_contains("Shared")
        .assert_lacks("/status?status=")
        .assert_lacks("/roll")
        .assert_lacks("/edit")
        .assert_lacks("/delete");
}

/// The first `attr="…"` on a link or form of `body` whose value contains `needle`, unescaped.
fn attribute_with(body: &str, attr: &str, needle: &str) -> String {
    regex::Regex::new(&format!(r#"{attr}="([^"]*)""#))
        .unwrap()
        .captures_iter(body)
        .map(|c| c[1].replace("&amp;", "&"))
        .find(|v| v.contains(needle))
        .unwrap_or_else(|| panic!("no {attr} with {needle:?} in:\n{body}"))
}

/// The hidden fields of the form in `body`, CSRF token aside, as a browser would send them.
fn hidden_fields(body: &str) -> Vec<(String, String)> {
    regex::Regex::new(r#"<input type="hidden" name="([^"]+)" value="([^"]*)">"#)
        .unwrap()
        .captures_iter(body)
        .filter(|c| &c[1] != "csrf_token")
        .map(|c| (c[1].to_owned(), c[2].to_owned()))
        .collect()
}

#[actix_web::test]
async fn disable_and_enable_from_the_detail_page_come_back_to_it() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let id = app
        .issue_token("Till sync", &["orders"], "read_only")
        .await
        .id;
    let detail = format!("{LIST}/{id}");

    // With JavaScript: Disable opens the confirmation in the dialog. Whatever its form targets must
    // exist on the detail page (it once aimed at the table's row, which is not there, so htmx sent
    // nothing and the dialog stayed open).
    let page = app.get(&detail).await;
    let confirm = app
        .get_htmx(&attribute_with(
            &page.body,
            "data-hx-get",
            "status=disabled",
        ))
        .await;
    confirm
        .assert_status(200)
        .assert_contains("Disable “Till sync”?");
    for target in regex::Regex::new(r##"data-hx-target="#([^"]+)""##)
        .unwrap()
        .captures_iter(&confirm.body)
    {
        page.assert_contains(&format!(r#"id="{}""#, &target[1]));
    }
    let fields = hidden_fields(&confirm.body);
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let done = app
        .post_htmx(
            &attribute_with(&confirm.body, "data-hx-post", "/status"),
            &fields,
        )
        .await;
    done.assert_status(200);
    assert_eq!(done.header("hx-redirect"), Some(detail.as_str()));
    assert_eq!(app.all_tokens()[0].status, TokenStatus::Disabled);
    let page = app.get(&detail).await;
    page.assert_contains("badge disabled")
        .assert_contains("“Till sync” is disabled: requests with its credentials are refused.")
        .assert_lacks("status=disabled");

    // Without JavaScript: Enable is a page that goes back to the detail page, as Cancel does.
    let confirm = app
        .get(&attribute_with(&page.body, "href", "status=live"))
        .await;
    confirm
        .assert_status(200)
        .assert_contains("<h1 id=\"modal-title\">Enable “Till sync”?</h1>")
        .assert_contains(&format!(
            r#"<a class="button secondary" href="{detail}" data-close-dialog>Cancel</a>"#
        ))
        .assert_contains(&format!(r#"<a href="{detail}">← Till sync</a>"#));
    let fields = hidden_fields(&confirm.body);
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    app.post(&attribute_with(&confirm.body, "action", "/status"), &fields)
        .await
        .assert_redirect_to(&detail);
    assert_eq!(app.all_tokens()[0].status, TokenStatus::Live);
    app.get(&detail)
        .await
        .assert_contains("badge live")
        .assert_contains("“Till sync” is live again: its credentials work from now on.");
}

#[actix_web::test]
async fn the_tables_status_change_still_swaps_its_row_and_returns_to_the_table() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let id = app.issue_token("Row", &["orders"], "read_only").await.id;
    let confirm = app
        .get_htmx(&format!("{LIST}/{id}/status?status=disabled"))
        .await;
    confirm
        .assert_contains(&format!(r##"data-hx-target="#token-{id}""##))
        .assert_lacks(r#"name="from""#)
        .assert_contains(&format!(r#"href="{LIST}" data-close-dialog>Cancel</a>"#));
    let status = format!("{LIST}/{id}/status");
    app.post_htmx(&status, &[("status", "disabled")])
        .await
        .assert_contains(&format!(r#"<tr id="token-{id}">"#));
    app.post(&status, &[("status", "live"), ("from", "table")])
        .await
        .assert_redirect_to(LIST);
    app.post(&status, &[("status", "disabled"), ("from", "elsewhere")])
        .await
        .assert_status(400);
    assert_eq!(app.all_tokens()[0].status, TokenStatus::Live);
}
