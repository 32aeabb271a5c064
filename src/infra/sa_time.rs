//! South African time, the dashboard's clock: the offset, its days, and dates as people read them.
//! The database keeps UTC; every conversion to a South African day or date goes through here.
//!
//! Dates are written digit by digit rather than through `time`'s format descriptions: a page of
//! the token table writes 200 of them, and the descriptions' machinery was a third of what
//! building its rows cost (the tests hold them to the descriptions' output).

use time::macros::{offset, time};
use time::{Date, PrimitiveDateTime, UtcOffset};

/// South African Standard Time (Africa/Johannesburg): UTC+2 all year, no daylight saving since 1944.
pub const SAST: UtcOffset = offset!(+2);

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Where the writers below put their text: a `String`, or a [`Text`] on the stack.
pub trait Push {
    /// Appends `s`.
    fn put(&mut self, s: &str);

    /// Appends ASCII digits.
    fn put_digits(&mut self, digits: &[u8]);
}

impl Push for String {
    fn put(&mut self, s: &str) {
        self.push_str(s);
    }

    fn put_digits(&mut self, digits: &[u8]) {
        self.extend(digits.iter().map(|&d| char::from(d)));
    }
}

/// A short text written on the stack: a date, a clock time or a count. A page of the token table
/// writes 300 of them; built here and written to the page once each, they cost neither an
/// allocation nor a call per character.
#[derive(Clone, Copy)]
pub struct Text {
    bytes: [u8; Text::CAP],
    len: usize,
}

impl Text {
    /// Bytes it holds at most: more than the longest date and time written here (30 bytes).
    pub const CAP: usize = 40;

    /// Empty.
    pub const fn new() -> Self {
        Self {
            bytes: [0; Self::CAP],
            len: 0,
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only whole `str`s and ASCII digits are put in (a longer one is left out whole), so this
        // never fails.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl Default for Text {
    fn default() -> Self {
        Self::new()
    }
}

impl Text {
    /// Appends `bytes`, which are whole UTF-8 (a `str`, or ASCII digits), or nothing if they do not
    /// fit.
    fn put_bytes(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        debug_assert!(end <= Self::CAP, "Text overflows with {bytes:?}");
        if let Some(dest) = self.bytes.get_mut(self.len..end) {
            dest.copy_from_slice(bytes);
            self.len = end;
        }
    }
}

impl Push for Text {
    fn put(&mut self, s: &str) {
        self.put_bytes(s.as_bytes());
    }

    fn put_digits(&mut self, digits: &[u8]) {
        debug_assert!(digits.is_ascii());
        self.put_bytes(digits);
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Appends `n` in decimal, zero-padded to at least `width` digits (at most 20).
pub fn push_padded(out: &mut impl Push, n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let start = i.min(digits.len() - width.min(digits.len()));
    out.put_digits(&digits[start..]);
}

/// Appends a year as `time`'s `[year]` writes it: four digits at least, `-` before the era.
pub fn push_year(out: &mut impl Push, year: i32) {
    if year < 0 {
        out.put("-");
    }
    push_padded(out, u64::from(year.unsigned_abs()), 4);
}

/// Appends `21 Nov`: the day without padding, the month short.
pub fn push_day_month(out: &mut impl Push, day: Date) {
    push_padded(out, u64::from(day.day()), 1);
    out.put(" ");
    out.put(MONTHS[usize::from(u8::from(day.month())) - 1]);
}

/// Appends `21 Nov 2026`.
pub fn push_day(out: &mut impl Push, day: Date) {
    push_day_month(out, day);
    out.put(" ");
    push_year(out, day.year());
}

/// Appends `14:03:12`.
pub fn push_clock(out: &mut impl Push, t: time::Time) {
    push_padded(out, u64::from(t.hour()), 2);
    out.put(":");
    push_padded(out, u64::from(t.minute()), 2);
    out.put(":");
    push_padded(out, u64::from(t.second()), 2);
}

/// The South African day of a UTC time.
pub fn day_of(utc: PrimitiveDateTime) -> Date {
    utc.assume_utc().to_offset(SAST).date()
}

/// The first second (00:00:00 South African time) of `day`, in UTC.
pub fn start_of_day(day: Date) -> PrimitiveDateTime {
    to_utc(PrimitiveDateTime::new(day, time::Time::MIDNIGHT))
}

/// The last second (23:59:59 South African time) of `day`, in UTC.
pub fn end_of_day(day: Date) -> PrimitiveDateTime {
    to_utc(PrimitiveDateTime::new(day, time!(23:59:59)))
}

fn to_utc(local: PrimitiveDateTime) -> PrimitiveDateTime {
    let utc = local.assume_offset(SAST).to_offset(UtcOffset::UTC);
    PrimitiveDateTime::new(utc.date(), utc.time())
}

/// `22 Nov 2026`, in South African time.
pub fn date(utc: PrimitiveDateTime) -> String {
    date_text(utc).as_str().to_owned()
}

/// [`date`], on the stack.
pub fn date_text(utc: PrimitiveDateTime) -> Text {
    let mut out = Text::new();
    push_day(&mut out, day_of(utc));
    out
}

/// `22 Nov 2026, 14:03:12 SAST`.
pub fn date_time(utc: PrimitiveDateTime) -> String {
    date_time_text(utc).as_str().to_owned()
}

/// [`date_time`], on the stack.
pub fn date_time_text(utc: PrimitiveDateTime) -> Text {
    let local = utc.assume_utc().to_offset(SAST);
    let mut out = Text::new();
    push_day(&mut out, local.date());
    out.put(", ");
    push_clock(&mut out, local.time());
    out.put(" SAST");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    /// Every day of six years, at times that cross midnight in Johannesburg, written by hand and
    /// by `time`'s format descriptions: the same text.
    #[test]
    fn dates_written_by_hand_match_times_format_descriptions() {
        use time::macros::format_description;
        let date_fd = format_description!("[day padding:none] [month repr:short] [year]");
        let date_time_fd = format_description!(
            "[day padding:none] [month repr:short] [year], [hour]:[minute]:[second] SAST"
        );
        let mut t = datetime!(2023-12-31 21:59:58);
        let end = datetime!(2030-01-02 00:00);
        while t < end {
            let local = t.assume_utc().to_offset(SAST);
            assert_eq!(date(t), local.format(date_fd).unwrap());
            assert_eq!(date_time(t), local.format(date_time_fd).unwrap());
            t += time::Duration::seconds(86_400 + 3_607);
        }
        for year in [-12, 0, 7, 99, 999, 2026, 9999] {
            let mut out = String::new();
            push_year(&mut out, year);
            let day = Date::from_calendar_date(year, time::Month::June, 5).unwrap();
            assert_eq!(out, day.format(format_description!("[year]")).unwrap());
        }
    }

    #[test]
    fn dates_are_shown_in_south_african_time() {
        // 23:30 UTC on 21 Nov is already 22 Nov in Johannesburg.
        let t = datetime!(2026-11-21 23:30:05);
        assert_eq!(date(t), "22 Nov 2026");
        assert_eq!(date_time(t), "22 Nov 2026, 01:30:05 SAST");
        assert_eq!(date(datetime!(2026-03-03 10:00)), "3 Mar 2026");
    }

    #[test]
    fn a_south_african_day_runs_from_22_00_to_21_59_59_utc() {
        let day = date!(2026 - 11 - 22);
        assert_eq!(start_of_day(day), datetime!(2026-11-21 22:00:00));
        assert_eq!(end_of_day(day), datetime!(2026-11-22 21:59:59));
        assert_eq!(day_of(datetime!(2026-11-21 22:00:00)), day);
        assert_eq!(
            day_of(datetime!(2026-11-21 21:59:59)),
            date!(2026 - 11 - 21)
        );
    }
}
