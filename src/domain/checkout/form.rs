//! Kwik's documented checkout form fields, read from a URL-encoded body and checked into an [`Offer`]:
//! what the payer is asked to pay, how often, and the merchant's customisations. Every problem is
//! collected, so a merchant fixes their form in one round.

use super::amount::{Amount, AmountError};
use super::customization::Customization;
use super::frequency::Frequency;
use super::submission::{Problem, Submission};

/// Longest item title, in characters: it must fit a checkout header and an invoice line.
pub const MAX_TITLE_CHARS: usize = 120;
/// Longest item description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// Most preset amounts a form may offer (Kwik's documented limit).
pub const MAX_AMOUNT_OPTIONS: usize = 5;
/// The only checkout `type` Kwik documents for the form.
pub const CHOOSE_WHAT_TO_PAY: &str = "CHOOSE_WHAT_TO_PAY";

const BLANK_AMOUNT: &str =
    "is empty: give an amount, or leave the field out to let the payer choose.";

/// A checked checkout form: everything the hosted page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// What is paid for (trimmed, never empty).
    pub title: String,
    /// A longer description, if given.
    pub description: Option<String>,
    /// The frequencies the payer may choose among, canonical order, never empty.
    pub frequencies: Vec<Frequency>,
    /// The preset amount; `None` lets the payer choose or enter one.
    pub amount: Option<Amount>,
    /// Preset amounts to choose from, in the merchant's order, without repeats (at most 5).
    pub options: Vec<Amount>,
    /// Cap on an amount the payer types in.
    pub max: Option<Amount>,
    /// The `customization_*` fields.
    pub customization: Customization,
}

impl Submission {
    /// Checks every field except `public_key` (the caller checks it against the database).
    pub fn offer(&self) -> Result<Offer, Vec<Problem>> {
        let mut problems = Vec::new();
        if let Some(kind) = self.one("type", &mut problems)
            && !kind.eq_ignore_ascii_case(CHOOSE_WHAT_TO_PAY)
        {
            problems.push(Problem::new(
                "type",
                format!("must be {CHOOSE_WHAT_TO_PAY}, the checkout type this form supports."),
            ));
        }
        let title = self.text("item_title", MAX_TITLE_CHARS, &mut problems);
        if title.is_none() && !problems.iter().any(|p| p.field == "item_title") {
            problems.push(Problem::new(
                "item_title",
                "is required: name what the payer is paying for.",
            ));
        }
        let description = self.text("item_description", MAX_DESCRIPTION_CHARS, &mut problems);
        let frequencies = self.frequencies(&mut problems);
        let amount = self.amount("item_amount", &mut problems);
        let max = self.amount("item_amount_max", &mut problems);
        let options = self.options(&mut problems);
        check_amounts(amount, &options, max, &mut problems);
        let customization = Customization::read(self, &mut problems);
        match title {
            Some(title) if problems.is_empty() => Ok(Offer {
                title,
                description,
                frequencies,
                amount,
                options,
                max,
                customization,
            }),
            _ => Err(problems),
        }
    }

    fn text(&self, name: &str, max_chars: usize, problems: &mut Vec<Problem>) -> Option<String> {
        let text = self.one(name, problems)?;
        let chars = text.chars().count();
        if chars > max_chars {
            problems.push(Problem::new(
                name,
                format!("is {chars} characters long; keep it to {max_chars}."),
            ));
            return None;
        }
        Some(text.to_owned())
    }

    fn frequencies(&self, problems: &mut Vec<Problem>) -> Vec<Frequency> {
        let mut found = Vec::new();
        for item in self.list("item_frequency") {
            match Frequency::parse(item) {
                Some(f) => found.push(f),
                None => problems.push(Problem::new(
                    "item_frequency",
                    format!(
                        "“{}” is not a frequency: use ONE_TIME, MONTHLY or ANNUALLY, or several of them separated by commas.",
                        shorten(item)
                    ),
                )),
            }
        }
        found.sort();
        found.dedup();
        // Kwik's documented default when the field is left out.
        if found.is_empty() {
            found.push(Frequency::OneTime);
        }
        found
    }

    /// An optional amount field. Left out, the payer chooses; sent blank, it is refused, since a
    /// blank `value=""` is far more likely a template bug than a wish to let the payer choose.
    fn amount(&self, name: &str, problems: &mut Vec<Problem>) -> Option<Amount> {
        let Some(text) = self.one(name, problems) else {
            if self.has(name) {
                problems.push(Problem::new(name, BLANK_AMOUNT));
            }
            return None;
        };
        text.parse()
            .map_err(|e: AmountError| {
                problems.push(Problem::new(name, format!("“{}” {e}.", shorten(text))));
            })
            .ok()
    }

    fn options(&self, problems: &mut Vec<Problem>) -> Vec<Amount> {
        let items = self.list("item_amount_options");
        if items.is_empty() && self.has("item_amount_options") {
            problems.push(Problem::new("item_amount_options", BLANK_AMOUNT));
        }
        if items.len() > MAX_AMOUNT_OPTIONS {
            problems.push(Problem::new(
                "item_amount_options",
                format!(
                    "has {} amounts; offer at most {MAX_AMOUNT_OPTIONS}.",
                    items.len()
                ),
            ));
            return Vec::new();
        }
        let mut options = Vec::new();
        for item in items {
            match item.parse::<Amount>() {
                Ok(a) if !options.contains(&a) => options.push(a),
                Ok(_) => {}
                Err(e) => problems.push(Problem::new(
                    "item_amount_options",
                    format!(
                        "“{}” {e}. Options are separated by commas, so write 1000, not 1,000.",
                        shorten(item)
                    ),
                )),
            }
        }
        options
    }
}

/// The amounts must agree with each other: nothing above the cap, and a preset amount that is one
/// of the options when both are sent (it is the option chosen at first).
fn check_amounts(
    amount: Option<Amount>,
    options: &[Amount],
    max: Option<Amount>,
    problems: &mut Vec<Problem>,
) {
    if let Some(max) = max {
        if let Some(amount) = amount.filter(|a| *a > max) {
            problems.push(Problem::new(
                "item_amount_max",
                format!("{max} is less than item_amount ({amount}); it must be at least as much."),
            ));
        }
        if let Some(option) = options.iter().find(|o| **o > max) {
            problems.push(Problem::new(
                "item_amount_options",
                format!("{option} is more than item_amount_max ({max})."),
            ));
        }
    }
    if let Some(amount) = amount
        && !options.is_empty()
        && !options.contains(&amount)
    {
        problems.push(Problem::new(
            "item_amount",
            format!(
                "{amount} is not one of item_amount_options; with options, item_amount picks the one chosen at first."
            ),
        ));
    }
}

/// A submitted value quoted back in a message, cut short so a huge value cannot flood the page.
pub(crate) fn shorten(text: &str) -> String {
    const MAX: usize = 24;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let head: String = text.chars().take(MAX).collect();
        format!("{head}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(body: &str) -> Result<Offer, Vec<Problem>> {
        Submission::parse(body.as_bytes()).unwrap().offer()
    }

    fn fields(problems: Vec<Problem>) -> Vec<String> {
        problems.into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn the_documented_donation_form_reads_into_an_offer() {
        let o = offer(
            "type=CHOOSE_WHAT_TO_PAY&item_title=+Save+the+rhino+&item_frequency=ONE_TIME%2CMONTHLY%2CANNUALLY\
             &item_amount_options=50%2C100%2C150%2C200%2C250&item_amount_max=3000\
             &customization_button_text=Donate+now&customization_theme=dark",
        )
        .unwrap();
        assert_eq!(o.title, "Save the rhino");
        assert_eq!(o.frequencies.len(), 3);
        assert_eq!(o.options.iter().map(|a| a.cents()).sum::<u64>(), 75_000);
        assert_eq!(o.max.map(Amount::cents), Some(300_000));
        assert_eq!(o.amount, None);
        assert_eq!(o.customization.button_text.as_deref(), Some("Donate now"));
        assert_eq!(
            o.customization.other.get("theme").map(String::as_str),
            Some("dark")
        );
    }

    #[test]
    fn options_may_be_repeated_or_comma_separated_and_repeats_are_dropped() {
        let o = offer(
            "item_title=T&item_amount_options=10,20&item_amount_options=20&item_amount_options=30",
        )
        .unwrap();
        let cents: Vec<u64> = o.options.iter().map(|a| a.cents()).collect();
        assert_eq!(cents, [1000, 2000, 3000]);
        assert_eq!(o.frequencies, [Frequency::OneTime]);
    }

    #[test]
    fn a_single_field_sent_twice_is_a_problem() {
        let problems = offer("item_title=A&item_title=B").unwrap_err();
        assert_eq!(fields(problems), ["item_title"]);
    }

    #[test]
    fn a_preset_amount_must_be_one_of_the_options_and_within_the_cap() {
        let problems = offer("item_title=T&item_amount=30&item_amount_options=10,20").unwrap_err();
        assert_eq!(fields(problems), ["item_amount"]);
        let problems = offer("item_title=T&item_amount=30&item_amount_max=20").unwrap_err();
        assert_eq!(fields(problems), ["item_amount_max"]);
        assert!(offer("item_title=T&item_amount=20&item_amount_max=20").is_ok());
    }

    #[test]
    fn long_values_are_quoted_back_shortened() {
        assert_eq!(shorten("abc"), "abc");
        assert_eq!(shorten(&"9".repeat(30)), format!("{}…", "9".repeat(24)));
    }
}
