//! The low-traffic guard (`alerting.min_events`), proven on promtool: at 10 requests an hour
//! one failure is a 100x burn and pages; with the guard it does not, and a full outage at the
//! same traffic still pages once enough failures have happened.

use std::fmt::Write as _;

use crate::harness::{promtool_ok, Project};

fn spec(guard: &str) -> String {
    format!(
        r#"apiVersion: slocc/v1
service: quiet
slos:
  - name: availability
    objective: 99.9
    sli:
      ratio:
        errors: sum(rate(http_requests_total{{code="500"}}[{{{{window}}}}]))
        total: sum(rate(http_requests_total[{{{{window}}}}]))
    alerting:
      name: QuietBudgetBurn
{guard}"#
    )
}

/// One request every 6 minutes; from minute `fail_from` the requests fail (`fail_count` of
/// them, or all), after six clean hours.
fn series(fail_from: u64, fail_count: u64, minutes: u64) -> String {
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    let (mut ok_n, mut bad_n) = (0u64, 0u64);
    for m in 0..=minutes {
        if m > 0 && m % 6 == 0 {
            if m >= fail_from && m < fail_from + 6 * fail_count {
                bad_n += 1;
            } else {
                ok_n += 1;
            }
        }
        ok.push(ok_n.to_string());
        bad.push(bad_n.to_string());
    }
    let mut out = String::new();
    let _ = writeln!(out, "      - series: 'http_requests_total{{code=\"200\"}}'");
    let _ = writeln!(out, "        values: '{}'", ok.join(" "));
    let _ = writeln!(out, "      - series: 'http_requests_total{{code=\"500\"}}'");
    let _ = writeln!(out, "        values: '{}'", bad.join(" "));
    out
}

/// A promtool test asserting whether the fast page tier fires at each `(minute, fires)`.
fn test_file(input: &str, checks: &[(u64, bool)]) -> String {
    let mut out = String::from("rule_files: [out/quiet.rules.yml]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n");
    out.push_str(input);
    out.push_str("    promql_expr_test:\n");
    for (minute, fires) in checks {
        let _ = writeln!(
            out,
            "      - expr: 'count(ALERTS{{alertstate=\"firing\", slo_long_window=\"1h\"}}) or vector(0)'\n        eval_time: {minute}m\n        exp_samples:\n          - labels: '{{}}'\n            value: {}",
            u8::from(*fires)
        );
    }
    out
}

fn prove(guard: &str, input: &str, checks: &[(u64, bool)]) {
    let project = Project::new();
    project.file("specs/quiet.yaml", &spec(guard));
    project.slocc(&["compile", "--no-runbooks"]).expect_code(0);
    project.file("test.yml", &test_file(input, checks));
    promtool_ok(project.path(), &["test", "rules", "test.yml"]);
}

#[test]
fn one_failure_at_ten_requests_an_hour_pages_only_without_the_guard() {
    // The request at minute 366 fails: 1 of 10 in the hour (100x burn), 1 of 1 in 5 minutes.
    let input = series(366, 1, 420);
    prove("", &input, &[(360, false), (368, true)]);
    prove(
        "      min_events: 3\n",
        &input,
        &[(360, false), (368, false), (380, false)],
    );
}

#[test]
fn a_full_outage_at_low_traffic_still_pages_once_enough_failures_happened() {
    // Every request fails from minute 366: the third failure is at minute 378. The fast
    // tier's 5m window sees a failure for the 4 minutes after it (at 390 and 402 here).
    let input = series(366, 100, 420);
    prove(
        "      min_events: 3\n",
        &input,
        &[(368, false), (374, false), (392, true), (404, true)],
    );
}

#[test]
fn the_guard_needs_events_and_a_whole_number() {
    let project = Project::new();
    project.file("specs/quiet.yaml", &spec("      min_events: 0\n"));
    let run = project.slocc(&["check", "--no-runbooks"]);
    run.expect_code(1);
    assert_eq!(run.headlines(), "specs/quiet.yaml:12:19: error[invalid-number]: `min_events` `0` is not a positive whole number\n");
    let raw = spec("      min_events: 3\n").replace(
        "      ratio:\n        errors: sum(rate(http_requests_total{code=\"500\"}[{{window}}]))\n        total: sum(rate(http_requests_total[{{window}}]))\n",
        "      raw:\n        error_ratio: sum(rate(e[{{window}}])) / sum(rate(t[{{window}}]))\n",
    );
    project.file("specs/quiet.yaml", &raw);
    let run = project.slocc(&["check", "--no-runbooks"]);
    run.expect_code(1);
    assert_eq!(run.stderr, "error[events-needed]: `min_events` needs an SLI that counts events, budgeted by occurrences, but a `raw` error ratio has none\n   --> specs/quiet.yaml:11:19\n   |\n11 |       min_events: 3\n   |                   ^\n   |\n   = hint: use a `ratio` or `latency` SLI budgeted by occurrences, or drop `min_events`\n\n1 error, 0 warnings\n");
}
