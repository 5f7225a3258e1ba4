//! The migration corpus (tests/migration): specs in Sloth's, Pyrra's and OpenSLO's own formats
//! compile together, and on promtool a full outage fires every alert rule of every SLO, while
//! six clean hours before it fire nothing.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::harness::{promtool_ok, Project};

/// Outage start, in minutes: six clean hours first, so slow windows have a baseline.
const T0: u64 = 360;
/// How long after the start every tier has fired: the slowest tier of the corpus needs 0.98 x
/// 0.1% of 3 days of full outage (4.2 minutes), and the longest `for:` is 10 minutes.
const CHECK: u64 = 30;

/// Jobs of request counters (`code="200"` good, `code="500"` bad) and their extra labels.
const COUNTERS: [(&str, &str); 8] = [
    ("sloth-api", ""),
    ("sloth-raw", ""),
    ("sloth-quiet", ""),
    ("sloth-k8s", ""),
    ("pyrra-errors", ",handler=\"/\""),
    ("pyrra-silent", ""),
    ("openslo-shop", ""),
    ("openslo-errors", ""),
];

/// Samples every 30 seconds (the OpenSLO time-slice SLO judges 1-minute slices, which need
/// two scrapes each on Prometheus 3's left-open windows): before the outage the counter grows
/// by `good` a minute, after it by `bad`.
fn series(selector: &str, good: u64, bad: u64) -> String {
    let (good, bad, steps, after) = (good / 2, bad / 2, 2 * T0, 2 * CHECK);
    format!(
        "      - series: '{selector}'\n        values: '0+{good}x{steps} {}+{bad}x{after}'\n",
        good * steps + bad
    )
}

fn input() -> String {
    let mut out = String::new();
    for (job, extra) in COUNTERS {
        out += &series(
            &format!("http_requests_total{{job=\"{job}\",code=\"200\"{extra}}}"),
            100,
            0,
        );
        out += &series(
            &format!("http_requests_total{{job=\"{job}\",code=\"500\"{extra}}}"),
            0,
            100,
        );
    }
    // Latency: fast (under 100ms) before the outage, every request over 1s after it.
    let bucket = |le: &str| {
        format!("http_request_duration_seconds_bucket{{job=\"pyrra-latency\",le=\"{le}\"}}")
    };
    for le in ["0.1", "0.3", "1"] {
        out += &series(&bucket(le), 100, 0);
    }
    out += &series(&bucket("+Inf"), 100, 100);
    out += &series(
        "http_request_duration_seconds_count{job=\"pyrra-latency\"}",
        100,
        100,
    );
    // A queue that stays shallow, then backs up.
    let _ = write!(
        out,
        "      - series: 'queue_depth{{job=\"openslo-queue\"}}'\n        values: '10x{} 1000x{}'\n",
        2 * T0,
        2 * CHECK
    );
    // A probe that succeeds, then fails.
    let _ = write!(
        out,
        "      - series: 'probe_success{{job=\"pyrra-probe\"}}'\n        values: '1x{} 0x{}'\n",
        2 * T0,
        2 * CHECK
    );
    out
}

/// Burn-rate alert rules per SLO (`slo_service/slo_name`) in a rule file; the no-data alert
/// (`absent(...)`) stays quiet through an outage, whose data is there.
fn alert_rules(rules: &str, counts: &mut BTreeMap<(String, String), usize>) {
    let ids = regex::Regex::new(r#"slo_service="([^"]+)", slo_name="([^"]+)""#).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(rules).unwrap();
    for group in doc["groups"].as_sequence().unwrap() {
        for rule in group["rules"].as_sequence().unwrap() {
            let expr = rule.get("alert").and(rule["expr"].as_str());
            if let Some(expr) = expr.filter(|e| !e.starts_with("absent(")) {
                let c = ids.captures(expr).unwrap();
                *counts
                    .entry((c[1].to_string(), c[2].to_string()))
                    .or_default() += 1;
            }
        }
    }
}

#[test]
fn every_peer_spec_compiles_and_its_alerts_fire_on_an_outage() {
    let project = Project::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/migration");
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            project.file(
                &format!("specs/{name}"),
                &std::fs::read_to_string(&path).unwrap(),
            );
        }
    }
    let run = project.slocc(&["compile", "--no-runbooks"]);
    run.expect_code(0);
    let mut counts = BTreeMap::new();
    let mut files = Vec::new();
    for entry in std::fs::read_dir(project.path().join("out")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if name.ends_with(".rules.yml") {
            promtool_ok(project.path(), &["check", "rules", &format!("out/{name}")]);
            alert_rules(&project.read(&format!("out/{name}")), &mut counts);
            files.push(format!("out/{name}"));
        }
    }
    files.sort();
    // Every format is there: 7 services, 14 SLOs, 12 of which alert.
    assert_eq!(files.len(), 7, "{files:?}");
    assert_eq!(counts.len(), 12, "{counts:?}");
    let mut checks = String::from(
        "      - expr: 'count(ALERTS{alertstate=\"firing\"})'\n        eval_time: 359m\n        exp_samples: []\n",
    );
    let _ = write!(
        checks,
        "      - expr: 'count by (slo_service, slo_name) (ALERTS{{alertstate=\"firing\"}})'\n        eval_time: {}m\n        exp_samples:\n",
        T0 + CHECK
    );
    for ((service, slo), n) in &counts {
        let _ = write!(
            checks,
            "          - labels: '{{slo_service=\"{service}\", slo_name=\"{slo}\"}}'\n            value: {n}\n"
        );
    }
    let test = format!(
        "rule_files: [{}]\nevaluation_interval: 1m\ntests:\n  - interval: 30s\n    input_series:\n{}    promql_expr_test:\n{checks}",
        files.join(", "),
        input()
    );
    project.file("outage.test.yml", &test);
    promtool_ok(project.path(), &["test", "rules", "outage.test.yml"]);
}
