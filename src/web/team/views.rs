//! What the Teams templates show (rows, the add form, the one-time password, the confirmation), each
//! built from domain values, and the template structs: one per page or fragment.

use askama::Template;
use zeroize::Zeroizing;

use crate::db::models::{Role, User, UserId};
use crate::domain::users::new_member::{MemberErrors, MemberInput};
use crate::domain::users::team::{Refusal, TeamChange};
use crate::web::{Chrome, format};

/// One member's row.
#[derive(Debug, Clone)]
pub struct MemberRow {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub disabled: bool,
    /// The signed-in admin's own row: it offers no Disable.
    pub is_you: bool,
    /// "Never", or how long ago they last signed in.
    pub last_login: String,
    /// The full time, in South African time, for a title.
    pub last_login_full: Option<String>,
    /// The same time in UTC, for `<time datetime>`.
    pub last_login_iso: Option<String>,
    /// Whether they sign in with a second factor.
    pub two_factor: bool,
}

impl MemberRow {
    /// The row of `user`, as `you` sees it.
    pub fn new(user: &User, you: UserId) -> Self {
        Self {
            id: user.id.0,
            email: user.email.clone(),
            role: user.role,
            disabled: user.disabled,
            is_you: user.id == you,
            last_login: user
                .last_login_at
                .map_or_else(|| "Never".to_owned(), |t| format::ago(t, crate::db::now())),
            last_login_full: user.last_login_at.map(format::date_time),
            last_login_iso: user.last_login_at.map(format::iso),
            two_factor: user.totp_enabled_at.is_some(),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// The add form's state: the values as submitted (never the password) and the errors.
#[derive(Debug, Clone, Default)]
pub struct MemberForm {
    pub email: String,
    pub admin: bool,
    pub choose_password: bool,
    pub errors: MemberErrors,
}

impl MemberForm {
    /// The form as submitted, with its errors. A typed password is not sent back into the page.
    pub fn from_input(input: &MemberInput, errors: MemberErrors) -> Self {
        Self {
            email: input.email.trim().to_owned(),
            admin: input.role.as_deref() == Some("admin"),
            choose_password: input.chooses_password(),
            errors,
        }
    }
}

/// The new member's generated password, shown once.
pub struct RevealView {
    pub email: String,
    pub role: &'static str,
    pub password: Zeroizing<String>,
}

/// A role change or a status change, before it is made.
#[derive(Debug, Clone)]
pub struct ConfirmView {
    pub member: MemberRow,
    pub change: TeamChange,
    /// Why it cannot be made, when it cannot: shown instead of the button.
    pub refusal: Option<String>,
}

impl ConfirmView {
    /// `role` or `status`: the last part of the URL, and the form field's name.
    pub fn field(&self) -> &'static str {
        match self.change {
            TeamChange::Role(_) => "role",
            TeamChange::Disable | TeamChange::Enable => "status",
        }
    }

    /// The value the form sends.
    pub fn value(&self) -> &'static str {
        match self.change {
            TeamChange::Role(role) => role.as_str(),
            TeamChange::Disable => "disabled",
            TeamChange::Enable => "active",
        }
    }

    pub fn to_admin(&self) -> bool {
        self.change == TeamChange::Role(Role::Admin)
    }

    pub fn to_viewer(&self) -> bool {
        self.change == TeamChange::Role(Role::Viewer)
    }

    pub fn disabling(&self) -> bool {
        self.change == TeamChange::Disable
    }

    pub fn enabling(&self) -> bool {
        self.change == TeamChange::Enable
    }
}

/// What a refusal says, to the admin who asked.
pub fn refusal_message(refusal: Refusal, email: &str, is_you: bool) -> String {
    match (refusal, is_you) {
        (Refusal::LastAdmin, true) => "You are the only active admin. Make another user an admin \
             first, so that someone can still manage the team and the access tokens."
            .to_owned(),
        (Refusal::LastAdmin, false) => format!(
            "{email} is the only active admin. Make another user an admin first, so that someone \
             can still manage the team and the access tokens."
        ),
        (Refusal::OwnAccount, _) => {
            "You cannot disable your own account. Ask another admin to do it.".to_owned()
        }
        (Refusal::NotAMerchantRole, _) => {
            "Merchant users can be admins or viewers only.".to_owned()
        }
    }
}

#[derive(Template)]
#[template(path = "team/index.html")]
pub struct IndexPage {
    pub page: Chrome,
    pub members: Vec<MemberRow>,
    /// Whether the merchant requires two-factor sign-in of every member.
    pub require_two_factor: bool,
    /// Whether the admin looking has it on (required before they may require it of others).
    pub you_have_two_factor: bool,
}

#[derive(Template)]
#[template(path = "team/new.html")]
pub struct NewPage {
    pub page: Chrome,
    pub form: MemberForm,
    pub csrf_token: String,
}

#[derive(Template)]
#[template(path = "team/_form.html")]
pub struct FormFragment {
    pub form: MemberForm,
    pub csrf_token: String,
}

#[derive(Template)]
#[template(path = "team/reveal.html")]
pub struct RevealPage {
    pub page: Chrome,
    pub reveal: RevealView,
}

/// The password in the dialog, plus the refreshed table swapped out of band behind it.
#[derive(Template)]
#[template(path = "team/_reveal_swap.html")]
pub struct RevealFragment {
    pub reveal: RevealView,
    pub members: Vec<MemberRow>,
}

#[derive(Template)]
#[template(path = "team/confirm.html")]
pub struct ConfirmPage {
    pub page: Chrome,
    pub confirm: ConfirmView,
    pub csrf_token: String,
}

#[derive(Template)]
#[template(path = "team/_confirm.html")]
pub struct ConfirmFragment {
    pub confirm: ConfirmView,
    pub csrf_token: String,
}

#[derive(Template)]
#[template(path = "team/_row.html")]
pub struct RowFragment {
    pub member: MemberRow,
}
