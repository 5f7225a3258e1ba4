//! Alert behaviour proven on Prometheus's own engine: `promtool test rules` scenarios whose
//! expectations are derived here, independently, from the SRE workbook maths.

use std::fmt::Write as _;

use crate::harness::{promtool_ok, Project};

/// Requests per minute in every scenario.
const TRAFFIC: f64 = 1_000.0;
/// Clean history before an incident, so slow windows have a baseline.
const WARMUP_MIN: u64 = 6 * 60;
/// Length of steady-state scenarios.
const STEADY_MIN: u64 = 12 * 60;

/// The workbook's default tiers: (severity, budget %, long minutes, short minutes).
const POLICY: [(&str, f64, f64, f64); 4] = [
    ("page", 2.0, 60.0, 5.0),
    ("page", 5.0, 360.0, 30.0),
    ("ticket", 10.0, 1_440.0, 120.0),
    ("ticket", 10.0, 4_320.0, 360.0),
];

/// Minutes as slocc prints a window: `15m`, `1h30m`, `18h`, `3d`.
fn duration(minutes: f64) -> String {
    let mut rest = minutes as u64;
    let mut out = String::new();
    for (unit, size) in [("d", 1_440), ("h", 60), ("m", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

#[derive(Clone, Copy)]
enum Kind {
    Ratio,
    Latency,
}

/// A case's tiers: `(severity, factor, threshold, long window, short window)`, windows in
/// minutes.
type Tiers = Vec<(&'static str, f64, f64, f64, f64)>;

/// One SLO under test.
struct Case {
    objective: &'static str,
    window_days: u64,
    kind: Kind,
}

impl Case {
    fn budget(&self) -> f64 {
        1.0 - self.objective.parse::<f64>().unwrap() / 100.0
    }

    /// (severity, factor, threshold, long, short) for each tier, from the workbook formula.
    /// From 28 days up the workbook's windows are used as they are; shorter SLO windows scale
    /// the alert windows by window/28d (whole minutes, at least 10m long and 5m short) and
    /// keep the 28-day factors.
    fn tiers(&self) -> Tiers {
        let window_min = self.window_days as f64 * 1_440.0;
        let full_min = 28.0 * 1_440.0;
        POLICY
            .iter()
            .map(|(sev, pct, long, short)| {
                let one_to_one = 30.0 * 1_440.0;
                let (factor, long, short) = if *long == 4_320.0 && window_min > one_to_one {
                    // Past 30 days the slowest tier's windows grow with the SLO window: 1x.
                    let grown = (long * window_min / one_to_one).round();
                    (
                        pct / 100.0 * window_min / grown,
                        grown,
                        (grown / 12.0).round(),
                    )
                } else if window_min >= full_min {
                    (pct / 100.0 * window_min / long, *long, *short)
                } else {
                    let scaled = (long * window_min / full_min).round().max(10.0);
                    let short = (scaled / 12.0).round().max(5.0);
                    (pct / 100.0 * full_min / long, scaled, short)
                };
                (*sev, factor, factor * self.budget(), long, short)
            })
            .filter(|t| t.2 < 1.0)
            .collect()
    }

    fn alert_name(&self) -> &'static str {
        "ScenarioBudgetBurn"
    }

    fn spec(&self) -> String {
        let sli = match self.kind {
            Kind::Ratio => r#"      ratio:
        errors: sum(rate(http_requests_total{job="svc", code=~"5.."}[{{window}}]))
        total: sum(rate(http_requests_total{job="svc"}[{{window}}]))"#
                .to_string(),
            Kind::Latency => r#"      latency:
        metric: http_request_duration_seconds
        selector: '{job="svc"}'
        threshold: 300ms"#
                .to_string(),
        };
        format!(
            r#"apiVersion: slocc/v1
service: svc
labels:
  team: 'say "hi" \ back'
  flag: "yes"
slos:
  - name: scenario
    objective: {}
    window: {}d
    sli:
{sli}
    alerting:
      name: {}
"#,
            self.objective,
            self.window_days,
            self.alert_name()
        )
    }
}

/// A stretch of traffic: minutes, error ratio, requests per minute.
struct Phase {
    minutes: u64,
    error_ratio: f64,
    per_minute: f64,
}

fn phase(minutes: u64, error_ratio: f64) -> Phase {
    Phase {
        minutes,
        error_ratio,
        per_minute: TRAFFIC,
    }
}

/// promtool's expanding notation for a counter growing by `steps` per minute, from 0.
fn counter(steps: &[(u64, f64)]) -> String {
    let mut out = String::from("0");
    let mut value = 0.0_f64;
    for &(minutes, per_minute) in steps {
        if minutes == 0 {
            continue;
        }
        let _ = write!(
            out,
            " {}+{}x{}",
            value + per_minute,
            per_minute,
            minutes - 1
        );
        value += per_minute * minutes as f64;
    }
    out
}

fn input_series(case: &Case, phases: &[Phase]) -> String {
    let good: Vec<(u64, f64)> = phases
        .iter()
        .map(|p| (p.minutes, p.per_minute * (1.0 - p.error_ratio)))
        .collect();
    let bad: Vec<(u64, f64)> = phases
        .iter()
        .map(|p| (p.minutes, p.per_minute * p.error_ratio))
        .collect();
    let all: Vec<(u64, f64)> = phases.iter().map(|p| (p.minutes, p.per_minute)).collect();
    let mut out = String::new();
    let mut series = |selector: &str, values: String| {
        let _ = writeln!(
            out,
            "      - series: '{selector}'\n        values: '{values}'"
        );
    };
    match case.kind {
        Kind::Ratio => {
            series(
                r#"http_requests_total{job="svc",code="200"}"#,
                counter(&good),
            );
            series(
                r#"http_requests_total{job="svc",code="500"}"#,
                counter(&bad),
            );
        }
        Kind::Latency => {
            // Good requests land at or under 100ms; bad ones between 300ms and 1s.
            let bucket = |le: &str| {
                format!(r#"http_request_duration_seconds_bucket{{job="svc",le="{le}"}}"#)
            };
            series(&bucket("0.1"), counter(&good));
            series(&bucket("0.3"), counter(&good));
            series(&bucket("1"), counter(&all));
            series(&bucket("+Inf"), counter(&all));
        }
    }
    out
}

/// One `promql_expr_test` entry; `expected` is `None` for "no result".
fn expr_test(out: &mut String, expr: &str, minute: u64, expected: Option<f64>) {
    let _ = writeln!(out, "      - expr: '{}'", expr.replace('\'', "''"));
    let _ = writeln!(out, "        eval_time: {minute}m");
    match expected {
        None => {
            let _ = writeln!(out, "        exp_samples: []");
        }
        Some(value) => {
            let _ = writeln!(
                out,
                "        exp_samples:\n          - labels: '{{}}'\n            value: {value}"
            );
        }
    }
}

struct Checks<'a> {
    case: &'a Case,
    text: String,
}

impl Checks<'_> {
    fn alerts(&self, severity: &str, state: &str) -> String {
        format!(
            r#"ALERTS{{alertname="{}",severity="{severity}"{state}}}"#,
            self.case.alert_name()
        )
    }

    fn firing_at(&mut self, severity: &str, minute: u64) {
        let expr = format!(
            "clamp_max(count({}), 1)",
            self.alerts(severity, r#",alertstate="firing""#)
        );
        expr_test(&mut self.text, &expr, minute, Some(1.0));
    }

    fn quiet_at(&mut self, severity: &str, minute: u64) {
        let expr = format!(
            "count({})",
            self.alerts(severity, r#",alertstate="firing""#)
        );
        expr_test(&mut self.text, &expr, minute, None);
    }

    /// Not firing, nor even pending, at any evaluation up to `end`.
    fn never(&mut self, severity: &str, end: u64) {
        let expr = format!("count_over_time({}[{end}m])", self.alerts(severity, ""));
        expr_test(&mut self.text, &expr, end, None);
    }

    /// `expr` equals `value` to four decimals (promtool compares floats exactly).
    fn value(&mut self, expr: &str, minute: u64, value: f64) {
        let rounded = (value * 10_000.0).round() / 10_000.0;
        expr_test(
            &mut self.text,
            &format!("round({expr}, 0.0001)"),
            minute,
            Some(rounded),
        );
    }

    /// No sample of any recorded series was NaN at any evaluation up to `end`.
    fn never_nan(&mut self, names: &[String], end: u64) {
        for name in names {
            let expr = format!("count_over_time(({name} != {name})[{end}m:1m])");
            expr_test(&mut self.text, &expr, end, None);
        }
    }
}

/// Writes a promtool test file for `phases` and the checks `add` makes.
fn scenario(
    project: &Project,
    case: &Case,
    name: &str,
    phases: &[Phase],
    add: impl FnOnce(&mut Checks<'_>),
) -> String {
    let mut checks = Checks {
        case,
        text: String::new(),
    };
    add(&mut checks);
    let file = format!("{name}.test.yml");
    let text = format!(
        "# {name}\nrule_files: [out/svc.rules.yml]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n{}    promql_expr_test:\n{}",
        input_series(case, phases),
        checks.text
    );
    project.file(&file, &text);
    file
}

fn recorded_names(rules: &str) -> Vec<String> {
    let mut names: Vec<String> = rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- record: "))
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Builds and runs every scenario for one SLO.
fn prove(case: Case) {
    let project = Project::new();
    project.file("spec.yaml", &case.spec());
    project
        .slocc(&["compile", "spec.yaml", "-o", "out"])
        .expect_code(0);
    let rules = project.read("out/svc.rules.yml");
    promtool_ok(project.path(), &["check", "rules", "out/svc.rules.yml"]);

    let tiers = case.tiers();
    let names = recorded_names(&rules);
    let mut files = vec![full_outage(&project, &case, &tiers)];
    files.extend(steady_burns(&project, &case, &tiers));
    files.push(short_outage(&project, &case, &tiers));
    files.push(zero_traffic(&project, &case, &tiers, &names));
    if matches!(case.kind, Kind::Ratio) {
        files.push(no_error_series(&project, &case, &tiers, &names));
    }
    files.push(labels(&project, &case));

    let mut args = vec!["test", "rules"];
    args.extend(files.iter().map(String::as_str));
    promtool_ok(project.path(), &args);
}

/// A full outage after clean history pages within the fastest page tier's time to fire
/// (threshold x long window): 52 s at 99.9%/30d.
fn full_outage(project: &Project, case: &Case, tiers: &Tiers) -> String {
    let ttf = tiers
        .iter()
        .filter(|t| t.0 == "page")
        .map(|t| t.2 * t.3)
        .fold(f64::INFINITY, f64::min);
    let t0 = WARMUP_MIN;
    scenario(
        project,
        case,
        "full-outage",
        &[phase(t0, 0.0), phase(60, 1.0)],
        |c| {
            c.never("page", t0);
            c.firing_at("page", t0 + ttf.ceil() as u64 + 2);
            if ttf <= 3.0 {
                c.firing_at("page", t0 + 5);
            }
            if ttf > 3.0 {
                c.quiet_at("page", t0 + ttf.floor() as u64 - 2);
            }
        },
    )
}

/// Steady burns: a severity fires when one of its tiers has a factor below the burn rate,
/// and never fires when all of its factors are above it.
fn steady_burns(project: &Project, case: &Case, tiers: &Tiers) -> Vec<String> {
    let budget = case.budget();
    [2.0, 0.8]
        .into_iter()
        .map(|burn| {
            let name = format!("steady-burn-{burn}x");
            scenario(
                project,
                case,
                &name,
                &[phase(STEADY_MIN, burn * budget)],
                |c| {
                    for severity in ["page", "ticket"] {
                        let factors: Vec<f64> = tiers
                            .iter()
                            .filter(|t| t.0 == severity)
                            .map(|t| t.1)
                            .collect();
                        if factors.iter().any(|f| *f < burn / 1.1) {
                            c.firing_at(severity, STEADY_MIN);
                        } else if factors.iter().all(|f| *f > burn * 1.1) {
                            c.never(severity, STEADY_MIN);
                        }
                    }
                    // Event-weighted period SLI: the budget left is 1 - burn over the data seen.
                    let remaining =
                        r#"sum(slo:period_error_budget_remaining:ratio{slo_service="svc"})"#;
                    c.value(remaining, STEADY_MIN, 1.0 - burn);
                },
            )
        })
        .collect()
}

/// A 5-minute full outage, then recovery: every page tier whose threshold the outage crosses
/// fires, and paging stops once the outage leaves the short windows (35 minutes after it
/// began, for the 6h/30m tier).
fn short_outage(project: &Project, case: &Case, tiers: &Tiers) -> String {
    let crossed: Vec<_> = tiers
        .iter()
        .filter(|t| t.0 == "page" && 5.0 / t.3 > t.2 * 1.1)
        .collect();
    let t0 = WARMUP_MIN;
    scenario(
        project,
        case,
        "short-outage",
        &[phase(t0, 0.0), phase(5, 1.0), phase(120, 0.0)],
        |c| {
            if crossed.is_empty() {
                c.never("page", t0 + 125);
            } else {
                c.firing_at("page", t0 + 5);
                let reset = crossed.iter().map(|t| t.4).fold(0.0, f64::max) as u64;
                c.quiet_at("page", t0 + 5 + reset);
                c.quiet_at("page", t0 + 120);
            }
        },
    )
}

/// Zero traffic: nothing fires, ratios read 0 (no NaN anywhere), the whole budget is left.
fn zero_traffic(project: &Project, case: &Case, tiers: &Tiers, names: &[String]) -> String {
    let quiet = Phase {
        minutes: STEADY_MIN,
        error_ratio: 0.0,
        per_minute: 0.0,
    };
    scenario(project, case, "zero-traffic", &[quiet], |c| {
        c.never("page", STEADY_MIN);
        c.never("ticket", STEADY_MIN);
        c.never_nan(names, STEADY_MIN);
        // The fastest and the slowest alert windows read 0, not NaN or nothing.
        for minutes in [tiers[0].3, tiers[tiers.len() - 1].3] {
            let series = format!(
                r#"sum(slo:sli_error:ratio_rate{}{{slo_service="svc"}})"#,
                duration(minutes)
            );
            c.value(&series, STEADY_MIN, 0.0);
        }
        c.value(
            r#"sum(slo:period_error_budget_remaining:ratio{slo_service="svc"})"#,
            STEADY_MIN,
            1.0,
        );
    })
}

/// A healthy service that has never failed has no error series at all: every window (read
/// from the raw series, the recorded ones, or the zero they fall back to) reads 0.
fn no_error_series(project: &Project, case: &Case, tiers: &Tiers, names: &[String]) -> String {
    let healthy = phase(STEADY_MIN, 0.0);
    let file = scenario(project, case, "no-error-series", &[healthy], |c| {
        c.never("page", STEADY_MIN);
        c.never("ticket", STEADY_MIN);
        c.never_nan(names, STEADY_MIN);
        let mut windows: Vec<f64> = tiers.iter().flat_map(|t| [t.3, t.4]).collect();
        windows.sort_by(f64::total_cmp);
        windows.dedup();
        for minutes in windows {
            let series = format!(
                r#"sum(slo:sli_error:ratio_rate{}{{slo_service="svc"}})"#,
                duration(minutes)
            );
            c.value(&series, STEADY_MIN, 0.0);
        }
    });
    let text = project.read(&file);
    let errors = text
        .find(r#"      - series: 'http_requests_total{job="svc",code="500"}'"#)
        .expect("the scenario writes an error series");
    let end = errors + text[errors..].find("\n        values:").unwrap();
    let end = end + 1 + text[end + 1..].find('\n').unwrap() + 1;
    project.file(&file, &format!("{}{}", &text[..errors], &text[end..]));
    file
}

/// Labels with quotes, backslashes and YAML-1.1 words reach the alert exactly as written.
fn labels(project: &Project, case: &Case) -> String {
    let t0 = WARMUP_MIN;
    scenario(
        project,
        case,
        "labels",
        &[phase(t0, 0.0), phase(30, 1.0)],
        |c| {
            let expr = format!(
                r#"clamp_max(count(ALERTS{{alertname="{}",team="say \"hi\" \\ back",flag="yes"}}), 1)"#,
                case.alert_name()
            );
            c.value(&expr, t0 + 30, 1.0);
        },
    )
}

#[test]
fn ratio_99_percent_30d() {
    prove(Case {
        objective: "99",
        window_days: 30,
        kind: Kind::Ratio,
    });
}

#[test]
fn ratio_99_9_percent_30d() {
    prove(Case {
        objective: "99.9",
        window_days: 30,
        kind: Kind::Ratio,
    });
}

#[test]
fn ratio_99_99_percent_30d() {
    prove(Case {
        objective: "99.99",
        window_days: 30,
        kind: Kind::Ratio,
    });
}

#[test]
fn ratio_99_9_percent_28d() {
    prove(Case {
        objective: "99.9",
        window_days: 28,
        kind: Kind::Ratio,
    });
}

#[test]
fn ratio_99_9_percent_7d() {
    prove(Case {
        objective: "99.9",
        window_days: 7,
        kind: Kind::Ratio,
    });
}

#[test]
fn ratio_99_9_percent_90d() {
    prove(Case {
        objective: "99.9",
        window_days: 90,
        kind: Kind::Ratio,
    });
}

/// A 99.9% ratio SLO over `days` and the tiers `slocc explain --format json` gives it.
fn explained_tiers(days: u64) -> (Case, Vec<serde_json::Value>) {
    let case = Case {
        objective: "99.9",
        window_days: days,
        kind: Kind::Ratio,
    };
    let project = Project::new();
    project.file("spec.yaml", &case.spec());
    let run = project.slocc(&["explain", "spec.yaml", "--format", "json"]);
    run.expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    (case, report[0]["tiers"].as_array().unwrap().clone())
}

#[test]
fn no_window_alerts_on_a_burn_well_under_1x_and_pages_need_10x() {
    for days in [1, 7, 14, 28, 30, 90] {
        let (case, tiers) = explained_tiers(days);
        let factors: Vec<f64> = tiers
            .iter()
            .map(|t| t["burn_factor"].as_str().unwrap().parse().unwrap())
            .collect();
        assert!(factors.iter().all(|f| *f > 0.9), "{days}d: {factors:?}");
        // Every burn that empties the budget within the window is caught by the slowest tier.
        assert!(factors[3] <= 1.0 + 1e-12, "{days}d: {factors:?}");
        assert!(factors[0] >= 10.0, "{days}d pages at {}x", factors[0]);
        // The model here agrees with slocc's own tiers.
        let derived: Vec<f64> = case.tiers().iter().map(|t| t.1).collect();
        for (a, b) in factors.iter().zip(&derived) {
            assert!((a - b).abs() < 1e-9, "{days}d: {factors:?} vs {derived:?}");
        }
    }
}

/// The default policy's table in docs/rules.md is what `slocc explain` says for each window.
#[test]
fn the_default_policy_table_in_the_docs_is_the_codes() {
    let mut table = String::from("| window | page (long/short, factor, budget at fire) | page | ticket | ticket |\n|---|---|---|---|---|\n");
    for days in [1, 7, 14, 28, 30, 90] {
        let cells: Vec<String> = explained_tiers(days)
            .1
            .iter()
            .map(|t| {
                let factor: f64 = t["burn_factor"].as_str().unwrap().parse().unwrap();
                let spent = t["budget_spent_at_fire"].as_f64().unwrap();
                format!(
                    "{}/{}, {}x, {}%",
                    t["long_window"].as_str().unwrap(),
                    t["short_window"].as_str().unwrap(),
                    (factor * 1e4).round() / 1e4,
                    (spent * 1e3).round() / 10.0
                )
            })
            .collect();
        table.push_str(&format!("| {days}d | {} |\n", cells.join(" | ")));
    }
    let docs = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md"),
    )
    .unwrap();
    assert!(docs.contains(&table), "docs/rules.md should hold:\n{table}");
}

#[test]
fn latency_99_percent_30d() {
    prove(Case {
        objective: "99",
        window_days: 30,
        kind: Kind::Latency,
    });
}

#[test]
fn latency_99_9_percent_30d() {
    prove(Case {
        objective: "99.9",
        window_days: 30,
        kind: Kind::Latency,
    });
}

/// `slocc explain` and Prometheus's engine agree: for an incident of 5% errors for 2h, every
/// tier starts and stops firing in promtool within one evaluation interval of what explain says.
#[test]
fn explain_agrees_with_promtool() {
    let case = Case {
        objective: "99.9",
        window_days: 30,
        kind: Kind::Ratio,
    };
    let project = Project::new();
    project.file("spec.yaml", &case.spec());
    project
        .slocc(&["compile", "spec.yaml", "-o", "out"])
        .expect_code(0);
    let run = project.slocc(&[
        "explain",
        "spec.yaml",
        "--error-ratio",
        "0.05",
        "--duration",
        "2h",
        "--format",
        "json",
    ]);
    run.expect_code(0);
    let reports: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let outcomes = reports[0]["incident"]["tiers"].as_array().unwrap().clone();
    assert_eq!(outcomes.len(), 4);

    // A full 3d window of clean history, so every window starts clean as explain assumes.
    let t0 = 3 * 1_440 + 10;
    let after = 8 * 60;
    let file = scenario(
        &project,
        &case,
        "explain",
        &[phase(t0, 0.0), phase(120, 0.05), phase(after, 0.0)],
        |c| {
            for outcome in &outcomes {
                let window = outcome["long_window"].as_str().unwrap();
                let firing = format!(
                    r#"count(ALERTS{{alertname="{}",slo_long_window="{window}",alertstate="firing"}})"#,
                    case.alert_name()
                );
                let fires = outcome["fires_at_seconds"]
                    .as_f64()
                    .expect("every tier fires") as u64
                    / 60;
                let stops = outcome["stops_at_seconds"]
                    .as_f64()
                    .expect("every tier stops") as u64
                    / 60;
                // Explain names the first evaluation that fires and the first that no longer does;
                // promtool must agree to within one evaluation interval either side.
                expr_test(&mut c.text, &firing, t0 + fires - 2, None);
                expr_test(
                    &mut c.text,
                    &format!("clamp_max({firing}, 1)"),
                    t0 + fires + 1,
                    Some(1.0),
                );
                expr_test(
                    &mut c.text,
                    &format!("clamp_max({firing}, 1)"),
                    t0 + stops - 2,
                    Some(1.0),
                );
                expr_test(&mut c.text, &firing, t0 + stops + 1, None);
            }
        },
    );
    promtool_ok(project.path(), &["test", "rules", &file]);
}

/// How an imported spec's alerts are told apart, and how soon a full outage makes one fire.
struct Imported<'a> {
    prefix: &'a str,
    page: &'a str,
    ticket: &'a str,
    /// Minutes after the outage starts by which the page fires.
    fires_by: u64,
    /// `alertAfter`/`for`: a minute at which the page is still only pending.
    pending_at: Option<u64>,
}

/// Imported specs behave like native ones on Prometheus's engine: clean history pages nothing,
/// a full outage pages, and a 0.8x burn fires nothing. `project` holds `out/svc.rules.yml`.
fn prove_imported(project: &Project, case: &Case, how: Imported<'_>) {
    let t0 = WARMUP_MIN;
    let outage = scenario(
        project,
        case,
        &format!("{}-outage", how.prefix),
        &[phase(t0, 0.0), phase(60, 1.0)],
        |c| {
            c.never(how.page, t0);
            if let Some(minute) = how.pending_at {
                c.quiet_at(how.page, t0 + minute);
            }
            c.firing_at(how.page, t0 + how.fires_by);
        },
    );
    let slow = scenario(
        project,
        case,
        &format!("{}-slow-burn", how.prefix),
        &[phase(STEADY_MIN, 0.8 * case.budget())],
        |c| {
            c.never(how.page, STEADY_MIN);
            c.never(how.ticket, STEADY_MIN);
        },
    );
    promtool_ok(project.path(), &["test", "rules", &outage, &slow]);
}

/// Compiles `specs/` and names the alert as the scenario harness expects (OpenSLO leaves alert
/// naming to slocc).
fn compile_renaming(project: &Project, default_alert: &str) {
    project
        .slocc(&["compile", "specs", "-o", "out"])
        .expect_code(0);
    let rules = project
        .read("out/svc.rules.yml")
        .replace(default_alert, "ScenarioBudgetBurn");
    project.file("out/svc.rules.yml", &rules);
}

const DEFAULT: Imported<'static> = Imported {
    prefix: "",
    page: "page",
    ticket: "ticket",
    fires_by: 3,
    pending_at: None,
};

#[test]
fn imported_sloth_spec_alerts_behave() {
    let case = Case {
        objective: "99.9",
        window_days: 30,
        kind: Kind::Ratio,
    };
    let project = Project::new();
    project.file("specs/svc.yaml", crate::imports::SLOTH);
    compile_renaming(&project, "ScenarioBudgetBurn");
    // Sloth's page and ticket labels rename the severities.
    prove_imported(
        &project,
        &case,
        Imported {
            prefix: "sloth",
            page: "pageteam",
            ticket: "slack",
            ..DEFAULT
        },
    );
}

#[test]
fn imported_pyrra_spec_alerts_behave() {
    let case = Case {
        objective: "99.9",
        window_days: 28,
        kind: Kind::Ratio,
    };
    let project = Project::new();
    project.file("specs/svc.yaml", crate::imports::PYRRA);
    compile_renaming(&project, "ScenarioBudgetBurn");
    prove_imported(
        &project,
        &case,
        Imported {
            prefix: "pyrra",
            // Pyrra's own severity values, kept on import.
            page: "critical",
            ticket: "warning",
            ..DEFAULT
        },
    );
}

/// 14.4x over 1h/5m with `alertAfter: 2m`: over the threshold after one evaluation, pending for
/// two minutes, then firing.
#[test]
fn imported_openslo_spec_alerts_behave() {
    let case = Case {
        objective: "99.9",
        window_days: 30,
        kind: Kind::Ratio,
    };
    let project = crate::imports::openslo_project();
    compile_renaming(&project, "SvcAvailabilityBudgetBurn");
    prove_imported(
        &project,
        &case,
        Imported {
            prefix: "openslo",
            fires_by: 4,
            pending_at: Some(2),
            ..DEFAULT
        },
    );
}

/// OpenSLO v1alpha: 28 days and slocc's default policy.
#[test]
fn imported_openslo_v1alpha_spec_alerts_behave() {
    let case = Case {
        objective: "99.9",
        window_days: 28,
        kind: Kind::Ratio,
    };
    let project = Project::new();
    project.file(
        "specs/alpha.yaml",
        include_str!("fixtures/openslo/v1alpha.yaml"),
    );
    compile_renaming(&project, "SvcAvailabilityBudgetBurn");
    prove_imported(
        &project,
        &case,
        Imported {
            prefix: "alpha",
            ..DEFAULT
        },
    );
}
