//! Windows of whole days tiled from one-day sums. A 3-day `sum_over_time` of the recorded 5m
//! rates reads 4,321 samples per series at every one-minute evaluation, the most expensive rule
//! after the period SLI moved to hourly sums (`cargo bench --bench rule_cost`). slocc records
//! each SLO's bad and total events of the last day once a minute, and a window of `n` days adds
//! that sum now and `n - 1` days ago, `n` samples per series. The days tile the window exactly:
//! each day's range holds exactly the 1,440 one-minute samples between its two ends (see
//! [`day_range`]), so no sample counts twice; a day the rules had not run yet (the first days
//! after the SLO was added) counts as no events, as a `sum_over_time` over missing samples
//! would.

use super::hourly;
use super::rules::*;
use crate::vocab::duration::Duration;

/// Bad events of the last day, as sums of per-second 5m rates (one sample a minute).
const BAD_1D: &str = "slo:sli_bad:sum1d";
/// All events of the last day, in the same unit.
const TOTAL_1D: &str = "slo:sli_total:sum1d";
const DAY_SECS: u64 = 86_400;

/// A day less half an evaluation interval (`23h59m30s`): with samples one interval apart, the
/// range holds a day's worth of them (1,440) whether the engine closes ranges at both ends
/// (Prometheus 2) or opens them at the start (Prometheus 3), so days offset by a whole day never
/// share a sample.
fn day_range() -> Duration {
    Duration::from_millis(DAY_SECS * 1_000 - SLI_INTERVAL.as_millis() / 2)
}

/// How many days `window` tiles, when the SLO counts events and the window is whole days.
fn days(ids: &SloIds<'_>, window: Duration) -> Option<u64> {
    let secs = window.as_millis() / 1_000;
    (hourly::counts_events(ids)
        && recorded_window(ids.service, window)
        && secs.is_multiple_of(DAY_SECS))
    .then_some(secs / DAY_SECS)
}

/// The one-day sums, recorded before the windows that read them; none when no window tiles.
pub(super) fn rules(ids: &SloIds<'_>) -> Vec<Rule> {
    if !ids
        .slo
        .alert_windows()
        .into_iter()
        .any(|w| days(ids, w).is_some())
    {
        return Vec::new();
    }
    let (sel, range) = (&ids.selector, day_range());
    let sum = |name: &str| ids.regroup("sum", format!("sum_over_time({name}{sel}[{range}])"));
    vec![
        record(ids, BAD_1D.into(), sum(series::BAD_RATE5M)),
        record(ids, TOTAL_1D.into(), sum(series::TOTAL_RATE5M)),
    ]
}

/// The error ratio over `window` from the day sums, or `None` when the window does not tile.
pub(super) fn window_ratio(ids: &SloIds<'_>, window: Duration) -> Option<String> {
    let days = days(ids, window)?;
    let sel = &ids.selector;
    let sum = |name: &str| {
        let today = ids.regroup("sum", format!("{name}{sel}"));
        let mut terms = vec![today.clone()];
        terms.extend((1..days).map(|d| {
            let past = ids.regroup("sum", format!("{name}{sel} offset {d}d"));
            format!("({past} or {today} * 0)")
        }));
        terms.join("\n  + ")
    };
    Some(ratio(&sum(BAD_1D), &sum(TOTAL_1D)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Service;

    fn service(window: &str, raw: bool) -> Service {
        let sli = if raw {
            "      raw:\n        error_ratio: sum(rate(e[{{window}}])) / sum(rate(t[{{window}}]))\n"
        } else {
            "      ratio:\n        errors: sum(rate(e[{{window}}]))\n        total: sum(rate(t[{{window}}]))\n"
        };
        let text = format!(
            "apiVersion: slocc/v1\nservice: s\nslos:\n  - name: a\n    objective: 99.9\n    window: {window}\n    sli:\n{sli}"
        );
        crate::model::check::valid_service("s.yaml", text)
    }

    fn day(n: u64) -> Duration {
        Duration::from_secs(n * DAY_SECS)
    }

    #[test]
    fn three_days_add_the_day_sums_of_today_and_two_days_ago() {
        let service = service("30d", false);
        let ids = SloIds::new(&service, &service.slos[0]);
        let sums: Vec<String> = rules(&ids).iter().map(|r| format!("{r:?}")).collect();
        assert_eq!(sums.len(), 2);
        assert!(sums[0].contains("sum_over_time(slo:sli_bad:rate5m{slo_service=\\\"s\\\", slo_name=\\\"a\\\"}[23h59m30s])"), "{}", sums[0]);
        let three = window_ratio(&ids, day(3)).unwrap();
        assert_eq!(three.matches("slo:sli_bad:sum1d").count(), 5, "{three}");
        assert!(
            three.contains("offset 2d") && !three.contains("offset 3d"),
            "{three}"
        );
        assert_eq!(
            window_ratio(&ids, day(1))
                .unwrap()
                .matches("offset")
                .count(),
            0
        );
    }

    #[test]
    fn windows_that_are_not_whole_days_and_raw_slis_are_summed_directly() {
        let service = service("30d", false);
        let ids = SloIds::new(&service, &service.slos[0]);
        assert!(window_ratio(&ids, Duration::from_secs(36 * 3_600)).is_none());
        let raw = self::service("30d", true);
        let ids = SloIds::new(&raw, &raw.slos[0]);
        assert!(window_ratio(&ids, day(3)).is_none());
        assert!(rules(&ids).is_empty());
    }
}
