//! Runbooks: scaffolded once, generated region refreshed, human text never lost; templates
//! overridable; bad templates and bad directories get clear errors.

use crate::harness::Project;

const SPEC: &str = r##"apiVersion: slocc/v1
service: api
owner: team-core
escalation: "#core-oncall"
slos:
  - name: availability
    description: Requests that do not fail with a 5xx.
    objective: 99.9
    sli:
      ratio:
        errors: sum(rate(http_requests_total{code=~"5.."}[{{window}}]))
        total: sum(rate(http_requests_total[{{window}}]))
        breakdown_by: route
"##;

const RUNBOOK: &str = "runbooks/api/availability.md";

fn project() -> Project {
    let project = Project::new();
    project.file("specs/api.yaml", SPEC);
    project
}

#[test]
fn runbook_is_scaffolded_with_numbers_queries_and_links() {
    let project = project();
    project.slocc(&["compile"]).expect_code(0);
    insta::assert_snapshot!("runbook", project.read(RUNBOOK));
    let rules = project.read("out/api.rules.yml");
    assert!(
        rules.contains("runbook_url: runbooks/api/availability.md"),
        "{rules}"
    );
}

#[test]
fn recompiling_refreshes_the_region_and_keeps_every_human_edit() {
    let project = project();
    project.slocc(&["compile"]).expect_code(0);
    let edited = project.read(RUNBOOK).replace(
        "- [ ] Roll back the most recent deploy or config change:",
        "- [x] Roll back: `deployctl rollback api`",
    ) + "\n### 2026-11-02 incident\nThe cache stampede; fixed by warming.\n";
    project.file(RUNBOOK, &edited);

    project.file("specs/api.yaml", &SPEC.replace("99.9", "99.5"));
    let run = project.slocc(&["check"]);
    run.expect_code(0);
    assert_eq!(run.stderr, "warning[relative-runbook-url]: the alerts of `api` link their runbooks by a relative path, which does not open from a notification\n  --> specs/api.yaml:2:10\n  |\n2 | service: api\n  |          ^\n  |\n  = hint: set `runbook_base_url` in the spec, or once for all specs in a settings document (docs/settings.md)\n\nwarning[runbook-stale]: the generated part of runbook `runbooks/api/availability.md` is out of date with the spec\n  --> runbooks/api/availability.md:6:1\n  |\n6 | <!-- slocc:generated:begin (do not edit between these markers: `slocc compile` rewrites them) -->\n  | ^\n  |\n  = hint: run `slocc compile` to refresh it; text outside the markers is kept\n\n0 errors, 2 warnings\nchecked 1 service (1 SLO) in 1 file: ok\n");

    let run = project.slocc(&["compile"]);
    run.expect_code(0);
    assert_eq!(run.stderr, "warning[relative-runbook-url]: the alerts of `api` link their runbooks by a relative path, which does not open from a notification\n  --> specs/api.yaml:2:10\n  |\n2 | service: api\n  |          ^\n  |\n  = hint: set `runbook_base_url` in the spec, or once for all specs in a settings document (docs/settings.md)\n\n0 errors, 1 warning\ncompiled 1 service (1 SLO) into out: 5 written, 3 unchanged, 0 removed; runbooks in runbooks: 0 created, 1 refreshed\n");
    let after = project.read(RUNBOOK);
    assert!(after.contains("- [x] Roll back: `deployctl rollback api`"));
    assert!(after.contains("### 2026-11-02 incident\nThe cache stampede; fixed by warming.\n"));
    assert!(
        after.contains("Objective: 99.5% over a rolling 30d."),
        "{after}"
    );
    assert!(!after.contains("99.9%"));

    let run = project.slocc(&["check"]);
    run.expect_code(0);
    assert!(!run.stderr.contains("[runbook-"), "{}", run.stderr);
}

#[test]
fn check_reports_missing_runbooks() {
    let project = project();
    let run = project.slocc(&["check"]);
    run.expect_code(0);
    assert_eq!(run.stderr, "warning[relative-runbook-url]: the alerts of `api` link their runbooks by a relative path, which does not open from a notification\n  --> specs/api.yaml:2:10\n  |\n2 | service: api\n  |          ^\n  |\n  = hint: set `runbook_base_url` in the spec, or once for all specs in a settings document (docs/settings.md)\n\nwarning[runbook-missing]: runbook `runbooks/api/availability.md` does not exist\n = hint: run `slocc compile` to scaffold it\n\n0 errors, 2 warnings\nchecked 1 service (1 SLO) in 1 file: ok\n");
}

#[test]
fn deleted_markers_leave_the_runbook_untouched_with_a_warning() {
    let project = project();
    project.slocc(&["compile"]).expect_code(0);
    let mangled = project
        .read(RUNBOOK)
        .replace(
            "<!-- slocc:generated:begin (do not edit between these markers: `slocc compile` rewrites them) -->",
            "",
        )
        .replace("<!-- slocc:generated:end -->", "");
    project.file(RUNBOOK, &mangled);
    project.file("specs/api.yaml", &SPEC.replace("99.9", "99.5"));
    let run = project.slocc(&["compile"]);
    run.expect_code(0);
    assert_eq!(run.headlines(), "specs/api.yaml:2:10: warning[relative-runbook-url]: the alerts of `api` link their runbooks by a relative path, which does not open from a notification\nrunbooks/api/availability.md:1:1: warning[runbook-markers]: runbook `runbooks/api/availability.md` was not updated: its generated-region markers were removed\n");
    assert_eq!(
        project.read(RUNBOOK),
        mangled,
        "a runbook with broken markers must not change"
    );
}

#[test]
fn templates_are_overridable_one_file_at_a_time() {
    let project = project();
    let run = project.slocc(&["init", "templates", "my-templates"]);
    run.expect_code(0);
    for name in [
        "prometheus/alert-summary.hbs",
        "prometheus/alert-description.hbs",
        "runbook/generated.md.hbs",
        "runbook/scaffold.md.hbs",
        "report/page.html.hbs",
    ] {
        assert!(
            project.path().join("my-templates").join(name).exists(),
            "{name}"
        );
    }
    // The written defaults reproduce the built-in output exactly.
    project
        .slocc(&["compile", "-o", "a", "--runbooks", "rb-a"])
        .expect_code(0);
    project
        .slocc(&[
            "compile",
            "-o",
            "b",
            "--runbooks",
            "rb-a",
            "--templates",
            "my-templates",
        ])
        .expect_code(0);
    assert_eq!(
        project.read("a/api.rules.yml"),
        project.read("b/api.rules.yml")
    );

    // Overriding one template changes only what it renders.
    project.file(
        "custom/runbook/generated.md.hbs",
        "Custom region for {{service}}/{{slo}} at {{objective_percent}}%.\n",
    );
    project.file(
        "custom/prometheus/alert-summary.hbs",
        "{{service}} is burning ({{factor}}x)",
    );
    project
        .slocc(&[
            "compile",
            "-o",
            "c",
            "--runbooks",
            "rb-c",
            "--templates",
            "custom",
        ])
        .expect_code(0);
    let runbook = project.read("rb-c/api/availability.md");
    assert!(
        runbook.contains("Custom region for api/availability at 99.9%."),
        "{runbook}"
    );
    assert!(
        runbook.contains("## Mitigation"),
        "the scaffold is still the built-in one"
    );
    let rules = project.read("c/api.rules.yml");
    assert!(
        rules.contains("summary: 'api is burning (14.4x)'"),
        "{rules}"
    );
    assert!(
        rules.contains("burning its error budget at least 14.4x too fast"),
        "description stays built-in"
    );
}

#[test]
fn bad_templates_name_the_file_and_line_and_write_nothing() {
    let project = project();
    project.file(
        "t/runbook/generated.md.hbs",
        "line one\n{{#if owner}}\nunclosed\n",
    );
    let run = project.slocc(&["compile", "--templates", "t"]);
    run.expect_code(2);
    assert_eq!(run.stderr, "error: template `t/runbook/generated.md.hbs`: line 4, column 1: invalid handlebars syntax: expected escape, expression, html_expression, decorator_expression, partial_expression, invert_tag, invert_chain_tag, helper_block_start, helper_block_end, decorator_block_start, partial_block_start, raw_block_start, hbs_comment, or hbs_comment_compact\n");
    assert!(!project.path().join("out").exists());

    let project = self::project();
    project.file(
        "t/runbook/generated.md.hbs",
        "ok line\n{{no_such_variable}}\n",
    );
    let run = project.slocc(&["compile", "--templates", "t"]);
    run.expect_code(2);
    assert_eq!(run.stderr, "warning[relative-runbook-url]: the alerts of `api` link their runbooks by a relative path, which does not open from a notification\n  --> specs/api.yaml:2:10\n  |\n2 | service: api\n  |          ^\n  |\n  = hint: set `runbook_base_url` in the spec, or once for all specs in a settings document (docs/settings.md)\n\n0 errors, 1 warning\nerror: template `runbook/generated.md.hbs`: line 2, column 1: Failed to access variable in strict mode Some(\"no_such_variable\")\n");
    assert!(!project.path().join("out").exists());
    assert!(!project.path().join("runbooks").exists());
    assert_no_staging_left(project.path());

    // The same failure over earlier outputs, after a spec change that rewrites the rule file
    // and dashboard (staged before the runbook fails), leaves them exactly as they were.
    let project = self::project();
    project.slocc(&["compile"]).expect_code(0);
    project.file("specs/api.yaml", &SPEC.replace("99.9", "99.5"));
    project.file("t/runbook/generated.md.hbs", "{{no_such_variable}}\n");
    let before = snapshot_tree(project.path());
    project
        .slocc(&["compile", "--templates", "t"])
        .expect_code(2);
    assert_eq!(snapshot_tree(project.path()), before);
}

/// Every file under `dir` with its content, sorted.
fn snapshot_tree(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(path) = pending.pop() {
        for entry in std::fs::read_dir(&path).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap().display().to_string();
                files.push((relative, std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

fn assert_no_staging_left(dir: &std::path::Path) {
    let left: Vec<String> = snapshot_tree(dir)
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| name.contains(".slocc-tmp"))
        .collect();
    assert!(left.is_empty(), "staging left behind: {left:?}");
    let dirs: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".slocc-tmp"))
        .collect();
    assert!(dirs.is_empty(), "staging left behind: {dirs:?}");
}

#[test]
fn a_runbooks_path_that_is_a_file_is_a_clear_error() {
    let project = project();
    project.file("runbooks", "not a directory");
    let run = project.slocc(&["compile"]);
    run.expect_code(2);
    assert_eq!(run.stderr, "warning[relative-runbook-url]: the alerts of `api` link their runbooks by a relative path, which does not open from a notification\n  --> specs/api.yaml:2:10\n  |\n2 | service: api\n  |          ^\n  |\n  = hint: set `runbook_base_url` in the spec, or once for all specs in a settings document (docs/settings.md)\n\n0 errors, 1 warning\nerror: output directory `runbooks` exists and is not a directory\n");
    assert!(
        !project.path().join("out").exists(),
        "nothing written when runbooks cannot be"
    );
}

#[test]
fn runbook_urls_follow_the_runbooks_directory_or_base_url() {
    let project = project();
    project
        .slocc(&["compile", "--runbooks", "docs/runbooks"])
        .expect_code(0);
    assert!(project
        .read("out/api.rules.yml")
        .contains("runbook_url: docs/runbooks/api/availability.md"));
    assert!(project
        .path()
        .join("docs/runbooks/api/availability.md")
        .exists());

    let project = Project::new();
    project.file(
        "specs/api.yaml",
        &SPEC.replace(
            "owner: team-core",
            "owner: team-core\nrunbook_base_url: https://runbooks.example.com/slo/",
        ),
    );
    project.slocc(&["compile"]).expect_code(0);
    assert!(project
        .read("out/api.rules.yml")
        .contains("runbook_url: https://runbooks.example.com/slo/api/availability.md"));
}

/// Top-level lists: where an ordered one starts (`None` for bullets) and how many items.
type Lists = Vec<(Option<u64>, usize)>;

/// Headings, top-level lists and closed fenced code blocks of a CommonMark text.
fn commonmark_outline(text: &str) -> (Vec<String>, Lists, usize) {
    use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
    let (mut headings, mut lists, mut fences) = (Vec::new(), Vec::new(), 0);
    let (mut in_heading, mut depth) = (false, 0usize);
    for event in Parser::new(text) {
        match event {
            Event::Start(Tag::Heading { .. }) => {
                in_heading = true;
                headings.push(String::new());
            }
            Event::End(TagEnd::Heading(_)) => in_heading = false,
            Event::Text(t) if in_heading => headings.last_mut().unwrap().push_str(&t),
            Event::Start(Tag::List(start)) => {
                depth += 1;
                if depth == 1 {
                    lists.push((start, 0));
                }
            }
            Event::End(TagEnd::List(_)) => depth -= 1,
            Event::Start(Tag::Item) if depth == 1 => {
                if let Some(last) = lists.last_mut() {
                    last.1 += 1;
                }
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(_))) => fences += 1,
            _ => {}
        }
    }
    (headings, lists, fences)
}

#[test]
fn every_bundled_runbook_is_a_commonmark_procedure_with_the_specs_commands() {
    let project = Project::new();
    project.with_repo_yaml("specs", "specs");
    project.slocc(&["compile"]).expect_code(0);
    let mut checked = 0;
    for (service, slo, diagnose, mitigate) in [
        ("checkout-api", "availability", 11, 3),
        ("checkout-api", "latency", 12, 3),
        ("nightly-billing", "run-success", 9, 1),
        ("order-consumer", "processing", 9, 2),
        ("reference-api", "availability", 10, 1),
    ] {
        let text = project.read(&format!("runbooks/{service}/{slo}.md"));
        let (headings, lists, fences) = commonmark_outline(&text);
        // Each procedure is one list numbered from 1 whose items hold their code blocks (an
        // unindented fence would end the list and restart the numbering).
        let ordered: Lists = lists.into_iter().filter(|l| l.0.is_some()).collect();
        assert_eq!(
            ordered,
            [(Some(1), diagnose), (Some(1), mitigate)],
            "{service}/{slo}\n{text}"
        );
        assert_eq!(
            fences,
            diagnose + mitigate,
            "{service}/{slo}: every step has its block"
        );
        // Every fence closed: the headings after the procedures are still headings.
        for heading in ["Diagnose", "Mitigate", "Mitigation", "Escalation"] {
            assert!(
                headings.iter().any(|h| h == heading),
                "{heading} in {headings:?}"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 5);
    let text = project.read("runbooks/checkout-api/latency.md");
    assert!(
        text.contains("   kubectl -n shop rollout undo deployment/checkout-api\n"),
        "{text}"
    );
    assert!(
        text.contains("histogram_quantile(0.99, sum by (le, route)"),
        "{text}"
    );
}

/// Every piece of a CommonMark text that a renderer would turn into HTML of its own (raw HTML
/// blocks and inline HTML), and the text of every inline code span.
fn html_and_code_spans(text: &str) -> (Vec<String>, Vec<String>) {
    use pulldown_cmark::{Event, Parser};
    let (mut html, mut spans) = (Vec::new(), Vec::new());
    for event in Parser::new(text) {
        match event {
            Event::Html(h) | Event::InlineHtml(h) => html.push(h.to_string()),
            Event::Code(c) => spans.push(c.to_string()),
            _ => {}
        }
    }
    (html, spans)
}

/// User text cannot add structure to a runbook: an alert name with a line break, a heading and
/// a script, or with backticks around an image tag, stays one code span; step titles with
/// leading spaces or list markers stay one numbered step each; a bare CR in a command stays
/// inside its code block.
#[test]
fn user_text_cannot_add_structure_or_html_to_a_runbook() {
    let project = Project::new();
    for (i, name) in [
        "Burn\n# Owned\n<script>alert(1)</script>",
        "Burn`<img src=x onerror=alert(1)>`",
    ]
    .iter()
    .enumerate()
    {
        let spec = format!(
            "{SPEC}    alerting:\n      name: {name:?}\nrunbook:\n  diagnosis:\n    - title: \"      indented title\"\n      command: \"echo one\\recho <b>two</b>\"\n    - title: \"- a list marker\"\n    - title: \"2. a number\"\n      command: \"true\"\n"
        );
        project.file("specs/api.yaml", &spec);
        project.slocc(&["compile"]).expect_code(0);
        let text = project.read(RUNBOOK);
        let (html, spans) = html_and_code_spans(&text);
        // The two markers are slocc's own comments; nothing else is HTML.
        assert_eq!(html.len(), 2, "case {i}: HTML {html:?}\n{text}");
        assert!(html.iter().all(|h| h.starts_with("<!-- slocc:generated:")));
        let flat = name.replace('\n', " ");
        assert!(spans.contains(&flat), "case {i}: {spans:?}");
        let (headings, lists, fences) = commonmark_outline(&text);
        assert!(
            !headings.iter().any(|h| h.contains("Owned")),
            "{headings:?}"
        );
        // The diagnosis procedure: the generated steps, then the spec's three, one item each.
        let diagnose = lists.iter().find(|l| l.0 == Some(1)).unwrap().1;
        assert_eq!(diagnose, 11, "case {i}\n{text}");
        assert_eq!(
            fences, 10,
            "case {i}: 8 query blocks and 2 command blocks\n{text}"
        );
        assert!(
            text.contains("   echo one\n   echo <b>two</b>\n"),
            "case {i}\n{text}"
        );
        assert!(text.contains("\n9. indented title:\n"), "case {i}\n{text}");
        assert!(text.contains(r"\- a list marker"), "case {i}\n{text}");
        assert!(text.contains(r"2\. a number"), "case {i}\n{text}");
        std::fs::remove_dir_all(project.path().join("runbooks")).unwrap();
    }
}

/// Notes written into the availability runbook, which a rename must not lose.
const NOTES: &str = "2026-11-02: a bad deploy of the router, rolled back in 9 minutes.\n";

fn with_notes() -> Project {
    let project = project();
    project.slocc(&["compile"]).expect_code(0);
    let notes = project.read(RUNBOOK).replace(
        "## Notes and past incidents\n",
        &format!("## Notes and past incidents\n\n{NOTES}"),
    );
    project.file(RUNBOOK, &notes);
    project
}

#[test]
fn a_renamed_slo_leaves_an_orphan_that_check_compile_and_audit_name() {
    let project = with_notes();
    project.file(
        "specs/api.yaml",
        &SPEC.replace("name: availability", "name: success"),
    );
    let run = project.slocc(&["check"]);
    run.expect_code(0);
    assert!(run.headlines().contains("runbooks/api/availability.md:1:1: warning[runbook-orphaned]: runbook `runbooks/api/availability.md` belongs to no SLO of `api`: its SLO was renamed or removed, and no alert links it\n"), "{}", run.stderr);
    assert!(run.stderr.contains("= hint: if the SLO was renamed, add the old name to its `previous_names` so that its runbook carries over; if it was removed, delete the file\n"), "{}", run.stderr);
    project.slocc(&["compile"]).expect_code(0);
    assert!(!project.read("runbooks/api/success.md").contains(NOTES));
    let audit = project.slocc(&["audit"]);
    assert!(audit.stdout.contains("  orphaned-runbook: runbooks/api/availability.md belongs to no SLO (renamed or removed), so no alert links it: name the old SLO in its successor's `previous_names`, or delete it\n"), "{}", audit.stdout);
}

#[test]
fn previous_names_carry_a_filled_in_runbook_to_the_new_name() {
    let project = with_notes();
    let renamed = SPEC.replace(
        "  - name: availability\n",
        "  - name: success\n    previous_names: [availability]\n",
    );
    project.file("specs/api.yaml", &renamed);
    // Before the compile, audit says what it will do.
    let audit = project.slocc(&["audit"]);
    assert!(audit.stdout.contains("  success: runbook-missing: no runbook at runbooks/api/success.md yet: `slocc compile` carries over runbooks/api/availability.md, the runbook of its previous name\n"), "{}", audit.stdout);
    let run = project.slocc(&["compile"]);
    run.expect_code(0);
    assert!(
        run.stderr
            .contains("runbooks in runbooks: 1 created, 0 refreshed"),
        "{}",
        run.stderr
    );
    let carried = project.read("runbooks/api/success.md");
    assert!(carried.contains(NOTES), "{carried}");
    // The generated region speaks of the new name; the old file is kept, and named.
    assert!(carried.contains("success"), "{carried}");
    assert!(!carried.contains("api/availability"), "{carried}");
    assert!(project.read(RUNBOOK).contains(NOTES));
    assert!(run.headlines().contains("warning[runbook-orphaned]: runbook `runbooks/api/availability.md` belongs to a previous name of an SLO of `api`; its text was carried into `runbooks/api/success.md`\n"), "{}", run.stderr);
    // Compiling again changes nothing: the carried runbook is the SLO's own now.
    let again = project.slocc(&["compile"]);
    assert!(
        again
            .stderr
            .contains("runbooks in runbooks: 0 created, 0 refreshed"),
        "{}",
        again.stderr
    );
    assert_eq!(project.read("runbooks/api/success.md"), carried);
}

#[test]
fn an_slo_adds_its_own_steps_and_alerts_and_dashboards_link_owner_escalation_and_runbooks() {
    let project = Project::new();
    let spec = SPEC
        .replace(
            "slos:\n",
            "runbook:\n  mitigation: [{title: Roll back, command: kubectl rollout undo deploy/api}]\nslos:\n",
        )
        .replace(
            "        breakdown_by: route\n",
            "        breakdown_by: route\n    runbook:\n      diagnosis: [{title: Check the router, command: kubectl logs deploy/router}]\n      mitigation: [{title: Shed bulk traffic, command: ./shed bulk}]\n",
        );
    project.file("specs/api.yaml", &spec);
    project.file("specs/settings.yaml", "apiVersion: slocc/v1\nkind: Settings\ngrafana_url: https://grafana.example.com\nrunbook_base_url: https://git.example.com/ops/blob/main\n");
    project.slocc(&["compile"]).expect_code(0);
    let runbook = project.read(RUNBOOK);
    let (_, mitigate) = runbook.split_once("## Mitigate").unwrap();
    let rollback = mitigate.find("1. Roll back").unwrap();
    let shed = mitigate.find("2. Shed bulk traffic").unwrap();
    assert!(rollback < shed, "{mitigate}");
    assert!(runbook.contains("Check the router"), "{runbook}");
    let rules: serde_yaml::Value =
        serde_yaml::from_str(&project.read("out/api.rules.yml")).unwrap();
    let alert = rules["groups"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_sequence().unwrap().iter())
        .find(|r| r.get("alert").is_some())
        .unwrap();
    let annotations = &alert["annotations"];
    assert_eq!(annotations["owner"], "team-core");
    assert_eq!(annotations["escalation"], "#core-oncall");
    assert_eq!(
        annotations["dashboard_url"],
        "https://grafana.example.com/d/slocc-api"
    );
    let dashboard: serde_json::Value =
        serde_json::from_str(&project.read("out/dashboards/services/api.json")).unwrap();
    assert_eq!(dashboard["links"][0]["title"], "Runbook: availability");
    assert_eq!(
        dashboard["links"][0]["url"],
        "https://git.example.com/ops/blob/main/runbooks/api/availability.md"
    );
    assert_eq!(
        dashboard["links"][0]["url"].as_str(),
        alert["annotations"]["runbook_url"].as_str()
    );
}

/// One SLO of every SLI kind and budgeting, each reading metrics the test below feeds.
const EVERY_KIND: &str = r##"apiVersion: slocc/v1
service: kinds
slos:
  - name: ratio
    objective: 99
    sli:
      ratio:
        errors: sum(rate(requests_total{code="500"}[{{window}}]))
        total: sum(rate(requests_total[{{window}}]))
        breakdown_by: route
  - name: latency
    objective: 99
    sli:
      latency:
        metric: request_seconds
        threshold: 300ms
        breakdown_by: route
  - name: raw
    objective: 99
    sli:
      raw:
        error_ratio: avg(avg_over_time(gateway_error_ratio[{{window}}]))
  - name: threshold
    objective: 99
    budgeting: {method: timeslices, slice: 1m}
    sli:
      threshold:
        query: max(queue_lag_seconds)
        op: lte
        value: 60
  - name: freshness
    objective: 99
    window: 7d
    sli:
      freshness:
        last_success: max(export_last_success_timestamp_seconds)
        max_age: 30m
  - name: ratio-slices
    objective: 99
    budgeting: {method: ratio_timeslices, slice: 5m}
    sli:
      ratio:
        good: sum(rate(requests_total{code="200"}[{{window}}]))
        total: sum(rate(requests_total[{{window}}]))
  - name: monthly
    objective: 99.5
    calendar: {period: month}
    sli:
      ratio:
        errors: sum(rate(requests_total{code="500"}[{{window}}]))
        total: sum(rate(requests_total[{{window}}]))
"##;

/// The PromQL blocks of a runbook, as written (fences and list indentation taken off).
fn promql_blocks(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut block: Option<Vec<&str>> = None;
    for line in markdown.lines() {
        let text = line.trim_start();
        match (&mut block, text) {
            (None, "```promql") => block = Some(Vec::new()),
            (Some(lines), "```") => {
                out.push(lines.join("\n"));
                block = None;
            }
            (Some(lines), _) => lines.push(text),
            (None, _) => {}
        }
    }
    out
}

#[test]
fn every_query_a_runbook_shows_returns_data_for_every_sli_kind_on_both_generations() {
    let project = Project::new();
    project.file("specs/kinds.yaml", EVERY_KIND);
    project.slocc(&["compile"]).expect_code(0);
    // 26 hours of one-minute samples: enough for `offset 1d` and every recorded series.
    let n = 26 * 60;
    let series = [
        ("requests_total{code=\"200\", route=\"/a\"}", "0+99x"),
        ("requests_total{code=\"500\", route=\"/a\"}", "0+1x"),
        ("request_seconds_bucket{le=\"0.3\", route=\"/a\"}", "0+95x"),
        (
            "request_seconds_bucket{le=\"+Inf\", route=\"/a\"}",
            "0+100x",
        ),
        ("gateway_error_ratio", "0.002+0x"),
        ("queue_lag_seconds", "5+0x"),
        ("export_last_success_timestamp_seconds", "0+60x"),
    ];
    let input: Vec<serde_json::Value> = series
        .iter()
        .map(|(s, v)| serde_json::json!({"series": s, "values": format!("{v}{n}")}))
        .collect();
    let mut checks = Vec::new();
    for slo in [
        "ratio",
        "latency",
        "raw",
        "threshold",
        "freshness",
        "ratio-slices",
        "monthly",
    ] {
        let runbook = project.read(&format!("runbooks/kinds/{slo}.md"));
        let queries = promql_blocks(&runbook);
        assert!(queries.len() >= 6, "{slo}: {queries:?}");
        for query in queries {
            // `absent` of a query that returns anything returns nothing.
            checks.push(serde_json::json!({
                "expr": format!("absent(\n{query}\n)"),
                "eval_time": format!("{n}m"),
                "exp_samples": [],
            }));
        }
    }
    let test = serde_json::json!({
        "rule_files": ["out/kinds.rules.yml"],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": input, "promql_expr_test": checks}],
    });
    project.file("runbook-queries.test.json", &test.to_string());
    crate::harness::promtool_ok(
        project.path(),
        &["test", "rules", "runbook-queries.test.json"],
    );
}
