//! Prometheus rule files: event-weighted, NaN-free SLI recordings, cheap period budget, one alert per tier.
//!
//! Per SLO, one group evaluated every minute:
//! - `slo:sli_bad:rate5m` and `slo:sli_total:rate5m`: bad and all events per second over 5m;
//! - `slo:sli_error:ratio_rate<w>` for each alert window: windows under a day read the raw
//!   metrics with `rate(...[w])`, so an alert stops exactly one short window after recovery;
//!   windows of a day or more sum the recorded 5m rates, which is event-weighted (each sample's
//!   weight is its traffic) and reads one series instead of every raw one;
//! - one alert per tier: both windows above `factor x budget`.
//!
//! A group evaluated hourly records each hour's bad and total events (`hourly.rs`); a group
//! every 5m, for what changes slowly, records the error ratio and budget left over the whole SLO
//! window from those hourly sums (720 samples for 30 days, never a 30d `rate()` over raw series)
//! and the metadata series that let dashboards read objective, budget and window instead of
//! hard-coding them.
//!
//! Zero traffic: a ratio divides by `clamp_min(total, 1e-300)`, so 0 events over 0 events is 0,
//! not NaN; real rates are never that small, so no real ratio changes.

mod calendar;
mod daily;
mod hourly;
mod rules;
mod sli;
mod timeslices;

pub(crate) use rules::{
    recorded_window, series, template_literal, Rule, RuleFile, RuleGroup, BASE_WINDOW,
    PERIOD_INTERVAL, SLI_INTERVAL,
};
pub(crate) use sli::{le_matcher, sli_bad_rate, sli_error_ratio, sli_total_rate};
pub(crate) use timeslices::{slice_verdicts, SLICE_ERROR};

use rules::{literal, ratio, record, SloIds};
use sli::{raw_events_or, raw_ratio, recorded_zero};

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Service, Sli, Slo, Tier};
use crate::vocab::duration::Duration;
use crate::vocab::number::format_decimal;

/// Which kinds of rule the files hold (`--disable-alerts`, `--disable-recordings`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleParts {
    /// Recording rules (SLI windows, period, metadata).
    pub recordings: bool,
    /// Alerting rules.
    pub alerts: bool,
}

impl Default for RuleParts {
    fn default() -> Self {
        Self {
            recordings: true,
            alerts: true,
        }
    }
}

/// Builds the rule file of a service.
pub(crate) fn rule_file(
    service: &Service,
    cx: &crate::emit::Context,
) -> Result<RuleFile, crate::emit::templates::Error> {
    let mut groups = Vec::new();
    let (recordings, alerts) = (cx.parts.recordings, cx.parts.alerts);
    for slo in &service.slos {
        let ids = SloIds::new(service, slo);
        let mut rules = if recordings {
            sli_rules(&ids)
        } else {
            Vec::new()
        };
        let compat = service.compat;
        if alerts && compat.is_none() {
            rules.extend(alert_rules(&ids, cx)?);
            rules.extend(no_data_rule(&ids, cx));
        }
        groups.push(RuleGroup {
            name: format!("slocc-{}-{}", service.name, slo.name),
            interval: SLI_INTERVAL.to_string(),
            rules,
        });
        if slo.calendar.is_none() {
            groups.push(RuleGroup {
                name: format!("slocc-{}-{}-hourly", service.name, slo.name),
                interval: hourly::HOURLY.to_string(),
                rules: if recordings {
                    hourly::rules(&ids)
                } else {
                    Vec::new()
                },
            });
        }
        groups.push(RuleGroup {
            name: format!("slocc-{}-{}-period", service.name, slo.name),
            interval: PERIOD_INTERVAL.to_string(),
            rules: if recordings {
                period_rules(&ids)
            } else {
                Vec::new()
            },
        });
        if let Some(compat) = compat {
            let rules = crate::emit::compat::SloRules {
                service,
                slo,
                selector: &ids.selector,
                runbook_url: &runbook_url(service, slo, &cx.runbooks_shown),
                recordings,
                alerts,
            };
            groups.extend(crate::emit::compat::groups(compat, &rules));
        }
    }
    // A group with no rules is legal but noise for whoever reads the file.
    groups.retain(|g| !g.rules.is_empty());
    Ok(RuleFile { groups })
}

/// The rule file, as an artifact kind.
pub(crate) fn emit(
    service: &Service,
    cx: &crate::emit::Context,
    out: &mut crate::emit::Emission<'_>,
) -> Result<(), crate::emit::Error> {
    let (body, groups) = crate::emit::targets::wrap(rule_file(service, cx)?, service, &cx.target)?;
    out.rule_groups += groups;
    out.generated(
        format!("{}.rules.yml", service.name),
        format!("{}{body}", header(service)),
    )
}

/// The header every generated rule file starts with.
pub(crate) fn header(service: &Service) -> String {
    format!(
        "# Generated by slocc from {}. Do not edit: change the spec and run `slocc compile`.\n",
        service.source
    )
}

fn sli_rules(ids: &SloIds<'_>) -> Vec<Rule> {
    if let Some(slice) = ids.slo.budgeting.slice() {
        return timeslices::sli_rules(ids, slice);
    }
    let slo = ids.slo;
    let selector = &ids.selector;
    let base_ratio = series::error_ratio(BASE_WINDOW);
    let mut rules = Vec::new();
    // The total comes first, so the bad rate (and every raw window after it) can take its zero
    // from the recorded total rather than reading the total's raw series again.
    match raw_events_or(&slo.sli, BASE_WINDOW, recorded_zero(ids).as_deref()) {
        Some((bad, total)) => {
            rules.push(record(ids, series::TOTAL_RATE5M.into(), total));
            rules.push(record(ids, series::BAD_RATE5M.into(), bad));
            rules.push(record(
                ids,
                base_ratio.clone(),
                ratio(
                    &format!("{}{selector}", series::BAD_RATE5M),
                    &format!("{}{selector}", series::TOTAL_RATE5M),
                ),
            ));
        }
        None => rules.push(record(ids, base_ratio.clone(), raw_ratio(slo, BASE_WINDOW))),
    }
    rules.extend(daily::rules(ids));
    for window in slo.alert_windows() {
        if window == BASE_WINDOW {
            continue;
        }
        let expr = if !recorded_window(ids.service, window) {
            match raw_events_or(&slo.sli, window, recorded_zero(ids).as_deref()) {
                Some((bad, total)) => ratio(&bad, &total),
                None => raw_ratio(slo, window),
            }
        } else {
            long_window_ratio(ids, window)
        };
        rules.push(record(ids, series::error_ratio(window), expr));
    }
    rules
}

/// Error ratio over a long window from recorded series: event-weighted for event SLIs, a time
/// average for raw SLIs (which carry no event counts).
fn long_window_ratio(ids: &SloIds<'_>, window: Duration) -> String {
    if ids.slo.budgeting.slice().is_some() {
        return timeslices::window_ratio(ids, window);
    }
    if let Some(ratio) = daily::window_ratio(ids, window) {
        return ratio;
    }
    let selector = &ids.selector;
    match &ids.slo.sli {
        Sli::Raw { .. } => ids.regroup(
            "avg",
            format!(
                "avg_over_time({}{selector}[{window}])",
                series::error_ratio(BASE_WINDOW)
            ),
        ),
        _ => {
            let sum = |name: &str| {
                ids.regroup("sum", format!("sum_over_time({name}{selector}[{window}])"))
            };
            ratio(&sum(series::BAD_RATE5M), &sum(series::TOTAL_RATE5M))
        }
    }
}

fn period_rules(ids: &SloIds<'_>) -> Vec<Rule> {
    let slo = ids.slo;
    let selector = &ids.selector;
    let budget = format_decimal(slo.budget());
    let mut rules = match &slo.calendar {
        Some(calendar) => calendar::rules(ids, calendar),
        None => vec![record(
            ids,
            series::ERROR_RATIO_PERIOD.into(),
            hourly::period_ratio(ids),
        )],
    };
    rules.extend([
        record(
            ids,
            series::BUDGET_REMAINING.into(),
            format!("1 - {}{selector} / {budget}", series::ERROR_RATIO_PERIOD),
        ),
        record(
            ids,
            series::OBJECTIVE.into(),
            format!("vector({})", format_decimal(slo.objective())),
        ),
        record(
            ids,
            series::ERROR_BUDGET.into(),
            format!("vector({budget})"),
        ),
        record(
            ids,
            series::WINDOW_SECONDS.into(),
            format!("vector({})", slo.window.as_millis() / 1_000),
        ),
    ]);
    rules
}

/// The low-traffic guard: bad events over the tier's long window, estimated from the recorded
/// 5m rate of bad events (its average over the window times the window's seconds), at least
/// `n`. At 10 requests an hour one failure is a 100x burn; with the guard, it is one event.
fn min_events_guard(selector: &str, long: Duration, n: u64) -> String {
    format!(
        "\nand\n(avg_over_time({bad}{selector}[{long}]) * {secs}) >= {n}",
        bad = series::BAD_RATE5M,
        secs = long.as_millis() / 1_000,
    )
}

fn alert_rules(
    ids: &SloIds<'_>,
    cx: &crate::emit::Context,
) -> Result<Vec<Rule>, crate::emit::templates::Error> {
    let slo = ids.slo;
    let selector = &ids.selector;
    let budget = format_decimal(slo.budget());
    let runbook_url = runbook_url(ids.service, slo, &cx.runbooks_shown);
    let mut data = crate::emit::templates::Data::new(&AnnotationContext::new(ids));
    slo.tiers
        .iter()
        .map(|tier| {
            let threshold = format!("({} * {budget})", format_decimal(tier.factor));
            let mut expr = format!(
                "{long}{selector} > {threshold}\nand\n{short}{selector} > {threshold}",
                long = series::error_ratio(tier.long),
                short = series::error_ratio(tier.short),
            );
            if let Some(n) = slo.min_events {
                expr.push_str(&min_events_guard(selector, tier.long, n));
            }
            let mut labels = literal(&slo.alert_labels);
            labels.insert("severity".into(), template_literal(&tier.class.name));
            labels.insert("slo_long_window".into(), tier.long.to_string());
            labels.insert("slo_short_window".into(), tier.short.to_string());
            labels.extend(literal(&tier.labels));
            data.set(&TierContext::new(tier, slo));
            let annotations = alert_annotations(
                ids.service,
                [
                    cx.templates.render(SUMMARY_TEMPLATE, &data)?,
                    cx.templates.render(DESCRIPTION_TEMPLATE, &data)?,
                    runbook_url.clone(),
                    template_literal(&tier.class.response),
                ],
                &slo.alert_annotations,
                &tier.annotations,
            );
            Ok(Rule::Alert {
                alert: slo.alert_name.clone(),
                expr,
                for_duration: tier.for_duration.map(|d| d.to_string()),
                labels,
                annotations,
            })
        })
        .collect()
}

/// An alert's annotations: `summary`, `description`, `runbook_url`, `response`, the service
/// dashboard's URL and, where the spec names them, its `owner` and `escalation`; then the
/// SLO's own and the alert's own over them (spec text, escaped for Prometheus's templates).
fn alert_annotations(
    service: &Service,
    [summary, description, runbook_url, response]: [String; 4],
    slo: &BTreeMap<String, String>,
    own: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut annotations = BTreeMap::from([
        ("summary".to_string(), summary),
        ("description".to_string(), description),
        ("runbook_url".to_string(), runbook_url),
        ("response".to_string(), response),
        (
            "dashboard_url".to_string(),
            crate::emit::links::dashboard(service),
        ),
    ]);
    let named = [
        ("owner", &service.owner),
        ("escalation", &service.escalation),
    ];
    for (key, value) in named {
        if let Some(value) = value {
            annotations.insert(key.to_string(), template_literal(value));
        }
    }
    annotations.extend(literal(slo));
    annotations.extend(literal(own));
    annotations
}

/// The no-data alert: the SLO's 5-minute error ratio, recorded from its SLI queries whenever
/// they return anything (zero traffic included), has no series at all.
fn no_data_rule(ids: &SloIds<'_>, cx: &crate::emit::Context) -> Option<Rule> {
    let (service, slo) = (ids.service, ids.slo);
    let no_data = slo.no_data.as_ref()?;
    let mut labels = literal(&ids.labels);
    labels.extend(literal(&slo.alert_labels));
    labels.insert("severity".into(), template_literal(&no_data.class.name));
    labels.extend(literal(&no_data.labels));
    let (svc, name) = (template_literal(&service.name), template_literal(&slo.name));
    let description = format!(
        "The SLI queries of SLO {name} of {svc} have returned no series for {}: a metric renamed, a scrape target gone, or relabelling that drops it. Until they return, no budget burn of this SLO can alert.",
        no_data.for_duration
    );
    let annotations = alert_annotations(
        service,
        [
            format!("SLO {svc}/{name} has no SLI data: its burn-rate alerts cannot fire"),
            description,
            runbook_url(service, slo, &cx.runbooks_shown),
            template_literal(&no_data.class.response),
        ],
        &slo.alert_annotations,
        &no_data.annotations,
    );
    Some(Rule::Alert {
        alert: no_data.name.clone(),
        expr: format!(
            "absent({}{})",
            series::error_ratio(BASE_WINDOW),
            ids.selector
        ),
        for_duration: Some(no_data.for_duration.to_string()),
        labels,
        annotations,
    })
}

/// Where the runbook of an SLO lives: under the spec's base URL, or relative to the repository.
/// The spec's `runbook_base_url` is where runbooks are served (`<base>/<service>/<slo>.md`);
/// the settings' is where the repository's files are (`<base>/<runbooks dir>/...`).
pub(crate) fn runbook_url(service: &Service, slo: &Slo, runbooks_dir: &str) -> String {
    let path = crate::emit::runbook::relative_path(service, slo);
    match (&service.runbook_base_url, &service.repository_url) {
        (Some(base), _) => format!("{base}/{path}"),
        (None, Some(repository)) => format!("{repository}/{runbooks_dir}/{path}"),
        (None, None) => format!("{runbooks_dir}/{path}"),
    }
}

/// The alert summary template.
const SUMMARY_TEMPLATE: &str = "prometheus/alert-summary.hbs";
/// The alert description template.
const DESCRIPTION_TEMPLATE: &str = "prometheus/alert-description.hbs";

/// What the alert annotation templates (`targets/prometheus/alert-*.hbs`) can use: the SLO's
/// fields, converted once per SLO, and each tier's ([`TierContext`]), set per alert.
#[derive(Serialize)]
struct AnnotationContext<'a> {
    service: &'a str,
    slo: &'a str,
    objective_percent: String,
    window: String,
    current_error_ratio: &'static str,
    description: Option<String>,
}

impl<'a> AnnotationContext<'a> {
    fn new(ids: &SloIds<'a>) -> Self {
        let (service, slo) = (ids.service, ids.slo);
        Self {
            service: &service.name,
            slo: &slo.name,
            objective_percent: format_decimal(slo.objective_percent),
            window: slo.window.to_string(),
            current_error_ratio: "{{ $value | humanizePercentage }}",
            description: slo.description.as_deref().map(template_literal),
        }
    }
}

/// The tier fields of the annotation templates.
#[derive(Serialize)]
struct TierContext {
    factor: String,
    threshold: String,
    long_window: String,
    short_window: String,
    budget_spent_percent: String,
    exhaustion: String,
}

impl TierContext {
    fn new(tier: &Tier, slo: &Slo) -> Self {
        Self {
            factor: format_decimal(tier.factor),
            threshold: format_decimal(tier.threshold),
            long_window: tier.long.to_string(),
            short_window: tier.short.to_string(),
            budget_spent_percent: crate::vocab::number::format_f64(
                tier.budget_spent_at_fire(slo.window) * 100.0,
                2,
            ),
            exhaustion: crate::vocab::duration::humanize_secs(tier.exhaustion_secs(slo.window)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_second_thresholds_match_both_le_spellings() {
        assert_eq!(le_matcher(Duration::from_secs(1)), r#"le=~"1(\\.0)?""#);
        assert_eq!(le_matcher(Duration::from_millis(300)), r#"le="0.3""#);
        assert_eq!(le_matcher(Duration::from_millis(2_500)), r#"le="2.5""#);
    }

    #[test]
    fn template_literals_survive_go_templates() {
        assert_eq!(template_literal("uses {{x}}"), "uses {{ \"{{\" }}x}}");
        assert_eq!(template_literal("plain"), "plain");
    }
}
