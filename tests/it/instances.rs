//! Several instances on one database, and the query plans that must stay indexed.

use kwik_dashboard::domain::credentials::TokenStatus;

use crate::helpers::*;

#[actix_web::test]
async fn two_instances_share_sessions_tokens_and_logouts() {
    let a = spawn_app().await;
    let b = spawn_app_on(a.db.clone(), |_| {}).await;

    // A login on A gives a session that B accepts.
    a.logged_in_admin("Acme", "ops@acme.test").await;
    b.set_session_cookie(a.session_cookie());
    b.get(LIST)
        .await
        .assert_status(200)
        .assert_contains("ops@acme.test");

    // A token created and disabled through A is shown as Disabled by B on its next request.
    a.create_token("Shared", &["orders"], "read_only")
        .await
        .assert_status(200);
    let id = a.all_tokens()[0].id.0;
    b.get(LIST)
        .await
        .assert_contains("Shared")
        .assert_contains("badge live");
    a.get(LIST).await;
    a.post(&format!("{LIST}/{id}/status"), &[("status", "disabled")])
        .await
        .assert_redirect_to(LIST);
    b.get(LIST).await.assert_contains("badge disabled");
    assert_eq!(b.all_tokens()[0].status, TokenStatus::Disabled);

    // Logout on B revokes the session on A.
    b.post("/logout", &[])
        .await
        .assert_redirect_to("/login?signed_out=1");
    a.get(LIST).await.assert_redirect_to("/login");
}

#[actix_web::test]
async fn requests_of_one_session_in_flight_together_each_see_it_as_of_their_arrival() {
    let a = spawn_app().await;
    let b = spawn_app_on(a.db.clone(), |_| {}).await;
    a.logged_in_admin("Acme", "ops@acme.test").await;

    // Many at once on one session: each is answered (they may share a read) as its own user.
    let pages = futures_util::future::join_all((0..16).map(|_| a.get(LIST))).await;
    for page in pages {
        page.assert_status(200).assert_contains("ops@acme.test");
    }

    // Signed out on another instance: every request that comes after sees it, however many at once.
    b.set_session_cookie(a.session_cookie());
    b.get(LIST).await.assert_status(200);
    b.post("/logout", &[])
        .await
        .assert_redirect_to("/login?signed_out=1");
    let after = futures_util::future::join_all((0..16).map(|_| a.get(LIST))).await;
    for page in after {
        page.assert_redirect_to("/login");
    }
}

#[actix_web::test]
async fn readiness_reports_a_reachable_database() {
    let app = spawn_app().await;
    app.get("/readyz")
        .await
        .assert_status(200)
        .assert_contains("ready");
    app.get("/healthz").await.assert_status(200);
}

#[actix_web::test]
async fn list_and_key_lookup_are_index_scans_on_postgres() {
    use diesel::prelude::*;
    use kwik_dashboard::db::schema::access_tokens;

    let Some(app) = postgres_app_with_ten_thousand_tokens().await else {
        return;
    };
    app.db(|c| {
        let token = access_tokens::table
            .select(kwik_dashboard::db::models::AccessToken::as_select())
            .first(c)
            .unwrap();

        let list = access_tokens::table
            .filter(access_tokens::merchant_id.eq(token.merchant_id))
            .filter(access_tokens::deleted_at.is_null())
            .order((access_tokens::created_at.desc(), access_tokens::id.desc()))
            .select(kwik_dashboard::db::models::AccessToken::as_select());
        let list_sql = diesel::debug_query::<diesel::pg::Pg, _>(&list).to_string();
        let by_key =
            access_tokens::table.filter(access_tokens::key_hash.eq(token.key_hash.clone()));
        let key_sql = diesel::debug_query::<diesel::pg::Pg, _>(&by_key).to_string();

        for (what, sql, arg, index) in [
            (
                "list",
                list_sql,
                token.merchant_id.0.to_string(),
                "access_tokens_merchant_listed",
            ),
            (
                "key lookup",
                key_sql,
                format!("'\\x{}'::bytea", hex::encode(&token.key_hash)),
                "access_tokens_key_hash_key",
            ),
        ] {
            let sql = sql.split(" -- binds:").next().unwrap();
            let plan = prepared_plan(c, sql, &arg);
            assert!(
                !plan.contains("Seq Scan on access_tokens"),
                "{what} scans the table:\n{plan}"
            );
            assert!(plan.contains(index), "{what} does not use {index}:\n{plan}");
        }
    });
}
