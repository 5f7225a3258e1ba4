//! The no-data alert (`alerting.no_data`): an SLI that returns no series at all alerts after
//! `for:` (10 minutes by default), to the class of the SLO's most urgent tier; zero traffic and
//! a ratio whose errors were never counted are data, not silence. Proven on both promtool
//! generations with times computed here.

use crate::harness::{promtool_on, Engine, Project};

const SPEC: &str = "apiVersion: slocc/v1\nservice: shop\nrunbook_base_url: https://r.example.com\nslos:\n  - name: stops\n    objective: 99.9\n    sli:\n      ratio:\n        errors: sum(rate(stops_total{code=\"500\"}[{{window}}]))\n        total: sum(rate(stops_total[{{window}}]))\n  - name: idle\n    objective: 99.9\n    sli:\n      ratio:\n        errors: sum(rate(idle_total{code=\"500\"}[{{window}}]))\n        total: sum(rate(idle_total[{{window}}]))\n  - name: nightly\n    objective: 99\n    sli:\n      ratio:\n        errors: sum(rate(jobs_total{result=\"failed\"}[{{window}}]))\n        total: sum(rate(jobs_total[{{window}}]))\n    alerting:\n      page: {disable: true}\n  - name: quiet\n    objective: 99\n    sli:\n      ratio:\n        errors: sum(rate(quiet_total{code=\"500\"}[{{window}}]))\n        total: sum(rate(quiet_total[{{window}}]))\n    alerting:\n      no_data: {disable: true}\n";

/// The last sample of the series that stops, in minutes; a sample a minute until then.
const LAST: u64 = 60;
/// The default `for:` of the no-data alert, in minutes.
const FOR: u64 = 10;

fn check(slo: &str, minute: u64, firing: bool) -> String {
    let samples = if firing {
        "\n          - labels: '{}'\n            value: 1"
    } else {
        " []"
    };
    format!("      - expr: 'count(ALERTS{{alertname=\"SLOMetricAbsent\",slo_name=\"{slo}\",alertstate=\"firing\"}})'\n        eval_time: {minute}m\n        exp_samples:{samples}\n")
}

#[test]
fn an_sli_that_returns_nothing_alerts_after_its_for_on_both_generations() {
    let project = Project::new();
    project.file("specs/shop.yaml", SPEC);
    project
        .slocc(&["compile", "--no-runbooks", "--no-alert-tests"])
        .expect_code(0);
    let rules = project.read("out/shop.rules.yml");
    // Each SLO that alerts gets one, to its most urgent tier's class; turned off, none.
    assert_eq!(
        rules.matches("- alert: SLOMetricAbsent").count(),
        3,
        "{rules}"
    );
    assert!(rules.contains("expr: 'absent(slo:sli_error:ratio_rate5m{slo_service=\"shop\", slo_name=\"nightly\"})'\n    for: '10m'\n    labels:\n      severity: ticket\n"), "{rules}");
    assert!(!rules.contains("slo_name=\"quiet\"})'\n    for"), "{rules}");
    // A 5-minute rate needs two samples in its window: the last two are at LAST - 1 and LAST,
    // so the window ending at LAST + 4 still holds both on Prometheus 2 (closed at the start)
    // and only one on Prometheus 3 (open at the start). The SLI is absent from LAST + 5 at the
    // latest and LAST + 4 at the earliest; the alert fires `for:` later.
    let (earliest, latest) = (LAST + 4 + FOR, LAST + 5 + FOR);
    let checks = [
        check("stops", LAST, false),
        check("stops", earliest - 1, false),
        check("stops", latest + 1, true),
        // A counter that never moves is zero traffic, not missing data; errors never counted
        // (no `code="500"` series at all) are zero errors.
        check("idle", 100, false),
    ]
    .concat();
    let test = format!(
        "rule_files: [out/shop.rules.yml]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n      - series: 'stops_total{{code=\"200\"}}'\n        values: '0+100x{LAST} _x40'\n      - series: 'idle_total{{code=\"200\"}}'\n        values: '5+0x100'\n      - series: 'jobs_total{{result=\"ok\"}}'\n        values: '0+1x100'\n      - series: 'quiet_total{{code=\"200\"}}'\n        values: '0+1x100'\n    promql_expr_test:\n{checks}"
    );
    project.file("no-data.test.yml", &test);
    for engine in Engine::BOTH {
        let (ok, said) = promtool_on(
            engine,
            project.path(),
            &["test", "rules", "no-data.test.yml"],
        );
        assert!(ok, "{}: {said}", engine.name());
    }
}

/// The alert's class, `for:` and name are the spec's to set, an unknown class is an error at its
/// line, and a Pyrra SLO gets Pyrra's absent alert under Pyrra's name and severity (or none
/// with `absent: false`).
#[test]
fn the_no_data_alert_is_configurable_and_pyrras_absent_alert_maps_to_it() {
    let project = Project::new();
    project.file(
        "specs/shop.yaml",
        &SPEC.replace(
            "      page: {disable: true}\n",
            "      page: {disable: true}\n      no_data: {severity: page, for: 30m, labels: {team: jobs}}\n",
        ),
    );
    project.file(
        "specs/pyrra.yaml",
        "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata:\n  name: probe\nspec:\n  target: '99.5'\n  window: 28d\n  indicator:\n    bool_gauge:\n      metric: probe_success{job=\"blackbox\"}\n  alerting:\n    absentName: ProbeMetricMissing\n    severities: {absent: critical}\n",
    );
    project.file(
        "specs/off.yaml",
        "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata:\n  name: off\nspec:\n  target: '99.5'\n  window: 28d\n  indicator:\n    bool_gauge:\n      metric: probe_success{job=\"other\"}\n  alerting:\n    absent: false\n",
    );
    project
        .slocc(&["compile", "--no-runbooks", "--no-alert-tests"])
        .expect_code(0);
    let rules = project.read("out/shop.rules.yml");
    assert!(rules.contains("expr: 'absent(slo:sli_error:ratio_rate5m{slo_service=\"shop\", slo_name=\"nightly\"})'\n    for: '30m'\n    labels:\n      severity: page\n      slo_name: nightly\n      slo_service: shop\n      team: jobs\n"), "{rules}");
    let probe = project.read("out/probe.rules.yml");
    assert!(
        probe.contains("- alert: ProbeMetricMissing\n    expr: 'absent(slo:sli_error:ratio_rate5m{slo_service=\"probe\", slo_name=\"probe\"})'\n    for: '10m'\n    labels:\n      severity: critical\n"),
        "{probe}"
    );
    assert!(!project.read("out/off.rules.yml").contains("absent("));
    // Alertmanager routes the classes the no-data alerts carry.
    let routes = project.read("out/alertmanager/alertmanager.yml");
    assert!(routes.contains("'severity=\"critical\"'"), "{routes}");
    project.file(
        "specs/shop.yaml",
        &SPEC.replace(
            "      no_data: {disable: true}\n",
            "      no_data: {severity: pagr}\n",
        ),
    );
    let run = project.slocc(&["check", "specs/shop.yaml"]);
    run.expect_code(1);
    assert_eq!(
        run.headlines(),
        "specs/shop.yaml:32:27: error[invalid-severity]: unknown severity class `pagr`\n"
    );
}
