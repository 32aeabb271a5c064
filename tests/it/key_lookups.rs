//! Keys the verification cache has not seen are looked up together: each request still gets its
//! own token (or none), whatever else shared its statement.

use std::time::Duration;

use actix_web::test::TestRequest;
use kwik_dashboard::domain::credentials::sha256;
use kwik_dashboard::domain::credentials::verify::find_by_key_hashes;

use crate::helpers::*;

#[actix_web::test]
async fn hashes_looked_up_together_each_get_their_own_token_a_rolled_key_included() {
    let app = spawn_app().await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let kept = app.issue_token("Kept", &["orders"], "read_only").await;
    let rolled = app.issue_token("Rolled", &["orders"], "read_only").await;
    app.get(&format!("{LIST}/{}/roll", rolled.id)).await;
    let answer = app
        .post(
            &format!("{LIST}/{}/roll", rolled.id),
            &[("window", "24h"), ("new_key", "1")],
        )
        .await;
    let new_key = answer.credential("api_key");
    let unknown = sha256("kwik_ak_nobody");
    let asked = [
        sha256(&kept.key),
        unknown,
        sha256(&rolled.key),
        sha256(&new_key),
        sha256(&kept.key),
    ];
    let found = app.db(|conn| find_by_key_hashes(conn, &asked).unwrap());
    let ids: Vec<Option<i64>> = found
        .iter()
        .map(|r| r.as_ref().map(|r| r.token.id.0))
        .collect();
    assert_eq!(
        ids,
        [
            Some(kept.id),
            None,
            Some(rolled.id),
            Some(rolled.id),
            Some(kept.id)
        ],
        "in the order asked, the old key of a roll finding its token"
    );
    assert_eq!(found[0].as_ref().unwrap().merchant_name, "Acme");
}

#[actix_web::test]
async fn many_requests_at_once_with_the_cache_off_each_get_their_own_answer() {
    let app = spawn_app_with(|c| c.token_cache_ttl = Duration::ZERO).await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let mut tokens = Vec::new();
    for n in 0..6 {
        tokens.push(
            app.issue_token(&format!("Token {n}"), &["orders"], "read_only")
                .await,
        );
    }
    app.set_token_status(tokens[5].id, "disabled").await;
    // 60 requests in flight together: they queue behind the lookup threads and go in batches.
    let app = &app;
    let requests = (0..60).map(|i| {
        let t = &tokens[i % tokens.len()];
        // Every seventh presents another token's secret: well formed, found, and wrong.
        let other = &tokens[(i + 1) % tokens.len()].secret;
        let secret = if i % 7 == 3 { other } else { &t.secret };
        let req = TestRequest::get()
            .uri("/api/v2/whoami")
            .insert_header(("Authorization", basic_auth(&t.key, secret)));
        async move { (i, app.send(req).await) }
    });
    for (i, answer) in futures_util::future::join_all(requests).await {
        let n = i % tokens.len();
        if i % 7 == 3 {
            answer
                .assert_status(401)
                .assert_contains(r#""INVALID_CREDENTIALS""#);
        } else if n == 5 {
            assert_ne!(answer.status.as_u16(), 200, "{}", answer.body);
            answer.assert_contains(r#""DISABLED""#);
        } else {
            answer
                .assert_status(200)
                .assert_contains(&format!(r#""name":"Token {n}""#));
        }
    }
}
