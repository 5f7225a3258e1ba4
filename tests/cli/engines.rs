//! What Prometheus 3 changed for generated rules, proven on both generations' own ingestion.

use std::fmt::Write as _;

use crate::harness::{now_minute, Engine, Project};

/// A latency SLO of 99% under 1 second, on a classic histogram.
const SPEC: &str = "apiVersion: slocc/v1\nservice: lat\nrunbook_base_url: https://r.example.com\nslos:\n  - name: latency\n    objective: 99\n    sli:\n      latency:\n        metric: req_seconds\n        selector: '{job=\"lat\"}'\n        threshold: 1s\n";

/// Three hours of a histogram as a client library exposes it (`le="1"`, not `le="1.0"`): 1,000
/// requests a minute, 980 of them within a second (a 2% error ratio).
fn history(now: u64) -> String {
    let mut out = String::from("# TYPE req_seconds histogram\n");
    for m in 0..=180u64 {
        let at = now - (180 - m) * 60;
        let n = m as f64;
        for (le, count) in [("0.5", 900.0 * n), ("1", 980.0 * n), ("+Inf", 1_000.0 * n)] {
            let _ = writeln!(
                out,
                "req_seconds_bucket{{job=\"lat\",le=\"{le}\"}} {count} {at}"
            );
        }
        let _ = writeln!(out, "req_seconds_count{{job=\"lat\"}} {} {at}", 1_000.0 * n);
        let _ = writeln!(out, "req_seconds_sum{{job=\"lat\"}} {} {at}", 300.0 * n);
    }
    out.push_str("# EOF\n");
    out
}

/// An instant query's result count, asked directly of the server.
fn series_count(url: &str, query: &str) -> usize {
    let body = ureq::get(&format!("{url}/api/v1/query"))
        .query("query", query)
        .call()
        .expect("query Prometheus")
        .into_body()
        .read_to_string()
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    json["data"]["result"].as_array().map_or(0, Vec::len)
}

/// Prometheus 3 stores a classic histogram's `le="1"` as `le="1.0"` on ingestion; the latency
/// SLI must select the 1-second bucket on both generations. The test proves it bites: on
/// Prometheus 3 a plain `le="1"` matcher finds nothing, while slocc's SLI reads the right ratio.
#[test]
fn a_latency_threshold_selects_its_bucket_before_and_after_le_normalisation() {
    for engine in Engine::BOTH {
        let project = Project::new();
        project.file("specs/lat.yaml", SPEC);
        let (_server, url) = crate::live::prometheus_over(&project, &history(now_minute()), engine);
        let plain = series_count(&url, r#"req_seconds_bucket{le="1"}"#);
        let normalised = series_count(&url, r#"req_seconds_bucket{le="1.0"}"#);
        match engine {
            Engine::V2 => assert_eq!((plain, normalised), (1, 0), "{}", engine.name()),
            Engine::V3 => assert_eq!((plain, normalised), (0, 1), "{}", engine.name()),
        }
        let run = project.slocc(&["status", "--prometheus", &url, "--format", "json"]);
        run.expect_code(0);
        let status: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let sli = status[0]["sli"].as_f64().unwrap_or(f64::NAN);
        assert!(
            (sli - 0.98).abs() < 1e-6,
            "{}: SLI {sli} from {}",
            engine.name(),
            run.stdout
        );
    }
}
