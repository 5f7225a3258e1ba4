//! OpenSLO `openslo/v1`: SLOs with inline or referenced SLIs, alert policies and conditions,
//! resolved across every file of the run and grouped by service into the native spec stage.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::diag::{did_you_mean, Code, Diagnostic, Diagnostics, Location};
use crate::model::duration::Duration;
use crate::model::number::format_decimal;
use crate::spec::yaml::{location_of, Document, Fields, Mapping, Spanned};
use crate::spec::{AlertingSpec, ServiceSpec, SliSpec, SloSpec, TierSpec, WindowSpec};

mod alerts;
mod v1alpha;

use alerts::read_alert_policies;
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
            diags.push(
                Diagnostic::error(
                    Code::DuplicateObject,
                    Some(name.location),
                    format!(
                        "the {kind} `{}` is defined twice (first at line {})",
                        name.value, first.named_at.line
                    ),
                )
                .with_hint("OpenSLO objects of one kind need distinct `metadata.name`s")
                .with_label(first.named_at, "first defined here"),
            );
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
        let mut d = Diagnostic::error(
            Code::MissingField,
            Some(name.location),
            format!(
                "{from} references the {kind} `{}`, which no file defines",
                name.value
            ),
        );
        d = match did_you_mean(&name.value, &known) {
            Some(best) => d.with_hint(format!("did you mean `{best}`?")),
            None if known.is_empty() => d.with_hint(format!(
                "add an `apiVersion: openslo/v1`, `kind: {kind}` document named `{}`",
                name.value
            )),
            None => d.with_hint(format!(
                "defined {kind}s: {}",
                crate::spec::yaml::quote_list(&known)
            )),
        };
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
            vec![read_slo_v1alpha(&f, &name, &context, diags)]
        } else {
            read_slo(&f, &name, &context, &index, diags)
        };
        services
            .entry(service.value.clone())
            .or_insert_with(|| ServiceSpec {
                service: Some(service.clone()),
                owner: None,
                escalation: None,
                runbook_base_url: None,
                labels: Vec::new(),
                slos: Vec::new(),
                location: service.location,
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
        diags.push(
            Diagnostic::error(
                Code::UnknownApiVersion,
                Some(kind.location),
                format!("unknown OpenSLO kind `{}`", kind.value),
            )
            .with_hint(format!(
                "OpenSLO v1 kinds: {}",
                crate::spec::yaml::quote_list(KINDS)
            )),
        );
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
        (true, other) => diags.push(
            Diagnostic::error(
                Code::UnknownApiVersion,
                Some(kind.location),
                format!("OpenSLO v1alpha has no `{other}` kind"),
            )
            .with_hint("v1alpha defines `SLO` and `Service`; alert policies need `openslo/v1`"),
        ),
        (false, _) => index.insert(kind_name, name, spec, spec_loc, diags),
    }
}

fn metadata_name(f: &Fields<'_>, diags: &mut Diagnostics) -> Option<Spanned<String>> {
    let (meta, loc) = f.required_mapping("metadata", diags)?;
    let mf = Fields::new(meta, loc, "the metadata");
    mf.required_string("name", diags)
}

fn unsupported(location: Location, message: String, hint: &str) -> Diagnostic {
    Diagnostic::error(Code::UnsupportedFeature, Some(location), message).with_hint(hint)
}

/// Only `Occurrences` budgeting is honoured: burn-rate alerts are defined on event ratios.
fn check_budgeting(f: &Fields<'_>, context: &str, diags: &mut Diagnostics) {
    if let Some(method) = f.string("budgetingMethod", diags) {
        if method.value != "Occurrences" {
            diags.push(unsupported(
                method.location,
                format!(
                    "{context} budgets by `{}`; slocc budgets by occurrences (events)",
                    method.value
                ),
                "use `budgetingMethod: Occurrences`: burn-rate alerts are defined on event ratios",
            ));
        }
    }
}

/// The one objective of an SLO (slocc compiles one per SLO), with its position.
fn single_objective<'a>(
    f: &Fields<'a>,
    context: &str,
    diags: &mut Diagnostics,
) -> Option<(&'a Mapping, Location)> {
    let (seq, loc) = f.sequence("objectives", diags)?;
    if seq.len() != 1 {
        diags.push(unsupported(
            loc,
            format!(
                "{context} has {} objectives; slocc compiles one per SLO",
                seq.len()
            ),
            "split the SLO into one SLO per objective",
        ));
        return None;
    }
    let node = seq.iter().next()?;
    Some((node.as_mapping()?, location_of(node, loc)))
}

/// OpenSLO targets are ratios (0.999); slocc objectives are percentages (99.9).
fn target_percent(target: Spanned<String>) -> Spanned<String> {
    // Checked: a target of 1e28 is out of range (validation says so), not a panic.
    match Decimal::from_str_exact(target.value.trim())
        .ok()
        .and_then(|ratio| ratio.checked_mul(Decimal::ONE_HUNDRED))
    {
        Some(percent) => Spanned::new(format_decimal(percent), target.location),
        None => target,
    }
}

/// A query from a metric source of `kind`, which must be Prometheus; rated when it counts.
fn prometheus_query(
    kind: Option<Spanned<String>>,
    query: Spanned<String>,
    counter: bool,
    context: &str,
    diags: &mut Diagnostics,
) -> Option<Spanned<String>> {
    if let Some(kind) = kind {
        if !kind.value.eq_ignore_ascii_case("prometheus") {
            diags.push(unsupported(
                kind.location,
                format!(
                    "{context} reads from `{}`; slocc compiles Prometheus queries",
                    kind.value
                ),
                "use a Prometheus-compatible metric source",
            ));
            return None;
        }
    }
    if !counter || crate::model::promql::has_window_placeholder(&query.value) {
        return Some(query);
    }
    rate_of(&query, context, diags)
}

/// A v1 SLO: one SLO per objective (named `<slo>-<objective>` when there are several).
fn read_slo(
    f: &Fields<'_>,
    name: &Spanned<String>,
    context: &str,
    index: &Index<'_>,
    diags: &mut Diagnostics,
) -> Vec<SloSpec> {
    let window = read_window(f, context, diags);
    check_budgeting(f, context, diags);
    let objectives = read_objectives(f, context, diags);
    let sli = read_indicator(f, context, index, diags);
    // A window that does not parse, or is zero, is reported by validation; alert policies are
    // read against a usable window only.
    let windows = window
        .as_ref()
        .and_then(|w| Duration::parse(&w.value).ok())
        .filter(|w| !w.is_zero())
        .and_then(|w| read_alert_policies(f, context, w, index, diags));
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
        location: f.location(),
    };
    if objectives.is_empty() {
        // Reported already; the SLO still goes to validation for its other problems.
        return vec![slo];
    }
    objectives
        .into_iter()
        .map(|(suffix, objective)| {
            let mut one = slo.clone();
            if let Some(suffix) = suffix {
                one.name = Some(Spanned::new(
                    format!("{}-{suffix}", name.value),
                    name.location,
                ));
            }
            one.objective = Some(objective);
            one
        })
        .collect()
}

fn read_window(f: &Fields<'_>, context: &str, diags: &mut Diagnostics) -> Option<Spanned<String>> {
    let (seq, loc) = f.sequence("timeWindow", diags)?;
    let first = seq.iter().next()?;
    let wloc = location_of(first, loc);
    let map = first.as_mapping()?;
    let wf = Fields::new(map, wloc, context);
    wf.deny_unknown(&["duration", "isRolling", "calendar"], diags);
    if wf.node("calendar").is_some() || wf.bool("isRolling", diags).is_some_and(|r| !r.value) {
        diags.push(unsupported(
            wloc,
            format!("{context} uses a calendar window; slocc computes rolling windows"),
            "use `isRolling: true` with a `duration` such as `28d`",
        ));
        return None;
    }
    if seq.len() > 1 {
        diags.push(unsupported(
            wloc,
            format!("{context} lists several time windows"),
            "keep one rolling window per SLO",
        ));
    }
    wf.required_string("duration", diags)
}

/// Every objective of a v1 SLO: its target (as a percentage) and, when there are several, the
/// suffix that names the SLO compiled for it (the objective's `displayName`, or its position).
fn read_objectives(
    f: &Fields<'_>,
    context: &str,
    diags: &mut Diagnostics,
) -> Vec<(Option<String>, Spanned<String>)> {
    let Some((seq, loc)) = f.sequence("objectives", diags) else {
        return Vec::new();
    };
    if seq.is_empty() {
        diags.push(Diagnostic::error(
            Code::MissingField,
            Some(f.key_location("objectives")),
            format!("{context} lists no objectives"),
        ));
        return Vec::new();
    }
    let several = seq.len() > 1;
    let mut out = Vec::new();
    for (i, node) in seq.iter().enumerate() {
        let at = location_of(node, loc);
        let Some(map) = node.as_mapping() else {
            diags.push(not_a_mapping(
                at,
                "an objective",
                "`target: 0.999` and its fields",
            ));
            continue;
        };
        let Some(target) = read_objective(&Fields::new(map, at, context), context, diags) else {
            continue;
        };
        let suffix = several.then(|| {
            map.get_scalar("displayName")
                .map(|n| slug(n.as_str()))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| (i + 1).to_string())
        });
        out.push((suffix, target));
    }
    out
}

/// A list entry that must be a mapping but is not.
fn not_a_mapping(location: Location, what: &str, expected: &str) -> Diagnostic {
    Diagnostic::error(
        Code::WrongType,
        Some(location),
        format!("{what} must be a mapping"),
    )
    .with_hint(format!("write {expected}"))
}

/// `99.9% of requests` -> `99-9-of-requests`: a name part made of letters, digits and `-`.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// One objective's target; threshold, time-slice and composite objectives are reported.
fn read_objective(
    of: &Fields<'_>,
    context: &str,
    diags: &mut Diagnostics,
) -> Option<Spanned<String>> {
    of.deny_unknown(
        &[
            "displayName",
            "target",
            "targetPercent",
            "op",
            "value",
            "timeSliceTarget",
            "timeSliceWindow",
            "indicator",
            "indicatorRef",
            "compositeWeight",
        ],
        diags,
    );
    for key in ["op", "value", "timeSliceTarget", "timeSliceWindow"] {
        if of.node(key).is_some() {
            diags.push(unsupported(
                of.key_location(key),
                format!("{context} sets `{key}`, a threshold or time-slice objective"),
                "slocc compiles ratio objectives: give `target` only",
            ));
            return None;
        }
    }
    for key in ["indicator", "indicatorRef", "compositeWeight"] {
        if of.node(key).is_some() {
            diags.push(unsupported(
                of.key_location(key),
                format!("{context} gives an objective its own `{key}` (a composite SLO)"),
                "write one SLO per indicator, each with its own objectives",
            ));
            return None;
        }
    }
    if let Some(percent) = of.string("targetPercent", diags) {
        return Some(percent);
    }
    of.required_string("target", diags).map(target_percent)
}

/// A metric source's Prometheus query, rate-wrapped when `counter` says it counts.
fn metric_query(
    m: &Mapping,
    loc: Location,
    context: &str,
    counter: bool,
    diags: &mut Diagnostics,
) -> Option<Spanned<String>> {
    let f = Fields::new(m, loc, context);
    f.deny_unknown(&["metricSource"], diags);
    let (source, sloc) = f.required_mapping("metricSource", diags)?;
    let sf = Fields::new(source, sloc, context);
    sf.deny_unknown(&["metricSourceRef", "type", "spec"], diags);
    let kind = sf.string("type", diags);
    let (spec, qloc) = sf.required_mapping("spec", diags)?;
    let query = Fields::new(spec, qloc, context).required_string("query", diags)?;
    prometheus_query(kind, query, counter, context, diags)
}

/// `sum(http_requests_total{...})` with `counter: true` becomes `sum(rate(http_requests_total{...}[{{window}}]))`.
fn rate_of(
    query: &Spanned<String>,
    context: &str,
    diags: &mut Diagnostics,
) -> Option<Spanned<String>> {
    use promql_parser::parser::{Expr, LabelModifier};
    let wrap = |selector: &Expr| format!("rate({selector}[{{{{window}}}}])");
    let text = match promql_parser::parser::parse(query.value.trim()) {
        Ok(Expr::VectorSelector(v)) => format!("sum({})", wrap(&Expr::VectorSelector(v))),
        Ok(Expr::Aggregate(agg))
            if matches!(*agg.expr, Expr::VectorSelector(_)) && agg.param.is_none() =>
        {
            let grouping = match &agg.modifier {
                None => String::new(),
                Some(LabelModifier::Include(l)) => format!(" by ({}) ", l.labels.join(", ")),
                Some(LabelModifier::Exclude(l)) => format!(" without ({}) ", l.labels.join(", ")),
            };
            format!("{}{grouping}({})", agg.op, wrap(&agg.expr))
        }
        _ => {
            diags.push(
                Diagnostic::error(
                    Code::InvalidPromql,
                    Some(query.location),
                    format!("{context}: slocc cannot take the rate of `{}`", query.value.trim()),
                )
                .with_hint("give a counter selector (optionally inside one aggregation), or write the rate yourself with `[{{window}}]` and `counter: false`"),
            );
            return None;
        }
    };
    Some(Spanned::new(text, query.location))
}

fn read_indicator(
    f: &Fields<'_>,
    context: &str,
    index: &Index<'_>,
    diags: &mut Diagnostics,
) -> Option<SliSpec> {
    let (spec, loc) = if let Some(reference) = f.string("indicatorRef", diags) {
        let object = index.get("SLI", &reference, context, diags)?;
        (object.spec, object.location)
    } else {
        let (inline, iloc) = f.required_mapping("indicator", diags)?;
        let inf = Fields::new(inline, iloc, context);
        inf.deny_unknown(&["metadata", "spec"], diags);
        inf.required_mapping("spec", diags)?
    };
    read_sli_spec(spec, loc, &format!("the SLI of {context}"), diags)
}

/// An SLI object's `spec`: a ratio or raw metric.
fn read_sli_spec(
    spec: &Mapping,
    loc: Location,
    sli_context: &str,
    diags: &mut Diagnostics,
) -> Option<SliSpec> {
    let sf = Fields::new(spec, loc, sli_context);
    sf.deny_unknown(
        &["description", "thresholdMetric", "ratioMetric", "rawMetric"],
        diags,
    );
    if let Some((ratio, rloc)) = sf.mapping("ratioMetric", diags) {
        return Some(read_ratio_metric(ratio, rloc, sli_context, diags));
    }
    if let Some((raw, rloc)) = sf.mapping("rawMetric", diags) {
        // A raw metric is read as an error ratio, as slocc's `raw` SLI is.
        let error_ratio = metric_query(raw, rloc, sli_context, false, diags)?;
        return Some(SliSpec::Raw {
            error_ratio: Some(error_ratio),
        });
    }
    if sf.node("thresholdMetric").is_some() {
        diags.push(unsupported(
            sf.key_location("thresholdMetric"),
            format!("{sli_context} is a threshold metric"),
            "express it as a `ratioMetric` of good and total events",
        ));
        return None;
    }
    diags.push(Diagnostic::error(
        Code::SliKind,
        Some(loc),
        format!("{sli_context} has no `ratioMetric` or `rawMetric`"),
    ));
    None
}

/// A v1 `ratioMetric`: good or bad events and the total, each a Prometheus query.
fn read_ratio_metric(
    ratio: &Mapping,
    location: Location,
    sli_context: &str,
    diags: &mut Diagnostics,
) -> SliSpec {
    let rf = Fields::new(ratio, location, sli_context);
    rf.deny_unknown(
        &["counter", "good", "bad", "total", "rawType", "raw"],
        diags,
    );
    let counter = rf.bool("counter", diags).is_some_and(|c| c.value);
    let side = |key: &str, diags: &mut Diagnostics| {
        rf.mapping(key, diags).and_then(|(m, l)| {
            metric_query(m, l, &format!("`{key}` of {sli_context}"), counter, diags)
        })
    };
    ratio_of_sides(side, location, diags)
}

/// An OpenSLO ratio (either version): its `good`, `bad` and `total` sides, each read by `side`.
fn ratio_of_sides(
    side: impl Fn(&str, &mut Diagnostics) -> Option<Spanned<String>>,
    location: Location,
    diags: &mut Diagnostics,
) -> SliSpec {
    let good = side("good", diags);
    let bad = side("bad", diags);
    let total = side("total", diags);
    SliSpec::Ratio {
        errors: bad,
        good,
        total,
        breakdown_by: None,
        location,
    }
}

#[cfg(test)]
mod tests;
