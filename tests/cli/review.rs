//! `slocc diff` end to end: semantic reports, formats, git revisions, and bad input.

use std::process::Command;

use crate::harness::Project;

const SPEC: &str = r#"apiVersion: slocc/v1
service: api
labels: {team: core}
slos:
  - name: availability
    objective: 99.9
    sli:
      ratio:
        errors: sum(rate(http_requests_total{code=~"5.."}[{{window}}]))
        total: sum(rate(http_requests_total[{{window}}]))
    alerting:
      page: {labels: {routing_key: core-pager}}
"#;

fn two_sides(new: &str) -> Project {
    let project = Project::new();
    project.file("old/api.yaml", SPEC).file("new/api.yaml", new);
    project
}

#[test]
fn objective_change_reports_budget_thresholds_and_detection_time() {
    let project = two_sides(
        &SPEC
            .replace("99.9", "99.95")
            .replace("core-pager", "core-urgent"),
    );
    let run = project.slocc(&["diff", "old", "new"]);
    run.expect_code(1);
    for want in [
        "api/availability: changed",
        "objective 99.9% -> 99.95% (allowed full outage 43m 12s -> 21m 36s)",
        "page 1h/5m: factor 14.4x, threshold 0.0144 -> 0.0072, full outage fires in 51.8s -> 25.9s, budget spent when it fires 2%",
        "label `routing_key` on the page 1h/5m alert: `core-pager` -> `core-urgent`",
        "+++ b/api.rules.yml",
    ] {
        assert!(run.stdout.contains(want), "missing {want:?} in\n{}", run.stdout);
    }
    assert!(
        !run.stdout.contains('\u{1b}'),
        "no colour when not a terminal"
    );
}

#[test]
fn identical_sides_report_no_change() {
    let project = two_sides(SPEC);
    let run = project.slocc(&["diff", "old", "new"]);
    run.expect_code(0);
    assert_eq!(run.stdout, "no changes\n");
}

#[test]
fn tiers_added_removed_and_slos_renamed_are_named() {
    let new = SPEC.replace("name: availability", "name: success").replace(
        "      page: {labels: {routing_key: core-pager}}\n",
        "      page: {labels: {routing_key: core-pager}}\n      ticket: {disable: true}\n",
    );
    let project = two_sides(&new);
    let json = project.slocc(&["diff", "old", "new", "--format", "json"]);
    json.expect_code(1);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let change = &report["slos"][0];
    assert_eq!(change["kind"], "renamed");
    assert_eq!(change["renamed_from"], "availability");
    let whats: Vec<&str> = change["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["what"].as_str().unwrap())
        .collect();
    assert!(whats.contains(&"tier-removed"), "{whats:?}");
    assert!(whats.contains(&"alert-name"), "{whats:?}");
    let runbook = |report: &serde_json::Value| {
        let details = report["slos"][0]["details"].as_array().unwrap().clone();
        let found = details
            .into_iter()
            .find(|d| d["what"] == "runbook")
            .unwrap();
        found["text"].as_str().unwrap().to_string()
    };
    assert_eq!(runbook(&report), "its runbook `api/availability.md` is left behind (orphaned) and the alert links a new scaffold: add `previous_names: [availability]`");
    // Named as a previous name, the runbook carries over; a changed SLI is still a rename.
    let carried = SPEC
        .replace(
            "  - name: availability\n",
            "  - name: success\n    previous_names: [availability]\n",
        )
        .replace("code=~\"5..\"", "code=~\"5..|429\"");
    let project = two_sides(&carried);
    let json = project.slocc(&["diff", "old", "new", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["slos"][0]["kind"], "renamed", "{report}");
    assert_eq!(
        runbook(&report),
        "its runbook carries over from `api/availability.md` (`previous_names`)"
    );
}

#[test]
fn markdown_is_ready_for_a_pull_request_comment() {
    let project = two_sides(&SPEC.replace("99.9", "99.5"));
    let run = project.slocc(&["diff", "old", "new", "--format", "markdown"]);
    run.expect_code(1);
    assert!(
        run.stdout.starts_with("### slocc: SLO and alert changes\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("- **api/availability** changed: objective 99.9% -> 99.5%"),
        "{}",
        run.stdout
    );
    assert!(run
        .stdout
        .contains("<details><summary>Generated files: 5 files changed</summary>"));
    assert!(run.stdout.contains("```diff\n--- a/api.rules.yml"));
}

fn git(project: &Project, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(project.path())
        .output()
        .expect("git");
    assert!(
        status.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

#[test]
fn diff_against_a_git_revision() {
    let project = Project::new();
    project.file("specs/api.yaml", SPEC);
    git(&project, &["init", "-q"]);
    git(&project, &["add", "."]);
    git(&project, &["commit", "-qm", "base"]);

    project.slocc(&["diff", "--base", "HEAD"]).expect_code(0);

    project.file("specs/api.yaml", &SPEC.replace("99.9", "99"));
    let run = project.slocc(&["diff", "--base", "HEAD"]);
    run.expect_code(1);
    assert!(
        run.stdout.contains("objective 99.9% -> 99%"),
        "{}",
        run.stdout
    );
    // Both sides name their sources alike, so only real changes show in the file diff.
    assert!(
        !run.stdout.contains("-# Generated by slocc"),
        "{}",
        run.stdout
    );

    let run = project.slocc(&["diff", "--base", "no-such-revision"]);
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        "error: the old side: unknown git revision `no-such-revision`\n"
    );

    project.file("specs/api.yaml", "apiVersion: slocc/v1\nservice: [\n");
    git(&project, &["commit", "-qam", "broken"]);
    project.file("specs/api.yaml", SPEC);
    let run = project.slocc(&["diff", "--base", "HEAD"]);
    run.expect_code(2);
    assert_eq!(run.stderr, "error[yaml-syntax]: invalid YAML: while parsing a node, did not find expected node content\n  --> specs/api.yaml:3:1\n  |\n3 | \n  | ^\n  |\n  = hint: check indentation, quoting and the `key: value` form around this point\n\n1 error, 0 warnings\nerror: the old side has invalid specs; fix them to compare\n");
}

#[test]
fn bad_diff_input_exits_2_with_a_message() {
    let project = Project::new();
    project.file("new/api.yaml", SPEC);
    std::fs::create_dir(project.path().join("old")).unwrap();
    let run = project.slocc(&["diff", "old", "new"]);
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        "error: the old side: no spec files (`*.yaml`, `*.yml`) found in `old`; write one there (docs/spec.md starts with an example) or name the files or directories that hold your specs\n"
    );

    let run = project.slocc(&["diff", "new"]);
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        "error: `slocc diff` takes OLD and NEW paths (got 1), or `--base REV [PATHS]`\n"
    );
}

#[test]
fn two_single_files_compare_by_content() {
    let project = Project::new();
    project.file("a.yaml", SPEC).file("b.yaml", SPEC);
    project.slocc(&["diff", "a.yaml", "b.yaml"]).expect_code(0);
}

#[test]
fn explain_prints_budget_tiers_and_incidents() {
    let project = Project::new();
    project.file("specs/api.yaml", SPEC);
    let run = project.slocc(&["explain", "--traffic", "50"]);
    run.expect_code(0);
    insta::assert_snapshot!("explain_human", run.stdout);

    let run = project.slocc(&[
        "explain",
        "--slo",
        "api/availability",
        "--error-ratio",
        "1",
        "--duration",
        "10m",
        "--format",
        "json",
    ]);
    run.expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let incident = &report[0]["incident"];
    assert_eq!(incident["burn_rate"], 1000.0);
    // A 10-minute full outage spends 10m / 43m12s of the budget.
    assert!((incident["budget_spent"].as_f64().unwrap() - 600.0 / 2592.0).abs() < 1e-9);
    assert_eq!(incident["tiers"][0]["fires_at_seconds"], 60.0);
    assert_eq!(incident["tiers"][0]["stops_at_seconds"], 900.0);
}

#[test]
fn explain_rejects_bad_arguments_with_exit_2() {
    let project = Project::new();
    project.file("specs/api.yaml", SPEC);
    for (args, message) in [
        (vec!["explain", "--error-ratio", "2"], "not in (0, 1]"),
        (
            vec!["explain", "--error-ratio", "0.1", "--duration", "soon"],
            "--duration",
        ),
        (vec!["explain", "--slo", "nope"], "no SLO named `nope`"),
        (vec!["explain", "--traffic=-3"], "--traffic"),
    ] {
        let run = project.slocc(&args);
        run.expect_code(2);
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
    }
    project
        .slocc(&["explain", "--duration", "1h"])
        .expect_code(2);
}

#[test]
fn diff_colours_only_when_asked_or_on_a_terminal() {
    let project = two_sides(&SPEC.replace("99.9", "99.5"));
    let run = project.slocc(&["diff", "old", "new", "--color", "always"]);
    run.expect_code(1);
    assert!(run.stdout.contains("\u{1b}[32m+"), "{}", run.stdout);
}

/// Moving the checkout page from P0 to P1 (which checkout has no pager of its own for) and
/// renaming the tickets' receiver change no number, but change who is woken: the review says
/// so, tier by tier, with the receivers before and after.
#[test]
fn routing_changes_name_who_was_paged_before_and_after() {
    let spec = "apiVersion: slocc/v1\nservice: checkout\nrunbook_base_url: https://r.example.com\nreceivers: {P0: payments-pager}\nslos:\n  - name: availability\n    objective: 99.9\n    sli:\n      ratio:\n        errors: sum(rate(http_requests_total{code=~\"5..\"}[{{window}}]))\n        total: sum(rate(http_requests_total[{{window}}]))\n";
    let settings = "apiVersion: slocc/v1\nkind: Settings\nseverities:\n  - {name: P0, response: within 5 minutes, page: true, receiver: pager-critical}\n  - {name: P1, response: within 1 hour, page: true, receiver: pager}\n  - {name: P3, response: next business day, page: false, receiver: tickets}\ntiers: {page: P0, ticket: P3}\n";
    let project = Project::new();
    project
        .file("old/api.yaml", spec)
        .file("old/settings.yaml", settings)
        .file("new/api.yaml", spec)
        .file(
            "new/settings.yaml",
            &settings
                .replace("tiers: {page: P0", "tiers: {page: P1")
                .replace("receiver: tickets", "receiver: ticket-queue"),
        );
    let run = project.slocc(&["diff", "old", "new"]);
    run.expect_code(1);
    let semantic = run.stdout.split("\n\n").next().unwrap();
    assert_eq!(semantic, "checkout/availability: changed\n  page 1h/5m: class `P0` -> `P1`, receiver `payments-pager` -> `pager`, response `within 5 minutes` -> `within 1 hour`\n  page 6h/30m: class `P0` -> `P1`, receiver `payments-pager` -> `pager`, response `within 5 minutes` -> `within 1 hour`\n  ticket 1d/2h: receiver `tickets` -> `ticket-queue`\n  ticket 3d/6h: receiver `tickets` -> `ticket-queue`");
    let json = project.slocc(&["diff", "old", "new", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let first = &report["slos"][0]["details"][0];
    assert_eq!(first["what"], "routing");
    assert_eq!(
        (&first["old"], &first["new"]),
        (&"payments-pager".into(), &"pager".into())
    );
    // A page that stops paging says so.
    project.file(
        "new/settings.yaml",
        &settings.replace(
            "page: true, receiver: pager-critical",
            "page: false, receiver: pager-critical",
        ),
    );
    let run = project.slocc(&["diff", "old", "new"]);
    assert!(
        run.stdout
            .contains("  page 1h/5m: pages -> does not page, repeat 1h -> 1d\n"),
        "{}",
        run.stdout
    );
}
