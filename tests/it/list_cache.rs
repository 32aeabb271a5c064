//! The token table's reuse of rendered pages (`web::token_list::cache`), and the lean session reads
//! behind every page: what is shown again must be what a fresh render would show.

use diesel::prelude::*;
use kwik_dashboard::db::models::{Merchant, Role};
use kwik_dashboard::db::schema::access_tokens;

use crate::helpers::*;

/// An Acme admin signed in on `app`, whose table shows their one token, “Ledger sync”, with the
/// admin's actions on it.
async fn admin_with_ledger_sync(app: &TestApp) {
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.issue_token("Ledger sync", &["payments"], "read_only")
        .await;
    app.get(LIST)
        .await
        .assert_contains("Actions for Ledger sync");
}

#[actix_web::test]
async fn viewing_pages_writes_nothing_to_the_session() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let stored = || {
        app.db(|c| {
            diesel::sql_query("SELECT state FROM sessions")
                .load::<State>(c)
                .unwrap()
        })
    };
    #[derive(QueryableByName, Debug, PartialEq)]
    struct State {
        #[diesel(sql_type = diesel::sql_types::Text)]
        state: String,
    }
    app.get(LIST).await.assert_status(200);
    let before = stored();
    for path in [LIST, "/developers/access-tokens/new", LIST] {
        let page = app.get(path).await;
        page.assert_status(200);
        // A changed session is written back and its cookie set again: neither happens for a view.
        assert_eq!(
            page.header("set-cookie"),
            None,
            "{path} rewrote the session"
        );
    }
    assert_eq!(stored(), before);
}

#[actix_web::test]
async fn a_change_made_anywhere_is_in_the_very_next_page() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.issue_token("Ledger sync", &["payments"], "read_only")
        .await;
    let version = || {
        app.db(|c| {
            Merchant::find_by_name(c, "Acme")
                .unwrap()
                .unwrap()
                .tokens_version
        })
    };
    app.get(LIST).await.assert_contains("Ledger sync");
    app.get(LIST).await.assert_contains("Ledger sync");
    let seen = version();

    // As the CLI or another instance would: straight in the database, nothing told this instance.
    app.db(|c| {
        diesel::update(access_tokens::table)
            .set(access_tokens::name.eq("Ledger export"))
            .execute(c)
            .unwrap()
    });
    assert!(version() > seen, "the trigger bumps the merchant's version");
    app.get(LIST)
        .await
        .assert_contains("Ledger export")
        .assert_lacks("Ledger sync");

    // A second instance on the same database sees its own and the first one's changes at once.
    let other = spawn_app_on(app.db.clone(), |_| {}).await;
    other.set_session_cookie(app.session_cookie());
    other.get(LIST).await.assert_contains("Ledger export");
    app.db(|c| {
        diesel::delete(access_tokens::table).execute(c).unwrap();
    });
    other
        .get(LIST)
        .await
        .assert_contains("No access tokens yet")
        .assert_lacks("Ledger export");
    app.get(LIST).await.assert_contains("No access tokens yet");
}

#[actix_web::test]
async fn a_viewer_never_gets_the_rows_rendered_for_an_admin() {
    let app = spawn_app().await;
    admin_with_ledger_sync(&app).await;
    app.add_user("viewer@acme.test", Some("Acme"), Role::Viewer);
    let viewer = app.client_for("viewer@acme.test").await;
    viewer
        .get(LIST)
        .await
        .assert_contains("Ledger sync")
        .assert_lacks("Actions for")
        .assert_lacks("Disable Ledger sync");
}

#[actix_web::test]
async fn the_user_read_with_the_session_is_fresh_every_request_and_never_stored() {
    use kwik_dashboard::db::schema::{sessions, users};
    let app = spawn_app().await;
    admin_with_ledger_sync(&app).await;
    // The create above set a flash (a session write): what was stored holds no user record.
    let stored: Vec<String> = app.db(|c| sessions::table.select(sessions::state).load(c).unwrap());
    assert!(!stored.is_empty());
    for state in &stored {
        assert!(
            !state.contains("_signed_in") && !state.contains("argon2"),
            "{state}"
        );
    }
    // A role changed behind the app's back shows in the very next request.
    app.db(|c| {
        diesel::update(users::table)
            .set(users::role.eq(Role::Viewer))
            .execute(c)
            .unwrap()
    });
    app.get(LIST)
        .await
        .assert_contains("Ledger sync")
        .assert_lacks("Actions for");
    // And a user disabled behind its back is signed out at once.
    app.db(|c| {
        diesel::update(users::table)
            .set(users::disabled.eq(true))
            .execute(c)
            .unwrap()
    });
    app.get(LIST).await.assert_redirect_to("/login?disabled=1");
}

#[actix_web::test]
async fn the_user_signed_in_is_the_one_in_the_session_state_even_if_its_column_disagrees() {
    use kwik_dashboard::db::schema::sessions;
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.get(LIST).await.assert_contains("id=\"create-token\"");
    // The session is read with its user in one joined statement, on the row's user id. The state's
    // user id is what signed in; should the two ever disagree, the state's user is read instead.
    app.db(|c| {
        diesel::update(sessions::table)
            .set(sessions::user_id.eq(None::<i64>))
            .execute(c)
            .unwrap()
    });
    app.get(LIST)
        .await
        .assert_status(200)
        .assert_contains("ops@acme.test")
        .assert_contains("id=\"create-token\"");
}

#[actix_web::test]
async fn the_table_behind_a_reveal_is_the_page_the_reader_was_on_not_every_token() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.db(|c| {
        kwik_dashboard::cli::seed::seed(c, &app.state.keyring, Some("Acme"), 1, 70, |_| {}, None)
            .unwrap()
    });
    let rows = |body: &str| body.matches("<tr id=\"token-").count();
    app.get(LIST).await.assert_status(200);
    let form = app.get_htmx(&format!("{LIST}/new")).await;
    let id = form.submission_id();
    let token = app.csrf_token();
    let created = app
        .post_raw(
            LIST,
            &[
                ("name", "Ledger sync"),
                ("sections", "payments"),
                ("permission", "read_only"),
                ("submission_id", &id),
            ],
            &[
                ("Origin", ORIGIN),
                ("HX-Request", "true"),
                ("X-CSRF-Token", &token),
                (
                    "HX-Current-URL",
                    "http://localhost/developers/access-tokens?sort=name&page=2",
                ),
            ],
        )
        .await;
    created.assert_status(200).assert_contains("data-reveal");
    // 71 tokens by name: page 2 holds the last 21, with the pager, never all 71.
    assert_eq!(rows(&created.body), 21, "{}", created.body);
    created
        .assert_contains("Showing 51–71 of 71")
        .assert_contains("by name, A to Z");

    // Without a list address (the reveal opened elsewhere), the first page.
    let form = app.get_htmx(&format!("{LIST}/new")).await;
    let id = form.submission_id();
    let created = app
        .post_htmx(
            LIST,
            &[
                ("name", "Stock feed"),
                ("sections", "orders"),
                ("permission", "read_only"),
                ("submission_id", &id),
            ],
        )
        .await;
    created.assert_status(200);
    assert_eq!(rows(&created.body), 50);
    created.assert_contains("Showing 1–50 of 72");
}

#[actix_web::test]
async fn a_reused_page_goes_out_gzipped_whole_and_with_its_secrets_never_compressed() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    for name in ["Ledger sync", "Payroll batch", "Refunds"] {
        app.create_token(name, &["payments"], "read_only")
            .await
            .assert_status(200);
    }
    let search = format!("{LIST}?q=Ledger");
    for (path, htmx) in [(LIST, false), (LIST, true), (search.as_str(), false)] {
        let plain = app.get(path).await;
        plain.assert_status(200);
        assert_eq!(plain.header("content-encoding"), None);
        let vary = plain.header("vary").unwrap_or_default();
        assert!(vary.contains("Accept-Encoding"), "{vary}");

        // The page's rows are now cached: they are compressed, once, and the page is sent gzipped.
        let first = app.get_gzip(path, htmx).await;
        let zipped = app.get_gzip(path, htmx).await;
        for answer in [&first, &zipped] {
            answer.assert_status(200);
            assert_eq!(answer.header("content-encoding"), Some("gzip"), "{path}");
        }
        let expected = if htmx {
            app.get_htmx(path).await
        } else {
            plain
        };
        // The helper decodes the member and checks its CRC and length: the same page, byte for byte.
        assert_eq!(zipped.body, expected.body, "{path} (htmx: {htmx})");
        assert!(zipped.raw_len < expected.body.len(), "{path}");
        assert!(!zipped.body.contains("<!--rows"));

        // The CSRF token and the echoed search text are stored verbatim, in no compression context
        // (BREACH); only the rows are compressed, so their text is not there as it is.
        let wire = String::from_utf8_lossy(&zipped.raw);
        if !htmx {
            assert!(
                wire.contains(&app.csrf_token()),
                "{path}: CSRF token compressed"
            );
        }
        if path.contains("q=") {
            assert!(wire.contains("value=\"Ledger\""), "search text compressed");
        } else {
            assert!(expected.body.contains("Payroll batch"));
            assert!(!wire.contains("Payroll batch"), "rows not compressed");
        }
    }
}

#[actix_web::test]
async fn a_page_read_afresh_or_refused_gzip_goes_out_as_it_is() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    app.issue_token("Ledger sync", &["payments"], "read_only")
        .await;
    // The first view of a page renders its rows: compressing them then would cost more than it saves.
    let fresh = app.get_gzip(&format!("{LIST}?status=live"), false).await;
    fresh.assert_status(200).assert_contains("Ledger sync");
    assert_eq!(fresh.header("content-encoding"), None);
    for refusal in ["identity", "gzip;q=0, br", "br, zstd"] {
        app.get(LIST).await.assert_status(200);
        let answer = app
            .send(
                actix_web::test::TestRequest::get()
                    .uri(LIST)
                    .insert_header(("Accept-Encoding", refusal)),
            )
            .await;
        answer.assert_status(200).assert_contains("Ledger sync");
        assert_eq!(answer.header("content-encoding"), None, "{refusal}");
    }
    // The empty state has no rows to compress.
    let empty = spawn_app().await;
    empty.logged_in_admin("Empty", "ops@empty.test").await;
    for _ in 0..2 {
        let page = empty.get_gzip(LIST, false).await;
        page.assert_status(200);
        assert_eq!(page.header("content-encoding"), None);
    }
}
