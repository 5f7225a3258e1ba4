//! Windows of whole days are tiled from one-day sums (`slo:sli_bad:sum1d` now, a day ago, two
//! days ago) instead of summing three days of one-minute samples. Proven on promtool: over six
//! days whose traffic and error rates change from day to day, at minutes spread over every time
//! of day, the tiled 1d and 3d error ratios equal a direct `sum_over_time` of the recorded 5m
//! rates over the same samples, from the first minute (when earlier days are missing) on.
//! The period's hourly sums are proven under rule backfill on both Prometheus generations:
//! every minute counted once, whatever the phase of the hourly evaluation.

use crate::harness::{now_minute, promtool_ok, Engine, Project};
use crate::live::{prometheus_over, serve_tsdb};

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

#[test]
fn hourly_sums_hold_each_minute_once_under_rule_backfill_on_prometheus_2() {
    hourly_sums_hold_each_minute_once_under_rule_backfill(Engine::V2);
}

#[test]
fn hourly_sums_hold_each_minute_once_under_rule_backfill_on_prometheus_3() {
    hourly_sums_hold_each_minute_once_under_rule_backfill(Engine::V3);
}

/// Per-second (bad, all) 5m rates recorded at minute `m` of the backfill test: every minute
/// differs, so a sample counted twice or missed shows.
fn minute_rates(m: u64) -> (f64, f64) {
    ((m % 7) as f64 * 0.25, 10.0 + (m % 13) as f64)
}

/// Rule backfill (`promtool tsdb create-blocks-from rules`), like Prometheus, runs the hourly
/// group at a fixed offset within the hour. When that offset falls on the minute group's own
/// samples, a `[1h]` range closed at both ends (Prometheus 2) held 61 of them and a `[1d]` range
/// 25 hourly sums: events counted twice; when the minute group ran 30 s or more before it, a
/// `[59m30s]` range held 59: a minute lost every hour. The test learns the backfill's offset,
/// records the 5m rates at that phase of the minute and 15 s and 45 s before it, backfills the
/// hourly group over 26 hours, and requires the generated period expression, on an hourly
/// sample, to equal the ratio of the sums of the 1,440 minutes those hours hold, computed here
/// from the values written.
fn hourly_sums_hold_each_minute_once_under_rule_backfill(engine: Engine) {
    let now = now_minute();
    let end = now - now % 3_600 - 3_600;
    let start = end - 26 * 3_600;
    let backfill_phase = backfilled_hours(engine, start, end, 0).1 % 60_000;
    // The minute group's samples on the hourly group's second, 15 s before it and 45 s before
    // it (each group runs at its own second of the minute).
    for before in [0, 15_000, 45_000] {
        let phase_ms = (backfill_phase + 60_000 - before) % 60_000;
        hourly_sums_at_phase(engine, (start, end), phase_ms);
    }
}

/// The period over the hourly sums backfilled over 5m rates recorded `phase_ms` into each
/// minute equals the ratio of the sums of the day of minutes before the last hourly sum.
fn hourly_sums_at_phase(engine: Engine, (start, end): (u64, u64), phase_ms: u64) {
    let (project, last_hour_ms) = backfilled_hours(engine, start, end, phase_ms);
    let (_server, url) = serve_tsdb(&project, engine);
    let (mut bad, mut total) = (0.0, 0.0);
    for m in 0..=(end - start) / 60 {
        let at_ms = start * 1_000 + m * 60_000 + phase_ms;
        if at_ms + 86_400_000 > last_hour_ms && at_ms <= last_hour_ms {
            bad += minute_rates(m).0;
            total += minute_rates(m).1;
        }
    }
    let (_, period) = hourly_group_and_period(&project.read("out/svc.rules.yml"));
    let at = format!("{}.{:03}", last_hour_ms / 1_000, last_hour_ms % 1_000);
    let got = instant(&project, engine, &url, &period, &at);
    let name = engine.name();
    assert!(
        (got - bad / total).abs() < 1e-12,
        "{name}, rates {phase_ms} ms into the minute: period {got}, expected {}",
        bad / total
    );
}

/// A project whose `tsdb/` holds the 5m rates recorded `phase_ms` into each minute from `start`
/// to `end` and the hourly group backfilled over them; the time of its last hourly sum (ms).
fn backfilled_hours(engine: Engine, start: u64, end: u64, phase_ms: u64) -> (Project, u64) {
    let project = Project::new();
    project.file("spec.yaml", &SPEC.replace("window: 30d", "window: 1d"));
    project
        .slocc(&["compile", "spec.yaml", "-o", "out"])
        .expect_code(0);
    project.file(
        "hourly.rules.yml",
        &hourly_group_and_period(&project.read("out/svc.rules.yml")).0,
    );
    let (first, url) = prometheus_over(&project, &recorded_rates(start, end, phase_ms), engine);
    let backfill = std::process::Command::new(engine.promtool())
        .args([
            "tsdb",
            "create-blocks-from",
            "rules",
            "--output-dir",
            "rules-blocks",
        ])
        .arg(format!("--start={}", start + 3_600))
        .arg(format!("--end={end}"))
        .arg(format!("--url={url}"))
        .arg("hourly.rules.yml")
        .current_dir(project.path())
        .output()
        .unwrap();
    assert!(backfill.status.success(), "{backfill:?}");
    drop(first);
    for block in std::fs::read_dir(project.path().join("rules-blocks")).unwrap() {
        let block = block.unwrap();
        let to = project.path().join("tsdb").join(block.file_name());
        std::fs::rename(block.path(), to).unwrap();
    }
    let (server, url) = serve_tsdb(&project, engine);
    let last = "max(max_over_time(timestamp(slo:sli_bad:increase1h{slo_service=\"svc\"})[3h:1m]))";
    let last_ms =
        (instant(&project, engine, &url, last, &end.to_string()) * 1_000.0).round() as u64;
    drop(server);
    (project, last_ms)
}

/// The rule file's hourly group alone (its rules read only recorded 5m rates, which the
/// backfill has), and the period ratio's expression.
fn hourly_group_and_period(rules: &str) -> (String, String) {
    let rules: serde_yaml::Value = serde_yaml::from_str(rules).unwrap();
    let groups = rules["groups"].as_sequence().unwrap();
    let hourly = groups
        .iter()
        .find(|g| g["name"].as_str().unwrap().ends_with("-hourly"))
        .unwrap();
    let period = groups
        .iter()
        .flat_map(|g| g["rules"].as_sequence().unwrap())
        .find(|r| r["record"].as_str() == Some("slo:sli_error:ratio_period"))
        .unwrap();
    let file = serde_yaml::to_string(&serde_json::json!({ "groups": [hourly] })).unwrap();
    (file, period["expr"].as_str().unwrap().to_string())
}

/// OpenMetrics text of the 5m rates slocc's minute group records, every minute from `start`
/// to `end`, `phase_ms` into the minute.
fn recorded_rates(start: u64, end: u64, phase_ms: u64) -> String {
    let mut out = String::new();
    for (i, name) in ["slo:sli_bad:rate5m", "slo:sli_total:rate5m"]
        .iter()
        .enumerate()
    {
        out.push_str(&format!("# TYPE {} gauge\n", name.replace(':', "_")));
        for m in 0..=(end - start) / 60 {
            let (bad, total) = minute_rates(m);
            let value = if i == 0 { bad } else { total };
            let at_ms = start * 1_000 + m * 60_000 + phase_ms;
            out.push_str(&format!(
                "{name}{{slo_service=\"svc\",slo_name=\"availability\"}} {value} {}.{:03}\n",
                at_ms / 1_000,
                at_ms % 1_000
            ));
        }
    }
    out.push_str("# EOF\n");
    out
}

/// The value of `query` at `time`, asked with the engine's own promtool.
fn instant(project: &Project, engine: Engine, url: &str, query: &str, time: &str) -> f64 {
    let out = std::process::Command::new(engine.promtool())
        .args([
            "query",
            "instant",
            "-o",
            "json",
            &format!("--time={time}"),
            url,
            query,
        ])
        .current_dir(project.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let value = answer[0]["value"][1].as_str();
    let value = value.unwrap_or_else(|| panic!("{query} at {time}: {answer}"));
    value.parse().unwrap()
}
