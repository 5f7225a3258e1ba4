//! OpenSLO calendar windows (`isRolling: false` with `calendar: {startTime, timeZone}`): `1w`,
//! `1M` and `1Q` become slocc calendar windows, weeks starting on the weekday of `startTime`.

use chrono::{Datelike, NaiveDateTime, Timelike};

use super::*;
use crate::spec::CalendarSpec;

/// A calendar window from its duration and `calendar` mapping.
pub(super) fn read(
    wf: &Fields<'_>,
    duration: Spanned<String>,
    context: &str,
    diags: &mut Diagnostics,
) -> WindowRead {
    let (period, nominal_days) = match duration.value.trim() {
        "1w" | "1W" | "7d" => ("week", 7),
        "1M" => ("month", 30),
        "1Q" => ("quarter", 90),
        other => {
            diags.push(diags::unsupported(
                duration.location,
                Unsupported::CalendarLength {
                    context,
                    length: other,
                },
            ));
            return WindowRead::default();
        }
    };
    let Some((cal, at)) = wf.required_mapping("calendar", diags) else {
        return WindowRead::default();
    };
    let cf = Fields::new(cal, at, context);
    cf.deny_unknown(&["startTime", "timeZone"], diags);
    let week_start = cf
        .required_string("startTime", diags)
        .and_then(|start| aligned_start(&start, period, context, diags))
        .flatten();
    WindowRead {
        window: None,
        calendar: Some(CalendarSpec {
            period: Some(Spanned::new(period.to_string(), duration.location)),
            time_zone: cf.string("timeZone", diags),
            week_start,
            location: at,
        }),
        nominal: Some(Duration::from_secs(nominal_days * 86_400)),
    }
}

/// `startTime` must be a period boundary: midnight, the first of a month for months, of January,
/// April, July or October for quarters; for weeks its weekday is the week's first day.
fn aligned_start(
    start: &Spanned<String>,
    period: &str,
    context: &str,
    diags: &mut Diagnostics,
) -> Option<Option<Spanned<String>>> {
    let Ok(time) = NaiveDateTime::parse_from_str(start.value.trim(), "%Y-%m-%d %H:%M:%S") else {
        diags.push(diags::invalid_start_time(start.location, context));
        return None;
    };
    let midnight = time.num_seconds_from_midnight() == 0;
    let aligned = match period {
        "week" => midnight,
        "month" => midnight && time.day() == 1,
        _ => midnight && time.day() == 1 && (time.month() - 1) % 3 == 0,
    };
    if !aligned {
        diags.push(diags::unsupported(
            start.location,
            Unsupported::CalendarStart {
                context,
                period,
                start: &start.value,
            },
        ));
        return None;
    }
    let day = crate::vocab::duration::WEEKDAYS[time.weekday().num_days_from_monday() as usize];
    Some((period == "week").then(|| Spanned::new(day.to_string(), start.location)))
}
