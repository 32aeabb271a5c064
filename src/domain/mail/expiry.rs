//! Expiry warnings: each of a merchant's admins hears once when a token expires within 30 days,
//! within 7, within a day, and when it has expired, however many instances sweep and however often.
//! A warning's dedupe key names the token, its expiry and the step, so an expiry moved later warns
//! again, and a token created with 5 days left gets the 7-day warning only (never a late 30-day one).

use diesel::QueryResult;

use super::Mail;
use super::alerts::{Alert, send_to_admins};
use crate::db::DbConn;
use crate::db::models::AccessToken;

/// How far back an expiry still gets its "has expired" warning (a sweep that was down for a while
/// catches up; older ones are long known).
const EXPIRED_WITHIN: time::Duration = time::Duration::days(7);

/// The warning step a token `left` before its expiry is at: `30`, `7`, `1`, `expired`, or none.
pub fn step(left: time::Duration) -> Option<&'static str> {
    if left <= time::Duration::ZERO {
        Some("expired")
    } else if left <= time::Duration::days(1) {
        Some("1")
    } else if left <= time::Duration::days(7) {
        Some("7")
    } else if left <= time::Duration::days(30) {
        Some("30")
    } else {
        None
    }
}

/// Queues the warnings due at `now` that were not queued before; returns how many mails.
pub fn queue_warnings(conn: &mut DbConn, now: time::PrimitiveDateTime) -> QueryResult<usize> {
    let tokens =
        AccessToken::expiring_between(conn, now - EXPIRED_WITHIN, now + time::Duration::days(30))?;
    let mut queued = 0;
    for (token, merchant) in tokens {
        let Some(expires) = token.expires_at else {
            continue;
        };
        let Some(step) = step(expires - now) else {
            continue;
        };
        let headline = match step {
            "expired" => format!("“{}” has expired", token.name),
            "1" => format!("“{}” expires within a day", token.name),
            days => format!("“{}” expires within {days} days", token.name),
        };
        let when = crate::infra::sa_time::date_time(expires);
        let mail = Mail::Alert {
            alert: Alert::ExpiryWarning,
            headline,
            facts: vec![
                ("Organisation".to_owned(), merchant.clone()),
                (
                    "Token".to_owned(),
                    format!("{} ({})", token.name, token.partial_key()),
                ),
                (
                    if step == "expired" { "Expired" } else { "Expires" }.to_owned(),
                    when,
                ),
                (
                    "What to do".to_owned(),
                    "Create a new token and move your integration to it, or edit this one's expiry."
                        .to_owned(),
                ),
            ],
            path: format!("/developers/access-tokens/{}", token.id.0),
            merchant,
        };
        let dedupe = format!(
            "expiry:{}:{}:{step}",
            token.id.0,
            expires.assume_utc().unix_timestamp()
        );
        queued += conn.write_transaction(|conn| {
            send_to_admins(
                conn,
                token.merchant_id,
                Alert::ExpiryWarning,
                &mail,
                Some(&dedupe),
            )
        })?;
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_token_is_at_the_nearest_step_only() {
        let d = time::Duration::days;
        assert_eq!(step(d(45)), None);
        assert_eq!(step(d(30)), Some("30"));
        assert_eq!(step(d(8)), Some("30"));
        assert_eq!(step(d(5)), Some("7"));
        assert_eq!(step(time::Duration::hours(20)), Some("1"));
        assert_eq!(step(time::Duration::ZERO), Some("expired"));
        assert_eq!(step(-d(2)), Some("expired"));
    }
}
