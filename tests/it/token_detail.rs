//! A token's detail page: what it shows (never a credential), who may see it, and the usage chart's
//! numbers, made by real verifications through `GET /api/v2/whoami`.

use actix_web::test::TestRequest;
use kwik_dashboard::db::models::{AccessToken, Role};
use kwik_dashboard::domain::credentials::TokenStatus;
use kwik_dashboard::infra::sa_time::day_of as sa_day;

use crate::helpers::*;

/// Verifies `key:secret` once through the API, from `ip`, optionally for a section.
async fn whoami(app: &TestApp, ip: &str, key: &str, secret: &str, query: &str) -> u16 {
    app.set_peer(&format!("{ip}:5000"));
    let answer = app
        .send(
            TestRequest::get()
                .uri(&format!("/api/v2/whoami{query}"))
                .insert_header(("Authorization", basic_auth(key, secret))),
        )
        .await;
    app.set_peer(PEER);
    answer.status.as_u16()
}

/// One row of the chart's data table: ISO day, allowed, denied, total (rate-limited requests are
/// in the total; these tests make none, and `rate_limit.rs` counts them).
type DayRow = (String, i64, i64, i64);

/// The cells of the chart's data table: a row per day, and the foot's (allowed, denied, total).
fn data_table(body: &str) -> (Vec<DayRow>, (i64, i64, i64)) {
    let number = |s: &str| s.replace(',', "").parse::<i64>().unwrap();
    let row = regex::Regex::new(
        r#"<tr><th scope="row"><time datetime="([0-9-]+)">[^<]*</time></th><td>([\d,]+)</td><td>([\d,]+)</td><td>[\d,]+</td><td>([\d,]+)</td></tr>"#,
    )
    .unwrap();
    let rows = row
        .captures_iter(body)
        .map(|c| (c[1].to_owned(), number(&c[2]), number(&c[3]), number(&c[4])))
        .collect();
    let foot = regex::Regex::new(
        r#"<tfoot><tr><th scope="row">Last 30 days</th><td>([\d,]+)</td><td>([\d,]+)</td><td>[\d,]+</td><td>([\d,]+)</td></tr></tfoot>"#,
    )
    .unwrap()
    .captures(body)
    .map(|c| (number(&c[1]), number(&c[2]), number(&c[3])))
    .expect("a table foot with the totals");
    (rows, foot)
}

/// A day's counts as a flush writes them, with no request over the rate limit.
fn usage(allowed: i64, denied: i64) -> kwik_dashboard::db::models::access_token::DayUsage {
    kwik_dashboard::db::models::access_token::DayUsage {
        allowed,
        denied,
        limited: 0,
    }
}

#[actix_web::test]
async fn the_detail_page_shows_metadata_the_last_ips_and_the_daily_counts() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let Credentials {
        key,
        secret,
        public,
        ..
    } = app
        .issue_token("Shopify sync", &["orders", "payments"], "read_write")
        .await;
    let other_secret = app
        .issue_token("Other", &["orders"], "read_only")
        .await
        .secret;
    let token = app
        .all_tokens()
        .into_iter()
        .find(|t| t.name == "Shopify sync")
        .unwrap();

    // Three allowed from two addresses, then two denied: a wrong secret, and a section it lacks.
    for ip in ["198.51.100.1", "198.51.100.2", "198.51.100.1"] {
        assert_eq!(whoami(&app, ip, &key, &secret, "").await, 200);
    }
    assert_eq!(
        whoami(&app, "198.51.100.3", &key, &other_secret, "").await,
        401
    );
    assert_eq!(
        whoami(&app, "198.51.100.3", &key, &secret, "?section=customers").await,
        403
    );
    app.db(|c| app.state.usage.flush(c).unwrap());
    // Earlier days, as earlier flushes left them: one in the window, one long before it.
    let today = sa_day(kwik_dashboard::db::now());
    let three_ago = today - time::Duration::days(3);
    app.db(|c| {
        AccessToken::add_daily_usage(c, token.id, three_ago, &usage(1_200, 4)).unwrap();
        AccessToken::add_daily_usage(
            c,
            token.id,
            today - time::Duration::days(30),
            &usage(999, 9),
        )
        .unwrap();
    });

    let page = app.get(&format!("{LIST}/{}", token.id.0)).await;
    page.assert_status(200)
        .assert_no_store()
        .assert_contains("<h1 class=\"token-title\">Shopify sync</h1>")
        .assert_contains(&token.partial_key())
        .assert_contains(&format!(
            r#"<code class="public-key" id="detail-public-key" tabindex="0">{public}</code>"#
        ))
        .assert_contains(r#"data-copy="detail-public-key""#)
        .assert_contains(r#"<dt>IP allowlist</dt><dd>Any address"#)
        .assert_contains(r#"<dt>Expires</dt><dd><span class="expires never">Never</span>"#)
        .assert_contains("Read-Write")
        .assert_contains(r#"<li>Payments</li><li>Orders</li>"#)
        .assert_contains("ops@acme.test</dd>")
        .assert_contains("badge live")
        .assert_contains(" SAST</time>")
        .assert_contains("just now")
        // Most recent first, each once.
        .assert_contains(
            "<li><code>198.51.100.1</code></li><li><code>198.51.100.2</code></li></ol>",
        )
        .assert_contains(&format!(
            "1,209 API requests in the last 30 days: 1,203 allowed, 6 denied; busiest day {}.",
            kwik_dashboard::web::format::day_month(three_ago)
        ))
        .assert_contains(r#"role="img" aria-labelledby="chart-title chart-desc""#);
    // Never a credential or a hash.
    for never in [
        key.clone(),
        secret.clone(),
        hex::encode(&token.key_hash),
        hex::encode(&token.secret_hash),
    ] {
        page.assert_lacks(&never);
    }
    let (rows, _) = data_table(&page.body);
    let day = |d: time::Date| {
        rows.iter()
            .find(|r| r.0 == kwik_dashboard::web::format::day_iso(d))
            .map(|r| (r.1, r.2, r.3))
    };
    assert_eq!(day(today), Some((3, 2, 5)));
    assert_eq!(day(three_ago), Some((1_200, 4, 1_204)));
    assert_eq!(day(today - time::Duration::days(1)), Some((0, 0, 0)));
    assert_eq!(
        day(today - time::Duration::days(30)),
        None,
        "outside the window"
    );
}

#[actix_web::test]
async fn the_charts_data_table_has_thirty_days_and_sums_to_its_totals() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.create_token("Xero export", &["transactions"], "read_only")
        .await;
    let id = app.all_tokens()[0].id;
    let today = sa_day(kwik_dashboard::db::now());
    app.db(|c| {
        for back in [0, 1, 2, 7, 13, 29] {
            let day = today - time::Duration::days(back);
            AccessToken::add_daily_usage(c, id, day, &usage(40 * back + 3, back % 3)).unwrap();
        }
    });
    let page = app.get(&format!("{LIST}/{}", id.0)).await;
    let (rows, foot) = data_table(&page.body);
    assert_eq!(rows.len(), 30);
    assert_eq!(
        rows[0].0,
        kwik_dashboard::web::format::day_iso(today - time::Duration::days(29))
    );
    assert_eq!(rows[29].0, kwik_dashboard::web::format::day_iso(today));
    let allowed: i64 = rows.iter().map(|r| r.1).sum();
    let denied: i64 = rows.iter().map(|r| r.2).sum();
    assert!(rows.iter().all(|r| r.1 + r.2 == r.3));
    assert_eq!(foot, (allowed, denied, allowed + denied));
    assert_eq!((allowed, denied), (40 * 52 + 18, 1 + 2 + 1 + 1 + 2));
    page.assert_contains(&format!(
        "{} API requests in the last 30 days: {} allowed, {} denied;",
        kwik_dashboard::web::format::count(allowed + denied),
        kwik_dashboard::web::format::count(allowed),
        denied
    ));
    // One bar segment per non-zero count, each with its day's numbers in a tooltip.
    assert_eq!(page.body.matches(r#"<rect class="allowed""#).count(), 6);
    assert_eq!(page.body.matches(r#"<rect class="denied""#).count(), 5);
}

#[actix_web::test]
async fn a_token_never_used_says_so_and_its_chart_is_empty() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let id = app.issue_token("Quiet", &["orders"], "read_only").await.id;
    app.get(&format!("{LIST}/{id}"))
        .await
        .assert_status(200)
        .assert_contains("Never: no request with these credentials has been allowed yet.")
        .assert_contains("No API requests in the last 30 days.")
        .assert_contains("None yet.")
        .assert_lacks(r#"<rect class="allowed""#);
}

#[actix_web::test]
async fn the_tables_names_link_to_their_detail_pages() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let id = app.issue_token("Linked", &["orders"], "read_only").await.id;
    app.get(LIST).await.assert_contains(&format!(
        r#"<td class="token-name"><a href="/developers/access-tokens/{id}">Linked</a></td>"#
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
