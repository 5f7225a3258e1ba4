//! What Prometheus 3 changed for generated rules, proven on both generations' own ingestion.

use std::fmt::Write as _;

use crate::harness::{now_minute, promtool_on, Engine, Project};

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

/// OpenTelemetry-style names, which Prometheus 3 reads when quoted.
const OTEL: &str = "apiVersion: slocc/v1\nservice: otel\nrunbook_base_url: https://r.example.com\nslos:\n  - name: availability\n    objective: 99.9\n    sli:\n      ratio:\n        errors: sum(rate({\"http.server.request.duration_seconds_count\", \"service.name\"=\"api\", \"http.response.status_code\"=~\"5..\"}[{{window}}]))\n        total: sum(rate({\"http.server.request.duration_seconds_count\", \"service.name\"=\"api\"}[{{window}}]))\n  - name: latency\n    objective: 99\n    sli:\n      latency:\n        metric: http.server.request.duration_seconds\n        selector: '{\"service.name\"=\"api\"}'\n        threshold: 300ms\n";

/// A promtool 3 scenario over the otel rules: six clean hours, then every request fails and
/// takes over a second. 1,000 requests a minute. After k minutes (at 360 + k) k of the hour's
/// 60 minutes are bad; the 1h/5m page fires once k/60 exceeds 14.4 x the budget, by the next
/// evaluation: availability (budget 0.001) at k = 1, latency (0.01) at k = 9.
fn otel_scenario() -> String {
    let series = |name: &str, labels: &str, before: u64, after: u64| {
        format!(
            "      - series: '{{\"{name}\", \"service.name\"=\"api\"{labels}}}'\n        values: '0+{before}x360 {}+{after}x60'\n",
            before * 360 + after
        )
    };
    let count = "http.server.request.duration_seconds_count";
    let bucket = "http.server.request.duration_seconds_bucket";
    let input = [
        series(count, ", \"http.response.status_code\"=\"200\"", 1_000, 0),
        series(count, ", \"http.response.status_code\"=\"500\"", 0, 1_000),
        series(bucket, ", le=\"0.3\"", 1_000, 0),
        series(bucket, ", le=\"+Inf\"", 1_000, 1_000),
    ]
    .concat();
    let firing = |slo: &str, minute: u64, on: bool| {
        let samples = if on {
            "\n          - labels: '{}'\n            value: 1"
        } else {
            " []"
        };
        format!("      - expr: 'count(ALERTS{{slo_name=\"{slo}\",slo_long_window=\"1h\",alertstate=\"firing\"}})'\n        eval_time: {minute}m\n        exp_samples:{samples}\n")
    };
    let first_bad = |budget: f64| (1..).find(|k| *k as f64 / 60.0 > 14.4 * budget).unwrap();
    let checks = [("availability", 0.001), ("latency", 0.01)]
        .iter()
        .map(|(slo, budget)| {
            let k = first_bad(*budget);
            firing(slo, 360 + k - 1, false) + &firing(slo, 360 + k + 1, true)
        })
        .collect::<String>();
    format!("rule_files: [out/otel.rules.yml]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n{input}    promql_expr_test:\n{checks}")
}

/// UTF-8 metric and label names (OpenTelemetry's `http.server.request.duration_seconds`,
/// `service.name`) are accepted with a warning that only Prometheus 3 reads them, emitted
/// quoted, loaded by promtool 3 and refused by promtool 2 (so the warning is true), and on
/// promtool 3 a full outage pages both SLOs within two evaluations. The same rules with the
/// name left unquoted, as a careless emitter would write it, do not load on 3.
#[test]
fn utf8_names_compile_quoted_and_alert_on_prometheus_3() {
    let project = Project::new();
    project.file("specs/otel.yaml", OTEL);
    let run = project.slocc(&["check", "--no-runbooks"]);
    run.expect_code(0);
    assert_eq!(
        run.headlines(),
        "specs/otel.yaml:9:17: warning[quoted-name]: the errors query uses a UTF-8 metric or label name, which only Prometheus 3 reads\n\
         specs/otel.yaml:10:16: warning[quoted-name]: the total query uses a UTF-8 metric or label name, which only Prometheus 3 reads\n\
         specs/otel.yaml:15:17: warning[quoted-name]: the latency metric uses a UTF-8 metric or label name, which only Prometheus 3 reads\n"
    );
    project.slocc(&["compile", "--no-runbooks"]).expect_code(0);
    let rules = project.read("out/otel.rules.yml");
    assert!(
        rules.contains(
            r#"{"http.server.request.duration_seconds_bucket", "service.name"="api", le="0.3"}"#
        ),
        "{rules}"
    );
    let check = ["check", "rules", "out/otel.rules.yml"];
    let (v3, said) = promtool_on(Engine::V3, project.path(), &check);
    assert!(v3, "{said}");
    let (v2, said) = promtool_on(Engine::V2, project.path(), &check);
    assert!(!v2 && said.contains("parse error"), "{said}");
    project.file("otel.test.yml", &otel_scenario());
    let (ok, said) = promtool_on(
        Engine::V3,
        project.path(),
        &["test", "rules", "otel.test.yml"],
    );
    assert!(ok, "{said}");
    project.file(
        "out/otel.rules.yml",
        &rules.replace(
            r#"{"http.server.request.duration_seconds_bucket", "#,
            "http.server.request.duration_seconds_bucket{",
        ),
    );
    let (ok, said) = promtool_on(Engine::V3, project.path(), &check);
    assert!(!ok, "{said}");
}

/// A native histogram as promtool 3's test notation writes it (schema 0: bucket `i` holds
/// observations in (2^(i-1), 2^i]; offset -2 starts at (0.125, 0.25]), with `fast` requests of
/// 0.2 s and `slow` ones of 1.5 s.
fn native(fast: u64, slow: u64) -> String {
    format!(
        "{{{{schema:0 sum:{} count:{} offset:-2 buckets:[{fast} 0 0 {slow}]}}}}",
        fast * 2 / 10 + slow * 15 / 10,
        fast + slow
    )
}

/// Six clean hours of 1,000 requests a minute, all fast; then all slow.
fn native_input(series: &str) -> String {
    let (before, after) = (native(1_000, 0), native(0, 1_000));
    let at_360 = native(360_000, 0);
    let first_slow = native(360_000, 1_000);
    format!(
        "      - series: '{series}'\n        values: '{}+{before}x360 {first_slow}+{after}x60'\n",
        native(0, 0)
    )
    .replace(
        &format!("{}+{before}x360", native(0, 0)),
        &format!("{}+{before}x359 {at_360}", native(0, 0)),
    )
}

/// Latency SLIs on native histograms (the native spec's `native: true`, and Pyrra's
/// `latencyNative`) compile, load on promtool 3 and page a slow-down when the workbook says:
/// after k slow minutes of a 99% SLO, k/60 > 14.4 x 0.01 first at k = 9, fired by the next
/// evaluation; never before. (Prometheus 2.42's promtool cannot write native-histogram input.)
#[test]
fn native_histogram_latency_slis_page_at_the_computed_minute_on_prometheus_3() {
    let project = Project::new();
    project.file(
        "specs/native.yaml",
        "apiVersion: slocc/v1\nservice: native\nrunbook_base_url: https://r.example.com\nslos:\n  - name: latency\n    objective: 99\n    sli:\n      latency:\n        metric: rpc_duration_seconds\n        selector: '{job=\"native\"}'\n        threshold: 1s\n        native: true\n",
    );
    project.file(
        "specs/pyrra.yaml",
        "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata:\n  name: pyrra-native\nspec:\n  target: '99'\n  window: 30d\n  indicator:\n    latencyNative:\n      latency: 1s\n      total:\n        metric: rpc_duration_seconds{job=\"pyrra\"}\n",
    );
    project.slocc(&["compile", "--no-runbooks"]).expect_code(0);
    let rules = project.read("out/native.rules.yml");
    assert!(
        rules.contains(
            r#"histogram_fraction(0, 1, sum(rate(rpc_duration_seconds{job="native"}[1h])))"#
        ),
        "{rules}"
    );
    for file in ["out/native.rules.yml", "out/pyrra-native.rules.yml"] {
        let (ok, said) = promtool_on(Engine::V3, project.path(), &["check", "rules", file]);
        assert!(ok, "{said}");
    }
    let k = (1..).find(|k| *k as f64 / 60.0 > 14.4 * 0.01).unwrap();
    assert_eq!(k, 9);
    let firing = |service: &str, minute: u64, on: bool| {
        let samples = if on {
            "\n          - labels: '{}'\n            value: 1"
        } else {
            " []"
        };
        format!("      - expr: 'count(ALERTS{{slo_service=\"{service}\",alertstate=\"firing\",slo_long_window=\"1h\"}} or ALERTS{{slo_service=\"{service}\",alertstate=\"firing\",long=\"1h\"}})'\n        eval_time: {minute}m\n        exp_samples:{samples}\n")
    };
    let checks: String = ["native", "pyrra-native"]
        .iter()
        .map(|s| firing(s, 360 + k - 1, false) + &firing(s, 360 + k + 1, true))
        .collect();
    let input = native_input("rpc_duration_seconds{job=\"native\"}")
        + &native_input("rpc_duration_seconds{job=\"pyrra\"}");
    project.file(
        "native.test.yml",
        &format!("rule_files: [out/native.rules.yml, out/pyrra-native.rules.yml]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n{input}    promql_expr_test:\n{checks}"),
    );
    let (ok, said) = promtool_on(
        Engine::V3,
        project.path(),
        &["test", "rules", "native.test.yml"],
    );
    assert!(ok, "{said}");
}

/// Four SLOs over the histogram above: a threshold on a boundary (`1s`, stored as `le="1.0"`
/// by Prometheus 3), one between boundaries, a ratio of the histogram's count, and a ratio
/// whose total reads a metric that does not exist.
const LIVE_CHECK: &str = "apiVersion: slocc/v1\nservice: lat\nrunbook_base_url: https://r.example.com\nslos:\n  - name: within-1s\n    objective: 99\n    sli:\n      latency: {metric: req_seconds, selector: '{job=\"lat\"}', threshold: 1s}\n  - name: within-800ms\n    objective: 99\n    sli:\n      latency: {metric: req_seconds, selector: '{job=\"lat\"}', threshold: 800ms}\n  - name: served\n    objective: 99\n    sli:\n      ratio:\n        good: sum(rate(req_seconds_bucket{job=\"lat\", le=\"+Inf\"}[{{window}}]))\n        total: sum(rate(req_seconds_count{job=\"lat\"}[{{window}}]))\n  - name: misspelt\n    objective: 99\n    sli:\n      ratio:\n        errors: sum(rate(req_errors_total{job=\"lat\"}[{{window}}]))\n        total: sum(rate(req_second_count{job=\"lat\"}[{{window}}]))\n";

/// `check --prometheus` asks the server what the specs cannot say: each SLI returns data and
/// each latency threshold is a real bucket boundary, on both generations' `le` forms.
#[test]
fn check_against_a_live_server_finds_blind_slis_and_thresholds_between_buckets() {
    for engine in Engine::BOTH {
        let project = Project::new();
        project.file("specs/lat.yaml", LIVE_CHECK);
        let (_server, url) = crate::live::prometheus_over(&project, &history(now_minute()), engine);
        let run = project.slocc(&["check", "--no-runbooks", "--prometheus", &url]);
        run.expect_code(1);
        assert_eq!(
            run.headlines(),
            "specs/lat.yaml:9:11: error[threshold-not-a-bucket]: the latency threshold 0.8s of `lat/within-800ms` is no bucket boundary of `req_seconds_bucket`, so no request is ever counted against it and its alerts can never fire\nspecs/lat.yaml:19:11: error[sli-no-data]: the total query of `lat/misspelt` returns no series from the server: `sum(rate(req_second_count{job=\"lat\"}[1h]))`\n",
            "{}",
            engine.name()
        );
        assert!(run.stderr.contains("= hint: the boundaries are 0.5s, 1s: use one of them, or add the bucket to the histogram\n"), "{}", run.stderr);
        // Fixed, the same check passes; without `--prometheus` nothing is asked.
        let fixed = LIVE_CHECK
            .replace("threshold: 800ms", "threshold: 500ms")
            .replace("req_second_count", "req_seconds_count");
        project.file("specs/lat.yaml", &fixed);
        project
            .slocc(&["check", "--prometheus", &url])
            .expect_code(0);
    }
    // A server that cannot be asked is an error, never a pass.
    let project = Project::new();
    project.file("specs/lat.yaml", LIVE_CHECK);
    let port = crate::harness::free_port();
    let run = project.slocc(&["check", "--prometheus", &format!("http://127.0.0.1:{port}")]);
    run.expect_code(2);
}
