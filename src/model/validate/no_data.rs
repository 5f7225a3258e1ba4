//! `alerting.no_data`: the alert for an SLI that returns nothing, on by default for every SLO
//! that alerts at all, to the class of its most urgent tier.

use super::alerting::find_class;
use super::{check_annotations, check_labels, parse_duration};
use crate::diag::Diagnostics;

use crate::model::{NoData, Settings, Tier, Urgency};
use crate::spec::NoDataSpec;
use crate::vocab::duration::Duration;

/// How long the SLI must be missing unless the spec says: long enough for a scrape target's
/// restart or a slow scrape interval (a 5-minute rate needs two samples) not to alert.
const DEFAULT_FOR: Duration = Duration::from_secs(600);

/// The SLO's no-data alert: `None` when turned off, or when every tier is and the spec does not
/// ask for it.
pub(super) fn validate(
    spec: &NoDataSpec,
    tiers: &[Tier],
    settings: &Settings,
    diags: &mut Diagnostics,
) -> Option<NoData> {
    let own = &spec.tier;
    if own.disable.as_ref().is_some_and(|d| d.value) {
        return None;
    }
    let asked = own.severity.is_some() || own.for_duration.is_some();
    if tiers.is_empty() && !asked {
        return None;
    }
    let for_duration = own
        .for_duration
        .as_ref()
        .and_then(|f| parse_duration(f, "`no_data.for`", diags))
        .unwrap_or(DEFAULT_FOR);
    let mut labels = check_labels(&own.labels, "no_data label", diags, true);
    let mut class = match &own.severity {
        Some(name) => settings.classes[find_class(name, &settings.classes, None, diags)?].clone(),
        None => tiers
            .iter()
            .find(|t| t.class.page)
            .or(tiers.first())
            .map_or_else(
                || settings.class_for(Urgency::Ticket).clone(),
                |t| t.class.clone(),
            ),
    };
    if let Some(name) = labels.remove("severity") {
        class.name = name;
    }
    Some(NoData {
        name: spec
            .name
            .as_ref()
            .map_or(crate::spec::NO_DATA_NAME.to_string(), |n| n.value.clone()),
        class,
        for_duration,
        labels,
        annotations: check_annotations(&own.annotations, diags),
    })
}
