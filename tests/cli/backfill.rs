//! `compile --backfill`: the recording rules in dependency layers, backfilled into a real
//! Prometheus with its own `promtool tsdb create-blocks-from rules` one layer at a time, each
//! layer's blocks loaded before the next is evaluated. Afterwards the recorded series cover the
//! history as if the rules had always run: `status` trusts them, and the budget they give is the
//! one the raw counters give. The backfill starts on a block boundary (docs/targets.md says
//! why: promtool stops a rule at a first block holding none of its group's evaluations).

use std::fmt::Write as _;
use std::process::Command;

use crate::harness::{now_minute, Engine, Project};
use crate::live::{prometheus_over, serve_tsdb, Server};
use crate::victoria::value;

/// Requests per minute.
const PER_MINUTE: i64 = 600;
/// Minutes of history: three days.
const HISTORY: i64 = 3 * 1_440;
/// The minutes (from the history's `start`) of a ten-minute full outage about a day ago;
/// otherwise one request in 6000 fails (a counter that sat at 0 would lose part of the outage
/// to Prometheus not extrapolating a rate past its zero). The outage starts 20 minutes into a
/// two-hour block, in the block's first hour: promtool's rule importer never evaluates a group
/// in the last second before a block boundary (it queries each block up to its last whole
/// second, and the next from its first evaluation at or after the boundary), and one group in
/// sixty evaluates there (its offset within the minute is Prometheus's hash of the group's
/// name and file). An outage near the boundary would then lose a minute of its 5m rates, or
/// an hour of them when the hourly group evaluates there; docs/targets.md says what users see.
fn outage(start: i64) -> (i64, i64) {
    let day_ago = HISTORY - 1_440;
    let into_block = (start + day_ago * 60).rem_euclid(BLOCK);
    let first = day_ago + (20 * 60 - into_block).rem_euclid(BLOCK) / 60;
    (first, first + 10)
}

const SPEC: &str = r#"apiVersion: slocc/v1
service: bf
runbook_base_url: https://r.example.com
slos:
  - name: availability
    objective: 99.9
    window: 2d
    sli:
      ratio:
        errors: sum(rate(http_requests_total{job="bf", code="500"}[{{window}}]))
        total: sum(rate(http_requests_total{job="bf"}[{{window}}]))
"#;

fn history(start: i64) -> String {
    let outage = outage(start);
    let mut out = String::from("# TYPE http_requests counter\n");
    for code in ["200", "500"] {
        let mut count = 0.0;
        for m in 0..=HISTORY {
            let bad = if (outage.0..outage.1).contains(&m) {
                PER_MINUTE as f64
            } else {
                0.1
            };
            count += if code == "500" {
                bad
            } else {
                PER_MINUTE as f64 - bad
            };
            let _ = writeln!(
                out,
                "http_requests_total{{job=\"bf\",code=\"{code}\"}} {count} {}",
                start + m * 60
            );
        }
    }
    out.push_str("# EOF\n");
    out
}

/// promtool's default block length for rule backfills: two hours.
const BLOCK: i64 = 2 * 3_600;

/// Backfills the layers under `out` (`<out>/backfill/layer-<k>/`, compiled with `--backfill`)
/// over `span` into the Prometheus `serving` runs, one layer at a time and one promtool run a file
/// with `engine`'s promtool, restarting it on the TSDB with each layer's blocks moved in;
/// `before(url, k)` runs before layer k. Returns the last server, its URL, and the number of
/// layers.
pub(crate) fn backfill_layers(
    project: &Project,
    out: &str,
    engine: Engine,
    (start, end): (i64, i64),
    serving: (Server, String),
    before: &dyn Fn(&str, usize),
) -> (Server, String, usize) {
    let (mut server, mut url) = serving;
    let mut layer = 1;
    let dir = |layer: usize| project.path().join(format!("{out}/backfill/layer-{layer}"));
    while dir(layer).exists() {
        before(&url, layer);
        let blocks = project.path().join(format!("blocks-{layer}"));
        let mut files: Vec<_> = std::fs::read_dir(dir(layer))
            .unwrap()
            .map(|f| f.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            let run = Command::new(engine.promtool())
                .args(["tsdb", "create-blocks-from", "rules", "--quiet"])
                .arg(format!("--start={start}"))
                .arg(format!("--end={end}"))
                .arg(format!("--url={url}"))
                .arg(format!("--output-dir={}", blocks.display()))
                .arg(&file)
                .output()
                .unwrap();
            assert!(
                run.status.success(),
                "{file:?} on {}: {run:?}",
                engine.name()
            );
        }
        drop(server);
        let written = std::fs::read_dir(&blocks);
        let written = written.unwrap_or_else(|_| panic!("layer {layer} wrote no blocks"));
        for block in written {
            let block = block.unwrap();
            let into = project.path().join("tsdb").join(block.file_name());
            std::fs::rename(block.path(), into).unwrap();
        }
        (server, url) = serve_tsdb(project, engine);
        layer += 1;
    }
    (server, url, layer - 1)
}

#[test]
fn backfilled_layer_by_layer_the_recorded_series_give_the_raw_budget_on_prometheus_2() {
    backfilled_layer_by_layer(Engine::V2);
}

#[test]
fn backfilled_layer_by_layer_the_recorded_series_give_the_raw_budget_on_prometheus_3() {
    backfilled_layer_by_layer(Engine::V3);
}

fn backfilled_layer_by_layer(engine: Engine) {
    let project = Project::new();
    project.file("specs/bf.yaml", SPEC);
    project.slocc(&["compile", "--backfill"]).expect_code(0);
    // The history (and the backfill) runs three minutes past now, so that every query the test
    // makes finds the period group's last evaluation within Prometheus's five-minute lookback,
    // as it would with the rules deployed and evaluating.
    let end = now_minute() as i64 + 180;
    let start = end - HISTORY * 60;
    let (server, url) = prometheus_over(&project, &history(start), engine);
    let period = "slo:period_error_budget_remaining:ratio{slo_service=\"bf\"}";
    // Two days of 600 requests a minute: 0.1 a minute failed, and the 6000 of the outage.
    let bad = 6_000.0 + 0.1 * 2.0 * 1_440.0;
    let want = 1.0 - bad / (2.0 * 1_440.0 * PER_MINUTE as f64) / 0.001;
    let before = |url: &str, layer: usize| {
        // Nothing above the first layer can be right before the layers below it are loaded.
        assert_eq!(value(url, period, None), None, "before layer {layer}");
    };
    // The first whole block of the history.
    let from = (start + BLOCK - 1) / BLOCK * BLOCK;
    let (_server, url, layers) =
        backfill_layers(&project, "out", engine, (from, end), (server, url), &before);
    // Minute group and constants; hourly sums; the period and its budget.
    assert_eq!(layers, 3, "{layers} layers");
    // Within 3% of the budget spent: the rules' 5m rates, evaluated at the group's offset within
    // the minute, extrapolate the outage's edges (up to 2% fewer bad events here, as live).
    let close = |got: f64| (got - want).abs() < 0.03 * (1.0 - want);
    let got = value(&url, period, None).expect("the period's budget is recorded");
    assert!(close(got), "{got} vs {want} on {}", engine.name());
    let run = project.slocc(&["status", "--prometheus", &url, "--format", "json"]);
    run.expect_code(0);
    let status: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(status[0]["source"], "recorded", "{}", run.stdout);
    let budget = status[0]["budget_remaining"].as_f64().unwrap();
    assert!(close(budget), "{budget} vs {want} on {}", engine.name());
}
