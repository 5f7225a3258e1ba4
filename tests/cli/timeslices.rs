//! Time-slice budgeting proven on promtool: a slice is judged on its own ratio, so a steady
//! error ratio under the slice target never alerts (every slice is good) while one above it
//! spends the budget at 1/(1 - objective) per bad slice; `ratio_timeslices` averages the slices'
//! error ratios. Expected times come from the workbook formula, computed here.

use crate::harness::{promtool_ok, Project};

/// Minutes of clean history before the errors start.
const T0: u64 = 360;

fn spec(budgeting: &str) -> String {
    format!(
        "apiVersion: slocc/v1\nservice: svc\nrunbook_base_url: https://r.example.com\nslos:\n  - name: slices\n    objective: 99\n    window: 30d\n    budgeting: {budgeting}\n    sli:\n      ratio:\n        errors: sum(rate(http_requests_total{{job=\"svc\", code=\"500\"}}[{{{{window}}}}]))\n        total: sum(rate(http_requests_total{{job=\"svc\"}}[{{{{window}}}}]))\n    alerting:\n      name: Slices\n"
    )
}

/// Seconds between samples: a slice must hold at least two scrapes for a rate, and Prometheus
/// 3's windows are left-open, so a 1m slice over a 1m scrape would hold one sample.
const SCRAPE: &str = "30s";

/// `error_per_mille` of 1000 requests a minute fail from minute T0 on, for `minutes`; a
/// sample every 30 seconds.
fn input(error_per_mille: u64, minutes: u64) -> String {
    let (good, bad) = ((1_000 - error_per_mille) / 2, error_per_mille / 2);
    let (steps, after) = (2 * T0, 2 * minutes);
    format!(
        "      - series: 'http_requests_total{{job=\"svc\",code=\"200\"}}'\n        values: '0+500x{steps} {}+{good}x{after}'\n      - series: 'http_requests_total{{job=\"svc\",code=\"500\"}}'\n        values: '0+0x{steps} {bad}+{bad}x{after}'\n",
        500 * steps + good
    )
}

fn firing(severity: &str, minute: u64, firing: bool) -> String {
    let samples = if firing {
        "\n          - labels: '{}'\n            value: 1"
    } else {
        " []"
    };
    format!("      - expr: 'count(ALERTS{{alertname=\"Slices\",severity=\"{severity}\",alertstate=\"firing\"}})'\n        eval_time: {minute}m\n        exp_samples:{samples}\n")
}

fn never(severity: &str, end: u64) -> String {
    format!("      - expr: 'count_over_time(ALERTS{{alertname=\"Slices\",severity=\"{severity}\"}}[{end}m])'\n        eval_time: {end}m\n        exp_samples: []\n")
}

fn prove(budgeting: &str, scenarios: &[(&str, u64, u64, String)]) {
    let project = Project::new();
    project.file("specs/svc.yaml", &spec(budgeting));
    project.slocc(&["compile", "--no-runbooks"]).expect_code(0);
    promtool_ok(project.path(), &["check", "rules", "out/svc.rules.yml"]);
    for (name, per_mille, minutes, checks) in scenarios {
        let text = format!(
            "rule_files: [out/svc.rules.yml]\nevaluation_interval: 1m\ntests:\n  - interval: {SCRAPE}\n    input_series:\n{}    promql_expr_test:\n{checks}",
            input(*per_mille, *minutes)
        );
        project.file(&format!("{name}.test.yml"), &text);
        promtool_ok(
            project.path(),
            &["test", "rules", &format!("{name}.test.yml")],
        );
    }
}

#[test]
fn slices_under_the_target_never_alert_and_bad_slices_page() {
    // 99% of 1-minute slices must have at least 95% good requests; budget 1% of slices.
    // The 14.4x page tier (1h/5m) fires when over 14.4% of the last hour's slices were bad:
    // with every slice bad from T0, after 0.144 x 60 = 8.64 minutes.
    let ttf: f64 = 0.144 * 60.0;
    prove(
        "{method: timeslices, slice: 1m, slice_target: 0.95}",
        &[
            // 4% errors: every slice is good, nothing ever fires (an event-counted 99% SLO
            // would burn at 4x).
            (
                "under-target",
                40,
                720,
                [never("page", T0 + 720), never("ticket", T0 + 720)].concat(),
            ),
            // 6% errors: every slice is bad, a 100x burn of slices.
            (
                "over-target",
                60,
                60,
                [
                    firing("page", T0 + ttf.floor() as u64 - 1, false),
                    firing("page", T0 + ttf.ceil() as u64 + 2, true),
                ]
                .concat(),
            ),
        ],
    );
}

#[test]
fn ratio_timeslices_average_the_slices_error_ratios() {
    // 8% errors in every slice: an 8x burn of the averaged ratio. The 6x tier (6h/30m,
    // threshold 0.06) fires once the 6h average passes 0.06: 0.08 x t / 360 > 0.06, t > 270;
    // the 14.4x tier (threshold 0.144) never does.
    let one_hour = "      - expr: 'count(ALERTS{alertname=\"Slices\",slo_long_window=\"1h\",alertstate=\"firing\"})'\n        eval_time: 660m\n        exp_samples: []\n";
    prove(
        "{method: ratio_timeslices, slice: 1m}",
        &[(
            "steady-8pct",
            80,
            300,
            [
                firing("page", T0 + 268, false),
                firing("page", T0 + 274, true),
                one_hour.to_string(),
            ]
            .concat(),
        )],
    );
}

#[test]
fn threshold_slis_judge_each_slice_by_its_value() {
    // A p95-style threshold: the 95th percentile of the last minute's requests at most 300ms.
    // Good requests take 100ms; from T0 every request takes over a second, so the p95 misses
    // the bound in every slice: a 100x burn of slices at 99%, paging after 0.144 x 60 minutes.
    let project = Project::new();
    project.file(
        "specs/svc.yaml",
        "apiVersion: slocc/v1\nservice: svc\nrunbook_base_url: https://r.example.com\nslos:\n  - name: slices\n    objective: 99\n    window: 30d\n    budgeting: {method: timeslices, slice: 1m}\n    sli:\n      threshold:\n        query: histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job=\"svc\"}[{{window}}])))\n        op: lte\n        value: 0.3\n    alerting:\n      name: Slices\n",
    );
    project.slocc(&["compile", "--no-runbooks"]).expect_code(0);
    promtool_ok(project.path(), &["check", "rules", "out/svc.rules.yml"]);
    let bucket = |le: &str, slow: u64| {
        let (steps, slow) = (2 * T0, slow / 2);
        format!("      - series: 'http_request_duration_seconds_bucket{{job=\"svc\",le=\"{le}\"}}'\n        values: '0+500x{steps} {}+{slow}x120'\n", 500 * steps + slow)
    };
    let input = [
        bucket("0.1", 0),
        bucket("0.3", 0),
        bucket("1", 0),
        bucket("+Inf", 1_000),
    ]
    .concat();
    let ttf: f64 = 0.144 * 60.0;
    let checks = [
        never("page", T0),
        firing("page", T0 + ttf.floor() as u64 - 1, false),
        firing("page", T0 + ttf.ceil() as u64 + 2, true),
    ]
    .concat();
    let text = format!(
        "rule_files: [out/svc.rules.yml]\nevaluation_interval: 1m\ntests:\n  - interval: {SCRAPE}\n    input_series:\n{input}    promql_expr_test:\n{checks}"
    );
    project.file("threshold.test.yml", &text);
    promtool_ok(project.path(), &["test", "rules", "threshold.test.yml"]);
}
