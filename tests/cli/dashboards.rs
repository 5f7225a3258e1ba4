//! Dashboards: valid against Grafana's own schema, laid out without overlaps, and reading only
//! series that exist.

use std::collections::BTreeSet;

use promql_parser::parser::{self, Expr};

use crate::harness::Project;

fn compiled() -> Project {
    let project = crate::commands::bundled();
    project.slocc(&["compile"]).expect_code(0);
    project
}

fn dashboards(project: &Project) -> Vec<(String, serde_json::Value)> {
    let mut out = Vec::new();
    for name in [
        "checkout-api",
        "order-consumer",
        "nightly-billing",
        "reference-api",
    ] {
        let path = format!("out/dashboards/services/{name}.json");
        out.push((
            path.clone(),
            serde_json::from_str(&project.read(&path)).unwrap(),
        ));
    }
    let path = "out/dashboards/overview.json".to_string();
    out.push((
        path.clone(),
        serde_json::from_str(&project.read(&path)).unwrap(),
    ));
    out
}

/// Grafana's own dashboard types, from the `@grafana/schema` npm package that `scripts/test`
/// installs (pinned in `tests/grafana/package-lock.json`).
const GRAFANA_TYPES: &str =
    "tests/grafana/node_modules/@grafana/schema/dist/types/raw/dashboard/x/types.gen";
const TSC: &str = "tests/grafana/node_modules/typescript/bin/tsc";

/// Type-checks each `(name, JSON)` as Grafana's `Dashboard` with the TypeScript compiler; returns
/// the compiler's complaints (empty when every dashboard is valid).
pub(crate) fn grafana_type_errors(dashboards: &[(String, String)]) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let tsc = root.join(TSC);
    assert!(
        tsc.is_file() && root.join(format!("{GRAFANA_TYPES}.d.ts")).is_file(),
        "Grafana's dashboard types are not installed: run `scripts/test` (it runs \
         `npm ci --prefix tests/grafana`, needing Node.js and npm)"
    );
    let dir = tempfile::tempdir().unwrap();
    // JSON cannot name a TypeScript enum, so each enum type is checked as its literal values;
    // everything else (required fields, unknown properties, value types) is Grafana's type as is.
    let prelude = format!(
        "import type {{ Dashboard }} from {:?};\n\
         type Json<T> = T extends string ? `${{T}}` : T extends number | boolean | null | undefined ? T\n\
           : T extends ReadonlyArray<infer U> ? Array<Json<U>> : {{ [K in keyof T]: Json<T[K]> }};\n",
        root.join(GRAFANA_TYPES).display().to_string()
    );
    let mut files = Vec::new();
    for (i, (name, json)) in dashboards.iter().enumerate() {
        let file = dir
            .path()
            .join(format!("{}.ts", name.replace(['/', '.'], "_")));
        let text = format!("{prelude}export const dashboard{i}: Json<Dashboard> = {json};\n");
        std::fs::write(&file, text).unwrap();
        files.push(file);
    }
    let output = std::process::Command::new("node")
        .arg(&tsc)
        .args(["--noEmit", "--strict", "--pretty", "false"])
        .args(&files)
        .output()
        .expect("run node (Node.js is needed for Grafana's dashboard types; scripts/test says so)");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.success(), text.is_empty(), "tsc: {text}");
    text
}

#[test]
fn every_dashboard_type_checks_as_grafanas_own_dashboard_model() {
    // The check bites: an unknown property, a mistyped enum and a missing required field fail.
    let bad = [
        (
            "unknown",
            r#"{"schemaVersion": 41, "bogus": 1}"#,
            "'\"bogus\"' does not exist",
        ),
        (
            "enum",
            r#"{"schemaVersion": 41, "panels": [{"type": "stat", "fieldConfig": {"defaults": {"thresholds": {"mode": "absolutely", "steps": []}}, "overrides": []}}]}"#,
            "'\"absolutely\"' is not assignable",
        ),
        (
            "required",
            r#"{"schemaVersion": 41, "panels": [{"type": "stat", "gridPos": {"x": 0, "y": 0, "w": 1}}]}"#,
            "Property 'h' is missing",
        ),
    ];
    for (name, json, complaint) in bad {
        let errors = grafana_type_errors(&[(name.to_string(), json.to_string())]);
        assert!(errors.contains(complaint), "{name}: {errors}");
    }
    let project = compiled();
    let all: Vec<(String, String)> = dashboards(&project)
        .into_iter()
        .map(|(path, value)| (path, value.to_string()))
        .collect();
    assert_eq!(grafana_type_errors(&all), "");
    for (path, dashboard) in dashboards(&project) {
        let version = dashboard["schemaVersion"].as_u64().unwrap();
        assert!((41..=42).contains(&version), "{path}");
        assert_eq!(dashboard["templating"]["list"][0]["type"], "datasource");
        assert!(dashboard["annotations"]["list"].is_array(), "{path}");
    }
}

#[test]
fn panels_never_overlap_and_stay_on_the_grid() {
    let project = compiled();
    for (path, dashboard) in dashboards(&project) {
        let mut cells = BTreeSet::new();
        let mut ids = BTreeSet::new();
        for panel in dashboard["panels"].as_array().unwrap() {
            assert!(
                ids.insert(panel["id"].as_u64().unwrap()),
                "{path}: duplicate id"
            );
            let g = &panel["gridPos"];
            let (x, y, w, h) = (
                g["x"].as_u64().unwrap(),
                g["y"].as_u64().unwrap(),
                g["w"].as_u64().unwrap(),
                g["h"].as_u64().unwrap(),
            );
            assert!(x + w <= 24 && w > 0 && h > 0, "{path}: {g}");
            for cx in x..x + w {
                for cy in y..y + h {
                    assert!(
                        cells.insert((cx, cy)),
                        "{path}: panel {} overlaps at {cx},{cy}",
                        panel["title"]
                    );
                }
            }
        }
    }
}

/// Metric names a query reads (and `__name__` regexes, as `~regex`).
fn selectors(expr: &Expr, out: &mut Vec<String>) {
    match expr {
        Expr::Aggregate(a) => {
            selectors(&a.expr, out);
            if let Some(p) = &a.param {
                selectors(p, out);
            }
        }
        Expr::Unary(u) => selectors(&u.expr, out),
        Expr::Binary(b) => {
            selectors(&b.lhs, out);
            selectors(&b.rhs, out);
        }
        Expr::Paren(p) => selectors(&p.expr, out),
        Expr::Subquery(s) => selectors(&s.expr, out),
        Expr::VectorSelector(v) => match &v.name {
            Some(name) => out.push(name.clone()),
            None => {
                for m in &v.matchers.matchers {
                    if m.name == "__name__" {
                        out.push(format!("~{}", m.value));
                    }
                }
            }
        },
        Expr::MatrixSelector(m) => selectors(&Expr::VectorSelector(m.vs.clone()), out),
        Expr::Call(c) => c.args.args.iter().for_each(|a| selectors(a, out)),
        _ => {}
    }
}

/// Recorded series plus `ALERTS`, and the specs' own SLI metric names.
fn known_series(project: &Project) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut known: BTreeSet<String> = BTreeSet::from(["ALERTS".to_string()]);
    for entry in std::fs::read_dir(project.path().join("out")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yml") {
            let text = std::fs::read_to_string(path).unwrap();
            known.extend(
                text.lines()
                    .filter_map(|l| l.trim().strip_prefix("- record: "))
                    .map(str::to_string),
            );
        }
    }
    let mut sli_metrics = BTreeSet::new();
    for entry in std::fs::read_dir(project.path().join("specs")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines() {
            // A latency SLI reads its histogram's buckets.
            if let Some(metric) = line.trim().strip_prefix("metric: ") {
                sli_metrics.insert(format!(
                    "{}_bucket",
                    metric.split_whitespace().next().unwrap()
                ));
            }
            for key in [
                "errors: ",
                "good: ",
                "total: ",
                "error_ratio: ",
                "query: ",
                "last_success: ",
            ] {
                if let Some(q) = line.trim().strip_prefix(key) {
                    let q = q.replace("{{window}}", "5m");
                    let mut names = Vec::new();
                    selectors(&parser::parse(&q).unwrap(), &mut names);
                    sli_metrics.extend(names);
                }
            }
        }
    }
    (known, sli_metrics)
}

#[test]
fn every_runbook_query_parses_and_reads_only_series_that_exist() {
    let project = compiled();
    let (known, sli_metrics) = known_series(&project);
    let mut blocks = 0;
    for (service, slo) in [
        ("checkout-api", "availability"),
        ("checkout-api", "latency"),
        ("order-consumer", "processing"),
        ("nightly-billing", "run-success"),
        ("nightly-billing", "invoice-export-freshness"),
        ("reference-api", "upstream-errors"),
    ] {
        let text = project.read(&format!("runbooks/{service}/{slo}.md"));
        for block in text.split("```promql\n").skip(1) {
            // Blocks sit indented inside their numbered step; the fence closes the block.
            let query: String = block
                .lines()
                .take_while(|l| l.trim() != "```")
                .map(|l| l.trim_start().to_string() + "\n")
                .collect();
            let query = query.as_str();
            let parsed =
                parser::parse(query).unwrap_or_else(|e| panic!("{service}/{slo}: `{query}`: {e}"));
            let mut names = Vec::new();
            selectors(&parsed, &mut names);
            for name in names {
                // A `__name__` regular expression must match recorded series.
                let matched = name.strip_prefix('~').is_some_and(|re| {
                    let re = regex::Regex::new(&format!("^(?:{re})$")).unwrap();
                    known.iter().filter(|k| re.is_match(k)).count() >= 2
                });
                assert!(
                    matched || known.contains(&name) || sli_metrics.contains(&name),
                    "{service}/{slo}: `{query}` reads `{name}`"
                );
            }
            blocks += 1;
        }
    }
    assert!(blocks >= 35, "only {blocks} runbook queries checked");
}

#[test]
fn every_panel_query_parses_and_reads_only_series_that_exist() {
    let project = compiled();
    // What the generated rules record, plus ALERTS (written by the generated alert rules), and
    // the specs' own SLI metrics (read by the error breakdown panels).
    let (known, sli_metrics) = known_series(&project);
    assert!(sli_metrics.contains("http_requests_total"));
    let mut checked = 0;
    for (path, dashboard) in dashboards(&project) {
        for panel in dashboard["panels"].as_array().unwrap() {
            for target in panel["targets"].as_array().into_iter().flatten() {
                let expr = target["expr"].as_str().unwrap();
                let parsed =
                    parser::parse(expr).unwrap_or_else(|e| panic!("{path}: `{expr}`: {e}"));
                let mut names = Vec::new();
                selectors(&parsed, &mut names);
                assert!(!names.is_empty(), "{path}: `{expr}` reads no series");
                for name in names {
                    if let Some(regex) = name.strip_prefix('~') {
                        let re = regex_lite(regex);
                        let matching: Vec<&String> = known.iter().filter(|k| re(k)).collect();
                        assert!(
                            !matching.is_empty(),
                            "{path}: `{expr}` matches no recorded series"
                        );
                    } else {
                        assert!(
                            known.contains(&name) || sli_metrics.contains(&name),
                            "{path}: `{expr}` reads `{name}`, which nothing records"
                        );
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 50, "only {checked} selectors checked");
}

/// The one regex shape dashboards use: a literal prefix followed by `.+`.
fn regex_lite(regex: &str) -> impl Fn(&str) -> bool + '_ {
    let prefix = regex
        .strip_suffix(".+")
        .expect("dashboards use `prefix.+` name regexes");
    move |name: &str| name.len() > prefix.len() && name.starts_with(prefix)
}

#[test]
fn dashboard_snapshot() {
    let project = compiled();
    insta::assert_snapshot!(
        "checkout_api_dashboard",
        project.read("out/dashboards/services/checkout-api.json")
    );
}
