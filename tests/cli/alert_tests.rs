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
            "ok      tests/checkout-api.days.test.yml: availability ticket 1d/2h, availability ticket 3d/6h, latency ticket 1d/2h, latency ticket 3d/6h\nok      tests/checkout-api.hours.test.yml: availability page 6h/30m, latency page 6h/30m\nok      tests/checkout-api.test.yml: availability page 1h/5m, latency page 1h/5m\nok      tests/nightly-billing.days.test.yml: run-success ticket 18h/1h30m\nok      tests/nightly-billing.hours.test.yml: run-success ticket 6h/30m\nok      tests/nightly-billing.test.yml: no tier\nok      tests/order-consumer.days.test.yml: processing ticket 1d/2h, processing ticket 3d/6h\nok      tests/order-consumer.hours.test.yml: processing page 6h/30m\nok      tests/order-consumer.test.yml: processing page 1h/5m\nok      tests/reference-api.days.test.yml: availability ticket 1d/2h, availability ticket 3d/6h, latency ticket 3d/6h, upstream-errors ticket 1d/2h, upstream-errors ticket 3d/6h\nok      tests/reference-api.hours.test.yml: availability page 6h/30m, latency page 6h/30m, upstream-errors page 6h/30m\nok      tests/reference-api.test.yml: availability page 1h/5m, latency page 1h/5m, upstream-errors page 1h/5m\n",
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

const MUTATIONS: [Mutation; 7] = [
    Mutation {
        what: "ratio: the 1h/5m page's threshold halved",
        rules: "checkout-api.rules.yml",
        from: "slo:sli_error:ratio_rate1h{slo_service=\"checkout-api\", slo_name=\"availability\"} > (14.4 * 0.001)",
        to: "slo:sli_error:ratio_rate1h{slo_service=\"checkout-api\", slo_name=\"availability\"} > (7.2 * 0.001)",
        caught_by: "checkout-api.test.yml",
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
