//! OpenSLO `openslo/v1`: SLOs with inline or referenced SLIs, alert policies and conditions,
//! resolved across every file of the run and grouped by service into the native spec stage.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::spec::diags::{self, Unsupported};
use crate::spec::yaml::{location_of, Document, Fields, Mapping, Spanned};
use crate::spec::{
    AlertingSpec, BudgetingSpec, ServiceSpec, SliSpec, SloSpec, TierSpec, WindowSpec,
};
use crate::vocab::duration::Duration;
use crate::vocab::number::format_decimal;

mod alerts;
mod calendar;
mod indicator;
mod objectives;
mod v1alpha;

use alerts::read_alert_policies;
use indicator::{prometheus_query, ratio_of_sides, read_indicator, read_sli_spec};
use objectives::{objective_mappings, read_objectives, target_percent};
use v1alpha::read_slo_v1alpha;

/// The object kinds of OpenSLO v1.
const KINDS: &[&str] = &[
    "SLO",
    "SLI",
    "Service",
    "AlertPolicy",
    "AlertCondition",
    "AlertNotificationTarget",
    "DataSource",
];

/// A named object: its spec mapping and where it is.
struct Object<'a> {
    spec: &'a Mapping,
    location: Location,
    /// Where its `metadata.name` is.
    named_at: Location,
}

/// Objects by kind and name, and which of them something referenced.
#[derive(Default)]
struct Index<'a> {
    objects: BTreeMap<(&'static str, String), Object<'a>>,
    used: std::cell::RefCell<std::collections::BTreeSet<(&'static str, String)>>,
}

impl<'a> Index<'a> {
    /// Indexes an object; a second one of the same kind and name is reported.
    fn insert(
        &mut self,
        kind: &'static str,
        name: Spanned<String>,
        spec: &'a Mapping,
        location: Location,
        diags: &mut Diagnostics,
    ) {
        let key = (kind, name.value.clone());
        if let Some(first) = self.objects.get(&key) {
            diags.push(diags::duplicate_object(
                name.location,
                kind,
                &name.value,
                first.named_at,
            ));
            return;
        }
        let named_at = name.location;
        self.objects.insert(
            key,
            Object {
                spec,
                location,
                named_at,
            },
        );
    }

    fn get(
        &self,
        kind: &'static str,
        name: &Spanned<String>,
        from: &str,
        diags: &mut Diagnostics,
    ) -> Option<&Object<'a>> {
        if let Some(o) = self.objects.get(&(kind, name.value.clone())) {
            self.used.borrow_mut().insert((kind, name.value.clone()));
            return Some(o);
        }
        let known: Vec<&str> = self
            .objects
            .keys()
            .filter(|(k, _)| *k == kind)
            .map(|(_, n)| n.as_str())
            .collect();
        let d = diags::unresolved_reference(name.location, from, kind, &name.value, &known);
        diags.push(d);
        None
    }
}

/// OpenSLO documents: objects that refer to each other by name, across files.
pub(crate) const FORMAT: super::Format = super::Format {
    describe: "OpenSLO `apiVersion: openslo/v1` and `openslo/v1alpha`",
    detect: |h| matches!(h.api_version, Some("openslo/v1" | "openslo/v1alpha")),
    reader: super::Reader::Together(resolve),
};

fn is_v1alpha(doc: &Document) -> bool {
    doc.root
        .get_scalar("apiVersion")
        .is_some_and(|v| v.as_str() == "openslo/v1alpha")
}

/// An SLO document waiting for every other object to be indexed: its name, its `spec`, and
/// whether it is v1alpha.
type PendingSlo<'a> = (Spanned<String>, &'a Mapping, Location, bool);

/// Resolves every OpenSLO document of the run into services: objects are indexed first, so an
/// SLO may refer to an object in any file.
fn resolve(docs: &[Document], diags: &mut Diagnostics) -> Vec<ServiceSpec> {
    let mut index = Index::default();
    let mut slos = Vec::new();
    for doc in docs {
        index_document(doc, &mut index, &mut slos, diags);
    }
    // v1 SLOs first, then v1alpha ones, as before the two were read in one pass.
    slos.sort_by_key(|s| s.3);
    let mut services: BTreeMap<String, ServiceSpec> = BTreeMap::new();
    for (name, spec, location, alpha) in slos {
        let context = format!("the OpenSLO SLO `{}`", name.value);
        let f = Fields::new(spec, location, &context);
        f.deny_unknown(if alpha { ALPHA_SLO_KEYS } else { SLO_KEYS }, diags);
        let Some(service) = f.required_string("service", diags) else {
            continue;
        };
        let slos = if alpha {
            read_slo_v1alpha(&f, &name, &context, diags)
        } else {
            read_slo(&f, &name, &context, &index, diags)
        };
        services
            .entry(service.value.clone())
            .or_insert_with(|| {
                ServiceSpec::imported(Some(service.clone()), Vec::new(), service.location)
            })
            .slos
            .extend(slos);
    }
    check_unreferenced(&index, diags);
    services.into_values().collect()
}

/// Objects no SLO refers to are read all the same, as `oslo validate` does, so that a broken
/// SLI or policy waiting for its first user is reported now.
fn check_unreferenced(index: &Index<'_>, diags: &mut Diagnostics) {
    let thirty_days = Duration::from_secs(30 * 86_400);
    // Policies before conditions: a condition a policy refers to is read through the policy.
    let order = ["SLI", "AlertPolicy", "AlertCondition"];
    let mut objects: Vec<_> = index.objects.iter().collect();
    objects.sort_by_key(|((kind, name), _)| (order.iter().position(|k| k == kind), name.clone()));
    for ((kind, name), object) in objects {
        if index.used.borrow().contains(&(*kind, name.clone())) {
            continue;
        }
        let context = format!("the {kind} `{name}`");
        match *kind {
            "SLI" => {
                read_sli_spec(object.spec, object.location, &context, diags);
            }
            "AlertPolicy" => {
                alerts::check_policy(object.spec, object.location, thirty_days, index, diags)
            }
            "AlertCondition" => {
                alerts::check_condition(object.spec, object.location, thirty_days, diags)
            }
            _ => {}
        }
    }
}

const SLO_KEYS: &[&str] = &[
    "description",
    "service",
    "indicator",
    "indicatorRef",
    "timeWindow",
    "budgetingMethod",
    "objectives",
    "alertPolicies",
];
const ALPHA_SLO_KEYS: &[&str] = &[
    "description",
    "service",
    "indicator",
    "timeWindows",
    "budgetingMethod",
    "objectives",
];

/// Reads one document's kind and name: an SLO waits in `slos`, any other object is indexed.
fn index_document<'a>(
    doc: &'a Document,
    index: &mut Index<'a>,
    slos: &mut Vec<PendingSlo<'a>>,
    diags: &mut Diagnostics,
) {
    let f = Fields::new(&doc.root, doc.location, "the OpenSLO document");
    f.deny_unknown(&["apiVersion", "kind", "metadata", "spec"], diags);
    let Some(kind) = f.required_string("kind", diags) else {
        return;
    };
    let Some(&kind_name) = KINDS.iter().find(|k| **k == kind.value) else {
        diags.push(diags::unknown_kind(kind.location, "v1", &kind.value, KINDS));
        return;
    };
    let Some(name) = metadata_name(&f, diags) else {
        return;
    };
    // A Service is fully described by its metadata; every other kind needs a `spec`.
    if kind_name == "Service" && f.node("spec").is_none() {
        return;
    }
    let Some((spec, spec_loc)) = f.required_mapping("spec", diags) else {
        return;
    };
    let alpha = is_v1alpha(doc);
    match (alpha, kind_name) {
        (_, "SLO") => slos.push((name, spec, spec_loc, alpha)),
        (true, "Service") => {}
        (true, other) => diags.push(diags::unknown_kind(
            kind.location,
            "v1alpha",
            other,
            &["SLO", "Service"],
        )),
        (false, _) => index.insert(kind_name, name, spec, spec_loc, diags),
    }
}

fn metadata_name(f: &Fields<'_>, diags: &mut Diagnostics) -> Option<Spanned<String>> {
    let (meta, loc) = f.required_mapping("metadata", diags)?;
    let mf = Fields::new(meta, loc, "the metadata");
    mf.required_string("name", diags)
}

/// The budgeting method as slocc spells it: `None` for `Occurrences` (the default), the
/// method for `Timeslices` and `RatioTimeslices`; anything else is reported.
fn check_budgeting(f: &Fields<'_>, diags: &mut Diagnostics) -> Option<Spanned<String>> {
    let method = f.string("budgetingMethod", diags)?;
    let ours = match method.value.as_str() {
        "Occurrences" => return None,
        "Timeslices" => "timeslices",
        "RatioTimeslices" => "ratio_timeslices",
        other => {
            diags.push(diags::unknown_value(
                method.location,
                "`budgetingMethod`",
                other,
                &["Occurrences", "Timeslices", "RatioTimeslices"],
            ));
            return None;
        }
    };
    Some(Spanned::new(ours.to_string(), method.location))
}

/// A v1 SLO: one SLO per objective (named `<slo>-<objective>` when there are several).
fn read_slo(
    f: &Fields<'_>,
    name: &Spanned<String>,
    context: &str,
    index: &Index<'_>,
    diags: &mut Diagnostics,
) -> Vec<SloSpec> {
    let WindowRead {
        window,
        calendar,
        nominal,
    } = read_window(f, context, diags);
    let method = check_budgeting(f, diags);
    let objectives = read_objectives(f, context, method.as_ref(), diags);
    let sli = read_indicator(f, context, index, diags);
    // A window that does not parse, or is zero, is reported by validation; alert policies are
    // read against a usable window only.
    let windows = nominal.and_then(|w| read_alert_policies(f, context, w, index, diags));
    let (windows, page_for, ticket_for) = windows.unwrap_or_default();
    let slo = SloSpec {
        name: Some(name.clone()),
        description: f.string("description", diags),
        objective: None,
        window,
        labels: Vec::new(),
        sli,
        alerting: AlertingSpec {
            page: TierSpec {
                for_duration: page_for,
                ..TierSpec::default()
            },
            ticket: TierSpec {
                for_duration: ticket_for,
                ..TierSpec::default()
            },
            windows,
            ..AlertingSpec::default()
        },
        budgeting: None,
        calendar,
        previous_names: Vec::new(),
        runbook: Default::default(),
        mttr: None,
        location: f.location(),
    };
    if objectives.is_empty() {
        // Reported already; the SLO still goes to validation for its other problems.
        return vec![slo];
    }
    objectives
        .into_iter()
        .map(|objective| for_objective(&slo, name, objective, context, diags))
        .collect()
}

/// The SLO compiled for one objective: its target, slices and bound, named after it when the
/// SLO has several.
fn for_objective(
    slo: &SloSpec,
    name: &Spanned<String>,
    objective: objectives::Objective,
    context: &str,
    diags: &mut Diagnostics,
) -> SloSpec {
    let mut one = slo.clone();
    one.budgeting = objective.budgeting;
    bound(
        &mut one,
        objective.bound,
        objective.location,
        context,
        diags,
    );
    if let Some(suffix) = objective.suffix {
        one.name = Some(Spanned::new(
            format!("{}-{suffix}", name.value),
            name.location,
        ));
    }
    one.objective = Some(objective.target);
    one
}

/// A threshold SLI takes its bound (`op`, `value`) from the objective; a bound on any other SLI
/// would be ignored, so it is refused.
fn bound(
    slo: &mut SloSpec,
    (op, value): (Option<Spanned<String>>, Option<Spanned<String>>),
    at: Location,
    context: &str,
    diags: &mut Diagnostics,
) {
    match &mut slo.sli {
        Some(SliSpec::Threshold {
            op: o, value: v, ..
        }) => {
            if op.is_none() || value.is_none() {
                diags.push(diags::missing_field(
                    at,
                    &format!("an objective of {context}, which reads a threshold metric,"),
                    &["op", "value"],
                ));
            }
            (*o, *v) = (op, value);
        }
        _ => {
            let keys = match (&op, &value) {
                (Some(_), Some(_)) => "`op` and `value`",
                (Some(_), None) => "`op`",
                _ => "`value`",
            };
            if let Some(found) = op.or(value) {
                diags.push(diags::ignored_threshold(found.location, context, keys));
            }
        }
    }
}

/// The SLO's time window: a rolling duration, or a calendar period (with its nominal length,
/// which alert policies are read against).
fn read_window(f: &Fields<'_>, context: &str, diags: &mut Diagnostics) -> WindowRead {
    let Some((seq, loc)) = f.sequence("timeWindow", diags) else {
        return WindowRead::default();
    };
    let Some((map, wloc)) = first_window(
        seq,
        loc,
        ("timeWindow", context),
        "`duration: 28d` and `isRolling: true`",
        diags,
    ) else {
        return WindowRead::default();
    };
    let wf = Fields::new(map, wloc, context);
    wf.deny_unknown(&["duration", "isRolling", "calendar"], diags);
    if seq.len() > 1 {
        diags.push(diags::unsupported(
            wloc,
            Unsupported::SeveralWindows { context },
        ));
    }
    let duration = wf.required_string("duration", diags);
    let rolling =
        wf.bool("isRolling", diags).is_none_or(|r| r.value) && wf.node("calendar").is_none();
    let Some(duration) = duration else {
        return WindowRead::default();
    };
    if rolling {
        return rolling_window(duration, context, diags);
    }
    calendar::read(&wf, duration, context, diags)
}

/// What a time window gives the SLO.
#[derive(Default)]
struct WindowRead {
    window: Option<Spanned<String>>,
    calendar: Option<crate::spec::CalendarSpec>,
    nominal: Option<Duration>,
}

/// A rolling window; OpenSLO's `M`, `Q` and `Y` have no fixed length, so they are refused.
fn rolling_window(duration: Spanned<String>, context: &str, diags: &mut Diagnostics) -> WindowRead {
    if duration.value.trim().ends_with(['M', 'Q', 'Y']) {
        diags.push(diags::unsupported(
            duration.location,
            Unsupported::RollingCalendar {
                context,
                length: &duration.value,
            },
        ));
        return WindowRead::default();
    }
    WindowRead {
        nominal: Duration::parse(&duration.value)
            .ok()
            .filter(|w| !w.is_zero()),
        window: Some(duration),
        calendar: None,
    }
}

/// The first entry of a `timeWindow(s)` list (`list`: its key and the SLO's context) as a
/// mapping; an empty list or an entry that is not a mapping is reported (the SLO would
/// otherwise get the default window without a word).
fn first_window<'a>(
    seq: &'a crate::spec::yaml::Sequence,
    at: Location,
    list: (&str, &str),
    expected: &str,
    diags: &mut Diagnostics,
) -> Option<(&'a Mapping, Location)> {
    let Some(first) = seq.iter().next() else {
        diags.push(diags::empty_list(at, list.0, list.1));
        return None;
    };
    let wloc = location_of(first, at);
    let Some(map) = first.as_mapping() else {
        diags.push(not_a_mapping(wloc, "a time window", expected));
        return None;
    };
    Some((map, wloc))
}

fn not_a_mapping(location: Location, what: &str, expected: &str) -> Diagnostic {
    diags::wrong_type(location, what, &format!("a mapping ({expected})"))
}

#[cfg(test)]
pub(crate) mod tests;
