//! Validating `budgeting`: occurrences (events, the default) or time slices, a slice between
//! one minute and one hour, and for `timeslices` the good ratio a slice needs.

use super::*;
use crate::model::Budgeting;

/// The longest slice: alert windows are made of slices, and the fastest is an hour.
const MAX_SLICE: Duration = Duration::from_secs(3_600);
const MIN_SLICE: Duration = Duration::from_secs(60);

/// The SLO's budgeting; `None` (reported) when it is wrong.
pub(super) fn validate(spec: &SloSpec, diags: &mut Diagnostics) -> Option<Budgeting> {
    let budgeting = method(spec, diags)?;
    let judged = match &spec.sli {
        Some(SliSpec::Threshold { query, .. }) => Some(("threshold", query)),
        Some(SliSpec::Freshness { last_success, .. }) => Some(("freshness", last_success)),
        _ => None,
    };
    if let (None, Some((kind, query))) = (budgeting.slice(), judged) {
        diags.push(diags::slices_needed(
            query.as_ref().map_or(spec.location, |q| q.location),
            kind,
        ));
        return None;
    }
    Some(budgeting)
}

/// A freshness SLO's budgeting unless its spec says: every minute is fresh or stale.
const FRESHNESS_SLICES: Budgeting = Budgeting::Timeslices {
    slice: MIN_SLICE,
    target: Decimal::ONE,
};

fn method(spec: &SloSpec, diags: &mut Diagnostics) -> Option<Budgeting> {
    let Some(b) = &spec.budgeting else {
        return Some(match spec.sli {
            Some(SliSpec::Freshness { .. }) => FRESHNESS_SLICES,
            _ => Budgeting::Occurrences,
        });
    };
    let method = b.method.as_ref()?;
    let budgeting = match method.value.as_str() {
        "occurrences" => Budgeting::Occurrences,
        "ratio_timeslices" => Budgeting::RatioTimeslices {
            slice: slice(b, diags)?,
        },
        "timeslices" => {
            let slice = slice(b, diags);
            let target = match (&b.slice_target, &spec.sli) {
                // A threshold is met or missed at each evaluation: by default every one counts.
                (None, Some(SliSpec::Threshold { .. } | SliSpec::Freshness { .. })) => {
                    Some(Decimal::ONE)
                }
                _ => slice_target(b, diags),
            };
            Budgeting::Timeslices {
                slice: slice?,
                target: target?,
            }
        }
        other => {
            diags.push(spec_diags::unknown_value(
                method.location,
                "budgeting method",
                other,
                &["occurrences", "timeslices", "ratio_timeslices"],
            ));
            return None;
        }
    };
    if let (Some(_), Some(n)) = (budgeting.slice(), &spec.alerting.min_events) {
        diags.push(diags::events_needed(
            n.location,
            "`min_events`",
            "this SLO counts time slices",
        ));
        return None;
    }
    Some(budgeting)
}

/// The slice length: 1m..1h.
fn slice(b: &crate::spec::BudgetingSpec, diags: &mut Diagnostics) -> Option<Duration> {
    let Some(text) = &b.slice else {
        diags_missing(b.location, "slice", diags);
        return None;
    };
    let slice = parse_duration(text, "`slice`", diags)?;
    if (MIN_SLICE..=MAX_SLICE).contains(&slice) {
        return Some(slice);
    }
    diags.push(diags::invalid_slice(text.location, &text.value));
    None
}

fn diags_missing(at: Location, key: &str, diags: &mut Diagnostics) {
    diags.push(spec_diags::missing_field(at, "the budgeting", &[key]));
}

/// The good ratio a slice needs: a number in (0, 1].
fn slice_target(b: &crate::spec::BudgetingSpec, diags: &mut Diagnostics) -> Option<Decimal> {
    let Some(text) = &b.slice_target else {
        diags_missing(b.location, "slice_target", diags);
        return None;
    };
    match Decimal::from_str(text.value.trim()) {
        Ok(v) if v > Decimal::ZERO && v <= Decimal::ONE => Some(v.normalize()),
        _ => {
            diags.push(diags::invalid_number(
                text.location,
                "`slice_target`",
                &text.value,
                "a ratio in (0, 1]",
                "0.95",
            ));
            None
        }
    }
}
