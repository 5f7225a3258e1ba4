//! Pyrra `ServiceLevelObjective` (pyrra.dev/v1alpha1): one SLO per object, read into the native
//! spec stage. Pyrra's indicators name counter selectors; the queries are built around them the
//! way Pyrra does (`sum by (grouping) (rate(selector[window]))`).

use crate::diag::{Diagnostics, Location};
use crate::spec::diags::{self, SelectorProblem, Unsupported};
use crate::spec::yaml::{Document, Fields, Mapping, Spanned};
use crate::spec::{AlertingSpec, ServiceSpec, SliSpec, SloSpec, TierSpec};

/// Pyrra's default alert name.
const DEFAULT_ALERT_NAME: &str = "ErrorBudgetBurn";

/// Pyrra's Kubernetes resource.
pub(crate) const FORMAT: super::Format = super::Format {
    describe: "Pyrra `apiVersion: pyrra.dev/v1alpha1` (`ServiceLevelObjective`)",
    detect: |h| {
        h.api_version == Some("pyrra.dev/v1alpha1") && h.kind == Some("ServiceLevelObjective")
    },
    reader: super::Reader::Single(read),
};

/// Reads a Pyrra `ServiceLevelObjective` document.
fn read(doc: &Document, diags: &mut Diagnostics) -> Option<ServiceSpec> {
    let fields = Fields::new(&doc.root, doc.location, "the Pyrra ServiceLevelObjective");
    fields.deny_unknown(&["apiVersion", "kind", "metadata", "spec", "status"], diags);
    let (metadata, meta_loc) = fields.required_mapping("metadata", diags)?;
    let meta = Fields::new(metadata, meta_loc, "the metadata");
    let name = meta.required_string("name", diags)?;
    // Pyrra puts `pyrra.dev/`-prefixed object labels on its rules and alerts, and such
    // annotations on its alerts, without the prefix; other Kubernetes labels are the object's.
    let labels = pyrra_prefixed(meta.string_map("labels", diags));
    let annotations = pyrra_prefixed(meta.string_map("annotations", diags));
    let (spec, spec_loc) = fields.required_mapping("spec", diags)?;
    let context = format!("the Pyrra SLO `{}`", name.value);
    let f = Fields::new(spec, spec_loc, &context);
    f.deny_unknown(
        &[
            "description",
            "target",
            "window",
            "indicator",
            "alerting",
            "partial_response_strategy",
            // Pyrra's trade of accuracy for cheaper rules; slocc's long windows always read
            // its recorded 5m series, so there is nothing to trade.
            "performanceOverAccuracy",
        ],
        diags,
    );
    let sli = f
        .required_mapping("indicator", diags)
        .and_then(|(m, loc)| read_indicator(m, loc, &context, diags));
    let mut alerting = read_alerting(&f, &context, diags);
    alerting.annotations.extend(annotations);
    // One Pyrra object is one SLO; it is also the service its rules are grouped under.
    let slo = SloSpec {
        name: Some(name.clone()),
        description: f.string("description", diags),
        objective: f.required_string("target", diags),
        window: f.required_string("window", diags),
        labels,
        sli,
        alerting,
        budgeting: None,
        calendar: None,
        previous_names: Vec::new(),
        runbook: Default::default(),
        mttr: None,
        location: spec_loc,
    };
    Some(ServiceSpec::imported(Some(name), vec![slo], doc.location))
}

/// The entries whose key starts with `pyrra.dev/`, with the prefix removed.
fn pyrra_prefixed(pairs: crate::spec::Pairs) -> crate::spec::Pairs {
    pairs
        .into_iter()
        .filter_map(|(k, v)| {
            let name = k.value.strip_prefix("pyrra.dev/")?.to_string();
            Some((Spanned::new(name, k.location), v))
        })
        .collect()
}

fn grouping(f: &Fields<'_>, diags: &mut Diagnostics) -> Option<String> {
    let (seq, loc) = f.sequence("grouping", diags)?;
    let labels: Vec<String> = seq
        .iter()
        .filter_map(|n| match n.as_scalar() {
            Some(s) => Some(s.as_str().to_string()),
            None => {
                diags.push(diags::wrong_type(
                    crate::spec::yaml::location_of(n, loc),
                    "each `grouping` entry",
                    "a label name",
                ));
                None
            }
        })
        .collect();
    (!labels.is_empty()).then(|| labels.join(", "))
}

/// `metric` of a `{metric: ...}` mapping, with its position.
fn metric(
    f: &Fields<'_>,
    key: &str,
    context: &str,
    diags: &mut Diagnostics,
) -> Option<Spanned<String>> {
    let (m, loc) = f.required_mapping(key, diags)?;
    let inner_context = format!("`{key}` of {context}");
    let mf = Fields::new(m, loc, &inner_context);
    mf.deny_unknown(&["metric"], diags);
    mf.required_string("metric", diags)
}

/// `sum by (grouping) (<function>(<selector>[{{window}}]))`, positioned at the selector.
fn query(function: &str, selector: &Spanned<String>, by: &Option<String>) -> Spanned<String> {
    let aggregation = by
        .as_ref()
        .map_or("sum".to_string(), |labels| format!("sum by ({labels}) "));
    Spanned::new(
        format!(
            "{aggregation}({function}({}[{{{{window}}}}]))",
            selector.value.trim()
        ),
        selector.location,
    )
}

fn read_indicator(
    map: &Mapping,
    location: Location,
    context: &str,
    diags: &mut Diagnostics,
) -> Option<SliSpec> {
    let indicator_context = format!("the indicator of {context}");
    let f = Fields::new(map, location, &indicator_context);
    f.deny_unknown(&["ratio", "latency", "latencyNative", "bool_gauge"], diags);
    let written: Vec<&str> = INDICATORS
        .iter()
        .map(|(key, _)| *key)
        .filter(|key| f.node(key).is_some())
        .collect();
    if let [_, second, ..] = written.as_slice() {
        let kinds: Vec<&str> = INDICATORS.iter().map(|(key, _)| *key).collect();
        diags.push(diags::sli_kind(
            f.key_location(second),
            &indicator_context,
            &written,
            &kinds,
        ));
        return None;
    }
    for (key, read) in INDICATORS {
        if let Some((m, loc)) = f.mapping(key, diags) {
            return read(m, loc, &indicator_context, diags);
        }
    }
    let kinds: Vec<&str> = INDICATORS.iter().map(|(key, _)| *key).collect();
    diags.push(diags::sli_kind(location, &indicator_context, &[], &kinds));
    None
}

/// Reads one kind of indicator from its mapping.
type ReadIndicator = fn(&Mapping, Location, &str, &mut Diagnostics) -> Option<SliSpec>;

/// Pyrra's indicator kinds slocc compiles, by key.
const INDICATORS: [(&str, ReadIndicator); 4] = [
    ("ratio", ratio_indicator),
    ("latency", latency_indicator),
    ("latencyNative", native_latency_indicator),
    ("bool_gauge", bool_gauge_indicator),
];

fn ratio_indicator(
    m: &Mapping,
    loc: Location,
    context: &str,
    diags: &mut Diagnostics,
) -> Option<SliSpec> {
    let rf = Fields::new(m, loc, context);
    rf.deny_unknown(&["errors", "total", "grouping"], diags);
    let by = grouping(&rf, diags);
    let errors = metric(&rf, "errors", context, diags);
    let total = metric(&rf, "total", context, diags);
    Some(SliSpec::Ratio {
        errors: errors.map(|e| query("rate", &e, &by)),
        good: None,
        total: total.map(|t| query("rate", &t, &by)),
        breakdown_by: None,
        location: loc,
    })
}

fn latency_indicator(
    m: &Mapping,
    loc: Location,
    context: &str,
    diags: &mut Diagnostics,
) -> Option<SliSpec> {
    let lf = Fields::new(m, loc, context);
    lf.deny_unknown(&["success", "total", "grouping"], diags);
    let by = grouping(&lf, diags);
    let success = metric(&lf, "success", context, diags);
    let total = metric(&lf, "total", context, diags);
    if let Some(success) = &success {
        check_bucket(success, diags)?;
    }
    Some(SliSpec::Ratio {
        errors: None,
        good: success.map(|s| query("rate", &s, &by)),
        total: total.map(|t| query("rate", &t, &by)),
        breakdown_by: None,
        location: loc,
    })
}

/// `latencyNative: {latency: 200ms, total: {metric: <native histogram>}, grouping}`: the
/// events of the window are the histogram's count, the good ones its fraction at or under
/// `latency` (interpolated inside a bucket, as Pyrra reads it), both per grouping.
fn native_latency_indicator(
    m: &Mapping,
    loc: Location,
    context: &str,
    diags: &mut Diagnostics,
) -> Option<SliSpec> {
    let nf = Fields::new(m, loc, context);
    nf.deny_unknown(&["latency", "total", "grouping"], diags);
    let by = grouping(&nf, diags);
    let total = metric(&nf, "total", context, diags);
    let latency = nf.required_string("latency", diags)?;
    let seconds = match crate::vocab::duration::Duration::parse(latency.value.trim()) {
        Ok(d) if !d.is_zero() => crate::vocab::number::format_f64(d.as_secs_f64(), 3),
        _ => {
            diags.push(diags::invalid_threshold(
                latency.location,
                "`latency`",
                &latency.value,
            ));
            return None;
        }
    };
    let total = query("rate", &total?, &by);
    let count = format!("histogram_count({})", total.value);
    let good = format!(
        "histogram_fraction(0, {seconds}, {}) * {count}",
        total.value
    );
    Some(SliSpec::Ratio {
        errors: None,
        good: Some(Spanned::new(good, total.location)),
        total: Some(Spanned::new(count, total.location)),
        breakdown_by: None,
        location: loc,
    })
}

fn bool_gauge_indicator(
    m: &Mapping,
    loc: Location,
    context: &str,
    diags: &mut Diagnostics,
) -> Option<SliSpec> {
    let bf = Fields::new(m, loc, context);
    bf.deny_unknown(&["metric", "grouping"], diags);
    let by = grouping(&bf, diags);
    let gauge = bf.required_string("metric", diags)?;
    // Each sample is an event: good when the gauge reads 1.
    Some(SliSpec::Ratio {
        errors: None,
        good: Some(query("sum_over_time", &gauge, &by)),
        total: Some(query("count_over_time", &gauge, &by)),
        breakdown_by: None,
        location: loc,
    })
}

/// A Pyrra latency success metric must select one histogram bucket: `<name>_bucket{le="…"}`.
fn check_bucket(selector: &Spanned<String>, diags: &mut Diagnostics) -> Option<()> {
    use promql_parser::parser::Expr;
    let ok = match promql_parser::parser::parse(selector.value.trim()) {
        Ok(Expr::VectorSelector(v)) => {
            v.name.as_deref().is_some_and(|n| n.ends_with("_bucket"))
                && v.matchers
                    .matchers
                    .iter()
                    .any(|m| m.name == "le" && m.value.parse::<f64>().is_ok())
        }
        _ => false,
    };
    if ok {
        return Some(());
    }
    diags.push(diags::invalid_latency_selector(
        selector.location,
        SelectorProblem::NotBucket(&selector.value),
    ));
    None
}

fn read_alerting(f: &Fields<'_>, context: &str, diags: &mut Diagnostics) -> AlertingSpec {
    let mut alerting = AlertingSpec {
        name: Some(Spanned::new(DEFAULT_ALERT_NAME.to_string(), f.location())),
        ..AlertingSpec::default()
    };
    // Pyrra's absent-metric alert, on by default, is slocc's no-data alert under Pyrra's name.
    alerting.no_data.name = Some(Spanned::new(
        crate::spec::NO_DATA_NAME.to_string(),
        f.location(),
    ));
    let Some((m, loc)) = f.mapping("alerting", diags) else {
        pyrra_severities(&mut alerting, f.location());
        return alerting;
    };
    let alerting_context = format!("the alerting of {context}");
    let af = Fields::new(m, loc, &alerting_context);
    af.deny_unknown(
        &[
            "disabled",
            "burnrates",
            "absent",
            "name",
            "absentName",
            "severities",
        ],
        diags,
    );
    if let Some(name) = af.string("name", diags) {
        alerting.name = Some(name);
    }
    if let Some(name) = af.string("absentName", diags) {
        alerting.no_data.name = Some(name);
    }
    severities(&af, &mut alerting, diags);
    let disabled = af.bool("disabled", diags).is_some_and(|d| d.value);
    let burnrates = af.bool("burnrates", diags).is_none_or(|b| b.value);
    if disabled || !burnrates {
        let off = Some(Spanned::new(true, loc));
        alerting.page = TierSpec {
            disable: off.clone(),
            ..TierSpec::default()
        };
        alerting.ticket = TierSpec {
            disable: off,
            ..TierSpec::default()
        };
    }
    let absent = af.bool("absent", diags).is_none_or(|a| a.value);
    if disabled || !absent {
        alerting.no_data.tier.disable = Some(Spanned::new(true, loc));
    }
    pyrra_severities(&mut alerting, loc);
    alerting
}

/// Pyrra's own `severity` values where `alerting.severities` does not set them: `critical` for
/// the fast and medium burns (slocc's page tiers) and the absent alert, `warning` for the slow
/// ones, so that the routes Pyrra users have keep matching.
fn pyrra_severities(alerting: &mut AlertingSpec, at: Location) {
    for (tier, value) in [
        (&mut alerting.page, "critical"),
        (&mut alerting.ticket, "warning"),
        (&mut alerting.no_data.tier, "critical"),
    ] {
        if !tier.labels.iter().any(|(k, _)| k.value == "severity") {
            let key = Spanned::new("severity".to_string(), at);
            tier.labels.push((key, Spanned::new(value.to_string(), at)));
        }
    }
}

/// `alerting.severities` (the `severity` label of each burn-rate tier): the fast and medium
/// tiers are slocc's page tiers, the slow and long-term ones its ticket tiers, each pair
/// renamed together; a pair that differs cannot be expressed and is refused at its line.
fn severities(af: &Fields<'_>, alerting: &mut AlertingSpec, diags: &mut Diagnostics) {
    let Some((m, loc)) = af.mapping("severities", diags) else {
        return;
    };
    let f = Fields::new(m, loc, "the Pyrra alert severities");
    f.deny_unknown(
        &[
            "fastBurn",
            "mediumBurn",
            "slowBurn",
            "longTermBurn",
            "absent",
        ],
        diags,
    );
    for (tier, fast, slow) in [
        (&mut alerting.page, "fastBurn", "mediumBurn"),
        (&mut alerting.ticket, "slowBurn", "longTermBurn"),
    ] {
        let (a, b) = (f.string(fast, diags), f.string(slow, diags));
        let value = match (a, b) {
            (Some(a), Some(b)) if a.value != b.value => {
                diags.push(diags::unsupported(
                    b.location,
                    Unsupported::PyrraSeverityPair {
                        fast,
                        slow,
                        fast_value: &a.value,
                        slow_value: &b.value,
                    },
                ));
                continue;
            }
            (Some(v), _) | (None, Some(v)) => v,
            (None, None) => continue,
        };
        let key = Spanned::new("severity".to_string(), value.location);
        tier.labels.push((key, value));
    }
    if let Some(value) = f.string("absent", diags) {
        let key = Spanned::new("severity".to_string(), value.location);
        alerting.no_data.tier.labels.push((key, value));
    }
}

#[cfg(test)]
mod tests {
    use crate::spec::import::codes_and_lines;
    use crate::spec::read::read_text;
    use crate::spec::SliSpec;

    fn slo(indicator: &str) -> String {
        format!(
            "apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: api-errors
  labels: {{pyrra.dev/team: core}}
spec:
  target: '99.5'
  window: 28d
  indicator:
{indicator}  alerting: {{absent: false}}
"
        )
    }

    #[test]
    fn ratio_indicators_become_rate_queries_grouped_as_pyrra_groups() {
        let text = slo("    ratio:\n      errors: {metric: 'http_requests_total{code=~\"5..\"}'}\n      total: {metric: http_requests_total}\n      grouping: [route]\n");
        let (specs, diags) = read_text(&text);
        assert!(codes_and_lines(&diags).is_empty(), "{diags:?}");
        let slo = &specs[0].slos[0];
        assert_eq!(slo.window.as_ref().unwrap().value, "28d");
        let Some(SliSpec::Ratio { errors, total, .. }) = &slo.sli else {
            panic!("{:?}", slo.sli)
        };
        assert_eq!(
            errors.as_ref().unwrap().value,
            "sum by (route) (rate(http_requests_total{code=~\"5..\"}[{{window}}]))"
        );
        assert_eq!(
            total.as_ref().unwrap().value,
            "sum by (route) (rate(http_requests_total[{{window}}]))"
        );
    }

    #[test]
    fn severities_rename_the_page_and_ticket_tiers() {
        let text = slo("    ratio:\n      errors: {metric: e}\n      total: {metric: t}\n").replace(
            "  alerting: {absent: false}",
            "  alerting:\n    absent: false\n    severities: {fastBurn: high, mediumBurn: high, slowBurn: low}\n",
        );
        let (specs, diags) = read_text(&text);
        assert!(codes_and_lines(&diags).is_empty(), "{diags:?}");
        let alerting = &specs[0].slos[0].alerting;
        let severity = |labels: &crate::spec::Pairs| labels[0].1.value.clone();
        assert_eq!(severity(&alerting.page.labels), "high");
        assert_eq!(severity(&alerting.ticket.labels), "low");
        let split = text.replace("mediumBurn: high", "mediumBurn: medium");
        let (_, diags) = read_text(&split);
        assert_eq!(
            codes_and_lines(&diags),
            [("unsupported-feature".to_string(), 15)]
        );
    }

    #[test]
    fn pyrra_prefixed_labels_and_annotations_carry_over() {
        let text = slo("    ratio:\n      errors: {metric: e}\n      total: {metric: t}\n")
            .replace(
                "  labels: {pyrra.dev/team: core}",
                "  labels: {pyrra.dev/team: core, app.kubernetes.io/name: x}\n  annotations: {pyrra.dev/runbook: 'https://r/x'}",
            )
            .replace("  window: 28d", "  window: 28d\n  performanceOverAccuracy: true");
        let (specs, diags) = read_text(&text);
        assert!(codes_and_lines(&diags).is_empty(), "{diags:?}");
        let slo = &specs[0].slos[0];
        let labels: Vec<(&str, &str)> = slo
            .labels
            .iter()
            .map(|(k, v)| (k.value.as_str(), v.value.as_str()))
            .collect();
        assert_eq!(labels, [("team", "core")]);
        let annotations: Vec<(&str, &str)> = slo
            .alerting
            .annotations
            .iter()
            .map(|(k, v)| (k.value.as_str(), v.value.as_str()))
            .collect();
        assert_eq!(annotations, [("runbook", "https://r/x")]);
    }

    #[test]
    fn a_latency_metric_that_is_not_one_bucket_is_reported_at_its_line() {
        let text = slo("    latency:\n      success: {metric: 'http_request_duration_seconds_count'}\n      total: {metric: http_request_duration_seconds_count}\n");
        let (_, diags) = read_text(&text);
        assert_eq!(
            codes_and_lines(&diags),
            [("invalid-latency-selector".to_string(), 11)]
        );
    }
}
