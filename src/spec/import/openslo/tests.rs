//! Tests of the parent module.

use crate::spec::import::codes_and_lines;
use crate::spec::read::read_text;

/// An SLI and an SLO that refers to it; the model's tests validate it too.
pub(crate) const OBJECTS: &str = "apiVersion: openslo/v1
kind: SLI
metadata: {name: ok-ratio}
spec:
  ratioMetric:
    counter: true
    good: {metricSource: {type: Prometheus, spec: {query: 'http_requests_total{code!~\"5..\"}'}}}
    total: {metricSource: {type: Prometheus, spec: {query: http_requests_total}}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: availability}
spec:
  service: api
  indicatorRef: ok-ratio
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.999}]
";

/// [`OBJECTS`] budgeted by 1-minute time slices that are good at 95% (the model's tests use it
/// too).
pub(crate) fn time_sliced() -> String {
    OBJECTS
        .replace(
            "budgetingMethod: Occurrences",
            "budgetingMethod: Timeslices",
        )
        .replace(
            "objectives: [{target: 0.999}]",
            "objectives: [{target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: 1m}]",
        )
}

#[test]
fn references_resolve_and_counters_are_rated() {
    let (specs, diags) = read_text(OBJECTS);
    assert!(codes_and_lines(&diags).is_empty(), "{diags:?}");
    assert_eq!(specs.len(), 1);
    let slo = &specs[0].slos[0];
    assert_eq!(slo.objective.as_ref().unwrap().value, "99.9");
    let Some(crate::spec::SliSpec::Ratio { good, total, .. }) = &slo.sli else {
        panic!("{:?}", slo.sli)
    };
    assert_eq!(
        good.as_ref().unwrap().value,
        "sum(rate(http_requests_total{code!~\"5..\"}[{{window}}]))"
    );
    assert!(total
        .as_ref()
        .unwrap()
        .value
        .contains("rate(http_requests_total["));
}

#[test]
fn a_second_object_of_one_kind_and_name_points_at_the_first() {
    let twice = format!(
        "{}---\n{}",
        &OBJECTS[..OBJECTS.find("---").unwrap()],
        OBJECTS
    );
    let (_, diags) = read_text(&twice);
    let sorted = diags.sorted();
    let duplicate = sorted
        .iter()
        .find(|d| d.code.to_string() == "duplicate-object")
        .expect("duplicate reported");
    assert_eq!(duplicate.location.unwrap().line, 12);
    assert_eq!(duplicate.labels[0].0.line, 3);
}

#[test]
fn several_objectives_become_several_slos() {
    let text = OBJECTS.replace(
        "objectives: [{target: 0.999}]",
        "objectives:\n    - {displayName: Three nines, target: 0.999}\n    - {target: 0.99}",
    );
    let (specs, diags) = read_text(&text);
    assert!(codes_and_lines(&diags).is_empty(), "{diags:?}");
    let slos: Vec<(String, String)> = specs[0]
        .slos
        .iter()
        .map(|s| {
            (
                s.name.as_ref().unwrap().value.clone(),
                s.objective.as_ref().unwrap().value.clone(),
            )
        })
        .collect();
    assert_eq!(
        slos,
        [
            ("availability-three-nines".to_string(), "99.9".to_string()),
            ("availability-2".to_string(), "99".to_string()),
        ]
    );
    let composite = OBJECTS.replace(
        "objectives: [{target: 0.999}]",
        "objectives: [{target: 0.999, indicatorRef: other}]",
    );
    let (_, diags) = read_text(&composite);
    assert_eq!(
        codes_and_lines(&diags),
        [("unsupported-feature".to_string(), 18)]
    );
}

#[test]
fn objects_no_slo_refers_to_are_checked_too() {
    let extra = "---
apiVersion: openslo/v1
kind: SLI
metadata: {name: unused}
spec:
  ratioMetric:
    good: {metricSource: {type: Datadog, spec: {query: x}}}
    total: {metricSource: {type: Prometheus, spec: {query: y}}}
---
apiVersion: openslo/v1
kind: AlertCondition
metadata: {name: lonely}
spec:
  severity: page
  condition: {kind: burnrate, op: gte, threshold: 14.4, lookbackWindow: 1hour}
";
    let (_, diags) = read_text(&format!("{OBJECTS}{extra}"));
    let found = codes_and_lines(&diags);
    assert!(
        found.contains(&("unsupported-feature".to_string(), 25)),
        "{found:?}"
    );
    assert!(
        found.contains(&("invalid-duration".to_string(), 33)),
        "{found:?}"
    );
}

#[test]
fn time_slice_objectives_become_time_slice_budgeting() {
    let (specs, diags) = read_text(&time_sliced());
    assert!(codes_and_lines(&diags).is_empty(), "{diags:?}");
    assert_eq!(
        specs[0].slos[0]
            .budgeting
            .as_ref()
            .and_then(|b| b.method.as_ref())
            .map(|m| m.value.as_str()),
        Some("timeslices")
    );
    // Time-slice fields under occurrence budgeting would be ignored: refused at their line.
    let stray = OBJECTS.replace(
        "objectives: [{target: 0.999}]",
        "objectives:\n    - target: 0.999\n      timeSliceTarget: 0.95",
    );
    let (_, diags) = read_text(&stray);
    assert_eq!(
        codes_and_lines(&diags),
        [("unsupported-feature".to_string(), 20)]
    );
}

#[test]
fn threshold_metrics_take_their_bound_from_the_objective() {
    let threshold = "apiVersion: openslo/v1
kind: SLO
metadata: {name: p95}
spec:
  service: api
  indicator:
    metadata: {name: p95-latency}
    spec:
      thresholdMetric:
        metricSource: {type: Prometheus, spec: {query: 'histogram_quantile(0.95, sum by (le) (rate(h_bucket[5m])))'}}
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Timeslices
  objectives:
    - {op: lte, value: 0.3, target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: 1m}
";
    let (specs, diags) = read_text(threshold);
    assert!(codes_and_lines(&diags).is_empty(), "{diags:?}");
    let Some(crate::spec::SliSpec::Threshold { op, value, .. }) = &specs[0].slos[0].sli else {
        panic!("{:?}", specs[0].slos[0].sli)
    };
    assert_eq!(
        (
            op.as_ref().unwrap().value.as_str(),
            value.as_ref().unwrap().value.as_str()
        ),
        ("lte", "0.3")
    );
    // No bound: reported at the objective. A bound on a ratio SLI: ignored, with a warning at
    // its line, under time slices and occurrences alike.
    let (_, diags) = read_text(&threshold.replace("op: lte, value: 0.3, ", ""));
    assert_eq!(codes_and_lines(&diags), [("missing-field".to_string(), 14)]);
    let ratio = OBJECTS
        .replace("budgetingMethod: Occurrences", "budgetingMethod: Timeslices")
        .replace(
            "objectives: [{target: 0.999}]",
            "objectives: [{op: lte, value: 1, target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: 1m}]",
        );
    let (_, diags) = read_text(&ratio);
    assert_eq!(
        codes_and_lines(&diags),
        [("ignored-threshold".to_string(), 18)]
    );
    let occurrences = OBJECTS.replace(
        "objectives: [{target: 0.999}]",
        "objectives: [{op: gte, target: 0.999}]",
    );
    let (slos, diags) = read_text(&occurrences);
    assert_eq!(
        codes_and_lines(&diags),
        [("ignored-threshold".to_string(), 18)]
    );
    assert_eq!(slos.len(), 1);
}

#[test]
fn calendar_windows_take_their_period_and_week_start() {
    let weekly = OBJECTS.replace(
        "timeWindow: [{duration: 30d, isRolling: true}]",
        "timeWindow: [{duration: 1w, isRolling: false, calendar: {startTime: '2024-01-07 00:00:00', timeZone: '+01:00'}}]",
    );
    let (specs, diags) = read_text(&weekly);
    assert!(codes_and_lines(&diags).is_empty(), "{diags:?}");
    let calendar = specs[0].slos[0].calendar.as_ref().unwrap();
    let text = |t: &Option<crate::spec::Text>| t.as_ref().unwrap().value.clone();
    // 2024-01-07 is a Sunday.
    assert_eq!(
        (
            text(&calendar.period),
            text(&calendar.time_zone),
            text(&calendar.week_start)
        ),
        (
            "week".to_string(),
            "+01:00".to_string(),
            "sunday".to_string()
        )
    );
    let mid_month = weekly
        .replace("duration: 1w", "duration: 1M")
        .replace("2024-01-07", "2024-01-15");
    let (_, diags) = read_text(&mid_month);
    assert_eq!(
        codes_and_lines(&diags),
        [("unsupported-feature".to_string(), 16)]
    );
}
