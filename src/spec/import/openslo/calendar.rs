//! OpenSLO calendar windows (`isRolling: false` with `calendar: {startTime, timeZone}`): `1d`,
//! `1w`, `1M` and `1Q` become slocc calendar windows, starting at the time of day of
//! `startTime`, weeks on its weekday.

use chrono::{Datelike, NaiveDateTime, Timelike};

use super::*;
use crate::spec::{CalendarSpec, Text};

/// A calendar window from its duration and `calendar` mapping.
pub(super) fn read(
    wf: &Fields<'_>,
    duration: Spanned<String>,
    context: &str,
    diags: &mut Diagnostics,
) -> WindowRead {
    let (period, nominal_days) = match duration.value.trim() {
        "1d" | "1D" => ("day", 1),
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
    let (week_start, start_time) = cf
        .required_string("startTime", diags)
        .and_then(|start| aligned_start(&start, period, context, diags))
        .unwrap_or_default();
    WindowRead {
        window: None,
        calendar: Some(CalendarSpec {
            period: Some(Spanned::new(period.to_string(), duration.location)),
            time_zone: cf.string("timeZone", diags),
            week_start,
            start_time,
            location: at,
        }),
        nominal: Some(Duration::from_secs(nominal_days * 86_400)),
    }
}

/// `startTime` must start a period: any time of day, on the first of a month for months, of
/// January, April, July or October for quarters; for weeks its weekday is the week's first
/// day. Returns the week's first day (weeks) and the time of day (when not midnight).
fn aligned_start(
    start: &Spanned<String>,
    period: &str,
    context: &str,
    diags: &mut Diagnostics,
) -> Option<(Option<Text>, Option<Text>)> {
    let Ok(time) = NaiveDateTime::parse_from_str(start.value.trim(), "%Y-%m-%d %H:%M:%S") else {
        diags.push(diags::invalid_start_time(
            start.location,
            context,
            "startTime",
            "YYYY-MM-DD HH:MM:SS",
        ));
        return None;
    };
    let aligned = match period {
        "day" | "week" => true,
        "month" => time.day() == 1,
        _ => time.day() == 1 && (time.month() - 1) % 3 == 0,
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
    let week_start = (period == "week").then(|| Spanned::new(day.to_string(), start.location));
    let of_day = time.num_seconds_from_midnight();
    let start_time = (of_day != 0).then(|| {
        let text = format!(
            "{:02}:{:02}:{:02}",
            of_day / 3600,
            of_day / 60 % 60,
            of_day % 60
        );
        Spanned::new(text, start.location)
    });
    Some((week_start, start_time))
}
