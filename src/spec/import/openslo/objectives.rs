//! OpenSLO objectives: targets as percentages, one SLO per objective, composite, threshold
//! and time-slice objectives refused at their line.

use super::*;

/// The objectives of an SLO that are mappings, with their positions; an empty list and an
/// entry of another type are reported.
pub(super) fn objective_mappings<'a>(
    f: &Fields<'a>,
    context: &str,
    diags: &mut Diagnostics,
) -> Vec<(&'a Mapping, Location)> {
    let Some((seq, loc)) = f.sequence("objectives", diags) else {
        return Vec::new();
    };
    if seq.is_empty() {
        diags.push(diags::empty_list(
            f.key_location("objectives"),
            "objectives",
            context,
        ));
    }
    let mut out = Vec::new();
    for node in seq.iter() {
        let at = location_of(node, loc);
        match node.as_mapping() {
            Some(map) => out.push((map, at)),
            None => diags.push(not_a_mapping(
                at,
                "an objective",
                "`target: 0.999` and its fields",
            )),
        }
    }
    out
}

/// OpenSLO targets are ratios (0.999); slocc objectives are percentages (99.9).
pub(super) fn target_percent(target: Spanned<String>) -> Spanned<String> {
    // Checked: a target of 1e28 is out of range (validation says so), not a panic.
    match Decimal::from_str_exact(target.value.trim())
        .ok()
        .and_then(|ratio| ratio.checked_mul(Decimal::ONE_HUNDRED))
    {
        Some(percent) => Spanned::new(format_decimal(percent), target.location),
        None => target,
    }
}

/// Every objective of a v1 SLO: its target (as a percentage) and, when there are several, the
/// suffix that names the SLO compiled for it (the objective's `displayName`, or its position).
/// One objective of a v1 SLO, as slocc compiles it.
pub(super) struct Objective {
    /// Name suffix of its SLO, when the SLO has several.
    pub(super) suffix: Option<String>,
    /// Target as a percentage.
    pub(super) target: Spanned<String>,
    /// Time-slice budgeting, when the SLO budgets by slices.
    pub(super) budgeting: Option<BudgetingSpec>,
    /// `op` and `value`: the bound of a threshold SLI.
    pub(super) bound: (Option<Spanned<String>>, Option<Spanned<String>>),
    /// Where the objective is written.
    pub(super) location: Location,
}

pub(super) fn read_objectives(
    f: &Fields<'_>,
    context: &str,
    method: Option<&Spanned<String>>,
    diags: &mut Diagnostics,
) -> Vec<Objective> {
    let objectives = objective_mappings(f, context, diags);
    let several = objectives.len() > 1;
    let mut out = Vec::new();
    for (i, (map, at)) in objectives.into_iter().enumerate() {
        let of = Fields::new(map, at, context);
        let Some(target) = read_objective(&of, context, method.is_some(), diags) else {
            continue;
        };
        let budgeting = method.and_then(|m| time_slices(&of, m, context, diags));
        let suffix = several.then(|| {
            map.get_scalar("displayName")
                .map(|n| slug(n.as_str()))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| (i + 1).to_string())
        });
        out.push(Objective {
            suffix,
            target,
            budgeting,
            bound: (of.string("op", diags), of.string("value", diags)),
            location: at,
        });
    }
    out
}

/// An objective's time slices (`timeSliceWindow`, and `timeSliceTarget` for `Timeslices`), each
/// missing one reported in OpenSLO's words.
fn time_slices(
    of: &Fields<'_>,
    method: &Spanned<String>,
    context: &str,
    diags: &mut Diagnostics,
) -> Option<BudgetingSpec> {
    let mut needed = vec!["timeSliceWindow"];
    if method.value == "timeslices" {
        needed.push("timeSliceTarget");
    }
    let missing: Vec<&str> = needed
        .into_iter()
        .filter(|k| of.node(k).is_none())
        .collect();
    if !missing.is_empty() {
        diags.push(diags::missing_field(
            of.location(),
            &format!("an objective of {context}, which budgets by time slices,"),
            &missing,
        ));
        return None;
    }
    Some(BudgetingSpec {
        method: Some(method.clone()),
        slice: of.string("timeSliceWindow", diags),
        slice_target: of.string("timeSliceTarget", diags),
        location: of.location(),
    })
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

/// One objective's target; threshold and composite objectives, and time-slice fields without
/// time-slice budgeting, are reported.
fn read_objective(
    of: &Fields<'_>,
    context: &str,
    slices: bool,
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
    // `op` and `value` belong to the indicator: a threshold metric's bound, ignored on a ratio.
    let refused: &[&str] = if slices {
        &[]
    } else {
        &["timeSliceTarget", "timeSliceWindow"]
    };
    for key in refused.iter().copied() {
        if of.node(key).is_some() {
            diags.push(diags::unsupported(
                of.key_location(key),
                Unsupported::SliceFields { context, key },
            ));
            return None;
        }
    }
    for key in ["indicator", "indicatorRef", "compositeWeight"] {
        if of.node(key).is_some() {
            diags.push(diags::unsupported(
                of.key_location(key),
                Unsupported::Composite { context, key },
            ));
            return None;
        }
    }
    if let Some(percent) = of.string("targetPercent", diags) {
        return Some(percent);
    }
    of.required_string("target", diags).map(target_percent)
}
