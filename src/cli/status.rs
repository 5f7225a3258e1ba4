//! `slocc status`: live budgets from a running Prometheus, and the deploy gate.

use super::{Error, Format, Io, Outcome, StatusConfig, EXIT_INVALID, EXIT_OK};
use crate::live::status;

pub(super) fn run(config: &StatusConfig, mut io: Io<'_>) -> Outcome {
    let prom = super::connect(&config.connection)?;
    let checked = super::checked_specs(&config.paths, &config.select, &mut io)?;
    let statuses = crate::live::pool::each_slo(
        &prom,
        &checked.services,
        config.connection.concurrency,
        status::slo_status,
    )?;
    let text = match config.format {
        Format::Json => {
            serde_json::to_string_pretty(&statuses).map_err(std::io::Error::other)? + "\n"
        }
        Format::Markdown => status::render_markdown(&statuses),
        Format::Human | Format::Github => status::render_human(&statuses),
    };
    io.stdout.write_all(text.as_bytes())?;
    let failed: Vec<String> = statuses
        .iter()
        .filter(|s| s.state == status::State::Error)
        .map(|s| format!("{}/{}", s.service, s.slo))
        .collect();
    if !failed.is_empty() {
        let message = format!(
            "Prometheus could not answer for {} (above)",
            failed.join(", ")
        );
        return Err(Error::Usage(message));
    }
    if !config.gate {
        return Ok(EXIT_OK);
    }
    gate(config, &statuses, io)
}

/// The error-budget policy: every selected SLO must have more than `--min-budget` left.
fn gate(config: &StatusConfig, statuses: &[status::SloStatus], io: Io<'_>) -> Outcome {
    let failing: Vec<String> = statuses
        .iter()
        .filter(|s| {
            s.budget_remaining
                .is_some_and(|left| left <= 0.0 || left < config.min_budget)
        })
        .map(|s| format!("{}/{}", s.service, s.slo))
        .collect();
    let unknown = if config.allow_unknown {
        Vec::new()
    } else {
        status::unknown(statuses)
    };
    if !unknown.is_empty() {
        writeln!(
            io.stderr,
            "error: cannot judge {}: unknown is not healthy; fix what the status says, or pass `--allow-unknown` to let them through",
            unknown.join(", ")
        )?;
    }
    if failing.is_empty() {
        return Ok(if unknown.is_empty() {
            EXIT_OK
        } else {
            EXIT_INVALID
        });
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
