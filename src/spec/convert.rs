//! `slocc convert`: the native `slocc/v1` equivalent of any spec slocc reads, for migration.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::spec::yaml::Spanned;
use crate::spec::{AlertingSpec, ServiceSpec, SliSpec, SloSpec, TierSpec};

#[derive(Serialize)]
struct Native {
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    service: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    escalation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    runbook_base_url: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Runbook::is_empty")]
    runbook: Runbook,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    receivers: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    compat: Option<String>,
    slos: Vec<Slo>,
}

/// Runbook steps as written.
#[derive(Serialize, Default)]
struct Runbook {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    diagnosis: Vec<BTreeMap<&'static str, String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    mitigation: Vec<BTreeMap<&'static str, String>>,
}

impl Runbook {
    fn is_empty(&self) -> bool {
        self.diagnosis.is_empty() && self.mitigation.is_empty()
    }
}

fn runbook(spec: &crate::spec::RunbookSpec) -> Runbook {
    let steps = |list: &[crate::spec::StepSpec]| {
        list.iter()
            .map(|s| given(&[("title", &s.title), ("command", &s.command)]))
            .collect()
    };
    Runbook {
        diagnosis: steps(&spec.diagnosis),
        mitigation: steps(&spec.mitigation),
    }
}

#[derive(Serialize)]
struct Slo {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    objective: Objective,
    #[serde(skip_serializing_if = "Option::is_none")]
    window: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    labels: BTreeMap<String, String>,
    sli: BTreeMap<&'static str, BTreeMap<&'static str, Field>>,
    #[serde(skip_serializing_if = "Alerting::is_empty")]
    alerting: Alerting,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    budgeting: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    calendar: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    previous_names: Vec<String>,
    #[serde(skip_serializing_if = "Runbook::is_empty")]
    runbook: Runbook,
    #[serde(skip_serializing_if = "Option::is_none")]
    mttr: Option<String>,
}

/// The fields of a mapping as written, those given.
fn given(fields: &[(&'static str, &Option<Spanned<String>>)]) -> BTreeMap<&'static str, String> {
    fields
        .iter()
        .filter_map(|(k, v)| text(v).map(|v| (*k, v)))
        .collect()
}

/// An objective printed as the number it was written as.
struct Objective(String);

impl Serialize for Objective {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.trim().trim_end_matches('%').trim().parse::<f64>() {
            // Shortest round-trip form: `99.9`, `99.95`; the reader parses it back exactly.
            Ok(value) => serializer.serialize_f64(value),
            Err(_) => serializer.serialize_str(&self.0),
        }
    }
}

#[derive(Serialize, Default)]
struct Alerting {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Tier::is_empty")]
    page: Tier,
    #[serde(skip_serializing_if = "Tier::is_empty")]
    ticket: Tier,
    #[serde(skip_serializing_if = "Option::is_none")]
    windows: Option<Vec<BTreeMap<&'static str, String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_events: Option<String>,
    #[serde(skip_serializing_if = "NoData::is_empty")]
    no_data: NoData,
}

/// `alerting.no_data` as an import set it (Pyrra's `absent`, `absentName` and severity).
#[derive(Serialize, Default)]
struct NoData {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(flatten)]
    tier: Tier,
}

impl NoData {
    fn is_empty(&self) -> bool {
        self.name.is_none() && self.tier.is_empty()
    }
}

impl Alerting {
    fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.labels.is_empty()
            && self.annotations.is_empty()
            && self.page.is_empty()
            && self.ticket.is_empty()
            && self.windows.is_none()
            && self.min_events.is_none()
            && self.no_data.is_empty()
    }
}

#[derive(Serialize, Default)]
struct Tier {
    #[serde(skip_serializing_if = "Option::is_none")]
    disable: Option<bool>,
    #[serde(rename = "for", skip_serializing_if = "Option::is_none")]
    for_duration: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<String, String>,
}

impl Tier {
    fn is_empty(&self) -> bool {
        self.disable.is_none()
            && self.for_duration.is_none()
            && self.labels.is_empty()
            && self.annotations.is_empty()
    }
}

pub(super) fn text(value: &Option<Spanned<String>>) -> Option<String> {
    value.as_ref().map(|v| v.value.clone())
}

pub(super) fn map(pairs: &[(Spanned<String>, Spanned<String>)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.value.clone(), v.value.clone()))
        .collect()
}

fn tier(spec: &TierSpec) -> Tier {
    Tier {
        disable: spec.disable.as_ref().map(|d| d.value),
        for_duration: text(&spec.for_duration),
        labels: map(&spec.labels),
        annotations: map(&spec.annotations),
    }
}

fn alerting(spec: &AlertingSpec) -> Alerting {
    Alerting {
        name: text(&spec.name),
        labels: map(&spec.labels),
        annotations: map(&spec.annotations),
        page: tier(&spec.page),
        ticket: tier(&spec.ticket),
        min_events: text(&spec.min_events),
        no_data: NoData {
            // The default name is left out, as a native spec would.
            name: text(&spec.no_data.name).filter(|n| n != crate::spec::NO_DATA_NAME),
            tier: tier(&spec.no_data.tier),
        },
        windows: spec.windows.as_ref().map(|windows| windows_of(windows)),
    }
}

/// Window pairs as `alerting.windows` (and the settings' policies) write them.
pub(super) fn windows_of(
    windows: &[crate::spec::WindowSpec],
) -> Vec<BTreeMap<&'static str, String>> {
    windows
        .iter()
        .map(|w| {
            [
                ("long", &w.long),
                ("short", &w.short),
                ("budget_percent", &w.budget_percent),
                ("severity", &w.severity),
            ]
            .into_iter()
            .filter_map(|(k, v)| text(v).map(|v| (k, v)))
            .collect()
        })
        .collect()
}

/// SLI fields, with Sloth's `{{.window}}` (and spaced spellings) written the native way.
/// A field of an SLI as written back: text, or a flag (`native: true`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
enum Field {
    Text(String),
    Flag(bool),
}

fn entries(pairs: &[(&'static str, &Option<Spanned<String>>)]) -> BTreeMap<&'static str, Field> {
    pairs
        .iter()
        .filter_map(|(k, v)| {
            text(v).map(|v| {
                (
                    *k,
                    Field::Text(crate::vocab::promql::normalize_placeholders(&v)),
                )
            })
        })
        .collect()
}

fn sli(spec: &Option<SliSpec>) -> BTreeMap<&'static str, BTreeMap<&'static str, Field>> {
    match spec {
        Some(SliSpec::Ratio {
            errors,
            good,
            total,
            breakdown_by,
            ..
        }) => BTreeMap::from([(
            "ratio",
            entries(&[
                ("errors", errors),
                ("good", good),
                ("total", total),
                ("breakdown_by", breakdown_by),
            ]),
        )]),
        Some(SliSpec::Latency {
            metric,
            selector,
            threshold,
            breakdown_by,
            native,
        }) => {
            let mut fields = entries(&[
                ("metric", metric),
                ("selector", selector),
                ("threshold", threshold),
                ("breakdown_by", breakdown_by),
            ]);
            if native.as_ref().is_some_and(|n| n.value) {
                fields.insert("native", Field::Flag(true));
            }
            BTreeMap::from([("latency", fields)])
        }
        Some(SliSpec::Raw { error_ratio, .. }) => {
            BTreeMap::from([("raw", entries(&[("error_ratio", error_ratio)]))])
        }
        Some(SliSpec::Threshold { query, op, value }) => BTreeMap::from([(
            "threshold",
            entries(&[("query", query), ("op", op), ("value", value)]),
        )]),
        Some(SliSpec::Freshness {
            last_success,
            max_age,
        }) => BTreeMap::from([(
            "freshness",
            entries(&[("last_success", last_success), ("max_age", max_age)]),
        )]),
        None => BTreeMap::new(),
    }
}

fn slo(spec: &SloSpec) -> Slo {
    Slo {
        name: text(&spec.name).unwrap_or_default(),
        description: text(&spec.description),
        objective: Objective(text(&spec.objective).unwrap_or_default()),
        window: text(&spec.window),
        labels: map(&spec.labels),
        sli: sli(&spec.sli),
        alerting: alerting(&spec.alerting),
        budgeting: spec.budgeting.as_ref().map_or_else(BTreeMap::new, |b| {
            given(&[
                ("method", &b.method),
                ("slice", &b.slice),
                ("slice_target", &b.slice_target),
            ])
        }),
        calendar: spec.calendar.as_ref().map_or_else(BTreeMap::new, |c| {
            given(&[
                ("period", &c.period),
                ("time_zone", &c.time_zone),
                ("week_start", &c.week_start),
                ("start_time", &c.start_time),
            ])
        }),
        previous_names: spec
            .previous_names
            .iter()
            .map(|n| n.value.clone())
            .collect(),
        runbook: runbook(&spec.runbook),
        mttr: text(&spec.mttr),
    }
}

/// The native document for a spec read from any format.
pub(crate) fn to_native(spec: &ServiceSpec) -> String {
    let native = Native {
        api_version: crate::spec::API_VERSION,
        service: text(&spec.service).unwrap_or_default(),
        owner: text(&spec.owner),
        escalation: text(&spec.escalation),
        runbook_base_url: text(&spec.runbook_base_url),
        labels: map(&spec.labels),
        runbook: runbook(&spec.runbook),
        receivers: map(&spec.receivers),
        compat: text(&spec.compat),
        slos: spec.slos.iter().map(slo).collect(),
    };
    crate::output::yaml::to_string(&native).expect("specs are plain data, which always serialize")
}

#[cfg(test)]
mod tests {
    use crate::spec::read::read_text;

    #[test]
    fn native_text_uses_the_native_keys_and_placeholder() {
        let sloth = "version: prometheus/v1
service: api
slos:
  - name: availability
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(e[{{ .window }}]))
        total_query: sum(rate(t[{{.window}}]))
    alerting:
      name: ApiErrors
      page_alert: {disable: true}
      ticket_alert: {disable: true}
";
        let (specs, _) = read_text(sloth);
        let native = super::to_native(&specs[0]);
        assert!(
            native.starts_with("apiVersion: slocc/v1\nservice: api\n"),
            "{native}"
        );
        assert!(
            native.contains("errors: 'sum(rate(e[{{window}}]))'"),
            "{native}"
        );
        assert!(!native.contains(".window"), "{native}");
        let (again, diags) = read_text(&native);
        assert_eq!(crate::spec::import::codes_and_lines(&diags), []);
        assert_eq!(
            super::to_native(&again[0]),
            native,
            "converting twice changes nothing"
        );
    }

    #[test]
    fn service_settings_keep_their_native_spelling() {
        let native = "apiVersion: slocc/v1
service: api
owner: team-core
runbook_base_url: https://runbooks.example.com
slos:
  - name: availability
    objective: 99.9
    sli:
      raw:
        error_ratio: sum(rate(e[{{window}}])) / sum(rate(t[{{window}}]))
";
        let (specs, _) = read_text(native);
        let text = super::to_native(&specs[0]);
        assert!(
            text.contains("runbook_base_url: https://runbooks.example.com"),
            "{text}"
        );
        assert!(!text.contains("runbookBaseUrl"));
    }
}
