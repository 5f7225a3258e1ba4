//! Compatibility output (`--compat`): the series names, labels and alert layout a peer tool
//! generates, so that dashboards and Alertmanager routes built on that tool keep working after
//! the switch. slocc's own recording rules stay (the compatibility series are derived from
//! them); the peer-shaped alerts replace slocc's, so nothing pages twice.

mod pyrra;
mod sloth;

pub(crate) use sloth::sloth_ids;

use crate::emit::prometheus::RuleGroup;
use crate::model::{Compat, Service, Slo};
use crate::vocab::duration::Duration;

/// The `severity` label a class's alerts carry: Pyrra calls slocc's default `page` and `ticket`
/// classes `critical` and `warning`; every other class keeps its name.
pub(crate) fn severity(compat: Option<Compat>, class: &crate::model::SeverityClass) -> String {
    match (compat, class.name.as_str(), class.page) {
        (Some(Compat::Pyrra), "page", true) => "critical".into(),
        (Some(Compat::Pyrra), "ticket", false) => "warning".into(),
        (_, name, _) => name.to_string(),
    }
}

/// What the peer-shaped groups of one SLO need from the rule emitter.
pub(crate) struct SloRules<'a> {
    pub(crate) service: &'a Service,
    pub(crate) slo: &'a Slo,
    /// slocc's own selector of the SLO's series, `{slo_service="...", slo_name="..."}`.
    pub(crate) selector: &'a str,
    /// The alerts' `runbook_url`.
    pub(crate) runbook_url: &'a str,
    /// Recording rules wanted.
    pub(crate) recordings: bool,
    /// Alerting rules wanted.
    pub(crate) alerts: bool,
}

/// The peer's groups for one SLO.
pub(crate) fn groups(compat: Compat, rules: &SloRules<'_>) -> Vec<RuleGroup> {
    match compat {
        Compat::Sloth => sloth::groups(rules),
        Compat::Pyrra => pyrra::groups(rules),
    }
}

/// A duration in Prometheus's own format, as Sloth and Pyrra name their windows: largest units
/// first, years and weeks only when they divide the whole duration (28d is `4w`, 7d `1w`, 30d
/// and 90d stay `30d` and `90d`).
fn prometheus_duration(window: Duration) -> String {
    const UNITS: [(&str, u64, bool); 7] = [
        ("y", 365 * 86_400_000, true),
        ("w", 7 * 86_400_000, true),
        ("d", 86_400_000, false),
        ("h", 3_600_000, false),
        ("m", 60_000, false),
        ("s", 1_000, false),
        ("ms", 1, false),
    ];
    let mut left = window.as_millis();
    let mut out = String::new();
    for (unit, size, exact) in UNITS {
        if left >= size && (!exact || left.is_multiple_of(size)) {
            out.push_str(&format!("{}{unit}", left / size));
            left %= size;
        }
    }
    if out.is_empty() {
        out.push_str("0s");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_named_in_prometheus_duration_format() {
        for (secs, name) in [
            (28 * 86_400, "4w"),
            (7 * 86_400, "1w"),
            (30 * 86_400, "30d"),
            (90 * 86_400, "90d"),
            (14 * 86_400, "2w"),
            (300, "5m"),
            (5_400, "1h30m"),
        ] {
            assert_eq!(prometheus_duration(Duration::from_secs(secs)), name);
        }
    }
}
