//! Alertmanager configuration for the generated alerts: a route per severity class (grouped by
//! service and SLO, repeated at the class's interval) and inhibit rules so that one incident
//! notifies once: a firing page silences the same SLO's tickets, and a faster tier silences
//! the slower tiers of its class. Written whole (`alertmanager.yml`, which `amtool
//! check-config` accepts) and as the part to merge into an existing configuration.

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
}

/// The part to merge: a route for slocc's alerts, and its inhibit rules.
#[derive(Serialize)]
struct Part {
    route: Route,
    inhibit_rules: Vec<Inhibit>,
}

/// A whole configuration.
#[derive(Serialize)]
struct Config {
    route: Route,
    inhibit_rules: Vec<Inhibit>,
    receivers: Vec<Receiver>,
}

/// The classes the alerts of `services` carry, each once (named as the alerts' `severity`
/// label says, which `--compat pyrra` changes): paging classes first, then in the order they
/// first appear.
fn classes(services: &[Service]) -> Vec<SeverityClass> {
    let mut out: Vec<SeverityClass> = Vec::new();
    for service in services {
        // The no-data alert's class too, where slocc's own alert layout carries one.
        let own_layout = service.compat.is_none();
        for class in service.slos.iter().flat_map(|s| {
            let mut classes = s.classes();
            classes.extend(s.no_data.as_ref().filter(|_| own_layout).map(|n| &n.class));
            classes
        }) {
            let name = crate::emit::compat::severity(service.compat, class);
            if !out.iter().any(|c| c.name == name) {
                out.push(SeverityClass {
                    name,
                    ..class.clone()
                });
            }
        }
    }
    out.sort_by_key(|c| !c.page);
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

/// Routes of the services whose specs name their own receiver for `class`, one per receiver.
fn team_routes(services: &[Service], class: &SeverityClass) -> Vec<Route> {
    let mut by_receiver: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for service in services {
        if let Some(receiver) = service.receivers.get(&class.name) {
            by_receiver.entry(receiver).or_default().push(&service.name);
        }
    }
    by_receiver
        .into_iter()
        .map(|(receiver, names)| Route {
            receiver: Some(receiver.to_string()),
            matchers: vec![matcher(SLO_LABELS[0], "=~", &any_of(&names))],
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
        group_interval: Some("5m".into()),
        repeat_interval: None,
        routes: classes
            .iter()
            .map(|c| Route {
                receiver: Some(c.receiver.clone()),
                matchers: vec![matcher("severity", "=", &c.name)],
                group_by: Vec::new(),
                group_wait: None,
                group_interval: None,
                repeat_interval: Some(c.repeat_interval.to_string()),
                routes: team_routes(services, c),
            })
            .collect(),
    }
}

/// A page silences the tickets of its SLO; within a class, each tier silences the tiers of
/// the same SLO with longer windows (one rule per pair of long windows that occur together).
fn inhibit_rules(services: &[Service], classes: &[SeverityClass]) -> Vec<Inhibit> {
    let equal: Vec<String> = SLO_LABELS.iter().map(|l| l.to_string()).collect();
    let mut rules = Vec::new();
    let pages: Vec<&str> = classes
        .iter()
        .filter(|c| c.page)
        .map(|c| c.name.as_str())
        .collect();
    let tickets: Vec<&str> = classes
        .iter()
        .filter(|c| !c.page)
        .map(|c| c.name.as_str())
        .collect();
    if !pages.is_empty() && !tickets.is_empty() {
        rules.push(Inhibit {
            source_matchers: vec![matcher("severity", "=~", &any_of(&pages))],
            target_matchers: vec![matcher("severity", "=~", &any_of(&tickets))],
            equal: equal.clone(),
        });
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

const HEADER: &str = "# Generated by slocc from the specs' severity classes. Do not edit: change the settings and run `slocc compile`.\n";

/// The two files: the complete configuration and the part to merge. `None` when no alert
/// carries a class (no tiers at all).
pub(crate) fn render(services: &[Service]) -> Option<[(&'static str, String); 2]> {
    let classes = classes(services);
    let root_receiver = classes.iter().find(|c| !c.page).or(classes.first())?;
    let own = services.iter().flat_map(|s| s.receivers.values());
    let receivers: BTreeSet<&str> = classes
        .iter()
        .map(|c| c.receiver.as_str())
        .chain(own.map(String::as_str))
        .collect();
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
        receivers: receivers
            .into_iter()
            .map(|name| Receiver { name: name.into() })
            .collect(),
    };
    let part = Part {
        route: route(services, &classes),
        inhibit_rules: inhibit_rules(services, &classes),
    };
    Some([
        (CONFIG_PATH, format!("{HEADER}{}", to_yaml(&config))),
        (
            ROUTES_PATH,
            format!("{HEADER}# Put `route` under your configuration's `route.routes` and append `inhibit_rules` to yours; every receiver named here must exist.\n{}", to_yaml(&part)),
        ),
    ])
}

fn to_yaml<T: Serialize>(value: &T) -> String {
    crate::output::yaml::to_string(value).expect("routes are plain data, which always serialize")
}
