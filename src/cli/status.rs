//! `slocc status`: live budgets from a running Prometheus, and the deploy gate.

use super::{Io, StatusConfig, EXIT_INVALID, EXIT_OK};
use crate::live::client::Prometheus;
use crate::live::status;

pub(super) fn run(config: &StatusConfig, mut io: Io<'_>) -> std::io::Result<i32> {
    let timeout = match super::positive_duration(&config.timeout, "--timeout") {
        Ok(t) => t,
        Err(e) => return io.usage_error(&e),
    };
    let prom = match Prometheus::from_env(config.prometheus.as_deref(), timeout) {
        Ok(p) => p,
        Err(e) => return io.usage_error(&e),
    };
    let checked = match super::checked_specs(&config.paths, &config.select, &mut io)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let mut statuses = Vec::new();
    for service in &checked.services {
        for slo in &service.slos {
            match status::slo_status(&prom, service, slo) {
                Ok(s) => statuses.push(s),
                Err(e) => return io.usage_error(&e),
            }
        }
    }
    let text = match config.format.as_str() {
        "json" => serde_json::to_string_pretty(&statuses).map_err(std::io::Error::other)? + "\n",
        "markdown" => status::render_markdown(&statuses),
        _ => status::render_human(&statuses),
    };
    io.stdout.write_all(text.as_bytes())?;
    if !config.gate {
        return Ok(EXIT_OK);
    }
    gate(config, &statuses, io)
}

/// The error-budget policy: every selected SLO must have more than `--min-budget` left.
fn gate(config: &StatusConfig, statuses: &[status::SloStatus], io: Io<'_>) -> std::io::Result<i32> {
    let failing: Vec<String> = statuses
        .iter()
        .filter(|s| {
            s.budget_remaining
                .is_some_and(|left| left <= 0.0 || left < config.min_budget)
        })
        .map(|s| format!("{}/{}", s.service, s.slo))
        .collect();
    if failing.is_empty() {
        return Ok(EXIT_OK);
    }
    writeln!(
        io.stderr,
        "error: error budget {} for {}",
        if config.min_budget > 0.0 {
            format!("under {}%", config.min_budget * 100.0)
        } else {
            "exhausted".to_string()
        },
        failing.join(", ")
    )?;
    Ok(EXIT_INVALID)
}
