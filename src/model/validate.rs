//! Validation: turns spec-stage values into the model, reporting every problem of meaning in one pass.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::diag::{Code, Diagnostic, Diagnostics, Location};
use crate::model::duration::{humanize_secs, Duration};
use crate::model::number::format_decimal;
use crate::model::promql::{
    grouping_of, has_window_placeholder, is_valid_label_name, is_valid_metric_name,
    parse_instant_vector, with_window,
};
use crate::model::{
    burn_factor, EventQuery, Grouping, Service, Severity, Sli, Slo, Tier, DEFAULT_POLICY,
};
use crate::spec::yaml::Spanned;
use crate::spec::{AlertingSpec, ServiceSpec, SliSpec, SloSpec, Text, TierSpec, WindowSpec};

/// Labels slocc puts on series and alerts itself; specs may not set them.
pub(crate) const RESERVED_LABELS: &[&str] = &[
    "slo_service",
    "slo_name",
    "slo_long_window",
    "slo_short_window",
];

/// The shortest and longest SLO windows accepted.
const MIN_WINDOW: Duration = Duration::from_secs(86_400);
const MAX_WINDOW: Duration = Duration::from_secs(90 * 86_400);
const DEFAULT_WINDOW: Duration = Duration::from_secs(30 * 86_400);
/// Longest name accepted for services and SLOs (file names stay portable).
const MAX_NAME_LEN: usize = 100;

/// Validates one service spec read from `source` (its display name).
pub(crate) fn validate_service(
    spec: &ServiceSpec,
    source: &str,
    diags: &mut Diagnostics,
) -> Option<Service> {
    let before = diags.counts().0;
    let name = spec
        .service
        .as_ref()
        .and_then(|n| check_name(n, "service", diags));
    let labels = check_labels(&spec.labels, "service label", diags, false);
    if spec.slos.is_empty() && spec.location.line > 0 {
        diags.push(
            Diagnostic::error(
                Code::MissingField,
                Some(spec.location),
                "the service has no SLOs",
            )
            .with_hint("add at least one entry under `slos:`"),
        );
    }
    check_unique_slo_names(spec, diags);
    let slos: Vec<Slo> = spec
        .slos
        .iter()
        .filter_map(|slo_spec| validate_slo(slo_spec, name.as_deref(), diags))
        .collect();
    let name = name?;
    if diags.counts().0 > before {
        return None;
    }
    Some(Service {
        name,
        owner: spec.owner.as_ref().map(|s| s.value.clone()),
        escalation: spec.escalation.as_ref().map(|s| s.value.clone()),
        runbook_base_url: spec
            .runbook_base_url
            .as_ref()
            .map(|s| s.value.trim_end_matches('/').to_string()),
        labels,
        slos,
        source: crate::pipeline::portable_name(source),
    })
}

/// SLO names are unique within a service: each repeat is reported with the first as a label.
fn check_unique_slo_names(spec: &ServiceSpec, diags: &mut Diagnostics) {
    let mut seen: BTreeMap<&str, Location> = BTreeMap::new();
    for n in spec.slos.iter().filter_map(|s| s.name.as_ref()) {
        let Some(first) = seen.get(n.value.as_str()) else {
            seen.insert(&n.value, n.location);
            continue;
        };
        diags.push(
            Diagnostic::error(
                Code::DuplicateSlo,
                Some(n.location),
                format!(
                    "the SLO name `{}` is used twice in this service (first on line {})",
                    n.value, first.line
                ),
            )
            .with_hint("SLO names must be unique within a service")
            .with_label(*first, "first used here"),
        );
    }
}

/// Names become file names and label values: keep them to a portable, unambiguous set.
fn check_name(name: &Spanned<String>, what: &str, diags: &mut Diagnostics) -> Option<String> {
    let text = &name.value;
    let valid_chars = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let starts_well = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    if valid_chars && starts_well && !text.contains("..") && text.len() <= MAX_NAME_LEN {
        return Some(text.clone());
    }
    diags.push(
        Diagnostic::error(
            Code::InvalidName,
            Some(name.location),
            format!("invalid {what} name `{}`", text.escape_debug()),
        )
        .with_hint(format!(
            "a {what} name starts with a letter or digit and holds only letters, digits, `-`, `_` and `.` (no `..`, at most {MAX_NAME_LEN} characters), because it names output files"
        )),
    );
    None
}

fn check_labels(
    pairs: &[(Spanned<String>, Spanned<String>)],
    what: &str,
    diags: &mut Diagnostics,
    allow_severity: bool,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (key, value) in pairs {
        if !is_valid_label_name(&key.value) {
            diags.push(
                Diagnostic::error(
                    Code::InvalidLabelName,
                    Some(key.location),
                    format!("invalid {what} name `{}`", key.value.escape_debug()),
                )
                .with_hint("label names match `[a-zA-Z_][a-zA-Z0-9_]*` and do not start with `__`"),
            );
            continue;
        }
        let reserved = RESERVED_LABELS.contains(&key.value.as_str())
            || (!allow_severity && key.value == "severity");
        if reserved {
            diags.push(
                Diagnostic::error(
                    Code::ReservedLabel,
                    Some(key.location),
                    format!("`{}` is set by slocc and cannot be a {what}", key.value),
                )
                .with_hint(if key.value == "severity" {
                    "set `severity` in `alerting.page.labels` or `alerting.ticket.labels` to rename a tier's severity"
                } else {
                    "rename the label"
                }),
            );
            continue;
        }
        out.insert(key.value.clone(), value.value.clone());
    }
    out
}

fn check_annotations(
    pairs: &[(Spanned<String>, Spanned<String>)],
    diags: &mut Diagnostics,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (key, value) in pairs {
        if is_valid_label_name(&key.value) {
            out.insert(key.value.clone(), value.value.clone());
        } else {
            diags.push(
                Diagnostic::error(
                    Code::InvalidLabelName,
                    Some(key.location),
                    format!("invalid annotation name `{}`", key.value.escape_debug()),
                )
                .with_hint("annotation names follow label-name rules: `[a-zA-Z_][a-zA-Z0-9_]*`"),
            );
        }
    }
    out
}

fn parse_duration(text: &Spanned<String>, what: &str, diags: &mut Diagnostics) -> Option<Duration> {
    match Duration::parse(&text.value) {
        Ok(d) => Some(d),
        Err(e) => {
            diags.push(
                Diagnostic::error(
                    Code::InvalidDuration,
                    Some(text.location),
                    format!("{what}: {e}"),
                )
                .with_hint("durations use Prometheus syntax: `5m`, `1h30m`, `30d`"),
            );
            None
        }
    }
}

fn parse_objective(text: &Spanned<String>, diags: &mut Diagnostics) -> Option<Decimal> {
    let cleaned = text.value.trim().trim_end_matches('%').trim();
    let Ok(value) = Decimal::from_str_exact(cleaned) else {
        diags.push(
            Diagnostic::error(
                Code::WrongType,
                Some(text.location),
                format!("objective `{}` is not a number", text.value),
            )
            .with_hint("write the objective as a percentage, e.g. `99.9`"),
        );
        return None;
    };
    let (message, hint) = if value <= Decimal::ZERO || value >= Decimal::ONE_HUNDRED {
        (
            format!(
                "objective `{}` is not between 0 and 100 percent",
                text.value
            ),
            "an objective is a percentage strictly between 0 and 100, e.g. `99.9`".to_string(),
        )
    } else if value < Decimal::ONE {
        // In range, but a ratio such as 0.999 is almost always meant as 99.9%.
        (
            format!(
                "objective `{}` means {}%, which no SLO intends",
                text.value, text.value
            ),
            format!(
                "objectives are percentages: write `{}` rather than `{}`",
                format_decimal(value * Decimal::ONE_HUNDRED),
                text.value
            ),
        )
    } else {
        return Some(value.normalize());
    };
    diags.push(
        Diagnostic::error(Code::ObjectiveOutOfRange, Some(text.location), message).with_hint(hint),
    );
    None
}

fn validate_slo(spec: &SloSpec, service: Option<&str>, diags: &mut Diagnostics) -> Option<Slo> {
    let before = diags.counts().0;
    let name = spec.name.as_ref().and_then(|n| check_name(n, "SLO", diags));
    let objective_percent = spec
        .objective
        .as_ref()
        .and_then(|o| parse_objective(o, diags));
    let window = validate_window(spec.window.as_ref(), diags);
    let sli = spec.sli.as_ref().and_then(|s| validate_sli(s, diags));
    let grouping = sli.as_ref().map_or(Grouping::Unknown, |(_, g)| g.clone());
    let breakdown_by = match &spec.sli {
        Some(SliSpec::Ratio {
            breakdown_by: Some(label),
            ..
        }) => validate_breakdown(label, diags),
        _ => None,
    };
    let alert_name = validate_alert_name(&spec.alerting, service, name.as_deref(), diags);
    let alert_labels = check_labels(&spec.alerting.labels, "alert label", diags, false);
    let labels = check_labels(&spec.labels, "SLO label", diags, false);
    let alert_annotations = check_annotations(&spec.alerting.annotations, diags);
    let tiers = match (objective_percent, window) {
        (Some(objective), Some(window)) => {
            let budget = Decimal::ONE - objective / Decimal::ONE_HUNDRED;
            check_budget(spec, budget, window, diags);
            build_tiers(&spec.alerting, budget, window, objective, diags)
        }
        _ => None,
    };
    if diags.counts().0 > before {
        return None;
    }
    Some(Slo {
        name: name?,
        description: spec.description.as_ref().map(|d| d.value.clone()),
        objective_percent: objective_percent?,
        window: window?,
        labels,
        sli: sli?.0,
        alert_name: alert_name?,
        alert_labels,
        alert_annotations,
        tiers: tiers?,
        grouping,
        breakdown_by,
    })
}

/// The SLO window: 30d when not given, otherwise a duration within 1d..90d.
fn validate_window(text: Option<&Text>, diags: &mut Diagnostics) -> Option<Duration> {
    let Some(text) = text else {
        return Some(DEFAULT_WINDOW);
    };
    let window = parse_duration(text, "window", diags)?;
    if (MIN_WINDOW..=MAX_WINDOW).contains(&window) {
        return Some(window);
    }
    diags.push(
        Diagnostic::error(
            Code::WindowOutOfRange,
            Some(text.location),
            format!("window `{}` is outside 1d..90d", text.value),
        )
        .with_hint("SLO windows run from `1d` to `90d`; `30d` and `28d` are the usual choices"),
    );
    None
}

/// The label a ratio SLI's errors are broken down by on the dashboard.
fn validate_breakdown(label: &Text, diags: &mut Diagnostics) -> Option<String> {
    if is_valid_label_name(&label.value) {
        return Some(label.value.clone());
    }
    diags.push(
        Diagnostic::error(
            Code::InvalidLabelName,
            Some(label.location),
            format!(
                "invalid `breakdown_by` label `{}`",
                label.value.escape_debug()
            ),
        )
        .with_hint("name a label of the SLI's metrics, e.g. `route` or `code`"),
    );
    None
}

fn check_budget(spec: &SloSpec, budget: Decimal, window: Duration, diags: &mut Diagnostics) {
    let outage_secs = crate::model::number::to_f64(budget) * window.as_secs_f64();
    if outage_secs < 60.0 {
        let location = spec
            .objective
            .as_ref()
            .map_or(spec.location, |o| o.location);
        diags.push(
            Diagnostic::warning(
                Code::TinyBudget,
                Some(location),
                format!(
                    "the whole error budget is gone after {} of full outage",
                    humanize_secs(outage_secs)
                ),
            )
            .with_hint("alerts cannot page before the budget is spent; consider a looser objective, a longer window, or aggregating SLOs"),
        );
    }
}

fn validate_alert_name(
    alerting: &AlertingSpec,
    service: Option<&str>,
    slo: Option<&str>,
    diags: &mut Diagnostics,
) -> Option<String> {
    match &alerting.name {
        Some(name) => {
            if is_valid_metric_name(&name.value) && !name.value.contains(':') {
                Some(name.value.clone())
            } else {
                diags.push(
                    Diagnostic::error(
                        Code::InvalidAlertName,
                        Some(name.location),
                        format!("invalid alert name `{}`", name.value.escape_debug()),
                    )
                    .with_hint("alert names match `[a-zA-Z_][a-zA-Z0-9_]*`, e.g. `CheckoutAvailabilityBudgetBurn`"),
                );
                None
            }
        }
        None => Some(format!(
            "{}{}BudgetBurn",
            camel_case(service?),
            camel_case(slo?)
        )),
    }
}

/// `checkout-api` -> `CheckoutApi`.
fn camel_case(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn validate_query(
    text: &Spanned<String>,
    what: &str,
    needs_placeholder: bool,
    diags: &mut Diagnostics,
) -> Option<Grouping> {
    if needs_placeholder && !has_window_placeholder(&text.value) {
        diags.push(
            Diagnostic::error(
                Code::MissingWindowPlaceholder,
                Some(text.location),
                format!("the {what} query has no `{{{{window}}}}` placeholder"),
            )
            .with_hint("write the range as `[{{window}}]`, e.g. `rate(http_requests_total[{{window}}])`, so each alert window gets its own rate"),
        );
        return None;
    }
    let query = with_window(&text.value, Duration::from_secs(300));
    match parse_instant_vector(&query) {
        Ok(expr) => Some(grouping_of(&expr)),
        Err(message) => {
            diags.push(
                Diagnostic::error(
                    Code::InvalidPromql,
                    Some(text.location),
                    format!("the {what} query is not valid PromQL: {message}"),
                )
                .with_hint(
                    "test the query in the Prometheus UI with `5m` in place of `{{window}}`",
                ),
            );
            None
        }
    }
}

fn validate_sli(spec: &SliSpec, diags: &mut Diagnostics) -> Option<(Sli, Grouping)> {
    match spec {
        SliSpec::Ratio {
            errors,
            good,
            total,
            location,
            ..
        } => validate_ratio(errors, good, total, *location, diags),
        SliSpec::Latency {
            metric,
            selector,
            threshold,
        } => validate_latency(metric, selector, threshold, diags),
        SliSpec::Raw { error_ratio, .. } => {
            let q = error_ratio.as_ref()?;
            let grouping = validate_query(q, "error_ratio", true, diags)?;
            Some((
                Sli::Raw {
                    error_ratio: q.value.clone(),
                },
                grouping,
            ))
        }
    }
}

type Query = Option<Text>;

fn validate_ratio(
    errors: &Query,
    good: &Query,
    total: &Query,
    location: Location,
    diags: &mut Diagnostics,
) -> Option<(Sli, Grouping)> {
    let events = match (errors, good) {
        (Some(e), None) => validate_query(e, "errors", true, diags)
            .map(|g| (EventQuery::Errors(e.value.clone()), g, e.location)),
        (None, Some(g)) => validate_query(g, "good", true, diags)
            .map(|gr| (EventQuery::Good(g.value.clone()), gr, g.location)),
        (Some(_), Some(_)) | (None, None) => {
            diags.push(
                Diagnostic::error(
                    Code::SliKind,
                    Some(location),
                    "a ratio SLI needs exactly one of `errors` and `good`",
                )
                .with_hint("give `errors` (bad events) or `good` (good events), plus `total`"),
            );
            None
        }
    };
    let total_grouping = total
        .as_ref()
        .and_then(|t| validate_query(t, "total", true, diags));
    let (events, events_grouping, events_location) = events?;
    let grouping = match (&events_grouping, &total_grouping?) {
        (Grouping::By(a), Grouping::By(b)) if a != b => {
            diags.push(
                Diagnostic::error(
                    Code::GroupingMismatch,
                    Some(events_location),
                    format!(
                        "the two queries aggregate by different labels: ({}) and ({})",
                        a.join(", "),
                        b.join(", ")
                    ),
                )
                .with_hint(
                    "aggregate both queries by the same labels, or the ratio matches no series",
                ),
            );
            return None;
        }
        (Grouping::By(_), Grouping::By(_)) => events_grouping,
        _ => Grouping::Unknown,
    };
    let total = total.as_ref()?.value.clone();
    Some((Sli::Ratio { events, total }, grouping))
}

fn validate_latency(
    metric: &Query,
    selector: &Query,
    threshold: &Query,
    diags: &mut Diagnostics,
) -> Option<(Sli, Grouping)> {
    let metric = metric.as_ref()?;
    let base = metric.value.trim().trim_end_matches("_bucket").to_string();
    let mut ok = true;
    if !is_valid_metric_name(&base) {
        diags.push(
            Diagnostic::error(
                Code::InvalidPromql,
                Some(metric.location),
                format!(
                    "`{}` is not a valid metric name",
                    metric.value.escape_debug()
                ),
            )
            .with_hint("give the histogram's base name, e.g. `http_request_duration_seconds`"),
        );
        ok = false;
    }
    let matchers = match selector {
        None => String::new(),
        Some(sel) => latency_matchers(&base, sel, diags).unwrap_or_else(|| {
            ok = false;
            String::new()
        }),
    };
    let threshold = threshold.as_ref()?;
    let parsed = match Duration::parse(&threshold.value) {
        Ok(d) if !d.is_zero() => Some(d),
        _ => {
            diags.push(
                Diagnostic::error(
                    Code::InvalidThreshold,
                    Some(threshold.location),
                    format!(
                        "latency threshold `{}` is not a positive duration",
                        threshold.value
                    ),
                )
                .with_hint("write the threshold as a duration equal to a histogram bucket boundary, e.g. `300ms` for `le=\"0.3\"`"),
            );
            None
        }
    };
    if !ok {
        return None;
    }
    let sli = Sli::Latency {
        metric: base,
        matchers,
        threshold: parsed?,
    };
    Some((sli, Grouping::By(Vec::new())))
}

/// The matchers inside a latency selector's braces, when they are label matchers and nothing
/// else: a selector that smuggles in an operator (`{job="api"} or up`) or matches on `le` is
/// reported at its line.
fn latency_matchers(
    base: &str,
    selector: &crate::spec::yaml::Spanned<String>,
    diags: &mut Diagnostics,
) -> Option<String> {
    let inner = selector
        .value
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .trim()
        .to_string();
    let problem = match parse_instant_vector(&format!("{base}_bucket{{{inner}}}")) {
        Err(message) => Some((
            format!("the latency selector is not valid PromQL: {message}"),
            "write label matchers as in a selector: `{job=\"api\", route!=\"/health\"}`",
        )),
        Ok(promql_parser::parser::Expr::VectorSelector(v)) => v
            .matchers
            .matchers
            .iter()
            .any(|m| m.name == "le")
            .then(|| {
                (
                    "the latency selector must not match on `le`".to_string(),
                    "slocc picks the bucket from `threshold`; remove the `le` matcher",
                )
            }),
        Ok(_) => Some((
            "the latency selector is more than label matchers".to_string(),
            "write only label matchers in braces, e.g. `{job=\"api\"}`; for anything else use a `ratio` SLI",
        )),
    };
    match problem {
        None => Some(inner),
        Some((message, hint)) => {
            diags.push(
                Diagnostic::error(Code::InvalidPromql, Some(selector.location), message)
                    .with_hint(hint),
            );
            None
        }
    }
}

fn tier_settings(
    spec: &TierSpec,
    what: &str,
    diags: &mut Diagnostics,
) -> (
    bool,
    Option<Duration>,
    BTreeMap<String, String>,
    BTreeMap<String, String>,
) {
    let disabled = spec.disable.as_ref().is_some_and(|d| d.value);
    let for_duration = spec
        .for_duration
        .as_ref()
        .and_then(|f| parse_duration(f, &format!("`{what}.for`"), diags));
    let labels = check_labels(&spec.labels, &format!("{what} label"), diags, true);
    let annotations = check_annotations(&spec.annotations, diags);
    (disabled, for_duration, labels, annotations)
}

/// One policy entry before factors are computed.
struct PolicyEntry {
    severity: Severity,
    budget_percent: Decimal,
    long: Duration,
    short: Duration,
    location: Option<Location>,
}

fn build_tiers(
    alerting: &AlertingSpec,
    budget: Decimal,
    window: Duration,
    objective: Decimal,
    diags: &mut Diagnostics,
) -> Option<Vec<Tier>> {
    let page = tier_settings(&alerting.page, "page", diags);
    let ticket = tier_settings(&alerting.ticket, "ticket", diags);
    let policy = match &alerting.windows {
        None => default_policy(),
        Some(entries) => custom_policy(entries, window, diags)?,
    };
    let mut tiers = Vec::new();
    for entry in policy {
        let (disabled, for_duration, labels, annotations) = match entry.severity {
            Severity::Page => &page,
            Severity::Ticket => &ticket,
        };
        if *disabled {
            continue;
        }
        let factor = burn_factor(entry.budget_percent, window, entry.long);
        let threshold = factor * budget;
        if threshold >= Decimal::ONE {
            let location = entry
                .location
                .or_else(|| alerting.name.as_ref().map(|n| n.location));
            diags.push(never_fires(&entry, factor, threshold, objective, location));
            continue;
        }
        tiers.push(Tier {
            severity: entry.severity,
            long: entry.long,
            short: entry.short,
            budget_percent: entry.budget_percent,
            factor,
            threshold,
            for_duration: *for_duration,
            labels: labels.clone(),
            annotations: annotations.clone(),
        });
    }
    tiers.sort_by_key(|t| (t.severity, t.long, t.short));
    Some(tiers)
}

/// The workbook's four tiers.
fn default_policy() -> Vec<PolicyEntry> {
    DEFAULT_POLICY
        .iter()
        .map(|(severity, pct, long, short)| PolicyEntry {
            severity: *severity,
            budget_percent: Decimal::from(*pct),
            long: Duration::from_secs(*long),
            short: Duration::from_secs(*short),
            location: None,
        })
        .collect()
}

/// The warning for a tier whose threshold is at or above a 100% error ratio.
fn never_fires(
    entry: &PolicyEntry,
    factor: Decimal,
    threshold: Decimal,
    objective: Decimal,
    location: Option<Location>,
) -> Diagnostic {
    Diagnostic::warning(
        Code::TierNeverFires,
        location,
        format!(
            "the {} tier {}/{} (burn factor {}) needs an error ratio of {} at objective {}%, above 100%, so it can never fire; it is left out",
            entry.severity.as_str(),
            entry.long,
            entry.short,
            format_decimal(factor),
            format_decimal(threshold),
            format_decimal(objective)
        ),
    )
    .with_hint("raise the objective, or give a custom `alerting.windows` policy whose factors fit this budget")
}

fn custom_policy(
    entries: &[WindowSpec],
    window: Duration,
    diags: &mut Diagnostics,
) -> Option<Vec<PolicyEntry>> {
    let before = diags.counts().0;
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    if entries.is_empty() {
        diags.push(
            Diagnostic::error(
                Code::InvalidWindowPolicy,
                None,
                "`alerting.windows` is empty",
            )
            .with_hint(
                "list at least one window pair, or drop `windows` to use the default policy",
            ),
        );
    }
    for entry in entries {
        let Some((long, short, severity, budget_percent)) = window_entry(entry, diags) else {
            continue;
        };
        let problem = if short >= long {
            Some(format!(
                "short window {short} is not shorter than long window {long}"
            ))
        } else if long > window {
            Some(format!(
                "long window {long} is longer than the SLO window {window}"
            ))
        } else if short < Duration::from_secs(60) {
            Some(format!(
                "short window {short} is under 1m, shorter than a useful rate()"
            ))
        } else if !seen.insert((long, short)) {
            Some(format!("the window pair {long}/{short} is listed twice"))
        } else {
            None
        };
        if let Some(message) = problem {
            diags.push(
                Diagnostic::error(Code::InvalidWindowPolicy, Some(entry.location), message)
                    .with_hint("the workbook pairs a long window with a short one of 1/12 its length, e.g. 1h with 5m"),
            );
            continue;
        }
        out.push(PolicyEntry {
            severity,
            budget_percent,
            long,
            short,
            location: Some(entry.location),
        });
    }
    (diags.counts().0 == before).then_some(out)
}

/// One custom window entry's fields, each checked at its line: long and short windows,
/// severity, and the share of the budget in percent.
fn window_entry(
    entry: &WindowSpec,
    diags: &mut Diagnostics,
) -> Option<(Duration, Duration, Severity, Decimal)> {
    let long = entry
        .long
        .as_ref()
        .and_then(|t| parse_duration(t, "`long`", diags));
    let short = entry
        .short
        .as_ref()
        .and_then(|t| parse_duration(t, "`short`", diags));
    let severity = entry
        .severity
        .as_ref()
        .and_then(|s| match s.value.as_str() {
            "page" => Some(Severity::Page),
            "ticket" => Some(Severity::Ticket),
            other => {
                diags.push(
                    Diagnostic::error(
                        Code::InvalidWindowPolicy,
                        Some(s.location),
                        format!("unknown severity `{other}`"),
                    )
                    .with_hint("severity is `page` or `ticket`"),
                );
                None
            }
        });
    let budget_percent = entry.budget_percent.as_ref().and_then(|b| {
        match Decimal::from_str(b.value.trim()) {
            Ok(v) if v > Decimal::ZERO && v <= Decimal::ONE_HUNDRED => Some(v.normalize()),
            _ => {
                diags.push(
                    Diagnostic::error(
                        Code::InvalidWindowPolicy,
                        Some(b.location),
                        format!("`budget_percent` `{}` is not a percentage in (0, 100]", b.value),
                    )
                    .with_hint("the share of the budget spent in the long window when the tier fires, e.g. `2`"),
                );
                None
            }
        }
    });
    Some((long?, short?, severity?, budget_percent?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Severity as DiagSeverity;
    use crate::spec::yaml::load_documents;

    fn run(text: &str) -> (Option<Service>, Diagnostics) {
        let mut diags = Diagnostics::default();
        let docs = load_documents(0, text, &mut diags);
        let spec = crate::spec::parse_service(&docs[0], &mut diags).unwrap();
        let service = validate_service(&spec, "t.yaml", &mut diags);
        (service, diags)
    }

    fn codes(diags: &Diagnostics) -> Vec<&'static str> {
        diags.sorted().iter().map(|d| d.code.as_str()).collect()
    }

    const GOOD: &str = r#"apiVersion: slocc/v1
service: checkout-api
labels: {team: payments}
slos:
  - name: availability
    objective: 99.9
    sli:
      ratio:
        errors: sum(rate(http_requests_total{code=~"5.."}[{{window}}]))
        total: sum(rate(http_requests_total[{{window}}]))
"#;

    #[test]
    fn valid_spec_gets_the_workbook_tiers() {
        let (service, diags) = run(GOOD);
        assert_eq!(diags.counts(), (0, 0), "{diags:?}");
        let service = service.unwrap();
        let slo = &service.slos[0];
        assert_eq!(slo.alert_name, "CheckoutApiAvailabilityBudgetBurn");
        assert_eq!(slo.window, DEFAULT_WINDOW);
        assert_eq!(format_decimal(slo.budget()), "0.001");
        let factors: Vec<String> = slo.tiers.iter().map(|t| format_decimal(t.factor)).collect();
        assert_eq!(factors, ["14.4", "6", "3", "1"]);
        let thresholds: Vec<String> = slo
            .tiers
            .iter()
            .map(|t| format_decimal(t.threshold))
            .collect();
        assert_eq!(thresholds, ["0.0144", "0.006", "0.003", "0.001"]);
        assert_eq!(slo.grouping, Grouping::By(vec![]));
    }

    #[test]
    fn reports_every_problem_in_one_pass() {
        let text = r#"apiVersion: slocc/v1
service: ../etc
labels: {"bad-label": x, slo_name: y}
slos:
  - name: a
    objectve: 99.9
    window: 365d
    sli:
      ratio:
        errors: sum(rate(x[{{window}}])
        total: sum(rate(y[5m]))
  - name: a
    objective: 120
    sli: {raw: {error_ratio: "x"}}
"#;
        let (service, diags) = run(text);
        assert!(service.is_none());
        let got = codes(&diags);
        for want in [
            "invalid-name",
            "invalid-label-name",
            "reserved-label",
            "unknown-key",
            "missing-field",
            "window-out-of-range",
            "invalid-promql",
            "missing-window-placeholder",
            "duplicate-slo",
            "objective-out-of-range",
        ] {
            assert!(got.contains(&want), "missing {want} in {got:?}");
        }
    }

    #[test]
    fn warns_about_tiers_that_cannot_fire() {
        let text = GOOD.replace("objective: 99.9", "objective: 93");
        let (service, diags) = run(&text);
        let warnings: Vec<_> = diags
            .sorted()
            .into_iter()
            .filter(|d| d.severity == DiagSeverity::Warning)
            .collect();
        assert_eq!(warnings.len(), 1, "{diags:?}");
        assert_eq!(warnings[0].code, Code::TierNeverFires);
        assert!(warnings[0].message.contains("14.4"));
        // The dead 14.4x tier is left out; the other three remain.
        assert_eq!(service.unwrap().slos[0].tiers.len(), 3);
    }

    #[test]
    fn latency_selectors_are_label_matchers_only() {
        let latency = |selector: &str| {
            format!(
                "apiVersion: slocc/v1\nservice: api\nslos:\n  - name: latency\n    objective: 99\n    sli:\n      latency:\n        metric: h\n        selector: '{selector}'\n        threshold: 300ms\n"
            )
        };
        let (service, diags) = run(&latency(r#"{job="api"}"#));
        assert!(service.is_some(), "{diags:?}");
        for (selector, message) in [
            (r#"{job="api"} or up{x="y"}"#, "more than label matchers"),
            (r#"{le="0.3"}"#, "must not match on `le`"),
            (r#"{job=}"#, "not valid PromQL"),
        ] {
            let (service, diags) = run(&latency(selector));
            assert!(service.is_none(), "{selector}");
            let found = diags.sorted().iter().any(|d| {
                d.code == Code::InvalidPromql && d.message.contains(message) && d.location.is_some()
            });
            assert!(found, "{selector}: {diags:?}");
        }
    }

    #[test]
    fn warns_about_budgets_gone_in_seconds() {
        let text = GOOD.replace("objective: 99.9", "objective: 99.999");
        let (_, diags) = run(&text);
        assert_eq!(codes(&diags), ["tiny-budget"]);
        assert!(diags.sorted()[0].message.contains("25.9s"));
    }

    #[test]
    fn objective_given_as_ratio_gets_a_hint() {
        let text = GOOD.replace("objective: 99.9", "objective: 0.999");
        let (_, diags) = run(&text);
        assert_eq!(
            diags.sorted()[0].hint.as_deref(),
            Some("objectives are percentages: write `99.9` rather than `0.999`")
        );
    }

    #[test]
    fn custom_policy_and_disabled_tiers() {
        let text = GOOD.to_string()
            + r#"    alerting:
      name: CheckoutDown
      ticket: {disable: true}
      page: {for: 2m, labels: {severity: critical}}
      windows:
        - {long: 2h, short: 10m, budget_percent: 5, severity: page}
        - {long: 1d, short: 2h, budget_percent: 10, severity: ticket}
"#;
        let (service, diags) = run(&text);
        assert_eq!(diags.counts(), (0, 0), "{diags:?}");
        let slo = &service.unwrap().slos[0];
        assert_eq!(slo.alert_name, "CheckoutDown");
        assert_eq!(slo.tiers.len(), 1);
        assert_eq!(format_decimal(slo.tiers[0].factor), "18");
        assert_eq!(slo.tiers[0].for_duration, Some(Duration::from_secs(120)));
        assert_eq!(slo.tiers[0].labels["severity"], "critical");
    }

    #[test]
    fn bad_custom_windows_are_reported() {
        let text = GOOD.to_string()
            + r#"    alerting:
      windows:
        - {long: 5m, short: 1h, budget_percent: 2, severity: page}
        - {long: 1h, short: 5m, budget_percent: 0, severity: urgent}
        - {long: 40d, short: 1d, budget_percent: 2, severity: page}
"#;
        let (_, diags) = run(&text);
        assert_eq!(
            codes(&diags),
            [
                "invalid-window-policy",
                "invalid-window-policy",
                "invalid-window-policy",
                "invalid-window-policy"
            ]
        );
    }

    #[test]
    fn latency_sli_validates_selector_and_threshold() {
        let text = r#"apiVersion: slocc/v1
service: api
slos:
  - name: latency
    objective: 99
    sli:
      latency:
        metric: http_request_duration_seconds_bucket
        selector: '{job="api", le="1"}'
        threshold: fast
"#;
        let (_, diags) = run(text);
        assert_eq!(codes(&diags), ["invalid-promql", "invalid-threshold"]);
    }

    #[test]
    fn grouping_mismatch_is_an_error() {
        let text = GOOD.replace("total: sum(rate(", "total: sum by (route) (rate(");
        let (_, diags) = run(&text);
        assert_eq!(codes(&diags), ["grouping-mismatch"]);
    }
}
