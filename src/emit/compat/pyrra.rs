//! Pyrra-shaped series and alerts, derived from slocc's own recorded series (see
//! docs/imports.md for what matches Pyrra's output and what does not). The window policy itself
//! (Pyrra's scaled windows, factors 14/7/2/1 and `for:`) is chosen at validation.

use std::collections::BTreeMap;

use super::{prometheus_duration, SloRules};
use crate::emit::prometheus::{series, template_literal, Rule, RuleGroup, SLI_INTERVAL};
use crate::model::{Sli, Slo, Tier};
use crate::vocab::duration::Duration;
use crate::vocab::number::format_decimal;
use crate::vocab::promql::{first_selector, matchers};

/// The metric Pyrra names the SLO's series after (the total query's, without `_total` or
/// `_count`), and the `=` matchers of that query, which Pyrra puts on series and alerts.
fn metric_and_labels(slo: &Slo) -> (String, Vec<(String, String)>) {
    let found = match &slo.sli {
        Sli::Latency {
            metric, matchers, ..
        } => {
            let labels = first_selector(&format!("x{{{matchers}}}")).map(|(_, l)| l);
            Some((metric.clone(), labels.unwrap_or_default()))
        }
        Sli::Ratio { total, .. } => first_selector(total),
        Sli::Raw { .. } | Sli::Threshold { .. } | Sli::Freshness { .. } => None,
    };
    let (name, labels) = found.unwrap_or_else(|| (slo.name.replace(['-', '.'], "_"), Vec::new()));
    let name = name
        .strip_suffix("_total")
        .or_else(|| name.strip_suffix("_count"))
        .unwrap_or(&name)
        .to_string();
    let grouped = match &slo.grouping {
        crate::vocab::promql::Grouping::By(by) => by.clone(),
        crate::vocab::promql::Grouping::Unknown => Vec::new(),
    };
    (
        name,
        labels
            .into_iter()
            .filter(|(k, _)| !grouped.contains(k))
            .collect(),
    )
}

/// What every series and alert of the SLO carries: `slo`, the spec's labels, the matchers'.
fn common_labels(
    r: &SloRules<'_>,
    matcher_labels: &[(String, String)],
) -> BTreeMap<String, String> {
    let mut labels = r.service.labels.clone();
    labels.extend(r.slo.labels.clone());
    labels.extend(matcher_labels.iter().cloned());
    labels.insert("slo".into(), r.slo.name.clone());
    labels
}

fn record(record: String, expr: String, labels: &BTreeMap<String, String>) -> Rule {
    Rule::Record {
        record,
        expr,
        labels: labels.clone(),
    }
}

/// `<metric>:burnrate<window>` (an error ratio, despite the name) for every alert window, and
/// Pyrra's generic series.
fn recordings(r: &SloRules<'_>, metric: &str, labels: &BTreeMap<String, String>) -> Vec<Rule> {
    let own = |name: &str| format!("sum without (slo_service, slo_name) ({name}{})", r.selector);
    let mut rules: Vec<Rule> = r
        .slo
        .alert_windows()
        .into_iter()
        .map(|w| {
            record(
                format!("{metric}:burnrate{}", prometheus_duration(w)),
                own(&series::error_ratio(w)),
                labels,
            )
        })
        .collect();
    rules.extend([
        record(
            "pyrra_objective".into(),
            format!("vector({})", format_decimal(r.slo.objective())),
            labels,
        ),
        record(
            "pyrra_window".into(),
            format!("vector({})", r.slo.window.as_millis() / 1_000),
            labels,
        ),
        record(
            "pyrra_availability".into(),
            format!("1 - {}", own(series::ERROR_RATIO_PERIOD)),
            labels,
        ),
    ]);
    if !matches!(
        r.slo.sli,
        Sli::Raw { .. } | Sli::Threshold { .. } | Sli::Freshness { .. }
    ) {
        rules.push(record(
            "pyrra_requests:rate5m".into(),
            own(series::TOTAL_RATE5M),
            labels,
        ));
        rules.push(record(
            "pyrra_errors:rate5m".into(),
            own(series::BAD_RATE5M),
            labels,
        ));
    }
    rules
}

/// A tier's condition as Pyrra writes it: both burn-rate series over the threshold, and the
/// low-traffic guard when the SLO has one.
fn alert_expr(r: &SloRules<'_>, tier: &Tier, metric: &str) -> String {
    let sel = format!("{{{}}}", matchers(&[("slo", &r.slo.name)]));
    let threshold = format!(
        "({} * (1-{}))",
        format_decimal(tier.factor),
        format_decimal(r.slo.objective())
    );
    let side = |w: Duration| {
        format!(
            "{metric}:burnrate{}{sel} > {threshold}",
            prometheus_duration(w)
        )
    };
    let expr = format!("{} and {}", side(tier.short), side(tier.long));
    match r.slo.min_events {
        Some(n) => format!(
            "({expr}) and on () (sum(avg_over_time({}{}[{}])) * {}) >= {n}",
            series::BAD_RATE5M,
            r.selector,
            tier.long,
            tier.long.as_millis() / 1_000
        ),
        None => expr,
    }
}

/// A tier's alert labels: the spec's, Pyrra's (`short`, `long`, `severity`, `exhaustion`) and
/// slocc's SLO labels, so the generated Alertmanager routes and inhibitions apply.
fn alert_labels(
    r: &SloRules<'_>,
    tier: &Tier,
    labels: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let spec = r.slo.alert_labels.iter().chain(&tier.labels).chain(labels);
    let mut l: BTreeMap<String, String> = spec
        .map(|(k, v)| (k.clone(), template_literal(v)))
        .collect();
    l.insert("short".into(), prometheus_duration(tier.short));
    l.insert("long".into(), prometheus_duration(tier.long));
    let severity = super::severity(Some(super::Compat::Pyrra), &tier.class);
    l.insert("severity".into(), template_literal(&severity));
    let exhaustion = tier.exhaustion_secs(r.slo.window).round() as u64;
    l.insert(
        "exhaustion".into(),
        prometheus_duration(Duration::from_secs(exhaustion)),
    );
    l.insert("slo_service".into(), r.service.name.clone());
    l.insert("slo_name".into(), r.slo.name.clone());
    l.insert("slo_long_window".into(), tier.long.to_string());
    l
}

fn alert(r: &SloRules<'_>, tier: &Tier, metric: &str, labels: &BTreeMap<String, String>) -> Rule {
    let mut annotations = BTreeMap::from([
        ("runbook_url".to_string(), r.runbook_url.to_string()),
        (
            "response".to_string(),
            template_literal(&tier.class.response),
        ),
    ]);
    let spec = r.slo.alert_annotations.iter().chain(&tier.annotations);
    annotations.extend(spec.map(|(k, v)| (k.clone(), template_literal(v))));
    Rule::Alert {
        alert: r.slo.alert_name.clone(),
        expr: alert_expr(r, tier, metric),
        for_duration: tier.for_duration.map(prometheus_duration),
        labels: alert_labels(r, tier, labels),
        annotations,
    }
}

/// Pyrra's group for one SLO, named after it.
pub(super) fn groups(r: &SloRules<'_>) -> Vec<RuleGroup> {
    let (metric, matcher_labels) = metric_and_labels(r.slo);
    let labels = common_labels(r, &matcher_labels);
    let mut rules = Vec::new();
    if r.recordings {
        rules.extend(recordings(r, &metric, &labels));
    }
    if r.alerts {
        rules.extend(r.slo.tiers.iter().map(|t| alert(r, t, &metric, &labels)));
    }
    // Pyrra names the group after the SLO (which is also the service of a Pyrra import).
    let name = if r.service.name == r.slo.name {
        r.slo.name.clone()
    } else {
        format!("{}-{}", r.service.name, r.slo.name)
    };
    vec![RuleGroup {
        name,
        interval: SLI_INTERVAL.to_string(),
        rules,
    }]
}
