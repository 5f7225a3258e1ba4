//! `slocc convert` for settings: Sloth's `AlertWindows` catalogs written as the native settings'
//! `policies`, in one `kind: Settings` document with the native settings given alongside.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::spec::convert::{map, text, windows_of};
use crate::spec::settings::{PolicySpec, SettingsSpec, SeveritySpec};

#[derive(Serialize)]
struct NativeSettings {
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    kind: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    severities: Vec<Severity>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    tiers: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    receivers: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    grafana_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    runbook_base_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_window: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    compat: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    query_language: Option<String>,
    policies: Vec<Policy>,
}

#[derive(Serialize)]
struct Severity {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    response: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    page: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    receiver: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    repeat_interval: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_interval: Option<String>,
}

#[derive(Serialize)]
struct Policy {
    window: String,
    windows: Vec<BTreeMap<&'static str, String>>,
}

fn severity(spec: &SeveritySpec) -> Severity {
    Severity {
        name: text(&spec.name).unwrap_or_default(),
        response: text(&spec.response),
        page: spec.page.as_ref().map(|p| p.value),
        receiver: text(&spec.receiver),
        repeat_interval: text(&spec.repeat_interval),
        group_interval: text(&spec.group_interval),
    }
}

fn policy(spec: &PolicySpec) -> Policy {
    Policy {
        window: text(&spec.window).unwrap_or_default(),
        windows: windows_of(&spec.windows),
    }
}

/// The one native settings document for every settings document read (a `kind: Settings`
/// and Sloth's catalogs), or `None` when no catalog needs converting: a native settings
/// document alone is already native. Policies come in input order, the catalogs' after the
/// native document's own.
pub(crate) fn to_native(settings: &[SettingsSpec]) -> Option<String> {
    if settings.iter().all(|s| s.is_document) {
        return None;
    }
    let native = settings.iter().find(|s| s.is_document);
    let field =
        |get: fn(&SettingsSpec) -> &Option<crate::spec::Text>| native.and_then(|s| text(get(s)));
    let document = NativeSettings {
        api_version: crate::spec::API_VERSION,
        kind: "Settings",
        severities: native
            .and_then(|s| s.severities.as_ref())
            .map_or_else(Vec::new, |(list, _)| list.iter().map(severity).collect()),
        tiers: native.map_or_else(BTreeMap::new, |s| map(&s.tiers)),
        receivers: native.map_or_else(BTreeMap::new, |s| {
            s.receivers
                .iter()
                .map(|r| (r.name.value.clone(), r.integrations.clone()))
                .collect()
        }),
        grafana_url: field(|s| &s.grafana_url),
        runbook_base_url: field(|s| &s.runbook_base_url),
        default_window: field(|s| &s.default_window),
        compat: field(|s| &s.compat),
        query_language: field(|s| &s.query_language),
        policies: settings
            .iter()
            .flat_map(|s| s.policies.iter().map(policy))
            .collect(),
    };
    Some(
        crate::output::yaml::to_string(&document)
            .expect("settings are plain data, which always serialize"),
    )
}

#[cfg(test)]
mod tests {
    use crate::spec::read::read_settings_text;

    const CATALOG: &str = "apiVersion: sloth.slok.dev/v1\nkind: AlertWindows\nspec:\n  sloPeriod: 7d\n  page:\n    quick: {errorBudgetPercent: 8, shortWindow: 5m, longWindow: 1h}\n    slow: {errorBudgetPercent: 12.5, shortWindow: 30m, longWindow: 6h}\n  ticket:\n    quick: {errorBudgetPercent: 20, shortWindow: 2h, longWindow: 1d}\n    slow: {errorBudgetPercent: 42, shortWindow: 6h, longWindow: 3d}\n";

    #[test]
    fn native_settings_alone_need_no_conversion() {
        let (settings, _) =
            read_settings_text("apiVersion: slocc/v1\nkind: Settings\ndefault_window: 7d\n");
        assert_eq!(super::to_native(&settings), None);
    }

    #[test]
    fn a_catalog_joins_the_native_settings_as_a_policy() {
        let text = format!("apiVersion: slocc/v1\nkind: Settings\nseverities:\n  - {{name: P1, page: true, receiver: pager}}\ntiers: {{page: P1}}\nquery_language: metricsql\n---\n{CATALOG}");
        let (settings, diags) = read_settings_text(&text);
        assert_eq!(diags.counts(), (0, 0), "{diags:?}");
        let native = super::to_native(&settings).unwrap();
        assert_eq!(
            native,
            "apiVersion: slocc/v1\nkind: Settings\nseverities:\n- name: P1\n  page: true\n  receiver: pager\ntiers:\n  page: P1\nquery_language: metricsql\npolicies:\n- window: '7d'\n  windows:\n  - budget_percent: '8'\n    long: '1h'\n    severity: page\n    short: '5m'\n  - budget_percent: '12.5'\n    long: '6h'\n    severity: page\n    short: '30m'\n  - budget_percent: '20'\n    long: '1d'\n    severity: ticket\n    short: '2h'\n  - budget_percent: '42'\n    long: '3d'\n    severity: ticket\n    short: '6h'\n"
        );
    }
}
