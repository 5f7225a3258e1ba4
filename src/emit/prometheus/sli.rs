//! The SLI as PromQL: bad and total events straight from the SLI's metrics, and the error
//! ratio over any window (what `status`, `backtest` and the alerts' short windows read).

use super::rules::{ratio, series, SloIds};
use crate::model::{EventQuery, Sli, Slo};
use crate::vocab::duration::Duration;
use crate::vocab::promql::{escape_string, selector, with_window, Grouping};

/// Bad and total events per second over `window`, straight from the SLI's metrics.
pub(super) fn raw_events(sli: &Sli, window: Duration) -> Option<(String, String)> {
    raw_events_or(sli, window, None)
}

/// [`raw_events`], with `zero` (when given) as the expression that stands for "no bad event"
/// instead of the total query times 0, which would read the total's raw series a second time.
pub(super) fn raw_events_or(
    sli: &Sli,
    window: Duration,
    zero: Option<&str>,
) -> Option<(String, String)> {
    match sli {
        Sli::Ratio { events, total } => {
            let total = with_window(total, window);
            let zero = zero.map_or_else(|| format!("({total} * 0)"), str::to_string);
            let bad = match events {
                // Without a single bad event the errors query returns nothing; count that as 0.
                EventQuery::Errors(q) => format!("{} or {zero}", with_window(q, window)),
                EventQuery::Good(q) => format!(
                    "clamp_min({total} - ({} or {zero}), 0)",
                    with_window(q, window)
                ),
            };
            Some((bad, total))
        }
        Sli::Latency {
            metric,
            matchers,
            threshold,
            native: true,
        } => {
            // The histogram of the window, summed, once per side: its count is every event,
            // its fraction at or under the threshold (interpolated inside a bucket) the good.
            let sum = format!("sum(rate({}[{window}]))", selector(metric, matchers));
            let seconds = crate::vocab::number::format_f64(threshold.as_secs_f64(), 3);
            let total = format!("histogram_count({sum})");
            let good = format!("histogram_fraction(0, {seconds}, {sum}) * {total}");
            Some((format!("clamp_min({total} - {good}, 0)"), total))
        }
        Sli::Latency {
            metric,
            matchers,
            threshold,
            native: false,
        } => {
            let bucket = |le: &str| {
                let sep = if matchers.is_empty() { "" } else { ", " };
                let bucket = selector(&format!("{metric}_bucket"), &format!("{matchers}{sep}{le}"));
                format!("sum(rate({bucket}[{window}]))")
            };
            let total = bucket("le=\"+Inf\"");
            let good = bucket(&le_matcher(*threshold));
            Some((format!("clamp_min({total} - {good}, 0)"), total))
        }
        Sli::Raw { .. } | Sli::Threshold { .. } | Sli::Freshness { .. } => None,
    }
}

/// "No bad event": the recorded 5m total, shaped as the SLI's queries (aggregated by the same
/// labels) and times 0. Reading one recorded series instead of the total's raw series again
/// saves a third of what a window costs; `None` when the queries' shape is unknown.
pub(super) fn recorded_zero(ids: &SloIds<'_>) -> Option<String> {
    let Grouping::By(by) = &ids.slo.grouping else {
        return None;
    };
    let by = if by.is_empty() {
        String::new()
    } else {
        format!(" by ({}) ", by.join(", "))
    };
    Some(format!(
        "(sum{by}({}{}) * 0)",
        series::TOTAL_RATE5M,
        ids.selector
    ))
}

/// The `le` matcher for a threshold. Client libraries print whole-second boundaries as `1` or
/// `1.0` (and Prometheus 3 rewrites the former to the latter), so whole seconds match both.
pub(crate) fn le_matcher(threshold: Duration) -> String {
    let millis = threshold.as_millis();
    if millis.is_multiple_of(1_000) {
        let secs = millis / 1_000;
        format!("le=~\"{secs}(\\\\.0)?\"")
    } else {
        let secs = crate::vocab::number::format_f64(threshold.as_secs_f64(), 3);
        format!("le=\"{}\"", escape_string(&secs))
    }
}

/// The SLO's error ratio over `window` straight from its SLI queries (what `slocc status` reads
/// before the recorded series exist); for time slices, the share of bad slices in it.
pub(crate) fn sli_error_ratio(slo: &Slo, window: Duration) -> Option<String> {
    // Time slices: the share of bad slices, each judged as its rule judges it, every minute.
    if let Some(verdicts) = super::slice_verdicts(slo) {
        return Some(format!("avg_over_time(({verdicts})[{window}:1m])"));
    }
    match &slo.sli {
        Sli::Threshold { .. } | Sli::Freshness { .. } => None,
        Sli::Raw { .. } => Some(raw_ratio(slo, window)),
        sli => raw_events(sli, window).map(|(bad, total)| ratio(&bad, &total)),
    }
}

/// Bad events per second over `window` from the SLI queries, for SLIs that count events.
pub(crate) fn sli_bad_rate(slo: &Slo, window: Duration) -> Option<String> {
    raw_events(&slo.sli, window).map(|(bad, _)| bad)
}

/// All events per second over `window` from the SLI queries, for SLIs that count events.
pub(crate) fn sli_total_rate(slo: &Slo, window: Duration) -> Option<String> {
    raw_events(&slo.sli, window).map(|(_, total)| total)
}

/// A raw SLI's own ratio; NaN (its zero-traffic answer) is dropped rather than recorded.
pub(super) fn raw_ratio(slo: &Slo, window: Duration) -> String {
    let Sli::Raw { error_ratio } = &slo.sli else {
        unreachable!("raw_ratio is only called for raw SLIs")
    };
    format!("({}) >= 0", with_window(error_ratio, window))
}
