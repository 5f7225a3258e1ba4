//! OpenSLO alert policies and burn-rate conditions, inline or referenced, read as a custom
//! window policy; every unreadable entry reported at its line.

use super::*;

pub(super) type Policy = (
    Option<Vec<WindowSpec>>,
    Option<Spanned<String>>,
    Option<Spanned<String>>,
);

/// Burn-rate conditions of every alert policy, as a custom window policy; `None` (slocc's
/// default policy) when the SLO has no alert policies.
pub(super) fn read_alert_policies(
    f: &Fields<'_>,
    context: &str,
    window: Duration,
    index: &Index<'_>,
    diags: &mut Diagnostics,
) -> Option<Policy> {
    let (seq, loc) = f.sequence("alertPolicies", diags)?;
    if seq.is_empty() {
        diags.push(diags::empty_list(
            f.key_location("alertPolicies"),
            "alertPolicies",
            context,
        ));
        return None;
    }
    let mut policy = PolicyReader::default();
    for node in seq.iter() {
        let entry = Entry {
            what: "an alert policy",
            reference: "alertPolicyRef",
            kind: "AlertPolicy",
            from: context,
            inline_keys: Some(&["kind", "metadata", "spec"]),
        };
        match entry.spec(node, loc, index, diags) {
            Some((spec, ploc)) => policy.read(spec, ploc, window, index, diags),
            None => policy.unreadable = true,
        }
    }
    if policy.windows.is_empty() && policy.unreadable {
        // Each unreadable condition was reported at its own line; an empty policy would only
        // add an error about a key the user never wrote.
        return None;
    }
    Some((Some(policy.windows), policy.page_for, policy.ticket_for))
}

/// Reads an alert policy no SLO refers to, for its diagnostics.
pub(super) fn check_policy(
    policy: &Mapping,
    location: Location,
    window: Duration,
    index: &Index<'_>,
    diags: &mut Diagnostics,
) {
    PolicyReader::default().read(policy, location, window, index, diags);
}

/// Reads an alert condition no policy refers to, for its diagnostics.
pub(super) fn check_condition(
    condition: &Mapping,
    location: Location,
    window: Duration,
    diags: &mut Diagnostics,
) {
    read_condition(condition, location, window, diags);
}

/// A list entry that is either a reference to an indexed object or the object inline.
struct Entry<'s> {
    /// How messages name the entry.
    what: &'s str,
    /// The key of a reference (`alertPolicyRef`).
    reference: &'s str,
    /// The kind a reference points to.
    kind: &'static str,
    /// What refers to it, for messages.
    from: &'s str,
    /// Keys an inline object may have, when checked here.
    inline_keys: Option<&'s [&'s str]>,
}

impl Entry<'_> {
    /// The entry's `spec` and its location; `None` (reported) when it is neither form.
    fn spec<'a>(
        &self,
        node: &'a marked_yaml::Node,
        list: Location,
        index: &Index<'a>,
        diags: &mut Diagnostics,
    ) -> Option<(&'a Mapping, Location)> {
        let at = location_of(node, list);
        let Some(map) = node.as_mapping() else {
            let expected = format!(
                "`{}: NAME` or an inline `kind: {}`",
                self.reference, self.kind
            );
            diags.push(not_a_mapping(at, self.what, &expected));
            return None;
        };
        let fields = Fields::new(map, at, self.from);
        if let Some(reference) = fields.string(self.reference, diags) {
            if self.inline_keys.is_some() {
                fields.deny_unknown(&[self.reference], diags);
            }
            return index
                .get(self.kind, &reference, self.from, diags)
                .map(|o| (o.spec, o.location));
        }
        if let Some(keys) = self.inline_keys {
            fields.deny_unknown(keys, diags);
        }
        // Reported through `fields`; borrowed from `map`, which lives as long as the document.
        let (_, at) = fields.required_mapping("spec", diags)?;
        Some((map.get_mapping("spec")?, at))
    }
}

/// The windows read from alert policies so far.
#[derive(Default)]
struct PolicyReader {
    windows: Vec<WindowSpec>,
    page_for: Option<Spanned<String>>,
    ticket_for: Option<Spanned<String>>,
    /// Some policy or condition could not be read (and was reported).
    unreadable: bool,
}

impl PolicyReader {
    /// Reads one alert policy's conditions.
    fn read(
        &mut self,
        policy: &Mapping,
        location: Location,
        window: Duration,
        index: &Index<'_>,
        diags: &mut Diagnostics,
    ) {
        let pf = Fields::new(policy, location, "the alert policy");
        pf.deny_unknown(
            &[
                "description",
                "alertWhenNoData",
                "alertWhenResolved",
                "alertWhenBreaching",
                "conditions",
                "notificationTargets",
            ],
            diags,
        );
        let Some((conditions, cloc)) = pf.sequence("conditions", diags) else {
            self.unreadable = true;
            return;
        };
        for node in conditions.iter() {
            let entry = Entry {
                what: "an alert condition",
                reference: "conditionRef",
                kind: "AlertCondition",
                from: "the alert policy",
                inline_keys: None,
            };
            let read = entry
                .spec(node, cloc, index, diags)
                .and_then(|(spec, at)| read_condition(spec, at, window, diags));
            let Some((entry, alert_after, page)) = read else {
                self.unreadable = true;
                continue;
            };
            let slot = if page {
                &mut self.page_for
            } else {
                &mut self.ticket_for
            };
            if slot.is_none() {
                *slot = alert_after;
            }
            self.windows.push(entry);
        }
    }
}

fn read_condition(
    map: &Mapping,
    loc: Location,
    window: Duration,
    diags: &mut Diagnostics,
) -> Option<(WindowSpec, Option<Spanned<String>>, bool)> {
    let f = Fields::new(map, loc, "the alert condition");
    f.deny_unknown(&["description", "severity", "condition"], diags);
    let severity = f.required_string("severity", diags)?;
    let (cond, cl) = f.required_mapping("condition", diags)?;
    let cf = Fields::new(cond, cl, "the burn-rate condition");
    cf.deny_unknown(
        &["kind", "op", "threshold", "lookbackWindow", "alertAfter"],
        diags,
    );
    let (lookback, long, threshold, factor) = burn_rate(&cf, diags)?;
    // The workbook's short window is a twelfth of the long one, and at least a minute.
    let short = Duration::from_millis((long.as_millis() / 12).max(60_000));
    // Checked: a threshold of 1e23 or a zero window must be a diagnostic, not a panic.
    let budget_percent = factor
        .checked_mul(Decimal::from(long.as_millis()))
        .and_then(|v| v.checked_mul(Decimal::ONE_HUNDRED))
        .and_then(|v| v.checked_div(Decimal::from(window.as_millis())));
    let Some(budget_percent) = budget_percent else {
        diags.push(diags::invalid_burn_rate(
            threshold.location,
            &threshold.value,
        ));
        return None;
    };
    let page = pages(&severity, diags)?;
    let entry = WindowSpec {
        long: Some(lookback.clone()),
        short: Some(Spanned::new(short.to_string(), lookback.location)),
        budget_percent: Some(Spanned::new(
            format_decimal(budget_percent),
            threshold.location,
        )),
        severity: Some(Spanned::new(
            if page { "page" } else { "ticket" }.to_string(),
            severity.location,
        )),
        location: cl,
    };
    Some((entry, cf.string("alertAfter", diags), page))
}

/// The severities slocc reads from OpenSLO alert conditions: the first eight page, the rest
/// open tickets.
const SEVERITIES: &[&str] = &[
    "page", "critical", "high", "sev1", "sev-1", "p0", "p1", "urgent", "ticket", "warning", "low",
    "medium", "info", "sev2", "sev-2", "sev3", "sev-3", "p2", "p3", "p4",
];

/// Whether a condition's severity pages (or opens a ticket); an unknown name is an error at
/// its line rather than a silent ticket.
fn pages(severity: &Spanned<String>, diags: &mut Diagnostics) -> Option<bool> {
    match severity.value.to_ascii_lowercase().as_str() {
        "page" | "critical" | "high" | "sev1" | "sev-1" | "p0" | "p1" | "urgent" => Some(true),
        "ticket" | "warning" | "low" | "medium" | "info" | "sev2" | "sev-2" | "sev3" | "sev-3"
        | "p2" | "p3" | "p4" => Some(false),
        other => {
            diags.push(diags::unknown_value(
                severity.location,
                "alert severity",
                other,
                SEVERITIES,
            ));
            None
        }
    }
}

/// A burn-rate condition's lookback window and threshold, each checked at its line: the kind
/// and operator slocc compiles, a positive duration, a positive factor.
fn burn_rate(
    cf: &Fields<'_>,
    diags: &mut Diagnostics,
) -> Option<(Spanned<String>, Duration, Spanned<String>, Decimal)> {
    if let Some(kind) = cf.string("kind", diags).filter(|k| k.value != "burnrate") {
        diags.push(diags::unsupported(
            kind.location,
            Unsupported::ConditionKind { kind: &kind.value },
        ));
        return None;
    }
    if let Some(op) = cf
        .string("op", diags)
        .filter(|op| !matches!(op.value.as_str(), "gte" | "gt"))
    {
        diags.push(diags::unsupported(
            op.location,
            Unsupported::ConditionOp { op: &op.value },
        ));
        return None;
    }
    let threshold = cf.required_string("threshold", diags)?;
    let lookback = cf.required_string("lookbackWindow", diags)?;
    let Some(long) = Duration::parse(&lookback.value)
        .ok()
        .filter(|d| !d.is_zero())
    else {
        diags.push(diags::invalid_duration(
            lookback.location,
            &format!("`lookbackWindow: {}`", lookback.value),
            "not a duration slocc can alert over",
        ));
        return None;
    };
    let factor = Decimal::from_str_exact(threshold.value.trim()).ok();
    let Some(factor) = factor.filter(|f| *f > Decimal::ZERO) else {
        diags.push(diags::invalid_burn_rate(
            threshold.location,
            &threshold.value,
        ));
        return None;
    };
    Some((lookback, long, threshold, factor))
}
