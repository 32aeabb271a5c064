//! How values are shown on pages: ages, counts, days and machine-readable times. Dates in South
//! African time come from `infra::sa_time`.

use time::PrimitiveDateTime;

use crate::infra::sa_time::{
    Push, Text, push_clock, push_day, push_day_month, push_padded, push_year,
};
pub use crate::infra::sa_time::{SAST, date, date_time};

/// Text a page writes as it is: a date, a time, a count or one of a few fixed words, made here from
/// numbers, so it holds nothing anyone typed and needs no escaping. Templates write it straight into
/// the page (askama's `FastWritable`): no `format!`, no allocation, no escaping pass. A page of the
/// token table writes 300 of them.
#[derive(Clone, Copy, Debug)]
pub struct Shown(Text);

impl Shown {
    /// A fixed word: `Never`.
    pub fn word(word: &'static str) -> Self {
        let mut out = Text::new();
        out.put(word);
        Self(out)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl PartialEq<&str> for Shown {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A label written into the program (`Read-Only`, `Customer Cards`, `soon`), never anything typed,
/// and free of HTML's special characters: written into a page as it is, like [`Shown`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Label(&'static str);

impl Label {
    /// `label`, which must hold none of `<>&"'` (the tests of each label's source check).
    pub fn new(label: &'static str) -> Self {
        debug_assert!(is_plain(label), "{label:?} needs escaping");
        Self(label)
    }

    /// The text.
    pub fn as_str(&self) -> &'static str {
        self.0
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Whether `text` holds none of the characters HTML escapes.
pub fn is_plain(text: &str) -> bool {
    !text.contains(['<', '>', '&', '"', '\''])
}

/// Writes each of these types into a page as it is, unescaped: [`Shown`] is made from numbers and
/// fixed words only, and a [`Label`] is text written into the program, checked plain.
macro_rules! written_as_is {
    ($($ty:ty),+) => {$(
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl askama::filters::HtmlSafe for $ty {}

        impl askama::FastWritable for $ty {
            fn write_into(
                &self,
                dest: &mut dyn std::fmt::Write,
                _: &dyn askama::Values,
            ) -> askama::Result<()> {
                Ok(dest.write_str(self.as_str())?)
            }
        }
    )+};
}

written_as_is!(Shown, Label);

/// `22 Nov 2026`, in South African time.
pub fn date_shown(utc: PrimitiveDateTime) -> Shown {
    Shown(crate::infra::sa_time::date_text(utc))
}

/// `22 Nov 2026, 14:03:12 SAST`.
pub fn date_time_shown(utc: PrimitiveDateTime) -> Shown {
    Shown(crate::infra::sa_time::date_time_text(utc))
}

/// Machine-readable UTC for `<time datetime>`: `2026-11-21T23:30:05Z`.
pub fn iso(utc: PrimitiveDateTime) -> String {
    iso_shown(utc).as_str().to_owned()
}

/// [`iso`], for a page.
pub fn iso_shown(utc: PrimitiveDateTime) -> Shown {
    let mut out = Text::new();
    push_day_iso(&mut out, utc.date());
    out.put("T");
    push_clock(&mut out, utc.time());
    out.put("Z");
    Shown(out)
}

/// A time left, roughly: `3 h`, `45 min`, `5 days`.
pub fn remaining(left: time::Duration) -> String {
    let mut out = String::new();
    push_remaining(&mut out, left);
    out
}

/// `in 3 h`, `in 5 days`: an expiry still ahead, for a page.
pub fn remaining_shown(left: time::Duration) -> Shown {
    let mut out = Text::new();
    out.put("in ");
    push_remaining(&mut out, left);
    Shown(out)
}

fn push_remaining(out: &mut impl Push, left: time::Duration) {
    let secs = left.whole_seconds().max(0);
    let (n, unit) = match secs {
        0..3_600 => ((secs / 60).max(1), " min"),
        3_600..172_800 => (secs / 3_600, " h"),
        _ => (secs / 86_400, " days"),
    };
    push_padded(out, n.unsigned_abs(), 1);
    out.put(unit);
}

/// The South African date of a UTC time, as `YYYY-MM-DD` (for date inputs).
pub fn iso_day(utc: PrimitiveDateTime) -> String {
    let day = utc.assume_utc().to_offset(SAST).date();
    format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

/// How long ago `then` was, as the table shows it: `just now`, `3 min ago`, `5 h ago`, `2 days ago`,
/// then the date.
pub fn ago(then: PrimitiveDateTime, now: PrimitiveDateTime) -> String {
    ago_shown(then, now).as_str().to_owned()
}

/// [`ago`], for a page.
pub fn ago_shown(then: PrimitiveDateTime, now: PrimitiveDateTime) -> Shown {
    let secs = (now - then).whole_seconds().max(0);
    let mut out = Text::new();
    let (n, unit) = match secs {
        0..60 => return Shown::word("just now"),
        60..3_600 => (secs / 60, " min ago"),
        3_600..86_400 => (secs / 3_600, " h ago"),
        86_400..172_800 => return Shown::word("yesterday"),
        172_800..2_592_000 => (secs / 86_400, " days ago"),
        _ => return date_shown(then),
    };
    push_count(&mut out, n);
    out.put(unit);
    Shown(out)
}

/// A count as the dashboard writes it: `1,234`.
pub fn count(n: i64) -> String {
    count_shown(n).as_str().to_owned()
}

/// [`count`], for a page.
pub fn count_shown(n: i64) -> Shown {
    let mut out = Text::new();
    push_count(&mut out, n);
    Shown(out)
}

/// Appends `n` with thousands separators: `-1,234,567`.
fn push_count(out: &mut impl Push, n: i64) {
    if n < 0 {
        out.put("-");
    }
    let mut n = n.unsigned_abs();
    // Groups of three from the right; the first one unpadded.
    let mut groups = [0u64; 7];
    let mut len = 0;
    loop {
        groups[len] = n % 1_000;
        len += 1;
        n /= 1_000;
        if n == 0 {
            break;
        }
    }
    push_padded(out, groups[len - 1], 1);
    for &group in groups[..len - 1].iter().rev() {
        out.put(",");
        push_padded(out, group, 3);
    }
}

/// A (South African) day, short: `21 Nov`.
pub fn day_month(day: time::Date) -> String {
    let mut out = String::with_capacity(6);
    push_day_month(&mut out, day);
    out
}

/// A (South African) day in full: `21 Nov 2026`.
pub fn day(day: time::Date) -> String {
    let mut out = String::with_capacity(11);
    push_day(&mut out, day);
    out
}

/// A day for `<time datetime>`: `2026-11-21`.
pub fn day_iso(day: time::Date) -> String {
    let mut out = String::with_capacity(10);
    push_day_iso(&mut out, day);
    out
}

fn push_day_iso(out: &mut impl Push, day: time::Date) {
    push_year(out, day.year());
    out.put("-");
    push_padded(out, u64::from(u8::from(day.month())), 2);
    out.put("-");
    push_padded(out, u64::from(day.day()), 2);
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn ages_read_like_a_person_would_say_them() {
        let now = datetime!(2026-11-22 12:00);
        assert_eq!(ago(now, now), "just now");
        assert_eq!(ago(datetime!(2026-11-22 11:57), now), "3 min ago");
        assert_eq!(ago(datetime!(2026-11-22 07:00), now), "5 h ago");
        assert_eq!(ago(datetime!(2026-11-21 10:00), now), "yesterday");
        assert_eq!(ago(datetime!(2026-11-19 12:00), now), "3 days ago");
        assert_eq!(ago(datetime!(2026-01-05 12:00), now), "5 Jan 2026");
    }

    #[test]
    fn machine_readable_times_are_utc() {
        assert_eq!(iso(datetime!(2026-11-21 23:30:05)), "2026-11-21T23:30:05Z");
        assert_eq!(iso(datetime!(0999-01-02 03:04:05)), "0999-01-02T03:04:05Z");
    }

    /// Written by hand, as `time`'s format descriptions write them, over six years of days.
    #[test]
    fn days_written_by_hand_match_times_format_descriptions() {
        use time::macros::format_description;
        let iso_fd = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
        let short = format_description!("[day padding:none] [month repr:short]");
        let full = format_description!("[day padding:none] [month repr:short] [year]");
        let mut t = datetime!(2024-01-01 00:00:01);
        while t < datetime!(2030-01-01 00:00) {
            assert_eq!(iso(t), t.format(iso_fd).unwrap());
            assert_eq!(day_month(t.date()), t.date().format(short).unwrap());
            assert_eq!(day(t.date()), t.date().format(full).unwrap());
            assert_eq!(day_iso(t.date()), t.date().to_string());
            t += time::Duration::seconds(86_400 + 3_599);
        }
    }

    #[test]
    fn time_left_is_rounded_down_to_its_largest_unit() {
        use time::Duration;
        assert_eq!(remaining(Duration::seconds(0)), "1 min");
        assert_eq!(remaining(Duration::seconds(-5)), "1 min");
        assert_eq!(remaining(Duration::minutes(59)), "59 min");
        assert_eq!(remaining(Duration::hours(1)), "1 h");
        assert_eq!(remaining(Duration::hours(47)), "47 h");
        assert_eq!(remaining(Duration::hours(48)), "2 days");
        assert_eq!(remaining_shown(Duration::days(1_234)), "in 1234 days");
        let now = datetime!(2026-11-22 12:00);
        assert_eq!(ago_shown(datetime!(2026-11-22 07:00), now), "5 h ago");
        assert_eq!(ago_shown(datetime!(2021-11-22 07:00), now), "22 Nov 2021");
    }

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(-4_321), "-4,321");
        assert_eq!(count(1_000_001), "1,000,001");
        assert_eq!(count(i64::MIN), "-9,223,372,036,854,775,808");
        assert_eq!(count_shown(12_345), "12,345");
    }

    #[test]
    fn days_are_written_short_and_long() {
        let d = time::macros::date!(2026 - 11 - 01);
        assert_eq!(day_month(d), "1 Nov");
        assert_eq!(day(d), "1 Nov 2026");
        assert_eq!(day_iso(d), "2026-11-01");
    }
}
