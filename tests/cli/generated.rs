//! Accepted implies valid: specs generated with hostile text wherever users write text (names,
//! labels, annotations, descriptions, owners, runbook steps, URLs) are either refused by
//! `slocc check` or compile, for every target, to files their real loaders accept: promtool
//! (Prometheus and the operator's, Mimir's and Thanos's groups), `vmalert -dryRun`, `amtool
//! check-config`, and Grafana's own dashboard types.

use crate::harness::{vmalert_ok, Project};

/// Text users write, and text that has broken an output format before.
const HOSTILE: &[&str] = &[
    "plain",
    "{{ $labels.job }}",
    "{{",
    "}}",
    "{{ \"{{\" }}",
    "$value",
    "a \"quoted\" 'word'",
    "line\nbreak",
    "carriage\rreturn",
    "# heading",
    "- item",
    "1. first",
    "key: value",
    "`code` and ```fence```",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[link](javascript:alert(1))",
    "back\\slash",
    "tab\there",
    "  leading spaces",
    "ünïcödé ✓ 日本",
    "%s %d %!",
    "&amp; &lt;",
    "| pipe |",
    "*star* _under_",
    "\u{1b}[31mred",
    "!!str",
    "~/.ssh",
];

/// xorshift64*: a fixed sequence of choices, so a failure names a reproducible spec.
struct Choices(u64);

impl Choices {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn text(&mut self) -> String {
        let n = 1 + self.next() % 2;
        (0..n)
            .map(|_| HOSTILE[(self.next() % HOSTILE.len() as u64) as usize])
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// One service spec, as YAML built from a value so that every text is exactly what the spec
/// says (serde_yaml quotes what needs quoting).
fn spec(i: usize, c: &mut Choices) -> String {
    use serde_yaml::{Mapping, Value};
    let text = |c: &mut Choices| Value::String(c.text());
    let mut alerting = Mapping::new();
    alerting.insert("name".into(), text(c));
    let mut labels = Mapping::new();
    labels.insert("note".into(), text(c));
    alerting.insert("labels".into(), Value::Mapping(labels));
    let mut annotations = Mapping::new();
    annotations.insert("hint".into(), text(c));
    alerting.insert("annotations".into(), Value::Mapping(annotations));
    let sli = if c.chance(50) {
        serde_yaml::from_str(r#"{ratio: {errors: 'sum(rate(http_requests_total{code=~"5.."}[{{window}}]))', total: 'sum(rate(http_requests_total[{{window}}]))'}}"#).unwrap()
    } else {
        serde_yaml::from_str(r#"{latency: {metric: http_request_duration_seconds, selector: '{job="api"}', threshold: 300ms}}"#).unwrap()
    };
    let mut slo = Mapping::new();
    slo.insert("name".into(), "availability".into());
    slo.insert("objective".into(), Value::from(99.9));
    slo.insert("description".into(), text(c));
    slo.insert("sli".into(), sli);
    slo.insert("alerting".into(), Value::Mapping(alerting));
    let mut step = Mapping::new();
    step.insert("title".into(), text(c));
    step.insert("command".into(), text(c));
    let mut runbook = Mapping::new();
    runbook.insert(
        "diagnosis".into(),
        Value::Sequence(vec![Value::Mapping(step)]),
    );
    let mut service_labels = Mapping::new();
    service_labels.insert("team".into(), text(c));
    let mut doc = Mapping::new();
    doc.insert("apiVersion".into(), "slocc/v1".into());
    doc.insert("service".into(), format!("svc{i:02}").into());
    doc.insert("owner".into(), text(c));
    doc.insert("escalation".into(), text(c));
    let base = if c.chance(80) {
        "https://runbooks.example.com/".to_string()
    } else {
        c.text()
    };
    doc.insert("runbook_base_url".into(), base.into());
    doc.insert("labels".into(), Value::Mapping(service_labels));
    doc.insert("runbook".into(), Value::Mapping(runbook));
    doc.insert("slos".into(), Value::Sequence(vec![Value::Mapping(slo)]));
    serde_yaml::to_string(&doc).unwrap()
}

/// The files under `dir` whose names end with `suffix`, relative to the project.
fn files(project: &Project, dir: &str, suffix: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(project.path().join(dir))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(suffix))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    out.sort();
    out
}

#[test]
fn every_accepted_generated_spec_loads_on_every_real_engine() {
    let project = Project::new();
    let mut c = Choices(0x5eed_5105_cc00_0001);
    let mut accepted = 0;
    for i in 0..40 {
        let text = spec(i, &mut c);
        project.file("try/spec.yaml", &text);
        let run = project.slocc(&["check", "--no-runbooks", "try"]);
        assert!(
            matches!(run.code, 0 | 1),
            "spec {i} crashed:\n{text}\n{}",
            run.stderr
        );
        if run.code == 0 {
            project.file(&format!("specs/svc{i:02}.yaml"), &text);
            accepted += 1;
        }
    }
    assert!(
        accepted >= 25,
        "only {accepted} of 40 generated specs were accepted"
    );
    println!("{accepted} of 40 generated specs accepted");
    for target in [
        "prometheus",
        "prometheus-operator",
        "mimir",
        "thanos",
        "vmalert",
    ] {
        let out = format!("out-{target}");
        let mut args = vec!["compile", "--target", target, "-o", &out, "--no-runbooks"];
        if target == "mimir" {
            // Thirty-odd services are more groups than one tenant holds by default.
            args.extend(["--mimir-max-groups", "0"]);
        }
        project.slocc(&args).expect_code(0);
        let rules = files(&project, &out, ".rules.yml");
        assert_eq!(rules.len(), accepted, "{target}");
        for file in &rules {
            if target == "vmalert" {
                vmalert_ok(project.path(), file);
                continue;
            }
            // Each engine's wrapper around the groups, unwrapped for promtool.
            let doc: serde_yaml::Value = serde_yaml::from_str(&project.read(file)).unwrap();
            let groups = match target {
                "prometheus-operator" => &doc["spec"]["groups"],
                _ => &doc["groups"],
            };
            let strip: &[&str] = if target == "thanos" {
                &["partial_response_strategy"]
            } else {
                &[]
            };
            let name = file.replace('/', "_");
            crate::targets::promtool_check_groups(&project, &name, groups, strip);
        }
    }
    project.slocc(&["compile"]).expect_code(0);
    crate::alertmanager::check_config(&project.path().join("out/alertmanager/alertmanager.yml"));
    let dashboards: Vec<(String, String)> = files(&project, "out/dashboards/services", ".json")
        .into_iter()
        .chain(["out/dashboards/overview.json".to_string()])
        .map(|f| (f.clone(), project.read(&f)))
        .collect();
    assert_eq!(
        crate::dashboards::grafana_type_errors(&dashboards),
        "",
        "every dashboard is a Grafana dashboard"
    );
}
