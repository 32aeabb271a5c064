//! The `customization_*` fields: every one is kept, the harmless text ones are applied, and the rest
//! are listed as received.
//!
//! Why only text is applied: colours, fonts, logos and the like would have to go into CSS or `style`
//! attributes. The Content-Security-Policy forbids inline styles, and copying a merchant's value into
//! CSS is an injection path of its own (`url(...)`, `expression(...)`, breaking out of a declaration).
//! A real hosted checkout would map strictly validated values onto a fixed set of classes; the preview
//! shows such fields by name and value as plain, escaped text instead.

use std::collections::BTreeMap;

use super::submission::{Problem, Submission};

/// The prefix of every customisation field.
pub const PREFIX: &str = "customization_";
/// Most customisation fields one form may send.
pub const MAX_FIELDS: usize = 20;
/// Longest button label, in characters: it has to fit on one button.
pub const MAX_BUTTON_TEXT_CHARS: usize = 40;
/// Longest confirmation message, in characters.
pub const MAX_CONFIRMATION_CHARS: usize = 300;
/// Characters of an unapplied value shown in the preview's list.
const SHOWN_VALUE_CHARS: usize = 60;

/// The merchant's customisations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Customization {
    /// `customization_button_text`: the pay button's label.
    pub button_text: Option<String>,
    /// `customization_confirmation_message`: shown to the payer after a successful payment.
    pub confirmation_message: Option<String>,
    /// Every other `customization_*` field, by name without the prefix, value as sent (trimmed).
    pub other: BTreeMap<String, String>,
}

impl Customization {
    /// Reads the `customization_*` fields of `form`, adding a problem for each one that cannot be used.
    pub fn read(form: &Submission, problems: &mut Vec<Problem>) -> Self {
        let fields: Vec<(&str, &str)> = form.with_prefix(PREFIX).collect();
        if fields.len() > MAX_FIELDS {
            problems.push(Problem::new(
                "customization_*",
                format!("has {} fields; send at most {MAX_FIELDS}.", fields.len()),
            ));
            return Self::default();
        }
        let mut out = Self::default();
        for (name, value) in fields {
            let value = value.trim();
            match name {
                "button_text" => {
                    out.button_text = limited(name, value, MAX_BUTTON_TEXT_CHARS, problems);
                }
                "confirmation_message" => {
                    out.confirmation_message =
                        limited(name, value, MAX_CONFIRMATION_CHARS, problems);
                }
                _ => {
                    out.other.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        out
    }

    /// The unapplied fields as the preview lists them: full name, and the value cut short.
    pub fn listed(&self) -> Vec<(String, String)> {
        self.other
            .iter()
            .map(|(name, value)| {
                let shown = if value.chars().count() > SHOWN_VALUE_CHARS {
                    let head: String = value.chars().take(SHOWN_VALUE_CHARS).collect();
                    format!("{head}…")
                } else {
                    value.clone()
                };
                (format!("{PREFIX}{name}"), shown)
            })
            .collect()
    }
}

/// `value` if it is not blank and fits in `max_chars`; a problem if it is too long.
fn limited(
    name: &str,
    value: &str,
    max_chars: usize,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let chars = value.chars().count();
    if chars > max_chars {
        problems.push(Problem::new(
            format!("{PREFIX}{name}"),
            format!("is {chars} characters long; keep it to {max_chars}."),
        ));
        return None;
    }
    Some(value.to_owned()).filter(|v| !v.is_empty())
}
