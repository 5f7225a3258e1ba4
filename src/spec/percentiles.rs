//! The percentile shorthand: `latency: {metric, selector, percentiles: {p99: 500ms, p95: 300ms}}`
//! is one SLO per percentile, `<name>-p99` with objective 99 and threshold 500ms, and so on;
//! everything after the spec stage sees ordinary latency SLOs.

use crate::diag::Diagnostics;
use crate::spec::diags;
use crate::spec::yaml::{Fields, Mapping, Node, Spanned};
use crate::spec::{SliSpec, SloSpec};

/// The `sli.latency.percentiles` node of an SLO mapping, when written.
pub(crate) fn written(slo: &Mapping) -> Option<&Node> {
    slo.get_node("sli")?
        .as_mapping()?
        .get_node("latency")?
        .as_mapping()?
        .get_node("percentiles")
}

/// `p99` -> `99`, `p99.9` -> `99.9`: a percentile strictly between 0 and 100.
fn objective_of(key: &str) -> Option<&str> {
    let number = key.strip_prefix('p')?;
    let valid = !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit() || c == '.')
        && number.parse::<f64>().is_ok_and(|n| n > 0.0 && n < 100.0);
    valid.then_some(number)
}

/// One SLO per percentile of `slo`, whose `sli.latency` mapping is `latency`.
pub(crate) fn expand(slo: SloSpec, latency: &Fields<'_>, diags: &mut Diagnostics) -> Vec<SloSpec> {
    let pairs = latency.string_map("percentiles", diags);
    if let Some(objective) = &slo.objective {
        diags.push(diags::conflicting_fields(
            objective.location,
            "objective",
            "percentiles",
        ));
    }
    if let Some(SliSpec::Latency {
        threshold: Some(t), ..
    }) = &slo.sli
    {
        diags.push(diags::conflicting_fields(
            t.location,
            "threshold",
            "percentiles",
        ));
    }
    if pairs.is_empty() {
        diags.push(diags::empty_list(
            latency.key_location("percentiles"),
            "percentiles",
            "the latency SLI",
        ));
    }
    pairs
        .into_iter()
        .filter_map(|(key, threshold)| one(&slo, key, threshold, diags))
        .collect()
}

fn one(
    slo: &SloSpec,
    key: Spanned<String>,
    threshold: Spanned<String>,
    diags: &mut Diagnostics,
) -> Option<SloSpec> {
    let Some(objective) = objective_of(&key.value) else {
        diags.push(diags::invalid_percentile(key.location, &key.value));
        return None;
    };
    let mut out = slo.clone();
    out.objective = Some(Spanned::new(objective.to_string(), key.location));
    if let Some(name) = &slo.name {
        out.name = Some(Spanned::new(
            format!("{}-{}", name.value, key.value),
            name.location,
        ));
    }
    if let Some(SliSpec::Latency { threshold: t, .. }) = &mut out.sli {
        *t = Some(threshold);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::spec::import::codes_and_lines;
    use crate::spec::read::read_text;

    const SPEC: &str = "apiVersion: slocc/v1\nservice: api\nslos:\n  - name: latency\n    sli:\n      latency:\n        metric: http_request_duration_seconds\n        selector: '{job=\"api\"}'\n        percentiles: {p99: 500ms, p95: 300ms, p99.9: 1s}\n";

    #[test]
    fn each_percentile_is_a_latency_slo() {
        let (specs, diags) = read_text(SPEC);
        assert_eq!(diags.counts(), (0, 0), "{diags:?}");
        let slos: Vec<(String, String, String)> = specs[0]
            .slos
            .iter()
            .map(|s| {
                let Some(crate::spec::SliSpec::Latency { threshold, .. }) = &s.sli else {
                    panic!("latency")
                };
                (
                    s.name.as_ref().unwrap().value.clone(),
                    s.objective.as_ref().unwrap().value.clone(),
                    threshold.as_ref().unwrap().value.clone(),
                )
            })
            .collect();
        let row = |n: &str, o: &str, t: &str| (n.to_string(), o.to_string(), t.to_string());
        assert_eq!(
            slos,
            [
                row("latency-p99", "99", "500ms"),
                row("latency-p95", "95", "300ms"),
                row("latency-p99.9", "99.9", "1s"),
            ]
        );
    }

    #[test]
    fn mistakes_are_reported_at_their_lines() {
        let text = SPEC
            .replace("    sli:\n", "    objective: 99\n    sli:\n")
            .replace("p95: 300ms", "p100: 300ms, fast: 1ms")
            .replace(
                "        percentiles",
                "        threshold: 300ms\n        percentiles",
            );
        let (_, diags) = read_text(&text);
        assert_eq!(
            codes_and_lines(&diags),
            [
                ("conflicting-fields".to_string(), 5),
                ("conflicting-fields".to_string(), 10),
                ("invalid-percentile".to_string(), 11),
                ("invalid-percentile".to_string(), 11),
            ]
        );
    }
}
