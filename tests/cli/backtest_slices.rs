//! `slocc backtest` on SLOs budgeted by time slices (a freshness SLI and a threshold SLI),
//! against a real Prometheus over a backfilled history: each replayed tier fires when the share
//! of bad slices in both its windows, computed here minute by minute, is over its threshold.

use std::fmt::Write as _;

use crate::harness::{now_minute, Engine, Project};
use crate::live::prometheus_over;

/// Minutes of history.
const HISTORY: i64 = 2 * 1_440;
/// The export job stops succeeding at this minute and succeeds again two hours later.
const STALL: (i64, i64) = (2_000, 2_120);
/// The queue's lag is 5 minutes (bad: over 60 s) for these 40 minutes.
const LAGGING: (i64, i64) = (2_400, 2_440);
/// The freshness bound, in minutes.
const MAX_AGE: i64 = 30;

const SPEC: &str = r#"apiVersion: slocc/v1
service: etl
runbook_base_url: https://r.example.com
slos:
  - name: export
    objective: 99
    window: 7d
    sli:
      freshness:
        last_success: max(export_last_success_timestamp_seconds{job="etl"})
        max_age: 30m
    alerting:
      windows:
        - {long: 1h, short: 5m, budget_percent: 2, severity: page}
        - {long: 6h, short: 30m, budget_percent: 5, severity: ticket}
  - name: lag
    objective: 99
    window: 7d
    budgeting: {method: timeslices, slice: 1m}
    sli:
      threshold:
        query: max(queue_lag_seconds{queue="orders"})
        op: lte
        value: 60
    alerting:
      windows:
        - {long: 1h, short: 5m, budget_percent: 2, severity: page}
        - {long: 6h, short: 30m, budget_percent: 5, severity: ticket}
"#;

/// (long window, short window) in minutes, and the threshold: budget share x 7d / long x 1%.
fn tiers() -> [(i64, i64, f64); 2] {
    let threshold = |percent: f64, long: f64| percent / 100.0 * 168.0 / long * 0.01;
    [(60, 5, threshold(2.0, 1.0)), (360, 30, threshold(5.0, 6.0))]
}

/// The history: the export job succeeds every 5 minutes except in the stall (its last success
/// then stays where it was); the queue lags 5 s except while lagging.
fn history(start: i64) -> String {
    let mut out = String::from("# TYPE export_last_success_timestamp_seconds gauge\n");
    let mut last = start;
    for m in 0..=HISTORY {
        if m % 5 == 0 && !(STALL.0 < m && m < STALL.1) {
            last = start + m * 60;
        }
        let _ = writeln!(
            out,
            "export_last_success_timestamp_seconds{{job=\"etl\"}} {last} {}",
            start + m * 60
        );
    }
    out.push_str("# TYPE queue_lag_seconds gauge\n");
    for m in 0..=HISTORY {
        let lag = if (LAGGING.0..LAGGING.1).contains(&m) {
            300
        } else {
            5
        };
        let _ = writeln!(
            out,
            "queue_lag_seconds{{queue=\"orders\"}} {lag} {}",
            start + m * 60
        );
    }
    out.push_str("# EOF\n");
    out
}

/// The minutes whose slice is bad: the last success more than 30 minutes old, or the lag over
/// 60 s.
fn bad_minutes(slo: &str) -> Vec<bool> {
    (0..=HISTORY)
        .map(|m| match slo {
            "export" => {
                let last = if STALL.0 < m && m < STALL.1 {
                    STALL.0
                } else {
                    m - m % 5
                };
                m - last > MAX_AGE
            }
            _ => (LAGGING.0..LAGGING.1).contains(&m),
        })
        .collect()
}

/// The episodes (start, end) in seconds of a tier: the minutes at which the share of bad
/// slices in the windows ending then is over the threshold in both, merged into runs.
fn expected(
    slo: &str,
    start: i64,
    from: i64,
    (long, short, threshold): (i64, i64, f64),
) -> Vec<(i64, i64)> {
    let bad = bad_minutes(slo);
    let share =
        |m: i64, w: i64| (m - w + 1..=m).filter(|i| bad[*i as usize]).count() as f64 / w as f64;
    let holds: Vec<i64> = (from..=HISTORY)
        .filter(|m| share(*m, long) > threshold && share(*m, short) > threshold)
        .map(|m| start + m * 60)
        .collect();
    crate::live::episodes_of(&holds)
}

#[test]
fn backtest_replays_freshness_and_threshold_slices_on_prometheus_2() {
    backtest_replays_freshness_and_threshold_slices(Engine::V2);
}

#[test]
fn backtest_replays_freshness_and_threshold_slices_on_prometheus_3() {
    backtest_replays_freshness_and_threshold_slices(Engine::V3);
}

fn backtest_replays_freshness_and_threshold_slices(engine: Engine) {
    let project = Project::new();
    project.file("specs/etl.yaml", SPEC);
    let now = now_minute() as i64;
    let start = now - HISTORY * 60;
    let (_server, url) = prometheus_over(&project, &history(start), engine);
    let run = project.slocc(&[
        "backtest",
        "--prometheus",
        &url,
        "--since",
        "1d",
        "--format",
        "json",
    ]);
    run.expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let mut compared = 0;
    for slo in report["sides"][0]["slos"].as_array().unwrap() {
        let name = slo["slo"].as_str().unwrap();
        for (i, tier) in tiers().into_iter().enumerate() {
            let want = expected(name, start, HISTORY - 1_440, tier);
            let got: Vec<(i64, i64)> = slo["tiers"][i]["episodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| (e["start"].as_i64().unwrap(), e["end"].as_i64().unwrap()))
                .collect();
            assert_eq!(
                got.len(),
                want.len(),
                "{name} tier {i}: {got:?} vs {want:?}"
            );
            for (g, w) in got.iter().zip(&want) {
                let close = (g.0 - w.0).abs() <= 120 && (g.1 - w.1).abs() <= 120;
                assert!(
                    close,
                    "{name} tier {i} on {}: {got:?} vs {want:?}",
                    engine.name()
                );
            }
            compared += want.len();
        }
    }
    // Each SLO's page and ticket fire once: the stall and the lag are replayed, not skipped.
    assert_eq!(compared, 4, "{}", run.stdout);
    // `status` before any rule has recorded: the share of bad minutes in the history (all of
    // it is inside the 7d window) against the 1% budget, within a minute's slice either way.
    let run = project.slocc(&["status", "--prometheus", &url, "--format", "json"]);
    run.expect_code(0);
    let statuses: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(statuses.as_array().unwrap().len(), 2, "{statuses}");
    for status in statuses.as_array().unwrap() {
        let name = status["slo"].as_str().unwrap();
        let bad = bad_minutes(name).iter().filter(|b| **b).count() as f64;
        let want = 1.0 - bad / HISTORY as f64 / 0.01;
        let got = status["budget_remaining"].as_f64().unwrap();
        assert_eq!(status["source"], "sli_queries", "{name}");
        assert!(
            (got - want).abs() < 0.05,
            "{name} on {}: {got} vs {want}",
            engine.name()
        );
    }
}
