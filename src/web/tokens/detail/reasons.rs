//! Why a token's requests were refused in the chart's window: each answer code with its count and
//! share, busiest first, and the same per day for the chart's bars and table.

use std::collections::BTreeMap;

use crate::domain::credentials::verify::Code;
use crate::web::format;

/// One answer code's refusals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// The code the API answered: `DISABLED`; empty for refusals counted before codes were kept.
    pub code: &'static str,
    /// `Token disabled`.
    pub label: &'static str,
    /// `1,204`.
    pub requests: String,
    /// Of every refusal in the window: `64 %`, `< 1 %`.
    pub share: String,
}

/// A percentage as the page writes it: whole, `< 1 %` rather than a misleading `0 %`.
fn share(part: i64, whole: i64) -> String {
    if whole <= 0 || part <= 0 {
        return "0 %".to_owned();
    }
    let pct = part as f64 * 100.0 / whole as f64;
    if pct < 1.0 {
        "< 1 %".to_owned()
    } else {
        format!("{} %", pct.round() as i64)
    }
}

/// Refusals by code from the stored `(day, code, requests)` rows of the window, plus `limited`
/// (kept as its own total) as `RATE_LIMITED`; `denied` is the window's total of other refusals,
/// and what the rows do not account for (days from before codes were kept) is listed last.
pub fn reasons(rows: &[(time::Date, String, i64)], denied: i64, limited: i64) -> Vec<Reason> {
    let mut by_code: BTreeMap<usize, i64> = BTreeMap::new();
    let mut recorded = 0;
    for (_, wire, n) in rows {
        // A code no longer answered still counts as a refusal; it just has no row of its own.
        if let Some(i) = Code::parse(wire).and_then(|c| Code::ALL.iter().position(|k| *k == c)) {
            *by_code.entry(i).or_default() += n;
            recorded += n;
        }
    }
    if limited > 0
        && let Some(i) = Code::ALL.iter().position(|k| *k == Code::RateLimited)
    {
        *by_code.entry(i).or_default() += limited;
    }
    let whole = denied + limited;
    let mut counted: Vec<(usize, i64)> = by_code.into_iter().filter(|(_, n)| *n > 0).collect();
    // Busiest first; equal counts in the order of Code::ALL.
    counted.sort_by_key(|&(i, n)| (std::cmp::Reverse(n), i));
    let mut out: Vec<Reason> = counted
        .into_iter()
        .map(|(i, n)| Reason {
            code: Code::ALL[i].as_str(),
            label: Code::ALL[i].reason(),
            requests: format::count(n),
            share: share(n, whole),
        })
        .collect();
    let unrecorded = denied - recorded;
    if unrecorded > 0 {
        out.push(Reason {
            code: "",
            label: "Reason not recorded",
            requests: format::count(unrecorded),
            share: share(unrecorded, whole),
        });
    }
    out
}

/// One day's refusals by code, busiest first: `3 DISABLED, 2 IP_NOT_ALLOWED`; empty for none.
pub fn day_note(rows: &[(time::Date, String, i64)], day: time::Date) -> String {
    let mut of_day: Vec<(&str, i64)> = rows
        .iter()
        .filter(|(at, _, n)| *at == day && *n > 0)
        .map(|(_, code, n)| (code.as_str(), *n))
        .collect();
    of_day.sort_by_key(|&(code, n)| (std::cmp::Reverse(n), code));
    of_day
        .iter()
        .map(|(code, n)| format!("{} {code}", format::count(*n)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn row(day: time::Date, code: &str, n: i64) -> (time::Date, String, i64) {
        (day, code.to_owned(), n)
    }

    #[test]
    fn codes_are_summed_over_the_window_busiest_first_with_their_share() {
        let (d1, d2) = (date!(2026 - 12 - 01), date!(2026 - 12 - 02));
        let rows = [
            row(d1, "DISABLED", 3),
            row(d2, "DISABLED", 4),
            row(d2, "IP_NOT_ALLOWED", 2),
            row(d2, "INVALID_CREDENTIALS", 1),
        ];
        let got = reasons(&rows, 10, 190);
        let seen: Vec<(&str, &str, &str)> = got
            .iter()
            .map(|r| (r.code, r.requests.as_str(), r.share.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("RATE_LIMITED", "190", "95 %"),
                ("DISABLED", "7", "4 %"),
                ("IP_NOT_ALLOWED", "2", "1 %"),
                ("INVALID_CREDENTIALS", "1", "< 1 %"),
            ]
        );
        assert_eq!(got[1].label, "Token disabled");
    }

    #[test]
    fn refusals_from_before_codes_were_kept_are_listed_as_not_recorded() {
        let day = date!(2026 - 12 - 01);
        let got = reasons(&[row(day, "EXPIRED", 1)], 4, 0);
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].code, got[0].share.as_str()), ("EXPIRED", "25 %"));
        assert_eq!(
            (got[1].code, got[1].label, got[1].requests.as_str()),
            ("", "Reason not recorded", "3")
        );
        assert!(reasons(&[], 0, 0).is_empty(), "nothing refused, no reasons");
    }

    #[test]
    fn a_day_note_names_that_days_codes_only() {
        let (d1, d2) = (date!(2026 - 12 - 01), date!(2026 - 12 - 02));
        let rows = [
            row(d1, "DISABLED", 3),
            row(d2, "DISABLED", 1_500),
            row(d2, "IP_NOT_ALLOWED", 2),
        ];
        assert_eq!(day_note(&rows, d2), "1,500 DISABLED, 2 IP_NOT_ALLOWED");
        assert_eq!(day_note(&rows, d1), "3 DISABLED");
        assert_eq!(day_note(&rows, date!(2026 - 12 - 03)), "");
    }
}
