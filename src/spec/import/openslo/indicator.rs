//! OpenSLO indicators: inline or referenced SLIs with ratio or raw metrics, each side a
//! Prometheus query (rated when it counts).

use super::*;

/// A query from a metric source of `kind`, which must be Prometheus; rated when it counts.
pub(super) fn prometheus_query(
    kind: Option<Spanned<String>>,
    query: Spanned<String>,
    counter: bool,
    context: &str,
    diags: &mut Diagnostics,
) -> Option<Spanned<String>> {
    if let Some(kind) = kind {
        if !is_prometheus(&kind) {
            diags.push(diags::unsupported(
                kind.location,
                Unsupported::MetricSource {
                    context,
                    source: &kind.value,
                },
            ));
            return None;
        }
    }
    if !counter || crate::vocab::promql::has_window_placeholder(&query.value) {
        return Some(query);
    }
    rate_of(&query, context, diags)
}

fn is_prometheus(kind: &Spanned<String>) -> bool {
    kind.value.eq_ignore_ascii_case("prometheus")
}

/// The `type` of the first side of a v1 ratio whose metric source is not Prometheus.
fn foreign_side(ratio: &Mapping, location: Location) -> Option<Spanned<String>> {
    foreign(ratio, location, |side| {
        side.get_mapping("metricSource")?.get_scalar("type")
    })
}

/// The source of the first side of a ratio (`good`, `bad`, `total`) that is not Prometheus,
/// as `kind_of` finds it in each side.
pub(super) fn foreign(
    ratio: &Mapping,
    location: Location,
    kind_of: impl Fn(&Mapping) -> Option<&marked_yaml::types::MarkedScalarNode>,
) -> Option<Spanned<String>> {
    ["good", "bad", "total"].iter().find_map(|key| {
        let kind = kind_of(ratio.get_mapping(key)?)?;
        let kind = Spanned::new(
            kind.as_str().to_string(),
            crate::spec::yaml::scalar_location(kind, location),
        );
        (!is_prometheus(&kind)).then_some(kind)
    })
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
    if kind.as_ref().is_some_and(|k| !is_prometheus(k)) {
        // Another source's spec has other fields (AppDynamics has no `query`): one message,
        // about the source.
        return prometheus_query(
            kind,
            Spanned::new(String::new(), sloc),
            counter,
            context,
            diags,
        );
    }
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
            diags.push(diags::not_a_counter(query.location, context, &query.value));
            return None;
        }
    };
    Some(Spanned::new(text, query.location))
}

pub(super) fn read_indicator(
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
pub(super) fn read_sli_spec(
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
        if let Some(kind) = foreign_side(ratio, rloc) {
            // Reported once for the SLI, not once a side, and nothing else is read.
            prometheus_query(
                Some(kind),
                Spanned::new(String::new(), rloc),
                false,
                sli_context,
                diags,
            );
            return None;
        }
        return Some(read_ratio_metric(ratio, rloc, sli_context, diags));
    }
    if let Some((raw, rloc)) = sf.mapping("rawMetric", diags) {
        // A raw metric is read as an error ratio, as slocc's `raw` SLI is.
        let error_ratio = metric_query(raw, rloc, sli_context, false, diags)?;
        return Some(SliSpec::Raw {
            error_ratio: Some(error_ratio),
        });
    }
    if let Some((threshold, tloc)) = sf.mapping("thresholdMetric", diags) {
        // Judged per time slice against each objective's `op` and `value`.
        let query = metric_query(threshold, tloc, sli_context, false, diags)?;
        return Some(SliSpec::Threshold {
            query: Some(query),
            op: None,
            value: None,
        });
    }
    diags.push(diags::sli_kind(
        loc,
        sli_context,
        &[],
        &["ratioMetric", "rawMetric", "thresholdMetric"],
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
pub(super) fn ratio_of_sides(
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
