//! The live stage's diagnostics (`check --prometheus`): one constructor per kind, each the only
//! place its code is built.

use crate::diag::{Code, Diagnostic, Location};
use crate::vocab::number::format_f64;

/// The `role` query of `slo` (`service/slo`) returned no series from the server.
pub(crate) fn sli_no_data(at: Option<Location>, slo: &str, role: &str, query: &str) -> Diagnostic {
    Diagnostic::new(
        Code::SliNoData,
        at,
        format!("the {role} query of `{slo}` returns no series from the server: `{query}`"),
        "a metric renamed, a job relabelled or a selector misspelt leaves the SLO blind: run the query in Prometheus and fix the spec (or deploy the exporter first)",
    )
}

/// The latency threshold of `slo` is no boundary of `series`'s buckets (`boundaries`, seconds).
pub(crate) fn threshold_not_a_bucket(
    at: Option<Location>,
    slo: &str,
    threshold: f64,
    series: &str,
    boundaries: &[f64],
) -> Diagnostic {
    let listed: Vec<String> = boundaries.iter().map(|b| format_f64(*b, 6)).collect();
    Diagnostic::new(
        Code::ThresholdNotABucket,
        at,
        format!(
            "the latency threshold {}s of `{slo}` is no bucket boundary of `{series}`, so no request is ever counted against it and its alerts can never fire",
            format_f64(threshold, 6)
        ),
        format!(
            "the boundaries are {}s: use one of them, or add the bucket to the histogram",
            listed.join("s, ")
        ),
    )
}
