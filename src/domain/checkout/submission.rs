//! A submitted checkout form as it arrived: every field with every value sent, and the problems
//! found in it. `form` and `customization` read from it.

use std::collections::BTreeMap;

/// One thing wrong with a submitted form: the field it concerns, and a sentence about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The form field's name, as the merchant wrote it in their HTML.
    pub field: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl Problem {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The submitted fields by name, each with every value sent, in order.
#[derive(Debug, Clone, Default)]
pub struct Submission(BTreeMap<String, Vec<String>>);

impl Submission {
    /// Reads a URL-encoded body. Invalid UTF-8 is replaced rather than refused: the values are then
    /// judged like any other text.
    pub fn parse(body: &[u8]) -> Result<Self, serde_html_form::de::Error> {
        let pairs: Vec<(String, String)> = serde_html_form::from_bytes(body)?;
        let mut fields = BTreeMap::<String, Vec<String>>::new();
        for (name, value) in pairs {
            fields.entry(name).or_default().push(value);
        }
        Ok(Self(fields))
    }

    /// The single value of `name` (trimmed; empty counts as absent). A field sent twice is a
    /// problem: which one the merchant meant is anyone's guess.
    pub fn one(&self, name: &str, problems: &mut Vec<Problem>) -> Option<&str> {
        let values = self.0.get(name)?;
        if values.len() > 1 {
            problems.push(Problem::new(name, "was sent more than once; send it once."));
        }
        values.first().map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// Whether `name` was sent at all (even empty).
    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// Every item of a list field: the field may be repeated, and each value may be comma-separated.
    /// Blank items are skipped.
    pub(super) fn list(&self, name: &str) -> Vec<&str> {
        self.0
            .get(name)
            .into_iter()
            .flatten()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// Fields whose name starts with `prefix`, first value each, prefix removed.
    pub fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.0.iter().filter_map(move |(name, values)| {
            let rest = name.strip_prefix(prefix)?;
            Some((rest, values.first().map(String::as_str).unwrap_or_default()))
        })
    }
}
