//! The fuzz targets' entry points on stable, in the ordinary suite: every seed the fuzzers
//! start from and every input they ever found a crash with (`fuzz/regressions/TARGET/`) is
//! read by its target and compiled whole, without a panic. `scripts/fuzz` runs the real,
//! coverage-guided fuzzers; `scripts/test` runs them for a short pass too.

use std::path::Path;

use slocc::fuzzing::{compile, read, Target};

fn repo(relative: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Every file directly in `dir` (none when it does not exist).
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    out.retain(|p| p.is_file());
    out.sort();
    out
}

#[test]
fn every_seed_and_found_input_runs_through_every_target() {
    let mut inputs = Vec::new();
    for dir in [
        "specs",
        "examples/migration",
        "examples/oncall",
        "tests/migration",
        "tests/cli/fixtures/openslo",
    ] {
        inputs.extend(
            files(&repo(dir))
                .into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "yaml")),
        );
    }
    assert!(inputs.len() >= 15, "{inputs:?}");
    for (name, _) in Target::ALL.iter().chain(&[("compile", Target::Native)]) {
        inputs.extend(files(&repo(&format!("fuzz/regressions/{name}"))));
    }
    for input in &inputs {
        let data = std::fs::read(input).unwrap();
        for (_, target) in Target::ALL {
            read(*target, &data);
        }
        compile(&data);
    }
}
