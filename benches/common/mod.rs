//! What the benchmarks share: the synthetic corpus of 1,000 services x 10 SLOs (ratio,
//! latency and grouped SLIs; 30d, 28d and 7d windows; five objectives).

use std::path::Path;

/// Services in the corpus.
pub(crate) const SERVICES: usize = 1_000;
/// SLOs per service.
pub(crate) const SLOS_PER_SERVICE: usize = 10;

/// Writes the spec files of a corpus of `services` services ([`SERVICES`] for the standard one)
/// into `dir`.
pub(crate) fn corpus(dir: &Path, services: usize) {
    for s in 0..services {
        let mut text = format!(
            "apiVersion: slocc/v1\nservice: svc-{s:04}\nowner: team-{}\nlabels:\n  team: team-{}\nslos:\n",
            s % 37,
            s % 37
        );
        for n in 0..SLOS_PER_SERVICE {
            let objective = ["99", "99.5", "99.9", "99.95", "99.99"][n % 5];
            let window = ["30d", "28d", "7d"][n % 3];
            let sli = match n % 3 {
                0 => format!("      ratio:\n        errors: sum(rate(http_requests_total{{job=\"svc-{s}\", route=\"/r{n}\", code=~\"5..\"}}[{{{{window}}}}]))\n        total: sum(rate(http_requests_total{{job=\"svc-{s}\", route=\"/r{n}\"}}[{{{{window}}}}]))\n"),
                1 => format!("      latency:\n        metric: http_request_duration_seconds\n        selector: '{{job=\"svc-{s}\", route=\"/r{n}\"}}'\n        threshold: 300ms\n"),
                _ => format!("      ratio:\n        good: sum by (queue) (rate(jobs_total{{job=\"svc-{s}\", outcome=\"ok\"}}[{{{{window}}}}]))\n        total: sum by (queue) (rate(jobs_total{{job=\"svc-{s}\"}}[{{{{window}}}}]))\n"),
            };
            text.push_str(&format!(
                "  - name: slo-{n}\n    description: Synthetic SLO {n} of service {s}.\n    objective: {objective}\n    window: {window}\n    sli:\n{sli}"
            ));
        }
        std::fs::write(dir.join(format!("svc-{s:04}.yaml")), text).unwrap();
    }
}
