//! How often a checkout's payer pays: Kwik's `item_frequency` values, and how the page words them.

/// How often the payer pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Frequency {
    /// `ONE_TIME`.
    OneTime,
    /// `MONTHLY`.
    Monthly,
    /// `ANNUALLY`.
    Annually,
}

impl Frequency {
    /// The value a form sends.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OneTime => "ONE_TIME",
            Self::Monthly => "MONTHLY",
            Self::Annually => "ANNUALLY",
        }
    }

    /// In words, after an amount: "R 50.00 once".
    pub fn words(self) -> &'static str {
        match self {
            Self::OneTime => "once",
            Self::Monthly => "monthly",
            Self::Annually => "annually",
        }
    }

    /// As a choice the payer picks.
    pub fn label(self) -> &'static str {
        match self {
            Self::OneTime => "Once",
            Self::Monthly => "Monthly",
            Self::Annually => "Annually",
        }
    }

    /// The frequency a form value names, in any letter case.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::OneTime, Self::Monthly, Self::Annually]
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(text))
    }
}

#[cfg(test)]
mod tests {
    use super::Frequency;

    #[test]
    fn frequencies_are_read_in_any_case_and_worded_for_the_payer() {
        assert_eq!(Frequency::parse("ONE_TIME"), Some(Frequency::OneTime));
        assert_eq!(Frequency::parse("monthly"), Some(Frequency::Monthly));
        assert_eq!(Frequency::parse("Annually"), Some(Frequency::Annually));
        assert_eq!(Frequency::parse("WEEKLY"), None);
        assert_eq!(Frequency::parse(""), None);
        assert_eq!(Frequency::Monthly.words(), "monthly");
        assert_eq!(Frequency::OneTime.label(), "Once");
    }
}
