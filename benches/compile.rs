//! Benchmark: compile a synthetic corpus of 1,000 services x 10 SLOs, and the bundled specs,
//! through the library (stage times, peak RSS) and through the release binary (wall time).
//! Run with `cargo bench --bench compile`; prints wall times and peak RSS (Linux). Each run
//! writes rules, dashboards and runbooks, as `slocc compile` does.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

// The allocator the binary uses, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use common::{corpus, SERVICES, SLOS_PER_SERVICE};

/// Compiles `specs` into `out` (runbooks into `out/../runbooks`) as `slocc compile` does;
/// returns the time of each stage: read and check, then render and write.
fn compile(specs: &Path, out: &Path) -> [Duration; 2] {
    let start = Instant::now();
    let checked = slocc::pipeline::check(&[specs.to_path_buf()]).unwrap();
    assert!(!checked.failed(), "synthetic corpus must be valid");
    let read_check = start.elapsed();
    let start = Instant::now();
    let templates = slocc::emit::templates::Templates::builtin().unwrap();
    let target = slocc::emit::targets::TargetOptions::new(slocc::emit::targets::Target::Prometheus);
    let runbooks = out.with_file_name(format!(
        "{}-runbooks",
        out.file_name().unwrap().to_string_lossy()
    ));
    let cx = slocc::emit::Context::new(templates, target).with_runbooks(Some(&runbooks));
    slocc::pipeline::compile(&checked.services, &cx, out, true).unwrap();
    [read_check, start.elapsed()]
}

/// Runs the release binary as a user would, returning its wall time.
fn run_binary(specs: &Path, dir: &Path) -> Duration {
    let start = Instant::now();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_slocc"))
        .arg("compile")
        .arg(specs)
        .args(["-o", "out", "--runbooks", "runbooks"])
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    start.elapsed()
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let bundled = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs");
    let small: Vec<Duration> = (0..21)
        .map(|i| {
            let start = Instant::now();
            compile(&bundled, &tmp.path().join(format!("bundled-{}", i % 2)));
            start.elapsed()
        })
        .collect();
    println!(
        "bundled specs/: median {:.2} ms over 21 runs",
        median(small).as_secs_f64() * 1e3
    );

    let specs = tmp.path().join("corpus");
    std::fs::create_dir(&specs).unwrap();
    corpus(&specs, SERVICES);
    let corpus_size = format!("{SERVICES} services x {SLOS_PER_SERVICE} SLOs");
    // Each fresh run writes to a directory of its own and nothing is deleted until the end:
    // creating files right after deleting thousands is much slower on ext4, which would
    // measure the previous run's clean-up rather than this one.
    let mut stages = Vec::new();
    let library: Vec<[Duration; 2]> = (0..RUNS)
        .map(|run| {
            let start = Instant::now();
            let out = tmp.path().join(format!("out-{run}"));
            stages.push(compile(&specs, &out));
            let fresh = start.elapsed();
            let start = Instant::now();
            compile(&specs, &out);
            [fresh, start.elapsed()]
        })
        .collect();
    let [check, emit] = [0, 1].map(|i| median(stages.iter().map(|s| s[i]).collect()));
    report(&format!("library, {corpus_size}"), &library);
    println!(
        "  fresh run stages (median): read+check {:.3} s, render+write {:.3} s",
        check.as_secs_f64(),
        emit.as_secs_f64()
    );
    match peak_rss_mib() {
        Some(mib) => println!("  library peak RSS: {mib:.1} MiB"),
        None => println!("  library peak RSS: not available on this platform"),
    }

    let binary: Vec<[Duration; 2]> = (0..RUNS)
        .map(|run| {
            let dir = tmp.path().join(format!("binary-{run}"));
            std::fs::create_dir(&dir).unwrap();
            [run_binary(&specs, &dir), run_binary(&specs, &dir)]
        })
        .collect();
    report(&format!("`slocc compile`, {corpus_size}"), &binary);
}

/// Corpus runs of each kind: this machine's speed varies from minute to minute.
const RUNS: usize = 3;

/// Prints median and range of fresh and up-to-date runs.
fn report(what: &str, runs: &[[Duration; 2]]) {
    for (i, label) in ["fresh output dirs", "outputs up to date"]
        .iter()
        .enumerate()
    {
        let mut times: Vec<f64> = runs.iter().map(|r| r[i].as_secs_f64()).collect();
        times.sort_by(f64::total_cmp);
        println!(
            "{what}, {label}: median {:.3} s (min {:.3}, max {:.3}, {} runs)",
            times[times.len() / 2],
            times[0],
            times[times.len() - 1],
            times.len()
        );
    }
}
