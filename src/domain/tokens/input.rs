//! The create and edit form: its values as sent, the merchant's rules, and the checked spec, with
//! every problem reported at once.

use crate::domain::credentials::rate_limit::parse_per_second;
use crate::domain::credentials::{Permission, Section, Sections, TokenStatus};
use crate::infra::net::IpNet;

pub use super::field_errors::FieldErrors;

/// Longest token name, in characters.
pub const NAME_MAX: usize = 100;

/// The create form as submitted: every value still text.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct TokenInput {
    /// Friendly name.
    #[serde(default)]
    pub name: String,
    /// Section slugs (repeated field).
    #[serde(default)]
    pub sections: Vec<String>,
    /// `read_only` or `read_write`; absent means the default, Read-Only.
    #[serde(default)]
    pub permission: Option<String>,
    /// `live` or `disabled`; absent means the default, Live.
    #[serde(default)]
    pub status: Option<String>,
    /// `never` (default), `30`, `60`, `90` (days) or `custom`.
    #[serde(default)]
    pub expiry: Option<String>,
    /// With `custom`: the last day (South African), `YYYY-MM-DD`.
    #[serde(default)]
    pub expires_on: Option<String>,
    /// Addresses and CIDR ranges, one per line or comma-separated; empty: any address.
    #[serde(default)]
    pub ip_allowlist: Option<String>,
    /// Requests a second (edit form only); empty or absent: the merchant's limit.
    #[serde(default)]
    pub rate_limit: Option<String>,
}

/// A validated token definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSpec {
    /// Trimmed name, 1 to [`NAME_MAX`] characters.
    pub name: String,
    /// At least one section.
    pub sections: Sections,
    /// Access level.
    pub permission: Permission,
    /// Initial status.
    pub status: TokenStatus,
    /// When it stops working (UTC), if ever.
    pub expires_at: Option<time::PrimitiveDateTime>,
    /// Where it may be used from; empty: anywhere.
    pub ip_allowlist: Vec<IpNet>,
    /// Requests a second; `None`: the merchant's limit.
    pub rate_limit: Option<i32>,
}

/// What validation needs to know besides the form.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// The current time (UTC).
    pub now: time::PrimitiveDateTime,
    /// The merchant's maximum token lifetime in days, if it has one.
    pub max_lifetime_days: Option<i32>,
}

impl Rules {
    /// Now, with the merchant's maximum lifetime.
    pub fn for_merchant(max_lifetime_days: Option<i32>) -> Self {
        Self {
            now: crate::db::now(),
            max_lifetime_days,
        }
    }
}

/// Most entries in an IP allowlist.
pub const ALLOWLIST_MAX: usize = 50;
/// Longest expiry a token can be given, in days.
pub const EXPIRY_MAX_DAYS: i64 = 3_650;

/// Checks the form. Every problem is reported at once, each next to its field; nothing is dropped
/// silently (an unknown section is an error, not ignored).
#[allow(
    clippy::result_large_err,
    reason = "field errors are the normal answer to a bad form, built once per request; boxing buys nothing"
)]
pub fn validate(input: &TokenInput, rules: &Rules) -> Result<TokenSpec, FieldErrors> {
    let mut errors = FieldErrors::default();

    let name = input.name.trim();
    let length = name.chars().count();
    if name.is_empty() {
        errors.name =
            Some("Enter a name, so you can tell which integration uses this token.".into());
    } else if length > NAME_MAX {
        errors.name = Some(format!(
            "Use at most {NAME_MAX} characters; this name has {length}."
        ));
    } else if name.chars().any(char::is_control) {
        errors.name = Some("Remove line breaks and other control characters from the name.".into());
    }

    let mut sections = Vec::new();
    let mut unknown = Vec::new();
    for slug in &input.sections {
        match slug.parse::<Section>() {
            Ok(s) => sections.push(s),
            Err(_) => unknown.push(slug.as_str()),
        }
    }
    if !unknown.is_empty() {
        let list = unknown
            .iter()
            .map(|u| format!("“{u}”"))
            .collect::<Vec<_>>()
            .join(", ");
        errors.sections = Some(format!(
            "{list} is not a Kwik section. Choose sections from the list."
        ));
    } else if sections.is_empty() {
        errors.sections = Some(
            "Choose at least one section: the token can reach only the sections you choose.".into(),
        );
    }

    let permission = match input.permission.as_deref() {
        None | Some("") => Some(Permission::ReadOnly),
        Some(p) => p.parse().ok(),
    };
    if permission.is_none() {
        errors.permission = Some("Choose Read-Only or Read-Write.".into());
    }
    let status = match input.status.as_deref() {
        None | Some("") => Some(TokenStatus::Live),
        Some(s) => s.parse().ok(),
    };
    if status.is_none() {
        errors.status = Some("Choose Live or Disabled.".into());
    }

    let expires_at = validate_expiry(input, rules)
        .map_err(|e| errors.expiry = Some(e))
        .ok()
        .flatten();
    let ip_allowlist = parse_allowlist(input.ip_allowlist.as_deref().unwrap_or_default())
        .map_err(|e| errors.ip_allowlist = Some(e))
        .unwrap_or_default();
    let rate_limit = parse_per_second(input.rate_limit.as_deref().unwrap_or_default())
        .map_err(|e| errors.rate_limit = Some(e))
        .unwrap_or_default();

    match (errors.is_empty(), permission, status) {
        (true, Some(permission), Some(status)) => Ok(TokenSpec {
            name: name.to_owned(),
            sections: Sections::new(sections),
            permission,
            status,
            expires_at,
            ip_allowlist,
            rate_limit,
        }),
        _ => Err(errors),
    }
}

fn validate_expiry(
    input: &TokenInput,
    rules: &Rules,
) -> Result<Option<time::PrimitiveDateTime>, String> {
    let choice = input.expiry.as_deref().unwrap_or("never");
    let typed = input.expires_on.as_deref().unwrap_or_default().trim();
    if !typed.is_empty() && choice != "custom" {
        // Never silently drop what was typed: the date may be what was meant.
        let chosen = match choice {
            "" | "never" => "No expiry",
            "30" => "30 days",
            "60" => "60 days",
            "90" => "90 days",
            _ => "another choice",
        };
        return Err(format!(
            "A last day was typed, but “{chosen}” is chosen: choose “On a date” to use the date, \
             or clear it."
        ));
    }
    let at = match choice {
        "" | "never" => None,
        "30" | "60" | "90" => {
            Some(rules.now + time::Duration::days(choice.parse::<i64>().unwrap_or(30)))
        }
        "custom" => {
            let text = input.expires_on.as_deref().unwrap_or_default().trim();
            let day = time::Date::parse(
                text,
                time::macros::format_description!("[year]-[month]-[day]"),
            )
            .map_err(|_| "Choose the last day the token works, like 2027-03-31.".to_owned())?;
            let at = crate::infra::sa_time::end_of_day(day);
            if at <= rules.now {
                return Err("Choose a day in the future: a token cannot start out expired.".into());
            }
            if at - rules.now > time::Duration::days(EXPIRY_MAX_DAYS) {
                return Err("Choose a day within 10 years.".into());
            }
            Some(at)
        }
        _ => return Err("Choose no expiry, 30, 60 or 90 days, or a date.".into()),
    };
    // Whole seconds, like the clock verification compares against: the boundary is exact.
    let at = at.map(|t| t.replace_nanosecond(0).unwrap_or(t));
    if let Some(max) = rules.max_lifetime_days {
        let limit = rules.now + time::Duration::days(i64::from(max) + 1);
        match at {
            None => {
                return Err(format!(
                    "Your organisation requires tokens to expire within {max} days: choose an expiry."
                ));
            }
            Some(at) if at > limit => {
                return Err(format!(
                    "Your organisation allows tokens to live at most {max} days: choose an earlier expiry."
                ));
            }
            _ => {}
        }
    }
    Ok(at)
}

/// Parses an IP allowlist: addresses or CIDR ranges, one per line or comma-separated.
pub fn parse_allowlist(text: &str) -> Result<Vec<IpNet>, String> {
    let entries: Vec<&str> = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|e| !e.is_empty())
        .collect();
    if entries.len() > ALLOWLIST_MAX {
        return Err(format!(
            "List at most {ALLOWLIST_MAX} addresses or ranges; use CIDR ranges to cover more."
        ));
    }
    let bad: Vec<&str> = entries
        .iter()
        .copied()
        .filter(|e| e.parse::<IpNet>().is_err())
        .collect();
    if !bad.is_empty() {
        let list = bad
            .iter()
            .map(|b| format!("“{b}”"))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(format!(
            "{list}: not an IP address or CIDR range. Use forms like 203.0.113.7, 10.0.0.0/8 or 2001:db8::/32."
        ));
    }
    let mut nets: Vec<IpNet> = Vec::new();
    for net in entries.iter().filter_map(|e| e.parse::<IpNet>().ok()) {
        if !nets.contains(&net) {
            nets.push(net);
        }
    }
    Ok(nets)
}

/// The stored form of an allowlist.
pub fn allowlist_text(nets: &[IpNet]) -> String {
    nets.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, sections: &[&str]) -> TokenInput {
        TokenInput {
            name: name.into(),
            sections: sections.iter().map(|s| s.to_string()).collect(),
            ..TokenInput::default()
        }
    }

    #[test]
    fn a_valid_form_defaults_to_read_only_and_live() {
        let spec = validate(
            &input("  Shopify sync  ", &["payments", "customers"]),
            &Rules::for_merchant(None),
        )
        .unwrap();
        assert_eq!(spec.name, "Shopify sync");
        assert_eq!(spec.permission, Permission::ReadOnly);
        assert_eq!(spec.status, TokenStatus::Live);
        assert_eq!(spec.sections.to_stored(), "customers,payments");
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let mut bad = input("", &[]);
        bad.permission = Some("admin".into());
        bad.status = Some("paused".into());
        let errors = validate(&bad, &Rules::for_merchant(None)).unwrap_err();
        assert_eq!(errors.count(), 4);
    }

    #[test]
    fn an_unknown_section_is_an_error_not_dropped() {
        let errors = validate(
            &input("x", &["payments", "wallets"]),
            &Rules::for_merchant(None),
        )
        .unwrap_err();
        assert!(errors.sections.unwrap().contains("“wallets”"));
    }

    #[test]
    fn names_are_limited_to_100_characters_after_trimming() {
        assert!(
            validate(
                &input(&"é".repeat(100), &["orders"]),
                &Rules::for_merchant(None)
            )
            .is_ok()
        );
        let errors = validate(
            &input(&"a".repeat(101), &["orders"]),
            &Rules::for_merchant(None),
        )
        .unwrap_err();
        assert!(errors.name.unwrap().contains("101"));
        assert!(
            validate(&input("   ", &["orders"]), &Rules::for_merchant(None))
                .unwrap_err()
                .name
                .is_some()
        );
        assert!(
            validate(
                &input("two\nlines", &["orders"]),
                &Rules::for_merchant(None)
            )
            .unwrap_err()
            .name
            .is_some()
        );
    }
}
