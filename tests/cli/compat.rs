//! `--compat sloth`: slocc's output carries Sloth's series, labels and alert layout, compared
//! with a Sloth-generated file (tests/fixtures, written in Sloth's published format), and its
//! alerts proven on promtool.

use std::collections::{BTreeMap, BTreeSet};

use crate::harness::{promtool_ok, Project};

type Labels = BTreeMap<String, String>;

/// Labels slocc's Sloth-shaped alerts add to Sloth's (documented in docs/imports.md).
const EXTRA_ALERT_LABELS: [&str; 2] = ["slo_service", "slo_name"];
/// Annotations slocc's Sloth-shaped alerts add.
const EXTRA_ANNOTATIONS: [&str; 2] = ["runbook_url", "response"];

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

fn labels(value: &serde_yaml::Value) -> Labels {
    serde_yaml::from_value(value.clone()).unwrap_or_default()
}

/// Every Sloth-named rule: (group, kind and name, labels of the series or alert). A record
/// whose rule sets only `sloth_window` (Sloth's period SLI) has the labels of the 5m series it
/// is computed from; `sloth_version` names the generator and is left out.
fn sloth_rules(text: &str) -> BTreeSet<(String, String, Labels)> {
    let doc: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
    let mut out = BTreeSet::new();
    for group in doc["groups"].as_sequence().unwrap() {
        let name = group["name"].as_str().unwrap();
        if !name.starts_with("sloth-slo-") {
            continue;
        }
        let rules = group["rules"].as_sequence().unwrap();
        let base = rules
            .iter()
            .find(|r| r["record"] == "slo:sli_error:ratio_rate5m")
            .map(|r| labels(&r["labels"]));
        for rule in rules {
            let mut l = labels(&rule["labels"]);
            if l.len() == 1 && l.contains_key("sloth_window") {
                let window = l["sloth_window"].clone();
                l = base.clone().unwrap();
                l.insert("sloth_window".into(), window);
            }
            l.remove("sloth_version");
            let kind = match (rule.get("record"), rule.get("alert")) {
                (Some(r), _) => format!("record {}", r.as_str().unwrap()),
                (_, Some(a)) => {
                    let keys: Vec<String> = labels(&rule["annotations"])
                        .into_keys()
                        .filter(|k| !EXTRA_ANNOTATIONS.contains(&k.as_str()))
                        .collect();
                    format!("alert {} annotations {keys:?}", a.as_str().unwrap())
                }
                _ => unreachable!(),
            };
            for extra in EXTRA_ALERT_LABELS {
                l.remove(extra);
            }
            out.insert((name.to_string(), kind, l));
        }
    }
    out
}

/// (severity, window, factor) of every comparison in the alerts' expressions.
fn thresholds(text: &str) -> BTreeSet<(String, String, String)> {
    let doc: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
    let side =
        regex::Regex::new(r"ratio_rate(\w+)(\{[^}]*\})? > \(([0-9.]+) \* ([0-9.]+)\)").unwrap();
    let mut out = BTreeSet::new();
    for group in doc["groups"].as_sequence().unwrap() {
        for rule in group["rules"].as_sequence().unwrap() {
            let Some(severity) = rule["labels"]["sloth_severity"].as_str() else {
                continue;
            };
            for c in side.captures_iter(rule["expr"].as_str().unwrap()) {
                let budget: f64 = c[4].parse().unwrap();
                assert!((budget - 0.001).abs() < 1e-12, "{}", &c[0]);
                out.insert((severity.to_string(), c[1].to_string(), c[3].to_string()));
            }
        }
    }
    out
}

fn compiled() -> Project {
    let project = Project::new();
    project.file("specs/sloth.yaml", &fixture("sloth-getting-started.yaml"));
    project
        .slocc(&["compile", "--compat", "sloth", "--no-runbooks"])
        .expect_code(0);
    project
}

#[test]
fn sloth_compat_output_has_sloths_series_labels_and_alerts() {
    let project = compiled();
    let ours = project.read("out/myservice.rules.yml");
    promtool_ok(
        project.path(),
        &["check", "rules", "out/myservice.rules.yml"],
    );
    let theirs = fixture("sloth-getting-started.rules.yml");
    let (a, b) = (sloth_rules(&theirs), sloth_rules(&ours));
    assert_eq!(a.len(), 17, "8 SLI series, 7 metadata series, 2 alerts");
    assert_eq!(
        a.difference(&b).collect::<Vec<_>>(),
        Vec::<&(String, String, Labels)>::new(),
        "missing from slocc"
    );
    assert_eq!(
        b.difference(&a).collect::<Vec<_>>(),
        Vec::<&(String, String, Labels)>::new(),
        "not in Sloth's output"
    );
    assert_eq!(thresholds(&theirs), thresholds(&ours));
    assert_eq!(thresholds(&ours).len(), 8);
    // slocc's own alerts are replaced (nothing pages twice); its recordings stay.
    assert!(!ours.contains(
        "alert: MyServiceHighErrorRate\n    expr: |-\n      slo:sli_error:ratio_rate1h{slo_service"
    ));
    assert_eq!(ours.matches("- alert: ").count(), 2, "{ours}");
    assert!(ours.contains("name: slocc-myservice-requests-availability-period"));
}

/// A promtool scenario over the Sloth-shaped rules: clean history, then `phase`.
fn scenario(project: &Project, name: &str, bad_per_minute: f64, checks: &str) {
    let total = 1_000.0;
    let good = total - bad_per_minute;
    let warmup = 360;
    let text = format!(
        "rule_files: [out/myservice.rules.yml]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n      - series: 'http_requests_total{{job=\"myservice\",code=\"200\"}}'\n        values: '0+{total}x{warmup} {}+{good}x720'\n      - series: 'http_requests_total{{job=\"myservice\",code=\"500\"}}'\n        values: '0+0x{warmup} {bad_per_minute}+{bad_per_minute}x720'\n    promql_expr_test:\n{checks}",
        total * warmup as f64 + good,
    );
    project.file(&format!("{name}.test.yml"), &text);
    promtool_ok(
        project.path(),
        &["test", "rules", &format!("{name}.test.yml")],
    );
}

fn firing(severity: &str, minute: u64, firing: bool) -> String {
    let expr = format!(
        "count(ALERTS{{alertname=\"MyServiceHighErrorRate\",sloth_severity=\"{severity}\",alertstate=\"firing\",slo_service=\"myservice\"}})"
    );
    let samples = if firing {
        "\n          - labels: '{}'\n            value: 1"
    } else {
        " []"
    };
    format!("      - expr: '{expr}'\n        eval_time: {minute}m\n        exp_samples:{samples}\n")
}

#[test]
fn sloth_shaped_alerts_fire_as_the_policy_says() {
    let project = compiled();
    // Full outage at minute 360: the 14.4x pair needs 0.0144 of the last hour bad (52 s), so the
    // page fires within 3 minutes; the 3x ticket pair needs 4.3 minutes of it in the last day.
    let checks = [
        firing("page", 359, false),
        firing("page", 363, true),
        firing("ticket", 359, false),
        firing("ticket", 370, true),
    ]
    .concat();
    scenario(&project, "outage", 1_000.0, &checks);
    // A steady 2x burn (0.2% errors): the 1x ticket pair fires (6h and 3d windows above 0.001
    // once the burn dominates them); the 14.4x and 6x page pairs never do.
    let checks = [firing("page", 1_080, false), firing("ticket", 1_080, true)].concat();
    scenario(&project, "steady", 2.0, &checks);
    // The Sloth-named SLI is slocc's own, under Sloth's labels.
    let same = "      - expr: 'count(slo:sli_error:ratio_rate5m{sloth_id=\"myservice-requests-availability\"} - on () slo:sli_error:ratio_rate5m{slo_service=\"myservice\"} == 0)'\n        eval_time: 600m\n        exp_samples:\n          - labels: '{}'\n            value: 1\n";
    scenario(&project, "same-sli", 2.0, same);
}

/// Labels slocc's Pyrra-shaped alerts add to Pyrra's (documented in docs/imports.md).
const PYRRA_EXTRA_LABELS: [&str; 3] = ["slo_service", "slo_name", "slo_long_window"];

/// Every rule of the Pyrra-named group: kind and name, `for:`, labels, and the thresholds
/// (window, factor x (1 - target)) an alert compares with.
fn pyrra_rules(text: &str, group: &str) -> BTreeSet<(String, String, Labels, Vec<String>)> {
    let doc: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
    let side = regex::Regex::new(r"burnrate(\w+)\{[^}]*\} > \((\d+) \* \(1-([0-9.]+)\)\)").unwrap();
    let group = doc["groups"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|g| g["name"] == group)
        .unwrap_or_else(|| panic!("no group {group}"));
    let mut out = BTreeSet::new();
    for rule in group["rules"].as_sequence().unwrap() {
        let mut l = labels(&rule["labels"]);
        for extra in PYRRA_EXTRA_LABELS {
            l.remove(extra);
        }
        let (kind, sides) = match (rule.get("record"), rule.get("alert")) {
            (Some(r), _) => (format!("record {}", r.as_str().unwrap()), Vec::new()),
            (_, Some(a)) => {
                let sides = side
                    .captures_iter(rule["expr"].as_str().unwrap())
                    .map(|c| format!("{} {} {}", &c[1], &c[2], &c[3]))
                    .collect();
                (format!("alert {}", a.as_str().unwrap()), sides)
            }
            _ => unreachable!(),
        };
        let for_ = rule["for"].as_str().unwrap_or("").to_string();
        out.insert((format!("{kind} for {for_}"), String::new(), l, sides));
    }
    out
}

#[test]
fn pyrra_compat_output_has_pyrras_series_windows_and_alerts() {
    let project = Project::new();
    project.file("specs/slo.yaml", &fixture("pyrra-http-errors.yaml"));
    project
        .slocc(&["compile", "--compat", "pyrra", "--no-runbooks"])
        .expect_code(0);
    promtool_ok(
        project.path(),
        &["check", "rules", "out/http-errors.rules.yml"],
    );
    let ours = project.read("out/http-errors.rules.yml");
    let theirs = pyrra_rules(&fixture("pyrra-http-errors.rules.yml"), "http-errors");
    let mine: BTreeSet<_> = pyrra_rules(&ours, "http-errors")
        .into_iter()
        .filter(|r| !r.0.starts_with("record pyrra_"))
        .collect();
    assert_eq!(theirs.len(), 11);
    assert_eq!(
        theirs.difference(&mine).collect::<Vec<_>>(),
        Vec::<&(String, String, Labels, Vec<String>)>::new(),
        "missing from slocc"
    );
    assert_eq!(
        mine.difference(&theirs).collect::<Vec<_>>(),
        Vec::<&(String, String, Labels, Vec<String>)>::new(),
        "not in Pyrra's output"
    );
    // Pyrra's generic series are there too, and slocc's own alerts are not.
    for name in [
        "pyrra_objective",
        "pyrra_window",
        "pyrra_availability",
        "pyrra_requests:rate5m",
        "pyrra_errors:rate5m",
    ] {
        assert!(ours.contains(&format!("- record: {name}\n")), "{name}");
    }
    assert_eq!(ours.matches("- alert: ").count(), 4, "{ours}");
}

#[test]
fn pyrra_shaped_alerts_fire_as_pyrra_would() {
    let project = Project::new();
    project.file("specs/slo.yaml", &fixture("pyrra-http-errors.yaml"));
    project
        .slocc(&["compile", "--compat", "pyrra", "--no-runbooks"])
        .expect_code(0);
    let alert = |severity: &str, long: &str, minute: u64, firing: bool| {
        let expr = format!("count(ALERTS{{alertname=\"ErrorBudgetBurn\",slo=\"http-errors\",severity=\"{severity}\",long=\"{long}\",alertstate=\"firing\"}})");
        let samples = if firing {
            "\n          - labels: '{}'\n            value: 1"
        } else {
            " []"
        };
        format!(
            "      - expr: '{expr}'\n        eval_time: {minute}m\n        exp_samples:{samples}\n"
        )
    };
    let run = |name: &str, bad: f64, checks: String| {
        let text = format!(
            "rule_files: [out/http-errors.rules.yml]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n      - series: 'http_requests_total{{job=\"api\",code=\"200\"}}'\n        values: '0+1000x360 {}+{}x720'\n      - series: 'http_requests_total{{job=\"api\",code=\"500\"}}'\n        values: '0+0x360 {bad}+{bad}x720'\n    promql_expr_test:\n{checks}",
            360_000.0 + 1_000.0 - bad,
            1_000.0 - bad
        );
        project.file(&format!("{name}.test.yml"), &text);
        promtool_ok(
            project.path(),
            &["test", "rules", &format!("{name}.test.yml")],
        );
    };
    // Full outage at minute 360: the 14x pair (0.14 over 1h: 8.4 minutes) holds for its 2m
    // `for:`, so the critical 1h alert fires by minute 360 + 9 + 2 and not before 360 + 8.
    run(
        "outage",
        1_000.0,
        [
            alert("critical", "1h", 367, false),
            alert("critical", "1h", 372, true),
        ]
        .concat(),
    );
    // A steady 1.8x burn (1.8% errors) after 6h clean: the 4d window (all 18h of data) reads
    // 1.2% from minute 810 on, above the factor-1 threshold (1%), and the alert fires once its
    // 3h `for:` has passed (minute 990); the 2x pair (2% over 2h and 1d) and the critical pairs
    // stay quiet.
    run(
        "steady",
        18.0,
        [
            alert("warning", "4d", 1_080, true),
            alert("critical", "1h", 1_080, false),
            alert("warning", "1d", 1_080, false),
        ]
        .concat(),
    );
}

#[test]
fn a_spec_may_ask_for_compat_output_and_the_command_line_overrides_it() {
    let project = Project::new();
    let spec = "apiVersion: slocc/v1\nservice: api\nrunbook_base_url: https://r.example.com\ncompat: sloth\nslos:\n  - name: availability\n    objective: 99.9\n    sli:\n      ratio:\n        errors: sum(rate(http_requests_total{job=\"api\", code=\"500\"}[{{window}}]))\n        total: sum(rate(http_requests_total{job=\"api\"}[{{window}}]))\n";
    project.file("specs/api.yaml", spec);
    project.slocc(&["compile", "--no-runbooks"]).expect_code(0);
    assert!(project
        .read("out/api.rules.yml")
        .contains("name: sloth-slo-alerts-api-availability"));
    project
        .slocc(&["compile", "--no-runbooks", "--compat", "pyrra"])
        .expect_code(0);
    let rules = project.read("out/api.rules.yml");
    assert!(
        !rules.contains("sloth-slo-") && rules.contains("http_requests:burnrate1h"),
        "{rules}"
    );
    project.file(
        "specs/api.yaml",
        &spec.replace("compat: sloth", "compat: nagios"),
    );
    let run = project.slocc(&["check", "--no-runbooks"]);
    run.expect_code(1);
    assert!(
        run.headlines()
            .contains("specs/api.yaml:4:9: error[unknown-key]: unknown `compat` value `nagios`"),
        "{}",
        run.stderr
    );
}
