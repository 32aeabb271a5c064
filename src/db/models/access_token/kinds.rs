//! The token's named values as stored: permission, status and the sections it may use.

use super::super::text_enum;

text_enum! {
    /// What a token may do within its sections.
    Permission {
        /// Can retrieve data but cannot create, update or delete records.
        ReadOnly = "read_only",
        /// Full access to create, update and retrieve records within the selected sections.
        ReadWrite = "read_write",
    }
}

impl Permission {
    /// The label the dashboard shows.
    pub fn label(self) -> &'static str {
        match self {
            Self::ReadOnly => "Read-Only",
            Self::ReadWrite => "Read-Write",
        }
    }

    /// The help page's description.
    pub fn description(self) -> &'static str {
        match self {
            Self::ReadOnly => "Can retrieve data but cannot create, update or delete records.",
            Self::ReadWrite => {
                "Full access to create, update and retrieve records within the selected sections."
            }
        }
    }
}

text_enum! {
    /// Whether a token can be used.
    TokenStatus {
        /// Token is active and can be used.
        Live = "live",
        /// Token cannot be used until re-enabled.
        Disabled = "disabled",
    }
}

impl TokenStatus {
    /// The other status.
    pub fn other(self) -> Self {
        match self {
            Self::Live => Self::Disabled,
            Self::Disabled => Self::Live,
        }
    }

    /// The label the dashboard shows.
    pub fn label(self) -> &'static str {
        match self {
            Self::Live => "Live",
            Self::Disabled => "Disabled",
        }
    }

    /// The help page's description.
    pub fn description(self) -> &'static str {
        match self {
            Self::Live => "Token is active and can be used.",
            Self::Disabled => "Token cannot be used until re-enabled.",
        }
    }
}

text_enum! {
    /// A platform area a token can be given access to, in the help page's order.
    Section {
        /// Customers.
        Customers = "customers",
        /// Customer Bank Accounts.
        CustomerBankAccounts = "customer_bank_accounts",
        /// Customer Cards.
        CustomerCards = "customer_cards",
        /// Customer Mandates.
        CustomerMandates = "customer_mandates",
        /// Payments.
        Payments = "payments",
        /// Transactions.
        Transactions = "transactions",
        /// Recipients.
        Recipients = "recipients",
        /// Payouts.
        Payouts = "payouts",
        /// Checkout Page.
        CheckoutPage = "checkout_page",
        /// Orders.
        Orders = "orders",
    }
}

impl Section {
    /// The label the dashboard shows.
    pub fn label(self) -> &'static str {
        match self {
            Self::Customers => "Customers",
            Self::CustomerBankAccounts => "Customer Bank Accounts",
            Self::CustomerCards => "Customer Cards",
            Self::CustomerMandates => "Customer Mandates",
            Self::Payments => "Payments",
            Self::Transactions => "Transactions",
            Self::Recipients => "Recipients",
            Self::Payouts => "Payouts",
            Self::CheckoutPage => "Checkout Page",
            Self::Orders => "Orders",
        }
    }
}

/// A non-empty set of sections, kept in the help page's order and stored as comma-separated slugs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sections(Vec<Section>);

/// A list of slugs, in canonical order: `["payments","payouts"]`.
impl serde::Serialize for Sections {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|s| s.as_str()))
    }
}

impl Sections {
    /// The set of these sections (duplicates removed, canonical order).
    pub fn new(sections: impl IntoIterator<Item = Section>) -> Self {
        let mut v: Vec<Section> = sections.into_iter().collect();
        v.sort();
        v.dedup();
        Self(v)
    }

    /// Parses the stored form; unknown slugs are an error rather than silently dropped.
    pub fn parse_stored(stored: &str) -> Result<Self, String> {
        stored
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(Self::new)
    }

    /// The stored form.
    pub fn to_stored(&self) -> String {
        self.0
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Whether `section` is in the set.
    pub fn contains(&self, section: Section) -> bool {
        self.0.contains(&section)
    }

    /// The sections, in canonical order.
    pub fn iter(&self) -> impl Iterator<Item = Section> + '_ {
        self.0.iter().copied()
    }

    /// Number of sections.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_keep_the_help_page_order_and_round_trip() {
        let s = Sections::new([
            Section::Orders,
            Section::Customers,
            Section::Payments,
            Section::Orders,
        ]);
        assert_eq!(s.to_stored(), "customers,payments,orders");
        assert_eq!(Sections::parse_stored(&s.to_stored()), Ok(s));
        assert!(Sections::parse_stored("customers,nope").is_err());
        assert_eq!(Section::ALL.len(), 10);
    }
}
