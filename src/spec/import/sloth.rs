//! Sloth specs: `version: prometheus/v1` files and the `PrometheusServiceLevel` Kubernetes CRD
//! (sloth.slok.dev/v1), read into the native spec stage with their original positions.

use crate::diag::{Diagnostics, Location};
use crate::spec::diags::{self, Unsupported};
use crate::spec::yaml::{location_of, Document, Fields, Mapping};
use crate::spec::{AlertingSpec, ServiceSpec, SliSpec, SloSpec, TierSpec};

/// Key spellings of the two Sloth forms (the CRD uses camelCase).
struct Keys {
    error_query: &'static str,
    total_query: &'static str,
    error_ratio_query: &'static str,
    page_alert: &'static str,
    ticket_alert: &'static str,
}

const FILE_KEYS: Keys = Keys {
    error_query: "error_query",
    total_query: "total_query",
    error_ratio_query: "error_ratio_query",
    page_alert: "page_alert",
    ticket_alert: "ticket_alert",
};

const CRD_KEYS: Keys = Keys {
    error_query: "errorQuery",
    total_query: "totalQuery",
    error_ratio_query: "errorRatioQuery",
    page_alert: "pageAlert",
    ticket_alert: "ticketAlert",
};

/// Sloth's plain spec files.
pub(crate) const FILE_FORMAT: super::Format = super::Format {
    describe: "Sloth `version: prometheus/v1`",
    detect: |h| h.api_version.is_none() && h.version == Some("prometheus/v1"),
    reader: super::Reader::Single(|doc, diags| Some(read_file(doc, diags))),
};

/// Sloth's Kubernetes resource.
pub(crate) const CRD_FORMAT: super::Format = super::Format {
    describe: "Sloth `apiVersion: sloth.slok.dev/v1` (`PrometheusServiceLevel`)",
    detect: |h| {
        h.api_version == Some("sloth.slok.dev/v1") && h.kind == Some("PrometheusServiceLevel")
    },
    reader: super::Reader::Single(read_crd),
};

/// Reads a `version: prometheus/v1` document.
fn read_file(doc: &Document, diags: &mut Diagnostics) -> ServiceSpec {
    let fields = Fields::new(&doc.root, doc.location, "the Sloth spec");
    fields.deny_unknown(
        &["version", "service", "labels", "slos", "slo_plugins"],
        diags,
    );
    plugins(&fields, "slo_plugins", diags);
    read_service(&fields, doc.location, &FILE_KEYS, diags)
}

/// Reads a `PrometheusServiceLevel` (sloth.slok.dev/v1) document.
fn read_crd(doc: &Document, diags: &mut Diagnostics) -> Option<ServiceSpec> {
    let fields = Fields::new(&doc.root, doc.location, "the PrometheusServiceLevel");
    fields.deny_unknown(&["apiVersion", "kind", "metadata", "spec"], diags);
    let (spec, location) = fields.required_mapping("spec", diags)?;
    let spec_fields = Fields::new(spec, location, "the PrometheusServiceLevel spec");
    spec_fields.deny_unknown(&["service", "labels", "slos", "sloPlugins"], diags);
    plugins(&spec_fields, "sloPlugins", diags);
    Some(read_service(&spec_fields, location, &CRD_KEYS, diags))
}

/// Sloth's SLO plugins run Go code slocc cannot run: refused at the line they are written.
fn plugins(fields: &Fields<'_>, key: &str, diags: &mut Diagnostics) {
    if fields.node(key).is_some() {
        diags.push(diags::unsupported(
            fields.key_location(key),
            Unsupported::SlothSloPlugins { key },
        ));
    }
}

fn read_service(
    fields: &Fields<'_>,
    location: Location,
    keys: &Keys,
    diags: &mut Diagnostics,
) -> ServiceSpec {
    let mut slos = Vec::new();
    if let Some((seq, _)) = fields.sequence("slos", diags) {
        for node in seq.iter() {
            let loc = location_of(node, location);
            match node.as_mapping() {
                Some(map) => slos.push(read_slo(map, loc, keys, diags)),
                None => diags.push(diags::wrong_type(loc, "each entry of `slos`", "a mapping")),
            }
        }
    }
    let service = fields.required_string("service", diags);
    ServiceSpec {
        labels: fields.string_map("labels", diags),
        adds_up: true,
        ..ServiceSpec::imported(service, slos, location)
    }
}

/// Folds Sloth documents of one service into the first of them, in input order, as Sloth
/// generates each document's SLOs on its own. Each SLO keeps its own document's labels: once
/// a service has several documents, the service labels move onto their SLOs (an SLO's own
/// label wins, as it does over service labels). A name used twice is then `duplicate-slo` at
/// the second SLO, which validation reports with the first's position.
pub(crate) fn merge_services(specs: Vec<ServiceSpec>) -> Vec<ServiceSpec> {
    let mut out: Vec<ServiceSpec> = Vec::with_capacity(specs.len());
    let mut first: std::collections::BTreeMap<String, usize> = Default::default();
    for mut spec in specs {
        let name = spec.service.as_ref().map(|s| s.value.clone());
        let Some(name) = name.filter(|_| spec.adds_up) else {
            out.push(spec);
            continue;
        };
        match first.get(&name) {
            Some(&at) => {
                labels_onto_slos(&mut out[at]);
                labels_onto_slos(&mut spec);
                out[at].slos.append(&mut spec.slos);
            }
            None => {
                first.insert(name, out.len());
                out.push(spec);
            }
        }
    }
    out
}

/// Moves a service's labels onto each of its SLOs that does not set the label itself.
fn labels_onto_slos(spec: &mut ServiceSpec) {
    let labels = std::mem::take(&mut spec.labels);
    for slo in &mut spec.slos {
        for (key, value) in &labels {
            if !slo.labels.iter().any(|(k, _)| k.value == key.value) {
                slo.labels.push((key.clone(), value.clone()));
            }
        }
    }
}

fn read_slo(map: &Mapping, location: Location, keys: &Keys, diags: &mut Diagnostics) -> SloSpec {
    let context = map.get_scalar("name").map_or_else(
        || "a Sloth SLO".to_string(),
        |n| format!("the Sloth SLO `{}`", n.as_str()),
    );
    let fields = Fields::new(map, location, &context);
    fields.deny_unknown(
        &[
            "name",
            "objective",
            "description",
            "labels",
            "sli",
            "alerting",
            "plugins",
        ],
        diags,
    );
    plugins(&fields, "plugins", diags);
    let sli = fields
        .required_mapping("sli", diags)
        .and_then(|(m, loc)| read_sli(m, loc, &context, keys, diags));
    let alerting = fields
        .required_mapping("alerting", diags)
        .map(|(m, loc)| read_alerting(m, loc, &context, keys, diags))
        .unwrap_or_default();
    SloSpec {
        name: fields.required_string("name", diags),
        description: fields.string("description", diags),
        objective: fields.required_string("objective", diags),
        // Sloth has no per-SLO window; its generator defaults to 30 days, as slocc does.
        window: None,
        labels: fields.string_map("labels", diags),
        sli,
        alerting,
        budgeting: None,
        calendar: None,
        previous_names: Vec::new(),
        runbook: Default::default(),
        mttr: None,
        location,
    }
}

/// A Sloth SLI: `events` (error and total queries) or `raw` (an error-ratio query); plugins
/// are reported at their line.
fn read_sli(
    map: &Mapping,
    loc: Location,
    context: &str,
    keys: &Keys,
    diags: &mut Diagnostics,
) -> Option<SliSpec> {
    let sli_context = format!("the SLI of {context}");
    let f = Fields::new(map, loc, &sli_context);
    f.deny_unknown(&["events", "raw", "plugin"], diags);
    if f.node("plugin").is_some() {
        diags.push(diags::unsupported(
            f.key_location("plugin"),
            Unsupported::SlothSliPlugin {
                context: &sli_context,
            },
        ));
        return None;
    }
    if let Some((events, eloc)) = f.mapping("events", diags) {
        let ef = Fields::new(events, eloc, &sli_context);
        ef.deny_unknown(&[keys.error_query, keys.total_query], diags);
        return Some(SliSpec::Ratio {
            errors: ef.required_string(keys.error_query, diags),
            good: None,
            total: ef.required_string(keys.total_query, diags),
            breakdown_by: None,
            location: eloc,
        });
    }
    if let Some((raw, rloc)) = f.mapping("raw", diags) {
        let rf = Fields::new(raw, rloc, &sli_context);
        rf.deny_unknown(&[keys.error_ratio_query], diags);
        return Some(SliSpec::Raw {
            error_ratio: rf.required_string(keys.error_ratio_query, diags),
        });
    }
    diags.push(diags::sli_kind(loc, &sli_context, &[], &["events", "raw"]));
    None
}

fn tier_enabled(tier: &TierSpec) -> bool {
    !tier.disable.as_ref().is_some_and(|d| d.value)
}

/// Reports the alerting's unknown keys. A spec file with the CRD's tier spellings works in
/// Sloth, which ignores keys it does not know: the tier settings under them never apply. They
/// are read the same way, with a warning.
fn deny_unknown_alerting(fields: &Fields<'_>, keys: &Keys, diags: &mut Diagnostics) {
    let ignored: &[(&str, &str)] = if keys.page_alert == FILE_KEYS.page_alert {
        &[
            (CRD_KEYS.page_alert, FILE_KEYS.page_alert),
            (CRD_KEYS.ticket_alert, FILE_KEYS.ticket_alert),
        ]
    } else {
        &[]
    };
    let mut known = vec![
        "name",
        "labels",
        "annotations",
        keys.page_alert,
        keys.ticket_alert,
    ];
    known.extend(ignored.iter().map(|(spelt, _)| *spelt));
    fields.deny_unknown(&known, diags);
    for (spelt, canonical) in ignored {
        if fields.node(spelt).is_some() {
            let at = fields.key_location(spelt);
            diags.push(diags::ignored_key(at, spelt, canonical, "Sloth"));
        }
    }
}

fn read_alerting(
    map: &Mapping,
    location: Location,
    context: &str,
    keys: &Keys,
    diags: &mut Diagnostics,
) -> AlertingSpec {
    let alerting_context = format!("the alerting of {context}");
    let fields = Fields::new(map, location, &alerting_context);
    deny_unknown_alerting(&fields, keys, diags);
    let tier = |key: &str, diags: &mut Diagnostics| -> TierSpec {
        let Some((m, loc)) = fields.mapping(key, diags) else {
            return TierSpec::default();
        };
        let tier_context = format!("`{key}` of {context}");
        let f = Fields::new(m, loc, &tier_context);
        f.deny_unknown(&["disable", "labels", "annotations"], diags);
        TierSpec {
            disable: f.bool("disable", diags),
            labels: f.string_map("labels", diags),
            annotations: f.string_map("annotations", diags),
            ..TierSpec::default()
        }
    };
    let page = tier(keys.page_alert, diags);
    let ticket = tier(keys.ticket_alert, diags);
    AlertingSpec {
        // Sloth requires the name when a tier alerts; it is the alert name of every tier.
        name: if tier_enabled(&page) || tier_enabled(&ticket) {
            fields.required_string("name", diags)
        } else {
            fields.string("name", diags)
        },
        labels: fields.string_map("labels", diags),
        annotations: fields.string_map("annotations", diags),
        page,
        ticket,
        ..AlertingSpec::default()
    }
}

#[cfg(test)]
mod tests {
    use crate::spec::import::codes_and_lines;
    use crate::spec::read::read_text;
    use crate::spec::SliSpec;

    const SPEC: &str = "version: prometheus/v1
service: api
labels: {team: core}
slos:
  - name: availability
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(e[{{.window}}]))
        total_query: sum(rate(t[{{.window}}]))
    alerting:
      name: ApiErrors
      page_alert: {labels: {tier: one}}
      ticket_alert: {disable: true}
";

    #[test]
    fn reads_events_labels_and_alerting_with_positions() {
        let (specs, diags) = read_text(SPEC);
        assert!(codes_and_lines(&diags).is_empty(), "{diags:?}");
        let slo = &specs[0].slos[0];
        assert_eq!(specs[0].service.as_ref().unwrap().value, "api");
        assert_eq!(slo.objective.as_ref().unwrap().value, "99.9");
        let Some(SliSpec::Ratio { errors, total, .. }) = &slo.sli else {
            panic!("{:?}", slo.sli)
        };
        assert_eq!(errors.as_ref().unwrap().value, "sum(rate(e[{{.window}}]))");
        assert_eq!(errors.as_ref().unwrap().location.line, 9);
        assert_eq!(total.as_ref().unwrap().location.line, 10);
        assert_eq!(slo.alerting.name.as_ref().unwrap().value, "ApiErrors");
        assert!(slo.alerting.ticket.disable.as_ref().unwrap().value);
    }

    #[test]
    fn plugins_and_unknown_keys_are_reported_at_their_line() {
        let text = SPEC
            .replace("      events:\n        error_query: sum(rate(e[{{.window}}]))\n        total_query: sum(rate(t[{{.window}}]))\n", "      plugin: {id: x}\n")
            .replace("objective: 99.9", "objective: 99.9\n    objectiv: 1");
        let (_, diags) = read_text(&text);
        assert_eq!(
            codes_and_lines(&diags),
            [
                ("unknown-key".to_string(), 7),
                ("unsupported-feature".to_string(), 9)
            ]
        );
    }
}
