//! Narrowing a run to some services and SLOs (`--service`, `--slo`) and adding command-line
//! labels (`--label`) to the validated model, before anything is emitted.

use std::collections::BTreeMap;

use crate::model::Service;

/// Which services and SLOs a command works on; both lists empty means everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Selection {
    /// Service names.
    pub(crate) services: Vec<String>,
    /// SLO names, `name` (in any service) or `service/name`.
    pub(crate) slos: Vec<String>,
}

impl Selection {
    /// Whether nothing is narrowed.
    pub(crate) fn is_all(&self) -> bool {
        self.services.is_empty() && self.slos.is_empty()
    }

    /// The selected services, each with only its selected SLOs. A name that selects nothing is
    /// an error naming it (with the closest real name), never an empty run.
    pub(crate) fn apply(&self, services: &[Service]) -> Result<Vec<Service>, String> {
        let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
        for wanted in &self.services {
            if !names.contains(&wanted.as_str()) {
                return Err(unknown("service", wanted, &names));
            }
        }
        let slo_names: Vec<String> = services
            .iter()
            .flat_map(|s| {
                s.slos
                    .iter()
                    .map(move |slo| format!("{}/{}", s.name, slo.name))
            })
            .collect();
        for wanted in &self.slos {
            let found = slo_names
                .iter()
                .any(|full| full == wanted || full.rsplit('/').next() == Some(wanted.as_str()));
            if !found {
                let candidates: Vec<&str> = slo_names.iter().map(String::as_str).collect();
                return Err(unknown("SLO", wanted, &candidates));
            }
        }
        let mut selected = Vec::new();
        for service in services {
            if !self.services.is_empty() && !self.services.contains(&service.name) {
                continue;
            }
            let mut service = service.clone();
            if !self.slos.is_empty() {
                service.slos.retain(|slo| {
                    let full = format!("{}/{}", service.name, slo.name);
                    self.slos.iter().any(|w| *w == full || *w == slo.name)
                });
            }
            if !service.slos.is_empty() {
                selected.push(service);
            }
        }
        if selected.is_empty() {
            return Err("the `--service` and `--slo` selections have no SLO in common".into());
        }
        Ok(selected)
    }
}

fn unknown(what: &str, wanted: &str, candidates: &[&str]) -> String {
    let hint = crate::diag::did_you_mean(wanted, candidates)
        .map(|c| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default();
    format!("no {what} named `{wanted}` in the specs{hint}")
}

/// Adds `labels` to every series and alert of `services`. A label a spec already sets on the
/// service or one of its SLOs is an error rather than a silent override of what the spec says.
pub(crate) fn add_labels(
    services: &mut [Service],
    labels: &BTreeMap<String, String>,
) -> Result<(), String> {
    for service in services.iter_mut() {
        for (name, value) in labels {
            let spec_sets = service.labels.contains_key(name)
                || service.slos.iter().any(|slo| slo.labels.contains_key(name));
            if spec_sets {
                return Err(format!(
                    "`--label {name}={value}`: the service `{}` sets the label `{name}` in {}; \
                     remove one of the two",
                    service.name, service.source
                ));
            }
            service.labels.insert(name.clone(), value.clone());
        }
    }
    Ok(())
}

/// Checks a `--label` name: a valid Prometheus label name that slocc does not set itself.
pub(crate) fn check_label_name(name: &str) -> Result<(), String> {
    if !crate::vocab::promql::is_valid_label_name(name) {
        return Err(format!("`{name}` is not a valid label name"));
    }
    if crate::model::validate::RESERVED_LABELS.contains(&name) || name == "severity" {
        return Err(format!("`{name}` is a label slocc sets itself"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn services() -> Vec<Service> {
        let text = "apiVersion: slocc/v1\nservice: api\nslos:\n  - name: availability\n    objective: 99.9\n    sli:\n      raw:\n        error_ratio: sum(rate(e[{{window}}])) / sum(rate(t[{{window}}]))\n  - name: latency\n    objective: 99\n    sli:\n      raw:\n        error_ratio: sum(rate(s[{{window}}])) / sum(rate(t[{{window}}]))\n";
        let mut sources = crate::diag::Sources::default();
        sources.add("a.yaml", text);
        sources.add("b.yaml", text.replace("service: api", "service: web"));
        let checked = crate::model::check::check_sources(sources);
        assert!(!checked.failed(), "{:?}", checked.diagnostics);
        checked.services
    }

    fn names(selected: &[Service]) -> Vec<String> {
        selected
            .iter()
            .flat_map(|s| {
                s.slos
                    .iter()
                    .map(move |slo| format!("{}/{}", s.name, slo.name))
            })
            .collect()
    }

    #[test]
    fn selects_services_slos_and_both() {
        let all = services();
        let pick = |services: &[&str], slos: &[&str]| Selection {
            services: services.iter().map(|s| s.to_string()).collect(),
            slos: slos.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(names(&pick(&[], &[]).apply(&all).unwrap()).len(), 4);
        assert_eq!(
            names(&pick(&["web"], &[]).apply(&all).unwrap()),
            ["web/availability", "web/latency"]
        );
        assert_eq!(
            names(&pick(&[], &["latency"]).apply(&all).unwrap()),
            ["api/latency", "web/latency"]
        );
        assert_eq!(
            names(
                &pick(&["api"], &["web/latency", "availability"])
                    .apply(&all)
                    .unwrap()
            ),
            ["api/availability"]
        );
        assert_eq!(
            pick(&["webb"], &[]).apply(&all).unwrap_err(),
            "no service named `webb` in the specs (did you mean `web`?)"
        );
        assert!(pick(&[], &["nope"]).apply(&all).is_err());
        assert!(pick(&["api"], &["web/latency"]).apply(&all).is_err());
    }

    #[test]
    fn labels_are_added_but_never_override_the_spec() {
        let mut all = services();
        let labels = BTreeMap::from([("env".to_string(), "prod".to_string())]);
        add_labels(&mut all, &labels).unwrap();
        assert!(all.iter().all(|s| s.labels["env"] == "prod"));
        assert!(add_labels(&mut all, &labels)
            .unwrap_err()
            .contains("sets the label `env`"));
        assert!(check_label_name("slo_name").is_err());
        assert!(check_label_name("severity").is_err());
        assert!(check_label_name("1x").is_err());
        assert!(check_label_name("env").is_ok());
    }
}
