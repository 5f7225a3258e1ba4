//! The live commands against a real Prometheus holding a fleet's history: how long `status`,
//! `report` and `backtest` take, at one SLO at a time and at the default concurrency.
//!
//! `cargo bench --bench live -- [--slos N] [--days D] [--engine 2|3] [--before PATH]
//! [--dir DIR]`
//!
//! It writes N SLOs (default 200: N/10 services of ten availability SLOs each, every SLO
//! reading its own job's two counters), backfills D days (default 30) of those counters at a
//! 1m scrape interval plus the 3 days the longest alert window reaches before them, with an
//! outage and a slow burn per SLO on different days so the backtest has episodes to find,
//! starts Prometheus on a loopback port over it (no rules: the recorded series are not there,
//! so `status` reads the SLI queries, the expensive case), and times each command end to end.
//! `--before PATH` also times an earlier slocc binary on the same server (it has no
//! `--concurrency`; its backtest is run on the first service only, ten SLOs, because it takes
//! minutes). `--engine 2` (the default) runs Debian's Prometheus 2.42, `--engine 3` the
//! Prometheus 3 that `scripts/tools` builds. `--dir DIR` works in DIR and keeps it; a DIR that
//! already holds a backfilled `tsdb` is served as it is (the history then ends when it was
//! written), so the commands can be timed again without the backfill's minutes.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

struct Options {
    slos: usize,
    days: u64,
    dir: Option<PathBuf>,
    before: Option<PathBuf>,
    prometheus: PathBuf,
    promtool: PathBuf,
}

fn options() -> Options {
    let mut o = Options {
        slos: 200,
        days: 30,
        dir: None,
        before: None,
        prometheus: PathBuf::from("prometheus"),
        promtool: PathBuf::from("promtool"),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = || args.get(i + 1).cloned().expect("a value after the flag");
        match args[i].as_str() {
            "--slos" => o.slos = value().parse::<usize>().expect("a number").max(10) / 10 * 10,
            "--days" => o.days = value().parse::<u64>().expect("a number").max(1),
            "--before" => o.before = Some(PathBuf::from(value())),
            "--engine" if value() == "3" => {
                let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/bin");
                o.prometheus = bin.join("prometheus");
                o.promtool = bin.join("promtool");
            }
            "--engine" => {}
            "--dir" => o.dir = Some(PathBuf::from(value())),
            _ => {} // cargo bench's own flags (`--bench`)
        }
        i += 2;
    }
    o
}

/// The job of SLO `k` of service `s`.
fn job(s: usize, k: usize) -> String {
    format!("svc-{s:03}-{k}")
}

fn specs(dir: &Path, o: &Options) {
    std::fs::create_dir_all(dir).unwrap();
    for s in 0..o.slos / 10 {
        let mut text = format!(
            "apiVersion: slocc/v1\nservice: svc-{s:03}\nrunbook_base_url: https://r.example.com\nslos:\n"
        );
        for k in 0..10 {
            let j = job(s, k);
            let _ = write!(
                text,
                "  - name: slo-{k}\n    objective: 99.9\n    sli:\n      ratio:\n        errors: sum(rate(http_requests_total{{job=\"{j}\", code=\"500\"}}[{{{{window}}}}]))\n        total: sum(rate(http_requests_total{{job=\"{j}\"}}[{{{{window}}}}]))\n"
            );
        }
        std::fs::write(dir.join(format!("svc-{s:03}.yaml")), text).unwrap();
    }
}

/// Bad requests in minute `m` of SLO number `n` (of 600 a minute): a 10-minute outage on day
/// `n % days`, a 2x burn for 12 hours on the day after, 0.05% otherwise.
fn bad(n: usize, m: u64, days: u64) -> f64 {
    let day = m / 1_440;
    let outage_day = n as u64 % days;
    match (day == outage_day, day == outage_day + 1, m % 1_440) {
        (true, _, 600..=609) => 600.0,
        (_, true, 0..=719) => 1.2,
        _ => 0.3,
    }
}

fn history(path: &Path, o: &Options, now: u64) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let minutes = (o.days + 3) * 1_440;
    writeln!(file, "# TYPE http_requests counter").unwrap();
    let mut line = String::new();
    for s in 0..o.slos / 10 {
        for k in 0..10 {
            let n = s * 10 + k;
            let j = job(s, k);
            let (mut ok, mut failed) = (0.0, 0.0);
            for code in ["200", "500"] {
                for m in 0..=minutes {
                    let b = bad(n, m, o.days + 3);
                    ok += 600.0 - b;
                    failed += b;
                    let count = if code == "500" { failed } else { ok };
                    line.clear();
                    let t = now - (minutes - m) * 60;
                    let _ = writeln!(
                        line,
                        "http_requests_total{{job=\"{j}\",code=\"{code}\"}} {count} {t}"
                    );
                    file.write_all(line.as_bytes()).unwrap();
                }
                (ok, failed) = (0.0, 0.0);
            }
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

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(dir: &Path, o: &Options) -> (Server, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(dir.join("prometheus.yml"), "global: {}\n").unwrap();
    let server = Server(
        Command::new(&o.prometheus)
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("tsdb").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--storage.tsdb.retention.time=90d")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start prometheus"),
    );
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        let ready = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok_and(|mut s| {
            use std::io::Read;
            let _ = write!(s, "GET /-/ready HTTP/1.0\r\n\r\n");
            let mut text = String::new();
            let _ = s.read_to_string(&mut text);
            text.starts_with("HTTP/1.0 200") || text.starts_with("HTTP/1.1 200")
        });
        if ready {
            settle(port);
            return (server, url);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("Prometheus did not get ready");
}

/// Waits until Prometheus has finished compacting the backfilled day blocks into larger ones
/// (the block count unchanged for 20 s), which it does in the background after it starts and
/// would otherwise be timed as the first command's cost.
fn settle(port: u16) {
    let blocks = || {
        let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
            return None;
        };
        use std::io::Read;
        let _ = write!(s, "GET /metrics HTTP/1.0\r\n\r\n");
        let mut text = String::new();
        let _ = s.read_to_string(&mut text);
        text.lines()
            .find(|l| l.starts_with("prometheus_tsdb_blocks_loaded "))
            .map(str::to_string)
    };
    let started = Instant::now();
    let (mut last, mut since) = (blocks(), Instant::now());
    while since.elapsed() < Duration::from_secs(20) && started.elapsed() < Duration::from_secs(600)
    {
        std::thread::sleep(Duration::from_secs(2));
        let now = blocks();
        if now != last {
            (last, since) = (now, Instant::now());
        }
    }
    eprintln!(
        "Prometheus settled in {:.0?} ({})",
        started.elapsed(),
        last.unwrap_or_default()
    );
}

/// Runs `slocc` (`bin`) with `args` in `dir` and returns the wall time; it must succeed.
fn timed(bin: &Path, dir: &Path, args: &[&str]) -> Duration {
    let started = Instant::now();
    let out = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run slocc");
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

/// Writes the history and backfills `dir/tsdb` from it.
fn backfill(dir: &Path, o: &Options) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 60
        * 60;
    let started = Instant::now();
    history(&dir.join("history.om"), o, now);
    run(Command::new(&o.promtool)
        .args([
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            "--max-block-duration=24h",
        ])
        .arg(dir.join("history.om"))
        .arg(dir.join("tsdb")));
    let _ = std::fs::remove_file(dir.join("history.om"));
    eprintln!(
        "backfilled {} SLOs x {} days in {:.0?}",
        o.slos,
        o.days + 3,
        started.elapsed()
    );
}

fn main() {
    let o = options();
    let dir = o.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("slocc-bench-live-{}", std::process::id()))
    });
    specs(&dir.join("specs"), &o);
    if !dir.join("tsdb").is_dir() {
        backfill(&dir, &o);
    }
    let (_server, url) = start(&dir, &o);
    let slocc = PathBuf::from(env!("CARGO_BIN_EXE_slocc"));
    let since = format!("{}d", o.days);
    let report = dir.join("report.html");
    let report = report.to_str().unwrap();
    let commands: [(&str, Vec<&str>); 3] = [
        (
            "status",
            vec!["status", "--prometheus", &url, "--format", "json"],
        ),
        ("report", vec!["report", "--prometheus", &url, "-o", report]),
        (
            "backtest",
            vec!["backtest", "--prometheus", &url, "--since", &since],
        ),
    ];
    println!(
        "{} SLOs, {} days of history, {}",
        o.slos,
        o.days,
        o.prometheus.display()
    );
    println!(
        "{:<10} {:>14} {:>14}",
        "command", "1 at a time", "default (4)"
    );
    for (name, args) in &commands {
        let mut one = args.clone();
        one.extend(["--concurrency", "1"]);
        let serial = timed(&slocc, &dir, &one);
        let default = timed(&slocc, &dir, args);
        println!(
            "{name:<10} {:>13.1}s {:>13.1}s",
            serial.as_secs_f64(),
            default.as_secs_f64()
        );
    }
    if let Some(before) = &o.before {
        for (name, args) in &commands {
            let mut args = args.clone();
            if *name == "backtest" {
                args.extend(["--service", "svc-000"]);
            }
            let took = timed(before, &dir, &args);
            println!(
                "before: {name:<10} {:>6.1}s{}",
                took.as_secs_f64(),
                if *name == "backtest" {
                    " (10 SLOs)"
                } else {
                    ""
                }
            );
        }
    }
    if o.dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
