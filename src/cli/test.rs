//! `slocc test`: compile into a temporary directory (or take an output directory as it is, hand
//! edits and all, with `--out`) and run promtool on the alert tests slocc writes beside each
//! rule file; one line per test file, promtool's account of any failure, exit 1 when one fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Error, Io, Outcome, TestConfig, EXIT_INVALID, EXIT_OK};

pub(super) fn run(config: &TestConfig, mut io: Io<'_>) -> Outcome {
    // A path with a directory in it is the user's, from where slocc runs; a bare name is
    // looked up on PATH.
    let promtool = match &config.promtool {
        Some(p) if p.is_relative() && p.components().count() > 1 => {
            std::env::current_dir()?.join(p)
        }
        Some(p) => p.clone(),
        None => PathBuf::from("promtool"),
    };
    let temp;
    let dir = match &config.out {
        Some(out) => out.as_path(),
        None => {
            let checked = super::checked_specs(&config.paths, &config.select, &mut io)?;
            temp = tempfile::tempdir()
                .map_err(|e| Error::Usage(format!("cannot make a temporary directory: {e}")))?;
            let templates = crate::emit::templates::Templates::builtin()?;
            let target = crate::emit::targets::TargetOptions::default();
            let cx = crate::emit::Context::new(templates, target);
            crate::pipeline::compile(&checked.services, &cx, temp.path(), true)?;
            temp.path()
        }
    };
    let files = test_files(&dir.join("tests"))?;
    let too_old = too_old_for_native(&promtool, &files);
    let runnable: Vec<String> = files
        .iter()
        .filter(|f| too_old.is_none() || !is_native(f))
        .cloned()
        .collect();
    let mut results = run_all(&promtool, dir, &runnable)?.into_iter();
    let mut failed = 0;
    for file in &files {
        let name = format!("tests/{file}");
        let tiers =
            tiers_of(&std::fs::read_to_string(dir.join("tests").join(file)).unwrap_or_default());
        let result = match &too_old {
            Some(version) if is_native(file) => Err(not_run(&promtool, version)),
            _ => Ok(results.next().unwrap_or_default()),
        };
        let (broken, report) = match result {
            Ok((true, _)) => {
                writeln!(io.stdout, "ok      {name}: {}", listed(&tiers))?;
                continue;
            }
            Ok((false, report)) => (failed_tiers(&report, &tiers), report),
            Err(report) => (tiers.clone(), report),
        };
        failed += 1;
        writeln!(
            io.stdout,
            "FAILED  {name}: {}\n{}",
            listed(&broken),
            indent(&report)
        )?;
    }
    Ok(if failed == 0 { EXIT_OK } else { EXIT_INVALID })
}

/// promtool's version when there are native-histogram tests and it is older than 3 (whose
/// test notation for native histograms promtool 2 lacks): those files are failed, not run.
fn too_old_for_native(promtool: &Path, files: &[String]) -> Option<String> {
    if !files.iter().any(|f| is_native(f)) {
        return None;
    }
    let out = Command::new(promtool).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let version = text.split_whitespace().nth(2)?.to_string();
    let major: u32 = version.split('.').next()?.parse().ok()?;
    (major < 3).then(|| crate::live::client::printable(&version))
}

/// Whether a test file holds native-histogram input series (`<service>.native*.test.yml`).
fn is_native(file: &str) -> bool {
    file.contains(".native.")
}

fn not_run(promtool: &Path, version: &str) -> String {
    format!(
        "not run: native-histogram input series need promtool 3 or later, and `{}` is {version}; name a newer one with `--promtool PATH`",
        crate::vocab::path::display(promtool)
    )
}

/// The tiers a test file proves, in order: the `<slo> <class> <long>/<short>` its test groups
/// are named after.
fn tiers_of(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let Some(name) = line.strip_prefix("- name: '") else {
            continue;
        };
        let title = name
            .split_once(": ")
            .map_or(name, |(t, _)| t)
            .replace("''", "'");
        if !out.contains(&title) {
            out.push(title);
        }
    }
    out
}

/// The tiers whose checks promtool reports failing: each failing expression names the SLO and
/// the tier's windows.
fn failed_tiers(report: &str, tiers: &[String]) -> Vec<String> {
    let value = |line: &str, key: &str| -> Option<String> {
        let start = line.find(&format!("{key}=\\\""))? + key.len() + 3;
        let end = line[start..].find("\\\"")?;
        Some(line[start..start + end].to_string())
    };
    let mut out: Vec<String> = Vec::new();
    for line in report
        .lines()
        .filter(|l| l.trim_start().starts_with("expr:"))
    {
        let Some(slo) = value(line, "slo_name") else {
            continue;
        };
        // A no-data check names no windows.
        let windows = value(line, "slo_long_window").zip(value(line, "slo_short_window"));
        let found = tiers.iter().find(|t| match &windows {
            Some((long, short)) => {
                t.starts_with(&format!("{slo} ")) && t.ends_with(&format!(" {long}/{short}"))
            }
            None => **t == format!("{slo} no data"),
        });
        if let Some(tier) = found.filter(|t| !out.contains(t)) {
            out.push(tier.clone());
        }
    }
    out
}

fn listed(tiers: &[String]) -> String {
    if tiers.is_empty() {
        "no tier".into()
    } else {
        tiers.join(", ")
    }
}

/// Whether a file passed and what promtool said, or why it could not run.
type Tested = Result<(bool, String), Error>;

/// promtool on every file, as many at once as the machine has cores, results in order.
fn run_all(promtool: &Path, dir: &Path, files: &[String]) -> Result<Vec<(bool, String)>, Error> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<Tested>>> = files.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..cores.min(files.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(file) = files.get(i) else { break };
                let result = promtool_test(promtool, dir, file);
                *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
            });
        }
    });
    results
        .into_iter()
        .map(|slot| {
            let taken = slot.into_inner().unwrap_or_else(|e| e.into_inner());
            taken.unwrap_or_else(|| Err(Error::Usage("promtool was not run".into())))
        })
        .collect()
}

/// The test files of a compiled output, by name.
fn test_files(dir: &Path) -> Result<Vec<String>, Error> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::Usage(format!("no alert tests were written: {e}")))?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".test.yml"))
        .collect();
    names.sort();
    Ok(names)
}

/// Runs `promtool test rules` on one file from the output directory: whether it passed, and
/// what promtool said.
fn promtool_test(promtool: &Path, dir: &Path, file: &str) -> Result<(bool, String), Error> {
    let out = Command::new(promtool)
        .args(["test", "rules", file])
        .current_dir(dir.join("tests"))
        .output()
        .map_err(|e| {
            Error::Usage(format!(
                "cannot run `{}`: {e}; install Prometheus's promtool, or name it with `--promtool PATH`",
                crate::vocab::path::display(promtool)
            ))
        })?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Control characters from the tool are replaced, line by line.
    let said: Vec<String> = said.lines().map(crate::live::client::printable).collect();
    Ok((out.status.success(), said.join("\n")))
}

fn indent(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
