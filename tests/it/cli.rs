//! The binary itself: `migrate`, `user add` and the first run of `serve`.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Output, Stdio};

use kwik_dashboard::db::models::User;
use kwik_dashboard::{AppState, Config};

use crate::helpers::TestDb;

fn kwik(db: &TestDb) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kwik-dashboard"));
    cmd.current_dir(db.dir.path())
        .env_clear()
        .env("KWIK_DATA_DIR", db.dir.path())
        .env("DATABASE_URL", &db.url)
        .env("KWIK_ARGON2_MEMORY_KIB", "256")
        .env("KWIK_ARGON2_ITERATIONS", "1")
        .env("KWIK_LOG", "warn");
    cmd
}

pub(crate) fn run(db: &TestDb, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = kwik(db)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
fn assert_one_line_error(out: &Output, needle: &str) {
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.starts_with("error: ") && err.contains(needle), "{err}");
}

fn find_user(db: &TestDb, email: &str) -> Option<User> {
    let mut config = crate::helpers::test_config(db.dir.path(), &db.url);
    config.session_key = None;
    let state = AppState::build(config).unwrap();
    let mut conn = state.database.pool.get().unwrap();
    User::find_by_email(&mut conn, email).unwrap()
}

fn cheap_passwords() -> kwik_dashboard::domain::auth::Passwords {
    kwik_dashboard::domain::auth::Passwords::new(kwik_dashboard::config::Argon2Params {
        memory_kib: 256,
        iterations: 1,
        parallelism: 1,
    })
    .unwrap()
}

/// The app's state on `db`, its master key in `$KWIK_DATA_DIR/master.key` as in the embedded
/// default (where the CLI finds it too).
fn state_with_file_key(db: &TestDb) -> AppState {
    let mut config = crate::helpers::test_config(db.dir.path(), &db.url);
    config.master_key = None;
    AppState::build(config).unwrap()
}

/// A live Read-Only token `name` for `section`, made by Shop's new admin ops@shop.test straight
/// through the domain (no dashboard); the row and its credentials.
fn shop_token(
    state: &AppState,
    name: &str,
    section: kwik_dashboard::domain::credentials::Section,
) -> (
    kwik_dashboard::db::models::AccessToken,
    kwik_dashboard::domain::credentials::NewCredentials,
) {
    let mut conn = state.database.pool.get().unwrap();
    let (user, _) = kwik_dashboard::domain::users::add_user(
        &mut conn,
        &cheap_passwords(),
        &kwik_dashboard::domain::audit::Actor::cli(),
        "ops@shop.test",
        Some("Shop"),
        kwik_dashboard::db::models::Role::Admin,
        kwik_dashboard::domain::users::PasswordChoice::Generate,
    )
    .unwrap();
    let spec = kwik_dashboard::domain::tokens::TokenSpec {
        name: name.into(),
        sections: kwik_dashboard::domain::credentials::Sections::new([section]),
        permission: kwik_dashboard::domain::credentials::Permission::ReadOnly,
        status: kwik_dashboard::domain::credentials::TokenStatus::Live,
        expires_at: None,
        ip_allowlist: vec![],
        rate_limit: None,
    };
    kwik_dashboard::domain::tokens::create(
        &mut conn,
        &state.keyring,
        user.merchant_id.unwrap(),
        &kwik_dashboard::domain::audit::Actor::user(&user, None, None),
        &spec,
    )
    .unwrap()
}

#[test]
fn migrate_prepares_a_fresh_database() {
    let db = TestDb::new();
    let out = run(&db, &["migrate"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    if !db.is_postgres() {
        assert!(db.dir.path().join("kwik.db").exists());
    }
    assert!(
        run(&db, &["migrate"], None).status.success(),
        "migrate is idempotent"
    );
}

#[test]
fn user_add_creates_the_merchant_and_prints_a_generated_password_once() {
    let db = TestDb::new();
    let out = run(
        &db,
        &[
            "user",
            "add",
            "--email",
            "Ops@Shop.test",
            "--merchant",
            "Shop",
            "--role",
            "admin",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let password = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Password: "))
        .unwrap()
        .to_owned();
    assert_eq!(password.len(), 20);
    let user = find_user(&db, "ops@shop.test").unwrap();
    let passwords = cheap_passwords();
    assert!(passwords.verify(&password, Some(&user.password_hash)));
    assert!(user.merchant_id.is_some());
}

#[test]
fn user_add_reads_a_password_from_stdin_and_refuses_weak_ones() {
    let db = TestDb::new();
    let args = [
        "user",
        "add",
        "--email",
        "v@shop.test",
        "--merchant",
        "Shop",
        "--role",
        "viewer",
        "--password-stdin",
    ];
    assert_one_line_error(&run(&db, &args, Some("short\n")), "too short");
    assert_one_line_error(&run(&db, &args, Some("")), "empty");
    let out = run(&db, &args, Some("a sound passphrase 42\n"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("Password:"));
}

#[test]
fn user_add_explains_each_mistake_in_one_line() {
    let db = TestDb::new();
    let add = |email: &str, merchant: Option<&str>, role: &str| {
        let mut args = vec!["user", "add", "--email", email, "--role", role];
        if let Some(m) = merchant {
            args.extend(["--merchant", m]);
        }
        run(&db, &args, None)
    };
    assert!(add("a@shop.test", Some("Shop"), "admin").status.success());
    assert_one_line_error(&add("A@SHOP.test", Some("Shop"), "admin"), "already exists");
    assert_one_line_error(&add("b@shop.test", Some("Shop"), "boss"), "unknown role");
    assert_one_line_error(&add("c@shop.test", None, "admin"), "--merchant is required");
    assert_one_line_error(
        &add("d@kwik.test", Some("Shop"), "support"),
        "not allowed for the support role",
    );
    assert_one_line_error(
        &add("not-an-email", Some("Shop"), "admin"),
        "not an email address",
    );
    assert!(add("e@kwik.test", None, "support").status.success());
}

/// A running `serve`, with its log (stderr) piped.
struct Server {
    child: Child,
    port: u16,
    /// What it printed up to the end of the first login (a fresh database prints one).
    printed: String,
    /// The rest of its output, kept open so that printing never fails.
    _stdout: std::io::Lines<BufReader<std::process::ChildStdout>>,
}

impl Server {
    /// Stops the server; its log.
    fn stop(mut self) -> String {
        self.child.kill().unwrap();
        text(&self.child.wait_with_output().unwrap().stderr)
    }
}

/// `serve` on `db`, on a free port.
fn serve(db: &TestDb) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = kwik(db)
        .env("KWIK_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.contains("shown only once");
        printed.push(line);
        if done {
            break;
        }
    }
    Server {
        child,
        port,
        printed: printed.join("\n"),
        _stdout: lines,
    }
}

/// Sends `method path` as a raw HTTP/1.1 request (closing the connection) once the server listens;
/// the whole answer, headers and body.
fn http(port: u16, method: &str, path: &str) -> String {
    let request = format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut answer = String::new();
    for _ in 0..50 {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            stream.write_all(request.as_bytes()).unwrap();
            stream.read_to_string(&mut answer).unwrap();
            return answer;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("nothing listens on port {port}");
}

#[test]
fn serve_on_an_empty_database_creates_a_first_admin_and_prints_the_login() {
    let db = TestDb::new();
    let server = serve(&db);
    let (port, printed) = (server.port, server.printed.clone());
    assert!(
        printed.contains(&format!("http://127.0.0.1:{port}/login")),
        "{printed}"
    );
    assert!(printed.contains("admin@example.com"), "{printed}");
    let password = printed
        .lines()
        .find_map(|l| l.trim().strip_prefix("Password"))
        .unwrap()
        .trim()
        .to_owned();

    // It serves.
    let answer = http(port, "GET", "/healthz");
    server.stop();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    let user = find_user(&db, "admin@example.com").unwrap();
    let passwords = cheap_passwords();
    assert!(passwords.verify(&password, Some(&user.password_hash)));

    // A second start prints no password: the database is no longer empty.
    let again = kwik_dashboard::domain::users::seed_first_run(
        &mut AppState::build(Config {
            session_key: Some(vec![1; 64]),
            ..crate::helpers::test_config(db.dir.path(), &db.url)
        })
        .unwrap()
        .database
        .pool
        .get()
        .unwrap(),
        &passwords,
    )
    .unwrap();
    assert!(again.is_none());
}

#[test]
fn a_visit_without_a_session_goes_to_the_login_form_and_is_not_logged_as_an_error() {
    let db = TestDb::new();
    let server = serve(&db);
    let port = server.port;
    let page = http(port, "GET", "/developers/access-tokens");
    let log = server.stop();
    assert!(page.starts_with("HTTP/1.1 303"), "{page}");
    assert!(
        page.to_ascii_lowercase()
            .contains("\r\nlocation: /login\r\n"),
        "{page}"
    );
    // The log keeps warnings (`KWIK_LOG=warn`); this visit is not one, let alone an error.
    assert!(!log.contains("ERROR") && !log.contains("WARN"), "{log}");
}

#[test]
fn an_answer_made_from_an_error_is_still_logged() {
    let db = TestDb::new();
    let server = serve(&db);
    let page = http(server.port, "GET", "/no-such-page");
    let log = server.stop();
    assert!(page.starts_with("HTTP/1.1 404"), "{page}");
    let warned = log.lines().filter(|l| l.contains("WARN")).count();
    assert_eq!(warned, 1, "{log}");
    assert!(log.contains("NotFound"), "{log}");
}

#[test]
fn head_on_assets_and_health_checks_answers_the_headers_without_a_body() {
    let db = TestDb::new();
    let server = serve(&db);
    let port = server.port;
    let get = http(port, "GET", "/static/htmx.min.js");
    let head = http(port, "HEAD", "/static/htmx.min.js");
    let health = http(port, "HEAD", "/healthz");
    server.stop();
    let (get_head, get_body) = get.split_once("\r\n\r\n").unwrap();
    let (head_head, head_body) = head.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(head_body, "", "HEAD sends no body");
    assert!(get_body.contains("2.0.11"));
    // The same headers as the GET, its length and validator included.
    for name in ["content-type", "content-length", "etag", "cache-control"] {
        let line = |h: &str| {
            h.lines()
                .find(|l| l.to_ascii_lowercase().starts_with(&format!("{name}:")))
                .map(str::to_owned)
        };
        assert!(line(get_head).is_some(), "{name} in {get_head}");
        assert_eq!(line(head_head), line(get_head), "{name}");
    }
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.ends_with("\r\n\r\n"), "{health}");
}

#[test]
fn an_unknown_database_scheme_is_refused_at_start_up_in_one_line() {
    let db = TestDb::new();
    let out = kwik(&db)
        .env("DATABASE_URL", "mysql://root@127.0.0.1/kwik")
        .arg("migrate")
        .output()
        .unwrap();
    assert_one_line_error(&out, "unknown scheme \"mysql\"");
}

#[test]
fn rotate_master_key_reseals_every_secret_and_signed_requests_still_verify() {
    use kwik_dashboard::db::models::AccessToken;
    use kwik_dashboard::domain::credentials::Section;
    use kwik_dashboard::domain::credentials::verify::{
        Decision, Facts, Verifier, parse_signed, sign,
    };

    let db = TestDb::new();
    let state = state_with_file_key(&db);
    let old_id = state.keyring.current_id().to_owned();
    let (token, creds) = shop_token(&state, "Rotated", Section::Payments);
    drop(state);

    let out = run(&db, &["rotate-master-key"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Re-sealed 1 secrets"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        db.dir
            .path()
            .join(format!("master.key.old-{old_id}"))
            .exists()
    );

    let state = state_with_file_key(&db);
    assert_ne!(state.keyring.current_id(), old_id);
    let mut conn = state.database.pool.get().unwrap();
    let stored = AccessToken::find_for_merchant(&mut conn, token.merchant_id, token.id).unwrap();
    assert_eq!(
        stored.secret_key_id.as_deref(),
        Some(state.keyring.current_id())
    );
    let ts = time::OffsetDateTime::now_utc().unix_timestamp();
    let sig = format!(
        "v1={}",
        sign(&creds.api_secret, ts, "GET", "/api/v2/whoami", b"")
    );
    let body = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b""));
    let facts = Facts {
        presented: parse_signed(
            &creds.api_key,
            &ts.to_string(),
            &sig,
            "/api/v2/whoami",
            &body,
        )
        .unwrap(),
        method: "GET".into(),
        section: None,
        client_ip: None,
    };
    let verifier = Verifier {
        keyring: &state.keyring,
        replays: state.replays.local(),
    };
    assert!(matches!(
        verifier.verify(&mut conn, &facts, ts).unwrap(),
        Decision::Allowed(_)
    ));
}

#[test]
fn rotate_master_key_with_an_environment_key_needs_the_new_key_from_the_environment() {
    let db = TestDb::new();
    let key = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [3u8; 32]);
    let out = kwik(&db)
        .env("KWIK_MASTER_KEY", &key)
        .arg("rotate-master-key")
        .output()
        .unwrap();
    assert_one_line_error(&out, "KWIK_NEW_MASTER_KEY");
}

#[test]
fn token_disable_from_the_command_line_finds_the_key_and_records_why() {
    let db = TestDb::new();
    let state = state_with_file_key(&db);
    let (token, creds) = shop_token(
        &state,
        "POS",
        kwik_dashboard::domain::credentials::Section::Orders,
    );

    assert_one_line_error(
        &run(
            &db,
            &[
                "token",
                "disable",
                "--key",
                &creds.api_key,
                "--reason",
                "no",
            ],
            None,
        ),
        "reason",
    );
    assert_one_line_error(
        &run(
            &db,
            &[
                "token",
                "disable",
                "--key",
                "kwik_ak_nothere",
                "--reason",
                "leaked key",
            ],
            None,
        ),
        "no token matches",
    );
    let shown = token.partial_key();
    let out = run(
        &db,
        &[
            "token",
            "disable",
            "--key",
            &shown,
            "--reason",
            "Leaked in a public repo",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("is now Disabled"),
        "{}",
        text(&out.stdout)
    );
    let mut conn = state.database.pool.get().unwrap();
    let stored = kwik_dashboard::db::models::AccessToken::find(&mut conn, token.id).unwrap();
    assert_eq!(
        stored.status,
        kwik_dashboard::domain::credentials::TokenStatus::Disabled
    );
    assert_eq!(
        stored.status_reason.as_deref(),
        Some("Leaked in a public repo")
    );
    let out = run(
        &db,
        &[
            "token",
            "enable",
            "--key",
            &creds.api_key,
            "--reason",
            "Rotated upstream",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}
