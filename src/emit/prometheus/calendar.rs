//! Calendar windows: the budget counts the events since the current week, month or quarter
//! began (in a fixed UTC offset) and resets when it turns over. PromQL ranges have fixed
//! lengths, so the counts accumulate: each evaluation of the period group adds the last five
//! minutes' events to the previous total while the period is the same, and starts again from
//! them when it is not (docs/decisions.md).

use super::rules::*;
use crate::model::{Calendar, CalendarPeriod};

/// Bad events since the period began.
const BAD_SUM: &str = "slo:sli_bad:calendar_sum";
/// All events since the period began.
const TOTAL_SUM: &str = "slo:sli_total:calendar_sum";
/// The number of the current period (the one the sums belong to).
const PERIOD_ID: &str = "slo:calendar_period:id";

/// Days from Thursday 1970-01-01 (day 0) to the first Monday.
const FIRST_MONDAY_DAY: i64 = 4;

/// The number of the period the evaluation time falls in, in the calendar's offset.
fn period_id(calendar: &Calendar) -> String {
    let offset = i64::from(calendar.offset_secs);
    let t = match calendar.changes.is_empty() {
        true => format!("vector(time() + {offset})"),
        false => format!("({})", local_time(calendar, 0)),
    };
    let shift = i64::from(calendar.shift);
    match calendar.period {
        CalendarPeriod::Day => format!("floor(({}) / 86400)", local_time(calendar, 0)),
        // Weeks are counted from the first week start on or after 1970-01-01 (a Thursday).
        CalendarPeriod::Week => format!(
            "floor(({}) / 604800)",
            local_time(calendar, -((FIRST_MONDAY_DAY + shift) % 7 * 86_400))
        ),
        CalendarPeriod::Month => format!("year({t}) * 12 + month({t}) - 1"),
        CalendarPeriod::Quarter => {
            format!("floor((year({t}) * 12 + month({t}) - 1 - {shift}) / 3)")
        }
    }
}

/// The evaluation time in the calendar's offset, plus `extra` seconds, as a vector: a
/// daylight-saving zone adds each offset change from the UTC second it takes effect.
fn local_time(calendar: &Calendar, extra: i64) -> String {
    let mut out = format!(
        "vector(time()) + {}",
        i64::from(calendar.offset_secs) + extra
    );
    for (at, change) in &calendar.changes {
        let sign = if *change < 0 { '-' } else { '+' };
        out.push_str(&format!(
            " {sign} {} * (vector(time()) >= bool {at})",
            change.unsigned_abs()
        ));
    }
    out
}

/// One running sum: the last five minutes' events, plus the previous sum while the period has
/// not changed (read one evaluation back, so this evaluation's own period number is not used).
fn running_sum(ids: &SloIds<'_>, sum: &str, rate: &str, calendar: &Calendar) -> String {
    let sel = &ids.selector;
    let step = PERIOD_INTERVAL;
    let secs = step.as_millis() / 1_000;
    format!(
        "{rate}{sel} * {secs}\n+ (\n  (\n    last_over_time({sum}{sel}[1d] offset {step})\n    and on ()\n    (last_over_time({PERIOD_ID}{sel}[1d] offset {step}) == on () {})\n  )\n  or {rate}{sel} * 0\n)",
        period_id(calendar)
    )
}

/// The calendar rules of the period group, ending with the period's error ratio.
pub(super) fn rules(ids: &SloIds<'_>, calendar: &Calendar) -> Vec<Rule> {
    let sel = &ids.selector;
    vec![
        record(
            ids,
            BAD_SUM.into(),
            running_sum(ids, BAD_SUM, series::BAD_RATE5M, calendar),
        ),
        record(
            ids,
            TOTAL_SUM.into(),
            running_sum(ids, TOTAL_SUM, series::TOTAL_RATE5M, calendar),
        ),
        record(ids, PERIOD_ID.into(), period_id(calendar)),
        record(
            ids,
            series::ERROR_RATIO_PERIOD.into(),
            ids.regroup("sum", format!("{BAD_SUM}{sel}"))
                + "\n/\n"
                + &format!(
                    "clamp_min({}, {NAN_GUARD})",
                    ids.regroup("sum", format!("{TOTAL_SUM}{sel}"))
                ),
        ),
    ]
}
