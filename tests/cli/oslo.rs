//! The real oslo (v0.13.0, built by `scripts/tools`) as the oracle of OpenSLO validity: for a
//! corpus written here (one valid file of every v1 kind slocc reads, and one mistake at a
//! time), `oslo validate` and `slocc check` give the verdicts in the table, and every
//! disagreement is a documented decision (docs/imports.md).

use crate::harness::{built_tool, run_tool, Project};

/// A Service, and an SLO with an inline ratio SLI, objective and alert policy (with its
/// condition and notification target): valid for both.
const VALID: &str = r#"apiVersion: openslo/v1
kind: Service
metadata:
  name: shop
spec:
  description: The shop.
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: availability
spec:
  service: shop
  budgetingMethod: Occurrences
  timeWindow:
    - duration: 28d
      isRolling: true
  indicator:
    metadata:
      name: good-requests
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: sum(http_requests_total{job="shop",code!~"5.."})
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(http_requests_total{job="shop"})
  objectives:
    - displayName: Good
      target: 0.999
  alertPolicies:
    - kind: AlertPolicy
      metadata:
        name: fast-burn
      spec:
        alertWhenBreaching: true
        conditions:
          - kind: AlertCondition
            metadata:
              name: page
            spec:
              severity: page
              condition:
                kind: burnrate
                op: gte
                threshold: 14.4
                lookbackWindow: 1h
                alertAfter: 2m
        notificationTargets:
          - kind: AlertNotificationTarget
            metadata:
              name: pager
            spec:
              target: pagerduty
              description: The pager.
"#;

/// `(what, the file, oslo accepts, slocc accepts)`. Where the two differ, the last column of the
/// row's comment says why.
// long: a table, one row per file; a split would only scatter the rows.
fn corpus() -> Vec<(&'static str, String, bool, bool)> {
    let cut = |from: &str, to: &str| {
        let (a, b) = (VALID.find(from).unwrap(), VALID.find(to).unwrap());
        format!("{}{}", &VALID[..a], &VALID[b..])
    };
    let with = |from: &str, to: &str| {
        assert!(VALID.contains(from), "{from}");
        VALID.replacen(from, to, 1)
    };
    let no_targets = VALID[..VALID.find("        notificationTargets:").unwrap()].to_string();
    vec![
        ("valid", VALID.to_string(), true, true),
        (
            "alert policy with no conditions",
            cut(
                "          - kind: AlertCondition",
                "        notificationTargets:",
            )
            .replace("        conditions:\n", "        conditions: []\n"),
            false,
            false,
        ),
        (
            "two conditions in one policy",
            with(
                "        conditions:\n",
                "        conditions:\n          - conditionRef: other\n",
            ),
            false,
            false,
        ),
        (
            "service name with a space",
            with("  name: shop\n", "  name: my shop\n")
                .replace("service: shop", "service: my shop"),
            false,
            false,
        ),
        (
            "unknown key",
            with(
                "  budgetingMethod: Occurrences",
                "  budgetingMethod: Occurrences\n  colour: blue",
            ),
            false,
            false,
        ),
        (
            "target above 1",
            with("target: 0.999", "target: 1.5"),
            false,
            false,
        ),
        (
            "unknown budgeting method",
            with("Occurrences", "Sometimes"),
            false,
            false,
        ),
        (
            "bad duration unit",
            with("duration: 28d", "duration: 28x"),
            false,
            false,
        ),
        (
            "unknown condition operator",
            with("op: gte", "op: bigger"),
            false,
            false,
        ),
        ("no service", with("  service: shop\n", ""), false, false),
        (
            "no indicator",
            cut("  indicator:", "  objectives:"),
            false,
            false,
        ),
        (
            "unknown apiVersion",
            with(
                "apiVersion: openslo/v1\nkind: SLO",
                "apiVersion: openslo/v9\nkind: SLO",
            ),
            false,
            false,
        ),
        // OpenSLO requires a notification target; slocc delivers alerts by the settings'
        // receivers and Alertmanager routes, so a policy without one still compiles.
        (
            "policy with no notification target",
            no_targets,
            false,
            true,
        ),
        // A burn-rate condition that fires when the burn is at most the threshold pages on a
        // healthy service; slocc refuses it at its line.
        ("condition op lte", with("op: gte", "op: lte"), true, false),
        // OpenSLO's own Prometheus example sets `op` on a ratio objective, which oslo forbids;
        // it compares a threshold metric and changes nothing on a ratio: slocc warns and reads
        // the file.
        (
            "op on a ratio objective",
            with(
                "      target: 0.999\n",
                "      op: lte\n      target: 0.999\n",
            ),
            false,
            true,
        ),
        // An SLO with no objective has no budget to alert on.
        (
            "no objectives",
            with(
                "  objectives:\n    - displayName: Good\n      target: 0.999\n",
                "  objectives: []\n",
            ),
            true,
            false,
        ),
    ]
}

#[test]
fn oslo_and_slocc_agree_on_openslo_validity_but_for_documented_decisions() {
    let mut disagreements = 0;
    for (what, text, oslo_ok, slocc_ok) in corpus() {
        let project = Project::new();
        project.file("specs/openslo.yaml", &text);
        let args = ["validate", "-f", "specs/openslo.yaml"];
        let (oslo, said) = run_tool(&built_tool("oslo"), &args, project.path());
        assert_eq!(oslo, oslo_ok, "{what}: oslo said\n{said}");
        let run = project.slocc(&["check", "--no-runbooks"]);
        assert_eq!(
            run.code == 0,
            slocc_ok,
            "{what}: slocc said\n{}",
            run.stderr
        );
        disagreements += usize::from(oslo_ok != slocc_ok);
    }
    assert_eq!(disagreements, 4);
}
