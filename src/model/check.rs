//! Judging a run: the specs read from every file, the settings validated first (every service
//! depends on them), then every service, in parallel. The value every command starts from.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::diag::{Diagnostics, Location, Sources};
use crate::model::validate::{validate_service, validate_settings};
use crate::model::{Compat, QueryLanguage, Service, Settings};
use crate::spec::ServiceSpec;

/// Everything read and judged in one run: the value every command starts from, so that nothing
/// is read or parsed twice.
#[derive(Debug, Default)]
pub struct Checked {
    /// The files read.
    pub(crate) sources: Sources,
    /// Every diagnostic.
    pub(crate) diagnostics: Diagnostics,
    /// Every spec read, in the native spec stage with its positions, in file order (documents
    /// of formats read together, such as OpenSLO, after the others).
    pub(crate) specs: Vec<ServiceSpec>,
    /// Every settings document read (`kind: Settings`, Sloth's `AlertWindows`), in file order.
    pub(crate) settings: Vec<crate::spec::settings::SettingsSpec>,
    /// Services that validated (all of them when there are no errors).
    pub services: Vec<Service>,
}

impl Checked {
    /// Whether the run found errors.
    pub fn failed(&self) -> bool {
        self.diagnostics.has_errors()
    }
}

/// What the command line decides over the settings.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Overrides {
    /// `--compat`: a peer's layout for every service.
    pub(crate) compat: Option<Compat>,
    /// The query language of the engine `compile --target` compiles for.
    pub(crate) query_language: Option<QueryLanguage>,
}

/// Validates specs already read (for example from a git revision), named as they should be
/// shown in diagnostics and headers. Files are read in parallel, then the settings are
/// validated (every service depends on them), then the services, in parallel again.
pub(crate) fn check_sources(sources: Sources) -> Checked {
    check_sources_with(sources, Overrides::default())
}

/// [`check_sources`] with the command line's choices over the settings'.
pub(crate) fn check_sources_with(sources: Sources, overrides: Overrides) -> Checked {
    let compat = overrides.compat;
    let read = crate::spec::read::read_sources(&sources);
    let mut checked = Checked {
        sources,
        diagnostics: read.diagnostics,
        specs: read.specs,
        settings: read.settings,
        services: Vec::new(),
    };
    let mut settings = validate_settings(&checked.settings, &mut checked.diagnostics);
    settings.compat = compat.or(settings.compat);
    settings.compat_forced = compat.is_some();
    settings.today = crate::vocab::timezone::today();
    if let Some(language) = overrides.query_language {
        settings.query_language = language;
    }
    validate_all(&mut checked, &settings);
    checked.diagnostics.focus(&checked.sources);
    check_duplicate_services(&mut checked);
    check_unused_receivers(&mut checked, &settings);
    checked
}

/// A receiver the settings declare that neither a class nor any spec sends alerts to.
fn check_unused_receivers(checked: &mut Checked, settings: &Settings) {
    let used: std::collections::BTreeSet<&str> = settings
        .classes
        .iter()
        .map(|c| c.receiver.as_str())
        .chain(
            checked
                .specs
                .iter()
                .flat_map(|s| s.receivers.iter().map(|(_, r)| r.value.as_str())),
        )
        .collect();
    let used_list: Vec<&str> = used.iter().copied().collect();
    for (name, delivery) in settings.deliveries.iter() {
        if !used.contains(name.as_str()) {
            let diagnostic =
                crate::model::diags::unused_receiver(delivery.location, name, &used_list);
            checked.diagnostics.push(diagnostic);
        }
    }
}

/// Validates every spec read, each on whichever core is free, merged in spec order.
fn validate_all(checked: &mut Checked, settings: &Settings) {
    let sources = &checked.sources;
    let validated: Vec<(Diagnostics, Option<Service>)> = checked
        .specs
        .par_iter()
        .map(|spec| {
            let mut diags = Diagnostics::default();
            let source = source_names(sources, spec);
            let service = validate_service(spec, &source, settings, &mut diags);
            (diags, service)
        })
        .collect();
    for (diags, service) in validated {
        checked.diagnostics.extend(diags);
        checked.services.extend(service);
    }
}

/// The files a service is written in, in input order: one, unless its format lets documents
/// of several files add up to one service (Sloth, OpenSLO).
fn source_names(sources: &Sources, spec: &crate::spec::ServiceSpec) -> String {
    let mut ids: Vec<usize> = std::iter::once(spec.location.source)
        .chain(spec.slos.iter().map(|s| s.location.source))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let names: Vec<&str> = ids.iter().map(|id| sources.name(*id)).collect();
    names.join(", ")
}

/// Two files declaring one service would write one output file twice: report every repeat.
fn check_duplicate_services(checked: &mut Checked) {
    let seen: Vec<(String, Location)> = checked
        .specs
        .iter()
        .filter_map(|s| s.service.as_ref())
        .map(|n| (n.value.clone(), n.location))
        .collect();
    let mut first: BTreeMap<&str, Location> = BTreeMap::new();
    for (name, location) in &seen {
        match first.get(name.as_str()) {
            Some(original) => {
                let file = checked
                    .sources
                    .get(original.source)
                    .map_or(String::new(), |f| f.name.clone());
                checked
                    .diagnostics
                    .push(crate::model::diags::duplicate_service(
                        *location, name, &file, *original,
                    ));
            }
            None => {
                first.insert(name, *location);
            }
        }
    }
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for (name, _) in &seen {
        *count.entry(name).or_default() += 1;
    }
    checked
        .services
        .retain(|s| count.get(s.name.as_str()).is_none_or(|n| *n == 1));
}

/// The one service of spec `text` (file `name`), which must validate: what the emitters'
/// tests start from.
#[cfg(test)]
pub(crate) fn valid_service(name: &str, text: String) -> crate::model::Service {
    let mut sources = Sources::default();
    sources.add(name, text);
    let checked = check_sources(sources);
    assert!(!checked.failed(), "{:?}", checked.diagnostics);
    checked.services.into_iter().next().unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::import::openslo::tests::OBJECTS;

    fn check(text: &str) -> Checked {
        let mut sources = Sources::default();
        sources.add("slo.yaml", text);
        check_sources(sources)
    }

    #[test]
    fn a_huge_openslo_target_is_out_of_range_not_a_panic() {
        let huge = OBJECTS.replace("target: 0.999", "target: 10000000000000000000000000000");
        let checked = check(&huge);
        assert!(checked.services.is_empty());
        assert_eq!(
            crate::spec::import::codes_and_lines(&checked.diagnostics),
            [("objective-out-of-range".to_string(), 18)]
        );
    }

    #[test]
    fn openslo_time_slice_objectives_become_time_slice_budgeting() {
        let text = crate::spec::import::openslo::tests::time_sliced();
        let settings =
            "apiVersion: slocc/v1\nkind: Settings\nrunbook_base_url: https://r.example.com\n---\n";
        let checked = check(&format!("{settings}{text}"));
        assert!(!checked.failed(), "{:?}", checked.diagnostics);
        assert_eq!(
            checked.services[0].slos[0].budgeting,
            crate::model::Budgeting::Timeslices {
                slice: crate::vocab::duration::Duration::from_secs(60),
                target: rust_decimal::Decimal::new(95, 2),
            }
        );
    }
}
