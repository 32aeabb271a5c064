//! How values are shown on pages: ages, counts, days and machine-readable times. Dates in South
//! African time come from `infra::sa_time`.

use time::PrimitiveDateTime;

pub use crate::infra::sa_time::{SAST, date, date_time};
use crate::infra::sa_time::{push_clock, push_day, push_day_month, push_padded, push_year};

/// Machine-readable UTC for `<time datetime>`: `2026-11-21T23:30:05Z`.
pub fn iso(utc: PrimitiveDateTime) -> String {
    let mut out = day_iso(utc.date());
    out.push('T');
    push_clock(&mut out, utc.time());
    out.push('Z');
    out
}

/// A time left, roughly: `3 h`, `45 min`, `5 days`.
pub fn remaining(left: time::Duration) -> String {
    let secs = left.whole_seconds().max(0);
    match secs {
        0..3_600 => format!("{} min", (secs / 60).max(1)),
        3_600..172_800 => format!("{} h", secs / 3_600),
        _ => format!("{} days", secs / 86_400),
    }
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
    let secs = (now - then).whole_seconds().max(0);
    match secs {
        0..60 => "just now".into(),
        60..3_600 => format!("{} min ago", secs / 60),
        3_600..86_400 => format!("{} h ago", secs / 3_600),
        86_400..172_800 => "yesterday".into(),
        172_800..2_592_000 => format!("{} days ago", secs / 86_400),
        _ => date(then),
    }
}

/// A count as the dashboard writes it: `1,234`.
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
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
    let mut out = String::with_capacity(20);
    push_year(&mut out, day.year());
    out.push('-');
    push_padded(&mut out, u32::from(u8::from(day.month())), 2);
    out.push('-');
    push_padded(&mut out, u32::from(day.day()), 2);
    out
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
    fn counts_have_thousands_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(-4_321), "-4,321");
    }

    #[test]
    fn days_are_written_short_and_long() {
        let d = time::macros::date!(2026 - 11 - 01);
        assert_eq!(day_month(d), "1 Nov");
        assert_eq!(day(d), "1 Nov 2026");
        assert_eq!(day_iso(d), "2026-11-01");
    }
}
