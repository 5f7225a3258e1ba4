//! slocc against Thanos (built by `scripts/tools`): Prometheus 3 with a Thanos sidecar, a Thanos
//! querier in front, on loopback ports. `status`, `backtest` and `report` read the same through
//! the querier as from Prometheus itself; a store that stops answering is never healthy.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{built_tool, free_port, now_minute, Engine, Project};
use crate::live::{backfill, serve_tsdb_in, Server};
use crate::victoria::{backtests_agree, status, statuses_agree};

/// A Thanos component on loopback ports, ready: `(process, HTTP URL, gRPC address)`.
fn component(project: &Project, args: &[String]) -> (Server, String, String) {
    component_on(project, args, (free_port(), free_port()))
}

/// A Thanos component on the loopback ports `(http, grpc)`, ready.
fn component_on(
    project: &Project,
    args: &[String],
    (http, grpc): (u16, u16),
) -> (Server, String, String) {
    let child = Command::new(built_tool("thanos"))
        .args(args)
        .arg(format!("--http-address=127.0.0.1:{http}"))
        .arg(format!("--grpc-address=127.0.0.1:{grpc}"))
        .current_dir(project.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start thanos");
    let server = Server::new(child);
    let url = format!("http://127.0.0.1:{http}");
    wait_for(&format!("{url}/-/ready"), |_| true, &args[0]);
    (server, url, format!("127.0.0.1:{grpc}"))
}

/// Waits up to a minute for `url` to answer 200 with a body `done` accepts.
fn wait_for(url: &str, done: impl Fn(&str) -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let body = ureq::get(url)
            .call()
            .ok()
            .and_then(|mut r| r.body_mut().read_to_string().ok());
        if body.as_deref().is_some_and(&done) {
            return;
        }
        assert!(Instant::now() < deadline, "{what} did not become ready");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Prometheus 3 over `history` in the project's directory `dir`, with the external labels a
/// sidecar needs, and its sidecar: `(servers, Prometheus URL, sidecar gRPC address)`.
fn prometheus_with_sidecar(
    project: &Project,
    history: &str,
    dir: &str,
    cluster: &str,
) -> (Vec<Server>, String, String) {
    backfill(project, history, dir, Engine::V3);
    let config = format!("global:\n  external_labels: {{cluster: {cluster}}}\n");
    let (prometheus, url) = serve_tsdb_in(project, Engine::V3, dir, &config);
    let (sidecar, _, grpc) = component(
        project,
        &[
            "sidecar".into(),
            format!("--prometheus.url={url}"),
            format!("--tsdb.path={dir}"),
        ],
    );
    (vec![prometheus, sidecar], url, grpc)
}

/// A querier over the stores at `endpoints`, once it lists every one of them.
fn querier(project: &Project, endpoints: &[&str]) -> (Server, String) {
    querier_on(project, endpoints, (free_port(), free_port()))
}

/// [`querier`] on the loopback ports `(http, grpc)`.
fn querier_on(project: &Project, endpoints: &[&str], ports: (u16, u16)) -> (Server, String) {
    let mut args = vec!["query".to_string()];
    args.extend(endpoints.iter().map(|e| format!("--endpoint={e}")));
    let (server, url, _) = component_on(project, &args, ports);
    let listed = |body: &str| endpoints.iter().all(|e| body.contains(e));
    wait_for(
        &format!("{url}/api/v1/stores"),
        listed,
        "the querier's stores",
    );
    (server, url)
}

/// `status` through the querier agrees with Prometheus: same engine, so the same values but
/// for the seconds between the two runs (the 1d window's edge cuts the outage a day ago and
/// both extrapolate the cut minute by the second they are asked at).
#[test]
fn status_through_thanos_querier_agrees_with_prometheus() {
    let project = Project::new();
    project.file("specs/live.yaml", &crate::live::spec());
    let history = crate::live::openmetrics(now_minute());
    let (_servers, prom_url, sidecar) = prometheus_with_sidecar(&project, &history, "a", "eu1");
    let (_querier, url) = querier(&project, &[&sidecar]);
    let edge = |a: f64, b: f64| (4.0..7.5).contains(&a) && (4.0..7.5).contains(&b);
    statuses_agree(&status(&project, &prom_url), &status(&project, &url), edge);
}

/// `backtest` and `report` through the querier find the episodes Prometheus finds.
#[test]
fn backtest_through_thanos_querier_agrees_with_prometheus() {
    let project = Project::new();
    project.file("specs/live.yaml", &crate::live::spec());
    let history = crate::live::openmetrics(now_minute());
    let (_servers, prom_url, sidecar) = prometheus_with_sidecar(&project, &history, "a", "eu1");
    let (_querier, url) = querier(&project, &[&sidecar]);
    backtests_agree(&project, &prom_url, &url);
}

/// The live history split in two: every job but `outage` (with the recorded series) in the
/// first, `outage` in the second; both keep the metadata lines.
fn split_history(history: &str) -> (String, String) {
    let (mut rest, mut outage) = (String::new(), String::new());
    for line in history.lines() {
        let to_both = line.starts_with('#');
        if to_both || !line.contains("job=\"outage\"") {
            rest.push_str(line);
            rest.push('\n');
        }
        if to_both || line.contains("job=\"outage\"") {
            outage.push_str(line);
            outage.push('\n');
        }
    }
    (rest, outage)
}

/// `status --gate` through the querier: its standard error and the JSON states by SLO.
fn gate(project: &Project, url: &str) -> (String, Vec<(String, String)>) {
    let run = project.slocc(&["status", "--prometheus", url, "--gate", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let states = json
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let name = s["slo"].as_str().unwrap().to_string();
            (name, s["state"].as_str().unwrap().to_string())
        })
        .collect();
    (run.stderr, states)
}

/// A store that stops answering is never healthy through the querier. Its Prometheus killed,
/// the querier first warns on every answer (Thanos's partial response): every SLO is
/// `partial` and the gate refuses. Half a minute later the sidecar reports itself down and
/// the querier leaves the store out without a word: the SLO whose data lived there has none,
/// and the gate refuses it still, while the others are judged again.
#[test]
fn a_store_that_stops_answering_is_never_healthy_through_the_querier() {
    let project = Project::new();
    project.file("specs/live.yaml", &crate::live::spec());
    let (rest, outage) = split_history(&crate::live::openmetrics(now_minute()));
    let (_a, _, a_grpc) = prometheus_with_sidecar(&project, &rest, "a", "eu1");
    let (mut b, _, b_grpc) = prometheus_with_sidecar(&project, &outage, "b", "eu2");
    let (_querier, url) = querier(&project, &[&a_grpc, &b_grpc]);
    let (refusal, before) = gate(&project, &url);
    assert!(before.iter().all(|(_, s)| s != "partial"), "{before:?}");
    let outage_state = |states: &[(String, String)]| {
        states
            .iter()
            .find(|(n, _)| n == "outage")
            .unwrap()
            .1
            .clone()
    };
    assert_eq!(outage_state(&before), "exhausted", "{before:?}");
    assert!(!refusal.contains("cannot judge"), "{refusal}");

    b.remove(0); // Prometheus `b` stops; its sidecar still answers the querier.
    let (refusal, during) = gate(&project, &url);
    assert!(
        refusal.contains("cannot judge live/quarter (partial)"),
        "{refusal}"
    );
    assert!(during.iter().all(|(_, s)| s == "partial"), "{during:?}");

    let series = format!("{url}/api/v1/query?query=http_requests_total%7Bjob%3D%22outage%22%7D");
    wait_for(
        &series,
        |body| !body.contains("warnings"),
        "the querier leaving `b` out",
    );
    let (refusal, after) = gate(&project, &url);
    assert!(
        refusal.contains("cannot judge live/outage (no data)"),
        "{refusal}"
    );
    assert_eq!(outage_state(&after), "no_data", "{after:?}");
    let judged = after
        .iter()
        .filter(|(_, s)| s != "no_data" && s != "partial");
    assert!(judged.count() >= 4, "{after:?}");
}

/// Six hours of 1,000 requests a minute for job `svc`, all failing for the last 20 minutes.
/// The history ends now (a Prometheus refuses to record before its newest block ends); the 5m
/// windows read the outage for a few minutes more, long enough for the rules' first
/// evaluations.
pub(crate) fn ongoing_outage(now: u64) -> String {
    let mut out = String::from("# TYPE http_requests counter\n");
    let (start, outage, end) = (now - 6 * 3_600, now - 20 * 60, now);
    for code in ["200", "500"] {
        let mut count = 0.0;
        for at in (start..=end).step_by(60) {
            let failing = at >= outage;
            if failing == (code == "500") {
                count += 1_000.0;
            }
            out.push_str(&format!(
                "http_requests_total{{job=\"svc\",code=\"{code}\"}} {count} {at}\n"
            ));
        }
    }
    out.push_str("# EOF\n");
    out
}

/// Label sets of the alerts an `/api/v1/alerts` answers as firing, without `ruler` (the
/// ruler's external label).
pub(crate) fn firing(url: &str) -> std::collections::BTreeSet<Vec<(String, String)>> {
    let Ok(mut answer) = ureq::get(&format!("{url}/api/v1/alerts")).call() else {
        return Default::default();
    };
    let text = answer.body_mut().read_to_string().unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    // The Thanos ruler writes the list as `Alerts`, `null` when empty.
    let data = &json["data"];
    let list = match (&data["alerts"], &data["Alerts"]) {
        (serde_json::Value::Array(list), _) | (_, serde_json::Value::Array(list)) => list.clone(),
        (_, serde_json::Value::Null) => Vec::new(),
        _ => panic!("{url}: {text}"),
    };
    list.iter()
        .filter(|a| a["state"] == "firing")
        .map(|a| {
            let labels = a["labels"].as_object().unwrap();
            let mut set: Vec<(String, String)> = labels
                .iter()
                .filter(|(k, _)| *k != "ruler")
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect();
            set.sort();
            set
        })
        .collect()
}

/// slocc's Thanos rules on a Thanos ruler fire the alerts Prometheus fires with slocc's
/// Prometheus rules over the same data. Every alert reads series the rules record, so the
/// ruler's querier queries the ruler too (the topology docs/targets.md gives); without it no
/// tier could fire. Just deployed, the ruler fires one evaluation later than Prometheus (its
/// querier leaves the ruler's store out until the store holds a sample), and the two engines
/// start their groups at different seconds of the minute: within two evaluations.
#[test]
fn the_thanos_ruler_fires_what_prometheus_fires() {
    let project = Project::new();
    project.file("specs/svc.yaml", "apiVersion: slocc/v1\nservice: svc\nrunbook_base_url: https://r.example.com\nslos:\n  - name: availability\n    objective: 99.9\n    sli:\n      ratio:\n        errors: sum(rate(http_requests_total{job=\"svc\", code=\"500\"}[{{window}}]))\n        total: sum(rate(http_requests_total{job=\"svc\"}[{{window}}]))\n");
    for (target, dir) in [("prometheus", "out-prom"), ("thanos", "out-thanos")] {
        project
            .slocc(&["compile", "--no-runbooks", "--target", target, "-o", dir])
            .expect_code(0);
    }
    let history = ongoing_outage(now_minute());
    backfill(&project, &history, "reference", Engine::V3);
    let config = "global: {evaluation_interval: 1m}\nrule_files: [out-prom/svc.rules.yml]\n";
    let (_reference, reference) = serve_tsdb_in(&project, Engine::V3, "reference", config);
    let (_stores, _, sidecar) = prometheus_with_sidecar(&project, &history, "raw", "eu1");
    let (ruler_http, ruler_grpc, querier_http) = (free_port(), free_port(), free_port());
    let ruler_addr = format!("127.0.0.1:{ruler_grpc}");
    let query = format!("--query=127.0.0.1:{querier_http}");
    let ruler_args = [
        "rule".to_string(),
        "--data-dir=ruler".into(),
        "--rule-file=out-thanos/svc.rules.yml".into(),
        "--eval-interval=1m".into(),
        "--label=ruler=\"r1\"".into(),
        query,
    ];
    let (_ruler, ruler, _) = component_on(&project, &ruler_args, (ruler_http, ruler_grpc));
    let (_querier, _) = querier_on(
        &project,
        &[&sidecar, &ruler_addr],
        (querier_http, free_port()),
    );
    let started = Instant::now();
    let (mut on_prometheus, mut on_thanos) = (None, None);
    while started.elapsed() < Duration::from_secs(300) {
        let (p, t) = (firing(&reference), firing(&ruler));
        on_prometheus = on_prometheus.or((!p.is_empty()).then(|| started.elapsed()));
        on_thanos = on_thanos.or((!t.is_empty()).then(|| started.elapsed()));
        if !p.is_empty() && p == t && p.len() >= 4 {
            let (a, b) = (on_prometheus.unwrap(), on_thanos.unwrap());
            assert!(b <= a + Duration::from_secs(125), "{a:?} vs {b:?}");
            return;
        }
        std::thread::sleep(Duration::from_secs(5));
    }
    panic!(
        "Prometheus fires {:?}\nThanos fires {:?}",
        firing(&reference),
        firing(&ruler)
    );
}
