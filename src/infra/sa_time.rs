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

/// Appends `n` in decimal, zero-padded to at least `width` digits (at most 10).
pub fn push_padded(out: &mut String, n: u32, width: usize) {
    let mut digits = [b'0'; 10];
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
    for &d in &digits[start..] {
        out.push(char::from(d));
    }
}

/// Appends a year as `time`'s `[year]` writes it: four digits at least, `-` before the era.
pub fn push_year(out: &mut String, year: i32) {
    if year < 0 {
        out.push('-');
    }
    push_padded(out, year.unsigned_abs(), 4);
}

/// Appends `21 Nov`: the day without padding, the month short.
pub fn push_day_month(out: &mut String, day: Date) {
    push_padded(out, u32::from(day.day()), 1);
    out.push(' ');
    out.push_str(MONTHS[usize::from(u8::from(day.month())) - 1]);
}

/// Appends `21 Nov 2026`.
pub fn push_day(out: &mut String, day: Date) {
    push_day_month(out, day);
    out.push(' ');
    push_year(out, day.year());
}

/// Appends `14:03:12`.
pub fn push_clock(out: &mut String, t: time::Time) {
    push_padded(out, u32::from(t.hour()), 2);
    out.push(':');
    push_padded(out, u32::from(t.minute()), 2);
    out.push(':');
    push_padded(out, u32::from(t.second()), 2);
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
    let mut out = String::with_capacity(11);
    push_day(&mut out, day_of(utc));
    out
}

/// `22 Nov 2026, 14:03:12 SAST`.
pub fn date_time(utc: PrimitiveDateTime) -> String {
    let local = utc.assume_utc().to_offset(SAST);
    let mut out = String::with_capacity(26);
    push_day(&mut out, local.date());
    out.push_str(", ");
    push_clock(&mut out, local.time());
    out.push_str(" SAST");
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
