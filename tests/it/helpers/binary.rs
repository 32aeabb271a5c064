//! The real binary on a test's database: a server to start, `kill -9` or stop, and clients that
//! speak raw HTTP/1.1 to it over loopback, keeping a session cookie and CSRF token like a browser.

use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{Answer, TestDb, csrf_in};

/// A port nobody listens on yet.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The binary serving one test's database, its log written to a file in the test's directory.
pub struct Server {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

impl Server {
    /// Starts `kwik-dashboard` on `db` (through `database_url`, which may be a cable in front of
    /// it), with the keys the in-process test apps use, cheap password hashing, and `env` on top;
    /// returns once `/readyz` answers 200.
    pub fn start(db: &TestDb, database_url: &str, env: &[(&str, &str)]) -> Server {
        let port = free_port();
        let log = db.dir.path().join(format!("server-{port}.log"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kwik-dashboard"));
        cmd.current_dir(db.dir.path())
            .env_clear()
            .env("KWIK_DATA_DIR", db.dir.path())
            .env("DATABASE_URL", database_url)
            .env("KWIK_BIND", format!("127.0.0.1:{port}"))
            .env("KWIK_MASTER_KEY", STANDARD.encode([5u8; 32]))
            .env("KWIK_SESSION_KEY", STANDARD.encode([7u8; 64]))
            .env("KWIK_ARGON2_MEMORY_KIB", "256")
            .env("KWIK_ARGON2_ITERATIONS", "1")
            .env("KWIK_LOG", "info,actix_server=warn")
            .env("NO_COLOR", "1");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let server = Server { child, port, log };
        server.wait_ready();
        server
    }

    fn wait_ready(&self) {
        let started = Instant::now();
        loop {
            if exchange(self.port, "GET", "/readyz", &[], b"").is_some_and(|a| a.status == 200) {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the server did not become ready:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What the server has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `kill -9`: the process dies at once, whatever it was doing; returns its log.
    pub fn kill9(mut self) -> String {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.log()
    }

    /// Sends `signal` (`-TERM`, `-INT`) and waits up to `limit` for the exit.
    pub fn stop(mut self, signal: &str, limit: Duration) -> (ExitStatus, String) {
        let sent = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let stopping = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, self.log());
            }
            assert!(stopping.elapsed() < limit, "still running after {signal}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request on a fresh connection and its whole answer, or `None` when there is none: refused,
/// reset, or cut before its last byte (a short body or an unfinished chunked one).
pub fn exchange(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<Answer> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .ok()?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    parse(&raw)
}

/// An HTTP/1.1 answer read to the end of its connection, if it is whole.
fn parse(raw: &[u8]) -> Option<Answer> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let mut headers = HeaderMap::new();
    for line in lines {
        let (k, v) = line.split_once(':')?;
        headers.append(
            HeaderName::from_bytes(k.trim().as_bytes()).ok()?,
            HeaderValue::from_str(v.trim()).ok()?,
        );
    }
    let rest = &raw[split + 4..];
    let body = if headers
        .get("transfer-encoding")
        .is_some_and(|v| v == "chunked")
    {
        dechunk(rest)?
    } else if let Some(length) = headers.get("content-length") {
        let length: usize = length.to_str().ok()?.parse().ok()?;
        (rest.len() == length).then(|| rest.to_vec())?
    } else {
        rest.to_vec()
    };
    Some(Answer {
        status: StatusCode::from_u16(status).ok()?,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        raw_len: body.len(),
        raw: body.into(),
    })
}

/// A chunked body, if it has its last (empty) chunk.
fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size =
            usize::from_str_radix(std::str::from_utf8(&rest[..end]).ok()?.trim(), 16).ok()?;
        rest = &rest[end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

/// A browser on the binary: its session cookie and the CSRF token of the last page it saw.
#[derive(Clone)]
pub struct Client {
    pub port: u16,
    cookie: Option<String>,
    csrf: Option<String>,
}

impl Client {
    pub fn new(port: u16) -> Client {
        Client {
            port,
            cookie: None,
            csrf: None,
        }
    }

    /// Sends one request with this client's cookie, and keeps the cookie and CSRF token it gets.
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Option<Answer> {
        let mut all = headers.to_vec();
        let cookie = self.cookie.clone();
        if let Some(c) = &cookie {
            all.push(("Cookie", c));
        }
        let answer = exchange(self.port, method, path, &all, body)?;
        let prefix = format!("{}=", kwik_dashboard::SESSION_COOKIE);
        for set in answer.headers.get_all("set-cookie") {
            let pair = set.to_str().unwrap_or_default().split(';').next().unwrap();
            if let Some(value) = pair.strip_prefix(&prefix) {
                self.cookie = (!value.is_empty()).then(|| pair.to_owned());
            }
        }
        if let Some(token) = csrf_in(&answer.body) {
            self.csrf = Some(token);
        }
        Some(answer)
    }

    pub fn get(&mut self, path: &str) -> Option<Answer> {
        self.send("GET", path, &[], b"")
    }

    /// POSTs a form as a same-origin browser does: Origin set, `csrf_token` added.
    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Option<Answer> {
        let token = self
            .csrf
            .clone()
            .expect("no CSRF token yet: GET a page first");
        let mut all = fields.to_vec();
        all.push(("csrf_token", &token));
        let body = serde_html_form::to_string(&all).unwrap();
        let origin = format!("http://127.0.0.1:{}", self.port);
        self.send(
            "POST",
            path,
            &[
                ("Origin", &origin),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            body.as_bytes(),
        )
    }

    /// Signs in through the form; the answer to the form's POST.
    pub fn login(&mut self, email: &str, password: &str) -> Answer {
        self.get("/login").expect("the login form");
        self.post("/login", &[("email", email), ("password", password)])
            .expect("an answer to the login")
    }
}
