//! `slocc status` against a real Prometheus on a loopback port, serving a TSDB backfilled with
//! known incidents, and against stand-in servers for auth, prefixes and failures.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{free_port, now_minute, Engine, Project};

/// Requests per minute of every service.
const PER_MINUTE: f64 = 600.0;
/// Minutes of history: three days.
const HISTORY: u64 = 3 * 1_440;

/// The SLOs: (name, objective). Each reads the `job` of its name.
const SLOS: [(&str, &str); 6] = [
    ("quarter", "99.9"),
    ("spent", "99.9"),
    ("outage", "99.9"),
    ("burn", "99.9"),
    ("recorded", "99"),
    ("quiet", "99"),
];

/// The spec of the six SLOs.
pub(crate) fn spec() -> String {
    let mut out = String::from(
        "apiVersion: slocc/v1\nservice: live\nrunbook_base_url: https://r.example.com\nslos:\n",
    );
    for (name, objective) in SLOS {
        let _ = write!(
            out,
            "  - name: {name}\n    objective: {objective}\n    sli:\n      ratio:\n        errors: sum(rate(http_requests_total{{job=\"{name}\", code=\"500\"}}[{{{{window}}}}]))\n        total: sum(rate(http_requests_total{{job=\"{name}\"}}[{{{{window}}}}]))\n"
        );
    }
    out
}

/// Events every 99.9% SLO's window holds: three days at PER_MINUTE.
const TOTAL: f64 = PER_MINUTE * HISTORY as f64;

/// Requests per minute of a job at minute `m`: `quiet` has had none for six hours.
fn traffic(job: &str, m: u64) -> f64 {
    if job == "quiet" && m > HISTORY - 360 {
        0.0
    } else {
        PER_MINUTE
    }
}

/// Bad requests per minute of a job at minute `m` (0 = oldest):
/// - `quarter`: 648 failures two days ago, 25% of a 99.9% budget of 2592 (1.08 minutes down);
/// - `spent`: the same, then a further 1962 a day later: 2610 in all, the budget and a little;
/// - `outage`: a 10-minute full outage a day ago;
/// - `burn`: 0.2% errors (a 2x burn at 99.9%) for the first 12 hours.
fn bad(job: &str, m: u64) -> f64 {
    match (job, m) {
        ("quarter" | "spent", 1_440) => PER_MINUTE,
        ("quarter" | "spent", 1_441) => 48.0,
        ("spent", 2_160..=2_162) => PER_MINUTE,
        ("spent", 2_163) => 162.0,
        ("outage", 2_880..=2_889) => PER_MINUTE,
        ("burn", 0..=719) => PER_MINUTE * 0.002,
        _ => 0.0,
    }
}

/// Minutes since `ghost/stopped`'s recorded series last had a sample.
const STOPPED_AGO: u64 = 2 * 1_440;

/// Minutes from the start of history to the `outage` job's outage.
const OUTAGE_MINUTE: u64 = 2_880;

/// OpenMetrics text of the counters, and recorded series for the `recorded` SLO.
pub(crate) fn openmetrics(now: u64) -> String {
    let start = now - HISTORY * 60;
    let mut out = String::from("# TYPE http_requests counter\n");
    for job in ["quarter", "spent", "outage", "burn", "quiet"] {
        for code in ["200", "500"] {
            let mut count = 0.0;
            for m in 0..=HISTORY {
                let b = bad(job, m);
                count += if code == "500" {
                    b
                } else {
                    traffic(job, m) - b
                };
                let _ = writeln!(
                    out,
                    "http_requests_total{{job=\"{job}\",code=\"{code}\"}} {count} {}",
                    start + m * 60
                );
            }
        }
    }
    // What slocc's rules would have recorded for `recorded`: 0.5% errors over the window and
    // 3% over the last hour; and a firing page of `burn`.
    for (name, value) in [
        ("slo:sli_error:ratio_period", 0.005),
        ("slo:sli_error:ratio_rate1h", 0.03),
    ] {
        let _ = writeln!(out, "# TYPE {} gauge", name.replace(':', "_"));
        for m in HISTORY - 30..=HISTORY {
            let _ = writeln!(
                out,
                "{name}{{slo_service=\"live\",slo_name=\"recorded\"}} {value} {}",
                start + m * 60
            );
        }
        // `ghost/stopped`: rules that recorded until two days ago, then went away.
        for m in HISTORY - STOPPED_AGO - 30..=HISTORY - STOPPED_AGO {
            let _ = writeln!(
                out,
                "{name}{{slo_service=\"ghost\",slo_name=\"stopped\"}} {value} {}",
                start + m * 60
            );
        }
    }
    let _ = writeln!(out, "# TYPE ALERTS gauge");
    for m in HISTORY - 30..=HISTORY {
        let _ = writeln!(out, "ALERTS{{alertname=\"LiveBurnBudgetBurn\",alertstate=\"firing\",severity=\"page\",slo_name=\"burn\",slo_service=\"live\"}} 1 {}", start + m * 60);
    }
    out.push_str("# EOF\n");
    out
}

pub(crate) struct Server(Child);

impl Server {
    /// A server process, stopped when dropped.
    pub(crate) fn new(child: Child) -> Self {
        Self(child)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Prometheus of `engine`'s generation on a loopback port, over a TSDB its own promtool
/// backfilled with `openmetrics(now)`.
pub(crate) fn prometheus(project: &Project, now: u64, engine: Engine) -> (Server, String) {
    prometheus_over(project, &openmetrics(now), engine)
}

/// Prometheus of `engine`'s generation on a loopback port, over a TSDB its own promtool
/// backfilled with `history` (OpenMetrics text), as each generation ingests it.
pub(crate) fn prometheus_over(
    project: &Project,
    history: &str,
    engine: Engine,
) -> (Server, String) {
    backfill(project, history, "tsdb", engine);
    serve_tsdb(project, engine)
}

/// Blocks of `history` (OpenMetrics) written into the project's directory `dir` by `engine`'s
/// promtool.
pub(crate) fn backfill(project: &Project, history: &str, dir: &str, engine: Engine) {
    let file = format!("{dir}.om");
    project.file(&file, history);
    let backfill = Command::new(engine.promtool())
        .args(["tsdb", "create-blocks-from", "openmetrics", &file, dir])
        .current_dir(project.path())
        .output()
        .unwrap();
    assert!(backfill.status.success(), "{backfill:?}");
}

/// Prometheus of `engine`'s generation on a loopback port over the project's `tsdb/` as it is.
pub(crate) fn serve_tsdb(project: &Project, engine: Engine) -> (Server, String) {
    serve_tsdb_in(project, engine, "tsdb", "global: {}\n")
}

/// Prometheus of `engine`'s generation on a loopback port over the project's directory `dir`,
/// with `config` as its configuration file.
pub(crate) fn serve_tsdb_in(
    project: &Project,
    engine: Engine,
    dir: &str,
    config: &str,
) -> (Server, String) {
    let config_file = format!("{dir}.yml");
    project.file(&config_file, config);
    let tsdb = project.path().join(dir);
    let port = free_port();
    let child = Command::new(engine.prometheus())
        .arg(format!("--config.file={config_file}"))
        .arg(format!("--storage.tsdb.path={}", tsdb.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--storage.tsdb.retention.time=90d")
        .current_dir(project.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start prometheus");
    let server = Server(child);
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while fake_get(port, "/-/ready") != Some(200) {
        assert!(
            Instant::now() < deadline,
            "{} did not become ready",
            engine.name()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    (server, url)
}

/// The status code of a GET on loopback, if anything answers.
fn fake_get(port: u16, path: &str) -> Option<u16> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    text.split(' ').nth(1)?.parse().ok()
}

fn status_json(project: &Project, url: &str) -> serde_json::Value {
    let run = project.slocc(&["status", "--prometheus", url, "--format", "json"]);
    run.expect_code(0);
    serde_json::from_str(&run.stdout).unwrap()
}

/// Within 0.5% (or 0.001 near zero): Prometheus extrapolates a counter's rate by up to half a
/// scrape interval at the window's start unless its first sample is 0, which moves the ratio of
/// a total that started non-zero by ~30s in two days.
fn close(actual: &serde_json::Value, expected: f64, what: &str) {
    let a = actual
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: {actual}"));
    assert!(
        (a - expected).abs() <= 5e-3 * expected.abs().max(0.2),
        "{what}: {a} != {expected}"
    );
}

#[test]
fn status_reports_budgets_burns_and_alerts_from_a_real_prometheus_on_prometheus_2() {
    status_reports_budgets_burns_and_alerts_from_a_real_prometheus(Engine::V2);
}

#[test]
fn status_reports_budgets_burns_and_alerts_from_a_real_prometheus_on_prometheus_3() {
    status_reports_budgets_burns_and_alerts_from_a_real_prometheus(Engine::V3);
}

fn status_reports_budgets_burns_and_alerts_from_a_real_prometheus(engine: Engine) {
    let project = Project::new();
    project.file("specs/live.yaml", &spec());
    let now = now_minute();
    let (_server, url) = prometheus(&project, now, engine);
    let statuses = status_json(&project, &url);
    figures_from_the_sli_queries(&statuses);
    recorded_and_quiet_figures(&statuses);
    concurrency_keeps_the_answer(&project, &url);
    human_and_markdown(&project, &url);
    deploy_gate(&project, &url);
    unknown_is_not_healthy(&project, &url);
}

/// The figures of the four SLOs read from their SLI queries.
fn figures_from_the_sli_queries(statuses: &serde_json::Value) {
    let s = |i: usize| statuses[i].clone();
    // Exactly 25% of a 99.9%/30d budget spent: 75% left (within one percentage point).
    let quarter = s(0);
    assert_eq!(quarter["source"], "sli_queries");
    close(
        &quarter["budget_remaining"],
        1.0 - 648.0 / TOTAL / 0.001,
        "quarter",
    );
    close(&quarter["budget_remaining"], 0.75, "quarter");
    close(&quarter["sli"], 1.0 - 648.0 / TOTAL, "quarter SLI");
    close(
        &quarter["full_outage_left_seconds"],
        0.75 * 0.001 * 30.0 * 86_400.0,
        "quarter time left",
    );
    // The further outage spent the rest (and a little more): 0% (within one point), not above.
    let spent = s(1)["budget_remaining"].as_f64().unwrap();
    assert!((-0.01..=0.0).contains(&spent), "{spent}");
    // A 10-minute full outage: 6000 bad of TOTAL; nothing in the last hour.
    let outage = s(2);
    close(
        &outage["budget_remaining"],
        1.0 - 6_000.0 / TOTAL / 0.001,
        "outage budget",
    );
    close(
        &outage["burn_rates"][0]["burn_rate"],
        0.0,
        "no errors in the last 5m",
    );
    // 0.2% errors for 12 hours, two and a half days ago.
    let burn = s(3);
    close(
        &burn["budget_remaining"],
        1.0 - 0.002 * 720.0 * PER_MINUTE / TOTAL / 0.001,
        "burn budget",
    );
    assert_eq!(burn["firing"], serde_json::json!(["page"]));
}

/// Recorded series win over the SLI queries; six hours without traffic leave the whole budget.
fn recorded_and_quiet_figures(statuses: &serde_json::Value) {
    let s = |i: usize| statuses[i].clone();
    let recorded = s(4);
    assert_eq!(recorded["source"], "recorded");
    close(&recorded["budget_remaining"], 0.5, "recorded budget");
    close(
        &recorded["burn_rates"][0]["burn_rate"],
        3.0,
        "recorded 1h burn",
    );
    close(
        &recorded["exhausted_in_seconds"],
        0.5 * 30.0 * 86_400.0 / 3.0,
        "recorded exhaustion",
    );
    // Six hours without traffic: the whole budget left, every burn rate 0 (not NaN).
    let quiet = s(5);
    close(&quiet["budget_remaining"], 1.0, "quiet budget");
    assert_eq!(quiet["burn_rates"].as_array().unwrap().len(), 7, "{quiet}");
    for b in quiet["burn_rates"].as_array().unwrap() {
        close(&b["burn_rate"], 0.0, "quiet burn");
    }
}

/// One SLO at a time or six at once, the same answer in the same order.
fn concurrency_keeps_the_answer(project: &Project, url: &str) {
    let serial = project.slocc(&[
        "status",
        "--prometheus",
        url,
        "--format",
        "json",
        "--concurrency",
        "1",
    ]);
    let wide = project.slocc(&[
        "status",
        "--prometheus",
        url,
        "--format",
        "json",
        "--concurrency",
        "6",
    ]);
    // (The figures move with the clock between the two runs; the order and states do not.)
    let shape = |stdout: &str| -> Vec<(String, String, String)> {
        let all: Vec<serde_json::Value> = serde_json::from_str(stdout).unwrap();
        all.iter()
            .map(|s| {
                let text = |k: &str| s[k].as_str().unwrap_or_default().to_string();
                (text("slo"), text("state"), text("source"))
            })
            .collect()
    };
    assert_eq!(shape(&serial.stdout), shape(&wide.stdout));
    assert_eq!(shape(&serial.stdout).len(), 6);
}

/// The human and Markdown forms say what the figures cover.
fn human_and_markdown(project: &Project, url: &str) {
    let human = project.slocc(&["status", "--prometheus", url]);
    for line in [
        // Recorded for half an hour of a 30-day window, with nothing for the SLI queries to
        // read: the recorded figures, saying what they cover.
        "live/recorded: 99% over 30d: SLI 99.5%, budget left 50% (3h 36m of full outage), exhausted in 5d at the current burn (slocc's recorded series reach back only ",
        "of the 30d window, and the SLI queries return nothing: the figures cover that time only)\n  burn rates: 1h 3x\n",
        "  firing: page\n",
        "(from the SLI queries: no recorded series yet)",
    ] {
        assert!(human.stdout.contains(line), "{line}\n{}", human.stdout);
    }
    let markdown = project.slocc(&["status", "--prometheus", url, "--format", "markdown"]);
    assert!(
        markdown.stdout.starts_with("| SLO | Objective |"),
        "{}",
        markdown.stdout
    );
}

/// The deploy gate: 75% left passes; the spent budget stops the deploy, as does a minimum of
/// 80%.
fn deploy_gate(project: &Project, url: &str) {
    let gate = |extra: &[&str]| {
        let mut args = vec!["status", "--prometheus", url, "--gate"];
        args.extend(extra);
        project.slocc(&args)
    };
    gate(&["--slo", "quarter"]).expect_code(0);
    let stopped = gate(&["--slo", "spent"]);
    stopped.expect_code(1);
    assert_eq!(
        stopped.stderr,
        "error: error budget exhausted for live/spent\n"
    );
    let under = gate(&["--slo", "quarter", "--min-budget", "0.8"]);
    under.expect_code(1);
    assert_eq!(
        under.stderr,
        "error: error budget under 80% for live/quarter\n"
    );
}

/// A metric that does not exist, and recorded series that stopped two days ago: neither passes
/// the gate, unless `--allow-unknown` says so.
fn unknown_is_not_healthy(project: &Project, url: &str) {
    let mut ghost = String::from(
        "apiVersion: slocc/v1\nservice: ghost\nrunbook_base_url: https://r.example.com\nslos:\n",
    );
    for name in ["missing", "stopped"] {
        let _ = write!(ghost, "  - name: {name}\n    objective: 99.9\n    sli:\n      ratio:\n        errors: sum(rate(no_such_metric_total{{job=\"{name}\", code=\"500\"}}[{{{{window}}}}]))\n        total: sum(rate(no_such_metric_total{{job=\"{name}\"}}[{{{{window}}}}]))\n");
    }
    project.file("ghost/ghost.yaml", &ghost);
    let run = project.slocc(&["status", "ghost", "--prometheus", url, "--gate"]);
    run.expect_code(1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], "ghost/missing: 99.9% over 30d: SLI -, budget left - (- of full outage), exhausted in - at the current burn (no data yet: neither the recorded series nor the SLI queries return anything)");
    // The age is two days and the few seconds the test took.
    assert!(lines[1].starts_with("ghost/stopped: 99.9% over 30d: SLI -, budget left - (- of full outage), exhausted in - at the current burn (stale: slocc's recorded series last answered 2d"), "{}", run.stdout);
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert_eq!(run.stderr, "error: cannot judge ghost/missing (no data), ghost/stopped (stale): unknown is not healthy; fix what the status says, or pass `--allow-unknown` to let them through\n");
    let json = project.slocc(&["status", "ghost", "--prometheus", url, "--format", "json"]);
    let states: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(states[0]["state"], "no_data");
    assert_eq!(states[1]["state"], "stale");
    project
        .slocc(&[
            "status",
            "ghost",
            "--prometheus",
            url,
            "--gate",
            "--allow-unknown",
        ])
        .expect_code(0);
}

/// A stand-in server: answers every request with `status` and `body`, and hands back each
/// request it got.
fn stand_in(
    status: u16,
    body: &'static str,
) -> (u16, std::sync::mpsc::Receiver<crate::harness::Seen>) {
    crate::harness::serve(move |_| (status, "application/json", body.to_string()))
}

#[test]
fn a_partial_answer_is_marked_and_one_failing_slo_does_not_hide_the_others() {
    let project = Project::new();
    let mut spec = String::from(
        "apiVersion: slocc/v1\nservice: x\nrunbook_base_url: https://r.example.com\nslos:\n",
    );
    for name in ["fine", "broken"] {
        let _ = write!(spec, "  - name: {name}\n    objective: 99.9\n    sli:\n      raw:\n        error_ratio: sum(rate(e{{job=\"{name}\"}}[{{{{window}}}}])) / sum(rate(t[{{{{window}}}}]))\n");
    }
    project.file("specs/x.yaml", &spec);
    // Thanos warns that a store did not answer (with a terminal escape in its words); every
    // query of `broken` is refused.
    let partial = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"0.0002"]}]},"warnings":["store eu-1 did not answer \u001b[31m"]}"#;
    let refused = r#"{"status":"error","errorType":"bad_data","error":"no such store"}"#;
    // How far back the recorded series reach is asked with `timestamp(`: a whole window.
    let month = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"2592000"]}]}}"#;
    // The recorded series of every window come in one answer, each named.
    let names = [
        "period", "rate5m", "rate30m", "rate1h", "rate2h", "rate6h", "rate1d", "rate3d",
    ];
    let series: Vec<String> = names
        .iter()
        .map(|n| format!(r#"{{"metric":{{"__name__":"slo:sli_error:ratio_{n}"}},"value":[1700000000,"0.0002"]}}"#))
        .collect();
    let recorded = partial.replace(
        r#"[{"metric":{},"value":[1700000000,"0.0002"]}]"#,
        &format!("[{}]", series.join(",")),
    );
    let (port, _requests) = crate::harness::serve(move |seen| {
        let body = if seen.url.contains("broken") {
            return (400, "application/json", refused.to_string());
        } else if seen.url.contains("timestamp") {
            month
        } else if seen.url.contains("__name__") {
            &recorded
        } else {
            partial
        };
        (200, "application/json", body.to_string())
    });
    let url = format!("http://127.0.0.1:{port}");
    let run = project.slocc(&["status", "--prometheus", &url, "--gate"]);
    run.expect_code(2);
    assert_eq!(run.stdout, "x/fine: 99.9% over 30d: SLI 99.98%, budget left 80% (34m 34s of full outage), exhausted in 120d at the current burn\n  partial: the answer is partial: store eu-1 did not answer \u{fffd}[31m\n  burn rates: 5m 0.2x, 30m 0.2x, 1h 0.2x, 2h 0.2x, 6h 0.2x, 1d 0.2x, 3d 0.2x\nx/broken: error: Prometheus refused the query `max by (__name__) ({__name__=~\"slo:sli_error:ratio_period|slo:sli_error:ratio_rate5m|slo:sli_error:ratio_rate30m|slo:sli_error:ratio_rate1h|slo:sli_error:ratio_rate2h|slo:sli_error:ratio_rate6h|slo:sli_error:ratio_rate1d|slo:sli_error:ratio_rate3d\", slo_service=\"x\", slo_name=\"broken\"})`: no such store\n");
    assert_eq!(
        run.stderr,
        "error: Prometheus could not answer for x/broken (above)\n"
    );
    let run = project.slocc(&["status", "--prometheus", &url, "--gate", "--slo", "fine"]);
    run.expect_code(1);
    assert_eq!(run.stderr, "error: cannot judge x/fine (partial): unknown is not healthy; fix what the status says, or pass `--allow-unknown` to let them through\n");
}

const EMPTY: &str = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;

#[test]
fn credentials_go_on_the_wire_and_nowhere_else() {
    let project = Project::new();
    project.file("specs/live.yaml", &spec());
    let (port, requests) = stand_in(200, EMPTY);
    let url = format!("http://127.0.0.1:{port}/prometheus");
    let run = project.slocc_env(
        &["status", "--prometheus", &url],
        &[("SLOCC_PROMETHEUS_TOKEN", "s3cret-token")],
    );
    run.expect_code(0);
    let request = requests.recv().unwrap();
    assert_eq!(request.method, "GET");
    assert!(
        request.url.starts_with("/prometheus/api/v1/query?query="),
        "{request:?}"
    );
    assert_eq!(request.header("authorization"), Some("Bearer s3cret-token"));
    assert!(!run.stdout.contains("s3cret") && !run.stderr.contains("s3cret"));
    assert_eq!(run.stdout, "live/quarter: 99.9% over 30d: SLI -, budget left - (- of full outage), exhausted in - at the current burn (no data yet: neither the recorded series nor the SLI queries return anything)\nlive/spent: 99.9% over 30d: SLI -, budget left - (- of full outage), exhausted in - at the current burn (no data yet: neither the recorded series nor the SLI queries return anything)\nlive/outage: 99.9% over 30d: SLI -, budget left - (- of full outage), exhausted in - at the current burn (no data yet: neither the recorded series nor the SLI queries return anything)\nlive/burn: 99.9% over 30d: SLI -, budget left - (- of full outage), exhausted in - at the current burn (no data yet: neither the recorded series nor the SLI queries return anything)\nlive/recorded: 99% over 30d: SLI -, budget left - (- of full outage), exhausted in - at the current burn (no data yet: neither the recorded series nor the SLI queries return anything)\nlive/quiet: 99% over 30d: SLI -, budget left - (- of full outage), exhausted in - at the current burn (no data yet: neither the recorded series nor the SLI queries return anything)\n");

    let (port, requests) = stand_in(200, EMPTY);
    let run = project.slocc_env(
        &[
            "status",
            "--prometheus",
            &format!("http://127.0.0.1:{port}"),
        ],
        &[
            ("SLOCC_PROMETHEUS_USER", "user"),
            ("SLOCC_PROMETHEUS_PASSWORD", "pw"),
        ],
    );
    run.expect_code(0);
    let request = requests.recv().unwrap();
    assert_eq!(request.header("authorization"), Some("Basic dXNlcjpwdw=="));

    // Credentials in the URL: percent-decoded on the wire (`%40` is `@`), and a raw `@` in a
    // password never leaves any of it in a message.
    let (port, requests) = stand_in(200, EMPTY);
    let url = format!("http://user:p%40ss@127.0.0.1:{port}");
    project
        .slocc(&["status", "--prometheus", &url])
        .expect_code(0);
    let request = requests.recv().unwrap();
    assert_eq!(request.header("authorization"), Some("Basic dXNlcjpwQHNz"));
    let port = free_port();
    let run = project.slocc(&[
        "status",
        "--prometheus",
        &format!("http://user:p@ss@127.0.0.1:{port}"),
    ]);
    run.expect_code(2);
    let shown = format!("error: cannot reach Prometheus at http://127.0.0.1:{port}: ");
    assert!(run.stderr.starts_with(&shown), "{}", run.stderr);
    assert!(!run.stderr.contains("ss"), "{}", run.stderr);
}

#[test]
fn server_text_is_escaped_and_a_huge_answer_is_named_as_such() {
    let project = Project::new();
    project.file("specs/live.yaml", &spec());
    // A label value with a terminal escape sequence in it.
    let alert = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"severity":"page\u001b[2J"},"value":[1700000000,"1"]}]}}"#;
    let (port, _requests) = stand_in(200, alert);
    let run = project.slocc(&[
        "status",
        "--prometheus",
        &format!("http://127.0.0.1:{port}"),
        "--slo",
        "quarter",
    ]);
    run.expect_code(0);
    assert!(
        run.stdout.ends_with("  firing: page\u{fffd}[2J\n"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains('\u{1b}'));
    // An answer over slocc's limit is not "cannot reach".
    let huge = format!("{{\"status\":\"success\",\"data\":{{\"resultType\":\"vector\",\"result\":[]}},\"pad\":\"{}\"}}", "x".repeat(129 << 20));
    let (port, _requests) = crate::harness::serve(move |_| (200, "application/json", huge.clone()));
    let run = project.slocc(&[
        "status",
        "--prometheus",
        &format!("http://127.0.0.1:{port}"),
    ]);
    run.expect_code(2);
    assert_eq!(run.stderr, format!("error: http://127.0.0.1:{port} answered with more than 128 MiB, the most slocc reads in one answer\n"));
}

#[test]
fn unreachable_foreign_and_failing_servers_are_clear_errors() {
    let project = Project::new();
    project.file("specs/live.yaml", &spec());
    let port = free_port();
    let run = project.slocc(&[
        "status",
        "--prometheus",
        &format!("http://user:pw@127.0.0.1:{port}"),
    ]);
    run.expect_code(2);
    assert!(
        run.stderr.starts_with(&format!(
            "error: cannot reach Prometheus at http://127.0.0.1:{port}: "
        )),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("pw@"), "{}", run.stderr);

    let (port, _requests) = stand_in(200, "<html>not here</html>");
    let run = project.slocc(&[
        "status",
        "--prometheus",
        &format!("http://127.0.0.1:{port}"),
    ]);
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        format!("error: http://127.0.0.1:{port} did not answer as the Prometheus API (HTTP 200): <html>not here</html>\n")
    );

    let (port, _requests) = stand_in(
        400,
        r#"{"status":"error","errorType":"bad_data","error":"parse error at char 3"}"#,
    );
    let run = project.slocc(&[
        "status",
        "--prometheus",
        &format!("http://127.0.0.1:{port}"),
    ]);
    run.expect_code(2);
    // Every SLO is asked and shown with its error; the run then fails.
    let refused: Vec<String> = ["quarter", "spent", "outage", "burn", "recorded", "quiet"]
        .iter()
        .map(|slo| format!("live/{slo}: error: Prometheus refused the query `max by (__name__) ({{__name__=~\"slo:sli_error:ratio_period|slo:sli_error:ratio_rate5m|slo:sli_error:ratio_rate30m|slo:sli_error:ratio_rate1h|slo:sli_error:ratio_rate2h|slo:sli_error:ratio_rate6h|slo:sli_error:ratio_rate1d|slo:sli_error:ratio_rate3d\", slo_service=\"live\", slo_name=\"{slo}\"}})`: parse error at char 3\n"))
        .collect();
    assert_eq!(run.stdout, refused.concat());
    assert_eq!(run.stderr, "error: Prometheus could not answer for live/quarter, live/spent, live/outage, live/burn, live/recorded, live/quiet (above)\n");

    let run = project.slocc(&["status"]);
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        "error: no Prometheus to ask: give `--prometheus URL` or set SLOCC_PROMETHEUS_URL\n"
    );
}

fn git(project: &Project, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(project.path())
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn backtest_replays_the_policy_on_the_history_and_compares_it_with_a_revision_on_prometheus_2() {
    backtest_replays_the_policy_on_the_history_and_compares_it_with_a_revision(Engine::V2);
}

#[test]
fn backtest_replays_the_policy_on_the_history_and_compares_it_with_a_revision_on_prometheus_3() {
    backtest_replays_the_policy_on_the_history_and_compares_it_with_a_revision(Engine::V3);
}

fn backtest_replays_the_policy_on_the_history_and_compares_it_with_a_revision(engine: Engine) {
    let project = two_revisions();
    let now = now_minute();
    let (_server, url) = prometheus(&project, now, engine);
    let run = project.slocc(&[
        "backtest",
        "--prometheus",
        &url,
        "--since",
        "3d",
        "--format",
        "json",
    ]);
    run.expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let slos = &report["sides"][0]["slos"];
    the_outage_pages_once(&slos[2], now);
    // The 2x burn: ticket episodes only.
    let burn = &slos[3];
    assert!(episodes(burn, "page").is_empty(), "{burn}");
    assert!(!episodes(burn, "ticket").is_empty(), "{burn}");
    // Six quiet hours fire nothing.
    let quiet = &slos[5];
    assert!(
        quiet["fast_burns"].as_array().unwrap().is_empty(),
        "{quiet}"
    );
    for tier in quiet["tiers"].as_array().unwrap() {
        assert!(tier["episodes"].as_array().unwrap().is_empty(), "{quiet}");
    }
    assert!(report["queries"].as_u64().unwrap() > 10 && report["samples"].as_u64().unwrap() > 0);
    against_the_base_revision(&project, &url);
}

/// A project whose base revision (a git commit) pages at 1.8x over 1h/5m and whose working
/// tree uses the default policy, with an MTTR target on the outage SLO.
fn two_revisions() -> Project {
    let project = Project::new();
    // At the base revision the burn SLO pages at 1.8x over 1h/5m (0.25% of the budget in an
    // hour); the working tree uses the default policy.
    let custom = spec().replace(
        "  - name: recorded",
        "    alerting:\n      windows:\n        - {long: 1h, short: 5m, budget_percent: 0.25, severity: page}\n  - name: recorded",
    );
    project.file("specs/live.yaml", &custom);
    git(&project, &["init", "-q"]);
    git(&project, &["add", "specs"]);
    git(&project, &["commit", "-q", "-m", "base"]);
    // The working tree also sets an MTTR target of 5 minutes on the outage SLO.
    let with_target = spec().replace("  - name: outage\n", "  - name: outage\n    mttr: 5m\n");
    project.file("specs/live.yaml", &with_target);
    project
}

/// A backtested SLO's episodes of `class`: `(start, end)` pairs.
fn episodes(slo: &serde_json::Value, class: &str) -> Vec<(i64, i64)> {
    let found = slo["severities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["severity"] == class);
    found.map_or_else(Vec::new, |s| {
        serde_json::from_value(s["episodes"].clone()).unwrap()
    })
}

/// The 10-minute outage: one page episode (the 14.4x and 6x tiers overlap), starting within
/// two evaluation intervals (the 14.4x tier needs 0.0144 of an hour: 52 seconds), and one
/// incident with its MTTR.
fn the_outage_pages_once(outage: &serde_json::Value, now: u64) {
    let outage_start = (now - HISTORY * 60 + OUTAGE_MINUTE * 60) as i64;
    let pages = episodes(outage, "page");
    assert_eq!(pages.len(), 1, "{outage}");
    assert!(
        (0..=120).contains(&(pages[0].0 - outage_start)),
        "paged {}s after the outage began",
        pages[0].0 - outage_start
    );
    let fast = outage["fast_burns"].as_array().unwrap();
    assert_eq!(fast.len(), 1, "{outage}");
    assert!(fast[0]["paged_after"].as_i64().unwrap() <= 120, "{outage}");
    let spent = outage["tiers"][0]["episodes"][0]["budget_spent"]
        .as_f64()
        .unwrap();
    assert!(spent > 0.0 && spent <= 6_000.0 / (0.001 * TOTAL), "{spent}");
    // One incident, measured from the outage: detected and paged within two evaluations of
    // the 5-minute ratio seeing it, recovered once the outage has left the 5-minute window
    // (10 minutes, plus up to a 5-minute tile and a step); its MTTR is over the 5m target.
    let incidents = outage["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1, "{outage}");
    let incident = &incidents[0];
    let onset = incident["onset"].as_i64().unwrap();
    assert!((-60..=300).contains(&(onset - outage_start)), "{incident}");
    let recover = incident["time_to_recover"].as_i64().unwrap();
    assert!(
        (600..=960).contains(&(onset - outage_start + recover)),
        "{incident}"
    );
    assert!(
        incident["time_to_page"].as_i64().unwrap() <= 420,
        "{incident}"
    );
    assert_eq!(incident["classes"], serde_json::json!(["page", "ticket"]));
    assert_eq!(outage["mttr"]["seconds"].as_f64(), Some(recover as f64));
    assert_eq!(
        outage["mttr"]["by_class"]["page"].as_f64(),
        Some(recover as f64)
    );
    assert_eq!(outage["mttr"]["over_target"], true, "{outage}");
}

/// Against the base revision: its 1.8x tier would have paged once for the 2x burn.
fn against_the_base_revision(project: &Project, url: &str) {
    let compared = project.slocc(&[
        "backtest",
        "--prometheus",
        url,
        "--since",
        "3d",
        "--base",
        "HEAD",
        "--slo",
        "burn",
    ]);
    compared.expect_code(0);
    let text = &compared.stdout;
    let (base, tree) = text.split_once("== policy in the working tree").unwrap();
    assert!(
        base.starts_with("== policy at HEAD\nlive/burn\n  page 1h/5m: 1 episode (2.333/week); "),
        "{text}"
    );
    assert!(
        !base.contains("live/outage"),
        "--slo selects on both sides: {text}"
    );
    assert!(tree.contains("  page 1h/5m: 0 episodes (0/week)"), "{text}");
    assert!(tree.contains("  MTTR "), "{text}");
    assert!(
        tree.contains("    ") && tree.contains(" burn began\n"),
        "{text}"
    );
    assert!(
        text.contains("replayed the last 3d at a 1m step: "),
        "{text}"
    );
}

/// Runs openssl with `args` (split at spaces) in `dir`, which must succeed.
fn openssl(dir: &std::path::Path, args: &str) {
    let args: Vec<&str> = args.split(' ').collect();
    let out = Command::new("openssl")
        .args(&args)
        .current_dir(dir)
        .output()
        .expect("openssl (scripts/test installs Debian's openssl)");
    assert!(out.status.success(), "openssl {args:?}: {out:?}");
}

/// An HTTPS server on loopback whose certificate a private CA signed (`ca.pem` in the
/// project); it answers every request with OpenSSL's status page.
fn private_ca_server(project: &Project) -> (Server, u16) {
    let dir = project.path();
    project.file("san.cnf", "subjectAltName = IP:127.0.0.1\n");
    let key = "-newkey rsa:2048 -nodes -keyout";
    openssl(
        dir,
        &format!("req -x509 {key} ca.key -out ca.pem -days 2 -subj /CN=slocc-test-CA"),
    );
    openssl(
        dir,
        &format!("req {key} server.key -out server.csr -subj /CN=127.0.0.1"),
    );
    openssl(
        dir,
        "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem \
         -days 2 -extfile san.cnf",
    );
    let port = free_port();
    let child = Command::new("openssl")
        .args([
            "s_server",
            "-quiet",
            "-www",
            "-cert",
            "server.pem",
            "-key",
            "server.key",
            "-accept",
        ])
        .arg(format!("127.0.0.1:{port}"))
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start openssl s_server");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "openssl s_server did not listen");
        std::thread::sleep(Duration::from_millis(100));
    }
    (Server(child), port)
}

#[test]
fn a_private_ca_is_trusted_with_ca_file_or_ssl_cert_file() {
    let project = Project::new();
    project.file("specs/live.yaml", &spec());
    let (_server, port) = private_ca_server(&project);
    let url = format!("https://127.0.0.1:{port}");
    // Not trusted by default: the handshake fails, said as such.
    let run = project.slocc(&["status", "--prometheus", &url]);
    run.expect_code(2);
    assert_eq!(run.stderr, format!("error: cannot reach Prometheus at {url}: invalid peer certificate: UnknownIssuer (a private CA? give its certificate with `--ca-file` or SSL_CERT_FILE)\n"));
    // With the CA, TLS succeeds and the server is reached (it is not Prometheus).
    let reached = format!("error: {url} did not answer as the Prometheus API (HTTP 200): ");
    let run = project.slocc(&["status", "--prometheus", &url, "--ca-file", "ca.pem"]);
    run.expect_code(2);
    assert!(run.stderr.starts_with(&reached), "{}", run.stderr);
    let run = project.slocc_env(
        &["status", "--prometheus", &url],
        &[("SSL_CERT_FILE", "ca.pem")],
    );
    run.expect_code(2);
    assert!(run.stderr.starts_with(&reached), "{}", run.stderr);
    // A file that is not a CA bundle is refused before anything is sent.
    let run = project.slocc(&[
        "status",
        "--prometheus",
        &url,
        "--ca-file",
        "specs/live.yaml",
    ]);
    run.expect_code(2);
    assert_eq!(run.stderr, "error: the CA file `specs/live.yaml` holds no PEM certificate (`-----BEGIN CERTIFICATE-----`)\n");
}

#[test]
fn young_recordings_are_not_trusted_over_a_month_of_history_on_prometheus_2() {
    young_recordings_are_not_trusted_over_a_month_of_history(Engine::V2);
}

#[test]
fn young_recordings_are_not_trusted_over_a_month_of_history_on_prometheus_3() {
    young_recordings_are_not_trusted_over_a_month_of_history(Engine::V3);
}

/// Requests every five minutes of the `young` job, and the bad ones in its one incident: 5%
/// errors for two hours ten days ago.
const YOUNG_PER_STEP: u64 = 500;
const YOUNG_BAD_PER_STEP: u64 = 25;
const YOUNG_INCIDENT_STEPS: u64 = 24;

/// 31 days of the `young` job's counters every five minutes, and what rules deployed two hours
/// ago would have recorded: a period ratio from those two hours only (here 50%).
fn month_of_history(now: u64) -> String {
    let steps = 31 * 288;
    let start = now - steps * 300;
    let incident = steps - 10 * 288;
    let mut out = String::from("# TYPE http_requests counter\n");
    for code in ["200", "500"] {
        let mut count = 0;
        for step in 0..=steps {
            let bad = if (incident..incident + YOUNG_INCIDENT_STEPS).contains(&step) {
                YOUNG_BAD_PER_STEP
            } else {
                0
            };
            count += if code == "500" {
                bad
            } else {
                YOUNG_PER_STEP - bad
            };
            let at = start + step * 300;
            let _ = writeln!(
                out,
                "http_requests_total{{job=\"young\",code=\"{code}\"}} {count} {at}"
            );
        }
    }
    for (name, value) in [
        ("slo:sli_error:ratio_period", 0.5),
        ("slo:period_error_budget_remaining:ratio", -499.0),
    ] {
        let _ = writeln!(out, "# TYPE {} gauge", name.replace(':', "_"));
        for m in 0..=120 {
            let at = now - 7_200 + m * 60;
            let _ = writeln!(
                out,
                "{name}{{slo_service=\"young\",slo_name=\"availability\"}} {value} {at}"
            );
        }
    }
    out.push_str("# EOF\n");
    out
}

/// Rules deployed two hours ago over a month of raw history record a period ratio of two hours
/// only; `status` and its gate read the SLI queries instead, and say why.
fn young_recordings_are_not_trusted_over_a_month_of_history(engine: Engine) {
    let project = Project::new();
    project.file("specs/young.yaml", "apiVersion: slocc/v1\nservice: young\nrunbook_base_url: https://r.example.com\nslos:\n  - name: availability\n    objective: 99.9\n    sli:\n      ratio:\n        errors: sum(rate(http_requests_total{job=\"young\", code=\"500\"}[{{window}}]))\n        total: sum(rate(http_requests_total{job=\"young\"}[{{window}}]))\n");
    let now = now_minute();
    let (_server, url) = prometheus_over(&project, &month_of_history(now), engine);
    let statuses = status_json(&project, &url);
    let young = &statuses[0];
    assert_eq!(young["source"], "sli_queries", "{young}");
    let reach = young["recorded_for_seconds"].as_f64().unwrap();
    assert!((6_800.0..7_700.0).contains(&reach), "{young}");
    // 600 bad of 30 days x 288 steps x 500: 13.9% of a 99.9% budget spent.
    let bad = (YOUNG_BAD_PER_STEP * YOUNG_INCIDENT_STEPS) as f64;
    let total = (30 * 288 * YOUNG_PER_STEP) as f64;
    close(
        &young["budget_remaining"],
        1.0 - bad / total / 0.001,
        "young budget",
    );
    let human = project.slocc(&["status", "--prometheus", &url]);
    // How far back: about two hours (to the 5-minute step the first sample is looked for at,
    // which recorded_for_seconds bounds above).
    let line = human.stdout.lines().next().unwrap();
    let (figures, note) = line.split_once(" (from the SLI queries: ").unwrap();
    assert_eq!(figures, "young/availability: 99.9% over 30d: SLI 99.99%, budget left 86.11% (37m 12s of full outage), exhausted in - at the current burn");
    assert!(
        note.starts_with("slocc's recorded series reach back only ")
            && note.ends_with(" of the 30d window)"),
        "{note}"
    );
    project
        .slocc(&[
            "status",
            "--prometheus",
            &url,
            "--gate",
            "--min-budget",
            "0.8",
        ])
        .expect_code(0);
    project
        .slocc(&[
            "status",
            "--prometheus",
            &url,
            "--gate",
            "--min-budget",
            "0.9",
        ])
        .expect_code(1);
    // The report's burn-down chart comes from the SLI queries too: 121 points over the month,
    // not the two hours recorded.
    project
        .slocc(&["report", "--prometheus", &url, "-o", "report.html"])
        .expect_code(0);
    let html = project.read("report.html");
    let points = html
        .split("points=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_eq!(points.split(' ').count(), 121, "{points}");
}

/// The steps (every minute) over `[start, end]` at which `query` returns anything, asked of
/// Prometheus (or VictoriaMetrics, told not to answer from its cache) directly in chunks it
/// accepts.
pub(crate) fn steps_where(url: &str, query: &str, start: i64, end: i64) -> Vec<i64> {
    let mut out = Vec::new();
    let mut from = start;
    while from <= end {
        let to = (from + 10_000 * 60).min(end);
        let body = ureq::get(&format!("{url}/api/v1/query_range"))
            .query("query", query)
            .query("start", from.to_string())
            .query("end", to.to_string())
            .query("step", "60")
            .query("nocache", "1")
            .call()
            .expect("query Prometheus")
            .into_body()
            .read_to_string()
            .unwrap();
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        for series in json["data"]["result"].as_array().unwrap() {
            for point in series["values"].as_array().unwrap() {
                out.push(point[0].as_f64().unwrap() as i64);
            }
        }
        from = to + 60;
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Runs of consecutive minutes, as (first, last + 1m): a tier's episodes without `for:`.
pub(crate) fn episodes_of(steps: &[i64]) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::new();
    for &t in steps {
        match out.last_mut() {
            Some(run) if t - run.1 <= 0 => run.1 = t + 60,
            _ => out.push((t, t + 60)),
        }
    }
    out
}

#[test]
fn backtest_sums_agree_with_prometheus_evaluating_each_condition_on_prometheus_2() {
    backtest_sums_agree_with_prometheus_evaluating_each_condition(Engine::V2);
}

#[test]
fn backtest_sums_agree_with_prometheus_evaluating_each_condition_on_prometheus_3() {
    backtest_sums_agree_with_prometheus_evaluating_each_condition(Engine::V3);
}

/// slocc's backtest sums each SLO's events per 5-minute tile itself; here Prometheus evaluates
/// every tier's condition of the default policy (both windows' error ratios over the
/// threshold, each `rate()` over its whole window) every minute, as the rules would. Both must
/// find the same episodes, to the minute give or take the edge of a window.
fn backtest_sums_agree_with_prometheus_evaluating_each_condition(engine: Engine) {
    let project = Project::new();
    project.file("specs/live.yaml", &spec());
    let now = now_minute();
    let (_server, url) = prometheus(&project, now, engine);
    let run = project.slocc(&[
        "backtest",
        "--prometheus",
        &url,
        "--since",
        "3d",
        "--format",
        "json",
    ]);
    run.expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    // (long, short, burn factor) of the default policy.
    let tiers = [
        ("1h", "5m", 14.4),
        ("6h", "30m", 6.0),
        ("1d", "2h", 3.0),
        ("3d", "6h", 1.0),
    ];
    let (start, end) = (now as i64 - 3 * 86_400, now as i64);
    let mut compared = 0;
    for slo in report["sides"][0]["slos"].as_array().unwrap() {
        let name = slo["slo"].as_str().unwrap();
        let objective: f64 = SLOS
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap()
            .1
            .parse()
            .unwrap();
        let ratio = |w: &str| {
            format!("(sum(rate(http_requests_total{{job=\"{name}\", code=\"500\"}}[{w}])) / sum(rate(http_requests_total{{job=\"{name}\"}}[{w}])))")
        };
        for (i, (long, short, factor)) in tiers.iter().enumerate() {
            let threshold = factor * (1.0 - objective / 100.0);
            let query = format!(
                "({} > {threshold}) and ({} > {threshold})",
                ratio(long),
                ratio(short)
            );
            let want = episodes_of(&steps_where(&url, &query, start, end));
            let got: Vec<(i64, i64)> = serde_json::from_value(slo["tiers"][i]["episodes"].clone())
                .map(|e: Vec<serde_json::Value>| {
                    e.iter()
                        .map(|e| (e["start"].as_i64().unwrap(), e["end"].as_i64().unwrap()))
                        .collect()
                })
                .unwrap();
            assert_eq!(
                got.len(),
                want.len(),
                "{name} {long}/{short}: {got:?} vs {want:?}"
            );
            for (g, w) in got.iter().zip(&want) {
                let close = (g.0 - w.0).abs() <= 120 && (g.1 - w.1).abs() <= 120;
                assert!(close, "{name} {long}/{short}: {got:?} vs {want:?}");
            }
            compared += want.len();
        }
    }
    // The outage pages and tickets, the 2x burn and the spent budget ticket: not a vacuous match.
    assert!(compared >= 5, "{compared} episodes compared");
}

/// `--concurrency N` keeps at most N queries in flight and at least two when N > 1: a stand-in
/// that answers every query after 100 ms counts the requests it holds at once.
#[test]
fn live_commands_query_at_most_concurrency_slos_at_once() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let port = server.server_addr().to_ip().unwrap().port();
    let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (held, peak) = (now.clone(), most.clone());
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let (held, peak) = (held.clone(), peak.clone());
            std::thread::spawn(move || {
                peak.fetch_max(held.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(100));
                held.fetch_sub(1, Ordering::SeqCst);
                let _ = request.respond(tiny_http::Response::from_string(EMPTY));
            });
        }
    });
    let project = Project::new();
    project.file("specs/live.yaml", &spec());
    let url = format!("http://127.0.0.1:{port}");
    for (n, want) in [("1", 1), ("3", 3)] {
        most.store(0, Ordering::SeqCst);
        let run = project.slocc(&["status", "--prometheus", &url, "--concurrency", n]);
        run.expect_code(0);
        assert_eq!(most.load(Ordering::SeqCst), want, "--concurrency {n}");
    }
    let run = project.slocc(&["status", "--prometheus", &url, "--concurrency", "0"]);
    run.expect_code(2);
    assert_eq!(
        run.stderr.lines().next().unwrap(),
        "error: invalid value '0' for '--concurrency <N>': 0 is not in 1..=64"
    );
}
