//! Settings › Teams: listing and adding users, role and status changes, the last-admin rule, and who
//! may do any of it. Shared helpers here; the tests in one module per concern.

mod access;
mod adding;
mod changes;
mod last_admin;

use diesel::prelude::*;
use kwik_dashboard::db::DbConn;
use kwik_dashboard::db::models::User;
use kwik_dashboard::db::models::audit::AuditEvent;
use kwik_dashboard::db::schema::{audit_events, sessions, users};

pub const TEAM: &str = "/settings/teams";

pub fn user(c: &mut DbConn, email: &str) -> User {
    users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(c)
        .unwrap()
}

pub fn id_of(c: &mut DbConn, email: &str) -> i64 {
    user(c, email).id.0
}

/// Every user as (email, role, disabled), to show that nothing changed.
pub fn team_state(c: &mut DbConn) -> Vec<(String, String, bool)> {
    users::table
        .order(users::email)
        .select((users::email, users::role, users::disabled))
        .load(c)
        .unwrap()
}

/// The history's events about users, other than sign-ins, oldest first.
pub fn team_events(c: &mut DbConn) -> Vec<AuditEvent> {
    audit_events::table
        .filter(audit_events::event.like("user.%"))
        .order(audit_events::id)
        .select(AuditEvent::as_select())
        .load(c)
        .unwrap()
}

pub fn live_sessions_of(c: &mut DbConn, email: &str) -> i64 {
    let id = user(c, email).id;
    sessions::table
        .filter(sessions::user_id.eq(id))
        .count()
        .get_result(c)
        .unwrap()
}
