//! A merchant's team, as its admins change it: a member's role, and disabling or enabling them,
//! under the "last admin" rule. Each change, the sessions it ends and its history event share one
//! transaction. No HTTP.

use diesel::result::Error as DieselError;

use crate::db::DbConn;
use crate::db::models::{MerchantId, Role, SessionRow, User, UserId};
use crate::domain::audit::{self, Actor, Event, Target};

/// A change an admin makes to a member of their team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamChange {
    /// Give them this role (admin or viewer).
    Role(Role),
    /// Stop them signing in, and end their sessions.
    Disable,
    /// Let them sign in again.
    Enable,
}

/// Why a change is refused. Each keeps the merchant manageable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// It would leave the merchant without an enabled admin.
    #[error("the merchant would be left without an enabled admin")]
    LastAdmin,
    /// An admin may not disable their own account: another admin must, so that nobody locks
    /// themself out by mistake and every disabling has a second person behind it.
    #[error("admins cannot disable their own account; another admin must")]
    OwnAccount,
    /// Support is Kwik's role, never a merchant's.
    #[error("merchant users can be admins or viewers only")]
    NotAMerchantRole,
}

/// Why a team change failed.
#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    /// The rules refuse it; nothing changed.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The database refused (`NotFound` for a user outside the merchant).
    #[error(transparent)]
    Db(#[from] DieselError),
}

/// What a change did.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The member as they are now.
    pub user: User,
    /// Whether anything changed (asking for the current state changes and records nothing).
    pub changed: bool,
}

/// Whether `change` would leave `target` as they are.
fn is_no_op(target: &User, change: TeamChange) -> bool {
    match change {
        TeamChange::Role(role) => target.role == role,
        TeamChange::Disable => target.disabled,
        TeamChange::Enable => !target.disabled,
    }
}

/// Why `change` to `target` by `actor` would be refused now, if it would. Inside a change, call it
/// after [`User::lock_team`] so the answer still holds when the change is written.
pub fn refusal(
    conn: &mut DbConn,
    target: &User,
    change: TeamChange,
    actor: &Actor,
) -> Result<Option<Refusal>, DieselError> {
    if change == TeamChange::Role(Role::Support) {
        return Ok(Some(Refusal::NotAMerchantRole));
    }
    if is_no_op(target, change) {
        return Ok(None);
    }
    if change == TeamChange::Disable && actor.user_id == Some(target.id) {
        return Ok(Some(Refusal::OwnAccount));
    }
    let stops_being_admin = matches!(change, TeamChange::Role(Role::Viewer) | TeamChange::Disable);
    if target.role == Role::Admin && !target.disabled && stops_being_admin {
        let Some(merchant) = target.merchant_id else {
            return Ok(Some(Refusal::NotAMerchantRole));
        };
        if User::count_other_enabled_admins(conn, merchant, target.id)? == 0 {
            return Ok(Some(Refusal::LastAdmin));
        }
    }
    Ok(None)
}

/// Gives `target`, a member of `merchant`, the role `role` (admin or viewer), recording
/// `role: old → new` in the same transaction.
pub fn change_role(
    conn: &mut DbConn,
    merchant: MerchantId,
    target: UserId,
    role: Role,
    actor: &Actor,
) -> Result<Applied, TeamError> {
    apply(conn, merchant, target, TeamChange::Role(role), actor)
}

/// Disables `target` (ending every session they have) or enables them again, recording
/// `status: old → new` in the same transaction.
pub fn set_disabled(
    conn: &mut DbConn,
    merchant: MerchantId,
    target: UserId,
    disabled: bool,
    actor: &Actor,
) -> Result<Applied, TeamError> {
    let change = if disabled {
        TeamChange::Disable
    } else {
        TeamChange::Enable
    };
    apply(conn, merchant, target, change, actor)
}

/// Makes `change` to `target` within `merchant`: one transaction holding the team lock, the
/// rules checked inside it, the change, the revoked sessions and the history event.
pub fn apply(
    conn: &mut DbConn,
    merchant: MerchantId,
    target: UserId,
    change: TeamChange,
    actor: &Actor,
) -> Result<Applied, TeamError> {
    conn.write_transaction(|conn| {
        User::lock_team(conn, merchant)?;
        let before = User::find_in_merchant(conn, merchant, target)?;
        if let Some(refused) = refusal(conn, &before, change, actor)? {
            return Err(refused.into());
        }
        if is_no_op(&before, change) {
            return Ok(Applied {
                user: before,
                changed: false,
            });
        }
        let (user, event, detail) = match change {
            TeamChange::Role(role) => (
                User::set_role(conn, target, role)?,
                Event::UserRoleChanged,
                format!("role: {} → {role}", before.role),
            ),
            TeamChange::Disable => {
                let user = User::set_disabled(conn, target, true)?;
                // Every browser they are signed in on loses its session at once, on every instance.
                let ended = SessionRow::delete_for_user(conn, target, None)?;
                let detail = format!("status: active → disabled; sessions ended: {ended}");
                (user, Event::UserDisabled, detail)
            }
            TeamChange::Enable => (
                User::set_disabled(conn, target, false)?,
                Event::UserEnabled,
                "status: disabled → active".to_owned(),
            ),
        };
        let label = Target {
            kind: "user",
            id: user.id.0,
            label: &user.email,
        };
        audit::record(conn, actor, event, Some(merchant), Some(label), &detail)?;
        Ok(Applied {
            user,
            changed: true,
        })
    })
}
