//! Tests of the parent module.

use super::*;

fn services(objective: &str, window: &str) -> Vec<Service> {
    let text = format!(
            "apiVersion: slocc/v1\nservice: api\nslos:\n  - name: availability\n    objective: {objective}\n    window: {window}\n    sli:\n      raw:\n        error_ratio: sum(rate(e[{{{{window}}}}])) / sum(rate(t[{{{{window}}}}]))\n"
        );
    let mut sources = crate::diag::Sources::default();
    sources.add("api.yaml", text);
    let checked = crate::model::check::check_sources(sources);
    assert!(!checked.failed(), "{:?}", checked.diagnostics);
    checked.services
}

/// The report of the specs alone (no generated files).
fn compare(old: &[Service], new: &[Service]) -> Report {
    Report {
        slos: slo_changes(old, new),
        files: Vec::new(),
    }
}

fn texts(report: &Report) -> Vec<&str> {
    report.slos[0]
        .details
        .iter()
        .map(|d| d.text.as_str())
        .collect()
}

#[test]
fn each_budget_change_is_attributed_to_its_cause_once() {
    let (old, new) = (services("99.9", "30d"), services("99.95", "28d"));
    let report = compare(&old, &new);
    let texts = texts(&report);
    assert_eq!(
        texts[..2],
        [
            "objective 99.9% -> 99.95% (allowed full outage 43m 12s -> 21m 36s)",
            "window 30d -> 28d (allowed full outage 21m 36s -> 20m 10s)",
        ]
    );
    assert!(
        texts[5].starts_with("ticket 3d/6h: factor 1x -> 0.9333x, threshold 0.001 -> 0.0004667"),
        "{}",
        texts[5]
    );
    let same = compare(&old, &old);
    assert!(!same.has_changes());
}

#[test]
fn a_renamed_slo_is_one_change_not_a_removal_and_an_addition() {
    let old = services("99.9", "30d");
    let mut new = old.clone();
    new[0].slos[0].name = "success".into();
    let report = compare(&old, &new);
    assert_eq!(report.slos.len(), 1);
    assert_eq!(report.slos[0].kind, ChangeKind::Renamed);
    assert_eq!(report.slos[0].renamed_from.as_deref(), Some("availability"));
}

#[test]
fn markdown_never_exceeds_its_size_and_says_what_it_left_out() {
    let mut report = Report::default();
    for i in 0..400 {
        report.slos.push(SloChange {
            service: format!("service-{i}"),
            slo: "availability".into(),
            kind: ChangeKind::Changed,
            renamed_from: None,
            details: vec![detail(
                "objective",
                "objective 99.9% -> 99.95%".into(),
                None,
                None,
            )],
        });
        report.files.push(FileDiff {
            path: format!("service-{i}.rules.yml"),
            diff: "-a\n+b\n".repeat(50),
        });
    }
    for max in [2_000, 10_000, MARKDOWN_MAX_BYTES] {
        let text = render_markdown(&report, max);
        assert!(text.len() <= max, "{} > {max}", text.len());
        assert!(text.contains("more files changed"), "{max}");
    }
    let small = render_markdown(&report, 2_000);
    assert!(small.contains("more SLOs changed"), "{small}");
}
