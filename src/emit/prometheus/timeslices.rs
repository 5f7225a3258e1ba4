//! Time-slice budgeting: each evaluation judges the slice that ends then (good or bad against
//! the slice target, or its error ratio for `ratio_timeslices`), and every window's error ratio
//! is the share of bad slices in it, so the burn-rate tiers work unchanged on slices.

use rust_decimal::Decimal;

use super::rules::*;
use super::sli::*;
use crate::model::Slo;
use crate::vocab::duration::Duration;
use crate::vocab::number::format_decimal;
use crate::vocab::promql::with_window;

/// The verdict on the slice ending at each evaluation: 1 bad, 0 good (or, for
/// `ratio_timeslices`, the slice's error ratio).
pub(crate) const SLICE_ERROR: &str = "slo:slice_error:ratio";

/// The SLI group of a time-slice SLO: the traffic series dashboards read, the slice verdicts,
/// and every alert window's share of bad slices.
pub(super) fn sli_rules(ids: &SloIds<'_>, slice: Duration) -> Vec<Rule> {
    let slo = ids.slo;
    let mut rules = Vec::new();
    if let Some((bad, total)) = raw_events(&slo.sli, BASE_WINDOW) {
        rules.push(record(ids, series::BAD_RATE5M.into(), bad));
        rules.push(record(ids, series::TOTAL_RATE5M.into(), total));
    }
    rules.push(record(ids, SLICE_ERROR.into(), verdict(slo, slice)));
    with_windows(ids, rules)
}

/// The verdict on the slice ending now, as the slice rule records it.
fn verdict(slo: &Slo, slice: Duration) -> String {
    if let Some((query, good_op, value)) = slo.sli.judged() {
        return threshold_verdict(slo, &query, good_op, value, slice);
    }
    let slice_ratio = match raw_events(&slo.sli, slice) {
        Some((bad, total)) => ratio(&bad, &total),
        None => raw_ratio(slo, slice),
    };
    match slo.budgeting {
        // A slice with no traffic has an error ratio of 0, so it is good.
        crate::model::Budgeting::Timeslices { target, .. } => format!(
            "(\n{slice_ratio}\n) > bool {}",
            format_decimal(Decimal::ONE - target)
        ),
        _ => slice_ratio,
    }
}

/// A time-slice SLO's slice verdicts straight from its SLI queries, one series per group of
/// its SLI, as its window rules average them (what `slocc backtest` replays); `None` for an SLO
/// that counts events.
pub(crate) fn slice_verdicts(slo: &Slo) -> Option<String> {
    let slice = slo.budgeting.slice()?;
    let verdict = verdict(slo, slice);
    Some(match &slo.grouping {
        crate::vocab::promql::Grouping::By(by) if by.is_empty() => format!("avg({verdict})"),
        crate::vocab::promql::Grouping::By(by) => {
            format!("avg by ({}) ({verdict})", by.join(", "))
        }
        crate::vocab::promql::Grouping::Unknown => verdict,
    })
}

/// A threshold SLI's slice verdict: the share of the slice's evaluations that miss the bound
/// (`ratio_timeslices`), or 1 when the share that meets it is under the slice target
/// (`timeslices`; a target of 1, the default, makes any miss a bad slice).
fn threshold_verdict(
    slo: &Slo,
    query: &str,
    good_op: &str,
    value: Decimal,
    slice: Duration,
) -> String {
    // Judged as "misses the bound" rather than "1 - meets it", so that an evaluation with no
    // value (NaN: no traffic) is not a miss.
    let miss_op = match good_op {
        "<" => ">=",
        "<=" => ">",
        ">" => "<=",
        _ => "<",
    };
    let miss = format!(
        "({}) {miss_op} bool {}",
        with_window(query, slice),
        format_decimal(value)
    );
    let bad_share = format!("avg_over_time(({miss})[{slice}:])");
    match slo.budgeting {
        crate::model::Budgeting::Timeslices { target, .. } => format!(
            "({bad_share}) > bool {}",
            format_decimal(Decimal::ONE - target)
        ),
        _ => bad_share,
    }
}

/// Every alert window's share of bad slices, after the slice rules.
fn with_windows(ids: &SloIds<'_>, mut rules: Vec<Rule>) -> Vec<Rule> {
    let mut windows = ids.slo.alert_windows();
    windows.push(BASE_WINDOW);
    windows.sort();
    windows.dedup();
    for window in windows {
        rules.push(record(
            ids,
            series::error_ratio(window),
            window_ratio(ids, window),
        ));
    }
    rules
}

/// The share of bad slices over `window` (the average slice error ratio).
pub(super) fn window_ratio(ids: &SloIds<'_>, window: Duration) -> String {
    ids.regroup(
        "avg",
        format!("avg_over_time({SLICE_ERROR}{}[{window}])", ids.selector),
    )
}
