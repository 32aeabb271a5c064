//! Outgoing mail settings: where mail goes (an SMTP server, or `.eml` files when none is set), who it
//! is from, and the address its links point to.

use std::net::SocketAddr;
use std::time::Duration;

use super::{ConfigError, parse_var};

/// How mail leaves this instance.
#[derive(Clone, PartialEq, Eq)]
pub enum MailTransport {
    /// An SMTP server: `url` as lettre reads it (`smtp://…?tls=required`, `smtps://…`). It may hold
    /// a password, so it is never printed; `shown` is the same without credentials.
    Smtp {
        /// The connection URL, credentials included.
        url: String,
        /// `smtp://mail.example.com:587 (STARTTLS required)`.
        shown: String,
    },
    /// No server configured: each mail is written as an `.eml` file into `$KWIK_DATA_DIR/mail/`.
    Files,
}

impl std::fmt::Debug for MailTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Smtp { shown, .. } => write!(f, "Smtp({shown})"),
            Self::Files => f.write_str("Files"),
        }
    }
}

/// Outgoing mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailConfig {
    /// `KWIK_SMTP_URL`, or files.
    pub transport: MailTransport,
    /// `KWIK_MAIL_FROM`: `Kwik <no-reply@example.com>`.
    pub from: String,
    /// `KWIK_PUBLIC_URL`: what links in mail start with, no trailing slash.
    pub public_url: String,
    /// `KWIK_MAIL_POLL_MS`: how often the outbox is looked at for mail due.
    pub poll: Duration,
}

impl MailConfig {
    /// Reads the mail variables; `bind` gives the default public address.
    pub fn from_lookup(
        get: &impl Fn(&str) -> Option<String>,
        bind: SocketAddr,
    ) -> Result<Self, ConfigError> {
        let transport = match get("KWIK_SMTP_URL") {
            None => MailTransport::Files,
            Some(url) => smtp(&url)?,
        };
        let from = get("KWIK_MAIL_FROM").unwrap_or_else(|| "Kwik <no-reply@localhost>".into());
        if !plausible_mailbox(&from) {
            return Err(ConfigError(format!(
                "KWIK_MAIL_FROM: {from:?} is not an address like `Kwik <no-reply@example.com>`"
            )));
        }
        let public_url = get("KWIK_PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{bind}"))
            .trim_end_matches('/')
            .to_owned();
        if !(public_url.starts_with("https://") || public_url.starts_with("http://"))
            || public_url.contains(['?', '#', ' '])
        {
            return Err(ConfigError(format!(
                "KWIK_PUBLIC_URL: {public_url:?} is not an http(s) address like https://dashboard.example.com"
            )));
        }
        let poll = parse_var(get, "KWIK_MAIL_POLL_MS", "1000", |v| {
            v.parse::<u64>()
                .ok()
                .filter(|ms| (10..=60_000).contains(ms))
                .map(Duration::from_millis)
        })?;
        Ok(Self {
            transport,
            from,
            public_url,
            poll,
        })
    }
}

/// `Name <local@domain>` or `local@domain`, loosely: the mail library checks it strictly.
fn plausible_mailbox(text: &str) -> bool {
    let address = match (text.rfind('<'), text.rfind('>')) {
        (Some(open), Some(close)) if open < close && close == text.len() - 1 => {
            &text[open + 1..close]
        }
        (None, None) => text,
        _ => return false,
    };
    matches!(address.split_once('@'), Some((local, domain)) if !local.is_empty() && !domain.is_empty() && !address.contains(' '))
}

/// `KWIK_SMTP_URL`: `smtp://` asks for STARTTLS unless the server is on this machine (a local relay
/// or sink), `smtps://` is TLS from the start; `?tls=opportunistic` or `?tls=none` say otherwise.
fn smtp(url: &str) -> Result<MailTransport, ConfigError> {
    let bad = |why: &str| ConfigError(format!("KWIK_SMTP_URL: {why}"));
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| bad("expected smtp://user:pass@host:587 or smtps://user:pass@host:465"))?;
    let (authority, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host_port = host_port.trim_end_matches('/');
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host_port.split(':').next().unwrap_or(""),
    };
    if host.is_empty() {
        return Err(bad("no host"));
    }
    let local = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let tls = query.and_then(|q| {
        q.split('&')
            .find_map(|pair| pair.strip_prefix("tls="))
            .map(str::to_owned)
    });
    let base = format!("{scheme}://{authority}");
    let (url, security) = match (scheme, tls.as_deref()) {
        ("smtps", None) => (base, "TLS"),
        ("smtp", Some("required")) => (format!("{base}?tls=required"), "STARTTLS required"),
        ("smtp", Some("opportunistic")) => {
            (format!("{base}?tls=opportunistic"), "STARTTLS if offered")
        }
        ("smtp", Some("none")) => (base, "no TLS"),
        ("smtp", None) if local => (base, "no TLS, a server on this machine"),
        ("smtp", None) => (format!("{base}?tls=required"), "STARTTLS required"),
        ("smtp" | "smtps", Some(other)) => {
            return Err(bad(&format!(
                "tls={other} is not one of required, opportunistic, none"
            )));
        }
        (other, _) => return Err(bad(&format!("{other}:// is not smtp:// or smtps://"))),
    };
    Ok(MailTransport::Smtp {
        url,
        shown: format!("{scheme}://{host_port} ({security})"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<MailConfig, ConfigError> {
        let get = |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        };
        MailConfig::from_lookup(&get, "127.0.0.1:8080".parse().unwrap())
    }

    #[test]
    fn without_a_server_mail_goes_to_files_and_links_to_the_listener() {
        let c = read(&[]).unwrap();
        assert_eq!(c.transport, MailTransport::Files);
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
        assert_eq!(c.from, "Kwik <no-reply@localhost>");
    }

    #[test]
    fn smtp_asks_for_starttls_except_on_this_machine_and_never_shows_the_password() {
        let c = read(&[("KWIK_SMTP_URL", "smtp://u:secret-pw@mail.example.com:587")]).unwrap();
        let MailTransport::Smtp { url, shown } = &c.transport else {
            panic!("smtp")
        };
        assert_eq!(url, "smtp://u:secret-pw@mail.example.com:587?tls=required");
        assert_eq!(shown, "smtp://mail.example.com:587 (STARTTLS required)");
        assert!(!format!("{c:?}").contains("secret-pw"));
        let local = read(&[("KWIK_SMTP_URL", "smtp://127.0.0.1:2525")]).unwrap();
        assert_eq!(
            local.transport,
            MailTransport::Smtp {
                url: "smtp://127.0.0.1:2525".into(),
                shown: "smtp://127.0.0.1:2525 (no TLS, a server on this machine)".into()
            }
        );
        let tls = read(&[("KWIK_SMTP_URL", "smtps://u:p@mail.example.com")]).unwrap();
        assert!(
            matches!(tls.transport, MailTransport::Smtp { ref shown, .. } if shown.ends_with("(TLS)"))
        );
    }

    #[test]
    fn bad_values_are_refused_with_their_variable_named() {
        for (name, value) in [
            ("KWIK_SMTP_URL", "http://mail.example.com"),
            ("KWIK_SMTP_URL", "smtp://mail.example.com?tls=maybe"),
            ("KWIK_SMTP_URL", "mail.example.com"),
            ("KWIK_MAIL_FROM", "Kwik"),
            ("KWIK_PUBLIC_URL", "dashboard.example.com"),
            ("KWIK_MAIL_POLL_MS", "0"),
        ] {
            let e = read(&[(name, value)]).unwrap_err();
            assert!(e.0.starts_with(name), "{}", e.0);
        }
        assert_eq!(
            read(&[("KWIK_PUBLIC_URL", "https://dash.kwik.example/")])
                .unwrap()
                .public_url,
            "https://dash.kwik.example"
        );
    }
}
