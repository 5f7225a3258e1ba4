//! Validating SLIs: ratio, latency and raw queries parsed, grouped and checked at their line.

use super::*;
use crate::model::QueryLanguage;
use crate::spec::diags::SelectorProblem;
use crate::vocab::promql::Grouping;

fn validate_query(
    text: &Spanned<String>,
    what: &str,
    needs_placeholder: bool,
    language: QueryLanguage,
    diags: &mut Diagnostics,
) -> Option<Grouping> {
    if needs_placeholder && !has_window_placeholder(&text.value) {
        diags.push(diags::missing_window_placeholder(
            text.location,
            what,
            false,
        ));
        return None;
    }
    let query = with_window(&text.value, crate::vocab::promql::PROBE_WINDOW);
    match crate::vocab::promql::judge_instant_vector(&query) {
        Ok(judged) if needs_placeholder && !judged.reads_probe_window => {
            diags.push(diags::missing_window_placeholder(text.location, what, true));
            None
        }
        Ok(judged) => {
            if judged.needs_prometheus_3 {
                diags.push(prometheus_3_only(text, &format!("the {what} query")));
            }
            Some(judged.grouping)
        }
        Err(_)
            if language == QueryLanguage::MetricsQL
                && crate::vocab::metricsql::balanced(&text.value) =>
        {
            diags.push(diags::metricsql_query(text.location, what));
            Some(Grouping::Unknown)
        }
        Err(message) => {
            let diagnostic = diags::invalid_promql(text.location, what, &message);
            diags.push(
                match crate::vocab::promql::error_offset(&text.value, &message) {
                    Some(at) => diagnostic.at_token_after(&text.value[..at]),
                    None => diagnostic,
                },
            );
            None
        }
    }
}

pub(super) fn validate_sli(
    spec: &SliSpec,
    language: QueryLanguage,
    diags: &mut Diagnostics,
) -> Option<(Sli, Grouping)> {
    match spec {
        SliSpec::Ratio {
            errors,
            good,
            total,
            location,
            ..
        } => validate_ratio(errors, good, total, *location, language, diags),
        SliSpec::Latency {
            metric,
            selector,
            threshold,
            native,
            ..
        } => {
            let native = native.as_ref().is_some_and(|n| n.value);
            validate_latency(metric, selector, threshold, native, diags)
        }
        SliSpec::Threshold { query, op, value } => {
            validate_threshold(query, op, value, language, diags)
        }
        SliSpec::Freshness {
            last_success,
            max_age,
        } => validate_freshness(last_success, max_age, language, diags),
        SliSpec::Raw { error_ratio, .. } => {
            let q = error_ratio.as_ref()?;
            let grouping = validate_query(q, "error_ratio", true, language, diags)?;
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

/// A threshold SLI: a query returning a value, a comparison, a bound.
fn validate_threshold(
    query: &Query,
    op: &Query,
    value: &Query,
    language: QueryLanguage,
    diags: &mut Diagnostics,
) -> Option<(Sli, Grouping)> {
    let grouping = query
        .as_ref()
        .and_then(|q| validate_query(q, "threshold", false, language, diags));
    let good_op = op.as_ref().and_then(|op| {
        let found = match op.value.as_str() {
            "lt" => Some("<"),
            "lte" => Some("<="),
            "gt" => Some(">"),
            "gte" => Some(">="),
            _ => None,
        };
        if found.is_none() {
            diags.push(spec_diags::unknown_value(
                op.location,
                "comparison",
                &op.value,
                &["lt", "lte", "gt", "gte"],
            ));
        }
        found
    });
    let bound = value.as_ref().and_then(|v| match parse_exact(&v.value) {
        Ok(parsed) => Some(parsed),
        Err(NotExact::TooPrecise | NotExact::TooLarge) => {
            diags.push(super::too_precise(v, "`value`"));
            None
        }
        Err(NotExact::NotANumber) => {
            diags.push(diags::invalid_number(
                v.location, "`value`", &v.value, "a number", "0.3",
            ));
            None
        }
    });
    Some((
        Sli::Threshold {
            query: query.as_ref()?.value.clone(),
            good_op: good_op?,
            value: bound?.normalize(),
        },
        grouping?,
    ))
}

/// A freshness SLI: a query for the time of the last success, and the oldest it may be.
fn validate_freshness(
    last_success: &Query,
    max_age: &Query,
    language: QueryLanguage,
    diags: &mut Diagnostics,
) -> Option<(Sli, Grouping)> {
    let grouping = last_success
        .as_ref()
        .and_then(|q| validate_query(q, "last_success", false, language, diags));
    let max_age = max_age
        .as_ref()
        .and_then(|m| parse_duration(m, "`max_age`", diags));
    Some((
        Sli::Freshness {
            last_success: last_success.as_ref()?.value.clone(),
            max_age: max_age?,
        },
        grouping?,
    ))
}

fn validate_ratio(
    errors: &Query,
    good: &Query,
    total: &Query,
    location: Location,
    language: QueryLanguage,
    diags: &mut Diagnostics,
) -> Option<(Sli, Grouping)> {
    let events = match (errors, good) {
        (Some(e), None) => validate_query(e, "errors", true, language, diags)
            .map(|g| (EventQuery::Errors(e.value.clone()), g, e.location)),
        (None, Some(g)) => validate_query(g, "good", true, language, diags)
            .map(|gr| (EventQuery::Good(g.value.clone()), gr, g.location)),
        (Some(_), Some(_)) | (None, None) => {
            diags.push(diags::ratio_direction(location));
            None
        }
    };
    let total_grouping = total
        .as_ref()
        .and_then(|t| validate_query(t, "total", true, language, diags));
    let (events, events_grouping, events_location) = events?;
    let grouping = match (&events_grouping, &total_grouping?) {
        (Grouping::By(a), Grouping::By(b)) if a != b => {
            diags.push(diags::grouping_mismatch(events_location, a, b));
            return None;
        }
        (Grouping::By(_), Grouping::By(_)) => events_grouping,
        _ => Grouping::Unknown,
    };
    let total = total.as_ref()?.value.clone();
    Some((Sli::Ratio { events, total }, grouping))
}

/// A UTF-8 metric or label name: Prometheus 3 reads it, Prometheus 2 cannot load the rules.
fn prometheus_3_only(at: &Spanned<String>, what: &str) -> Diagnostic {
    diags::quoted_name(at.location, what)
}

/// Whether a latency SLI's histogram name can be read: a classic name, or a UTF-8 one that
/// only Prometheus 3 reads (a warning); anything else is an error.
fn latency_metric_ok(metric: &Spanned<String>, base: &str, diags: &mut Diagnostics) -> bool {
    if is_valid_metric_name(base) {
        return true;
    }
    if crate::vocab::promql::is_utf8_metric_name(base) {
        diags.push(prometheus_3_only(metric, "the latency metric"));
        return true;
    }
    diags.push(diags::invalid_metric_name(metric.location, &metric.value));
    false
}

fn validate_latency(
    metric: &Query,
    selector: &Query,
    threshold: &Query,
    native: bool,
    diags: &mut Diagnostics,
) -> Option<(Sli, Grouping)> {
    let metric = metric.as_ref()?;
    let base = metric.value.trim().trim_end_matches("_bucket").to_string();
    let mut ok = latency_metric_ok(metric, &base, diags);
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
            diags.push(spec_diags::invalid_threshold(
                threshold.location,
                "latency threshold",
                &threshold.value,
            ));
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
        native,
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
    let bucket = crate::vocab::promql::selector(&format!("{base}_bucket"), &inner);
    let parsed = crate::vocab::promql::judge_instant_vector(&bucket);
    // A UTF-8 metric is reported once, at the metric; a UTF-8 label of a classic one here.
    if let Ok(judged) = &parsed {
        if judged.needs_prometheus_3 && is_valid_metric_name(base) {
            diags.push(prometheus_3_only(selector, "the latency selector"));
        }
    }
    let problem = match &parsed {
        Err(message) => Some(SelectorProblem::Parse(message)),
        Ok(judged) => match judged.selector_matches_le {
            Some(le) => le.then_some(SelectorProblem::MatchesLe),
            None => Some(SelectorProblem::NotMatchers),
        },
    };
    match problem {
        None => Some(inner),
        Some(problem) => {
            diags.push(spec_diags::invalid_latency_selector(
                selector.location,
                problem,
            ));
            None
        }
    }
}
