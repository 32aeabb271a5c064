//! Shared data, and the tokens tests start from.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{Answer, TestApp, spawn_app};

/// The Access Tokens page: the table, and the address the create form posts to.
pub const LIST: &str = "/developers/access-tokens";

/// What the reveal of a new token showed once, and the token's id.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The token's id.
    pub id: i64,
    /// The API_KEY.
    pub key: String,
    /// The API_SECRET.
    pub secret: String,
    /// The PUBLIC_KEY.
    pub public: String,
}

impl Credentials {
    /// The `Authorization` header that presents this key and secret as Basic credentials.
    pub fn basic_auth(&self) -> String {
        basic_auth(&self.key, &self.secret)
    }
}

/// The `Authorization` header that presents `key` and `secret` as Basic credentials.
pub fn basic_auth(key: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{key}:{secret}")))
}

impl TestApp {
    /// Sets token `id`'s status (`live`, `disabled`) through the dashboard, as its signed-in admin
    /// does from the table.
    pub async fn set_token_status(&self, id: i64, status: &str) {
        self.get(LIST).await;
        self.post(&format!("{LIST}/{id}/status"), &[("status", status)])
            .await
            .assert_redirect_to(LIST);
    }

    /// Verifies `key:secret` once through `GET /api/v2/whoami{query}`, from `ip`; the status.
    pub async fn whoami_from(&self, ip: &str, key: &str, secret: &str, query: &str) -> u16 {
        self.set_peer(&format!("{ip}:5000"));
        let answer = self
            .send(
                actix_web::test::TestRequest::get()
                    .uri(&format!("/api/v2/whoami{query}"))
                    .insert_header(("Authorization", basic_auth(key, secret))),
            )
            .await;
        self.set_peer(super::PEER);
        answer.status.as_u16()
    }
}

/// Now in unix seconds, the clock the verifier is given.
pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// On Postgres, an app whose database holds 10,000 tokens of 200 merchants, analysed, as query
/// plans are checked against; on SQLite `None`, and the test says it is skipped.
pub async fn postgres_app_with_ten_thousand_tokens() -> Option<TestApp> {
    let app = spawn_app().await;
    if !app.db.is_postgres() {
        eprintln!("skipped: EXPLAIN plans are checked on Postgres (set TEST_DATABASE_URL)");
        return None;
    }
    let report = app.db(|c| {
        kwik_dashboard::cli::seed::seed(c, &app.state.keyring, None, 200, 50, |_| {}, None).unwrap()
    });
    assert_eq!(report.tokens, 10_000);
    app.db(|c| {
        let kwik_dashboard::db::DbConn::Pg(pg) = c else {
            unreachable!()
        };
        diesel::connection::SimpleConnection::batch_execute(pg, "VACUUM ANALYZE access_tokens")
            .unwrap();
    });
    Some(app)
}

impl TestApp {
    /// Creates a token through the form (GETting the form first, as a browser does).
    pub async fn create_token(&self, name: &str, sections: &[&str], permission: &str) -> Answer {
        let mut fields = vec![("name", name), ("permission", permission)];
        fields.extend(sections.iter().map(|s| ("sections", *s)));
        self.create_token_with(&fields).await
    }

    /// Posts the create form with exactly these `fields` and the one-time `submission_id` of the
    /// form it GETs first.
    pub async fn create_token_with(&self, fields: &[(&str, &str)]) -> Answer {
        let form = self.get(&format!("{LIST}/new")).await;
        let id = form.submission_id();
        let mut fields = fields.to_vec();
        fields.push(("submission_id", id.as_str()));
        self.post(LIST, &fields).await
    }

    /// Creates a token through the form, as the signed-in admin, and reads what its reveal shows.
    pub async fn issue_token(
        &self,
        name: &str,
        sections: &[&str],
        permission: &str,
    ) -> Credentials {
        let reveal = self.create_token(name, sections, permission).await;
        self.revealed(&reveal)
    }

    /// Creates a token from these form `fields` (expiry, allowlist: what `issue_token` leaves at
    /// its default), and reads what its reveal shows.
    pub async fn token_with(&self, fields: &[(&str, &str)]) -> Credentials {
        let reveal = self.create_token_with(fields).await;
        self.revealed(&reveal)
    }

    /// The id of a token that another merchant, Other Co, made: “Theirs”, created by its admin
    /// owner@other.test, who signs in on a client of their own.
    pub async fn other_merchants_token(&self) -> i64 {
        let other = self.client();
        other.logged_in_admin("Other Co", "owner@other.test").await;
        other
            .issue_token("Theirs", &["orders"], "read_write")
            .await
            .id
    }

    /// Gives token `id` a rate limit of its own (in the database, as its edit form would), for a
    /// test whose load is about something else and must not meet the default 100 a second.
    pub fn set_rate_limit(&self, id: i64, per_second: i32) {
        self.db(|c| {
            use diesel::prelude::*;
            use kwik_dashboard::db::schema::access_tokens;
            diesel::update(access_tokens::table.find(kwik_dashboard::db::models::TokenId(id)))
                .set(access_tokens::rate_limit.eq(Some(per_second)))
                .execute(c)
                .unwrap()
        });
    }

    /// The credentials `reveal` shows, which must be the reveal of the newest token.
    fn revealed(&self, reveal: &Answer) -> Credentials {
        reveal.assert_status(200).assert_no_store();
        Credentials {
            id: self.all_tokens().iter().map(|t| t.id.0).max().unwrap(),
            key: reveal.credential("api_key"),
            secret: reveal.credential("api_secret"),
            public: reveal.credential("public_key"),
        }
    }
}
