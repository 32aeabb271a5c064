//! The table a merchant can scan (#25): one line a row with one actions menu, the Expires column
//! with its filter and sort, and sorting by the column headers.

use diesel::prelude::*;
use kwik_dashboard::db::models::AccessToken;
use kwik_dashboard::db::schema::access_tokens;

use crate::helpers::*;

/// The names in the table, top to bottom.
fn names(answer: &Answer) -> Vec<String> {
    regex::Regex::new(r#"<td class="token-name"><a href="[^"]+" title="[^"]*">([^<]+)</a>"#)
        .unwrap()
        .captures_iter(&answer.body)
        .map(|c| c[1].to_owned())
        .collect()
}

/// Four tokens: one never expiring, one in 3 days, one in 90 days, one expired yesterday.
async fn four_expiries(app: &TestApp) {
    app.logged_in_admin("Acme", "ops@acme.test").await;
    for name in ["Forever", "Soon", "Later", "Gone"] {
        app.issue_token(name, &["payments"], "read_only").await;
    }
    let now = kwik_dashboard::db::now();
    for (name, at) in [
        (
            "Soon",
            now + time::Duration::days(3) + time::Duration::hours(1),
        ),
        (
            "Later",
            now + time::Duration::days(90) + time::Duration::hours(1),
        ),
        ("Gone", now - time::Duration::days(1)),
    ] {
        app.db(move |c| {
            diesel::update(access_tokens::table.filter(access_tokens::name.eq(name)))
                .set(access_tokens::expires_at.eq(Some(at)))
                .execute(c)
                .unwrap()
        });
    }
}

#[actix_web::test]
async fn the_expires_column_filters_and_sorts_with_never_as_the_latest() {
    let app = spawn_app().await;
    four_expiries(&app).await;
    let table = app.get(LIST).await;
    table
        .assert_contains(r#"<td class="expires never">Never</td>"#)
        .assert_contains(">in 90 days</span></td>")
        .assert_contains(r#"<td class="expires expired"><span title="#);
    assert_eq!(
        names(&app.get(&format!("{LIST}?expiry=never")).await),
        ["Forever"]
    );
    assert_eq!(
        names(&app.get(&format!("{LIST}?expiry=soon")).await),
        ["Soon"]
    );
    assert_eq!(
        names(&app.get(&format!("{LIST}?expiry=expired")).await),
        ["Gone"]
    );
    let soonest = app.get(&format!("{LIST}?sort=expires")).await;
    assert_eq!(names(&soonest), ["Gone", "Soon", "Later", "Forever"]);
    soonest.assert_contains("expiring soonest first");
    assert_eq!(
        names(&app.get(&format!("{LIST}?sort=expires&dir=desc")).await),
        ["Forever", "Later", "Soon", "Gone"]
    );
    // The filter keeps the order chosen by a header, and an unknown expiry is a notice.
    let filtered = app.get(&format!("{LIST}?expiry=soon&sort=expires")).await;
    filtered
        .assert_contains(r#"<option value="soon" selected>Within 30 days</option>"#)
        .assert_contains(r#"<input type="hidden" name="sort" value="expires">"#)
        .assert_contains(r#"<th scope="col" aria-sort="ascending">"#);
    app.get(&format!("{LIST}?expiry=someday"))
        .await
        .assert_contains("Unknown expiry “someday”: showing every expiry.");
}

#[actix_web::test]
async fn each_header_sorts_its_way_and_the_sorted_one_turns_round() {
    let app = spawn_app().await;
    four_expiries(&app).await;
    let table = app.get(LIST).await;
    // Newest first by default: Created is the sorted column, and its link turns it round.
    table
        .assert_contains(r#"<th scope="col" aria-sort="descending"><a class="sort-link" href="/developers/access-tokens?dir=asc">Created"#)
        .assert_contains(r#"href="/developers/access-tokens?sort=name">Name"#)
        .assert_contains(r#"href="/developers/access-tokens?sort=expires">Expires"#)
        .assert_contains(r#"href="/developers/access-tokens?sort=last_used">Last used"#);
    assert_eq!(table.body.matches("aria-sort=").count(), 1);
    assert_eq!(
        names(&app.get(&format!("{LIST}?sort=name")).await),
        ["Forever", "Gone", "Later", "Soon"]
    );
}

#[actix_web::test]
async fn a_row_is_one_line_with_two_stops_and_one_menu_that_ends_with_delete() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let token = app
        .issue_token(
            "Shopify sync",
            &["payments", "orders", "payouts", "customers"],
            "read_write",
        )
        .await;
    let table = app.get(LIST).await;
    let row = table
        .body
        .split(&format!(r#"<tr id="token-{}">"#, token.id))
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .expect("the token's row")
        .to_owned();
    // Two things to Tab to: the name and the menu button (the sections beyond two are text, not a
    // disclosure).
    let stops = regex::Regex::new(r"<a |<button|<summary|<input|<select")
        .unwrap()
        .find_iter(&row)
        .count();
    assert_eq!(stops, 2, "{row}");
    // Without JavaScript the button is a link to the token's page, which has every action; with it,
    // static/table.js builds the menu (Edit, Roll secret, Disable, Delete: the browser suite) from
    // the link's address, name and status, so the row carries no copy of the four actions.
    assert!(row.contains(&format!(
        r##"<a class="row-menu-toggle" href="/developers/access-tokens/{}#actions" aria-label="Actions for Shopify sync" data-status="live">"##,
        token.id
    )));
    assert!(!row.contains("menuitem"), "{row}");
    // No note stacks under the badge.
    assert!(!row.contains("row-actions") && !row.contains("<p"), "{row}");
    // A viewer's row has no menu at all.
    app.add_user(
        "viewer@acme.test",
        Some("Acme"),
        kwik_dashboard::db::models::Role::Viewer,
    );
    let viewer = app.client();
    viewer.login("viewer@acme.test", PASSWORD).await;
    viewer.get(LIST).await.assert_lacks("row-menu");
}

#[actix_web::test]
async fn the_page_size_is_chosen_from_the_pager_above_and_below_the_table() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    for i in 0..30 {
        app.issue_token(&format!("Token {i:02}"), &["payments"], "read_only")
            .await;
    }
    let default = app.get(LIST).await;
    assert_eq!(names(&default).len(), 30);
    // Two pagers, each offering the sizes, 50 being the current one.
    assert_eq!(
        default.body.matches(r#"<nav class="pager pager-"#).count(),
        2
    );
    default
        .assert_contains(r#"<span class="page-size" aria-current="true">50</span>"#)
        .assert_contains(r#"<a class="page-size" href="/developers/access-tokens?per=25" aria-label="Show 25 a page""#);
    let small = app.get(&format!("{LIST}?sort=name&per=25")).await;
    assert_eq!(names(&small).len(), 25);
    small.assert_contains("Showing 1–25 of 30").assert_contains(
        r#"href="/developers/access-tokens?sort=name&#38;per=25&#38;page=2" rel="next""#,
    );
    let second = app.get(&format!("{LIST}?sort=name&per=25&page=2")).await;
    assert_eq!(
        names(&second),
        ["Token 25", "Token 26", "Token 27", "Token 28", "Token 29"]
    );
    // A size not offered is a notice, and 50 a page.
    let odd = app.get(&format!("{LIST}?per=7")).await;
    odd.assert_contains("Unknown page size “7”: showing 50 a page (25, 50 or 100).");
    assert_eq!(names(&odd).len(), 30);
}

#[actix_web::test]
async fn names_sort_in_natural_order_and_older_rows_get_their_key_at_start() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    for name in ["Integration 10", "Integration 2", "integration 1", "Ledger"] {
        app.issue_token(name, &["payments"], "read_only").await;
    }
    let natural = ["integration 1", "Integration 2", "Integration 10", "Ledger"];
    assert_eq!(names(&app.get(&format!("{LIST}?sort=name")).await), natural);
    let natural = [
        "integration 1",
        "Integration 2",
        "Integration 10",
        "Ledger 3",
    ];
    // An edit keeps the key in step with the name.
    let id: i64 = app.db(|c| {
        access_tokens::table
            .filter(access_tokens::name.eq("Ledger"))
            .select(access_tokens::id)
            .first(c)
            .unwrap()
    });
    app.get(&format!("{LIST}/{id}/edit")).await;
    app.post(
        &format!("{LIST}/{id}/edit"),
        &[("name", "Ledger 3"), ("sections", "payments")],
    )
    .await;
    let key: String = app.db(move |c| {
        access_tokens::table
            .find(id)
            .select(access_tokens::name_key)
            .first(c)
            .unwrap()
    });
    assert_eq!(key, format!("ledger {}3", "0".repeat(19)));
    // Rows written before the key existed have none; the start-up migration step gives them theirs.
    app.db(|c| {
        diesel::update(access_tokens::table)
            .set(access_tokens::name_key.eq(""))
            .execute(c)
            .unwrap();
        kwik_dashboard::db::migrate(c).unwrap();
    });
    assert_eq!(
        names(&app.get(&format!("{LIST}?sort=name&dir=asc")).await),
        natural
    );
    let keys: Vec<String> = app.db(|c| {
        access_tokens::table
            .select(access_tokens::name_key)
            .load(c)
            .unwrap()
    });
    assert!(keys.iter().all(|k| !k.is_empty()), "{keys:?}");
}

/// The row of token `id` in `body`.
fn row_of(body: &str, id: i64) -> String {
    body.split(&format!(r#"<tr id="token-{id}">"#))
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .expect("the token's row")
        .to_owned()
}

#[actix_web::test]
async fn each_row_counts_its_requests_of_the_last_30_days_and_a_swapped_row_keeps_it() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let busy = app.issue_token("Busy", &["orders"], "read_only").await;
    let quiet = app.issue_token("Quiet", &["orders"], "read_only").await;
    for _ in 0..3 {
        assert_eq!(
            app.whoami_from("198.51.100.1", &busy.key, &busy.secret, "")
                .await,
            200
        );
    }
    // A refusal is a request too.
    assert_eq!(
        app.whoami_from("198.51.100.1", &busy.key, &quiet.secret, "")
            .await,
        401
    );
    app.db(|c| app.state.usage.flush(c).unwrap());
    // Days in the window add up; a day before it does not count.
    let (first, _) = kwik_dashboard::domain::credentials::usage::window();
    let day = |back: i64| first + time::Duration::days(back);
    app.db(|c| {
        let usage = |allowed| kwik_dashboard::db::models::access_token::DayUsage {
            allowed,
            denied: 0,
            limited: 1,
        };
        let id = kwik_dashboard::db::models::TokenId(busy.id);
        AccessToken::add_daily_usage(c, id, day(0), &usage(1_195)).unwrap();
        AccessToken::add_daily_usage(c, id, day(-1), &usage(50_000)).unwrap();
    });
    let table = app.get(LIST).await;
    table.assert_contains(r#"Requests <span class="th-hint">30 days</span></th>"#);
    assert!(
        row_of(&table.body, busy.id).contains(r#"<td class="requests">1,200</td>"#),
        "{}",
        row_of(&table.body, busy.id)
    );
    assert!(row_of(&table.body, quiet.id).contains(r#"<td class="requests none">0</td>"#));

    // Disabling from the table swaps in a row with the same columns, the count included.
    let swapped = app
        .post_htmx(
            &format!("{LIST}/{}/status", busy.id),
            &[("status", "disabled"), ("from", "table")],
        )
        .await;
    swapped
        .assert_status(200)
        .assert_contains("badge disabled")
        .assert_contains(r#"<td class="requests">1,200</td>"#);
}
