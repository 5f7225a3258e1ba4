//! The period SLI from hourly sums: a 30-day `sum_over_time` of series recorded every minute
//! reads 43,200 samples per series at every evaluation, the most expensive rule slocc writes
//! (`cargo bench --bench rule_cost`). A group evaluated hourly records each hour's events (or,
//! for raw and time-slice SLIs, its average error ratio), and the period reads 720 of those.
//! The period SLI then covers the completed hours of the window: it lags by up to an hour,
//! which a 30-day budget does not notice; alerts never read it.

use super::rules::*;
use super::timeslices;
use crate::model::Sli;
use crate::vocab::duration::Duration;

/// Bad events in the hour before each hourly evaluation.
const BAD_1H: &str = "slo:sli_bad:increase1h";
/// All events in that hour.
const TOTAL_1H: &str = "slo:sli_total:increase1h";
/// The hour's average error ratio (raw and time-slice SLIs).
const RATIO_1H: &str = "slo:sli_error:ratio_avg1h";

/// How often the hourly group runs.
pub(super) const HOURLY: Duration = Duration::from_secs(3_600);

/// An hour less a millisecond (`59m59s999ms`): with samples a minute apart the range holds
/// exactly 60 of them, whatever second of the minute the hourly group runs at against the
/// minute group (each group has its own offset) and whether the engine closes ranges at both
/// ends (Prometheus 2, which counted 61 when both ran on the same second, as rule backfill
/// does) or opens them at the start (Prometheus 3), so consecutive hours neither share nor
/// skip a sample. (Half a minute less, `59m30s`, skipped one whenever the hourly group ran 30 s
/// or more after the minute group: a minute's events a hour, all of an outage's minute.)
fn hour_range() -> Duration {
    Duration::from_millis(HOURLY.as_millis() - 1)
}

/// The SLO window less a millisecond: the hourly sums it holds are exactly the window's last
/// hours, for the same reason (a `[1d]` range on the hour held 25 of them on Prometheus 2).
fn period_range(window: Duration) -> Duration {
    Duration::from_millis(window.as_millis() - 1)
}

/// Whether the SLO counts events (bad and total rates are recorded).
pub(super) fn counts_events(ids: &SloIds<'_>) -> bool {
    ids.slo.budgeting.slice().is_none()
        && !matches!(
            ids.slo.sli,
            Sli::Raw { .. } | Sli::Threshold { .. } | Sli::Freshness { .. }
        )
}

/// The hourly group's rules.
pub(super) fn rules(ids: &SloIds<'_>) -> Vec<Rule> {
    let sel = &ids.selector;
    if counts_events(ids) {
        // Each 1m sample of a 5m rate is a per-second rate: 60 of them times 60 seconds are
        // the hour's events.
        let hour = hour_range();
        let sum =
            |name: &str| ids.regroup("sum", format!("sum_over_time({name}{sel}[{hour}]) * 60"));
        return vec![
            record(ids, BAD_1H.into(), sum(series::BAD_RATE5M)),
            record(ids, TOTAL_1H.into(), sum(series::TOTAL_RATE5M)),
        ];
    }
    let base = if ids.slo.budgeting.slice().is_some() {
        timeslices::SLICE_ERROR.to_string()
    } else {
        series::error_ratio(BASE_WINDOW)
    };
    vec![record(
        ids,
        RATIO_1H.into(),
        ids.regroup(
            "avg",
            format!("avg_over_time({base}{sel}[{}])", hour_range()),
        ),
    )]
}

/// The error ratio over the SLO window, from the hourly series.
pub(super) fn period_ratio(ids: &SloIds<'_>) -> String {
    let sel = &ids.selector;
    let window = period_range(ids.slo.window);
    if counts_events(ids) {
        let sum = |name: &str| ids.regroup("sum", format!("sum_over_time({name}{sel}[{window}])"));
        return ratio(&sum(BAD_1H), &sum(TOTAL_1H));
    }
    ids.regroup("avg", format!("avg_over_time({RATIO_1H}{sel}[{window}])"))
}
