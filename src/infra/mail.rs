//! Sending one mail: over SMTP (lettre, TLS through rustls), or, with no server configured, as an
//! `.eml` file a developer can open. Blocking: call it from a worker thread, never from a request.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{FileTransport, Message, SmtpTransport, Transport};

use crate::config::{MailConfig, MailTransport};

/// How long one SMTP conversation may take before it counts as a failed attempt.
const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

/// One mail, ready to go.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The recipient's address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
    /// `<kwik-outbox-42@dash.example.com>`: the same on every attempt, so a copy sent twice (a crash
    /// between the server's acceptance and the outbox's record of it) can be told for what it is.
    pub message_id: String,
}

/// Why a mail did not go.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct MailError {
    /// What went wrong, without the message's content.
    pub message: String,
    /// Whether trying again cannot help (the server refused the address for good, a malformed one).
    pub permanent: bool,
}

impl MailError {
    fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: true,
        }
    }
}

/// Where mail goes.
pub enum Mailer {
    /// An SMTP server.
    Smtp {
        /// The connection, set up once.
        transport: SmtpTransport,
        /// Its address without credentials.
        shown: String,
    },
    /// `.eml` files in a folder.
    Files {
        /// The folder's writer.
        transport: FileTransport,
        /// The folder.
        dir: PathBuf,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Mailer {
    /// The mailer `config` asks for; files go to `data_dir/mail/`, made if missing.
    pub fn new(config: &MailConfig, data_dir: &Path) -> anyhow::Result<Self> {
        Ok(match &config.transport {
            MailTransport::Smtp { url, shown } => Self::Smtp {
                transport: SmtpTransport::from_url(url)
                    .map_err(|e| anyhow::anyhow!("KWIK_SMTP_URL ({shown}): {e}"))?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build(),
                shown: shown.clone(),
            },
            MailTransport::Files => {
                let dir = data_dir.join("mail");
                std::fs::create_dir_all(&dir)
                    .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
                Self::Files {
                    transport: FileTransport::new(&dir),
                    dir,
                }
            }
        })
    }

    /// For the start-up line: `SMTP to smtp://mail.example.com:587 (STARTTLS required)`, or the
    /// folder the `.eml` files go to.
    pub fn describe(&self) -> String {
        match self {
            Self::Smtp { shown, .. } => format!("SMTP to {shown}"),
            Self::Files { dir, .. } => format!(
                "no KWIK_SMTP_URL: mail is written as .eml files to {}",
                dir.display()
            ),
        }
    }

    /// Sends `mail` from `from` (`Kwik <no-reply@example.com>`), plain text and HTML alternatives.
    pub fn send(&self, from: &str, mail: &Outgoing) -> Result<(), MailError> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| MailError::permanent(format!("the From address: {e}")))?;
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| MailError::permanent(format!("the recipient's address: {e}")))?;
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(mail.subject.clone())
            .message_id(Some(mail.message_id.clone()))
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|e| MailError::permanent(format!("building the message: {e}")))?;
        match self {
            Self::Smtp { transport, .. } => {
                transport.send(&message).map(drop).map_err(|e| MailError {
                    permanent: e.is_permanent(),
                    message: format!("SMTP: {e}"),
                })
            }
            Self::Files { transport, .. } => {
                transport.send(&message).map(drop).map_err(|e| MailError {
                    message: format!("writing the .eml file: {e}"),
                    permanent: false,
                })
            }
        }
    }
}
