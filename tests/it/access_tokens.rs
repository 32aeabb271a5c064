use diesel::prelude::*;
use kwik_dashboard::db::models::Role;
use kwik_dashboard::db::schema::access_tokens;
use kwik_dashboard::domain::credentials::{self, TokenStatus};

use crate::helpers::*;

#[actix_web::test]
async fn a_new_merchant_sees_the_empty_state_with_create() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.get(LIST)
        .await
        .assert_status(200)
        .assert_no_store()
        .assert_contains("No access tokens yet")
        .assert_contains("Access Tokens allow developers to securely access the Kwik API")
        .assert_contains(r#"href="/developers/access-tokens/new""#)
        .assert_contains(r#"aria-current="page""#);
}

#[actix_web::test]
async fn creating_a_token_reveals_three_well_formed_credentials_once() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let reveal = app
        .create_token(
            "Shopify sync",
            &["payments", "orders", "customers"],
            "read_write",
        )
        .await;
    reveal
        .assert_status(200)
        .assert_no_store()
        .assert_contains(
            "These credentials are only displayed once. Store them securely before continuing.",
        )
        .assert_contains("I have stored these credentials");
    let key = reveal.credential("api_key");
    let secret = reveal.credential("api_secret");
    let public = reveal.credential("public_key");
    assert!(
        regex::Regex::new(r"^kwik_ak_[0-9A-Za-z]{32}$")
            .unwrap()
            .is_match(&key),
        "{key}"
    );
    assert!(
        regex::Regex::new(r"^kwik_sk_[0-9A-Za-z]{46}$")
            .unwrap()
            .is_match(&secret),
        "{secret}"
    );
    assert!(
        regex::Regex::new(r"^kwik_pk_[0-9A-Za-z]{32}$")
            .unwrap()
            .is_match(&public),
        "{public}"
    );
    assert!(credentials::has_valid_checksum(&secret));

    let stored = app.all_tokens();
    assert_eq!(stored.len(), 1);
    let token = &stored[0];
    assert_eq!(token.name, "Shopify sync");
    assert_eq!(token.sections, "customers,payments,orders");
    assert_eq!(token.permission, credentials::Permission::ReadWrite);
    assert_eq!(token.status, TokenStatus::Live);
    assert_eq!(token.key_hash, credentials::sha256(&key).to_vec());
    assert_eq!(token.secret_hash, credentials::sha256(&secret).to_vec());
    assert_eq!(token.public_key, public);
}

#[actix_web::test]
async fn after_create_no_page_and_no_database_row_holds_the_key_or_secret() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let Credentials {
        id, key, secret, ..
    } = app
        .issue_token("Xero export", &["transactions"], "read_only")
        .await;

    for path in [
        LIST.to_owned(),
        format!("{LIST}/new"),
        format!("{LIST}/{id}/status?status=disabled"),
        "/".to_owned(),
        "/login".to_owned(),
    ] {
        let page = app.get(&path).await;
        page.assert_lacks(&key).assert_lacks(&secret);
    }
    let table = app.get(LIST).await;
    table.assert_contains(&format!("{}…{}", &key[..12], &key[key.len() - 4..]));
    table
        .assert_contains("Xero export")
        .assert_contains("Read-Only")
        .assert_contains("Transactions");

    // Not in any column, nor anywhere in the database files.
    let rows = app.all_tokens();
    let dump = format!("{rows:?}");
    assert!(!dump.contains(&key) && !dump.contains(&secret));
    let everything = app.database_text();
    assert!(
        everything.contains("Xero export"),
        "the dump must cover the token rows"
    );
    assert!(!everything.contains(&key), "API_KEY stored in plain text");
    assert!(
        !everything.contains(&secret),
        "API_SECRET stored in plain text"
    );
    assert!(
        !everything.contains(&key[8..]),
        "API_KEY body stored in plain text"
    );
}

#[actix_web::test]
async fn a_resubmitted_form_never_creates_a_second_token() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let form = app.get(&format!("{LIST}/new")).await;
    let id = form.submission_id();
    let fields = [
        ("name", "Once"),
        ("sections", "orders"),
        ("submission_id", id.as_str()),
    ];
    let first = app.post(LIST, &fields).await;
    first.assert_status(200);
    let again = app.post(LIST, &fields).await;
    again
        .assert_redirect_to(LIST)
        .assert_lacks(&first.credential("api_secret"));
    assert_eq!(app.all_tokens().len(), 1);
    app.get(LIST)
        .await
        .assert_contains("That form was already used");
}

#[actix_web::test]
async fn a_missing_name_is_explained_next_to_the_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.create_token("   ", &["payments", "orders"], "read_write")
        .await
        .assert_status(422)
        .assert_contains(r#"id="name-error""#)
        .assert_contains("Enter a name")
        .assert_contains("Nothing was created")
        // the input is kept
        .assert_contains(r#"value="payments" checked"#)
        .assert_contains(r#"value="read_write" checked"#);
    assert!(app.all_tokens().is_empty());
}

#[actix_web::test]
async fn no_sections_is_an_error() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.create_token("Keeps name", &[], "read_only")
        .await
        .assert_status(422)
        .assert_contains(r#"id="sections-error""#)
        .assert_contains("Choose at least one section")
        .assert_contains(r#"value="Keeps name""#);
    assert!(app.all_tokens().is_empty());
}

#[actix_web::test]
async fn an_unknown_section_is_an_error_not_silently_dropped() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.create_token("Sneaky", &["payments", "admin_panel"], "read_only")
        .await
        .assert_status(422)
        .assert_contains("“admin_panel” is not a Kwik section");
    assert!(app.all_tokens().is_empty());
}

#[actix_web::test]
async fn an_overlong_name_is_an_error() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.create_token(&"n".repeat(101), &["payments"], "read_only")
        .await
        .assert_status(422)
        .assert_contains("Use at most 100 characters; this name has 101.");
    assert!(app.all_tokens().is_empty());
}

#[actix_web::test]
async fn a_name_another_token_has_is_refused_ignoring_case_in_create_and_edit() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.issue_token("Shopify sync", &["payments"], "read_only")
        .await;
    app.create_token("  SHOPIFY Sync ", &["orders"], "read_write")
        .await
        .assert_status(422)
        .assert_contains(r#"id="name-error""#)
        .assert_contains("Another token is already called “SHOPIFY Sync”")
        .assert_contains("Nothing was created")
        .assert_contains(r#"value="orders" checked"#);
    assert_eq!(app.all_tokens().len(), 1);

    // Renaming another token to it is refused the same way; its own name, in another case, is fine.
    let other = app.issue_token("Xero", &["payments"], "read_only").await;
    let edit = format!("{LIST}/{}/edit", other.id);
    let fields = |name: &'static str| {
        vec![
            ("name", name),
            ("sections", "payments"),
            ("permission", "read_only"),
            ("status", "live"),
            ("expiry", "never"),
        ]
    };
    app.post(&edit, &fields("shopify sync"))
        .await
        .assert_status(422)
        .assert_contains("Another token is already called “shopify sync”")
        .assert_contains("Nothing was saved");
    app.post(&edit, &fields("XERO")).await.assert_status(303);

    // A deleted token's name is free again.
    let first = app
        .all_tokens()
        .into_iter()
        .find(|t| t.name == "Shopify sync")
        .unwrap();
    app.post(
        &format!("{LIST}/{}/delete", first.id.0),
        &[("confirm_name", "Shopify sync")],
    )
    .await
    .assert_redirect_to(LIST);
    app.issue_token("shopify SYNC", &["payments"], "read_only")
        .await;
    assert_eq!(app.all_tokens().len(), 3);
}

/// On SQLite too, whose unique index folds ASCII only: "école pos" is "École POS" in another case.
#[actix_web::test]
async fn a_name_is_compared_ignoring_case_in_every_script() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.issue_token("École POS", &["payments"], "read_only")
        .await;
    app.create_token("école pos", &["orders"], "read_only")
        .await
        .assert_status(422)
        .assert_contains("Another token is already called “école pos”");
    let other = app.issue_token("Ωmega", &["payments"], "read_only").await;
    app.post(
        &format!("{LIST}/{}/edit", other.id),
        &[
            ("name", "ÉCOLE POS"),
            ("sections", "payments"),
            ("permission", "read_only"),
            ("status", "live"),
            ("expiry", "never"),
        ],
    )
    .await
    .assert_status(422)
    .assert_contains("Nothing was saved");
    assert_eq!(app.all_tokens().len(), 2);
}

#[actix_web::test]
async fn the_name_field_stops_where_the_server_does_and_says_so() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let limit = kwik_dashboard::domain::tokens::NAME_MAX;
    app.get(&format!("{LIST}/new"))
        .await
        .assert_contains(&format!(r#"maxlength="{limit}""#))
        .assert_contains(&format!("Up to {limit} characters."));
    // A name of exactly the limit is accepted.
    app.create_token(&"n".repeat(limit), &["payments"], "read_only")
        .await
        .assert_status(200);
}

#[actix_web::test]
async fn an_unknown_permission_or_status_is_an_error() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.get(LIST).await;
    app.post(
        LIST,
        &[
            ("name", "x"),
            ("sections", "orders"),
            ("permission", "admin"),
            ("status", "paused"),
        ],
    )
    .await
    .assert_status(422)
    .assert_contains("Choose Read-Only or Read-Write.")
    .assert_contains("Choose Live or Disabled.");
    assert!(app.all_tokens().is_empty());
}

#[actix_web::test]
async fn the_form_defaults_to_read_only_and_live_and_carries_the_help_texts() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let form = app.get(&format!("{LIST}/new")).await;
    form.assert_status(200)
        .assert_contains(r#"value="read_only" checked"#)
        .assert_contains(r#"value="live" checked"#)
        .assert_contains("Friendly name used to identify the integration.")
        .assert_contains("Areas of the platform the token may access.")
        .assert_contains("Read-only or read-write access.")
        .assert_contains("Whether the token is active or disabled.")
        .assert_contains("<legend>Sections</legend>")
        .assert_contains("Least privilege");
    for label in [
        "Customers",
        "Customer Bank Accounts",
        "Customer Cards",
        "Customer Mandates",
        "Payments",
        "Transactions",
        "Recipients",
        "Payouts",
        "Checkout Page",
        "Orders",
    ] {
        form.assert_contains(&format!("> {label}</label>"));
    }
    // Without htmx it is a full page; with htmx, the dialog's fragment.
    form.assert_contains("<html");
    app.get_htmx(&format!("{LIST}/new"))
        .await
        .assert_lacks("<html")
        .assert_contains(r#"id="modal-title""#);
}

#[actix_web::test]
async fn htmx_create_returns_the_reveal_and_the_refreshed_table() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    // The empty list has no search, only the place where it will go.
    app.get(LIST)
        .await
        .assert_contains(r#"<div id="token-filters">"#)
        .assert_lacks(r#"role="search""#);
    let answer = app
        .post_htmx(LIST, &[("name", "Dialog"), ("sections", "orders")])
        .await;
    answer
        .assert_status(200)
        .assert_no_store()
        .assert_lacks("<html")
        .assert_contains(r#"data-credential="api_secret""#)
        .assert_contains(r#"<section id="tokens-panel" class="panel" aria-label="Your access tokens" data-hx-swap-oob="true">"#)
        // With the first token, the search and filters arrive too, without a reload.
        .assert_contains(r#"<div id="token-filters" data-hx-swap-oob="true">"#)
        .assert_contains(r#"role="search""#);
    let invalid = app
        .post_htmx(LIST, &[("name", ""), ("sections", "orders")])
        .await;
    invalid
        .assert_status(422)
        .assert_lacks("<html")
        .assert_contains("Enter a name");
}

#[actix_web::test]
async fn the_table_is_newest_first_with_chips_and_more() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.create_token("Older", &["orders"], "read_only")
        .await
        .assert_status(200);
    app.create_token(
        "Newer",
        &[
            "customers",
            "customer_cards",
            "payments",
            "payouts",
            "orders",
        ],
        "read_write",
    )
    .await
    .assert_status(200);
    let table = app.get(LIST).await;
    let older = table.body.find("Older").unwrap();
    let newer = table.body.find("Newer").unwrap();
    assert!(newer < older, "newest first");
    table
        .assert_contains(r#"<span aria-hidden="true">+3</span><span class="visually-hidden">Payments, Payouts, Orders</span>"#)
        .assert_contains("Read-Write")
        .assert_contains("badge live");
    // Kwik's six columns, in Kwik's order, then Expires, Last used, Requests and the row menu.
    let columns: Vec<&str> = regex::Regex::new(
        r#"<th scope="col"[^>]*>(?:<a class="sort-link" [^>]*>|<span class="visually-hidden">)?([^<]+)<"#,
    )
        .unwrap()
        .captures_iter(&table.body)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    assert_eq!(
        columns,
        [
            "Created",
            "Name",
            "Key",
            "Status",
            "Permissions",
            "Sections",
            "Expires",
            "Last used",
            "Requests ",
            "Actions"
        ]
    );
    table.assert_contains("Never");
    // Dates in South African time, the full time in a title.
    table.assert_contains("SAST\">");
}

#[actix_web::test]
async fn disable_then_enable_round_trips_with_flash_messages() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let id = app
        .issue_token("Round trip", &["orders"], "read_only")
        .await
        .id;
    let status_path = format!("{LIST}/{id}/status");

    app.get(&format!("{status_path}?status=disabled"))
        .await
        .assert_status(200)
        .assert_contains("Disable “Round trip”?")
        .assert_contains(r#"name="status" value="disabled""#);
    app.post(&status_path, &[("status", "disabled")])
        .await
        .assert_redirect_to(LIST);
    assert_eq!(app.all_tokens()[0].status, TokenStatus::Disabled);
    app.get(LIST)
        .await
        .assert_contains("badge disabled")
        .assert_contains("“Round trip” is disabled")
        // The row's menu (built in the page) offers Enable.
        .assert_contains(r#"aria-label="Actions for Round trip" data-status="disabled""#);

    app.post(&status_path, &[("status", "live")])
        .await
        .assert_redirect_to(LIST);
    assert_eq!(app.all_tokens()[0].status, TokenStatus::Live);
    app.get(LIST)
        .await
        .assert_contains("badge live")
        .assert_contains("is live again");
}

#[actix_web::test]
async fn htmx_status_change_swaps_the_row_and_announces_it() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let id = app
        .issue_token("Row swap", &["orders"], "read_only")
        .await
        .id;
    app.get(LIST).await;
    let answer = app
        .post_htmx(&format!("{LIST}/{id}/status"), &[("status", "disabled")])
        .await;
    answer
        .assert_status(200)
        .assert_contains(&format!(r#"<tr id="token-{id}">"#))
        .assert_contains("badge disabled")
        .assert_lacks("<html");
    let trigger = answer.header("hx-trigger").unwrap();
    assert!(
        trigger.contains("kwik:flash") && trigger.contains("\\u201cRow swap\\u201d"),
        "{trigger}"
    );
}

#[actix_web::test]
async fn another_merchants_token_is_not_found_for_get_and_post() {
    let app = spawn_app().await;
    let theirs = app.other_merchants_token().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.get(&format!("{LIST}/{theirs}/status?status=disabled"))
        .await
        .assert_status(404);
    app.get(LIST).await;
    app.post(
        &format!("{LIST}/{theirs}/status"),
        &[("status", "disabled")],
    )
    .await
    .assert_status(404);
    app.post_htmx(
        &format!("{LIST}/{theirs}/status"),
        &[("status", "disabled")],
    )
    .await
    .assert_status(404);
    assert_eq!(app.all_tokens()[0].status, TokenStatus::Live);
    app.get(LIST).await.assert_lacks("Theirs");
    app.get(&format!("{LIST}/not-a-number/status"))
        .await
        .assert_status(404);
}

#[actix_web::test]
async fn a_viewer_sees_the_table_but_cannot_change_anything() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let id = app.issue_token("Shared", &["orders"], "read_only").await.id;
    app.add_user("viewer@acme.test", Some("Acme"), Role::Viewer);
    let viewer = app.client_for("viewer@acme.test").await;
    let table = viewer.get(LIST).await;
    table
        .assert_status(200)
        .assert_contains("Shared")
        .assert_lacks(">Disable</a>")
        .assert_lacks("/developers/access-tokens/new");
    viewer.get(&format!("{LIST}/new")).await.assert_status(403);
    viewer
        .post(LIST, &[("name", "x"), ("sections", "orders")])
        .await
        .assert_status(403);
    viewer
        .post(&format!("{LIST}/{id}/status"), &[("status", "disabled")])
        .await
        .assert_status(403);
    assert_eq!(app.all_tokens().len(), 1);
    assert_eq!(app.all_tokens()[0].status, TokenStatus::Live);
}

#[actix_web::test]
async fn token_names_are_escaped_everywhere() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.create_token("<script>alert(1)</script>", &["orders"], "read_only")
        .await
        .assert_lacks("<script>alert(1)");
    app.get(LIST)
        .await
        .assert_lacks("<script>alert(1)")
        .assert_contains("&#60;script&#62;");
}

#[actix_web::test]
async fn a_database_check_rejects_bad_rows_even_if_code_forgets() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.create_token("Valid", &["orders"], "read_only").await;
    let bad = app.db(|c| {
        diesel::update(access_tokens::table)
            .set(access_tokens::status.eq("paused"))
            .execute(c)
    });
    assert!(
        bad.is_err(),
        "the CHECK constraint must refuse an unknown status"
    );
}
