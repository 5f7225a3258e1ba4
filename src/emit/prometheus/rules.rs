//! What every rule of a file is made of: the recorded series' names, the rule file's shape,
//! an SLO's identity labels and selector, and the ratio every SLI window divides by.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Service, Slo};
use crate::vocab::duration::Duration;
use crate::vocab::promql::{matchers, Grouping};

/// Windows from this length up are computed from the recorded 5m rates.
pub(super) const RECORDED_FROM: Duration = Duration::from_secs(86_400);

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
pub(super) const NAN_GUARD: &str = "1e-300";

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
pub(super) struct SloIds<'a> {
    pub(super) service: &'a Service,
    pub(super) slo: &'a Slo,
    /// `{slo_service="...", slo_name="..."}`.
    pub(super) selector: String,
    /// Labels every recorded series of the SLO carries.
    pub(super) labels: BTreeMap<String, String>,
}

impl<'a> SloIds<'a> {
    pub(super) fn new(service: &'a Service, slo: &'a Slo) -> Self {
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
    pub(super) fn regroup(&self, aggregation: &str, inner: String) -> String {
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

pub(super) fn record(ids: &SloIds<'_>, name: String, expr: String) -> Rule {
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

pub(super) fn ratio(bad: &str, total: &str) -> String {
    format!("(\n  {bad}\n)\n/\nclamp_min(\n  {total},\n  {NAN_GUARD}\n)")
}

/// Text from a spec placed inside an annotation, which Prometheus expands as a Go template:
/// a literal `{{` would start an action, so it is written as a template printing `{{`.
pub(crate) fn template_literal(text: &str) -> String {
    text.replace("{{", "{{ \"{{\" }}")
}

/// Prometheus expands templates in alert labels and annotations: user text must reach the
/// alert as written, so each `{{` in it is printed literally.
pub(super) fn literal(map: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    map.iter()
        .map(|(k, v)| (k.clone(), template_literal(v)))
        .collect()
}
