//! The add-user form's rules: what an admin may submit when adding someone to their team. Plain
//! values in, a validated member or a message per field out; no HTTP, no database (the duplicate
//! email is found when adding, in [`super::insert`]).

use zeroize::Zeroizing;

use super::{PasswordChoice, is_plausible_email};
use crate::db::models::Role;
use crate::db::models::user::normalize_email;
use crate::domain::auth::password::check_strength;

/// The add-user form as submitted: every value still text.
#[derive(Clone, Default, serde::Deserialize)]
pub struct MemberInput {
    /// Their sign-in email.
    #[serde(default)]
    pub email: String,
    /// `admin` or `viewer`; absent means the least privilege, viewer.
    #[serde(default)]
    pub role: Option<String>,
    /// `generate` (the default) or `choose`.
    #[serde(default)]
    pub password_mode: Option<String>,
    /// The admin's chosen password, used with `choose` only.
    #[serde(default, deserialize_with = "zeroizing")]
    pub password: Zeroizing<String>,
}

/// Reads a text straight into memory that is wiped when dropped.
fn zeroizing<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Zeroizing<String>, D::Error> {
    <String as serde::Deserialize>::deserialize(d).map(Zeroizing::new)
}

impl std::fmt::Debug for MemberInput {
    /// Never prints the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberInput")
            .field("email", &self.email)
            .field("role", &self.role)
            .field("password_mode", &self.password_mode)
            .finish_non_exhaustive()
    }
}

impl MemberInput {
    /// Whether the admin asked to set the password themself.
    pub fn chooses_password(&self) -> bool {
        self.password_mode.as_deref() == Some("choose")
    }
}

/// A validated new member.
pub struct MemberSpec {
    /// Normalised email.
    pub email: String,
    /// Admin or viewer.
    pub role: Role,
    /// Generate one, or this checked password.
    pub password: PasswordChoice,
}

/// A message per field that did not validate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberErrors {
    /// About the email.
    pub email: Option<String>,
    /// About the role.
    pub role: Option<String>,
    /// About the password.
    pub password: Option<String>,
}

impl MemberErrors {
    /// Whether no field has an error.
    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }

    /// How many fields have an error.
    pub fn count(&self) -> usize {
        [&self.email, &self.role, &self.password]
            .iter()
            .filter(|e| e.is_some())
            .count()
    }
}

/// The message for an email that already has an account (checked against the database later).
pub const DUPLICATE_EMAIL: &str =
    "A user with this email address already exists. Each person signs in with their own address.";

/// Checks the form: every problem at once, each next to its field. Only `admin` and `viewer` can be
/// given here; support staff belong to Kwik, not to a merchant.
pub fn validate_member(input: &MemberInput) -> Result<MemberSpec, MemberErrors> {
    let mut errors = MemberErrors::default();
    let email = normalize_email(&input.email);
    if email.is_empty() {
        errors.email = Some("Enter the email address they will sign in with.".into());
    } else if !is_plausible_email(&email) {
        errors.email = Some("Enter an email address like name@example.co.za.".into());
    }
    let role = match input.role.as_deref() {
        None | Some("") => Some(Role::Viewer),
        Some("admin") => Some(Role::Admin),
        Some("viewer") => Some(Role::Viewer),
        Some(_) => None,
    };
    if role.is_none() {
        errors.role = Some("Choose Admin or Viewer.".into());
    }
    let password = match input.password_mode.as_deref() {
        None | Some("") | Some("generate") => Some(PasswordChoice::Generate),
        Some("choose") => match check_strength(&input.password) {
            Ok(()) => Some(PasswordChoice::Given(input.password.clone())),
            Err(_) if input.password.trim().is_empty() => {
                errors.password = Some(
                    "Enter a password of at least 12 characters, or choose to generate one.".into(),
                );
                None
            }
            Err(why) => {
                errors.password = Some(sentence(&why));
                None
            }
        },
        Some(_) => {
            errors.password = Some("Choose to generate a password or to set one.".into());
            None
        }
    };
    match (errors.is_empty(), role, password) {
        (true, Some(role), Some(password)) => Ok(MemberSpec {
            email,
            role,
            password,
        }),
        _ => Err(errors),
    }
}

/// `why` as a sentence: capitalised, with a full stop.
fn sentence(why: &str) -> String {
    let mut chars = why.chars();
    let first = chars.next().map(|c| c.to_uppercase().collect::<String>());
    format!("{}{}.", first.unwrap_or_default(), chars.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(email: &str, role: &str, mode: &str, password: &str) -> MemberInput {
        MemberInput {
            email: email.into(),
            role: Some(role.into()),
            password_mode: Some(mode.into()),
            password: Zeroizing::new(password.into()),
        }
    }

    #[test]
    fn a_blank_role_and_mode_mean_a_viewer_with_a_generated_password() {
        let spec = validate_member(&MemberInput {
            email: "  Ops@Shop.CO.ZA ".into(),
            ..MemberInput::default()
        })
        .ok()
        .unwrap();
        assert_eq!(spec.email, "ops@shop.co.za");
        assert_eq!(spec.role, Role::Viewer);
        assert!(matches!(spec.password, PasswordChoice::Generate));
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let errors = validate_member(&input("not-an-email", "support", "choose", "short"))
            .err()
            .unwrap();
        assert_eq!(errors.count(), 3);
        assert_eq!(
            errors.password.unwrap(),
            "The password is too short: use at least 12 characters."
        );
    }

    #[test]
    fn a_typed_password_is_ignored_when_generating() {
        let spec = validate_member(&input("a@b.co", "admin", "generate", "x"))
            .ok()
            .unwrap();
        assert!(matches!(spec.password, PasswordChoice::Generate));
        assert_eq!(spec.role, Role::Admin);
    }
}
