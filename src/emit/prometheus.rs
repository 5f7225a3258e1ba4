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
mod timeslices;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{EventQuery, Service, Sli, Slo, Tier};
use crate::vocab::duration::Duration;
use crate::vocab::number::format_decimal;
use crate::vocab::promql::Grouping;
use crate::vocab::promql::{escape_string, matchers, selector, with_window};

/// Windows from this length up are computed from the recorded 5m rates.
const RECORDED_FROM: Duration = Duration::from_secs(86_400);

/// Whether `service` computes `window` from its recorded 5m rates (day sums, averages) rather
/// than from the SLI queries: windows of a day and more, which a raw `[1d]` rate makes the
/// costliest rules. Not under `--compat sloth`: Sloth's users' alerts read raw windows, and
/// Sloth's own detection times are what that output promises (docs/imports.md).
pub(crate) fn recorded_window(service: &Service, window: Duration) -> bool {
    window >= RECORDED_FROM && service.compat != Some(crate::model::Compat::Sloth)
}
/// The base window every SLO records.
pub(crate) const BASE_WINDOW: Duration = Duration::from_secs(300);
/// Evaluation interval of the SLI and alert group.
pub(crate) const SLI_INTERVAL: Duration = Duration::from_secs(60);
/// Evaluation interval of the period and metadata group.
pub(crate) const PERIOD_INTERVAL: Duration = Duration::from_secs(300);
/// Denominator floor that turns 0/0 into 0 without touching any real ratio.
const NAN_GUARD: &str = "1e-300";

/// Recorded series names.
pub(crate) mod series {
    /// Bad events per second over 5m.
    pub(crate) const BAD_RATE5M: &str = "slo:sli_bad:rate5m";
    /// All events per second over 5m.
    pub(crate) const TOTAL_RATE5M: &str = "slo:sli_total:rate5m";
    /// Error ratio over the whole SLO window.
    pub(crate) const ERROR_RATIO_PERIOD: &str = "slo:sli_error:ratio_period";
    /// Share of the error budget left over the SLO window (negative when overspent).
    pub(crate) const BUDGET_REMAINING: &str = "slo:period_error_budget_remaining:ratio";
    /// Objective as a ratio.
    pub(crate) const OBJECTIVE: &str = "slo:objective:ratio";
    /// Error budget as a ratio.
    pub(crate) const ERROR_BUDGET: &str = "slo:error_budget:ratio";
    /// SLO window in seconds.
    pub(crate) const WINDOW_SECONDS: &str = "slo:window:seconds";

    /// Error ratio over `window`.
    pub(crate) fn error_ratio(window: crate::vocab::duration::Duration) -> String {
        format!("slo:sli_error:ratio_rate{window}")
    }
}

/// A Prometheus rule file.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct RuleFile {
    /// Rule groups.
    pub(crate) groups: Vec<RuleGroup>,
}

/// A rule group.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct RuleGroup {
    /// Group name, unique per file.
    pub(crate) name: String,
    /// Evaluation interval.
    pub(crate) interval: String,
    /// Rules, evaluated in order.
    pub(crate) rules: Vec<Rule>,
}

/// A recording or alerting rule.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub(crate) enum Rule {
    /// Records a series.
    Record {
        /// Series name.
        record: String,
        /// Query.
        expr: String,
        /// Labels added to the result.
        labels: BTreeMap<String, String>,
    },
    /// Fires an alert.
    Alert {
        /// Alert name.
        alert: String,
        /// Condition.
        expr: String,
        /// How long the condition must hold.
        #[serde(rename = "for", skip_serializing_if = "Option::is_none")]
        for_duration: Option<String>,
        /// Labels.
        labels: BTreeMap<String, String>,
        /// Annotations.
        annotations: BTreeMap<String, String>,
    },
}

/// One SLO with the selector and labels all its series share, built once.
struct SloIds<'a> {
    service: &'a Service,
    slo: &'a Slo,
    /// `{slo_service="...", slo_name="..."}`.
    selector: String,
    /// Labels every recorded series of the SLO carries.
    labels: BTreeMap<String, String>,
}

impl<'a> SloIds<'a> {
    fn new(service: &'a Service, slo: &'a Slo) -> Self {
        let mut labels = service.labels.clone();
        labels.extend(slo.labels.clone());
        labels.insert("slo_service".into(), service.name.clone());
        labels.insert("slo_name".into(), slo.name.clone());
        if service.compat == Some(crate::model::Compat::Sloth) {
            // Sloth's ids on slocc's own series, so that a series name both tools record is
            // recorded once, and Sloth users' selectors match it.
            labels.extend(crate::emit::compat::sloth_ids(service, slo));
        }
        Self {
            service,
            slo,
            selector: format!(
                "{{{}}}",
                matchers(&[("slo_service", &service.name), ("slo_name", &slo.name)])
            ),
            labels,
        }
    }

    /// Wraps a per-series expression over recorded series so that series which differ only in
    /// spec labels (a label renamed last week) are summed as one, and the window survives it.
    fn regroup(&self, aggregation: &str, inner: String) -> String {
        match &self.slo.grouping {
            Grouping::By(extra) => {
                let mut by = vec!["slo_service".to_string(), "slo_name".to_string()];
                by.extend(extra.iter().cloned());
                format!("{aggregation} by ({}) ({inner})", by.join(", "))
            }
            Grouping::Unknown => inner,
        }
    }
}

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

/// Renders the rule file as YAML with its do-not-edit header.
pub(crate) fn render(
    service: &Service,
    cx: &crate::emit::Context,
) -> Result<String, crate::emit::templates::Error> {
    let body = crate::emit::targets::wrap(rule_file(service, cx)?, service, &cx.target);
    Ok(format!("{}{body}", header(service)))
}

/// The rule file, as an artifact kind.
pub(crate) fn emit(
    service: &Service,
    cx: &crate::emit::Context,
    out: &mut crate::emit::Emission<'_>,
) -> Result<(), crate::emit::Error> {
    out.generated(format!("{}.rules.yml", service.name), render(service, cx)?)
}

/// The header every generated rule file starts with.
pub(crate) fn header(service: &Service) -> String {
    format!(
        "# Generated by slocc from {}. Do not edit: change the spec and run `slocc compile`.\n",
        service.source
    )
}

fn record(ids: &SloIds<'_>, name: String, expr: String) -> Rule {
    let mut labels = ids.labels.clone();
    if let Some(window) = name.strip_prefix("slo:sli_error:ratio_rate") {
        if ids.service.compat == Some(crate::model::Compat::Sloth) {
            labels.insert("sloth_window".into(), window.to_string());
        }
    }
    Rule::Record {
        record: name,
        expr,
        labels,
    }
}

fn ratio(bad: &str, total: &str) -> String {
    format!("(\n  {bad}\n)\n/\nclamp_min(\n  {total},\n  {NAN_GUARD}\n)")
}

/// Bad and total events per second over `window`, straight from the SLI's metrics.
fn raw_events(sli: &Sli, window: Duration) -> Option<(String, String)> {
    raw_events_or(sli, window, None)
}

/// [`raw_events`], with `zero` (when given) as the expression that stands for "no bad event"
/// instead of the total query times 0, which would read the total's raw series a second time.
fn raw_events_or(sli: &Sli, window: Duration, zero: Option<&str>) -> Option<(String, String)> {
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
        Sli::Raw { .. } | Sli::Threshold { .. } => None,
    }
}

/// "No bad event": the recorded 5m total, shaped as the SLI's queries (aggregated by the same
/// labels) and times 0. Reading one recorded series instead of the total's raw series again
/// saves a third of what a window costs; `None` when the queries' shape is unknown.
fn recorded_zero(ids: &SloIds<'_>) -> Option<String> {
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

/// The SLO's error ratio over `window` straight from its SLI queries (what `slocc status` reads
/// before the recorded series exist); `None` for a threshold SLI, which has no ratio.
pub(crate) fn sli_error_ratio(slo: &Slo, window: Duration) -> Option<String> {
    match &slo.sli {
        Sli::Threshold { .. } => None,
        Sli::Raw { .. } => Some(raw_ratio(slo, window)),
        sli => raw_events(sli, window).map(|(bad, total)| ratio(&bad, &total)),
    }
}

/// Bad events per second over `window` from the SLI queries, for SLIs that count events.
pub(crate) fn sli_bad_rate(slo: &Slo, window: Duration) -> Option<String> {
    raw_events(&slo.sli, window).map(|(bad, _)| bad)
}

/// A raw SLI's own ratio; NaN (its zero-traffic answer) is dropped rather than recorded.
fn raw_ratio(slo: &Slo, window: Duration) -> String {
    let Sli::Raw { error_ratio } = &slo.sli else {
        unreachable!("raw_ratio is only called for raw SLIs")
    };
    format!("({}) >= 0", with_window(error_ratio, window))
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

/// Text from a spec placed inside an annotation, which Prometheus expands as a Go template:
/// a literal `{{` would start an action, so it is written as a template printing `{{`.
pub(crate) fn template_literal(text: &str) -> String {
    text.replace("{{", "{{ \"{{\" }}")
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

/// Prometheus expands templates in alert labels and annotations: user text must reach the
/// alert as written, so each `{{` in it is printed literally.
fn literal(map: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    map.iter()
        .map(|(k, v)| (k.clone(), template_literal(v)))
        .collect()
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
            let mut annotations = BTreeMap::from([
                (
                    "summary".to_string(),
                    cx.templates.render(SUMMARY_TEMPLATE, &data)?,
                ),
                (
                    "description".to_string(),
                    cx.templates.render(DESCRIPTION_TEMPLATE, &data)?,
                ),
                ("runbook_url".to_string(), runbook_url.clone()),
                (
                    "response".to_string(),
                    template_literal(&tier.class.response),
                ),
            ]);
            annotations.extend(literal(&slo.alert_annotations));
            annotations.extend(literal(&tier.annotations));
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
