//! Amounts in South African Rand, held exactly as integer cents: parsed from the checkout form's text
//! and shown the way the checkout page writes them (`R 1,250.00`). No floating point anywhere, so
//! `0.1 + 0.2` problems cannot reach a price.

use std::fmt;

/// The largest amount a checkout form may ask for: R 1,000,000.00. A sanity bound against typos
/// (an extra zero or two), not a Kwik limit.
pub const MAX_CENTS: u64 = 100_000_000;

/// A positive amount of ZAR, in cents, at most [`MAX_CENTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(u64);

/// Why a text is not an [`Amount`]. `Display` gives the end of a sentence that starts with the
/// field's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountError {
    /// Nothing but whitespace.
    Empty,
    /// Not digits with an optional decimal point and one or two decimals (`1e3`, `abc`, `1,000`).
    Invalid,
    /// Three or more decimals: fractions of a cent.
    TooManyDecimals,
    /// Zero or negative.
    NotPositive,
    /// Above [`MAX_CENTS`].
    TooLarge,
}

impl fmt::Display for AmountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "is empty",
            Self::Invalid => {
                "is not an amount in rand: use digits and an optional decimal point, like 1200 or 1200.50"
            }
            Self::TooManyDecimals => "has more than 2 decimal places: amounts are in rand and cents",
            Self::NotPositive => "must be more than R 0.00",
            Self::TooLarge => "is more than the limit of R 1,000,000.00",
        })
    }
}

impl std::error::Error for AmountError {}

impl Amount {
    /// The largest amount: R 1,000,000.00.
    pub const MAX: Self = Self(MAX_CENTS);

    /// The amount in cents.
    pub fn cents(self) -> u64 {
        self.0
    }

    /// The plain decimal form a form field takes back: `1250.00`.
    pub fn plain(self) -> String {
        format!("{}.{:02}", self.0 / 100, self.0 % 100)
    }

    /// An amount of `cents`, if it is positive and within the bound.
    pub fn from_cents(cents: u64) -> Result<Self, AmountError> {
        match cents {
            0 => Err(AmountError::NotPositive),
            c if c > MAX_CENTS => Err(AmountError::TooLarge),
            c => Ok(Self(c)),
        }
    }
}

impl std::str::FromStr for Amount {
    type Err = AmountError;

    /// Parses `10`, `10.5` or `10.50` (surrounding whitespace ignored). Signs, exponents, thousands
    /// separators, a bare or trailing decimal point (`.5`, `10.`) and a third decimal are refused.
    fn from_str(text: &str) -> Result<Self, AmountError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(AmountError::Empty);
        }
        if text.starts_with('-') {
            return Err(AmountError::NotPositive);
        }
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !all_digits(whole)
            || !all_digits(fraction)
            || (text.contains('.') && fraction.is_empty())
        {
            return Err(AmountError::Invalid);
        }
        if fraction.len() > 2 {
            return Err(AmountError::TooManyDecimals);
        }
        // Digits only from here. Leading zeros are harmless; a long run of digits is too large
        // rather than an overflow.
        let mut rand: u64 = 0;
        for digit in whole.bytes().map(|b| u64::from(b - b'0')) {
            rand = rand
                .checked_mul(10)
                .and_then(|r| r.checked_add(digit))
                .ok_or(AmountError::TooLarge)?;
        }
        let cents = match fraction.as_bytes() {
            [] => 0,
            [tens] => u64::from(tens - b'0') * 10,
            [tens, ones] => u64::from(tens - b'0') * 10 + u64::from(ones - b'0'),
            _ => return Err(AmountError::TooManyDecimals),
        };
        let total = rand
            .checked_mul(100)
            .and_then(|c| c.checked_add(cents))
            .ok_or(AmountError::TooLarge)?;
        Self::from_cents(total)
    }
}

impl fmt::Display for Amount {
    /// `R 1,250.00`: the rand sign, a space, commas between thousands and always two decimals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rand = (self.0 / 100).to_string();
        let mut grouped = String::with_capacity(rand.len() + rand.len() / 3);
        for (i, c) in rand.chars().enumerate() {
            if i > 0 && (rand.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(f, "R {grouped}.{:02}", self.0 % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cents(text: &str) -> Result<u64, AmountError> {
        text.parse::<Amount>().map(Amount::cents)
    }

    #[test]
    fn whole_rand_and_one_or_two_decimals_are_read_exactly() {
        assert_eq!(cents("10"), Ok(1000));
        assert_eq!(cents("10.5"), Ok(1050));
        assert_eq!(cents("10.50"), Ok(1050));
        assert_eq!(cents(" 1200.00 "), Ok(120_000));
        assert_eq!(cents("0.01"), Ok(1));
        assert_eq!(cents("0.1"), Ok(10));
        assert_eq!(cents("007"), Ok(700));
        assert_eq!(cents("1000000"), Ok(MAX_CENTS));
        assert_eq!(cents("1000000.00"), Ok(MAX_CENTS));
    }

    #[test]
    fn zero_negative_and_garbled_amounts_are_refused_with_the_reason() {
        use AmountError::*;
        for (text, why) in [
            ("", Empty),
            ("   ", Empty),
            ("0", NotPositive),
            ("0.00", NotPositive),
            ("-1", NotPositive),
            ("-0.5", NotPositive),
            ("1.234", TooManyDecimals),
            ("0.001", TooManyDecimals),
            ("abc", Invalid),
            ("1e3", Invalid),
            ("+5", Invalid),
            ("1,000", Invalid),
            ("R100", Invalid),
            (".5", Invalid),
            ("10.", Invalid),
            ("1.2.3", Invalid),
            ("١٢", Invalid),
            ("NaN", Invalid),
            ("10 000", Invalid),
            ("1000000.01", TooLarge),
            ("99999999999999999999999", TooLarge),
        ] {
            assert_eq!(cents(text), Err(why), "{text:?}");
        }
    }

    #[test]
    fn amounts_are_shown_as_south_african_rand() {
        let show = |t: &str| t.parse::<Amount>().map(|a| a.to_string());
        assert_eq!(show("1250"), Ok("R 1,250.00".into()));
        assert_eq!(show("0.05"), Ok("R 0.05".into()));
        assert_eq!(show("999.9"), Ok("R 999.90".into()));
        assert_eq!(show("12345.67"), Ok("R 12,345.67".into()));
        assert_eq!(show("1000000"), Ok("R 1,000,000.00".into()));
        assert_eq!(show("100000"), Ok("R 100,000.00".into()));
        assert_eq!(
            "1250.5".parse::<Amount>().map(Amount::plain),
            Ok("1250.50".into())
        );
    }

    #[test]
    fn amounts_compare_by_value_not_by_text() {
        let a: Amount = "10.5".parse().unwrap();
        let b: Amount = "10.50".parse().unwrap();
        let c: Amount = "9.99".parse().unwrap();
        assert_eq!(a, b);
        assert!(c < a);
    }
}
