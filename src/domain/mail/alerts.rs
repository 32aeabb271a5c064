//! Security alerts to a merchant's admins: a token created, rolled, deleted, disabled by Kwik Support
//! or after a leak report, a new admin, two-factor sign-in turned off. [`on_event`] is called by
//! `audit::record`, inside the transaction of every recorded change, so every way a change is made
//! (the dashboard, support, a secret scanner, the CLI) alerts the same, and a change and its alerts
//! are written together. An alert never holds a credential: tokens are named with their partial key.

use diesel::prelude::*;

use super::{EnqueueError, Mail, enqueue};
use crate::db::DbConn;
use crate::db::models::alert_opt_out::admin_recipients;
use crate::db::models::{AccessToken, Merchant, MerchantId, Role, TokenId, User, UserId};

/// A recorded change, as `audit::record` hands it over (plain values: the History's own types stay
/// in `audit`, which calls this).
#[derive(Debug, Clone, Copy)]
pub struct Cause<'a> {
    /// The History's event name: `token.secret_rolled`.
    pub event: &'a str,
    /// `admin`, `support`, `cli`, `scanner`, `anonymous`, ...
    pub actor_role: &'a str,
    /// Their email (a scanner's name).
    pub actor_email: Option<&'a str>,
    /// Their address.
    pub actor_ip: Option<&'a str>,
    /// The merchant it happened to.
    pub merchant: Option<MerchantId>,
    /// What it is about: (`token` or `user`, id, name or email).
    pub target: Option<(&'a str, i64, &'a str)>,
    /// The History's detail.
    pub detail: &'a str,
}

/// The alerts there are; each admin may turn off those that [`Alert::can_turn_off`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Alert {
    TokenCreated,
    TokenRolled,
    TokenDeleted,
    TokenDisabledBySupport,
    TokenLeaked,
    AdminAdded,
    TwoFactorOff,
    ExpiryWarning,
}

impl Alert {
    /// Every alert, in the order the profile lists them.
    pub const ALL: [Self; 8] = [
        Self::TokenCreated,
        Self::TokenRolled,
        Self::TokenDeleted,
        Self::TokenDisabledBySupport,
        Self::ExpiryWarning,
        Self::AdminAdded,
        Self::TwoFactorOff,
        Self::TokenLeaked,
    ];

    /// Its stored name: `token_rolled`.
    pub fn code(self) -> &'static str {
        match self {
            Self::TokenCreated => "token_created",
            Self::TokenRolled => "token_rolled",
            Self::TokenDeleted => "token_deleted",
            Self::TokenDisabledBySupport => "token_disabled_by_support",
            Self::TokenLeaked => "token_leaked",
            Self::AdminAdded => "admin_added",
            Self::TwoFactorOff => "two_factor_off",
            Self::ExpiryWarning => "expiry_warning",
        }
    }

    /// The alert of a stored name.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }

    /// What the profile's checkbox says.
    pub fn label(self) -> &'static str {
        match self {
            Self::TokenCreated => "An access token is created",
            Self::TokenRolled => "A token's secret is rolled",
            Self::TokenDeleted => "An access token is deleted",
            Self::TokenDisabledBySupport => "Kwik Support disables a token",
            Self::TokenLeaked => "A token's credentials are found in public and it is disabled",
            Self::AdminAdded => "Someone becomes an admin",
            Self::TwoFactorOff => "Two-factor sign-in is turned off for someone",
            Self::ExpiryWarning => "A token expires in 30, 7 or 1 days, or has expired",
        }
    }

    /// Whether an admin may stop getting it (a leak cannot be ignored).
    pub fn can_turn_off(self) -> bool {
        self != Self::TokenLeaked
    }
}

/// Who did it, as an alert names them.
fn actor_label(cause: &Cause<'_>) -> String {
    match (cause.actor_role, cause.actor_email) {
        ("support", _) => "Kwik Support".to_owned(),
        ("cli", _) => "a Kwik operator (command line)".to_owned(),
        ("scanner", Some(name)) => name.to_owned(),
        ("anonymous", _) => "someone not signed in".to_owned(),
        (_, Some(email)) => email.to_owned(),
        _ => "the system".to_owned(),
    }
}

/// The alert a recorded change calls for, if any.
fn alert_for(conn: &mut DbConn, cause: &Cause<'_>) -> QueryResult<Option<Alert>> {
    Ok(match cause.event {
        "token.created" => Some(Alert::TokenCreated),
        "token.secret_rolled" => Some(Alert::TokenRolled),
        "token.deleted" => Some(Alert::TokenDeleted),
        "token.disabled" if cause.actor_role == Role::Support.as_str() => {
            Some(Alert::TokenDisabledBySupport)
        }
        "token.leak_disabled" => Some(Alert::TokenLeaked),
        "user.added" | "user.role_changed" => match cause.target {
            Some(("user", id, _)) => {
                (User::find(conn, UserId(id))?.role == Role::Admin).then_some(Alert::AdminAdded)
            }
            _ => None,
        },
        "user.2fa_disabled" | "user.2fa_reset" => Some(Alert::TwoFactorOff),
        _ => None,
    })
}

/// Queues the alert a change recorded as `event` calls for, to each of `merchant`'s admins who get
/// it. Returns how many mails were queued.
pub fn on_event(conn: &mut DbConn, cause: &Cause<'_>) -> QueryResult<usize> {
    let Some(merchant) = cause.merchant else {
        return Ok(0);
    };
    let Some(alert) = alert_for(conn, cause)? else {
        return Ok(0);
    };
    let merchant_name = Merchant::find(conn, merchant)?.name;
    let name = cause.target.map_or("", |(_, _, label)| label);
    let mut facts = vec![("Organisation".to_owned(), merchant_name.clone())];
    let path = match cause.target {
        Some(("token", id, _)) => {
            let token = AccessToken::find(conn, TokenId(id))?;
            facts.push((
                "Token".to_owned(),
                format!("{} ({})", token.name, token.partial_key()),
            ));
            if token.deleted_at.is_some() {
                "/settings/history".to_owned()
            } else {
                format!("/developers/access-tokens/{id}")
            }
        }
        Some((_, _, label)) => {
            facts.push(("Account".to_owned(), label.to_owned()));
            "/settings/teams".to_owned()
        }
        None => "/settings/history".to_owned(),
    };
    facts.push(("By".to_owned(), actor_label(cause)));
    if let Some(ip) = cause.actor_ip {
        facts.push(("From address".to_owned(), ip.to_owned()));
    }
    facts.push((
        "When".to_owned(),
        crate::infra::sa_time::date_time(crate::db::now()),
    ));
    if !cause.detail.is_empty() {
        facts.push(("Details".to_owned(), cause.detail.to_owned()));
    }
    let headline = match alert {
        Alert::TokenCreated => format!("A new access token, “{name}”, was created"),
        Alert::TokenRolled => format!("The secret of “{name}” was rolled"),
        Alert::TokenDeleted => format!("The access token “{name}” was deleted"),
        Alert::TokenDisabledBySupport => format!("Kwik Support disabled “{name}”"),
        Alert::TokenLeaked => format!("“{name}” was found in public and disabled"),
        Alert::AdminAdded => format!("{name} is now an admin of {merchant_name}"),
        Alert::TwoFactorOff => format!("Two-factor sign-in was turned off for {name}"),
        Alert::ExpiryWarning => format!("“{name}” expires soon"),
    };
    let mail = Mail::Alert {
        alert,
        headline,
        facts,
        path,
        merchant: merchant_name,
    };
    send_to_admins(conn, merchant, alert, &mail, None)
}

/// Queues `mail` (an `alert`) to each of `merchant`'s enabled admins who get it, with a dedupe key
/// made from `dedupe` and the admin's id when given. Returns how many were queued.
pub fn send_to_admins(
    conn: &mut DbConn,
    merchant: MerchantId,
    alert: Alert,
    mail: &Mail,
    dedupe: Option<&str>,
) -> QueryResult<usize> {
    let code = alert.can_turn_off().then(|| alert.code());
    let mut queued = 0;
    for (id, email) in admin_recipients(conn, merchant, code)? {
        let key = dedupe.map(|d| format!("{d}:user:{}", id.0));
        if enqueue(conn, &email, mail, None, key.as_deref()).map_err(diesel_error)? {
            queued += 1;
        }
    }
    Ok(queued)
}

fn diesel_error(e: EnqueueError) -> diesel::result::Error {
    e.into()
}

/// Each alert with whether `user` gets it, in [`Alert::ALL`]'s order.
pub fn preferences(conn: &mut DbConn, user: UserId) -> QueryResult<Vec<(Alert, bool)>> {
    let off = crate::db::models::alert_opt_out::turned_off(conn, user)?;
    Ok(Alert::ALL
        .into_iter()
        .map(|a| (a, !a.can_turn_off() || !off.iter().any(|o| o == a.code())))
        .collect())
}

/// Keeps `on` as the alerts `user` gets; the ones that cannot be turned off stay on whatever `on`
/// says.
pub fn set_preferences(conn: &mut DbConn, user: UserId, on: &[Alert]) -> QueryResult<()> {
    let off: Vec<&str> = Alert::ALL
        .into_iter()
        .filter(|a| a.can_turn_off() && !on.contains(a))
        .map(Alert::code)
        .collect();
    conn.write_transaction(|conn| {
        crate::db::models::alert_opt_out::set_turned_off(conn, user, &off)
    })
}
