//! Benchmark: slocc's own YAML writer (`output::yaml`) against the pure-Rust serde serializer
//! serde-saphyr and against serde_yaml (libyaml), on every rule file of the synthetic corpus
//! (1,000 services x 10 SLOs). Each writer serializes the same typed values; the figures are
//! the median time over the corpus, the bytes written, and whether each output reads back to
//! the same values (serde_yaml as the reader) and keeps YAML 1.1 readers (yaml.v2, which
//! Kubernetes and the Prometheus Operator use) from taking a string for a boolean or a number.
//! Run with `cargo bench --bench yaml_writer`.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A Prometheus rule file, as written.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct RuleFile {
    groups: Vec<Group>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Group {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    interval: Option<String>,
    rules: Vec<Rule>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Rule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    record: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    alert: Option<String>,
    expr: String,
    #[serde(default, rename = "for", skip_serializing_if = "Option::is_none")]
    for_: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<String, String>,
}

type Writer = fn(&RuleFile) -> String;

const WRITERS: [(&str, Writer); 3] = [
    ("slocc output::yaml", |f| {
        slocc::output::yaml::to_string(f).unwrap()
    }),
    ("serde-saphyr", |f| serde_saphyr::to_string(f).unwrap()),
    ("serde_yaml (libyaml)", |f| {
        serde_yaml::to_string(f).unwrap()
    }),
];

/// Strings a YAML 1.1 reader takes for something else when they are written plain.
const YAML_1_1_TRAPS: [&str; 8] = ["yes", "no", "on", "off", "y", "n", "0.999", "1e3"];

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let specs = tmp.path().join("corpus");
    std::fs::create_dir(&specs).unwrap();
    common::corpus(&specs, common::SERVICES);
    let checked = slocc::pipeline::check(&[specs]).unwrap();
    let templates = slocc::emit::templates::Templates::builtin().unwrap();
    let target = slocc::emit::targets::TargetOptions::new(slocc::emit::targets::Target::Prometheus);
    let cx = slocc::emit::Context::new(templates, target);
    let out = tmp.path().join("out");
    slocc::pipeline::compile(&checked.services, &cx, &out, true).unwrap();
    let files: Vec<RuleFile> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".rules.yml"))
        .map(|p| serde_yaml::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect();
    println!("{} rule files", files.len());
    for (name, write) in WRITERS {
        measure(name, write, &files);
    }
}

fn measure(name: &str, write: Writer, files: &[RuleFile]) {
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..5 {
        let start = Instant::now();
        bytes = files.iter().map(|f| write(f).len()).sum::<usize>();
        times.push(start.elapsed());
    }
    times.sort();
    let same = files
        .iter()
        .all(|f| serde_yaml::from_str::<RuleFile>(&write(f)).ok().as_ref() == Some(f));
    println!(
        "{name}: median {:.3} s, {:.1} MB, reads back the same: {same}, YAML 1.1 traps written plain: {}",
        median(&times).as_secs_f64(),
        bytes as f64 / 1e6,
        plain_traps(write)
    );
}

/// Which of [`YAML_1_1_TRAPS`] the writer leaves unquoted as a label value.
fn plain_traps(write: Writer) -> String {
    let plain: Vec<&str> = YAML_1_1_TRAPS
        .iter()
        .copied()
        .filter(|trap| {
            let rule = Rule {
                record: Some("r".into()),
                alert: None,
                expr: "1".into(),
                for_: None,
                labels: BTreeMap::from([("x".to_string(), trap.to_string())]),
                annotations: BTreeMap::new(),
            };
            let file = RuleFile {
                groups: vec![Group {
                    name: "g".into(),
                    interval: None,
                    rules: vec![rule],
                }],
            };
            write(&file).contains(&format!("x: {trap}\n"))
        })
        .collect();
    if plain.is_empty() {
        "none".into()
    } else {
        plain.join(", ")
    }
}

fn median(times: &[Duration]) -> Duration {
    times[times.len() / 2]
}
