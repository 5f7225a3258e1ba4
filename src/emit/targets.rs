//! Rule-file wrappers for the engines that load Prometheus rules: prometheus-operator, Mimir and
//! Cortex, Thanos, and VictoriaMetrics' vmalert. The groups inside are the same everywhere.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::emit::prometheus::{template_literal, Rule, RuleFile, RuleGroup};
use crate::model::Service;

/// Which engine the rule files are for; the command line's `--target` values, with their help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Target {
    /// Prometheus rule files (`rule_files:`; `promtool check rules`).
    #[default]
    Prometheus,
    /// A `PrometheusRule` manifest per service (`kubectl apply -f`).
    PrometheusOperator,
    /// Mimir/Cortex ruler files, a namespace per service (`mimirtool rules load`).
    Mimir,
    /// Thanos ruler files, groups with `partial_response_strategy: abort` (`--rule-file`).
    Thanos,
    /// vmalert rule files, groups of `type: prometheus` (`-rule=`).
    Vmalert,
}

/// Target-specific settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetOptions {
    /// The engine.
    pub(crate) target: Target,
    /// Kubernetes namespace of `PrometheusRule` objects (prometheus-operator).
    pub(crate) namespace: Option<String>,
    /// Prefix of `PrometheusRule` names; the service name follows.
    pub(crate) name_prefix: String,
    /// Labels on `PrometheusRule` objects, so the operator's `ruleSelector` picks them up.
    pub(crate) labels: BTreeMap<String, String>,
    /// Mimir/Cortex ruler namespace; default: the service name.
    pub(crate) mimir_namespace: Option<String>,
}

impl TargetOptions {
    /// Options for `target` with defaults for the rest.
    pub fn new(target: Target) -> Self {
        Self {
            target,
            name_prefix: "slocc-".into(),
            ..Self::default()
        }
    }
}

/// A Kubernetes `PrometheusRule`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct PrometheusRule {
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata,
    spec: RuleFile,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
struct Metadata {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    labels: BTreeMap<String, String>,
}

/// A Mimir/Cortex ruler file.
#[derive(Debug, Clone, Serialize, PartialEq)]
struct MimirRuleFile {
    namespace: String,
    groups: Vec<RuleGroup>,
}

/// A Thanos or vmalert group: the Prometheus group plus the engine's own field.
#[derive(Debug, Clone, Serialize, PartialEq)]
struct ExtendedGroup {
    #[serde(flatten)]
    group: RuleGroup,
    #[serde(skip_serializing_if = "Option::is_none")]
    partial_response_strategy: Option<&'static str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
struct ExtendedFile {
    groups: Vec<ExtendedGroup>,
}

/// A Kubernetes object name (RFC 1123 subdomain): lowercase, `-` for anything else.
pub(crate) fn kubernetes_name(text: &str) -> String {
    let mut name: String = text
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    name.truncate(253);
    name.trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string()
}

/// Serializes `file` for the target.
pub(crate) fn wrap(file: RuleFile, service: &Service, options: &TargetOptions) -> String {
    match options.target {
        Target::Prometheus => to_yaml(&file),
        Target::PrometheusOperator => to_yaml(&PrometheusRule {
            api_version: "monitoring.coreos.com/v1",
            kind: "PrometheusRule",
            metadata: Metadata {
                name: kubernetes_name(&format!("{}{}", options.name_prefix, service.name)),
                namespace: options.namespace.clone(),
                labels: options.labels.clone(),
            },
            spec: file,
        }),
        Target::Mimir => to_yaml(&MimirRuleFile {
            namespace: options
                .mimir_namespace
                .clone()
                .unwrap_or_else(|| service.name.clone()),
            groups: file.groups,
        }),
        Target::Thanos | Target::Vmalert => {
            let thanos = options.target == Target::Thanos;
            to_yaml(&ExtendedFile {
                groups: file
                    .groups
                    .into_iter()
                    .map(|group| ExtendedGroup {
                        group: if thanos {
                            group
                        } else {
                            literal_record_labels(group)
                        },
                        // A query missing part of its data must not silently hide an incident.
                        partial_response_strategy: thanos.then_some("abort"),
                        kind: (!thanos).then_some("prometheus"),
                    })
                    .collect(),
            })
        }
    }
}

/// vmalert expands Go templates in recording rules' labels too (Prometheus only in alerts'),
/// so user text there gets the same literal `{{` as alert labels.
fn literal_record_labels(mut group: RuleGroup) -> RuleGroup {
    for rule in &mut group.rules {
        if let Rule::Record { labels, .. } = rule {
            for value in labels.values_mut() {
                *value = template_literal(value);
            }
        }
    }
    group
}

fn to_yaml<T: Serialize>(value: &T) -> String {
    crate::output::yaml::to_string(value)
        .expect("rule files are plain data, which always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_names_are_rfc1123() {
        assert_eq!(kubernetes_name("slocc-Checkout_API"), "slocc-checkout-api");
        assert_eq!(kubernetes_name("-x-"), "x");
        assert_eq!(kubernetes_name(&"a".repeat(300)).len(), 253);
    }
}
