//! South African time, the dashboard's clock: the offset, its days, and dates as people read them.
//! The database keeps UTC; every conversion to a South African day or date goes through here.

use time::format_description::FormatItem;
use time::macros::{format_description, offset, time};
use time::{Date, PrimitiveDateTime, UtcOffset};

/// South African Standard Time (Africa/Johannesburg): UTC+2 all year, no daylight saving since 1944.
pub const SAST: UtcOffset = offset!(+2);

/// `22 Nov 2026`.
pub const DATE: &[FormatItem<'static>] =
    format_description!("[day padding:none] [month repr:short] [year]");
const DATE_TIME: &[FormatItem<'static>] = format_description!(
    "[day padding:none] [month repr:short] [year], [hour]:[minute]:[second] SAST"
);

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
    utc.assume_utc()
        .to_offset(SAST)
        .format(DATE)
        .unwrap_or_default()
}

/// `22 Nov 2026, 14:03:12 SAST`.
pub fn date_time(utc: PrimitiveDateTime) -> String {
    utc.assume_utc()
        .to_offset(SAST)
        .format(DATE_TIME)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

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
