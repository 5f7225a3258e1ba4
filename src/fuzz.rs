//! A mutation fuzzer over the whole pipeline, on stable Rust: seeds from the bundled specs,
//! the migration examples and the test fixtures are mutated (bytes flipped, inserted and
//! deleted, lines repeated and nested, fragments of YAML and PromQL spliced in), then read,
//! validated and, when valid, compiled into memory. Any panic or any input that takes over a
//! second fails with the input that caused it.
//!
//! The test suite runs a short, fixed-seed round; `SLOCC_FUZZ_RUNS=10000000 cargo test
//! --release --lib fuzz -- --nocapture` runs a long one (`SLOCC_FUZZ_SEED` picks the seed).

use std::time::{Duration, Instant};

const SEEDS: &[&str] = &[
    include_str!("../specs/checkout-api.yaml"),
    include_str!("../specs/nightly-billing.yaml"),
    include_str!("../specs/order-consumer.yaml"),
    include_str!("../specs/reference.yaml"),
    include_str!("../examples/migration/sloth.yaml"),
    include_str!("../examples/migration/pyrra.yaml"),
    include_str!("../examples/migration/openslo-slo.yaml"),
    include_str!("../examples/migration/openslo-shared.yaml"),
    include_str!("../tests/cli/fixtures/openslo/slo.yaml"),
    include_str!("../tests/cli/fixtures/openslo/v1alpha.yaml"),
];

/// Fragments worth splicing in: the syntax the readers and validators branch on.
const FRAGMENTS: &[&str] = &[
    "{{window}}",
    "{{ .window }}",
    "[5m]",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "\n",
    "\n  - ",
    ": ",
    "'",
    "\"",
    "#",
    "---\n",
    "- ",
    "99.9",
    "0",
    "-1",
    "1e308",
    "100000000000000000000000",
    "0d",
    "300y",
    "1s500ms",
    "500ms1m",
    "NaN",
    "%",
    "\u{feff}",
    "\u{85}",
    "\t",
    "&a",
    "*a",
    "!!str ",
    "by (",
    "sum(rate(x",
    " or ",
    " and ",
    "le=\"0.3\"",
    "objective: ",
    "window: ",
    "sli:\n",
    "ratio:\n",
    "latency:\n",
    "raw:\n",
    "alerting:\n",
    "windows: []\n",
    "kind: SLO\n",
    "apiVersion: openslo/v1\n",
    "version: prometheus/v1\n",
    "<!-- slocc:generated:end -->",
];

/// xorshift64*: deterministic and good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One to four mutations of a seed.
fn mutate(rng: &mut Rng, seed: &str) -> Vec<u8> {
    let mut bytes = seed.as_bytes().to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(6) {
            0 if at < bytes.len() => bytes[at] ^= 1 << rng.below(8),
            1 => {
                let fragment = FRAGMENTS[rng.below(FRAGMENTS.len())];
                bytes.splice(at..at, fragment.bytes());
            }
            2 if at < bytes.len() => {
                let end = (at + rng.below(40)).min(bytes.len());
                bytes.drain(at..end);
            }
            3 => {
                let line_start = bytes[..at]
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |i| i + 1);
                let line_end = bytes[at..]
                    .iter()
                    .position(|b| *b == b'\n')
                    .map_or(bytes.len(), |i| at + i + 1);
                let line = bytes[line_start..line_end].to_vec();
                for _ in 0..=rng.below(3) {
                    bytes.splice(line_start..line_start, line.iter().copied());
                }
            }
            4 => {
                let other = SEEDS[rng.below(SEEDS.len())].as_bytes();
                let from = rng.below(other.len());
                let to = (from + rng.below(200)).min(other.len());
                bytes.splice(at..at, other[from..to].iter().copied());
            }
            _ => {
                let deep = "(".repeat(rng.below(100)) + "x" + &")".repeat(rng.below(100));
                bytes.splice(at..at, deep.bytes());
            }
        }
    }
    bytes
}

/// Everything a user's input reaches: reading, validation, and every emitter.
fn run_pipeline(files: &[Vec<u8>]) {
    let mut sources = crate::diag::Sources::default();
    for (i, bytes) in files.iter().enumerate() {
        sources.add(
            format!("f{i}.yaml"),
            String::from_utf8_lossy(bytes).into_owned(),
        );
    }
    let checked = crate::pipeline::check_sources(sources);
    let _ = crate::diag::render(
        &checked.diagnostics,
        &checked.sources,
        crate::diag::Format::Human,
        false,
    );
    if checked.failed() {
        return;
    }
    let templates = crate::emit::templates::Templates::builtin().expect("built-in templates");
    let target = crate::emit::targets::TargetOptions::default();
    let cx = crate::emit::prometheus::Context {
        templates: &templates,
        runbooks_dir: "runbooks",
        target: &target,
        parts: Default::default(),
    };
    let _ = crate::pipeline::build(&checked.services, cx, None, true);
}

/// Runs `runs` inputs (one or two files each) from `seed`; returns how many ran.
fn fuzz(runs: u64, seed: u64) -> u64 {
    let mut rng = Rng(seed.max(1));
    for run in 0..runs {
        let count = 1 + rng.below(2);
        let files: Vec<Vec<u8>> = (0..count)
            .map(|_| {
                let seed = SEEDS[rng.below(SEEDS.len())];
                mutate(&mut rng, seed)
            })
            .collect();
        let start = Instant::now();
        let outcome = std::panic::catch_unwind(|| run_pipeline(&files));
        let took = start.elapsed();
        let shown: Vec<String> = files
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect();
        assert!(
            outcome.is_ok(),
            "run {run} (seed {seed}) panicked on:\n{shown:#?}"
        );
        assert!(
            took < Duration::from_secs(1),
            "run {run} (seed {seed}) took {took:?} on:\n{shown:#?}"
        );
    }
    runs
}

#[test]
fn no_input_panics_or_hangs() {
    let runs = std::env::var("SLOCC_FUZZ_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000);
    let seed = std::env::var("SLOCC_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed);
    let start = Instant::now();
    let ran = fuzz(runs, seed);
    println!("fuzz: {ran} inputs in {:?} (seed {seed})", start.elapsed());
}
