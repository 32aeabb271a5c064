//! What is wrong with a submitted token form: one message per field.

/// A message per field that did not validate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors {
    /// About the name.
    pub name: Option<String>,
    /// About the sections.
    pub sections: Option<String>,
    /// About the permission.
    pub permission: Option<String>,
    /// About the status.
    pub status: Option<String>,
    /// About the expiry.
    pub expiry: Option<String>,
    /// About the IP allowlist.
    pub ip_allowlist: Option<String>,
    /// About the rate limit.
    pub rate_limit: Option<String>,
}

impl FieldErrors {
    /// Whether no field has an error.
    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }

    /// The name is another token's already: the only error, next to the name.
    pub fn duplicate_name(name: &str) -> Self {
        Self {
            name: Some(format!(
                "Another token is already called “{name}” (names ignore case). Choose a name you \
                 can tell apart in the History and in Support."
            )),
            ..Self::default()
        }
    }

    /// How many fields have an error.
    pub fn count(&self) -> usize {
        [
            &self.name,
            &self.sections,
            &self.permission,
            &self.status,
            &self.expiry,
            &self.ip_allowlist,
            &self.rate_limit,
        ]
        .iter()
        .filter(|e| e.is_some())
        .count()
    }
}
