//! The replay store in Redis (`KWIK_REDIS_URL`), against the real Redis server of the machine
//! (`TEST_REDIS_URL`, default `redis://127.0.0.1:6379`): shared by every instance on either
//! backend, each signature kept until its window ends, and failing closed while Redis is away.

use std::rc::Rc;
use std::time::Duration;

use kwik_dashboard::domain::credentials::replay_store::REDIS_PREFIX;
use kwik_dashboard::domain::credentials::verify::sign;
use kwik_dashboard::infra::redis_set::RedisSet;

use crate::fleet::{
    GATEWAY, assert_code, assert_replays_refused_across, assert_signed_recovers, basic_whoami,
    signed_gateway, signed_whoami,
};
use crate::helpers::*;

/// The test Redis, or `None` (skipped) when none answers outside CI. In CI it must be there.
fn redis_url() -> Option<String> {
    let url = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let answers = redis::Client::open(url.as_str())
        .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(2)))
        .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
        .is_ok();
    match (answers, std::env::var("CI").is_ok()) {
        (true, _) => Some(url),
        (false, true) => panic!("no Redis answers at {url}; CI starts one (see .ci/run)"),
        (false, false) => {
            eprintln!("skipped: no Redis at {url} (set TEST_REDIS_URL)");
            None
        }
    }
}

/// Seconds until the replay key of `signature` expires in Redis (-2: no such key).
fn ttl_of(url: &str, signature: &str) -> i64 {
    let raw = hex::decode(signature).unwrap();
    let hash = <sha2::Sha256 as sha2::Digest>::digest(&raw);
    let mut conn = redis::Client::open(url).unwrap().get_connection().unwrap();
    redis::cmd("TTL")
        .arg(format!("{REDIS_PREFIX}{}", hex::encode(hash)))
        .query(&mut conn)
        .unwrap()
}

#[actix_web::test]
async fn a_signature_accepted_by_one_instance_is_refused_by_every_other_through_redis() {
    let Some(redis) = redis_url() else { return };
    let db = Rc::new(TestDb::new());
    let config = |c: &mut kwik_dashboard::Config| {
        c.gateway_token = Some(GATEWAY.into());
        c.redis_url = Some(redis.clone());
    };
    let a = spawn_app_on(db.clone(), config).await;
    let b = spawn_app_on(db.clone(), config).await;
    a.logged_in_admin("Acme", "ops@acme.test").await;
    let c = a.issue_token("Shop sync", &["payments"], "read_only").await;
    let ts = unix_now();

    let signature = sign(&c.secret, ts, "GET", "/api/v2/whoami", b"");
    assert_replays_refused_across(&a, &b, &c, ts).await;
    a.send(basic_whoami(&c)).await.assert_status(200);

    // Kept in Redis until the timestamp leaves the ±300 s window, then Redis forgets it.
    let ttl = ttl_of(&redis, &signature);
    assert!((295..=301).contains(&ttl), "expires in {ttl} s");
    a.get("/readyz")
        .await
        .assert_status(200)
        .assert_contains(r#""status":"ready""#)
        .assert_contains(r#""replay_store":"redis""#);
    if db.is_postgres() {
        let rows = a.db(|conn| {
            use diesel::prelude::*;
            use kwik_dashboard::db::schema::replay_signatures;
            replay_signatures::table
                .count()
                .get_result::<i64>(conn)
                .unwrap()
        });
        assert_eq!(rows, 0, "with Redis, the database keeps no signatures");
    }
}

#[actix_web::test]
async fn redis_away_refuses_signed_requests_keeps_basic_and_recovers_by_itself() {
    let Some(redis) = redis_url() else { return };
    let authority = redis.trim_start_matches("redis://");
    let authority = authority.split('/').next().unwrap().to_owned();
    let cable = Cable::to(authority.clone());
    let through = redis.replacen(&authority, &format!("127.0.0.1:{}", cable.port), 1);
    let db = Rc::new(TestDb::new());
    let app = spawn_app_on(db.clone(), |c| {
        c.gateway_token = Some(GATEWAY.into());
        c.redis_url = Some(through);
    })
    .await;
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let c = app
        .issue_token("Shop sync", &["payments"], "read_only")
        .await;
    let ts = unix_now();
    app.send(signed_whoami(&c, ts)).await.assert_status(200);

    cable.cut();
    for answer in [
        app.send(signed_whoami(&c, ts + 1)).await,
        app.send(signed_gateway(&c, ts + 2)).await,
    ] {
        assert_code(&answer, 503, "REPLAY_CHECK_UNAVAILABLE");
    }
    app.send(basic_whoami(&c)).await.assert_status(200);
    app.get("/readyz")
        .await
        .assert_status(200)
        .assert_contains(r#""status":"degraded""#)
        .assert_contains(r#""signed_requests":"refused""#);

    cable.restore();
    assert_signed_recovers(&app, &c, ts + 10).await;
    // What was refused during the cut was never recorded, and what was accepted before still is.
    assert_code(&app.send(signed_whoami(&c, ts)).await, 401, "REPLAYED");
    app.get("/readyz")
        .await
        .assert_contains(r#""status":"ready""#);
}

#[test]
fn one_pipeline_answers_each_key_in_order_and_a_repeat_is_not_a_first_use() {
    let Some(url) = redis_url() else { return };
    let set = RedisSet::new(&url, "kwik-test:first-uses:").unwrap();
    let a: [u8; 32] = kwik_dashboard::infra::random::random_bytes().unwrap();
    let b: [u8; 32] = kwik_dashboard::infra::random::random_bytes().unwrap();
    let expires = unix_now() + 60;
    let deadline = Duration::from_secs(2);
    let answers = set
        .first_uses(&[(a, expires), (b, expires), (a, expires)], deadline)
        .unwrap();
    assert_eq!(answers, [true, true, false]);
    assert_eq!(set.first_uses(&[(b, expires)], deadline).unwrap(), [false]);
    set.ping(deadline).unwrap();
    // Nothing listens here: an error, not an answer.
    let nowhere = RedisSet::new("redis://127.0.0.1:1", "kwik-test:").unwrap();
    assert!(nowhere.first_uses(&[(a, expires)], deadline).is_err());
}
