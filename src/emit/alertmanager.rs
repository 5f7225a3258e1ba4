//! Alertmanager configuration for the generated alerts: a route per severity class (grouped by
//! service and SLO, updated and repeated at the class's intervals), the receivers with the
//! integrations the settings declare, and inhibit rules so that one incident notifies once:
//! while a class of an SLO fires, every less urgent class of that SLO is held back, and a
//! faster tier holds back the slower tiers of its class. Written whole (`alertmanager.yml`,
//! which `amtool check-config` accepts) and as the part to merge into an existing
//! configuration.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::model::{Service, SeverityClass};

/// The complete configuration.
pub(crate) const CONFIG_PATH: &str = "alertmanager/alertmanager.yml";
/// The route and inhibit rules alone, for merging.
pub(crate) const ROUTES_PATH: &str = "alertmanager/routes.yml";

/// Labels that identify one SLO's alerts (set by the recorded series every alert reads).
const SLO_LABELS: [&str; 2] = ["slo_service", "slo_name"];

#[derive(Serialize)]
struct Route {
    #[serde(skip_serializing_if = "Option::is_none")]
    receiver: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    matchers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    group_by: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_wait: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_interval: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    repeat_interval: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    routes: Vec<Route>,
}

#[derive(Serialize)]
struct Inhibit {
    source_matchers: Vec<String>,
    target_matchers: Vec<String>,
    equal: Vec<String>,
}

#[derive(Serialize)]
struct Receiver {
    name: String,
    /// `webhook_configs` and the like, from the settings' `receivers`.
    #[serde(flatten)]
    integrations: serde_json::Map<String, serde_json::Value>,
}

/// The part to merge: a route for slocc's alerts, its inhibit rules, and the receivers the
/// settings declare.
#[derive(Serialize)]
struct Part {
    route: Route,
    inhibit_rules: Vec<Inhibit>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    receivers: Vec<Receiver>,
}

/// A whole configuration.
#[derive(Serialize)]
struct Config {
    route: Route,
    inhibit_rules: Vec<Inhibit>,
    receivers: Vec<Receiver>,
}

/// The classes of one service's alerts, named as their `severity` label says (which
/// `--compat pyrra` changes); the no-data alert's too, where slocc's own layout carries one.
fn classes_of(service: &Service) -> impl Iterator<Item = SeverityClass> + '_ {
    let own_layout = service.compat.is_none();
    service
        .slos
        .iter()
        .flat_map(move |s| {
            let mut classes = s.classes();
            classes.extend(s.no_data.as_ref().filter(|_| own_layout).map(|n| &n.class));
            classes
        })
        .map(|class| SeverityClass {
            name: crate::emit::compat::severity(service.compat, class),
            ..class.clone()
        })
}

/// How urgent a class is: paging before not, then the settings' order.
fn urgency(class: &SeverityClass) -> (bool, usize) {
    (!class.page, class.rank)
}

/// The classes the alerts of `services` carry, each once and with the class's own receiver,
/// most urgent first (a label renamed from a class ranks with it).
fn classes(services: &[Service]) -> Vec<SeverityClass> {
    let mut out: Vec<SeverityClass> = Vec::new();
    for class in services.iter().flat_map(classes_of) {
        if !out.iter().any(|c| c.name == class.name) {
            out.push(SeverityClass {
                team_receiver: None,
                ..class
            });
        }
    }
    out.sort_by(|a, b| urgency(a).cmp(&urgency(b)).then(a.name.cmp(&b.name)));
    out
}

/// `name="value"` (or `=~` for a regular expression), quoted as Alertmanager parses it.
fn matcher(name: &str, op: &str, value: &str) -> String {
    let quoted = value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    format!("{name}{op}\"{quoted}\"")
}

/// A regular expression matching exactly one of `names`.
fn any_of(names: &[&str]) -> String {
    let escaped: Vec<String> = names
        .iter()
        .map(|n| {
            n.chars()
                .flat_map(|c| {
                    let meta = "\\.+*?()|[]{}^$".contains(c);
                    meta.then_some('\\').into_iter().chain([c])
                })
                .collect()
        })
        .collect();
    escaped.join("|")
}

/// Routes of the services whose specs name their own receiver for `class` (whatever its
/// alerts' `severity` label is renamed to), one per receiver.
fn team_routes(services: &[Service], class: &SeverityClass) -> Vec<Route> {
    let mut by_receiver: std::collections::BTreeMap<String, BTreeSet<&str>> = Default::default();
    for service in services {
        for own in classes_of(service).filter(|c| c.name == class.name) {
            if let Some(receiver) = own.team_receiver {
                by_receiver
                    .entry(receiver)
                    .or_default()
                    .insert(&service.name);
            }
        }
    }
    by_receiver
        .into_iter()
        .map(|(receiver, names)| Route {
            receiver: Some(receiver),
            matchers: vec![matcher(
                SLO_LABELS[0],
                "=~",
                &any_of(&names.into_iter().collect::<Vec<_>>()),
            )],
            group_by: Vec::new(),
            group_wait: None,
            group_interval: None,
            repeat_interval: None,
            routes: Vec::new(),
        })
        .collect()
}

/// slocc's route: one child per class, to its receiver at its repeat interval (and, below it,
/// the services that name their own receiver for the class).
fn route(services: &[Service], classes: &[SeverityClass]) -> Route {
    Route {
        receiver: None,
        matchers: vec![matcher(SLO_LABELS[0], "=~", ".+")],
        group_by: SLO_LABELS.iter().map(|l| l.to_string()).collect(),
        group_wait: Some("30s".into()),
        group_interval: None,
        repeat_interval: None,
        routes: classes
            .iter()
            .map(|c| Route {
                receiver: Some(c.receiver.clone()),
                matchers: vec![matcher("severity", "=", &c.name)],
                group_by: Vec::new(),
                group_wait: None,
                group_interval: Some(c.group_interval.to_string()),
                repeat_interval: Some(c.repeat_interval.to_string()),
                routes: team_routes(services, c),
            })
            .collect(),
    }
}

/// Each class silences every less urgent class of the same SLO, paging or not; within a class,
/// each tier silences the tiers of the same SLO with longer windows (one rule per pair of
/// long windows that occur together).
fn inhibit_rules(services: &[Service], classes: &[SeverityClass]) -> Vec<Inhibit> {
    let equal: Vec<String> = SLO_LABELS.iter().map(|l| l.to_string()).collect();
    let mut rules = Vec::new();
    for class in classes {
        let less: Vec<&str> = classes
            .iter()
            .filter(|c| urgency(c) > urgency(class))
            .map(|c| c.name.as_str())
            .collect();
        if !less.is_empty() {
            rules.push(Inhibit {
                source_matchers: vec![matcher("severity", "=", &class.name)],
                target_matchers: vec![matcher("severity", "=~", &any_of(&less))],
                equal: equal.clone(),
            });
        }
    }
    let mut pairs = BTreeSet::new();
    for slo in services.iter().flat_map(|s| &s.slos) {
        for (i, fast) in slo.tiers.iter().enumerate() {
            for slow in &slo.tiers[i + 1..] {
                if slow.class.name == fast.class.name && slow.long > fast.long {
                    pairs.insert((fast.long, slow.long));
                }
            }
        }
    }
    let mut same_class = equal;
    same_class.push("severity".into());
    rules.extend(pairs.into_iter().map(|(fast, slow)| Inhibit {
        source_matchers: vec![matcher("slo_long_window", "=", &fast.to_string())],
        target_matchers: vec![matcher("slo_long_window", "=", &slow.to_string())],
        equal: same_class.clone(),
    }));
    rules
}

/// The Alertmanager configuration and its route part, as an artifact kind (nothing when no
/// alert carries a class).
pub(crate) fn emit(
    services: &[Service],
    _: &crate::emit::Context,
    out: &mut crate::emit::Emission<'_>,
) -> Result<(), crate::emit::Error> {
    for (path, content) in render(services).into_iter().flatten() {
        out.generated(path.into(), content)?;
    }
    Ok(())
}

const HEADER: &str = "# Generated by slocc from the settings' severity classes and receivers. Do not edit: change the settings (integrations go under `receivers`) and run `slocc compile`.\n";

/// Said at the top of a configuration whose receivers have no integration.
const DELIVERS_NOTHING: &str = "# No receiver here has an integration, so as written this configuration notifies no one: declare them under `receivers` in the settings (docs/settings.md), or merge routes.yml into a configuration of your own.\n";

/// Every receiver the alerts reach, with the integrations the settings declare for it.
fn receivers(services: &[Service], classes: &[SeverityClass]) -> Vec<Receiver> {
    let own: Vec<String> = services
        .iter()
        .flat_map(classes_of)
        .filter_map(|c| c.team_receiver)
        .collect();
    let names: BTreeSet<&str> = classes
        .iter()
        .map(|c| c.receiver.as_str())
        .chain(own.iter().map(String::as_str))
        .collect();
    let deliveries = services.first().map(|s| &*s.deliveries);
    names
        .into_iter()
        .map(|name| Receiver {
            name: name.into(),
            integrations: deliveries
                .and_then(|d| d.get(name))
                .map(|d| d.integrations.clone())
                .unwrap_or_default(),
        })
        .collect()
}

/// The two files: the complete configuration and the part to merge. `None` when no alert
/// carries a class (no tiers at all).
pub(crate) fn render(services: &[Service]) -> Option<[(&'static str, String); 2]> {
    let classes = classes(services);
    let root_receiver = classes.iter().find(|c| !c.page).or(classes.first())?;
    let receivers = receivers(services, &classes);
    let delivers = receivers.iter().any(|r| !r.integrations.is_empty());
    let config = Config {
        route: Route {
            receiver: Some(root_receiver.receiver.clone()),
            matchers: Vec::new(),
            group_by: SLO_LABELS.iter().map(|l| l.to_string()).collect(),
            group_wait: None,
            group_interval: None,
            repeat_interval: None,
            routes: vec![route(services, &classes)],
        },
        inhibit_rules: inhibit_rules(services, &classes),
        receivers,
    };
    let part = Part {
        route: route(services, &classes),
        inhibit_rules: inhibit_rules(services, &classes),
        receivers: if delivers {
            self::receivers(services, &classes)
        } else {
            Vec::new()
        },
    };
    let warning = if delivers { "" } else { DELIVERS_NOTHING };
    let merge = if delivers {
        "# Put `route` under your configuration's `route.routes` and append `inhibit_rules` and `receivers` to yours.\n"
    } else {
        "# Put `route` under your configuration's `route.routes` and append `inhibit_rules` to yours; every receiver named here must exist.\n"
    };
    Some([
        (
            CONFIG_PATH,
            format!("{HEADER}{warning}{}", to_yaml(&config)),
        ),
        (ROUTES_PATH, format!("{HEADER}{merge}{}", to_yaml(&part))),
    ])
}

fn to_yaml<T: Serialize>(value: &T) -> String {
    crate::output::yaml::to_string(value).expect("routes are plain data, which always serialize")
}

#[cfg(test)]
mod tests {
    use crate::diag::Sources;

    fn config(settings: &str, spec: &str) -> String {
        let mut sources = Sources::default();
        sources.add("s.yaml", settings);
        sources.add("a.yaml", spec);
        let checked = crate::model::check::check_sources(sources);
        assert!(!checked.failed(), "{:?}", checked.diagnostics);
        super::render(&checked.services).unwrap()[0].1.clone()
    }

    const SPEC: &str = "apiVersion: slocc/v1\nservice: worker\nrunbook_base_url: https://r.example.com\nslos:\n  - name: freshness\n    objective: 99\n    sli:\n      raw: {error_ratio: 'sum(rate(e[{{window}}])) / sum(rate(t[{{window}}]))'}\n    alerting:\n      windows:\n        - {long: 1h, short: 5m, budget_percent: 2, severity: chat}\n        - {long: 1d, short: 2h, budget_percent: 10, severity: tickets}\n";

    #[test]
    fn a_more_urgent_class_holds_back_every_less_urgent_one_paging_or_not() {
        let settings = "apiVersion: slocc/v1\nkind: Settings\nseverities:\n  - {name: tickets, group_interval: 4h}\n  - {name: chat}\n  - {name: P1, page: true}\n";
        let text = config(settings, SPEC);
        // Paging first, then the order written: tickets (written first) outranks chat.
        assert!(text.contains("inhibit_rules:\n- source_matchers:\n  - 'severity=\"tickets\"'\n  target_matchers:\n  - 'severity=~\"chat\"'\n"), "{text}");
        assert!(text.contains("    - receiver: tickets\n      matchers:\n      - 'severity=\"tickets\"'\n      group_interval: '4h'\n      repeat_interval: '1d'\n"), "{text}");
        assert!(text.starts_with("# Generated by slocc"), "{text}");
        assert!(
            text.contains("as written this configuration notifies no one"),
            "{text}"
        );
    }
}
