//! OpenSLO v1alpha SLOs: `timeWindows` counted in units and `ratioMetrics`.

use super::*;

/// `openslo/v1alpha`: objectives with `ratioMetrics` each (`incremental` marks counters), the
/// window as `unit` and `count`, and no alert policies (slocc's default policy applies). One
/// SLO per objective; with several, named `<slo>-<i>` counting from 0, as Sloth (the peer that
/// reads v1alpha) names them, so its series keep their `sloth_slo` values.
pub(super) fn read_slo_v1alpha(
    f: &Fields<'_>,
    name: &Spanned<String>,
    context: &str,
    diags: &mut Diagnostics,
) -> Vec<SloSpec> {
    if let Some(method) = check_budgeting(f, diags) {
        diags.push(diags::unsupported(
            method.location,
            Unsupported::AlphaTimeslices { context },
        ));
    }
    let slo = SloSpec {
        name: Some(name.clone()),
        description: f.string("description", diags),
        objective: None,
        window: read_window_v1alpha(f, context, diags),
        labels: Vec::new(),
        sli: None,
        alerting: AlertingSpec::default(),
        budgeting: None,
        calendar: None,
        previous_names: Vec::new(),
        runbook: Default::default(),
        mttr: None,
        location: f.location(),
    };
    let objectives = objective_mappings(f, context, diags);
    if objectives.is_empty() {
        // Reported already; the SLO still goes to validation for its other problems.
        return vec![slo];
    }
    let several = objectives.len() > 1;
    let mut out = Vec::new();
    for (i, (map, at)) in objectives.into_iter().enumerate() {
        let of = Fields::new(map, at, context);
        of.deny_unknown(
            &["displayName", "target", "value", "op", "ratioMetrics"],
            diags,
        );
        let mut one = slo.clone();
        one.objective = of.required_string("target", diags).map(target_percent);
        one.sli = of
            .required_mapping("ratioMetrics", diags)
            .and_then(|(m, rloc)| read_ratio_metrics_v1alpha(m, rloc, context, diags));
        if several {
            one.name = Some(Spanned::new(format!("{}-{i}", name.value), name.location));
        }
        out.push(one);
    }
    out
}

/// A v1alpha `timeWindows` entry (`unit` and `count`) as a duration; calendar windows and
/// units of varying length are reported.
fn read_window_v1alpha(
    f: &Fields<'_>,
    context: &str,
    diags: &mut Diagnostics,
) -> Option<Spanned<String>> {
    let (seq, loc) = f.sequence("timeWindows", diags)?;
    let (map, wloc) = super::first_window(
        seq,
        loc,
        ("timeWindows", context),
        "`unit: Day`, `count: 28`",
        diags,
    )?;
    let wf = Fields::new(map, wloc, context);
    wf.deny_unknown(&["unit", "count", "isRolling", "calendar"], diags);
    if wf.node("calendar").is_some() || wf.bool("isRolling", diags).is_some_and(|r| !r.value) {
        diags.push(diags::unsupported(
            wloc,
            Unsupported::AlphaCalendar { context },
        ));
        return None;
    }
    let unit = wf.required_string("unit", diags)?;
    let count = wf.required_string("count", diags)?;
    let suffix = match unit.value.as_str() {
        "Second" => "s",
        "Minute" => "m",
        "Hour" => "h",
        "Day" => "d",
        "Week" => "w",
        other => {
            diags.push(diags::unsupported(
                unit.location,
                Unsupported::AlphaWindowUnit {
                    context,
                    unit: other,
                },
            ));
            return None;
        }
    };
    Some(Spanned::new(
        format!("{}{suffix}", count.value.trim()),
        count.location,
    ))
}

/// v1alpha `ratioMetrics`: good or bad events and the total, each a Prometheus query; a side
/// of another source is reported once, for the whole SLI.
fn read_ratio_metrics_v1alpha(
    map: &Mapping,
    location: Location,
    context: &str,
    diags: &mut Diagnostics,
) -> Option<SliSpec> {
    if let Some(kind) = super::indicator::foreign(map, location, |side| side.get_scalar("source")) {
        let nothing = Spanned::new(String::new(), location);
        prometheus_query(Some(kind), nothing, false, context, diags);
        return None;
    }
    let rf = Fields::new(map, location, context);
    rf.deny_unknown(&["good", "bad", "total", "incremental", "counter"], diags);
    let counter = rf
        .bool("incremental", diags)
        .or_else(|| rf.bool("counter", diags))
        .is_some_and(|c| c.value);
    let side = |key: &str, diags: &mut Diagnostics| {
        let (m, l) = rf.mapping(key, diags)?;
        let sf = Fields::new(m, l, context);
        sf.deny_unknown(&["source", "queryType", "query", "metadata"], diags);
        let kind = sf.string("source", diags);
        let query = sf.required_string("query", diags)?;
        prometheus_query(kind, query, counter, context, diags)
    };
    Some(ratio_of_sides(side, location, diags))
}
