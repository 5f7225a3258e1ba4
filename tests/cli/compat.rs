//! `--compat sloth` against the real Sloth (v0.16.0, built by `scripts/tools`) as the oracle:
//! for a corpus of Sloth specs the project writes, `sloth validate` and `slocc check` agree,
//! every series and alert `sloth generate` writes is in slocc's output with its labels, no
//! series is recorded twice, and on promtool (both generations) the same scenarios fire the
//! same alerts at the same minutes for Sloth's rules and for slocc's. `--compat pyrra` is
//! compared with a file in Pyrra's published output format.

use std::collections::{BTreeMap, BTreeSet};

use crate::harness::{built_tool, promtool_ok, run_tool, Project};

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

/// Runs the real Sloth in the project; panics with its output unless it succeeds.
fn sloth(project: &Project, args: &[&str]) -> String {
    let (ok, text) = run_tool(&built_tool("sloth"), args, project.path());
    assert!(ok, "sloth {args:?} failed:\n{text}");
    text
}

/// Every series and alert a rule file writes: (kind and name, labels). A record whose rule sets
/// only `sloth_window` (Sloth's longer windows, computed from its 5m series) has the labels of
/// that 5m series; `sloth_version` names the generator and is left out.
fn rules(text: &str) -> Vec<(String, Labels)> {
    let doc: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
    let mut out = Vec::new();
    for group in doc["groups"].as_sequence().unwrap() {
        let rules = group["rules"].as_sequence().unwrap();
        let base = rules
            .iter()
            .find(|r| r["record"] == "slo:sli_error:ratio_rate5m")
            .map(|r| labels(&r["labels"]));
        for rule in rules {
            let mut l = labels(&rule["labels"]);
            if let (1, Some(base)) = (l.len(), &base) {
                if let Some(window) = l.remove("sloth_window") {
                    l = base.clone();
                    l.insert("sloth_window".into(), window);
                }
            }
            l.remove("sloth_version");
            let kind = match (rule.get("record"), rule.get("alert")) {
                (Some(r), _) => format!("record {}", r.as_str().unwrap()),
                (_, Some(a)) => {
                    let keys: Vec<String> = labels(&rule["annotations"])
                        .into_keys()
                        .filter(|k| !EXTRA_ANNOTATIONS.contains(&k.as_str()))
                        .collect();
                    for extra in EXTRA_ALERT_LABELS {
                        l.remove(extra);
                    }
                    format!("alert {} annotations {keys:?}", a.as_str().unwrap())
                }
                _ => unreachable!(),
            };
            out.push((kind, l));
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
                out.insert((severity.to_string(), c[1].to_string(), c[3].to_string()));
            }
        }
    }
    out
}

/// Sloth's output and slocc's `--compat sloth` output for `spec`, with the real Sloth's
/// `validate` and slocc's `check` agreeing that it is valid. `extra` are Sloth's flags (a
/// default period, a windows directory), matched by slocc's settings in `specs/`.
fn both(project: &Project, spec: &str, extra: &[&str]) -> (String, String) {
    // Sloth reads its spec alone and the windows catalog from a directory; slocc reads all.
    let mut docs = spec.split("---\n");
    let sloth_spec = docs.next().unwrap();
    for (i, doc) in docs.enumerate() {
        project.file(&format!("specs/extra{i}.yaml"), doc);
        if doc.contains("kind: AlertWindows") {
            project.file("windows/catalog.yaml", doc);
        }
    }
    project.file("specs/sloth.yaml", sloth_spec);
    sloth(project, &["validate", "-i", "specs/sloth.yaml"]);
    project.slocc(&["check", "--no-runbooks"]).expect_code(0);
    let mut args = vec![
        "generate",
        "-i",
        "specs/sloth.yaml",
        "-o",
        "sloth.rules.yml",
    ];
    args.extend_from_slice(extra);
    sloth(project, &args);
    let run = project.slocc(&["compile", "--compat", "sloth", "--no-runbooks"]);
    run.expect_code(0);
    let service = sloth_spec
        .lines()
        .find_map(|l| l.strip_prefix("service: "))
        .unwrap()
        .trim_matches('"');
    let ours = project.read(&format!("out/{service}.rules.yml"));
    promtool_ok(project.path(), &["check", "rules", "sloth.rules.yml"]);
    (project.read("sloth.rules.yml"), ours)
}

/// Every series and alert of Sloth's file is in slocc's with at least its labels (alerts with
/// exactly its labels), and slocc records no Sloth-named series twice.
fn keeps_every_sloth_rule_once(theirs: &str, ours: &str) -> usize {
    let (a, b) = (rules(theirs), rules(ours));
    for (kind, l) in &a {
        let found = b.iter().any(|(k, m)| {
            k == kind
                && if kind.starts_with("alert") {
                    m == l
                } else {
                    l.iter().all(|(key, v)| m.get(key) == Some(v))
                }
        });
        assert!(
            found,
            "{kind} {l:?} from Sloth is missing from slocc's output"
        );
    }
    let sloth_named: BTreeSet<&str> = a.iter().map(|(k, _)| k.as_str()).collect();
    let mut seen = BTreeSet::new();
    for (kind, l) in b.iter().filter(|(k, _)| sloth_named.contains(k.as_str())) {
        let id = (
            kind,
            l.get("sloth_id"),
            l.get("sloth_window"),
            l.get("sloth_severity"),
        );
        assert!(seen.insert(id), "{kind} {l:?} is recorded twice");
    }
    // The same windows and factors; Sloth prints float noise (`5.6000000000000005` for 5.6,
    // `0.0009999999999999432` for the budget), slocc the exact decimals.
    let (x, y) = (thresholds(theirs), thresholds(ours));
    assert_eq!(x.len(), y.len(), "{x:?} {y:?}");
    for ((s1, w1, f1), (s2, w2, f2)) in x.iter().zip(&y) {
        let (f1, f2): (f64, f64) = (f1.parse().unwrap(), f2.parse().unwrap());
        assert!(
            s1 == s2 && w1 == w2 && (f1 - f2).abs() < 1e-12 * f1,
            "{x:?} {y:?}"
        );
    }
    a.len()
}

/// The corpus: Sloth specs the project writes, each with Sloth's flags.
/// Each case: what it is, the spec (then slocc's settings and Sloth's windows catalog, as
/// further documents), and Sloth's flags.
fn corpus() -> Vec<(&'static str, String, Vec<&'static str>)> {
    let base = fixture("sloth-getting-started.yaml");
    let raw = "version: \"prometheus/v1\"\nservice: \"raw\"\nslos:\n  - name: \"ratio\"\n    objective: 99.5\n    sli:\n      raw:\n        error_ratio_query: sum(rate(http_requests_total{job=\"raw\",code=~\"5..\"}[{{.window}}])) / sum(rate(http_requests_total{job=\"raw\"}[{{.window}}]))\n    alerting:\n      name: RawErrors\n      page_alert:\n        labels: {severity: critical}\n      ticket_alert:\n        labels: {severity: warning}\n".to_string();
    let quiet = format!(
        "{}    alerting:\n      page_alert: {{disable: true}}\n      ticket_alert: {{disable: true}}\n",
        &base[..base.find("    alerting:").unwrap()]
    )
    .replace("myservice", "quiet");
    let settings = |window: &str| {
        format!("apiVersion: slocc/v1\nkind: Settings\ndefault_window: {window}\nrunbook_base_url: https://r.example.com\n")
    };
    vec![
        ("ratio with custom labels, 30d", base.clone(), vec![]),
        ("raw error ratio", raw, vec![]),
        ("no alerts", quiet, vec![]),
        (
            "28d by default period",
            base.replace("myservice", "month") + "---\n" + &settings("28d"),
            vec!["--default-slo-period=28d"],
        ),
        (
            "7d with Sloth's AlertWindows catalog",
            base.replace("myservice", "week")
                + "---\n"
                + &settings("7d")
                + "---\n"
                + &fixture("../migration/sloth-windows-7d.yaml"),
            vec![
                "--default-slo-period=7d",
                "--slo-period-windows-path=windows",
            ],
        ),
    ]
}

#[test]
fn sloth_compat_keeps_every_series_and_alert_the_real_sloth_generates_once() {
    for (what, spec, extra) in corpus() {
        let project = Project::new();
        let (theirs, ours) = both(&project, &spec, &extra);
        let count = keeps_every_sloth_rule_once(&theirs, &ours);
        assert!(count >= 15, "{what}: only {count} rules from Sloth");
    }
}

/// A promtool scenario over `rules` (clean history, then `bad_per_minute` of 1,000 requests a
/// minute fail), with `checks`.
fn scenario(project: &Project, rules: &str, warmup: u64, bad_per_minute: f64, checks: &str) {
    let total = 1_000.0;
    let good = total - bad_per_minute;
    let text = format!(
        "rule_files: [{rules}]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n      - series: 'http_requests_total{{job=\"myservice\",code=\"200\"}}'\n        values: '0+{total}x{warmup} {}+{good}x720'\n      - series: 'http_requests_total{{job=\"myservice\",code=\"500\"}}'\n        values: '0+0x{warmup} {bad_per_minute}+{bad_per_minute}x720'\n    promql_expr_test:\n{checks}",
        total * warmup as f64 + good,
    );
    let file = format!(
        "{}-{warmup}-{bad_per_minute}.test.yml",
        rules.replace('/', "-")
    );
    project.file(&file, &text);
    promtool_ok(project.path(), &["test", "rules", &file]);
}

/// The page and ticket of a window pair policy fire between `at - 1` (not yet) and `at + 1`
/// (firing): within one evaluation of `at`, as rules that read series recorded in another
/// group may see an evaluation's values one evaluation late.
fn fires_near(page: u64, ticket: u64) -> String {
    [
        firing("page", page - 1, false),
        firing("page", page + 1, true),
        firing("ticket", ticket - 1, false),
        firing("ticket", ticket + 1, true),
    ]
    .concat()
}

fn firing(severity: &str, minute: u64, firing: bool) -> String {
    let expr = format!(
        "count(ALERTS{{alertname=\"MyServiceHighErrorRate\",sloth_severity=\"{severity}\",alertstate=\"firing\"}})"
    );
    let samples = if firing {
        "\n          - labels: '{}'\n            value: 1"
    } else {
        " []"
    };
    format!("      - expr: '{expr}'\n        eval_time: {minute}m\n        exp_samples:{samples}\n")
}

/// A full outage after three clean days (every window starts clean). After k minutes, k+1 bad
/// minutes are in each window (the first lands at the outage's first sample). Sloth 0.16's
/// windows are raw rates, and so are slocc's under `--compat sloth` (natively, slocc's day-long
/// windows sum its recorded 5m rates), so a tier fires once (k+1)/window exceeds factor x
/// budget: the 14.4x 1h/5m page at once (1/60 > 0.0144), the 3x 1d/2h ticket at 5 bad minutes
/// (4.32 needed). Sloth's alerts and slocc's Sloth-shaped ones both fire within one evaluation
/// of those minutes; slocc's native page too.
#[test]
fn sloth_and_slocc_alerts_fire_within_one_evaluation_of_each_other() {
    let project = Project::new();
    both(&project, &fixture("sloth-getting-started.yaml"), &[]);
    project.file(
        "specs/extra.yaml",
        "apiVersion: slocc/v1\nkind: Settings\nrunbook_base_url: https://r.example.com\n",
    );
    project
        .slocc(&["compile", "--no-runbooks", "-o", "native"])
        .expect_code(0);
    // The series hold `warmup + 1` clean samples: the first bad minute ends at warmup + 1.
    let warmup = 3 * 1_440 + 10;
    let t0 = warmup + 1;
    let fires = |factor: f64, long: f64| {
        (0..)
            .find(|k| (k + 1) as f64 / long > factor * 0.001)
            .unwrap()
    };
    let (page, ticket) = (t0 + fires(14.4, 60.0), t0 + fires(3.0, 1_440.0));
    assert_eq!((page - t0, ticket - t0), (0, 4));
    for rules in ["sloth.rules.yml", "out/myservice.rules.yml"] {
        scenario(&project, rules, warmup, 1_000.0, &fires_near(page, ticket));
    }
    // slocc's native page fires by then too.
    let native = format!(
        "      - expr: 'count(ALERTS{{alertname=\"MyServiceHighErrorRate\",slo_long_window=\"1h\",alertstate=\"firing\"}})'\n        eval_time: {}m\n        exp_samples:\n          - labels: '{{}}'\n            value: 1\n",
        page + 1
    );
    scenario(
        &project,
        "native/myservice.rules.yml",
        warmup,
        1_000.0,
        &native,
    );
    // A steady 2x burn (0.2% errors) after six clean hours: both fire the 1x ticket pair (6h and 3d windows above 0.001 once the burn dominates
    // them) and neither page pair.
    let checks = [firing("page", 1_080, false), firing("ticket", 1_080, true)].concat();
    for rules in ["sloth.rules.yml", "out/myservice.rules.yml"] {
        scenario(&project, rules, 360, 2.0, &checks);
    }
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
    assert_eq!(
        run.headlines(),
        "specs/api.yaml:4:9: error[unknown-value]: unknown `compat` value `nagios`\n"
    );
}

/// `sloth validate` and `slocc check` agree on which Sloth specs are valid, one mistake at a
/// time, but for two documented decisions: Sloth ignores keys it does not know, so a typo (or
/// the camelCase `pageAlert` of its Kubernetes resource in a plain spec) silently drops that
/// part; slocc refuses it at its line (`unknown-key`, with the key it meant).
#[test]
fn sloth_validate_and_slocc_check_agree_but_for_unknown_keys() {
    let base = fixture("sloth-getting-started.yaml");
    let with = |from: &str, to: &str| {
        assert!(base.contains(from), "{from}");
        base.replacen(from, to, 1)
    };
    let cases = [
        ("valid", base.clone(), true, true),
        (
            "objective over 100",
            with("objective: 99.9", "objective: 100.5"),
            false,
            false,
        ),
        (
            "no service",
            with("service: \"myservice\"\n", ""),
            false,
            false,
        ),
        (
            "no window placeholder",
            base.replace("[{{.window}}]", "[5m]"),
            false,
            false,
        ),
        (
            "bad PromQL",
            with(
                "job=\"myservice\"}[{{.window}}]))\n    alerting",
                "job=\"myservice\"[{{.window}}]))\n    alerting",
            ),
            false,
            false,
        ),
        (
            "no alert name",
            with("      name: MyServiceHighErrorRate\n", ""),
            false,
            false,
        ),
        (
            "SLO name with a space",
            with(
                "name: \"requests-availability\"",
                "name: \"requests availability\"",
            ),
            false,
            false,
        ),
        (
            "unknown key",
            with(
                "    objective: 99.9",
                "    objective: 99.9\n    colour: blue",
            ),
            true,
            false,
        ),
        // Both accept it now, and both ignore it (`ignored-key`, a warning).
        (
            "camelCase pageAlert",
            with("page_alert:", "pageAlert:"),
            true,
            true,
        ),
    ];
    for (what, spec, sloth_ok, slocc_ok) in cases {
        let project = Project::new();
        project.file("specs/sloth.yaml", &spec);
        let args = ["validate", "-i", "specs/sloth.yaml"];
        let (ok, said) = run_tool(&built_tool("sloth"), &args, project.path());
        assert_eq!(ok, sloth_ok, "{what}: {said}");
        let run = project.slocc(&["check", "--no-runbooks"]);
        assert_eq!(run.code == 0, slocc_ok, "{what}: {}", run.stderr);
    }
}

/// A Sloth spec file spelling its tiers the CRD's way: Sloth accepts it and ignores the keys
/// (the disabled page still pages); slocc reads it the same way, with a warning at the key.
#[test]
fn crd_spellings_in_a_sloth_file_are_ignored_as_sloth_ignores_them() {
    let project = Project::new();
    let spec = "version: \"prometheus/v1\"\nservice: \"myservice\"\nslos:\n  - name: \"requests\"\n    objective: 99.9\n    sli:\n      events:\n        error_query: sum(rate(http_requests_total{code=~\"5..\"}[{{.window}}]))\n        total_query: sum(rate(http_requests_total[{{.window}}]))\n    alerting:\n      name: MyServiceHighErrorRate\n      pageAlert:\n        disable: true\n      ticketAlert:\n        disable: true\n";
    project.file("specs/sloth.yaml", spec);
    sloth(&project, &["validate", "-i", "specs/sloth.yaml"]);
    sloth(
        &project,
        &[
            "generate",
            "-i",
            "specs/sloth.yaml",
            "-o",
            "sloth.rules.yml",
        ],
    );
    let theirs = rules(&project.read("sloth.rules.yml"));
    let severities = |rules: &[(String, Labels)], key: &str| -> Vec<String> {
        let mut found: Vec<String> = rules
            .iter()
            .filter(|(name, _)| name.starts_with("alert "))
            .filter_map(|(_, l)| l.get(key).cloned())
            .collect();
        found.sort();
        found.dedup();
        found
    };
    assert_eq!(severities(&theirs, "sloth_severity"), ["page", "ticket"]);
    let run = project.slocc(&["compile", "--compat", "sloth", "--no-runbooks"]);
    run.expect_code(0);
    assert!(run.headlines().contains("specs/sloth.yaml:12:7: warning[ignored-key]: `pageAlert` is ignored, as Sloth ignores it: what it sets does not apply\n"), "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "= hint: Sloth reads `ticket_alert` here; rename it for its settings to apply\n"
        ),
        "{}",
        run.stderr
    );
    let ours = rules(&project.read("out/myservice.rules.yml"));
    assert_eq!(severities(&ours, "sloth_severity"), ["page", "ticket"]);
}

/// One service spread over two files, the second with two documents and its own labels: Sloth
/// generates each document on its own, and slocc compiles the service once with every series
/// and alert of each (each SLO with its own document's labels). A name used twice across the
/// documents is `duplicate-slo` at the repeat.
#[test]
fn a_service_spread_over_files_and_documents_compiles_as_sloth_generates_each() {
    let project = Project::new();
    let first = fixture("sloth-getting-started.yaml");
    let other = |name: &str, tier: &str| {
        first
            .replace("requests-availability", name)
            .replace("MyService", &format!("MyService{tier}"))
            .replace("tier: \"2\"", &format!("tier: \"{tier}\""))
            .replace("code=~\"(5..|429)\"", "code=~\"5..\"")
    };
    let second = format!(
        "{}---\n{}",
        other("writes-availability", "1"),
        other("reads-availability", "3")
    );
    project.file("specs/a.yaml", &first);
    project.file("specs/b.yaml", &second);
    let mut groups = Vec::new();
    for (i, doc) in second.split("---\n").chain([first.as_str()]).enumerate() {
        let name = format!("doc{i}.yaml");
        project.file(&name, doc);
        let out = format!("sloth{i}.rules.yml");
        sloth(&project, &["validate", "-i", &name]);
        sloth(&project, &["generate", "-i", &name, "-o", &out]);
        let doc: serde_yaml::Value = serde_yaml::from_str(&project.read(&out)).unwrap();
        groups.extend(doc["groups"].as_sequence().unwrap().iter().cloned());
    }
    let theirs = serde_yaml::to_string(&serde_yaml::Mapping::from_iter([(
        "groups".into(),
        serde_yaml::Value::Sequence(groups),
    )]))
    .unwrap();
    project
        .slocc(&["compile", "--compat", "sloth", "--no-runbooks"])
        .expect_code(0);
    let ours = project.read("out/myservice.rules.yml");
    assert!(
        ours.starts_with("# Generated by slocc from specs/a.yaml, specs/b.yaml."),
        "{ours}"
    );
    let count = keeps_every_sloth_rule_once(&theirs, &ours);
    assert!(count >= 45, "only {count} rules from Sloth");
    let tiers: BTreeSet<(String, String)> = rules(&ours)
        .into_iter()
        .filter_map(|(_, l)| Some((l.get("sloth_slo")?.clone(), l.get("tier")?.clone())))
        .collect();
    let expected = [
        ("reads-availability", "3"),
        ("requests-availability", "2"),
        ("writes-availability", "1"),
    ];
    assert_eq!(
        tiers,
        expected.map(|(s, t)| (s.to_string(), t.to_string())).into()
    );

    project.file("specs/c.yaml", &other("writes-availability", "4"));
    let run = project.slocc(&["check", "--no-runbooks"]);
    run.expect_code(1);
    assert_eq!(
        run.headlines(),
        "specs/c.yaml:8:11: error[duplicate-slo]: the SLO name `writes-availability` is used twice in this service (first on line 8 of another file)\n"
    );
}

/// An OpenSLO v1alpha SLO with two objectives (the shape Sloth's OpenSLO example has): one SLO
/// per objective, named as Sloth names them (`<slo>-0`, `<slo>-1`), each with every series the
/// real Sloth records for it, its objective and its own queries. Sloth writes no alerts for
/// v1alpha; slocc applies its default policy, so only the recorded series are compared.
#[test]
fn a_v1alpha_slo_with_two_objectives_compiles_to_sloths_two_slos() {
    let project = Project::new();
    project.file(
        "specs/slo.yaml",
        &fixture("openslo-v1alpha-two-objectives.yaml"),
    );
    sloth(&project, &["validate", "-i", "specs/slo.yaml"]);
    sloth(
        &project,
        &["generate", "-i", "specs/slo.yaml", "-o", "sloth.rules.yml"],
    );
    let settings =
        "apiVersion: slocc/v1\nkind: Settings\nrunbook_base_url: https://r.example.com\n";
    project.file("specs/settings.yaml", settings);
    project
        .slocc(&["compile", "--compat", "sloth", "--no-runbooks"])
        .expect_code(0);
    let ours = rules(&project.read("out/checkout.rules.yml"));
    let theirs = rules(&project.read("sloth.rules.yml"));
    let records = theirs.iter().filter(|(k, _)| k.starts_with("record "));
    assert!(records.clone().count() >= 30);
    // Sloth's info series names the input (`sloth_mode`, `sloth_spec`); slocc's always says
    // `prometheus/v1` (docs/imports.md).
    let input = ["sloth_mode", "sloth_spec"];
    for (kind, l) in records {
        assert!(
            ours.iter().any(|(k, m)| k == kind
                && l.iter()
                    .all(|(key, v)| input.contains(&key.as_str()) || m.get(key) == Some(v))),
            "{kind} {l:?} from Sloth is missing from slocc's output"
        );
    }
    let objective = |slo: &str| {
        let text = project.read("out/checkout.rules.yml");
        let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        let rule = doc["groups"]
            .as_sequence()
            .unwrap()
            .iter()
            .flat_map(|g| g["rules"].as_sequence().unwrap())
            .find(|r| r["record"] == "slo:objective:ratio" && r["labels"]["sloth_slo"] == slo)
            .cloned()
            .unwrap();
        rule["expr"].as_str().unwrap().trim().to_string()
    };
    assert_eq!(objective("checkout-requests-0"), "vector(0.999)");
    assert_eq!(objective("checkout-requests-1"), "vector(0.95)");
}
