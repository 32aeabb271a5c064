//! A token's last 30 days of API requests, allowed, denied and rate limited, per South African day:
//! the bars of an inline SVG (drawn by the template), a text summary, and the table of the same
//! numbers.

use super::reasons::{Reason, day_note, reasons};
use crate::db::models::access_token::DayUsage;
use crate::web::format;

/// Days shown, today included.
pub const DAYS: i64 = crate::domain::credentials::usage::WINDOW_DAYS;
/// The SVG's drawing box: a 20-unit slot a day, a 14-unit bar centred in it.
const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 160.0;
const SLOT: f64 = WIDTH / DAYS as f64;
const BAR: f64 = 14.0;
/// The thinnest visible bar segment: a day with any count never looks like a day with none.
const MIN_SEGMENT: f64 = 2.0;

/// One day of the chart and of its table.
#[derive(Debug, Clone)]
pub struct Day {
    /// `2026-11-21`, for `<time datetime>`.
    pub iso: String,
    /// `21 Nov`.
    pub label: String,
    /// `21 Nov 2026`.
    pub full: String,
    /// Allowed verifications.
    pub allowed: i64,
    /// Denied verifications.
    pub denied: i64,
    /// Requests refused for the token's rate limit.
    pub limited: i64,
    /// The denied ones by code: `3 DISABLED, 2 IP_NOT_ALLOWED`; empty for none (or not kept).
    pub denied_note: String,
    /// All three.
    pub total: i64,
    /// Bar geometry, in drawing units: left edge.
    pub x: String,
    /// The allowed segment (bottom): top edge and height.
    pub allowed_y: String,
    pub allowed_h: String,
    /// The denied segment (on top of the allowed one): top edge and height.
    pub denied_y: String,
    pub denied_h: String,
    /// The rate-limited segment (on top): top edge and height.
    pub limited_y: String,
    pub limited_h: String,
}

/// The chart, its summary and its table.
#[derive(Debug, Clone)]
pub struct UsageChart {
    /// Oldest first, [`DAYS`] of them, missing days as zero.
    pub days: Vec<Day>,
    /// Totals.
    pub allowed: i64,
    pub denied: i64,
    pub limited: i64,
    pub total: i64,
    /// Why requests were refused, busiest reason first; empty when none were.
    pub reasons: Vec<Reason>,
    /// `1,204 API requests in the last 30 days: 1,190 allowed, 14 denied; busiest day 21 Nov.`
    pub summary: String,
    /// `23 Oct – 21 Nov 2026`.
    pub range: String,
    /// The value of the top grid line, and of the middle one.
    pub top: i64,
    pub mid: i64,
    /// Drawing box, for the template.
    pub width: f64,
    pub height: f64,
    pub bar: String,
}

/// The smallest round step (1, 2, 2.5 or 5 times a power of ten, whole) of which two cover `max`.
fn step_for(max: i64) -> i64 {
    let needed = ((max + 1) / 2).max(1);
    let mut power: i64 = 1;
    loop {
        let halves = if power >= 10 {
            Some(power / 10 * 25)
        } else {
            None
        };
        for step in [Some(power), Some(2 * power), halves, Some(5 * power)]
            .into_iter()
            .flatten()
        {
            if step >= needed {
                return step;
            }
        }
        match power.checked_mul(10) {
            Some(next) => power = next,
            None => return needed,
        }
    }
}

fn units(value: f64) -> String {
    format!("{value:.1}")
}

impl UsageChart {
    /// The chart of the [`DAYS`] days up to `today` from `rows` as stored, with the refusals by
    /// code of `denials`; days without a row count zero, rows outside the window are left out.
    pub fn new(
        today: time::Date,
        rows: &[(time::Date, DayUsage)],
        denials: &[(time::Date, String, i64)],
    ) -> Self {
        let first = today - time::Duration::days(DAYS - 1);
        let counts: Vec<(time::Date, DayUsage)> = (0..DAYS)
            .map(|i| {
                let day = first + time::Duration::days(i);
                let mut sum = DayUsage::default();
                for (_, usage) in rows.iter().filter(|(at, _)| *at == day) {
                    sum.add(*usage);
                }
                (day, sum)
            })
            .collect();
        let max = counts
            .iter()
            .map(|(_, u)| u.allowed + u.denied + u.limited)
            .max()
            .unwrap_or(0);
        let step = step_for(max);
        let top = 2 * step;
        let scale = HEIGHT / top as f64;
        let days: Vec<Day> = counts
            .iter()
            .enumerate()
            .map(|(i, &(day, usage))| {
                let DayUsage {
                    allowed,
                    denied,
                    limited,
                } = usage;
                let seg = |n: i64| {
                    if n == 0 {
                        0.0
                    } else {
                        (n as f64 * scale).max(MIN_SEGMENT)
                    }
                };
                let ah = seg(allowed);
                let dh = seg(denied).min(HEIGHT - ah);
                let lh = seg(limited).min(HEIGHT - ah - dh);
                Day {
                    iso: format::day_iso(day),
                    label: format::day_month(day),
                    full: format::day(day),
                    allowed,
                    denied,
                    limited,
                    denied_note: day_note(denials, day),
                    total: allowed + denied + limited,
                    x: units(i as f64 * SLOT + (SLOT - BAR) / 2.0),
                    allowed_y: units(HEIGHT - ah),
                    allowed_h: units(ah),
                    denied_y: units(HEIGHT - ah - dh),
                    denied_h: units(dh),
                    limited_y: units(HEIGHT - ah - dh - lh),
                    limited_h: units(lh),
                }
            })
            .collect();
        let allowed: i64 = days.iter().map(|d| d.allowed).sum();
        let denied: i64 = days.iter().map(|d| d.denied).sum();
        let limited: i64 = days.iter().map(|d| d.limited).sum();
        let total = allowed + denied + limited;
        let in_window: Vec<(time::Date, String, i64)> = denials
            .iter()
            .filter(|(day, _, _)| *day >= first && *day <= today)
            .cloned()
            .collect();
        let reasons = reasons(&in_window, denied, limited);
        // The latest of the busiest days.
        let busiest = days
            .iter()
            .filter(|d| d.total > 0)
            .max_by_key(|d| (d.total, d.iso.clone()));
        let summary = match busiest {
            None => format!("No API requests in the last {DAYS} days."),
            Some(b) => format!(
                "{} API request{} in the last {DAYS} days: {} allowed, {} denied{}; busiest day {}.",
                format::count(total),
                if total == 1 { "" } else { "s" },
                format::count(allowed),
                format::count(denied),
                if limited > 0 {
                    format!(", {} rate limited", format::count(limited))
                } else {
                    String::new()
                },
                b.label
            ),
        };
        let range = if first.year() == today.year() {
            format!("{} – {}", format::day_month(first), format::day(today))
        } else {
            format!("{} – {}", format::day(first), format::day(today))
        };
        Self {
            days,
            allowed,
            denied,
            limited,
            total,
            reasons,
            summary,
            range,
            top,
            mid: step,
            width: WIDTH,
            height: HEIGHT,
            bar: units(BAR),
        }
    }

    /// A count as the page writes it.
    pub fn count(&self, n: &i64) -> String {
        format::count(*n)
    }

    /// Label under the middle of the chart.
    pub fn middle_label(&self) -> &str {
        self.days
            .get(self.days.len() / 2)
            .map_or("", |d| d.label.as_str())
    }

    /// Label under the left edge of the chart.
    pub fn first_label(&self) -> &str {
        self.days.first().map_or("", |d| d.label.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn usage(allowed: i64, denied: i64, limited: i64) -> DayUsage {
        DayUsage {
            allowed,
            denied,
            limited,
        }
    }

    #[test]
    fn rate_limited_requests_stack_on_top_and_are_named_in_the_summary() {
        let today = date!(2026 - 12 - 06);
        let c = UsageChart::new(today, &[(today, usage(600, 0, 400))], &[]);
        let day = &c.days[29];
        assert_eq!((day.limited, day.total, c.limited), (400, 1_000, 400));
        // The top grid line is 1,000: 600 allowed fill 96 of 160 units, 400 limited the rest.
        assert_eq!(day.allowed_h, "96.0");
        assert_eq!(
            (day.limited_y.as_str(), day.limited_h.as_str()),
            ("0.0", "64.0")
        );
        assert_eq!(
            c.summary,
            "1,000 API requests in the last 30 days: 600 allowed, 0 denied, 400 rate limited; busiest day 6 Dec."
        );
    }

    #[test]
    fn steps_are_round_and_two_of_them_cover_the_busiest_day() {
        assert_eq!(step_for(0), 1);
        assert_eq!(step_for(1), 1);
        assert_eq!(step_for(2), 1);
        assert_eq!(step_for(3), 2);
        assert_eq!(step_for(9), 5);
        assert_eq!(step_for(41), 25);
        assert_eq!(step_for(137), 100);
        assert_eq!(step_for(1_204), 1_000);
    }

    #[test]
    fn missing_days_are_zero_and_the_window_is_thirty_days_to_today() {
        let today = date!(2026 - 11 - 21);
        let rows = [
            (date!(2026 - 10 - 01), usage(99, 99, 0)), // before the window
            (date!(2026 - 10 - 23), usage(5, 1, 0)),
            (date!(2026 - 11 - 21), usage(1_185, 13, 0)),
        ];
        let c = UsageChart::new(today, &rows, &[]);
        assert_eq!(c.days.len(), 30);
        assert_eq!(c.days[0].iso, "2026-10-23");
        assert_eq!(c.days[29].iso, "2026-11-21");
        assert_eq!((c.days[0].allowed, c.days[0].denied), (5, 1));
        assert!(c.days[1..29].iter().all(|d| d.total == 0));
        assert_eq!(
            c.summary,
            "1,204 API requests in the last 30 days: 1,190 allowed, 14 denied; busiest day 21 Nov."
        );
        assert_eq!(c.range, "23 Oct – 21 Nov 2026");
        assert_eq!((c.top, c.mid), (2_000, 1_000));
    }

    #[test]
    fn a_quiet_token_says_so_and_small_counts_stay_visible() {
        let today = date!(2026 - 01 - 10);
        let quiet = UsageChart::new(today, &[], &[]);
        assert_eq!(quiet.summary, "No API requests in the last 30 days.");
        assert_eq!(quiet.range, "12 Dec 2025 – 10 Jan 2026");
        let c = UsageChart::new(today, &[(today, usage(1_000, 1, 0))], &[]);
        assert_eq!(c.days[29].denied_h, "2.0");
        assert_eq!(c.days[29].allowed_h, "80.0");
        assert_eq!(
            c.summary.split(';').next(),
            Some("1,001 API requests in the last 30 days: 1,000 allowed, 1 denied")
        );
    }
}
