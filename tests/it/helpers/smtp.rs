//! A real SMTP server on loopback for the mail tests: aiosmtpd (from PyPI) writing what it receives
//! into a Maildir, started per test and stopped when dropped. `.ci/run` installs aiosmtpd; on a
//! machine without it the first sink installs it into `target/` with pip.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use kwik_dashboard::config::MailTransport;

/// One mail as the sink received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope's recipient (`X-RcptTo`).
    pub to: String,
    /// The From header.
    pub from: String,
    pub subject: String,
    pub message_id: String,
    /// The plain-text part, decoded.
    pub text: String,
    /// The HTML part, decoded.
    pub html: String,
}

impl Received {
    /// The first address in the plain-text part that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> Option<String> {
        let start = self.text.find(prefix)?;
        let rest = &self.text[start..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        Some(rest[..end].to_owned())
    }
}

/// A running sink.
pub struct SmtpSink {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    dir: tempfile::TempDir,
}

/// Where aiosmtpd can be imported from: the system's Python, or the copy pip put into `target/`.
fn python_path() -> &'static Option<PathBuf> {
    static PATH: OnceLock<Option<PathBuf>> = OnceLock::new();
    PATH.get_or_init(|| {
        let found = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if found {
            return None;
        }
        let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/aiosmtpd-lib");
        let installed = Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "--target"])
            .arg(&target)
            .arg("aiosmtpd==1.4.6")
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            installed,
            "the mail tests need aiosmtpd: `python3 -m pip install aiosmtpd`"
        );
        Some(target)
    })
}

impl SmtpSink {
    /// Starts a sink on a free loopback port and waits until it takes connections.
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut command = Command::new("python3");
        command
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("maildir"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(path) = python_path() {
            command.env("PYTHONPATH", path);
        }
        let child = command.spawn().expect("python3 starts the SMTP sink");
        let sink = Self { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the SMTP sink did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        sink
    }

    /// The app's transport for this sink: plain SMTP on loopback.
    pub fn transport(&self) -> MailTransport {
        MailTransport::Smtp {
            url: format!("smtp://127.0.0.1:{}", self.port),
            shown: format!("smtp://127.0.0.1:{} (sink)", self.port),
        }
    }

    /// Every mail received so far, in the order it was queued.
    pub fn received(&self) -> Vec<Received> {
        let new = self.dir.path().join("maildir/new");
        let Ok(entries) = std::fs::read_dir(&new) else {
            return Vec::new();
        };
        let files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        let mut mails: Vec<Received> = files
            .iter()
            .map(|f| parse(&std::fs::read(f).unwrap()))
            .collect();
        // In the order they were queued: the outbox's id is in the Message-ID.
        mails.sort_by_key(|m| {
            m.message_id
                .trim_start_matches("<kwik-outbox-")
                .split('@')
                .next()
                .and_then(|n| n.parse::<i64>().ok())
        });
        mails
    }

    /// Waits until `n` mails arrived (at most 10 s), and returns them all.
    pub fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got = self.received();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads one message as aiosmtpd's Maildir stored it.
pub fn parse(raw: &[u8]) -> Received {
    let message = mail_parser::MessageParser::default()
        .parse(raw)
        .expect("a readable message");
    let header = |name: &str| {
        message
            .header_raw(name)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    Received {
        to: header("X-RcptTo"),
        from: header("From"),
        subject: message.subject().unwrap_or_default().to_owned(),
        message_id: header("Message-ID"),
        text: message
            .body_text(0)
            .map(|t| t.into_owned())
            .unwrap_or_default(),
        html: message
            .body_html(0)
            .map(|t| t.into_owned())
            .unwrap_or_default(),
    }
}
