//! Benchmark: the release binary at fleet scale, command by command, with each run's CPU time
//! (user + system, all threads) and peak resident memory read from the kernel (`wait4`).
//! Run with `cargo bench --bench fleet` (10,000 SLOs) or `cargo bench --bench fleet --
//! --services 10000` (100,000 SLOs). Prints one line per command: fresh compile, compile with
//! everything up to date, `compile --check` (up to date), and `diff` of two corpora that differ
//! in one objective. Targets (issue 26, this 2-core machine, 10,000 SLOs): fresh under 0.8 s
//! CPU, up to date under 0.2 s, check and diff under 1 s and 200 MB each; at 100,000 SLOs
//! under 1 GB.
//!
//! Then the floors under those figures, what a compile costs before it renders a byte: `slocc
//! check --no-runbooks` (reading and judging the specs, which every compile does first), and,
//! in this process, the fresh compile's own files written again and hashed as the manifest
//! hashes them (what a fresh compile does with its output), or read back and compared (what
//! `compile --check` does with it).

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

/// What one run of the binary cost.
struct Cost {
    user_s: f64,
    system_s: f64,
    wall_s: f64,
    peak_mib: f64,
    code: i32,
}

impl Cost {
    fn cpu_s(&self) -> f64 {
        self.user_s + self.system_s
    }
}

/// The user and system time in `usage`, in seconds.
fn times(usage: &libc::rusage) -> (f64, f64) {
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (secs(usage.ru_utime), secs(usage.ru_stime))
}

/// The median of `costs` by CPU time.
fn median(mut costs: Vec<Cost>) -> Cost {
    costs.sort_by(|a, b| a.cpu_s().total_cmp(&b.cpu_s()));
    costs.swap_remove(costs.len() / 2)
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
    let (user_s, system_s) = times(&usage);
    Cost {
        user_s,
        system_s,
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
    median(costs)
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
    report_floors(dir, runs);
}

/// Prints the floors and what they add up to for a fresh compile and `compile --check`.
fn report_floors(dir: &Path, runs: usize) {
    println!("floors, nothing rendered:");
    let judge = measure(dir, &["check", "specs", "--no-runbooks"], 0, runs);
    report("check (read and judge the specs)", &judge);
    let (write, compare, files, bytes) = floors(dir, runs);
    let what = format!("{files} files, {} MB", bytes / 1_000_000);
    for (how, cost) in [("write, hash", &write), ("read, compare", &compare)] {
        println!(
            "  {:<34} CPU {:>7.3} s (user {:>6.3}, system {:>6.3})",
            format!("{how} {what}"),
            cost.cpu_s(),
            cost.user_s,
            cost.system_s
        );
    }
    println!(
        "  fresh compile at least {:.3} s, compile --check at least {:.3} s, before rendering",
        judge.cpu_s() + write.cpu_s(),
        judge.cpu_s() + compare.cpu_s()
    );
}

/// Fresh compiles, each into directories of its own.
fn measure_fresh(dir: &Path, runs: usize) -> Cost {
    let costs: Vec<Cost> = (0..runs)
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
    median(costs)
}

fn report(what: &str, cost: &Cost) {
    println!(
        "  {what:<34} CPU {:>7.3} s (user {:>6.3}, system {:>6.3})  wall {:>7.3} s  peak {:>8.1} MiB",
        cost.cpu_s(),
        cost.user_s,
        cost.system_s,
        cost.wall_s,
        cost.peak_mib
    );
}

/// A directory's files, as paths relative to it with their bytes; `hashed` when the manifest
/// lists them (the output directory, not the runbooks).
struct Tree {
    name: &'static str,
    files: Vec<(PathBuf, Vec<u8>)>,
    hashed: bool,
}

fn read_tree(root: &Path, under: &Path, files: &mut Vec<(PathBuf, Vec<u8>)>) {
    for entry in std::fs::read_dir(under).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            read_tree(root, &path, files);
        } else {
            let relative = path.strip_prefix(root).unwrap().to_path_buf();
            files.push((relative, std::fs::read(&path).unwrap()));
        }
    }
}

/// The CPU time this process has used so far, as a cost (no wall time or peak of its own).
fn own_cpu() -> Cost {
    // SAFETY: as in `run`.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) }, 0);
    let (user_s, system_s) = times(&usage);
    Cost {
        user_s,
        system_s,
        wall_s: 0.0,
        peak_mib: 0.0,
        code: 0,
    }
}

/// What `work` cost this process in CPU and wall time.
fn own_cost(work: impl FnOnce()) -> Cost {
    let (before, start) = (own_cpu(), std::time::Instant::now());
    work();
    let after = own_cpu();
    Cost {
        user_s: after.user_s - before.user_s,
        system_s: after.system_s - before.system_s,
        wall_s: start.elapsed().as_secs_f64(),
        ..after
    }
}

/// Writes `trees` under `into` as a fresh compile writes them, each file of a hashed tree
/// hashed with SHA-256 into a `sha256sum` line as the manifest has it.
fn write_and_hash(trees: &[Tree], into: &Path) {
    use sha2::Digest as _;
    for tree in trees {
        let mut manifest = String::new();
        for (relative, bytes) in &tree.files {
            let path = into.join(tree.name).join(relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, bytes).unwrap();
            if tree.hashed {
                let hash = sha2::Sha256::digest(bytes);
                manifest.push_str(&format!("{hash:x}  {}\n", relative.display()));
            }
        }
        std::hint::black_box(manifest);
    }
}

/// Reads `trees` back from `from` as text and compares each file with its bytes in memory.
fn read_and_compare(trees: &[Tree], from: &Path) {
    for tree in trees {
        for (relative, bytes) in &tree.files {
            let text = std::fs::read_to_string(from.join(tree.name).join(relative)).unwrap();
            assert!(text.as_bytes() == bytes.as_slice());
        }
    }
}

/// The floors: the fresh compile's files (in `out` and `runbooks`) written again into new
/// directories and hashed, and read back and compared, median of `runs` each.
fn floors(dir: &Path, runs: usize) -> (Cost, Cost, usize, usize) {
    let trees: Vec<Tree> = [("out", true), ("runbooks", false)]
        .into_iter()
        .map(|(name, hashed)| {
            let mut files = Vec::new();
            read_tree(&dir.join(name), &dir.join(name), &mut files);
            Tree {
                name,
                files,
                hashed,
            }
        })
        .collect();
    let count = trees.iter().map(|t| t.files.len()).sum();
    let bytes = trees.iter().flat_map(|t| &t.files).map(|f| f.1.len()).sum();
    let write = (0..runs)
        .map(|i| own_cost(|| write_and_hash(&trees, &dir.join(format!("floor-{i}")))))
        .collect();
    let compare = (0..runs)
        .map(|_| own_cost(|| read_and_compare(&trees, dir)))
        .collect();
    (median(write), median(compare), count, bytes)
}
