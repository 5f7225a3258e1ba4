//! Imported specs (Sloth today): semantics kept, alerts proven on promtool, and what cannot be
//! honoured rejected at its line.

use crate::harness::{promtool_ok, Project};

/// A Sloth `prometheus/v1` spec in the shape of Sloth's documented examples.
pub(crate) const SLOTH: &str = r##"version: "prometheus/v1"
service: "svc"
labels:
  owner: "myteam"
  repo: "myorg/myservice"
  tier: "2"
slos:
  # We allow failing (5xx) 1 request every 1000 requests (99.9%).
  - name: "requests-availability"
    objective: 99.9
    description: "Common SLO based on availability for HTTP request responses."
    labels:
      category: availability
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="svc",code=~"(5..|429)"}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="svc"}[{{.window}}]))
    alerting:
      name: "ScenarioBudgetBurn"
      labels:
        category: "availability"
      annotations:
        runbook: "https://example.com/runbooks/myservice"
      page_alert:
        labels:
          severity: "pageteam"
          routing_key: "myteam"
      ticket_alert:
        labels:
          severity: "slack"
          slack_channel: "#alerts-myteam"
"##;

/// The same service as a Sloth Kubernetes CRD.
const SLOTH_CRD: &str = r#"apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata:
  name: svc
  namespace: monitoring
spec:
  service: "svc"
  labels:
    owner: "myteam"
  slos:
    - name: "requests-availability"
      objective: 99.9
      description: "Common SLO based on availability for HTTP request responses."
      sli:
        events:
          errorQuery: sum(rate(http_requests_total{job="svc",code=~"(5..|429)"}[{{.window}}]))
          totalQuery: sum(rate(http_requests_total{job="svc"}[{{.window}}]))
      alerting:
        name: ScenarioBudgetBurn
        pageAlert:
          labels:
            severity: critical
        ticketAlert:
          disable: true
"#;

/// The burn-rate alert rules of a rule file (not the no-data alert, `absent(...)`).
fn alerts(rules: &str) -> Vec<serde_yaml::Value> {
    let doc: serde_yaml::Value = serde_yaml::from_str(rules).unwrap();
    doc["groups"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_sequence().unwrap().clone())
        .filter(|r| r.get("alert").is_some())
        .filter(|r| !r["expr"].as_str().unwrap_or("").starts_with("absent("))
        .collect()
}

#[test]
fn sloth_spec_keeps_names_labels_and_severities() {
    let project = Project::new();
    project.file("specs/svc.yaml", SLOTH);
    project.slocc(&["compile"]).expect_code(0);
    let rules = project.read("out/svc.rules.yml");
    promtool_ok(project.path(), &["check", "rules", "out/svc.rules.yml"]);
    let alerts = alerts(&rules);
    assert_eq!(alerts.len(), 4);
    for alert in &alerts {
        assert_eq!(alert["alert"], "ScenarioBudgetBurn");
        assert_eq!(alert["labels"]["category"], "availability");
        assert_eq!(
            alert["annotations"]["runbook"],
            "https://example.com/runbooks/myservice"
        );
        match alert["labels"]["slo_long_window"].as_str().unwrap() {
            "1h" | "6h" => {
                assert_eq!(alert["labels"]["severity"], "pageteam");
                assert_eq!(alert["labels"]["routing_key"], "myteam");
            }
            _ => {
                assert_eq!(alert["labels"]["severity"], "slack");
                assert_eq!(alert["labels"]["slack_channel"], "#alerts-myteam");
            }
        }
    }
    // Service and SLO labels are on every recorded series.
    assert!(rules.contains("      category: availability\n"));
    assert!(rules.contains("      repo: myorg/myservice\n"));
}

#[test]
fn sloth_crd_disables_the_ticket_alert() {
    let project = Project::new();
    project.file("specs/svc.yaml", SLOTH_CRD);
    project.slocc(&["compile"]).expect_code(0);
    let alerts = alerts(&project.read("out/svc.rules.yml"));
    assert_eq!(alerts.len(), 2, "ticket tiers disabled");
    assert!(alerts.iter().all(|a| a["labels"]["severity"] == "critical"));
    promtool_ok(project.path(), &["check", "rules", "out/svc.rules.yml"]);
}

#[test]
fn what_slocc_cannot_honour_is_rejected_at_its_line() {
    let plugin = SLOTH.replace(
        "      events:\n        error_query: sum(rate(http_requests_total{job=\"svc\",code=~\"(5..|429)\"}[{{.window}}]))\n        total_query: sum(rate(http_requests_total{job=\"svc\"}[{{.window}}]))",
        "      plugin:\n        id: \"sloth-common/coredns/availability\"",
    );
    let cases = [
        (plugin, "specs/svc.yaml:15:7: error[unsupported-feature]"),
        ("apiVersion: example.com/v9\nkind: Thing\n".to_string(), "specs/svc.yaml:1:13: error[unknown-api-version]: unknown document kind: `apiVersion: example.com/v9`, `kind: Thing`"),
        ("version: prometheus/v2\nservice: x\n".to_string(), "specs/svc.yaml:1:10: error[unknown-api-version]"),
        (SLOTH.replace("objective: 99.9", "objectiv: 99.9"), "error[unknown-key]: unknown key `objectiv`"),
        (SLOTH.replace("[{{.window}}]))\n        total", "[{{.window}}])\n        total"), "error[invalid-promql]"),
    ];
    for (text, want) in cases {
        let project = Project::new();
        project.file("specs/svc.yaml", &text);
        let run = project.slocc(&["compile"]);
        run.expect_code(1);
        assert!(
            run.headlines().contains(want),
            "want {want:?} in\n{}",
            run.stderr
        );
        assert!(
            !project.path().join("out").exists(),
            "nothing partial written"
        );
    }
}

#[test]
fn converted_specs_compile_to_the_same_rules() {
    for (name, text) in [("sloth", SLOTH), ("sloth-crd", SLOTH_CRD)] {
        let project = Project::new();
        project.file("in/svc.yaml", text);
        let run = project.slocc(&["convert", "in/svc.yaml"]);
        run.expect_code(0);
        assert!(
            run.stdout
                .starts_with("# slocc/v1, converted from in/svc.yaml\napiVersion: slocc/v1\n"),
            "{}",
            run.stdout
        );
        assert!(!run.stdout.contains("{{.window}}"));
        assert_compiles_like_converted(&project, "in", &run.stdout, name);
    }
}

/// Sloth's 7d `AlertWindows` catalog and the native settings given with it become one native
/// settings document with the catalog as a policy: the converted files compile to the
/// catalog's factors (13.44, 3.5, 1.4, 0.98), not the default policy's.
#[test]
fn converted_sloth_specs_keep_their_alert_windows_catalog() {
    let project = Project::new();
    project.file("in/svc.yaml", SLOTH);
    let catalog = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/migration/sloth-windows-7d.yaml"),
    )
    .unwrap();
    project.file("in/windows.yaml", &catalog);
    project.file(
        "in/settings.yaml",
        "apiVersion: slocc/v1\nkind: Settings\ndefault_window: 7d\nrunbook_base_url: https://r.example.com\n",
    );
    let run = project.slocc(&["convert", "in"]);
    run.expect_code(0);
    let settings = run.stdout.split("---\n").last().unwrap();
    assert!(
        settings.starts_with("# slocc/v1 settings, converted from in/settings.yaml, in/windows.yaml: replaces them\napiVersion: slocc/v1\nkind: Settings\nrunbook_base_url: https://r.example.com\ndefault_window: '7d'\npolicies:\n- window: '7d'\n"),
        "{settings}"
    );
    assert_compiles_like_converted(&project, "in", &run.stdout, "sloth with a catalog");
    let rules = project.read("out-native/svc.rules.yml");
    for factor in [
        "(13.44 * 0.001)",
        "(3.5 * 0.001)",
        "(1.4 * 0.001)",
        "(0.98 * 0.001)",
    ] {
        assert!(rules.contains(factor), "{factor} missing:\n{rules}");
    }
}

/// Every bundled and migration spec converts to native text that `check` accepts and that
/// compiles to the same rules (the converted file is a migration's end state).
#[test]
fn every_bundled_and_migration_spec_converts_to_a_spec_slocc_accepts() {
    for dir in ["specs", "examples/migration"] {
        let project = Project::new();
        project.with_repo_yaml(dir, "in");
        let run = project.slocc(&["convert", "in"]);
        run.expect_code(0);
        for (i, document) in run.stdout.split("---\n").enumerate() {
            let file = format!("native/{i}.yaml");
            project.file(&file, document);
        }
        // Imported formats have no runbook base URL: the settings give one.
        project.file(
            "settings.yaml",
            "apiVersion: slocc/v1\nkind: Settings\nrunbook_base_url: https://git.example.com/slos\n",
        );
        let check = project.slocc(&["check", "native", "settings.yaml", "--no-runbooks"]);
        check.expect_code(0);
        assert_eq!(
            check.stderr.matches("warning").count(),
            0,
            "{dir}: {}",
            check.stderr
        );
        project
            .slocc(&["compile", "in", "-o", "out-in", "--no-runbooks"])
            .expect_code(0);
        project
            .slocc(&["compile", "native", "-o", "out-native", "--no-runbooks"])
            .expect_code(0);
        let rules = |out: &str| -> Vec<String> {
            let mut bodies: Vec<String> = std::fs::read_dir(project.path().join(out))
                .unwrap()
                .filter_map(|e| {
                    let path = e.unwrap().path();
                    // The manifest hashes whole files, headers (which name the specs) included.
                    if path.ends_with(".slocc-manifest") {
                        return None;
                    }
                    let text = std::fs::read_to_string(&path).ok()?;
                    Some(text.lines().skip(1).collect::<Vec<_>>().join("\n"))
                })
                .collect();
            bodies.sort();
            bodies
        };
        assert_eq!(rules("out-in"), rules("out-native"), "{dir}");
    }
}

#[test]
fn convert_refuses_invalid_specs() {
    let project = Project::new();
    project.file(
        "in/svc.yaml",
        &SLOTH.replace("objective: 99.9", "objective: 120"),
    );
    let run = project.slocc(&["convert", "in"]);
    run.expect_code(1);
    assert!(run.stdout.is_empty());
    assert_eq!(run.stderr, "error[objective-out-of-range]: objective `120` is not between 0 and 100 percent\n   --> in/svc.yaml:10:16\n   |\n10 |     objective: 120\n   |                ^\n   |\n   = hint: an objective is a percentage strictly between 0 and 100, e.g. `99.9`\n\n1 error, 0 warnings\n");
}

/// A Pyrra ratio SLO in the shape of Pyrra's examples (4-week window).
pub(crate) const PYRRA: &str = r#"apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: svc
  namespace: monitoring
  labels:
    prometheus: k8s
    role: alert-rules
spec:
  target: "99.9"
  window: 4w
  description: Requests to the svc API that do not fail.
  indicator:
    ratio:
      errors:
        metric: http_requests_total{job="svc",code=~"5.."}
      total:
        metric: http_requests_total{job="svc"}
  alerting:
    name: ScenarioBudgetBurn
    absent: false
"#;

const PYRRA_LATENCY: &str = r#"apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: api-latency
  namespace: monitoring
spec:
  target: "99"
  window: 2w
  indicator:
    latency:
      success:
        metric: http_request_duration_seconds_bucket{job="api",handler="/query",le="0.3"}
      total:
        metric: http_request_duration_seconds_count{job="api",handler="/query"}
      grouping:
        - handler
  alerting:
    absent: false
"#;

const PYRRA_BOOL_GAUGE: &str = r#"apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: probe-up
  namespace: monitoring
spec:
  target: "99.5"
  window: 1w
  indicator:
    bool_gauge:
      metric: probe_success{job="blackbox"}
"#;

#[test]
fn pyrra_objects_keep_target_window_grouping_and_alert_name() {
    let project = Project::new();
    project
        .file("specs/svc.yaml", PYRRA)
        .file("specs/latency.yaml", PYRRA_LATENCY)
        .file("specs/probe.yaml", PYRRA_BOOL_GAUGE);
    let run = project.slocc(&["compile"]);
    run.expect_code(0);
    // The object that leaves `absent` on gets Pyrra's absent alert, as slocc's no-data alert;
    // those that turn it off get none.
    let absent = |name: &str| {
        project
            .read(&format!("out/{name}.rules.yml"))
            .contains("- alert: SLOMetricAbsent\n")
    };
    assert!(absent("probe-up"));
    assert!(!absent("svc") && !absent("api-latency"));
    assert_eq!(run.stderr, "warning[relative-runbook-url]: the alerts of `api-latency` link their runbooks by a relative path, which does not open from a notification\n  --> specs/latency.yaml:4:9\n  |\n4 |   name: api-latency\n  |         ^\n  |\n  = hint: set `runbook_base_url` in the spec, or once for all specs in a settings document (docs/settings.md)\n\nwarning[relative-runbook-url]: the alerts of `probe-up` link their runbooks by a relative path, which does not open from a notification\n  --> specs/probe.yaml:4:9\n  |\n4 |   name: probe-up\n  |         ^\n  |\n  = hint: set `runbook_base_url` in the spec, or once for all specs in a settings document (docs/settings.md)\n\nwarning[relative-runbook-url]: the alerts of `svc` link their runbooks by a relative path, which does not open from a notification\n  --> specs/svc.yaml:4:9\n  |\n4 |   name: svc\n  |         ^\n  |\n  = hint: set `runbook_base_url` in the spec, or once for all specs in a settings document (docs/settings.md)\n\n0 errors, 3 warnings\ncompiled 3 services (3 SLOs) into out: 18 written, 0 unchanged, 0 removed; runbooks in runbooks: 3 created, 0 refreshed\n");
    for service in ["svc", "api-latency", "probe-up"] {
        promtool_ok(
            project.path(),
            &["check", "rules", &format!("out/{service}.rules.yml")],
        );
    }
    let svc = alerts(&project.read("out/svc.rules.yml"));
    assert_eq!(svc[0]["alert"], "ScenarioBudgetBurn");
    // Pyrra's severity values, without `--compat pyrra`: the routes Pyrra users have match.
    let severities: Vec<&str> = svc
        .iter()
        .map(|a| a["labels"]["severity"].as_str().unwrap())
        .collect();
    assert_eq!(severities, ["critical", "critical", "warning", "warning"]);
    let probe = project.read("out/probe-up.rules.yml");
    assert!(
        probe.contains("for: '10m'\n    labels:\n      severity: critical\n"),
        "{probe}"
    );
    let routes = project.read("out/alertmanager/alertmanager.yml");
    assert!(!routes.contains("severity=\"page\""), "{routes}");
    // 4w = 28d: the workbook factors for 28 days.
    assert!(
        svc[0]["expr"]
            .as_str()
            .unwrap()
            .contains("> (13.44 * 0.001)"),
        "{:?}",
        svc[0]["expr"]
    );
    let latency = project.read("out/api-latency.rules.yml");
    assert!(latency.contains(r#"sum by (handler) (rate(http_request_duration_seconds_bucket{job="api",handler="/query",le="0.3"}[5m]))"#), "{latency}");
    assert_eq!(
        alerts(&latency)[0]["alert"],
        "ErrorBudgetBurn",
        "Pyrra's default alert name"
    );
    let probe = project.read("out/probe-up.rules.yml");
    assert!(
        probe.contains(r#"sum(count_over_time(probe_success{job="blackbox"}[5m]))"#),
        "{probe}"
    );
}

#[test]
fn pyrra_latency_metric_that_is_not_a_bucket_is_rejected_at_its_line() {
    let project = Project::new();
    project.file(
        "specs/latency.yaml",
        &PYRRA_LATENCY.replace(
            r#"http_request_duration_seconds_bucket{job="api",handler="/query",le="0.3"}"#,
            r#"http_request_duration_seconds_sum{job="api",handler="/query"}"#,
        ),
    );
    let run = project.slocc(&["compile"]);
    run.expect_code(1);
    assert_eq!(run.headlines(), "specs/latency.yaml:4:9: warning[relative-runbook-url]: the alerts of `api-latency` link their runbooks by a relative path, which does not open from a notification\nspecs/latency.yaml:12:17: error[invalid-latency-selector]: the latency success metric `http_request_duration_seconds_sum{job=\"api\",handler=\"/query\"}` is not a histogram bucket selector\n");
    assert!(!project.path().join("out").exists());

    // Two indicators in one SLO: refused at the second, never one of them silently.
    let two = PYRRA.replace(
        "    ratio:\n",
        "    latencyNative:\n      latency: 1s\n      total: {metric: rpc_seconds}\n    ratio:\n",
    );
    project.file("specs/latency.yaml", &two);
    let run = project.slocc(&["compile"]);
    run.expect_code(1);
    assert_eq!(run.headlines(), "specs/latency.yaml:4:9: warning[relative-runbook-url]: the alerts of `svc` link their runbooks by a relative path, which does not open from a notification\nspecs/latency.yaml:14:5: error[sli-kind]: the indicator of the Pyrra SLO `svc` names `ratio`, `latencyNative`; it must name exactly one\n");
}

/// An OpenSLO v1 setup spread over two files: SLO with a referenced SLI, a referenced alert
/// policy whose condition is referenced too, and an inline policy with an inline condition.
pub(crate) fn openslo_project() -> Project {
    let project = Project::new();
    project
        .file("specs/slo.yaml", include_str!("fixtures/openslo/slo.yaml"))
        .file(
            "specs/shared.yaml",
            include_str!("fixtures/openslo/shared.yaml"),
        );
    project
}

/// Bad alert policies are errors at the line the user wrote, never a silently dropped alert
/// nor an error about `alerting.windows`, a key that OpenSLO does not have.
#[test]
fn openslo_bad_alert_conditions_are_errors_at_their_line() {
    let slo = include_str!("fixtures/openslo/slo.yaml");
    for (from, to, want) in [
        (
            "lookbackWindow: 3d",
            "lookbackWindow: 3days",
            "slo.yaml:41:33: error[invalid-duration]: `lookbackWindow: 3days`",
        ),
        (
            "threshold: 1\n",
            "threshold: lots\n",
            "slo.yaml:40:28: error[invalid-burn-rate]: burn-rate `threshold: lots`",
        ),
        (
            "  alertPolicies:\n    - alertPolicyRef: fast-burn\n",
            "  alertPolicies:\n    - fast-burn\n",
            "slo.yaml:26:7: error[wrong-type]: an alert policy must be a mapping",
        ),
        // Numbers a user controls never panic: a huge factor, a zero window.
        (
            "threshold: 1\n",
            "threshold: 100000000000000000000000\n",
            "slo.yaml:40:28: error[invalid-burn-rate]: burn-rate `threshold: 100000000000000000000000` is not a usable burn-rate factor",
        ),
        (
            "duration: 30d",
            "duration: 0d",
            "slo.yaml:19:17: error[window-out-of-range]: window `0d` is outside 1d..90d",
        ),
    ] {
        let project = openslo_project();
        assert!(slo.contains(from), "{from}");
        project.file("specs/slo.yaml", &slo.replacen(from, to, 1));
        let run = project.slocc(&["compile"]);
        run.expect_code(1);
        assert!(
            run.headlines().contains(want),
            "want {want:?} in\n{}",
            run.stderr
        );
        assert!(!run.stderr.contains("alerting.windows"), "{}", run.stderr);
    }
    let project = openslo_project();
    let start = slo.find("  alertPolicies:").unwrap();
    project.file(
        "specs/slo.yaml",
        &format!("{}  alertPolicies: []\n", &slo[..start]),
    );
    let run = project.slocc(&["compile"]);
    run.expect_code(1);
    assert_eq!(run.headlines(), "specs/slo.yaml:16:12: warning[relative-runbook-url]: the alerts of `svc` link their runbooks by a relative path, which does not open from a notification\nspecs/slo.yaml:25:3: error[empty-list]: `alertPolicies` in the OpenSLO SLO `availability` is empty\n");
}

#[test]
fn openslo_references_resolve_across_files_and_keep_burn_rates() {
    let project = openslo_project();
    project.slocc(&["compile"]).expect_code(0);
    promtool_ok(project.path(), &["check", "rules", "out/svc.rules.yml"]);
    let rules = project.read("out/svc.rules.yml");
    let alerts = alerts(&rules);
    assert_eq!(alerts.len(), 2);
    let page = alerts
        .iter()
        .find(|a| a["labels"]["severity"] == "page")
        .unwrap();
    assert!(page["expr"]
        .as_str()
        .unwrap()
        .contains("ratio_rate1h{slo_service=\"svc\", slo_name=\"availability\"} > (14.4 * 0.001)"));
    assert_eq!(page["for"], "2m");
    let ticket = alerts
        .iter()
        .find(|a| a["labels"]["severity"] == "ticket")
        .unwrap();
    assert!(ticket["expr"]
        .as_str()
        .unwrap()
        .contains("ratio_rate3d{slo_service=\"svc\", slo_name=\"availability\"} > (1 * 0.001)"));
    assert_eq!(ticket["for"], "15m");
    // `counter: true`: the counters are rated per window.
    assert!(
        rules.contains(r#"sum(rate(http_requests_total{job="svc"}[5m]))"#),
        "{rules}"
    );
}

#[test]
fn openslo_without_alert_policies_gets_the_default_policy() {
    let project = openslo_project();
    let slo = include_str!("fixtures/openslo/slo.yaml");
    let cut = slo.find("  alertPolicies:").unwrap();
    project.file("specs/slo.yaml", &slo[..cut]);
    project.slocc(&["compile"]).expect_code(0);
    assert_eq!(alerts(&project.read("out/svc.rules.yml")).len(), 4);
}

#[test]
fn openslo_problems_point_at_their_line() {
    let slo = include_str!("fixtures/openslo/slo.yaml");
    let cases = [
        (slo.replace("indicatorRef: svc-success-ratio", "indicatorRef: svc-sucess-ratio"), "specs/slo.yaml:17:17: error[unresolved-reference]: the OpenSLO SLO `availability` references the SLI `svc-sucess-ratio`, which no file defines", "did you mean `svc-success-ratio`?"),
        (slo.replace("      isRolling: true", "      isRolling: false"), "specs/slo.yaml:19:17: error[unsupported-feature]: the OpenSLO SLO `availability` has a calendar window of `30d`", "`1w`, `1M` and `1Q`"),
        (slo.replace("duration: 30d", "duration: 1M"), "error[unsupported-feature]: the OpenSLO SLO `availability` has a rolling `1M` window, which has no fixed length", "calendar"),
        (slo.replace("budgetingMethod: Occurrences", "budgetingMethod: Timeslices"), "specs/slo.yaml:23:7: error[missing-field]: an objective of the OpenSLO SLO `availability`, which budgets by time slices, is missing the required fields `timeSliceWindow`, `timeSliceTarget`", "add `timeSliceWindow`"),
        (slo.replace("budgetingMethod: Occurrences", "budgetingMethod: Minutes"), "specs/slo.yaml:21:20: error[unknown-value]: unknown `budgetingMethod` `Minutes`", "RatioTimeslices"),
        (slo.replace("- alertPolicyRef: fast-burn", "- alertPolicyRef: fast-brun"), "error[unresolved-reference]: the OpenSLO SLO `availability` references the AlertPolicy `fast-brun`", "did you mean `fast-burn`?"),
        (slo.replace("kind: Service\n", "kind: Servise\n"), "specs/slo.yaml:2:7: error[unknown-kind]: OpenSLO v1 has no `Servise` kind", "OpenSLO v1 kinds"),
    ];
    for (text, want, hint) in cases {
        let project = openslo_project();
        project.file("specs/slo.yaml", &text);
        let run = project.slocc(&["compile"]);
        run.expect_code(1);
        assert!(
            run.headlines().contains(want),
            "want {want:?} in\n{}",
            run.stderr
        );
        assert!(
            run.stderr.contains(hint),
            "want hint {hint:?} in\n{}",
            run.stderr
        );
        assert!(!project.path().join("out").exists());
    }
}

/// An SLO reading AppDynamics, CloudWatch or Datadog gets one message naming the source, at
/// the line that names it: no cascade about the ratio's sides or a missing `query`.
#[test]
fn openslo_non_prometheus_sources_are_one_message_naming_the_source() {
    let project = Project::new();
    for (name, text) in [
        ("slo", include_str!("fixtures/openslo/foreign/slo.yaml")),
        ("alpha", include_str!("fixtures/openslo/foreign/alpha.yaml")),
        ("raw", include_str!("fixtures/openslo/foreign/raw.yaml")),
    ] {
        project.file(&format!("specs/{name}.yaml"), text);
    }
    let run = project.slocc(&["check", "--no-runbooks"]);
    run.expect_code(1);
    let headlines = run.headlines();
    let errors: Vec<&str> = headlines
        .lines()
        .filter(|l| l.contains(": error["))
        .collect();
    assert_eq!(
        errors,
        [
            "specs/alpha.yaml:12:19: error[unsupported-feature]: the OpenSLO SLO `search` reads from `datadog`; slocc compiles Prometheus queries",
            "specs/raw.yaml:18:17: error[unsupported-feature]: the SLI of the OpenSLO SLO `latency` reads from `CloudWatch`; slocc compiles Prometheus queries",
            "specs/slo.yaml:20:19: error[unsupported-feature]: the SLI of the OpenSLO SLO `web-availability` reads from `AppDynamics`; slocc compiles Prometheus queries",
        ],
        "{}",
        run.stderr
    );
}

/// `convert` drops nothing a spec says: an OpenSLO calendar month and time-slice budgeting, and
/// every field of the native reference spec (runbook steps, previous names, MTTR, receivers)
/// come out native, and compile to the same rules and runbooks as the originals.
#[test]
fn convert_keeps_calendars_budgeting_runbooks_and_every_native_field() {
    let project = Project::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let reference = std::fs::read_to_string(root.join("specs/reference.yaml")).unwrap();
    project.file("in/reference.yaml", &reference);
    project.file(
        "in/calendar.yaml",
        include_str!("fixtures/openslo/calendar.yaml"),
    );
    let renamed = "apiVersion: slocc/v1\nservice: renamed\nslos:\n  - name: availability\n    previous_names: [uptime]\n    mttr: 30m\n    objective: 99.5\n    runbook:\n      mitigation:\n        - {title: Fail over, command: ./failover}\n    sli:\n      raw:\n        error_ratio: sum(rate(e[{{window}}])) / sum(rate(t[{{window}}]))\n";
    project.file("in/renamed.yaml", renamed);
    project.file(
        "in/settings.yaml",
        "apiVersion: slocc/v1\nkind: Settings\nrunbook_base_url: https://r.example.com\n",
    );
    let run = project.slocc(&[
        "convert",
        "in/reference.yaml",
        "in/calendar.yaml",
        "in/renamed.yaml",
    ]);
    run.expect_code(0);
    for needed in [
        "calendar:\n    period: month\n",
        "budgeting:\n    method: timeslices\n",
        "previous_names:",
        "mttr:",
        "runbook:\n  diagnosis:",
    ] {
        assert!(
            run.stdout.contains(needed),
            "{needed} missing:\n{}",
            run.stdout
        );
    }
    project.file("native/all.yaml", &run.stdout);
    project.file(
        "native/settings.yaml",
        "apiVersion: slocc/v1\nkind: Settings\nrunbook_base_url: https://r.example.com\n",
    );
    for (from, to) in [("in", "a"), ("native", "b")] {
        project
            .slocc(&[
                "compile",
                from,
                "-o",
                &format!("{to}/out"),
                "--runbooks",
                &format!("{to}/runbooks"),
            ])
            .expect_code(0);
    }
    // All but the header naming the source, with the runbook links' directory as one.
    let body = |path: &str| {
        let text = project.read(path).replace("a/runbooks/", "b/runbooks/");
        text.lines().skip(1).collect::<Vec<_>>().join("\n")
    };
    let files = [
        "out/reference-api.rules.yml",
        "out/shop.rules.yml",
        "out/renamed.rules.yml",
        "runbooks/reference-api/availability.md",
        "runbooks/reference-api/latency.md",
        "runbooks/renamed/availability.md",
    ];
    for file in files {
        let same = body(&format!("a/{file}")) == body(&format!("b/{file}"));
        assert!(same, "{file} differs");
    }
}

/// OpenSLO calendar weeks that start at noon (the shape of OpenSLO's own Prometheus example)
/// and calendar days compile: the period starts at `startTime`'s time of day.
#[test]
fn openslo_calendar_days_and_weeks_starting_at_noon_compile() {
    let project = Project::new();
    let month = include_str!("fixtures/openslo/calendar.yaml");
    let week = month
        .replace("duration: 1M", "duration: 1w")
        .replace("2022-01-01 00:00:00", "2022-01-01 12:00:00");
    let day = month
        .replace("duration: 1M", "duration: 1d")
        .replace("2022-01-01 00:00:00", "2022-01-01 06:30:00")
        .replace("service: shop", "service: daily");
    project.file("specs/week.yaml", &week);
    project.file("specs/day.yaml", &day);
    project.file(
        "specs/settings.yaml",
        "apiVersion: slocc/v1\nkind: Settings\nrunbook_base_url: https://r.example.com\n",
    );
    let run = project.slocc(&["convert", "specs/week.yaml", "specs/day.yaml"]);
    run.expect_code(0);
    for written in [
        "calendar:\n    period: week\n    start_time: '12:00:00'\n    time_zone: UTC\n    week_start: saturday\n",
        "calendar:\n    period: day\n    start_time: '06:30:00'\n    time_zone: UTC\n",
    ] {
        assert!(run.stdout.contains(written), "{written}\n{}", run.stdout);
    }
    project.slocc(&["compile", "--no-runbooks"]).expect_code(0);
    // Weeks from Saturday noon: 1970-01-03 12:00 UTC, 216000 s after the epoch, starts one.
    let weekly = project.read("out/shop.rules.yml");
    assert!(
        weekly.contains("floor((vector(time()) + -216000) / 604800)"),
        "{weekly}"
    );
    let daily = project.read("out/daily.rules.yml");
    assert!(
        daily.contains("floor((vector(time()) + -23400) / 86400)"),
        "{daily}"
    );
}

#[test]
fn converted_openslo_compiles_to_the_same_rules() {
    let project = openslo_project();
    let run = project.slocc(&["convert", "specs"]);
    run.expect_code(0);
    assert_compiles_like_converted(&project, "specs", &run.stdout, "openslo");
}

/// Compiles `input` and the `converted` native text, and requires identical rules (all but
/// the header line, which names the source file).
fn assert_compiles_like_converted(project: &Project, input: &str, converted: &str, what: &str) {
    project.file("native/svc.yaml", converted);
    project
        .slocc(&["compile", input, "-o", "out-in"])
        .expect_code(0);
    project
        .slocc(&["compile", "native", "-o", "out-native"])
        .expect_code(0);
    let body = |path: &str| {
        project
            .read(path)
            .lines()
            .skip(1)
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        body("out-in/svc.rules.yml"),
        body("out-native/svc.rules.yml"),
        "{what}"
    );
}

#[test]
fn openslo_v1alpha_reads_time_windows_and_incremental_ratio_metrics() {
    let project = Project::new();
    project.file(
        "specs/alpha.yaml",
        include_str!("fixtures/openslo/v1alpha.yaml"),
    );
    project.slocc(&["compile"]).expect_code(0);
    promtool_ok(project.path(), &["check", "rules", "out/svc.rules.yml"]);
    let alerts = alerts(&project.read("out/svc.rules.yml"));
    // No alert policies in v1alpha: slocc's default policy at 28 days.
    assert_eq!(alerts.len(), 4);
    assert!(
        alerts[0]["expr"]
            .as_str()
            .unwrap()
            .contains("> (13.44 * 0.001)"),
        "{:?}",
        alerts[0]["expr"]
    );

    let monthly = include_str!("fixtures/openslo/v1alpha.yaml")
        .replace("unit: Day\n      count: 28", "unit: Month\n      count: 1");
    project.file("specs/alpha.yaml", &monthly);
    let run = project.slocc(&["check"]);
    run.expect_code(1);
    assert_eq!(run.headlines(), "specs/alpha.yaml:15:12: warning[relative-runbook-url]: the alerts of `svc` link their runbooks by a relative path, which does not open from a notification\nspecs/alpha.yaml:18:13: error[unsupported-feature]: the OpenSLO SLO `availability` counts its window in `Month`s\n");
}

#[test]
fn migration_examples_check_and_compile() {
    let project = Project::new();
    project.with_repo_yaml("examples/migration", "migration");
    let run = project.slocc(&["compile", "migration"]);
    run.expect_code(0);
    for service in ["myservice", "api-availability", "checkout"] {
        promtool_ok(
            project.path(),
            &["check", "rules", &format!("out/{service}.rules.yml")],
        );
    }
}

/// Sloth specs as Sloth accepts them: no alert name when no tier alerts, hyphenated alert
/// names (a warning, and promtool loads them), plugins refused at their line.
#[test]
fn sloth_specs_compile_as_sloth_accepts_them() {
    let project = Project::new();
    let base = "version: prometheus/v1\nservice: api\nslos:\n  - name: requests\n    objective: 99.9\n    sli:\n      events:\n        error_query: sum(rate(e[{{.window}}]))\n        total_query: sum(rate(t[{{.window}}]))\n";
    project.file(
        "specs/no-alerts.yaml",
        &format!("{base}    alerting:\n      page_alert: {{disable: true}}\n      ticket_alert: {{disable: true}}\n"),
    );
    project.file(
        "specs/hyphen.yaml",
        &format!("{base}    alerting:\n      name: my-service-high-error-rate\n")
            .replace("service: api", "service: web"),
    );
    let run = project.slocc(&["compile", "--no-runbooks"]);
    run.expect_code(0);
    assert_eq!(run.headlines(), "specs/hyphen.yaml:2:10: warning[relative-runbook-url]: the alerts of `web` link their runbooks by a relative path, which does not open from a notification\nspecs/hyphen.yaml:11:13: warning[unusual-alert-name]: alert name `my-service-high-error-rate` is not a plain identifier\nspecs/no-alerts.yaml:2:10: warning[relative-runbook-url]: the alerts of `api` link their runbooks by a relative path, which does not open from a notification\n");
    assert!(project
        .read("out/web.rules.yml")
        .contains("alert: my-service-high-error-rate"));
    promtool_ok(
        project.path(),
        &["check", "rules", "out/web.rules.yml", "out/api.rules.yml"],
    );
    project.file(
        "specs/no-alerts.yaml",
        &format!("slo_plugins: {{chain: []}}\n{base}    plugins: {{chain: []}}\n    alerting: {{name: A}}\n"),
    );
    let run = project.slocc(&["check", "--no-runbooks"]);
    run.expect_code(1);
    let headlines = run.headlines();
    assert_eq!(headlines, "specs/hyphen.yaml:2:10: warning[relative-runbook-url]: the alerts of `web` link their runbooks by a relative path, which does not open from a notification\nspecs/hyphen.yaml:11:13: warning[unusual-alert-name]: alert name `my-service-high-error-rate` is not a plain identifier\nspecs/no-alerts.yaml:1:1: error[unsupported-feature]: `slo_plugins` runs Sloth SLO plugins, which slocc cannot run\nspecs/no-alerts.yaml:3:10: warning[relative-runbook-url]: the alerts of `api` link their runbooks by a relative path, which does not open from a notification\nspecs/no-alerts.yaml:11:5: error[unsupported-feature]: `plugins` runs Sloth SLO plugins, which slocc cannot run\n");
}

/// OpenSLO as its tools write it: a file that is a YAML list of objects, a Service with only
/// metadata, severities named `sev1`/`warning`; an unknown severity is an error at its line.
#[test]
fn openslo_list_files_services_without_spec_and_named_severities() {
    let project = Project::new();
    let list = r#"- apiVersion: openslo/v1
  kind: Service
  metadata: {name: api}
- apiVersion: openslo/v1
  kind: SLO
  metadata: {name: availability}
  spec:
    service: api
    indicator:
      metadata: {name: ok}
      spec:
        ratioMetric:
          counter: true
          good: {metricSource: {type: Prometheus, spec: {query: 'http_requests_total{code!~"5.."}'}}}
          total: {metricSource: {type: Prometheus, spec: {query: http_requests_total}}}
    timeWindow: [{duration: 28d, isRolling: true}]
    budgetingMethod: Occurrences
    objectives: [{target: 0.999}]
    alertPolicies:
      - kind: AlertPolicy
        metadata: {name: burn}
        spec:
          conditions:
            - kind: AlertCondition
              metadata: {name: fast}
              spec:
                severity: sev1
                condition: {kind: burnrate, op: gte, threshold: 14.4, lookbackWindow: 1h}
            - kind: AlertCondition
              metadata: {name: slow}
              spec:
                severity: warning
                condition: {kind: burnrate, op: gte, threshold: 1, lookbackWindow: 3d}
"#;
    project.file("specs/slo.yaml", list);
    project.slocc(&["compile", "--no-runbooks"]).expect_code(0);
    let rules = project.read("out/api.rules.yml");
    assert!(
        rules.contains("severity: page") && rules.contains("severity: ticket"),
        "{rules}"
    );
    promtool_ok(project.path(), &["check", "rules", "out/api.rules.yml"]);
    project.file(
        "specs/slo.yaml",
        &list.replace("severity: warning", "severity: sev9"),
    );
    let run = project.slocc(&["check", "--no-runbooks"]);
    run.expect_code(1);
    assert_eq!(run.headlines(), "specs/slo.yaml:8:14: warning[relative-runbook-url]: the alerts of `api` link their runbooks by a relative path, which does not open from a notification\nspecs/slo.yaml:32:27: error[unknown-value]: unknown alert severity `sev9`\n");
}
