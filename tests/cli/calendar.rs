//! Calendar windows proven on promtool: the budget counts the events since the period began and
//! resets when it turns over; the period boundaries fall where the calendar (and the time
//! zone's offset) put them. Expected values are computed here from the scenario's traffic.

use crate::harness::{promtool_ok, Project};

fn spec(calendar: &str) -> String {
    format!(
        "apiVersion: slocc/v1\nservice: svc\nrunbook_base_url: https://r.example.com\nslos:\n  - name: cal\n    objective: 99.9\n    calendar: {calendar}\n    sli:\n      ratio:\n        errors: sum(rate(http_requests_total{{job=\"svc\", code=\"500\"}}[{{{{window}}}}]))\n        total: sum(rate(http_requests_total{{job=\"svc\"}}[{{{{window}}}}]))\n"
    )
}

fn value(expr: &str, minute: u64, expected: f64) -> String {
    format!("      - expr: 'round({expr}, 0.01)'\n        eval_time: {minute}m\n        exp_samples:\n          - labels: '{{}}'\n            value: {expected}\n")
}

/// The `slo:calendar_period:id` expression the rules record.
fn period_expr(rules: &str) -> String {
    let doc: serde_yaml::Value = serde_yaml::from_str(rules).unwrap();
    for group in doc["groups"].as_sequence().unwrap() {
        for rule in group["rules"].as_sequence().unwrap() {
            if rule["record"] == "slo:calendar_period:id" {
                return rule["expr"].as_str().unwrap().to_string();
            }
        }
    }
    panic!("no period id in\n{rules}")
}

#[test]
fn a_weekly_budget_resets_on_monday() {
    // Promtool's clock starts on Thursday 1970-01-01 00:00 UTC; the first Monday is minute
    // 5760. 1% of 1000 requests a minute fail for the first two days, then none.
    let project = Project::new();
    project.file("specs/svc.yaml", &spec("{period: week}"));
    project.slocc(&["compile", "--no-runbooks"]).expect_code(0);
    promtool_ok(project.path(), &["check", "rules", "out/svc.rules.yml"]);
    let (bad_minutes, end) = (2_880_u64, 6_480_u64);
    let good = format!(
        "0+990x{bad_minutes} {}+1000x{}",
        990 * (bad_minutes + 1) + 10,
        end - bad_minutes - 1
    );
    let bad = format!(
        "0+10x{bad_minutes} {}+0x{}",
        10 * bad_minutes,
        end - bad_minutes - 1
    );
    let remaining = "sum(slo:period_error_budget_remaining:ratio{slo_service=\"svc\"})";
    // Before Monday: 28800 bad of 5 700 000 events at minute 5700: 1 - 0.0050526 / 0.001.
    let before: f64 = 1.0 - (10.0 * bad_minutes as f64) / (1_000.0 * 5_700.0) / 0.001;
    let checks = [
        value(remaining, 5_700, (before * 100.0).round() / 100.0),
        value(remaining, end, 1.0),
    ]
    .concat();
    let text = format!(
        "rule_files: [out/svc.rules.yml]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n      - series: 'http_requests_total{{job=\"svc\",code=\"200\"}}'\n        values: '{good}'\n      - series: 'http_requests_total{{job=\"svc\",code=\"500\"}}'\n        values: '{bad}'\n    promql_expr_test:\n{checks}"
    );
    project.file("week.test.yml", &text);
    promtool_ok(project.path(), &["test", "rules", "week.test.yml"]);
}

#[test]
fn month_and_quarter_boundaries_follow_the_calendar_and_the_offset() {
    // February 1970 starts at hour 744 UTC, or hour 742 at +02:00; April at hour 2160 (Jan 31
    // + Feb 28 + Mar 31 days). Period numbers: months since year 0, quarters since year 0.
    let cases: [(&str, u64, i64); 14] = [
        // Days, and periods starting at a time of day: at noon the first day begins at hour 12.
        ("{period: day}", 23, 0),
        ("{period: day}", 24, 1),
        ("{period: day, start_time: '12:00'}", 11, -1),
        ("{period: day, start_time: '12:00'}", 12, 0),
        (
            "{period: week, week_start: sunday, start_time: '12:00'}",
            83,
            -1,
        ),
        (
            "{period: week, week_start: sunday, start_time: '12:00'}",
            84,
            0,
        ),
        ("{period: month}", 743, 1_970 * 12),
        ("{period: month}", 744, 1_970 * 12 + 1),
        ("{period: month, time_zone: '+02:00'}", 741, 1_970 * 12),
        ("{period: month, time_zone: '+02:00'}", 742, 1_970 * 12 + 1),
        ("{period: quarter}", 2_159, 1_970 * 4),
        ("{period: quarter}", 2_160, 1_970 * 4 + 1),
        // Weeks from the first Sunday, 1970-01-04 (hour 72).
        ("{period: week, week_start: sunday}", 71, -1),
        ("{period: week, week_start: sunday}", 72, 0),
    ];
    for (calendar, hour, id) in cases {
        let project = Project::new();
        project.file("specs/svc.yaml", &spec(calendar));
        project.slocc(&["compile", "--no-runbooks"]).expect_code(0);
        let expr = period_expr(&project.read("out/svc.rules.yml"));
        project.file("empty.rules.yml", "groups: []\n");
        let text = format!(
            "rule_files: [empty.rules.yml]\nevaluation_interval: 1h\ntests:\n  - interval: 1h\n    input_series: []\n    promql_expr_test:\n      - expr: '{}'\n        eval_time: {hour}h\n        exp_samples:\n          - labels: '{{}}'\n            value: {id}\n",
            expr.replace('\n', " ").replace('\'', "''")
        );
        project.file("ids.test.yml", &text);
        promtool_ok(project.path(), &["test", "rules", "ids.test.yml"]);
    }
}

/// A calendar in a daylight-saving zone turns over at local midnight on both sides of the
/// clock change, as the tz database says: `America/New_York` is at -04:00 from the second Sunday
/// of March to the first Sunday of November (02:00 local), -05:00 otherwise. Each boundary below
/// is local midnight written as UTC by hand (checked with GNU `date`); a fixed -05:00 would put
/// the summer ones an hour late.
#[test]
fn daylight_saving_zones_turn_over_at_local_midnight_on_both_sides_of_the_change() {
    let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let days = |date: chrono::NaiveDate| (date - day(1970, 1, 1)).num_days();
    let cases: [(&str, i64, i64); 5] = [
        // 2026-11-01 00:00 EDT (the change comes two hours later).
        (
            "{period: month, time_zone: America/New_York}",
            1_793_505_600,
            2_026 * 12 + 10,
        ),
        // 2027-03-01 00:00 EST.
        (
            "{period: month, time_zone: America/New_York}",
            1_803_877_200,
            2_027 * 12 + 2,
        ),
        // 2026-11-02 00:00 EST, the first day after the change.
        (
            "{period: day, time_zone: America/New_York}",
            1_793_595_600,
            days(day(2026, 11, 2)),
        ),
        // Sunday 2027-03-14 00:00 EST (the change comes at 02:00), and the next Sunday in EDT.
        (
            "{period: week, week_start: sunday, time_zone: America/New_York}",
            1_805_000_400,
            (days(day(2027, 3, 14)) - 3) / 7,
        ),
        (
            "{period: week, week_start: sunday, time_zone: America/New_York}",
            1_805_601_600,
            (days(day(2027, 3, 21)) - 3) / 7,
        ),
    ];
    for (calendar, boundary, id) in cases {
        let project = Project::new();
        project.file("specs/svc.yaml", &spec(calendar));
        project.slocc(&["compile", "--no-runbooks"]).expect_code(0);
        turns_over(&project, "out/svc.rules.yml", boundary, id);
    }
}

/// Asserts on promtool that the period number of the rules in `file` is `id - 1` a minute
/// before `boundary` (UTC seconds) and `id` at it.
fn turns_over(project: &Project, file: &str, boundary: i64, id: i64) {
    let expr = period_expr(&project.read(file));
    project.file("empty.rules.yml", "groups: []\n");
    let mut text = String::from("rule_files: [empty.rules.yml]\nevaluation_interval: 1d\ntests:\n  - interval: 1d\n    input_series: []\n    promql_expr_test:\n");
    for (at, want) in [(boundary - 60, id - 1), (boundary, id)] {
        text.push_str(&format!(
            "      - expr: '{}'\n        eval_time: {at}s\n        exp_samples:\n          - labels: '{{}}'\n            value: {want}\n",
            expr.replace('\n', " ").replace('\'', "''")
        ));
    }
    project.file("dst.test.yml", &text);
    promtool_ok(project.path(), &["test", "rules", "dst.test.yml"]);
}

/// The shape of OpenSLO's own Prometheus example (written here): a week from Sunday noon in
/// New York, and `op` on the ratio objective. It compiles, with one warning, into rules
/// promtool loads, whose weeks turn over at Sunday noon local time in summer (16:00 UTC, the
/// day the clocks go forward) and in winter (17:00 UTC, the day they go back).
#[test]
fn openslos_own_example_compiles_and_its_weeks_turn_over_at_noon_in_new_york() {
    let project = Project::new();
    project.with_repo_yaml("tests/cmd/check-openslo-new-york.in/specs", "specs");
    let run = project.slocc(&["compile", "--no-runbooks"]);
    run.expect_code(0);
    assert!(
        run.headlines().ends_with(": warning[ignored-threshold]: `op` on the objective of the OpenSLO SLO `checkout-availability` is ignored: it compares a threshold metric, and this indicator is a ratio\n"),
        "{}",
        run.stderr
    );
    assert_eq!(run.headlines().lines().count(), 1, "{}", run.stderr);
    let weeks = |y, m, d| {
        let date = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        (date - chrono::NaiveDate::from_ymd_opt(1970, 1, 4).unwrap()).num_days() / 7
    };
    turns_over(
        &project,
        "out/checkout.rules.yml",
        1_772_985_600,
        weeks(2026, 3, 8),
    );
    turns_over(
        &project,
        "out/checkout.rules.yml",
        1_793_552_400,
        weeks(2026, 11, 1),
    );
}
