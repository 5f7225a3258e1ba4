//! The promtool alert tests slocc writes for users (`tests/<service>*.test.yml` beside the rule
//! files) and `slocc test`: they pass on both Prometheus generations for every bundled spec and
//! importable example, and they bite: a threshold, window, selector, bucket or `for:` changed
//! by hand in a rule file makes them fail.

use crate::harness::{promtool_on, Engine, Project};

/// The bundled specs compiled into `out/`.
fn compiled() -> Project {
    let project = Project::new();
    project.with_repo_yaml("specs", "specs");
    project.slocc(&["compile", "-o", "out"]).expect_code(0);
    project
}

/// Runs one generated test file with `engine`'s promtool: whether it passed, and the output.
fn run_file(project: &Project, engine: Engine, file: &str) -> (bool, String) {
    promtool_on(
        engine,
        &project.path().join("out/tests"),
        &["test", "rules", file],
    )
}

#[test]
fn slocc_test_passes_on_the_bundled_specs_on_both_generations() {
    let project = compiled();
    for engine in Engine::BOTH {
        let promtool = engine.promtool();
        let run = project.slocc(&["test", "--promtool", promtool.to_str().unwrap()]);
        run.expect_code(0);
        assert_eq!(
            run.stdout,
            "ok      tests/checkout-api.days.test.yml: availability ticket 1d/2h, availability ticket 3d/6h, latency ticket 1d/2h, latency ticket 3d/6h\nok      tests/checkout-api.hours.test.yml: availability page 6h/30m, latency page 6h/30m\nok      tests/checkout-api.test.yml: availability page 1h/5m, availability no data, latency page 1h/5m, latency no data\nok      tests/nightly-billing.days.test.yml: run-success ticket 18h/1h30m, invoice-export-freshness ticket 18h/1h30m\nok      tests/nightly-billing.hours.test.yml: run-success ticket 6h/30m, invoice-export-freshness ticket 6h/30m\nok      tests/nightly-billing.test.yml: run-success no data, invoice-export-freshness no data\nok      tests/order-consumer.days.test.yml: processing ticket 1d/2h, processing ticket 3d/6h\nok      tests/order-consumer.hours.test.yml: processing page 6h/30m\nok      tests/order-consumer.test.yml: processing page 1h/5m, processing no data\nok      tests/reference-api.days.test.yml: availability ticket 1d/2h, availability ticket 3d/6h, latency ticket 3d/6h, upstream-errors ticket 1d/2h, upstream-errors ticket 3d/6h\nok      tests/reference-api.hours.test.yml: availability page 6h/30m, latency page 6h/30m, upstream-errors page 6h/30m\nok      tests/reference-api.test.yml: availability page 1h/5m, availability no data, latency page 1h/5m, latency no data, upstream-errors page 1h/5m, upstream-errors no data\n",
            "{}",
            engine.name()
        );
        // The committed output tests the same.
        let kept = project.slocc(&[
            "test",
            "--out",
            "out",
            "--promtool",
            promtool.to_str().unwrap(),
        ]);
        kept.expect_code(0);
        assert_eq!(kept.stdout, run.stdout);
    }
    // Deterministic, in the manifest, and checked for staleness like every output.
    let first = project.read("out/tests/checkout-api.test.yml");
    project.slocc(&["compile", "-o", "out"]).expect_code(0);
    assert_eq!(first, project.read("out/tests/checkout-api.test.yml"));
    assert!(project
        .read("out/.slocc-manifest")
        .contains("tests/checkout-api.test.yml"));
    project.file("out/tests/checkout-api.test.yml", "tests: []\n");
    project
        .slocc(&["compile", "-o", "out", "--check"])
        .expect_code(1);
    // Switched off, they are not written: the earlier ones are removed as outputs no longer
    // produced, but for the one edited by hand, which is kept.
    project
        .slocc(&["compile", "-o", "out", "--no-alert-tests"])
        .expect_code(0);
    assert!(!project
        .path()
        .join("out/tests/checkout-api.hours.test.yml")
        .exists());
    assert_eq!(
        project.read("out/tests/checkout-api.test.yml"),
        "tests: []\n"
    );
}

#[test]
fn imported_specs_get_tests_that_pass_and_say_what_they_do_not_cover() {
    let project = Project::new();
    project.with_repo_yaml("examples/migration", "specs");
    // Pyrra's bool gauge: every sample an event, good when it reads 1.
    project.file(
        "specs/probe.yaml",
        "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata:\n  name: probe-up\nspec:\n  target: \"99.5\"\n  window: 1w\n  indicator:\n    bool_gauge:\n      metric: probe_success{job=\"blackbox\"}\n",
    );
    project.slocc(&["compile", "-o", "out"]).expect_code(0);
    let probe = project.read("out/tests/probe-up.test.yml");
    assert!(
        !probe.contains("# Not covered") && probe.contains("probe_success{job=\"blackbox\"}"),
        "{probe}"
    );
    for engine in Engine::BOTH {
        let promtool = engine.promtool();
        let run = project.slocc(&[
            "test",
            "--out",
            "out",
            "--promtool",
            promtool.to_str().unwrap(),
        ]);
        run.expect_code(0);
        assert!(!run.stdout.contains("FAILED"), "{}", run.stdout);
        assert!(run.stdout.lines().count() >= 3, "{}", run.stdout);
    }
}

#[test]
fn a_missing_promtool_is_a_clear_error() {
    let project = compiled();
    let run = project.slocc(&["test", "--promtool", "/nonexistent/promtool"]);
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        "error: cannot run `/nonexistent/promtool`: No such file or directory (os error 2); install Prometheus's promtool, or name it with `--promtool PATH`\n"
    );
}

/// A hand edit of a generated rule file, and the test file that must catch it.
struct Mutation {
    what: &'static str,
    rules: &'static str,
    from: &'static str,
    to: &'static str,
    caught_by: &'static str,
}

const MUTATIONS: [Mutation; 10] = [
    Mutation {
        what: "ratio: the 1h/5m page's threshold halved",
        rules: "checkout-api.rules.yml",
        from: "slo:sli_error:ratio_rate1h{slo_service=\"checkout-api\", slo_name=\"availability\"} > (14.4 * 0.001)",
        to: "slo:sli_error:ratio_rate1h{slo_service=\"checkout-api\", slo_name=\"availability\"} > (7.2 * 0.001)",
        caught_by: "checkout-api.test.yml",
    },
    Mutation {
        what: "ratio: the 1h/5m page's threshold raised by a fifth",
        rules: "checkout-api.rules.yml",
        from: "slo:sli_error:ratio_rate1h{slo_service=\"checkout-api\", slo_name=\"availability\"} > (14.4 * 0.001)",
        to: "slo:sli_error:ratio_rate1h{slo_service=\"checkout-api\", slo_name=\"availability\"} > (17.28 * 0.001)",
        caught_by: "checkout-api.test.yml",
    },
    Mutation {
        what: "ratio: the 1d/2h ticket's threshold raised by a fifth",
        rules: "checkout-api.rules.yml",
        from: "slo:sli_error:ratio_rate1d{slo_service=\"checkout-api\", slo_name=\"availability\"} > (3 * 0.001)",
        to: "slo:sli_error:ratio_rate1d{slo_service=\"checkout-api\", slo_name=\"availability\"} > (3.6 * 0.001)",
        caught_by: "checkout-api.days.test.yml",
    },
    Mutation {
        what: "ratio: the 1h window read over 2h",
        rules: "checkout-api.rules.yml",
        from: "[1h]",
        to: "[2h]",
        caught_by: "checkout-api.test.yml",
    },
    Mutation {
        what: "ratio: the errors' selector no longer matching 5xx",
        rules: "checkout-api.rules.yml",
        from: "code=~\"5..\"}[1h]",
        to: "code=~\"4..\"}[1h]",
        caught_by: "checkout-api.test.yml",
    },
    Mutation {
        what: "latency: the good bucket moved to 500ms",
        rules: "checkout-api.rules.yml",
        from: "le=\"0.3\"}[30m]",
        to: "le=\"0.5\"}[30m]",
        caught_by: "checkout-api.hours.test.yml",
    },
    Mutation {
        what: "ratio (good events): the 6h window read over 3h",
        rules: "order-consumer.rules.yml",
        from: "[6h]",
        to: "[3h]",
        caught_by: "order-consumer.hours.test.yml",
    },
    Mutation {
        what: "raw: the gauge's 1h window read over 30m",
        rules: "reference-api.rules.yml",
        from: "gateway_upstream_error_ratio{service=\"reference-api\"}[1h]",
        to: "gateway_upstream_error_ratio{service=\"reference-api\"}[30m]",
        caught_by: "reference-api.test.yml",
    },
    Mutation {
        what: "no data: the absent alert held for 2 minutes instead of 10",
        rules: "checkout-api.rules.yml",
        from: "slo_name=\"availability\"})'\n    for: '10m'",
        to: "slo_name=\"availability\"})'\n    for: '2m'",
        caught_by: "checkout-api.test.yml",
    },
    Mutation {
        what: "for: the pages held for 30 minutes",
        rules: "reference-api.rules.yml",
        from: "for: '1m'",
        to: "for: '30m'",
        caught_by: "reference-api.test.yml",
    },
];

#[test]
fn the_generated_tests_fail_when_a_rule_is_edited_by_hand_on_both_generations() {
    let project = compiled();
    for m in &MUTATIONS {
        let original = project.read(&format!("out/{}", m.rules));
        assert!(
            original.contains(m.from),
            "{}: `{}` not in the rules",
            m.what,
            m.from
        );
        for engine in Engine::BOTH {
            let (ok, text) = run_file(&project, engine, m.caught_by);
            assert!(
                ok,
                "{} passes before the edit on {}:\n{text}",
                m.caught_by,
                engine.name()
            );
        }
        project.file(&format!("out/{}", m.rules), &original.replace(m.from, m.to));
        for engine in Engine::BOTH {
            let (ok, text) = run_file(&project, engine, m.caught_by);
            assert!(
                !ok,
                "{} on {}: {} still passes",
                m.what,
                engine.name(),
                m.caught_by
            );
            assert!(text.contains("FAILED"), "{text}");
        }
        project.file(&format!("out/{}", m.rules), &original);
    }
    // `slocc test --out` reports the failing file with promtool's account, and exits 1.
    let rules = project.read("out/checkout-api.rules.yml");
    project.file(
        "out/checkout-api.rules.yml",
        &rules.replace(MUTATIONS[0].from, MUTATIONS[0].to),
    );
    let promtool = Engine::V3.promtool();
    let run = project.slocc(&[
        "test",
        "--out",
        "out",
        "--promtool",
        promtool.to_str().unwrap(),
    ]);
    run.expect_code(1);
    assert!(
        run.stdout
            .contains("FAILED  tests/checkout-api.test.yml: availability page 1h/5m\n    "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("slo_long_window=\\\"1h\\\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("ok      tests/checkout-api.hours.test.yml: availability page 6h/30m, latency page 6h/30m\n"),
        "{}",
        run.stdout
    );
}

/// A calendar SLO (its alerts burn like a rolling one's) and a latency SLO with a whole-second
/// threshold and a `min_events` guard: their tests pass on both generations, and lowering the
/// guard by hand makes the guard's test fail.
#[test]
fn calendar_and_guarded_slos_get_tests_that_pass_and_bite() {
    let project = Project::new();
    project.file(
        "specs/api.yaml",
        "apiVersion: slocc/v1\nservice: api\nrunbook_base_url: https://r.example.com\nslos:\n  - name: monthly\n    objective: 99.9\n    calendar: {period: month}\n    sli:\n      ratio:\n        errors: sum(rate(http_requests_total{code=~\"5..\"}[{{window}}]))\n        total: sum(rate(http_requests_total[{{window}}]))\n  - name: guarded\n    objective: 99\n    sli:\n      latency:\n        metric: rpc_duration_seconds\n        selector: '{service=\"api\"}'\n        threshold: 1s\n    alerting:\n      min_events: 50\n",
    );
    project.slocc(&["compile", "-o", "out"]).expect_code(0);
    let tests = project.read("out/tests/api.test.yml");
    assert!(!tests.contains("# Not covered"), "{tests}");
    assert!(
        tests.contains("rpc_duration_seconds_bucket{le=\"1\", service=\"api\"}"),
        "{tests}"
    );
    for engine in Engine::BOTH {
        for file in ["api.test.yml", "api.hours.test.yml", "api.days.test.yml"] {
            let (ok, text) = run_file(&project, engine, file);
            assert!(ok, "{file} on {}:\n{text}", engine.name());
        }
    }
    let rules = project.read("out/api.rules.yml");
    assert!(rules.contains(") >= 50"));
    project.file("out/api.rules.yml", &rules.replace(") >= 50", ") >= 1"));
    for engine in Engine::BOTH {
        let (ok, _) = run_file(&project, engine, "api.test.yml");
        assert!(!ok, "the lowered guard passes on {}", engine.name());
    }
}

/// Time-slice SLOs: a slice judged against its target (the incident makes every slice bad; the
/// steady burn keeps every slice good) and slices whose error ratios are averaged. Their tests
/// pass on both generations, and a slice bound edited by hand fails them.
#[test]
fn time_slice_slos_get_tests_that_pass_and_bite() {
    let project = Project::new();
    project.file(
        "specs/api.yaml",
        "apiVersion: slocc/v1\nservice: api\nrunbook_base_url: https://r.example.com\nslos:\n  - name: slices\n    objective: 99\n    budgeting: {method: timeslices, slice: 1m, slice_target: 0.95}\n    sli:\n      ratio:\n        errors: sum(rate(http_requests_total{code=~\"5..\"}[{{window}}]))\n        total: sum(rate(http_requests_total[{{window}}]))\n  - name: averaged\n    objective: 99.5\n    budgeting: {method: ratio_timeslices, slice: 5m}\n    sli:\n      latency:\n        metric: h_seconds\n        selector: '{job=\"api\"}'\n        threshold: 250ms\n",
    );
    project.slocc(&["compile", "-o", "out"]).expect_code(0);
    let tests = project.read("out/tests/api.test.yml");
    assert!(
        !tests.contains("# Not covered") && tests.contains("  interval: '15s'"),
        "{tests}"
    );
    for engine in Engine::BOTH {
        for file in ["api.test.yml", "api.hours.test.yml", "api.days.test.yml"] {
            let (ok, text) = run_file(&project, engine, file);
            assert!(ok, "{file} on {}:\n{text}", engine.name());
        }
    }
    let rules = project.read("out/api.rules.yml");
    assert!(rules.contains(") > bool 0.05"));
    project.file(
        "out/api.rules.yml",
        &rules.replace(") > bool 0.05", ") > bool 0.5"),
    );
    for engine in Engine::BOTH {
        let (ok, _) = run_file(&project, engine, "api.test.yml");
        assert!(!ok, "a slice bound of 50% passes on {}", engine.name());
    }
}

/// Threshold SLIs (a value judged per slice): a p95 from a classic histogram, the oldest
/// message's age from a gauge, a hit ratio that must stay at or above its bound. The value sits
/// on the bad side of the bound through the incident and on the good side otherwise; the tests
/// pass on both generations, and a bound or selector edited by hand fails them.
#[test]
fn threshold_slis_get_tests_that_pass_and_bite() {
    let project = Project::new();
    project.file(
        "specs/th.yaml",
        "apiVersion: slocc/v1\nservice: th\nrunbook_base_url: https://r.example.com\nslos:\n  - name: p95\n    objective: 99\n    budgeting: {method: timeslices, slice: 1m}\n    sli:\n      threshold:\n        query: histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job=\"svc\"}[{{window}}])))\n        op: lte\n        value: 0.3\n  - name: backlog\n    objective: 99.5\n    budgeting: {method: ratio_timeslices, slice: 5m}\n    sli:\n      threshold:\n        query: max(max_over_time(queue_oldest_seconds{queue=\"orders\"}[{{window}}]))\n        op: lt\n        value: 120\n  - name: hits\n    objective: 95\n    budgeting: {method: timeslices, slice: 1m, slice_target: 0.9}\n    sli:\n      threshold:\n        query: avg(cache_hit_ratio{cache=\"sessions\"})\n        op: gte\n        value: 0.8\n  - name: export\n    objective: 99\n    sli:\n      freshness:\n        last_success: max(export_last_success_timestamp_seconds{job=\"etl\"})\n        max_age: 30m\n",
    );
    project.slocc(&["compile", "-o", "out"]).expect_code(0);
    let tests = project.read("out/tests/th.test.yml");
    assert!(!tests.contains("# Not covered"), "{tests}");
    // The p95's buckets: all under half the bound, or all between the bound and twice it.
    for le in ["0.15", "0.3", "0.6", "+Inf"] {
        let series = format!("http_request_duration_seconds_bucket{{job=\"svc\", le=\"{le}\"}}");
        assert!(tests.contains(&series), "{series} in\n{tests}");
    }
    // The age: 60 s otherwise, 180 s in the incident; the hit ratio 1.2 otherwise, 0.4 in it.
    assert!(tests.contains("values: '60 60+0x359 180+0x"), "{tests}");
    assert!(tests.contains("values: '1.2 1.2+0x359 0.4+0x"), "{tests}");
    // The last success: the test's clock (a sample every 15 s), an hour behind it in the
    // incident (twice the 30m allowed: 361 x 15 - 3600), the clock again after.
    let clock = "series: 'export_last_success_timestamp_seconds{job=\"etl\"}'\n    values: '0 15+15x359 1815+15x";
    assert!(tests.contains(clock), "{tests}");
    let files = ["th.test.yml", "th.hours.test.yml", "th.days.test.yml"];
    for engine in Engine::BOTH {
        for file in files {
            let (ok, text) = run_file(&project, engine, file);
            assert!(ok, "{file} on {}:\n{text}", engine.name());
        }
    }
    let rules = project.read("out/th.rules.yml");
    for (from, to) in [
        // 0.3 + 0.95 x 0.3 = 0.585 is no longer over the bound.
        ("> bool 0.3)", "> bool 0.6)"),
        (">= bool 120)", ">= bool 200)"),
        ("< bool 0.8)", "< bool 0.3)"),
        // Stale after two hours instead of 30 minutes: an hour behind is fresh.
        ("> bool 1800)", "> bool 7200)"),
        ("{cache=\"sessions\"}", "{cache=\"session\"}"),
    ] {
        assert!(rules.contains(from), "{from}");
        project.file("out/th.rules.yml", &rules.replace(from, to));
        for engine in Engine::BOTH {
            let (ok, _) = run_file(&project, engine, "th.test.yml");
            assert!(!ok, "{from} -> {to} passes on {}", engine.name());
        }
    }
}

/// Native-histogram latency SLIs (slocc's `native: true` and Pyrra's `latencyNative`): their
/// tests go into `.native.` files, pass on promtool 3 and fail when the threshold or the
/// selector is edited; promtool 2 has no notation for native-histogram input, so `slocc test`
/// names the files it cannot run and fails instead of passing them unseen.
#[test]
fn native_histogram_slis_get_tests_on_prometheus_3_and_a_clear_failure_on_2() {
    let project = Project::new();
    project.file(
        "specs/nat.yaml",
        "apiVersion: slocc/v1\nservice: nat\nrunbook_base_url: https://r.example.com\nslos:\n  - name: latency\n    objective: 99.9\n    sli:\n      latency:\n        metric: rpc_duration_seconds\n        selector: '{job=\"native\"}'\n        threshold: 300ms\n        native: true\n",
    );
    project.file(
        "specs/pyrra.yaml",
        "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata:\n  name: pyrra-native\nspec:\n  target: '99'\n  window: 28d\n  indicator:\n    latencyNative:\n      latency: 1s\n      total:\n        metric: rpc_duration_seconds{job=\"pyrra\"}\n",
    );
    project.slocc(&["compile", "-o", "out"]).expect_code(0);
    let tests = project.read("out/tests/nat.native.test.yml");
    // 300ms: good observations in (0.125, 0.25], bad ones in (0.5, 1].
    assert!(
        tests.starts_with("# Native-histogram input series: needs promtool 3 or later.\n")
            && tests.contains("{{schema:0 sum:250 count:1000 offset:-2 buckets:[1000 0 0]}}"),
        "{tests}"
    );
    assert_eq!(
        project.read("out/tests/nat.test.yml").lines().last(),
        Some("tests: []")
    );
    let files = [
        "nat.native.test.yml",
        "nat.native.hours.test.yml",
        "nat.native.days.test.yml",
        "pyrra-native.native.test.yml",
        "pyrra-native.native.hours.test.yml",
        "pyrra-native.native.days.test.yml",
    ];
    for file in files {
        let (ok, text) = run_file(&project, Engine::V3, file);
        assert!(ok, "{file}:\n{text}");
    }
    let rules = project.read("out/nat.rules.yml");
    for (from, to) in [
        ("histogram_fraction(0, 0.3,", "histogram_fraction(0, 0.6,"),
        ("{job=\"native\"}", "{job=\"other\"}"),
    ] {
        assert!(rules.contains(from), "{from}");
        project.file("out/nat.rules.yml", &rules.replace(from, to));
        let (ok, _) = run_file(&project, Engine::V3, "nat.native.test.yml");
        assert!(!ok, "{from} -> {to} passes");
    }
    project.file("out/nat.rules.yml", &rules);
    let promtool = Engine::V2.promtool();
    let promtool = promtool.to_str().unwrap();
    let run = project.slocc(&["test", "--out", "out", "--promtool", promtool]);
    run.expect_code(1);
    let not_run = format!("FAILED  tests/nat.native.test.yml: latency page 1h/5m, latency no data\n    not run: native-histogram input series need promtool 3 or later, and `{promtool}` is 2.42.0+ds; name a newer one with `--promtool PATH`\n");
    assert!(run.stdout.contains(&not_run), "{}", run.stdout);
    assert!(
        run.stdout.contains("ok      tests/nat.test.yml: no tier\n"),
        "{}",
        run.stdout
    );
}
