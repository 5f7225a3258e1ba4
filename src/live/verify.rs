//! `check --prometheus`: what a running Prometheus says of the specs' queries before any rule
//! is deployed. Each SLI query must return data (a renamed metric, a relabelled job or a
//! misspelt selector otherwise leaves the SLO blind), and a latency threshold must be one of
//! the histogram's bucket boundaries (otherwise its `le` matcher selects nothing and no alert
//! can fire).

use crate::live::client::{Error, Prometheus};
use crate::model::{EventQuery, Service, Sli, Slo};
use crate::vocab::duration::Duration;
use crate::vocab::promql::{selector, with_window};

/// The window the queries are asked over: long enough that a quiet service has samples.
const WINDOW: Duration = Duration::from_secs(3_600);

/// One thing the server contradicts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Problem {
    /// A query of the SLI (`role`: `total`, `good`, `error ratio`, ...) returned no series.
    NoData {
        /// Which query.
        role: &'static str,
        /// The query asked, window filled in.
        query: String,
    },
    /// The latency threshold (seconds) is no bucket boundary of the histogram.
    NotABucket {
        /// The threshold, in seconds.
        threshold: f64,
        /// The histogram's `_bucket` series name.
        series: String,
        /// Its finite boundaries, in seconds, ascending.
        boundaries: Vec<f64>,
    },
}

/// A problem of one SLO.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Finding {
    /// The service.
    pub(crate) service: String,
    /// The SLO.
    pub(crate) slo: String,
    /// What is wrong.
    pub(crate) problem: Problem,
}

/// Every problem the server shows in `services`' SLIs, in spec order. A server that cannot be
/// asked is an error, never a pass.
pub(crate) fn verify(services: &[Service], prometheus: &Prometheus) -> Result<Vec<Finding>, Error> {
    let mut out = Vec::new();
    for service in services {
        for slo in &service.slos {
            for problem in slo_problems(slo, prometheus)? {
                out.push(Finding {
                    service: service.name.clone(),
                    slo: slo.name.clone(),
                    problem,
                });
            }
        }
    }
    Ok(out)
}

fn slo_problems(slo: &Slo, prometheus: &Prometheus) -> Result<Vec<Problem>, Error> {
    match &slo.sli {
        // An errors query may rightly be empty (no failure yet, so no series); good events
        // and the total are there whenever there is traffic.
        Sli::Ratio { events, total } => {
            let mut asked = vec![("total", total)];
            if let EventQuery::Good(good) = events {
                asked.push(("good", good));
            }
            no_data(&asked, prometheus)
        }
        Sli::Raw { error_ratio } => no_data(&[("error ratio", error_ratio)], prometheus),
        Sli::Threshold { query, .. } => no_data(&[("threshold", query)], prometheus),
        Sli::Freshness { last_success, .. } => {
            no_data(&[("last success", last_success)], prometheus)
        }
        Sli::Latency {
            metric,
            matchers,
            native: true,
            ..
        } => {
            let query = format!("histogram_count({})", selector(metric, matchers));
            no_data(&[("native histogram", &query)], prometheus)
        }
        Sli::Latency {
            metric,
            matchers,
            threshold,
            native: false,
        } => bucket_problems(
            &format!("{metric}_bucket"),
            matchers,
            *threshold,
            prometheus,
        ),
    }
}

/// `NoData` for each `(role, query)` whose query, over the last hour, returns no series.
fn no_data(
    asked: &[(&'static str, &String)],
    prometheus: &Prometheus,
) -> Result<Vec<Problem>, Error> {
    let mut out = Vec::new();
    for (role, template) in asked {
        let query = with_window(template, WINDOW);
        if prometheus.query(&query)?.is_empty() {
            out.push(Problem::NoData { role, query });
        }
    }
    Ok(out)
}

/// A classic histogram's boundaries, and whether the threshold is one of them.
fn bucket_problems(
    series: &str,
    matchers: &str,
    threshold: Duration,
    prometheus: &Prometheus,
) -> Result<Vec<Problem>, Error> {
    let query = format!("count by (le) ({})", selector(series, matchers));
    let answer = prometheus.query(&query)?;
    if answer.is_empty() {
        return Ok(vec![Problem::NoData {
            role: "histogram",
            query,
        }]);
    }
    // Boundaries compare as numbers: `le="1"` and Prometheus 3's `le="1.0"` are one bucket.
    let mut boundaries: Vec<f64> = answer
        .iter()
        .filter_map(|s| s.labels.get("le")?.parse::<f64>().ok())
        .filter(|b| b.is_finite())
        .collect();
    boundaries.sort_by(f64::total_cmp);
    boundaries.dedup();
    let threshold = threshold.as_secs_f64();
    let found = boundaries
        .iter()
        .any(|b| (b - threshold).abs() <= 1e-9 * threshold.max(1.0));
    Ok(if found {
        Vec::new()
    } else {
        vec![Problem::NotABucket {
            threshold,
            series: series.to_string(),
            boundaries,
        }]
    })
}
