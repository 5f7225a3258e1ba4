//! Sloth's `AlertWindows` catalogs (sloth.slok.dev/v1): the alert windows Sloth uses for SLOs of
//! one period, read as a settings policy for SLOs of that window.

use crate::diag::Diagnostics;
use crate::spec::settings::{PolicySpec, SettingsSpec};
use crate::spec::yaml::{Document, Fields, Spanned};
use crate::spec::WindowSpec;

/// Sloth's alert-window catalog document.
pub(crate) const FORMAT: super::Format = super::Format {
    describe: "Sloth `apiVersion: sloth.slok.dev/v1` (`AlertWindows`)",
    detect: |h| h.api_version == Some("sloth.slok.dev/v1") && h.kind == Some("AlertWindows"),
    reader: super::Reader::Settings(read),
};

fn read(doc: &Document, diags: &mut Diagnostics) -> Option<SettingsSpec> {
    let fields = Fields::new(&doc.root, doc.location, "the AlertWindows");
    fields.deny_unknown(&["apiVersion", "kind", "metadata", "spec"], diags);
    let (spec, at) = fields.required_mapping("spec", diags)?;
    let spec = Fields::new(spec, at, "the AlertWindows spec");
    spec.deny_unknown(&["sloPeriod", "page", "ticket"], diags);
    let mut windows = Vec::new();
    for severity in ["page", "ticket"] {
        let Some((map, at)) = spec.required_mapping(severity, diags) else {
            continue;
        };
        let context = format!("the `{severity}` windows");
        let pair = Fields::new(map, at, &context);
        pair.deny_unknown(&["quick", "slow"], diags);
        for speed in ["quick", "slow"] {
            let Some((map, at)) = pair.required_mapping(speed, diags) else {
                continue;
            };
            let context = format!("the `{severity}.{speed}` window");
            let w = Fields::new(map, at, &context);
            w.deny_unknown(&["errorBudgetPercent", "shortWindow", "longWindow"], diags);
            windows.push(WindowSpec {
                long: w.required_string("longWindow", diags),
                short: w.required_string("shortWindow", diags),
                budget_percent: w.required_string("errorBudgetPercent", diags),
                severity: Some(Spanned::new(severity.to_string(), at)),
                location: at,
            });
        }
    }
    Some(SettingsSpec {
        policies: vec![PolicySpec {
            window: spec.required_string("sloPeriod", diags),
            windows,
            location: spec.location(),
        }],
        severities: None,
        tiers: Vec::new(),
        grafana_url: None,
        runbook_base_url: None,
        default_window: None,
        compat: None,
        query_language: None,
        receivers: Vec::new(),
        is_document: false,
        location: doc.location,
    })
}

#[cfg(test)]
mod tests {
    use crate::spec::read::read_settings_text;

    #[test]
    fn a_seven_day_catalog_becomes_a_policy_for_seven_day_slos() {
        let (settings, diags) = read_settings_text(
            "apiVersion: sloth.slok.dev/v1\nkind: AlertWindows\nspec:\n  sloPeriod: 7d\n  page:\n    quick: {errorBudgetPercent: 8, shortWindow: 5m, longWindow: 1h}\n    slow: {errorBudgetPercent: 12.5, shortWindow: 30m, longWindow: 6h}\n  ticket:\n    quick: {errorBudgetPercent: 20, shortWindow: 2h, longWindow: 1d}\n    slow: {errorBudgetPercent: 42, shortWindow: 6h, longWindow: 3d}\n",
        );
        assert_eq!(diags.counts(), (0, 0), "{diags:?}");
        let policy = &settings[0].policies[0];
        assert_eq!(policy.window.as_ref().unwrap().value, "7d");
        let rows: Vec<(String, String, String, String)> = policy
            .windows
            .iter()
            .map(|w| {
                let v = |t: &Option<crate::spec::Text>| t.as_ref().unwrap().value.clone();
                (
                    v(&w.severity),
                    v(&w.long),
                    v(&w.short),
                    v(&w.budget_percent),
                )
            })
            .collect();
        let row = |s: &str, l: &str, sh: &str, b: &str| (s.into(), l.into(), sh.into(), b.into());
        assert_eq!(
            rows,
            [
                row("page", "1h", "5m", "8"),
                row("page", "6h", "30m", "12.5"),
                row("ticket", "1d", "2h", "20"),
                row("ticket", "3d", "6h", "42"),
            ]
        );
    }

    #[test]
    fn missing_and_unknown_fields_are_reported_at_their_lines() {
        let (_, diags) = read_settings_text(
            "apiVersion: sloth.slok.dev/v1\nkind: AlertWindows\nspec:\n  sloPeriod: 7d\n  page:\n    quick: {errorBudgetPercent: 8, shortWindow: 5m}\n    slow: {errorBudgetPercent: 12.5, shortWindow: 30m, longWindow: 6h, burst: 1}\n",
        );
        assert_eq!(
            crate::spec::import::codes_and_lines(&diags),
            [
                ("missing-field".to_string(), 4),
                ("missing-field".to_string(), 6),
                ("unknown-key".to_string(), 7),
            ]
        );
    }
}
