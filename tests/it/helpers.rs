//! A test app per test: its own temp SQLite database, the real route table, and a client that keeps
//! the session cookie and the CSRF token like a browser would.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

use actix_http::Request;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use actix_web::{App, test};
use kwik_dashboard::config::{Argon2Params, CookieSecure};
use kwik_dashboard::db::DbConn;
use kwik_dashboard::db::models::Role;
use kwik_dashboard::domain::users::{self, PasswordChoice};
use kwik_dashboard::{AppState, Config};
use tempfile::TempDir;
use zeroize::Zeroizing;

pub const HOST: &str = "dash.test";
pub const ORIGIN: &str = "http://dash.test";
pub const PASSWORD: &str = "a sound passphrase 42";

/// What a request answered.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// Bytes on the wire (the body may be compressed).
    pub raw_len: usize,
    /// The body as sent (compressed, if it was).
    pub raw: actix_web::web::Bytes,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    #[track_caller]
    pub fn assert_status(&self, expected: u16) -> &Self {
        assert_eq!(self.status.as_u16(), expected, "body:\n{}", self.body);
        self
    }

    #[track_caller]
    pub fn assert_redirect_to(&self, location: &str) -> &Self {
        assert_eq!(self.status, StatusCode::SEE_OTHER, "body:\n{}", self.body);
        assert_eq!(self.header("location"), Some(location));
        self
    }

    #[track_caller]
    pub fn assert_contains(&self, needle: &str) -> &Self {
        assert!(
            self.body.contains(needle),
            "expected {needle:?} in:\n{}",
            self.body
        );
        self
    }

    #[track_caller]
    pub fn assert_lacks(&self, needle: &str) -> &Self {
        assert!(
            !self.body.contains(needle),
            "did not expect {needle:?} in:\n{}",
            self.body
        );
        self
    }

    #[track_caller]
    pub fn assert_no_store(&self) -> &Self {
        assert_eq!(self.header("cache-control"), Some("no-store"));
        self
    }

    /// The text of the element carrying `data-credential="<which>"`.
    pub fn credential(&self, which: &str) -> String {
        let re = regex::Regex::new(&format!(r#"data-credential="{which}">([^<]*)<"#)).unwrap();
        re.captures(&self.body)
            .unwrap_or_else(|| panic!("no {which} in:\n{}", self.body))[1]
            .to_owned()
    }

    /// The form's one-time `submission_id` (create and roll forms).
    pub fn submission_id(&self) -> String {
        let re = regex::Regex::new(r#"name="submission_id" value="([^"]+)""#).unwrap();
        re.captures(&self.body)
            .unwrap_or_else(|| panic!("no submission_id in:\n{}", self.body))[1]
            .to_owned()
    }
}

/// The database of one test: a temp SQLite file by default, or a fresh Postgres database when
/// `TEST_DATABASE_URL` names a server (dropped again when the test ends), so tests run in parallel.
pub struct TestDb {
    pub url: String,
    pub dir: TempDir,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub fn new() -> Self {
        let dir = TempDir::new().unwrap();
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            None => Self {
                url: dir.path().join("kwik.db").to_string_lossy().into_owned(),
                dir,
                postgres: None,
            },
            Some(admin) => {
                use diesel::Connection;
                use diesel::connection::SimpleConnection;
                let name = format!(
                    "kwik_test_{}",
                    hex::encode(kwik_dashboard::domain::credentials::random_bytes::<8>().unwrap())
                );
                let mut conn = diesel::PgConnection::establish(&admin)
                    .unwrap_or_else(|e| panic!("TEST_DATABASE_URL={admin} is not reachable: {e}"));
                conn.batch_execute(&format!("CREATE DATABASE \"{name}\""))
                    .unwrap();
                Self {
                    url: with_database(&admin, &name),
                    dir,
                    postgres: Some((admin, name)),
                }
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        use diesel::Connection;
        use diesel::connection::SimpleConnection;
        if let Some((admin, name)) = &self.postgres
            && let Ok(mut conn) = diesel::PgConnection::establish(admin)
        {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
        }
    }
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let (path_start, query) = match url[scheme_end..].find('/') {
        Some(i) => {
            let start = scheme_end + i;
            (
                start,
                url[start..]
                    .find('?')
                    .map(|q| &url[start + q..])
                    .unwrap_or(""),
            )
        }
        None => (url.len(), ""),
    };
    format!("{}/{name}{query}", &url[..path_start])
}

/// A browser-like client on one app.
pub struct TestApp<S> {
    svc: S,
    pub state: AppState,
    pub dir: PathBuf,
    cookie: RefCell<Option<String>>,
    csrf: RefCell<Option<String>>,
    peer: RefCell<String>,
    pub db: Rc<TestDb>,
}

pub fn test_config(data_dir: &std::path::Path, database_url: &str) -> Config {
    Config {
        data_dir: data_dir.to_path_buf(),
        database_url: database_url.to_owned(),
        bind: "127.0.0.1:0".parse().unwrap(),
        cookie_secure: CookieSecure::Auto,
        trusted_proxies: vec![],
        session_key: Some(vec![7u8; 64]),
        // Cheap hashing for tests; production keeps OWASP's parameters.
        argon2: Argon2Params {
            memory_kib: 256,
            iterations: 1,
            parallelism: 1,
        },
        db_pool_size: 4,
        db_connect_timeout: std::time::Duration::from_secs(2),
        db_statement_timeout: Some(std::time::Duration::from_secs(5)),
        master_key: Some(vec![5u8; 32]),
        previous_master_keys: vec![],
        gateway_token: None,
        replay_cache_size: 10_000,
        token_cache_ttl: std::time::Duration::from_secs(1),
        argon2_concurrency: 2,
    }
}

pub async fn spawn_app() -> TestApp<
    impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>,
> {
    spawn_app_with(|_| {}).await
}

/// A test app whose configuration `adjust` changes first.
pub async fn spawn_app_with(
    adjust: impl FnOnce(&mut Config),
) -> TestApp<
    impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>,
> {
    spawn_app_on(Rc::new(TestDb::new()), adjust).await
}

/// An app instance on an existing test database (a second instance shares the first one's).
pub async fn spawn_app_on(
    db: Rc<TestDb>,
    adjust: impl FnOnce(&mut Config),
) -> TestApp<
    impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>,
> {
    let mut config = test_config(db.dir.path(), &db.url);
    adjust(&mut config);
    let state = AppState::build(config).unwrap();
    let app_state = state.clone();
    let svc =
        test::init_service(App::new().configure(|cfg| kwik_dashboard::configure(cfg, &app_state)))
            .await;
    TestApp {
        svc,
        state,
        dir: db.dir.path().to_path_buf(),
        cookie: RefCell::new(None),
        csrf: RefCell::new(None),
        peer: RefCell::new("203.0.113.10:40000".into()),
        db,
    }
}

impl<S, B> TestApp<S>
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody + 'static,
{
    /// Runs `f` on a database connection.
    pub fn db<T>(&self, f: impl FnOnce(&mut DbConn) -> T) -> T {
        let mut conn = self.state.pool.get().unwrap();
        f(&mut conn)
    }

    /// Adds a user (and the merchant) with [`PASSWORD`].
    pub fn add_user(&self, email: &str, merchant: Option<&str>, role: Role) {
        self.db(|c| {
            users::add_user(
                c,
                self.state.hashing.passwords(),
                &kwik_dashboard::domain::audit::Actor::cli(),
                email,
                merchant,
                role,
                PasswordChoice::Given(Zeroizing::new(PASSWORD.into())),
            )
            .unwrap()
        });
    }

    pub fn set_peer(&self, addr: &str) {
        *self.peer.borrow_mut() = addr.into();
    }

    pub fn session_cookie(&self) -> Option<String> {
        self.cookie.borrow().clone()
    }

    pub fn set_session_cookie(&self, cookie: Option<String>) {
        *self.cookie.borrow_mut() = cookie;
    }

    pub fn csrf_token(&self) -> String {
        self.csrf
            .borrow()
            .clone()
            .expect("no CSRF token seen yet: GET a page first")
    }

    /// Sends a request built by `build` with the session cookie, and remembers what comes back.
    pub async fn send(&self, mut req: test::TestRequest) -> Answer {
        req = req
            .insert_header(("Host", HOST))
            .peer_addr(self.peer.borrow().parse().unwrap());
        if let Some(cookie) = self.cookie.borrow().as_ref() {
            req = req.insert_header(("Cookie", cookie.clone()));
        }
        // Errors that escape the app become responses the way the server makes them.
        let res = match test::try_call_service(&self.svc, req.to_request()).await {
            Ok(res) => res.into_parts().1.map_into_boxed_body(),
            Err(e) => actix_web::ResponseError::error_response(e.as_response_error()),
        };
        let status = res.status();
        let headers = res.headers().clone();
        for c in res.cookies() {
            if c.name() == kwik_dashboard::SESSION_COOKIE {
                let removed = c.value().is_empty()
                    || c.max_age().is_some_and(|a| a.is_zero() || a.is_negative());
                *self.cookie.borrow_mut() =
                    (!removed).then(|| format!("{}={}", c.name(), c.value()));
            }
        }
        let bytes = actix_web::body::to_bytes(res.into_body())
            .await
            .unwrap_or_default();
        let raw_len = bytes.len();
        // A gzip body is read as a browser would, and must be whole: the decoder checks its CRC and length.
        let body = if headers.get("content-encoding").is_some_and(|v| v == "gzip") {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text)
                .expect("a gzip body that decodes");
            text
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        };
        let re = regex::Regex::new(
            r#"name="csrf-token" content="([^"]+)"|name="csrf_token" value="([^"]+)""#,
        )
        .unwrap();
        if let Some(caps) = re.captures(&body) {
            let token = caps
                .get(1)
                .or_else(|| caps.get(2))
                .unwrap()
                .as_str()
                .to_owned();
            *self.csrf.borrow_mut() = Some(token);
        }
        Answer {
            status,
            headers,
            body,
            raw_len,
            raw: bytes,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(test::TestRequest::get().uri(path)).await
    }

    /// A GET as a browser sends it, taking gzip.
    pub async fn get_gzip(&self, path: &str, htmx: bool) -> Answer {
        let mut req = test::TestRequest::get()
            .uri(path)
            .insert_header(("Accept-Encoding", "gzip, deflate, br, zstd"));
        if htmx {
            req = req.insert_header(("HX-Request", "true"));
        }
        self.send(req).await
    }

    pub async fn get_htmx(&self, path: &str) -> Answer {
        self.send(
            test::TestRequest::get()
                .uri(path)
                .insert_header(("HX-Request", "true")),
        )
        .await
    }

    /// POSTs a form as a same-origin browser would: Origin set, `csrf_token` added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let token = self.csrf_token();
        all.push(("csrf_token", &token));
        self.post_raw(path, &all, &[("Origin", ORIGIN)]).await
    }

    /// POSTs a form the way htmx does: `HX-Request` and the `X-CSRF-Token` header.
    pub async fn post_htmx(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let token = self.csrf_token();
        self.post_raw(
            path,
            fields,
            &[
                ("Origin", ORIGIN),
                ("HX-Request", "true"),
                ("X-CSRF-Token", &token),
            ],
        )
        .await
    }

    /// POSTs exactly these fields and headers.
    pub async fn post_raw(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Answer {
        let body = serde_html_form::to_string(fields).unwrap();
        let mut req = test::TestRequest::post()
            .uri(path)
            .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
            .set_payload(body);
        for (k, v) in headers {
            req = req.insert_header((k.to_string(), v.to_string()));
        }
        self.send(req).await
    }

    /// Logs in through the form.
    pub async fn login(&self, email: &str, password: &str) -> Answer {
        self.get("/login").await;
        self.post("/login", &[("email", email), ("password", password)])
            .await
    }

    /// Adds a merchant admin and logs in as them.
    pub async fn logged_in_admin(&self, merchant: &str, email: &str) {
        self.add_user(email, Some(merchant), Role::Admin);
        self.login(email, PASSWORD)
            .await
            .assert_redirect_to("/developers/access-tokens");
    }

    /// Creates a token through the form (GETting the form first, as a browser does).
    pub async fn create_token(&self, name: &str, sections: &[&str], permission: &str) -> Answer {
        let form = self.get("/developers/access-tokens/new").await;
        let id = form.submission_id();
        let mut fields = vec![
            ("name", name),
            ("permission", permission),
            ("submission_id", id.as_str()),
        ];
        fields.extend(sections.iter().map(|s| ("sections", *s)));
        self.post("/developers/access-tokens", &fields).await
    }

    /// Everything the database holds, as text: the SQLite files, or every Postgres row. A secret that
    /// was stored anywhere in plain text shows up in here.
    pub fn database_text(&self) -> String {
        if !self.db.is_postgres() {
            return ["kwik.db", "kwik.db-wal"]
                .iter()
                .map(|f| {
                    String::from_utf8_lossy(&std::fs::read(self.dir.join(f)).unwrap_or_default())
                        .into_owned()
                })
                .collect();
        }
        use diesel::prelude::*;
        self.db(|c| {
            [
                "merchants",
                "users",
                "sessions",
                "access_tokens",
                "login_failures",
                "login_lockouts",
            ]
            .iter()
            .map(|table| {
                let query = format!("(SELECT string_agg(t::text, E'\\n') FROM {table} t)");
                diesel::select(diesel::dsl::sql::<
                    diesel::sql_types::Nullable<diesel::sql_types::Text>,
                >(&query))
                .get_result::<Option<String>>(c)
                .unwrap()
                .unwrap_or_default()
            })
            .collect()
        })
    }

    /// Every access token row, whatever the merchant.
    pub fn all_tokens(&self) -> Vec<kwik_dashboard::db::models::AccessToken> {
        use diesel::prelude::*;
        use kwik_dashboard::db::schema::access_tokens;
        self.db(|c| {
            access_tokens::table
                .select(access_tokens::all_columns)
                .load::<kwik_dashboard::db::models::AccessToken>(c)
                .unwrap()
        })
    }
}
