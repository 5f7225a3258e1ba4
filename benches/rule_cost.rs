//! Rule-evaluation cost on a real Prometheus: slocc's rules against the rules the real Sloth
//! (`sloth generate`, v0.16.0 from `scripts/tools`) writes for the same SLOs, over the same
//! synthetic history.
//!
//! `cargo bench --bench rule_cost -- [--services N] [--series S] [--minutes M] [--keep]
//! [--before PATH] [--engine 2|3]`
//!
//! It writes N services (one availability SLO each, whose SLI reads S series: S/2 instances
//! by two status codes), compiles slocc's rules, runs Sloth on the same SLOs, backfills a
//! TSDB per side (`promtool tsdb create-blocks-from openmetrics`): three days of raw counters
//! at 1m, which every raw-window rule reads, and 31 days of the recorded series each side's
//! long windows and period rule read, at the density their recording rules leave (5m rates
//! every minute; slocc's day sums every minute for three days and hourly sums every hour),
//! then starts three Prometheus
//! servers on loopback ports (slocc's rules, Sloth's, none, all scraping themselves), plus,
//! with `--before PATH`, a fourth running the rules an earlier slocc binary compiles from the
//! same specs over a copy of slocc's history. It lets them settle for 90 s, waits M minutes and
//! prints rule-evaluation time, CPU for rules (over the no-rules server), resident memory and Go
//! heap, NaN series; then it samples every rule's evaluation time every 10 s for two minutes
//! (the rules API's answers cost CPU, so not while CPU is measured) and prints the most
//! expensive rules. `--engine 2` (the default) runs Debian's Prometheus 2.42 (`prometheus` and
//! `promtool` on PATH), `--engine 3` the Prometheus 3 that `scripts/tools` builds.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

struct Options {
    services: usize,
    series: usize,
    minutes: u64,
    keep: bool,
    /// An earlier slocc binary whose rules run on a fourth server, for a before/after figure.
    before: Option<PathBuf>,
    /// `prometheus` and `promtool` of the Prometheus generation measured.
    prometheus: PathBuf,
    promtool: PathBuf,
}

/// A binary `scripts/tools` builds into `.tools/bin`.
fn built(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".tools/bin")
        .join(name);
    assert!(
        path.is_file(),
        "{} is missing: run scripts/tools",
        path.display()
    );
    path
}

fn options() -> Options {
    let mut o = Options {
        services: 20,
        series: 20,
        minutes: 5,
        keep: false,
        before: None,
        prometheus: PathBuf::from("prometheus"),
        promtool: PathBuf::from("promtool"),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = || {
            args.get(i + 1)
                .and_then(|v| v.parse::<u64>().ok())
                .expect("a number after the flag")
        };
        match args[i].as_str() {
            "--services" => o.services = value() as usize,
            "--series" => o.series = (value() as usize).max(2),
            "--minutes" => o.minutes = value().max(1),
            "--keep" => {
                o.keep = true;
                i -= 1;
            }
            "--before" => {
                let bin = args.get(i + 1).expect("a slocc binary after --before");
                o.before = Some(std::fs::canonicalize(bin).expect("the --before binary exists"));
            }
            "--engine" if value() == 3 => {
                o.prometheus = built("prometheus");
                o.promtool = built("promtool");
            }
            "--engine" => {}
            // `cargo bench` passes `--bench`.
            _ => {
                i -= 1;
            }
        }
        i += 2;
    }
    o
}

fn specs(dir: &Path, o: &Options) {
    std::fs::create_dir_all(dir).unwrap();
    for s in 0..o.services {
        let text = format!(
            "apiVersion: slocc/v1\nservice: svc-{s:03}\nrunbook_base_url: https://r.example.com\nslos:\n  - name: availability\n    objective: 99.9\n    window: 30d\n    sli:\n      ratio:\n        errors: sum(rate(http_requests_total{{job=\"svc-{s:03}\", code=~\"5..\"}}[{{{{window}}}}]))\n        total: sum(rate(http_requests_total{{job=\"svc-{s:03}\"}}[{{{{window}}}}]))\n    alerting:\n      name: Svc{s:03}Availability\n"
        );
        std::fs::write(dir.join(format!("svc-{s:03}.yaml")), text).unwrap();
    }
}

/// The same SLO as slocc's spec of service `s`, as a Sloth `prometheus/v1` document.
fn sloth_spec(s: usize) -> String {
    format!(
        "version: \"prometheus/v1\"\nservice: \"svc-{s:03}\"\nslos:\n  - name: \"availability\"\n    objective: 99.9\n    sli:\n      events:\n        error_query: sum(rate(http_requests_total{{job=\"svc-{s:03}\",code=~\"5..\"}}[{{{{.window}}}}]))\n        total_query: sum(rate(http_requests_total{{job=\"svc-{s:03}\"}}[{{{{.window}}}}]))\n    alerting:\n      name: Svc{s:03}Availability\n      page_alert:\n        labels: {{severity: page}}\n      ticket_alert:\n        labels: {{severity: ticket}}\n"
    )
}

/// History as OpenMetrics: the raw counters for the last three days at 1m, and `recorded` (a
/// function of service and minute-in-history giving the series lines) for 31 days at 1m.
fn history(path: &Path, o: &Options, now: u64, recorded: &dyn Fn(usize, u64, &mut String)) {
    use std::io::Write;
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let raw_minutes = 3 * 1_440 + 60;
    writeln!(file, "# TYPE http_requests counter").unwrap();
    let mut line = String::new();
    for s in 0..o.services {
        for i in 0..o.series / 2 {
            for (code, per_minute) in [("200", 997.0), ("500", 3.0)] {
                for m in 0..=raw_minutes {
                    line.clear();
                    let t = now - (raw_minutes - m) * 60;
                    let _ = writeln!(line, "http_requests_total{{job=\"svc-{s:03}\",instance=\"i{i}\",code=\"{code}\"}} {} {t}", per_minute * m as f64);
                    file.write_all(line.as_bytes()).unwrap();
                }
            }
        }
    }
    for s in 0..o.services {
        for m in 0..=31 * 1_440 {
            line.clear();
            recorded(s, now - (31 * 1_440 - m) * 60, &mut line);
            file.write_all(line.as_bytes()).unwrap();
        }
    }
    writeln!(file, "# EOF").unwrap();
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run a tool (is Prometheus installed?)");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

struct Server {
    child: Child,
    port: u16,
    name: &'static str,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path, o: &Options, name: &'static str, rules: &[PathBuf]) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let rule_files: Vec<String> = rules.iter().map(|p| format!("'{}'", p.display())).collect();
    let config = dir.join(format!("{name}.yml"));
    std::fs::write(
        &config,
        format!("global: {{scrape_interval: 15s, evaluation_interval: 1m}}\nrule_files: [{}]\nscrape_configs:\n  - job_name: self\n    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n", rule_files.join(", ")),
    )
    .unwrap();
    let child = Command::new(&o.prometheus)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join(format!("tsdb-{name}")).display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--storage.tsdb.retention.time=60d")
        // The backfilled day-long blocks stay as they are: merging 31 days of them into larger
        // blocks takes minutes of CPU after startup, in proportion to how much history each
        // side stores, and would be counted as the rules' cost. A long-running server did that
        // work long ago.
        .arg("--storage.tsdb.min-block-duration=2h")
        .arg("--storage.tsdb.max-block-duration=2h")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start prometheus");
    Server { child, port, name }
}

/// An instant query's first value.
fn value(port: u16, query: &str) -> f64 {
    let body = http(port, &format!("/api/v1/query?query={}", encode(query)));
    let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    json["data"]["result"][0]["value"][1]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

fn encode(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn http(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    // HTTP/1.0, so the answer is not chunked.
    let _ = write!(s, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n");
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    text.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

/// Adds each rule's last evaluation time per minute (scaled by its group's interval), summed
/// over the services (rules of one name), to `totals`; sampled every few seconds, it averages
/// out the pauses one evaluation can catch.
fn sample_rules(port: u16, totals: &mut std::collections::BTreeMap<String, f64>) {
    let json: serde_json::Value =
        serde_json::from_str(&http(port, "/api/v1/rules")).unwrap_or_default();
    for g in json["data"]["groups"].as_array().into_iter().flatten() {
        let per_minute = 60.0 / g["interval"].as_f64().unwrap_or(60.0);
        for r in g["rules"].as_array().into_iter().flatten() {
            let name = match r["type"].as_str() {
                Some("alerting") => "alerts".to_string(),
                _ => r["name"].as_str().unwrap_or("").to_string(),
            };
            *totals.entry(name).or_default() +=
                r["evaluationTime"].as_f64().unwrap_or(0.0) * per_minute;
        }
    }
}

fn rule_count(dir: &Path) -> usize {
    yml_files(dir)
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            text.matches("- record:").count() + text.matches("- alert:").count()
        })
        .sum()
}

fn main() {
    let o = options();
    let dir = std::env::temp_dir().join(format!("slocc-rule-cost-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    eprintln!(
        "rule cost: {} services x {} series, {} minutes, in {}",
        o.services,
        o.series,
        o.minutes,
        dir.display()
    );
    let sides = prepare(&dir, &o);
    let servers: Vec<Server> = sides
        .iter()
        .map(|(name, files, _)| start(&dir, &o, name, files))
        .collect();
    eprintln!(
        "measuring for {} minutes (plus 90s to settle)...",
        o.minutes
    );
    std::thread::sleep(Duration::from_secs(90));
    // Nothing but the servers' own scrapes runs while CPU is measured: the per-rule breakdown
    // polls the rules API, whose answers (every rule with its annotations) cost CPU too, so it
    // comes after.
    std::thread::sleep(Duration::from_secs(o.minutes * 60));
    let rules: Vec<usize> = sides.iter().map(|s| s.2).collect();
    report(&o, &servers, &rules);
    let mut per_rule = vec![std::collections::BTreeMap::new(); servers.len()];
    for _ in 0..BREAKDOWN_SAMPLES {
        std::thread::sleep(Duration::from_secs(10));
        for (server, totals) in servers.iter().zip(&mut per_rule) {
            sample_rules(server.port, totals);
        }
    }
    breakdown(&servers[..servers.len() - 1], &per_rule);
    drop(servers);
    if !o.keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Writes the specs, every side's rules and history; returns each server's name, rule files
/// and rule count, the no-rules server last.
fn prepare(dir: &Path, o: &Options) -> Vec<(&'static str, Vec<PathBuf>, usize)> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 60
        * 60;
    specs(&dir.join("specs"), o);
    let mut slocc_sides = vec![("slocc", PathBuf::from(env!("CARGO_BIN_EXE_slocc")))];
    if let Some(before) = &o.before {
        slocc_sides.push(("before", before.clone()));
    }
    for (name, bin) in &slocc_sides {
        run(Command::new(bin)
            .args([
                "compile",
                "specs",
                "-o",
                &format!("{name}-rules"),
                "--no-runbooks",
            ])
            .current_dir(dir));
    }
    let sloth_dir = dir.join("sloth-rules");
    std::fs::create_dir_all(&sloth_dir).unwrap();
    // One file per service: given several documents, Sloth writes several YAML documents into
    // one file, and Prometheus reads only the first document of a rule file.
    std::fs::create_dir_all(dir.join("sloth-specs")).unwrap();
    for s in 0..o.services {
        let spec = format!("sloth-specs/svc-{s:03}.yaml");
        std::fs::write(dir.join(&spec), sloth_spec(s)).unwrap();
        let out = format!("sloth-rules/svc-{s:03}.yml");
        run(Command::new(built("sloth"))
            .args(["generate", "-i", &spec, "-o", &out])
            .current_dir(dir));
    }
    let build = Instant::now();
    backfill(dir, o, now);
    if o.before.is_some() {
        run(Command::new("cp")
            .arg("-r")
            .arg(dir.join("tsdb-slocc"))
            .arg(dir.join("tsdb-before")));
    }
    eprintln!("history written and backfilled in {:.0?}", build.elapsed());
    let mut sides: Vec<_> = slocc_sides
        .iter()
        .map(|(name, _)| {
            let rules = dir.join(format!("{name}-rules"));
            (*name, yml_files(&rules), rule_count(&rules))
        })
        .collect();
    sides.push(("sloth", yml_files(&sloth_dir), rule_count(&sloth_dir)));
    sides.push(("none", Vec::new(), 0));
    sides
}

fn yml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yml"))
        .collect();
    files.sort();
    files
}

/// The history each side's rules read, backfilled into `tsdb-slocc` and `tsdb-sloth`.
fn backfill(dir: &Path, o: &Options, now: u64) {
    history(&dir.join("slocc.om"), o, now, &|s, t, line| {
        let l = format!("slo_service=\"svc-{s:03}\",slo_name=\"availability\"");
        let (bad, total) = (
            3.0 / 60.0 * (o.series / 2) as f64,
            1_000.0 / 60.0 * (o.series / 2) as f64,
        );
        let _ = writeln!(
            line,
            "slo:sli_bad:rate5m{{{l}}} {bad} {t}\nslo:sli_total:rate5m{{{l}}} {total} {t}"
        );
        // The day sums the whole-day windows read (today, 1d and 2d ago), for the last 3 days.
        if t + 3 * 86_400 + 3_600 >= now {
            let _ = writeln!(
                line,
                "slo:sli_bad:sum1d{{{l}}} {} {t}\nslo:sli_total:sum1d{{{l}}} {} {t}",
                bad * 1_440.0,
                total * 1_440.0
            );
        }
        // The hourly sums the period rule reads, one an hour as the hourly group leaves them.
        if t % 3_600 == 0 {
            let _ = writeln!(
                line,
                "slo:sli_bad:increase1h{{{l}}} {} {t}\nslo:sli_total:increase1h{{{l}}} {} {t}",
                bad * 3_600.0,
                total * 3_600.0
            );
        }
    });
    history(&dir.join("sloth.om"), o, now, &|s, t, line| {
        let _ = writeln!(line, "slo:sli_error:ratio_rate5m{{sloth_id=\"svc-{s:03}-availability\",sloth_service=\"svc-{s:03}\",sloth_slo=\"availability\",sloth_window=\"5m\"}} 0.003 {t}");
    });
    for side in ["slocc", "sloth"] {
        // Day-long blocks: 2-hour ones (the default) make the backfill several times slower.
        run(Command::new(&o.promtool)
            .args([
                "tsdb",
                "create-blocks-from",
                "openmetrics",
                "--max-block-duration=24h",
            ])
            .arg(dir.join(format!("{side}.om")))
            .arg(dir.join(format!("tsdb-{side}"))));
        let _ = std::fs::remove_file(dir.join(format!("{side}.om")));
    }
}

/// Samples of every rule's evaluation time, 10 s apart, after the measured window.
const BREAKDOWN_SAMPLES: usize = 12;

fn report(o: &Options, servers: &[Server], rules: &[usize]) {
    let window = format!("{}m", o.minutes);
    let (measured, none) = servers.split_at(servers.len() - 1);
    let cpu = |port: u16| {
        value(
            port,
            &format!("rate(process_cpu_seconds_total{{job=\"self\"}}[{window}]) * 60"),
        )
    };
    let baseline = cpu(none[0].port);
    let names: Vec<&str> = measured.iter().map(|s| s.name).collect();
    let ratios: Vec<(usize, usize)> = ratio_columns(&names);
    let ratio_names: Vec<String> = ratios
        .iter()
        .map(|&(a, b)| format!("{} / {}", names[a], names[b]))
        .collect();
    println!(
        "| {} services x {} series | {} | {} |",
        o.services,
        o.series,
        names.join(" | "),
        ratio_names.join(" | ")
    );
    println!("|---|{}", "---|".repeat(names.len() + ratios.len()));
    let memory = |agg: &str, metric: &str| {
        let q = format!("{agg}_over_time({metric}{{job=\"self\"}}[{window}])");
        measured
            .iter()
            .map(|s| value(s.port, &q) / 1_048_576.0)
            .collect::<Vec<_>>()
    };
    let each = |q: &str| {
        measured
            .iter()
            .map(|s| value(s.port, q))
            .collect::<Vec<_>>()
    };
    let rows: Vec<(&str, Vec<f64>)> = vec![
        ("rules per SLO", rules[..measured.len()].iter().map(|&r| r as f64 / o.services as f64).collect()),
        ("rule evaluation time per minute (s)", each(&format!("rate(prometheus_rule_group_duration_seconds_sum[{window}]) * 60"))),
        ("Prometheus CPU for rules per minute (s)", measured.iter().map(|s| cpu(s.port) - baseline).collect()),
        ("resident memory, average (MiB)", memory("avg", "process_resident_memory_bytes")),
        ("resident memory, peak (MiB)", memory("max", "process_resident_memory_bytes")),
        ("Go heap in use, average (MiB)", memory("avg", "go_memstats_heap_inuse_bytes")),
        ("TSDB compactions during the run", each(&format!("increase(prometheus_tsdb_compactions_total[{window}])"))),
        ("NaN series recorded", each("(count({__name__=~\"slo:.+\"}) - count({__name__=~\"slo:.+\"} >= -Inf)) or vector(0)")),
    ];
    for (name, values) in rows {
        let cells: Vec<String> = values.iter().map(|v| format!("{v:.3}")).collect();
        let ratio_cells: Vec<String> = ratios
            .iter()
            .map(|&(a, b)| format!("{:.2}", values[a] / values[b]))
            .collect();
        println!(
            "| {name} | {} | {} |",
            cells.join(" | "),
            ratio_cells.join(" | ")
        );
    }
    println!("\n(the no-rules server used {baseline:.3} s of CPU per minute)");
}

fn breakdown(servers: &[Server], per_rule: &[std::collections::BTreeMap<String, f64>]) {
    for (server, totals) in servers.iter().zip(per_rule) {
        println!(
            "\nmost expensive rules, {} (ms per minute, all services, average of {BREAKDOWN_SAMPLES} samples):",
            server.name
        );
        let mut ranked: Vec<(&String, &f64)> = totals.iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(a.1));
        for (rule, total) in ranked.into_iter().take(8) {
            println!(
                "  {:8.2}  {rule}",
                total * 1_000.0 / BREAKDOWN_SAMPLES as f64
            );
        }
    }
}

/// Which columns to divide: slocc by Sloth, and slocc by the earlier binary when there is one.
fn ratio_columns(names: &[&str]) -> Vec<(usize, usize)> {
    let at = |n: &str| names.iter().position(|x| *x == n);
    let slocc = at("slocc").unwrap();
    [at("sloth"), at("before")]
        .into_iter()
        .flatten()
        .map(|other| (slocc, other))
        .collect()
}
