//! Which alerts each user turned off, and who gets an alert.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::models::{MerchantId, Role, UserId};
use crate::db::schema::{alert_opt_outs, users};

/// The alerts `user` turned off.
pub fn turned_off(conn: &mut DbConn, user: UserId) -> QueryResult<Vec<String>> {
    alert_opt_outs::table
        .filter(alert_opt_outs::user_id.eq(user))
        .order(alert_opt_outs::alert)
        .select(alert_opt_outs::alert)
        .load(conn)
}

/// Replaces the alerts `user` turned off with `off`.
pub fn set_turned_off(conn: &mut DbConn, user: UserId, off: &[&str]) -> QueryResult<()> {
    diesel::delete(alert_opt_outs::table.filter(alert_opt_outs::user_id.eq(user))).execute(conn)?;
    for alert in off {
        diesel::insert_into(alert_opt_outs::table)
            .values((
                alert_opt_outs::user_id.eq(user),
                alert_opt_outs::alert.eq(*alert),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The enabled admins of `merchant` who get `alert` (every one of them for an alert that cannot be
/// turned off: `None`), as (id, email), by email.
pub fn admin_recipients(
    conn: &mut DbConn,
    merchant: MerchantId,
    alert: Option<&str>,
) -> QueryResult<Vec<(UserId, String)>> {
    let admins = users::table
        .filter(users::merchant_id.eq(merchant))
        .filter(users::role.eq(Role::Admin.as_str()))
        .filter(users::disabled.eq(false))
        .order((users::email, users::id))
        .select((users::id, users::email));
    match alert {
        None => admins.load(conn),
        Some(alert) => admins
            .filter(
                users::id.ne_all(
                    alert_opt_outs::table
                        .filter(alert_opt_outs::alert.eq(alert))
                        .select(alert_opt_outs::user_id),
                ),
            )
            .load(conn),
    }
}
