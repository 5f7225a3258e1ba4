//! Validating calendar windows: a week, month or quarter in a fixed UTC offset, whose nominal
//! length (7d, 30d, 90d) sizes the burn-rate tiers, and whose budget resets at each boundary.

use super::*;
use crate::model::{Calendar, CalendarPeriod};

/// The calendar window and its nominal length; `Some(None)` for a rolling window, `None` when
/// reported.
pub(super) fn validate(
    spec: &SloSpec,
    today: i64,
    diags: &mut Diagnostics,
) -> Option<Option<(Calendar, Duration)>> {
    let Some(c) = &spec.calendar else {
        return Some(None);
    };
    let before = diags.counts().0;
    if let Some(window) = &spec.window {
        diags.push(spec_diags::conflicting_fields(
            window.location,
            "window",
            "calendar",
        ));
    }
    let raw = matches!(
        spec.sli,
        Some(SliSpec::Raw { .. } | SliSpec::Threshold { .. })
    );
    if raw || spec.budgeting.is_some() {
        diags.push(diags::events_needed(
            c.location,
            "`calendar`",
            "this SLO is raw, threshold or time-slice (give it a rolling `window`)",
        ));
    }
    let (period, nominal) = period_of(c, diags)?;
    let zone = c
        .time_zone
        .as_ref()
        .map_or(Some((0, Vec::new())), |tz| zone_of(tz, today, diags));
    let shift = c
        .week_start
        .as_ref()
        .map_or(Some(0), |d| week_start(d, period, diags));
    let start = c
        .start_time
        .as_ref()
        .map_or(Some(0), |t| start_of_day(t, diags));
    let (offset, changes) = zone?;
    let calendar = Calendar {
        period,
        offset_secs: offset - start?,
        changes,
        shift: shift?,
    };
    (diags.counts().0 == before).then_some(Some((calendar, Duration::from_secs(nominal * 86_400))))
}

/// The period and its nominal length in days.
fn period_of(
    c: &crate::spec::CalendarSpec,
    diags: &mut Diagnostics,
) -> Option<(CalendarPeriod, u64)> {
    Some(match c.period.as_ref().map(|p| p.value.as_str()) {
        Some("day") => (CalendarPeriod::Day, 1),
        Some("week") => (CalendarPeriod::Week, 7),
        Some("month") => (CalendarPeriod::Month, 30),
        Some("quarter") => (CalendarPeriod::Quarter, 90),
        Some(other) => {
            let at = c.period.as_ref().map_or(c.location, |p| p.location);
            diags.push(spec_diags::unknown_value(
                at,
                "calendar period",
                other,
                &["day", "week", "month", "quarter"],
            ));
            return None;
        }
        None => return None,
    })
}

/// `UTC` (or `GMT`, `Etc/UTC`, `Z`) or `+HH:MM` / `-HH:MM`, in seconds east of UTC.
pub(crate) fn offset_of(text: &str) -> Option<i32> {
    if matches!(text, "UTC" | "GMT" | "Etc/UTC" | "Etc/GMT" | "Z") {
        return Some(0);
    }
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    (h.abs() <= 14 && (0..60).contains(&m) && h.to_string().len() <= 2)
        .then_some(sign * (h * 3_600 + m * 60))
}

/// `HH:MM` (or `HH:MM:SS`), a time of day, in seconds after midnight.
fn start_of_day(time: &Text, diags: &mut Diagnostics) -> Option<i32> {
    let parsed = chrono::NaiveTime::parse_from_str(time.value.trim(), "%H:%M")
        .or_else(|_| chrono::NaiveTime::parse_from_str(time.value.trim(), "%H:%M:%S"));
    match parsed {
        Ok(t) => Some(chrono::Timelike::num_seconds_from_midnight(&t) as i32),
        Err(_) => {
            diags.push(spec_diags::invalid_start_time(
                time.location,
                "the calendar window",
                "start_time",
                "HH:MM",
            ));
            None
        }
    }
}

/// A fixed offset, or a tz database zone's offset when the span of written changes starts and
/// the changes; a zone that changes gets a diagnostic once `today` nears the span's end.
fn zone_of(tz: &Text, today: i64, diags: &mut Diagnostics) -> Option<(i32, Vec<(i64, i32)>)> {
    let name = tz.value.trim();
    if let Some(offset) = offset_of(name) {
        return Some((offset, Vec::new()));
    }
    let Some(zone) = crate::vocab::timezone::zone(name) else {
        diags.push(diags::unsupported_time_zone(tz.location, &tz.value));
        return None;
    };
    use crate::vocab::timezone::{span_end_at, SpanEnd, LAST_YEAR};
    if !zone.changes.is_empty() {
        match span_end_at(today) {
            SpanEnd::Passed => {
                diags.push(diags::time_zone_span_ended(tz.location, name, LAST_YEAR))
            }
            SpanEnd::Near => diags.push(diags::time_zone_span_ending(tz.location, name, LAST_YEAR)),
            SpanEnd::Far => {}
        }
    }
    Some((zone.base, zone.changes))
}

fn week_start(day: &Text, period: CalendarPeriod, diags: &mut Diagnostics) -> Option<u32> {
    let found = crate::vocab::duration::WEEKDAYS
        .iter()
        .position(|d| d.eq_ignore_ascii_case(day.value.trim()));
    if found.is_none() {
        diags.push(spec_diags::unknown_value(
            day.location,
            "`week_start`",
            &day.value,
            &crate::vocab::duration::WEEKDAYS,
        ));
    } else if period != CalendarPeriod::Week {
        diags.push(spec_diags::conflicting_fields(
            day.location,
            "week_start",
            "period",
        ));
        return None;
    }
    found.map(|d| d as u32)
}
