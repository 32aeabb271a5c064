//! Timestamps read the short way on SQLite, where they are stored as text. diesel parses each one by
//! trying its list of formats in turn through `time`'s format machinery: about 1,000 instructions a
//! timestamp, a twentieth of an uncached list page's rows (callgrind). The text the app writes,
//! `2026-12-07 16:03:30` with an optional fraction, is read here directly; anything else goes to
//! diesel as before. Postgres sends binary timestamps, read as they always were.

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::pg::Pg;
use diesel::sql_types::{Nullable, Timestamp};
use diesel::sqlite::Sqlite;
use time::PrimitiveDateTime;

/// A `Timestamp` column (`#[diesel(deserialize_as = Stamp)]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow)]
pub struct Stamp(pub PrimitiveDateTime);

/// A `Nullable<Timestamp>` column (`#[diesel(deserialize_as = MaybeStamp)]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow)]
pub struct MaybeStamp(pub Option<PrimitiveDateTime>);

impl From<Stamp> for PrimitiveDateTime {
    fn from(stamp: Stamp) -> Self {
        stamp.0
    }
}

impl From<MaybeStamp> for Option<PrimitiveDateTime> {
    fn from(stamp: MaybeStamp) -> Self {
        stamp.0
    }
}

impl FromSql<Timestamp, Sqlite> for Stamp {
    fn from_sql(mut value: diesel::sqlite::SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        match parse(value.read_text()) {
            Some(at) => Ok(Self(at)),
            None => <PrimitiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(Self),
        }
    }
}

impl FromSql<Timestamp, Pg> for Stamp {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> deserialize::Result<Self> {
        <PrimitiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value).map(Self)
    }
}

impl<DB: diesel::backend::Backend> FromSql<Nullable<Timestamp>, DB> for MaybeStamp
where
    Stamp: FromSql<Timestamp, DB>,
{
    fn from_sql(value: DB::RawValue<'_>) -> deserialize::Result<Self> {
        <Stamp as FromSql<Timestamp, DB>>::from_sql(value).map(|s| Self(Some(s.0)))
    }

    fn from_nullable_sql(value: Option<DB::RawValue<'_>>) -> deserialize::Result<Self> {
        match value {
            Some(value) => Self::from_sql(value),
            None => Ok(Self(None)),
        }
    }
}

/// `YYYY-MM-DD HH:MM:SS` with an optional `.` and 1 to 9 digits of fraction, as diesel writes a
/// `PrimitiveDateTime` to SQLite; `None` for any other text (or an impossible date).
fn parse(text: &str) -> Option<PrimitiveDateTime> {
    let b = text.as_bytes();
    let separators = [(4, b'-'), (7, b'-'), (10, b' '), (13, b':'), (16, b':')];
    if b.len() < 19 || separators.iter().any(|&(at, c)| b[at] != c) {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let nanos = match &b[19..] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            let n = num(20, b.len())?;
            n * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let month = time::Month::try_from(u8::try_from(num(5, 7)?).ok()?).ok()?;
    let date = time::Date::from_calendar_date(
        i32::try_from(num(0, 4)?).ok()?,
        month,
        u8::try_from(num(8, 10)?).ok()?,
    )
    .ok()?;
    let time = time::Time::from_hms_nano(
        u8::try_from(num(11, 13)?).ok()?,
        u8::try_from(num(14, 16)?).ok()?,
        u8::try_from(num(17, 19)?).ok()?,
        nanos,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time))
}

#[cfg(test)]
mod tests {
    use super::parse;
    use time::macros::{datetime, format_description};

    #[test]
    fn the_text_diesel_writes_is_read_back_exactly() {
        let whole = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
        let fraction =
            format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond]");
        for at in [
            datetime!(2026-12-07 16:03:30),
            datetime!(2026-12-07 16:03:30.5),
            datetime!(2026-01-31 00:00:00.000_001),
            datetime!(2024-02-29 23:59:59.123_456_789),
            datetime!(0001-01-01 00:00:00),
        ] {
            let format = if at.nanosecond() == 0 {
                whole
            } else {
                fraction
            };
            let text = at.format(format).unwrap();
            assert_eq!(parse(&text), Some(at), "{text}");
        }
        assert_eq!(
            parse("2026-12-07 16:03:30.25"),
            Some(datetime!(2026-12-07 16:03:30.25))
        );
    }

    #[test]
    fn other_text_is_left_to_diesel() {
        for text in [
            "",
            "2026-12-07",
            "2026-12-07T16:03:30",
            "2026-12-07 16:03",
            "2026-12-07 16:03:30Z",
            "2026-12-07 16:03:30.",
            "2026-12-07 16:03:30.1234567890",
            "2026-12-07 16:03:30+02:00",
            "2026-02-30 16:03:30",
            "2026-13-01 16:03:30",
            "2026-12-07 24:00:00",
            "2026-1a-07 16:03:30",
            "2459000.5",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }
}
