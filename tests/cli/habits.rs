//! The CLI habits users expect: selection, extra labels, rules-only runs, strict checks, colour,
//! summarised warnings, review-sized diffs and the small traps of the first hour.

use std::process::Command;

use crate::harness::{promtool_ok, vmalert_ok, Project};

fn spec(service: &str) -> String {
    format!(
        r#"apiVersion: slocc/v1
service: {service}
runbook_base_url: https://runbooks.example.com
slos:
  - name: availability
    objective: 99.9
    sli:
      ratio:
        errors: sum(rate(http_requests_total{{job="{service}", code=~"5.."}}[{{{{window}}}}]))
        total: sum(rate(http_requests_total{{job="{service}"}}[{{{{window}}}}]))
  - name: latency
    objective: 99
    window: 28d
    sli:
      latency:
        metric: http_request_duration_seconds
        selector: '{{job="{service}"}}'
        threshold: 300ms
"#
    )
}

fn two_services() -> Project {
    let project = Project::new();
    project
        .file("specs/api.yaml", &spec("api"))
        .file("specs/web.yaml", &spec("web"));
    project
}

#[test]
fn service_and_slo_selection_narrows_compile_and_leaves_other_files_alone() {
    let project = two_services();
    project.slocc(&["compile"]).expect_code(0);
    let web_before = project.read("out/web.rules.yml");
    project.file("specs/web.yaml", &spec("web").replace("99.9", "99.5"));
    let run = project.slocc(&["compile", "--service", "api", "--slo", "latency"]);
    run.expect_code(0);
    assert_eq!(run.stderr, "compiled 1 service (1 SLO) into out: 5 written, 0 unchanged, 0 removed; runbooks in runbooks: 0 created, 1 refreshed\n");
    let api = project.read("out/api.rules.yml");
    assert!(api.contains("slo_name: latency") && !api.contains("slo_name: availability"));
    assert_eq!(project.read("out/web.rules.yml"), web_before);
    assert!(project.path().join("out/dashboards/overview.json").exists());
    let run = project.slocc(&["compile", "--service", "webb"]);
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        "error: no service named `webb` in the specs (did you mean `web`?)\n"
    );
}

#[test]
fn selection_applies_to_check_diff_and_explain() {
    let project = two_services();
    let run = project.slocc(&["explain", "--service", "web", "--slo", "latency"]);
    run.expect_code(0);
    assert!(
        run.stdout.starts_with("web/latency: 99% over 28d"),
        "{}",
        run.stdout
    );
    assert_eq!(run.stdout.matches("% over ").count(), 1);
    project
        .file("old/api.yaml", &spec("api"))
        .file("old/web.yaml", &spec("web"))
        .file("new/api.yaml", &spec("api").replace("99.9", "99.5"))
        .file("new/web.yaml", &spec("web").replace("99.9", "99.5"));
    let run = project.slocc(&["diff", "old", "new", "--service", "web"]);
    run.expect_code(1);
    assert!(run.stdout.contains("web/availability: changed"));
    assert!(!run.stdout.contains("api/"), "{}", run.stdout);
    let run = project.slocc(&["check", "--slo", "api/latency"]);
    run.expect_code(0);
    assert_eq!(
        run.stderr.matches("runbook-missing").count(),
        1,
        "{}",
        run.stderr
    );
}

#[test]
fn labels_reach_every_series_and_alert_for_any_target() {
    let project = two_services();
    for target in ["prometheus", "vmalert"] {
        let out = format!("out-{target}");
        project
            .slocc(&[
                "compile", "--label", "env=prod", "--target", target, "-o", &out,
            ])
            .expect_code(0);
        let rules = project.read(&format!("{out}/api.rules.yml"));
        let series = rules.matches("- record:").count();
        let alerts = rules.matches("- alert:").count();
        // Burn-rate alerts carry the label through the recorded series their expressions read;
        // the no-data alerts (`absent(...)`, which keeps no labels) carry it themselves, and so
        // do vmalert's burn-rate alerts, which read their SLI's queries (docs/targets.md).
        let no_data = rules.matches("absent(").count();
        assert!(no_data > 0, "{target}");
        let own = if target == "vmalert" { alerts } else { no_data };
        assert_eq!(rules.matches("env: prod").count(), series + own, "{target}");
        assert!(alerts > 0);
        let file = format!("{out}/api.rules.yml");
        match target {
            "vmalert" => vmalert_ok(project.path(), &file),
            _ => drop(promtool_ok(project.path(), &["check", "rules", &file])),
        }
    }
    let run = project.slocc(&["compile", "--label", "slo_name=x"]);
    run.expect_code(2);
    assert_eq!(run.stderr, "error: invalid value 'slo_name=x' for '--label <NAME=VALUE>': `slo_name` is a label slocc sets itself\n\nFor more information, try '--help'.\n");
}

#[test]
fn alerts_and_recordings_can_be_left_out() {
    let project = two_services();
    project
        .slocc(&["compile", "--disable-alerts", "--no-runbooks"])
        .expect_code(0);
    let rules = project.read("out/api.rules.yml");
    assert!(rules.contains("- record:") && !rules.contains("- alert:"));
    assert!(!project.path().join("runbooks").exists());
    let run = project.slocc(&["compile", "--disable-recordings"]);
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        "error: `--disable-recordings` without `--disable-alerts`: the alerts read the recorded series; disable both, or keep the recordings\n"
    );
    project
        .slocc(&[
            "compile",
            "--disable-recordings",
            "--disable-alerts",
            "-o",
            "none",
        ])
        .expect_code(0);
    assert_eq!(
        project.read("none/api.rules.yml").lines().nth(1),
        Some("groups: []")
    );
    promtool_ok(project.path(), &["check", "rules", "none/api.rules.yml"]);
}

#[test]
fn flags_of_another_target_are_refused() {
    let project = two_services();
    let run = project.slocc(&["compile", "--rule-label", "team=x"]);
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        "error: `--rule-label` has no effect without `--target prometheus-operator`; for a label on every series and alert, use `--label`\n"
    );
    let run = project.slocc(&["compile", "--mimir-namespace", "x", "--target", "thanos"]);
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        "error: `--mimir-namespace` has no effect without `--target mimir`\n"
    );
}

#[test]
fn compile_check_fails_on_a_stale_or_missing_runbook_and_warnings_can_be_fatal() {
    let project = two_services();
    project.slocc(&["compile"]).expect_code(0);
    project.slocc(&["compile", "--check"]).expect_code(0);
    let path = "runbooks/api/availability.md";
    let edited = project
        .read(path)
        .replace("## The SLO in numbers", "## Numbers");
    project.file(path, &edited);
    let run = project.slocc(&["compile", "--check"]);
    run.expect_code(1);
    assert_eq!(run.stdout, "--- a/runbooks/api/availability.md\n+++ b/runbooks/api/availability.md\n@@ -18,7 +18,7 @@\n fire. Check that its metrics still exist under the names and labels the queries below select,\n that their scrape targets are up, and that no relabelling drops them; respond now, day or night.\n \n-## Numbers\n+## The SLO in numbers\n \n - Objective: 99.9% over a rolling 30d.\n - Error budget: 0.001 of all events, or **43m 12s** of full outage.\n");
    assert_eq!(run.stderr, "outputs are stale: 1 file differs from the specs (runbooks/api/availability.md); run `slocc compile` and commit the result\n");
    project
        .slocc(&["compile", "--check", "--no-runbooks"])
        .expect_code(0);
    std::fs::remove_file(project.path().join(path)).unwrap();
    project.slocc(&["compile", "--check"]).expect_code(1);
    project.slocc(&["check"]).expect_code(0);
    let run = project.slocc(&["check", "--deny-warnings"]);
    run.expect_code(1);
    assert!(
        run.stderr
            .ends_with("error: 1 warning and `--deny-warnings`\n"),
        "{}",
        run.stderr
    );
    project
        .slocc(&["check", "--deny-warnings", "--no-runbooks"])
        .expect_code(0);
}

#[test]
fn repeated_warnings_are_one_line_with_a_count() {
    let project = Project::new();
    for name in ["a", "b", "c", "d", "e"] {
        project.file(&format!("specs/{name}.yaml"), &spec(name));
    }
    let run = project.slocc(&["check"]);
    run.expect_code(0);
    assert_eq!(
        run.stderr,
        "warning[runbook-missing]: 10 warnings like this, the first 3: runbook `runbooks/a/availability.md` does not exist; runbook `runbooks/a/latency.md` does not exist; runbook `runbooks/b/availability.md` does not exist; ...\n  = hint: run `slocc compile` to scaffold it\n\n0 errors, 10 warnings\nchecked 5 services (10 SLOs) in 5 files: ok\n"
    );
    let json = project.slocc(&["check", "--format", "json"]);
    assert_eq!(
        json.stdout.lines().count(),
        10,
        "machines get every warning"
    );
}

/// Runs `slocc` on a pseudo-terminal (util-linux `script`), as a person at a terminal would.
fn on_a_terminal(project: &Project, command: &str, no_color: bool) -> String {
    let mut script = Command::new("script");
    script
        .args([
            "-qec",
            &format!("{} {command}", env!("CARGO_BIN_EXE_slocc")),
            "/dev/null",
        ])
        .current_dir(project.path())
        .env_remove("NO_COLOR");
    if no_color {
        script.env("NO_COLOR", "1");
    }
    let output = script
        .output()
        .expect("run `script` (util-linux) for a terminal");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn colour_on_a_terminal_unless_no_color_or_never() {
    let project = two_services();
    project
        .file("old/api.yaml", &spec("api"))
        .file("new/api.yaml", &spec("api").replace("99.9", "99.5"));
    assert!(on_a_terminal(&project, "diff old new", false).contains('\u{1b}'));
    assert!(!on_a_terminal(&project, "diff old new", true).contains('\u{1b}'));
    assert!(!on_a_terminal(&project, "diff old new --color never", false).contains('\u{1b}'));
    assert!(on_a_terminal(&project, "check", false).contains("\u{1b}[1;33mwarning"));
    assert!(!on_a_terminal(&project, "check", true).contains('\u{1b}'));
    let run = project.slocc(&["check", "--color", "always"]);
    assert_eq!(run.stderr, "\u{1b}[1;33mwarning\u{1b}[0m[runbook-missing]: 4 warnings like this, the first 3: runbook `runbooks/api/availability.md` does not exist; runbook `runbooks/api/latency.md` does not exist; runbook `runbooks/web/availability.md` does not exist; ...\n  = hint: run `slocc compile` to scaffold it\n\n0 errors, 4 warnings\nchecked 2 services (4 SLOs) in 2 files: ok\n");
}

#[test]
fn markdown_diff_fits_a_pull_request_comment() {
    let project = Project::new();
    for i in 0..150 {
        let name = format!("service-{i:03}");
        project
            .file(&format!("old/{name}.yaml"), &spec(&name))
            .file(
                &format!("new/{name}.yaml"),
                &spec(&name).replace("99.9", "99.95"),
            );
    }
    let run = project.slocc(&["diff", "old", "new", "--format", "markdown"]);
    run.expect_code(1);
    assert!(run.stdout.len() <= 65_000, "{} bytes", run.stdout.len());
    assert!(run
        .stdout
        .contains("150 SLOs changed, 750 generated files changed."));
    assert_eq!(
        run.stdout.matches("- **service-").count(),
        150,
        "one line per SLO"
    );
    assert!(
        run.stdout.contains("more files changed, not shown"),
        "{}",
        &run.stdout[run.stdout.len() - 500..]
    );
    // The diffs shown are the rule files (the alerts), not the dashboards that sort first.
    let shown: Vec<&str> = run
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("--- a/"))
        .collect();
    assert!(
        !shown.is_empty() && shown.iter().all(|p| p.ends_with(".rules.yml")),
        "{shown:?}"
    );
    let small = project.slocc(&[
        "diff",
        "old",
        "new",
        "--format",
        "markdown",
        "--max-bytes",
        "5000",
    ]);
    assert!(small.stdout.len() <= 5_000, "{} bytes", small.stdout.len());
    assert!(small.stdout.contains("more SLOs changed: run `slocc diff`"));
    // Nothing fits: no empty block, the files are named instead.
    assert!(!small.stdout.contains("<details>"), "{}", small.stdout);
    assert!(
        small
            .stdout
            .contains("750 more files changed, not shown to keep this comment short (`service-000.rules.yml`, "),
        "{}",
        small.stdout
    );
}

#[test]
fn numbers_are_rounded_and_each_budget_change_is_said_once() {
    let project = Project::new();
    let old = spec("api");
    let new = old.replacen(
        "objective: 99.9\n",
        "objective: 99.95\n    window: 28d\n",
        1,
    );
    project
        .file("old/api.yaml", &old)
        .file("new/api.yaml", &new);
    let run = project.slocc(&["diff", "old", "new"]);
    run.expect_code(1);
    for want in [
        "objective 99.9% -> 99.95% (allowed full outage 43m 12s -> 21m 36s)",
        "window 30d -> 28d (allowed full outage 21m 36s -> 20m 10s)",
        "ticket 3d/6h: factor 1x -> 0.9333x, threshold 0.001 -> 0.0004667",
    ] {
        assert!(
            run.stdout.contains(want),
            "missing {want:?} in\n{}",
            run.stdout
        );
    }
    let explain = project.slocc(&["explain", "new"]);
    assert!(explain.stdout.contains("0.9333x"), "{}", explain.stdout);
    assert!(!explain.stdout.contains("0.93333"), "{}", explain.stdout);
}

#[test]
fn small_traps_of_the_first_hour() {
    let project = Project::new();
    project.file(
        "specs/api.yaml",
        &spec("api").replace("[{{window}}]", "[{{ window }}]"),
    );
    project.slocc(&["check", "--no-runbooks"]).expect_code(0);
    let outside = Project::new();
    outside.file(
        "getting-started.yml",
        "apiVersion: slocc/v1\nservice: x\nslos: nope\n",
    );
    let whole = outside.path().join("getting-started.yml");
    let run = project.slocc(&["check", whole.to_str().unwrap()]);
    run.expect_code(1);
    assert!(
        run.headlines()
            .starts_with(&format!("{}:", whole.display())),
        "{}",
        run.stderr
    );
    let run = outside.slocc(&["diff", "--base", "HEAD", "."]);
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        "error: the old side: `--base HEAD` needs a git repository, and the working directory is not in one\n"
    );
}

/// Help fits the terminal: wrapped to `COLUMNS`, and to 100 columns when piped.
#[test]
fn help_is_wrapped_to_the_terminal() {
    let project = Project::new();
    let widest = |run: crate::harness::Run| run.stdout.lines().map(|l| l.chars().count()).max();
    for command in ["compile", "status", "diff", "audit"] {
        let piped = project.slocc(&[command, "--help"]);
        assert!(widest(piped) <= Some(100), "{command}");
        let narrow = project.slocc_env(&[command, "--help"], &[("COLUMNS", "80")]);
        assert!(widest(narrow) <= Some(80), "{command}");
    }
}

/// `slocc man COMMAND` prints the page the main one lists (`slocc-compile(1)`); an unknown
/// command is a usage error that names the commands; a closed pipe ends the output quietly.
#[test]
fn every_command_has_a_manual_page() {
    let project = Project::new();
    let main = project.slocc(&["man"]);
    assert!(
        main.stdout.contains("slocc\\-compile(1)"),
        "{}",
        main.stdout
    );
    for command in ["compile", "check", "diff", "status", "test"] {
        let page = project.slocc(&["man", command]);
        page.expect_code(0);
        let title = format!(
            ".TH slocc-{command} 1  \"slocc-{command} {}\"",
            env!("CARGO_PKG_VERSION")
        );
        assert!(page.stdout.contains(&title), "{}", page.stdout);
    }
    let run = project.slocc(&["man", "nope"]);
    run.expect_code(2);
    assert_eq!(run.stderr, "error: no command `nope`; the commands are check, compile, audit, status, backtest, report, test, init, diff, schema, convert, explain, completions, man\n");
    // The reading end is closed before slocc starts, so its first write fails.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_slocc"))
        .args(["man", "compile"])
        .stdout(writer)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

/// The README's example spec is the first thing a newcomer copies: it checks clean, and its
/// misspelt twin gives the error the README shows.
#[test]
fn the_readme_example_spec_checks_clean() {
    let readme = include_str!("../../README.md");
    let start = readme.find("A spec (").unwrap();
    let block = &readme[start..];
    let yaml = &block[block.find("```yaml\n").unwrap() + 8..];
    let yaml = &yaml[..yaml.find("```").unwrap()];
    let project = Project::new();
    project.file("specs/checkout-api.yaml", yaml);
    let run = project.slocc(&["compile"]);
    run.expect_code(0);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    let run = project.slocc(&["check"]);
    run.expect_code(0);
    assert_eq!(run.stderr, "checked 1 service (1 SLO) in 1 file: ok\n");
    project.file(
        "specs/checkout-api.yaml",
        &yaml.replace("objective:", "objectiv:"),
    );
    let run = project.slocc(&["check"]);
    let shown = &block[block.find("```text\n").unwrap() + 8..];
    let shown = &shown[..shown.find("```").unwrap()];
    assert!(run.stderr.starts_with(shown), "{}", run.stderr);
}
