//! slocc's live commands against VictoriaMetrics (Debian's single-node server on a loopback
//! port, the history imported through its Prometheus import API) agree with Prometheus over the
//! same history: `status` and `backtest` read the same budgets, burns and episodes.

use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{free_port, now_minute, tool, Engine, Project};
use crate::live::{prometheus_over, Server};

/// VictoriaMetrics on a loopback port over `history` (OpenMetrics text, timestamps in
/// seconds), imported whole and flushed so every query sees it.
pub(crate) fn victoria_metrics_over(project: &Project, history: &str) -> (Server, String) {
    let port = free_port();
    let child = Command::new(tool("victoria-metrics", "victoria-metrics"))
        .arg(format!(
            "-storageDataPath={}",
            project.path().join("vm").display()
        ))
        .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
        .arg("-retentionPeriod=100y")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start victoria-metrics");
    let server = Server::new(child);
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while ureq::get(&format!("{url}/health")).call().is_err() {
        assert!(Instant::now() < deadline, "victoria-metrics did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The Prometheus text format with millisecond timestamps.
    let mut text = String::new();
    for line in history.lines().filter(|l| !l.starts_with('#')) {
        let (series, at) = line.rsplit_once(' ').unwrap();
        let at: i64 = at.parse().unwrap();
        let _ = writeln!(text, "{series} {}", at * 1_000);
    }
    ureq::post(&format!("{url}/api/v1/import/prometheus"))
        .send(text.as_bytes())
        .expect("import the history");
    ureq::get(&format!("{url}/internal/force_flush"))
        .call()
        .expect("flush");
    (server, url)
}

pub(crate) fn status(project: &Project, url: &str) -> Vec<serde_json::Value> {
    let run = project.slocc(&["status", "--prometheus", url, "--format", "json"]);
    run.expect_code(0);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    json.as_array().unwrap().clone()
}

#[test]
fn status_on_victoria_metrics_agrees_with_prometheus() {
    let project = Project::new();
    project.file("specs/live.yaml", &crate::live::spec());
    let now = now_minute();
    let history = crate::live::openmetrics(now);
    let (_prom, prom_url) = prometheus_over(&project, &history, Engine::V3);
    let (_vm, vm_url) = victoria_metrics_over(&project, &history);
    // The window's edge cuts the outage a day ago: VictoriaMetrics counts the whole minutes
    // inside (9 or 10 of 600 in 864,000, by the second it is asked at), Prometheus
    // extrapolates the cut one.
    let edge = |a: f64, b: f64| {
        let whole = |m: f64| (b - m * 600.0 / 864.0).abs() < 1e-9;
        (whole(9.0) || whole(10.0)) && (4.0..7.5).contains(&a)
    };
    statuses_agree(
        &status(&project, &prom_url),
        &status(&project, &vm_url),
        edge,
    );
}

/// Every SLO's state, source, budget, SLI and burn rates the same (within 1%) in two `status`
/// answers; `edge` judges the 1d burn of `outage`, whose window's edge cuts the outage.
pub(crate) fn statuses_agree(
    on_prom: &[serde_json::Value],
    on_vm: &[serde_json::Value],
    edge: impl Fn(f64, f64) -> bool,
) {
    assert_eq!(on_prom.len(), on_vm.len());
    for (p, v) in on_prom.iter().zip(on_vm) {
        let name = p["slo"].as_str().unwrap();
        assert_eq!(p["state"], v["state"], "{name}");
        assert_eq!(p["source"], v["source"], "{name}");
        for key in ["budget_remaining", "sli"] {
            let (a, b) = (p[key].as_f64(), v[key].as_f64());
            match (a, b) {
                (Some(a), Some(b)) => assert!(
                    (a - b).abs() <= 0.01 * a.abs().max(0.1),
                    "{name} {key}: {a} vs {b}"
                ),
                _ => assert_eq!(a, b, "{name} {key}"),
            }
        }
        for (bp, bv) in p["burn_rates"]
            .as_array()
            .unwrap()
            .iter()
            .zip(v["burn_rates"].as_array().unwrap())
        {
            let (a, b) = (
                bp["burn_rate"].as_f64().unwrap(),
                bv["burn_rate"].as_f64().unwrap(),
            );
            let window = bp["window"].as_str().unwrap();
            if (name, window) == ("outage", "1d") {
                assert!(edge(a, b), "{a} vs {b}");
                continue;
            }
            assert!(
                (a - b).abs() <= 0.01 * a.abs().max(0.1),
                "{name} {window}: {a} vs {b}"
            );
        }
    }
}

fn episodes(report: &serde_json::Value) -> Vec<(String, Vec<(i64, i64)>)> {
    let mut out = Vec::new();
    for slo in report["sides"][0]["slos"].as_array().unwrap() {
        for tier in slo["tiers"].as_array().unwrap() {
            let name = format!("{} {} {}", slo["slo"], tier["severity"], tier["windows"]);
            let list = tier["episodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| (e["start"].as_i64().unwrap(), e["end"].as_i64().unwrap()))
                .collect();
            out.push((name, list));
        }
    }
    out
}

/// `backtest` replays the same episodes from either engine, to the minute give or take two
/// (the edges of windows, where the engines' `rate` differ).
#[test]
fn backtest_on_victoria_metrics_agrees_with_prometheus() {
    let project = Project::new();
    project.file("specs/live.yaml", &crate::live::spec());
    let history = crate::live::openmetrics(now_minute());
    let (_prom, prom_url) = prometheus_over(&project, &history, Engine::V3);
    let (_vm, vm_url) = victoria_metrics_over(&project, &history);
    backtests_agree(&project, &prom_url, &vm_url);
}

/// `backtest` over three days finds the same episodes through either URL, to two minutes, and
/// the report lists the same number of incidents per SLO.
pub(crate) fn backtests_agree(project: &Project, prom_url: &str, vm_url: &str) {
    let replay = |url: &str| {
        let run = project.slocc(&[
            "backtest",
            "--prometheus",
            url,
            "--since",
            "3d",
            "--format",
            "json",
        ]);
        run.expect_code(0);
        episodes(&serde_json::from_str(&run.stdout).unwrap())
    };
    let (on_prom, on_vm) = (replay(prom_url), replay(vm_url));
    let mut compared = 0;
    for ((name, p), (_, v)) in on_prom.iter().zip(&on_vm) {
        assert_eq!(p.len(), v.len(), "{name}: {p:?} vs {v:?}");
        for (a, b) in p.iter().zip(v) {
            assert!(
                (a.0 - b.0).abs() <= 120 && (a.1 - b.1).abs() <= 120,
                "{name}: {p:?} vs {v:?}"
            );
        }
        compared += p.len();
    }
    assert!(compared >= 5, "{compared} episodes compared");
    // The report reads the same: one incident line each, in the same words but for the
    // minutes the engines' edges move.
    let incidents = |url: &str, file: &str| {
        project
            .slocc(&[
                "report",
                "-o",
                file,
                "--prometheus",
                url,
                "--backtest",
                "3d",
            ])
            .expect_code(0);
        let html = project.read(file);
        let list: Vec<String> = html
            .split("<ul class=\"incidents\">")
            .skip(1)
            .map(|s| {
                s.split("</ul>")
                    .next()
                    .unwrap()
                    .matches("<li")
                    .count()
                    .to_string()
            })
            .collect();
        list
    };
    let on_prom = incidents(prom_url, "prom.html");
    assert!(!on_prom.is_empty(), "no incidents in the report");
    assert_eq!(on_prom, incidents(vm_url, "other.html"));
}

/// Minutes of the replay history: three days.
const REPLAY_HISTORY: i64 = 3 * 1_440;
/// The outage: 10 minutes of 503s, eight hours before the end, from a series created with its
/// first error.
const OUTAGE: (i64, i64) = (REPLAY_HISTORY - 480, REPLAY_HISTORY - 470);

const REPLAY_SPEC: &str = r#"apiVersion: slocc/v1
service: rp
runbook_base_url: https://r.example.com
slos:
  - name: availability
    objective: 99.9
    window: 2d
    sli:
      ratio:
        errors: sum(rate(http_requests_total{job="rp", code=~"5.."}[{{window}}]))
        total: sum(rate(http_requests_total{job="rp"}[{{window}}]))
"#;

/// 600 requests a minute; one 500 every ten minutes; during the outage every request a 503,
/// counted by a series that did not exist before it (as client libraries create one on first
/// use), which keeps its count afterwards.
fn replay_history(start: i64) -> String {
    let mut out = String::from("# TYPE http_requests counter\n");
    let (mut ok, mut failed, mut unavailable) = (0.0, 0.0, 0.0);
    for m in 0..=REPLAY_HISTORY {
        let t = start + m * 60;
        if (OUTAGE.0..OUTAGE.1).contains(&m) {
            unavailable += 600.0;
        } else {
            ok += 599.9;
            failed += 0.1;
        }
        let _ = writeln!(
            out,
            "http_requests_total{{job=\"rp\",code=\"200\"}} {ok} {t}"
        );
        let _ = writeln!(
            out,
            "http_requests_total{{job=\"rp\",code=\"500\"}} {failed} {t}"
        );
        if m >= OUTAGE.0 {
            let _ = writeln!(
                out,
                "http_requests_total{{job=\"rp\",code=\"503\"}} {unavailable} {t}"
            );
        }
    }
    out.push_str("# EOF\n");
    out
}

/// Replays one backfill layer with vmalert into VictoriaMetrics over `[from, to]`, with the
/// flags that work on Debian's vmalert (1.79): the rule's own interval as the query step (the
/// default, 5m, records one sample in five), large chunks; then waits until what it wrote is
/// searchable, so that the next layer reads it.
pub(crate) fn vmalert_replay(project: &Project, url: &str, file: &str, (from, to): (i64, i64)) {
    let time = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    let run = Command::new(tool("vmalert", "victoria-metrics"))
        .arg(format!("-rule={file}"))
        .arg(format!("-datasource.url={url}"))
        .arg(format!("-remoteWrite.url={url}"))
        .arg(format!("-replay.timeFrom={}", time(from)))
        .arg(format!("-replay.timeTo={}", time(to)))
        .args([
            "-replay.disableProgressBar",
            "-datasource.queryStep=0",
            "-replay.maxDatapointsPerQuery=10000",
            "-remoteWrite.flushInterval=200ms",
            "-httpListenAddr=127.0.0.1:0",
        ])
        .current_dir(project.path())
        .output()
        .unwrap();
    assert!(run.status.success(), "{file}: {run:?}");
    ureq::get(&format!("{url}/internal/force_flush"))
        .call()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
}

/// The names `service`'s backfill layers under `out` record, each once, with their group's
/// interval in minutes.
pub(crate) fn recorded_names(
    project: &Project,
    out: &str,
    service: &str,
    layers: usize,
) -> Vec<(String, f64)> {
    let mut names: Vec<(String, f64)> = Vec::new();
    for file in (1..=layers).flat_map(|k| layer_files(project, out, service, k)) {
        let doc: serde_yaml::Value = serde_yaml::from_str(&project.read(&file)).unwrap();
        for group in doc["groups"].as_sequence().unwrap() {
            let interval = group["interval"].as_str().unwrap();
            let minutes = match interval {
                "1m" => 1.0,
                "5m" => 5.0,
                "1h" => 60.0,
                other => panic!("interval {other}"),
            };
            for rule in group["rules"].as_sequence().unwrap() {
                names.push((rule["record"].as_str().unwrap().to_string(), minutes));
            }
        }
    }
    names.sort_by(|a, b| a.0.cmp(&b.0));
    names.dedup();
    names
}

/// The history replayed into VictoriaMetrics with vmalert, layer by layer (`compile --backfill
/// --target vmalert`): every series slocc records is written, one sample per evaluation of its
/// group; before the outage the 5m ratio is the 1 in 6000 the counters say, and six hours after
/// an outage counted by a series born in it, the budget is the counters' own, to 1% of the
/// budget spent (MetricsQL's `rate` made it 9.5% worse: the target writes it as `increase`).
#[test]
fn vmalert_replay_of_the_layers_records_every_series_and_counts_a_new_series_right() {
    let project = Project::new();
    project.file("specs/rp.yaml", REPLAY_SPEC);
    let vmalert = ["compile", "--backfill", "--target", "vmalert", "-o", "out"];
    project.slocc(&vmalert).expect_code(0);
    let now = now_minute() as i64;
    let end = now - now % 3_600;
    let start = end - REPLAY_HISTORY * 60;
    let (_vm, vm_url) = victoria_metrics_over(&project, &replay_history(start));
    let span = (start + 600, end);
    let mut layers = 0;
    while !layer_files(&project, "out", "rp", layers + 1).is_empty() {
        layers += 1;
        let file = format!("out/backfill/layer-{layers}/slocc-rp-*.rules.yml");
        vmalert_replay(&project, &vm_url, &file, span);
    }
    let names = recorded_names(&project, "out", "rp", layers);
    assert!(
        layers == 3 && names.len() >= 12,
        "{layers} layers: {names:?}"
    );
    let minutes = ((span.1 - span.0) / 60) as f64;
    for (name, every) in &names {
        let q = format!("{name}{{slo_service=\"rp\"}}");
        let count = value(&vm_url, &format!("count_over_time({q}[4d])"), Some(end)).unwrap_or(0.0);
        // One sample per evaluation of the rule's group.
        let want = minutes / every;
        assert!(
            (count - want).abs() <= 0.02 * want + 2.0,
            "{name}: {count} samples, {want} due"
        );
    }
    let ratio = "slo:sli_error:ratio_rate5m{slo_service=\"rp\"}";
    let steady = value(&vm_url, ratio, Some(start + OUTAGE.0 * 60 - 3_600)).unwrap();
    assert!((steady - 1.0 / 6_000.0).abs() < 1e-9, "{steady}");
    // Six hours after the outage: two days of 0.1 failures a minute and the outage's 6000.
    let truth = 1.0 - (6_000.0 + 0.1 * (2_880.0 - 10.0)) / (2_880.0 * 600.0) / 0.001;
    let budget = "slo:period_error_budget_remaining:ratio{slo_service=\"rp\"}";
    let got = value(&vm_url, budget, Some(start + OUTAGE.0 * 60 + 6 * 3_600)).unwrap();
    assert!(
        (got - truth).abs() <= 0.01 * (1.0 - truth),
        "{got} vs {truth}"
    );
}

/// The first value of `query` at `at` (now without), if it returns anything.
pub(crate) fn value(url: &str, query: &str, at: Option<i64>) -> Option<f64> {
    let mut request = ureq::get(&format!("{url}/api/v1/query")).query("query", query);
    if let Some(t) = at {
        request = request.query("time", t.to_string());
    }
    let body = request
        .call()
        .expect("query Prometheus")
        .into_body()
        .read_to_string()
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let first = json["data"]["result"].as_array()?.first()?.clone();
    first["value"][1].as_str()?.parse().ok()
}

/// The backfill files of `service`'s groups in layer `k` (compiled with `--backfill` into
/// `out`), in order.
pub(crate) fn layer_files(project: &Project, out: &str, service: &str, k: usize) -> Vec<String> {
    let dir = project.path().join(format!("{out}/backfill/layer-{k}"));
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let prefix = format!("slocc-{service}-");
    let mut files: Vec<String> = entries
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(&prefix))
        .map(|name| format!("{out}/backfill/layer-{k}/{name}"))
        .collect();
    files.sort();
    files
}

/// Label sets of firing alerts of severity `page`, without the `alertgroup` label vmalert adds.
fn pages(url: &str) -> std::collections::BTreeSet<Vec<(String, String)>> {
    let page = ("severity".to_string(), "page".to_string());
    crate::thanos::firing(url)
        .into_iter()
        .filter(|labels| labels.contains(&page))
        .map(|labels| {
            labels
                .into_iter()
                .filter(|(k, _)| k != "alertgroup")
                .collect()
        })
        .collect()
}

/// How many times the engine at `url` has evaluated slocc's minute group, from its own
/// `metric` (at most one evaluation behind, read while one runs).
fn iterations(url: &str, metric: &str) -> u64 {
    let mut answer = ureq::get(&format!("{url}/metrics"))
        .call()
        .expect("metrics");
    let text = answer.body_mut().read_to_string().unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with(metric) && l.contains("slocc-svc-availability\""))
        .unwrap_or_else(|| panic!("no {metric} for the minute group at {url}"));
    line.rsplit(' ').next().unwrap().parse::<f64>().unwrap() as u64
}

/// slocc's vmalert rules evaluated live (vmalert over VictoriaMetrics, writing back what it
/// records) page as Prometheus pages with slocc's Prometheus rules over the same data, within
/// one evaluation: the paging tiers read their SLI's queries, not series recorded a hop
/// earlier, which VictoriaMetrics answers only 30 s and a remote-write flush later.
#[test]
fn live_vmalert_pages_within_one_evaluation_of_prometheus() {
    let project = Project::new();
    project.file("specs/svc.yaml", "apiVersion: slocc/v1\nservice: svc\nrunbook_base_url: https://r.example.com\nslos:\n  - name: availability\n    objective: 99.9\n    sli:\n      ratio:\n        errors: sum(rate(http_requests_total{job=\"svc\", code=\"500\"}[{{window}}]))\n        total: sum(rate(http_requests_total{job=\"svc\"}[{{window}}]))\n");
    for (target, dir) in [("prometheus", "out-prom"), ("vmalert", "out-vm")] {
        project
            .slocc(&["compile", "--no-runbooks", "--target", target, "-o", dir])
            .expect_code(0);
    }
    let history = crate::thanos::ongoing_outage(now_minute());
    crate::live::backfill(&project, &history, "reference", Engine::V3);
    let config = "global: {evaluation_interval: 1m}\nrule_files: [out-prom/svc.rules.yml]\n";
    let (_reference, reference) =
        crate::live::serve_tsdb_in(&project, Engine::V3, "reference", config);
    let (_vm, vm) = victoria_metrics_over(&project, &history);
    let (notifier, _) = crate::harness::serve(|_| (200, "application/json", "{}".into()));
    let port = free_port();
    let child = Command::new(tool("vmalert", "victoria-metrics"))
        .arg("-rule=out-vm/svc.rules.yml")
        .arg(format!("-datasource.url={vm}"))
        .arg(format!("-remoteWrite.url={vm}"))
        .arg(format!("-notifier.url=http://127.0.0.1:{notifier}"))
        .arg("-evaluationInterval=1m")
        .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
        .current_dir(project.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start vmalert");
    let _vmalert = Server::new(child);
    let vmalert = format!("http://127.0.0.1:{port}");
    // Each engine starts its groups at its own second of the minute, so the evaluation that
    // first pages is compared (its count, from the engine's own metrics), not the clock.
    let evaluations = |url: &str, metric: &str| iterations(url, metric);
    let started = Instant::now();
    let (mut on_prometheus, mut on_vmalert) = (None, None);
    while started.elapsed() < Duration::from_secs(240) {
        let (p, v) = (pages(&reference), pages(&vmalert));
        let n = "prometheus_rule_group_iterations_total";
        on_prometheus = on_prometheus.or((!p.is_empty()).then(|| evaluations(&reference, n)));
        on_vmalert = on_vmalert
            .or((!v.is_empty()).then(|| evaluations(&vmalert, "vmalert_iteration_total")));
        if p.len() == 2 && p == v {
            let (a, b) = (on_prometheus.unwrap(), on_vmalert.unwrap());
            assert!(
                b <= a,
                "Prometheus paged at its evaluation {a}, vmalert at its {b}"
            );
            return;
        }
        std::thread::sleep(Duration::from_secs(2));
    }
    panic!(
        "Prometheus pages {:?}\nvmalert pages {:?}",
        pages(&reference),
        pages(&vmalert)
    );
}

/// A service written in MetricsQL (a `WITH` template, `default`, `keep_metric_names`), as a
/// vmalert user's queries are: `--target vmalert` keeps what PromQL cannot parse, one warning a
/// query, and vmalert loads every rule; and its alerts, evaluated by VictoriaMetrics over the
/// replay history, hold at exactly the minutes its PromQL twin's do (slocc's rewrites, `rate`
/// as `increase` included, keep the MetricsQL meaning what it says).
#[test]
fn metricsql_specs_compile_for_vmalert_and_alert_as_their_promql_twins() {
    let project = Project::new();
    let twin = REPLAY_SPEC.replace("service: rp", "service: twin");
    let metricsql = REPLAY_SPEC
        .replace("service: rp", "service: mq")
        .replace(
            r#"errors: sum(rate(http_requests_total{job="rp", code=~"5.."}[{{window}}]))"#,
            r#"errors: sum(rate(http_requests_total{job="rp", code=~"5.."}[{{window}}]) keep_metric_names) default 0"#,
        )
        .replace(
            r#"total: sum(rate(http_requests_total{job="rp"}[{{window}}]))"#,
            r#"total: 'WITH (rp = {job="rp"}) sum(rate(http_requests_total{rp}[{{window}}]))'"#,
        );
    project.file("specs/twin.yaml", &twin);
    project.file("specs/mq.yaml", &metricsql);
    let run = project.slocc(&["compile", "--target", "vmalert", "-o", "out"]);
    run.expect_code(0);
    assert_eq!(
        run.stderr.matches("warning[metricsql-query]").count(),
        2,
        "{}",
        run.stderr
    );
    crate::harness::vmalert_ok(project.path(), "out/mq.rules.yml");
    let rules = project.read("out/mq.rules.yml");
    assert!(rules.contains("keep_metric_names / 300)"), "{rules}");
    let now = now_minute() as i64;
    let start = now - REPLAY_HISTORY * 60;
    let (_vm, url) = victoria_metrics_over(&project, &replay_history(start));
    let from = start + (OUTAGE.0 - 60) * 60;
    let ours = crate::replay::alerts(&project, "out/mq.rules.yml");
    let theirs = crate::replay::alerts(&project, "out/twin.rules.yml");
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>()
    );
    let mut fired = 0;
    for (tier, expr) in &ours {
        let steps = crate::live::steps_where(&url, expr, from, now);
        assert_eq!(
            steps,
            crate::live::steps_where(&url, &theirs[tier], from, now),
            "{tier}"
        );
        fired += usize::from(!steps.is_empty());
    }
    assert!(fired >= 2, "only {fired} tiers fired");
}
