//! A token's detail page: what it shows (never a credential), and the usage chart's numbers and
//! reasons for refusal, made by real verifications through `GET /api/v2/whoami`.

use kwik_dashboard::db::models::AccessToken;
use kwik_dashboard::infra::sa_time::day_of as sa_day;

use crate::helpers::*;

/// One row of the chart's data table: ISO day, allowed, denied, total (rate-limited requests are
/// in the total; these tests make none, and `rate_limit.rs` counts them).
type DayRow = (String, i64, i64, i64);

/// The cells of the chart's data table: a row per day, and the foot's (allowed, denied, total).
fn data_table(body: &str) -> (Vec<DayRow>, (i64, i64, i64)) {
    let number = |s: &str| s.replace(',', "").parse::<i64>().unwrap();
    let row = regex::Regex::new(
        r#"<tr><th scope="row"><time datetime="([0-9-]+)">[^<]*</time></th><td>([\d,]+)</td><td>([\d,]+)</td><td class="codes">[^<]*</td><td>[\d,]+</td><td>([\d,]+)</td></tr>"#,
    )
    .unwrap();
    let rows = row
        .captures_iter(body)
        .map(|c| (c[1].to_owned(), number(&c[2]), number(&c[3]), number(&c[4])))
        .collect();
    let foot = regex::Regex::new(
        r#"<tfoot><tr><th scope="row">Last 30 days</th><td>([\d,]+)</td><td>([\d,]+)</td><td></td><td>[\d,]+</td><td>([\d,]+)</td></tr></tfoot>"#,
    )
    .unwrap()
    .captures(body)
    .map(|c| (number(&c[1]), number(&c[2]), number(&c[3])))
    .expect("a table foot with the totals");
    (rows, foot)
}

/// A row of the table of reasons for refusal.
fn reason_row(label: &str, code: &str, requests: &str, share: &str) -> String {
    format!(
        r#"<tr><th scope="row">{label}</th><td><code>{code}</code></td><td>{requests}</td><td>{share}</td></tr>"#
    )
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
        assert_eq!(app.whoami_from(ip, &key, &secret, "").await, 200);
    }
    assert_eq!(
        app.whoami_from("198.51.100.3", &key, &other_secret, "")
            .await,
        401
    );
    assert_eq!(
        app.whoami_from("198.51.100.3", &key, &secret, "?section=customers")
            .await,
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
        .assert_contains(r#"role="img" aria-labelledby="chart-title chart-desc""#)
        // Why: today's two refusals by code, and the four counted before codes were kept.
        .assert_contains(&reason_row("Wrong secret or signature", "INVALID_CREDENTIALS", "1", "17 %"))
        .assert_contains(&reason_row("Section not allowed", "SECTION_NOT_ALLOWED", "1", "17 %"))
        .assert_contains(
            r#"<tr><th scope="row">Reason not recorded</th><td><span class="muted">none kept</span></td><td>4</td><td>67 %</td></tr>"#,
        )
        .assert_contains(r#"<td class="codes">1 INVALID_CREDENTIALS, 1 SECTION_NOT_ALLOWED</td>"#);
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
async fn refusals_are_broken_down_by_the_code_the_api_answered() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let c = app
        .token_with(&[
            ("name", "Office"),
            ("sections", "orders"),
            ("ip_allowlist", "198.51.100.7"),
        ])
        .await;
    let office = "198.51.100.7";
    assert_eq!(app.whoami_from(office, &c.key, &c.secret, "").await, 200);
    for _ in 0..3 {
        assert_eq!(
            app.whoami_from("203.0.113.99", &c.key, &c.secret, "").await,
            403
        );
    }
    let wrong = app
        .issue_token("Other", &["orders"], "read_only")
        .await
        .secret;
    assert_eq!(app.whoami_from(office, &c.key, &wrong, "").await, 401);
    app.set_token_status(c.id, "disabled").await;
    for _ in 0..2 {
        assert_eq!(app.whoami_from(office, &c.key, &c.secret, "").await, 401);
    }
    // An unknown section is the request's mistake, answered 400 before the token is judged.
    assert_eq!(
        app.whoami_from(office, &c.key, &c.secret, "?section=nope")
            .await,
        400
    );
    app.db(|conn| app.state.usage.flush(conn).unwrap());

    let page = app.get(&format!("{LIST}/{}", c.id)).await;
    page.assert_status(200)
        .assert_contains("7 API requests in the last 30 days: 1 allowed, 6 denied;")
        .assert_contains(&reason_row(
            "IP address not allowed",
            "IP_NOT_ALLOWED",
            "3",
            "50 %",
        ))
        .assert_contains(&reason_row("Token disabled", "DISABLED", "2", "33 %"))
        .assert_contains(&reason_row(
            "Wrong secret or signature",
            "INVALID_CREDENTIALS",
            "1",
            "17 %",
        ))
        .assert_contains(
            r#"<td class="codes">3 IP_NOT_ALLOWED, 2 DISABLED, 1 INVALID_CREDENTIALS</td>"#,
        )
        .assert_contains("6 denied (3 IP_NOT_ALLOWED, 2 DISABLED, 1 INVALID_CREDENTIALS)")
        .assert_lacks("Reason not recorded")
        .assert_lacks("UNKNOWN_SECTION");
    // Busiest first.
    let at = |needle: &str| page.body.find(needle).unwrap();
    assert!(at("<code>IP_NOT_ALLOWED</code>") < at("<code>DISABLED</code>"));
    assert!(at("<code>DISABLED</code>") < at("<code>INVALID_CREDENTIALS</code>"));
}

#[actix_web::test]
async fn a_token_without_refusals_has_no_table_of_reasons() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let c = app.issue_token("Calm", &["orders"], "read_only").await;
    assert_eq!(
        app.whoami_from("198.51.100.1", &c.key, &c.secret, "").await,
        200
    );
    app.db(|conn| app.state.usage.flush(conn).unwrap());
    app.get(&format!("{LIST}/{}", c.id))
        .await
        .assert_contains("1 API request in the last 30 days: 1 allowed, 0 denied;")
        .assert_lacks("Why requests were refused");
}
