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

impl Target {
    /// The language the engine reads queries in: vmalert reads MetricsQL, a superset of PromQL.
    pub(crate) fn query_language(self) -> crate::model::QueryLanguage {
        match self {
            Self::Vmalert => crate::model::QueryLanguage::MetricsQL,
            _ => crate::model::QueryLanguage::PromQL,
        }
    }
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
    /// The Mimir/Cortex tenant's ruler limits the output must fit.
    pub(crate) mimir_limits: MimirLimits,
}

/// A Mimir tenant's ruler limits (`None`: no limit). Mimir's defaults: 20 rules per group
/// (`ruler_max_rules_per_rule_group`), 70 groups per tenant (`ruler_max_rule_groups_per_tenant`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MimirLimits {
    /// Rules one group may hold.
    pub(crate) rules_per_group: Option<usize>,
    /// Groups the tenant may hold, in every namespace.
    pub(crate) groups_per_tenant: Option<usize>,
}

impl Default for MimirLimits {
    fn default() -> Self {
        Self {
            rules_per_group: Some(20),
            groups_per_tenant: Some(70),
        }
    }
}

impl TargetOptions {
    /// Whether `groups` rule groups fit the Mimir tenant's limit (any number fits elsewhere).
    pub(crate) fn fits_tenant(&self, groups: usize) -> Result<(), crate::emit::Error> {
        match self.mimir_limits.groups_per_tenant {
            Some(limit) if self.target == Target::Mimir && groups > limit => {
                Err(crate::emit::Error::TooManyGroups { groups, limit })
            }
            _ => Ok(()),
        }
    }

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

/// Serializes `file` for the target, with the number of rule groups it holds.
pub(crate) fn wrap(
    file: RuleFile,
    service: &Service,
    options: &TargetOptions,
) -> Result<(String, usize), crate::emit::Error> {
    let mut file = match options.target {
        Target::Mimir => RuleFile {
            groups: pack(file.groups, service, options.mimir_limits.rules_per_group)?,
        },
        _ => file,
    };
    in_engines_terms(&mut file, options.target);
    in_engines_time(&mut file, options.target);
    let groups = file.groups.len();
    Ok((serialize(file, service, options), groups))
}

/// The recording rules' queries as `target` must read them to mean what Prometheus means:
/// under MetricsQL, `rate` as `increase` over the range ([`crate::vocab::metricsql`]).
pub(crate) fn in_engines_terms(file: &mut RuleFile, target: Target) {
    if target != Target::Vmalert {
        return;
    }
    for rule in file.groups.iter_mut().flat_map(|g| g.rules.iter_mut()) {
        if let Rule::Record { expr, .. } = rule {
            *expr = crate::vocab::metricsql::rates_as_increases(expr);
        }
    }
}

/// The alerts as `target` evaluates them in the same minute as Prometheus: on vmalert, each
/// reading its SLI's queries rather than the series recorded from them ([`crate::emit::inline`]).
fn in_engines_time(file: &mut RuleFile, target: Target) {
    if target == Target::Vmalert {
        crate::emit::inline::inline_recorded(file);
    }
}

/// Mimir counts groups against a tenant's limit and evaluates each in order: an SLO's groups
/// of one interval are packed together, each SLO's rules kept whole and in order (they read
/// each other's results), up to `limit` rules a group. Named after the service, the interval
/// and their place: `slocc-<service>-1m`, `slocc-<service>-1m-2`, ...
fn pack(
    groups: Vec<RuleGroup>,
    service: &Service,
    limit: Option<usize>,
) -> Result<Vec<RuleGroup>, crate::emit::Error> {
    let limit = limit.unwrap_or(usize::MAX);
    let mut packed: Vec<RuleGroup> = Vec::new();
    for group in groups {
        if group.rules.len() > limit {
            return Err(crate::emit::Error::TooManyRules {
                group: group.name,
                rules: group.rules.len(),
                limit,
            });
        }
        let open = packed
            .iter_mut()
            .rev()
            .find(|p| p.interval == group.interval)
            .filter(|p| p.rules.len() + group.rules.len() <= limit);
        match open {
            Some(p) => p.rules.extend(group.rules),
            None => {
                let nth = 1 + packed
                    .iter()
                    .filter(|p| p.interval == group.interval)
                    .count();
                let suffix = if nth == 1 {
                    String::new()
                } else {
                    format!("-{nth}")
                };
                packed.push(RuleGroup {
                    name: format!("slocc-{}-{}{suffix}", service.name, group.interval),
                    interval: group.interval,
                    rules: group.rules,
                });
            }
        }
    }
    Ok(packed)
}

/// Serializes `file` as the target loads it.
fn serialize(file: RuleFile, service: &Service, options: &TargetOptions) -> String {
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

pub(crate) fn to_yaml<T: Serialize>(value: &T) -> String {
    crate::output::yaml::to_string(value)
        .expect("rule files are plain data, which always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(name: &str, interval: &str, rules: usize) -> RuleGroup {
        RuleGroup {
            name: name.into(),
            interval: interval.into(),
            rules: (0..rules)
                .map(|i| Rule::Record {
                    record: format!("{name}:{i}"),
                    expr: "vector(1)".into(),
                    labels: BTreeMap::new(),
                })
                .collect(),
        }
    }

    fn service() -> Service {
        let text = "apiVersion: slocc/v1\nservice: api\nslos:\n  - name: a\n    objective: 99\n    sli:\n      raw:\n        error_ratio: avg(avg_over_time(e[{{window}}]))\n";
        let mut sources = crate::diag::Sources::default();
        sources.add("api.yaml", text.to_string());
        let checked = crate::model::check::check_sources(sources);
        checked.services.into_iter().next().unwrap()
    }

    #[test]
    fn groups_are_packed_by_interval_whole_and_in_order() {
        let groups = vec![
            group("a", "1m", 12),
            group("a-hourly", "1h", 2),
            group("b", "1m", 8),
            group("b-hourly", "1h", 2),
            group("c", "1m", 1),
        ];
        let packed = pack(groups, &service(), Some(20)).unwrap();
        let shape: Vec<(&str, usize)> = packed
            .iter()
            .map(|g| (g.name.as_str(), g.rules.len()))
            .collect();
        // a and b fill the first 1m group exactly; c starts the second.
        assert_eq!(
            shape,
            [
                ("slocc-api-1m", 20),
                ("slocc-api-1h", 4),
                ("slocc-api-1m-2", 1)
            ]
        );
        let Rule::Record { record, .. } = &packed[0].rules[12] else {
            panic!("a record")
        };
        assert_eq!(record, "b:0");
        let err = pack(vec![group("big", "1m", 21)], &service(), Some(20)).unwrap_err();
        assert!(matches!(
            err,
            crate::emit::Error::TooManyRules {
                rules: 21,
                limit: 20,
                ..
            }
        ));
        assert_eq!(
            pack(vec![group("big", "1m", 21)], &service(), None)
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn kubernetes_names_are_rfc1123() {
        assert_eq!(kubernetes_name("slocc-Checkout_API"), "slocc-checkout-api");
        assert_eq!(kubernetes_name("-x-"), "x");
        assert_eq!(kubernetes_name(&"a".repeat(300)).len(), 253);
    }
}
