//! What each mail says: its subject, and its plain-text and HTML parts from askama templates
//! (`templates/mail/`). Rendered when it is sent, from what the outbox kept.

use askama::Template;

use super::Mail;

/// A mail's words.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Why a mail could not be put into words.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A template failed.
    #[error("rendering the mail: {0}")]
    Template(#[from] askama::Error),
    /// The mail needs the secret the outbox sealed for it, and it is missing.
    #[error("the mail's link is missing (its sealed token could not be opened)")]
    MissingSecret,
}

#[derive(Template)]
#[template(path = "mail/password_reset.txt")]
struct ResetText<'a> {
    recipient: &'a str,
    minutes: i64,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/password_reset.html")]
struct ResetHtml<'a> {
    subject: &'a str,
    recipient: &'a str,
    minutes: i64,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/alert.txt")]
struct AlertText<'a> {
    headline: &'a str,
    facts: &'a [(String, String)],
    link: &'a str,
    profile: &'a str,
    history: &'a str,
    merchant: &'a str,
    can_turn_off: bool,
}

#[derive(Template)]
#[template(path = "mail/alert.html")]
struct AlertHtml<'a> {
    subject: &'a str,
    recipient: &'a str,
    headline: &'a str,
    facts: &'a [(String, String)],
    link: &'a str,
    profile: &'a str,
    history: &'a str,
    merchant: &'a str,
    can_turn_off: bool,
}

/// `mail` to `recipient`, its links starting with `public_url`; `secret` is what the outbox sealed
/// for it (a reset token), opened.
pub fn render(
    mail: &Mail,
    recipient: &str,
    secret: Option<&str>,
    public_url: &str,
) -> Result<Rendered, RenderError> {
    match mail {
        Mail::PasswordReset { minutes } => {
            let token = secret.ok_or(RenderError::MissingSecret)?;
            let link = format!("{public_url}/reset-password?token={token}");
            let subject = "Reset your Kwik dashboard password";
            Ok(Rendered {
                subject: subject.to_owned(),
                text: ResetText {
                    recipient,
                    minutes: *minutes,
                    link: &link,
                }
                .render()?,
                html: ResetHtml {
                    subject,
                    recipient,
                    minutes: *minutes,
                    link: &link,
                }
                .render()?,
            })
        }
        Mail::Alert {
            alert,
            headline,
            facts,
            path,
            merchant,
        } => {
            let subject = if *alert == super::Alert::ExpiryWarning {
                format!("Kwik: {headline}")
            } else {
                format!("Kwik security alert: {headline}")
            };
            let link = format!("{public_url}{path}");
            let profile = format!("{public_url}/settings/profile#alerts");
            let history = format!("{public_url}/settings/history");
            let can_turn_off = alert.can_turn_off();
            Ok(Rendered {
                text: AlertText {
                    headline,
                    facts,
                    link: &link,
                    profile: &profile,
                    history: &history,
                    merchant,
                    can_turn_off,
                }
                .render()?,
                html: AlertHtml {
                    subject: &subject,
                    recipient,
                    headline,
                    facts,
                    link: &link,
                    profile: &profile,
                    history: &history,
                    merchant,
                    can_turn_off,
                }
                .render()?,
                subject,
            })
        }
    }
}
