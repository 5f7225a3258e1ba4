//! `slocc audit`: the readiness report on the bundled specs and on specs with each gap.

use crate::harness::Project;

fn bundled() -> Project {
    let project = Project::new();
    project.with_repo_yaml("specs", "specs");
    project
}

fn json_lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn unfilled_runbooks_of_the_bundled_specs_are_listed_and_strict_fails() {
    let project = bundled();
    project.slocc(&["compile"]).expect_code(0);
    let run = project.slocc(&["audit", "--format", "json"]);
    run.expect_code(0);
    let findings = json_lines(&run.stdout);
    let unfilled: Vec<String> = findings
        .iter()
        .filter(|f| f["code"] == "runbook-unfilled")
        .map(|f| {
            format!(
                "{}/{}",
                f["service"].as_str().unwrap(),
                f["slo"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(unfilled.len(), 8, "{unfilled:?}");
    assert!(unfilled.contains(&"checkout-api/availability".to_string()));
    for f in &findings {
        assert!(f["service"].is_string() && f["code"].is_string(), "{f}");
    }
    // A batch job that only opens tickets, and a service without an escalation path.
    let codes: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f["service"].as_str().unwrap(), f["code"].as_str().unwrap()))
        .collect();
    assert!(
        codes.contains(&("nightly-billing", "no-paging-tier")),
        "{codes:?}"
    );
    assert!(
        codes.contains(&("nightly-billing", "no-escalation")),
        "{codes:?}"
    );
    project.slocc(&["audit", "--strict"]).expect_code(1);

    // Filling a runbook in (text outside the markers) takes it off the list.
    let path = "runbooks/checkout-api/availability.md";
    let filled = project.read(path).replace(
        "Fill in what works for this service; keep the ones that apply.",
        "Roll back first: deploys cause most incidents here.",
    );
    project.file(path, &filled);
    let again = json_lines(&project.slocc(&["audit", "--format", "json"]).stdout);
    let still = again
        .iter()
        .filter(|f| f["code"] == "runbook-unfilled")
        .count();
    assert_eq!(still, 7);
    std::fs::remove_file(project.path().join(path)).unwrap();
    let missing = project.slocc(&["audit"]);
    assert_eq!(missing.stdout, "checkout-api\n  relative-dashboard-link: dashboard links in runbooks are relative (`/d/...`): set `grafana_url` in the settings\n  no-delivery: no receiver has an integration in the settings: its alerts go to `page` and `ticket` in a generated `alertmanager.yml` that notifies no one as written; declare them under `receivers` (docs/settings.md), or merge `routes.yml` into a configuration where they deliver\n  availability: runbook-missing: no runbook at runbooks/checkout-api/availability.md: run `slocc compile`\n  latency: runbook-unfilled: runbooks/checkout-api/latency.md is still the scaffold: nobody has written its mitigation, escalation or notes\nnightly-billing\n  no-escalation: no `escalation`: the runbook does not say whom the on-call engineer calls next\n  relative-dashboard-link: dashboard links in runbooks are relative (`/d/...`): set `grafana_url` in the settings\n  no-delivery: no receiver has an integration in the settings: its alerts go to `ticket` in a generated `alertmanager.yml` that notifies no one as written; declare them under `receivers` (docs/settings.md), or merge `routes.yml` into a configuration where they deliver\n  run-success: no-paging-tier: no tier pages: a fast burn waits for working hours\n  run-success: runbook-unfilled: runbooks/nightly-billing/run-success.md is still the scaffold: nobody has written its mitigation, escalation or notes\n  invoice-export-freshness: no-paging-tier: no tier pages: a fast burn waits for working hours\n  invoice-export-freshness: runbook-unfilled: runbooks/nightly-billing/invoice-export-freshness.md is still the scaffold: nobody has written its mitigation, escalation or notes\norder-consumer\n  relative-dashboard-link: dashboard links in runbooks are relative (`/d/...`): set `grafana_url` in the settings\n  no-delivery: no receiver has an integration in the settings: its alerts go to `page` and `ticket` in a generated `alertmanager.yml` that notifies no one as written; declare them under `receivers` (docs/settings.md), or merge `routes.yml` into a configuration where they deliver\n  processing: runbook-unfilled: runbooks/order-consumer/processing.md is still the scaffold: nobody has written its mitigation, escalation or notes\nreference-api\n  relative-dashboard-link: dashboard links in runbooks are relative (`/d/...`): set `grafana_url` in the settings\n  no-delivery: no receiver has an integration in the settings: its alerts go to `page` and `ticket` in a generated `alertmanager.yml` that notifies no one as written; declare them under `receivers` (docs/settings.md), or merge `routes.yml` into a configuration where they deliver\n  availability: runbook-unfilled: runbooks/reference-api/availability.md is still the scaffold: nobody has written its mitigation, escalation or notes\n  latency: runbook-unfilled: runbooks/reference-api/latency.md is still the scaffold: nobody has written its mitigation, escalation or notes\n  upstream-errors: runbook-unfilled: runbooks/reference-api/upstream-errors.md is still the scaffold: nobody has written its mitigation, escalation or notes\n19 gaps in 4 services\n");
}

const SPEC: &str = "apiVersion: slocc/v1
service: api
slos:
  - name: availability
    objective: 90
    sli:
      ratio:
        errors: sum(rate(http_requests_total{code=~\"5..\"}[{{window}}]))
        total: sum(rate(http_requests_total[{{window}}]))
    alerting:
      expected_traffic: 10/h
";

#[test]
fn every_gap_of_a_thin_spec_is_reported_with_a_stable_code() {
    let project = Project::new();
    project.file("specs/api.yaml", SPEC);
    let run = project.slocc(&["audit", "--no-runbooks", "--format", "json"]);
    run.expect_code(0);
    let codes: Vec<String> = json_lines(&run.stdout)
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        codes,
        [
            "no-latency-slo",
            "no-owner",
            "no-escalation",
            "relative-runbook-link",
            "relative-dashboard-link",
            "no-delivery",
            "dead-tier",
            // The 6h/30m page fires 3h 36m into a full outage at 90%.
            "slow-page",
        ]
    );
    // At 90% the 1h page tier (14.4x: a 144% error ratio) is dead, and the fastest page is the
    // 6h tier (6x, threshold 0.6): at 10 requests an hour one failure in 60 is 0.0167, under
    // it, so low traffic is no risk here (the next test has one).
    let text = project.slocc(&["audit", "--no-runbooks"]).stdout;
    assert!(
        text.contains("dead-tier: the page 1h/5m tier can never fire at objective 90%"),
        "{text}"
    );
}

#[test]
fn low_traffic_is_reported_unless_the_guard_is_set() {
    let project = Project::new();
    let spec = SPEC.replace("objective: 90", "objective: 99.9");
    project.file("specs/api.yaml", &spec);
    let run = project.slocc(&["audit", "--no-runbooks"]);
    assert_eq!(run.stdout, "api\n  no-latency-slo: serves requests but has no latency SLO: slow responses never alert\n  no-owner: no `owner`: nobody is named as responsible in alerts and runbooks\n  no-escalation: no `escalation`: the runbook does not say whom the on-call engineer calls next\n  relative-runbook-link: `runbook_url` is a relative path, which does not open from a pager or chat notification: set `runbook_base_url` (spec or settings)\n  relative-dashboard-link: dashboard links in runbooks are relative (`/d/...`): set `grafana_url` in the settings\n  no-delivery: no receiver has an integration in the settings: its alerts go to `page` and `ticket` in a generated `alertmanager.yml` that notifies no one as written; declare them under `receivers` (docs/settings.md), or merge `routes.yml` into a configuration where they deliver\n  availability: low-traffic: at the expected traffic (10 events in 1h), one failure is an error ratio of 0.1, above the page 1h/5m threshold 0.0144: a single failed request pages; set `alerting.min_events`\n7 gaps in 1 service\n");
    project.file(
        "specs/api.yaml",
        &spec.replace(
            "expected_traffic: 10/h",
            "expected_traffic: 10/h\n      min_events: 3",
        ),
    );
    let guarded = project.slocc(&["audit", "--no-runbooks"]);
    assert!(
        !guarded.stdout.contains("low-traffic"),
        "{}",
        guarded.stdout
    );
    let markdown = project.slocc(&["audit", "--no-runbooks", "--format", "markdown"]);
    assert!(
        markdown.stdout.starts_with("| Service | SLO | Gap | What is missing |\n|---|---|---|---|\n| api |  | `no-latency-slo` |"),
        "{}",
        markdown.stdout
    );
}

/// A p95 latency SLO pages 43m 12s into a full outage (14.4 x 5% of an hour), over the default
/// 15-minute bound; a runbook whose notes were written but whose Mitigation section is still the
/// scaffold's, with no mitigation steps in the spec, says nothing of how to mitigate.
#[test]
fn slow_pages_and_runbooks_without_mitigation_are_gaps() {
    let project = Project::new();
    project.file(
        "specs/api.yaml",
        "apiVersion: slocc/v1\nservice: api\nowner: team-api\nescalation: '#api-oncall'\nrunbook_base_url: https://runbooks.example.com\nslos:\n  - name: availability\n    objective: 99.9\n    sli:\n      ratio:\n        errors: sum(rate(http_requests_total{job=\"api\", code=~\"5..\"}[{{window}}]))\n        total: sum(rate(http_requests_total{job=\"api\"}[{{window}}]))\n  - name: latency-p95\n    objective: 95\n    sli:\n      latency:\n        metric: http_request_duration_seconds\n        selector: '{job=\"api\"}'\n        threshold: 500ms\n",
    );
    project.slocc(&["compile"]).expect_code(0);
    let path = "runbooks/api/availability.md";
    let notes = project.read(path).replace(
        "## Notes and past incidents\n",
        "## Notes and past incidents\n\n2026-11-02: a bad deploy, rolled back in 9 minutes.\n",
    );
    project.file(path, &notes);
    let minutes = 14.4 * 0.05 * 60.0;
    assert_eq!(
        format!("{}m {}s", minutes as u64, (minutes * 60.0) as u64 % 60),
        "43m 12s"
    );
    let run = project.slocc(&["audit", "--no-runbooks"]);
    assert_eq!(run.stdout, "api\n  relative-dashboard-link: dashboard links in runbooks are relative (`/d/...`): set `grafana_url` in the settings\n  no-delivery: no receiver has an integration in the settings: its alerts go to `page` and `ticket` in a generated `alertmanager.yml` that notifies no one as written; declare them under `receivers` (docs/settings.md), or merge `routes.yml` into a configuration where they deliver\n  latency-p95: slow-page: a full outage pages after 43m 12s (the page 1h/5m tier at objective 95%), over the 15m bound (`--max-page-delay`): add a faster paging tier or reconsider the objective\n3 gaps in 1 service\n");
    let run = project.slocc(&["audit", "--max-page-delay", "45m"]);
    assert_eq!(run.stdout, "api\n  relative-dashboard-link: dashboard links in runbooks are relative (`/d/...`): set `grafana_url` in the settings\n  no-delivery: no receiver has an integration in the settings: its alerts go to `page` and `ticket` in a generated `alertmanager.yml` that notifies no one as written; declare them under `receivers` (docs/settings.md), or merge `routes.yml` into a configuration where they deliver\n  availability: no-mitigation: runbooks/api/availability.md says nothing of how to mitigate: the spec has no `runbook.mitigation` steps (for the service or the SLO) and its Mitigation section is still the scaffold's (or gone)\n  latency-p95: runbook-unfilled: runbooks/api/latency-p95.md is still the scaffold: nobody has written its mitigation, escalation or notes\n4 gaps in 1 service\n");
    // Writing the Mitigation section, or mitigation steps in the spec, closes the gap.
    let written = notes.replace(
        "Fill in what works for this service; keep the ones that apply.",
        "Roll back first: deploys cause most incidents here.",
    );
    project.file(path, &written);
    let codes = |run: crate::harness::Run| {
        json_lines(&run.stdout)
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let found = codes(project.slocc(&["audit", "--format", "json"]));
    assert!(!found.contains(&"no-mitigation".to_string()), "{found:?}");
    project.file(path, &notes);
    let spec = project.read("specs/api.yaml").replace(
        "slos:\n",
        "runbook:\n  mitigation: [{title: Roll back, command: kubectl rollout undo deploy/api}]\nslos:\n",
    );
    project.file("specs/api.yaml", &spec);
    project.slocc(&["compile"]).expect_code(0);
    let found = codes(project.slocc(&["audit", "--format", "json"]));
    assert_eq!(
        found,
        [
            "relative-dashboard-link",
            "no-delivery",
            "slow-page",
            "runbook-unfilled"
        ]
    );
    let run = project.slocc(&["audit", "--max-page-delay", "soon"]);
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        "error: --max-page-delay `soon` is not a duration such as `30s` or `30d`\n"
    );
}

/// A latency SLO written as a ratio of histogram buckets (as Pyrra's latency imports read) is a
/// latency SLO: the service is not told it has none.
#[test]
fn a_bucket_ratio_counts_as_a_latency_slo() {
    let project = Project::new();
    project.file(
        "specs/api.yaml",
        "apiVersion: slocc/v1\nservice: api\nowner: team-api\nescalation: '#api'\nrunbook_base_url: https://r.example.com\nslos:\n  - name: availability\n    objective: 99.9\n    sli:\n      ratio:\n        errors: sum(rate(http_requests_total{code=~\"5..\"}[{{window}}]))\n        total: sum(rate(http_requests_total[{{window}}]))\n  - name: fast\n    objective: 99\n    sli:\n      ratio:\n        good: sum(rate(http_request_duration_seconds_bucket{le=\"0.3\"}[{{window}}]))\n        total: sum(rate(http_request_duration_seconds_count[{{window}}]))\n",
    );
    let run = project.slocc(&["audit", "--no-runbooks", "--format", "json"]);
    let codes: Vec<String> = json_lines(&run.stdout)
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes, ["relative-dashboard-link", "no-delivery"]);
    // Without it, the gap is there.
    let only = project.read("specs/api.yaml");
    project.file(
        "specs/api.yaml",
        &only[..only.find("  - name: fast").unwrap()],
    );
    let run = project.slocc(&["audit", "--no-runbooks", "--format", "json"]);
    assert!(run.stdout.contains("\"no-latency-slo\""), "{}", run.stdout);
}
