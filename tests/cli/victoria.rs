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

fn status(project: &Project, url: &str) -> Vec<serde_json::Value> {
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
    let (on_prom, on_vm) = (status(&project, &prom_url), status(&project, &vm_url));
    assert_eq!(on_prom.len(), on_vm.len());
    for (p, v) in on_prom.iter().zip(&on_vm) {
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
                // The window's edge cuts the outage a day ago: VictoriaMetrics counts the whole
                // minutes inside (9 or 10 of 600 in 864,000, by the second it is asked at),
                // Prometheus extrapolates the cut one.
                let whole = |m: f64| (b - m * 600.0 / 864.0).abs() < 1e-9;
                assert!(
                    (whole(9.0) || whole(10.0)) && (4.0..7.5).contains(&a),
                    "{a} vs {b}"
                );
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
    let (on_prom, on_vm) = (replay(&prom_url), replay(&vm_url));
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
    let on_prom = incidents(&prom_url, "prom.html");
    assert!(!on_prom.is_empty(), "no incidents in the report");
    assert_eq!(on_prom, incidents(&vm_url, "vm.html"));
}
