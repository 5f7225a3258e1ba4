//! Windows of whole days are tiled from one-day sums (`slo:sli_bad:sum1d` now, a day ago, two
//! days ago) instead of summing three days of one-minute samples. Proven on promtool: over six
//! days whose traffic and error rates change from day to day, at minutes spread over every time
//! of day, the tiled 1d and 3d error ratios equal a direct `sum_over_time` of the recorded 5m
//! rates over the same samples, from the first minute (when earlier days are missing) on.

use crate::harness::{promtool_ok, Project};

const SPEC: &str = "apiVersion: slocc/v1\nservice: svc\nrunbook_base_url: https://r.example.com\nslos:\n  - name: availability\n    objective: 99.9\n    window: 30d\n    sli:\n      ratio:\n        errors: sum(rate(http_requests_total{job=\"svc\", code=\"500\"}[{{window}}]))\n        total: sum(rate(http_requests_total{job=\"svc\"}[{{window}}]))\n    alerting:\n      name: Tiled\n";

/// Per-minute (good, bad) requests for each of the five days.
const DAYS: [(u64, u64); 5] = [(1_000, 1), (500, 5), (2_000, 0), (1_000, 10), (800, 2)];

/// Samples in the input: 1,441 a day (a start and 1,440 increments), and a last day that runs
/// on for a second day, so the last 1d window sees only its rates.
const END: u64 = 4 * 1_441 + 2 * 1_440;

/// promtool's expanding notation for a counter growing by `per_minute(d)` a minute on day `d`.
fn counter(per_minute: impl Fn(usize) -> u64) -> String {
    let mut value = 0;
    let mut parts = Vec::new();
    for day in 0..DAYS.len() {
        let step = per_minute(day);
        let minutes = if day + 1 == DAYS.len() { 2_880 } else { 1_440 };
        parts.push(format!("{value}+{step}x{minutes}"));
        value += step * (minutes + 1);
    }
    parts.join(" ")
}

/// The largest difference between the recorded ratio over `days` days and a direct sum over the
/// same samples, every 7 minutes up to `end` (a step that visits every minute of the day
/// across the days), is under 1e-12.
fn equal_everywhere(days: u64, end: u64) -> String {
    let range = format!("{}m30s", days * 1_440 - 1);
    let direct = |name: &str| format!("sum(sum_over_time({name}{{slo_service=\"svc\"}}[{range}]))");
    let expr = format!(
        "max_over_time(abs(sum(slo:sli_error:ratio_rate{days}d{{slo_service=\"svc\"}}) - {} / {})[{end}m:7m]) < bool 1e-12",
        direct("slo:sli_bad:rate5m"),
        direct("slo:sli_total:rate5m"),
    );
    format!("      - expr: '{expr}'\n        eval_time: {end}m\n        exp_samples:\n          - labels: '{{}}'\n            value: 1\n")
}

#[test]
fn day_windows_from_day_sums_equal_direct_sums_through_six_days() {
    let project = Project::new();
    project.file("spec.yaml", SPEC);
    project
        .slocc(&["compile", "spec.yaml", "-o", "out"])
        .expect_code(0);
    let rules = project.read("out/svc.rules.yml");
    assert!(rules
        .contains("slo:sli_bad:sum1d{slo_service=\"svc\", slo_name=\"availability\"} offset 2d"));
    let end = END;
    // The last day's ratio is its own: 2 bad of 802 a minute.
    let last_day = format!(
        "      - expr: 'round(sum(slo:sli_error:ratio_rate1d{{slo_service=\"svc\"}}), 0.000001)'\n        eval_time: {end}m\n        exp_samples:\n          - labels: '{{}}'\n            value: {}\n",
        (2.0_f64 / 802.0 * 1e6).round() / 1e6
    );
    let input = format!(
        "      - series: 'http_requests_total{{job=\"svc\",code=\"200\"}}'\n        values: '{}'\n      - series: 'http_requests_total{{job=\"svc\",code=\"500\"}}'\n        values: '{}'\n",
        counter(|d| DAYS[d].0),
        counter(|d| DAYS[d].1),
    );
    let test = format!(
        "rule_files: [out/svc.rules.yml]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n{input}    promql_expr_test:\n{}{}{last_day}",
        equal_everywhere(1, end),
        equal_everywhere(3, end),
    );
    project.file("tiled.test.yml", &test);
    promtool_ok(project.path(), &["test", "rules", "tiled.test.yml"]);
}
