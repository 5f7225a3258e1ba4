//! IANA time zones for calendar windows. PromQL has no zone database, so a zone whose offset
//! changes (daylight saving) is written into the rules as its offset at the start of a fixed
//! span of years plus every change within it, read from the tz database compiled into slocc
//! (chrono-tz). The span is part of slocc, never the date it runs on, so outputs stay the same
//! from run to run; a diagnostic says when the span nears its end (docs/decisions.md).

use chrono::{Offset, TimeZone};

/// The first year whose offset changes are written into the rules.
pub(crate) const FIRST_YEAR: i32 = 2025;
/// The last year whose offset changes are written into the rules.
pub(crate) const LAST_YEAR: i32 = 2045;

/// A time zone's offsets within the span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Zone {
    /// Seconds east of UTC when the span starts.
    pub(crate) base: i32,
    /// Each change within the span: the UTC second it takes effect, and the change in seconds
    /// (+3600 when clocks go forward an hour).
    pub(crate) changes: Vec<(i64, i32)>,
}

/// The zone `name` (`America/New_York`) from the tz database, or none when it has no such zone.
pub(crate) fn zone(name: &str) -> Option<Zone> {
    let tz: chrono_tz::Tz = name.parse().ok()?;
    let offset = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0).map_or(0, |at| {
            tz.offset_from_utc_datetime(&at.naive_utc())
                .fix()
                .local_minus_utc()
        })
    };
    let (start, end) = (span_start(), span_end());
    let base = offset(start);
    let mut changes = Vec::new();
    let (mut t, mut current) = (start, base);
    // Day by day (no zone changes twice in a day), then to the second within the day.
    while t < end {
        let next = t + 86_400;
        let after = offset(next);
        if after != current {
            let (mut lo, mut hi) = (t, next);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset(mid) == current {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            changes.push((hi, after - current));
            current = after;
        }
        t = next;
    }
    Some(Zone { base, changes })
}

/// The UTC second the span starts: January 1st of [`FIRST_YEAR`].
fn span_start() -> i64 {
    year_start(FIRST_YEAR)
}

/// The UTC second the span ends: January 1st after [`LAST_YEAR`].
fn span_end() -> i64 {
    year_start(LAST_YEAR + 1)
}

fn year_start(year: i32) -> i64 {
    chrono::NaiveDate::from_ymd_opt(year, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(0, |t| t.and_utc().timestamp())
}

/// Where a day stands against the end of the span: the time-zone warnings, and the key of a
/// compile recorded whole (the same judgement, the same diagnostics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SpanEnd {
    /// More than two years away (or no day known).
    Far,
    /// Within two years.
    Near,
    /// Passed.
    Passed,
}

/// How long before the written offset changes end that compiling warns: two years.
const SPAN_WARNING_SECS: i64 = 2 * 365 * 86_400;

/// Where `today` (UTC seconds) stands against the span's end.
pub(crate) fn span_end_at(today: i64) -> SpanEnd {
    let end = span_end();
    if today <= 0 || today < end - SPAN_WARNING_SECS {
        SpanEnd::Far
    } else if today < end {
        SpanEnd::Near
    } else {
        SpanEnd::Passed
    }
}

/// Today, as the warning about the span's end judges it: `SOURCE_DATE_EPOCH` when set (the
/// reproducible-builds convention), the clock otherwise.
pub(crate) fn today() -> i64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_york_changes_twice_a_year_at_two_in_the_morning() {
        let zone = zone("America/New_York").unwrap();
        assert_eq!(zone.base, -5 * 3_600);
        assert_eq!(zone.changes.len(), 2 * 21);
        // 2026-03-08 02:00 EST is 07:00 UTC; 2026-11-01 02:00 EDT is 06:00 UTC.
        assert!(zone.changes.contains(&(1_772_953_200, 3_600)));
        assert!(zone.changes.contains(&(1_793_512_800, -3_600)));
        let sum: i32 = zone.changes.iter().map(|c| c.1).sum();
        assert_eq!(sum, 0);
    }

    #[test]
    fn zones_without_daylight_saving_have_no_changes_and_unknown_zones_none() {
        assert_eq!(
            zone("Asia/Tokyo"),
            Some(Zone {
                base: 9 * 3_600,
                changes: vec![]
            })
        );
        // Southern summer: Sydney is at +11:00 on January 1st.
        assert_eq!(zone("Australia/Sydney").unwrap().base, 11 * 3_600);
        assert_eq!(zone("Mars/Olympus_Mons"), None);
    }
}
