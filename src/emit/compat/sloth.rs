//! Sloth-shaped series and alerts, derived from slocc's own recorded series (see
//! docs/imports.md for what matches Sloth's output and what does not).

use std::collections::BTreeMap;

use super::{prometheus_duration, SloRules};
use crate::emit::prometheus::{
    series, template_literal, Rule, RuleGroup, BASE_WINDOW, PERIOD_INTERVAL, SLI_INTERVAL,
};
use crate::model::{Service, Slo, Tier, Urgency};
use crate::vocab::duration::Duration;
use crate::vocab::number::format_decimal;
use crate::vocab::promql::matchers;
use crate::vocab::promql::Grouping;

/// The ids Sloth gives an SLO's series.
struct Ids {
    /// `sloth_id`, `sloth_service`, `sloth_slo` and the spec's labels.
    labels: BTreeMap<String, String>,
    /// `{sloth_id="...", sloth_service="...", sloth_slo="..."}`.
    selector: String,
    id: String,
}

/// Sloth's identifying labels of an SLO's series: `sloth_id`, `sloth_service`, `sloth_slo`.
pub(crate) fn sloth_ids(service: &Service, slo: &Slo) -> [(String, String); 3] {
    [
        ("sloth_id".into(), format!("{}-{}", service.name, slo.name)),
        ("sloth_service".into(), service.name.clone()),
        ("sloth_slo".into(), slo.name.clone()),
    ]
}

fn ids(r: &SloRules<'_>) -> Ids {
    let own = sloth_ids(r.service, r.slo);
    let mut labels = r.service.labels.clone();
    labels.extend(r.slo.labels.clone());
    labels.extend(own.iter().cloned());
    let pairs: Vec<(&str, &str)> = own.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Ids {
        selector: format!("{{{}}}", matchers(&pairs)),
        labels,
        id: own[0].1.clone(),
    }
}

fn record(record: String, expr: String, labels: BTreeMap<String, String>) -> Rule {
    Rule::Record {
        record,
        expr,
        labels,
    }
}

/// The `slo:sli_error:ratio_rate<window>` series slocc does not record itself: the SLO window,
/// named as Sloth names it (slocc calls it `ratio_period`), and the windows of tiers that do
/// not alert (disabled or dead), which Sloth records for every SLO, from the SLI queries.
fn sli_rules(r: &SloRules<'_>, ids: &Ids) -> Vec<Rule> {
    let recorded = r.slo.alert_windows();
    let labelled = |window: &str| {
        let mut labels = ids.labels.clone();
        labels.insert("sloth_window".into(), window.to_string());
        labels
    };
    let mut rules: Vec<Rule> = r
        .slo
        .policy_windows
        .iter()
        .filter(|w| !recorded.contains(w) && **w != BASE_WINDOW)
        .filter_map(|w| {
            // Time slices: the share of bad slices from the recorded verdicts, as slocc's own
            // windows read it (the SLI queries would judge every minute of the window anew).
            let expr = match r.slo.budgeting.slice() {
                Some(_) => format!(
                    "avg_over_time({}{}[{w}])",
                    crate::emit::prometheus::SLICE_ERROR,
                    r.selector
                ),
                None => crate::emit::prometheus::sli_error_ratio(r.slo, *w)?,
            };
            let name = prometheus_duration(*w);
            Some(record(
                format!("slo:sli_error:ratio_rate{name}"),
                expr,
                labelled(&name),
            ))
        })
        .collect();
    let window = prometheus_duration(r.slo.window);
    if !recorded.contains(&r.slo.window) || window != r.slo.window.to_string() {
        rules.push(record(
            format!("slo:sli_error:ratio_rate{window}"),
            format!(
                "sum without (slo_service, slo_name, sloth_window) ({}{})",
                series::ERROR_RATIO_PERIOD,
                r.selector
            ),
            labelled(&window),
        ));
    }
    rules
}

/// Sloth's metadata series.
fn meta_rules(r: &SloRules<'_>, ids: &Ids) -> Vec<Rule> {
    let sel = &ids.selector;
    let on = "on (sloth_id, sloth_slo, sloth_service) group_left";
    let budget = "slo:error_budget:ratio";
    let days = r.slo.window.as_secs_f64() / 86_400.0;
    let mut info = ids.labels.clone();
    info.extend([
        ("sloth_mode".to_string(), "cli-gen-prom".to_string()),
        (
            "sloth_objective".to_string(),
            format_decimal(r.slo.objective_percent),
        ),
        ("sloth_spec".to_string(), "prometheus/v1".to_string()),
        ("sloth_version".to_string(), "slocc".to_string()),
    ]);
    let l = || ids.labels.clone();
    // `slo:objective:ratio`, `slo:error_budget:ratio` and
    // `slo:period_error_budget_remaining:ratio` are slocc's own series, with Sloth's labels.
    vec![
        record(
            "slo:time_period:days".into(),
            format!("vector({days})"),
            l(),
        ),
        record(
            "slo:current_burn_rate:ratio".into(),
            format!(
                "{}{sel}\n/ {on}\n{budget}{sel}",
                series::error_ratio(Duration::from_secs(300))
            ),
            l(),
        ),
        record(
            "slo:period_burn_rate:ratio".into(),
            format!(
                "slo:sli_error:ratio_rate{}{sel}\n/ {on}\n{budget}{sel}",
                prometheus_duration(r.slo.window)
            ),
            l(),
        ),
        record("sloth_slo_info".into(), "vector(1)".into(), info),
    ]
}

/// One window pair of a tier, as Sloth writes it.
fn pair(tier: &Tier, budget: &str, sel: &str) -> String {
    let factor = format_decimal(tier.factor);
    let side = |w: Duration| format!("({}{sel} > ({factor} * {budget}))", series::error_ratio(w));
    format!(
        "(\n    {}\n    and ignoring (sloth_window)\n    {}\n)",
        side(tier.short),
        side(tier.long)
    )
}

/// The low-traffic guard of a tier, over slocc's bad-event series, joined on the labels the
/// SLI keeps.
fn guard(r: &SloRules<'_>, tier: &Tier, n: u64) -> String {
    let on = match &r.slo.grouping {
        Grouping::By(labels) => labels.join(", "),
        Grouping::Unknown => String::new(),
    };
    format!(
        "\n    and on ({on})\n    (sum without (slo_service, slo_name) (avg_over_time({}{}[{}])) * {}) >= {n}",
        series::BAD_RATE5M,
        r.selector,
        tier.long,
        tier.long.as_millis() / 1_000
    )
}

/// One alert per urgency, ORing its tiers' window pairs, labelled `sloth_severity`.
fn alert_rules(r: &SloRules<'_>, ids: &Ids) -> Vec<Rule> {
    let budget = format_decimal(r.slo.budget());
    [Urgency::Page, Urgency::Ticket]
        .into_iter()
        .filter_map(|urgency| {
            let tiers: Vec<&Tier> = r
                .slo
                .tiers
                .iter()
                .filter(|t| t.severity == urgency)
                .collect();
            let first = tiers.first()?;
            let pairs: Vec<String> = tiers
                .iter()
                .map(|t| {
                    let guard = r.slo.min_events.map_or(String::new(), |n| guard(r, t, n));
                    format!("{}{guard}", pair(t, &budget, &ids.selector))
                })
                .collect();
            let mut labels: BTreeMap<String, String> = r
                .slo
                .alert_labels
                .iter()
                .map(|(k, v)| (k.clone(), template_literal(v)))
                .collect();
            labels.extend(
                first
                    .labels
                    .iter()
                    .map(|(k, v)| (k.clone(), template_literal(v))),
            );
            labels.insert("severity".into(), template_literal(&first.class.name));
            labels.insert("sloth_severity".into(), urgency.as_str().into());
            // slocc's SLO labels too, so the generated Alertmanager routes and inhibitions
            // (grouped on them) work for these alerts as for slocc's own.
            labels.insert("slo_service".into(), r.service.name.clone());
            labels.insert("slo_name".into(), r.slo.name.clone());
            Some(Rule::Alert {
                alert: r.slo.alert_name.clone(),
                expr: pairs.join("\nor ignoring (sloth_window)\n"),
                for_duration: first.for_duration.map(|d| d.to_string()),
                labels,
                annotations: annotations(r, first, urgency),
            })
        })
        .collect()
}

/// Sloth's default `title` and `summary` (templates over Sloth's labels), slocc's
/// `runbook_url` and `response`, then the spec's annotations over them.
fn annotations(r: &SloRules<'_>, tier: &Tier, urgency: Urgency) -> BTreeMap<String, String> {
    let mut out = BTreeMap::from([
        (
            "title".to_string(),
            format!("({}) {{{{$labels.sloth_service}}}} {{{{$labels.sloth_slo}}}} SLO error budget burn rate is too fast.", urgency.as_str()),
        ),
        (
            "summary".to_string(),
            "{{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is over expected.".to_string(),
        ),
        ("runbook_url".to_string(), r.runbook_url.to_string()),
        ("response".to_string(), template_literal(&tier.class.response)),
    ]);
    let spec = r.slo.alert_annotations.iter().chain(&tier.annotations);
    out.extend(spec.map(|(k, v)| (k.clone(), template_literal(v))));
    out
}

/// Sloth's three groups for one SLO.
pub(super) fn groups(r: &SloRules<'_>) -> Vec<RuleGroup> {
    let ids = ids(r);
    let group = |kind: &str, interval: Duration, rules: Vec<Rule>| RuleGroup {
        name: format!("sloth-slo-{kind}-{}", ids.id),
        interval: interval.to_string(),
        rules,
    };
    let mut out = Vec::new();
    if r.recordings {
        out.push(group("sli-recordings", SLI_INTERVAL, sli_rules(r, &ids)));
        out.push(group(
            "meta-recordings",
            PERIOD_INTERVAL,
            meta_rules(r, &ids),
        ));
    }
    if r.alerts {
        out.push(group("alerts", SLI_INTERVAL, alert_rules(r, &ids)));
    }
    out
}
