//! Starting the app under test: the real route table on a fresh database, a second instance on the
//! same database, the configuration tests run with, and the users they sign in as.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

use actix_http::Request;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::{App, test};
use futures_util::future::LocalBoxFuture;
use kwik_dashboard::config::{Argon2Params, CookieSecure, MailConfig, MailTransport};
use kwik_dashboard::db::models::Role;
use kwik_dashboard::domain::users::{self, PasswordChoice};
use kwik_dashboard::{AppState, Config};
use zeroize::Zeroizing;

use super::{LIST, ORIGIN, PASSWORD, PEER, TestDb};

/// The app's route table behind one call, whatever service type `init_service` built for it: so
/// there is one `TestApp` type for every test and helper to name, without generic bounds.
pub(super) type Routes =
    Rc<dyn Fn(Request) -> LocalBoxFuture<'static, Result<ServiceResponse, actix_web::Error>>>;

/// A browser-like client on one app: [`spawn_app`] starts the app with a first client, and
/// [`TestApp::client`] adds another (a user of their own) on the same app and database.
pub struct TestApp {
    pub(super) routes: Routes,
    pub state: AppState,
    pub dir: PathBuf,
    pub(super) cookie: RefCell<Option<String>>,
    pub(super) csrf: RefCell<Option<String>>,
    pub(super) peer: RefCell<String>,
    pub db: Rc<TestDb>,
}

/// The configuration every test app starts from: cheap password hashing, fixed keys, and a short
/// token cache, on `database_url` with its files in `data_dir`.
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
        // The production deadlines: the outage tests measure them.
        // Generous deadlines: a busy machine (CI, parallel tests) must not turn a slow call into a
        // 503 in tests about something else. The outage tests set the production defaults.
        db_call_timeout: std::time::Duration::from_secs(10),
        db_verify_timeout: std::time::Duration::from_secs(10),
        master_key: Some(vec![5u8; 32]),
        previous_master_keys: vec![],
        gateway_token: None,
        github_scanning_keys: None,
        gitlab_revocation_token: None,
        replay_cache_size: 10_000,
        redis_url: None,
        rate_sync_ms: 10,
        token_cache_ttl: std::time::Duration::from_secs(1),
        argon2_concurrency: 2,
        sudo_window: std::time::Duration::from_secs(15 * 60),
        // The two-factor tests turn it on; elsewhere support staff sign in with a password alone.
        support_require_two_factor: false,
        shutdown_timeout: std::time::Duration::from_secs(30),
        metrics_bind: None,
        // Files under the test's folder unless a test points it at its SMTP sink.
        mail: MailConfig {
            transport: MailTransport::Files,
            from: "Kwik <no-reply@dash.test>".into(),
            public_url: ORIGIN.into(),
            poll: std::time::Duration::from_millis(100),
        },
    }
}

/// A test app on a fresh database, configured as [`test_config`] says.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A test app whose configuration `adjust` changes first.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_on(Rc::new(TestDb::new()), adjust).await
}

/// An app instance on an existing test database (a second instance shares the first one's).
pub async fn spawn_app_on(db: Rc<TestDb>, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = test_config(db.dir.path(), &db.url);
    adjust(&mut config);
    let state = AppState::build(config).unwrap();
    let app_state = state.clone();
    let svc = Rc::new(
        test::init_service(App::new().configure(|cfg| kwik_dashboard::configure(cfg, &app_state)))
            .await,
    );
    let routes: Routes = Rc::new(move |req| {
        let svc = svc.clone();
        Box::pin(async move {
            svc.call(req)
                .await
                .map(ServiceResponse::map_into_boxed_body)
        })
    });
    TestApp {
        routes,
        state,
        dir: db.dir.path().to_path_buf(),
        cookie: RefCell::new(None),
        csrf: RefCell::new(None),
        peer: RefCell::new(PEER.into()),
        db,
    }
}

impl TestApp {
    /// Another browser on this same app and database, with a cookie jar, CSRF token and peer
    /// address of its own, signed in as nobody yet: one client per user (crates.io's
    /// `MockCookieUser`), so switching users needs no logout and login.
    pub fn client(&self) -> TestApp {
        TestApp {
            routes: self.routes.clone(),
            state: self.state.clone(),
            dir: self.dir.clone(),
            cookie: RefCell::new(None),
            csrf: RefCell::new(None),
            peer: RefCell::new(PEER.into()),
            db: self.db.clone(),
        }
    }

    /// Another browser on this app (see [`TestApp::client`]), signed in as `email` with
    /// [`PASSWORD`].
    pub async fn client_for(&self, email: &str) -> TestApp {
        let client = self.client();
        client.login(email, PASSWORD).await.assert_status(303);
        client
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

    /// Adds a merchant admin and logs in as them.
    pub async fn logged_in_admin(&self, merchant: &str, email: &str) {
        self.add_user(email, Some(merchant), Role::Admin);
        self.login(email, PASSWORD).await.assert_redirect_to(LIST);
    }
}
