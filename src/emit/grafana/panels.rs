//! The panels of the dashboards: each SLO's row (numbers now, trends over the window, burn by
//! alert window) and the overview's table of every SLO.

use super::*;

fn sel(service: &Service, slo: &Slo) -> String {
    format!(
        "{{{}}}",
        matchers(&[("slo_service", &service.name), ("slo_name", &slo.name)])
    )
}

/// ON clause joining a per-window series with the SLO's metadata series.
const ON: &str = "on (slo_service, slo_name) group_left ()";

/// One SLO's row: numbers now, trends over the window, burn by alert window.
pub(super) fn slo_panels(layout: &mut Layout, service: &Service, slo: &Slo) {
    layout.row(format!(
        "{}: {}% over {}",
        slo.name,
        crate::vocab::number::format_decimal(slo.objective_percent),
        slo.window
    ));
    let s = sel(service, slo);
    summary_band(layout, service, slo, &s);
    trend_band(layout, slo, &s);
    burn_band(layout, slo, &s);
}

/// The SLO's firing burn-rate alerts, with the classes they page or ticket in the description.
fn firing_alerts(service: &Service, slo: &Slo) -> PanelSpec {
    let alert_sel = format!(
        "{{{}, alertstate=\"firing\"}}",
        matchers(&[
            ("alertname", &slo.alert_name),
            ("slo_service", &service.name),
            ("slo_name", &slo.name)
        ])
    );
    let mut alert_defaults = defaults("none", steps("green", &[(1.0, "red")]));
    alert_defaults.no_value = Some("0".into());
    stat(
        "Firing alerts",
        &format!(
            "Burn-rate alerts of this SLO firing now. {}",
            crate::emit::classes_in_words(slo)
        ),
        format!("count(ALERTS{alert_sel})"),
        alert_defaults,
    )
}

/// SLI, budget left, time to exhaustion and firing alerts, as numbers.
fn summary_band(layout: &mut Layout, service: &Service, slo: &Slo, s: &str) {
    let on = ON;
    let objective = to_f64(slo.objective());
    let fastest = slo
        .tiers
        .iter()
        .map(|t| t.long)
        .min()
        .unwrap_or(crate::vocab::duration::Duration::from_secs(3_600));
    layout.band(
        4,
        vec![
            stat(
                "SLI over the window",
                "Share of good events over the SLO window, from recorded series.",
                format!("1 - {}{s}", series::ERROR_RATIO_PERIOD),
                FieldDefaults {
                    decimals: Some(3),
                    ..defaults("percentunit", steps("red", &[(objective, "green")]))
                },
            ),
            stat(
                "Error budget remaining",
                "Share of the window's error budget left; negative when overspent.",
                format!("{}{s}", series::BUDGET_REMAINING),
                defaults("percentunit", steps("red", &[(0.0, "orange"), (0.25, "green")])),
            ),
            stat(
                "Budget exhausted in",
                &format!("Time until the budget is gone at the burn rate of the last {fastest}."),
                format!(
                    "clamp_min({remaining}{s}, 0) * {on} {window}{s}\n/\nclamp_min({ratio}{s} / {on} {budget_series}{s}, 1e-9)",
                    remaining = series::BUDGET_REMAINING,
                    window = series::WINDOW_SECONDS,
                    ratio = series::error_ratio(fastest),
                    budget_series = series::ERROR_BUDGET,
                ),
                defaults("s", steps("red", &[(86_400.0, "orange"), (7.0 * 86_400.0, "green")])),
            ),
            firing_alerts(service, slo),
        ],
    );
}

/// SLI against the objective and budget left, over time.
fn trend_band(layout: &mut Layout, slo: &Slo, s: &str) {
    let objective = to_f64(slo.objective());
    layout.band(
        8,
        vec![
            timeseries(
                "SLI against the objective",
                "Good-event share over the SLO window, and the objective.",
                vec![
                    target(
                        "A",
                        format!("1 - {}{s}", series::ERROR_RATIO_PERIOD),
                        "SLI",
                        false,
                    ),
                    target("B", format!("{}{s}", series::OBJECTIVE), "objective", false),
                ],
                defaults("percentunit", steps("red", &[(objective, "green")])),
            ),
            timeseries(
                "Error budget over time",
                "Share of the error budget left over the SLO window.",
                vec![target(
                    "A",
                    format!("{}{s}", series::BUDGET_REMAINING),
                    "remaining",
                    false,
                )],
                defaults(
                    "percentunit",
                    steps("red", &[(0.0, "orange"), (0.25, "green")]),
                ),
            ),
        ],
    );
}

/// Burn rate per alert window, with each tier's factor drawn as a threshold line, and the
/// error breakdown when the spec names a label.
fn burn_band(layout: &mut Layout, slo: &Slo, s: &str) {
    let on = ON;
    let budget = to_f64(slo.budget());
    let mut factors: Vec<f64> = slo.tiers.iter().map(|t| to_f64(t.factor)).collect();
    factors.sort_by(f64::total_cmp);
    factors.dedup();
    let colors = ["yellow", "orange", "red", "dark-red", "purple"];
    let factor_steps: Vec<(f64, &str)> = factors
        .iter()
        .enumerate()
        .map(|(i, f)| (*f, colors[i.min(colors.len() - 1)]))
        .collect();
    let letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let burn_targets: Vec<Target> = slo
        .alert_windows()
        .iter()
        .enumerate()
        .map(|(i, w)| {
            target(
                &letters[i % 26..i % 26 + 1],
                format!(
                    "{}{s} / {on} {}{s}",
                    series::error_ratio(*w),
                    series::ERROR_BUDGET
                ),
                &format!("burn {w}"),
                false,
            )
        })
        .collect();
    let mut burn_defaults = defaults("x", steps("green", &factor_steps));
    burn_defaults.min = Some(0.0);
    burn_defaults.custom = serde_json::json!({"thresholdsStyle": {"mode": "line+area"}});
    let mut band = vec![timeseries(
        "Burn rate by alert window",
        &format!(
            "Error ratio over each window divided by the budget ({budget}); lines mark the tiers' burn factors."
        ),
        burn_targets,
        burn_defaults,
    )];
    if let Some(label) = &slo.breakdown_by {
        if let Some(expr) = breakdown_query(slo, label) {
            band.push(timeseries(
                &format!("Errors by {label}"),
                &format!("Bad events per second over 5m, by `{label}`."),
                vec![target("A", expr, &format!("{{{{{label}}}}}"), false)],
                defaults("reqps", steps("green", &[])),
            ));
        }
    }
    layout.band(8, band);
}

/// The overview's one table: every SLO's objective, SLI, budget, fastest burn and alerts.
pub(super) fn overview_table(services: &[Service]) -> PanelSpec {
    let names: Vec<String> = services.iter().map(|s| regex_escape(&s.name)).collect();
    let only = format!("slo_service=~\"{}\"", escape_string(&names.join("|")));
    let by = "by (slo_service, slo_name)";
    let table_target = |ref_id: &str, expr: String| Target {
        format: "table".into(),
        ..target(ref_id, expr, "", true)
    };
    let targets = vec![
        table_target("A", format!("max {by} ({}{{{only}}})", series::OBJECTIVE)),
        table_target("B", format!("1 - max {by} ({}{{{only}}})", series::ERROR_RATIO_PERIOD)),
        table_target("C", format!("min {by} ({}{{{only}}})", series::BUDGET_REMAINING)),
        table_target(
            "D",
            format!(
                "max {by} ({{__name__=~\"slo:sli_error:ratio_rate.+\", {only}}})\n/ on (slo_service, slo_name)\nmax {by} ({}{{{only}}})",
                series::ERROR_BUDGET
            ),
        ),
        table_target(
            "E",
            format!("count {by} (ALERTS{{alertstate=\"firing\", {only}}})"),
        ),
    ];
    let rename = serde_json::json!({
        "Value #A": "Objective",
        "Value #B": "SLI",
        "Value #C": "Budget remaining",
        "Value #D": "Fastest burn",
        "Value #E": "Firing alerts",
        "slo_service": "Service",
        "slo_name": "SLO"
    });
    PanelSpec {
        kind: "table",
        title: "All SLOs, worst budget first".into(),
        description: "Objective, SLI and budget over each SLO's own window; fastest burn over its alert windows; firing burn-rate alerts.".into(),
        targets,
        defaults: FieldDefaults {
            decimals: Some(3),
            ..defaults("percentunit", steps("green", &[]))
        },
        options: serde_json::json!({"showHeader": true, "cellHeight": "sm"}),
        transformations: vec![
            Transformation { id: "merge".into(), options: serde_json::json!({}) },
            Transformation {
                id: "organize".into(),
                options: serde_json::json!({"excludeByName": {"Time": true}, "renameByName": rename}),
            },
            Transformation {
                id: "sortBy".into(),
                options: serde_json::json!({"sort": [{"field": "Budget remaining", "desc": false}]}),
            },
        ],
    }
}
