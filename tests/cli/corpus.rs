//! The bad-input corpus: over a hundred broken specs, each rejected with its stable code at a
//! position (file, line and column), never a crash, and the run never writes anything.

use crate::harness::Project;

const GOOD: &str = r#"apiVersion: slocc/v1
service: api
labels: {team: core}
slos:
  - name: availability
    objective: 99.9
    window: 30d
    sli:
      ratio:
        errors: sum(rate(http_requests_total{code=~"5.."}[{{window}}]))
        total: sum(rate(http_requests_total[{{window}}]))
    alerting:
      name: ApiAvailability
      page: {for: 2m}
"#;

const LATENCY: &str = r#"apiVersion: slocc/v1
service: api
slos:
  - name: latency
    objective: 99
    sli:
      latency:
        metric: http_request_duration_seconds
        selector: '{job="api"}'
        threshold: 300ms
"#;

fn with(base: &str, from: &str, to: &str) -> String {
    assert!(base.contains(from), "{from:?} not in the base spec");
    base.replacen(from, to, 1)
}

fn windows(entries: &str) -> String {
    with(
        GOOD,
        "      page: {for: 2m}\n",
        &format!("      windows:\n{entries}"),
    )
}

fn window(long: &str, short: &str, pct: &str, severity: &str) -> String {
    windows(&format!(
        "        - {{long: {long}, short: {short}, budget_percent: {pct}, severity: {severity}}}\n"
    ))
}

/// (what, spec text, the code that must be reported).
// long: a table, one row per case; a split would only scatter the rows.
fn cases() -> Vec<(String, String, &'static str)> {
    let mut cases: Vec<(String, String, &'static str)> = Vec::new();
    let mut add = |what: &str, text: String, code: &'static str| {
        cases.push((what.to_string(), text, code));
    };
    for (value, code) in [
        ("abc", "invalid-number"),
        ("'99.9%%'", "invalid-number"),
        ("99..9", "invalid-number"),
        ("[99.9]", "wrong-type"),
        ("{a: 1}", "wrong-type"),
        ("NaN", "invalid-number"),
        ("1e3", "invalid-number"),
        ("0", "objective-out-of-range"),
        ("100", "objective-out-of-range"),
        ("-5", "objective-out-of-range"),
        ("101", "objective-out-of-range"),
        ("0.999", "objective-out-of-range"),
        ("100000000000000000000000000", "objective-out-of-range"),
        ("100000000000000000000000000000", "objective-out-of-range"),
    ] {
        add(
            &format!("objective {value}"),
            with(GOOD, "objective: 99.9", &format!("objective: {value}")),
            code,
        );
    }
    for (value, code) in [
        ("0d", "window-out-of-range"),
        ("1h", "window-out-of-range"),
        ("91d", "window-out-of-range"),
        ("2y", "window-out-of-range"),
        ("abc", "invalid-duration"),
        ("5m1h", "invalid-duration"),
        ("1h1h", "invalid-duration"),
        ("500ms1m", "invalid-duration"),
        ("300y", "invalid-duration"),
        ("-1d", "invalid-duration"),
        ("30", "invalid-duration"),
        ("[30d]", "wrong-type"),
    ] {
        add(
            &format!("window {value}"),
            with(GOOD, "window: 30d", &format!("window: {value}")),
            code,
        );
    }
    for name in [
        "a/b",
        "'..'",
        "''",
        "-x",
        "a b",
        "ü",
        &"x".repeat(101),
        "a..b",
    ] {
        add(
            &format!("service name {name}"),
            with(GOOD, "service: api", &format!("service: {name}")),
            "invalid-name",
        );
        add(
            &format!("SLO name {name}"),
            with(GOOD, "name: availability", &format!("name: {name}")),
            "invalid-name",
        );
    }
    for (label, code) in [
        ("1x", "invalid-label-name"),
        ("__x", "invalid-label-name"),
        ("a-b", "invalid-label-name"),
        ("slo_name", "reserved-label"),
        ("slo_service", "reserved-label"),
    ] {
        add(
            &format!("service label {label}"),
            with(
                GOOD,
                "labels: {team: core}",
                &format!("labels: {{{label}: x}}"),
            ),
            code,
        );
    }
    add(
        "labels as a list",
        with(GOOD, "labels: {team: core}", "labels: [core]"),
        "wrong-type",
    );
    add(
        "alert name",
        with(GOOD, "name: ApiAvailability", "name: ''"),
        "invalid-alert-name",
    );
    add(
        "alert label",
        with(GOOD, "page: {for: 2m}", "page: {for: 2m, labels: {1x: y}}"),
        "invalid-label-name",
    );
    for (value, code) in [
        ("abc", "invalid-duration"),
        ("300y", "invalid-duration"),
        ("[2m]", "wrong-type"),
    ] {
        add(
            &format!("page for {value}"),
            with(GOOD, "page: {for: 2m}", &format!("page: {{for: {value}}}")),
            code,
        );
    }
    add(
        "tier setting unknown",
        with(GOOD, "page: {for: 2m}", "page: {fro: 2m}"),
        "unknown-key",
    );
    let errors = r#"errors: sum(rate(http_requests_total{code=~"5.."}[{{window}}]))"#;
    let total = "total: sum(rate(http_requests_total[{{window}}]))";
    for (query, code) in [
        ("sum(rate(x[5m]))", "missing-window-placeholder"),
        (
            r#"sum(rate(x{w="{{window}}"}[5m]))"#,
            "missing-window-placeholder",
        ),
        ("sum(rate(x[{{window}}])", "invalid-promql"),
        ("sum(rate(x[{{window}}])) by", "invalid-promql"),
        ("x[{{window}}]", "invalid-promql"),
        ("\"[{{window}}]\"", "invalid-promql"),
        ("sum(rate(x{[{{window}}]))", "invalid-promql"),
        ("rate(x[{{window}}]) +", "invalid-promql"),
        ("sum(rate(x{a=~\"(\"}[{{window}}]))", "invalid-promql"),
    ] {
        add(
            &format!("errors query {query}"),
            with(GOOD, errors, &format!("errors: '{query}'")),
            code,
        );
    }
    add(
        "deep query",
        with(
            GOOD,
            errors,
            &format!(
                "errors: '{}sum(rate(x[{{{{window}}}}])){}'",
                "(".repeat(100),
                ")".repeat(100)
            ),
        ),
        "invalid-promql",
    );
    add(
        "long query",
        with(
            GOOD,
            errors,
            &format!(
                "errors: 'sum(rate(x[{{{{window}}}}])) + {}'",
                "up + ".repeat(2_000) + "up"
            ),
        ),
        "invalid-promql",
    );
    add(
        "no total",
        with(GOOD, &format!("        {total}\n"), ""),
        "missing-field",
    );
    add(
        "errors and good",
        with(
            GOOD,
            errors,
            &format!("{errors}\n        good: sum(rate(ok[{{{{window}}}}]))"),
        ),
        "ratio-direction",
    );
    add(
        "neither errors nor good",
        with(GOOD, &format!("        {errors}\n"), ""),
        "ratio-direction",
    );
    add(
        "two SLI kinds",
        with(
            GOOD,
            "      ratio:\n",
            "      raw: {error_ratio: 'sum(rate(e[{{window}}]))'}\n      ratio:\n",
        ),
        "sli-kind",
    );
    add(
        "no SLI kind",
        with(GOOD, "      ratio:\n", "      ratios:\n"),
        "unknown-key",
    );
    add(
        "grouping mismatch",
        with(
            GOOD,
            errors,
            r#"errors: sum by (code) (rate(http_requests_total{code=~"5.."}[{{window}}]))"#,
        ),
        "grouping-mismatch",
    );
    add(
        "breakdown label",
        with(GOOD, total, &format!("{total}\n        breakdown_by: 1x")),
        "invalid-label-name",
    );
    for (field, value, code) in [
        ("metric", "'http request'", "invalid-metric-name"),
        ("metric", "'1abc'", "invalid-metric-name"),
        ("threshold", "0ms", "invalid-threshold"),
        ("threshold", "abc", "invalid-threshold"),
        ("threshold", "[300ms]", "wrong-type"),
        ("selector", r#"'{le="0.3"}'"#, "invalid-latency-selector"),
        (
            "selector",
            r#"'{job="api"} or up'"#,
            "invalid-latency-selector",
        ),
        ("selector", r#"'{job=}'"#, "invalid-latency-selector"),
    ] {
        let from = match field {
            "metric" => "metric: http_request_duration_seconds".to_string(),
            "threshold" => "threshold: 300ms".to_string(),
            _ => r#"selector: '{job="api"}'"#.to_string(),
        };
        add(
            &format!("latency {field} {value}"),
            with(LATENCY, &from, &format!("{field}: {value}")),
            code,
        );
    }
    add(
        "latency without metric",
        with(
            LATENCY,
            "        metric: http_request_duration_seconds\n",
            "",
        ),
        "missing-field",
    );
    for (long, short, pct, severity, code) in [
        ("1h", "1h", "2", "page", "invalid-window-pair"),
        ("5m", "1h", "2", "page", "invalid-window-pair"),
        ("31d", "1d", "2", "page", "invalid-window-pair"),
        ("1h", "30s", "2", "page", "invalid-window-pair"),
        ("1h", "5m", "0", "page", "invalid-number"),
        ("1h", "5m", "101", "page", "invalid-number"),
        ("1h", "5m", "abc", "page", "invalid-number"),
        ("1h", "5m", "2", "urgent", "invalid-severity"),
        ("abc", "5m", "2", "page", "invalid-duration"),
        ("1h", "5x", "2", "page", "invalid-duration"),
    ] {
        add(
            &format!("window {long}/{short} {pct}% {severity}"),
            window(long, short, pct, severity),
            code,
        );
    }
    add("window pair twice", windows("        - {long: 1h, short: 5m, budget_percent: 2, severity: page}\n        - {long: 1h, short: 5m, budget_percent: 5, severity: page}\n"), "invalid-window-pair");
    add(
        "windows empty",
        windows("        []\n").replace("windows:\n        []", "windows: []"),
        "empty-list",
    );
    add(
        "window entry not a mapping",
        windows("        - 1h\n"),
        "wrong-type",
    );
    add(
        "window unknown key",
        windows("        - {long: 1h, short: 5m, budget_percent: 2, severity: page, tier: 1}\n"),
        "unknown-key",
    );
    for (key, code) in [
        ("objectiv: 99.9", "unknown-key"),
        ("windw: 30d", "unknown-key"),
        ("descripton: x", "unknown-key"),
    ] {
        add(
            &format!("SLO key {key}"),
            with(
                GOOD,
                "    window: 30d\n",
                &format!("    window: 30d\n    {key}\n"),
            ),
            code,
        );
    }
    add(
        "service key",
        with(GOOD, "service: api\n", "service: api\nowner_team: x\n"),
        "unknown-key",
    );
    add(
        "no objective",
        with(GOOD, "    objective: 99.9\n", ""),
        "missing-field",
    );
    add(
        "no service",
        with(GOOD, "service: api\n", ""),
        "missing-field",
    );
    add(
        "no SLOs",
        GOOD[..GOOD.find("slos:").unwrap()].to_string() + "slos: []\n",
        "empty-list",
    );
    add(
        "slos not a list",
        GOOD[..GOOD.find("slos:").unwrap()].to_string() + "slos: nope\n",
        "wrong-type",
    );
    add(
        "duplicate SLO",
        GOOD.to_string() + &GOOD[GOOD.find("  - name").unwrap()..],
        "duplicate-slo",
    );
    add(
        "no apiVersion",
        with(GOOD, "apiVersion: slocc/v1\n", ""),
        "no-api-version",
    );
    add(
        "unknown apiVersion",
        with(GOOD, "slocc/v1", "slocc/v9"),
        "unknown-api-version",
    );
    add(
        "Sloth AlertWindows without windows",
        "apiVersion: sloth.slok.dev/v1\nkind: AlertWindows\nspec: {sloPeriod: 7d}\n".to_string(),
        "missing-field",
    );
    add(
        "Sloth AlertWindows with a bad period",
        "apiVersion: sloth.slok.dev/v1\nkind: AlertWindows\nspec:\n  sloPeriod: 7x\n  page:\n    quick: {errorBudgetPercent: 8, shortWindow: 5m, longWindow: 1h}\n    slow: {errorBudgetPercent: 12.5, shortWindow: 30m, longWindow: 6h}\n  ticket:\n    quick: {errorBudgetPercent: 20, shortWindow: 2h, longWindow: 1d}\n    slow: {errorBudgetPercent: 42, shortWindow: 6h, longWindow: 3d}\n".to_string(),
        "invalid-duration",
    );
    add(
        "settings with an unknown tier class",
        "apiVersion: slocc/v1\nkind: Settings\nseverities:\n  - {name: P1, page: true}\ntiers: {page: P2}\n".to_string(),
        "invalid-severity",
    );
    add(
        "a receiver for an unknown class",
        "apiVersion: slocc/v1\nservice: x\nreceivers: {P7: pager}\nslos:\n  - name: a\n    objective: 99\n    sli: {raw: {error_ratio: 'sum(rate(e[{{window}}]))'}}\n".to_string(),
        "invalid-severity",
    );
    add(
        "settings with an unknown compat value",
        "apiVersion: slocc/v1\nkind: Settings\ncompat: nagios\n".to_string(),
        "unknown-value",
    );
    add(
        "settings with a relative Grafana URL",
        "apiVersion: slocc/v1\nkind: Settings\ngrafana_url: grafana.example.com\n".to_string(),
        "invalid-url",
    );
    add(
        "unknown Sloth version",
        "version: prometheus/v2\nservice: x\nslos: []\n".to_string(),
        "unknown-api-version",
    );
    add("a list", "- a\n- b\n".to_string(), "wrong-type");
    add("a scalar", "just text\n".to_string(), "wrong-type");
    add("empty", String::new(), "empty-spec");
    add("comments only", "# nothing\n".to_string(), "empty-spec");
    add(
        "tab indentation",
        with(GOOD, "  - name: availability", "\t- name: availability"),
        "yaml-syntax",
    );
    add(
        "unclosed quote",
        with(GOOD, "service: api", "service: 'api"),
        "yaml-syntax",
    );
    add(
        "unclosed bracket",
        with(GOOD, "labels: {team: core}", "labels: {team: core"),
        "yaml-syntax",
    );
    add(
        "duplicate key",
        with(GOOD, "service: api\n", "service: api\nservice: web\n"),
        "duplicate-key",
    );
    add(
        "control character",
        with(GOOD, "service: api", "service: a\u{7}pi"),
        "control-character",
    );
    add(
        "anchor",
        with(GOOD, "labels: {team: core}", "labels: &l {team: core}"),
        "yaml-unsupported",
    );
    add(
        "deep nesting",
        (0..200)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i * 2)))
            .collect(),
        "too-deep",
    );
    add(
        "deep flow",
        format!("a: {}1{}\n", "[".repeat(100), "]".repeat(100)),
        "too-deep",
    );
    add("Sloth plugin", "version: prometheus/v1\nservice: x\nslos:\n  - name: a\n    objective: 99\n    sli:\n      plugin: {id: sloth-common/availability}\n    alerting: {name: A, page_alert: {disable: true}, ticket_alert: {disable: true}}\n".to_string(), "unsupported-feature");
    add("Sloth no SLI kind", "version: prometheus/v1\nservice: x\nslos:\n  - name: a\n    objective: 99\n    sli: {}\n    alerting: {name: A}\n".to_string(), "sli-kind");
    add("Sloth unknown key", "version: prometheus/v1\nservice: x\nslos:\n  - name: a\n    objectiv: 99\n    sli: {raw: {error_ratio_query: 'sum(rate(e[{{.window}}]))'}}\n    alerting: {name: A}\n".to_string(), "unknown-key");
    add("Pyrra native histogram with a unitless latency", "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: x}\nspec:\n  target: '99'\n  window: 28d\n  indicator:\n    latencyNative: {latency: '1', total: {metric: h}}\n".to_string(), "invalid-threshold");
    add("Pyrra no indicator", "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: x}\nspec:\n  target: '99'\n  window: 28d\n  indicator: {}\n".to_string(), "sli-kind");
    add(
        "OpenSLO unknown kind",
        "apiVersion: openslo/v1\nkind: Dashboard\nmetadata: {name: x}\nspec: {}\n".to_string(),
        "unknown-kind",
    );
    add("OpenSLO missing reference", "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec:\n  service: s\n  indicatorRef: nope\n  timeWindow: [{duration: 30d, isRolling: true}]\n  budgetingMethod: Occurrences\n  objectives: [{target: 0.99}]\n".to_string(), "unresolved-reference");
    add("OpenSLO calendar window in no time zone", "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec:\n  service: s\n  indicatorRef: nope\n  timeWindow: [{duration: 1M, isRolling: false, calendar: {startTime: '2024-01-01 00:00:00', timeZone: Mars/Olympus_Mons}}]\n  budgetingMethod: Occurrences\n  objectives: [{target: 0.99}]\n".to_string(), "unsupported-time-zone");
    cases
}

#[test]
fn every_bad_input_gets_its_code_at_a_position_and_writes_nothing() {
    let cases = cases();
    assert!(cases.len() >= 100, "{} cases", cases.len());
    let mut failures = Vec::new();
    for (i, (what, text, code)) in cases.iter().enumerate() {
        let project = Project::new();
        project.file("specs/case.yaml", text);
        let run = project.slocc(&["compile", "--format", "json"]);
        let found: Vec<serde_json::Value> = run
            .stdout
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let hit = found.iter().any(|d| {
            d["code"] == *code
                && d["severity"] == "error"
                && d["line"].as_u64().is_some_and(|l| l > 0)
                && d["column"].is_u64()
        });
        let positioned = found.iter().all(|d| d["line"].is_u64());
        if run.code != 1 || !hit || !positioned || project.path().join("out").exists() {
            failures.push(format!(
                "#{i} {what}: exit {}, want {code}, got {}",
                run.code,
                run.stdout.trim()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
