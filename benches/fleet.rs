//! Benchmark: the release binary at fleet scale, command by command, with each run's CPU time
//! (user + system, all threads) and peak resident memory read from the kernel (`wait4`).
//! Run with `cargo bench --bench fleet` (10,000 SLOs) or `cargo bench --bench fleet --
//! --services 10000` (100,000 SLOs). Prints one line per command: fresh compile, compile with
//! everything up to date, `compile --check` (up to date), and `diff` of two corpora that differ
//! in one objective. Targets (issue 26, this 2-core machine, 10,000 SLOs): fresh under 0.8 s
//! CPU, up to date under 0.2 s, check and diff under 1 s and 200 MB each; at 100,000 SLOs
//! under 1 GB.

use std::path::Path;
use std::process::Command;

mod common;

/// What one run of the binary cost.
struct Cost {
    cpu_s: f64,
    wall_s: f64,
    peak_mib: f64,
    code: i32,
}

/// Runs the release binary with `args` in `dir`; its exit code, CPU and peak memory.
fn run(dir: &Path, args: &[&str]) -> Cost {
    let start = std::time::Instant::now();
    // Reaped by `wait4` below, which `Child::wait` cannot do: it gives no resource usage.
    #[allow(clippy::zombie_processes)]
    let child = Command::new(env!("CARGO_BIN_EXE_slocc"))
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    // SAFETY: `rusage` is plain data the kernel fills; the pid is our own child's.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert!(pid > 0, "wait4 failed");
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Cost {
        cpu_s: secs(usage.ru_utime) + secs(usage.ru_stime),
        wall_s: start.elapsed().as_secs_f64(),
        peak_mib: usage.ru_maxrss as f64 / 1024.0,
        code: libc::WEXITSTATUS(status),
    }
}

/// The median run of `runs` by CPU time, after one run to warm the page cache.
fn measure(dir: &Path, args: &[&str], code: i32, runs: usize) -> Cost {
    let mut costs: Vec<Cost> = (0..=runs).map(|_| run(dir, args)).collect();
    costs.remove(0);
    for c in &costs {
        assert_eq!(c.code, code, "slocc {args:?} exited {}", c.code);
    }
    costs.sort_by(|a, b| a.cpu_s.total_cmp(&b.cpu_s));
    costs.swap_remove(costs.len() / 2)
}

fn main() {
    let mut args = std::env::args().skip_while(|a| a != "--services").skip(1);
    let services: usize = args
        .next()
        .map_or(common::SERVICES, |n| n.parse().expect("--services N"));
    let slos = services * common::SLOS_PER_SERVICE;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for side in ["specs", "changed"] {
        std::fs::create_dir(dir.join(side)).unwrap();
        common::corpus(&dir.join(side), services);
    }
    let one = dir.join("changed/svc-0000.yaml");
    let text = std::fs::read_to_string(&one).unwrap();
    std::fs::write(
        &one,
        text.replacen("objective: 99\n", "objective: 98.5\n", 1),
    )
    .unwrap();
    let runs = if slos > 20_000 { 1 } else { 3 };
    println!("{slos} SLOs ({services} services), median of {runs} runs (CPU = user + system):");
    let fresh = measure_fresh(dir, runs);
    report("compile, fresh output directory", &fresh);
    let compile = ["compile", "specs", "-o", "out", "--runbooks", "runbooks"];
    report(
        "compile, everything up to date",
        &measure(dir, &compile, 0, runs),
    );
    let check = [
        "compile",
        "specs",
        "-o",
        "out",
        "--runbooks",
        "runbooks",
        "--check",
    ];
    report(
        "compile --check, up to date",
        &measure(dir, &check, 0, runs),
    );
    let diff = ["diff", "specs", "changed", "--format", "json"];
    report("diff, one objective changed", &measure(dir, &diff, 1, runs));
}

/// Fresh compiles, each into directories of its own.
fn measure_fresh(dir: &Path, runs: usize) -> Cost {
    let mut costs: Vec<Cost> = (0..runs)
        .map(|i| {
            let (out, runbooks) = (format!("fresh-{i}"), format!("fresh-runbooks-{i}"));
            let args = ["compile", "specs", "-o", &out, "--runbooks", &runbooks];
            let cost = run(dir, &args);
            assert_eq!(cost.code, 0);
            cost
        })
        .collect();
    // The up-to-date runs read what the first fresh run wrote.
    std::fs::rename(dir.join("fresh-0"), dir.join("out")).unwrap();
    std::fs::rename(dir.join("fresh-runbooks-0"), dir.join("runbooks")).unwrap();
    costs.sort_by(|a, b| a.cpu_s.total_cmp(&b.cpu_s));
    costs.swap_remove(costs.len() / 2)
}

fn report(what: &str, cost: &Cost) {
    println!(
        "  {what:<34} CPU {:>7.3} s  wall {:>7.3} s  peak {:>8.1} MiB",
        cost.cpu_s, cost.wall_s, cost.peak_mib
    );
}
