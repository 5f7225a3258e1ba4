//! `slocc status` against a real Prometheus on a loopback port, serving a TSDB backfilled with
//! known incidents, and against stand-in servers for auth, prefixes and failures.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::harness::{tool, Project};

/// Requests per minute of every service.
const PER_MINUTE: u64 = 600;
/// Minutes of history.
const HISTORY: u64 = 2 * 1_440;

pub(crate) const SPEC: &str = "apiVersion: slocc/v1
service: live
runbook_base_url: https://r.example.com
slos:
  - name: outage
    objective: 99
    sli:
      ratio:
        errors: sum(rate(http_requests_total{job=\"outage\", code=\"500\"}[{{window}}]))
        total: sum(rate(http_requests_total{job=\"outage\"}[{{window}}]))
  - name: burn
    objective: 99
    sli:
      ratio:
        errors: sum(rate(http_requests_total{job=\"burn\", code=\"500\"}[{{window}}]))
        total: sum(rate(http_requests_total{job=\"burn\"}[{{window}}]))
  - name: recorded
    objective: 99
    sli:
      ratio:
        errors: sum(rate(http_requests_total{job=\"recorded\", code=\"500\"}[{{window}}]))
        total: sum(rate(http_requests_total{job=\"recorded\"}[{{window}}]))
  - name: quiet
    objective: 99
    sli:
      ratio:
        errors: sum(rate(http_requests_total{job=\"quiet\", code=\"500\"}[{{window}}]))
        total: sum(rate(http_requests_total{job=\"quiet\"}[{{window}}]))
";

/// Requests per minute of a job at minute `m`: the `quiet` job has had none for six hours.
fn traffic(job: &str, m: u64) -> u64 {
    if job == "quiet" && m > HISTORY - 360 {
        0
    } else {
        PER_MINUTE
    }
}

/// Bad requests per minute of a job at minute `m` (0 = oldest): a 10-minute full outage a day
/// ago; a 2% error ratio (a 2x burn at 99%) for the last 12 hours.
fn bad(job: &str, m: u64) -> u64 {
    match job {
        "outage" if (1_440..1_450).contains(&m) => PER_MINUTE,
        "burn" if m >= HISTORY - 720 => PER_MINUTE / 50,
        _ => 0,
    }
}

/// OpenMetrics text of the counters, and recorded series for the `recorded` SLO.
fn openmetrics(now: u64) -> String {
    let start = now - HISTORY * 60;
    let mut out = String::from("# TYPE http_requests counter\n");
    for job in ["outage", "burn", "quiet"] {
        for code in ["200", "500"] {
            let mut count = 0;
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
    }
    let _ = writeln!(out, "# TYPE ALERTS gauge");
    for m in HISTORY - 30..=HISTORY {
        let _ = writeln!(out, "ALERTS{{alertname=\"LiveBurnBudgetBurn\",alertstate=\"firing\",severity=\"page\",slo_name=\"burn\",slo_service=\"live\"}} 1 {}", start + m * 60);
    }
    out.push_str("# EOF\n");
    out
}

pub(crate) struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Prometheus on a loopback port over a TSDB backfilled with `openmetrics(now)`.
pub(crate) fn prometheus(project: &Project, now: u64) -> (Server, String) {
    project.file("history.om", &openmetrics(now));
    project.file("prometheus.yml", "global: {}\n");
    let tsdb = project.path().join("tsdb");
    let backfill = Command::new(tool("promtool", "prometheus"))
        .args(["tsdb", "create-blocks-from", "openmetrics", "history.om"])
        .arg(&tsdb)
        .current_dir(project.path())
        .output()
        .unwrap();
    assert!(backfill.status.success(), "{backfill:?}");
    let port = free_port();
    let child = Command::new(tool("prometheus", "prometheus"))
        .arg("--config.file=prometheus.yml")
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
        assert!(Instant::now() < deadline, "Prometheus did not become ready");
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
fn status_reports_budgets_burns_and_alerts_from_a_real_prometheus() {
    let project = Project::new();
    project.file("specs/live.yaml", SPEC);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 60
        * 60;
    let (_server, url) = prometheus(&project, now);
    let statuses = status_json(&project, &url);
    let [outage, burn, recorded] = [0, 1, 2].map(|i| statuses[i].clone());
    // A 10-minute full outage in two days of traffic: 6000 bad of 1 728 000.
    let total = (HISTORY * PER_MINUTE) as f64;
    let outage_ratio = (10 * PER_MINUTE) as f64 / total;
    assert_eq!(outage["source"], "sli_queries");
    close(&outage["sli"], 1.0 - outage_ratio, "outage SLI");
    close(
        &outage["budget_remaining"],
        1.0 - outage_ratio / 0.01,
        "outage budget",
    );
    close(
        &outage["full_outage_left_seconds"],
        (1.0 - outage_ratio / 0.01) * 0.01 * 30.0 * 86_400.0,
        "outage time left",
    );
    close(
        &outage["burn_rates"][0]["burn_rate"],
        0.0,
        "no errors in the last hour",
    );
    // 2% errors for 12 hours: 2x burn now; half the budget spent over the two days.
    let burn_ratio = (720 * PER_MINUTE / 50) as f64 / total;
    close(
        &burn["budget_remaining"],
        1.0 - burn_ratio / 0.01,
        "burn budget",
    );
    for b in burn["burn_rates"].as_array().unwrap().iter().take(2) {
        close(&b["burn_rate"], 2.0, "burn rate");
    }
    close(
        &burn["exhausted_in_seconds"],
        (1.0 - burn_ratio / 0.01) * 30.0 * 86_400.0 / 2.0,
        "exhaustion",
    );
    assert_eq!(burn["firing"], serde_json::json!(["page"]));
    // Six hours without traffic: the whole budget left, every burn rate 0 (not NaN).
    let quiet = &statuses[3];
    close(&quiet["budget_remaining"], 1.0, "quiet budget");
    assert_eq!(quiet["burn_rates"].as_array().unwrap().len(), 7, "{quiet}");
    for b in quiet["burn_rates"].as_array().unwrap() {
        close(&b["burn_rate"], 0.0, "quiet burn");
    }
    // Recorded series win over the SLI queries.
    assert_eq!(recorded["source"], "recorded");
    close(&recorded["budget_remaining"], 0.5, "recorded budget");
    close(
        &recorded["burn_rates"][0]["burn_rate"],
        3.0,
        "recorded 1h burn",
    );

    let human = project.slocc(&["status", "--prometheus", &url]);
    for line in [
        "live/recorded: 99% over 30d: SLI 99.5%, budget left 50% (3h 36m of full outage), exhausted in 5d at the current burn\n  burn rates: 1h 3x\n",
        "  firing: page\n",
        "(from the SLI queries: no recorded series yet)",
    ] {
        assert!(human.stdout.contains(line), "{line}\n{}", human.stdout);
    }
    let markdown = project.slocc(&["status", "--prometheus", &url, "--format", "markdown"]);
    assert!(
        markdown.stdout.starts_with("| SLO | Objective |"),
        "{}",
        markdown.stdout
    );
    // The deploy gate: all budgets left pass; a minimum of 80% stops the deploy.
    project
        .slocc(&["status", "--prometheus", &url, "--gate"])
        .expect_code(0);
    let gated = project.slocc(&[
        "status",
        "--prometheus",
        &url,
        "--gate",
        "--min-budget",
        "0.8",
    ]);
    gated.expect_code(1);
    assert!(
        gated
            .stderr
            .contains("error: error budget under 80% for live/outage, live/burn, live/recorded"),
        "{}",
        gated.stderr
    );
}

/// A stand-in server: answers every request with `status` and `body`, and hands back the
/// first request it got.
fn stand_in(status: &str, body: &'static str) -> (u16, std::sync::mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    let status = status.to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut buf = [0u8; 8192];
            let n = stream.read(&mut buf).unwrap_or(0);
            let _ = tx.send(String::from_utf8_lossy(&buf[..n]).into_owned());
            let _ = write!(stream, "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        }
    });
    (port, rx)
}

const EMPTY: &str = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;

#[test]
fn credentials_go_on_the_wire_and_nowhere_else() {
    let project = Project::new();
    project.file("specs/live.yaml", SPEC);
    let (port, requests) = stand_in("200 OK", EMPTY);
    let url = format!("http://127.0.0.1:{port}/prometheus");
    let run = project.slocc_env(
        &["status", "--prometheus", &url],
        &[("SLOCC_PROMETHEUS_TOKEN", "s3cret-token")],
    );
    run.expect_code(0);
    let request = requests.recv().unwrap();
    assert!(
        request.starts_with("GET /prometheus/api/v1/query?query="),
        "{request}"
    );
    assert!(
        request.contains("authorization: Bearer s3cret-token")
            || request.contains("Authorization: Bearer s3cret-token"),
        "{request}"
    );
    assert!(!run.stdout.contains("s3cret") && !run.stderr.contains("s3cret"));
    assert!(run.stdout.contains("no data yet"), "{}", run.stdout);

    let (port, requests) = stand_in("200 OK", EMPTY);
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
    let request = requests.recv().unwrap().to_lowercase();
    assert!(
        request.contains("authorization: basic dxnlcjpwdw=="),
        "{request}"
    );
}

#[test]
fn unreachable_foreign_and_failing_servers_are_clear_errors() {
    let project = Project::new();
    project.file("specs/live.yaml", SPEC);
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

    let (port, _requests) = stand_in("200 OK", "<html>not here</html>");
    let run = project.slocc(&[
        "status",
        "--prometheus",
        &format!("http://127.0.0.1:{port}"),
    ]);
    run.expect_code(2);
    assert!(
        run.stderr
            .contains("did not answer as the Prometheus API (HTTP 200): <html>not here</html>"),
        "{}",
        run.stderr
    );

    let (port, _requests) = stand_in(
        "400 Bad Request",
        r#"{"status":"error","errorType":"bad_data","error":"parse error at char 3"}"#,
    );
    let run = project.slocc(&[
        "status",
        "--prometheus",
        &format!("http://127.0.0.1:{port}"),
    ]);
    run.expect_code(2);
    assert!(run.stderr.contains("Prometheus refused the query `max(slo:sli_error:ratio_period{slo_service=\"live\", slo_name=\"outage\"})`: parse error at char 3"), "{}", run.stderr);

    let run = project.slocc(&["status"]);
    run.expect_code(2);
    assert!(
        run.stderr
            .contains("no Prometheus to ask: give `--prometheus URL` or set SLOCC_PROMETHEUS_URL"),
        "{}",
        run.stderr
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
fn backtest_replays_the_policy_on_the_history_and_compares_it_with_a_revision() {
    let project = Project::new();
    // At the base revision the burn SLO pages at 1.8x over 1h/5m (0.25% of the budget in an
    // hour); the working tree uses the default policy.
    let custom = SPEC.replace(
        "  - name: recorded",
        "    alerting:\n      windows:\n        - {long: 1h, short: 5m, budget_percent: 0.25, severity: page}\n  - name: recorded",
    );
    project.file("specs/live.yaml", &custom);
    git(&project, &["init", "-q"]);
    git(&project, &["add", "specs"]);
    git(&project, &["commit", "-q", "-m", "base"]);
    project.file("specs/live.yaml", SPEC);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 60
        * 60;
    let (_server, url) = prometheus(&project, now);
    let run = project.slocc(&[
        "backtest",
        "--prometheus",
        &url,
        "--since",
        "2d",
        "--format",
        "json",
    ]);
    run.expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let slos = &report["sides"][0]["slos"];
    // The 10-minute outage a day ago: the 14.4x tier (0.144 of the last hour bad: 8.64 minutes
    // in) fires once, the slower tiers never (6x would need 21.6 bad minutes in 6 hours).
    let outage = &slos[0];
    let outage_start = (now - HISTORY * 60 + 1_440 * 60) as i64;
    let episodes = |i: usize| outage["tiers"][i]["episodes"].as_array().unwrap().clone();
    assert_eq!(episodes(0).len(), 1, "{outage}");
    let start = episodes(0)[0]["start"].as_i64().unwrap() - outage_start;
    assert!(
        (8 * 60..=11 * 60).contains(&start),
        "fired {start}s after the outage began"
    );
    // It fired for part of the outage: some, but less than the whole outage's 6000 bad events
    // of a 30-day budget of 0.01 x 600 x 43200 (2.3%).
    let spent = episodes(0)[0]["budget_spent"].as_f64().unwrap();
    assert!(spent > 0.0 && spent < 6_000.0 / 259_200.0, "{spent}");
    for i in 1..4 {
        assert!(episodes(i).is_empty(), "tier {i}: {outage}");
    }
    let fast = &outage["fast_burns"];
    assert_eq!(fast.as_array().unwrap().len(), 1, "{outage}");
    let paged_after = fast[0]["paged_after"].as_i64().unwrap();
    assert!((6 * 60..=11 * 60).contains(&paged_after), "{paged_after}");
    // The 12-hour 2x burn is under every default tier.
    let burn = &slos[1];
    for tier in burn["tiers"].as_array().unwrap() {
        assert!(tier["episodes"].as_array().unwrap().is_empty(), "{burn}");
    }
    // Six quiet hours fire nothing.
    let quiet = &slos[3];
    assert!(
        quiet["fast_burns"].as_array().unwrap().is_empty(),
        "{quiet}"
    );
    for tier in quiet["tiers"].as_array().unwrap() {
        assert!(tier["episodes"].as_array().unwrap().is_empty(), "{quiet}");
    }
    assert!(report["queries"].as_u64().unwrap() > 10 && report["samples"].as_u64().unwrap() > 0);

    // Against the base revision: its 1.8x tier would have paged once for the 2x burn.
    let compared = project.slocc(&[
        "backtest",
        "--prometheus",
        &url,
        "--since",
        "2d",
        "--base",
        "HEAD",
        "--slo",
        "burn",
    ]);
    compared.expect_code(0);
    let text = &compared.stdout;
    let (base, tree) = text.split_once("== policy in the working tree").unwrap();
    assert!(
        base.starts_with("== policy at HEAD\nlive/burn\n  page 1h/5m: 1 episode (3.5/week); "),
        "{text}"
    );
    assert!(
        !base.contains("live/outage"),
        "--slo selects on both sides: {text}"
    );
    assert!(tree.contains("  page 1h/5m: 0 episodes (0/week)"), "{text}");
    assert!(
        text.contains("replayed the last 2d at a 1m step: "),
        "{text}"
    );
}
